"""A correction that is only a number, said after a change: "make it teal from 10 seconds" then
"actually make that 20 seconds" (or "no, 8 seconds", "make that 4", "make that eighty percent").

The number replaces the one number of the last change's sentence that it can stand for (same
unit: seconds, percent; a number said without a unit can stand for any), and that sentence is
read again: the person sees the last change redone with the new number, said back plainly. Two
or more numbers it could stand for ("from 5 to 10 seconds" → "make that 20") are asked about;
it never picks one silently. Times are seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backdrop.agent.interpret.errors import Unclear
from backdrop.agent.interpret.lexicon.files import BARE_PATH, HASH_HEX, QUOTED_PATH
from backdrop.agent.interpret.lexicon.times import NUMBER_WORD, NUMBER_WORDS
from backdrop.agent.interpret.words import FIX, words_to_numbers

_NUM = r"\d+(?:\.\d+)?(?::\d+(?:\.\d+)?)*"
_UNIT = r"%|percent\b|per ?cent\b|seconds?\b|secs?\b|s\b|minutes?\b|mins?\b|m\b"
_CORRECTION = re.compile(
    rf"^(?:{FIX}\s*)?(?:(?:make|change|set|put|turn)\s+(?:that|it|this)(?:\s+(?:to|into))?\s+|"
    rf"(?:change|switch)\s+(?:it|that)\s+to\s+|correction:?\s*|(?:to|it'?s|that'?s)\s+)?"
    rf"(?P<n>{_NUM})\s*(?P<u>{_UNIT})?"
    rf"(?:\s*,?\s*(?:except|not|rather than|instead of)\s+(?P<old>{_NUM})\s*(?:{_UNIT})?)?"
    r"(?:\s*,?\s*(?:instead|then|please|rather|thanks|not that|ok(?:ay)?))*$"
)
"""The normalised text of a number correction ("20 seconds", "make that 4", "20 except 10"
for "twenty, not ten"). The normaliser has already dropped "actually", "no", "I meant"."""
_IN_LABEL = re.compile(
    rf"(?<![\w.:#@/\\-])(?P<n>{_NUM})(?:\s*(?P<u>{_UNIT}))?(?![\w.:])"
    rf"(?=(?P<next>\s*(?:to|and|-|until|till|through)\s*{_NUM}\s*(?P<nu>{_UNIT})?)?)"
)


@dataclass(frozen=True)
class NumberFix:
    """The last change's sentence with one number replaced.

    Attributes:
        text: The corrected sentence (read again in place of the last change).
        was: The number as it was said there ("10 seconds").
        now: The number as corrected ("20 seconds").
    """

    text: str
    was: str
    now: str


def _kind(unit: str | None) -> str | None:
    """``"pct"`` / ``"time"`` / ``None`` (no unit said) for a unit word."""
    if not unit:
        return None
    return "pct" if unit.startswith(("%", "per")) else "time"


def _spoken_numbers(label: str) -> str:
    """``label`` with number words as digits ("twenty seconds" → "20 seconds"), file names and
    hex colours untouched (a file name keeps its case)."""
    out, last = [], 0
    for a, b in sorted(_protected(label)):
        if a < last:
            continue
        out.append(_words(label[last:a]))
        out.append(label[a:b])
        last = b
    out.append(_words(label[last:]))
    return "".join(out)


def _words(text: str) -> str:
    text = words_to_numbers(text.lower())
    return NUMBER_WORD.sub(lambda m: str(NUMBER_WORDS[m.group(1)]), text)


def _protected(label: str) -> list[tuple[int, int]]:
    return [m.span() for p in (QUOTED_PATH, BARE_PATH, HASH_HEX) for m in p.finditer(label)]


def number_fix(norm: str, label: str | None) -> NumberFix | None:
    """The last change (``label``: its sentence) corrected by ``norm`` (the normalised new
    text), or ``None`` when ``norm`` is not a number correction or the label has no number the
    new one can stand for.

    Raises:
        Unclear: the new number could stand for more than one number of the last change.
    """
    m = _CORRECTION.match(norm.strip(" ,.;"))
    if m is None or not label:
        return None
    new, new_unit = m["n"], m["u"]
    kind = _kind(new_unit)
    said = _spoken_numbers(label)
    guarded = _protected(said)
    found = []
    for x in _IN_LABEL.finditer(said):
        if any(a <= x.start() < b for a, b in guarded):
            continue
        own = _kind(x["u"]) or (_kind(x["nu"]) if x["next"] else None)
        found.append((x, own))
    if m["old"] is not None:  # "twenty, not ten": the ten
        found = [(x, own) for x, own in found if float(x["n"].split(":")[0]) == float(
            m["old"].split(":")[0]) and ":" not in x["n"]]  # fmt: skip
    fits = [(x, own) for x, own in found if kind is None or own in (None, kind)]
    if kind is not None and len(fits) > 1:  # "…for 5 seconds at 30 %": the one with that unit
        same = [(x, own) for x, own in fits if own == kind]
        fits = same if len(same) == 1 else fits
    if not fits:
        return None
    if len(fits) > 1:
        options = " or ".join(f"the {x['n']}" for x, _ in fits[:3])
        raise Unclear(
            f"Which number should be {new}{' ' + new_unit if new_unit else ''}: {options} in "
            f"“{label.strip()}”? Say the whole change again with the new number."
        )
    x, _ = fits[0]
    unit = new_unit or x["u"]
    if ":" in new or (new_unit and _kind(new_unit) == "time" and not x["u"]):
        unit = new_unit  # "make that 1:20": a clock needs no unit
    now = f"{new} {unit}".strip() if unit and unit != "%" else f"{new}{unit or ''}"
    if ":" in new:
        now = new
    was_end = x.end("u") if x["u"] else x.end("n")
    was = said[x.start("n") : was_end]
    return NumberFix(said[: x.start("n")] + now + said[was_end:], was, now)


__all__ = ["NumberFix", "number_fix"]
