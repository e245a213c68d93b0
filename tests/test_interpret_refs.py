"""References to changes already in the plan, as a new user makes them in a conversation (found
by trying the chat on the sample, not from the corpus): "drop the green", "make the purple bit a
bit lighter", "change the green to red" with other changes layered on top, "the orange should be
more of a teal", "the rest of it", and "make it …" after a change over part of the video. Each
must do what was said, keep every other change, and say what it did; before, each answered
"Understood" and replaced the whole plan (or did the opposite: "drop the green" made it green)."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.render.colors import NAMED_COLORS as C
from backdrop.tools import ToolContext

INTERPRETER = SpeechInterpreter()


def _plan(*said: str, duration: float = 60.0) -> tuple[ToolContext, str]:
    ctx = ToolContext(duration=duration)
    text = ""
    for line in said:
        text = INTERPRETER.interpret(line, ctx).text
    return ctx, text


def _segments(ctx: ToolContext) -> list[tuple[str, float, float | None]]:
    """Each background change as (what, start s, end s or None), in plan order."""
    out = []
    for seg in ctx.plan.backgrounds:
        bg = seg.background
        what = bg.color if bg.type == "color" else bg.type
        out.append((what, seg.range.start, seg.range.end))
    return out


@pytest.mark.parametrize(
    "drop",
    [
        "drop the green entirely",
        "get rid of the green part",
        "remove the green",
        "lose the green bit",
    ],
)
def test_dropping_a_colour_takes_only_that_change_out(drop: str) -> None:
    ctx, text = _plan("make it green for the first 20 seconds", "make it purple from 20 s", drop)
    assert _segments(ctx) == [(C["purple"], 20.0, None)], text
    assert "took out" in text and "green" in text and "Understood" in text
    assert ctx.history.undo() and len(ctx.plan.backgrounds) == 2  # one undoable step


def test_a_colour_made_lighter_is_still_that_colour_and_keeps_its_range() -> None:
    ctx, text = _plan(
        "make it green for the first 20 seconds",
        "make it purple from 20 s",
        "make the purple bit a bit lighter",
    )
    (green, g0, g1), (lighter, p0, p1) = _segments(ctx)
    assert (green, g0, g1) == (C["green"], 0.0, 20.0)  # untouched
    assert (p0, p1) == (20.0, None) and lighter != C["purple"], text
    assert "0:20" in text  # said where
    ctx2, text = _plan(
        "make it green for the first 20 seconds",
        "make it purple from 20 s",
        "make the purple bit a bit lighter",
        "get rid of the purple",
    )
    assert _segments(ctx2) == [(C["green"], 0.0, 20.0)], text


def test_dropping_by_kind_and_what_is_not_there() -> None:
    ctx, text = _plan(
        "make it blue for the first 10 seconds", "blur it from 10 s", "remove the blur"
    )
    assert _segments(ctx) == [(C["blue"], 0.0, 10.0)], text
    ctx, text = _plan("make it blue", "get rid of the gradient")
    assert _segments(ctx) == [(C["blue"], 0.0, None)]
    assert "no gradient" in text and "Understood" not in text
    ctx, text = _plan("make it blue", "drop the red")
    assert _segments(ctx) == [(C["blue"], 0.0, None)] and "no red" in text


@pytest.mark.parametrize("said", ["remove the green screen", "remove the green background"])
def test_removing_a_green_screen_with_no_green_change_removes_the_background(said: str) -> None:
    ctx, text = _plan(said)
    assert [what for what, *_ in _segments(ctx)] == ["transparent"], text


def test_a_colour_swap_keeps_the_changes_layered_on_top() -> None:
    ctx, text = _plan("make it green", "make it blue from 30 s", "change the green to red")
    assert _segments(ctx) == [(C["red"], 0.0, None), (C["blue"], 30.0, None)], text
    ctx, _ = _plan("make it green for 10 s", "make it a red to green gradient from 30 s",
                   "change the green to yellow")  # fmt: skip
    assert ctx.plan.backgrounds[0].background.color == C["yellow"]
    assert ctx.plan.backgrounds[1].background.colors == [C["red"], C["yellow"]]


@pytest.mark.parametrize(
    "said", ["the orange should be more of a teal", "the orange needs to be teal",
             "the orange one should look more like teal"],
)  # fmt: skip
def test_what_a_colour_should_be_is_a_swap_not_a_gradient(said: str) -> None:
    ctx, text = _plan("make it orange from 10 to 20 s", said)
    assert _segments(ctx) == [(C["teal"], 10.0, 20.0)], text


def test_the_rest_is_the_time_no_change_covers() -> None:
    ctx, text = _plan("make it orange from 3 to 7 s", "and make the rest of it a soft blur",
                      duration=10.0)  # fmt: skip
    assert sorted(_segments(ctx), key=lambda s: s[1]) == [
        ("blur", 0.0, 3.0), (C["orange"], 3.0, 7.0), ("blur", 7.0, None)
    ], text  # fmt: skip
    ctx, _ = _plan("first five seconds blue, rest of the video red")
    assert _segments(ctx) == [(C["blue"], 0.0, 5.0), (C["red"], 5.0, None)]
    ctx, _ = _plan("make it blue for 5 seconds then red for the rest")
    assert _segments(ctx) == [(C["blue"], 0.0, 5.0), (C["red"], 5.0, None)]
    ctx, text = _plan("make it blue", "make the rest green")
    assert _segments(ctx) == [(C["blue"], 0.0, None)] and "no rest" in text.lower()


def test_make_it_after_a_change_over_part_of_the_video_keeps_that_part() -> None:
    ctx, text = _plan("blur the background from 2 s", "make it dark blue")
    ((what, start, end),) = _segments(ctx)
    assert what != "blur" and (start, end) == (2.0, None), text
    assert "0:02" in text
    ctx, _ = _plan("blur the background from 2 s", "make the background red")  # not "it"
    assert _segments(ctx) == [(C["red"], 0.0, None)]
