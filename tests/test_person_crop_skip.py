"""The pose landmark model runs only when a person's crop changed (issue 14).

Real frames, real models: a still clip (one DAVIS frame repeated) skips the model up to
``max_skip`` frames at a time; real footage with motion (the juggler of ``examples/sample.mp4``)
and a frame panned a few pixels per frame run it on (nearly) every frame; on frames where it was
skipped the mask stays close to the one computed with skipping off.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames
from tests import people_media as pm
from tests.conftest import needs_weights

ROOT = Path(__file__).resolve().parent.parent
DAVIS_FRAME = ROOT / "tests" / "data" / "davis" / "00000.jpg"
SAMPLE = ROOT / "examples" / "sample.mp4"
NEEDS_POSE = needs_weights("pose-detection", "pose-landmarks", "selfie-general")


def _run(frames: list[np.ndarray], max_skip: int) -> tuple[list[np.ndarray], list[bool]]:
    """The masker's masks for ``frames`` and, per frame, whether the landmark model ran (for
    the one person tracked)."""
    from backdrop.perception.vision.person_crop import load_crop_person_masker

    h, w = frames[0].shape[:2]
    masker = load_crop_person_masker(w, h)
    masker.crops.max_skip = max_skip
    masks, ran = [], []
    for i, f in enumerate(frames):
        before = masker.crops.runs
        masks.append(masker(f, i / 25))
        ran.append(masker.crops.runs > before)
    return masks, ran


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a >= 0.5, b >= 0.5
    return float((a & b).sum() / max((a | b).sum(), 1))


def _still(n: int, noise: float = 0.0) -> list[np.ndarray]:
    img = cv2.cvtColor(cv2.imread(str(DAVIS_FRAME)), cv2.COLOR_BGR2RGB)
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        f = img.astype(np.float32) + rng.normal(0.0, noise, img.shape) if noise else img
        out.append(np.clip(f, 0, 255).astype(np.uint8))
    return out


@NEEDS_POSE
def test_a_still_clip_runs_the_landmark_model_once_every_max_skip_plus_one_frames() -> None:
    k = 3
    _, ran = _run(_still(13), max_skip=k)
    gaps = np.diff(np.flatnonzero(ran))
    assert ran[0] and gaps.size > 0, ran
    assert gaps.max() <= k + 1, ran  # never more than k frames without the model
    assert sum(ran) <= -(-len(ran) // (k + 1)), ran  # and no more often than needed


@NEEDS_POSE
def test_skipping_off_runs_the_model_on_every_frame() -> None:
    _, ran = _run(_still(6), max_skip=0)
    assert all(ran), ran


@NEEDS_POSE
def test_a_moving_clip_runs_the_landmark_model_on_nearly_every_frame() -> None:
    juggler = [f for (_, f), _ in zip(iter_frames(SAMPLE), range(24), strict=False)]
    _, ran = _run(juggler, max_skip=3)
    assert sum(ran) >= len(ran) - 2, ran
    # a frame panned 6 pixels a frame: the crop changes every frame
    img = _still(1)[0]
    panned = [np.roll(img, 6 * i, axis=1) for i in range(8)]
    _, ran = _run(panned, max_skip=3)
    assert sum(ran) >= len(ran) - 1, ran
    # a cut with no reset (a later frame of the dance after a still stretch): it runs at once
    later = cv2.cvtColor(cv2.imread(str(DAVIS_FRAME.with_name("00015.jpg"))), cv2.COLOR_BGR2RGB)
    _, ran = _run([*_still(3), later], max_skip=3)
    assert ran == [True, False, False, True], ran


@NEEDS_POSE
def test_masks_on_skipped_frames_stay_close_to_those_with_skipping_off() -> None:
    frames = _still(12, noise=2.0)  # camera noise, σ 2 grey levels: the crop barely changes
    on, ran = _run(frames, max_skip=3)
    off, _ = _run(frames, max_skip=0)
    skipped = [i for i, r in enumerate(ran) if not r]
    assert len(skipped) >= 6, ran
    ious = [_iou(on[i], off[i]) for i in skipped]
    assert min(ious) >= 0.95, ious


@NEEDS_POSE
@pytest.mark.skipif(not pm.heads_available(), reason="shared talking heads absent")
def test_a_talking_head_skips_often_and_keeps_its_mask() -> None:
    frames, _ = pm.read_clip(pm.HEAD_B, 384, 3.0, 15)
    on, ran = _run(frames, max_skip=3)
    off, ran_off = _run(frames, max_skip=0)
    assert sum(ran) < sum(ran_off), (ran, ran_off)
    skipped = [i for i, (r, r0) in enumerate(zip(ran, ran_off, strict=True)) if r0 and not r]
    ious = [_iou(on[i], off[i]) for i in skipped]
    assert skipped and np.median(ious) >= 0.98, ious
    # the crop model on a head-and-shoulders person glitches on single frames (frame 39 of this
    # clip: 52 → 70 % of the frame and back); the carried mask is held to that frame's
    # reference or a neighbour's
    near = [max(_iou(on[i], off[j]) for j in (i - 1, i, i + 1) if 0 <= j < len(off))
            for i in skipped]  # fmt: skip
    assert min(near) >= 0.95, near
