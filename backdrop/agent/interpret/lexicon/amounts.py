"""Amounts said as words before the number words become digits: fractions of a strength
("three quarters opaque" → 75 percent, "a quarter strength" → 25 percent), fractions of a second
or a minute ("a quarter of a second" → 0.25 seconds), "a hundred percent", "per cent" and
"pct", and hedges around a percentage ("maybe 20 %", "around 30 percent", "20 % or so").

Strengths and opacities are percentages (0–100) here; times are seconds."""

from __future__ import annotations

import re

_QUARTERS = (
    r"(?P<q>three[\s-]+quarters?|(?:a|one)[\s-]+quarter|(?:a|one)[\s-]+third|two[\s-]+thirds)"
)
_SHARE = {"three quarter": 75, "a quarter": 25, "one quarter": 25, "a third": 33, "one third": 33,
          "two third": 67}  # fmt: skip
_OF_TIME = re.compile(
    rf"\b{_QUARTERS}(?:\s+of)?(?:\s+(?:a|an|one))?\s+(?P<unit>second|sec|minute|min)s?\b"
)
"""A share of a second or a minute ("a quarter of a second", "three quarters of a minute")."""
_OF_STRENGTH = re.compile(
    rf"(?<!first )(?<!last )(?<!final )(?<!the )\b{_QUARTERS}"
    r"(?:\s+(?:of\s+)?(?:the\s+)?(?:way|full))?"
    r"(?=\s*(?:strength|opaque|opacity|see[\s-]?through|transparent|translucent|intensity|power|"
    r"blur\w*|visible|on\b|,|\.|;|$|and\b|please\b|thanks\b))"
)
"""A share of full strength, said before what it measures or at the end of a clause; never
"the last quarter" (a part of the video)."""
_PERCENT_WORDS = re.compile(r"\b(?:per\s*cent|pct|percentage)\b")
_HUNDRED = re.compile(r"\b(?:a|one)\s+hundred(?=\s*(?:%|percent|per\s*cent|pct)\b)")
HEDGE = re.compile(
    r"\b(?:maybe|perhaps|about|around|roughly|approximately|approx|say|like|something like|"
    r"more or less|give or take)\s+(?=\d+(?:\.\d+)?\s*(?:%|percent)|(?:a|one)\s+hundred\b)"
    r"|(?<=%)\s*(?:or so|ish|-ish|give or take)\b|(?<=percent)\s*(?:or so|ish|-ish)\b"
)
"""A hedge around a percentage ("maybe 20 %", "30 percent or so"): the number said is used."""


def spoken_amounts(text: str) -> str:
    """Fractions, "a hundred percent", "per cent" rewritten as digits and "percent", and
    hedges around a percentage dropped (see the module docstring). Lower-case text in and out.
    """
    text = _PERCENT_WORDS.sub("percent", text)
    text = _HUNDRED.sub("100", text)

    def share(m: re.Match[str]) -> int:
        words = re.split(r"[\s-]+", m["q"])
        return _SHARE[f"{words[0]} {words[1].rstrip('s')}"]

    def of_time(m: re.Match[str]) -> str:
        seconds = share(m) / 100 * (60.0 if m["unit"].startswith("min") else 1.0)
        return f"{round(seconds, 3):g} seconds"

    text = _OF_TIME.sub(of_time, text)
    text = _OF_STRENGTH.sub(lambda m: f"{share(m)} percent", text)
    return text
