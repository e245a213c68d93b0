"""A scrub (a jump in time) through the crop person masker (issue 14).

Real frames, real models. A jump takes the people's crops from the remembered frame nearest in
time instead of the frame before the jump, defers the periodic (tiled) detector, finds a person
its seed missed on the same frame, and never smooths or carries masks from the other time; the
processing stream going on after a scrub is tracked as if it had never left. Behaviour only:
scrub latency is measured by ``benchmarks/bench_scrub.py``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames
from tests.conftest import needs_weights

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"
DAVIS = ROOT / "tests" / "data" / "davis"
NEEDS_POSE = needs_weights("pose-detection", "pose-landmarks", "selfie-general")


def _masker(w: int, h: int) -> tuple[object, list[int]]:
    """A crop person masker and a one-item list counting its detector's calls."""
    from backdrop.perception.vision.person_crop import load_crop_person_masker

    masker = load_crop_person_masker(w, h)
    det = masker.crops.detector
    calls = [0]
    inner = det.detect

    def counted(*a: object, **k: object) -> object:
        calls[0] += 1
        return inner(*a, **k)

    det.detect = counted  # type: ignore[method-assign]
    return masker, calls


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        a = cv2.resize(a.astype(np.float32), b.shape[::-1], interpolation=cv2.INTER_LINEAR)
    a, b = a >= 0.5, b >= 0.5
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture(scope="module")
def juggler() -> list[tuple[float, np.ndarray]]:
    return [(t, f) for (t, f), _ in zip(iter_frames(SAMPLE, (640, 360)), range(200), strict=False)]


@pytest.fixture(scope="module")
def continuous(juggler: list[tuple[float, np.ndarray]]) -> list[np.ndarray]:
    """The masks of every frame processed in order (what the export sees)."""
    masker, _ = _masker(640, 360)
    return [masker(f, t).copy() for t, f in juggler]  # type: ignore[operator]


@NEEDS_POSE
def test_a_scrub_is_seeded_without_the_detector_and_the_cadence_still_redetects(
    juggler: list[tuple[float, np.ndarray]], continuous: list[np.ndarray]
) -> None:
    masker, calls = _masker(640, 360)
    crops = masker.crops  # type: ignore[attr-defined]
    for t, f in juggler[:30]:  # the next call is due a periodic (tiled) look
        masker(f, t)  # type: ignore[operator]
    assert crops._since_detect == crops.redetect_every - 1
    before = calls[0]
    t, f = juggler[180]  # a scrub 6 s ahead: the person is where they were
    scrubbed = masker(f, t)  # type: ignore[operator]
    assert calls[0] == before, "a scrub with the person still in view ran the detector"
    assert _iou(scrubbed, continuous[180]) >= 0.9
    # the stream going on from the scrubbed frame is due the periodic look on its next frame
    t, f = juggler[181]
    masker(f, t)  # type: ignore[operator]
    assert calls[0] > before, "the periodic detector never ran after the jump"
    assert crops._since_detect == 0


@NEEDS_POSE
def test_the_processing_stream_after_a_scrub_goes_on_as_if_it_never_left(
    juggler: list[tuple[float, np.ndarray]], continuous: list[np.ndarray]
) -> None:
    masker, _ = _masker(640, 360)
    for t, f in juggler[:20]:
        masker(f, t)  # type: ignore[operator]
    for k in (150, 90):  # two scrubs, far from the stream
        t, f = juggler[k]
        masker(f, t)  # type: ignore[operator]
    runs = masker.crops.runs  # type: ignore[attr-defined]
    for i in range(20, 26):  # the stream goes on where it was
        t, f = juggler[i]
        out = masker(f, t)  # type: ignore[operator]
        assert _iou(out, continuous[i]) >= 0.99, i
        # a frame-to-frame track: the landmark model runs at most once per frame
    assert masker.crops.runs - runs <= 6  # type: ignore[attr-defined]


def _davis() -> list[tuple[int, np.ndarray, np.ndarray]]:
    out = []
    for jpg in sorted(DAVIS.glob("*.jpg")):
        img = cv2.cvtColor(cv2.imread(str(jpg)), cv2.COLOR_BGR2RGB)
        truth = cv2.imread(str(jpg.with_suffix(".png")), cv2.IMREAD_GRAYSCALE) > 127
        out.append((int(jpg.stem), img, truth))
    return out


@NEEDS_POSE
def test_scrubbed_frames_of_a_dancer_are_as_good_as_their_own_full_processing() -> None:
    """Jumps between DAVIS dance-twirl frames 0.5–2.5 s apart, out of order: each scrubbed
    frame's mask is about as close to the truth as the one a fresh masker makes of that frame
    alone (nothing smoothed towards, or carried from, the frame scrubbed from)."""
    frames = _davis()
    assert len(frames) >= 4
    h, w = frames[0][1].shape[:2]
    masker, _ = _masker(w, h)
    order = [len(frames) - 1, 0, *range(len(frames) - 2, 0, -1)]
    for k in order:
        idx, img, truth = frames[k]
        scrubbed = masker(img, idx / 30.0)  # type: ignore[operator]
        fresh, _ = _masker(w, h)
        alone = fresh(img, idx / 30.0)  # type: ignore[operator]
        gt = truth.astype(np.float32)
        assert _iou(scrubbed, gt) >= min(0.75, _iou(alone, gt) - 0.05), idx
        assert _iou(scrubbed, alone) >= 0.8, idx


@NEEDS_POSE
def test_a_scrub_to_where_the_seed_misses_the_person_finds_them_on_that_frame() -> None:
    """The dancer on the left of a wide frame for a while, then a scrub to a frame with her on
    the right: her seeded crop is empty, so she is looked for and masked on that same frame (no
    mask carried from the left, none a frame late)."""
    idx, img, truth = _davis()[0]
    h, w = img.shape[:2]

    def canvas(right: bool) -> tuple[np.ndarray, np.ndarray]:
        frame = np.zeros((h, 2 * w, 3), np.uint8)
        gt = np.zeros((h, 2 * w), np.float32)
        x0 = w if right else 0
        frame[:, x0 : x0 + w], gt[:, x0 : x0 + w] = img, truth
        return frame, gt

    masker, calls = _masker(2 * w, h)
    left, _ = canvas(False)
    for i in range(8):
        masker(left, i / 30.0)  # type: ignore[operator]
    right, gt = canvas(True)
    scrubbed = masker(right, 5.0)  # type: ignore[operator]
    fresh, _ = _masker(2 * w, h)
    alone = fresh(right, 5.0)  # type: ignore[operator]
    assert _iou(alone, gt) >= 0.5  # the mask is 640 wide: the dancer is small in it
    assert _iou(scrubbed, gt) >= _iou(alone, gt) - 0.05
    left_half = cv2.resize(scrubbed, (2 * w, h))[:, :w]
    assert float(left_half.max()) < 0.5, "a mask was carried from the other time"
