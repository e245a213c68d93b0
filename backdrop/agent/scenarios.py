"""Phrases of the seed scenarios that need more than the rule tables: brand colours read from a
page the person names, keeping what someone points at, and answers to Backdrop's own proposals.

:func:`interpret` is called first by :class:`~backdrop.agent.interpret_speech.SpeechInterpreter`
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
    r"\b(?:from|of|on|at|in|like)\s+(?:my\s+|our\s+|the\s+)?(?:(?:web)?site|page|homepage|"
    r"website|file)?\s*(?P<t>https?://\S+|~?\.{0,2}/\S+|[\w~.-]+(?:/[\w~.%-]+)*\.html?\b|"
    r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?::\d+)?(?:/\S*)?)",
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
    r"object|one)|that|this)\s*(?:(?:i'?m|i\s+am|i|he'?s|he\s+is|she'?s|she\s+is|they'?re|they"
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
    _propose(ctx, Proposal(instruction, offer))
    notes = f" ({'; '.join(report.notes)})" if report.notes else ""
    return Reply(
        f"On {report.page} I found {found}{notes}. Shall I make the background {offer}? (yes / no)"
    )


__all__ = ["Proposal", "interpret", "pending"]
