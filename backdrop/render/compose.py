"""Compositing one frame from the source frame, the subject's mask and the plan.

With ``a`` the subject's alpha (0 while no keep rule is active) and ``w`` the active background
segment's strength at time t (opacity × fades), the fraction of the source pixel kept is
``keep = 1 − (1 − a)·w`` and the output is ``keep·frame + (1 − keep)·background``. Alpha outputs
carry the source pixels with ``keep`` as their alpha, so a removed background is transparent and a
fade-in fades the background out.

:meth:`Compositor.compose_i420` makes the same frame as planar YUV 4:2:0 (what x264 encodes):
the frame and the background are converted once (the background only when it changes), luma
is blended with ``keep`` at full resolution and each chroma plane with ``keep`` averaged over
2×2 pixels, so half as many samples are blended as in RGB and the encoder's RGB → YUV
conversion of the output goes away.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from backdrop.perception.vision.matting import warm_pymatting
from backdrop.render.backgrounds import BackgroundSource, match_lighting
from backdrop.render.edges import alpha_from_mask, quality_edges
from backdrop.render.plan import EditPlan


@dataclass(frozen=True)
class Composite:
    """One output frame: ``rgb`` (H×W×3 uint8) and ``keep`` (H×W float32 alpha, or None = 1).

    ``fg`` (H×W×3 uint8, or None = the source frame) is the colour alpha outputs carry with
    ``keep``: in the quality settings, the subject's decontaminated colour at its edge.
    ``i420`` (``(3H/2)×W`` uint8: the Y plane, then U and V at half size, BT.601 limited range as
    cv2's ``COLOR_RGB2YUV_I420``) is set by :meth:`Compositor.compose_i420`, which may leave
    ``rgb`` None.
    """

    rgb: np.ndarray | None
    keep: np.ndarray | None
    fg: np.ndarray | None = None
    i420: np.ndarray | None = None


class Compositor:
    """Applies an :class:`EditPlan` to frames of one video (``width×height``, ``duration`` s).

    ``quality=True`` makes edges with the quality settings
    (:func:`~backdrop.render.edges.quality_edges`: matting when the plan asks for it, colour
    decontamination, despill); the default is the preview's fast edge.
    """

    def __init__(self, plan: EditPlan, width: int, height: int, duration: float,
                 quality: bool = False) -> None:  # fmt: skip
        self.plan = plan
        self.quality = quality
        self.width, self.height, self.duration = width, height, duration
        self.backgrounds = BackgroundSource(width, height)
        self.backgrounds.check([s.background for s in plan.backgrounds])
        self._bg_yuv: tuple[np.ndarray, np.ndarray] | None = None  # (background, its I420)
        if quality and plan.keep and (plan.edges.decontaminate or plan.edges.refine == "matte"):
            warm_pymatting()  # its import (1–2.5 s) overlaps model loading, not a frame

    def needs_mask(self, t: float) -> bool:
        """Whether the frame at ``t`` seconds needs the subject's mask (saves segmentation)."""
        seg = self.plan.active_segment(t, self.duration)
        return (
            seg is not None
            and seg.weight(t, self.duration) > 0
            and self.plan.keeps_anything(t, self.duration)
        )

    def _layers(
        self, frame: np.ndarray, t: float, mask: np.ndarray | None
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """``(w, alpha, fg, bg)`` at ``t``, or None when the frame is shown unedited."""
        seg = self.plan.active_segment(t, self.duration)
        w = seg.weight(t, self.duration) if seg is not None else 0.0
        if seg is None or w <= 0.0:
            return None
        if self.plan.keeps_anything(t, self.duration):
            if mask is None:
                raise ValueError(f"a subject mask is needed at t={t:.3f} s")
            if self.quality:
                res = quality_edges(mask, frame, self.plan.edges)
                alpha, fg = res.alpha, res.fg
            else:
                alpha, fg = self._preview_alpha(mask, frame), frame
        else:
            alpha, fg = np.zeros(frame.shape[:2], np.float32), frame
        bg = self.backgrounds.frame(seg.background, t, frame, alpha)
        if seg.match_lighting:
            bg = match_lighting(bg, frame, alpha)
        return w, alpha, fg, bg

    alpha_scale = 1.0
    """The preview edge's alpha is made from the frame scaled by this and upsampled (a live
    stream short of time sets 0.5: about 40 % less edge work, edges a little softer)."""

    scaled_frame: tuple[np.ndarray, np.ndarray] | None = None
    """``(frame, frame area-scaled by alpha_scale)`` when a caller made that copy already (the
    live loop shares it with its motion step); used only for that very frame object."""

    def _preview_alpha(self, mask: np.ndarray, frame: np.ndarray) -> np.ndarray:
        if self.alpha_scale >= 1.0:
            return alpha_from_mask(mask, frame, self.plan.edges)
        h, w = frame.shape[:2]
        size = (max(2, round(w * self.alpha_scale)), max(2, round(h * self.alpha_scale)))
        given = self.scaled_frame
        if given is not None and given[0] is frame and given[1].shape[1::-1] == size:
            small = given[1]
        else:
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        alpha = alpha_from_mask(mask, small, self.plan.edges)
        return cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)

    def compose(self, frame: np.ndarray, t: float, mask: np.ndarray | None) -> Composite:
        """Compose the frame shown at ``t`` seconds.

        Args:
            frame: ``H×W×3`` uint8 RGB source frame.
            t: its time in seconds.
            mask: the subject's ``h×w`` float32 probability (any resolution), or None when
                :meth:`needs_mask` is False.
        """
        layers = self._layers(frame, t, mask)
        if layers is None:
            return Composite(frame, None)
        return self._blend_rgb(frame, *layers)

    def _blend_rgb(
        self, frame: np.ndarray, w: float, alpha: np.ndarray, fg: np.ndarray, bg: np.ndarray
    ) -> Composite:
        # keep = 1 - (1 - a) * w  ==  a*w + (1 - w)
        keep = alpha if w == 1.0 else cv2.addWeighted(alpha, w, alpha, 0.0, 1.0 - w)
        if fg is frame:
            return Composite(blend_in_box(frame, bg, keep), keep)
        # the subject's own colour in front: w·(a·F + (1 − a)·bg) + (1 − w)·I
        out = cv2.blendLinear(fg, bg, alpha, 1.0 - alpha)
        if w < 1.0:
            out = cv2.addWeighted(out, w, frame, 1.0 - w, 0.0)
            a_w = alpha * w
            fg = cv2.blendLinear(fg, frame, a_w, np.full_like(a_w, 1.0 - w))  # straight colour
        return Composite(out, keep, fg)

    def compose_i420(self, frame: np.ndarray, t: float, mask: np.ndarray | None) -> Composite:
        """:meth:`compose` with the output as I420 (``Composite.i420``; see the module
        docstring). ``rgb`` is None where the planes were blended (always, but for a frame
        shown unedited); with decontaminated colour the subject's own colour is blended
        (:meth:`_decontaminated_i420`). ``frame`` needs an even width and height."""
        h, w = frame.shape[:2]
        if h & 1 or w & 1:
            raise ValueError(f"I420 needs an even frame size, got {w}×{h}")
        layers = self._layers(frame, t, mask)
        if layers is None:
            return Composite(frame, None, i420=cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420))
        wt, alpha, fg, bg = layers
        keep = alpha if wt == 1.0 else cv2.addWeighted(alpha, wt, alpha, 0.0, 1.0 - wt)
        if self._bg_yuv is None or self._bg_yuv[0] is not bg:  # static backgrounds: once
            self._bg_yuv = (bg, cv2.cvtColor(bg, cv2.COLOR_RGB2YUV_I420))
        back = self._bg_yuv[1]
        if fg is not frame:  # the subject's own colour (quality edges): F over the background
            return self._decontaminated_i420(frame, wt, alpha, keep, fg, back)
        return Composite(None, keep, None, _blend_i420(frame, back, keep))

    def _decontaminated_i420(
        self,
        frame: np.ndarray,
        wt: float,
        alpha: np.ndarray,
        keep: np.ndarray,
        fg: np.ndarray,
        back: np.ndarray,
    ) -> Composite:
        """:meth:`compose_i420` with the subject's own colour ``fg`` (``H×W×3`` uint8; the
        frame's outside the edge band): ``w·(a·F + (1 − a)·bg) + (1 − w)·I`` blended as planes,
        ``F`` over the background's I420 with ``a`` (in the box of ``a > 0``, like the preview's
        blend), then, while a fade is under way (``wt`` < 1), mixed with the frame's I420.
        The RGB composite (a full-frame blend and conversion: 11 + 2.5 CPU-ms at 1080p) is not
        made; luma is within rounding of converting it, chroma as the preview's (see
        :meth:`compose_i420`). ``Composite.fg`` is the straight colour alpha outputs carry."""
        out = _blend_i420(fg, back, alpha)
        if wt >= 1.0:
            return Composite(None, keep, fg, out)
        src = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
        out = cv2.addWeighted(out, wt, src, 1.0 - wt, 0.0)
        # straight colour (a·w·F + (1 − w)·I) / keep: the frame's wherever a = 0 or F = I, so
        # only the box of a > 0 is blended
        straight = frame.copy()
        x, y, bw, bh = cv2.boundingRect(cv2.compare(alpha, 0.0, cv2.CMP_GT))
        if bw and bh:
            box = (slice(y, y + bh), slice(x, x + bw))
            a_w = alpha[box] * wt
            straight[box] = cv2.blendLinear(fg[box], frame[box], a_w, np.full_like(a_w, 1.0 - wt))
        return Composite(None, keep, straight, out)


BOX_SHARE = 0.6
""":meth:`Compositor.compose_i420` blends the whole frame when the box of ``keep > 0`` covers
more than this share of it. CPU-ms per 720p frame, whole frame → box: the sample's juggler (a
box of 15–21 % of the frame) 4.8 → 2.8; s18's talking head (48–57 %) 3.8 → 3.8, the break-even
(cropping and copying cost about what the smaller blend saves)."""


def _blend_i420(src: np.ndarray, back: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``src`` (``H×W×3`` uint8 RGB, even sides) blended over ``back`` (its cv2-layout I420)
    with ``keep`` (``H×W`` float32) as a new I420 array: only in the box of ``keep > 0``
    (outside it the output is the background), on even pixels so its 2×2 chroma blocks are the
    frame's; a box covering most of the frame is widened to all of it (cropping and copying
    would cost more than it saves)."""
    h, w = keep.shape
    x, y, bw, bh = cv2.boundingRect(cv2.compare(keep, 0.0, cv2.CMP_GT))
    if bw * bh > BOX_SHARE * w * h:
        out = np.empty_like(back)
        _blend_i420_box(src, back, keep, out, (0, 0, w, h))
    else:
        out = back.copy()
        if bw and bh:
            x0, y0 = x & ~1, y & ~1
            x1, y1 = min(w, (x + bw + 1) & ~1), min(h, (y + bh + 1) & ~1)
            _blend_i420_box(src, back, keep, out, (x0, y0, x1, y1))
    return out


def _blend_i420_box(
    frame: np.ndarray,
    back: np.ndarray,
    keep: np.ndarray,
    out: np.ndarray,
    box: tuple[int, int, int, int],
) -> None:
    """Blend ``frame`` (``H×W×3`` uint8 RGB) over ``back`` (its cv2-layout I420, ``(3H/2)×W``)
    with ``keep`` (``H×W`` float32) into ``out`` (the same layout) inside ``box`` = (x0, y0, x1,
    y1) pixels, all even: luma with ``keep``, each chroma plane with ``keep`` averaged over 2×2
    pixels. Only the box's pixels are converted and blended; the values are those of converting
    and blending the whole frame (RGB → I420 and the 2×2 averages are local to 2×2 blocks)."""
    h, w = keep.shape
    x0, y0, x1, y1 = box
    src = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2YUV_I420)
    k = keep[y0:y1, x0:x1]
    cv2.blendLinear(src[: y1 - y0], back[y0:y1, x0:x1], k, 1.0 - k, dst=out[y0:y1, x0:x1])
    kc = cv2.resize(k, ((x1 - x0) // 2, (y1 - y0) // 2), interpolation=cv2.INTER_AREA)
    kc_inv = 1.0 - kc
    cy0, cy1, cx0, cx1 = y0 // 2, y1 // 2, x0 // 2, x1 // 2
    for plane in range(2):  # U then V: each (H/2)×(W/2), one after the other after the luma
        n, nb = (h // 2) * (w // 2), kc.size
        b = back[h:].reshape(-1)[plane * n : (plane + 1) * n].reshape(h // 2, w // 2)
        o = out[h:].reshape(-1)[plane * n : (plane + 1) * n].reshape(h // 2, w // 2)
        s = src[y1 - y0 :].reshape(-1)[plane * nb : (plane + 1) * nb].reshape(kc.shape)
        cv2.blendLinear(s, b[cy0:cy1, cx0:cx1], kc, kc_inv, dst=o[cy0:cy1, cx0:cx1])  # a view


def blend_in_box(frame: np.ndarray, bg: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``keep·frame + (1 − keep)·bg``, exactly ``cv2.blendLinear(frame, bg, keep, 1 − keep)``,
    blended only inside the bounding box of ``keep > 0`` (the subject's outline box; outside it
    the output is the background, copied). ``frame``, ``bg``: ``H×W×3`` uint8; ``keep``:
    ``H×W`` float32 in [0, 1]. A person filling a fifth of a 720p frame: about half the CPU
    of the whole-frame blend."""
    x, y, w, h = cv2.boundingRect(cv2.compare(keep, 0.0, cv2.CMP_GT))
    out = bg.copy()
    if w and h:
        box = (slice(y, y + h), slice(x, x + w))
        k = keep[box]
        out[box] = cv2.blendLinear(frame[box], bg[box], k, 1.0 - k)
    return out
