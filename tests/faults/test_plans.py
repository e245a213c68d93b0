"""Plans and tool arguments that are hostile or broken end in one clear line, never a traceback,
and non-finite numbers never get into a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.render.plan import MAX_PLAN_BYTES, EditPlan, PlanError
from backdrop.tools import ToolContext, default_registry

from .helpers import cli, one_line_error

REG = default_registry()

GRADIENT_NAN = ('{"schema_version": 2, "backgrounds": [{"background": {"type": "gradient", '
                '"colors": ["#000000", "#ffffff"], "angle": NaN}}]}')  # fmt: skip
BAD_PLANS = {
    "nan": (GRADIENT_NAN, "NaN"),
    "infinity": ('{"schema_version": 2, "edges": {"feather": Infinity}}', "Infinity"),
    "overflow": ('{"schema_version": 2, "edges": {"feather": 1e999}}', "finite"),
    "nan_time": (
        '{"schema_version": 2, "backgrounds": [{"background": {"type": "blur"}, '
        '"range": {"start": -Infinity}}]}',
        "Infinity",
    ),  # fmt: skip
    "list_version": ('{"schema_version": [2]}', "schema_version"),
    "dict_version": ('{"schema_version": {"v": 2}}', "schema_version"),
    "deep": ("[" * 100_000 + "]" * 100_000, "nested"),
    "deep_object": ('{"schema_version": 2, "x": ' + '{"a": ' * 5000 + "1" + "}" * 5001, "nested"),
    "huge_int": ('{"schema_version": 2, "edges": {"feather": ' + "9" * 5000 + "}}", "too long"),
    "huge_file": ('{"schema_version": 2, "pad": "' + "x" * (MAX_PLAN_BYTES + 10) + '"}', "larger"),
    "not_object": ("[1, 2, 3]", "JSON object"),
    "binary": ("\x00\x01\x02", "not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(BAD_PLANS))
def test_bad_plans_are_one_plan_error(name: str) -> None:
    text, needle = BAD_PLANS[name]
    with pytest.raises(PlanError, match=needle):
        EditPlan.from_json(text)


@pytest.mark.parametrize("name", ["nan", "list_version", "deep", "huge_int", "huge_file"])
def test_bad_plans_on_the_command_line_are_one_line(name: str, make_video, tmp_path: Path) -> None:
    video = make_video("v.mp4", width=64, height=48, frames=3)
    plan = tmp_path / "bad.json"
    plan.write_text(BAD_PLANS[name][0])
    out = tmp_path / "o.mp4"
    one_line_error(*cli("render", video, plan, "-o", out)[::2])
    one_line_error(*cli("plan", "show", plan)[::2])
    assert not out.exists()


def test_a_nan_gradient_angle_never_renders_black(make_video, tmp_path: Path) -> None:
    """Was: a black video and exit 0. Now the plan is refused before anything is written."""
    video = make_video("v.mp4", width=64, height=48, frames=3)
    plan = tmp_path / "nan.json"
    plan.write_text(GRADIENT_NAN)
    msg = one_line_error(*cli("render", video, plan, "-o", tmp_path / "o.mp4")[::2])
    assert "NaN" in msg and not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize(
    "name,args",
    [
        ("set_background", '{"background": {"type": "gradient", "colors": ["#000000", '
                           '"#ffffff"], "angle": NaN}}'),
        ("set_background", '{"background": {"type": "blur"}, "range": {"start": NaN}}'),
        ("set_strength", '{"level": NaN}'),
        ("set_strength", {"level": float("nan")}),
        ("set_background", {"background": {"type": "gradient", "colors": ["#000000", "#ffffff"],
                                           "angle": float("inf")}}),
        ("add_transition", '{"kind": "fade_in", "duration": Infinity}'),
        ("set_edges", '{"feather": -Infinity}'),
        ("set_background", '{"background": {"type": "blur", "strength": ' + "9" * 5000 + "}}"),
        ("set_background", '{"background": ' * 3000 + "1" + "}" * 3000),
    ],
)  # fmt: skip
def test_tool_arguments_with_non_finite_numbers_are_refused(name: str, args: object) -> None:
    ctx = ToolContext(duration=10.0)
    REG.dispatch(ctx, "blur_background", {})
    before = ctx.plan
    r = REG.dispatch(ctx, name, args)
    assert not r.ok and ctx.plan == before, r.message
    # and the plan still round-trips
    assert EditPlan.from_json(ctx.plan.to_json()) == ctx.plan
