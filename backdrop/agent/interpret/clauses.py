"""Step 2: a normalised sentence → clauses, and the :class:`Clause` record each is read into.

The sentence is cut at ``;``, ``.``, "then", and at ``,`` / "and" / "but" where the next piece
starts an action of its own; other pieces are glued back ("blue and purple", "between 1:10 and
1:30")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from backdrop.agent.interpret.lexicon.adjust import RESTOP_PART
from backdrop.agent.interpret.lexicon.colours import COLOUR
from backdrop.agent.interpret.lexicon.ends import AT_END, AT_START
from backdrop.agent.interpret.lexicon.known import KNOWN_WORDS
from backdrop.agent.interpret.lexicon.relative import lengthen_by
from backdrop.agent.interpret.lexicon.times import RANGE_RULES, TIME
from backdrop.agent.interpret.words import FIX
from backdrop.render.colors import NAMED_COLORS
from backdrop.render.plan import TimeRange
from backdrop.tools import ToolCall

# -- step 2: clause splitting ------------------------------------------------------------------
_SPLIT = re.compile(
    r"\s*(;|\.(?=\s|$)|,?\s*\band then\b|,?\s*\bthen\b"
    r"|,?\s*\b(?:and )?(?:finally|lastly|followed by|after which)\b"
    r"|,\s*and\b|,\s*but\b|,|\band\b|\bbut\b|\balso\b|\bplus\b)\s*"
)
_HARD = re.compile(r"[;.]|\bthen\b|\bfinally\b|\blastly\b|\bfollowed by\b|\bafter which\b")
_NEXT = re.compile(r"\bthen\b|\bfinally\b|\blastly\b|\bfollowed by\b|\bafter which\b")
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


_FADE_TAIL = re.compile(
    rf"^(?:it\s+)?(?:in|out)\b(?:\s+(?:over|across|lasting|taking|for|within)\b|\s+{TIME}|\s*$)"
)
"""A second fade said without its verb ("… then out over 4 s"): part of the clause before."""
_FADED = re.compile(r"\b(?:fad(?:e|es|ed|ing)|dissolve)\b")


# -- clause record -----------------------------------------------------------------------------
@dataclass
class Clause:
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
    tint: tuple[str, float] | None = None
    previous: bool = False
    swap: tuple[str, str] | None = None
    same: bool = False
    stop: bool = False
    extend: bool = False
    lengthen: float | None = None
    end_or_stop: str | None = None
    """ "make the end white": "end"/"start" said bare, the video's or a gradient's (asked about
    when a gradient is focused)."""
    """Seconds a timed change's end moves by ("10 more seconds"; negative: shorter)."""
    also: list[TimeRange] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    span: Literal["for", "until"] | None = None
    """How the clause's range was said when it gave no start: a length ("for 5 s") or only an
    end ("until 10 s"); in a sequence ("…, then green for 5 s") it follows the previous part."""
    drop: dict[str, str] | None = None
    """Take a change out: ``{"color": "#rrggbb"}`` or ``{"kind": "blur"}`` ("drop the green")."""
    rest: bool = False
    """The time no change covers yet ("the rest of it")."""
    ref_colour: str | None = None
    """The plan colour a shaded colour was said of ("make the purple a bit lighter")."""
    append: tuple[str, str, bool] | None = None
    """A colour added to a gradient: ``(#rrggbb, "end" | "start" | "middle", whether a gradient
    or a stop was named)`` ("add yellow on the end", "a third colour, white")."""
    reset: bool = False
    """Throw the whole plan away ("start over")."""
    see_through: float | None = None
    """The opacity a see-through word asks for (0..1: "a bit see-through" 0.7); the background
    stays and the original shows through it."""
    described: bool = False
    """The clause only says what is wrong with the edge ("there's a halo around my hair"): the
    fix said with it ("pull the mask in") is the same change, made once."""
    notes: list[str] = field(default_factory=list)
    """What the reply should add in plain words ("blue green is #198183, between the two")."""
    negated: list[str] = field(default_factory=list)
    """Colours said as not wanted ("not blue", "anything but green"); never applied."""

    def says_what_background(self) -> bool:
        """Whether the clause says what the background (or who is kept) should be: a colour,
        image, blur, removal, a change to the current one, or a person rule."""
        return bool(
            self.background
            or self.blur
            or self.remove
            or self.swap
            or self.shade is not None
            or self.tint
            or self.previous
            or self.append
            or self.drop
            or self.keep
            or self.subjects
            or self.reset
            or self.undo
            or self.redo
        )

    def understood(self) -> bool:
        return bool(
            self.subjects
            or self.append
            or self.reset
            or self.exclude
            or self.shade is not None
            or self.tint is not None
            or self.previous
            or self.swap
            or self.drop
            or self.stop
            or self.lengthen is not None
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
            or self.see_through is not None
        )


# -- step 2 ------------------------------------------------------------------------------------
def split_clauses(text: str) -> list[tuple[str, bool, bool]]:
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
        if (
            clauses
            and _FADED.search(clauses[-1][0])
            and (_FADE_TAIL.match(piece) or (_FADED.match(piece) and "respectively" in text))
        ):
            clauses[-1][0] += f" and {piece}"  # "fade in over 2 s, then out over 4"
        elif not clauses:
            clauses.append([piece, False, fix])
        elif _more_stops(clauses[-1][0], piece) and not (fix and COLOUR.search(clauses[-1][0])):
            clauses[-1][0] += f" to {piece}"  # "a gradient with navy, then teal, then white"
        elif RESTOP_PART.match(clauses[-1][0]) and RESTOP_PART.match(f"make {piece}"):
            clauses.append([f"make {piece}", False, fix])  # "…, and the left side black"
        elif (
            fix
            or _HARD.search(sep)
            or _STARTER.match(piece)
            or _new_action(clauses[-1][0], piece)
            or odd_verb(piece)
            or lengthen_by(piece) is not None  # "make it darker and 10 more seconds"
        ):
            clauses.append([piece, _NEXT.search(sep) is not None, fix])
        else:
            joint = sep.replace(",", " ").strip()
            clauses[-1][0] += f" {joint} {piece}" if joint else f", {piece}"
        pending_sep = None
    return [(c, bool(s), bool(f)) for c, s, f in _join_stops(clauses)]


_LISTED = re.compile(r"\b(?:gradients?|blend(?:ed|ing)?|ombr[eé]|\d+[\s-]*(?:colou?r|tone)s?)\b")
_COL_ANY = re.sub(r"\?P<\w+>", "", COLOUR.pattern)  # the colour pattern, repeatable
_STOP_PIECE = re.compile(
    rf"^(?:(?:and|to|into|with)\s+)?(?:(?:a|an|some)\s+)?(?:{_COL_ANY})"
    rf"(?:\s+(?:and|to|into)\s+(?:{_COL_ANY}))*$"
)


def _more_stops(prev: str, piece: str) -> bool:
    """Whether ``piece`` is only more colours of the gradient ``prev`` lists ("a gradient with
    navy, then teal, then white")."""
    return _LISTED.search(prev) is not None and _STOP_PIECE.match(piece) is not None


def _join_stops(clauses: list[list[Any]]) -> list[list[Any]]:
    """Colour-only clauses before one that names a gradient of colours are its first stops:
    "red, then orange, then yellow gradient" is one red → orange → yellow gradient."""
    out: list[list[Any]] = []
    for clause in clauses:
        text = clause[0]
        bare = _LISTED.sub(" ", text).strip()
        if _LISTED.search(text) and _STOP_PIECE.match(bare) and not clause[2]:
            run = 0
            while run < len(out) and _STOP_PIECE.match(out[-1 - run][0]) and not out[-1 - run][2]:
                run += 1
            if run:
                first = out[-run]
                joined = " to ".join([c[0] for c in out[-run:]] + [text])
                out[-run:] = [[joined, first[1], first[2]]]
                continue
        out.append(clause)
    return out


_CONTENT = re.compile(
    r"@p\d|@h|\bblur|\bfuzzy\b|\bbokeh\b|\bdefocus|\bout of focus\b|\bfad(?:e|ing)"
    r"|\btransparent\b|\bgradient\b"
    r"|\bremov(?:e|ed|ing)\b|\bget rid\b|\berase\b|\bdelete\b|\b(?:"
    + "|".join(re.escape(n) for n in sorted(NAMED_COLORS, key=len, reverse=True))
    + r")\b"
)
_FILE = re.compile(r"@p\d")
_SEQUENCE_WORD = re.compile(
    r"\b(?:after that|afterwards?|from then on|for the rest|the rest|thereafter|later)\b"
    r"|\bnext\s+\d"
)


_LEADING_TIME = re.compile(
    r"(?:between|from|after|starting(?: at| from)?|at|during|until|till|in the (?:first|last)"
    r"|(?:the )?next)"
    rf"\s+(?:the\s+)?{TIME}"
)
_OPEN_RANGE = re.compile(rf"\b(?:between|from)\s+{TIME}\s*$")


def _has_time(text: str) -> bool:
    return (
        any(p.search(text) for p, _ in RANGE_RULES)
        or AT_END.search(text) is not None  # "red at the end and blue at the start"
        or AT_START.search(text) is not None
        or _SEQUENCE_WORD.search(text) is not None
        or _OPEN_RANGE.search(text) is not None
    )


_VERB_SHAPE = re.compile(r"^([a-z]{4,})\s+(?:it|the|my|this|that|these|those|everything|all|"
                         r"them|him|her|me)\b")  # fmt: skip


def odd_verb(piece: str) -> bool:
    """Whether ``piece`` starts with a word nobody taught the interpreter, used as a verb
    ("… and X the edges", X a word it never saw): its own clause, so the word is named back
    and the clause before it is not read with its words."""
    m = _VERB_SHAPE.match(piece)
    return m is not None and not known_word(m.group(1))


def known_word(w: str) -> bool:
    """Whether ``w`` or its stem (plural, -ing/-ed form) is in
    :data:`~backdrop.agent.interpret.lexicon.known.KNOWN_WORDS`."""
    stems = (w, w[:-1], w[:-2], w[:-3], w[:-3] + "e", w[:-2] + "e")
    return any(x in KNOWN_WORDS for x in stems if len(x) >= 3)


_VERB_START = re.compile(r"^(?:please\s+)?(?:make|turn|set|change|paint|colou?r|put|give)\b")


def _new_action(prev: str, piece: str) -> bool:
    """Whether ``piece`` (after "and" / ",") is an action of its own, not more of ``prev``.

    "blue between 2 and 4 s and red for the last 2 s" is two segments, not a gradient: a piece
    with its own colour (or effect) and its own time starts a new clause when the clause before
    it already has one.
    """
    if _CONTENT.search(prev) is not None and _has_time(prev) and _LEADING_TIME.match(piece):
        return True  # "between 2 and 4 seconds blue, between 6 and 8 red"
    if _CONTENT.search(piece) is None:
        return False
    if _CONTENT.search(prev) is None:
        # "make it meant for the first half and blue for the rest": a piece that places its
        # change after a timed one with no colour or effect of its own is still its own clause
        # (joined, blue took the first half and "the rest" was lost)
        head = piece.split(" except ")[0]
        return (
            _VERB_START.match(prev) is not None
            and _has_time(prev)
            and _SEQUENCE_WORD.search(head) is not None
        )
    if (_FILE.search(piece) is None) != (_FILE.search(prev) is None):
        return True  # "make it red and the beach picture for the last 10 s": a file and a
        # colour or effect are never one background
    head = piece.split(" except ")[0]
    return _has_time(head) and (
        _has_time(prev)
        or _SEQUENCE_WORD.search(head) is not None
        or re.match(r"(?:at|from|after|starting)\b", head) is not None
    )


# -- step 3 ------------------------------------------------------------------------------------
