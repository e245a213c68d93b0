"""Mask quality: how clean and stable the subject mask is, per second → :class:`MaskQuality`.

Two measurements on the preview-tier person mask (float32 in [0, 1]):

* **uncertainty** — the share of the mask's area that is neither clearly in nor clearly out
  (0.2 < m < 0.8), relative to the area ≥ 0.5;
* **instability** — mean |m_t − m_{t−1}| over the pixels where either frame says "person",
  i.e. boundary flicker.

``score = clip(1 − 2·uncertainty − 4·instability, 0, 1)`` (1 = clean and stable), averaged over
``window`` seconds; ``reason`` names the larger problem when the score is below 0.7.

Once per window it also measures the **edge band**
(:func:`backdrop.perception.vision.matting.edge_uncertainty`: closed-form matting in a band around
the
mask's edge at 144 lines, mean |matte − mask| there) and emits :class:`EdgeUncertainty` when
that is at least :data:`EDGE_UNCERTAIN_AT` — the edge the quality tier's matting would visibly
improve.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backdrop.perception.core.events import EdgeUncertainty, Event, MaskQuality
from backdrop.perception.core.media import Chunk

EDGE_UNCERTAIN_AT = 0.09
"""Edge-band uncertainty (mean |matte − mask|) from which :class:`EdgeUncertainty` is emitted.
Measured on the shared clips (preview person mask at 640 px, 144-line matting), mean over 5 s:
green-screen talking head 0.048, frontal talking head 0.055 (clean edges; the preview's mask
already matches a matte) — woman with loose hair in a room 0.115, car-phone head 0.125,
juggler outdoors 0.130, children jumping (motion blur) 0.195."""

EDGE_WORK_HEIGHT = 144
"""Rows the edge band is measured at (~50–100 ms per measurement, once per window)."""


def mask_scores(mask: np.ndarray, prev: np.ndarray | None) -> tuple[float, float]:
    """``(uncertainty, instability)`` of one mask against the previous one (same shape)."""
    area = float((mask >= 0.5).sum())
    unsure = float(((mask > 0.2) & (mask < 0.8)).sum())
    uncertainty = unsure / max(area, 1.0) if area > 0 else 0.0
    instability = 0.0
    if prev is not None and prev.shape == mask.shape:
        band = (mask >= 0.5) | (prev >= 0.5)
        if band.any():
            instability = float(np.abs(mask - prev)[band].mean())
    return min(uncertainty, 1.0), instability


class MaskQualityAnalyzer:
    """Scores the mask ``masker(frame)`` makes, one event per ``window`` seconds.

    Args:
        masker: ``frame → h×w float32 mask`` (the preview person masker).
        window: seconds per event.
        every: frames between measured frames (1 = all).
        edges: also measure the edge band once per window (:class:`EdgeUncertainty`).
    """

    name = "mask_quality"

    def __init__(self, masker: Callable[[np.ndarray], np.ndarray], window: float = 1.0,
                 every: int = 2, edges: bool = True) -> None:  # fmt: skip
        self.masker, self.window, self.every = masker, window, max(1, every)
        self.edges = edges
        self._edge: float | None = None
        self._prev: np.ndarray | None = None
        self._acc: list[tuple[float, float]] = []
        self._t0: float | None = None
        self._t1 = 0.0
        self._n = 0

    def _emit(self) -> list[Event]:
        if not self._acc or self._t0 is None:
            return []
        u = float(np.mean([a for a, _ in self._acc]))
        s = float(np.mean([b for _, b in self._acc]))
        score = float(np.clip(1.0 - 2.0 * u - 4.0 * s, 0.0, 1.0))
        reason = ""
        if score < 0.7:
            reason = "edge flickers between frames" if 4 * s > 2 * u else "low confidence edges"
        ev: list[Event] = [
            MaskQuality(t0=self._t0, t1=self._t1, source=self.name, score=score, reason=reason)
        ]
        if self._edge is not None and self._edge >= EDGE_UNCERTAIN_AT:
            ev.append(EdgeUncertainty(t0=self._t0, t1=self._t1, source=self.name,
                                      uncertainty=self._edge))  # fmt: skip
        self._acc, self._t0, self._edge = [], None, None
        return ev

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            t = float(t)
            if self._t0 is None:
                self._t0 = t
            self._t1 = t
            self._n += 1
            if (self._n - 1) % self.every == 0:
                m = self.masker(frame)
                self._acc.append(mask_scores(m, self._prev))
                self._prev = m
                if self.edges and self._edge is None:
                    from backdrop.perception.vision.matting import edge_uncertainty

                    self._edge = edge_uncertainty(m, frame, EDGE_WORK_HEIGHT)
            if t - self._t0 >= self.window:
                out += self._emit()
        return out

    def flush(self) -> list[Event]:
        return self._emit()
