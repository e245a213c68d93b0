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
                r"tone (?:it )?down|dial (?:it )?back|reduce|fainter)\b"), -0.2),
    (re.compile(r"\b(?:stronger|more(?: intense| strong| visible| obvious)?|intensify|boost|"
                r"crank (?:it )?up|increase|heavier|blurrier)\b"), 0.2),
)  # fmt: skip
STRENGTH_ABS: tuple[tuple[re.Pattern[str], float | None], ...] = (
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:%|percent)"), None),
    (re.compile(r"\bhalf(?:\s+(?:strength|opacity|intensity|as strong|way))?\b"), 0.5),
    (re.compile(r"\b(?:full(?:\s+(?:strength|opacity|intensity))?|fully|maximum|max)\b"), 1.0),
    (re.compile(r"\b(?:subtle|subtly|faint|barely|a hint)\b"), 0.4),
)
BLUR_INTENSITY: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(?:a lot|lots|heavily|strongly|very|really|much|extreme(?:ly)?|super|"
                r"heavy|strong|completely)\b"), 0.9),
    (re.compile(r"\b(?:slightly|a little|a bit|lightly|light|gently|subtly|a touch|mild(?:ly)?|"
                r"soft(?:ly)?|bit)\b"), 0.3),
)  # fmt: skip
TARGET_ALL = re.compile(r"\b(?:everything|all of (?:it|them)|all (?:the )?segments|every)\b")
