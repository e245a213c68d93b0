"""The browser editor shows the time left of a render, as the CLI's bar does (issue 17)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backdrop.agent.web.editor import RenderJob


def test_render_job_reports_time_left(tmp_path: Path) -> None:
    job = RenderJob(tmp_path / "out" / "x.mp4", started=time.monotonic() - 10.0)
    assert job.as_dict(tmp_path)["seconds_left"] is None  # nothing done yet: no estimate
    job.done, job.total = 25, 100
    left = job.as_dict(tmp_path)["seconds_left"]
    assert left == pytest.approx(30.0, abs=1.5)  # 10 s for a quarter → 30 s for the rest
    job.state = "done"
    assert job.as_dict(tmp_path)["seconds_left"] is None


def test_editor_page_shows_it() -> None:
    js = (Path(__file__).parent.parent / "backdrop/agent/web/static/app.js").read_text()
    assert "job.seconds_left" in js and "left`" in js
