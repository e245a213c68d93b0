"""Kinds of phrasing a new user says (issue 11), each through the real interpreter on a 60 s
video: number words and fractions give exact strengths, opacities and fade lengths; an
outline/glow effect Backdrop lacks is refused or asked about, never read as an edge change;
misspelt words are corrected and said back ("I read “blurr” as “blur”"), never blue for blur;
a percentage beside "soft" wins; a list with one length each is that sequence; "up a notch"
strengthens; export sizes changed ("from 1080 to 4k") or said in words are sizes, never
times; a verb nobody taught the interpreter is named."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.tools import ToolContext


def _said(*texts: str) -> tuple[ToolContext, str, bool]:
    """Say ``texts`` in turn on a fresh 60 s video: the context, the last reply, clarify."""
    ctx = ToolContext(duration=60.0)
    si = SpeechInterpreter()
    replies = [si.interpret(t, ctx) for t in texts]
    return ctx, replies[-1].text, replies[-1].clarify


def _only(ctx: ToolContext):  # noqa: ANN202 - the plan's one background segment
    assert len(ctx.plan.backgrounds) == 1, ctx.plan.backgrounds
    return ctx.plan.backgrounds[0]


# -- 1. number words and fractions are exact ------------------------------------------------
@pytest.mark.parametrize(
    ("texts", "opacity"),
    [
        (("make it blue", "make it about seventy five percent opaque"), 0.75),
        (("make it navy", "three quarters opaque please"), 0.75),
        (("make it teal", "eighty-five percent opaque"), 0.85),
        (("make it red", "a quarter opaque"), 0.25),
    ],
)
def test_opacity_said_in_words_is_exact(texts: tuple[str, ...], opacity: float) -> None:
    ctx, reply, clarify = _said(*texts)
    assert not clarify, reply
    assert _only(ctx).opacity == pytest.approx(opacity, abs=1e-6), reply


@pytest.mark.parametrize(
    ("text", "strength"),
    [
        ("blur the background at seventy five percent", 0.75),
        ("blur the background at three quarters strength", 0.75),
        ("blur it, three quarter strength", 0.75),
        ("blur everything behind me at a hundred percent", 1.0),
        ("blur the background fifty five per cent", 0.55),
    ],
)
def test_blur_strength_said_in_words_is_exact(text: str, strength: float) -> None:
    ctx, reply, clarify = _said(text)
    seg = _only(ctx)
    assert not clarify and seg.background.type == "blur", reply
    assert seg.background.strength == pytest.approx(strength, abs=1e-6), reply
    assert seg.range.start == 0 and seg.range.end is None, "a strength is never a time"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("make it blue and fade it in over a quarter of a second", 0.25),
        ("make it blue and fade it in over three quarters of a second", 0.75),
        ("make it blue, fading in over three quarters of a minute", 45.0),
        ("make it blue and fade in over twenty five seconds", 25.0),
    ],
)
def test_fade_lengths_said_as_fractions_are_exact(text: str, seconds: float) -> None:
    ctx, reply, _ = _said(text)
    assert _only(ctx).fade_in is not None, reply
    assert _only(ctx).fade_in.duration == pytest.approx(seconds, abs=1e-6), reply


# -- 2. an effect Backdrop does not have ----------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a glowing outline around me",
        "a neon edge around me",
        "give me a white outline",
        "put a drop shadow behind him",
        "outline me in red",
        "make me glow",
    ],
)
def test_an_outline_effect_is_refused_and_nothing_changes(text: str) -> None:
    ctx, reply, _ = _said(text)
    assert "outline" in reply and "Understood" not in reply, reply
    assert not ctx.plan.backgrounds and ctx.plan.edges == ToolContext().plan.edges, reply


def test_an_outline_effect_beside_an_edit_keeps_the_edit_and_says_what_was_left_out() -> None:
    ctx, reply, clarify = _said("make it green and add a glowing outline around me")
    assert not clarify and _only(ctx).background.type == "color", reply
    assert ctx.plan.edges == ToolContext().plan.edges, "no edge change for an outline effect"
    assert "outline" in reply and "left it out" in reply, reply


def test_a_bare_white_outline_is_asked_about_and_a_complaint_is_the_edge() -> None:
    ctx, reply, clarify = _said("make it blue", "a white outline around me")
    assert clarify and ctx.plan.edges == ToolContext().plan.edges, reply
    ctx, reply, _ = _said("make it blue", "there's a white outline around me")
    assert ctx.plan.edges.shift < 0, reply  # the old background's halo: the edge moves in


def test_neon_as_a_colour_is_still_a_colour() -> None:
    ctx, reply, _ = _said("make it neon green")
    assert _only(ctx).background.type == "color", reply


# -- 3. typos -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("blurr the stuff behind me", "blurr"),
        ("bluring the background", "bluring"),
        ("blure the background", "blure"),
        ("blur the backgorund", "backgorund"),
    ],
)
def test_a_misspelt_blur_is_read_and_said_back(text: str, said: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and _only(ctx).background.type == "blur", reply
    assert f"I read “{said}” as" in reply, reply


def test_blur_and_blue_are_never_swapped() -> None:
    ctx, reply, _ = _said("make it blue")
    assert _only(ctx).background.type == "color" and "I read" not in reply, reply
    ctx, reply, clarify = _said("make it blure")  # as near blue as blur: asked
    assert clarify and not ctx.plan.backgrounds and "blue" in reply and "blur" in reply, reply


# -- 4. hedged strengths --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "strength"),
    [
        ("soft blur, maybe twenty percent", 0.2),
        ("a light blur, around 45%", 0.45),
        ("heavy blur, roughly eighty percent or so", 0.8),
        ("a gentle blur, say thirty five percent", 0.35),
    ],
)
def test_a_hedged_percentage_wins_over_the_adjective(text: str, strength: float) -> None:
    ctx, reply, _ = _said(text)
    assert _only(ctx).background.strength == pytest.approx(strength, abs=1e-6), reply


# -- 5. lists with one length each, and colour lists as gradients ---------------------------
@pytest.mark.parametrize(
    ("text", "length", "count"),
    [
        ("red then blue then green, twenty seconds each", 20.0, 3),
        ("make it navy, teal and white for fifteen seconds each", 15.0, 3),
        ("purple followed by orange, each for thirty seconds", 30.0, 2),
        ("pink then grey, 10 s of each", 10.0, 2),
    ],
)
def test_a_list_with_one_length_each_is_that_sequence(text: str, length: float, count: int) -> None:
    ctx, reply, clarify = _said(text)
    segs = sorted(ctx.plan.backgrounds, key=lambda s: s.range.start)
    assert not clarify and len(segs) == count, reply
    for i, seg in enumerate(segs):
        assert seg.background.type == "color", reply
        assert seg.range.start == pytest.approx(i * length, abs=0.05), reply
        assert seg.range.end == pytest.approx((i + 1) * length, abs=0.05), reply
    assert len({s.background.color for s in segs}) == count, reply


@pytest.mark.parametrize(
    "text", ["a gradient from red to orange to yellow", "red then orange then yellow gradient"]
)
def test_three_colours_said_as_a_gradient_are_one_gradient(text: str) -> None:
    ctx, reply, _ = _said(text)
    bg = _only(ctx).background
    assert bg.type == "gradient" and len(bg.colors) == 3, reply


# -- 6. a notch more ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "up"),
    [
        ("crank the blur up a notch", True),
        ("bump the blur", True),
        ("turn the blur up", True),
        ("a bit more blur", True),
        ("take the blur down a notch", False),
    ],
)
def test_a_notch_more_or_less_blur_changes_the_strength(text: str, up: bool) -> None:
    ctx, reply, _ = _said("blur the background", text)
    strength = _only(ctx).background.strength
    assert (strength > 0.6) if up else (strength < 0.6), reply
    assert "already" not in reply, reply


# -- 7. export sizes ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("switch the export from 1080 to 4k", "4k"),
        ("change the resolution from 4k down to 720p", "720p"),
        ("render at twelve eighty by seven twenty", "1280x720"),
        ("export at nineteen twenty by ten eighty", "1920x1080"),
        ("export it six forty by four eighty", "640x480"),
    ],
)
def test_a_size_changed_or_said_in_words_is_the_export_size(text: str, size: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and ctx.output_size == size, reply
    assert not ctx.plan.backgrounds, "a size is never a time range"


def test_a_size_beside_an_edit_keeps_the_edit() -> None:
    ctx, reply, _ = _said("make it blue and render it at twelve eighty by seven twenty")
    assert ctx.output_size == "1280x720" and _only(ctx).range.end is None, reply


def test_a_plain_time_range_is_still_a_time() -> None:
    ctx, reply, _ = _said("blur it from 10 to 20 seconds")
    assert _only(ctx).range.start == 10 and _only(ctx).range.end == 20, reply


# -- 8. nonsense verbs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("blibber the rest", "blibber"),
        ("frobnicate the background", "frobnicate"),
        ("please snorkify my backdrop a bit", "snorkify"),
    ],
)
def test_a_nonsense_verb_alone_is_asked_about_by_name(text: str, word: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and f"“{word}”" in reply and not ctx.plan.backgrounds, reply


def test_a_nonsense_verb_beside_an_edit_is_named_and_guesses_nothing() -> None:
    ctx, reply, clarify = _said("make it red and zorp it")
    assert not clarify and _only(ctx).background.type == "color" and "“zorp”" in reply, reply
    ctx, reply, _ = _said("blur it and glorp the edges")
    assert _only(ctx).background.type == "blur" and "“glorp”" in reply, reply
    assert ctx.plan.edges == ToolContext().plan.edges, "no edge refine guessed for “glorp”"
