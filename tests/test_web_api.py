"""The browser editor's API: open, instruct, preview, notices, exports, render, and its limits
(path traversal, bad uploads, tokens, other sites), with FastAPI's TestClient."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from backdrop.agent.cli import app as cli_app
from backdrop.agent.session import Session
from backdrop.agent.web.server import create_app
from backdrop.perception.core.events import PeopleCount, SceneCut
from backdrop.perception.core.media import probe
from backdrop.render.plan import EditPlan
from tests.conftest import Scripted, blueness, needs_espeak

LOCAL = "http://127.0.0.1:8765"
WS = "ws://127.0.0.1:8765"
ESPEAK = shutil.which("espeak-ng")


def scripted(events: list | None = None) -> Callable[[Path], Session]:
    return lambda p: Session(p, analyzers=lambda info: [Scripted(list(events or []))], llm=False)


def jpeg(data: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None, "not a JPEG"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def wait_processed(client: TestClient, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get("/api/state").json()
        tl = state["timeline"]
        if tl and tl["processed_until"] >= tl["duration"] - 1e-6:
            return state
        time.sleep(0.1)
    raise AssertionError("processing did not finish")


@pytest.fixture
def workdir(tmp_path: Path, sample: Path) -> Path:
    wd = tmp_path / "work"
    wd.mkdir()
    shutil.copy(sample, wd / "sample.mp4")
    return wd


@pytest.fixture
def client(workdir: Path) -> Iterator[TestClient]:
    events = [SceneCut(2.95, 3.0, "test"), PeopleCount(6.0, 6.2, "test", n=2)]
    app = create_app(workdir, session_factory=scripted(events))
    with TestClient(app, base_url=LOCAL) as c:
        yield c


def test_open_instruct_preview_notices_export(client: TestClient, workdir: Path) -> None:
    assert client.get("/").status_code == 200
    assert "app.js" in client.get("/").text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/api/files").json()["videos"] == ["sample.mp4"]
    assert client.post("/api/instruct", json={"text": "blue"}).status_code == 409  # nothing open
    info = client.post("/api/open", json={"path": "sample.mp4"}).json()
    assert (info["width"], info["height"]) == (1280, 720)

    reply = client.post("/api/instruct", json={"text": "make the background blue"}).json()
    assert reply["changed"], reply
    r = client.get("/api/preview", params={"t": 1.0})
    assert r.headers["content-type"] == "image/jpeg"
    assert blueness(jpeg(r.content)) > 100

    state = wait_processed(client)
    assert [n["kind"] for n in state["notices"]] == ["scene_cut", "people"]
    tl = state["timeline"]
    assert [e["type"] for e in tl["events"]] == ["cut", "people"]
    assert tl["backgrounds"][0]["colors"] and tl["keep"][0]["subject"] == "person"
    assert sorted(tl["pending"]) == [1, 2]
    # answer the older notice (the new scene) even though a newer one is pending
    yes = client.post("/api/notices/1", json={"answer": "yes"}).json()
    assert yes["changed"], yes
    segs = EditPlan.model_validate(json.loads(client.get("/api/plan").text)).backgrounds
    assert len(segs) == 2 and segs[1].range.start == pytest.approx(3.0)
    no = client.post("/api/notices/2", json={"answer": "no"}).json()
    assert not no["changed"]
    assert client.post("/api/notices/2", json={"answer": "yes"}).status_code == 404
    assert client.get("/api/state").json()["timeline"]["pending"] == []

    r = client.get("/api/plan")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert EditPlan.from_json(r.text).backgrounds[1].background.type == "gradient"
    assert (workdir / "out" / "sample-plan.json").is_file()
    history = client.get("/api/state").json()["history"]
    assert [h["type"] for h in history].count("reply") == 3


def test_scrub_previews_at_720p(client: TestClient) -> None:
    """Scrubbing anywhere gives a preview. The latency is printed, not asserted: speed is checked
    by benchmarks (a timed assertion fails on a busy machine: 420 ms seen under load)."""
    client.post("/api/open", json={"path": "sample.mp4"})
    client.post("/api/instruct", json={"text": "make the background blue"})
    wait_processed(client)
    rng = np.random.default_rng(0)
    times = []
    for t in rng.uniform(0, 10.3, 20):
        started = time.perf_counter()
        r = client.get("/api/preview", params={"t": float(t)})
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200
    median = statistics.median(times)
    print(f"scrub latency at 720p: median {median:.0f} ms, max {max(times):.0f} ms")


def test_websocket_streams_replies_notices_and_frames(client: TestClient) -> None:
    client.post("/api/open", json={"path": "sample.mp4"})
    with client.websocket_connect(f"{WS}/ws") as ws:
        seen: dict[str, dict] = {}
        deadline = time.monotonic() + 60
        while not {"opened", "preview", "timeline", "notice"} <= seen.keys():
            assert time.monotonic() < deadline
            m = ws.receive_json()
            seen.setdefault(m["type"], m)
        assert seen["opened"]["path"] == "sample.mp4"
        assert jpeg(__import__("base64").b64decode(seen["preview"]["jpeg"])).shape == (360, 640, 3)
        client.post("/api/instruct", json={"text": "make the background blue"})
        while True:
            m = ws.receive_json()
            if m["type"] == "reply":
                assert m["heard"] == "make the background blue" and m["changed"]
                break


def test_render_small_clip(tmp_path: Path, make_video: Callable[..., Path]) -> None:
    wd = tmp_path / "w"
    wd.mkdir()
    make_video("clip.mp4", frames=12)
    shutil.move(tmp_path / "clip.mp4", wd / "clip.mp4")
    app = create_app(wd, video="clip.mp4", session_factory=scripted())
    with TestClient(app, base_url=LOCAL) as client:
        assert client.get("/api/render").status_code == 404
        assert client.get("/api/render/file").status_code == 404
        client.post("/api/instruct", json={"text": "make the background red"})
        job = client.post("/api/render").json()
        assert job["state"] == "running" and job["output"] == "out/clip-edited.mp4"
        deadline = time.monotonic() + 60
        while job["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
            job = client.get("/api/render").json()
        assert job["state"] == "done", job
        assert job["done"] == job["total"] == 12
        r = client.get("/api/render/file")
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
        (tmp_path / "got.mp4").write_bytes(r.content)
        assert probe(tmp_path / "got.mp4").width == 160


def test_paths_outside_the_working_folder_are_refused(
    client: TestClient, workdir: Path, tmp_path: Path, sample: Path
) -> None:
    outside = tmp_path / "secret.mp4"
    shutil.copy(sample, outside)
    (workdir / "link.mp4").symlink_to(outside)
    for path in ("../secret.mp4", str(outside), "link.mp4", "/etc/passwd", "sub/../../secret.mp4"):
        r = client.post("/api/open", json={"path": path})
        assert r.status_code == 403, (path, r.text)
    assert client.post("/api/open", json={"path": "missing.mp4"}).status_code == 404
    assert client.post("/api/open", json={"path": ""}).status_code == 422
    assert "link.mp4" not in client.get("/api/files").json()["videos"]
    for url in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py"):
        r = client.get(url)
        assert r.status_code in (400, 403, 404), url
        assert "create_app" not in r.text
    with pytest.raises(ValueError, match="outside the working folder"):
        create_app(workdir, video=outside)


def test_bad_uploads_are_refused_and_the_session_stays_usable(workdir: Path, sample: Path) -> None:
    app = create_app(workdir, session_factory=scripted(), max_upload_bytes=3_000_000)
    with TestClient(app, base_url=LOCAL) as client:
        r = client.post("/api/upload", params={"name": "notes.txt"}, content=b"hello")
        assert r.status_code == 415
        r = client.post("/api/upload", params={"name": "fake.mp4"}, content=b"\0" * 5000)
        assert r.status_code == 415 and "not a video" in r.json()["detail"]
        r = client.post("/api/upload", params={"name": "big.mp4"}, content=b"\0" * 3_000_001)
        assert r.status_code == 413
        r = client.post("/api/upload", params={"name": "empty.mp4"}, content=b"")
        assert r.status_code == 400
        assert not (workdir / "uploads").exists() or not any((workdir / "uploads").iterdir())
        # a good one, with a hostile name, lands in uploads/ and opens
        r = client.post("/api/upload", params={"name": "../../x y.mp4"},
                        content=sample.read_bytes())  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["path"] == "uploads/x_y.mp4"
        # failed requests leave the session usable
        assert client.get("/api/preview", params={"t": -1}).status_code == 422
        assert client.post("/api/notices/99", json={"answer": "yes"}).status_code == 404
        assert client.post("/api/point", json={"x": 5000, "y": 10}).status_code == 422
        assert client.post("/api/instruct", json={"text": ""}).status_code == 422
        assert client.post("/api/voice", content=b"not audio").status_code == 415
        reply = client.post("/api/instruct", json={"text": "make the background blue"}).json()
        assert reply["changed"]
        assert blueness(jpeg(client.get("/api/preview", params={"t": 2}).content)) > 100
        pt = client.post("/api/point", json={"x": 400, "y": 520}).json()
        assert "point" in pt["text"], pt


def test_token_required_everywhere_when_set(workdir: Path) -> None:
    app = create_app(workdir, token="s3cret", session_factory=scripted())
    with TestClient(app, base_url="http://192.168.1.20:8765") as client:
        assert client.get("/api/files").status_code == 401
        assert client.get("/").status_code == 401
        assert client.get("/static/app.js").status_code == 401
        assert client.get("/api/files", headers={"X-Backdrop-Token": "wrong"}).status_code == 401
        assert client.get("/api/files", headers={"X-Backdrop-Token": "s3cret"}).status_code == 200
        with (
            pytest.raises(WebSocketDisconnect),
            client.websocket_connect("ws://192.168.1.20:8765/ws") as ws,
        ):
            ws.receive_json()
        with client.websocket_connect("ws://192.168.1.20:8765/ws?token=s3cret") as ws:
            ws.close()
        # the page's URL carries the token once; a cookie carries it from then on
        assert client.get("/?token=s3cret").status_code == 200
        assert client.get("/static/app.js").status_code == 200
        with client.websocket_connect("ws://192.168.1.20:8765/ws") as ws:
            ws.close()


def test_loopback_only_without_token_and_no_other_sites(workdir: Path) -> None:
    app = create_app(workdir, session_factory=scripted())
    with TestClient(app, base_url="http://evil.example:8765") as client:
        assert client.get("/api/files").status_code == 403
    with TestClient(app, base_url=LOCAL) as client:
        assert client.get("/api/files").status_code == 200
        r = client.post("/api/open", json={"path": "sample.mp4"},
                        headers={"Origin": "http://evil.example"})  # fmt: skip
        assert r.status_code == 403
        r = client.get("/api/files", headers={"Origin": LOCAL})
        assert r.status_code == 200


@needs_espeak
def test_voice_instruction(client: TestClient, tmp_path: Path) -> None:
    wav = tmp_path / "cmd.wav"
    assert ESPEAK is not None
    subprocess.run([ESPEAK, "-v", "en-us", "-s", "150", "-w", str(wav),
                    "make the background blue"], check=True)  # fmt: skip
    client.post("/api/open", json={"path": "sample.mp4"})
    r = client.post("/api/voice", content=wav.read_bytes(), headers={"content-type": "audio/wav"})
    assert r.status_code == 200, r.text
    reply = r.json()
    if "Did you say" in reply["text"] or "did you mean" in reply["text"]:  # issue 11: asked
        assert reply["clarify"] and not reply["changed"], reply
        reply = client.post("/api/instruct", json={"text": "yes"}).json()
        reply["heard"] = reply["text"]
    assert reply["changed"] and "blue" in reply["heard"].lower(), reply
    silence = np.zeros(16000, np.int16).tobytes()
    header = _wav_header(len(silence))
    r = client.post("/api/voice", content=header + silence, headers={"content-type": "audio/wav"})
    assert r.status_code == 200 and r.json()["clarify"]


@needs_espeak
def test_voice_near_reading_is_asked_and_yes_applies_it(client: TestClient, tmp_path: Path) -> None:
    """Issue 11: "blurred" is heard as "blue" on this voice; the page is asked, not edited."""
    wav = tmp_path / "cmd.wav"
    import soundfile as sf

    from tests.test_voice_check import _say

    sf.write(wav, _say("make the background blurred", tmp_path), 16000)  # with room around it
    client.post("/api/open", json={"path": "sample.mp4"})
    reply = client.post("/api/voice", content=wav.read_bytes(),
                        headers={"content-type": "audio/wav"}).json()  # fmt: skip
    if "Did you say" in reply["text"] or "did you mean" in reply["text"]:
        assert reply["clarify"] and not reply["changed"] and "Understood" not in reply["text"]
        reply = client.post("/api/instruct", json={"text": "yes"}).json()
    assert reply["changed"] and "blurred" in reply["text"], reply


def _wav_header(n_bytes: int, rate: int = 16000) -> bytes:
    import struct

    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + n_bytes)
        + b"WAVEfmt "
        + fmt
        + b"data"
        + struct.pack("<I", n_bytes)
    )


def test_serve_refuses_a_video_outside_the_working_folder(tmp_path: Path, sample: Path) -> None:
    wd = tmp_path / "w"
    wd.mkdir()
    r = CliRunner().invoke(cli_app, ["serve", str(sample), "--workdir", str(wd)])
    assert r.exit_code == 2 and "outside the working folder" in r.output
