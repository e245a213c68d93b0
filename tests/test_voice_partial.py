"""Spoken input the interpreter understands only in part is asked about, not applied (issue 11).

A transcript with words the interpreter could not read ("make the mask wrap a purple claw in
gradient"), or a sequence that reads as a single edit ("make it meant for the first half and
blue for the rest": the first colour was lost), is usually a mishearing of the words that
decided the edit. Spoken, it is asked about ("I heard: “…” — did you mean …?"); typed, the
understood part is applied and the rest named, as before. A colour heard with high probability
whose rival colour scores clearly lower is applied without asking. Tests use a stand-in scorer
(no audio) or assert the outcome only, never a transcript.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.agent.voice import Heard, VoiceInput, handle_voice
from backdrop.agent.voice_check import check_reading, plan_of
from backdrop.perception.core.events import Word
from backdrop.tools import PlanHistory, ToolContext
from tests.conftest import needs_espeak

SILENCE = np.zeros(16000, np.float32)
GARBLED = "Make the mask wrap a purple claw in gradient."
LOST_PART = "Make it meant for the first half and blue for the rest."


def _ctx() -> ToolContext:
    return ToolContext(history=PlanHistory(), duration=20.0)


def _far(audio: np.ndarray, texts: list[str]) -> list[float]:
    """Every rival far behind the transcript (the first text): only the partial rule can ask."""
    return [0.0] + [-50.0] * (len(texts) - 1)


def _words(text: str, p: float, low: dict[str, float] | None = None) -> tuple[Word, ...]:
    low = low or {}
    return tuple(
        Word(w, i * 0.3, i * 0.3 + 0.2, low.get(w.strip(".,").lower(), p))
        for i, w in enumerate(text.split())
    )


def test_a_partly_understood_transcript_is_asked_about_with_what_was_understood() -> None:
    c = check_reading(GARBLED, SILENCE, _ctx(), _far)
    assert c.ask and c.partial and "wrap" in c.partial
    assert "gradient" in c.understood and "Understood" not in c.understood


def test_typed_input_still_applies_the_understood_part_and_names_the_rest() -> None:
    ctx = _ctx()
    r = SpeechInterpreter().interpret(GARBLED, ctx)
    assert not ctx.plan.is_empty() and "wrap" in r.text and not r.clarify


def test_a_sequence_that_lost_a_part_is_asked_about_a_whole_one_is_not() -> None:
    c = check_reading(LOST_PART, SILENCE, _ctx(), _far)
    ctx = _ctx()
    asked_anyway = SpeechInterpreter().interpret(LOST_PART, ctx).clarify and ctx.plan.is_empty()
    assert (c.ask and c.partial) or asked_anyway  # the guard asks, or the interpreter itself
    whole = "make it red for the first half and blue for the rest"
    assert check_reading(whole, SILENCE, _ctx(), _far).ask == ""
    back = "make it blue for the first ten seconds then back to normal"  # the rest as it was
    assert check_reading(back, SILENCE, _ctx(), _far).ask == ""


def test_a_made_up_short_ending_is_not_a_reason_to_ask() -> None:
    """Whisper adds "Is it?" / "You" after the instruction: the instruction itself is whole."""
    said = "Make the background red, and fade it in over 3 seconds. Is it?"
    assert check_reading(said, SILENCE, _ctx(), _far).partial == ""
    assert check_reading("Make the mask wrap a purple claw. Is it?", SILENCE, _ctx(), _far).partial


def test_nothing_to_apply_is_not_asked_about() -> None:
    """A transcript that changes nothing is answered by the interpreter (it asks itself)."""
    assert check_reading("wrap the claw", SILENCE, _ctx(), _far).ask == ""


def _rival_at(delta: float):  # noqa: ANN202 - a scorer: the transcript 0, "black" at delta
    return lambda audio, texts: [0.0 if i == 0 else delta if "black" in t else -50.0
                                 for i, t in enumerate(texts)]  # fmt: skip


def test_a_surely_heard_colour_is_not_asked_about_an_unsure_or_close_one_is() -> None:
    text = "Put a red background behind me."
    sure = _words(text, 0.9)
    assert check_reading(text, SILENCE, _ctx(), _rival_at(-4.0), words=sure).ask == ""
    unsure = _words(text, 0.9, {"red": 0.2})
    assert check_reading(text, SILENCE, _ctx(), _rival_at(-4.0), words=unsure).ask
    assert check_reading(text, SILENCE, _ctx(), _rival_at(-1.0), words=sure).ask  # too close
    assert check_reading(text, SILENCE, _ctx(), _rival_at(-4.0)).ask  # no probabilities known


def test_a_lost_shade_is_still_asked_about_however_sure_the_words() -> None:
    """ "another blue" for "a dark blue" changes the word count: not a colour-for-colour swap."""
    text = "I want another blue background."
    score = _table({"i want another blue background": 0.0, "i want a dark blue background": -4.0})
    assert check_reading(text, SILENCE, _ctx(), score, words=_words(text, 0.95)).ask


def _table(table: dict[str, float]):  # noqa: ANN202 - a scorer from a table
    return lambda audio, texts: [table.get(t, -50.0) for t in texts]


def test_blue_for_a_heard_blur_is_asked_about_only_when_close() -> None:
    text = "blur the background between two and six seconds"
    rival = "blue the background between two and six seconds"
    unsure = _words(text, 0.01)  # "blur" comes with a low word probability even when right
    for delta, asked in ((-4.5, False), (-1.0, True)):
        table = {text: 0.0, rival: delta}
        score = _table(table)
        assert bool(check_reading(text, SILENCE, _ctx(), score, words=unsure).ask) is asked


class _Scorer:
    """A stand-in transcriber: only :meth:`score_readings` is used by the question."""

    score_readings = staticmethod(_far)


def test_voice_asks_did_you_mean_and_yes_applies_what_was_understood() -> None:
    voice = VoiceInput(_Scorer(), confirm=True)  # type: ignore[arg-type]
    ctx = _ctx()
    heard = Heard(GARBLED, _words(GARBLED, 0.9), 0.9, -0.2, 2.0, audio=SILENCE)
    asked = voice.question(heard, ctx)
    assert asked is not None and asked.clarify and "did you mean" in asked.text
    assert "wrap" in asked.text and ctx.plan.is_empty() and voice.pending
    answered = voice.answer("yes")
    assert answered is not None and answered[0]
    SpeechInterpreter().interpret(answered[1], ctx)
    assert ctx.plan == plan_of(GARBLED, _ctx()) and not ctx.plan.is_empty()


# -- spoken, with the embedded Whisper ---------------------------------------------------------
SPOKEN = (
    ("make it a purple to pink gradient", "en-us"),
    ("make the background red for the first half and green for the rest", "en-us"),
)


@needs_espeak
@pytest.mark.parametrize(("text", "v"), SPOKEN)
def test_a_spoken_gradient_or_sequence_is_right_or_asked_never_wrong(
    text: str, v: str, tmp_path: Path
) -> None:
    """Whichever way this CPU hears it: the typed plan, or a question and no change."""
    from backdrop.agent.voice import load_voice_input
    from tests.test_voice_check import _say, _typed

    voice = load_voice_input()
    ctx = _ctx()
    r = handle_voice(_say(text, tmp_path, v), ctx, voice, SpeechInterpreter())
    if voice.pending:
        assert r.reply.clarify and ("Did you say “" in r.text or "did you mean" in r.text)
        assert ctx.plan.is_empty() and not r.reply.calls
    elif r.heard.ok and not r.reply.clarify:
        assert ctx.plan == _typed(text), r.text
    else:
        assert ctx.plan.is_empty(), r.text  # not caught: nothing changed
