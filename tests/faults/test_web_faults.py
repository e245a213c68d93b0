"""The web server's limits: uploads that collide or fail, voice length, containment of paths."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from backdrop.agent.session import Session
from backdrop.agent.voice import MAX_INSTRUCTION_SECONDS
from backdrop.agent.web.server import create_app

from .helpers import silent_wav

LOCAL = "http://127.0.0.1"


def _factory(p: Path) -> Session:
    return Session(p, analyzers=lambda info: [], llm=False)


def test_two_uploads_of_one_name_at_once_both_land(make_video, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    data = make_video("v.mp4", width=64, height=48, frames=4).read_bytes()
    app = create_app(work, session_factory=_factory)
    results: list[int] = []
    with TestClient(app, base_url=LOCAL) as client:

        def send() -> None:
            r = client.post("/api/upload", params={"name": "same.mp4"}, content=data)
            results.append(r.status_code)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert results == [200, 200]
    names = sorted(p.name for p in (work / "uploads").iterdir())
    assert names == ["same-1.mp4", "same.mp4"]


def test_upload_errors_do_not_show_server_paths(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    app = create_app(work, session_factory=_factory)
    with TestClient(app, base_url=LOCAL) as client:
        r = client.post("/api/upload", params={"name": "junk.mp4"}, content=b"\x00junk" * 999)
        assert r.status_code == 415
        detail = r.json()["detail"]
        assert "junk.mp4" in detail and str(tmp_path) not in detail and "partial" not in detail
    assert not any((work / "uploads").iterdir())


def test_voice_longer_than_the_cap_is_refused_before_transcribing(
    make_video, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "v.mp4").write_bytes(make_video("v.mp4", width=64, height=48, frames=4).read_bytes())
    app = create_app(work, "v.mp4", session_factory=_factory)
    with TestClient(app, base_url=LOCAL) as client:
        r = client.post("/api/voice", content=silent_wav(MAX_INSTRUCTION_SECONDS + 10),
                        headers={"content-type": "audio/wav"})  # fmt: skip
        assert r.status_code == 415 and "at most" in r.json()["detail"]
        # the session is still usable
        assert client.post("/api/instruct", json={"text": "blur the background"}).json()["changed"]
