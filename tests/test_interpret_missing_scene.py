"""A background described by a scene word with no such file ("put the mountains behind me for
the last 5 seconds") is asked about; before, the scene word was dropped and the rest of the
clause retimed the current background under an "Understood" (found by the lead trying the chat).
A matching file is used, and colour names that contain a scene word stay colours.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.render.plan import EditPlan
from tests.test_interpret_blind_kinds import _said, _spans, folder  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    ("setup", "text"),
    [
        ("make it blue", "put the mountains behind me for the last 5 seconds"),
        ("remove the background", "put the desert behind me from 0:10"),
        ("blur it", "swap in the forest for the first ten seconds please"),
        ("make it green", "use the skyline as my background"),
        ("make it red", "go with the snow for the middle twenty seconds"),
    ],
)
def test_a_scene_with_no_file_is_asked_about_and_nothing_changes(
    setup: str,
    text: str,
    folder: Path,  # noqa: F811 - the fixture
) -> None:
    ctx, _, _ = _said(setup, folder=folder)
    before = _spans(ctx)
    si_ctx, reply, clarify = _said(setup, text, folder=folder)
    assert clarify, reply
    assert _spans(si_ctx) == before, reply
    assert "Understood" not in reply


def test_a_scene_with_one_matching_file_uses_it(folder: Path) -> None:  # noqa: F811
    ctx, reply, clarify = _said(
        "remove the background", "put the beach behind me for the middle twenty seconds",
        folder=folder,
    )  # fmt: skip
    assert not clarify, reply
    images = [s for s in ctx.plan.backgrounds if s.background.type == "image"]
    assert len(images) == 1 and images[0].range.resolve(60.0) == (20.0, 40.0), reply


@pytest.mark.parametrize(
    "text",
    ["put the forest green behind me", "use the sea green as my background", "make it sky blue"],
)
def test_colour_names_with_a_scene_word_stay_colours(text: str, folder: Path) -> None:  # noqa: F811
    ctx, reply, clarify = _said(text, folder=folder)
    assert not clarify, reply
    assert [s.background.type for s in ctx.plan.backgrounds] == ["color"], reply


# -- found trying the chat on shared clips (lead, 2026-11-28) ---------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "blur everything behind us",
        "remove the background behind them",
        "get rid of the stuff behind the kids",
        "make the background behind the two of us blue",
    ],
)
def test_the_background_behind_several_people_keeps_everyone(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify, reply
    assert [(k.subject, k.selector) for k in ctx.plan.keep] == [("person", "all")], reply
    assert "everyone" in reply


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("put a dark grey behind him, but keep the original for the first two seconds",
         [(2.0, 60.0)]),
        ("make it blue but leave the original background for the last 5 seconds", [(0.0, 55.0)]),
        ("blur it, keep the real background in the first ten seconds", [(10.0, 60.0)]),
        ("make it red except keep the original background between 10 and 20 seconds",
         [(0.0, 10.0), (20.0, 60.0)]),
    ],
)  # fmt: skip
def test_keeping_the_original_for_a_time_excludes_that_time(
    text: str, spans: list[tuple[float, float]]
) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify, reply
    assert [(s[1], s[2]) for s in _spans(ctx)] == spans, reply


@pytest.mark.parametrize(
    ("setup", "text"),
    [
        ("make it red", "go back to the original background"),
        ("make it red for 10 seconds and blur the rest", "show the real background again"),
        ("blur it", "I want my normal background back"),
    ],
)
def test_the_original_background_takes_every_background_change_out(setup: str, text: str) -> None:
    ctx, reply, clarify = _said(setup, text)
    assert not clarify, reply
    assert ctx.plan.backgrounds == [], reply
    assert "original background" in reply


def test_the_original_background_with_nothing_changed_says_so() -> None:
    ctx, reply, _ = _said("go back to the original background")
    assert ctx.plan.backgrounds == [] and "Understood" not in reply, reply


@pytest.mark.parametrize(
    "text",
    [
        "make it meant for the first half and blue for the rest",
        "make it xyzzy for the first 10 seconds and green after that",
    ],
)
def test_a_timed_part_not_understood_does_not_lend_its_time_to_the_next(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify, reply
    assert ctx.plan.backgrounds == [], reply


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("remove the background, put hot in the last three seconds", "hot"),
        ("blur the background, make it zorble in the last five seconds", "zorble"),
    ],
)
def test_a_timed_part_not_understood_is_named_not_used_as_a_retime(text: str, word: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify, reply
    assert [(s[1], s[2]) for s in _spans(ctx)] == [(0.0, 60.0)], reply
    assert word in reply


def test_put_it_in_a_time_still_retimes() -> None:
    ctx, reply, _ = _said("blur it, put it in the last three seconds")
    assert [(s[1], s[2]) for s in _spans(ctx)] == [(57.0, 60.0)], reply


# -- kinds of the seventh blind set, from new phrasings (lead, 2026-11-28) ---------------------
@pytest.mark.parametrize(
    "text", ["make it plum", "a khaki backdrop please", "make the second half tomato"]
)
def test_more_css_colour_names_are_colours(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert not clarify and "didn't understand" not in reply, reply
    assert [s.background.type for s in ctx.plan.backgrounds] == ["color"], reply


@pytest.mark.parametrize(
    "text",
    [
        "my edges look blurry, make them crisp",
        "the outline is fuzzy, sharpen it",
        "the edge around me is kind of mushy",
    ],
)
def test_a_fuzzy_edge_is_sharpened_and_the_background_stays(text: str) -> None:
    ctx, reply, _ = _said("make it black", text)
    assert [s.background.type for s in ctx.plan.backgrounds] == ["color"], reply
    assert ctx.plan.edges.feather < EditPlan().edges.feather, reply


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("actually begin it at 0:05", (5.0, 30.0)),
        ("start it at 3 seconds instead", (3.0, 30.0)),
        ("start it at 0:40", (40.0, 60.0)),
    ],
)
def test_moving_only_the_start_keeps_the_end(text: str, span: tuple[float, float]) -> None:
    ctx, reply, _ = _said("make it green from 0:10 to 0:30", text)
    assert [(s[1], s[2]) for s in _spans(ctx)] == [span], reply
