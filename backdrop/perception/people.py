"""People in the frame: :class:`PeopleCount` events.

People are counted with the BlazePose detector (:class:`~backdrop.perception.person_crop.
PoseDetector`) on sampled frames (``every`` seconds); a :class:`PeopleCount` event spans each
run of equal counts. Faces come from :class:`~backdrop.perception.faces.FaceDetector`.
"""

from __future__ import annotations

import math

import numpy as np

from backdrop.perception.events import Event, PeopleCount
from backdrop.perception.media import Chunk
from backdrop.perception.person_crop import PoseDetector


class PeopleAnalyzer:
    """Counts people every ``every`` seconds; one :class:`PeopleCount` per run of equal counts."""

    name = "people"

    def __init__(self, detector: PoseDetector, every: float = 0.5) -> None:
        self.detector = detector
        self.every = every
        self._next = 0.0
        self._run: tuple[float, float, int] | None = None

    def count(self, frame: np.ndarray) -> int:
        return len(self.detector.detect(frame))

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            t = float(t)
            if self._run is not None:
                self._run = (self._run[0], t, self._run[2])
            if t + 1e-6 < self._next:
                continue
            self._next = math.floor(t / self.every + 1) * self.every
            n = self.count(frame)
            if self._run is None:
                self._run = (t, t, n)
            elif n != self._run[2]:
                out.append(PeopleCount(t0=self._run[0], t1=t, source=self.name, n=self._run[2]))
                self._run = (t, t, n)
        return out

    def flush(self) -> list[Event]:
        if self._run is None:
            return []
        t0, t1, n = self._run
        self._run = None
        return [PeopleCount(t0=t0, t1=t1, source=self.name, n=n)]
