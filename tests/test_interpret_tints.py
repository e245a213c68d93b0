"""Comparative colour words ("redder", "a bit bluer", "more purple", "warmer") move the
background colour toward a hue; "bluer my background" is that colour, "bluer the background"
stays the "blur" typo; "…, no background" is not a correction."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.render.colors import NAMED_COLORS, hex_to_rgb, spoken_colour
from backdrop.tools import ToolContext


def _said(*texts: str, position: float | None = None) -> tuple[ToolContext, str]:
    ctx = ToolContext(duration=60.0, position=position)
    si = SpeechInterpreter()
    reply = ""
    for t in texts:
        reply = si.interpret(t, ctx).text
    return ctx, reply


def _gap(a: str, b: str) -> float:
    return sum((x - y) ** 2 for x, y in zip(hex_to_rgb(a), hex_to_rgb(b), strict=True)) ** 0.5


@pytest.mark.parametrize(
    ("start", "said", "hue"),
    [
        ("blue", "make it redder", "red"),
        ("red", "a bit bluer please", "blue"),
        ("purple", "um, make my background greener", "green"),
        ("white", "warmer", "orange"),
        ("blue", "make it a little more purple", "purple"),
        ("red", "bluer my background", "blue"),
    ],
)
def test_comparative_moves_toward_the_hue(start: str, said: str, hue: str) -> None:
    ctx, reply = _said(f"make the background {start}", said)
    (seg,) = ctx.plan.backgrounds
    was, toward = NAMED_COLORS[start], NAMED_COLORS[hue]
    assert seg.background.type == "color" and seg.background.color != was
    assert _gap(seg.background.color, toward) < _gap(was, toward) - 10
    # said back in words, not as hex (kind 7 of the interpa brief: "#8b0000" → "dark red")
    assert reply.startswith("Understood") and spoken_colour(seg.background.color) in reply
    assert seg.background.color not in reply


def test_amount_words_scale_the_move() -> None:
    red = NAMED_COLORS["red"]
    moved = {}
    for said in ("a bit bluer", "bluer", "much bluer"):
        ctx, _ = _said("make it red", said)
        moved[said] = _gap(ctx.plan.backgrounds[0].background.color, red)
    assert moved["a bit bluer"] < moved["bluer"] < moved["much bluer"]


def test_comparative_with_no_background_yet_and_on_a_blur() -> None:
    ctx, reply = _said("um, bluer my background")
    assert ctx.plan.backgrounds[0].background.color == NAMED_COLORS["blue"]
    assert "no background colour yet" in reply
    ctx, _ = _said("bluer the background")  # the verb typo stays "blur"
    assert ctx.plan.backgrounds[0].background.type == "blur"
    ctx, reply = _said("blur the background", "redder")
    assert ctx.plan.backgrounds[0].background.type == "blur" and "can't tint" in reply


def test_gradient_and_time_range() -> None:
    ctx, _ = _said("make the background a blue to purple gradient", "redder")
    grad = ctx.plan.backgrounds[0].background
    red = NAMED_COLORS["red"]
    assert _gap(grad.colors[0], red) < _gap(NAMED_COLORS["blue"], red)
    ctx, _ = _said("make it blue", "more purple for the last 10 seconds")
    first, last = ctx.plan.backgrounds
    assert first.background.color == NAMED_COLORS["blue"] and last.range.start == -10


def test_no_background_after_a_comma_is_not_a_correction() -> None:
    ctx, _ = _said("from now on, no background", position=6.0)
    (seg,) = ctx.plan.backgrounds
    assert seg.background.type == "transparent" and seg.range.start == pytest.approx(6.0)
    ctx, _ = _said("make it green, no wait, red")
    assert ctx.plan.backgrounds[0].background.color == NAMED_COLORS["red"]
