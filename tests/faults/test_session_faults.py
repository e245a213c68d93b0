"""A worker's failure reaches the session as an error reply; the session thread survives."""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.agent.session import ErrorMessage, Message, Session

from .helpers import write_png


@pytest.fixture
def session(make_video, tmp_path: Path):
    video = make_video("v.mp4", width=96, height=64, frames=10)
    s = Session(video, analyzers=lambda info: [], llm=False)
    s.ctx.allowed = (tmp_path,)
    messages: list[Message] = []
    s.add_listener(messages.append)
    s.start()
    assert s.wait(60)
    yield s, messages
    s.close()


def test_a_background_file_that_is_not_an_image_gets_a_reply(session, tmp_path: Path) -> None:
    s, _ = session
    (tmp_path / "corrupt.jpg").write_bytes(b"this is not a picture" * 50)
    reply = s.submit("replace the background with corrupt.jpg").result(30)
    assert not reply.changed and "not a readable image" in reply.text
    assert s.submit("make the background blue").result(30).changed  # still alive


def test_a_25000_squared_png_is_refused_by_its_header(session, tmp_path: Path) -> None:
    s, _ = session
    big = tmp_path / "huge.png"
    _huge_png_header(big, 25_000, 25_000)
    reply = s.submit("replace the background with huge.png").result(30)
    assert not reply.changed and "too large" in reply.text, reply.text


def test_a_preview_failing_after_the_reply_does_not_kill_the_session(
    session, tmp_path: Path
) -> None:
    """Was: ``InvalidStateError`` (a future resolved twice) killed the session thread, so every
    later instruction and preview waited for ever."""
    s, messages = session
    img = write_png(tmp_path / "bg.png")
    assert s.submit("replace the background with bg.png").result(30).changed
    img.write_bytes(b"broken now")  # the file goes bad behind the session's back
    reply = s.submit("make it subtle").result(30)  # new plan → new compositor → load fails
    assert reply.text
    s.call(lambda: None).result(30)  # the preview after the reply has been tried by now
    assert any(isinstance(m, ErrorMessage) and "preview failed" in m.text for m in messages)
    assert s._thread is not None and s._thread.is_alive()
    assert s.submit("make the background blue").result(30).changed
    assert s.preview(0.1).shape[2] == 3


def _huge_png_header(path: Path, w: int, h: int) -> None:
    """A tiny PNG file that declares ``w×h`` pixels (its data is a single empty IDAT)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b""))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b""))


def test_chat_with_a_corrupt_background_answers_and_exits(make_video, tmp_path: Path) -> None:
    """Was: the session thread died and ``chat`` never exited."""
    import subprocess
    import sys

    video = make_video("v.mp4", width=64, height=48, frames=5, audio=False)
    (tmp_path / "corrupt.jpg").write_bytes(b"not a jpeg" * 100)
    script = tmp_path / "lines.txt"
    script.write_text("replace the background with corrupt.jpg\nmake the background blue\n")
    r = subprocess.run(
        [sys.executable, "-m", "backdrop.agent.cli", "chat", str(video), "--script", str(script),
         "--rules", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "not a readable image" in r.stdout and "Traceback" not in r.stderr
