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
