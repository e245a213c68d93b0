"""Kinds that answered "Understood" and did something else (issue 11, helper interpa), checked on
new phrasings written for the dev split: "the same but blue" after a change over part of the
video keeps that part (it used to cover the whole video); a see-through word with a degree keeps
the background and lowers its opacity (it used to remove the background, or answer that nothing
changed); contradictions in one clause are asked about; "at the end" / "towards the end" are
honoured; "light blue green" is one colour; "fade from red to blue over 5 s" is a colour change
over time, not a gradient; shaded colours are said back by name."""

from __future__ import annotations

import pytest

from backdrop.render.colors import NAMED_COLORS
from tests.test_interpret_blind_kinds import _said, _spans

C = NAMED_COLORS


# -- 1. "the same but X" keeps the part the last change covers ----------------------------------
@pytest.mark.parametrize(
    ("texts", "want"),
    [
        (("make it red for the first 10 seconds", "do the same but in blue"),
         [(C["blue"], 0.0, 10.0)]),
        (("blur from 20 to 30 s", "same thing but make it green"), [(C["green"], 20.0, 30.0)]),
        (("make it teal between 5 and 15 seconds", "same again, but purple this time"),
         [(C["purple"], 5.0, 15.0)]),
        (("make the last 8 seconds orange", "um the same but like yellow please"),
         [(C["yellow"], 52.0, 60.0)]),
        (("make it red for the first 10 seconds", "same as before but navy"),
         [(C["navy"], 0.0, 10.0)]),
    ],
)  # fmt: skip
def test_the_same_but_another_colour_keeps_the_part(
    texts: tuple[str, ...], want: list[tuple[str, float, float]]
) -> None:
    ctx, reply, clarify = _said(*texts)
    assert not clarify and "didn't understand" not in reply, reply
    assert _spans(ctx) == want, reply


# -- 2. see-through with a degree keeps the background ------------------------------------------
@pytest.mark.parametrize(
    ("texts", "opacity"),
    [
        (("make it blue", "make it a bit see-through"), 0.7),
        (("make it blue", "make the blue a little transparent"), 0.7),
        (("make it blue", "semi-transparent please"), 0.5),
        (("make it blue", "let me see a bit of the room through it"), 0.7),
        (("make it blue", "make it 30% transparent"), 0.7),
        (("blue background, slightly see through",), 0.7),
        (("make it a green background that is twenty percent transparent",), 0.8),
        (("make it red for the first ten seconds", "make it kinda see through"), 0.7),
    ],
)
def test_see_through_keeps_the_background_and_sets_its_opacity(
    texts: tuple[str, ...], opacity: float
) -> None:
    ctx, reply, clarify = _said(*texts)
    assert not clarify, reply
    segs = ctx.plan.backgrounds
    assert len(segs) == 1 and segs[0].background.type == "color", reply
    assert segs[0].opacity == pytest.approx(opacity), reply
    assert "see-through" in reply, reply


def test_a_see_through_colour_that_is_not_there_is_asked_about() -> None:
    ctx, reply, clarify = _said("make it red", "make the green a bit transparent")
    assert clarify and "no green" in reply, reply
    assert ctx.plan.backgrounds[0].background.color == C["red"]
    assert ctx.plan.backgrounds[0].opacity == 1.0


def test_see_through_with_nothing_there_is_asked_about() -> None:
    ctx, reply, clarify = _said("make it semi transparent")
    assert clarify and not ctx.plan.backgrounds, reply


def test_a_see_through_blur_keeps_its_strength() -> None:
    ctx, reply, clarify = _said("blur it", "make the blur a bit see-through")
    seg = ctx.plan.backgrounds[0]
    assert not clarify and seg.background.type == "blur", reply
    assert seg.background.strength == pytest.approx(0.6) and seg.opacity == pytest.approx(0.7)


# -- 3. a sentence that contradicts itself is asked about ----------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "red and also completely transparent",
        "blur it but keep it sharp",
        "remove the background but keep the background",
        "make it blue but don't change the background",
        "blur the background but not blurry",
        "uh make it green and, like, keep the original background",
        "a transparent pink background please",
        "blur it and make it see-through",
    ],
)
def test_a_contradiction_in_one_sentence_is_asked_about(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds, reply
    assert "Understood" not in reply


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("blur the background but keep me sharp", "blur"),
        ("remove the background and make it blue", "color"),
        ("make it red for the first 10 seconds and leave the rest as it is", "color"),
    ],
)
def test_a_change_with_what_stays_is_no_contradiction(text: str, kind: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and [s.background.type for s in ctx.plan.backgrounds] == [kind], reply


# -- 4. "at the end", "towards the end", "in the first bit" are honoured ------------------------
@pytest.mark.parametrize(
    ("text", "start", "end", "default"),
    [
        ("put blue at the end of the video", -5.0, None, True),
        ("red at the end for 5 seconds", -5.0, None, False),
        ("green towards the end", -5.0, None, True),
        ("make it yellow in the last bit", -5.0, None, True),
        ("blur it near the end of the clip for like ten seconds", -10.0, None, False),
        ("at the very end, make it black", -5.0, None, True),
        ("make it red at the start", 0.0, 5.0, True),
        ("so um early on make it white", 0.0, 5.0, True),
    ],
)
def test_the_end_or_the_start_said_without_a_time_is_honoured(
    text: str, start: float, end: float | None, default: bool
) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and len(ctx.plan.backgrounds) == 1, reply
    rng = ctx.plan.backgrounds[0].range
    assert (rng.start, rng.end) == (start, end), reply
    assert ("you didn't say how long" in reply.lower()) == default, reply


def test_a_fade_at_the_end_stays_a_fade() -> None:
    ctx, reply, _ = _said("make it orange", "fade it out at the end, let's say 3 seconds")
    seg = ctx.plan.backgrounds[0]
    assert seg.range.start == 0 and seg.range.end is None, reply
    assert seg.fade_out is not None and seg.fade_out.duration == 3.0


# -- 5. a shade word and two hues side by side are one colour; side by side is never a gradient --
@pytest.mark.parametrize(
    "text",
    ["light blue green", "make it a dark green blue", "um pale yellow green background please"],
)
def test_a_shaded_two_hue_colour_is_one_colour(text: str) -> None:
    ctx, reply, clarify = _said(text)
    segs = ctx.plan.backgrounds
    assert not clarify and len(segs) == 1 and segs[0].background.type == "color", reply
    assert "one colour" in reply, reply


@pytest.mark.parametrize("text", ["make it red blue", "dark blue navy", "red white blue please"])
def test_colours_side_by_side_that_are_not_one_colour_are_asked_about(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds and "gradient" in reply, reply


@pytest.mark.parametrize(
    ("text", "colours"),
    [
        ("light blue to green", [C["light blue"], C["green"]]),
        ("a light blue green gradient", [C["light blue"], C["green"]]),
        ("red white and blue", [C["red"], C["white"], C["blue"]]),
    ],
)
def test_a_gradient_is_said_with_to_and_or_gradient(text: str, colours: list[str]) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and ctx.plan.backgrounds[0].background.colors == colours, reply


# -- 6. one colour becoming another over time is asked about, never a gradient -----------------
@pytest.mark.parametrize(
    "text",
    [
        "fade from red to blue over 5 s",
        "transition from red to blue over five seconds",
        "go from red to blue over 5 seconds",
        "red turning into blue over 4 s",
        "uh can the background like slowly fade from green into yellow over ten seconds",
        "fade from red to blue between 10 and 15 seconds",
    ],
)
def test_a_colour_becoming_another_over_time_is_asked_about(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds, reply
    assert "cross-fade" in reply and "gradient" in reply, reply


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("i want a backdrop that fades from orange into purple", "gradient"),
        ("make it a red to blue gradient and fade it in over 2 seconds", "gradient"),
        ("fade to a red background over 3 seconds", "color"),
    ],
)
def test_a_fade_between_colours_without_a_time_stays_a_gradient(text: str, kind: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and ctx.plan.backgrounds[0].background.type == kind, reply


# -- a swap said with a time changes only that time ---------------------------------------------
def test_a_colour_swap_with_a_time_changes_only_that_time() -> None:
    ctx, reply, clarify = _said("make it red", "change the red to blue for the last 5 s")
    assert not clarify, reply
    assert _spans(ctx) == [(C["red"], 0.0, 60.0), (C["blue"], 55.0, 60.0)], reply


# -- 7. shaded and mixed colours are said back in words, not as hex ----------------------------
@pytest.mark.parametrize(
    ("texts", "words"),
    [
        (("make it dark red",), "dark red"),
        (("make it red", "a bit darker"), "slightly darker red"),
        (("make it teal", "make it lighter"), "lighter teal"),
        (("make it blue", "a bit redder"), "blue with a touch of red"),
        (("light blue green",), "light colour between green and blue"),
        (("make it pink", "much darker please"), "dark pink"),
    ],
)
def test_a_shaded_colour_is_said_by_name(texts: tuple[str, ...], words: str) -> None:
    _, reply, clarify = _said(*texts)
    assert not clarify and words in reply, reply
    assert "#" not in reply, reply


def test_spoken_colour_names_shades_mixes_and_falls_back_to_the_nearest() -> None:
    from backdrop.agent.interpret.lexicon.colours import shade_of, tint_of
    from backdrop.render.colors import spoken_colour

    assert spoken_colour(C["red"]) == "red"
    assert spoken_colour(shade_of(C["red"], -0.4)) == "dark red"
    assert spoken_colour(shade_of(C["teal"], 0.45)) == "light teal"
    assert spoken_colour(tint_of(C["green"], C["blue"], 0.4)) == "a colour between green and blue"
    odd = spoken_colour("#123456")
    assert odd.startswith("a colour near") and "#123456" in odd


# -- more phrasings tried as a new user would ----------------------------------------------------
@pytest.mark.parametrize(
    ("text", "colour"),
    [
        ("make it a light shade of blue", C["light blue"]),
        ("turn the backround blu", C["blue"]),
        ("make it a pale version of pink", None),
    ],
)
def test_shade_phrases_and_typos_name_the_colour(text: str, colour: str | None) -> None:
    ctx, reply, clarify = _said(text)
    bg = ctx.plan.backgrounds[0].background
    assert not clarify and bg.type == "color", reply
    if colour is not None:
        assert bg.color == colour, reply
    else:
        assert "light pink" in reply, reply


def test_blue_ish_green_is_one_colour() -> None:
    ctx, reply, clarify = _said("make it blue-ish green")
    assert not clarify and ctx.plan.backgrounds[0].background.type == "color", reply


@pytest.mark.parametrize("text", ["make the background black and white", "make it black-and-white"])
def test_black_and_white_is_asked_about(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds and "greyscale" in reply, reply


def test_totally_see_through_is_transparent() -> None:
    ctx, reply, clarify = _said("i want the background totally see through")
    assert not clarify and ctx.plan.backgrounds[0].background.type == "transparent", reply


def test_minutes_and_seconds_said_in_words_are_a_clock_time() -> None:
    from backdrop.agent.interpret import SpeechInterpreter
    from backdrop.tools import ToolContext

    ctx = ToolContext(duration=180.0)
    reply = SpeechInterpreter().interpret(
        "make it red between one minute and one minute thirty", ctx
    )
    rng = ctx.plan.backgrounds[0].range
    assert not reply.clarify and (rng.start, rng.end) == (60.0, 90.0), reply.text


def test_see_through_for_a_time_is_a_see_through_copy_there() -> None:
    ctx, reply, clarify = _said(
        "make it red", "can you make it see through a bit for the last 10 s"
    )
    assert not clarify, reply
    segs = ctx.plan.backgrounds
    assert [s.background.type for s in segs] == ["color", "color"], reply
    assert segs[0].opacity == 1.0 and segs[1].opacity == pytest.approx(0.7)
    assert (segs[1].range.start, segs[1].range.end) == (-10.0, None)


def test_a_tad_transparent_keeps_the_colour_and_twice_as_transparent_is_asked() -> None:
    ctx, reply, _ = _said("make it blue", "a tad transparent")
    assert ctx.plan.backgrounds[0].background.type == "color", reply
    assert ctx.plan.backgrounds[0].opacity == pytest.approx(0.7)
    ctx, reply, clarify = _said("make it blue", "make it twice as transparent")
    assert clarify and ctx.plan.backgrounds[0].opacity == 1.0, reply


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("um like, blur the uh background, for like, the first, uh, five seconds", [(0.0, 5.0)]),
        ("blur between the 10 and 20 second marks", [(10.0, 20.0)]),
        ("make it red at the end and blue at the start", [(0.0, 5.0), (55.0, 60.0)]),
    ],
)
def test_spoken_time_phrases_are_kept(text: str, want: list[tuple[float, float]]) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify, reply
    assert [(a, b) for _, a, b in _spans(ctx)] == want, reply


def test_add_a_colour_at_the_end_of_a_timed_gradient_is_still_a_stop() -> None:
    ctx, reply, _ = _said(
        "make it a red to blue gradient for the first 10 seconds and add white at the end"
    )
    (seg,) = ctx.plan.backgrounds
    assert seg.background.colors == [C["red"], C["blue"], C["white"]], reply


@pytest.mark.parametrize(
    "text",
    [
        "make it blue in the middle",
        "blur the middle part of the video",
        "make it sky blue for the intro",
        "put a white background behind me for the outro",
    ],
)
def test_a_part_of_the_video_with_unknown_times_is_asked_about(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds, reply


def test_from_the_middle_is_from_halfway() -> None:
    ctx, reply, _ = _said("make it blue from the middle")
    assert _spans(ctx) == [(C["blue"], 30.0, 60.0)], reply


@pytest.mark.parametrize(
    ("texts", "want"),
    [
        (("blur it", "only blur the first half"), [("blur", 0.0, 30.0)]),
        (("make it blue", "keep it blue only until 0:20"), [(C["blue"], 0.0, 20.0)]),
        (("make it blue", "make it red only for the first 10 s"),
         [(C["blue"], 0.0, 60.0), (C["red"], 0.0, 10.0)]),
    ],
)  # fmt: skip
def test_only_and_a_time_for_the_same_change_retimes_it(
    texts: tuple[str, ...], want: list[tuple[str, float, float]]
) -> None:
    ctx, reply, clarify = _said(*texts)
    assert not clarify and _spans(ctx) == want, reply


def test_a_sharper_background_is_less_blur() -> None:
    ctx, reply, _ = _said("blur it", "make the background sharper")
    (seg,) = ctx.plan.backgrounds
    assert seg.background.type == "blur" and seg.background.strength < 0.6, reply
    assert ctx.plan.edges == type(ctx.plan.edges)(), reply
    ctx, reply, clarify = _said("make it red", "make the background sharper")
    assert clarify and "no blur" in reply, reply


def test_keep_the_timing_keeps_the_last_part() -> None:
    ctx, reply, clarify = _said("make it red for 10 s", "make it blue but keep the timing")
    assert not clarify and _spans(ctx) == [(C["blue"], 0.0, 10.0)], reply


def test_for_a_while_is_asked_about() -> None:
    ctx, reply, clarify = _said("make it blue for a while")
    assert clarify and not ctx.plan.backgrounds, reply


def test_completely_opaque_undoes_see_through() -> None:
    ctx, reply, _ = _said("make it red", "a bit see-through", "completely opaque")
    assert ctx.plan.backgrounds[0].opacity == 1.0, reply


def test_a_blue_that_is_a_bit_purple_is_one_colour() -> None:
    ctx, reply, clarify = _said("make it a blue that is a bit purple")
    assert not clarify and ctx.plan.backgrounds[0].background.type == "color", reply


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("blur the last quarter", 45.0, 60.0),
        ("blur the last third of the video", 40.0, 60.0),
        ("make the first quarter blue", 0.0, 15.0),
        ("make it blue for the first ten percent", 0.0, 6.0),
        ("end the video with a blue background", 55.0, 60.0),
        ("start the video with a red background", 0.0, 5.0),
    ],
)
def test_a_share_of_the_video_is_a_time_not_a_strength(text: str, start: float, end: float) -> None:
    ctx, reply, clarify = _said(text)
    (seg,) = ctx.plan.backgrounds
    assert not clarify and seg.opacity == 1.0, reply
    assert [(a, b) for _, a, b in _spans(ctx)] == [(start, end)], reply
    if seg.background.type == "blur":
        assert seg.background.strength == pytest.approx(0.6), reply


def test_a_correction_without_commas_replaces_the_colour() -> None:
    ctx, reply, _ = _said("uh make it blue no sorry green for the first 5 seconds")
    assert _spans(ctx) == [(C["green"], 0.0, 5.0)], reply
