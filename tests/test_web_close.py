"""Stopping the editor's server while a render runs: the render stops at its next frame and keeps
no partial file, so the server's exit never waits for a render to end (before, Ctrl-C on
``backdrop serve`` waited for the whole render, and its output appeared after the exit)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from backdrop.agent.web.server import create_app
from tests.faults.helpers import partials
from tests.test_web_api import LOCAL, scripted


def test_closing_the_editor_stops_a_running_render(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    wd = tmp_path / "w"
    wd.mkdir()
    make_video("long.mp4", width=320, height=240, frames=900)
    shutil.move(tmp_path / "long.mp4", wd / "long.mp4")
    app = create_app(wd, video="long.mp4", session_factory=scripted())
    with TestClient(app, base_url=LOCAL) as client:
        client.post("/api/instruct", json={"text": "make the background red"})
        job = client.post("/api/render").json()
        deadline = time.monotonic() + 120
        while job["state"] == "running" and job["done"] < 5:  # some frames in
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
            job = client.get("/api/render").json()
        assert job["state"] == "running" and job["done"] < job["total"], job
        editor = app.state.editor
    # the server stopped: its lifespan closed the editor, and the render thread has ended
    running = editor.render_job
    assert running is not None and running.state == "failed", running
    assert "editor was closed" in running.error
    assert not (wd / "out" / "long-edited.mp4").exists()
    assert partials(wd) == []
