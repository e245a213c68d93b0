"""Answers to the interpreter's own questions: "the first one", "the red one", "the gradient",
"no".

A question that offers choices (:class:`Options` on the :class:`~.errors.Unclear` it raises:
"Should the background be red, or green, or a red-to-green gradient?") is remembered for the
conversation's :class:`~backdrop.tools.ToolContext` (:func:`remember`). The next utterance is
read against it first (:func:`take_answer`): a choice named by its place ("the first one", "the
second", "the latter") or by its words ("red", "the green one", "the gradient") runs the
question's sentence again with that choice made (:func:`picked`, read by the place that asked),
so everything else said in it (a time, a fade, an export size) is kept; "no" / "never mind"
leaves the plan as it is and says so; "yes" asks which. Anything else drops the question and is
read as a new instruction. It used to be read on its own: "the first one" became "the first 1
second" of the last background under an "Understood", and "the green one" green over the whole
video instead of the time asked about.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from backdrop.agent.interpret.errors import clarify
from backdrop.agent.replies import Reply
from backdrop.tools import ToolContext


@dataclass(frozen=True)
class Options:
    """The choices a question offers.

    Attributes:
        key: which question (the place that asked reads :func:`picked` with it).
        names: for each choice, the words that name it ("red", "the gradient"), lower case.
    """

    key: str
    names: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Answer:
    """A choice made: re-read ``text`` (the question's sentence) with choice ``index`` of the
    question ``key``."""

    text: str
    key: str
    index: int


_PENDING: dict[int, tuple[weakref.ref[ToolContext], str, Options]] = {}
_CHOSEN: contextvars.ContextVar[Answer | None] = contextvars.ContextVar("chosen", default=None)


def remember(ctx: ToolContext, text: str, options: Options | None) -> None:
    """Keep the question ``text`` raised (with its ``options``) for ``ctx``'s next utterance;
    ``None`` forgets any."""
    key = id(ctx)
    if options is None:
        _PENDING.pop(key, None)
        return
    _PENDING[key] = (weakref.ref(ctx, lambda _r: _PENDING.pop(key, None)), text, options)


def picked(key: str) -> int | None:
    """The choice made for question ``key`` while its sentence is read again, else ``None``."""
    chosen = _CHOSEN.get()
    return chosen.index if chosen is not None and chosen.key == key else None


@contextlib.contextmanager
def answering(answer: Answer) -> Iterator[None]:
    """Read the question's sentence again with ``answer``'s choice made (see :func:`picked`)."""
    token = _CHOSEN.set(answer)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


_LEAD = re.compile(
    r"^(?:(?:um+|uh+|er+|hmm+|ok(?:ay)?|so|well|oh|right|yeah|yes|let'?s (?:go with|do|have)|"
    r"go with|i'?d (?:like|prefer|go with|say)|i (?:meant|mean|said|want|prefer|choose|pick)|"
    r"(?:i )?think|"
    r"make it|use|pick|choose|please|definitely|probably|just)[\s,]+)*"
)
_TAIL = re.compile(
    r"(?:[\s,]+(?:one|option|choice|please|thanks|thank you|then|i think|for sure|is fine|"
    r"is better|would be (?:good|better|fine)|works))*$"
)
_PLACES = (
    (0, re.compile(r"^(?:the )?(?:first|1st|former|top|option (?:one|1|a)|number (?:one|1))$")),
    (1, re.compile(r"^(?:the )?(?:second|2nd|option (?:two|2|b)|number (?:two|2))$")),
    (2, re.compile(r"^(?:the )?(?:third|3rd|option (?:three|3|c)|number (?:three|3))$")),
    (-1, re.compile(r"^(?:the )?(?:last|latter|final|bottom)$")),
)
_NO = re.compile(
    r"^(?:no|nope|nah|neither|none|none of (?:them|those)|never ?mind|forget it|cancel|leave it"
    r"(?: as it is)?|don'?t|nothing|skip it)$"
)
_YES = re.compile(r"^(?:yes|yeah|yep|sure|ok(?:ay)?|either|whatever|any|you choose|you pick)$")


def take_answer(text: str, ctx: ToolContext) -> Answer | Reply | None:
    """The answer ``text`` gives to the question pending for ``ctx`` (which is dropped either
    way): an :class:`Answer` to run, or a reply to say ("no": nothing changed; "yes": which
    one?), or ``None`` when ``text`` is not an answer (read it as a new instruction)."""
    got = _PENDING.pop(id(ctx), None)
    if got is None or got[0]() is not ctx:
        return None
    _, asked, options = got
    said = _said(text)
    if _NO.match(said):
        return Reply("OK, I left it as it is; nothing changed.")
    if _YES.match(said):
        remember(ctx, asked, options)  # still waiting for which one
        return Reply("Which one? " + _choices(options), clarify=True)
    n = len(options.names)
    for index, pattern in _PLACES:
        if pattern.match(said) and -n <= index < n:
            return Answer(asked, options.key, index % n)
    bare = re.sub(r"^(?:the|a|an)\s+", "", said)
    for index, names in enumerate(options.names):
        if bare in names or said in names:
            return Answer(asked, options.key, index)
    return None


def stray_answer(text: str) -> Reply | None:
    """The reply to a choice said by its place ("the first one") when no question is waiting:
    which one is not known, so nothing changes (it used to be "the first 1 second")."""
    said = _said(text)
    if not any(pattern.match(said) for _, pattern in _PLACES):
        return None
    return Reply(
        clarify(
            f"I haven't asked anything that “{text.strip(' .!?,')}” could answer, so I changed "
            "nothing. Say what to change."
        ),
        clarify=True,
    )


def _said(text: str) -> str:
    """``text`` without the filler around an answer: "um, the first one please" → "the first"."""
    low = re.sub(r"\s+", " ", text.lower().replace("’", "'").strip(" .!?,"))
    low = _LEAD.sub("", low)
    return _TAIL.sub("", low).strip(" ,")


def _choices(options: Options) -> str:
    """ "Say “red”, “green” or “gradient”." from the first name of each choice."""
    first = [f"“{names[0]}”" for names in options.names]
    listed = ", ".join(first[:-1]) + f" or {first[-1]}" if len(first) > 1 else first[0]
    return f"Say {listed}."


__all__ = ["Answer", "Options", "answering", "picked", "remember", "stray_answer", "take_answer"]
