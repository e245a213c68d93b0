"""A background described by a scene word with no such file ("put the mountains behind me for
the last 5 seconds") is asked about; before, the scene word was dropped and the rest of the
clause retimed the current background under an "Understood" (found by the lead trying the chat).
A matching file is used, and colour names that contain a scene word stay colours.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
