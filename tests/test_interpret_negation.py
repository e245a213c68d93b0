"""A colour said as not wanted is never applied: "make the background not blue" made it blue,
"make it red, not blue" a red-to-blue gradient, "I don't want blue" blue (found with espeak
voices, where Whisper heard "dark blue" as "not blue"). With another colour said, that one is
used; with none, Backdrop asks."""

from __future__ import annotations

import pytest

from tests.test_interpret_blind_kinds import _said, folder  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    "texts",
    [
        ("make the background not blue",),
        ("I don't want red",),
        ("anything but green please",),
        ("any colour except orange",),
        ("um don't make it purple",),
        ("make it blue", "actually, not blue"),
    ],
)
def test_only_a_colour_not_wanted_asks(texts: tuple[str, ...]) -> None:
    ctx, reply, clarify = _said(*texts)
    assert clarify and "which colour" in reply, reply
    assert [s.background.type for s in ctx.plan.backgrounds] == (["color"] * (len(texts) - 1)), (
        reply
    )  # the plan is as before the question


@pytest.mark.parametrize(
    ("texts", "colour"),
    [
        (("make it red, not blue",), "#e11d2e"),
        (("not blue, make it red",), "#e11d2e"),
        (("make it red rather than blue",), "#e11d2e"),
        (("make it red", "i didn't mean red, i meant orange"), None),
    ],
)
def test_the_colour_said_is_used(texts: tuple[str, ...], colour: str | None) -> None:
    ctx, reply, clarify = _said(*texts)
    assert not clarify and len(ctx.plan.backgrounds) == 1, reply
    bg = ctx.plan.backgrounds[0].background
    assert bg.type == "color", reply
    if colour is not None:
        assert bg.color == colour, reply
    else:
        assert bg.color != "#e11d2e", reply


def test_a_negated_colour_beside_a_person_rule_is_not_a_question() -> None:
    ctx, reply, clarify = _said("keep the one in red not blue")
    assert not clarify and ctx.plan.keep, reply
