"""Instructions anchored to what is said in the video, on top of the rule-based interpreter.

Handled phrases (the *speech qualifier*), read from the video's analysed timeline
(``ctx.timeline``):

* "keep only the person who is talking" / "keep the speaker" / "keep speaker 2" → a
  ``keep_subject`` call with subject ``speaker`` (a diarized id, or none = whoever talks);
* "… only while someone is speaking" / "… when nobody is talking" → one segment per speech
  region (or per gap between them);
* "… when the second speaker talks" → one segment per turn of that speaker (speakers are
  numbered in order of first appearance);
* "… from when she says 'welcome'" / "… until he says 'thank you'" → a range starting (ending)
  at that word's timestamp.

The qualifier is cut out of the text, the rest goes to :class:`RuleInterpreter` (``parse``)
and its background and keep calls get the speech ranges (several ranges = several segments). All
calls run as one undoable step; parts of the rest that were not understood are named in the
reply, as the rule-based interpreter does. Without a timeline the reply says the video must be
analysed first and nothing changes. Times are seconds.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from backdrop.agent import scenarios
from backdrop.agent.interpret.errors import Unclear, Unsupported
from backdrop.agent.interpret.lexicon.people import (
    ORDINALS,
    SPEAKER_ORDINALS,
    TALK,
    find_keep_speaker,
)
from backdrop.agent.interpret.lexicon.speakers import find_speaker_count
from backdrop.agent.interpret.rules import Parsed, RuleInterpreter, with_leftovers
from backdrop.agent.interpret.words import drop_filler, others_phrases
from backdrop.agent.replies import Reply, step_reply
from backdrop.perception.core.events import SpeakerTurn, Speech, Timeline, TranscriptSegment, Word
from backdrop.render.plan import TimeRange
from backdrop.tools import ToolCall, ToolContext, ToolRegistry

log = logging.getLogger(__name__)

NEEDS_ANALYSIS = (
    "To do that I need to know when people speak in this video, and it hasn't been analysed "
    "yet: analyse it first (for example `backdrop analyze VIDEO`), then ask again."
)

MERGE_GAP_S = 0.3
"""Speech ranges closer than this many seconds are merged into one segment."""

_WHO = r"(?:someone|somebody|anyone|anybody|people|a person|he|she|they|i|you|we|the person)"
_ORD = SPEAKER_ORDINALS
_ORDS = ORDINALS
_TALK = TALK
_SILENCE = re.compile(
    rf"\b(?:only\s+)?(?:(?:while|when|whenever)\s+(?:no ?one|nobody)\s+(?:is\s+)?{_TALK}"
    r"|during\s+(?:the\s+)?(?:silences?|pauses?|quiet\s+parts?))\b"
)
_WHILE_SPEECH = re.compile(
    rf"\b(?:only\s+)?(?:(?:while|when|whenever|as long as)\s+(?:there\s+is\s+speech|{_WHO}\s+"
    rf"(?:is\s+|are\s+|am\s+)?{_TALK})|during\s+(?:the\s+)?(?:speech|talking|speaking))\b"
)
_NTH_SPEAKER = re.compile(
    rf"\b(?:only\s+)?(?:while|when|whenever|during)\s+(?:the\s+)?(?:(?P<ord>{_ORDS})\s+"
    rf"(?:speaker|person|voice)|speaker\s+(?P<num>{_ORDS})|s(?P<sid>\d))(?:\s+(?:is\s+)?{_TALK}"
    r"|(?:'s)?\s+turns?)?\b"
)
_SAYS = re.compile(
    r"\b(?P<rel>from|after|starting|start|beginning|until|till|til|up to|before|when|once)\s+"
    rf"(?:when\s+|the\s+moment\s+)?(?:{_WHO}|the speaker|somebody)\s+(?:says?|said|saying)\s+"
    r"(?:[\"'“‘](?P<quoted>[^\"'“”‘’]+?)[\"'”’]"
    r"|(?P<words>[a-z0-9']+(?:\s+(?!and\b|then\b|but\b|only\b)[a-z0-9']+){0,3}))"
)
_PLACING = ("set_background", "remove_background", "blur_background")


@dataclass(frozen=True)
class SpeechAnchor:
    """What the speech qualifier of an instruction asks for.

    Attributes:
        kind: ``keep_talker``, ``speech``, ``silence``, ``speaker`` or ``word``.
        rest: the instruction with the qualifier cut out.
        speaker: 1-based speaker number (``speaker`` kind, or a keep of a given speaker).
        sid: an explicit speaker id ("S2").
        words: the quoted words (``word`` kind).
        relation: ``from`` (start at the word) or ``until`` (end there), ``word`` kind.
    """

    kind: str
    rest: str
    speaker: int | None = None
    sid: str | None = None
    words: tuple[str, ...] = ()
    relation: str = "from"
    span: tuple[int, int] | None = None
    """Where the "keep the speaker" phrase is in the text (``keep_talker`` kind)."""


def find_anchor(text: str) -> SpeechAnchor | None:
    """The speech qualifier in ``text``, or None when the instruction has none."""
    orig = text.replace("’", "'")
    low = orig.lower()
    if len(low) != len(orig):  # rare case-folding that changes length: match on the text as is
        low = orig
    keep_anchor: SpeechAnchor | None = None
    keep = find_keep_speaker(low)
    if keep is not None:
        rest = _cut_span(orig, keep.start, keep.end)
        keep_anchor = SpeechAnchor(
            "keep_talker", rest, speaker=keep.ordinal, sid=keep.sid, span=(keep.start, keep.end)
        )
    if keep_anchor is not None:
        orig = keep_anchor.rest
        low = orig.lower() if len(orig.lower()) == len(orig) else orig
    for kind, pattern in (("silence", _SILENCE), ("speaker", _NTH_SPEAKER)):
        m = pattern.search(low)
        if m:
            if kind == "speaker":
                n = m.group("ord") or m.group("num")
                sid = f"S{m.group('sid')}" if m.group("sid") else None
                return SpeechAnchor(kind, _cut(orig, m), _ORD[n] if n else None, sid)
            return SpeechAnchor(kind, _cut(orig, m))
    m = _SAYS.search(low)
    if m:
        rel = "until" if m.group("rel") in ("until", "till", "til", "up to", "before") else "from"
        if m.group("rel") == "after":
            rel = "after"
        said = (m.group("quoted") or m.group("words")).strip(" .,!?")
        return SpeechAnchor("word", _cut(orig, m), words=tuple(said.split()), relation=rel)
    m = _WHILE_SPEECH.search(low)
    if m:
        return SpeechAnchor("speech", _cut(orig, m))
    return keep_anchor


def _cut(text: str, m: re.Match[str]) -> str:
    """``text`` without the span ``m`` matched (in its lower-cased copy), tidied."""
    return _cut_span(text, m.start(), m.end())


def _cut_span(text: str, start: int, end: int) -> str:
    """``text`` without ``text[start:end]``, tidied."""
    out = (text[:start] + " " + text[end:]).strip()
    out = re.sub(r"\s+([,.;!?])", r"\1", re.sub(r"\s{2,}", " ", out))
    out = re.sub(r"^(?:and|but|then|,)\s+|\s+(?:and|but|only|,)$", "", out, flags=re.IGNORECASE)
    return out.strip(" ,")


class SpeechInterpreter:
    """:class:`RuleInterpreter` plus speech-anchored phrases (see the module docstring).

    Args:
        base: the interpreter for everything that is not about speech (default: a new
            :class:`RuleInterpreter` over ``registry``).
        registry: the tools (default: the base interpreter's).
    """

    def __init__(
        self, base: RuleInterpreter | None = None, registry: ToolRegistry | None = None
    ) -> None:
        self.base = base or RuleInterpreter(registry)
        self.registry = registry or self.base.registry

    @staticmethod
    def needs_timeline(text: str) -> bool:
        """Whether ``text`` refers to speech in the video (so the video must be analysed)."""
        return find_anchor(text) is not None

    def interpret(self, text: str, ctx: ToolContext) -> Reply:
        """Understand ``text`` and apply it to ``ctx`` as one undoable step."""
        if (own := scenarios.interpret(text, ctx, self.base)) is not None:
            return own  # brand colours from a page, pointing, a yes/no to a proposal
        count, rest = find_speaker_count(text)
        if count is not None:  # "there are two speakers" (and maybe an edit after it)
            return self._speaker_count(count.n, rest, ctx)
        anchor = find_anchor(text)
        if anchor is None and ctx.timeline is None:
            before = [k for k in ctx.plan.keep if k.subject == "speaker"]
            reply = self.base.interpret(text, ctx)  # "just the speaker, thanks"
            now = [k for k in ctx.plan.keep if k.subject == "speaker"]
            return _keep_talker_later(reply, ctx) if now != before and now else reply
        if anchor is None:
            return self.base.interpret(text, ctx)
        if ctx.timeline is None:
            if anchor.kind == "keep_talker" and anchor.speaker is None and anchor.sid is None:
                return _keep_talker_later(self.base.interpret(text, ctx), ctx)
            return Reply(NEEDS_ANALYSIS)
        try:
            parsed = Parsed([], [])
            if _meaningful(anchor.rest):
                parsed = self.base.parse(anchor.rest, ctx)
            reply, ran = self._interpret(text, anchor, ctx, ctx.timeline, parsed)
            return with_leftovers(reply, parsed, ctx if ran else None)
        except Unclear as e:
            return Reply(str(e), clarify=True)
        except Unsupported as e:
            return Reply(str(e))

    # -- internals -------------------------------------------------------------------------
    def _interpret(
        self, text: str, anchor: SpeechAnchor, ctx: ToolContext, tl: Timeline, parsed: Parsed
    ) -> tuple[Reply, bool]:
        """The reply, and whether the step ran (so the export size said is set too)."""
        pre, calls = parsed.pre, parsed.calls
        if anchor.kind == "keep_talker":
            sid = anchor.sid
            if anchor.speaker is not None:
                order = _speakers_in_order(tl)
                if anchor.speaker > len(order):
                    return Reply(_n_speakers(order)), False
                sid = order[anchor.speaker - 1]
            said = _as_rule_text(text, anchor, sid)
            if said is not None:  # the rules read the keep with its time ("… for 30 s")
                return self.base.interpret(said, ctx), False
            return self._run(text, ctx, pre, [*calls, _keep_speaker_call(self.registry, sid)])

        ranges, problem = _anchor_ranges(anchor, tl)
        if problem:
            return Reply(problem), False
        if not ranges:
            return Reply(_nothing_found(anchor)), False
        out: list[ToolCall] = []
        placed = False
        for call in calls:
            if call.name in (*_PLACING, "keep_subject"):
                placed = True
                for rng in ranges:
                    out.append(ToolCall(call.name, {**call.args, "range": _arg(rng)}))
            elif call.name == "set_time_range":
                continue  # the speech ranges replace a time the rest of the sentence gave
            else:
                out.append(call)
        if not placed:
            moved = self._retime_focused(ctx, ranges)
            if moved is None:
                say = "Say what to do at those times, for example “blur the background while"
                return Reply(say + " someone is speaking”."), False
            out = [*moved, *out]
        return self._run(text, ctx, pre, out)

    def _retime_focused(self, ctx: ToolContext, ranges: list[TimeRange]) -> list[ToolCall] | None:
        """Calls moving the focused segment to ``ranges`` (copies for the 2nd range on)."""
        i = ctx.focused_index()
        if i is None:
            return None
        seg = ctx.plan.backgrounds[i]
        calls = [ToolCall("set_time_range", {"range": _arg(ranges[0]), "target": "last"})]
        bg = seg.background.model_dump(mode="json")
        for rng in ranges[1:]:
            args: dict[str, Any] = {"background": bg, "range": _arg(rng), "opacity": seg.opacity}
            calls.append(ToolCall("set_background", args))
        return calls

    def _speaker_count(self, n: int, rest: str, ctx: ToolContext) -> Reply:
        """Set the number of speakers said (``set_speaker_count``), say it back, then the rest
        of the sentence as its own instruction."""
        call = ToolCall("set_speaker_count", {"speakers": n})
        result = self.registry.run(ctx, call)
        said = (
            f"{result.message[:1].upper()}{result.message[1:]}."
            if result.ok
            else f"I can't split the voices into {n}: {result.message}."
        )
        calls = [call] if result.ok else []
        if not _meaningful(rest):
            return Reply(said, calls)
        more = self.interpret(rest, ctx)
        return Reply(f"{said} {more.text}", [*calls, *more.calls], more.changed, more.clarify)

    def _run(
        self, text: str, ctx: ToolContext, pre: list[ToolCall], calls: list[ToolCall]
    ) -> tuple[Reply, bool]:
        """Run ``pre`` (undo/redo), then ``calls`` as one history step; all or nothing."""
        step = self.base.step(text, ctx, pre, calls)
        return step_reply(step, edited=bool(calls)), step.ok


SPEAKERS_LATER = (
    "Who is talking isn't known yet (this video's speech hasn't been analysed), so the rule "
    "follows whoever is talking once the speakers are known (for example after `backdrop "
    "analyze VIDEO`)."
)
"""Said after "keep whoever is talking" is applied to a video with no analysed speech."""


def _keep_talker_later(reply: Reply, ctx: ToolContext) -> Reply:
    """ "Keep whoever is talking" before the speakers are known: the rule-based interpreter reads
    it as a keep-speaker rule (the plan resolves it against the speakers later); the reply says
    plainly that it applies once they are known."""
    kept = any(k.subject == "speaker" and k.action == "keep" for k in ctx.plan.keep)
    if reply.clarify or not kept:
        return reply
    return Reply(f"{reply.text} {SPEAKERS_LATER}", reply.calls, reply.changed, reply.clarify)


def _as_rule_text(text: str, anchor: SpeechAnchor, sid: str | None) -> str | None:
    """``text`` with its "keep the second speaker" phrase as the rules read it ("keep s2"), so
    the rules place the keep with the sentence's time and background; None when the speaker's
    id has another form or the phrase's place is unknown."""
    if anchor.span is None or (sid is not None and re.fullmatch(r"S\d+", sid) is None):
        return None
    start, end = anchor.span
    said = "keep the speaker" if sid is None else f"keep {sid.lower()}"
    return f"{text[:start]} {said} {text[end:]}".strip()


def _meaningful(rest: str) -> bool:
    rest = drop_filler(others_phrases(rest.lower()))  # "can you … and lose everyone else"
    rest = re.sub(r"\b(?:can|could|would|will) you\b", "", rest)
    return bool(re.sub(r"\b(?:only|please|just|and|then|now|so|the|a)\b|[\s,.;!?]", "", rest))


def _keep_speaker_call(registry: ToolRegistry, sid: str | None) -> ToolCall:
    args: dict[str, Any] = {"subject": "speaker"}
    if sid is not None and "keep_subject" in registry:
        props = registry.get("keep_subject").parameters().get("properties", {})
        if "speaker" in props:
            args["speaker"] = sid
    return ToolCall("keep_subject", args)


def _speakers_in_order(tl: Timeline) -> list[str]:
    order: list[str] = []
    for e in tl.of_type(SpeakerTurn):
        assert isinstance(e, SpeakerTurn)
        if e.speaker not in order:
            order.append(e.speaker)
    return order


def _n_speakers(order: list[str]) -> str:
    if not order:
        return "I didn't hear distinct speakers in this video, so I can't tell who is who."
    n = len(order)
    return f"I only heard {n} speaker{'s' if n != 1 else ''} in this video."


def _merge(spans: list[tuple[float, float]], gap: float = MERGE_GAP_S) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for t0, t1 in sorted(spans):
        if out and t0 - out[-1][1] <= gap:
            out[-1] = (out[-1][0], max(out[-1][1], t1))
        else:
            out.append((t0, t1))
    return out


def _to_ranges(spans: list[tuple[float, float]], duration: float) -> list[TimeRange]:
    out: list[TimeRange] = []
    for t0, t1 in spans:
        t0 = max(0.0, round(t0, 3))
        end = None if t1 >= duration - 1e-3 else round(t1, 3)
        if end is None or end > t0:
            out.append(TimeRange(start=t0, end=end))
    return out


def _anchor_ranges(anchor: SpeechAnchor, tl: Timeline) -> tuple[list[TimeRange], str | None]:
    """``(ranges, problem)`` for a speech / silence / speaker / word anchor."""
    speech = _merge([(e.t0, e.t1) for e in tl.of_type(Speech)])
    if anchor.kind == "speech":
        return _to_ranges(speech, tl.duration), None
    if anchor.kind == "silence":
        gaps, t = [], 0.0
        for t0, t1 in speech:
            if t0 - t > MERGE_GAP_S:
                gaps.append((t, t0))
            t = max(t, t1)
        if tl.duration - t > MERGE_GAP_S:
            gaps.append((t, tl.duration))
        return _to_ranges(gaps, tl.duration), None
    if anchor.kind == "speaker":
        order = _speakers_in_order(tl)
        sid = anchor.sid
        if anchor.speaker is not None:
            if anchor.speaker > len(order):
                return [], _n_speakers(order)
            sid = order[anchor.speaker - 1]
        turns = [
            (e.t0, e.t1) for e in tl.of_type(SpeakerTurn) if getattr(e, "speaker", None) == sid
        ]
        if not turns:
            return [], f"I didn't hear {sid or 'that speaker'} in this video."
        return _to_ranges(_merge(turns), tl.duration), None
    # word
    word = _find_words(tl, anchor.words)
    if word is None:
        return [], _nothing_found(anchor)
    start, end = word
    if anchor.relation == "until":
        if start <= 0.05:
            return (
                [],
                f"“{' '.join(anchor.words)}” is said right at the start; that range is empty.",
            )
        return [TimeRange(start=0.0, end=round(start, 3))], None
    t = end if anchor.relation == "after" else start
    return [TimeRange(start=round(t, 3))], None


def _norm_word(w: str) -> str:
    return re.sub(r"[^a-z0-9']", "", w.lower())


def _find_words(tl: Timeline, wanted: tuple[str, ...]) -> tuple[float, float] | None:
    """``(start, end)`` seconds of the first time the words are said in a row."""
    target = [_norm_word(w) for w in wanted if _norm_word(w)]
    words: list[Word] = []
    for e in tl.of_type(TranscriptSegment):
        assert isinstance(e, TranscriptSegment)
        words += list(e.words)
    spoken = [_norm_word(w.text) for w in words]
    n = len(target)
    for i in range(len(spoken) - n + 1):
        if n and spoken[i : i + n] == target:
            return words[i].start, words[i + n - 1].end
    return None


def _nothing_found(anchor: SpeechAnchor) -> str:
    if anchor.kind == "word":
        return (
            f"I didn't hear anyone say “{' '.join(anchor.words)}” in this video; nothing changed."
        )
    if anchor.kind == "silence":
        return "Someone is speaking the whole time in this video; nothing changed."
    return "I didn't hear anyone speaking in this video; nothing changed."


def _arg(rng: TimeRange) -> dict[str, Any]:
    return rng.model_dump(mode="json")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


__all__ = ["NEEDS_ANALYSIS", "SpeechAnchor", "SpeechInterpreter", "find_anchor"]
