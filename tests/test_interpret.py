"""The rule-based interpreter: English → tool calls → plan facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backdrop.agent.interpret import Reply, RuleInterpreter
from backdrop.render.colors import NAMED_COLORS
from backdrop.render.plan import BackgroundSegment, EditPlan, KeepRule, TimeRange
from backdrop.tools import ToolContext, default_registry
from tests.conftest import validate

C = NAMED_COLORS
INTERPRETER = RuleInterpreter()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    """A 2-minute video with a beach image and a waves video beside it (real media: the
    background tools refuse files that are not images or videos)."""
    import cv2
    import numpy as np

    from tests.conftest import write_video

    for name in ("beach.jpg", "my photo.png"):
        cv2.imwrite(str(tmp_path / name), np.full((8, 8, 3), 200, np.uint8))
    write_video(tmp_path / "waves.mp4", width=32, height=32, frames=3, audio=False)
    return ToolContext(duration=120.0, source=tmp_path / "talk.mp4")


def facts(seg: BackgroundSegment) -> dict[str, Any]:
    """A segment as flat facts: type, start, end, opacity, fades and background fields."""
    out: dict[str, Any] = seg.background.model_dump()
    out.update(
        start=seg.range.start,
        end=seg.range.end,
        opacity=seg.opacity,
        fade_in=seg.fade_in.duration if seg.fade_in else None,
        fade_out=seg.fade_out.duration if seg.fade_out else None,
    )
    return out


def say(ctx: ToolContext, *texts: str) -> Reply:
    reply = Reply("")
    for text in texts:
        reply = INTERPRETER.interpret(text, ctx)
    return reply


def check(plan: EditPlan, expected: dict[str, Any]) -> None:
    if "segs" in expected:
        got = [facts(s) for s in plan.backgrounds]
        assert len(got) == len(expected["segs"]), got
        for g, want in zip(got, expected["segs"], strict=True):
            assert {k: g[k] for k in want} == want, g
    if "edges" in expected:
        e = plan.edges.model_dump()
        assert {k: e[k] for k in expected["edges"]} == expected["edges"]
    if "keep" in expected:
        assert [(k.range.start, k.range.end) for k in plan.keep] == expected["keep"]


WHOLE = {"start": 0.0, "end": None}
BLUR = "blur the background"

# (earlier instructions, instruction, expected facts)
CASES: list[tuple[list[str], str, dict[str, Any]]] = [
    # remove / replace / blur
    ([], "remove the background",
     {"segs": [{"type": "transparent", **WHOLE}], "keep": [(0, None)]}),
    ([], "get rid of the background", {"segs": [{"type": "transparent"}]}),
    ([], "make the background transparent", {"segs": [{"type": "transparent"}]}),
    ([], "cut me out", {"segs": [{"type": "transparent"}]}),
    ([], "replace the background with a beach.jpg", {"segs": [{"type": "image"}]}),
    ([], "replace the background with 'my photo.png'", {"segs": [{"type": "image"}]}),
    ([], "use waves.mp4 as the background", {"segs": [{"type": "video"}]}),
    ([], BLUR, {"segs": [{"type": "blur", "strength": 0.6}]}),
    ([], "blur it a lot", {"segs": [{"type": "blur", "strength": 0.9}]}),
    ([], "slightly blurred background", {"segs": [{"type": "blur", "strength": 0.3}]}),
    ([BLUR], "blur it more", {"segs": [{"type": "blur", "strength": 0.8}]}),
    # colours
    ([], "blue", {"segs": [{"type": "color", "color": C["blue"], **WHOLE}]}),
    ([], "make it light blue", {"segs": [{"color": C["light blue"]}]}),
    ([], "make the background #1E40AF", {"segs": [{"color": "#1e40af"}]}),
    ([], "set the background colour to 1e40af", {"segs": [{"color": "#1e40af"}]}),
    ([], "a dark green background", {"segs": [{"color": C["dark green"]}]}),
    # gradients
    ([], "blue to purple", {"segs": [{"type": "gradient", "colors": [C["blue"], C["purple"]]}]}),
    ([], "make it blue and purple", {"segs": [{"colors": [C["blue"], C["purple"]]}]}),
    ([], "radial gradient from white to navy",
     {"segs": [{"kind": "radial", "colors": [C["white"], C["navy"]]}]}),
    ([], "my brand colours #1e40af and #9333ea", {"segs": [{"colors": ["#1e40af", "#9333ea"]}]}),
    ([], "a gradient of red, orange and yellow",
     {"segs": [{"colors": [C["red"], C["orange"], C["yellow"]]}]}),
    ([], "a horizontal gradient from black to white", {"segs": [{"angle": 0.0}]}),
    # time ranges
    ([], "make it blue only in the first 30 seconds", {"segs": [{"start": 0.0, "end": 30.0}]}),
    ([], "blur the last 10 s", {"segs": [{"type": "blur", "start": -10.0, "end": None}]}),
    ([], "make it blue from 0:45", {"segs": [{"start": 45.0, "end": None}]}),
    ([], "make it blue between 1:10 and 1:30", {"segs": [{"start": 70.0, "end": 90.0}]}),
    ([], "make it blue starting at 45 seconds until the end", {"segs": [{"start": 45.0}]}),
    ([], "make it blue for the first minute", {"segs": [{"start": 0.0, "end": 60.0}]}),
    ([], "make it blue after 5 s", {"segs": [{"start": 5.0, "end": None}]}),
    ([], "make it blue from 10 to 20 seconds", {"segs": [{"start": 10.0, "end": 20.0}]}),
    ([], "make it blue until 0:30", {"segs": [{"start": 0.0, "end": 30.0}]}),
    ([], "make it blue for the first 1.5 minutes", {"segs": [{"end": 90.0}]}),
    ([], "make it blue for the first half a minute", {"segs": [{"end": 30.0}]}),
    ([], "make it blue for the first thirty seconds", {"segs": [{"end": 30.0}]}),
    ([], "make it blue from 0:00:05 to 0:01:00", {"segs": [{"start": 5.0, "end": 60.0}]}),
    ([BLUR], "only in the first 30 seconds", {"segs": [{"type": "blur", "end": 30.0}]}),
    # transitions
    ([BLUR], "fade it in over 5 seconds", {"segs": [{"fade_in": 5.0, "fade_out": None}]}),
    ([BLUR], "fade out at the end", {"segs": [{"fade_in": None, "fade_out": 1.0}]}),
    ([BLUR], "gradually", {"segs": [{"fade_in": 2.0}]}),
    ([], "gradually blur the background", {"segs": [{"type": "blur", "fade_in": 2.0}]}),
    ([BLUR], "fade in and out", {"segs": [{"fade_in": 1.0, "fade_out": 1.0}]}),
    ([BLUR], "fade it in and out over 2 seconds", {"segs": [{"fade_in": 2.0, "fade_out": 2.0}]}),
    ([BLUR], "add a 3 second fade in", {"segs": [{"fade_in": 3.0}]}),
    # edges (defaults: feather 1.5, guided, radius 8, shift 0)
    ([], "softer edges", {"edges": {"feather": 3.0}}),
    ([], "make the edges sharper", {"edges": {"feather": 0.75, "refine": "guided"}}),
    ([], "crisper", {"edges": {"feather": 0.75}}),
    ([], "the hair edge looks rough", {"edges": {"refine_radius": 12.0, "feather": 2.0}}),
    ([], "tighter", {"edges": {"shift": -1.5}}),
    ([], "shrink the edge", {"edges": {"shift": -1.5}}),
    ([], "the edge is cutting into me", {"edges": {"shift": 1.5}}),
    # strength
    ([BLUR], "make it subtle", {"segs": [{"strength": 0.4, "opacity": 1.0}]}),
    (["make it blue"], "make it subtle", {"segs": [{"opacity": 0.4}]}),
    (["make it blue"], "half strength", {"segs": [{"opacity": 0.5}]}),
    (["make it blue"], "50%", {"segs": [{"opacity": 0.5}]}),
    (["make it blue", "half strength"], "stronger", {"segs": [{"opacity": 0.7}]}),
    ([], "make the background red but subtle", {"segs": [{"color": C["red"], "opacity": 0.4}]}),
    # keep
    ([], "keep the person", {"keep": [(0, None)], "segs": []}),
    ([], "keep me for the first 10 seconds", {"keep": [(0, 10.0)]}),
    # several clauses
    (
        [],
        "remove the background, make it a blue to purple gradient and fade it in over 2 seconds",
        {"segs": [{"type": "gradient", "colors": [C["blue"], C["purple"]], "fade_in": 2.0}]},
    ),
    (
        [],
        "blur the background for the first 10 s and make it blue after that",
        {"segs": [{"type": "blur", "start": 0.0, "end": 10.0},
                  {"color": C["blue"], "start": 10.0, "end": None}]},
    ),
    (
        [],
        "blur the background for the first 10 s, then make it red",
        {"segs": [{"type": "blur", "end": 10.0}, {"type": "color", "start": 10.0}]},
    ),
    (
        [],
        "remove the background and replace it with beach.jpg; fade it out",
        {"segs": [{"type": "image", "fade_out": 1.0}]},
    ),
    (
        [],
        "make it blue, softer edges, and keep me",
        {"segs": [{"type": "color"}], "edges": {"feather": 3.0}, "keep": [(0, None)]},
    ),
    (
        ["make it blue for the last 20 s"],
        "make it black before that",
        {"segs": [{"start": -20.0}, {"color": C["black"], "start": 0.0, "end": -20.0}]},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "text", "expected"), CASES, ids=[c[1] for c in CASES])
def test_instruction_table(
    ctx: ToolContext, setup: list[str], text: str, expected: dict[str, Any]
) -> None:
    say(ctx, *setup)
    reply = INTERPRETER.interpret(text, ctx)
    assert reply.changed and not reply.clarify, reply.text
    assert reply.text.startswith("Understood:"), reply.text
    check(ctx.plan, expected)
    # The calls have the LLM's shape: each validates against the published schema.
    registry = default_registry()
    for call in reply.calls:
        assert validate(call.args, registry.get(call.name).parameters()), call


def test_reply_text_reads_back_the_change(ctx: ToolContext) -> None:
    reply = say(
        ctx, "remove the background, make it a blue to purple gradient and fade it in over 2 s"
    )
    assert reply.text == (
        "Understood: background → linear gradient blue to purple (the whole video), "
        "fading in over 2 s; keep the person."
    )
    assert [c.name for c in reply.calls] == ["set_background", "add_transition"]


def test_one_undo_reverts_a_whole_sentence(ctx: ToolContext) -> None:
    say(ctx, "make it red")
    after_red = ctx.plan
    say(ctx, "blur the background for the first 10 s and make it blue after that, softer edges")
    assert len(ctx.plan.backgrounds) == 3 and ctx.plan.edges.feather == 3.0
    reply = say(ctx, "undo that")
    assert reply.changed and [c.name for c in reply.calls] == ["undo"]
    assert "blur the background" in reply.text
    assert ctx.plan == after_red
    say(ctx, "redo")
    assert len(ctx.plan.backgrounds) == 3
    say(ctx, "go back")
    assert ctx.plan == after_red
    say(ctx, "undo")
    assert ctx.plan == EditPlan()
    reply = say(ctx, "undo")
    assert not reply.changed and "nothing to undo" in reply.text


def test_undo_then_edit_in_one_sentence(ctx: ToolContext) -> None:
    say(ctx, "make it red", "make it green")
    reply = say(ctx, "undo that and make it blue")
    assert [c.name for c in reply.calls] == ["undo", "set_background"]
    assert ctx.plan.backgrounds[0].background.color == C["blue"]
    say(ctx, "undo")
    assert ctx.plan.backgrounds[0].background.color == C["red"]


UNCLEAR = ["make it better", "asdf", "", "the background", "make it a gradient", "remove the blur"]


@pytest.mark.parametrize("text", UNCLEAR)
def test_unclear_input_asks_and_changes_nothing(ctx: ToolContext, text: str) -> None:
    say(ctx, BLUR)
    before, steps = ctx.plan, ctx.history.past
    reply = say(ctx, text)
    assert reply.clarify and not reply.changed and reply.calls == []
    assert reply.text.count("“") >= 2  # example phrasings
    assert ctx.plan == before and ctx.history.past == steps


def test_partly_unclear_sentence_changes_nothing(ctx: ToolContext) -> None:
    reply = say(ctx, "remove the background, make it pop")
    assert reply.clarify and "make it pop" in reply.text
    assert ctx.plan == EditPlan()


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("keep the couch", "couch"),
        ("remove the lamp", "lamp"),
        ("remove the background but keep the couch", "couch"),
        ("blur the plant", "plant"),
    ],
)
def test_named_objects_without_a_detector_ask_to_point(
    ctx: ToolContext, text: str, word: str
) -> None:
    reply = say(ctx, text)
    assert not reply.changed
    assert word in reply.text
    # keep/remove by name needs a detector: the reply asks for a point or a box instead
    assert ("named objects" in reply.text) or ("keep what is at" in reply.text)
    assert ctx.plan == EditPlan()


def test_time_past_the_end_is_clamped_and_said(ctx: ToolContext) -> None:
    ctx.duration = 10.3
    reply = say(ctx, "make it blue between 0:05 and 0:45")
    assert reply.changed
    assert ctx.plan.backgrounds[0].range == TimeRange(start=5.0)
    assert "0:45 is past the end (0:10.3); using the end" in reply.text


def test_start_past_the_end_fails_cleanly(ctx: ToolContext) -> None:
    ctx.duration = 10.3
    say(ctx, BLUR)
    before = ctx.plan
    reply = say(ctx, "make it red from 0:45, fade it in")
    assert not reply.changed and not reply.clarify
    assert "past the end" in reply.text
    assert ctx.plan == before and ctx.focus == 0 and ctx.notes == []


def test_missing_file_leaves_plan_unchanged(ctx: ToolContext) -> None:
    reply = say(ctx, "replace the background with sunset.jpg and fade it in")
    assert not reply.changed and "sunset.jpg" in reply.text
    assert ctx.plan == EditPlan() and not ctx.history.can_undo


def test_follow_ups_apply_to_the_focused_segment(ctx: ToolContext) -> None:
    say(ctx, "make it red for the first 10 s", "blur the background from 1:00")
    say(ctx, "fade it in over 2 seconds")
    assert [s.fade_in for s in ctx.plan.backgrounds] == [None, ctx.plan.backgrounds[1].fade_in]
    assert ctx.plan.backgrounds[1].fade_in.duration == 2.0
    say(ctx, "fade everything out")
    assert all(s.fade_out is not None for s in ctx.plan.backgrounds)


def test_already_so_reports_no_change(ctx: ToolContext) -> None:
    say(ctx, "keep me")
    reply = say(ctx, "keep the person")
    assert not reply.changed and not reply.clarify and "nothing changed" in reply.text


def test_interpreter_never_mutates_without_the_registry(ctx: ToolContext) -> None:
    ctx.history.apply(EditPlan(keep=[KeepRule()]), "start")
    calls_before = ctx.history.past
    pre, calls = INTERPRETER.plan_calls("blur it and fade it in", ctx)
    assert pre == [] and [c.name for c in calls] == ["blur_background", "add_transition"]
    assert ctx.history.past == calls_before and ctx.plan == EditPlan(keep=[KeepRule()])
