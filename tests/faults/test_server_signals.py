"""The editor server after a bad background file: the session keeps answering, and SIGTERM ends
the server (it used to ignore SIGTERM once a corrupt background had killed the session thread and
previews had exhausted the thread pool)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.cli, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_corrupt_background_then_sigterm_ends_the_server(make_video, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    make_video("work/clip.mp4", width=160, height=96, frames=25)
    (work / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backdrop.agent.cli", "serve", "--port", str(port),
         "--workdir", str(work)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if c.get("/api/state").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            assert c.post("/api/open", json={"path": "clip.mp4"}).status_code == 200
            r = c.post("/api/instruct", json={"text": "replace the background with corrupt.jpg"})
            assert r.status_code == 200
            assert "Understood" not in r.json()["text"], r.json()
            # the session still works: previews come back and a good instruction applies
            for t in (0.1, 0.5, 0.9):
                assert c.get("/api/preview", params={"t": t}).status_code == 200
            r = c.post("/api/instruct", json={"text": "make the background blue"})
            assert r.status_code == 200 and r.json()["changed"], r.json()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            pytest.fail("the server ignored SIGTERM")
