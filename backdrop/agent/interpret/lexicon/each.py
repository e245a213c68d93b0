"""A list of backgrounds with one length for each ("red then blue then green, 20 seconds
each", "red, blue and green for 10 s each"): rewritten as the sequence the range rules read,
"red for 20 seconds, then blue for 20 seconds, then green for 20 seconds". Lengths are in the
units said (seconds or minutes)."""

from __future__ import annotations

import re

from backdrop.agent.interpret.lexicon.colours import COLOUR

_N = r"\d+(?:\.\d+)?"
_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?)"
EACH = re.compile(
    rf"\s*,?\s*(?:(?:for|lasting)\s+)?(?P<n>{_N})\s*(?P<u>{_UNIT})\s+(?:each|apiece|per colou?r)\b"
    rf"|\s*,?\s*each\s+(?:one\s+)?(?:for|lasting)\s+(?P<n2>{_N})\s*(?P<u2>{_UNIT})\b"
    rf"|\s*,?\s*(?:for\s+)?(?P<n3>{_N})\s*(?P<u3>{_UNIT})\s+of\s+each\b"
)
_ITEM = re.compile(rf"{COLOUR.pattern}|@p\d+|\bblur(?:red|ry)?\b")
_JOINER = re.compile(r"^\s*(?:,\s*)?(?:and\s+)?(?:then\s+)?(?:followed by\s+)?(?:,\s*)?$")


def each_lengths(text: str) -> str:
    """ "red then blue then green, 20 seconds each" → "red for 20 seconds , then blue for 20
    seconds , then green for 20 seconds"; text without such a list is returned as it was."""
    m = EACH.search(text)
    if m is None:
        return text
    n = m["n"] or m["n2"] or m["n3"]
    unit = m["u"] or m["u2"] or m["u3"]
    head = text[: m.start()]
    items = list(_ITEM.finditer(head))
    run: list[re.Match[str]] = items[-1:]
    for a, b in zip(reversed(items[:-1]), reversed(items[1:]), strict=False):
        if _JOINER.match(head[a.end() : b.start()]) is None:
            break
        run.insert(0, a)
    if len(run) < 2:
        return text
    out = head[: run[0].start()]
    for i, item in enumerate(run):
        out += ("" if i == 0 else " , then ") + f"{item.group(0)} for {n} {unit}"
    return out + text[m.end() :]
