"""Times and numbers: units, spoken durations, the time token (:data:`TIME`), the range rules
("between 2 and 4 s", "the first 10 s", "from 1:15 on"), and :func:`to_seconds`.

All values are seconds; a negative start counts back from the end of the video."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from backdrop.agent.interpret.errors import Unclear, clarify

MIN_SPAN = 0.01
"""Time ranges shorter than this many seconds (about a frame) are asked about."""
MAX_SECONDS = 10 * 24 * 3600.0
"""Times beyond this (ten days) are not read as times of a video."""

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)"
NUMBER_WORD = re.compile(
    r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + rf")(?=[\s-]+{_UNIT}\b)"
)
# Spoken durations → digits, applied in order.
SPOKEN_TIMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\b(?:a|one) minute and a half\b", "90 seconds"),
        (r"\b(?:an|one) hour and a half\b", "90 minutes"),
        (r"\b(\d+) and a half (seconds|minutes|hours)\b", r"\1.5 \2"),
        (r"\bhalf (?:a|one) minute\b", "30 seconds"),
        (r"\bhalf (?:a|one) second\b", "0.5 seconds"),
        (r"\bhalf an hour\b", "30 minutes"),
        (r"\b(first|last|final|over|for|in|within|after) (?:a|an|one) (second|minute|hour)\b",
         r"\1 1 \2"),
        (r"\b(first|last|final) (second|minute|hour)\b", r"\1 1 \2"),
        # "from the start to 0:20": until 0:20 (it was the whole video)
        (r"\bfrom the (?:very )?(?:start|beginning)(?: of (?:the |this )?(?:video|clip))? (?:to|"
         r"through|up to|until|till) (?:the )?(?=\d)", "until "),
        (r"\b(\d+)-(seconds?|minutes?|secs?|mins?)\b", r"\1 \2"),
    )
)  # fmt: skip

TIME = (
    r"(?:\b\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?"
    rf"|\b\d+(?:\.\d+)?(?![\d.])(?!\s*(?:%|percent|px|pixel))(?:\s*{_UNIT}\b)?)"
)

AFTER_THAT = re.compile(r"\b(?:after that|afterwards?|thereafter|from then on|from there on)\b")
"""After the previous change's range. "The rest (of the video)" is not this but the time no change
covers yet (``lexicon.relative.REST``): after "orange from 3 to 7 s", the rest is 0–3 s and 7 s
on."""
BEFORE_THAT = re.compile(r"\bbefore that\b")
NEXT_SPAN = re.compile(rf"\b(?:for\s+)?(?:the\s+)?next\s+({TIME})")
"""A part of a sequence that starts with its length: "(for) the next 10 seconds green"."""
WHOLE = re.compile(
    r"\b(?:the )?(?:whole|entire|full) (?:video|clip|thing|time|way through)\b|\bthroughout\b"
    r"|\ball the time\b|\beverywhere\b"
)
TO_END = re.compile(r"\b(?:until|till|til|to|through|up to) the (?:very )?end\b")
FROM_START = re.compile(r"\bfrom the (?:very )?(?:start|beginning)\b")

_Span = tuple[float | None, float | None, bool, bool]  # start, end, start given, end given


def to_seconds(token: str, default_unit: str = "s") -> float:
    """``'1:15' -> 75``, ``'1:02:03' -> 3723``, ``'1.5 minutes' -> 90``, ``'30' -> 30``."""
    token = token.strip()
    if ":" in token:
        parts = [float(p) for p in token.split(":")]
        total = 0.0
        for p in parts:
            total = total * 60 + p
        return _sane(total, token)
    m = re.match(rf"(\d+(?:\.\d+)?)\s*({_UNIT})?$", token)
    if m is None:
        raise ValueError(f"not a time: {token!r}")
    unit = (m.group(2) or default_unit)[0]
    return _sane(float(m.group(1)) * {"s": 1.0, "m": 60.0, "h": 3600.0}[unit], token)


def _sane(seconds: float, token: str) -> float:
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise Unclear(clarify(f"“{token}” is too far out to be a time in a video; which time?"))
    return seconds


def _positive(seconds: float) -> float:
    if seconds < MIN_SPAN:
        raise Unclear(clarify("A time range needs a length above zero; which span?"))
    return seconds


def _unit_of(token: str) -> str:
    m = re.search(rf"({_UNIT})$", token.strip())
    return m.group(1) if m else "s"


def _pair(m: re.Match[str]) -> _Span:
    a, b = m.group("a"), m.group("b")
    unit = _unit_of(b)
    return to_seconds(a, unit), to_seconds(b), True, True


RANGE_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _Span]], ...] = (
    (
        re.compile(
            rf"\b(?:between|from)\s+(?P<a>{TIME})\s*(?:and|to|until|till|through|-|–)\s*(?P<b>{TIME})"
        ),
        _pair,
    ),
    (re.compile(rf"(?P<a>{TIME})\s*(?:-|–|to|until)\s*(?P<b>{TIME})"), _pair),
    (
        re.compile(rf"\b(?:the\s+)?first\s+(?P<a>{TIME})"),
        lambda m: (0.0, to_seconds(m.group("a")), True, True),
    ),
    (
        re.compile(rf"\b(?:the\s+)?(?:last|final)\s+(?P<a>{TIME})"),
        lambda m: (-_positive(to_seconds(m.group("a"))), None, True, True),
    ),
    (
        re.compile(
            r"\b(?:from|starting(?:\s+(?:at|from))?|starts?\s+at|beginning\s+(?:at|from)|"
            rf"begins?\s+at|after|since|past|at)\s+(?P<a>{TIME})(?:\s+on(?:wards?)?)?"
        ),
        lambda m: (to_seconds(m.group("a")), None, True, False),
    ),
    (
        re.compile(
            r"\b(?:until|till|til|up\s+(?:to|until)|through|before|by|ending\s+at|ends?\s+at)"
            rf"\s+(?P<a>{TIME})"
        ),
        lambda m: (None, to_seconds(m.group("a")), False, True),
    ),
    (
        FOR_RULE := re.compile(
            rf"\bfor\s+(?:about\s+|another\s+|a further\s+|an(?:other)? extra\s+)?(?P<a>{TIME})"
        ),
        lambda m: (0.0, to_seconds(m.group("a")), True, True),
    ),
)
