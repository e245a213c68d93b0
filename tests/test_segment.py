"""Preview-tier person segmentation: quality on real frames, speed, and temporal smoothing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.perception.core.models import ModelMissingError
from backdrop.perception.vision.segment import (
    MaskSmoother,
    PersonMasker,
    SelfieSegmenter,
    choose_variant,
    frame_thumbnail,
    load_person_segmenter,
)

DAVIS = Path(__file__).parent / "data" / "davis"
FRAMES = ["00000", "00015", "00030", "00045", "00060", "00075"]

# Floors for the whole-frame selfie model on DAVIS dance-twirl (a small full-body dancer; the
# model expects a person filling the frame). Measured: mean IoU ≈ 0.65, recall ≈ 0.80,
# background coverage ≈ 0.98. All-zero, all-one, random and inverted masks each fail them.
MEAN_IOU_FLOOR = 0.50
MIN_IOU_FLOOR = 0.35
MEAN_RECALL_FLOOR = 0.65
MEAN_COVERAGE_FLOOR = 0.92


def _segmenter(width: int, height: int) -> SelfieSegmenter:
    try:
        return load_person_segmenter(width, height)
    except ModelMissingError as e:
        pytest.skip(f"needs the embedded selfie model: {e}")


@pytest.fixture(scope="module")
def davis() -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    for name in FRAMES:
        bgr = cv2.imread(str(DAVIS / f"{name}.jpg"), cv2.IMREAD_COLOR)
        gt = cv2.imread(str(DAVIS / f"{name}.png"), cv2.IMREAD_GRAYSCALE)
        assert bgr is not None and gt is not None, name
        out.append((name, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), gt > 127))
    return out


def _scores(mask: np.ndarray, gt: np.ndarray) -> tuple[float, float, float]:
    """IoU, person recall and background coverage of ``mask`` (any size) against ``gt``."""
    h, w = gt.shape
    full = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    person = full > 0.5
    iou = float((person & gt).sum() / max(1, (person | gt).sum()))
    recall = float(person[gt].mean())
    coverage = float((~person[~gt]).mean())
    return iou, recall, coverage


def _passes_floors(scores: np.ndarray) -> bool:
    return bool(
        scores[:, 0].mean() >= MEAN_IOU_FLOOR
        and scores[:, 0].min() >= MIN_IOU_FLOOR
        and scores[:, 1].mean() >= MEAN_RECALL_FLOOR
        and scores[:, 2].mean() >= MEAN_COVERAGE_FLOOR
    )


@pytest.mark.parametrize(
    ("size", "variant"),
    [
        ((1280, 720), "landscape"),
        ((854, 480), "landscape"),
        ((640, 480), "landscape"),
        ((1000, 900), "general"),
        ((720, 720), "general"),
        ((720, 1280), "general"),
    ],
)
def test_variant_follows_aspect(size: tuple[int, int], variant: str) -> None:
    assert choose_variant(*size) == variant


def test_loader_picks_model_by_aspect() -> None:
    assert _segmenter(1280, 720).input_size == (256, 144)
    assert _segmenter(720, 1280).input_size == (256, 256)
    assert _segmenter(720, 720).input_size == (256, 256)


def test_person_segmentation_quality_on_davis(davis) -> None:
    seg = _segmenter(854, 480)
    scores = []
    for name, frame, gt in davis:
        mask = seg.predict(frame)
        assert mask.shape == (144, 256) and mask.dtype == np.float32
        assert mask.min() >= 0.0 and mask.max() <= 1.0
        s = _scores(mask, gt)
        print(f"{name}: IoU {s[0]:.3f}  recall {s[1]:.3f}  background coverage {s[2]:.3f}")
        scores.append(s)
    arr = np.array(scores)
    mean = arr.mean(axis=0)
    print(f"mean: IoU {mean[0]:.3f}  recall {mean[1]:.3f}  background coverage {mean[2]:.3f}")
    assert _passes_floors(arr), arr

    # The floors mean something: broken segmenters fail them on the same frames.
    rng = np.random.default_rng(0)
    broken = {
        "zeros": lambda m, gt: np.zeros_like(m),
        "ones": lambda m, gt: np.ones_like(m),
        "random": lambda m, gt: rng.random(m.shape, dtype=np.float32),
        "inverted": lambda m, gt: 1.0 - m,
    }
    for label, make in broken.items():
        bad = []
        for _, frame, gt in davis:
            m = seg.predict(frame)
            bad.append(_scores(make(m, gt), gt))
        assert not _passes_floors(np.array(bad)), label


def test_predict_rejects_wrong_input() -> None:
    seg = _segmenter(1280, 720)
    with pytest.raises(ValueError, match="uint8"):
        seg.predict(np.zeros((720, 1280, 3), np.float32))
    with pytest.raises(ValueError, match="H×W×3"):
        seg.predict(np.zeros((720, 1280), np.uint8))


def test_person_masker_on_a_stream(davis) -> None:
    masker = PersonMasker(_segmenter(854, 480))
    assert masker.mask_size == (256, 144)
    frame, gt = davis[0][1], davis[0][2]
    masks = [masker(frame) for _ in range(3)]
    assert all(m.shape == (144, 256) and m.dtype == np.float32 for m in masks)
    np.testing.assert_allclose(masks[1], masks[0], atol=1e-5)  # static input stays put
    assert _scores(masks[-1], gt)[0] > MIN_IOU_FLOOR
    # A different shot resets the smoother: the output is that shot's own mask.
    other = 255 - davis[3][1]
    raw = masker.segmenter.predict(other)
    np.testing.assert_allclose(masker(other), raw, atol=1e-6)
    masker.reset()
    assert masker.smoother.state.mask is None


# -- temporal smoothing (synthetic masks, no model needed) -------------------------------------


def _disc(cx: float, cy: float = 72, r: float = 30, soft: float = 2.0) -> np.ndarray:
    """A 144×256 soft-edged disc mask: 1 inside, 0 outside, ``soft`` px ramp."""
    yy, xx = np.mgrid[0:144, 0:256].astype(np.float32)
    dist = np.hypot(xx - cx, yy - cy)
    return np.clip((r - dist) / soft + 0.5, 0.0, 1.0).astype(np.float32)


def _mean_change(masks: list[np.ndarray]) -> float:
    return float(np.mean([np.abs(b - a).mean() for a, b in zip(masks, masks[1:], strict=False)]))


def test_smoother_cuts_flicker() -> None:
    rng = np.random.default_rng(1)
    truth = _disc(128) * 0.9 + 0.05
    noisy = [
        np.clip(truth + rng.normal(0, 0.06, truth.shape), 0, 1).astype(np.float32)
        for _ in range(60)
    ]
    sm = MaskSmoother()
    out = [sm.smooth(m) for m in noisy]
    raw_change, smooth_change = _mean_change(noisy[10:]), _mean_change(out[10:])
    print(f"mean frame-to-frame change: raw {raw_change:.4f}, smoothed {smooth_change:.4f}")
    assert smooth_change < raw_change / 3
    assert np.abs(out[-1] - truth).mean() < np.abs(noisy[-1] - truth).mean() / 2


def test_smoother_follows_a_jump_at_once() -> None:
    rng = np.random.default_rng(2)
    sm = MaskSmoother()
    for _ in range(20):
        sm.smooth(np.clip(_disc(60) + rng.normal(0, 0.05, (144, 256)), 0, 1).astype(np.float32))
    moved = _disc(190)
    old_core, new_core = _disc(60, r=28) > 0.99, _disc(190, r=28) > 0.99
    for n in (1, 2):
        raw = np.clip(moved + rng.normal(0, 0.05, moved.shape), 0, 1).astype(np.float32)
        out = sm.smooth(raw)
        assert out[new_core].min() > 0.5, n  # the person is there on the first frame
        assert out[old_core].max() < 0.5, n  # and gone from where it was
        agree = ((out > 0.5) & (raw > 0.5)).sum() / ((out > 0.5) | (raw > 0.5)).sum()
        assert agree > 0.95, (n, agree)
    iou = ((out > 0.5) & (moved > 0.5)).sum() / ((out > 0.5) | (moved > 0.5)).sum()
    assert iou > 0.97, iou


def test_smoother_keeps_up_with_steady_motion() -> None:
    sm = MaskSmoother()
    for i in range(40):
        raw = _disc(40 + 4 * i)  # 4 px per frame at mask resolution
        out = sm.smooth(raw)
        iou = ((out > 0.5) & (raw > 0.5)).sum() / ((out > 0.5) | (raw > 0.5)).sum()
        assert iou > 0.95, (i, iou)


def test_smoother_resets_on_wholesale_frame_change() -> None:
    sm = MaskSmoother()
    dark = np.full((18, 32), 0.1, np.float32)
    bright = np.full((18, 32), 0.8, np.float32)
    sm.smooth(np.full((144, 256), 0.2, np.float32), dark)
    sm.smooth(np.full((144, 256), 0.2, np.float32), dark)
    same_shot = sm.smooth(np.full((144, 256), 0.3, np.float32), dark)
    assert 0.2 < same_shot.mean() < 0.29  # small change: smoothed
    new_shot = sm.smooth(np.full((144, 256), 0.3, np.float32), bright)
    np.testing.assert_allclose(new_shot, 0.3)  # cut: taken as it is


def test_smoother_state_is_explicit() -> None:
    sm = MaskSmoother()
    sm.smooth(_disc(100))
    saved = sm.state.copy()
    a = sm.smooth(_disc(100) * 0.9)
    sm.state = saved
    b = sm.smooth(_disc(100) * 0.9)
    np.testing.assert_array_equal(a, b)
    sm.reset()
    np.testing.assert_array_equal(sm.smooth(_disc(50)), _disc(50))


def test_frame_thumbnail_shape_and_range() -> None:
    frame = np.full((720, 1280, 3), 255, np.uint8)
    thumb = frame_thumbnail(frame)
    assert thumb.shape == (18, 32) and thumb.dtype == np.float32
    np.testing.assert_allclose(thumb, 1.0)
