"""The browser's own camera, edited live: headless Chromium with its fake camera fed from a real
clip sends frames to ``backdrop live --camera browser``'s page, which shows them edited; a chat
instruction on the page changes them (pixel check of a screenshot of the shown output)."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from backdrop.agent.live import LiveRunner
from backdrop.perception.core.live import BrowserCamera
from backdrop.perception.core.media import iter_frames
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

CAMERA_ARGS = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
               "--use-fake-device-for-media-stream"]  # fmt: skip
"""Chromium with a fake camera (fed by ``--use-file-for-fake-video-capture``)."""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (`make test` installs it)",
)  # browser and slow: tests/conftest.py


def y4m_clip(sample: Path, path: Path, size: tuple[int, int] = (320, 180)) -> Path:
    """The first 3 s of ``sample`` as a Y4M file (what Chromium's fake camera plays)."""
    out = av.open(str(path), "w", format="yuv4mpegpipe")
    vs = out.add_stream("rawvideo", rate=Fraction(24))
    vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
    for i, (t, rgb) in enumerate(iter_frames(sample, size=size)):
        if t >= 3.0:
            break
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        for p in vs.encode(frame):
            out.mux(p)
    for p in vs.encode(None):
        out.mux(p)
    out.close()
    return path


def blue_share(png: bytes) -> float:
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).astype(np.int16)
    b, g, r = bgr[..., 0], bgr[..., 1], bgr[..., 2]
    return float(((b > r + 80) & (b > g + 40)).mean())


def test_browser_camera_comes_back_edited_and_a_chat_instruction_changes_it(
    sample: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    clip = y4m_clip(sample, tmp_path / "cam.y4m")
    src = BrowserCamera((320, 180), 24.0)
    said: list[str] = []
    runner = LiveRunner(src, say=said.append, web_port=0, analyzers=lambda info: [], llm=False)
    runner.start()
    assert runner.web is not None
    url = runner.web.url
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[*CAMERA_ARGS, f"--use-file-for-fake-video-capture={clip}"],
            )
            page = browser.new_page()
            page.goto(url + "camera")
            deadline = time.monotonic() + 120
            while runner.stats.delivered < 5:
                assert time.monotonic() < deadline, f"no frames came back: {said}"
                page.wait_for_timeout(200)
            page.wait_for_timeout(500)
            before = page.locator("#out").screenshot()
            page.fill("#say", "make the background blue")
            page.press("#say", "Enter")
            page.wait_for_function(
                "document.getElementById('log').textContent.includes('blue')", timeout=120_000
            )
            delivered = runner.stats.delivered
            deadline = time.monotonic() + 120
            while runner.stats.delivered < delivered + 5:
                assert time.monotonic() < deadline, "no frames after the instruction"
                page.wait_for_timeout(200)
            page.wait_for_timeout(800)
            after = page.locator("#out").screenshot()
            browser.close()
    finally:
        runner.stop()
    assert src.received >= 10 and runner.error is None
    assert blue_share(before) < 0.05
    assert blue_share(after) > 0.3, blue_share(after)
    assert runner.plan_changes and runner.plan_changes[0].plan.backgrounds
