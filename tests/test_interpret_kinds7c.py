"""Three kinds of "Understood, but something else" found on 2026-11-28 (issue 11, helper interp3),
through the real interpreter on a 60 s video: a gradient's end or side named without "colour"
("make the end of the gradient white", "make the right side white") sets that stop (it made a new
white-to-grey gradient or a plain white background), and a bare "the end should be white" with a
gradient asks which end; a timed change made longer or shorter by an amount ("extend it by 10
seconds", "10 more seconds", "make it last 5 seconds less") moves its end (it said nothing changed,
or was not understood); "don't remove me" alone keeps the person (it was refused)."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.tools import ToolContext


def _said(*texts: str) -> tuple[ToolContext, str, bool]:
    """Run ``texts`` in turn on a 60 s video; the last reply's text and whether it asks."""
    ctx = ToolContext(duration=60.0)
    si = SpeechInterpreter()
    replies = [si.interpret(t, ctx) for t in texts]
    return ctx, replies[-1].text, replies[-1].clarify


@pytest.mark.parametrize(
    ("said", "stop", "other"),
    [
        ("make the end of the gradient white", -1, 0),
        ("make the right side white", -1, 0),
        ("the right side of the gradient should be white", -1, 0),
        ("make the top of the gradient white", 0, -1),
        ("change the left side to white", 0, -1),
    ],
)
def test_a_named_end_of_the_gradient_sets_that_stop(said: str, stop: int, other: int) -> None:
    ctx, text, asks = _said("a blue to red gradient", said)
    (seg,) = ctx.plan.backgrounds
    assert not asks and seg.background.type == "gradient"
    colours = seg.background.colors
    assert len(colours) == 2 and colours[stop].lower() == "#ffffff"
    assert colours[other].lower() != "#ffffff"  # the other stop is still blue or red


@pytest.mark.parametrize("said", ["the end should be white", "make the end white"])
def test_a_bare_end_with_a_gradient_asks(said: str) -> None:
    ctx, text, asks = _said("a blue to red gradient", said)
    assert asks and "Understood" not in text
    (seg,) = ctx.plan.backgrounds
    assert seg.background.type == "gradient" and len(seg.background.colors) == 2


def test_a_bare_end_without_a_gradient_is_the_end_of_the_video() -> None:
    ctx, _, asks = _said("make the end blue")
    (seg,) = ctx.plan.backgrounds
    assert not asks and seg.range.resolve(60.0)[0] > 50.0


@pytest.mark.parametrize(
    ("said", "end"),
    [
        ("extend it by 10 seconds", 20.0),
        ("make it 10 seconds longer", 20.0),
        ("another 10 seconds", 20.0),
        ("10 more seconds", 20.0),
        ("add 5 seconds to the blue", 15.0),
        ("make it last 5 seconds less", 5.0),
        ("shorten it by 3 seconds", 7.0),
        ("make it a bit darker and 10 more seconds", 20.0),
    ],
)
def test_a_timed_change_made_longer_or_shorter_moves_its_end(said: str, end: float) -> None:
    ctx, text, asks = _said("make it blue for 10 seconds", said)
    assert not asks and "already" not in text
    (seg,) = ctx.plan.backgrounds
    t0, t1 = seg.range.resolve(60.0)
    assert t0 == pytest.approx(0.0, abs=0.01) and t1 == pytest.approx(end, abs=0.01)


@pytest.mark.parametrize(
    "turns",
    [("blur it", "extend it by 5 seconds"), ("extend it by 5 seconds",),
     ("make it blue for 10 seconds", "make it 10 seconds shorter")],
)  # fmt: skip
def test_a_length_change_that_cannot_be_is_asked_about(turns: tuple[str, ...]) -> None:
    before = _said(*turns[:-1])[0] if len(turns) > 1 else ToolContext(duration=60.0)
    ctx, text, asks = _said(*turns)
    assert asks and "Understood" not in text
    assert ctx.plan.backgrounds == before.plan.backgrounds


@pytest.mark.parametrize("said", ["don't remove me", "please don't remove me"])
def test_dont_remove_me_alone_keeps_the_person(said: str) -> None:
    ctx, text, asks = _said(said)
    assert not asks and "won't" not in text
    assert not ctx.plan.backgrounds


def test_dont_blur_me_after_a_blur_changes_nothing() -> None:
    ctx, text, asks = _said("blur it", "don't blur me")
    assert not asks and "can't" not in text
    (seg,) = ctx.plan.backgrounds
    assert seg.background.type == "blur"


@pytest.mark.parametrize(
    ("said", "end"),
    [("another 10 seconds, and make it a bit darker", 20.0),
     ("extend it to 30 seconds, and make it a bit darker", 30.0)],
)  # fmt: skip
def test_a_shade_after_a_new_length_covers_the_new_range(said: str, end: float) -> None:
    ctx, _, asks = _said("make it blue for 10 seconds", said)
    assert not asks
    (seg,) = ctx.plan.backgrounds  # one darker segment, not a darker 0-10 s over a blue 0-20 s
    assert seg.range.resolve(60.0)[1] == pytest.approx(end, abs=0.01)
    assert seg.background.color.lower() != "#1d4ed8"


@pytest.mark.parametrize("said", ["a few more seconds", "make it a bit longer", "half as long"])
def test_a_length_change_without_an_amount_asks(said: str) -> None:
    ctx, text, asks = _said("make it blue for 10 seconds", said)
    assert asks and "already" not in text and "see-through" not in text
    (seg,) = ctx.plan.backgrounds
    assert seg.range.resolve(60.0)[1] == pytest.approx(10.0, abs=0.01)
    assert seg.opacity == pytest.approx(1.0)


def test_let_it_run_for_another_5_seconds_adds_them() -> None:
    ctx, _, asks = _said("make it blue for 10 seconds", "let it run for another 5 seconds")
    (seg,) = ctx.plan.backgrounds
    assert not asks and seg.range.resolve(60.0)[1] == pytest.approx(15.0, abs=0.01)


def test_two_stops_in_one_sentence_both_apply() -> None:
    ctx, _, asks = _said(
        "a blue to red gradient", "make the right side white and the left side black"
    )
    (seg,) = ctx.plan.backgrounds
    assert not asks and [c.lower() for c in seg.background.colors] == ["#000000", "#ffffff"]
