"""Compositing one frame from the source frame, the subject's mask and the plan.

With ``a`` the subject's alpha (0 while no keep rule is active) and ``w`` the active background
segment's strength at time t (opacity × fades), the fraction of the source pixel kept is
``keep = 1 − (1 − a)·w`` and the output is ``keep·frame + (1 − keep)·background``. Alpha outputs
carry the source pixels with ``keep`` as their alpha, so a removed background is transparent and a
fade-in fades the background out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from backdrop.render.backgrounds import BackgroundSource, match_lighting
from backdrop.render.edges import alpha_from_mask, quality_edges
from backdrop.render.plan import EditPlan


@dataclass(frozen=True)
class Composite:
    """One output frame: ``rgb`` (H×W×3 uint8) and ``keep`` (H×W float32 alpha, or None = 1).

    ``fg`` (H×W×3 uint8, or None = the source frame) is the colour alpha outputs carry with
    ``keep``: in the quality settings, the subject's decontaminated colour at its edge.
    """

    rgb: np.ndarray
    keep: np.ndarray | None
    fg: np.ndarray | None = None


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

    def needs_mask(self, t: float) -> bool:
        """Whether the frame at ``t`` seconds needs the subject's mask (saves segmentation)."""
        seg = self.plan.active_segment(t, self.duration)
        return (
            seg is not None
            and seg.weight(t, self.duration) > 0
            and self.plan.keeps_anything(t, self.duration)
        )

    def compose(self, frame: np.ndarray, t: float, mask: np.ndarray | None) -> Composite:
        """Compose the frame shown at ``t`` seconds.

        Args:
            frame: ``H×W×3`` uint8 RGB source frame.
            t: its time in seconds.
            mask: the subject's ``h×w`` float32 probability (any resolution), or None when
                :meth:`needs_mask` is False.
        """
        seg = self.plan.active_segment(t, self.duration)
        w = seg.weight(t, self.duration) if seg is not None else 0.0
        if seg is None or w <= 0.0:
            return Composite(frame, None)
        if self.plan.keeps_anything(t, self.duration):
            if mask is None:
                raise ValueError(f"a subject mask is needed at t={t:.3f} s")
            if self.quality:
                res = quality_edges(mask, frame, self.plan.edges)
                alpha, fg = res.alpha, res.fg
            else:
                alpha, fg = alpha_from_mask(mask, frame, self.plan.edges), frame
        else:
            alpha, fg = np.zeros(frame.shape[:2], np.float32), frame
        bg = self.backgrounds.frame(seg.background, t, frame, alpha)
        if seg.match_lighting:
            bg = match_lighting(bg, frame, alpha)
        # keep = 1 - (1 - a) * w  ==  a*w + (1 - w)
        keep = cv2.addWeighted(alpha, w, alpha, 0.0, 1.0 - w)
        if fg is frame:
            return Composite(cv2.blendLinear(frame, bg, keep, 1.0 - keep), keep)
        # the subject's own colour in front: w·(a·F + (1 − a)·bg) + (1 − w)·I
        out = cv2.blendLinear(fg, bg, alpha, 1.0 - alpha)
        if w < 1.0:
            out = cv2.addWeighted(out, w, frame, 1.0 - w, 0.0)
            a_w = alpha * w
            fg = cv2.blendLinear(fg, frame, a_w, np.full_like(a_w, 1.0 - w))  # straight colour
        return Composite(out, keep, fg)
