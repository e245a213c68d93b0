"""Camera mode of the browser editor (``backdrop serve``): headless Chromium's fake camera, fed
from a real clip, goes to the server over ``/ws/camera``, comes back edited; a typed chat
instruction turns the background blue (pixel check of screenshots of the shown frame), and the
plan can be exported. Also the socket's refusals, without a browser."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from backdrop.agent.live import LiveRunner
from backdrop.agent.web.server import create_app
from backdrop.perception.core.live import BrowserCamera
from tests.conftest import needs_weights
from tests.test_live_browser import CHROMIUM, CHROMIUM_ARGS, y4m_clip

WS = "ws://127.0.0.1:8765/ws/camera"


def quiet_runner(camera: BrowserCamera, out_dir: Path) -> LiveRunner:
    """A runner without the live analyzers (the test needs the edit path, not the notices)."""
    return LiveRunner(camera, say=lambda line: None, analyzers=lambda info: [], llm=False,
                      out_dir=out_dir)  # fmt: skip


@contextlib.contextmanager
def running_server(workdir: Path) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(workdir, live_factory=quiet_runner)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(15)


def blue_shares(png: bytes) -> tuple[float, float]:
    """Shares of strongly blue pixels along the frame's left and right eighths (background in
    the sample: the person stays near the middle) and in the whole frame."""
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).astype(np.int16)
    blue = (bgr[..., 0] > bgr[..., 2] + 80) & (bgr[..., 0] > bgr[..., 1] + 40)
    w = blue.shape[1]
    border = np.concatenate([blue[:, : w // 8], blue[:, -w // 8 :]], axis=1)
    return float(border.mean()), float(blue.mean())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
@pytest.mark.slow
def test_camera_mode_in_chromium_comes_back_edited_and_chat_changes_it(
    sample: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    clip = y4m_clip(sample, tmp_path / "cam.y4m", size=(480, 270))
    workdir = tmp_path / "work"
    workdir.mkdir()
    with running_server(workdir) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clip}"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.click("#camera")
            expect(page.locator("#status")).to_contain_text("Camera", timeout=120_000)
            page.wait_for_function("window.backdrop.camera.received >= 5", timeout=120_000)
            page.wait_for_timeout(300)
            before = page.locator("#frame").screenshot()

            page.fill("#text", "make the background blue")
            page.press("#text", "Enter")
            expect(page.locator("#log")).to_contain_text("blue", timeout=120_000)
            got = page.evaluate("window.backdrop.camera.received")
            page.wait_for_function(f"window.backdrop.camera.received >= {got + 5}",
                                   timeout=120_000)  # fmt: skip
            page.wait_for_timeout(300)
            after = page.locator("#frame").screenshot()
            stats = page.evaluate(
                "({sent: window.backdrop.camera.sent, rtt: window.backdrop.camera.rtt.length})"
            )
            plan = page.request.get(url + "api/plan")
            assert plan.ok, plan.status
            assert '"backgrounds"' in plan.text() and "#" in plan.text()
            page.click("#camera")  # stop: the server's runner ends
            expect(page.locator("#status")).to_contain_text("No video open", timeout=30_000)
        finally:
            browser.close()
    assert not errors, errors
    assert stats["sent"] >= 10 and stats["rtt"] >= 5, stats
    border_before, _ = blue_shares(before)
    border_after, all_after = blue_shares(after)
    assert border_before < 0.05, border_before
    assert border_after > 0.6, border_after  # the background became blue …
    assert 0.6 < all_after < 0.97, all_after  # … and the person (in the middle) did not


def test_camera_socket_refuses_without_camera_and_bad_frames(tmp_path: Path) -> None:
    app = create_app(tmp_path, live_factory=quiet_runner)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(WS) as ws:
            ws.receive_bytes()  # no camera started: closed with the reason
        assert "start the camera" in closed.value.reason
        r = client.post("/api/camera", json={"width": 64, "height": 48, "fps": 500})
        assert r.status_code == 422
        r = client.post("/api/camera", json={"width": 64, "height": 48, "fps": 15})
        assert r.status_code == 200 and r.json()["camera"] is True
        assert client.post("/api/render").status_code == 409
        with client.websocket_connect(WS) as ws:
            ws.send_bytes(b"\0" * 8 + b"not a jpeg")
            assert ws.receive_json() == {"type": "ack", "error": "bad frame"}
            ok, jpg = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))
            ws.send_bytes(np.float64(12.5).tobytes() + jpg.tobytes())
            assert ws.receive_json() == {"type": "ack"}
            back = ws.receive_bytes()  # the edited frame, with the page's clock
            assert np.frombuffer(back[:8], "<f8")[0] == 12.5
            img = cv2.imdecode(np.frombuffer(back[8:], np.uint8), cv2.IMREAD_COLOR)
            assert img.shape == (48, 64, 3)
        assert client.delete("/api/camera").status_code == 200
        assert client.delete("/api/camera").status_code == 409


@needs_weights("pose-detection")
def test_camera_mode_notices_are_answered_as_for_a_file(sample: Path, tmp_path: Path) -> None:
    """Nobody in front of the browser's camera: the "nobody in frame" notice reaches the editor's
    state like a file's notices, and answering it through the editor's route changes the plan."""
    from backdrop.perception.core.media import iter_frames
    from backdrop.perception.core.models import model_path
    from backdrop.perception.vision.person_crop import PoseDetector
    from backdrop.perception.vision.presence import PresenceAnalyzer

    detector = PoseDetector(model_path("pose-detection"))

    def runner(camera: BrowserCamera, out_dir: Path) -> LiveRunner:
        return LiveRunner(camera, say=lambda line: None, llm=False, out_dir=out_dir,
                          analyzers=lambda info: [PresenceAnalyzer(detector)])  # fmt: skip

    _, first = next(iter_frames(sample, size=(320, 180)))
    room = cv2.resize(np.ascontiguousarray(first[:, :106]), (320, 180))  # where nobody stands
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(room, cv2.COLOR_RGB2BGR))
    app = create_app(tmp_path, live_factory=runner)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.post("/api/camera", json={"width": 320, "height": 180, "fps": 10}).is_success
        notices: list[dict] = []
        with client.websocket_connect(WS) as ws:
            deadline = time.monotonic() + 120
            while not notices:
                assert time.monotonic() < deadline, "no notice"
                ws.send_bytes(np.float64(0).tobytes() + jpg.tobytes())  # 10 fps, unread acks
                time.sleep(0.1)
                notices = client.get("/api/state").json()["notices"]
        assert [n["kind"] for n in notices] == ["nobody"], notices
        r = client.post(f"/api/notices/{notices[0]['id']}", json={"answer": "yes"})
        assert r.is_success and r.json()["changed"], r.text
        plan = client.get("/api/plan").json()
        assert [b["background"]["type"] for b in plan["backgrounds"]] == ["blur"]
        assert client.delete("/api/camera").is_success
