"""The browser editor end to end in a real headless Chromium (Debian's ``chromium``, driven by
Playwright; no browser download): open a clip, type an instruction, see blue in the preview,
scrub, upload a clip with a scene cut, accept the notice, export the plan, take a screenshot."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.agent.session import Session
from backdrop.perception.core.media import iter_frames
from backdrop.perception.vision.lighting import LightingAnalyzer
from backdrop.perception.vision.scenecut import SceneCutAnalyzer
from backdrop.render.plan import EditPlan
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serving, write_video

SCREENSHOT_ENV = "BACKDROP_EDITOR_SCREENSHOT"
"""Set to a path to also save the final screenshot there (how docs/editor.png is made)."""

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (`make test` installs it)",
    ),
    pytest.mark.slow,
]


def vision_session(path: Path) -> Session:
    """A session with the real scene-cut and lighting analyzers only (fast enough for a test)."""
    return Session(
        path, analyzers=lambda info: [SceneCutAnalyzer(info.fps), LightingAnalyzer()], llm=False
    )


def cut_clip(sample: Path, path: Path) -> Path:
    """2.5 s of the sample, then a hard cut to a different (synthetic) scene for 2 s."""
    frames = []
    for i, (_, rgb) in enumerate(iter_frames(sample, size=(640, 360))):
        if i >= 60:
            break
        frames.append(rgb)
    yy, xx = np.mgrid[0:360, 0:640]
    other = np.stack([(xx * 255 // 640), (yy * 255 // 360), np.full_like(xx, 60)], -1)
    other = other.astype(np.uint8)
    cv2.circle(other, (320, 200), 90, (250, 250, 250), -1)

    def frame(i: int, w: int, h: int) -> np.ndarray:
        return frames[i] if i < len(frames) else other

    return write_video(path, 640, 360, fps=24, frames=len(frames) + 48, frame_fn=frame)


@contextlib.contextmanager
def running_server(workdir: Path) -> Iterator[str]:
    from backdrop.agent.web.server import create_app

    with serving(create_app(workdir, session_factory=vision_session)) as url:
        yield url


def corner_blueness(png: bytes) -> float:
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR),
                       cv2.COLOR_BGR2RGB).astype(float)  # fmt: skip
    h, w = rgb.shape[:2]
    corner = rgb[h // 20 : h // 6, w // 40 : w // 6]
    return float(corner[..., 2].mean() - corner[..., 0].mean())


def test_editor_in_chromium(tmp_path: Path, sample: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    workdir = tmp_path / "work"
    workdir.mkdir()
    shutil.copy(sample, workdir / "sample.mp4")
    clip = cut_clip(sample, tmp_path / "cut.mp4")

    with running_server(workdir) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860}, accept_downloads=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)

            # open the 720p sample from the working folder; live frames arrive
            page.select_option("#files", "sample.mp4")
            page.click("#open")
            expect(page.locator("#status")).to_contain_text("sample.mp4", timeout=20_000)
            page.wait_for_function("document.getElementById('frame').naturalWidth > 0",
                                   timeout=20_000)  # fmt: skip

            # type an instruction; the preview turns blue around the person
            page.fill("#text", "make the background blue")
            page.press("#text", "Enter")
            expect(page.locator(".msg.agent").last).to_contain_text("blue", timeout=20_000)
            deadline = time.monotonic() + 20
            while corner_blueness(page.locator("#frame").screenshot()) < 100:
                assert time.monotonic() < deadline, "the preview never turned blue"
                page.wait_for_timeout(200)
            expect(page.locator("#plan")).to_contain_text("blue")

            # scrub: drag across the timeline; each stop shows the edited frame at that time
            # (once processed, every micro-turn has a cached source thumbnail)
            page.wait_for_function("window.backdrop.done", timeout=30_000)
            box = page.locator("#timeline").bounding_box()
            assert box is not None
            y = box["y"] + 40
            page.mouse.move(box["x"] + 90, y)
            page.mouse.down()
            for frac in np.linspace(0.1, 0.9, 9):
                page.mouse.move(box["x"] + 78 + frac * (box["width"] - 88), y)
                page.wait_for_timeout(120)
            page.mouse.up()
            page.wait_for_function(
                "!window.backdrop.scrub.busy && window.backdrop.scrub.next === null"
            )
            times = page.evaluate("window.backdrop.scrub.times")
            server_ms = page.evaluate("window.backdrop.scrub.server")
            cursor = page.evaluate("window.backdrop.cursor")
            assert len(times) >= 3 and cursor == pytest.approx(0.9 * 10.3, abs=0.4)
            assert page.evaluate("window.backdrop.live") is False
            assert corner_blueness(page.locator("#frame").screenshot()) > 100
            print(f"browser scrub at 720p: median {statistics.median(times):.0f} ms, "
                  f"max {max(times):.0f} ms over {len(times)} frames (server median "
                  f"{statistics.median(server_ms):.0f} ms)")  # fmt: skip
            assert statistics.median(times) < 500

            # upload a clip with a hard cut: the scene-cut analyzer finds it, a notice appears
            page.set_input_files("#upload", str(clip))
            expect(page.locator("#status")).to_contain_text("uploads/cut.mp4", timeout=30_000)
            notice = page.locator(".msg.notice").first
            expect(notice).to_contain_text("New scene at 0:02", timeout=30_000)
            notice.locator(".answer-yes").click()
            expect(notice).to_have_class("msg notice answered", timeout=15_000)
            expect(page.locator(".msg.agent").last).to_contain_text("Done", timeout=15_000)
            expect(page.locator("#plan")).to_contain_text("gradient")
            timeline = page.evaluate("window.backdrop.timeline")
            assert any(e["type"] == "cut" for e in timeline["events"])
            assert timeline["backgrounds"][0]["kind"] == "gradient"

            # export the plan: a JSON download the schema accepts
            with page.expect_download() as dl:
                page.click("#export")
            plan = EditPlan.from_json(Path(dl.value.path()).read_text(encoding="utf-8"))
            assert plan.backgrounds[0].background.type == "gradient"
            assert plan.backgrounds[0].range.start == pytest.approx(2.5, abs=0.1)
            assert dl.value.suggested_filename == "cut-plan.json"

            page.locator(".msg.notice").first.locator(".when").click()  # show the cut
            page.wait_for_function("!window.backdrop.scrub.busy")
            page.wait_for_timeout(200)
            shot = tmp_path / "editor.png"
            page.screenshot(path=str(shot))
            if os.environ.get(SCREENSHOT_ENV):
                shutil.copy(shot, os.environ[SCREENSHOT_ENV])
            assert shot.stat().st_size > 10_000
            assert not errors, errors
            json.dumps(times)  # the timings are plain numbers
        finally:
            browser.close()
