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
or every other reading is far less likely, it is applied as today.

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
    from backdrop.agent.interpret import SpeechInterpreter

    scratch = dataclasses.replace(ctx, history=copy.deepcopy(ctx.history), notes=[],
                                  renderer=None)  # fmt: skip
    SpeechInterpreter().interpret(text, scratch)
    return scratch.plan


@dataclass(frozen=True)
class Check:
    """The verdict on one heard instruction.

    Attributes:
        ask: the reading to confirm before applying ("" = apply the transcript as heard).
        rivals: the readings one confusion away that would give a different plan, with their
            score relative to the transcript's (nats; 0 = as likely, negative = less likely),
            likeliest first (at most five).
    """

    ask: str = ""
    rivals: tuple[tuple[str, float], ...] = ()


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
    mine = plan_of(text, ctx)
    before = ctx.plan
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
    if ranked[0][1] <= -near and not _unsure_swap(text, words, rivals):
        return Check("", top)
    best = ranked[0][0] if ranked[0][1] > 0 else text.strip().rstrip(".!?,")
    return Check(best, top)


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


__all__ = ["Check", "NEAR_NATS", "check_reading", "confirm_question", "near_readings", "plan_of"]
