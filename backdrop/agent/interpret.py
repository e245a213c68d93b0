"""The embedded, rule-based interpreter: English instructions → tool calls.

It is table driven. An instruction goes through four steps:

1. **Normalise**: file paths (quoted or not) and hex colours become placeholders (``@p0``,
   ``@h1e40af``) so that their dots, digits and spaces cannot confuse the later steps; the text
   is lower-cased and spoken numbers ("thirty seconds", "half a minute") become digits.
2. **Split** into clauses at ``;``, ``.``, "then", and at ``,`` / "and" / "but" where the next
   piece starts a new instruction (a verb such as "make", "fade", "keep"). Other pieces are glued
   back, so "blue and purple", "fade in and out" and "between 1:10 and 1:30" stay whole.
3. **Read each clause** with the rule tables below, each consuming the words it understood, in
   order: undo/redo, unsupported subjects, fades, time ranges, edges, strength, blur, removal,
   keep, colours / gradients / files.
4. **Compose** the clauses into tool calls: background changes become segment drafts (remove +
   replace in one sentence is one segment), fades, strength and bare time ranges attach to the
   latest draft of the sentence, or to the focused segment of the plan when there is none.

The calls run through the tool registry as one history step, so one undo reverts the sentence.
All times are seconds; negative times count back from the end of the video.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from backdrop.agent.interpret_words import (
    FIX,
    NeedsPosition,
    drop_filler,
    fix_typos,
    mark_corrections,
    mark_exclusions,
    now_phrases,
    spoken_times,
    take_sizes,
    words_to_numbers,
)
from backdrop.agent.replies import Reply, sentence, step_reply
from backdrop.render.colors import NAMED_COLORS, NAMED_GRADIENTS, hex_to_rgb
from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    EditPlan,
    TimeRange,
    describe_background,
)
from backdrop.tools import ToolCall, ToolContext, ToolRegistry, default_registry
from backdrop.tools.runner import run_step

log = logging.getLogger(__name__)

EXAMPLES = (
    "“remove the background”",
    "“make the background a blue to purple gradient”",
    "“blur the background for the first 10 seconds”",
)
CAPABILITIES = (
    "I can remove, blur or replace the background (a colour, a gradient, an image or a video "
    "file) behind the person, limit it to a time range, fade it in or out, and adjust the edges"
)


class Unclear(Exception):
    """A clause could not be understood; the message is the question to ask."""


class Unsupported(Exception):
    """A clause names something the embedded interpreter cannot do; the message says so."""


# -- step 1: normalisation tables --------------------------------------------------------------
MAX_CHARS = 2000
"""Longer instructions are read up to this many characters."""
MIN_SPAN = 0.01
"""Time ranges shorter than this many seconds (about a frame) are asked about."""
MAX_SECONDS = 10 * 24 * 3600.0
"""Times beyond this (ten days) are not read as times of a video."""
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp")
VIDEO_EXTENSIONS = ("mp4", "mov", "webm", "mkv", "avi")
_EXT = "|".join(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)
_QUOTED_PATH = re.compile(
    rf"\"([^\"]+?\.(?:{_EXT}))\"|'([^']+?\.(?:{_EXT}))'|“([^”]+?\.(?:{_EXT}))”|‘([^’]+?\.(?:{_EXT}))’",
    re.IGNORECASE,
)
_BARE_PATH = re.compile(rf"(?<![\w@])([\w~./\\:-]*\w\.(?:{_EXT}))(?![\w.]*\w)", re.IGNORECASE)
_HASH_HEX = re.compile(r"#([0-9a-f]{6})\b")
_COLOUR_WORDS = re.compile(r"\b(?:colou?rs?|hex|code)\b")
_BARE_HEX = re.compile(r"(?<![@#\w])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])([0-9a-f]{6})\b")

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)"
_PROTECTED = frozenset(
    w for name in (*NAMED_COLORS, *NAMED_GRADIENTS) for w in name.split()
) | frozenset(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)
_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + rf")(?=[\s-]+{_UNIT}\b)"
)
# Spoken durations → digits, applied in order.
_SPOKEN_TIMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
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
        (r"\b(\d+)-(seconds?|minutes?|secs?|mins?)\b", r"\1 \2"),
    )
)  # fmt: skip

# -- step 2: clause splitting ------------------------------------------------------------------
_SPLIT = re.compile(
    r"\s*(;|\.(?=\s|$)|,?\s*\band then\b|,?\s*\bthen\b|,\s*and\b|,\s*but\b|,|\band\b|\bbut\b"
    r"|\balso\b|\bplus\b)\s*"
)
_HARD = re.compile(r"[;.]|\bthen\b")
_FILLER = re.compile(
    r"^(?:(?:please|also|now|just|and|but|so|ok(?:ay)?|actually|then|oh|hey|um|uh|"
    r"can you|could you|would you|will you|i want you to|i'd like you to|i want to|let's|"
    r"go ahead and|try to|maybe)\b[\s,]*)+"
)
_STARTER = re.compile(
    r"^(?:make|turn|change|set|use|put|replace|swap|switch|remove|get rid|delete|erase|drop|"
    r"cut|take|hide|lose|blur|unblur|fade|keep|preserve|leave|undo|redo|go back|revert|"
    r"scratch|never ?mind|soften|sharpen|smooth|tighten|shrink|grow|expand|give|add|apply|"
    r"i want|i'd like|i would like|the (?:edge|edges|hair|outline|background|bg|mask)|edges?\b|"
    r"hair|it'?s|it is|gradually|slowly|slightly|softer|sharper|crisper|tighter|stronger|"
    r"weaker|subtle|half|full|only|show|no\b|without|do\b|don't|more|less)"
)

# -- step 3: clause rules ----------------------------------------------------------------------
_UNDO = re.compile(
    r"\b(?:undo(?: that| it| the last (?:change|step|edit))?|go back(?! to)|revert(?: that| it)?|"
    r"take that back|scratch that|never ?mind|forget (?:it|that|about (?:it|that))|"
    r"cancel (?:it|that))\b(?:\s+(twice|\d+ times|two times|three times))?"
)
_DONT = re.compile(r"^(?:no )?(?:don'?t|do not)(?: do (?:it|that))?(?: after all)?$")
_REDO = re.compile(r"\b(?:redo|re-do|do that again)\b(?:\s+(twice|\d+ times|two times))?")
_REPEAT = {"twice": 2, "two times": 2, "three times": 3}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BG_NOUNS = _words(
    "background backgrounds bg backdrop back scene setting room it that this everything "
    "all wall walls surroundings"
)
_PERSON_NOUNS = _words(
    "person people me myself speaker subject us man woman guy girl host presenter "
    "him her them face body foreground"
)
_EFFECT_NOUNS = _words(
    "blur fade gradient colour color effect change changes edit edits edge edges "
    "transparency image video picture photo shade tint"
)
_NOT_NOUNS = _words(
    "a lot little bit more less out only for from in until till between after and but "
    "please now slightly heavily strongly completely entirely fully too very really first last "
    "whole entire rest end start beginning behind on over across around at with to of into "
    "onto up down here there just bit effect everything it's is"
)
_DETERMINER = r"(?:(?:the|my|our|your|that|this|a|an|all|all the|of the|of)\s+)?"
_REMOVE_VERB = re.compile(
    r"\b(?:remove|delete|erase|get rid of|take out|take away|cut out|drop|hide|lose|strip|"
    rf"eliminate)\s+{_DETERMINER}([a-z]+)"
)
_KEEP_VERB = re.compile(
    rf"\b(?:keep|preserve|retain|leave in|don'?t remove|do not remove)\s+(?:only\s+)?"
    rf"{_DETERMINER}([a-z]+)"
)
_BLUR_TARGET = re.compile(r"\bblur\s+(?:out\s+)?(?:(?:the|my|that|this)\s+)?([a-z]+)")
_CUT_ME_OUT = re.compile(r"\bcut\s+(?:me|us|the person|him|her)\s+out\b")
_TRANSPARENT = re.compile(
    r"\b(?:transparent|see-through|alpha|no background|without (?:a |the |any )?background|"
    r"(?:remove|delete|erase|get rid of|take out|take away|cut out|drop|hide|lose|strip|"
    r"eliminate)\s+(?:(?:the\s+)?rest\s+of\s+)?"
    + _DETERMINER
    + r"(?:background|backgrounds|bg|backdrop|scene|"
    r"surroundings|it|that|this|everything)\b)"
)
_KEEP_PERSON = re.compile(
    r"\b(?:keep|preserve|retain|leave in|don'?t remove|do not remove)\s+(?:only\s+)?"
    + _DETERMINER
    + r"(?:person|people|me|myself|speaker|subject|us|man|woman|guy|girl|host|presenter|him|"
    r"her|them|face|body|foreground)\b(?:\s+(?:who|that)\s+(?:is\s+)?\w+)?"
)
_TAKE_AWAY = re.compile(
    r"\b(?:remove|delete|get rid of|drop|turn off|stop|no more|no|without|lose|cancel)\s+"
    r"(?:the |any |that )?(?:blur\w*|fades?|fading|gradient|effect|colou?r)\b|\bunblur"
)
_BLUR = re.compile(r"\b(?:blur\w*|bokeh|defocus\w*|out of focus|portrait mode)\b")

# Fades. The duration is read after the kind; "over" may say "the first/last".
_FADE = re.compile(
    r"\b(?:fad(?:e|es|ed|ing)|dissolve)[- ]?(?:(?:it|them|this|that|everything|all|things|"
    r"(?:the|my) (?:background|bg|blur|effect|colou?r|gradient|change|image|video))\s+)?"
    r"(in and out|out and in|in ?& ?out|in/out|in|out|away|up)?\b"
)
_GRADUALLY = re.compile(r"\b(?:gradually|progressively|smoothly|(slowly))\b")
_T = (
    r"(?:\b\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?"
    rf"|\b\d+(?:\.\d+)?(?![\d.])(?!\s*(?:%|percent|px|pixel))(?:\s*{_UNIT}\b)?)"
)
_FADE_DURATION = (
    re.compile(rf"\b(?:over|across|lasting|taking|of)\s+(?:about |around |roughly )?"
               rf"(?:the (?:first|last|final) )?({_T})"),
    re.compile(rf"\b(?:for|in|within)\s+(?:about |around |roughly )?({_T})"),
    re.compile(rf"\b(?:a|an|the|with)\s+({_T})[- ]?(?:long\s+)?(?=(?:fad|dissolve|transition))"),
)  # fmt: skip
_FADE_NOISE = re.compile(
    r"\b(?:at|towards?|near|by) the (?:end|start|beginning)\b|\bat (?:the )?(?:end|start)\b"
)
_QUICK = re.compile(r"\b(?:quick(?:ly)?|fast|short)\b")
_SLOW = re.compile(r"\b(?:slow(?:ly)?|long)\b")

_AFTER_THAT = re.compile(
    r"\b(?:after that|afterwards?|thereafter|from then on|from there on|"
    r"for the rest(?: of (?:the |it|the video|the clip|the time))?(?:video|clip|time)?|"
    r"the rest of the (?:time|video|clip))\b"
)
_BEFORE_THAT = re.compile(r"\bbefore that\b")
_WHOLE = re.compile(
    r"\b(?:the )?(?:whole|entire|full) (?:video|clip|thing|time|way through)\b|\bthroughout\b"
    r"|\ball the time\b|\beverywhere\b"
)
_TO_END = re.compile(r"\b(?:until|till|til|to|through|up to) the (?:very )?end\b")
_FROM_START = re.compile(r"\bfrom the (?:very )?(?:start|beginning)\b")

_Span = tuple[float | None, float | None, bool, bool]  # start, end, start given, end given


def _seconds(token: str, default_unit: str = "s") -> float:
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
        raise Unclear(_clarify(f"“{token}” is too far out to be a time in a video; which time?"))
    return seconds


def _positive(seconds: float) -> float:
    if seconds < MIN_SPAN:
        raise Unclear(_clarify("A time range needs a length above zero; which span?"))
    return seconds


def _unit_of(token: str) -> str:
    m = re.search(rf"({_UNIT})$", token.strip())
    return m.group(1) if m else "s"


def _pair(m: re.Match[str]) -> _Span:
    a, b = m.group("a"), m.group("b")
    unit = _unit_of(b)
    return _seconds(a, unit), _seconds(b), True, True


_RANGE_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _Span]], ...] = (
    (
        re.compile(
            rf"\b(?:between|from)\s+(?P<a>{_T})\s*(?:and|to|until|till|through|-|–)\s*(?P<b>{_T})"
        ),
        _pair,
    ),
    (re.compile(rf"(?P<a>{_T})\s*(?:-|–|to|until)\s*(?P<b>{_T})"), _pair),
    (
        re.compile(rf"\b(?:the\s+)?first\s+(?P<a>{_T})"),
        lambda m: (0.0, _seconds(m.group("a")), True, True),
    ),
    (
        re.compile(rf"\b(?:the\s+)?(?:last|final)\s+(?P<a>{_T})"),
        lambda m: (-_positive(_seconds(m.group("a"))), None, True, True),
    ),
    (
        re.compile(
            r"\b(?:from|starting(?:\s+(?:at|from))?|starts?\s+at|beginning\s+(?:at|from)|"
            rf"begins?\s+at|after|since|past|at)\s+(?P<a>{_T})(?:\s+on(?:wards?)?)?"
        ),
        lambda m: (_seconds(m.group("a")), None, True, False),
    ),
    (
        re.compile(
            r"\b(?:until|till|til|up\s+(?:to|until)|through|before|by|ending\s+at|ends?\s+at)"
            rf"\s+(?P<a>{_T})"
        ),
        lambda m: (None, _seconds(m.group("a")), False, True),
    ),
    (
        _FOR_RULE := re.compile(rf"\bfor\s+(?:about\s+)?(?P<a>{_T})"),
        lambda m: (0.0, _seconds(m.group("a")), True, True),
    ),
)

# Edges: (pattern, action). Actions are applied to the current settings in _edge_update.
_EDGE_NOUN = re.compile(
    r"\b(?:edges?|outlines?|borders?|cut-?out|halo|fringe|mask|hair(?:line)?|silhouette|"
    r"contours?)\b"
)
_EDGE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), a)
    for p, a in (
        (r"\b(?:cut(?:s|ting)? (?:into|off)|eat(?:s|ing)? into|chop(?:s|ping)? off|clip(?:s|ping)?"
         r" (?:off|into)|too tight|missing (?:my|the|his|her)|loses? (?:my|the|his|her)|"
         r"grow|expand|bigger|looser|wider)\b", "grow"),
        (r"\b(?:tight(?:er|en)?|shrink|smaller|too loose|halo|fringe|background (?:is )?"
         r"(?:showing|bleeding|leaking))\b", "shrink"),
        (r"\b(?:rough|jagged|choppy|ragged|messy|blocky|stair-?stepp?(?:ed|ing)|aliased|"
         r"pixelated|bad|ugly|noisy|flicker(?:s|ing|y)?)\b", "refine"),
        (r"\b(?:too (?:soft|blurry|fuzzy|smooth)|less (?:soft|blurry|fuzzy))\b", "sharpen"),
        (r"\b(?:too (?:sharp|harsh|hard|crisp)|less (?:sharp|harsh|hard|crisp))\b", "soften"),
        (r"\b(?:soft(?:er|en)?|smooth(?:er)?|feather(?:ed)?|blur(?:rier|ry|red)?|gentler)\b",
         "soften"),
        (r"\b(?:sharp(?:er|en)?|crisp(?:er)?|harder|cleaner)\b", "sharpen"),
    )
)  # fmt: skip
_ME = re.compile(r"\b(?:me|my|him|his|her|them|us|person)\b")
_BARE_EDGE = re.compile(r"\b(?:sharper|crisper|tighter|softer|smoother|sharpen)\b")

# Strength: relative changes are checked first, then absolute levels (0..1).
_STRENGTH_REL: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\bless (?:subtle|faint|weak|transparent)|\bnot (?:strong|intense|visible) "
                r"enough|\btoo (?:subtle|faint|weak)\b"), 0.2),
    (re.compile(r"\b(?:too (?:much|strong|heavy|intense|blurry)|overdone|not (?:so|as|that) much|"
                r"more subtle|subtler|weaker|less(?: strong| intense| obvious| visible)?|"
                r"tone (?:it )?down|dial (?:it )?back|reduce|fainter)\b"), -0.2),
    (re.compile(r"\b(?:stronger|more(?: intense| strong| visible| obvious)?|intensify|boost|"
                r"crank (?:it )?up|increase|heavier|blurrier)\b"), 0.2),
)  # fmt: skip
_STRENGTH_ABS: tuple[tuple[re.Pattern[str], float | None], ...] = (
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:%|percent)"), None),
    (re.compile(r"\bhalf(?:\s+(?:strength|opacity|intensity|as strong|way))?\b"), 0.5),
    (re.compile(r"\b(?:full(?:\s+(?:strength|opacity|intensity))?|fully|maximum|max)\b"), 1.0),
    (re.compile(r"\b(?:subtle|subtly|faint|barely|a hint)\b"), 0.4),
)
_BLUR_INTENSITY: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(?:a lot|lots|heavily|strongly|very|really|much|extreme(?:ly)?|super|"
                r"heavy|strong|completely)\b"), 0.9),
    (re.compile(r"\b(?:slightly|a little|a bit|lightly|light|gently|subtly|a touch|mild(?:ly)?|"
                r"soft(?:ly)?|bit)\b"), 0.3),
)  # fmt: skip
_TARGET_ALL = re.compile(r"\b(?:everything|all of (?:it|them)|all (?:the )?segments|every)\b")

# Colours: full names (multi-word first) beat "light"/"dark" + a name.
_NAMES = "|".join(re.escape(n) for n in sorted(NAMED_COLORS, key=len, reverse=True))
_COLOUR = re.compile(
    rf"@h(?P<hex>[0-9a-f]{{6}})|\b(?P<named>{_NAMES})\b"
    rf"|\b(?P<mod>light|dark|pale|deep|bright)\s+(?P<base>{_NAMES})\b"
)
_GRADIENT = re.compile(r"\bgradients?\b")
_PRESET = re.compile(
    r"\b(" + "|".join(NAMED_GRADIENTS) + r")\b(?=\s+(?:gradient|background|colou?rs?|look|theme|"
    r"vibe|feel|style|mood))|\blike (?:a |an |the )?(" + "|".join(NAMED_GRADIENTS) + r")\b"
)
_RADIAL = re.compile(r"\b(?:radial|circular|from the (?:centre|center))\b")
_ANGLES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(?:horizontal(?:ly)?|left to right|sideways)\b"), 0.0),
    (re.compile(r"\bright to left\b"), 180.0),
    (re.compile(r"\bdiagonal(?:ly)?\b"), 45.0),
    (re.compile(r"\bbottom to top\b"), 270.0),
    (re.compile(r"\b(?:vertical(?:ly)?|top to bottom)\b"), 90.0),
)
_PATH_TOKEN = re.compile(r"@p(\d+)")

# Relative references: darker/lighter, the previous background, one colour for another, the same
# for another time, and "stop" (end the focused segment at the play position).
_COL = rf"(?:@h[0-9a-f]{{6}}|(?:(?:light|dark|pale|deep|bright)\s+)?(?:{_NAMES}))"
_SHADE = re.compile(
    r"\b(?P<amt>a little bit|a (?:bit|little|touch|tad|shade)|slightly|somewhat|much|a lot|way|"
    r"far|lots|even|bit)?\s*(?P<dir>darker|lighter|brighter|deeper|paler|dimmer|richer)\b"
)
_PREVIOUS = re.compile(
    r"\b(?:(?:like|as) (?:before|it was(?: before)?|earlier|last time|previously)|(?:back )?to "
    r"(?:the )?(?:previous|old|earlier|original|last|former) (?:colou?r|background|one|look)|"
    r"(?:the )?(?:previous|old|earlier|original|former) (?:colou?r|background|one|look)|"
    r"what it was before)\b"
)
_SWAP = (
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
_SAME = re.compile(
    r"\b(?:do |the )?same(?: thing| again| effect| colou?r| background)?\b|\bas well\b|"
    r"\btoo\s*$|\bcopy (?:it|that|this)\b|\brepeat (?:it|that|this)\b"
)
_STOP = re.compile(
    r"^\s*(?:stop|end|finish|cut off|kill)(?:\s+(?:it|that|this|there|everything|blurring|"
    r"the (?:blur\w*|background|effect|colou?r|change|fade|gradient|image|video)))?"
    r"(?:\s+(?:here|now|there|right here|right now|at this point|at this moment))?\s*$"
)
_EXTEND = re.compile(
    r"\b(?:keep (?:it |that |this )?going|extend (?:it|that|this)|make (?:it|that|this) last|"
    r"let (?:it|that|this) (?:run|go on|continue)|carry on|continue(?: it| that)?|go on)"
    r"(?=\s+(?:until|till|til|to|up to|through|for)\b)(?:\s+to\b)?"
)
_NOBODY = re.compile(
    r"\b(?:remove|delete|erase|get rid of|take out|cut out|hide|lose|eliminate|drop)\s+"
    r"(?:(?:all|every|each)\s+)?(?:of\s+)?(?:the\s+)?(?:me|myself|him|her|them|us|everyone|"
    r"everybody|anyone|anybody|person|people|persons|speaker|speakers|subject|man|woman|guy|girl|"
    r"host|presenter|humans?)\b(?!\s+(?:out\b|from\b))"
    r"|\b(?:don'?t|do not|never)\s+keep\s+(?:anybody|anyone|any ?one|the person|me|him|her|"
    r"them|people|us)\b|\bkeep\s+(?:nobody|no ?one|no people)\b"
)
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\b(?:what(?:'s| is)|everything) (?:behind|around) (?:me|him|her|us|them|the person)\b",
         "the background"),
        (r"\beverything (?:except|but|other than|apart from|besides) (?:me|him|her|us|them|"
         r"the person|the people|the speaker)\b", "the background"),
        (r"\b(?:background|bg|backdrop|scene|surroundings)\s+(?:to be\s+)?(?:gone|off|removed|"
         r"deleted|erased|taken out|cut out|away|needs to go|has to go|should go|must go|to go|"
         r"out of here|disappear\w*|vanish\w*)\b", "remove the background"),
        (r"\b(?:kill|nuke|ditch|scrap|zap|dump|trash|bin|wipe(?: out)?|clear(?: out)?|"
         r"strip(?: out)?)\s+(?=(?:the |that |this |my |all the )?(?:background|bg|backdrop|"
         r"surroundings)\b)", "remove "),
        (r"\bget (?:that|the|this|my) (?:background|bg|backdrop) out(?: of (?:here|there))?\b",
         "remove the background"),
        (r"\b(?:remove|delete|erase|get rid of|lose|drop|hide) (?:the rest|everything else)\b",
         "remove the background"),
        (r"\b(?:(?:i|we) )?(?:(?:want|need|have) to |should |must |to )?(?:stay|remain) "
         r"(?:visible|in (?:the )?(?:picture|shot|frame|video))\b", "keep the person"),
        (r"\bmore (?:transparent|see-through|translucent)\b", "weaker"),
        (r"\bkeep it (?:light|subtle|gentle|soft|low|mild)\b", "subtle"),
        (r"\bless (?:transparent|see-through|translucent)\b", "stronger"),
        (r"\b(red|green|blue|yellow|orange|pink|purple|grey|gray|brown|teal)(?:d?ish|y)\b",
         r"\1"),
        (r"\bbluish\b", "blue"), (r"\bpurplish\b", "purple"),
        (r"\b(?:fill|paint|colou?r)\s+(?:it|the background|the bg|the backdrop|that|everything)"
         r"\s+(?:with|in)\b", "make it"),
    )
)  # fmt: skip
_REPLACE_WORDS = re.compile(r"\b(?:replace|swap|change|switch|use|put|set|make)\b")


def _shade(color: str, amount: float) -> str:
    """Mix ``color`` ('#rrggbb') toward white (``amount > 0``) or black (``< 0``), 0..1."""
    out = []
    for c in hex_to_rgb(color):
        target = 255 if amount > 0 else 0
        out.append(round(c + (target - c) * abs(amount)))
    return "#" + "".join(f"{c:02x}" for c in out)


def _luma(color: str) -> float:
    r, g, b = hex_to_rgb(color)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0


# -- clause record -----------------------------------------------------------------------------
@dataclass
class _Clause:
    """What one clause says. Unset fields mean the clause said nothing about them."""

    text: str
    sequential: bool = False
    undo: int = 0
    redo: int = 0
    background: dict[str, Any] | None = None
    remove: bool = False
    blur: bool = False
    keep: bool = False
    fades: dict[str, float] = field(default_factory=dict)
    range: TimeRange | None = None
    relative: Literal["after", "before"] | None = None
    strength: tuple[Literal["abs", "rel"], float] | None = None
    edges: list[str] = field(default_factory=list)
    target_all: bool = False
    subjects: list[dict[str, Any]] = field(default_factory=list)
    extra_calls: list[ToolCall] = field(default_factory=list)
    correction: bool = False
    exclude: list[TimeRange] = field(default_factory=list)
    shade: float | None = None
    previous: bool = False
    swap: tuple[str, str] | None = None
    same: bool = False
    stop: bool = False
    extend: bool = False
    also: list[TimeRange] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    def understood(self) -> bool:
        return bool(
            self.subjects
            or self.exclude
            or self.shade is not None
            or self.previous
            or self.swap
            or self.stop
            or self.extra_calls
            or self.undo
            or self.redo
            or self.background
            or self.remove
            or self.blur
            or self.keep
            or self.fades
            or self.range
            or self.strength
            or self.edges
        )


@dataclass
class _Draft:
    """A background segment being composed from one or more clauses of a sentence."""

    tool: Literal["set_background", "remove_background", "blur_background"]
    background: dict[str, Any] | None = None
    blur: float = 0.6
    range: TimeRange | None = None
    opacity: float | None = None
    fades: dict[str, float] = field(default_factory=dict)
    more_ranges: list[TimeRange] = field(default_factory=list)


@dataclass
class Parsed:
    """An instruction read but not yet run.

    Attributes:
        pre: undo/redo calls, run one by one before ``calls``.
        calls: the edit calls, run as one history step.
        ignored: parts of the text that were not understood (said back to the person).
        notes: things understood but not applied (an output size), in plain words.
        took_back: the sentence undid its own change ("make it blue and then undo that").
    """

    pre: list[ToolCall]
    calls: list[ToolCall]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    took_back: bool = False


# -- the interpreter ---------------------------------------------------------------------------
class RuleInterpreter:
    """Maps English instructions to tool calls with rule tables; no model needed.

    Args:
        registry: The tools to dispatch through (default: every built-in tool).
    """

    def __init__(self, registry: ToolRegistry | None = None) -> None:
        self.registry = registry or default_registry()

    # -- public ----------------------------------------------------------------------------------
    def interpret(self, text: str, ctx: ToolContext) -> Reply:
        """Understand ``text`` and apply it to ``ctx`` as one undoable step.

        Returns a :class:`Reply`. What was understood is applied and said back; parts that were
        not understood are named ("I didn't understand “is it”"). Only when nothing actionable
        is understood does it ask. When a tool refuses (a missing file, nothing to fade), the
        plan is left unchanged.
        """
        try:
            parsed = self.parse(text, ctx)
        except Unclear as e:
            return Reply(str(e), clarify=True)
        except Unsupported as e:
            return Reply(str(e))
        if not parsed.pre and not parsed.calls:
            return nothing_done_reply(parsed)
        reply = self.run(text, ctx, parsed.pre, parsed.calls)
        return with_leftovers(reply, parsed)

    def run(self, text: str, ctx: ToolContext, pre: list[ToolCall], calls: list[ToolCall]) -> Reply:
        """Run ``pre`` (undo/redo) one by one, then ``calls`` as one history step labelled
        ``text``: all or nothing. The reply says what changed, or why nothing did."""
        step = run_step(ctx, calls, text, registry=self.registry, pre=pre)
        return step_reply(step, edited=bool(calls))

    def plan_calls(self, text: str, ctx: ToolContext) -> tuple[list[ToolCall], list[ToolCall]]:
        """Parse ``text`` into ``(undo/redo calls, edit calls)`` without running them.

        Parts that are not understood are left out (:meth:`parse` names them).

        Raises:
            Unclear: nothing in it was understood (its message is the clarifying question).
            Unsupported: names something the embedded interpreter cannot do.
        """
        parsed = self.parse(text, ctx)
        return parsed.pre, parsed.calls

    def parse(self, text: str, ctx: ToolContext) -> Parsed:
        """Read ``text`` into a :class:`Parsed` (calls, ignored parts, notes) without running it.

        Raises:
            Unclear: nothing actionable was understood, or a time cannot be read.
            Unsupported: names something the embedded interpreter cannot do.
        """
        try:
            norm, paths, sizes = _normalise(text, ctx.position, ctx.duration)
        except NeedsPosition as e:
            raise Unclear(
                "I don't know where “now” is here: there is no live play position. Say a time "
                "instead, for example “from 0:12 on, make it green”."
            ) from e
        notes = [_size_note(sizes)] if sizes else []
        clauses: list[_Clause] = []
        ignored: list[str] = []
        took_back = False
        for piece, seq, fix in _split(norm):
            # "blur it; no actually, don't" takes back what came before, like "undo that"
            c = _Clause(piece, undo=1) if _DONT.match(piece) else _read_clause(piece, seq, paths)
            c.correction = fix
            ignored += c.unread if c.understood() else []
            edits = [x for x in clauses if not (x.undo or x.redo)]
            if fix and not c.understood() and edits and _correct_time(edits[-1], piece):
                continue  # "fade it in over 2 seconds, no, 4 seconds"
            if not c.understood():
                if not _is_noise(piece):
                    ignored.append(piece)
                continue
            edits = [x for x in clauses if not (x.undo or x.redo)]
            if c.undo and _only_history(c) and edits:
                # "make it blue and then undo that": the sentence takes back its own change
                clauses = [x for x in clauses if x.undo or x.redo]
                took_back = True
                continue
            if c.correction and edits:
                clauses.remove(edits[-1])
                c = _inherit(c, edits[-1])
            clauses.append(c)
        if not clauses:
            if took_back or notes:
                return Parsed([], [], ignored, notes, took_back)
            what = f" by “{_quote(ignored[0])}”" if ignored and ignored[0] != norm else ""
            raise Unclear(_clarify(f"I'm not sure what you mean{what}."))
        pre, calls = _compose(clauses, ctx, notes)
        undos = sum(1 for call in pre if call.name == "undo")
        if undos and calls and len(ctx.history.past) < undos:
            # "never mind, make it green" on a fresh plan: nothing to take back, do the rest
            pre = [call for call in pre if call.name != "undo"]
            notes.append("there was nothing to undo")
        return Parsed(pre, calls, ignored, notes, took_back)


def nothing_done_reply(parsed: Parsed) -> Reply:
    """The reply when an instruction was read but leaves nothing to run."""
    parts: list[str] = []
    if parsed.took_back:
        parts.append("You took that back in the same sentence, so nothing changed.")
    parts += [sentence(n[:1].upper() + n[1:]) for n in parsed.notes]
    if parsed.ignored:
        parts.append(_not_understood(parsed.ignored))
    if not parts:
        return Reply(_clarify("I'm not sure what you'd like me to change."), clarify=True)
    return Reply(" ".join(parts))


def with_leftovers(reply: Reply, parsed: Parsed) -> Reply:
    """``reply`` with what was not applied and what was not understood said after it."""
    extra = [sentence(n[:1].upper() + n[1:]) for n in parsed.notes]
    if parsed.ignored:
        extra.append(_not_understood(parsed.ignored))
    if not extra:
        return reply
    return Reply(" ".join([reply.text, *extra]), reply.calls, reply.changed, reply.clarify)


def _not_understood(ignored: list[str]) -> str:
    said = " or ".join(f"“{_quote(i)}”" for i in ignored[:3])
    return f"I didn't understand {said}, so I left that out."


def _quote(text: str) -> str:
    text = re.sub(r"@p\d+", "the file", text)
    text = re.sub(r"@h([0-9a-f]{6})", r"#\1", text).replace(FIX, "").strip(" ,;")
    return text if len(text) <= 60 else text[:57] + "…"


def _size_note(sizes: list[str]) -> str:
    said = ", ".join(dict.fromkeys(sizes))
    return (
        f"I can't change the export size yet, so {said} was not applied: the video keeps its "
        "own size"
    )


_NOISE = re.compile(
    r"^(?:[\s,.;:!?'-]|\b(?:and|but|or|then|so|the|a|it|that|this|in|at|to|of)\b)*$"
)


def _is_noise(piece: str) -> bool:
    """Connectives and punctuation left over after the clean-up: nothing to report."""
    return _NOISE.match(piece) is not None


_BARE_TIME = re.compile(
    rf"^(?:(?:to|over|for|until|till|make it|the first|the last|first|last)\s+)?({_T})$"
)


def _correct_time(prev: _Clause, piece: str) -> bool:
    """A correction that is only a time ("…, no, 4 seconds") changes the previous clause's
    fade length, or the length of its "first/last N" range. Returns whether it did."""
    m = _BARE_TIME.match(piece.strip())
    if m is None:
        return False
    t = _seconds(m.group(1))
    if prev.fades:
        prev.fades = dict.fromkeys(prev.fades, t)
        return True
    rng = prev.range
    if rng is not None and rng.start == 0 and rng.end is not None and rng.end > 0 and t > 0:
        prev.range = TimeRange(start=0.0, end=t)
        return True
    if rng is not None and rng.start < 0 and rng.end is None and t > 0:
        prev.range = TimeRange(start=-t)
        return True
    return False


def _only_history(c: _Clause) -> bool:
    return not (dataclasses.replace(c, undo=0, redo=0, text="", sequential=False,
                                    correction=False).understood())  # fmt: skip


def _inherit(new: _Clause, old: _Clause) -> _Clause:
    """A correction: ``new`` replaces ``old``, keeping what ``old`` said and ``new`` does not.

    "make it red for the first 10 s, no wait, blue" → blue for the first 10 s; "…, sorry, the
    first 20 s" → red for the first 20 s.
    """
    out = dataclasses.replace(new)
    says_background = new.background or new.remove or new.blur
    if not says_background:
        out.background, out.remove, out.blur = old.background, old.remove, old.blur
        out.keep = out.keep or old.keep
    if out.range is None and not out.exclude and out.relative is None:
        out.range, out.exclude, out.relative = old.range, old.exclude, old.relative
    if not out.fades:
        out.fades = old.fades
    if out.strength is None and not says_background:
        out.strength = old.strength
    out.sequential = old.sequential
    return out


# -- step 1 ------------------------------------------------------------------------------------
_SCI = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?e[+-]?\d+)(?![\w.])")
_LONG_CLOCK = re.compile(r"(?<![\w:])\d+(?::\d+(?:\.\d+)?){3,}(?![\w:])")
"""A clock with more than three fields ("1:2:3:4"): never silently read as its first field."""
_NEGATIVE_TIME = re.compile(
    r"\b(?:from|at|after|since|until|till|to|between|before|starting(?: at)?|for|over|last|"
    r"first)\s+(?:the\s+)?(?:-|minus\s+|negative\s+)\s*\d"
)


_HALF = re.compile(
    r"\b(?:the )?(?P<which>first|second|last|latter|final|other) half(?: of (?:the |this )?"
    r"(?:video|clip|it|thing))?\b|\b(?:the )?middle (?P<n>\d+(?:\.\d+)?) ?(?P<unit>seconds?|s|"
    r"minutes?)\b"
)


def _halves(text: str, duration: float | None) -> str:
    """ "the first half" → "the first 30 seconds" of a 60 s video; "the middle 10 seconds" →
    "from 25 to 35 seconds"."""

    def repl(m: re.Match[str]) -> str:
        if duration is None:
            raise Unclear(
                _clarify("I don't know how long this video is yet; say the times in seconds.")
            )
        if m.group("n"):
            n = float(m.group("n")) * (60.0 if m.group("unit").startswith("m") else 1.0)
            a, b = max(0.0, (duration - n) / 2), min(duration, (duration + n) / 2)
            return f" from {a:g} to {b:g} seconds "
        half = duration / 2
        if m.group("which") == "first":
            return f" the first {half:g} seconds "
        return f" from {half:g} seconds "

    return _HALF.sub(repl, text)


def _plain_number(m: re.Match[str]) -> str:
    """ "1e3" → "1000"; a number too large for any video stays too large (and is asked about)."""
    value = float(m.group(1))
    if not math.isfinite(value) or value > MAX_SECONDS:
        return str(int(MAX_SECONDS * 10))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _normalise(
    text: str, now: float | None = None, duration: float | None = None
) -> tuple[str, list[str], list[str]]:
    """``(text, paths, sizes)``: lower-cased text with placeholders for paths (``@pN``) and hex
    colours (``@hrrggbb``), spoken language cleaned up (see :mod:`interpret_words`), and the
    output sizes that were said (cut out: they are never times).

    Raises:
        NeedsPosition: the text says "now" and ``now`` is ``None``.
    """
    paths: list[str] = []

    def keep_path(m: re.Match[str]) -> str:
        paths.append(next(g for g in m.groups() if g))
        return f" @p{len(paths) - 1} "

    # Placeholders and markers are ours alone: the person's text cannot contain them.
    text = "".join(ch if ch.isprintable() else " " for ch in text[:MAX_CHARS])
    text = text.replace("@", " ").replace("§", " ")
    text = _QUOTED_PATH.sub(keep_path, text)
    text = _BARE_PATH.sub(keep_path, text)
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text, sizes = take_sizes(text)
    text = _SCI.sub(_plain_number, text)
    if _NEGATIVE_TIME.search(text):
        raise Unclear(
            _clarify("A time can't be negative. Did you mean, say, “the last 5 seconds”?")
        )
    bad_clock = _LONG_CLOCK.search(text)
    if bad_clock is not None:
        raise Unclear(
            _clarify(f"“{bad_clock.group(0)}” is not a time: write it as m:ss or h:mm:ss.")
        )
    text = _HASH_HEX.sub(lambda m: f"@h{m.group(1)}", text)
    if _COLOUR_WORDS.search(text):
        text = _BARE_HEX.sub(lambda m: f"@h{m.group(1)}", text)
    text = fix_typos(text, _PROTECTED)
    text = words_to_numbers(text)
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), text)
    for pattern, repl in _SPOKEN_TIMES:
        text = pattern.sub(repl, text)
    text = spoken_times(text)
    text = _halves(text, duration)
    text = now_phrases(text, now)
    text = re.sub(r"[!?\"]+", " , ", text)
    text = mark_exclusions(text)
    text = mark_corrections(text)
    text = drop_filler(text)
    for pattern, repl in _REWRITES:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip(" .,"), paths, sizes


# -- step 2 ------------------------------------------------------------------------------------
def _split(text: str) -> list[tuple[str, bool, bool]]:
    """Clauses as ``(text, sequential, correction)``: ``sequential`` = joined by "then" to the
    previous one; ``correction`` = it replaces the previous clause ("…, no wait, red")."""
    parts = _SPLIT.split(text)
    clauses: list[list[Any]] = []
    pending_sep: str | None = None
    for i, part in enumerate(parts):
        if i % 2:  # a separator (after an empty piece, separators add up: ". then ,")
            pending_sep = part if pending_sep is None else f"{pending_sep} {part}"
            continue
        piece = part.strip()
        fix = piece.startswith(FIX)
        if fix:
            piece = piece[len(FIX) :].strip(" ,")
        piece = _FILLER.sub("", piece).strip()
        if not piece:
            continue
        sep = (pending_sep or "").strip()
        if not clauses:
            clauses.append([piece, False, fix])
        elif (
            fix or _HARD.search(sep) or _STARTER.match(piece) or _new_action(clauses[-1][0], piece)
        ):
            clauses.append([piece, "then" in sep, fix])
        else:
            joint = sep.replace(",", " ").strip()
            clauses[-1][0] += f" {joint} {piece}" if joint else f", {piece}"
        pending_sep = None
    return [(c, bool(s), bool(f)) for c, s, f in clauses]


_CONTENT = re.compile(
    r"@p\d|@h|\bblur|\bfad(?:e|ing)|\btransparent\b|\bgradient\b|\b(?:"
    + "|".join(re.escape(n) for n in sorted(NAMED_COLORS, key=len, reverse=True))
    + r")\b"
)
_SEQUENCE_WORD = re.compile(
    r"\b(?:after that|afterwards?|from then on|for the rest|the rest|thereafter|later)\b"
)


_LEADING_TIME = re.compile(
    rf"(?:between|from|after|starting(?: at| from)?|at|during|until|till|in the (?:first|last))"
    rf"\s+(?:the\s+)?{_T}"
)
_OPEN_RANGE = re.compile(rf"\b(?:between|from)\s+{_T}\s*$")


def _has_time(text: str) -> bool:
    return (
        any(p.search(text) for p, _ in _RANGE_RULES)
        or _SEQUENCE_WORD.search(text) is not None
        or _OPEN_RANGE.search(text) is not None
    )


def _new_action(prev: str, piece: str) -> bool:
    """Whether ``piece`` (after "and" / ",") is an action of its own, not more of ``prev``.

    "blue between 2 and 4 s and red for the last 2 s" is two segments, not a gradient: a piece
    with its own colour (or effect) and its own time starts a new clause when the clause before
    it already has one.
    """
    if _CONTENT.search(prev) is not None and _has_time(prev) and _LEADING_TIME.match(piece):
        return True  # "between 2 and 4 seconds blue, between 6 and 8 red"
    if _CONTENT.search(piece) is None or _CONTENT.search(prev) is None:
        return False
    head = piece.split(" except ")[0]
    return _has_time(head) and (
        _has_time(prev)
        or _SEQUENCE_WORD.search(head) is not None
        or re.match(r"(?:at|from|after|starting)\b", head) is not None
    )


# -- step 3 ------------------------------------------------------------------------------------
def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    """First match of ``pattern`` and ``text`` with the match blanked out."""
    m = pattern.search(text)
    if m is None:
        return None, text
    return m, text[: m.start()] + " " + text[m.end() :]


def _read_clause(text: str, sequential: bool, paths: list[str]) -> _Clause:
    c = _Clause(text=text, sequential=sequential)
    rest = f" {text} "
    rest = _read_history(c, rest)
    if _STOP.match(rest):
        c.stop = True
        return c
    m = _EXTEND.search(rest)
    if m is not None:  # "extend it to 30 seconds" = until 30 seconds
        c.extend = True
        rest = (
            rest[: m.start()] + " until " + rest[m.end() :]
            if m.group(0).endswith(" to")
            else (rest[: m.start()] + " " + rest[m.end() :])
        )
    _check_nobody(rest)
    if _TAKE_AWAY.search(rest):
        raise Unclear(
            "I can't take one effect away on its own yet. Say “undo” to go back a step, or say "
            "what the background should be instead, e.g. “remove the background” or “make it "
            "blue”."
        )
    rest = _read_fades(c, rest)
    rest = _read_subjects(c, rest)
    rest = _read_range(c, rest)
    rest = _read_relative(c, rest)
    _check_supported(rest)
    rest = _read_edges(c, rest)
    rest = _read_background(c, rest, paths)
    _read_strength(c, rest)
    if _TARGET_ALL.search(text):
        c.target_all = True
    c.unread = [m.group(0).strip() for m in _UNREAD_TIME.finditer(rest)]
    return c


# A time phrase the range rules did not read ("from the intro", "until she sits down"): the
# clause is applied without it, so the reply names it.
_UNREAD_TIME = re.compile(
    r"\b(?:from|until|till|after|before|during|between|except|since|starting|once|when|while) "
    r"(?!(?:it|that|this|them|then|now|there|here|me|him|her|us|start|beginning|end|"
    r"the (?:start|beginning|end|background|bg|video|clip|person))\b)(?:the |a |an )?"
    r"[a-z][a-z']{2,}(?: [a-z']+){0,2}"
)


def _read_history(c: _Clause, text: str) -> str:
    for pattern, attr in ((_UNDO, "undo"), (_REDO, "redo")):
        m, text = _take(pattern, text)
        if m is not None:
            times = m.group(1)
            count = 1
            if times:
                count = _REPEAT.get(times) or int(times.split()[0])
            setattr(c, attr, count)
    return text


_ACTION = r"(?P<verb>keep|preserve|retain|leave in|remove|delete|erase|get rid of|take out|hide)"
_NUM = r"(\d+(?:\.\d+)?)"
_SEP = r"\s*,\s*|\s+"
_KEEP_BOX = re.compile(
    rf"\b{_ACTION}\s+(?:only\s+)?(?:the\s+)?(?:box|region|area|rectangle)\s+(?:from\s+)?"
    rf"{_NUM}(?:{_SEP}){_NUM}(?:{_SEP}|\s+to\s+){_NUM}(?:{_SEP}){_NUM}"
)
_KEEP_POINT = re.compile(
    rf"\b{_ACTION}\s+(?:only\s+)?(?:what(?:ever)?\s+is|what's|the (?:thing|object)|the one)"
    rf"\s+at\s+{_NUM}(?:{_SEP}){_NUM}"
)
_KEEP_SPEAKER = re.compile(
    r"\b(?:keep|show|preserve)\s+(?:only\s+)?(?:the\s+)?(?:(?:person|one|people)\s+"
    r"(?:who\s+is|who's|that is|who are)\s+(?:talking|speaking)|(?:active\s+)?speaker|talker)"
    r"(?:\s+(?P<sid>s\d+))?\b"
)
_MATCH_LIGHT = re.compile(
    r"\b(?:match|fix|adjust|balance)\s+(?:the\s+)?(?:lighting|light|brightness|colou?r "
    r"temperature|white balance)\b|\blighting (?:doesn'?t|does not) match\b"
)
_HAIR_ROUGH = re.compile(r"\bhair\b.*\b(?:rough|jagged|choppy|bad|blocky|messy|ugly|wrong)\b")
_SPILL = re.compile(  # "there's green on her hair", "blue fringe", "despill" → set_edges despill
    r"\b(?P<c>green|blue)(?:ish)?(?:\s+(?:spill|fringe|fringing|tint|cast|halo|glow|edges?))?"
    r"\s+(?:on|in|around|at|along)\s+(?:the\s+|his\s+|her\s+|their\s+|my\s+)?"
    r"(?:hair|edges?|head|shoulders?|outline|silhouette|face|person)\b"
    r"|\b(?P<d>green|blue)(?:ish)?\s+(?:spill|fringe|fringing|tint|cast|halo)\b|\bdespill\b"
)
_REMOVE_WORDS = ("remove", "delete", "erase", "get rid of", "take out", "hide")


# -- person selectors (issue 12): "the person on the left", "everyone", "the one in red" ------
_WHO = r"(?:person|one|people|man|woman|guy|girl|kid|child|dancer|player|speaker|presenter)"
_PERSON_SELECTORS: tuple[tuple[str, str], ...] = (
    (
        r"every(?:one|body)|all (?:of )?(?:the |them|us)?\s*(?:people|persons)?|both(?: of them)?"
        r"|the two of them",
        "all",
    ),
    (rf"(?:the )?{_WHO} on the left|(?:the )?left(?:most)? {_WHO}", "left"),
    (rf"(?:the )?{_WHO} on the right|(?:the )?right(?:most)? {_WHO}", "right"),
    (
        rf"(?:the )?{_WHO} in the (?:middle|centre|center)"
        rf"|(?:the )?(?:middle|centre|center) {_WHO}",
        "centre",
    ),
    (rf"(?:the )?(?:biggest|largest|closest|nearest) {_WHO}", "largest"),
    (rf"(?:the )?main (?:{_WHO}|subject)", "main"),
    (
        rf"(?:the )?{_WHO} (?:in|wearing|dressed in) (?:a |the )?(?P<colour>red|orange|yellow|green"
        r"|blue|purple|pink|white|black|gr[ae]y)",
        "colour",
    ),
    (r"(?:person |track )?(?P<pid>p\d+)", "id"),
)
_SELECT_PERSON = re.compile(
    r"\b(?:keep|show|preserve|retain|leave in|focus on)\s+(?:only\s+|just\s+)?(?:"
    + "|".join(f"(?P<s{i}>{p})" for i, (p, _) in enumerate(_PERSON_SELECTORS))
    + r")(?:\s+(?:only|in front))?\b"
)


def person_selector(text: str) -> tuple[str | None, str]:
    """``(selector, text without the phrase)`` for "keep the person on the left" and the like
    (see ``_PERSON_SELECTORS``); ``(None, text)`` when the text names no particular people."""
    m = _SELECT_PERSON.search(text)
    if m is None:
        return None, text
    for i, (_, sel) in enumerate(_PERSON_SELECTORS):
        if m.group(f"s{i}") is None:
            continue
        if sel == "colour":
            colour = m.group("colour").replace("gray", "grey").replace("grey", "grey")
            sel = f"colour:{colour}"
        elif sel == "id":
            sel = f"id:{m.group('pid').upper()}"
        return sel, text[: m.start()] + " " + text[m.end() :]
    return None, text


def _read_subjects(c: _Clause, text: str) -> str:
    """Speaker, box and point rules, "match the lighting", and rough hair → matting tier."""
    if not _KEEP_SPEAKER.search(text):
        selector, text = person_selector(text)
        if selector is not None:
            c.subjects.append({"subject": "person", "selector": selector})
    m, text = _take(_KEEP_SPEAKER, text)
    if m is not None:
        sid = m.group("sid")
        c.subjects.append({"subject": "speaker", **({"speaker": sid.upper()} if sid else {})})
    m, text = _take(_KEEP_BOX, text)
    if m is not None:
        action = "remove" if m.group("verb") in _REMOVE_WORDS else "keep"
        box = [float(m.group(i)) for i in range(2, 6)]
        c.subjects.append({"subject": "box", "box": box, "action": action})
    m, text = _take(_KEEP_POINT, text)
    if m is not None:
        action = "remove" if m.group("verb") in _REMOVE_WORDS else "keep"
        c.subjects.append({"subject": "point", "point": [float(m.group(2)), float(m.group(3))],
                           "action": action})  # fmt: skip
    m, text = _take(_MATCH_LIGHT, text)
    if m is not None:
        c.extra_calls.append(ToolCall("match_lighting", {"on": True}))
    m, text = _take(_SPILL, text)
    if m is not None:
        c.extra_calls.append(ToolCall("set_edges", {"despill": m["c"] or m["d"] or "auto"}))
    if _HAIR_ROUGH.search(text):
        from backdrop.perception.core.models import model_status

        if any(s.name == "rvm-mobilenetv3" and s.installed for s in model_status()):
            c.extra_calls.append(ToolCall("set_quality", {"tier": "matting"}))
    for pattern, action in ((_REMOVE_VERB, "remove"), (_KEEP_VERB, "keep")):
        for m in pattern.finditer(text):
            text, found = _read_objects(c, text, m, action)
            if found:
                break
    return text


def _read_objects(c: _Clause, text: str, m: re.Match[str], action: str) -> tuple[str, bool]:
    """Object rules from a keep/remove verb and the list after it ("the person and the ball",
    "the teddy bear"); the object parts are taken out of ``text``, a leading person stays."""
    from backdrop.perception.vision.objects import read_object_list

    names, stop = read_object_list(text, m.start(1), m.end(1), accept=_PERSON_NOUNS)
    objects = [n for n in names if _is_object(n.split()[0])]
    if not objects:
        return text, False
    for noun in objects:
        c.subjects.append({"subject": "object", "label": noun, "action": action})
    # "keep the person and the ball": "keep the person" is read by the person rules
    cut = m.start() if _is_object(names[0].split()[0]) else m.end(1)
    return text[:cut] + " " + text[stop:], True


def _is_object(noun: str) -> bool:
    known = _BG_NOUNS | _EFFECT_NOUNS | _NOT_NOUNS | _PERSON_NOUNS
    return not (noun in known or noun in NAMED_COLORS or noun.startswith(("@", "background")))


def _check_supported(text: str) -> None:
    """Raise :class:`Unsupported` when the clause keeps/removes/blurs a named object."""
    if _CUT_ME_OUT.search(text):
        return
    for pattern, verb in ((_REMOVE_VERB, "remove"), (_KEEP_VERB, "keep"), (_BLUR_TARGET, "blur")):
        for m in pattern.finditer(text):
            noun = m.group(1)
            known = _BG_NOUNS | _EFFECT_NOUNS | _NOT_NOUNS
            if verb != "blur":
                known |= _PERSON_NOUNS
            if noun in known or noun in NAMED_COLORS or noun.startswith(("@", "background")):
                continue
            if noun in _PERSON_NOUNS:
                raise Unsupported(
                    f"I can't blur the person yet, only what is behind them. {CAPABILITIES}. "
                    f"For example: {EXAMPLES[2]}."
                )
            raise Unsupported(
                f"I can't {verb} “the {noun}” yet: the embedded interpreter doesn't pick out "
                f"named objects, only the person. {CAPABILITIES}. For example: "
                f"{', '.join(EXAMPLES[:2])}."
            )


def _read_fades(c: _Clause, text: str) -> str:
    leading, text = _take(_FADE_DURATION[-1], text)  # "a 3 second fade"
    if _GRADIENT.search(text) and not re.search(r"\bfad\w*\s+(?:\w+\s+){0,3}?(?:in|out)\b", text):
        return text  # "fade the background from black to white, like a gradient"
    fade, text = _take(_FADE, text)
    gradual, text = _take(_GRADUALLY, text)
    if fade is None and gradual is None:
        return text
    kinds = {"in": ("fade_in",), "up": ("fade_in",), "out": ("fade_out",), "away": ("fade_out",)}
    word = (fade.group(1) if fade else None) or "in"
    chosen = kinds.get(word, ("fade_in", "fade_out"))
    second, rest = _take(_FADE, text)  # "with a fade in and a fade out"
    if second is not None and second.group(1) and kinds.get(second.group(1)) != chosen:
        chosen, text = ("fade_in", "fade_out"), rest
    duration = 1.0 if gradual is None else 3.0 if gradual.group(1) else 2.0
    if leading is not None:
        duration = _seconds(leading.group(1))
    for pattern in () if leading else _FADE_DURATION[:-1]:
        m, text = _take(pattern, text)
        if m is not None:
            duration = _seconds(m.group(1))
            break
    else:
        q, text = _take(_QUICK, text)
        s, text = _take(_SLOW, text)
        duration = 0.5 if q else 3.0 if s else duration
    if duration <= 0:
        raise Unclear(_clarify("A fade needs a length above zero."))
    _, text = _take(_FADE_NOISE, text)
    c.fades = dict.fromkeys(chosen, duration)
    return text


def _read_range(c: _Clause, text: str) -> str:
    head, sep, tail = text.partition(" except ")
    if sep:
        excluded, tail = _ranges_in(tail)
        if excluded:
            c.exclude = excluded
            text = head + " " + tail
    # Complete spans (a pair, "the first N", "the last N"): two or more are several segments,
    # "between 5 and 10 and again between 20 and 25 seconds", "the first and last 5 seconds".
    probe, spans = text, 0
    for p, _ in _RANGE_RULES[:4]:
        for m in p.finditer(probe):
            spans += 1
            probe = probe[: m.start()] + " " * (m.end() - m.start()) + probe[m.end() :]
    if spans >= 2:
        ranges, text = _ranges_in(text)
        c.range, c.also = ranges[0], ranges[1:]
        return text
    start: float | None = None
    end: float | None = None
    given = False
    for pattern, build in _RANGE_RULES:
        while (m := pattern.search(text)) is not None:
            s, e, has_s, has_e = build(m)
            if has_e and e is not None and e <= 0 and not has_s:
                raise Unclear(_clarify("A time range needs a length above zero; which span?"))
            if pattern is _FOR_RULE and start is not None and start >= 0 and end is None:
                s, e = start, start + (e or 0.0)  # "for 5 seconds starting at 10 seconds"
            if has_s and start is None:
                start = s
            if has_e and end is None:
                end = e
            given = True
            text = text[: m.start()] + " " + text[m.end() :]
    for pattern, attr in ((_AFTER_THAT, "after"), (_BEFORE_THAT, "before")):
        m, text = _take(pattern, text)
        if m is not None and not given:
            c.relative = attr  # type: ignore[assignment]
    whole, text = _take(_WHOLE, text)
    to_end, text = _take(_TO_END, text)
    _, text = _take(_FROM_START, text)
    if whole is not None and not given:
        c.range = TimeRange()
        c.relative = None
    elif to_end is not None and not given and c.relative is None:
        c.range, c.extend = TimeRange(), True  # "until the end": the change runs to the end
    if given:
        a, b = start or 0.0, end
        if b is not None and (a >= 0) == (b >= 0) and 0 < b - a < MIN_SPAN:
            raise Unclear(_clarify("That time range is shorter than a frame; which span?"))
        try:
            c.range = TimeRange(start=start or 0.0, end=end)
        except ValidationError as e:
            raise Unclear(
                _clarify("The end of that time range comes before its start; which span?")
            ) from e
    return text


_SHADE_AMOUNT = {"small": 0.15, "big": 0.45, None: 0.25}


def _read_relative(c: _Clause, text: str) -> str:
    """Darker/lighter, "like before", "change the blue to teal", "the same for …"."""
    for pattern in _SWAP:
        m = pattern.search(text)
        if m is not None:
            c.swap = (_hex_of(m.group("a")), _hex_of(m.group("b")))
            return text[: m.start()] + " " + text[m.end() :]
    m, text = _take(_PREVIOUS, text)
    if m is not None:
        c.previous = True
    m, text = _take(_SHADE, text)
    if m is not None:
        amt = m.group("amt")
        size = None
        if amt in ("a little bit", "a bit", "a little", "a touch", "a tad", "a shade", "slightly",
                   "somewhat", "bit"):  # fmt: skip
            size = "small"
        elif amt in ("much", "a lot", "way", "far", "lots", "even"):
            size = "big"
        sign = -1.0 if m.group("dir") in ("darker", "deeper", "dimmer", "richer") else 1.0
        c.shade = sign * _SHADE_AMOUNT[size]
    m, text = _take(_SAME, text)
    if m is not None:
        c.same = True
    return text


def _hex_of(said: str) -> str:
    m = _COLOUR.fullmatch(said.strip())
    if m is None:  # pragma: no cover - _COL and _COLOUR name the same colours
        raise Unclear(_clarify(f"Which colour is “{said}”?"))
    if m.group("hex"):
        return "#" + m.group("hex")
    if m.group("named"):
        return NAMED_COLORS[m.group("named")]
    base = NAMED_COLORS[m.group("base")]
    return _shade(base, 0.45 if m.group("mod") in {"light", "pale", "bright"} else -0.4)


def _check_nobody(text: str) -> None:
    """Refuse a rule that would leave no person in front: Backdrop always keeps someone."""
    if _CUT_ME_OUT.search(text):
        return
    if _NOBODY.search(text):
        raise Unsupported(
            "I won't remove every person: Backdrop always keeps at least one person in front of "
            "the background. Say what to do with the background instead, for example "
            f"{EXAMPLES[0]} or {EXAMPLES[2]}."
        )


def _ranges_in(text: str) -> tuple[list[TimeRange], str]:
    """Every time range said in ``text`` (each on its own) and the text without them."""
    found: list[tuple[int, TimeRange]] = []
    for pattern, build in _RANGE_RULES:
        while (m := pattern.search(text)) is not None:
            s, e, has_s, has_e = build(m)
            try:
                rng = TimeRange(start=s if has_s and s is not None else 0.0,
                                end=e if has_e else None)  # fmt: skip
            except ValidationError as err:
                raise Unclear(
                    _clarify("The end of that time range comes before its start; which span?")
                ) from err
            found.append((m.start(), rng))
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return [r for _, r in sorted(found, key=lambda x: x[0])], text


def _read_edges(c: _Clause, text: str) -> str:
    has_noun = _EDGE_NOUN.search(text) is not None
    bare = _BARE_EDGE.search(text) is not None and _BLUR.search(text) is None
    # "the edge is cutting into me" speaks about the edge without naming it.
    cutting = _EDGE_RULES[0][0].search(text) is not None and _ME.search(text) is not None
    if not (has_noun or bare or cutting):
        return text
    for pattern, action in _EDGE_RULES:
        m, text = _take(pattern, text)
        if m is not None:
            c.edges.append(action)
    if has_noun and not c.edges:
        c.edges.append("refine")  # "fix the edges", "the hair edge"
    _, text = _take(_EDGE_NOUN, text)
    return text


def _read_background(c: _Clause, text: str, paths: list[str]) -> str:
    m, text = _take(_CUT_ME_OUT, text)
    if m is not None:
        c.remove = True
    m, text = _take(_KEEP_PERSON, text)
    if m is not None:
        c.keep = True
    m, text = _take(_TRANSPARENT, text)
    if m is not None:
        c.remove = True
    if _BLUR.search(text):
        c.blur = True
        relative = any(p.search(text) for p, _ in _STRENGTH_REL)
        for pattern, level in () if relative else _BLUR_INTENSITY:
            hit, text = _take(pattern, text)
            if hit is not None and c.strength is None:
                c.strength = ("abs", level)
        _, text = _take(_BLUR, text)
    path = _PATH_TOKEN.search(text)
    if path is not None:
        p = paths[int(path.group(1))]
        kind = "video" if p.lower().endswith(VIDEO_EXTENSIONS) else "image"
        c.background = {"type": kind, "path": p}
        return text[: path.start()] + " " + text[path.end() :]
    preset, text = _take(_PRESET, text)
    if preset is not None:  # "a sunset gradient", "an ocean background"
        name = preset.group(1) or preset.group(2)
        c.background = {"type": "gradient", "colors": list(NAMED_GRADIENTS[name])}
        return _GRADIENT.sub(" ", text)
    colours = []
    for m in _COLOUR.finditer(text):
        if m.group("hex"):
            colours.append("#" + m.group("hex"))
        elif m.group("named"):
            colours.append(NAMED_COLORS[m.group("named")])
        else:
            base = NAMED_COLORS[m.group("base")]
            amount = 0.45 if m.group("mod") in {"light", "pale", "bright"} else -0.4
            colours.append(_shade(base, amount))
    if colours and c.shade is not None:  # "make the green a bit darker"
        colours = [_shade(col, c.shade) for col in colours]
        c.shade = None
    text = _COLOUR.sub(" ", text)
    gradient = _GRADIENT.search(text) is not None
    if gradient and not colours:
        raise Unclear(_clarify("Which colours should the gradient use?", gradient=True))
    if len(colours) == 1 and not gradient:
        c.background = {"type": "color", "color": colours[0]}
    elif colours:
        if len(colours) == 1:
            base = colours[0]
            colours.append(_shade(base, 0.45 if _luma(base) < 0.35 else -0.45))
        bg: dict[str, Any] = {"type": "gradient", "colors": colours}
        if _RADIAL.search(text):
            bg["kind"] = "radial"
        else:
            for pattern, angle in _ANGLES:
                if pattern.search(text):
                    bg["angle"] = angle
                    break
        c.background = bg
    return text


def _read_strength(c: _Clause, text: str) -> None:
    if c.strength is not None:
        return
    for pattern, delta in _STRENGTH_REL:
        if pattern.search(text):
            c.strength = ("rel", delta)
            return
    for pattern, level in _STRENGTH_ABS:
        m = pattern.search(text)
        if m is not None:
            value = level if level is not None else float(m.group(1)) / 100.0
            c.strength = ("abs", min(max(value, 0.0), 1.0))
            return


# -- step 4 ------------------------------------------------------------------------------------
def _compose(
    clauses: list[_Clause], ctx: ToolContext, notes: list[str] | None = None
) -> tuple[list[ToolCall], list[ToolCall]]:
    """Turn a sentence's clauses into ``(undo/redo calls, edit calls)``.

    ``notes`` (when given) receives what was understood but done differently from the words
    ("there was no blue, so …").
    """
    notes = [] if notes is None else notes
    pre: list[ToolCall] = []
    steps: list[_Draft | ToolCall] = []
    edges: list[str] = []
    focus = ctx.focused_index()
    # "after that" in a new sentence refers to the segment the last change touched.
    prev_range = None if focus is None else ctx.plan.backgrounds[focus].range
    draft: _Draft | None = None
    pending: TimeRange | None = None  # "from 2 seconds on, put a red background …"
    pending_also: list[TimeRange] = []

    for n, c in enumerate(clauses):
        pre += [ToolCall("undo")] * c.undo + [ToolCall("redo")] * c.redo
        target: Literal["last", "all"] = "all" if c.target_all else "last"
        kind = (
            "set_background"
            if c.background
            else "blur_background"
            if c.blur and not _adjusts_blur(c, ctx, draft)
            else "remove_background"
            if c.remove
            else None
        )
        # "after that" and "then" only place a new background; elsewhere they are sequencing.
        rng = _clause_range(c, prev_range) if kind is not None else c.range
        if kind is not None and rng is None and pending is not None:
            rng, pending = pending, None
        if rng is not None:
            prev_range = rng
        if c.stop:
            steps.append(_stop_call(ctx))
            continue
        if c.swap or c.previous or (c.shade is not None and kind is None):
            steps += _relative_calls(c, ctx, draft, notes)
            if kind is None:
                continue
        if kind is not None:
            if (
                draft is not None
                and kind == "set_background"
                and draft.tool == "remove_background"
                and (rng is None or draft.range is None or rng == draft.range)
            ):
                # "remove the background and make it blue" is one blue segment.
                draft.tool, draft.background = "set_background", c.background
                draft.range = rng or draft.range
            elif not (
                draft is not None
                and kind == "remove_background"
                and draft.tool == "set_background"
                and (rng is None or rng == draft.range)
            ):
                if draft is not None and rng is not None and rng.end is None and rng.start != 0:
                    # "make it red, and at 10 seconds change it to blue": red ends at 10 s
                    if draft.range is None:
                        draft.range = TimeRange(start=0.0, end=rng.start)
                    elif draft.range.end is None and 0 <= draft.range.start < rng.start:
                        draft.range = TimeRange(start=draft.range.start, end=rng.start)
                draft = _Draft(tool=kind, background=c.background, range=rng)
                draft.more_ranges = list(c.also if rng is c.range else pending_also)
                pending_also = []
                steps.append(draft)
        elif c.keep:
            args: dict[str, Any] = {"subject": "person"}
            if rng is not None:
                args["range"] = _range_arg(rng)
            steps.append(ToolCall("keep_subject", args))
        elif c.same and rng is not None and draft is None:
            steps += _copy_calls(ctx, rng)
        elif c.extend and rng is not None and draft is None and _focused(ctx) is not None:
            # "keep it going until 20 seconds": the focused segment's start stays
            seg = _focused(ctx)
            assert seg is not None
            start = seg.range.start if rng.start == 0 else rng.start
            try:
                rng = TimeRange(start=start, end=rng.end)
            except ValidationError as e:
                raise Unclear(_clarify("That would end before it starts; which time?")) from e
            steps.append(ToolCall("set_time_range", {"range": _range_arg(rng), "target": "last"}))
        elif rng is not None:
            later = clauses[n + 1 : n + 2]
            if later and _places(later[0], ctx) and _own_range_free(later[0]):
                pending, pending_also = rng, c.also  # "remove it. then, from 20 s, blur it"
            elif draft is not None and draft.range is not None and not c.correction:
                # "blue from 5 to 10 s, and from 20 to 25 s": one more segment like it
                draft.more_ranges += [rng, *c.also]
            elif draft is not None:
                draft.range = rng
                draft.more_ranges += c.also
            elif any(_places(x, ctx) for x in clauses[n + 1 :]):
                pending, pending_also = rng, c.also
            else:
                args = {"range": _range_arg(rng), "target": target}
                steps.append(ToolCall("set_time_range", args))
        if c.exclude:
            steps += _exclude(c.exclude, draft, ctx)
        if kind is not None and c.keep:
            steps.append(ToolCall("keep_subject", {"subject": "person"}))
        for subj in c.subjects:
            args = dict(subj)
            if c.range is not None:
                args["range"] = _range_arg(c.range)
            steps.append(ToolCall("keep_subject", args))
        steps += c.extra_calls

        if c.fades:
            if draft is not None:
                draft.fades.update(c.fades)
            else:
                for fade_kind, seconds in c.fades.items():
                    args = {"kind": fade_kind, "duration": seconds, "target": target}
                    steps.append(ToolCall("add_transition", args))
        if c.strength is not None:
            if draft is not None:
                _strengthen(draft, c.strength)
            else:
                steps.append(ToolCall("set_strength", {"level": _level_for(ctx, c.strength)}))
        edges += c.edges
    if pending is not None:
        steps.append(ToolCall("set_time_range", {"range": _range_arg(pending), "target": "last"}))

    calls = [call for step in steps for call in _flatten(step)]
    if edges:
        calls.append(ToolCall("set_edges", _edge_update(ctx.plan, edges)))
    return pre, calls


def _own_range_free(c: _Clause) -> bool:
    """Whether clause ``c`` names no time of its own (not even "after that")."""
    return c.range is None and c.relative is None and not c.sequential and not c.exclude


def _places(c: _Clause, ctx: ToolContext) -> bool:
    """Whether clause ``c`` places a new background segment."""
    return bool(c.background or c.remove or (c.blur and not _adjusts_blur(c, ctx, None)))


def _adjusts_blur(c: _Clause, ctx: ToolContext, draft: _Draft | None) -> bool:
    """ "less blur", "more blur", "too blurry": a relative change of the focused blur, not a new
    blur segment (only when the clause says nothing else about the background)."""
    if c.strength is None or c.strength[0] != "rel" or c.range is not None or c.exclude:
        return False
    if c.background or c.remove or draft is not None:
        return False
    i = ctx.focused_index()
    return i is not None and isinstance(ctx.plan.backgrounds[i].background, BlurBackground)


def _focused(ctx: ToolContext) -> BackgroundSegment | None:
    i = ctx.focused_index()
    return None if i is None else ctx.plan.backgrounds[i]


def _stop_call(ctx: ToolContext) -> ToolCall:
    """ "stop": the focused segment ends at the play position."""
    seg = _focused(ctx)
    if seg is None:
        raise Unclear(_clarify("There is nothing to stop yet."))
    if ctx.position is None:
        raise Unclear(
            "Stop where? There is no live play position here; say a time, for example “end it "
            "at 0:20”."
        )
    t = round(max(ctx.position, 0.0), 3)
    try:
        rng = TimeRange(start=seg.range.start, end=t)
    except ValidationError as e:
        raise Unclear(
            "That change hasn't started yet at this point, so there is nothing to stop."
        ) from e
    return ToolCall("set_time_range", {"range": _range_arg(rng), "target": "last"})


_HEX_NAMES = {v: k for k, v in reversed(list(NAMED_COLORS.items()))}


def _colour_name(hex_colour: str) -> str:
    return _HEX_NAMES.get(hex_colour.lower(), hex_colour)


def _relative_calls(
    c: _Clause, ctx: ToolContext, draft: _Draft | None, notes: list[str]
) -> list[ToolCall]:
    """Calls for "change the blue to teal", "like before" and "a bit darker"."""
    if c.swap is not None:
        return _swap_calls(ctx, *c.swap, notes)
    seg = _focused(ctx)
    if c.previous:
        if seg is None:
            raise Unclear(_clarify("There is no earlier background to go back to."))
        for plan in reversed(ctx.history.past):
            olds = [s for s in plan.backgrounds if s.range == seg.range] or plan.backgrounds[-1:]
            if olds and olds[-1].background != seg.background:
                bg = olds[-1].background.model_dump(mode="json")
                rng = c.range or seg.range  # "the previous one for the last 10 seconds"
                return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng)})]
        raise Unclear(_clarify("There is no earlier background to go back to."))
    assert c.shade is not None
    if seg is None:
        raise Unclear(_clarify("Darker or lighter than what? There is no background yet."))
    bg = seg.background.model_dump(mode="json")
    if bg["type"] == "color":
        bg["color"] = _shade(bg["color"], c.shade)
    elif bg["type"] == "gradient":
        bg["colors"] = [_shade(col, c.shade) for col in bg["colors"]]
    else:
        word = "darker" if c.shade < 0 else "lighter"
        notes.append(f"I can't make {describe_background(seg.background)} {word} yet")
        return []
    rng = c.range or seg.range
    return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng)})]


def _swap_calls(ctx: ToolContext, old: str, new: str, notes: list[str]) -> list[ToolCall]:
    """Every segment using colour ``old`` uses ``new`` instead (a gradient keeps its others).

    When no segment uses ``old``, the focused segment becomes ``new`` (a plain colour, never a
    gradient of the two) and a note says so.
    """
    calls: list[ToolCall] = []
    for seg in ctx.plan.backgrounds:
        bg = seg.background.model_dump(mode="json")
        if bg["type"] == "color" and bg["color"].lower() == old:
            bg["color"] = new
        elif bg["type"] == "gradient" and old in [col.lower() for col in bg["colors"]]:
            bg["colors"] = [new if col.lower() == old else col for col in bg["colors"]]
        else:
            continue
        calls.append(ToolCall("set_background", {"background": bg,
                                                 "range": _range_arg(seg.range)}))  # fmt: skip
    if calls:
        return calls
    seg = _focused(ctx)
    args: dict[str, Any] = {"background": {"type": "color", "color": new}}
    if seg is not None:
        args["range"] = _range_arg(seg.range)
        notes.append(
            f"there was no {_colour_name(old)} in the plan, so the background "
            f"({seg.range.describe()}) is now {_colour_name(new)}"
        )
    return [ToolCall("set_background", args)]


def _copy_calls(ctx: ToolContext, rng: TimeRange) -> list[ToolCall]:
    """ "the same for the last 10 seconds": the focused background again over ``rng``."""
    seg = _focused(ctx)
    if seg is None:
        raise Unclear(_clarify("The same as what? There is no background yet."))
    bg = seg.background.model_dump(mode="json")
    return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng),
                                        "opacity": seg.opacity})]  # fmt: skip


def _complement(base: TimeRange, excluded: list[TimeRange]) -> list[TimeRange]:
    """The parts of ``base`` outside every range of ``excluded``.

    Works on times as said (negative = from the end), ordering them as on any video longer
    than the times named: positive times first, then times counted from the end.
    """

    def key(t: float | None) -> tuple[int, float]:
        if t is None:
            return (2, 0.0)
        return (1, t) if t < 0 or (t == 0 and math.copysign(1.0, t) < 0) else (0, t)

    out: list[TimeRange] = []
    cur: float | None = base.start
    for ex in sorted(excluded, key=lambda r: key(r.start)):
        if key(ex.start) > key(cur):
            end = ex.start if key(ex.start) < key(base.end) else base.end
            with contextlib.suppress(ValidationError):
                out.append(TimeRange(start=cur if cur is not None else 0.0, end=end))
        if key(ex.end) > key(cur):
            cur = ex.end
        if cur is None or key(cur) >= key(base.end):
            return out
    with contextlib.suppress(ValidationError):
        out.append(TimeRange(start=cur, end=base.end))
    return out


def _exclude(excluded: list[TimeRange], draft: _Draft | None, ctx: ToolContext) -> list[ToolCall]:
    """Cut ``excluded`` out of the sentence's segment (or the focused one): the rest remains."""
    if draft is not None:
        ranges = _complement(draft.range or TimeRange(), excluded)
        if not ranges:
            raise Unclear(_clarify("That leaves no time at all; which part should change?"))
        draft.range, draft.more_ranges = ranges[0], ranges[1:]
        return []
    seg = _focused(ctx)
    if seg is None:
        return [ToolCall("set_time_range", {"range": _range_arg(excluded[0]), "target": "last"})]
    ranges = _complement(seg.range, excluded)
    if not ranges:
        raise Unclear(_clarify("That leaves no time at all; which part should change?"))
    calls = [ToolCall("set_time_range", {"range": _range_arg(ranges[0]), "target": "last"})]
    bg = seg.background.model_dump(mode="json")
    for rng in ranges[1:]:
        calls.append(ToolCall("set_background", {"background": bg, "range": _range_arg(rng),
                                                 "opacity": seg.opacity}))  # fmt: skip
    return calls


def _clause_range(c: _Clause, prev: TimeRange | None) -> TimeRange | None:
    """The clause's own range, or one relative to the previous clause's ("after that")."""
    if c.range is not None:
        return c.range
    relative = c.relative or ("after" if c.sequential else None)
    if prev is None or relative is None:
        return None
    if relative == "after" and prev.end is not None:
        return TimeRange(start=prev.end)
    if relative == "before" and prev.start != 0:
        return TimeRange(start=0.0, end=prev.start)
    return None


def _range_arg(rng: TimeRange) -> dict[str, Any]:
    return rng.model_dump(mode="json")


def _strengthen(draft: _Draft, strength: tuple[str, float]) -> None:
    mode, value = strength
    if draft.tool == "blur_background":
        draft.blur = _clip01(value if mode == "abs" else draft.blur + value)
    else:
        base = 1.0 if draft.opacity is None else draft.opacity
        draft.opacity = _clip01(value if mode == "abs" else base + value)


def _level_for(ctx: ToolContext, strength: tuple[str, float]) -> float:
    mode, value = strength
    if mode == "abs":
        return _clip01(value)
    i = ctx.focused_index()
    base = 1.0
    if i is not None:
        seg = ctx.plan.backgrounds[i]
        bg = seg.background
        base = bg.strength if isinstance(bg, BlurBackground) else seg.opacity
    return _clip01(base + value)


def _clip01(x: float) -> float:
    return round(min(max(x, 0.0), 1.0), 3)


def _flatten(step: _Draft | ToolCall) -> list[ToolCall]:
    if isinstance(step, ToolCall):
        return [step]
    args: dict[str, Any] = {}
    if step.tool == "set_background":
        args["background"] = step.background
        if step.opacity is not None:
            args["opacity"] = step.opacity
    elif step.tool == "blur_background":
        args["strength"] = step.blur
    calls: list[ToolCall] = []
    ranges: list[TimeRange | None] = [step.range, *step.more_ranges]
    for rng in ranges:
        one = dict(args)
        if rng is not None:
            one["range"] = _range_arg(rng)
        calls.append(ToolCall(step.tool, one))
        if step.tool != "set_background" and step.opacity is not None:
            calls.append(ToolCall("set_strength", {"level": step.opacity}))
        for kind, seconds in step.fades.items():
            calls.append(ToolCall("add_transition", {"kind": kind, "duration": seconds}))
    return calls


def _edge_update(plan: EditPlan, actions: list[str]) -> dict[str, Any]:
    """New edge settings after ``actions`` (in order), as ``set_edges`` arguments.

    Units are pixels of a 720-line frame: "soften" raises the feather by at least 1.5,
    "sharpen" halves it and turns on guided refinement (matting stays on), "refine" (rough
    hair) turns on alpha matting, enlarges the guided-filter radius and adds 0.5 feather,
    "shrink"/"grow" move the edge by 1.5.
    """
    e = plan.edges
    feather, refine, radius, shift = e.feather, e.refine, e.refine_radius, e.shift
    for action in actions:
        if action == "soften":
            feather = min(50.0, feather + max(1.5, feather * 0.5))
        elif action == "sharpen":
            feather, refine = feather * 0.5, ("matte" if refine == "matte" else "guided")
        elif action == "refine":
            refine = "matte"  # alpha matting at the edge (quality tier; preview stays guided)
            radius = min(64.0, max(radius * 1.5, radius + 4.0))
            feather = min(50.0, feather + 0.5)
        elif action == "shrink":
            shift = max(-20.0, shift - 1.5)
        elif action == "grow":
            shift = min(20.0, shift + 1.5)
    new = {
        "feather": round(feather, 2),
        "refine": refine,
        "refine_radius": round(radius, 2),
        "shift": round(shift, 2),
    }
    old = e.model_dump()
    return {k: v for k, v in new.items() if v != old[k]} or {"feather": round(feather, 2)}


# -- replies -----------------------------------------------------------------------------------
def _clarify(lead: str, *, gradient: bool = False) -> str:
    if gradient:
        return (
            f"{lead} For example: “a blue to purple gradient” or "
            "“a radial gradient from white to navy”."
        )
    return f"{lead} You could say, for example, {EXAMPLES[0]}, {EXAMPLES[1]} or {EXAMPLES[2]}."


__all__ = ["Reply", "RuleInterpreter", "Unclear", "Unsupported"]
