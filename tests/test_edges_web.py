"""The browser editor shows which ranges the quality tier refined: the session reports them, the
wire format carries them (pushed as they grow, and in ``/api/state``), the page draws them.

The clip is the real green-screen talking head (see tests/test_edges_tier.py), the person
masker and quality settings are the real ones; the drawing is checked in Debian's Chromium.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backdrop.agent.session import Session
from backdrop.agent.web.server import create_app

from .test_edges_tier import talking_head  # noqa: F401  (fixture)
from .test_web_api import LOCAL, WS


@pytest.mark.slow
def test_refined_ranges_reach_the_page(tmp_path: Path, talking_head: Path) -> None:  # noqa: F811
    wd = tmp_path / "work"
    wd.mkdir()
    shutil.copy(talking_head, wd / "head.mp4")

    def factory(p: Path) -> Session:
        return Session(p, analyzers=lambda info: [], llm=False, refine=True, refine_window=0.2)

    app = create_app(wd, session_factory=factory)
    with TestClient(app, base_url=LOCAL) as client:
        client.post("/api/open", json={"path": "head.mp4"})
        assert client.get("/api/preview", params={"t": 0.4}).status_code == 200  # looked at
        with client.websocket_connect(f"{WS}/ws") as ws:
            reply = client.post("/api/instruct", json={"text": "make the background grey"})
            assert reply.json()["changed"]
            deadline = time.monotonic() + 600
            refined: list[list[float]] = []
            while not refined or refined[-1][1] - refined[-1][0] < 0.15:  # pushed as it goes
                assert time.monotonic() < deadline, "no refined ranges arrived"
                m = ws.receive_json()
                if m["type"] == "timeline":
                    refined = m["refined"]
        # from the frame the preview showed for 0.4 s (the micro-turn's cached frame, ≤ 0.6 s)
        assert len(refined) == 1 and 0.38 <= refined[0][0] <= 0.62
        state = client.get("/api/state").json()
        assert state["timeline"]["refined"] == refined
        # an edit: the refined frames belonged to the old plan (the new plan's come later)
        client.post("/api/instruct", json={"text": "make the background blue"})
        assert client.get("/api/state").json()["timeline"]["refined"] != refined


@pytest.mark.slow
def test_the_timeline_draws_refined_ranges_in_chromium(tmp_path: Path) -> None:
    """The page's drawing only (a timeline message handed to the page's own handler)."""
    from tests.test_web_browser import CHROMIUM, CHROMIUM_ARGS, running_server

    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with running_server(tmp_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            colours = page.evaluate(
                """() => {
                  ui.video = {duration: 10, width: 640, height: 360, path: "x.mp4"};
                  onMessage({type: "timeline", duration: 10, processed_until: 10,
                             backgrounds: [], keep: [], events: [], plan: [], pending: [],
                             refined: [[2, 4]]});
                  const c = document.getElementById("timeline");
                  const dpr = window.devicePixelRatio || 1;
                  const y = (TL.rows.done[0] + TL.rows.done[1]) / 2;
                  const at = (t) => Array.from(c.getContext("2d").getImageData(
                      Math.round(tToX(t, c.clientWidth) * dpr), Math.round(y * dpr), 1, 1).data);
                  return {inside: at(3), outside: at(7)};
                }"""
            )
            assert not errors, errors
            r, g, b, _ = colours["inside"]
            assert g > 150 and r < 100 and b < 130, colours  # #22c55e
            r, g, b, _ = colours["outside"]
            assert g < 150, colours  # the processed bar
        finally:
            browser.close()
