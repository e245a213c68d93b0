"""Proactive notices: the agent speaks first when the footage calls for a decision.

:class:`NoticeMaker` watches events as processing reaches them and proposes one concrete change
per notice ("New scene at 0:12 — a different background for this section?"). "yes" applies the
suggestion (tool calls), "no" dismisses it. Notices are rate-limited in video time and never
repeated.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backdrop.perception.core.events import (
    ActiveSpeaker,
    Caption,
    EdgeUncertainty,
    Event,
    LightingChange,
    MaskQuality,
    PeopleCount,
    PersonTrack,
    SceneCut,
    SpeakerTurn,
    TranscriptSegment,
)
from backdrop.perception.vision.presence import NOBODY_SOURCE
from backdrop.render.plan import EditPlan, TimeRange, clock
from backdrop.tools import ToolCall

MIN_GAP_S = 2.0
"""Fewest seconds of video between a notice and the one before it (scene cuts excepted)."""

SAME_KIND_GAP_S = 8.0
"""Fewest seconds of video between two notices of the same kind (scene cuts excepted: every
new scene gets its notice, subject only to :data:`MIN_GAP_S`)."""

MASK_QUALITY_NOTICE_BELOW = 0.25
"""Mask-quality score under which a "rough cut-out" notice is raised."""

CUT_EXPLAINS_S = 1.5
"""A lighting change this close (seconds) to a scene cut is the cut itself, not a notice."""

NEW_SPEAKER_MIN_S = 1.5
"""Seconds of a new speaker's turns, backed by confidently transcribed words, before "a new
speaker" is said (a voice label on music, or one voice split in two for a moment, is not news).
A new label whose talking face on screen is the face that already spoke is not news either."""


def _confident_words(e: Event) -> bool:
    """A transcript segment of real words: two or more, with mean probability ≥ 0.4 (a segment
    without word timings counts when it has two or more words)."""
    if not isinstance(e, TranscriptSegment):
        return False
    if e.words:
        return len(e.words) >= 2 and sum(w.probability for w in e.words) / len(e.words) >= 0.4
    return len(e.text.split()) >= 2


SIMILAR_WEIGHT = 0.5
"""People at least this share of the most prominent person's weight count as "in view" for the
"keep everyone, or only one?" notice (a small bystander at the edge does not)."""

SCENE_GRADIENTS = (
    ("#f97316", "#7e22ce"),  # sunset
    ("#0ea5e9", "#1e3a8a"),  # ocean
    ("#84cc16", "#0f766e"),  # forest
    ("#f472b6", "#6366f1"),  # dusk
)


OPENING_INSTRUCTION = "remove the background"
"""The one edit proposed when a video is opened with someone in it."""

Proposal = tuple[str, Any, str, list[ToolCall], TimeRange | None]
"""What a notice rule proposes: ``(kind, key, text, tool calls, scope)``. ``(kind, key)`` is
said once per video; ``scope`` is the stretch of video the suggestion is about, or None."""


def _opening(ev: Caption, plan: EditPlan) -> Proposal | None:
    """The opening suggestion from the first caption: what is seen, and the one edit proposed
    (remove the background behind the people), while the plan is still empty."""
    if not plan.is_empty():
        return None
    text = ev.text
    prefix = "(not a captioning model): "
    if prefix in text:
        text = text.split(prefix, 1)[1]
    parts = [p for p in text.split("; ") if "face" not in p]
    seen = "; ".join(parts).strip().rstrip(".")
    if seen.startswith("no people"):
        return None
    who = "them" if re.match(r"\d+ people", seen) else "the person"
    call = ToolCall("remove_background", {})
    return (
        "opening",
        0,
        f"I see {seen}. Should I remove the background and keep {who}? "
        "(yes, “yes, but keep the …”, or no)",
        [call],
        None,
    )


@dataclass(frozen=True)
class Notice:
    """Something the agent noticed, with the change it proposes.

    Attributes:
        id: unique within a session, from 1.
        kind: ``opening`` | ``scene_cut`` | ``lighting`` | ``people`` | ``mask_quality`` |
            ``edge`` | ``new_speaker`` | ``nobody`` (live: nobody in frame).
        t: video time (seconds) it refers to.
        text: what to show or say.
        suggestion: tool calls that "yes" applies.
        scope: the stretch of video the suggestion is about (a "yes, <instruction>" applies the
            instruction there).
        instruction: the suggestion in words, when it has them: "yes, but keep the couch"
            applies this instruction with the addition, as one step.
        choices: other answers offered, as ``(label, tool calls)`` (a people notice offers
            "everyone" and each person by id), for buttons or thumbnails.
        thumbs: per choice, ``(t seconds, XYXY box in display pixels)`` of the person it
            keeps, for a thumbnail (None for a choice that is not one person).
    """

    id: int
    kind: str
    t: float
    text: str
    suggestion: tuple[ToolCall, ...] = ()
    scope: TimeRange | None = None
    instruction: str | None = None
    choices: tuple[tuple[str, tuple[ToolCall, ...]], ...] = ()
    thumbs: tuple[tuple[float, tuple[float, float, float, float]] | None, ...] = ()


@dataclass
class NoticeMaker:
    """Turns events into notices. ``tools`` = names of the tools that exist (for suggestions)."""

    duration: float
    tools: frozenset[str] = frozenset()
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _last_t: float = -1e9
    _last_kind_t: dict[str, float] = field(default_factory=dict)
    _seen: set[tuple[str, Any]] = field(default_factory=set)
    _speakers: set[str] = field(default_factory=set)
    _people: int = 1
    _cuts: int = 0
    _cut_times: list[float] = field(default_factory=list)
    _edge_scenes: set[int] = field(default_factory=set)
    _tracks: dict[float, dict[str, PersonTrack]] = field(default_factory=dict)
    _speech: list[tuple[float, float]] = field(default_factory=list)
    _turn_s: dict[str, float] = field(default_factory=dict)
    _turns: list[SpeakerTurn] = field(default_factory=list)
    _faces: list[ActiveSpeaker] = field(default_factory=list)
    _choices: dict[tuple[str, Any], tuple[tuple[str, tuple[ToolCall, ...]], ...]] = field(
        default_factory=dict
    )
    _thumbs: dict[tuple[str, Any], tuple[Any, ...]] = field(default_factory=dict)

    def notices(self, events: list[Event], plan: EditPlan) -> list[Notice]:
        """Notices for newly seen ``events`` (call once per micro-turn, in time order)."""
        out: list[Notice] = []
        self._cut_times += [e.t1 for e in events if isinstance(e, SceneCut)]
        self._speech += [(e.t0, e.t1) for e in events if _confident_words(e)]
        self._faces += [e for e in events if isinstance(e, ActiveSpeaker)]
        # cuts first: at the same moment a cut is the news, not what it does to the lighting
        for ev in sorted(events, key=lambda e: (e.t0, not isinstance(e, SceneCut))):
            made = self._notice_for(ev, plan)
            if made is None:
                continue
            kind, key, text, suggestion, scope = made
            if (kind, key) in self._seen:
                continue
            if kind == "opening":  # what it sees, first thing: no gaps apply
                self._seen.add((kind, key))
                out.append(Notice(next(self._ids), kind, ev.t0, text, tuple(suggestion), None,
                                  OPENING_INSTRUCTION))  # fmt: skip
                continue
            self._seen.add((kind, key))
            # every new scene gets its notice (it is where decisions are made); other kinds
            # wait their turn behind any notice and behind their own kind
            if kind != "scene_cut" and (
                ev.t0 - self._last_t < MIN_GAP_S
                or ev.t0 - self._last_kind_t.get(kind, -1e9) < SAME_KIND_GAP_S
            ):
                continue
            self._last_t = ev.t0
            self._last_kind_t[kind] = ev.t0
            choices = self._choices.pop((kind, key), ())
            thumbs = self._thumbs.pop((kind, key), ())
            out.append(
                Notice(
                    next(self._ids),
                    kind,
                    ev.t0,
                    text,
                    tuple(suggestion),
                    scope,
                    choices=choices,
                    thumbs=thumbs,
                )  # fmt: skip
            )
            if kind == "edge":
                self._edge_scenes.add(key[0])
        return out

    def _notice_for(self, ev: Event, plan: EditPlan) -> Proposal | None:
        """The notice ``ev`` calls for, by the rule for its type in :data:`NOTICE_RULES`;
        None when there is no rule or the rule declines."""
        for cls in type(ev).__mro__:
            rule = NOTICE_RULES.get(cls)
            if rule is not None:
                return rule(self, ev, plan)
        return None

    def _scene_cut(self, ev: SceneCut, plan: EditPlan) -> Proposal | None:
        """ "New scene at 0:12 — a different background for this section?" (a gradient of its
        own from :data:`SCENE_GRADIENTS`, from the cut on)."""
        self._cuts += 1
        at = ev.t1
        colors = SCENE_GRADIENTS[(self._cuts - 1) % len(SCENE_GRADIENTS)]
        scope = TimeRange(start=round(at, 3))
        bg = {"type": "gradient", "colors": list(colors)}
        call = ToolCall("set_background", {"background": bg, "range": scope.model_dump()})
        return (
            "scene_cut",
            round(at, 1),
            f"New scene at {clock(at)} — a different background for this section?",
            [call],
            scope,
        )

    def _lighting(self, ev: LightingChange, plan: EditPlan) -> Proposal | None:
        """ "The lighting changed at 0:40 (brighter) — adjust the background to match?", unless
        a scene cut within :data:`CUT_EXPLAINS_S` explains it."""
        t = ev.t0
        if any(abs(ev.t0 - c) <= CUT_EXPLAINS_S for c in self._cut_times):
            return None
        brighter = "brighter" if ev.delta_luma > 0 else "darker"
        calls = [ToolCall("match_lighting", {})] if "match_lighting" in self.tools else []
        if not calls:
            calls = [ToolCall("set_edges", {"refine": "guided"})]
        return (
            "lighting",
            round(t, 1),
            f"The lighting changed at {clock(t)} ({brighter}) — adjust the background to match?",
            calls,
            TimeRange(start=round(t, 3)),
        )

    def _person_track(self, ev: PersonTrack, plan: EditPlan) -> Proposal | None:
        return self._people_notice(ev)

    def _people_count(self, ev: PeopleCount, plan: EditPlan) -> Proposal | None:
        """ "Two people from 0:05 in view — keep everyone, or only one?" when the count first
        rises above one and no person tracks say more. A live stream's early "nobody in frame"
        count is :meth:`_nobody`'s."""
        if ev.source == NOBODY_SOURCE:
            return self._nobody(ev, plan)
        t = ev.t0
        n_before, self._people = self._people, ev.n
        if ev.n > 1 and n_before <= 1 and not self._tracks:
            words = {2: "Two", 3: "Three", 4: "Four"}.get(ev.n, str(ev.n))
            call = ToolCall("keep_subject", {"subject": "person", "selector": "all"})
            return (
                "people",
                round(t, 1),
                f"{words} people from {clock(t)} in view — keep everyone, or only one? "
                "(yes = everyone; or say “the person on the left”, “the one in red”…)",
                [call],
                TimeRange(start=round(t, 3)),
            )
        return None

    def _nobody(self, ev: PeopleCount, plan: EditPlan) -> Proposal | None:
        """ "Nobody in frame since 0:12 — blur the room from now on?" (live, once), only while
        no background hides the room already."""
        if plan.backgrounds:
            return None
        scope = TimeRange(start=round(ev.t1, 3))
        call = ToolCall("blur_background", {"range": scope.model_dump()})
        text = f"Nobody in frame since {clock(ev.t0)} — blur the room from now on?"
        return "nobody", 0, text, [call], scope

    def _mask_quality(self, ev: MaskQuality, plan: EditPlan) -> Proposal | None:
        """ "The cut-out looks rough around 0:20 — soften and refine the edges?" for a score
        under :data:`MASK_QUALITY_NOTICE_BELOW` while a background is set."""
        t = ev.t0
        if not (ev.score < MASK_QUALITY_NOTICE_BELOW and plan.backgrounds):
            return None
        edges = {
            "feather": plan.edges.feather + 1.5,
            "refine": "guided",
            "refine_radius": min(64.0, plan.edges.refine_radius * 1.5),
        }
        call = ToolCall("set_edges", edges)
        return (
            "mask_quality",
            round(t / 5.0),
            f"The cut-out looks rough around {clock(t)} — soften and refine the edges?",
            [call],
            None,
        )

    def _edge(self, ev: EdgeUncertainty, plan: EditPlan) -> Proposal | None:
        """ "I can improve the hair edge here (0:07) — apply enhanced processing?", once per
        scene, while a background is set and the matting tier is not already on."""
        t = ev.t0
        if not (plan.backgrounds and plan.edges.refine != "matte"):
            return None
        scene = sum(1 for c in self._cut_times if c <= ev.t0)
        if scene in self._edge_scenes:  # once per scene (later windows retry if held back)
            return None
        return (
            "edge",
            (scene, round(t, 1)),
            f"I can improve the hair edge here ({clock(t)}) — apply enhanced processing?",
            [ToolCall("set_edges", {"refine": "matte"})],
            None,
        )

    def _speaker_turn(self, ev: SpeakerTurn, plan: EditPlan) -> Proposal | None:
        """ "A new speaker (S2) at 1:02 — keep only whoever is talking?" once a second voice
        has :data:`NEW_SPEAKER_MIN_S` of speech-backed turns and is not a face already heard."""
        t = ev.t0
        if ev.speaker in self._speakers:
            return None
        backed = sum(
            max(0.0, min(ev.t1, b) - max(ev.t0, a)) for a, b in self._speech
        )  # seconds of this turn where speech was actually detected
        self._turn_s[ev.speaker] = self._turn_s.get(ev.speaker, 0.0) + backed
        self._turns.append(ev)
        if self._turn_s[ev.speaker] < NEW_SPEAKER_MIN_S or self._same_face(ev):
            return None
        first = not self._speakers
        self._speakers.add(ev.speaker)
        if first:
            return None
        call = ToolCall("keep_subject", {"subject": "speaker"})
        return (
            "new_speaker",
            ev.speaker,
            f"A new speaker ({ev.speaker}) at {clock(t)} — keep only whoever is talking?",
            [call],
            None,
        )

    def _same_face(self, turn: SpeakerTurn) -> bool:
        """Whether the face talking during ``turn`` is one that talked for an earlier speaker."""
        from backdrop.perception.vision.tracking import box_iou

        def faces(t0: float, t1: float) -> list[ActiveSpeaker]:
            return [f for f in self._faces if f.t0 < t1 and t0 < f.t1]

        now = faces(turn.t0, turn.t1)
        before = [f for tr in self._turns if tr.speaker != turn.speaker
                  for f in faces(tr.t0, tr.t1)]  # fmt: skip
        return bool(now) and all(any(box_iou(a.box, b.box) > 0.5 for b in before) for a in now)

    def _people_notice(
        self, ev: PersonTrack
    ) -> tuple[str, Any, str, list[ToolCall], TimeRange | None] | None:
        """ "N people in view — keep everyone, or only one?" when two or more people of similar
        prominence are in view at once (once per video)."""
        bucket = self._tracks.setdefault(round(ev.t0 * 2) / 2, {})
        bucket[ev.person] = ev
        top = max(e.weight for e in bucket.values())
        in_view = sorted(
            (e for e in bucket.values() if e.weight >= SIMILAR_WEIGHT * top),
            key=lambda e: -e.weight,
        )
        if len(in_view) < 2:
            return None
        names = "; ".join(
            f"{e.person} {e.position}" + (f", in {e.colour}" if e.colour else "")
            for e in in_view[:4]
        )
        everyone = (ToolCall("keep_subject", {"subject": "person", "selector": "all"}),)
        choices = [("everyone", everyone)] + [
            (f"{e.person} ({e.position})",
             (ToolCall("keep_subject", {"subject": "person", "selector": f"id:{e.person}"}),))
            for e in in_view[:4]
        ]  # fmt: skip
        self._choices[("people", "in view")] = tuple(choices)
        where = (((e.t0 + e.t1) / 2, e.box) for e in in_view[:4])  # for thumbnails
        self._thumbs[("people", "in view")] = (None, *where)
        return (
            "people",
            "in view",
            f"{len(in_view)} people in view at {clock(ev.t0)} ({names}) — keep everyone, or only "
            "one? (yes = everyone; or say “the person on the left”, “P2”, “the one in red”…)",
            list(everyone),
            None,
        )


NoticeRule = Callable[[NoticeMaker, Any, EditPlan], Proposal | None]
"""How one type of event becomes a notice: ``rule(maker, event, plan)`` → a :data:`Proposal`, or
None for no notice. Rules may keep state on the maker (counts, what was seen)."""

NOTICE_RULES: dict[type[Event], NoticeRule] = {
    Caption: lambda maker, ev, plan: _opening(ev, plan),
    SceneCut: NoticeMaker._scene_cut,
    LightingChange: NoticeMaker._lighting,
    PersonTrack: NoticeMaker._person_track,
    PeopleCount: NoticeMaker._people_count,
    MaskQuality: NoticeMaker._mask_quality,
    EdgeUncertainty: NoticeMaker._edge,
    SpeakerTurn: NoticeMaker._speaker_turn,
}
"""One rule per event type that can raise a notice. A new kind of notice is one rule (a
:class:`NoticeMaker` method or a function) and one entry here."""
