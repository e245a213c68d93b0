"""The export size ("export in 4K", issue 17 item 5) is undone and redone like a plan change,
rolled back with a failed instruction, and stays out of the plan file (schema unchanged)."""

from __future__ import annotations

from backdrop.agent.interpret import RuleInterpreter
from backdrop.render.plan import EditPlan
from backdrop.tools import PlanHistory, ToolContext


def test_export_size_follows_undo_and_redo() -> None:
    ctx = ToolContext(history=PlanHistory(), duration=60.0)
    rules = RuleInterpreter()
    rules.interpret("make it blue", ctx)
    said = rules.interpret("export in 4K", ctx)
    assert ctx.output_size == "4k" and not said.changed, said.text  # the picture is the same
    rules.interpret("export in 1080p", ctx)
    assert ctx.output_size == "1080p"

    undone = rules.interpret("undo", ctx)
    assert ctx.output_size == "4k", undone.text
    assert "1080p" in undone.text  # says which step it undid
    rules.interpret("undo", ctx)
    assert ctx.output_size is None and ctx.plan.backgrounds  # the blue stays
    rules.interpret("undo", ctx)
    assert not ctx.plan.backgrounds and ctx.output_size is None
    rules.interpret("redo", ctx)
    rules.interpret("redo", ctx)
    assert ctx.plan.backgrounds and ctx.output_size == "4k"

    # one sentence, one step: "make it red and export in 720p" is undone as a whole
    blue = ctx.plan
    rules.interpret("make it red and export in 720p", ctx)
    assert ctx.output_size == "720p" and ctx.plan != blue
    undone = rules.interpret("undo", ctx)
    assert ctx.output_size == "4k" and ctx.plan == blue, undone.text
    assert "make it red and export in 720p" in undone.text
    # the size alone, when the edit changed nothing, is a step of its own
    rules.interpret("keep the person and export in 720p", ctx)
    rules.interpret("undo", ctx)
    assert ctx.output_size == "4k" and ctx.plan == blue


def test_export_size_is_not_in_the_plan_file() -> None:
    ctx = ToolContext(history=PlanHistory(), duration=60.0)
    RuleInterpreter().interpret("make it blue and export in 4K", ctx)
    assert ctx.output_size == "4k"
    again = EditPlan.from_json(ctx.plan.to_json())
    assert again == ctx.plan and '"4k"' not in ctx.plan.to_json()
    assert again.schema_version == 4  # older Backdrops still read the plans this one writes


def test_history_settings_roll_back_with_a_transaction() -> None:
    h = PlanHistory()
    with h.transaction("sentence") as txn:
        h.set_setting("output_size", "4k", "export size 4k")
        assert h.setting("output_size") == "4k"  # later calls see it
        txn.discard()
    assert h.setting("output_size") is None and not h.can_undo
    with h.transaction("sentence"):
        h.set_setting("output_size", "4k", "export size 4k")
    assert h.undo_label == "sentence" and h.undo() and h.setting("output_size") is None
    assert h.redo() and h.setting("output_size") == "4k"
