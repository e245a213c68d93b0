"""People, edges, export sizes, the live position, relative changes and answers to Backdrop's
own questions, as new users say them (issue 11, helper interp2), each through the real
interpreter on phrasings written for the dev split: "the first one" after a question with
choices makes that choice in the question's sentence (it used to be "the first 1 second" of the
last background under an "Understood"), and with no question waiting it changes nothing; "less
feathering" sharpens the edge (it used to turn on matting); "not so blurry" / "tone the blur
down" / "make the blur subtler" lower the blur (they used to change nothing or name "the subtle"
as an object); a grey made "much lighter" is said to be lighter (it used to be "a slightly
darker silver"); "full-HD", "4 k" and "set the resolution to …" are export sizes; a time said
before "just keep the person who's talking" is the keep's; "whoever is speaking should stay"
keeps the speaker; "right now" with a play position starts there; "remove all the people from
the video" is refused like any rule that leaves nobody in front."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.agent.interpret.lexicon.colours import luma
from backdrop.render.colors import NAMED_COLORS
from backdrop.render.plan import EditPlan
from backdrop.tools import ToolContext


def _said(*texts: str, position: float | None = None) -> tuple[ToolContext, str, bool]:
    """Run ``texts`` in turn on a 60 s video; the last reply's text and whether it asks."""
    ctx = ToolContext(duration=60.0, position=position)
    si = SpeechInterpreter()
    replies = [si.interpret(t, ctx) for t in texts]
    return ctx, replies[-1].text, replies[-1].clarify


def _segments(ctx: ToolContext) -> list[tuple[str, float, float]]:
    out = []
    for s in ctx.plan.backgrounds:
        t0, t1 = s.range.resolve(60.0)
        out.append((s.background.type, round(t0, 2), round(t1, 2)))
    return out


def _colour(ctx: ToolContext) -> str:
    return ctx.plan.backgrounds[-1].background.color  # type: ignore[union-attr]


# -- answers to a question with choices ---------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "colour"),
    [("the first one", "red"), ("um, the second one please", "green"), ("red", "red"),
     ("the green one", "green"), ("green please", "green")],
)  # fmt: skip
def test_an_answer_picks_one_colour_and_keeps_the_rest_of_the_sentence(
    answer: str, colour: str
) -> None:
    ctx, reply, clarify = _said(
        "make the background red and also green for the first 10 s and export in 4k", answer
    )
    assert not clarify and reply.startswith("Understood"), reply
    assert _segments(ctx) == [("color", 0.0, 10.0)], reply
    assert _colour(ctx) == NAMED_COLORS[colour], reply
    assert ctx.output_size == "4k", reply


def test_the_gradient_answer_keeps_both_colours() -> None:
    ctx, reply, _ = _said("make the background red and also green", "the gradient")
    assert ctx.plan.backgrounds[0].background.type == "gradient", reply


def test_an_answer_about_two_backgrounds_for_one_time_keeps_that_time() -> None:
    ctx, reply, clarify = _said(
        "blue for the first 10 s and green for the first 10 s", "the green one"
    )
    assert not clarify, reply
    assert _segments(ctx) == [("color", 0.0, 10.0)], reply
    assert _colour(ctx) == NAMED_COLORS["green"], reply
    ctx, reply, _ = _said("blue for the first 10 s and blur for the first 10 s", "the blur")
    assert _segments(ctx) == [("blur", 0.0, 10.0)], reply


def test_no_leaves_it_and_yes_asks_which() -> None:
    ctx, reply, _ = _said("make the background red and also green", "no")
    assert ctx.plan == EditPlan() and "nothing changed" in reply, reply
    ctx, reply, clarify = _said("make the background red and also green", "yes")
    assert clarify and ctx.plan == EditPlan() and "gradient" in reply, reply
    ctx, reply, _ = _said("make the background red and also green", "yes", "the first")
    assert _segments(ctx) == [("color", 0.0, 60.0)], reply


@pytest.mark.parametrize("text", ["the first one", "the second one, please", "uh the last one"])
def test_a_choice_with_no_question_waiting_changes_nothing(text: str) -> None:
    ctx, reply, clarify = _said("make it blue", "make it green", text)
    assert clarify and not reply.startswith("Understood"), reply
    assert _segments(ctx) == [("color", 0.0, 60.0)], reply


def test_a_question_lapses_after_another_instruction() -> None:
    ctx, reply, _ = _said("make the background red and also green", "blur it", "the first one")
    assert _segments(ctx) == [("blur", 0.0, 60.0)], reply


def test_the_first_one_inside_a_sentence_is_named_not_read_as_a_second() -> None:
    ctx, reply, _ = _said("make it red for the second one")
    assert "the second one" in reply, reply
    assert _segments(ctx) == [("color", 0.0, 60.0)], reply
    ctx, reply, _ = _said("blur the first one second")
    assert _segments(ctx) == [("blur", 0.0, 1.0)], reply


# -- edges, blur strength, colour words ---------------------------------------------------------
def test_less_feathering_sharpens_the_edge() -> None:
    ctx, reply, _ = _said("make it blue", "less feathering on the edges")
    assert ctx.plan.edges.feather < EditPlan().edges.feather, reply
    assert ctx.plan.edges.refine_radius == EditPlan().edges.refine_radius, reply


def test_the_matte_is_the_mask() -> None:
    ctx, reply, _ = _said("blur it", "shrink the matte slightly")
    assert ctx.plan.edges.shift < EditPlan().edges.shift, reply


@pytest.mark.parametrize(
    "text", ["not so blurry", "tone the blur down", "make the blur subtler", "tone down the blur"]
)
def test_a_weaker_blur_in_other_words(text: str) -> None:
    ctx, reply, _ = _said("blur the background", text)
    bg = ctx.plan.backgrounds[0].background
    assert bg.type == "blur" and bg.strength < 0.6, reply  # type: ignore[union-attr]


def test_a_grey_made_much_lighter_is_said_lighter() -> None:
    ctx, reply, _ = _said("make it grey", "much lighter")
    assert "darker" not in reply and "light" in reply, reply
    assert luma(_colour(ctx)) > luma("#808080"), reply


# -- export sizes, people, the play position ----------------------------------------------------
@pytest.mark.parametrize(
    ("text", "size"),
    [("export full-HD", "1080p"), ("change the resolution to 4 k", "4k"),
     ("set the resolution to 1280x720", "1280x720")],
)  # fmt: skip
def test_export_sizes_in_other_spellings(text: str, size: str) -> None:
    ctx, reply, _ = _said(text)
    assert ctx.output_size == size and "didn't understand" not in reply, reply


def test_a_time_said_before_keeping_the_speaker_is_the_keeps() -> None:
    ctx, reply, _ = _said("from twenty seconds on, just keep the person who's talking")
    assert _segments(ctx) == [("transparent", 20.0, 60.0)], reply
    speaker = [k for k in ctx.plan.keep if k.subject == "speaker"]
    assert [k.range.resolve(60.0) for k in speaker] == [(20.0, 60.0)], reply


def test_whoever_is_speaking_should_stay() -> None:
    ctx, reply, _ = _said("whoever is speaking should stay, blur everything else")
    assert [k.subject for k in ctx.plan.keep] == ["speaker"], reply
    assert "didn't understand" not in reply, reply


def test_right_now_with_a_play_position_starts_there() -> None:
    ctx, reply, _ = _said("uh, right now, switch it to grey", position=11.0)
    assert _segments(ctx) == [("color", 11.0, 60.0)], reply
    ctx, reply, _ = _said("make it grey right now")  # no play position: just "immediately"
    assert _segments(ctx) == [("color", 0.0, 60.0)], reply


def test_removing_all_the_people_from_the_video_is_refused() -> None:
    ctx, reply, _ = _said("remove all the people from the video")
    assert ctx.plan == EditPlan() and "every person" in reply, reply


# -- a second batch ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["the edges are cutting my shoulders off a bit", "my arms look chopped"]
)
def test_a_part_of_the_person_cut_off_lets_the_edge_out(text: str) -> None:
    ctx, reply, _ = _said("blur it", text)
    assert ctx.plan.edges.shift > EditPlan().edges.shift, reply
    assert ctx.plan.edges.refine_radius == EditPlan().edges.refine_radius, reply


@pytest.mark.parametrize(
    ("setup", "text"),
    [("make it green", "stop the green now"), ("blur it", "that's enough blur, stop")],
)
def test_stop_said_with_what_to_stop(setup: str, text: str) -> None:
    ctx, reply, _ = _said(setup, text, position=19.0)
    assert [seg[1:] for seg in _segments(ctx)] == [(0.0, 19.0)], reply


def test_too_blurry_lowers_the_blur_and_undo_undo_is_two_undos() -> None:
    ctx, reply, _ = _said("blur the background", "it's too blurry")
    assert ctx.plan.backgrounds[0].background.strength < 0.6, reply  # type: ignore[union-attr]
    ctx, reply, _ = _said("make it blue", "make it red", "make it green", "undo, undo")
    assert _colour(ctx) == NAMED_COLORS["blue"], reply


@pytest.mark.parametrize(
    ("text", "selector"),
    [("keep only the lady in the centre and blur the rest", "centre"),
     ("I'm on the left, keep me and remove the other person", "left")],
)  # fmt: skip
def test_who_stays_in_other_words(text: str, selector: str) -> None:
    ctx, reply, _ = _said(text)
    assert [k.selector for k in ctx.plan.keep] == [selector], reply
    assert "didn't understand" not in reply, reply


# -- answers to the other questions with choices -----------------------------------------------
@pytest.mark.parametrize(
    ("answer", "kind"), [("blur", "blur"), ("the second one", "color"), ("i meant blue", "color")]
)
def test_an_answer_to_did_you_mean_keeps_the_time(answer: str, kind: str) -> None:
    ctx, reply, clarify = _said("make it blure for the first 10 seconds", answer)
    assert not clarify and _segments(ctx) == [(kind, 0.0, 10.0)], reply
    assert "or blue" not in reply, reply  # the note says the reading chosen


@pytest.mark.parametrize(
    ("answer", "changed"), [("change it", True), ("the first one", True), ("the second one", False),
                            ("leave it as it is", False)],
)  # fmt: skip
def test_an_answer_to_change_or_leave(answer: str, changed: bool) -> None:
    ctx, reply, _ = _said("blur it but keep it sharp", answer)
    assert (ctx.plan != EditPlan()) is changed, reply
    assert "didn't understand" not in reply, reply


@pytest.mark.parametrize(
    ("answer", "kind"), [("the red", "color"), ("transparent", "transparent"),
                         ("the second one please", "transparent")],
)  # fmt: skip
def test_an_answer_to_a_colour_or_transparent(answer: str, kind: str) -> None:
    ctx, reply, _ = _said("make it red and completely transparent", answer)
    assert _segments(ctx) == [(kind, 0.0, 60.0)], reply


# -- a third batch -----------------------------------------------------------------------------
def test_the_person_who_speaks_first_needs_the_speakers() -> None:
    ctx, reply, _ = _said("keep the person who speaks first")
    assert ctx.plan == EditPlan() and "analys" in reply, reply  # never "keep the speaker"


def test_like_before_but_darker_is_the_earlier_colour_darker() -> None:
    ctx, reply, _ = _said("make it blue", "make it red", "like before but darker")
    assert luma(_colour(ctx)) < luma(NAMED_COLORS["blue"]), reply
    ctx, reply, _ = _said("make it grey", "from now on make it darker", position=30.0)
    assert "darker grey" in reply, reply


def test_never_mind_redo_is_a_redo() -> None:
    ctx, reply, _ = _said("make it red", "undo", "never mind, redo")
    assert _colour(ctx) == NAMED_COLORS["red"], reply


def test_a_size_said_with_a_failed_change_is_said_not_set() -> None:
    ctx, reply, _ = _said("export 3840 by 2160 and fade it in")
    assert ctx.output_size is None and "export size" in reply, reply


@pytest.mark.parametrize(
    ("text", "check"),
    [("loosen the mask a bit", "grow"), ("only the guy in front should stay", "keep")],
)
def test_more_edge_and_people_words(text: str, check: str) -> None:
    if check == "grow":
        ctx, reply, _ = _said("blur it", text)
        assert ctx.plan.edges.shift > 0, reply
    else:
        ctx, reply, _ = _said(text)
        assert [k.subject for k in ctx.plan.keep] == ["person"], reply
        assert reply.startswith("Understood"), reply


# -- a fourth batch ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["export at half size", "export at 50% resolution"])
def test_a_relative_export_size_is_never_a_blur_strength(text: str) -> None:
    ctx, reply, _ = _said("blur it", text)
    assert ctx.plan.backgrounds[0].background.strength == 0.6, reply  # type: ignore[union-attr]
    assert not reply.startswith("Understood") and "export" in reply, reply


def test_make_it_sharper_after_a_blur_is_less_blur() -> None:
    ctx, reply, _ = _said("blur it", "make it sharper")
    assert ctx.plan.backgrounds[0].background.strength < 0.6, reply  # type: ignore[union-attr]
    assert ctx.plan.edges == EditPlan().edges and "less blur" in reply, reply
    ctx, reply, _ = _said("make it blue", "make it sharper")  # no blur: the edge
    assert ctx.plan.edges.feather < EditPlan().edges.feather, reply


@pytest.mark.parametrize(
    "text", ["keep everyone except the guy on the right", "keep both of us except me"]
)
def test_everyone_but_someone_is_asked_never_everyone(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and ctx.plan == EditPlan(), reply
    ctx, reply, _ = _said("keep everyone but blur the background")  # "but" joins two edits
    assert [k.selector for k in ctx.plan.keep] == ["all"] and _segments(ctx)[0][0] == "blur"
