"""Timed facts about a video: the one vocabulary every analyzer speaks.

Each event is a frozen dataclass with ``t0``/``t1`` in seconds (from the video's start) and a
``source`` naming what produced it. :func:`event_to_dict` gives the JSON form used by
``backdrop analyze --json``: ``{"type": "<snake_case>", "t0": s, "t1": s, ...fields}``.

Analyzers follow one contract (:class:`Analyzer`): ``process(chunk) -> list[Event]`` for each
200 ms chunk in order, then ``flush() -> list[Event]`` at the end; no I/O, models injected in
the constructor.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from backdrop.perception.core.media import Chunk


@dataclass(frozen=True)
class Event:
    t0: float
    t1: float
    source: str = ""

    @property
    def type(self) -> str:
        return _snake(type(self).__name__)


@dataclass(frozen=True)
class Word:
    """One recognised word: ``start``/``end`` in seconds, ``probability`` in [0, 1]."""

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Speech(Event):
    """A region where someone speaks (voice activity)."""


@dataclass(frozen=True)
class TranscriptSegment(Event):
    text: str = ""
    words: tuple[Word, ...] = ()
    speaker: str | None = None


@dataclass(frozen=True)
class SpeakerTurn(Event):
    speaker: str = ""


@dataclass(frozen=True)
class ActiveSpeaker(Event):
    """The visible face that is talking: ``box`` XYXY pixels of the display frame."""

    speaker: str | None = None
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Caption(Event):
    text: str = ""


@dataclass(frozen=True)
class ObjectsSeen(Event):
    """Detected objects: ``boxes`` XYXY pixels, ``scores`` in [0, 1]."""

    labels: tuple[str, ...] = ()
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    scores: tuple[float, ...] = ()


@dataclass(frozen=True)
class SceneCut(Event):
    """A cut between ``t0`` (last frame of the old scene) and ``t1`` (first of the new)."""


@dataclass(frozen=True)
class LightingChange(Event):
    """A lasting change: ``delta_luma`` in [-1, 1] (mean luma), ``delta_kelvin`` in kelvin."""

    delta_luma: float = 0.0
    delta_kelvin: float = 0.0


@dataclass(frozen=True)
class PeopleCount(Event):
    n: int = 0


@dataclass(frozen=True)
class PersonTrack(Event):
    """One tracked person over ``[t0, t1]`` (one event per person per ~1 s window).

    ``person`` is the identity (``P1``, ``P2``… kept across frames and short occlusions);
    ``box`` XYXY display pixels (mean over the window); ``position`` left / centre / right;
    ``colour`` the dominant clothing colour word ("" if none); ``weight`` the person's
    prominence (area × centrality, 0..1) in the window; ``speaking`` whether the active speaker
    is this person (``speaker`` the diarized label when known).
    """

    person: str = ""
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    position: str = ""
    colour: str = ""
    moving: bool = False
    weight: float = 0.0
    speaking: bool = False
    speaker: str | None = None


@dataclass(frozen=True)
class MaskQuality(Event):
    """Subject mask quality over ``[t0, t1)``: ``score`` in [0, 1], 1 = clean and stable."""

    score: float = 1.0
    reason: str = ""


@dataclass(frozen=True)
class EdgeUncertainty(Event):
    """The subject's edge over ``[t0, t1)`` is one the preview's mask describes badly (hair,
    fur, motion blur): ``uncertainty`` = mean |matte − mask| in the edge band, in [0, 1]."""

    uncertainty: float = 0.0


class Analyzer(Protocol):
    """Turns chunks into events. Stateful across chunks; no I/O."""

    name: str

    def process(self, chunk: Chunk) -> list[Event]: ...

    def flush(self) -> list[Event]: ...


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def event_to_dict(event: Event) -> dict[str, Any]:
    """``{"type": ..., "t0": ..., "t1": ..., **fields}`` (JSON-ready)."""
    out: dict[str, Any] = {"type": event.type}
    out.update(_plain(event))
    return out


@dataclass
class Timeline:
    """Events of one video, kept sorted by start time."""

    duration: float
    events: list[Event] = field(default_factory=list)

    def add(self, events: list[Event]) -> None:
        """Add ``events``. The list is replaced, not changed in place, so a reader on another
        thread iterating ``events`` always sees a consistent, sorted snapshot."""
        if events:
            self.events = sorted([*self.events, *events], key=lambda e: (e.t0, e.t1))

    def of_type(self, cls: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, cls)]

    def at(self, t: float) -> list[Event]:
        """Events whose span contains ``t`` seconds (instants match within 50 ms)."""
        return [e for e in self.events if e.t0 - 0.05 <= t <= max(e.t1, e.t0 + 0.05)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration": round(self.duration, 4),
            "events": [event_to_dict(e) for e in self.events],
        }
