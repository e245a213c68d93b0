"""Kinds of phrasings new users say that the interpreter asked about, or answered "Understood"
and did something else (issue 11, helper `interp`), each through the real interpreter:

1. a number said alone after a change corrects that change's number ("make it teal from 10
   seconds" → "actually make that 20 seconds"); a number that could be more than one of them
   is asked about;
2. a background kind said as not wanted beside another ("not the beach picture, use the waves
   video", "don't blur it, make it black"): the other one;
3. only me in the picture, said without "keep" ("make it so it's just me, nobody else");
4. a gradient colour taken back in the same sentence: asked, or after a correction word the
   colour left;
5. fades said as the part of the video they take ("fade it out in the last 5 seconds"), "from
   the start to 0:20", "then back to normal from 10 s", "otherwise blur", "strength 70", a timed
   change hidden by a later whole-video one (asked).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.render.colors import NAMED_COLORS as C
from tests.test_interpret_blind_kinds import _said, _spans, folder  # noqa: F401 - a fixture
from tests.test_interpret_kinds5b import _keeps
from tests.test_interpret_kinds5b import _said as _said_people


# -- 1. a number said alone corrects the last change ---------------------------------------------
@pytest.mark.parametrize(
    ("first", "fix", "want"),
    [
        ("make it teal from 10 seconds", "actually make that 20 seconds", [(C["teal"], 20, 60)]),
        ("make it teal from ten seconds", "no wait, twenty", [(C["teal"], 20, 60)]),
        ("make it teal from 10 seconds", "twenty, not ten", [(C["teal"], 20, 60)]),
        ("blur the first 5 seconds", "no, 8 seconds", [("blur", 0, 8)]),
        ("blur the first 5 seconds", "make that eight", [("blur", 0, 8)]),
        ("make the first 5 seconds yellow", "wait, 7 seconds", [(C["yellow"], 0, 7)]),
        ("blur the first 10 seconds", "hmm, make that 0:15", [("blur", 0, 15)]),
    ],
)
def test_a_bare_number_corrects_the_time_of_the_last_change(
    first: str, fix: str, want: list[tuple[str, float, float]]
) -> None:
    ctx, reply, clarify = _said(first, fix)
    assert not clarify and reply.startswith("Understood"), reply
    assert _spans(ctx) == want, reply
    assert "in your last change" in reply, reply  # said back plainly


def test_a_bare_number_corrects_a_fade_strength_or_opacity() -> None:
    ctx, reply, _ = _said("make it red and fade it in over 2 s", "make that 4")
    assert ctx.plan.backgrounds[0].fade_in.duration == pytest.approx(4.0), reply
    ctx, reply, _ = _said("blur it 30 percent", "make that 70")
    assert ctx.plan.backgrounds[0].background.strength == pytest.approx(0.7), reply
    ctx, reply, _ = _said("make it green at 40% opacity", "actually make that 80")
    assert ctx.plan.backgrounds[0].opacity == pytest.approx(0.8), reply


def test_the_corrected_change_is_one_undo_step() -> None:
    said = ("make it blue", "make it teal from 10 seconds", "make that 20 seconds")
    ctx, reply, _ = _said(*said)
    assert _spans(ctx)[-1] == (C["teal"], 20, 60) and (C["teal"], 10, 60) not in _spans(ctx)
    ctx, reply, _ = _said(*said, "undo")
    assert _spans(ctx) == [(C["blue"], 0, 60)], reply  # before the teal, not teal from 10 s


@pytest.mark.parametrize(
    ("first", "fix"),
    [
        ("make it blue from 5 to 10 seconds", "make that 20"),  # the start or the end?
        ("make it red for the first 5 seconds and fade in over 2 s", "make that 8 seconds"),
        ("make it blue", "make that 20"),  # no number to correct
        ("blur the background", "make that 20 seconds"),
    ],
)
def test_a_bare_number_that_fits_no_single_number_is_asked_about(first: str, fix: str) -> None:
    ctx_before, _, _ = _said(first)
    ctx, reply, clarify = _said(first, fix)
    assert clarify and not reply.startswith("Understood"), reply
    assert ctx.plan == ctx_before.plan, reply


def test_a_number_correction_in_one_sentence_sets_the_percent() -> None:
    ctx, reply, _ = _said("blur it at 20 percent, actually 40")
    assert ctx.plan.backgrounds[0].background.strength == pytest.approx(0.4), reply
    ctx, reply, clarify = _said("blur the first 10 seconds at 20 percent, actually 40")
    assert clarify and not ctx.plan.backgrounds, reply  # the 10 s or the 20 %?


# -- 2. a background kind said as not wanted beside another -------------------------------------
@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("not the beach picture, use the waves video", "video"),
        ("no not the beach photo, the waves clip please", "video"),
        ("i don't want the beach image, put the waves video behind me", "video"),
        ("don't blur it, make it black", C["black"]),
        ("don't use a blur, just remove the background", "transparent"),
        ("no blur, make it transparent", "transparent"),
        ("don't remove it, blur it", "blur"),
        ("forget the gradient, plain grey please", C["grey"]),
        ("rather than blue, go for purple", C["purple"]),
        ("skip the blur and use the beach picture", "image"),
    ],
)
def test_the_wanted_background_replaces_the_one_said_not_wanted(
    said: str,
    kind: str,
    folder: Path,  # noqa: F811 - the fixture
) -> None:
    ctx, reply, clarify = _said(said, folder=folder)
    assert not clarify, reply
    assert [s[0] for s in _spans(ctx)] == [kind], reply


def test_a_refused_fade_is_not_applied() -> None:
    ctx, reply, _ = _said("rather than fading in, just cut to black at 5 seconds")
    seg = ctx.plan.backgrounds[0]
    assert seg.fade_in is None and _spans(ctx) == [(C["black"], 5, 60)], reply


def test_the_same_kind_said_and_refused_still_asks() -> None:
    ctx, reply, clarify = _said("blur the background but not blurry")
    assert clarify and not ctx.plan.backgrounds, reply


# -- 3. only me in the picture -------------------------------------------------------------------
@pytest.mark.parametrize(
    "said",
    [
        "make it so it's just me, nobody else",
        "only me in the frame, lose the others",
        "nobody but me",
        "just me please, no one else",
        "I want to be the only one in the video",
        "nobody else in the shot, only me",
        "it should be only me, get rid of everyone else",
        "me alone in the frame please",
        "no one except me",
    ],
)
def test_only_me_keeps_the_person_like_keep_only_me(said: str) -> None:
    ctx, reply, clarify = _said_people(said)
    assert not clarify and [k.subject for k in ctx.plan.keep] == ["person"], reply
    # with two people tracked: the same rule as "keep only me"
    two, reply2, _ = _said_people(said, people=2)
    ref, _, _ = _said_people("keep only me", people=2)
    assert _keeps(two) == _keeps(ref), reply2


# -- 4. a gradient colour taken back ------------------------------------------------------------
@pytest.mark.parametrize(
    "said",
    [
        "a yellow to purple gradient, no purple",
        "make it a green to white gradient but not white",
        "a blue to black gradient, minus the black",
        "red and blue gradient, drop the red",
    ],
)
def test_a_gradient_colour_taken_back_is_asked_about(said: str) -> None:
    ctx, reply, clarify = _said(said)
    assert clarify and not ctx.plan.backgrounds and "gradient" in reply, reply


@pytest.mark.parametrize(
    ("said", "colour"),
    [
        ("red to blue, actually without the blue", C["red"]),
        ("gradient from orange to pink, no wait, no pink", C["orange"]),
    ],
)
def test_a_gradient_colour_corrected_away_leaves_the_other(said: str, colour: str) -> None:
    ctx, reply, clarify = _said(said)
    assert not clarify and _spans(ctx) == [(colour, 0, 60)], reply
    assert "not a gradient" in reply, reply


def test_a_correction_with_three_stops_keeps_a_gradient_of_two() -> None:
    ctx, reply, _ = _said("a red to white to blue gradient, actually no white")
    assert ctx.plan.backgrounds[0].background.colors == [C["red"], C["blue"]], reply


# -- 5. fades, times, sequences -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "kind", "length"),
    [
        ("blue, fade out in the last two seconds", "fade_out", 2.0),
        ("make it blue and fade it in during the first 4 seconds", "fade_in", 4.0),
    ],
)
def test_a_fade_over_the_first_or_last_seconds_is_its_length(
    said: str, kind: str, length: float
) -> None:
    ctx, reply, _ = _said(said)
    seg = ctx.plan.backgrounds[0]
    assert _spans(ctx) == [(C["blue"], 0, 60)], reply  # the whole video, not the last 2 s
    assert getattr(seg, kind).duration == pytest.approx(length), reply


@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("red from the beginning to 0:20", [(C["red"], 0, 20)]),
        ("navy blue from the start to the 12 second mark", [(C["navy"], 0, 12)]),
        ("blur it, then back to normal from 10 seconds", [("blur", 0, 10)]),
        ("make it red, then from 20 seconds back to normal", [(C["red"], 0, 20)]),
        ("blur it, then clear from 10 seconds", [("blur", 0, 10)]),
        ("blue between 0:10 and 0:25, otherwise blur",
         [("blur", 0, 10), (C["blue"], 10, 25), ("blur", 25, 60)]),
        ("blur it until 10 s, then sharp again", [("blur", 0, 10)]),
    ],
)  # fmt: skip
def test_times_said_around_a_change(said: str, want: list[tuple[str, float, float]]) -> None:
    ctx, reply, clarify = _said(said)
    assert not clarify and _spans(ctx) == want, reply


@pytest.mark.parametrize(("said", "level"), [("blur strength 70", 0.7), ("blur lightly", 0.3)])
def test_blur_strength_said_as_a_number_or_an_adverb(said: str, level: float) -> None:
    ctx, reply, _ = _said(said)
    assert ctx.plan.backgrounds[0].background.strength == pytest.approx(level, abs=0.05), reply


def test_a_timed_change_hidden_by_a_later_whole_one_is_asked_about(
    folder: Path,  # noqa: F811 - the fixture
) -> None:
    ctx, reply, clarify = _said("the first 5 seconds red and the beach picture", folder=folder)
    assert clarify and not ctx.plan.backgrounds and "rest of the video" in reply, reply


@pytest.mark.parametrize(
    "said",
    [
        "blur the first 20 seconds and make the blur heavy",
        "blur it for the first twenty seconds and make that blur strong",
    ],
)
def test_a_blur_strength_said_again_is_that_blur(said: str) -> None:
    ctx, reply, _ = _said(said)
    assert _spans(ctx) == [("blur", 0, 20)], reply  # not a second blur over the whole video
    assert ctx.plan.backgrounds[0].background.strength > 0.6, reply


def test_a_percent_beside_less_is_the_level_said() -> None:
    ctx, reply, _ = _said("blur it less strong, like 20 percent")
    assert ctx.plan.backgrounds[0].background.strength == pytest.approx(0.2), reply


@pytest.mark.parametrize(
    ("said", "want", "kind", "length"),
    [
        ("it should fade in from black over 3 seconds", (C["black"], 0, 3), "fade_out", 3.0),
        ("make it fade out to black at the end", (C["black"], 59, 60), "fade_in", 1.0),
        ("fade to black over the last 2 seconds", (C["black"], 58, 60), "fade_in", 2.0),
    ],
)
def test_a_fade_from_or_to_a_colour_shows_it_at_that_end(
    said: str, want: tuple[str, float, float], kind: str, length: float
) -> None:
    ctx, reply, _ = _said(said)
    assert _spans(ctx) == [want], reply  # "from black": black first; "to black": black last
    assert getattr(ctx.plan.backgrounds[0], kind).duration == pytest.approx(length), reply


def test_a_fade_from_a_colour_at_the_top_stays_a_gradient() -> None:
    ctx, reply, _ = _said("can you fade it from teal at the top to white at the bottom")
    assert _spans(ctx) == [("gradient", 0, 60)], reply


def test_more_words_that_refuse_a_background_kind() -> None:
    ctx, reply, _ = _said("never mind the blur, make it green")
    assert _spans(ctx) == [(C["green"], 0, 60)], reply


@pytest.mark.parametrize(
    ("said", "want"),
    [
        ("make the end blue", (C["blue"], 55, 60)),
        ("make the start red", (C["red"], 0, 5)),
        ("make the end blue for 8 seconds", (C["blue"], 52, 60)),
    ],
)
def test_make_the_end_or_start_a_colour_is_that_part(
    said: str, want: tuple[str, float, float]
) -> None:
    ctx, reply, _ = _said(said)
    assert _spans(ctx) == [want], reply  # it was the whole video


def test_a_correction_after_an_undo_has_nothing_to_correct() -> None:
    ctx, reply, clarify = _said("make it red and fade in over 2 seconds", "undo", "make that 4")
    assert clarify and not ctx.plan.backgrounds, reply
