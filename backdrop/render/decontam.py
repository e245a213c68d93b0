"""Foreground colour decontamination and chroma despill at the subject's edge.

Where the alpha is fractional, a pixel mixes the subject and the *old* background:
``I = α·F + (1 − α)·B``. Compositing ``α·I + (1 − α)·B'`` therefore drags a fraction of the old
background into the new one — a green fringe on a green screen, a halo of the old room
elsewhere. :func:`estimate_foreground` recovers ``F``:

1. on the whole frame at a reduced resolution (the background colour varies slowly; a fixed
   grid, so the result does not depend on where the band is), pymatting's multilevel
   foreground estimation (Germer et al. 2020, ``estimate_foreground_ml``) gives
   low-resolution ``F`` and ``B``;
2. at full resolution ``F = (I − (1 − α)·B↑) / α`` where the alpha is large enough for that to
   be stable, blending to the upsampled low-resolution ``F↑`` where it is not.

:func:`despill` then removes what a chroma screen reflects onto the subject (green or blue
light on hair and shoulders); :func:`detect_screen` tells a green or blue screen from the
colour of the pixels the alpha calls background.

Conventions: frames ``H×W×3`` uint8 RGB; alpha ``H×W`` float32 in [0, 1], 1 = subject.
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
import numpy as np

from backdrop.perception.vision.matting import pymatting_threads

Screen = Literal["green", "blue"]

DECONTAM_WORK_HEIGHT = 180
"""Rows of the frame at which F and B are estimated (B is smooth; 180 lines suffice)."""

DECONTAM_MAX_PIXELS = 60_000
"""Most pixels the multilevel estimation runs on (the frame is scaled down to fit)."""

STABLE_ALPHA = (0.15, 0.5)
"""Below the first value the upsampled low-resolution F is used, above the second the exact
full-resolution F; linear in between (dividing by a small alpha amplifies noise)."""

SCREEN_MIN_EXCESS = 32
"""A background is a chroma screen when its median pixel's green (blue) exceeds both other
channels by at least this (0–255), and at least :data:`SCREEN_MIN_SHARE` of its pixels do by half
that. Measured: the green-screen talking head (LivePortrait ``d0.mp4``) 48; the foliage behind
pymatting's lemur 27 (and only 69 % of it above 16), which must not count as a screen."""

SCREEN_MIN_SHARE = 0.8
"""Share of background pixels that must look like the screen colour (see above)."""


BAND_LO, BAND_HI = 0.004, 0.996
"""Alpha strictly between these is fractional: the edge band decontamination works in."""


def edge_band(alpha: np.ndarray, lo: float = BAND_LO, hi: float = BAND_HI) -> np.ndarray:
    """``H×W`` bool: where the alpha is fractional (neither clearly subject nor background)."""
    return (alpha > lo) & (alpha < hi)


def estimate_foreground(frame: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The subject's own colour ``F`` (``H×W×3`` uint8): ``frame`` outside the edge band.

    Args:
        frame: ``H×W×3`` uint8 RGB, the observed image ``I``.
        alpha: ``H×W`` float32 in [0, 1].
    """
    height, width = frame.shape[:2]
    # the band lies inside the box of alpha > its low end: found there (same pixels, same order)
    bx, by, bw, bh = cv2.boundingRect(cv2.compare(alpha, BAND_LO, cv2.CMP_GT))
    band = edge_band(alpha[by : by + bh, bx : bx + bw])
    if not band.any():
        return frame
    # a fixed grid over the whole frame: the estimate does not depend on where the band is
    k = min(1.0, DECONTAM_WORK_HEIGHT / height, math.sqrt(DECONTAM_MAX_PIXELS / (width * height)))
    mw, mh = max(2, round(width * k)), max(2, round(height * k))
    from pymatting import estimate_foreground_ml

    # float32 as pymatting's kernel takes them (u8 / 255 in float32 is float64's, rounded)
    small = cv2.resize(frame, (mw, mh), interpolation=cv2.INTER_AREA).astype(np.float32)
    small /= np.float32(255.0)
    a_small = cv2.resize(alpha, (mw, mh), interpolation=cv2.INTER_AREA)
    with pymatting_threads():
        f_small, b_small = estimate_foreground_ml(small, a_small, return_background=True)
    # bilinear samples of the low-resolution F and B at the band's pixels only
    ys, xs = np.nonzero(band)
    ys += by
    xs += bx
    mx = ((xs + 0.5) * (mw / width) - 0.5).astype(np.float32)
    my = ((ys + 0.5) * (mh / height) - 0.5).astype(np.float32)

    n, cols = len(xs), 1024  # remap wants maps under 32767 rows: fold the list into rows
    rows = -(-n // cols)
    mx = np.resize(mx, (rows, cols))
    my = np.resize(my, (rows, cols))

    def sample(img: np.ndarray) -> np.ndarray:
        out = cv2.remap(img.astype(np.float32), mx, my, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        return out.reshape(-1, 3)[:n]

    f_up, b_up = sample(f_small), sample(b_small)
    flat = ys * width + xs  # flat indices: one gather (scatter) per array, not a 2-D one
    img = frame.reshape(-1, 3).take(flat, axis=0).astype(np.float32) * (1.0 / 255.0)
    a = alpha.reshape(-1).take(flat)[:, None]
    lo, hi = STABLE_ALPHA
    f_hi = (img - (1.0 - a) * b_up) / np.maximum(a, lo)
    w = np.clip((a - lo) / (hi - lo), 0.0, 1.0)
    f = np.clip(w * f_hi + (1.0 - w) * f_up, 0.0, 1.0)
    out = frame.copy()
    out.reshape(-1, 3)[flat] = (f * 255.0 + 0.5).astype(np.uint8)
    return out


def detect_screen(frame: np.ndarray, alpha: np.ndarray, step: int = 4) -> Screen | None:
    """``"green"`` or ``"blue"`` when the background (alpha < 0.02) is a chroma screen, else None.

    Looks at every ``step``-th pixel; see :data:`SCREEN_MIN_EXCESS` and :data:`SCREEN_MIN_SHARE`.
    """
    sel = alpha[::step, ::step] < 0.02
    n = np.count_nonzero(sel)
    if n < 64:
        return None
    # counted over the sampled grid with the background as a mask, not gathered first (a
    # boolean gather of N×3 pixels cost 2/3 of the call): the same pixels, the same decision
    f = frame[::step, ::step].astype(np.int16)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    for name, ch, o1, o2 in (("green", g, r, b), ("blue", b, r, g)):
        excess = ch - np.maximum(o1, o2)
        # the share first: it fails on most backgrounds, and the median (a partition) is dearer
        share = np.count_nonzero((excess >= SCREEN_MIN_EXCESS // 2) & sel) / n
        if share >= SCREEN_MIN_SHARE and np.median(excess[sel]) >= SCREEN_MIN_EXCESS:
            return name  # type: ignore[return-value]
    return None


def despill(fg: np.ndarray, alpha: np.ndarray, screen: Screen) -> np.ndarray:
    """Remove the screen colour's spill from the subject.

    The spilled channel (G for green, B for blue) is limited to the mean of the other two
    (the "average" limiter of keying software): skin, hair and greys, whose G (B) is already
    below that mean, are left as they are; a green cast is taken out. It is applied to the
    whole frame (a few ms): where ``alpha`` is 0 the colour is never seen.

    Args:
        fg: ``H×W×3`` uint8 RGB foreground colour.
        alpha: ``H×W`` float32 (kept for the signature; see above).
        screen: which screen colour to take out.

    Returns:
        A despilled copy of ``fg``.
    """
    ch, o1, o2 = (1, 0, 2) if screen == "green" else (2, 0, 1)
    planes = list(cv2.split(fg))
    limit = cv2.addWeighted(planes[o1], 0.5, planes[o2], 0.5, 0.0)
    planes[ch] = cv2.min(planes[ch], limit)
    return cv2.merge(planes)


def green_excess(rgb: np.ndarray, sel: np.ndarray) -> float:
    """Mean ``max(0, G − (R + B)/2)`` (0–255) over the pixels ``sel`` of ``rgb`` (uint8 RGB)."""
    px = rgb[sel].astype(np.float32)
    if len(px) == 0:
        return 0.0
    return float(np.maximum(px[:, 1] - (px[:, 0] + px[:, 2]) / 2.0, 0.0).mean())
