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

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from backdrop.agent.replies import Reply, step_reply
from backdrop.render.colors import NAMED_COLORS, NAMED_GRADIENTS, hex_to_rgb
from backdrop.render.plan import BlurBackground, EditPlan, TimeRange
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
_HARD = re.compile(r"^(?:;|\.|.*\bthen)$")
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
    r"\b(?:undo(?: that| it| the last (?:change|step|edit))?|go back|revert(?: that| it)?|"
    r"take that back|scratch that|never ?mind)\b(?:\s+(twice|\d+ times|two times|three times))?"
)
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
    "whole entire rest end start beginning"
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
    re.compile(rf"({_T})[- ]?(?:long\s+)?(?=(?:fad|dissolve|transition))"),
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
        return total
    m = re.match(rf"(\d+(?:\.\d+)?)\s*({_UNIT})?$", token)
    if m is None:
        raise ValueError(f"not a time: {token!r}")
    unit = (m.group(2) or default_unit)[0]
    return float(m.group(1)) * {"s": 1.0, "m": 60.0, "h": 3600.0}[unit]


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
        lambda m: (-_seconds(m.group("a")), None, True, True),
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
        re.compile(rf"\bfor\s+(?:about\s+)?(?P<a>{_T})"),
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
    (re.compile(r"\b(?:more subtle|subtler|weaker|less(?: strong| intense| obvious| visible)?|"
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
    r"\b(" + "|".join(NAMED_GRADIENTS) + r")\b(?=\s+(?:gradient|background|colou?rs?|look|theme))"
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

    def understood(self) -> bool:
        return bool(
            self.subjects
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

        Returns a :class:`Reply`. When the text is not understood, names something unsupported,
        or a tool refuses (a missing file, nothing to fade), the plan is left unchanged.
        """
        try:
            pre, calls = self.plan_calls(text, ctx)
        except Unclear as e:
            return Reply(str(e), clarify=True)
        except Unsupported as e:
            return Reply(str(e))

        if not pre and not calls:
            return Reply(_clarify("I'm not sure what you'd like me to change."), clarify=True)
        return self.run(text, ctx, pre, calls)

    def run(self, text: str, ctx: ToolContext, pre: list[ToolCall], calls: list[ToolCall]) -> Reply:
        """Run ``pre`` (undo/redo) one by one, then ``calls`` as one history step labelled
        ``text``: all or nothing. The reply says what changed, or why nothing did."""
        step = run_step(ctx, calls, text, registry=self.registry, pre=pre)
        return step_reply(step, edited=bool(calls))

    def plan_calls(self, text: str, ctx: ToolContext) -> tuple[list[ToolCall], list[ToolCall]]:
        """Parse ``text`` into ``(undo/redo calls, edit calls)`` without running them.

        Raises:
            Unclear: not understood (its message is the clarifying question).
            Unsupported: names something the embedded interpreter cannot do.
        """
        norm, paths = _normalise(text)
        clauses = [_read_clause(c, seq, paths) for c, seq in _split(norm)]
        unclear = [c.text for c in clauses if not c.understood()]
        if not clauses or unclear:
            what = f" by “{unclear[0]}”" if unclear and len(clauses) > 1 else ""
            raise Unclear(_clarify(f"I'm not sure what you mean{what}."))
        return _compose(clauses, ctx)


# -- step 1 ------------------------------------------------------------------------------------
def _normalise(text: str) -> tuple[str, list[str]]:
    """Lower-cased text with placeholders for paths (``@pN``) and hex colours (``@hrrggbb``)."""
    paths: list[str] = []

    def keep_path(m: re.Match[str]) -> str:
        paths.append(next(g for g in m.groups() if g))
        return f" @p{len(paths) - 1} "

    text = _QUOTED_PATH.sub(keep_path, text)
    text = _BARE_PATH.sub(keep_path, text)
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _HASH_HEX.sub(lambda m: f"@h{m.group(1)}", text)
    if _COLOUR_WORDS.search(text):
        text = _BARE_HEX.sub(lambda m: f"@h{m.group(1)}", text)
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), text)
    for pattern, repl in _SPOKEN_TIMES:
        text = pattern.sub(repl, text)
    text = re.sub(r"[!?\"]+", " ", text)
    return re.sub(r"\s+", " ", text).strip(" ."), paths


# -- step 2 ------------------------------------------------------------------------------------
def _split(text: str) -> list[tuple[str, bool]]:
    """Clauses as ``(text, sequential)``; ``sequential`` = joined by "then" to the previous one."""
    parts = _SPLIT.split(text)
    clauses: list[list[Any]] = []
    pending_sep: str | None = None
    for i, part in enumerate(parts):
        if i % 2:  # a separator
            pending_sep = part
            continue
        piece = _FILLER.sub("", part.strip()).strip()
        if not piece:
            continue
        sep = (pending_sep or "").strip()
        if not clauses:
            clauses.append([piece, False])
        elif _HARD.match(sep) or _STARTER.match(piece):
            clauses.append([piece, "then" in sep])
        else:
            clauses[-1][0] += f" {sep} {piece}" if sep and sep not in {",", "."} else f", {piece}"
        pending_sep = None
    return [(c, bool(s)) for c, s in clauses]


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
    if _TAKE_AWAY.search(rest):
        raise Unclear(
            "I can't take one effect away on its own yet. Say “undo” to go back a step, or say "
            "what the background should be instead, e.g. “remove the background” or “make it "
            "blue”."
        )
    rest = _read_fades(c, rest)
    rest = _read_subjects(c, rest)
    rest = _read_range(c, rest)
    _check_supported(rest)
    rest = _read_edges(c, rest)
    rest = _read_background(c, rest, paths)
    _read_strength(c, rest)
    if _TARGET_ALL.search(text):
        c.target_all = True
    return c


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
_REMOVE_WORDS = ("remove", "delete", "erase", "get rid of", "take out", "hide")


def _read_subjects(c: _Clause, text: str) -> str:
    """Speaker, box and point rules, "match the lighting", and rough hair → matting tier."""
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
    if _HAIR_ROUGH.search(text):
        from backdrop.perception.models import model_status

        if any(s.name == "rvm-mobilenetv3" and s.installed for s in model_status()):
            c.extra_calls.append(ToolCall("set_quality", {"tier": "matting"}))
    for m in _REMOVE_VERB.finditer(text):
        noun = m.group(1)
        if _is_object(noun):
            c.subjects.append({"subject": "object", "label": noun, "action": "remove"})
            text = text[: m.start()] + " " + text[m.end() :]
            break
    for m in _KEEP_VERB.finditer(text):
        noun = m.group(1)
        if _is_object(noun):
            c.subjects.append({"subject": "object", "label": noun, "action": "keep"})
            text = text[: m.start()] + " " + text[m.end() :]
            break
    return text


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
    fade, text = _take(_FADE, text)
    gradual, text = _take(_GRADUALLY, text)
    if fade is None and gradual is None:
        return text
    kinds = {"in": ("fade_in",), "up": ("fade_in",), "out": ("fade_out",), "away": ("fade_out",)}
    word = (fade.group(1) if fade else None) or "in"
    chosen = kinds.get(word, ("fade_in", "fade_out"))
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
    start: float | None = None
    end: float | None = None
    given = False
    for pattern, build in _RANGE_RULES:
        while (m := pattern.search(text)) is not None:
            s, e, has_s, has_e = build(m)
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
    _, text = _take(_TO_END, text)
    _, text = _take(_FROM_START, text)
    if whole is not None and not given:
        c.range = TimeRange()
        c.relative = None
    if given:
        try:
            c.range = TimeRange(start=start or 0.0, end=end)
        except ValidationError as e:
            raise Unclear(
                _clarify("The end of that time range comes before its start; which span?")
            ) from e
    return text


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
        c.background = {"type": "gradient", "colors": list(NAMED_GRADIENTS[preset.group(1)])}
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
def _compose(clauses: list[_Clause], ctx: ToolContext) -> tuple[list[ToolCall], list[ToolCall]]:
    """Turn a sentence's clauses into ``(undo/redo calls, edit calls)``."""
    pre: list[ToolCall] = []
    steps: list[_Draft | ToolCall] = []
    edges: list[str] = []
    focus = ctx.focused_index()
    # "after that" in a new sentence refers to the segment the last change touched.
    prev_range = None if focus is None else ctx.plan.backgrounds[focus].range
    draft: _Draft | None = None

    for c in clauses:
        pre += [ToolCall("undo")] * c.undo + [ToolCall("redo")] * c.redo
        target: Literal["last", "all"] = "all" if c.target_all else "last"
        kind = (
            "set_background"
            if c.background
            else "blur_background"
            if c.blur
            else "remove_background"
            if c.remove
            else None
        )
        # "after that" and "then" only place a new background; elsewhere they are sequencing.
        rng = _clause_range(c, prev_range) if kind is not None else c.range
        if rng is not None:
            prev_range = rng
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
                draft = _Draft(tool=kind, background=c.background, range=rng)
                steps.append(draft)
        elif c.keep:
            args: dict[str, Any] = {"subject": "person"}
            if rng is not None:
                args["range"] = _range_arg(rng)
            steps.append(ToolCall("keep_subject", args))
        elif rng is not None:
            if draft is not None:
                draft.range = rng
            else:
                args = {"range": _range_arg(rng), "target": target}
                steps.append(ToolCall("set_time_range", args))
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

    calls = [call for step in steps for call in _flatten(step)]
    if edges:
        calls.append(ToolCall("set_edges", _edge_update(ctx.plan, edges)))
    return pre, calls


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
    if step.range is not None:
        args["range"] = _range_arg(step.range)
    calls = [ToolCall(step.tool, args)]
    if step.tool != "set_background" and step.opacity is not None:
        calls.append(ToolCall("set_strength", {"level": step.opacity}))
    for kind, seconds in step.fades.items():
        calls.append(ToolCall("add_transition", {"kind": kind, "duration": seconds}))
    return calls


def _edge_update(plan: EditPlan, actions: list[str]) -> dict[str, Any]:
    """New edge settings after ``actions`` (in order), as ``set_edges`` arguments.

    Units are pixels of a 720-line frame: "soften" raises the feather by at least 1.5,
    "sharpen" halves it and turns on guided refinement, "refine" (rough hair) enlarges the
    guided-filter radius and adds 0.5 feather, "shrink"/"grow" move the edge by 1.5.
    """
    e = plan.edges
    feather, refine, radius, shift = e.feather, e.refine, e.refine_radius, e.shift
    for action in actions:
        if action == "soften":
            feather = min(50.0, feather + max(1.5, feather * 0.5))
        elif action == "sharpen":
            feather, refine = feather * 0.5, "guided"
        elif action == "refine":
            refine = "guided"
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
