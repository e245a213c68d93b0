"""Is a spoken instruction safe to apply as heard? Near readings, scored on the audio.

Whisper tiny.en mishears the words that decide an edit: "blurred" as "blue", "grey" as "red",
"dark blue" as "another blue", "fifteen" as "fifty". Applied as heard, such a mishearing is a
wrong edit behind an "Understood". :func:`check_reading` builds the near readings of a
transcript (each word that decides the action swapped for the words it is confused with: the
effect words blur/blue/blurred/blurry, every colour, a shade word before a colour, teen/ty
numbers, "not"/"don't", "mask" for "background"), keeps those that would give a DIFFERENT plan
than the transcript (doing nothing included), and scores them and the transcript on the audio
itself (:meth:`Transcriber.score_readings`, forced decoding: summed log probability in nats).
When one of them is within :data:`NEAR_NATS` of the transcript, the ear cannot tell them apart:
the instruction is not applied and the person is asked "Did you say “…”?" with the likelier
reading. When the plan would be the same either way,
or every other reading is far less likely, it is applied as today. A near rival that only swaps
a colour or effect word heard with high probability (:data:`SURE_P`) for another, at least
:data:`SURE_NATS` less likely, is not asked about: the ear was sure of that word; nor is "blue"
for a heard "blur" :data:`BLUR_NATS` less likely (the ear errs the other way).

Spoken input only: a transcript the interpreter understands only in part is asked about too
("I heard: “…” — did you mean …?") instead of applied, because the words it could not read are
usually misheard words that decided the edit ("make the mask wrap a purple claw in gradient"). So
is a sequence ("X for the first half and Y for the rest") that reads as a single edit: one of
its parts was lost ("make it meant for the first half and blue for the rest"). Typed text keeps
applying the understood part and naming the rest.

The plans are compared with the rule-based :class:`SpeechInterpreter` on a scratch copy of the
context, so nothing changes while checking.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from backdrop.agent.interpret.lexicon.colours import BASIC_HUES
from backdrop.agent.replies import Reply
from backdrop.perception.core.events import Word
from backdrop.tools import ToolContext

NEAR_NATS = 5.5
"""A reading whose summed log probability on the audio is within this many nats of the
transcript's is "near": the ear could not tell them apart. Tuned on eval/corpus/voice_dev.txt:
the true readings of misheard words scored from 5.2 nats below the transcript to 7.7 above it;
the rivals of rightly heard commands mostly 5.6 nats or more below (grey/red is a near tie)."""

NOUN_SWAPS = {"mask": ("background",), "back": ("background",)}
"""Nouns Whisper puts for "background" on synthetic and noisy voices ("the mask from")."""

UNSURE_SWAP_P = 0.6
"""A :data:`NOUN_SWAPS` word heard with a word probability below this, whose swap would give
another plan, is asked about whatever the scores (dev set: "mask" for "background" came with
0.08–0.56, and forced scoring put "background" 7–13 nats behind it)."""

SURE_P = 0.5
"""A colour or effect word heard with at least this word probability is sure enough that a rival
colour / effect in its place, :data:`SURE_NATS` or more less likely, is not asked about (dev
grid: right colours mostly 0.5–1.0; the misheard ones 0.001–0.38)."""

SURE_NATS = 2.0
"""How much less likely (nats) a rival must be to be dropped when the word was heard sure."""

BLUR_NATS = 3.5
"""A transcript that says "blur" (or "blurred", "blurry") is not asked about for a rival "blue"
this many nats or more less likely, however unsure the word: this ear hears "blurred" as "blue",
hardly ever "blue" as "blur" (dev grid: 30 spoken "blue" commands, rival "blur" 7–10 nats behind;
rightly heard "blur" had rival "blue" 2.3–5.2 nats behind, a misheard sentence at 3.2)."""

SEQUENCE = re.compile(r"\b(?:then|for the rest|the rest of|after that|afterwards)\b")
"""Words that say a sentence has a later part ("… and then yellow", "… for the rest")."""

NOT_UNDERSTOOD = "I didn't understand"
"""How the interpreter's reply names the words it left out (``rules._not_understood``)."""

MAX_READINGS = 40
"""At most this many near readings are scored for one utterance (each is one decoder pass)."""

EFFECT_WORDS = ("blur", "blurred", "blurry", "blue")
"""Effect words Whisper confuses with one another ("blurred" heard as "blue")."""

COLOUR_WORDS = (*BASIC_HUES[:-2], "grey", "brown", "black", "white", "teal", "navy", "cyan",
                "magenta", "violet", "gold", "silver", "beige", "red")  # fmt: skip
"""Colours a heard colour may be swapped for (Whisper hears "grey" as "red")."""

SHADES = ("dark", "light")
"""Shade words that a colour may have had before it ("dark blue" heard as "another blue")."""

_TEENS = {
    "thirteen": "thirty", "fourteen": "forty", "fifteen": "fifty", "sixteen": "sixty",
    "seventeen": "seventy", "eighteen": "eighty", "nineteen": "ninety",
}  # fmt: skip
NUMBER_PAIRS: dict[str, tuple[str, ...]] = {}
"""A number (word or digits) → the numbers it is confused with (teen ↔ ty)."""
for _teen, _ty in _TEENS.items():
    _n = list(_TEENS).index(_teen) + 13
    NUMBER_PAIRS[_teen] = (_ty,)
    NUMBER_PAIRS[_ty] = (_teen,)
    NUMBER_PAIRS[str(_n)] = (str((_n - 10) * 10),)
    NUMBER_PAIRS[str((_n - 10) * 10)] = (str(_n),)

NEGATIONS = {"not": ("dark", ""), "don't": ("do", ""), "no": ("",)}
"""Negation words and what they may have been ("dark blue" heard as "not blue")."""

_WORD = re.compile(r"[a-z0-9']+(?:\.[0-9]+)?")


def plain_words(text: str) -> list[str]:
    """``text`` as lower-case words without punctuation ("Make it blue." → make, it, blue)."""
    return _WORD.findall(text.lower())


def near_readings(text: str) -> list[str]:
    """The readings of ``text`` one confusion away (lower case, no punctuation), in order,
    without ``text`` itself. See the module docstring for the confusions."""
    words = plain_words(text)
    out: dict[str, None] = {}

    def swap(i: int, new: str, width: int = 1) -> None:
        reading = " ".join(w for w in [*words[:i], new, *words[i + width :]] if w)
        out.setdefault(reading, None)

    for i, w in enumerate(words):
        if w in EFFECT_WORDS:
            for alt in (*EFFECT_WORDS, "blurring"):
                if alt != w:
                    swap(i, alt)
        if w in COLOUR_WORDS or w == "gray":
            for alt in COLOUR_WORDS:
                if alt != w and not (w == "gray" and alt == "grey"):
                    swap(i, alt)
            if i == 0 or words[i - 1] not in SHADES:
                for shade in SHADES:
                    swap(i, f"{shade} {w}")  # a shade word lost
                    if i > 0:
                        swap(i - 1, f"a {shade}" if words[i - 1] in ("another", "an") else shade)
        for alt in NUMBER_PAIRS.get(w, ()):
            swap(i, alt)
        for alt in (*NEGATIONS.get(w, ()), *NOUN_SWAPS.get(w, ())):
            swap(i, alt)
    out.pop(" ".join(words), None)
    return list(out)


def plan_of(text: str, ctx: ToolContext) -> object:
    """The plan ``text`` would give on a scratch copy of ``ctx`` (``ctx`` is not changed)."""
    return reading_of(text, ctx)[0]


def reading_of(text: str, ctx: ToolContext) -> tuple[object, Reply]:
    """``(plan, reply)`` that ``text`` would give on a scratch copy of ``ctx`` (not changed)."""
    from backdrop.agent.interpret import SpeechInterpreter

    scratch = dataclasses.replace(ctx, history=copy.deepcopy(ctx.history), notes=[],
                                  renderer=None)  # fmt: skip
    reply = SpeechInterpreter().interpret(text, scratch)
    return scratch.plan, reply


def partly_understood(text: str, reply: Reply, ctx: ToolContext) -> str:
    """Why a transcript that changes the plan was understood only in part, or "" when it was
    understood whole: the interpreter named words it left out, or a sequence ("… and then …",
    "… for the rest") gave a single edit (one of its parts was lost).

    Args:
        text: the transcript.
        reply: the interpreter's reply to it (:func:`reading_of`).
        ctx: the context it would apply to (not changed).
    """
    if NOT_UNDERSTOOD in reply.text:
        head, tail = _tail(text)
        if tail:  # "… over 3 seconds. Is it?": Whisper's made-up ending, not the instruction
            plan, without = reading_of(head, ctx)
            if NOT_UNDERSTOOD not in without.text and plan == reading_of(text, ctx)[0]:
                return ""
        return reply.text[reply.text.index(NOT_UNDERSTOOD) :].split(", so")[0].strip()
    if SEQUENCE.search(" ".join(plain_words(text))) and _lost_part(text, ctx):
        return "I heard only one part of a sequence"
    return ""


_LAST_SENTENCE = re.compile(r"^(?P<head>.*[.!?])\s+(?P<tail>[^.!?]+[.!?]?)$", re.S)


def _tail(text: str) -> tuple[str, str]:
    """``text`` split before a short last sentence of at most three words ("… seconds. Is
    it?", "… blue. You"): ``(head, tail)``, or ``(text, "")`` when there is none."""
    m = _LAST_SENTENCE.match(text.strip())
    if m is None or len(plain_words(m["tail"])) > 3:
        return text, ""
    return m["head"], m["tail"]


BACKGROUND_CALLS = frozenset(
    {"set_background", "remove_background", "blur_background", "drop_background", "change_colour"}
)
"""Tool calls that change the background (one part of a sequence each)."""


def _lost_part(text: str, ctx: ToolContext) -> bool:
    """Whether the rule interpreter reads a single background change in ``text`` that is either
    limited in time (it ends before the end of the video) or comes with a time range that has
    no background of its own (``set_time_range``): the other part of the sequence was lost."""
    from backdrop.agent.interpret.rules import RuleInterpreter

    scratch = dataclasses.replace(ctx, history=copy.deepcopy(ctx.history), notes=[],
                                  renderer=None)  # fmt: skip
    try:
        parsed = RuleInterpreter().parse(text, scratch)
    except Exception:  # noqa: BLE001 - Unclear/Unsupported: nothing to lose
        return False
    calls = parsed.calls
    if any("stays as it was" in n for n in parsed.notes):
        return False  # "… for the first 10 s, then back to normal": the rest is as it was
    edits = [c for c in calls if c.name in BACKGROUND_CALLS]
    if len(edits) != 1:
        return False
    end = (edits[0].args.get("range") or {}).get("end")
    return end is not None or any(c.name == "set_time_range" for c in calls)


def understood_part(reply: Reply) -> str:
    """What the interpreter understood, from its reply ("background → blue (the whole
    video); keep the person"), without what it left out."""
    said = reply.text.split(f" {NOT_UNDERSTOOD}")[0].strip()
    return said.removeprefix("Understood: ").rstrip(". ")


@dataclass(frozen=True)
class Check:
    """The verdict on one heard instruction.

    Attributes:
        ask: the reading to confirm before applying ("" = apply the transcript as heard).
        partial: why the transcript was understood only in part ("I didn't understand “wrap”
            or “claw”"), when that is why it is asked about; else "".
        understood: what the interpreter understood of it, when ``partial``.
        rivals: the readings one confusion away that would give a different plan, with their
            score relative to the transcript's (nats; 0 = as likely, negative = less likely),
            likeliest first (at most five).
    """

    ask: str = ""
    rivals: tuple[tuple[str, float], ...] = ()
    partial: str = ""
    understood: str = ""


Scorer = Callable[[np.ndarray, Sequence[str]], list[float]]
"""``(audio, texts) → summed log probability per text`` (see ``Transcriber.score_readings``)."""


def check_reading(
    text: str,
    audio: np.ndarray,
    ctx: ToolContext,
    score: Scorer,
    near: float = NEAR_NATS,
    words: Sequence[Word] = (),
) -> Check:
    """Should ``text`` (heard in ``audio``, float32 mono 16 kHz) be confirmed before applying?

    Args:
        text: the transcript.
        audio: the utterance's samples (the voice-activity span that was transcribed).
        ctx: the context it would apply to (not changed).
        score: scores readings on the audio.
        near: readings within this many nats of the transcript are near.
        words: the transcript's words with their probabilities, when known (see
            :data:`UNSURE_SWAP_P`).

    Returns:
        A :class:`Check`: ``ask`` is the likeliest of the transcript and its near rivals when a
        rival within ``near`` would give a different plan; else empty.
    """
    mine, reply = reading_of(text, ctx)
    before = ctx.plan
    if mine != before and (why := partly_understood(text, reply, ctx)):
        return Check(text.strip().rstrip(".!?,"), partial=why, understood=understood_part(reply))
    rivals = []
    for reading in near_readings(text)[:MAX_READINGS]:
        plan = plan_of(reading, ctx)
        if plan != mine:  # one that would do nothing is a rival too: "mask" for "background"
            rivals.append(reading)
    if not rivals or mine == before:
        return Check()
    own, *theirs = score(audio, [" ".join(plain_words(text)), *rivals])
    ranked = sorted(((r, s - own) for r, s in zip(rivals, theirs, strict=True)),
                    key=lambda x: -x[1])  # fmt: skip
    top = tuple((r, round(d, 2)) for r, d in ranked[:5])
    near_ones = [r for r, d in ranked if d > -near]
    sure = all(_sure_swap(text, r, d, words) for r, d in ranked if d > -near)
    if (not near_ones or sure) and not _unsure_swap(text, words, rivals):
        return Check("", top)
    best = ranked[0][0] if ranked[0][1] > 0 else text.strip().rstrip(".!?,")
    return Check(best, top)


def _sure_swap(text: str, rival: str, delta: float, words: Sequence[Word]) -> bool:
    """``rival`` only puts another colour (or effect word) for one colour (effect word) of
    ``text`` that was heard with probability :data:`SURE_P` or more, and scores at least
    :data:`SURE_NATS` below it (``delta``, nats)."""
    mine, theirs = plain_words(text), rival.split()
    if delta > -SURE_NATS or len(mine) != len(theirs):
        return False
    diff = [i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b]
    if len(diff) != 1:
        return False
    a, b = mine[diff[0]], theirs[diff[0]]
    if a in EFFECT_WORDS and a != "blue" and b == "blue" and delta <= -BLUR_NATS:
        return True  # the ear puts "blue" for "blur", not the other way round
    same_kind = (a in COLOUR_WORDS or a == "gray") and b in COLOUR_WORDS
    same_kind = same_kind or (a in EFFECT_WORDS and b in EFFECT_WORDS)
    probs = [w.probability for w in words if plain_words(w.text) == [a]]
    return same_kind and bool(probs) and min(probs) >= SURE_P


def _unsure_swap(text: str, words: Sequence[Word], rivals: Sequence[str]) -> bool:
    """A :data:`NOUN_SWAPS` word of ``text`` heard unsure (below :data:`UNSURE_SWAP_P`) whose
    swap is among the ``rivals`` (readings with another plan)."""
    unsure = {p[0] for w in words if w.probability < UNSURE_SWAP_P and (p := plain_words(w.text))}
    n = plain_words(text).count
    return any(
        r.split().count(word) < n(word) for word in unsure & NOUN_SWAPS.keys() for r in rivals
    )


def confirm_question(reading: str) -> str:
    """The yes/no question that says the reading back."""
    return f"Did you say “{reading}”? Say yes to apply it, no to drop it, or say it again."


def partial_question(heard: str, check: Check) -> str:
    """The question for a transcript understood only in part: what was heard, what would be
    applied, and what was left out."""
    return (
        f"I heard: “{heard}” — did you mean {check.understood}? ({check.partial}.) Say yes to "
        "apply that, no to drop it, or say it again."
    )


__all__ = [
    "Check",
    "NEAR_NATS",
    "check_reading",
    "confirm_question",
    "near_readings",
    "partial_question",
    "partly_understood",
    "plan_of",
    "reading_of",
]
