"""Tools, their registry and the plan history: real plan changes, schemas and dispatch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    ColorBackground,
    EditPlan,
    Fade,
    KeepRule,
    TimeRange,
)
from backdrop.tools import PlanHistory, ToolCall, ToolContext, default_registry
from backdrop.tools.times import clamp_range, format_clock, range_length, range_within
from tests.conftest import validate

REG = default_registry()
RED = {"type": "color", "color": "#ff0000"}
BLUE = {"type": "color", "color": "#0000ff"}
EXPECTED_TOOLS = {
    "set_quality",
    "match_lighting",
    "set_background",
    "remove_background",
    "blur_background",
    "drop_background",
    "change_colour",
    "keep_subject",
    "set_time_range",
    "add_transition",
    "set_edges",
    "set_strength",
    "undo",
    "start_over",
    "redo",
    "export_plan",
    "set_output_size",
    "set_speaker_count",
    "render",
}


def run(ctx: ToolContext, name: str, **args: Any):
    return REG.dispatch(ctx, name, args)


# -- a small JSON Schema checker (no jsonschema package in the environment) --------------------
_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "anyOf", "oneOf", "enum", "const", "default", "description", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "format", "pattern",
}  # fmt: skip
_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def check_schema(node: Any, where: str = "#") -> None:
    """Assert ``node`` is a well-formed, self-contained JSON Schema (draft 2020-12 subset)."""
    assert isinstance(node, dict), where
    unknown = set(node) - _KEYWORDS
    assert not unknown, f"{where}: unexpected keywords {unknown}"
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        assert set(types) <= _TYPES, where
    for name, sub in node.get("properties", {}).items():
        check_schema(sub, f"{where}/properties/{name}")
    assert set(node.get("required", [])) <= set(node.get("properties", {})), where
    if "items" in node:
        check_schema(node["items"], f"{where}/items")
    for key in ("anyOf", "oneOf"):
        for i, sub in enumerate(node.get(key, [])):
            check_schema(sub, f"{where}/{key}/{i}")


# -- registry ------------------------------------------------------------------------------------
def test_schemas_cover_every_tool_and_are_valid_json_schema() -> None:
    schemas = REG.schemas()
    assert {s["function"]["name"] for s in schemas} == EXPECTED_TOOLS == set(REG.names())
    text = json.dumps(schemas)
    assert "$ref" not in text and "$defs" not in text
    for s in json.loads(text):
        assert s["type"] == "function"
        fn = s["function"]
        assert fn["description"] and "Args:" not in fn["description"]
        params = fn["parameters"]
        check_schema(params)
        assert params["type"] == "object"
        assert params["additionalProperties"] is False


def test_background_union_members_require_their_tag() -> None:
    params = REG.get("set_background").parameters()
    members = params["properties"]["background"]["oneOf"]
    assert {m["properties"]["type"]["const"] for m in members} == {
        "color", "gradient", "image", "video", "blur", "transparent",
    }  # fmt: skip
    assert all("type" in m["required"] for m in members)


def test_schema_round_trips_a_dispatch() -> None:
    ctx = ToolContext(duration=60.0)
    args = {"background": RED, "range": {"start": 5, "end": 10}, "opacity": 0.5}
    assert validate(args, REG.get("set_background").parameters())
    result = REG.run(ctx, ToolCall("set_background", json.loads(json.dumps(args))))
    assert result.ok and result.changed
    seg = ctx.plan.backgrounds[0]
    assert seg.background == ColorBackground(color="#ff0000")
    assert (seg.range.start, seg.range.end, seg.opacity) == (5, 10, 0.5)
    # A JSON string (as LLM APIs send arguments) works too.
    assert REG.dispatch(ctx, "set_strength", '{"level": 0.25}').ok
    assert ctx.plan.backgrounds[0].opacity == 0.25


@pytest.mark.parametrize(
    ("name", "args", "words"),
    [
        ("set_background", {"background": {"type": "color", "color": "red"}}, "color"),
        ("set_background", {"background": RED, "colour": 1}, "colour"),
        ("blur_background", {"strength": 3}, "strength"),
        ("add_transition", {"kind": "wipe"}, "kind"),
        ("add_transition", {"kind": "fade_in", "duration": -1}, "duration"),
        ("set_edges", {"feather": 99}, "feather"),
        ("set_time_range", {"range": {"start": 10, "end": 5}}, "end"),
        ("set_strength", {}, "level"),
        ("nonexistent", {}, "no tool"),
    ],
)
def test_invalid_args_give_ok_false(name: str, args: dict[str, Any], words: str) -> None:
    ctx = ToolContext()
    result = REG.dispatch(ctx, name, args)
    assert not result.ok and not result.changed
    assert words in result.message
    assert ctx.plan == EditPlan() and not ctx.history.can_undo


def test_bad_json_args() -> None:
    result = REG.dispatch(ToolContext(), "blur_background", "{not json")
    assert not result.ok and "JSON" in result.message


# -- history -------------------------------------------------------------------------------------
def test_history_undo_redo_and_no_op_steps() -> None:
    h = PlanHistory()
    a = EditPlan(keep=[KeepRule()])
    b = a.model_copy(update={"edges": a.edges.model_copy(update={"feather": 4.0})})
    assert h.apply(a, "keep") and h.apply(b, "edges")
    assert not h.apply(b, "same again")  # no change → no step
    assert h.undo_label == "edges" and h.undo() and h.current == a
    assert h.redo_label == "edges" and h.redo() and h.current == b
    assert h.undo() and h.undo() and h.current == EditPlan()
    assert not h.undo() and not h.can_undo and h.can_redo
    h.apply(b, "new")  # a new step clears redo
    assert not h.can_redo and h.past == [EditPlan()]


def test_transaction_is_one_step_and_rolls_back() -> None:
    h = PlanHistory()
    a = EditPlan(keep=[KeepRule()])
    b = a.model_copy(update={"backgrounds": [BackgroundSegment(background=BlurBackground())]})
    with h.transaction("sentence"):
        h.apply(a, "one")
        assert h.current == a  # later calls see earlier ones
        h.apply(b, "two")
    assert h.current == b and h.undo_label == "sentence"
    assert h.undo() and h.current == EditPlan()

    with h.transaction() as txn:
        h.apply(a, "x")
        txn.discard()
    assert h.current == EditPlan() and not h.can_undo

    with pytest.raises(KeyError), h.transaction():
        h.apply(a, "x")
        raise KeyError("boom")
    assert h.current == EditPlan() and not h.can_undo

    with h.transaction(), pytest.raises(RuntimeError):
        h.undo()


# -- background tools ----------------------------------------------------------------------------
def test_set_background_adds_keep_rule_and_focus() -> None:
    ctx = ToolContext()
    assert run(ctx, "set_background", background=RED).changed
    assert ctx.plan.keep == [KeepRule()]
    assert ctx.focus == 0


def test_replacement_semantics() -> None:
    ctx = ToolContext(duration=60.0)
    run(ctx, "set_background", background=RED, range={"start": 10, "end": 20})
    run(ctx, "add_transition", kind="fade_in", duration=2)
    # Same range: replaced, and the fade carries over.
    run(ctx, "set_background", background=BLUE, range={"start": 10, "end": 20})
    assert len(ctx.plan.backgrounds) == 1
    assert ctx.plan.backgrounds[0].fade_in == Fade(duration=2)
    # Overlapping but not inside: layered on top.
    run(ctx, "blur_background", range={"start": 15, "end": 30})
    assert [s.background.type for s in ctx.plan.backgrounds] == ["color", "blur"]
    assert ctx.focus == 1
    # Covers both: replaces both.
    run(ctx, "remove_background")
    assert [s.background.type for s in ctx.plan.backgrounds] == ["transparent"]


def test_range_within_without_duration() -> None:
    assert range_within(TimeRange(start=5, end=10), TimeRange(), None)
    assert range_within(TimeRange(start=5, end=10), TimeRange(start=0, end=10), None)
    assert not range_within(TimeRange(start=5), TimeRange(start=0, end=10), None)
    assert range_within(TimeRange(start=-5), TimeRange(start=-10), None)
    assert not range_within(TimeRange(start=-5), TimeRange(start=0, end=10), None)
    assert range_within(TimeRange(start=-5), TimeRange(start=50, end=60), 60.0)


def test_media_must_exist(tmp_path: Path) -> None:
    ctx = ToolContext(source=tmp_path / "talk.mp4")
    result = run(ctx, "set_background", background={"type": "image", "path": "beach.jpg"})
    assert not result.ok and "beach.jpg" in result.message and ctx.plan == EditPlan()
    (tmp_path / "beach.jpg").write_bytes(b"")  # exists, but is not an image: refused
    assert not run(ctx, "set_background", background={"type": "image", "path": "beach.jpg"}).ok
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp_path / "beach.jpg"), np.full((8, 8, 3), 200, np.uint8))
    assert run(ctx, "set_background", background={"type": "image", "path": "beach.jpg"}).ok
    assert ctx.plan.backgrounds[0].background.path == str(tmp_path / "beach.jpg")


def test_times_past_the_end_are_clamped_with_a_note() -> None:
    ctx = ToolContext(duration=10.3)
    result = run(ctx, "blur_background", range={"start": 2, "end": 45})
    assert result.ok
    assert ctx.plan.backgrounds[0].range == TimeRange(start=2, end=None)
    assert ctx.notes == ["0:45 is past the end (0:10.3); using the end"]
    assert "0:45 is past the end" in result.message

    result = run(ctx, "blur_background", range={"start": 45})
    assert not result.ok and "past the end" in result.message
    assert len(ctx.plan.backgrounds) == 1


def test_relative_times_stay_relative() -> None:
    ctx = ToolContext(duration=100.0)
    run(ctx, "blur_background", range={"start": -10})
    assert ctx.plan.backgrounds[0].range == TimeRange(start=-10)
    clamped = clamp_range(TimeRange(start=-200), 100.0)
    assert clamped.range == TimeRange(start=-200) and "whole video" in clamped.notes[0]
    assert clamp_range(TimeRange(start=5, end=500), None).range == TimeRange(start=5, end=500)


def test_keep_subject() -> None:
    ctx = ToolContext()
    assert run(ctx, "keep_subject", range={"start": 0, "end": 10}).changed
    assert ctx.plan.keep == [KeepRule(range=TimeRange(start=0, end=10))]
    assert run(ctx, "keep_subject", subject="me").changed  # whole video replaces the part
    assert ctx.plan.keep == [KeepRule()]
    again = run(ctx, "keep_subject")
    assert again.ok and not again.changed
    couch = run(ctx, "keep_subject", subject="couch")
    # issue 17: objects by name are supported; with nothing detected it says so and how to point
    assert not couch.ok and "couch" in couch.message and "point at it" in couch.message.lower()


def test_set_time_range_last_and_all() -> None:
    ctx = ToolContext(duration=60.0)
    assert not run(ctx, "set_time_range", range={"start": 0, "end": 30}).ok
    run(ctx, "set_background", background=RED, range={"start": 0, "end": 5})
    run(ctx, "blur_background", range={"start": 40})
    run(ctx, "set_time_range", range={"start": 0, "end": 30})
    assert [s.range for s in ctx.plan.backgrounds] == [
        TimeRange(start=0, end=5),
        TimeRange(start=0, end=30),
    ]
    run(ctx, "set_time_range", range={"start": -10}, target="all")
    assert all(s.range == TimeRange(start=-10) for s in ctx.plan.backgrounds)


def test_fade_longer_than_segment_is_shortened() -> None:
    ctx = ToolContext()
    assert not run(ctx, "add_transition", kind="fade_in").ok
    run(ctx, "blur_background", range={"start": 4, "end": 7})
    result = run(ctx, "add_transition", kind="fade_out", duration=5)
    assert result.ok and "shortened to 3 s" in result.message
    assert ctx.plan.backgrounds[0].fade_out == Fade(duration=3)
    assert range_length(TimeRange(start=-4), None) == 4
    assert range_length(TimeRange(start=4), None) is None


def test_set_edges_changes_only_given_fields() -> None:
    ctx = ToolContext()
    assert not run(ctx, "set_edges").ok
    run(ctx, "set_edges", shift=-2)
    e = ctx.plan.edges
    assert (e.feather, e.refine, e.refine_radius, e.shift) == (1.5, "guided", 8.0, -2.0)
    run(ctx, "set_edges", refine="none", feather=0)
    assert ctx.plan.edges.shift == -2 and ctx.plan.edges.refine == "none"


def test_set_strength_blur_vs_opacity() -> None:
    ctx = ToolContext()
    assert not run(ctx, "set_strength", level=0.5).ok
    run(ctx, "blur_background")
    run(ctx, "set_strength", level=0.9)
    seg = ctx.plan.backgrounds[0]
    assert seg.background == BlurBackground(strength=0.9) and seg.opacity == 1.0
    run(ctx, "set_background", background=RED, range={"start": 0, "end": 5})
    run(ctx, "set_strength", level=0.4)
    assert ctx.plan.backgrounds[1].opacity == 0.4
    assert ctx.plan.backgrounds[0].background == BlurBackground(strength=0.9)


def test_undo_redo_tools_fix_focus() -> None:
    ctx = ToolContext()
    assert not run(ctx, "undo").ok and not run(ctx, "redo").ok
    run(ctx, "blur_background", range={"start": 0, "end": 5})
    run(ctx, "set_background", background=RED, range={"start": 10, "end": 20})
    assert ctx.focus == 1
    result = run(ctx, "undo")
    assert result.ok and result.changed and "set background" in result.message
    assert ctx.focus == 0 and len(ctx.plan.backgrounds) == 1
    assert run(ctx, "redo").ok and len(ctx.plan.backgrounds) == 2


def test_export_plan_round_trips(tmp_path: Path) -> None:
    ctx = ToolContext(allowed=(tmp_path,))  # tool paths must lie in the allowed folders
    run(ctx, "set_background", background={"type": "gradient", "colors": ["#000000", "#ffffff"]})
    out = tmp_path / "sub" / "plan.json"
    assert run(ctx, "export_plan", path=str(out)).ok
    assert EditPlan.load(out) == ctx.plan


def test_export_plan_reports_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(ToolContext(allowed=(tmp_path,)), "export_plan", path=str(blocker / "plan.json"))
    assert not result.ok and "could not write" in result.message


def test_render_calls_the_injected_renderer(tmp_path: Path) -> None:
    ctx = ToolContext(allowed=(tmp_path,))
    assert not run(ctx, "render", output="out.mp4").ok
    seen: list[tuple[EditPlan, Path, Path | None]] = []

    def fake(plan: EditPlan, output: Path, *, alpha: Path | None = None) -> Path:
        seen.append((plan, output, alpha))
        return output

    ctx.renderer = fake
    run(ctx, "blur_background")
    out, alpha = tmp_path / "o.mp4", tmp_path / "a.mov"
    assert run(ctx, "render", output=str(out), alpha=str(alpha)).ok
    assert seen == [(ctx.plan, out, alpha)]
    assert run(ctx, "render", output=str(out)).ok and seen[-1][2] is None


def test_format_clock() -> None:
    assert format_clock(9) == "0:09"
    assert format_clock(75.5) == "1:15.5"
    assert format_clock(3723) == "1:02:03"


def test_run_step_is_all_or_nothing_and_says_what_failed() -> None:
    from backdrop.tools.runner import run_step

    ctx = ToolContext(duration=10.0)
    run_step(ctx, [ToolCall("set_background", {"background": BLUE})], "blue", registry=REG)
    before, focus = ctx.plan, ctx.focus
    calls = [
        ToolCall("set_background", {"background": RED, "range": {"start": 2, "end": 20}}),
        ToolCall("add_transition", {"kind": "fade_in", "duration": 1.0}),
        ToolCall("set_background", {"background": {"type": "image", "path": "/no/such.png"}}),
    ]
    step = run_step(ctx, calls, "red then a missing image", registry=REG)
    assert not step.ok and not step.changed
    assert ctx.plan == before and ctx.focus == focus
    assert ctx.notes == []  # the clamped-range note of the rolled-back call is gone too
    assert [a.call.name for a in step.applied] == ["set_background", "add_transition"]
    assert step.failed is not None and step.failed.call == calls[2]
    assert step.failed.message  # the tool's reason, in words
    assert ctx.history.undo_label == "blue"  # no step was recorded

    ok = run_step(ctx, calls[:2], "red from 2 s", registry=REG)
    assert ok.ok and ok.changed and ok.calls == calls[:2]
    assert any("red" in c or "#ff0000" in c for c in ok.changes()), ok.changes()
    assert ok.notes  # the end past the video was clamped, and said
    assert ctx.history.undo_label == "red from 2 s"
    ctx.history.undo()
    assert ctx.plan == before  # one undo takes the whole step back


def test_context_scope_is_the_default_range() -> None:
    ctx = ToolContext(duration=10.0, scope=TimeRange(start=3.0))
    assert REG.dispatch(ctx, "set_background", {"background": RED}).ok
    assert ctx.plan.backgrounds[0].range == TimeRange(start=3.0)
    # a range named in the call wins over the scope
    assert REG.dispatch(ctx, "set_background", {"background": BLUE, "range": {"end": 2}}).ok
    assert ctx.plan.backgrounds[-1].range == TimeRange(start=0.0, end=2.0)
