"""Colour, strength and adjustment kinds a blind held-out set found answered "Understood" with a
wrong plan (issue 11), each through the real interpreter on phrasings written for the dev split:
a fade word between two colours is a gradient; three colours are three stops; "add yellow on
the end" adds a stop; scores and fractions are strengths, never times; "drop it to half
opacity" sets a level; "less dark" is a lighter colour; "less blur" with no blur asks; "blue
green" is one colour; and the honest non-answers (no matching file, nothing to lighten, another
person to hide) ask instead of changing the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.agent.interpret.lexicon.colours import luma
from backdrop.render.colors import NAMED_COLORS as C
from backdrop.render.plan import EditPlan
from backdrop.tools import ToolContext
from tests.test_interpret_blind_kinds import _said, folder  # noqa: F401 - a fixture

BEACH, WAVES = "Beach_Sunset.jpg", "waves_loop-02.mp4"
"""The files beside the video in the ``folder`` fixture."""


def _only(ctx: ToolContext):
    assert len(ctx.plan.backgrounds) == 1, ctx.plan.backgrounds
    return ctx.plan.backgrounds[0]


# -- 1. a fade word between two colours describes a gradient -----------------------------------
@pytest.mark.parametrize(
    ("text", "stops"),
    [
        ("can you fade it from teal at the top to white at the bottom", ["teal", "white"]),
        ("i want a backdrop that fades from orange into purple", ["orange", "purple"]),
        ("red fading into black please", ["red", "black"]),
        ("have it fading from yellow to red", ["yellow", "red"]),
    ],
)
def test_fade_between_colours_is_a_gradient_not_a_fade(text: str, stops: list[str]) -> None:
    ctx, said, asked = _said(text)
    seg = _only(ctx)
    assert not asked and seg.background.type == "gradient"
    assert seg.background.colors == [C[s] for s in stops]
    assert seg.fade_in is None and seg.fade_out is None, said
    assert "fad" not in said


def test_an_explicit_fade_in_of_a_gradient_is_still_a_fade() -> None:
    ctx, _, _ = _said("make it a blue to white gradient and fade it in over 2 seconds")
    seg = _only(ctx)
    assert seg.background.colors == [C["blue"], C["white"]]
    assert seg.fade_in is not None and seg.fade_in.duration == pytest.approx(2.0)


# -- 2. three colours are three stops -----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "three colour blend teal white and gold",
        "a gradient with teal, then white, then gold",
        "make it a blend of teal, white and gold",
    ],
)
def test_three_colours_are_three_stops(text: str) -> None:
    ctx, _, asked = _said(text)
    assert not asked
    assert _only(ctx).background.colors == [C["teal"], C["white"], C["gold"]]


# -- 3. a colour added to a gradient ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "stops"),
    [
        ("add yellow on the end", ["red", "blue", "yellow"]),
        ("put a third colour, yellow, at the end", ["red", "blue", "yellow"]),
        ("tack yellow onto the end", ["red", "blue", "yellow"]),
        ("put black at the start", ["black", "red", "blue"]),
        ("append gold", ["red", "blue", "gold"]),
    ],
)
def test_adding_a_colour_appends_a_stop(text: str, stops: list[str]) -> None:
    ctx, said, asked = _said("make it a red to blue gradient for the first 10 seconds", text)
    seg = _only(ctx)
    assert not asked and seg.background.type == "gradient"
    assert seg.background.colors == [C[s] for s in stops]
    assert seg.range.resolve(60.0) == (0.0, 10.0)  # the gradient keeps its time
    assert "gradient" in said


def test_adding_a_colour_with_no_gradient_asks() -> None:
    ctx, said, asked = _said("blur the background", "add yellow at the end")
    assert asked and "gradient" in said
    assert _only(ctx).background.type == "blur"


# -- 4. scores and fractions are strengths ------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("blur it three out of ten", 0.3),
        ("blur 7/10", 0.7),
        ("blur at 0.9", 0.9),
        ("blur strength 30 percent", 0.3),
        ("set the blur strength to 0.25", 0.25),
    ],
)
def test_scores_and_fractions_are_blur_strengths(text: str, level: float) -> None:
    ctx, said, asked = _said(text)
    seg = _only(ctx)
    assert not asked and seg.background.type == "blur", said
    assert seg.background.strength == pytest.approx(level)
    assert seg.range.resolve(60.0) == (0.0, 60.0)  # "at 0.9" is not a time


# -- 5. levels, shades and "less blur" ------------------------------------------------------------
def test_drop_it_to_half_opacity_sets_the_opacity() -> None:
    ctx, _, asked = _said("make it blue", "drop it to half opacity")
    seg = _only(ctx)
    assert not asked and seg.background.type == "color" and seg.background.color == C["blue"]
    assert seg.opacity == pytest.approx(0.5)


@pytest.mark.parametrize(("text", "lighter"), [("less dark", True), ("not as bright", False)])
def test_less_dark_is_a_lighter_colour_not_a_strength(text: str, lighter: bool) -> None:
    ctx, _, asked = _said("make it navy", text)
    seg = _only(ctx)
    assert not asked and seg.opacity == 1.0
    moved = luma(seg.background.color) - luma(C["navy"])
    assert moved > 0.01 if lighter else moved < -0.01


@pytest.mark.parametrize("setup", [[], ["make it blue"]])
def test_less_blur_with_no_blur_asks(setup: list[str]) -> None:
    ctx, said, asked = _said(*setup, "less blur")
    assert asked and "blur" in said
    assert [s.background.type for s in ctx.plan.backgrounds] == ["color"] * len(setup)


def test_less_blur_changes_the_blur_in_place_when_the_last_change_is_a_colour() -> None:
    ctx, _, asked = _said("blur the first 10 seconds", "make it green from 10 s", "less blur")
    assert not asked
    kinds = {s.background.type: s for s in ctx.plan.backgrounds}
    assert set(kinds) == {"blur", "color"}
    assert kinds["blur"].background.strength < 0.6
    assert kinds["blur"].range.resolve(60.0) == (0.0, 10.0)
    assert kinds["color"].range.resolve(60.0) == (10.0, 60.0)


# -- 6. two neighbouring hues side by side are one colour ---------------------------------------
@pytest.mark.parametrize("text", ["make it blue green", "a blue-green background", "bluish green"])
def test_blue_green_is_one_colour_between_them(text: str) -> None:
    from backdrop.render.colors import hex_to_rgb

    ctx, _, _ = _said(text)
    bg = _only(ctx).background
    assert bg.type == "color"
    got, blue, green = (hex_to_rgb(x) for x in (bg.color, C["blue"], C["green"]))
    assert all(min(b, g) <= x <= max(b, g) for x, b, g in zip(got, blue, green, strict=True))
    assert bg.color not in (C["blue"], C["green"])


@pytest.mark.parametrize("text", ["a blue green gradient", "blue to green", "red white and blue"])
def test_gradient_words_and_lists_stay_gradients(text: str) -> None:
    ctx, _, _ = _said(text)
    assert _only(ctx).background.type == "gradient"


# -- 7. honest non-answers and the small adjustments ---------------------------------------------
def test_a_place_with_no_file_asks_and_names_the_files(folder: Path) -> None:  # noqa: F811
    ctx, said, asked = _said("put me in the forest", folder=folder)
    assert asked and "forest" in said and BEACH in said
    assert ctx.plan == EditPlan()
    ctx, _, asked = _said("take me to the beach", folder=folder)
    assert not asked and Path(_only(ctx).background.path).name == BEACH


def test_which_files_lists_them_and_changes_nothing(folder: Path) -> None:  # noqa: F811
    ctx, said, asked = _said("which background files have I got?", folder=folder)
    assert BEACH in said and WAVES in said and "talk.mp4" not in said
    assert ctx.plan == EditPlan()


@pytest.mark.parametrize("text", ["lighten it up a touch", "darken it slightly"])
def test_lighten_with_nothing_planned_asks(text: str) -> None:
    ctx, _, asked = _said(text)
    assert asked and ctx.plan == EditPlan()
    ctx, _, asked = _said("make it orange", text)
    assert not asked and _only(ctx).background.color != C["orange"]


@pytest.mark.parametrize(
    ("text", "sign"),
    [("pull the edge in", -1), ("bring the edges in a bit", -1), ("push the edge out", 1)],
)
def test_moving_the_edge_in_or_out_shrinks_or_grows_it(text: str, sign: int) -> None:
    ctx, _, asked = _said(text)
    assert not asked and ctx.plan.edges.shift * sign > 0
    assert not ctx.plan.backgrounds


def test_start_over_clears_the_plan_and_undo_brings_it_back() -> None:
    ctx, said, asked = _said("make it red", "blur the first 5 s", "let's start over")
    assert not asked and ctx.plan == EditPlan() and "undo" in said
    _said_more = SpeechInterpreter().interpret("undo", ctx)
    assert not _said_more.clarify and len(ctx.plan.backgrounds) == 2


def test_spoken_sizes_are_export_sizes() -> None:
    ctx, said, _ = _said("seven twenty p")
    assert ctx.output_size == "720p" and ctx.plan == EditPlan() and "720" in said


@pytest.mark.parametrize("text", ["hide the other guy", "get rid of the woman behind me"])
def test_hiding_another_person_asks_who_stays(text: str) -> None:
    ctx, said, asked = _said("remove the background", text)
    assert asked and "keep" in said
    assert [s.background.type for s in ctx.plan.backgrounds] == ["transparent"]


# -- more phrasings of the same kinds -------------------------------------------------------------
def test_colours_before_the_gradient_word_are_its_first_stops() -> None:
    ctx, _, asked = _said("red, then orange, then yellow gradient")
    assert not asked
    assert _only(ctx).background.colors == [C["red"], C["orange"], C["yellow"]]


def test_a_colour_at_the_end_is_a_stop_of_a_gradient_and_a_question_otherwise() -> None:
    ctx, _, asked = _said("make it a red to blue gradient", "white at the very end")
    assert not asked and _only(ctx).background.colors == [C["red"], C["blue"], C["white"]]
    ctx, said, asked = _said("make it red", "blue at the start")
    assert asked and "first 5 seconds" in said
    assert _only(ctx).background.color == C["red"]


def test_less_of_a_hue_asks_instead_of_setting_that_hue() -> None:
    ctx, said, asked = _said("make it purple", "less red")
    assert asked and "red" in said
    seg = _only(ctx)
    assert seg.background.color == C["purple"] and seg.opacity == 1.0


def test_a_two_hue_colour_is_said_back_in_words() -> None:
    _, said, _ = _said("make it blue green")
    assert "between blue and green" in said


def test_a_colour_the_gradient_has_moves_instead_of_doubling() -> None:
    ctx, _, _ = _said("make it red to blue to green", "put the blue at the end")
    assert _only(ctx).background.colors == [C["red"], C["green"], C["blue"]]


def test_reset_the_edges_puts_the_defaults_back() -> None:
    from backdrop.render.plan import EdgeSettings

    ctx, _, asked = _said("soften the edges", "pull the edge in", "reset the edges")
    e, d = ctx.plan.edges, EdgeSettings()
    assert not asked and (e.feather, e.shift, e.refine) == (d.feather, d.shift, d.refine)


def test_a_fraction_after_a_time_word_stays_a_time() -> None:
    ctx, _, _ = _said("blur it starting at 0.5")
    seg = _only(ctx)
    assert seg.range.start == pytest.approx(0.5) and seg.background.strength == pytest.approx(0.6)


def test_one_stop_of_a_gradient_set_to_a_colour() -> None:
    ctx, _, asked = _said("make it a pink to purple gradient", "make the last colour navy")
    assert not asked and _only(ctx).background.colors == [C["pink"], C["navy"]]
    ctx, said, asked = _said("make it blue", "make the last colour navy")
    assert asked and "gradient" in said and _only(ctx).background.color == C["blue"]


@pytest.mark.parametrize(
    ("text", "opacity"), [("reduce opacity to 60%", 0.6), ("bring the opacity down a bit", 0.8)]
)
def test_an_opacity_said_with_a_lowering_verb(text: str, opacity: float) -> None:
    ctx, _, asked = _said("make it blue", text)
    assert not asked and _only(ctx).opacity == pytest.approx(opacity)
