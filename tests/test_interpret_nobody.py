"""A background change said together with taking the person away ("remove the background and
the person", "blur everything including me", "make me disappear", "cut me out and keep only the
room") is refused as a whole, never applied to the background alone while the reply says "keep
the person"; bystanders ("and everyone else", "the people walking behind me") are not the person
and stay allowed."""

from __future__ import annotations

import pytest

from tests.test_interpret_blind_kinds import _said, folder  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    "text",
    [
        "remove the background and the person",
        "get rid of the bg and me too",
        "blur everything including me",
        "make the whole frame, even me, see-through",
        "make me invisible",
        "turn him transparent",
        "cut me out and keep only the room",
        "keep just the empty background",
        "take me out so that just the background remains",
        "erase me and leave only the empty room",
        "remove me, nothing but the backdrop showing",
    ],
)
def test_taking_the_person_away_too_is_refused(text: str) -> None:
    ctx, reply, _ = _said(text)
    assert not ctx.plan.backgrounds, reply
    assert "won't remove every person" in reply, reply


@pytest.mark.parametrize(
    "text",
    [
        "remove the background and everyone else",
        "remove the bg and everyone behind me",
        "remove the background and the people walking past",
        "cut me out",
        "blur everything except me",
    ],
)
def test_bystanders_and_cut_outs_are_still_allowed(text: str) -> None:
    ctx, reply, _ = _said(text)
    assert len(ctx.plan.backgrounds) == 1 and ctx.plan.keep, reply


@pytest.mark.parametrize(
    "text",
    [
        "make it see-through but fully opaque",
        "a transparent background, not see-through though",
        "give me an alpha background that is completely solid",
    ],
)
def test_transparent_and_opaque_at_once_is_asked(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds, reply
    assert "transparent and opaque" in reply, reply


def test_only_the_background_changed_is_not_a_removal_of_the_person() -> None:
    ctx, reply, _ = _said("only the background is blurred")
    assert ctx.plan.backgrounds and ctx.plan.backgrounds[0].background.type == "blur", reply
    ctx, reply, _ = _said("make it blue, fully opaque")
    assert ctx.plan.backgrounds[0].opacity == 1.0, reply


@pytest.mark.parametrize(
    "text", ["make the background red and also green", "crimson as well as gold behind me"]
)
def test_two_colours_with_also_are_asked_not_blended(text: str) -> None:
    ctx, reply, clarify = _said(text)
    assert clarify and not ctx.plan.backgrounds, reply
    ctx, reply, _ = _said("a gradient of orange and also pink")
    assert ctx.plan.backgrounds[0].background.type == "gradient", reply


def test_the_mask_alone_is_not_an_edge_fix() -> None:
    """Whisper heard garbled commands as "turn the mask on"; the word "mask" alone turned on
    matte refinement under an "Understood". A fix verb or an edge noun still refines."""
    for text in ("turn the mask on", "the mask please"):
        ctx, reply, clarify = _said(text)
        assert clarify and ctx.plan.edges.refine == "guided", reply
    for text in ("clean up the cutout", "fix the mask", "the hair edge looks rough"):
        ctx, reply, _ = _said(text)
        assert ctx.plan.edges.refine == "matte", (text, reply)
