"""Kinds from the last blind set where the reply said "Understood" and something else was done:

1. "until N seconds in" is an end (0..N), not a start (it was N..end);
2. an effect without a colour, then a file ("remove the background for 5 s, after that the waves
   video"): both parts land (the effect was dropped);
3. a change to the person ("replace my face with the beach image", "put a cat over my head") is
   refused plainly: Backdrop edits the background, and the plan is left as it was;
4. a rule that covers every person too ("paint the whole frame blue, me included") is refused
   as a whole: the background part is not applied either;
5. a colour said and unsaid ("red and also not red") is asked about;
6. two different backgrounds for the same time in one sentence are asked about (the later one
   silently replaced the first); a sequence that abuts stays applied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_interpret_blind_kinds import _said, _spans, folder  # noqa: F401 - a fixture


# -- 1. "until N in" ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("make it red until thirty seconds in", 30.0),
        ("till we're 40 seconds in, blur the background", 40.0),
        ("keep the background orange up until it's eighteen seconds in", 18.0),
        ("make it yellow until we get to 25 seconds", 25.0),
        ("blur everything before nine seconds in", 9.0),
        ("make it teal till 0:15", 15.0),
        ("up to the 20 second mark make it pink", 20.0),
    ],
)
def test_until_n_seconds_in_ends_there(text: str, end: float) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify, reply
    assert [(s[1], s[2]) for s in _spans(ctx)] == [(0.0, end)], reply


def test_n_seconds_in_alone_still_starts_there() -> None:
    ctx, reply, _ = _said("10 seconds in, make it blue")
    assert [(s[1], s[2]) for s in _spans(ctx)] == [(10.0, 60.0)], reply


# -- 2. an effect, then a file ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "first", "cut"),
    [
        (
            "remove the background for the first 6 seconds, after that the waves video",
            "transparent",
            6.0,
        ),
        (
            "get rid of the background for eight seconds, afterwards the beach image",
            "transparent",
            8.0,
        ),
        (
            "blur it for the first ten seconds, after that the beach picture for the rest",
            "blur",
            10.0,
        ),
        ("fuzzy background for twelve seconds and then the beach photo", "blur", 12.0),
        ("blur until 7 seconds in, after that use the sunset picture", "blur", 7.0),
    ],
)
def test_an_effect_then_a_file_keeps_both(text: str, first: str, cut: float, folder: Path) -> None:  # noqa: F811
    ctx, reply, clarify = _said(text, folder=folder)
    assert not clarify, reply
    spans = _spans(ctx)
    assert len(spans) == 2, reply
    assert spans[0] == (first, 0.0, cut), reply
    assert spans[1][0] in ("image", "video") and spans[1][1:] == (cut, 60.0), reply


def test_a_colour_and_a_file_are_two_parts(folder: Path) -> None:  # noqa: F811
    ctx, reply, clarify = _said(
        "make it red and the sunset picture for the last 10 s", folder=folder
    )
    assert not clarify, reply
    assert [(s[0], s[1], s[2]) for s in _spans(ctx)] == [
        ("#e11d2e", 0.0, 50.0),
        ("image", 50.0, 60.0),
    ], reply
    ctx, reply, clarify = _said("make it red and the sunset picture", folder=folder)
    assert clarify and not ctx.plan.backgrounds, reply


# -- 3. a change to the person ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "replace my face with the beach image",
        "put a cat over my head",
        "swap my head for the beach picture",
        "could you put a dog on top of my head",
        "paint him green",
        "turn me into a robot please",
        "stick the waves video over her face",
        "give me sunglasses",
    ],
)
def test_a_change_to_the_person_is_refused_plainly(text: str, folder: Path) -> None:  # noqa: F811
    ctx, reply, clarify = _said("make it blue", text, folder=folder)
    assert _spans(ctx) == [("#1d4ed8", 0.0, 60.0)], reply
    assert clarify and "not the person" in reply and "Understood" not in reply, reply


@pytest.mark.parametrize(
    "text",
    [
        "put the beach picture behind me",
        "put a blur behind me",
        "cover the background in red",
        "blur the background but not my face",
    ],
)
def test_the_background_behind_the_person_is_still_changed(text: str, folder: Path) -> None:  # noqa: F811
    ctx, reply, clarify = _said(text, folder=folder)
    assert not clarify and len(ctx.plan.backgrounds) == 1, reply


# -- 4. covering every person -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "paint the whole frame blue, me included",
        "cover everything in red including me",
        "colour the entire frame purple including the person",
        "make everything yellow, us too",
        "blur the background and me",
        "turn the background and the speaker red",
        "make everything red and also me",
    ],
)
def test_covering_every_person_is_refused_as_a_whole(text: str) -> None:
    ctx, reply, _ = _said(text)
    assert not ctx.plan.backgrounds and not ctx.plan.keep, reply
    assert "won't remove every person" in reply and "Understood" not in reply, reply


@pytest.mark.parametrize(
    "text",
    [
        "make everything blue except me",
        "blur the background and everyone else",
        "blur everything behind me, including the desk",
        "blur the background and the people walking behind me",
    ],
)
def test_everything_but_the_person_is_still_applied(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and len(ctx.plan.backgrounds) == 1, reply


# -- 5. a colour said and unsaid ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "red and also not red",
        "blue but not blue",
        "green but also not green",
        "make the backdrop orange and, um, not orange",
        "a teal to white gradient but not teal",
    ],
)
def test_a_colour_said_and_unsaid_is_asked_about(text: str) -> None:
    ctx, reply, clarify = _said("blur it", text)
    assert clarify, reply
    assert [s[0] for s in _spans(ctx)] == ["blur"], reply


def test_a_different_colour_said_as_not_wanted_is_not_a_contradiction() -> None:
    ctx, reply, clarify = _said("make it red, not blue")
    assert not clarify and [s[0] for s in _spans(ctx)] == ["#e11d2e"], reply


# -- 6. two backgrounds for the same time -------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "blue for the first 10 s and green for the first 10 s",
        "red for the first five seconds and yellow for the first five seconds",
        "make the last 10 seconds blue and make the last ten seconds white",
        "blur it from 20 to 30 and make it white between 20 and 30 seconds",
        "make it green and make it pink",
        "red from 0 to 20 and yellow from 10 to 30",
    ],
)
def test_two_backgrounds_for_the_same_time_are_asked_about(text: str) -> None:
    ctx, reply, clarify = _said("blur it", text)
    assert clarify, reply
    assert [s[0] for s in _spans(ctx)] == ["blur"], reply


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("blue until 10 then green", [(0.0, 10.0), (10.0, 60.0)]),
        ("teal for the first 10 s and navy for 10 s", [(0.0, 10.0), (10.0, 20.0)]),
        ("purple until 15, then orange", [(0.0, 15.0), (15.0, 60.0)]),
    ],
)
def test_a_sequence_that_abuts_stays_applied(text: str, spans: list[tuple[float, float]]) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify, reply
    assert [(s[1], s[2]) for s in _spans(ctx)] == spans, reply
