"""Property-based fuzzing (Hypothesis): the plan loader and tool-call arguments.

Each property runs 10,000 generated examples (``FUZZ_EXAMPLES``), with no per-example deadline
and derandomized so a failure reproduces; on this project's 2-core test machine each takes
well under a minute. The only outcomes allowed: a valid plan (that round-trips through JSON),
or a clean refusal (:class:`PlanError` / a ``ToolResult`` with ``ok=False``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backdrop.render.plan import EditPlan, PlanError
from backdrop.tools import ToolContext, default_registry

FUZZ_EXAMPLES = int(os.environ.get("BACKDROP_FUZZ_EXAMPLES", "10000"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REG = default_registry()
PROPS = {name: sorted(REG.get(name).parameters().get("properties", {})) for name in REG.names()}

numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e308, 10**30, 2**63, 0.5, 1e-9]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(max_size=12),
    st.sampled_from(["#ff0000", "#0000FF", "person", "speaker", "box", "guided", "image",
                     "../x.png", "/etc/passwd", "a\x00b", "%2e%2e/x", "fade_in", "last", "all"]),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)

VALID_PLAN: dict[str, Any] = {
    "schema_version": 2,
    "keep": [{"subject": "person", "range": {"start": 0, "end": None}},
             {"subject": "box", "box": [1, 2, 30, 40], "action": "remove"}],
    "backgrounds": [
        {"background": {"type": "gradient", "colors": ["#000000", "#ffffff"], "angle": 45},
         "range": {"start": 1, "end": 5}, "opacity": 0.5, "fade_in": {"duration": 1}},
        {"background": {"type": "color", "color": "#123456"}, "range": {"start": -3}},
        {"background": {"type": "blur", "strength": 0.3}},
    ],
    "edges": {"feather": 2, "refine": "guided", "refine_radius": 8, "shift": 0},
    "quality": [{"tier": "preview", "range": {"start": 0}}],
}  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _set(root: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    node = root
    for k in path[:-1]:
        node = node[k]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return root


@st.composite
def mutated_plans(draw: st.DrawFn) -> str:
    plan = json.loads(json.dumps(VALID_PLAN))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(plan)
        path = draw(st.sampled_from(paths))
        delete = bool(path) and draw(st.booleans()) and draw(st.booleans())
        plan = _set(plan, path, draw(json_values), delete)
    text = json.dumps(plan, allow_nan=True)
    if draw(st.integers(0, 9)) == 0:  # byte-level damage too
        i = draw(st.integers(0, max(0, len(text) - 1)))
        text = text[:i] + draw(st.text(max_size=4)) + text[i + 1 :]
    return text


@FUZZ
@given(mutated_plans())
def test_fuzzed_plans_load_or_give_a_plan_error(text: str) -> None:
    try:
        plan = EditPlan.from_json(text)
    except PlanError as e:
        assert str(e) and "\n" not in str(e)
        return
    again = EditPlan.from_json(plan.to_json())
    assert again == plan
    _assert_finite(json.loads(plan.to_json()))


def _assert_finite(node: Any) -> None:
    if isinstance(node, float):
        assert math.isfinite(node)
    elif isinstance(node, dict):
        for v in node.values():
            _assert_finite(v)
    elif isinstance(node, list):
        for v in node:
            _assert_finite(v)


_WORK = Path(tempfile.mkdtemp(prefix="backdrop-fuzz-")).resolve()


@st.composite
def tool_calls(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(REG.names()))
    props = PROPS[name]
    keys = draw(st.lists(st.sampled_from(props) if props else st.text(max_size=5), max_size=4))
    args: dict[str, Any] = {k: draw(json_values) for k in keys}
    if draw(st.integers(0, 4)) == 0:
        args[draw(st.text(max_size=6))] = draw(json_values)
    if draw(st.integers(0, 9)) == 0:
        return name, json.dumps(args, allow_nan=True)[: draw(st.integers(0, 200))]
    return name, args


@FUZZ
@given(tool_calls(), st.sampled_from([None, 0.5, 12.0, 3600.0]))
def test_fuzzed_tool_calls_give_results_never_exceptions(call: tuple[str, Any], duration) -> None:
    name, args = call
    ctx = ToolContext(duration=duration, allowed=(_WORK,))
    REG.dispatch(ctx, "blur_background", {})
    result = REG.dispatch(ctx, name, args)
    assert isinstance(result.message, str)
    assert EditPlan.from_json(ctx.plan.to_json()) == ctx.plan  # the plan still reloads
    _assert_finite(json.loads(ctx.plan.to_json()))
    for p in _WORK.rglob("*"):  # nothing escapes; exported plans stay inside
        assert p.resolve().is_relative_to(_WORK)


WEB_EXAMPLES = max(1, FUZZ_EXAMPLES // 50)  # each one is a real request to a live session


def test_fuzzed_web_json_bodies_never_give_a_server_error(make_video, tmp_path: Path) -> None:
    """The web API's JSON bodies (open, instruct, point, notice answers), ``WEB_EXAMPLES``
    (200 by default) generated bodies: only 2xx/4xx answers, never a 500, nothing outside."""
    from fastapi.testclient import TestClient

    from backdrop.agent.session import Session
    from backdrop.agent.web.server import create_app

    work = tmp_path / "work"
    work.mkdir()
    (work / "v.mp4").write_bytes(make_video("v.mp4", width=64, height=48, frames=4).read_bytes())
    app = create_app(
        work, "v.mp4", session_factory=lambda p: Session(p, analyzers=lambda i: [], llm=False)
    )
    routes = ["/api/open", "/api/instruct", "/api/point", "/api/notices/1"]
    bodies = st.one_of(
        json_values,
        st.fixed_dictionaries({"path": json_values}),
        st.fixed_dictionaries({"text": st.text(max_size=60) | json_values}),
        st.fixed_dictionaries({"x": numbers, "y": numbers}),
        st.fixed_dictionaries({"answer": scalars}),
    )
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:

        @settings(FUZZ, max_examples=WEB_EXAMPLES)
        @given(st.sampled_from(routes), bodies)
        def one(route: str, body: Any) -> None:
            text = json.dumps(body, allow_nan=True)
            r = client.post(route, content=text, headers={"content-type": "application/json"})
            assert r.status_code < 500, (route, text, r.status_code, r.text[:200])

        one()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4", "work"]
