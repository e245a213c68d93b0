"""One containment rule: every path from an instruction, a plan, an LLM tool call or the web API
is resolved (symlinks included) and must lie inside the allowed folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from backdrop.render.files import PathError, allowed_folders, contain
from backdrop.render.plan import EditPlan
from backdrop.tools import ToolContext, default_registry

from .helpers import cli, one_line_error, write_png

REG = default_registry()


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """work/ (allowed) with an image and a symlinked folder pointing out; escape/ beside it."""
    work, escape = tmp_path / "work", tmp_path / "escape"
    work.mkdir()
    escape.mkdir()
    write_png(escape / "secret.png")
    write_png(work / "ok.png")
    (work / "linked").symlink_to(escape, target_is_directory=True)
    (work / "link.png").symlink_to(escape / "secret.png")
    return {"work": work, "escape": escape, "root": tmp_path}


ESCAPES = [
    "../escape/secret.png",
    "sub/../../escape/secret.png",
    "linked/secret.png",
    "link.png",
    "%2e%2e/escape/secret.png",
    "..%2fescape%2fsecret.png",
    "ok.png\x00.txt",
    "/etc/passwd",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_contain_refuses_every_kind_of_escape(layout: dict[str, Path], path: str) -> None:
    with pytest.raises(PathError):
        contain(path, [layout["work"]])


def test_contain_refuses_absolute_paths_outside(layout: dict[str, Path]) -> None:
    with pytest.raises(PathError, match="outside the allowed folder"):
        contain(str(layout["escape"] / "secret.png"), [layout["work"]])
    with pytest.raises(PathError):
        contain("~/x.png", [layout["work"]])  # ~ is expanded, then checked


def test_contain_accepts_paths_inside(layout: dict[str, Path]) -> None:
    work = layout["work"]
    assert contain("ok.png", [work]) == work / "ok.png"
    assert contain(str(work / "ok.png"), [work]) == work / "ok.png"
    assert contain("a/../ok.png", [work]) == work / "ok.png"
    assert contain("new/plan.json", [work]) == work / "new" / "plan.json"  # need not exist
    # a second allowed folder (the CLI adds the folders of files on its command line)
    secret = layout["escape"] / "secret.png"
    assert contain(str(secret), [work, layout["escape"]]) == secret
    assert layout["escape"].resolve() in allowed_folders(secret)


@pytest.mark.parametrize("path", [*ESCAPES, "ESCAPE_ABS"])
def test_background_tool_refuses_escapes(layout: dict[str, Path], path: str) -> None:
    if path == "ESCAPE_ABS":
        path = str(layout["escape"] / "secret.png")
    ctx = ToolContext(source=layout["work"] / "v.mp4", allowed=(layout["work"],))
    r = REG.dispatch(ctx, "set_background", {"background": {"type": "image", "path": path}})
    assert not r.ok and ctx.plan == EditPlan(), r.message
    ok = REG.dispatch(ctx, "set_background", {"background": {"type": "image", "path": "ok.png"}})
    assert ok.ok, ok.message


@pytest.mark.parametrize("path", ["../escape/plan.json", "linked/plan.json", "ESCAPE_ABS",
                                  "plan\x00.json", "%2e%2e/plan.json"])  # fmt: skip
def test_export_plan_and_render_tools_refuse_escapes(layout: dict[str, Path], path: str) -> None:
    if path == "ESCAPE_ABS":
        path = str(layout["escape"] / "plan.json")
    ctx = ToolContext(allowed=(layout["work"],))
    ctx.renderer = lambda plan, output, alpha=None: pytest.fail("must not render")  # type: ignore[assignment,misc]
    assert not REG.dispatch(ctx, "export_plan", {"path": path}).ok
    assert not REG.dispatch(ctx, "render", {"output": path}).ok
    assert not REG.dispatch(ctx, "render", {"output": "o.mp4", "alpha": path}).ok
    assert sorted(p.name for p in layout["escape"].iterdir()) == ["secret.png"]
    assert REG.dispatch(ctx, "export_plan", {"path": "plan.json"}).ok


def test_cli_instruction_and_plan_paths_are_contained(
    layout: dict[str, Path], make_video, monkeypatch
) -> None:
    work = layout["work"]
    video = make_video("v.mp4", width=64, height=48, frames=4)
    (work / "v.mp4").write_bytes(video.read_bytes())
    monkeypatch.chdir(work)
    code, _, err = cli("edit", "v.mp4", "replace the background with ../escape/secret.png",
                       "-o", "o.mp4")  # fmt: skip
    assert code != 0 and "outside the allowed folder" in err and not (work / "o.mp4").exists()
    plan = work / "p.json"
    plan.write_text(
        json.dumps(
            {
                "schema_version": 2,
                "backgrounds": [
                    {"background": {"type": "image", "path": str(layout["escape"] / "secret.png")}}
                ],
            }
        )
    )
    msg = one_line_error(*cli("render", "v.mp4", plan, "-o", "o.mp4")[::2])
    assert "outside the allowed folder" in msg
    # naming the folder on the command line allows it (its folder is an input's folder)
    code, _, err = cli("render", "v.mp4", plan, "-o", layout["escape"] / "o.mp4")
    assert code == 0, err


def test_web_instruction_paths_are_contained(layout: dict[str, Path], make_video) -> None:
    from fastapi.testclient import TestClient

    from backdrop.agent.session import Session
    from backdrop.agent.web.server import create_app

    work = layout["work"]
    video = make_video("v.mp4", width=64, height=48, frames=4)
    (work / "v.mp4").write_bytes(video.read_bytes())

    def factory(p: Path) -> Session:
        return Session(p, analyzers=lambda info: [], llm=False)

    app = create_app(work, "v.mp4", session_factory=factory)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for path in ("../escape/secret.png", str(layout["escape"] / "secret.png"),
                     "linked/secret.png", "link.png"):  # fmt: skip
            r = client.post("/api/instruct", json={"text": f"replace the background with {path}"})
            assert r.status_code == 200
            assert not r.json()["changed"], (path, r.json())
            assert "secret" not in json.dumps(client.get("/api/state").json()["timeline"])
        r = client.post("/api/instruct", json={"text": "replace the background with ok.png"})
        assert r.json()["changed"], r.json()
        assert client.post("/api/open", json={"path": "linked/secret.png"}).status_code == 403
        assert client.post("/api/open", json={"path": "%2e%2e/escape/x.mp4"}).status_code == 403
    assert os.listdir(layout["escape"]) == ["secret.png"]
