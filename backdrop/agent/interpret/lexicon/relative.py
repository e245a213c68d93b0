"""References to what is already there: "a bit darker", "redder", "like before", "change the
blue to teal", "the same for …", "stop", "keep it going until …"."""

from __future__ import annotations

import re

from backdrop.agent.interpret.lexicon.colours import SAID_COLOUR

# Relative references: darker/lighter, the previous background, one colour for another, the same
# for another time, and "stop" (end the focused segment at the play position).
_COL = SAID_COLOUR
SHADE = re.compile(
    r"\b(?P<amt>a little bit|a (?:bit|little|touch|tad|shade)|slightly|somewhat|much|a lot|way|"
    r"far|lots|even|bit)?\s*(?P<dir>darker|lighter|brighter|deeper|paler|dimmer|richer)\b"
)
TINTS = {
    "redder": "red", "bluer": "blue", "greener": "green", "yellower": "yellow",
    "pinker": "pink", "oranger": "orange", "purpler": "purple", "browner": "brown",
    "greyer": "gray", "grayer": "gray", "warmer": "orange", "cooler": "blue",
}  # fmt: skip
"""Comparative colour words → the named colour they move toward ("warmer" = toward orange)."""
_MORE = "red|blue|green|yellow|pink|orange|purple|teal|violet|cyan|magenta|brown"
TINT = re.compile(
    r"\b(?P<amt>a little bit|a (?:bit|little|touch|tad|shade)|slightly|somewhat|much|a lot|way|"
    r"far|lots|even|bit)?\s*(?:(?P<dir>"
    + "|".join(TINTS)
    + r")|more\s+(?P<more>"
    + _MORE
    + r")(?:dish|ish)?)\b(?:\s+(?:colou?r|tone|tint|hue|shade))?"
)
"""A move toward a hue: "redder", "a bit bluer", "much greener", "more purple", "warmer"."""
PREVIOUS = re.compile(
    r"\b(?:(?:like|as|how|the way) (?:before|it was(?: before)?|earlier|last time|previously)|"
    r"(?:back )?to "
    r"(?:the )?(?:previous|old|earlier|original|last|former) (?:colou?r|background|one|look)|"
    r"(?:the )?(?:previous|old|earlier|original|former) (?:colou?r|background|one|look)|"
    r"what it was before)\b"
)
SWAP = (
    re.compile(
        rf"\b(?:change|turn|swap|switch|replace|make|convert)\s+(?:the\s+|that\s+|this\s+)?"
        rf"(?P<a>{_COL})(?:\s+(?:one|part|bit|colou?r|background|bg))?\s+(?:to|into|for|with|by)"
        rf"\s+(?:a\s+|an\s+|some\s+)?(?P<b>{_COL})\b"
    ),
    re.compile(
        rf"\binstead of (?:the\s+)?(?P<a>{_COL})\s*,?\s*(?:(?:use|make it|go with|do|have|try|"
        rf"put)\s+)?(?:a\s+|an\s+)?(?P<b>{_COL})\b"
    ),
    re.compile(rf"\b(?P<b>{_COL})\s+instead of (?:the\s+)?(?P<a>{_COL})\b"),
)
SWAP_SHOULD = re.compile(
    rf"\b(?:the\s+)?(?P<a>{_COL})(?:\s+(?:one|part|bit|colou?r|background|bg))?\s+(?:should|"
    rf"could|would|must|needs? to|has to|ought to)\s+(?:be|look|become)\s+(?:more\s+(?:of\s+|"
    rf"like\s+)?|like\s+)?(?:a\s+|an\s+)?(?P<b>{_COL})\b"
)
"""One colour for another, said as what it should be: "the orange should be more of a teal"."""
SWAP = (*SWAP, SWAP_SHOULD)
_PART = (
    r"(?:\s+(?:one|ones|part|parts|bit|bits|section|sections|segment|segments|colou?r|"
    r"background|bg|backdrop|screen|effect))?"
)
DROP = re.compile(
    r"^\s*(?:drop|remove|delete|get rid of|lose|ditch|take out|take away|kill|scrap|eliminate|"
    r"cut out|throw out|bin)\s+(?:the\s+|that\s+|this\s+|all (?:the\s+)?|any\s+)?"
    rf"(?:(?P<a>{_COL})|(?P<kind>blur|blurring|gradient|image|picture|photo|video|clip))"
    + _PART
    + r"(?:\s+(?:entirely|entire|completely|altogether|totally|too|as well|again|now|please))*\s*$"
)
"""Taking a change out of the plan by its colour or kind: "drop the green", "get rid of the blur
part"; the words must be the whole clause."""
ORIGINAL_BACKGROUND = re.compile(
    r"^\s*(?:(?:i want|give me|can i have|let's have|can we have)\s+)?(?:(?:go|switch|change|"
    r"get|turn) (?:it )?back to|back to|return to|revert(?: it)? to|restore|bring back|put back|"
    r"use|show|keep|leave|just)?\s*(?:the|my|our)\s+(?:original|real|actual|normal|own|"
    r"unedited|untouched|natural)\s+(?:background|backdrop|bg|scene|surroundings)(?:\s+(?:back|"
    r"again|as it was|as it is|please|instead|then|now))*\s*$"
)
"""The source's own background again, everywhere: every background change is taken out ("go
back to the original background", "show the real background again"); the words must be the
whole clause (with a time, "keep the original for the first 2 s" is an exclusion)."""
DROP_KINDS = {
    "blur": "blur", "blurring": "blur", "gradient": "gradient", "image": "image",
    "picture": "image", "photo": "image", "video": "video", "clip": "video",
}  # fmt: skip
REST = re.compile(
    r"\b(?:(?:for |in |during |over )?the rest(?: of (?:it|the (?:video|clip|time|way)))?|"
    r"everywhere else|(?:for |in |during )?(?:all )?the (?:other|remaining) (?:parts?|bits?|"
    r"times?|sections?)|(?:for |in |during )?the remaining time|elsewhere|"
    r"(?:for )?the remainder(?: of (?:the )?(?:video|clip|time))?)\b"
)
"""The time no background change covers yet: "make the rest of it a soft blur"."""
SAME = re.compile(
    r"\b(?:do |the )?same(?: thing| again| effect| colou?r| background)?\b|\bas well\b|"
    r"\btoo\s*$|\bcopy (?:it|that|this)\b|\brepeat (?:it|that|this)\b"
)
SAME_AS_BEFORE = re.compile(
    r"\b(?:do |the )?same(?: thing| again| effect)?\s+(?:as|like)\s+(?:before|earlier|last time|"
    r"previously|that|the (?:last|previous) one)\b"
)
"""The same change as the last one ("same as before but navy"): not the previous background."""
STOP = re.compile(
    r"^\s*(?:stop|end|finish|cut off|kill)(?:\s+(?:it|that|this|there|everything|blurring|"
    r"the (?:blur\w*|background|effect|colou?r|change|fade|gradient|image|video)|"
    rf"the (?:{_COL})(?:\s+(?:one|background|colou?r))?))?"
    r"(?:\s+(?:here|now|there|right here|right now|at this point|at this moment))?\s*$"
)
EXTEND = re.compile(
    r"\b(?:keep (?:it |that |this )?going|extend (?:it|that|this)|make (?:it|that|this) last|"
    r"let (?:it|that|this) (?:run|go on|continue)|carry on|continue(?: it| that)?|go on)"
    r"(?=\s+(?:until|till|til|to|up to|through|for)\b)(?:\s+to\b)?"
)

_LEN_N = (
    r"(?:(?P<n>\d+(?:\.\d+)?)|an?|one)\s*(?:more\s+|extra\s+)?"
    r"(?P<u>seconds?|secs?|s|minutes?|mins?)"
)
_LEN_IT = r"(?:it|that|this|the\s+[a-z][a-z\s-]{0,30}?)"
_LEN_HEAD = r"^\s*(?:(?:and|now|then|ok(?:ay)?|so|please|can you|could you|also|just)[\s,]+)*"
_LEN_TAIL = r"(?:\s+(?:please|then|instead|too|as well))?\s*[.!]?\s*$"
LENGTHEN: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(_LEN_HEAD + p + _LEN_TAIL), sign)
    for p, sign in (
        (
            rf"(?:extend|lengthen|stretch|prolong)(?:\s+{_LEN_IT})?\s+by\s+(?:another\s+)?{_LEN_N}",
            1,
        ),
        (rf"(?:shorten|trim|cut|reduce)(?:\s+{_LEN_IT})?\s+by\s+{_LEN_N}", -1),
        (rf"make\s+{_LEN_IT}\s+(?:last\s+|run\s+|go\s+on\s+)?{_LEN_N}\s+(?:longer|more)", 1),
        (rf"make\s+{_LEN_IT}\s+(?:last\s+|run\s+)?{_LEN_N}\s+(?:shorter|less|fewer)", -1),
        (
            rf"(?:(?:make\s+{_LEN_IT}\s+last|keep\s+{_LEN_IT}\s+(?:going|on)|let\s+{_LEN_IT}\s+run|"
            rf"give\s+(?:it|that|me)|for)\s+)?(?:for\s+)?(?:another|an\s+extra|a\s+further)\s+"
            rf"{_LEN_N}"
            r"(?:\s+(?:more|longer))?",
            1,
        ),
        (
            rf"(?:(?:make\s+{_LEN_IT}\s+last|keep\s+{_LEN_IT}\s+(?:going|on)|for)\s+)?"
            r"(?P<n>\d+(?:\.\d+)?)\s+(?:more|extra)\s+(?P<u>seconds?|secs?|minutes?|mins?)"
            r"(?:\s+(?:of\s+(?:it|that)|longer))?",
            1,
        ),
        (
            rf"(?:add|tack\s+on|give(?:\s+(?:it|me|that))?)\s+(?:another\s+|an\s+extra\s+)?"
            rf"{_LEN_N}(?:\s+(?:to|onto|on\s+to|on|of)(?:\s+{_LEN_IT})?|\s+more)?",
            1,
        ),
        (rf"{_LEN_N}\s+(?:longer|more)", 1),  # "make that 4 s longer" arrives as "4 s longer"
        (rf"{_LEN_N}\s+(?:shorter|less|fewer)", -1),
        (rf"(?:take|cut|trim|knock|shave|chop)\s+{_LEN_N}\s+off(?:\s+(?:of\s+)?{_LEN_IT})?", -1),
    )
)
"""A timed change made longer or shorter by an amount ("extend it by 10 seconds", "10 more
seconds", "make it last 5 seconds less"): the sign (+1 longer, -1 shorter); the end moves."""


def lengthen_by(text: str) -> float | None:
    """Seconds the focused change's end moves by (negative: earlier), or None."""
    for pattern, sign in LENGTHEN:
        m = pattern.match(text)
        if m is not None:
            n = float(m.group("n")) if m.group("n") else 1.0
            unit = 60.0 if m.group("u").startswith("m") else 1.0
            return sign * n * unit
    return None


VAGUE_LENGTH_CHANGE = re.compile(
    _LEN_HEAD + r"(?:(?:make|let|keep)\s+(?:it|that|this|the\s+[a-z]+)\s+(?:last\s+|run\s+|go\s+)?|"
    r"(?:give\s+(?:it|me)\s+|add\s+|for\s+)?)"
    r"(?:(?:a\s+(?:few|couple(?:\s+of)?)|some|a\s+bit|a\s+little)\s+more\s+seconds|"
    r"(?:a\s+)?(?:bit|little|lot|few\s+seconds)\s+(?:longer|shorter)|much\s+(?:longer|shorter)|"
    r"(?:twice|double|half|three\s+times)\s+as\s+long(?:\s+as\s+(?:that|it|before))?)" + _LEN_TAIL
)
"""A length change without an amount ("a few more seconds", "a bit longer", "half as long"):
asked about (it said "nothing changed", or read "half" as see-through)."""
