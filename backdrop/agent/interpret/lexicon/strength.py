"""Strength and opacity: relative changes ("less", "stronger"), absolute levels ("half",
"50 %", "subtle") and blur intensities (0..1)."""

from __future__ import annotations

import re

# Strength: relative changes are checked first, then absolute levels (0..1).
STRENGTH_REL: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\bless (?:subtle|faint|weak|transparent)|\bnot (?:strong|intense|visible) "
                r"enough|\btoo (?:subtle|faint|weak)\b"), 0.2),
    (re.compile(r"\b(?:too (?:much|strong|heavy|intense|blurry)|overdone|not (?:so|as|that) much|"
                r"more subtle|subtler|weaker|less(?: strong| intense| obvious| visible)?|"
                r"tone (?:it )?down|dial (?:it )?back|reduce|fainter|(?:bring|turn|dial|knock|take)"
                r"(?: (?:it|that|this|the (?:opacity|strength|blur|effect|colou?r)))? down|"
                r"down a (?:notch|bit|touch|tad)|a notch (?:less|lower|down|weaker))\b"), -0.2),
    (re.compile(r"\b(?:stronger|more(?: intense| strong| visible| obvious)?|intensify|boost|"
                r"crank (?:it )?up|increase|heavier|blurrier|up a (?:notch|bit|touch|tad|level)|"
                r"a notch (?:more|higher|up|stronger)|(?:crank|bump|turn|dial|ramp|kick|jack|pump|"
                r"amp|push|notch|step)(?:\s+(?:it|that|this|the(?:\s+(?:opacity|strength|blur|"
                r"effect|intensity))?))?\s+up|bump(?:ed)?|ramp(?:ed)?)\b"), 0.2),
)  # fmt: skip
STRENGTH_ABS: tuple[tuple[re.Pattern[str], float | None], ...] = (
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:%|percent)"), None),
    # "strength 70", "a strength of seventy": out of 100 (it was ignored: the default strength)
    (
        re.compile(
            r"\b(?:strength|intensity)\s+(?:of\s+|at\s+|to\s+)?([1-9]\d(?:\.\d+)?|100)\b"
            r"(?!\s*(?:%|percent|seconds?|secs?|s\b|minutes?))"
        ),
        None,
    ),
    (re.compile(r"\bhalf(?:\s+(?:strength|opacity|intensity|as strong|way))?\b"), 0.5),
    (re.compile(r"\bthree quarters\b(?!\s+of\b)"), 0.75),
    (re.compile(r"\b(?:a\s+)?quarter\b(?!\s+of\b)"), 0.25),
    (re.compile(r"\b(?:full(?:\s+(?:strength|opacity|intensity))?|fully|maximum|max)\b"), 1.0),
    (re.compile(r"\b(?:completely|totally|entirely)\s+(?:opaque|solid)\b"), 1.0),
    (re.compile(r"\b(?:subtle|subtly|faint|barely|a hint)\b"), 0.4),
)
BLUR_INTENSITY: tuple[tuple[re.Pattern[str], float], ...] = (
    # checked in order: "very gentle" before "very", "gentle" before the default strength 0.6
    (re.compile(r"\b(?:(?:very|really|super|extra|ever so)\s+(?:gentle|gently|slight|slightly|"
                r"light|lightly|soft|softly|subtle|subtly|mild|mildly|little)|barely|the slightest|"
                r"a (?:tiny|teeny|wee) (?:bit|touch)|tiny bit|just a hint|a hint)\b"), 0.15),
    (re.compile(r"\b(?:a lot|lots|heavily|strongly|very|really|much|extreme(?:ly)?|super|"
                r"heavy|strong|completely|intense(?:ly)?|huge|massive(?:ly)?|thick|"
                r"serious(?:ly)?|loads|totally|crazy|hard)\b"), 0.9),
    (re.compile(r"\b(?:slight(?:ly)?|a little|a bit|light(?:ly)?|gentle|gently|subtle|subtly|"
                r"a touch|mild(?:ly)?|soft(?:ly)?|bit|small|minimal|faint(?:ly)?|little|low|"
                r"delicate|hint)\b"), 0.3),
    (re.compile(r"\b(?:medium|moderate(?:ly)?|normal|regular|average|standard)\b"), 0.6),
)  # fmt: skip
ONLY_DEGREE = re.compile(
    r"^\s*(?:(?:but|and|only|just|though|please|do it|make it)\s+)*"
    r"(?P<deg>slightly|a little(?: bit)?|a bit|a touch|lightly|gently|subtly|mildly|heavily|"
    r"strongly|a lot|lots|really strongly|intensely)(?:\s+(?:please|though|thanks))*\s*$"
)
"""A clause that is only a degree ("…, but only slightly"): the strength of the change before."""
TARGET_ALL = re.compile(r"\b(?:everything|all of (?:it|them)|all (?:the )?segments|every)\b")
