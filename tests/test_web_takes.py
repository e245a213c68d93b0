"""Several takes in the browser editor (issue 17, item 4), in a real headless Chromium: two takes
made from the sample (one darkened to 35 %) are listed with the comparison; the brighter is
picked by chat and the preview comes from it; a click picks the other; the plan stays across
switches, and undo goes back to the previous take."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.agent.takes import pick_in_chat
from backdrop.perception.core.media import iter_frames
from backdrop.perception.core.takes import TakeReport
from tests.conftest import CHROMIUM, chromium_page, serving, wait_for, write_video
from tests.test_web_browser import corner_blueness, vision_session

SIZE = (320, 180)
DARK = 0.35


def make_takes(sample: Path, folder: Path) -> tuple[Path, Path, float, float]:
    """Take 1: 2 s of the sample at 35 % brightness; take 2: the same 2 s as shot (no audio, so
    nothing is transcribed). Returns both paths and their mean brightness (0..255)."""
    frames = []
    for i, (_, rgb) in enumerate(iter_frames(sample, size=SIZE)):
        if i >= 48:
            break
        frames.append(rgb)
    dark = [(f.astype(np.float32) * DARK).round().astype(np.uint8) for f in frames]
    a = write_video(folder / "take-dark.mp4", *SIZE, fps=24, frames=len(frames), audio=False,
                    frame_fn=lambda i, w, h: dark[i])  # fmt: skip
    b = write_video(folder / "take-bright.mp4", *SIZE, fps=24, frames=len(frames), audio=False,
                    frame_fn=lambda i, w, h: frames[i])  # fmt: skip
    return a, b, float(np.mean(dark)), float(np.mean(frames))


def test_take_words_in_chat_only_when_about_takes() -> None:
    """Edits and notice answers are not taken for a pick; take words are (same as the CLI's)."""
    r = [TakeReport(Path("a.mp4"), 2.0, 0.15, 0.001, 40.0),
         TakeReport(Path("b.mp4"), 2.0, 0.45, 0.001, 60.0)]  # fmt: skip
    assert pick_in_chat("use take 2", r, asked=False) == (1, "take 2")
    assert pick_in_chat("the one with the best light", r, asked=False)[0] == 1  # type: ignore[index]
    assert pick_in_chat("use the brightest", r, asked=False)[0] == 1  # type: ignore[index]
    assert pick_in_chat("the first one", r, asked=False) == (0, "take 1")
    for edit in ("make the background blue", "yes", "blur it for one second", "2"):
        assert pick_in_chat(edit, r, asked=False) is None, edit
    assert pick_in_chat("yes", r, asked=True)[0] == 1  # type: ignore[index]  # the recommended
    assert pick_in_chat("2", r, asked=True) == (1, "take 2")
    assert pick_in_chat("make the background blue", r, asked=True) is None
    # before the takes are measured: by number or position only
    assert pick_in_chat("use take 2", [], asked=False, count=2) == (1, "take 2")
    assert pick_in_chat("the last one", [], asked=False, count=3) == (2, "take 3")
    assert pick_in_chat("the brightest one", [], asked=False, count=2) is None


@contextlib.contextmanager
def editor_on(workdir: Path, takes: list[Path]) -> Iterator[str]:
    from backdrop.agent.web.server import create_app

    with serving(create_app(workdir, takes, session_factory=vision_session)) as url:
        yield url


def frame_mean(png: bytes) -> float:
    return float(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).mean())


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_takes_in_the_editor(tmp_path: Path, sample: Path) -> None:
    from playwright.sync_api import expect

    a, b, dark_mean, bright_mean = make_takes(sample, tmp_path)
    between = (dark_mean + bright_mean) / 2

    with editor_on(tmp_path, [a, b]) as url, chromium_page(url) as (page, errors):
        frame = page.locator("#frame")

        def shows(cond: str, what: str) -> None:  # the preview's brightness, polled
            for _ in range(150):
                m = frame_mean(frame.screenshot())
                if (m < between) if cond == "dark" else (m > between):
                    return
                page.wait_for_timeout(200)
            raise AssertionError(f"{what}: preview mean {m:.0f}, dark {dark_mean:.0f}, "
                                 f"bright {bright_mean:.0f}")  # fmt: skip

        # both takes listed with the comparison; take 1 (dark) is edited first
        takes = page.locator("#takelist button.take")
        expect(takes).to_have_count(2, timeout=20_000)
        expect(page.locator("#takewhy")).to_contain_text("Overall I'd use take 2",
                                                         timeout=120_000)  # fmt: skip
        expect(takes.nth(0)).to_contain_text("take-dark.mp4")
        expect(takes.nth(0)).to_contain_text("light")
        expect(takes.nth(1)).to_contain_text("sharpness")
        expect(takes.nth(1)).to_contain_text("cut-out quality")
        expect(takes.nth(1)).to_contain_text("best")
        expect(page.locator(".msg.agent").first).to_contain_text("Take 2 has")
        expect(page.locator("#status")).to_contain_text("take-dark.mp4")
        page.wait_for_function("document.getElementById('frame').naturalWidth > 0",
                               timeout=30_000)  # fmt: skip
        shows("dark", "take 1 at first")

        # by chat, in the CLI's words: the preview now comes from the bright take
        page.fill("#text", "the one with the best light")
        page.press("#text", "Enter")
        expect(page.locator(".msg.agent").last).to_contain_text("Editing take 2",
                                                                timeout=30_000)  # fmt: skip
        expect(page.locator("#status")).to_contain_text("take-bright.mp4", timeout=30_000)
        expect(takes.nth(1)).to_have_class("take current")
        shows("bright", "after picking the best light")

        # by click: back to the dark take
        takes.nth(0).click()
        expect(page.locator("#status")).to_contain_text("take-dark.mp4", timeout=30_000)
        shows("dark", "after clicking take 1")

        # an edit on take 1, then take 2 by number: the plan is the edit's, not the file's
        page.fill("#text", "make the background blue")
        page.press("#text", "Enter")
        expect(page.locator("#plan")).to_contain_text("blue", timeout=30_000)
        page.fill("#text", "use take 2")
        page.press("#text", "Enter")
        expect(page.locator("#status")).to_contain_text("take-bright.mp4", timeout=30_000)
        expect(page.locator("#plan")).to_contain_text("blue", timeout=30_000)
        for _ in range(150):
            if corner_blueness(frame.screenshot()) > 100:
                break
            page.wait_for_timeout(200)
        assert corner_blueness(frame.screenshot()) > 100, "the plan did not follow the take"
        with page.expect_download() as dl:  # the export is the chosen take's
            page.click("#export")
        assert dl.value.suggested_filename == "take-bright-plan.json"

        # undo: the take switch is a step of its own; the blue stays
        page.fill("#text", "undo")
        page.press("#text", "Enter")
        expect(page.locator("#status")).to_contain_text("take-dark.mp4", timeout=30_000)
        expect(page.locator("#plan")).to_contain_text("blue", timeout=30_000)

        # several files uploaded at once open as takes (a new edit: the plan starts empty)
        page.set_input_files("#upload", [str(b), str(a)])
        expect(page.locator("#status")).to_contain_text("uploads/take-bright.mp4",
                                                        timeout=60_000)  # fmt: skip
        expect(takes).to_have_count(2)
        expect(takes.nth(1)).to_contain_text("take-dark.mp4")
        expect(page.locator("#takewhy")).to_contain_text("Overall I'd use take 1",
                                                         timeout=120_000)  # fmt: skip
        expect(page.locator("#plan")).not_to_contain_text("blue", timeout=30_000)
        assert not errors, errors


def test_takes_api(tmp_path: Path, sample: Path) -> None:
    """Uploads stored without opening, opened together as takes, picked by number before and
    after they are measured; bad takes end in one clear answer."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from backdrop.agent.cli import app as cli_app
    from backdrop.agent.web.server import create_app
    from tests.test_web_api import LOCAL, scripted

    (tmp_path / "made").mkdir()
    a, b, _, _ = make_takes(sample, tmp_path / "made")
    work = tmp_path / "work"
    work.mkdir()
    with TestClient(create_app(work, session_factory=scripted()), base_url=LOCAL) as client:
        stored = [client.post(f"/api/upload?open=false&name={p.name}", content=p.read_bytes())
                  for p in (a, b)]  # fmt: skip
        assert [r.json()["path"] for r in stored] == ["uploads/take-dark.mp4",
                                                      "uploads/take-bright.mp4"]  # fmt: skip
        assert client.get("/api/state").json()["video"] is None  # stored, not opened
        opened = client.post("/api/takes", json={"paths": [r.json()["path"] for r in stored]})
        assert opened.status_code == 200 and opened.json()["take"] == 1
        assert len(opened.json()["takes"]["takes"]) == 2
        said = client.post("/api/instruct", json={"text": "use take 2"}).json()
        assert "Editing take 2" in said["text"]
        assert client.get("/api/state").json()["video"]["path"] == "uploads/take-bright.mp4"
        wait_for(lambda: client.get("/api/takes").json()["ready"], 120, "the comparison")
        rows = client.get("/api/takes").json()["takes"]
        assert rows[1]["light"] > rows[0]["light"] and rows[1]["best_at"]
        assert client.post("/api/takes/3").status_code == 404
        assert client.post("/api/takes", json={"paths": ["../x.mp4"]}).status_code == 403
        assert client.post("/api/takes", json={"paths": []}).status_code == 422
        client.post("/api/open", json={"path": "uploads/take-dark.mp4"})
        assert client.get("/api/takes").status_code == 404  # one video now
    r = CliRunner().invoke(cli_app, ["serve", str(a), str(sample), "--workdir", str(a.parent)])
    assert r.exit_code == 2 and "outside the working folder" in r.output
