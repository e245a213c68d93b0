"""The preview's guided edge evaluated only in a band around the outline (issue 14).

:func:`~backdrop.render.edges.alpha_from_mask` fills everything outside the band with 0 / 1
and evaluates the guided filter in the band's tiles only; its output must be the whole-frame
evaluation's (:func:`~backdrop.render.edges._guided_alpha_dense`, the code the preview ran
before) within 1/255 everywhere: on real frames of examples/sample.mp4 with the real default
masker's masks, at the video's size and at sizes whose upsampling factor is not a power of two
or not whole, and on synthetic masks (touching the frame's border, empty, full, binary).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.render import edges
from backdrop.render.edges import alpha_from_mask
from backdrop.render.plan import EdgeSettings, EditPlan, KeepRule

from .conftest import needs_weights

TOL = 1.0 / 255.0


@contextmanager
def _whole_frame() -> Iterator[None]:
    """Evaluate the guided edge over the whole frame (the code before the band)."""
    old = edges.BAND_MAX_SHARE
    edges.BAND_MAX_SHARE = -1.0
    try:
        yield
    finally:
        edges.BAND_MAX_SHARE = old


def _both(mask: np.ndarray, frame: np.ndarray, settings: EdgeSettings) -> tuple[np.ndarray, ...]:
    band = alpha_from_mask(mask, frame, settings)
    with _whole_frame():
        whole = alpha_from_mask(mask, frame, settings)
    assert band.dtype == np.float32 and band.shape == frame.shape[:2]
    return band, whole


def _band_share(mask: np.ndarray, frame: np.ndarray) -> float:
    """Share of the frame's tiles the band path evaluates (default settings)."""
    h, w = frame.shape[:2]
    ww, wh = edges._work_size(w, h)
    m = cv2.GaussianBlur(cv2.resize(mask, (ww, wh)), (0, 0), max(0.3, 1.5 * wh / 720))
    tile = 32 * max(2, -(-h // edges.WORK_HEIGHT))
    radius = max(1, round(8.0 * wh / 720))
    _, band = edges._band_tiles(m, radius, edges._axis(h, wh, tile), edges._axis(w, ww, tile))
    return float(band.mean())


@pytest.fixture(scope="module")
def real_frames(sample: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Six frames of the sample over its length with the default masker's masks."""
    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.maskers import build_masker

    info = probe(sample)
    masker = build_masker(info, EditPlan(keep=[KeepRule()]))
    out = []
    for i, (t, frame) in enumerate(iter_frames(sample)):
        mask = masker(frame, t)
        if i % 40 == 5:
            out.append((frame, mask))
    return out


@needs_weights("pose-detection", "pose-landmarks", "selfie-general")
@pytest.mark.parametrize("size", [None, (1920, 1080), (854, 480), (720, 1280)])
def test_band_equals_the_whole_frame_on_real_frames(
    real_frames: list[tuple[np.ndarray, np.ndarray]], size: tuple[int, int] | None
) -> None:
    shares = []
    for frame, mask in real_frames:
        if size is not None:
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        band, whole = _both(mask, frame, EdgeSettings())
        assert np.abs(band - whole).max() <= TOL
        shares.append(_band_share(mask, frame))
        assert 0.02 < (whole > 0.5).mean() < 0.9  # a person is in the frame
    # the band was what got evaluated: well under the whole frame, not nothing
    assert 0.0 < np.median(shares) < min(0.5, edges.BAND_MAX_SHARE)


@needs_weights("pose-detection", "pose-landmarks", "selfie-general")
@pytest.mark.parametrize(
    "settings",
    [
        EdgeSettings(feather=0.0),
        EdgeSettings(shift=6.0, refine_radius=20.0),
        EdgeSettings(shift=-4.0, feather=6.0, refine="matte"),
    ],
)
def test_band_equals_the_whole_frame_with_other_settings(
    real_frames: list[tuple[np.ndarray, np.ndarray]], settings: EdgeSettings
) -> None:
    for frame, mask in real_frames[:3]:
        band, whole = _both(mask, frame, settings)
        assert np.abs(band - whole).max() <= TOL


def _guide() -> np.ndarray:
    """A textured 1280×720 guide: gradients and noise, so the filter's slope is not zero."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:720, 0:1280]
    base = (x * 0.15 + y * 0.2) % 255
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (720, 1280)), (0, 0), 3)
    grey = np.clip(0.6 * base + 0.8 * (noise - 128) + 60, 0, 255).astype(np.uint8)
    return np.dstack([grey, np.roll(grey, 7, 1), np.roll(grey, 11, 0)])


def test_mask_touching_the_border_empty_and_full() -> None:
    frame = _guide()
    mask = np.zeros((144, 256), np.float32)
    cv2.circle(mask, (250, 140), 60, 1.0, -1)  # off the bottom-right corner
    cv2.rectangle(mask, (0, 30), (40, 90), 1.0, -1)  # on the left border
    mask[0:6, 100:180] = 0.6  # a faint strip on the top border
    mask = cv2.GaussianBlur(mask, (0, 0), 2)
    for settings in (EdgeSettings(), EdgeSettings(feather=0.0, shift=3.0)):
        band, whole = _both(mask, frame, settings)
        assert np.abs(band - whole).max() <= TOL
        assert band[700, 1270] == 1.0 and band[360, 640] == 0.0
    assert 0.0 < _band_share(mask, frame) < 0.5

    empty, whole = _both(np.zeros((144, 256), np.float32), frame, EdgeSettings())
    assert not empty.any() and not whole.any()
    full, whole = _both(np.ones((144, 256), np.float32), frame, EdgeSettings())
    assert (full == 1.0).all() and np.abs(whole - 1.0).max() <= TOL


def test_tiny_subject_and_odd_sizes() -> None:
    """A subject of a few pixels, frames whose work size does not divide the frame size."""
    for w, h in ((1000, 562), (1280, 720), (640, 360), (300, 200)):
        frame = cv2.resize(_guide(), (w, h), interpolation=cv2.INTER_AREA)
        mask = np.zeros((90, 160), np.float32)
        mask[40:43, 70:72] = 1.0
        mask[60:90, 0:30] = np.linspace(0, 1, 30, dtype=np.float32)  # a ramp into the corner
        band, whole = _both(mask, frame, EdgeSettings())
        assert np.abs(band - whole).max() <= TOL
        assert band.max() > 0.5


@pytest.mark.parametrize(("w", "h", "t"), [(1000, 562, 5.0), (640, 362, 0.7)])
def test_i420_composite_of_the_band_edge_at_heights_not_a_multiple_of_4(
    w: int, h: int, t: float
) -> None:
    """The compositor blends U and V as two (H/2)×(W/2) planes of the I420 buffer, which do
    not start on a row of it when H/2 is odd: the result still matches the RGB composite."""
    from backdrop.render.compose import Compositor
    from backdrop.render.plan import BackgroundSegment, Fade, GradientBackground

    frame = cv2.resize(_guide(), (w, h), interpolation=cv2.INTER_AREA)
    mask = np.zeros((h // 4, w // 4), np.float32)
    cv2.ellipse(mask, (w // 8, h // 8), (w // 16, h // 6), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 2)
    seg = BackgroundSegment(background=GradientBackground(colors=["#1d4ed8", "#7e22ce"]),
                            fade_in=Fade(duration=2.0))  # fmt: skip
    comp = Compositor(EditPlan(keep=[KeepRule()], backgrounds=[seg]), w, h, 10.0)
    yuv = comp.compose_i420(frame, t, mask).i420
    ref = cv2.cvtColor(comp.compose(frame, t, mask).rgb, cv2.COLOR_RGB2YUV_I420)
    assert yuv.shape == ref.shape
    assert np.abs(yuv[:h].astype(int) - ref[:h]).max() <= 2  # luma: rounding only
    d = np.abs(yuv[h:].astype(int) - ref[h:])
    assert d.mean() < 0.3 and (d > 4).mean() < 0.01  # chroma: only the outline differs
