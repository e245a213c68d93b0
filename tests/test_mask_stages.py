"""The masker's two stages in two threads give the masks of one thread (issue 14).

``render.pipeline`` runs stage 1 of the masker (the landmark and detector models) of frame n+1
while stage 2 (identities, whole-frame model, thumbnails, smoother, the people selector) of
frame n runs. Real models on real frames: the juggler of ``examples/sample.mp4``, the talking
head s18 (shared media), and a dancer among bystanders (several people: the default rule picks
the main subject, which reads the identities stage 2 gives). The masks must be the same as the
single-thread path's (the stages touch disjoint state), also across frames that need no mask
(the masker reset in both stages at that frame).
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from backdrop.perception.core.media import MediaInfo, iter_frames, probe
from backdrop.render import pipeline
from backdrop.render.maskers import build_masker
from backdrop.render.plan import EditPlan, KeepRule
from tests import people_media as pm
from tests.conftest import needs_weights

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"
NEEDS_POSE = needs_weights("pose-detection", "pose-landmarks", "selfie-landscape")
TOLERANCE = 1e-6
"""Largest difference allowed between the two paths' masks (probability units): the same
arithmetic on the same inputs, so in practice 0."""


class _Gaps:
    """Stands in for the compositor: a mask is needed except on frames ``gap`` (by time)."""

    def __init__(self, times: list[float], gap: range) -> None:
        self.off = {times[i] for i in gap}

    def needs_mask(self, t: float) -> bool:
        return t not in self.off


def _masks(info: MediaInfo, frames: list[tuple[float, np.ndarray]], threads: int,
           gap: range) -> list[np.ndarray | None]:  # fmt: skip
    masker = build_masker(info, EditPlan(keep=[KeepRule()]))
    stats = pipeline.RenderStats(frames=0, seconds=0.0)
    gaps = _Gaps([t for t, _ in frames], gap)
    out = pipeline._mask_stream(iter(frames), gaps, masker, stats, threads)  # type: ignore[arg-type]
    return [m for _, _, m in out]


def _check_same(info: MediaInfo, frames: list[tuple[float, np.ndarray]], gap: range) -> None:
    one = _masks(info, frames, 0, gap)
    two = _masks(info, frames, 2, gap)
    assert len(one) == len(two) == len(frames)
    for i, (a, b) in enumerate(zip(one, two, strict=True)):
        if i in gap:
            assert a is None and b is None
            continue
        assert a is not None and b is not None and a.shape == b.shape, i
        assert float(np.abs(a - b).max()) <= TOLERANCE, f"frame {i}"
    kept = [m for m in one if m is not None]
    assert np.mean([float((m >= 0.5).mean()) for m in kept]) > 0.02  # someone was masked


@NEEDS_POSE
@pytest.mark.parametrize("clip", ["sample", "s18"])
def test_two_mask_threads_give_the_single_thread_masks_on_real_video(clip: str) -> None:
    path = SAMPLE if clip == "sample" else pm.HEAD_B
    if not path.exists():
        pytest.skip(f"{path} is not in the shared media")
    info = probe(path)
    frames = list(islice(iter_frames(path), 36))
    _check_same(info, frames, range(20, 23))


@NEEDS_POSE
def test_two_mask_threads_keep_the_main_subject_among_several_people() -> None:
    if not pm.DAVIS.exists():
        pytest.skip("DAVIS is not in the shared media")
    imgs, _dancer, _bystanders = pm.crowd(rotate=0.0, limit=30)
    h, w = imgs[0].shape[:2]
    info = MediaInfo(Path("mem"), w, h, 15.0, len(imgs) / 15, len(imgs), 0, "h264", False)
    frames = [(i / 15, f) for i, f in enumerate(imgs)]
    _check_same(info, frames, range(0))
