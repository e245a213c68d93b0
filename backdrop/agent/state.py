"""The time-aware scene state: every perception event on one timeline, with queries by time and
a summary for a language model whose size does not grow with the video's length."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from backdrop.perception.core.events import (
    ActiveSpeaker,
    Caption,
    Event,
    LightingChange,
    MaskQuality,
    ObjectsSeen,
    PeopleCount,
    PersonTrack,
    SceneCut,
    SpeakerTurn,
    Speech,
    Timeline,
    TranscriptSegment,
)
from backdrop.render.plan import clock as _clock

SUMMARY_BUDGET_CHARS = 2400
"""Upper bound of :meth:`SceneState.summary` in characters (~600 tokens), whatever the length."""


@dataclass(frozen=True)
class Scene:
    """A stretch between cuts: ``index`` from 0, ``t0``/``t1`` in seconds."""

    index: int
    t0: float
    t1: float


class SceneState:
    """Thread-safe store of what is known about the video so far.

    ``processed_until`` is how far (seconds) analysis has got; queries only know about that part.
    """

    def __init__(self, duration: float) -> None:
        self.timeline = Timeline(duration=duration)
        self.processed_until = 0.0
        self._lock = threading.Lock()

    @property
    def duration(self) -> float:
        return self.timeline.duration

    def add(self, events: list[Event], processed_until: float | None = None) -> None:
        with self._lock:
            self.timeline.add(events)
            if processed_until is not None:
                self.processed_until = max(self.processed_until, processed_until)

    def rewrite(self, fn: Callable[[list[Event]], list[Event]]) -> None:
        """Replace every event by ``fn(events)`` (speaker turns redone over the whole file)."""
        with self._lock:
            self.timeline.events = fn(list(self.timeline.events))

    def events(self) -> list[Event]:
        with self._lock:
            return list(self.timeline.events)

    # -- queries -------------------------------------------------------------------------------
    def at(self, t: float) -> list[Event]:
        """Events whose span contains ``t`` seconds ("what is at 1:45")."""
        with self._lock:
            return self.timeline.at(t)

    def scenes(self) -> list[Scene]:
        """Scenes split at the cuts seen so far (one scene when there are none)."""
        cuts = sorted(e.t1 for e in self.events() if isinstance(e, SceneCut))
        bounds = [0.0, *cuts, self.duration]
        return [Scene(i, a, b) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))]

    def scene_at(self, t: float) -> Scene:
        for s in self.scenes():
            if s.t0 <= t < s.t1:
                return s
        return self.scenes()[-1]

    def speakers(self) -> list[str]:
        """Speaker ids in order of first appearance."""
        seen: dict[str, float] = {}
        for e in self.events():
            if isinstance(e, SpeakerTurn) and e.speaker not in seen:
                seen[e.speaker] = e.t0
        return sorted(seen, key=seen.__getitem__)

    def speaker_start(self, speaker: str) -> float | None:
        """When ``speaker`` first talks ("when does the second speaker start"), or None."""
        turns = [e.t0 for e in self.events() if isinstance(e, SpeakerTurn) and e.speaker == speaker]
        return min(turns) if turns else None

    def people(self, most: int = 6) -> str:
        """The tracked people in words, most prominent first: ``"3 people: P1 centre, in red,
        moving; P2 left; P3 right, speaking"`` ("" when none was tracked)."""
        from backdrop.perception.vision.people import bind_speakers, people_summary

        events = [e for e in self.events() if isinstance(e, PersonTrack | ActiveSpeaker)]
        rows = people_summary(bind_speakers(events))
        if not rows:
            return ""
        parts = []
        for pid, _, ev in rows[:most]:
            words = [ev.position] + [f"in {ev.colour}"] * bool(ev.colour)
            words += ["moving"] * ev.moving + ["speaking"] * ev.speaking
            parts.append(f"{pid} " + ", ".join(w for w in words if w))
        more = f" (+{len(rows) - most} more)" if len(rows) > most else ""
        noun = "person" if len(rows) == 1 else "people"
        return f"{len(rows)} {noun}: " + "; ".join(parts) + more

    def transcript(self) -> list[TranscriptSegment]:
        return [e for e in self.events() if isinstance(e, TranscriptSegment)]

    # -- summary for a language model ---------------------------------------------------------
    def summary(self, budget: int = SUMMARY_BUDGET_CHARS) -> str:
        """A plain-text digest within ``budget`` characters.

        Counts of every event type, the scenes, keyframe captions and the transcript, each list
        thinned evenly (first, last and evenly spaced items) to fit, so a ten-minute video and a
        ten-second one cost the model about the same.
        """
        events = self.events()
        lines = [
            f"Video: {_clock(self.duration)} long; analysed up to {_clock(self.processed_until)}."
        ]
        counts = Counter(e.type for e in events)
        if counts:
            lines.append("Events: " + ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items())))
        people = self.people()
        if people:
            lines.append(people)
        sections: list[tuple[str, list[str]]] = []
        scenes = self.scenes()
        sections.append(
            ("Scenes", [f"{s.index + 1}: {_clock(s.t0)}–{_clock(s.t1)}" for s in scenes])
        )
        by_type: dict[type, list[Event]] = defaultdict(list)
        for e in events:
            by_type[type(e)].append(e)
        sections.append(("Keyframes", [f"{_clock(e.t0)} {e.text}" for e in by_type[Caption]]))
        sections.append(
            (
                "Transcript",
                [
                    f"{_clock(e.t0)}" + (f" [{e.speaker}]" if e.speaker else "") + f" {e.text}"
                    for e in by_type[TranscriptSegment]
                ],
            )
        )
        sections.append(
            (
                "Speaker turns",
                [
                    f"{_clock(e.t0)}–{_clock(e.t1)} {e.speaker}"
                    for e in _merge_turns(by_type[SpeakerTurn])
                ],
            )  # fmt: skip
        )
        sections.append(("Speech", [f"{_clock(e.t0)}–{_clock(e.t1)}" for e in by_type[Speech]]))
        sections.append(
            (
                "Lighting changes",
                [f"{_clock(e.t0)} luma {e.delta_luma:+.2f}" for e in by_type[LightingChange]],
            )
        )
        sections.append(
            ("People", [f"{_clock(e.t0)} {e.n}" for e in _changes(by_type[PeopleCount], "n")])
        )
        sections.append(
            (
                "Objects",
                [f"{_clock(e.t0)} {', '.join(e.labels)}" for e in by_type[ObjectsSeen]],
            )
        )
        sections.append(
            (
                "Mask quality below 0.6",
                [f"{_clock(e.t0)} {e.score:.2f}" for e in by_type[MaskQuality] if e.score < 0.6],
            )
        )
        sections.append(
            (
                "Active speaker",
                [f"{_clock(e.t0)} {e.speaker or '?'}" for e in by_type[ActiveSpeaker]],
            )
        )
        sections = [(title, items) for title, items in sections if items]
        head = "\n".join(lines)
        room = max(0, budget - len(head) - 1)
        share = room // max(1, len(sections))
        body = [_fit(title, items, share) for title, items in sections]
        return "\n".join([head, *body])[:budget]


def _merge_turns(turns: list[Event]) -> list[SpeakerTurn]:
    out: list[SpeakerTurn] = []
    for e in sorted(turns, key=lambda e: e.t0):
        assert isinstance(e, SpeakerTurn)
        if out and out[-1].speaker == e.speaker and e.t0 - out[-1].t1 < 1.0:
            out[-1] = SpeakerTurn(out[-1].t0, e.t1, e.source, e.speaker)
        else:
            out.append(e)
    return out


def _changes(events: list[Event], attr: str) -> list[Event]:
    out: list[Event] = []
    for e in sorted(events, key=lambda e: e.t0):
        if not out or getattr(out[-1], attr) != getattr(e, attr):
            out.append(e)
    return out


def _fit(title: str, items: list[str], budget: int) -> str:
    """``title: a; b; …`` within ``budget`` chars, thinning ``items`` evenly if needed."""

    def render(chosen: list[str], skipped: int) -> str:
        more = f" (+{skipped} more)" if skipped else ""
        return f"{title}{more}: " + "; ".join(chosen)

    n = len(items)
    keep = n
    while keep > 1:
        idx = sorted({round(i * (n - 1) / (keep - 1)) for i in range(keep)})
        text = render([items[i] for i in idx], n - len(idx))
        if len(text) <= budget:
            return text
        keep = max(1, int(keep * 0.7))
    return render([items[0][: max(10, budget - len(title) - 20)]], n - 1)[:budget]
