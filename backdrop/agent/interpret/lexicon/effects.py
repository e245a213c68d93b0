"""Effects Backdrop does not have, asked for by name: an outline, glow, stroke, neon edge or
drop shadow around the person. They are refused in plain words, never read as an edge change
("a glowing outline around me" is not "pull the edge in") nor as a background colour ("give me
a white outline" is not a white background)."""

from __future__ import annotations

import re

from backdrop.agent.interpret.errors import Unclear

_EFFECT = (
    r"(?:outlines?|glow(?:s|ing)?|strokes?|neon\s+(?:edges?|lights?|borders?|rims?|effect|"
    r"outlines?|glow)|drop[\s-]?shadows?|shadows?(?!\s+of\b)|rim[\s-]?light(?:ing)?|aura|sparkles?|"
    r"(?:glowing|neon|bright|thick|thin)\s+borders?|halo(?:\s+effect)?)"
)
_ASK = r"(?:give|add|put|draw|apply|create|stick|slap|place|want|like|need|get)"
_PERSON = r"(?:me|myself|him|her|them|us|the (?:person|speaker|subject|people|guy|woman|man))"
_COMPLAINT = re.compile(
    r"\b(?:there(?:'s| is| are)|i (?:can )?see|i(?:'ve| have) got|is showing|still|old|"
    r"original|weird|odd|ugly|remove|get rid|fix|lose|why|leftover|left over|bleed\w*|leak\w*)\b"
)
"""Words of a complaint about the cut-out ("there's a white outline around me", "remove the
glow around my hair"): that is the edge, and the edge rules read it."""
OUTLINE_EFFECT = re.compile(
    rf"\b{_ASK}\b(?:\s+\w+){{0,4}}?\s+(?:an?|some)\s+(?:\w+\s+){{0,2}}{_EFFECT}\b"
    rf"|^\s*(?:an?\s+|some\s+)(?:\w+\s+){{0,2}}{_EFFECT}\s+(?:around|round|on|behind|along)\s+"
    rf"{_PERSON}\b"
    rf"|\b(?:outline|stroke)\s+{_PERSON}\b"
    rf"|\bmake\s+{_PERSON}\s+glow\b"
    r"|\bneon\s+(?:edges?|outlines?|glow|borders?|rims?|lights?|effect)\b"
    rf"|\bglow(?:ing)?\s+(?:effect|around\s+{_PERSON})"
)
"""An outline, glow, stroke or shadow asked for around the person."""
REFUSAL = (
    "I can't add an outline, glow, stroke or shadow around the person: Backdrop doesn't have "
    "that effect, so I left it out"
)


_BARE = re.compile(rf"^\s*(?:an?\s+|some\s+)(?:\w+\s+){{0,2}}{_EFFECT}\s+")
_SURELY_EFFECT = re.compile(r"\b(?:glow\w*|neon|strokes?|shadows?|sparkles?|aura|rim[\s-]?light)\b")
ASK_WHICH = (
    "Do you mean “{said}” you can see around the person now (I can pull the cut-out's edge in: "
    "say “there's {said} around me”), or an outline effect (Backdrop doesn't have one)?"
)


def effect_asked(clause: str) -> str | None:
    """The words asking for an effect Backdrop lacks in ``clause`` (lower case), or ``None``;
    a complaint about the cut-out's edge is not an ask.

    Raises:
        Unclear: a bare "a white outline around me" may be either (asked which)."""
    m = OUTLINE_EFFECT.search(clause)
    if m is None or _COMPLAINT.search(clause):
        return None
    if _BARE.match(clause) and not _SURELY_EFFECT.search(clause):
        said = re.split(r"\s+(?:around|round|on|behind|along)\s+", m.group(0).strip())[0]
        raise Unclear(ASK_WHICH.format(said=said))
    return m.group(0).strip()
