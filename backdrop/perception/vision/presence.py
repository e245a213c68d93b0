"""Nobody in frame, said while it is so: the live stream's people analyzer.

:class:`~backdrop.perception.vision.people.PeopleAnalyzer` emits a
:class:`~backdrop.perception.core.events.PeopleCount` when a run of equal counts *ends* — for a
file that is soon enough, but a live stream must say "nobody is in frame" while nobody is.
:class:`PresenceAnalyzer` is the same analyzer (same detector, same tracks and counts, no second
detection), and in addition, once a run of zero people has lasted ``nobody_after`` seconds, it
emits ``PeopleCount(n=0, source=NOBODY_SOURCE)`` over the run so far — once per run.
"""

from __future__ import annotations

from backdrop.perception.core.events import Event, PeopleCount
from backdrop.perception.core.media import Chunk
from backdrop.perception.vision.people import PeopleAnalyzer
from backdrop.perception.vision.person_crop import PoseDetector

NOBODY_SOURCE = "presence"
"""The ``source`` of the early "nobody in frame" :class:`PeopleCount` (``n == 0``)."""

NOBODY_AFTER_S = 1.5
"""Seconds with nobody detected before it is said (a person bending out of view for a moment
is not news)."""


class PresenceAnalyzer(PeopleAnalyzer):
    """A :class:`PeopleAnalyzer` that also says, as soon as it is so, that nobody has been in
    frame for ``nobody_after`` seconds (see the module docstring).

    Args:
        detector: the person detector.
        nobody_after: seconds of an empty run before it is said.
        **kwargs: as for :class:`PeopleAnalyzer` (``every``, ``window_s`` …).
    """

    def __init__(
        self, detector: PoseDetector, nobody_after: float = NOBODY_AFTER_S, **kwargs: float
    ) -> None:
        super().__init__(detector, **kwargs)  # type: ignore[arg-type]
        self.nobody_after = nobody_after
        self._said_from: float | None = None

    def process(self, chunk: Chunk) -> list[Event]:
        out = super().process(chunk)
        run = self._run  # (start s, latest s, people) of the current run of equal counts
        if (
            run is not None
            and run[2] == 0
            and run[1] - run[0] >= self.nobody_after
            and self._said_from != run[0]
        ):
            self._said_from = run[0]
            out.append(PeopleCount(t0=run[0], t1=run[1], source=NOBODY_SOURCE, n=0))
        return out
