"""Lighting: lasting changes of brightness or colour temperature → :class:`LightingChange`.

Per frame the mean luma (Rec. 709, [0, 1]) and a correlated colour temperature (McCamy's formula
on the mean linear-light chromaticity, kelvin) are measured on a small thumbnail. A change is
reported only when it *persists* (hysteresis): the level over the last ``window`` seconds must
differ from the reference level by at least ``min_luma`` (or ``min_kelvin``) for ``hold``
seconds; the reference then moves to the new level. Flashes, a hand passing the lamp or a short
shadow are shorter than ``hold`` and are ignored.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from backdrop.perception.core.events import Event, LightingChange
from backdrop.perception.core.media import Chunk


def mean_luma(frame: np.ndarray) -> float:
    """Mean Rec. 709 luma of an ``H×W×3`` uint8 RGB frame, in [0, 1]."""
    r, g, b = (float(c) for c in frame.reshape(-1, 3).mean(0))
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0


def color_temperature(frame: np.ndarray) -> float:
    """Correlated colour temperature in kelvin (McCamy) of the frame's mean colour, clamped to
    1500–15000 K. ``frame``: ``H×W×3`` uint8 RGB (sRGB)."""
    rgb = frame.reshape(-1, 3).astype(np.float32).mean(0) / 255.0
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    x_, y_, z_ = m @ lin
    s = x_ + y_ + z_
    if s <= 1e-6:
        return 6500.0
    x, y = x_ / s, y_ / s
    n = (x - 0.3320) / (0.1858 - y)
    cct = 449.0 * n**3 + 3525.0 * n**2 + 6823.3 * n + 5520.33
    return float(np.clip(cct, 1500.0, 15000.0))


def _thumb(frame: np.ndarray) -> np.ndarray:
    return cv2.resize(frame, (64, 36), interpolation=cv2.INTER_AREA)


class LightingAnalyzer:
    """Emits a :class:`LightingChange` when brightness or colour temperature shifts and stays.

    Args:
        min_luma: smallest lasting change of mean luma ([0, 1]) reported.
        min_kelvin: smallest lasting change of colour temperature (kelvin) reported.
        hold: seconds the change must last.
        window: seconds of frames whose median is the current level (flicker filter).
    """

    name = "lighting"

    def __init__(self, min_luma: float = 0.08, min_kelvin: float = 800.0, hold: float = 1.0,
                 window: float = 0.4) -> None:  # fmt: skip
        self.min_luma, self.min_kelvin = min_luma, min_kelvin
        self.hold, self.window = hold, window
        self._recent: deque[tuple[float, float, float]] = deque()
        self._ref: tuple[float, float] | None = None
        self._since: float | None = None

    def _level(self) -> tuple[float, float]:
        arr = np.array([(lu, k) for _, lu, k in self._recent])
        return float(np.median(arr[:, 0])), float(np.median(arr[:, 1]))

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            th = _thumb(frame)
            t = float(t)
            self._recent.append((t, mean_luma(th), color_temperature(th)))
            while self._recent and self._recent[0][0] < t - self.window:
                self._recent.popleft()
            luma, kelvin = self._level()
            if self._ref is None:
                if t - self._recent[0][0] >= self.window * 0.5:
                    self._ref = (luma, kelvin)
                continue
            d_l, d_k = luma - self._ref[0], kelvin - self._ref[1]
            changed = abs(d_l) >= self.min_luma or abs(d_k) >= self.min_kelvin
            if not changed:
                self._since = None
                continue
            if self._since is None:
                self._since = t
            elif t - self._since >= self.hold:
                out.append(LightingChange(t0=max(0.0, self._since - self.window / 2), t1=t,
                                          source=self.name, delta_luma=d_l,
                                          delta_kelvin=d_k))  # fmt: skip
                self._ref, self._since = (luma, kelvin), None
        return out

    def flush(self) -> list[Event]:
        return []
