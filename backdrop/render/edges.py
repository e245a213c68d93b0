"""From a low-resolution person mask to a full-resolution alpha matte.

The segmenter's mask is small (e.g. 256×144). :func:`alpha_from_mask` shifts it (grow/shrink),
feathers it, and snaps its edge to the image with a *fast guided filter* (He & Sun 2015): the
filter's linear coefficients are solved at a working resolution and applied to the full-resolution
grey image, so hair and shoulder edges follow the picture rather than the blocky mask. All sizes
in :class:`~backdrop.render.plan.EdgeSettings` are pixels of a 720-line frame and are scaled by the
frame's height.

Two settings share the plan's edge settings:

* **preview** (:func:`alpha_from_mask`): the guided filter only, evaluated in the tiles around
  the outline (elsewhere its output is exactly 0 or 1 and is filled in); a few ms per frame,
  what the live preview and scrubbing use, unchanged by the options below;
* **quality** (:func:`quality_edges`): exports and the refine worker. ``refine="matte"`` solves
  alpha matting in a band around the edge (:mod:`backdrop.render.matte`); then the subject's own
  colour is estimated where the alpha is fractional and a green/blue screen's spill is taken out
  (:mod:`backdrop.render.decontam`), so no old-background colour reaches the new background.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from backdrop.render.plan import EdgeSettings

WORK_HEIGHT = 360
"""Rows of the working resolution the guided filter is solved at (never above the frame's)."""

GUIDED_EPS = 2e-3
"""Guided-filter regulariser on [0, 1] grey values: larger = smoother, less edge-following."""

MATTE_LOW, MATTE_HIGH = 0.2, 0.8
"""After refinement, alpha below LOW becomes 0 and above HIGH becomes 1 (smoothstep between):
the guided filter leaks faint alpha into textured background (grass, foliage) and leaves the
subject's interior slightly translucent. On DAVIS dance-twirl this cut the mean alpha error in
a 15 px band around the true edge from 0.338 to 0.296."""

_x = np.clip(
    (np.arange(256, dtype=np.float32) / 255.0 - MATTE_LOW) / (MATTE_HIGH - MATTE_LOW), 0, 1
)
_MATTE_LUT = (_x * _x * (3.0 - 2.0 * _x)).astype(np.float32)
_GRAY_LUT = np.arange(256, dtype=np.uint8).astype(np.float32) * (1.0 / 255.0)
"""uint8 grey → float32 in [0, 1] in one pass, bit for bit ``gray.astype(float32) / 255``'s
form used by the whole-frame evaluation (``astype(float32) * (1.0 / 255.0)``)."""


def _box(img: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(img, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided_coefficients(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float = GUIDED_EPS
) -> tuple[np.ndarray, np.ndarray]:
    """Linear coefficients ``(a, b)`` with ``src ≈ a·guide + b`` in each window (float32, same
    shape as the inputs). ``guide`` and ``src`` are float32 in [0, 1]; ``radius`` in pixels."""
    # cv2's element-wise float32 operations and in-place updates instead of numpy temporaries:
    # the same IEEE operations in the same order (bit for bit), about half the CPU
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    cov_ip = _box(cv2.multiply(guide, src), radius)
    var_i = _box(cv2.multiply(guide, guide), radius)
    var_i -= cv2.multiply(mean_i, mean_i)  # corr_ii − mean_i²
    cov_ip -= cv2.multiply(mean_i, mean_p)  # corr_ip − mean_i·mean_p
    var_i += np.float32(eps)
    a = cv2.divide(cov_ip, var_i)
    b = cv2.multiply(a, mean_i)
    np.subtract(mean_p, b, out=b)
    return _box(a, radius), _box(b, radius)


def _work_size(width: int, height: int) -> tuple[int, int]:
    wh = min(height, WORK_HEIGHT)
    return max(1, round(width * wh / height)), wh


def alpha_from_mask(
    mask: np.ndarray, frame: np.ndarray, edges: EdgeSettings, gray: np.ndarray | None = None
) -> np.ndarray:
    """Full-resolution alpha for ``frame``.

    The guided edge (``refine="guided"``, and ``"matte"``, which previews as guided) is
    evaluated only in tiles that touch the band around the subject's outline; elsewhere its
    output is exactly 0 or 1 after the matte curve and is filled in directly
    (:func:`_guided_alpha`; the same values as evaluating the whole frame).

    Args:
        mask: ``h×w`` float32 person probability in [0, 1], any resolution.
        frame: ``H×W×3`` uint8 RGB; the guide.
        edges: shift / feather / refine settings (pixels per 720 lines).
        gray: optional precomputed ``H×W`` uint8 grey of ``frame``.

    Returns:
        ``H×W`` float32 alpha in [0, 1] (1 = subject).
    """
    height, width = frame.shape[:2]
    ww, wh = _work_size(width, height)
    scale = wh / 720.0  # settings are per 720 lines; the work image has wh lines
    m = cv2.resize(mask.astype(np.float32, copy=False), (ww, wh), interpolation=cv2.INTER_LINEAR)
    if edges.shift:
        r = max(1, round(abs(edges.shift) * scale))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        m = cv2.dilate(m, kernel) if edges.shift > 0 else cv2.erode(m, kernel)
    if edges.feather > 0:
        sigma = max(0.3, edges.feather * scale)
        m = cv2.GaussianBlur(m, (0, 0), sigma)
    if edges.refine in ("guided", "matte"):  # matting is the quality settings' ("matte" → guided)
        if gray is None:
            gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        radius = max(1, round(edges.refine_radius * scale))
        return _guided_alpha(m, gray, radius)
    alpha = cv2.resize(m, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(alpha, 0.0, 1.0, out=alpha)


def _guided_alpha_dense(m: np.ndarray, gray: np.ndarray, radius: int) -> np.ndarray:
    """The guided edge evaluated over the whole frame: ``m`` is the ``wh×ww`` float32 mask at
    the work resolution, ``gray`` the ``H×W`` uint8 guide, ``radius`` in work pixels; returns
    ``H×W`` float32 alpha after the matte curve."""
    height, width = gray.shape
    wh, ww = m.shape
    g_full = gray.astype(np.float32) * (1.0 / 255.0)
    g_work = cv2.resize(g_full, (ww, wh), interpolation=cv2.INTER_AREA)
    a, b = guided_coefficients(g_work, m, radius)
    a = cv2.resize(a, (width, height), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(b, (width, height), interpolation=cv2.INTER_LINEAR)
    alpha = cv2.add(cv2.multiply(a, g_full), b)
    return cv2.LUT(cv2.convertScaleAbs(alpha, alpha=255.0), _MATTE_LUT)


BAND_EPS = 0.01
"""Where every mask value that reaches a pixel's guided output (those within 2·radius work
pixels) lies within ``BAND_EPS`` of 0 (or of 1), the output is exactly 0 (or 1) after the matte
curve. Why: with the window's mask values in an interval of width 2e, its slope is
``|a| = |cov(I, p)| / (var(I) + GUIDED_EPS) ≤ σ_I·e / (σ_I² + GUIDED_EPS) ≤ e / (2·√GUIDED_EPS)``
≈ 11.2e, so ``a·I + b`` (a mean of ``a_k·(I − mean_I,k) + mean_p,k`` with I in [0, 1]) is within
12.2e of 0 (or 1): ±0.13 for e = 0.01, which rounds to 8 bits below ``255·MATTE_LOW`` (or at or
above ``255·MATTE_HIGH``)."""

BAND_TILE = 64
"""Side of the square tiles the band is evaluated in: full-resolution pixels up to 720 lines,
scaled with the height above."""

BAND_MAX_SHARE = 0.7
"""Above this share of the frame's tiles in the band, the whole frame is evaluated at once."""


@dataclass(frozen=True)
class _Axis:
    """One image axis cut into tiles for the band: ``full`` pixels at full resolution,
    ``work`` at the work resolution. Tile k covers full pixels ``[starts[k], starts[k+1])``;
    its *segment* is work pixels ``[segs[k], segs[k+1])`` (a partition of the work axis), and
    the work pixels its full pixels are interpolated from lie within 2 of that segment."""

    full: int
    work: int
    starts: np.ndarray
    segs: np.ndarray

    @property
    def factor(self) -> int:
        """The whole upsampling factor ``full / work``, or 0 when it is not whole."""
        return self.full // self.work if self.full % self.work == 0 else 0

    def tile(self, k0: int, k1: int) -> tuple[int, int]:
        """Full-resolution pixels ``[start, end)`` of tiles ``k0 … k1 − 1``."""
        return int(self.starts[k0]), int(self.starts[k1]) if k1 < len(self.starts) else self.full

    def seg(self, k0: int, k1: int) -> tuple[int, int]:
        """Work pixels ``[start, end)`` of the segments of tiles ``k0 … k1 − 1``."""
        return int(self.segs[k0]), int(self.segs[k1]) if k1 < len(self.segs) else self.work


@functools.lru_cache(maxsize=16)
def _axis(full: int, work: int, tile: int) -> _Axis:
    starts = np.arange(0, full, tile)
    return _Axis(full, work, starts, (starts * work) // full)


def _band_tiles(m: np.ndarray, radius: int, ya: _Axis, xa: _Axis) -> tuple[np.ndarray, np.ndarray]:
    """``(fill, band)``: ``band`` is the ``rows×cols`` bool tile map, True where a tile's
    output is not certainly 0 or 1; ``fill`` (``wh×ww`` float32) is 1 where ``m`` is within
    ``BAND_EPS`` of 1, else 0: outside the band, a full-resolution pixel's value at its nearest
    work pixel.

    A tile is outside the band when every work pixel of its segment has only values near 0
    (or only near 1) within 2·radius + 2: its full pixels are interpolated from work pixels
    within 2 of the segment, whose filter windows (2·radius) lie inside those."""
    side = 2 * (2 * radius + 2) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    near1 = cv2.inRange(m, 1.0 - BAND_EPS, 1.0 + BAND_EPS)
    sure = cv2.max(cv2.erode(cv2.inRange(m, -BAND_EPS, BAND_EPS), kernel), cv2.erode(near1, kernel))
    # any unsure pixel in a tile's segment: the max over the longest segment from its start
    # (reaching past a short segment only widens the band, never wrongly narrows it)
    reach = [int(np.diff(a.segs, append=a.work).max()) for a in (ya, xa)]
    unsure = cv2.dilate(cv2.bitwise_not(sure), np.ones(reach, np.uint8), anchor=(0, 0))
    return (near1 > 0).astype(np.float32), unsure[np.ix_(ya.segs, xa.segs)] > 0


def _guided_alpha(m: np.ndarray, gray: np.ndarray, radius: int) -> np.ndarray:
    """:func:`_guided_alpha_dense`'s alpha, evaluated only in the tiles that touch the band
    (:func:`_band_tiles`) and filled with 0 / 1 elsewhere.

    The coefficients are solved in the band's bounding box with 2·radius of context (the box
    filters sum in double precision, so they match the whole frame's), grey and coefficients are
    cut at whole multiples of the upsampling factor, and each rectangle of band tiles is
    upsampled from a crop with a margin (whole factors, where the interpolation weights repeat
    every factor pixels) or cut from the whole frame's upsampling (other factors)."""
    height, width = gray.shape
    wh, ww = m.shape
    tile = BAND_TILE // 2 * max(2, -(-height // WORK_HEIGHT))
    ya, xa = _axis(height, wh, tile), _axis(width, ww, tile)
    fill, band = _band_tiles(m, radius, ya, xa)
    if band.mean() > BAND_MAX_SHARE:
        return _guided_alpha_dense(m, gray, radius)
    out = cv2.resize(fill, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
    if not band.any():
        return out
    rows, cols = np.flatnonzero(band.any(1)), np.flatnonzero(band.any(0))
    by = _around(ya, *ya.seg(rows[0], rows[-1] + 1), 2 + 2 * radius)
    bx = _around(xa, *xa.seg(cols[0], cols[-1] + 1), 2 + 2 * radius)
    up = _Upsampler(gray, m, radius, (*by, *bx), ya, xa)
    for i0, i1, j0, j1 in _rects(band):
        y0, y1 = ya.tile(i0, i1)
        x0, x1 = xa.tile(j0, j1)
        a, b = up(y0, y1, x0, x1)
        g = cv2.LUT(gray[y0:y1, x0:x1], _GRAY_LUT)
        alpha = cv2.add(cv2.multiply(a, g), b)
        out[y0:y1, x0:x1] = cv2.LUT(cv2.convertScaleAbs(alpha, alpha=255.0), _MATTE_LUT)
    return out


def _around(axis: _Axis, lo: int, hi: int, margin: int) -> tuple[int, int]:
    """Work pixels ``[lo − margin, hi + margin)`` on ``axis``, clipped; the whole axis when its
    factor is not whole (the grey's area resize of a crop would not match the frame's)."""
    if axis.factor == 0:
        return 0, axis.work
    return max(0, lo - margin), min(axis.work, hi + margin)


class _Upsampler:
    """The guided coefficients ``a``, ``b`` solved in the work box ``(y0, y1, x0, x1)``
    (half-open; exact from 2·radius inside its sides, or at the image's own), upsampled to
    full-resolution rectangles."""

    def __init__(
        self, gray: np.ndarray, m: np.ndarray, radius: int, box: tuple[int, int, int, int],
        ya: _Axis, xa: _Axis,
    ) -> None:  # fmt: skip
        y0, y1, x0, x1 = box
        if ya.factor and xa.factor:
            fy, fx = ya.factor, xa.factor
            g = cv2.LUT(gray[y0 * fy : y1 * fy, x0 * fx : x1 * fx], _GRAY_LUT)
            g_work = cv2.resize(g, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        else:
            g = cv2.LUT(gray, _GRAY_LUT)
            g_work = cv2.resize(g, (xa.work, ya.work), interpolation=cv2.INTER_AREA)[y0:y1, x0:x1]
        self.a, self.b = guided_coefficients(g_work, m[y0:y1, x0:x1], radius)
        self.origin, self.ya, self.xa = (y0, x0), ya, xa
        # whole factors (2 at 720p, 3 at 1080p, 6 at 4K): a crop cut at a multiple of the
        # factor has the whole frame's interpolation weights (they repeat every factor pixels)
        self.crops = all(f > 0 for f in (ya.factor, xa.factor))
        if not self.crops:  # weights depend on the position: upsample the whole frame once
            self.a, self.b = (self._whole(c) for c in (self.a, self.b))
            self.origin = (0, 0)

    def _whole(self, c: np.ndarray) -> np.ndarray:
        (y0, x0), (h, w) = self.origin, c.shape
        frame = np.zeros((self.ya.work, self.xa.work), np.float32)
        frame[y0 : y0 + h, x0 : x0 + w] = c
        return cv2.resize(frame, (self.xa.full, self.ya.full), interpolation=cv2.INTER_LINEAR)

    def __call__(self, y0: int, y1: int, x0: int, x1: int) -> tuple[np.ndarray, np.ndarray]:
        """``a`` and ``b`` at full-resolution rows ``[y0, y1)`` × columns ``[x0, x1)``."""
        if not self.crops:
            return self.a[y0:y1, x0:x1], self.b[y0:y1, x0:x1]
        fy, fx = self.ya.factor, self.xa.factor
        # work pixels around the rectangle, one beyond (the interpolation's neighbours)
        cy0, cy1 = max(0, y0 // fy - 1), min(self.ya.work, -(-y1 // fy) + 1)
        cx0, cx1 = max(0, x0 // fx - 1), min(self.xa.work, -(-x1 // fx) + 1)
        oy, ox = self.origin
        size = ((cx1 - cx0) * fx, (cy1 - cy0) * fy)
        cut = (slice(y0 - cy0 * fy, y1 - cy0 * fy), slice(x0 - cx0 * fx, x1 - cx0 * fx))
        return tuple(  # type: ignore[return-value]
            cv2.resize(
                c[cy0 - oy : cy1 - oy, cx0 - ox : cx1 - ox], size, interpolation=cv2.INTER_LINEAR
            )[cut]
            for c in (self.a, self.b)
        )


def _rects(band: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Tile rectangles ``(i0, i1, j0, j1)`` (half-open rows, columns) covering ``band``'s
    True tiles: the runs of each tile row, gaps of one tile bridged, stacked where consecutive
    rows have the same run."""
    rows, cols = band.shape
    padded = np.zeros((rows, cols + 2), np.int8)
    padded[:, 1:-1] = band
    padded[:, 2:-2] |= padded[:, 1:-3] & padded[:, 3:-1]  # bridge gaps of one tile
    step = np.diff(padded, axis=1)
    si, sj = np.nonzero(step == 1)
    _, ej = np.nonzero(step == -1)  # row-major: each row's starts and ends pair up in order
    by_row: dict[int, list[tuple[int, int]]] = {}
    for i, j0, j1 in zip(si.tolist(), sj.tolist(), ej.tolist(), strict=True):
        by_row.setdefault(i, []).append((j0, j1))
    out: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # run → its first row
    for i in range(rows + 1):
        now = {r: open_runs.pop(r, i) for r in by_row.get(i, ())}
        out.extend((i0, i, j0, j1) for (j0, j1), i0 in open_runs.items())
        open_runs = now
    return out


@dataclass(frozen=True)
class EdgeResult:
    """The subject's edge in the quality settings.

    Attributes:
        alpha: ``H×W`` float32 in [0, 1], 1 = subject.
        fg: ``H×W×3`` uint8 RGB: the subject's colour (decontaminated and despilled where the
            settings ask for it; the frame itself elsewhere).
        screen: ``"green"`` / ``"blue"`` when a screen's spill was taken out, else None.
    """

    alpha: np.ndarray
    fg: np.ndarray
    screen: str | None = None


def quality_edges(
    mask: np.ndarray, frame: np.ndarray, edges: EdgeSettings, gray: np.ndarray | None = None
) -> EdgeResult:
    """The subject's alpha and colour in the quality settings (see the module docstring).

    Args:
        mask: ``h×w`` float32 subject probability in [0, 1], any resolution.
        frame: ``H×W×3`` uint8 RGB.
        edges: the plan's edge settings (``refine``, ``decontaminate``, ``despill``, ...).
        gray: optional precomputed ``H×W`` uint8 grey of ``frame``.
    """
    from backdrop.render import decontam

    if gray is None:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if edges.refine == "matte":
        from backdrop.render.matte import matte_alpha

        alpha = matte_alpha(mask, frame, edges, gray)
    else:
        alpha = alpha_from_mask(mask, frame, edges, gray)
    fg = frame
    if edges.decontaminate:
        fg = decontam.estimate_foreground(frame, alpha)
    screen: str | None = None
    if edges.despill in ("green", "blue"):
        screen = edges.despill
    elif edges.despill == "auto":
        screen = decontam.detect_screen(frame, alpha)
    if screen is not None:
        fg = decontam.despill(fg, alpha, screen)  # type: ignore[arg-type]
    return EdgeResult(alpha, fg, screen)
