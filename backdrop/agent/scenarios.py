"""Phrases of the seed scenarios that need more than the rule tables: brand colours read from a
page the person names, keeping what someone points at, and answers to Backdrop's own proposals.

:func:`interpret` is called first by :class:`~backdrop.agent.interpret.SpeechInterpreter`
(a two-line hook); it returns ``None`` for everything it does not own, which then goes on to the
rule-based interpreter unchanged.

* "match my brand colours from example.com" / "… from ./site/index.html": the page is read by
  :func:`backdrop.render.brand.brand_colors` (the only network access, and only for an address
  the person gave), and a gradient of its top two or three colours is *proposed*, each colour
  said with where it came from. The person's "yes" (or "yes, and fade it in") applies it as one
  undoable step; "no" or any other instruction drops the proposal.
* "keep what I'm pointing at" / "keep the thing she points to": see
  :func:`backdrop.tools.pointing.keep_pointed` (pose landmarks → arm ray → first object along it).

No pixel work here; colours and landmarks are read below ``agent/``.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backdrop.agent.replies import Reply
from backdrop.tools import ToolContext

if TYPE_CHECKING:
    from backdrop.agent.interpret import RuleInterpreter

_BRAND = re.compile(
    r"\b(?:brand(?:ing)?|company|corporate|logo|website'?s?|site'?s?|house)\s+(?:colou?rs?|palette"
    r"|theme)\b|\bcolou?rs?\s+(?:of|from|on)\s+(?:my|our|the)\s+(?:website|site|page|homepage)\b",
    re.I,
)
_TARGET = re.compile(
    r"\b(?:from|of|on|at|in|like)\s+(?:my\s+|our\s+|the\s+)?(?:(?:(?:web)?site|page|homepage|"
    r"file)\s+)?(?P<t>https?://\S+|~?\.{0,2}/\S+|[\w~.-]+(?:/[\w~.%-]+)*\.html?\b|"
    r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?::\d+)?(?:/\S*)?)",
    re.I,
)
_LEAD_FILLER = re.compile(
    r"(?:(?<=\s)|^)(?:(?:please|can you|could you|would you|make (?:it|the background|them)|"
    r"match(?:es|ing)?|use|apply|with|in|to|my|our|the|and|then|so (?:it|that)|it|colou?rs?|"
    r"of)\b[\s,]*)+$",
    re.I,
)
_WEBSITE = re.compile(r"\b(?:my|our|the)\s+(?:website|site|page|homepage|web page)\b", re.I)
_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|sure|ok(?:ay)?|please do|do it|go ahead|apply it|use (?:it|them|those))"
    r"\b[\s,.!:;-]*",
    re.I,
)
_NO = re.compile(r"^\s*(?:no|nope|nah|don'?t|dismiss|leave it|never ?mind)\b", re.I)
_POINTING = re.compile(
    r"\b(?:keep|show|leave|preserve|isolate|remove)\s+(?:only\s+)?(?:what|whatever|the\s+(?:thing|"
    r"object|one|(?P<noun>[a-z]+(?:\s+ball)?))|that|this)\s*(?:that\s+)?(?:(?:i'?m|i\s+am|i|he'?s|he\s+is|she'?s|she\s+is|they'?re|they"
    r"\s+are|he|she|they|someone\s+is|the\s+person\s+is|you\s+see\s+me)\s+)?(?:point(?:ing|s|ed)?"
    r"|gestur(?:ing|es|ed))\s+(?:at|to|towards?)\b",
    re.I,
)


@dataclass(frozen=True)
class Proposal:
    """An edit Backdrop proposed and waits a yes for.

    Attributes:
        instruction: the instruction a "yes" runs (rule-interpreter words).
        text: how it was proposed, for the reply to "no".
    """

    instruction: str
    text: str


_PENDING: dict[int, tuple[weakref.ref[ToolContext], Proposal]] = {}


def pending(ctx: ToolContext) -> Proposal | None:
    """The proposal waiting for a yes/no in ``ctx``'s conversation, if any."""
    got = _PENDING.get(id(ctx))
    if got is None or got[0]() is not ctx:
        return None
    return got[1]


def _propose(ctx: ToolContext, proposal: Proposal) -> None:
    key = id(ctx)
    _PENDING[key] = (weakref.ref(ctx, lambda _r: _PENDING.pop(key, None)), proposal)


def _drop(ctx: ToolContext) -> None:
    _PENDING.pop(id(ctx), None)


def interpret(text: str, ctx: ToolContext, base: RuleInterpreter) -> Reply | None:
    """The reply to ``text`` when it is one of this module's phrases, else ``None``.

    Args:
        text: the person's words.
        ctx: the conversation's tool context (its plan, source, allowed folders, timeline).
        base: the rule-based interpreter a proposal's "yes" and the rest of a sentence go to.
    """
    proposal = pending(ctx)
    if proposal is not None:
        _drop(ctx)  # a proposal is answered by the next utterance, or lapses
        if _NO.match(text):
            return Reply(f"OK, I'll leave it as it is (not {proposal.text}).")
        yes = _YES.match(text)
        if yes:
            rest = text[yes.end() :].strip(" ,.!")
            rest = re.sub(r"^(?:but|and|also|plus)\s+", "", rest, flags=re.I)
            return base.interpret(f"{proposal.instruction} {rest}".strip(), ctx)
    brand = _BRAND.search(text) or (_WEBSITE.search(text) and re.search(r"colou?r", text, re.I))
    if brand and (_TARGET.search(text) or not re.search(r"#[0-9a-f]{3}", text, re.I)):
        return _brand(text, ctx)  # "my brand colours #1e40af and #9333ea" stays the rules'

    if _POINTING.search(text):
        return _pointing(text, ctx, base)
    return None


# -- brand colours ---------------------------------------------------------------------------
def _brand(text: str, ctx: ToolContext) -> Reply:
    from backdrop.render.brand import BrandError, brand_colors
    from backdrop.render.colors import color_name

    m = _TARGET.search(text)
    if m is None:
        return Reply(
            "Which page should I take the colours from? Give its address or an HTML file, for "
            "example “match my brand colours from example.com”.",
            clarify=True,
        )
    target = m.group("t").rstrip(".,;!?)'\"”")
    try:
        report = brand_colors(target, ctx.allowed_folders())
    except BrandError as e:
        return Reply(f"I couldn't read brand colours from {target}: {e}.")
    top = report.top()

    def said(hex_colour: str) -> str:
        name = color_name(hex_colour)
        return hex_colour if name == hex_colour else f"{hex_colour} ({name})"

    found = "; ".join(f"{said(c.hex)} from {', '.join(c.sources[:2])}" for c in top)
    if len(top) < 2:
        c = top[0]
        instruction = f"make the background {c.hex}"
        offer = f"a {color_name(c.hex)} ({c.hex}) background"
    else:
        instruction = "make the background a gradient from " + " to ".join(c.hex for c in top)
        offer = "a gradient " + " → ".join(c.hex for c in top)
    rest = text[m.end() :].strip(" ,.!")
    rest = re.sub(r"^(?:and|then|also)\s+", "", rest, flags=re.I)
    if rest and re.search(r"\w", rest):
        instruction += f" and {rest}"
        offer += f", and {rest}"
    # what came before the brand words ("from 0:05 on, use my brand colours from …") leads
    brand = _BRAND.search(text) or _WEBSITE.search(text)
    lead = text[: min(m.start(), brand.start() if brand else m.start())]
    lead = _LEAD_FILLER.sub("", lead).strip(" ,.;")
    if re.search(r"\w", lead):
        instruction = f"{lead}, {instruction}"
        offer = f"{offer} ({lead})"
    _propose(ctx, Proposal(instruction, offer))
    notes = f" ({'; '.join(report.notes)})" if report.notes else ""
    return Reply(
        f"On {report.page} I found {found}{notes}. Shall I make the background {offer}? "
        f"(yes / no — or in one go: “{instruction}”)"
    )


# -- pointing --------------------------------------------------------------------------------
_DEICTIC = {"this", "that", "these", "those", "here", "there", "point", "pointing", "look"}
SCAN_STEP_S = 0.5
"""Seconds between frames searched for a pointing arm when no spoken word or play position
says when."""
MAX_SCAN = 120
"""Most frames scanned (a long video is scanned at wider steps)."""


def pointing_times(ctx: ToolContext) -> list[float]:
    """When to look for the pointing arm, in order of preference: the times of "this", "that",
    "here", "there", "point…" in the video's own transcript (the words spoken while pointing),
    the play position, then every :data:`SCAN_STEP_S` seconds through the video."""
    from backdrop.perception.core.events import TranscriptSegment

    times: list[float] = []
    if ctx.timeline is not None:
        for seg in ctx.timeline.of_type(TranscriptSegment):
            for w in seg.words:
                if w.text.strip(" .,!?").lower() in _DEICTIC:
                    times.append(w.start + 0.5 * (w.end - w.start))
    if ctx.position is not None:
        times.append(ctx.position)
    if ctx.duration:
        n = min(int(ctx.duration / SCAN_STEP_S) + 1, MAX_SCAN)
        step = max(SCAN_STEP_S, ctx.duration / MAX_SCAN)
        times += [k * step for k in range(n)]
    return times or [0.0]


def _pointing(text: str, ctx: ToolContext, base: RuleInterpreter) -> Reply:
    from backdrop.agent.interpret import Parsed, Unclear, Unsupported, with_leftovers
    from backdrop.agent.replies import sentence, step_reply
    from backdrop.perception.core.models import ModelMissingError
    from backdrop.perception.vision.pointing import pointed_in_video
    from backdrop.render.plan import clock
    from backdrop.tools import ToolCall
    from backdrop.tools.runner import run_step

    if ctx.source is None:
        return Reply("I can only find what someone points at in a video file, not here.")
    m = _POINTING.search(text)
    action = "remove" if m is not None and m.group(0).lower().startswith("remove") else "keep"
    try:
        prefer = None
        if m is not None and m.group("noun"):  # "keep the lamp I'm pointing at"
            from backdrop.perception.vision.objects import resolve_label

            prefer = resolve_label(m.group("noun"))
        found = pointed_in_video(ctx.source, pointing_times(ctx), prefer=prefer)
    except ModelMissingError as e:
        return Reply(sentence(f"I can't see pointing without the pose models: {e}"))
    if found is None:
        return Reply(
            "I didn't see anyone pointing at something in this video (an arm held straight out "
            "towards it). Say what to keep by name instead, or click it in the editor."
        )
    from backdrop.perception.core.events import ObjectsSeen

    seen = set()
    if ctx.timeline is not None:
        seen = {lab for e in ctx.timeline.of_type(ObjectsSeen) for lab in e.labels}
    box = [round(v, 1) for v in found.box]
    if found.label and found.label != "person" and found.label in seen:
        call = ToolCall("keep_subject", {"subject": "object", "label": found.label,
                                         "action": action})  # fmt: skip
    else:
        call = ToolCall("keep_subject", {"subject": "box", "box": box, "action": action})
    what = f"the {found.label}" if found.label else "the region"
    verb = "keeping" if action == "keep" else "removing"
    who = re.search(r"\b(she|he|they)\b", m.group(0), re.I) if m is not None else None
    said = (
        f"{verb.capitalize()} {what} {who.group(1).lower() if who else 'you'} pointed at (the "
        f"{found.ray.arm} arm at {clock(found.t)}; box {', '.join(str(round(v)) for v in box)})."
    )
    # the rest of the sentence ("remove the background and …") goes to the rules, one step
    rest = (text[: m.start()] + " " + text[m.end() :]) if m is not None else ""
    rest = re.sub(r"\s+", " ", rest).strip(" ,.!")
    rest = re.sub(r"(?:^|\s)(?:and|but|then|also)$", "", rest, flags=re.I).strip(" ,")
    parsed = Parsed([], [])
    if re.search(r"[a-z]{3}", rest, re.I):
        try:
            parsed = base.parse(rest, ctx)
        except (Unclear, Unsupported):
            parsed = Parsed([], [], ignored=[rest])
    step = run_step(ctx, [*parsed.calls, call], text, registry=base.registry, pre=parsed.pre)
    reply = step_reply(step)
    if step.failed is not None:
        return with_leftovers(reply, parsed)
    return with_leftovers(Reply(f"{said} {reply.text}", reply.calls, reply.changed), parsed)


__all__ = ["Proposal", "interpret", "pending", "pointing_times"]
