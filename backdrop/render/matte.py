"""Real alpha at the subject's boundary: a trimap from the person mask, alpha matting in it.

The preview tier's edge (:func:`backdrop.render.edges.alpha_from_mask`) is a blurred binary
mask snapped to image edges; hair strands come out as a smear. The quality tier instead:

1. builds a **trimap** from the mask at a working resolution: definitely subject, definitely
   background, and an *unknown band* around the mask's edge whose half-width is sized to the
   subject (:data:`BAND_FRACTION` of the square root of the subject's area, so a close-up gets a
   wider band than a small full-body figure);
2. solves **closed-form matting** (Levin et al. 2008, ``pymatting.estimate_alpha_cf``) in the
   crop around the band at a reduced resolution (at most :data:`MATTE_MAX_PIXELS` pixels);
3. **upsamples** the matte to full resolution with a guided filter (the grey frame at full
   resolution is the guide), so strands sharper than the working grid keep their shape.

Conventions: frames ``H×W×3`` uint8 RGB; masks and alphas float32 in [0, 1], 1 = subject.
Pixel sizes in :class:`~backdrop.render.plan.EdgeSettings` are per 720 lines of the frame.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

from backdrop.perception.vision.matting import (  # noqa: F401  (re-exported: the edge's pieces)
    BAND_FRACTION,
    Trimap,
    band_width,
    make_trimap,
    solve_matte,
)
from backdrop.render.plan import EdgeSettings

log = logging.getLogger(__name__)

MATTE_WORK_HEIGHT = 360
"""Rows of the frame-wide working resolution the trimap is built at (never above the frame's)."""

MATTE_MAX_PIXELS = 110_000
"""Most pixels of the crop closed-form matting is solved on (it is scaled down to fit): the
solver's time grows a little faster than linearly with this; 110 k pixels take ~0.15–0.4 s on
one busy core."""

UPSAMPLE_RADIUS = 2
"""Guided-filter radius (in matting pixels) used to upsample the matte."""

UPSAMPLE_EPS = 1e-4
"""Guided-filter regulariser for the upsampling: small, so the matte follows fine structure."""


def _box(img: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(img, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided_upsample(
    alpha: np.ndarray,
    guide_small: np.ndarray,
    guide_full: np.ndarray,
    radius: int = UPSAMPLE_RADIUS,
    eps: float = UPSAMPLE_EPS,
) -> np.ndarray:
    """Upsample ``alpha`` (``h×w``) to the size of ``guide_full`` (``H×W`` grey in [0, 1]).

    The guided filter's linear model ``alpha ≈ a·guide + b`` is fitted at low resolution against
    ``guide_small`` (the same image at ``h×w``), and ``a``, ``b`` are interpolated and applied to
    the full-resolution guide (He & Sun, "Fast Guided Filter", 2015).
    """
    mean_i = _box(guide_small, radius)
    mean_p = _box(alpha, radius)
    cov_ip = _box(guide_small * alpha, radius) - mean_i * mean_p
    var_i = _box(guide_small * guide_small, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    a, b = _box(a, radius), _box(b, radius)
    h, w = guide_full.shape[:2]
    a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(a * guide_full + b, 0.0, 1.0).astype(np.float32)


def _bbox(sel: np.ndarray, margin: int) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(sel)
    if len(ys) == 0:
        return None
    h, w = sel.shape
    return (max(0, int(xs.min()) - margin), max(0, int(ys.min()) - margin),
            min(w, int(xs.max()) + margin + 1), min(h, int(ys.max()) + margin + 1))  # fmt: skip


def matte_alpha(mask: np.ndarray, frame: np.ndarray, edges: EdgeSettings,
                gray: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Full-resolution alpha for ``frame`` by alpha matting in a band around ``mask``'s edge.

    Args:
        mask: ``h×w`` float32 subject probability in [0, 1], any resolution.
        frame: ``H×W×3`` uint8 RGB.
        edges: ``shift`` grows/shrinks the mask before the trimap is made; ``feather`` above
            its default (1.5) adds a Gaussian softening of ``feather − 1.5`` px (per 720 lines).
        gray: optional precomputed ``H×W`` uint8 grey of ``frame``.

    Returns:
        ``H×W`` float32 alpha in [0, 1].
    """
    height, width = frame.shape[:2]
    wh = min(height, MATTE_WORK_HEIGHT)
    ww = max(1, round(width * wh / height))
    scale = wh / 720.0
    m = cv2.resize(mask.astype(np.float32, copy=False), (ww, wh), interpolation=cv2.INTER_LINEAR)
    if edges.shift:
        r = max(1, round(abs(edges.shift) * scale))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        m = cv2.dilate(m, kernel) if edges.shift > 0 else cv2.erode(m, kernel)
    tri = make_trimap(m)
    fg_full = cv2.resize((tri.values == 1.0).astype(np.float32), (width, height),
                         interpolation=cv2.INTER_LINEAR)  # fmt: skip
    alpha = (fg_full > 0.5).astype(np.float32)
    box = _bbox(tri.unknown, tri.band_px)
    if box is None:
        return alpha
    x0, y0, x1, y1 = box
    sx, sy = width / ww, height / wh
    fx0, fy0 = int(math.floor(x0 * sx)), int(math.floor(y0 * sy))
    fx1, fy1 = min(width, int(math.ceil(x1 * sx))), min(height, int(math.ceil(y1 * sy)))
    cw, ch = fx1 - fx0, fy1 - fy0
    k = min(1.0, math.sqrt(MATTE_MAX_PIXELS / max(cw * ch, 1)), wh / height)
    mw, mh = max(2, round(cw * k)), max(2, round(ch * k))
    crop = frame[fy0:fy1, fx0:fx1]
    small = cv2.resize(crop, (mw, mh), interpolation=cv2.INTER_AREA)
    tri_small = cv2.resize(tri.values[y0:y1, x0:x1], (mw, mh), interpolation=cv2.INTER_NEAREST)
    a_small = solve_matte(small.astype(np.float64) / 255.0, tri_small)
    if gray is None:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    g_full = gray[fy0:fy1, fx0:fx1].astype(np.float32) * (1.0 / 255.0)
    g_small = cv2.resize(g_full, (mw, mh), interpolation=cv2.INTER_AREA)
    a_crop = guided_upsample(a_small, g_small, g_full)
    # definite regions stay definite (the upsampling may ring a little near strong edges)
    t_crop = cv2.resize(tri.values[y0:y1, x0:x1].astype(np.float32), (cw, ch),
                        interpolation=cv2.INTER_NEAREST)  # fmt: skip
    a_crop[t_crop == 1.0] = 1.0
    a_crop[t_crop == 0.0] = 0.0
    alpha[fy0:fy1, fx0:fx1] = a_crop
    if edges.feather > 1.5:
        alpha = cv2.GaussianBlur(alpha, (0, 0), (edges.feather - 1.5) * height / 720.0)
    return alpha
