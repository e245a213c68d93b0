"""The defects the adversarial sweep found (docs/TRUST_SWEEP.md), each fixed once and kept fixed.

A read-only output folder is refused before any work (a live recording no longer runs to the end
and crashes), no atomic writer puts a file in ``/dev`` or onto a device (a chat preview with
``--out /dev`` did), ``/voice PATH`` typed in chat stays inside the allowed folders, a preview
past the end names the time as typed and gets its refined frame, the editor's WebSocket ignores
binary or malformed messages, its ``out/`` and ``uploads/`` never lead outside the working
folder, ``BACKDROP_LLM_TIMEOUT`` of ``abc`` / ``inf`` is a warning not a crash, a closed stdin
ends ``chat`` and ``live`` cleanly, a stream that sends nothing says so in words.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from backdrop.agent import llm
from backdrop.agent.chat import Chat
from backdrop.agent.cli import _failed_output, _stdin_lines
from backdrop.agent.session import Session
from backdrop.agent.web.server import create_app
from backdrop.perception.core.media import MediaError, probe
from backdrop.render import files
from backdrop.render.files import PathError, check_output, contain, refuse_system_or_special
from backdrop.render.preview import write_png
from backdrop.render.refine import write_refined_png

from .faults.helpers import blue_plan, cli, one_line_error, remount_readonly, tmpfs

LOCAL = "http://127.0.0.1"


# -- outputs --------------------------------------------------------------------------------------
def test_an_unwritable_folder_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode)
    )
    for out in (folder / "o.mp4", folder / "new" / "deeper" / "o.mp4"):
        with pytest.raises(PathError, match="not writable"):
            check_output(out)
    with pytest.raises(PathError, match="not writable"):
        check_output(folder / "frames", folder=True)
    assert check_output(tmp_path / "o.mp4") == tmp_path / "o.mp4"  # its parent is writable


def test_read_only_disk_is_refused_before_rendering_or_recording(
    make_video, tmp_path: Path
) -> None:
    clip = make_video("c.mp4", width=64, height=48, frames=6, audio=False)
    plan = blue_plan(tmp_path / "p.json")
    with tmpfs(tmp_path / "ro", "1m") as ro:
        remount_readonly(ro)
        # the plan used to be written only after the whole render, then fail
        msg = one_line_error(*cli("render", clip, plan, "-o", tmp_path / "o.mp4", "--alpha",
                                  ro / "frames")[::2])  # fmt: skip
        assert "read-only" in msg and "frames" in msg
        assert not (tmp_path / "o.mp4").exists()  # refused before the render started
        # a live recording used to run to the end and then crash with a traceback
        code, _, err = cli("live", "--source", clip, "--realtime", "--record", ro / "r.mp4")
        assert "read-only" in one_line_error(code, err)


def test_plan_export_never_replaces_the_video_or_the_plan(make_video, tmp_path: Path) -> None:
    clip = make_video("c.mp4", width=64, height=48, frames=4, audio=False)
    link = tmp_path / "same.mp4"
    os.link(clip, link)
    plan = blue_plan(tmp_path / "p.json")
    before = clip.read_bytes(), plan.read_bytes()
    for target in (clip, link, plan, tmp_path / "x" / ".." / "c.mp4"):  # it used to write them
        msg = one_line_error(*cli("plan", "export", plan, clip, "--otio", target)[::2])
        assert "is the input" in msg, msg
    assert (clip.read_bytes(), plan.read_bytes()) == before
    assert cli("plan", "export", plan, clip, "--otio", tmp_path / "t.otio")[0] == 0


def test_an_os_error_names_the_output_it_was_about() -> None:
    out, alpha = Path("o.mp4"), Path("frames")
    on_alpha = OSError(28, "No space left on device", "/x/.frames.partial-1-0123abcd/f_1.png")
    assert _failed_output(on_alpha, out, alpha) == "frames"
    on_video = OSError(28, "No space left on device", "/x/.o.partial-1-0123abcd.mp4")
    assert _failed_output(on_video, out, alpha) == "o.mp4"
    assert _failed_output(OSError(28, "full"), out, alpha) == "o.mp4"
    assert _failed_output(OSError(28, "full"), None, alpha) == "frames"


@pytest.fixture
def system_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for ``/dev``: the tests never write, or try to write, in the real one (as root
    a regressed writer would replace ``/dev/null`` itself)."""
    sys_dir = tmp_path / "dev"
    sys_dir.mkdir()
    monkeypatch.setattr(files, "SYSTEM_FOLDERS", (sys_dir,))
    return sys_dir


def test_no_atomic_writer_lands_on_a_special_file_or_in_a_system_folder(
    tmp_path: Path, system_folder: Path
) -> None:
    rgb = np.zeros((4, 4, 3), np.uint8)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(PathError, match="device or special file"):
        write_png(rgb, fifo)
    assert fifo.is_fifo()
    with pytest.raises(PathError, match="devices and kernel files"):
        write_png(rgb, system_folder / "x.png")
    assert list(system_folder.iterdir()) == []
    with pytest.raises(PathError, match="devices and kernel files"):
        refuse_system_or_special(tmp_path / "x" / ".." / "dev" / "b.png")  # a check only
    assert refuse_system_or_special(tmp_path / "b.png") == tmp_path / "b.png"


def test_a_refusal_names_each_allowed_folder_once(tmp_path: Path) -> None:
    with pytest.raises(PathError) as e:
        contain("../../x.json", [tmp_path, tmp_path, tmp_path / "."], base=tmp_path)
    assert str(e.value).count(str(tmp_path)) == 1


# -- chat -----------------------------------------------------------------------------------------
@pytest.fixture
def chat_lines(
    make_video, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system_folder: Path
) -> Iterator[Chat]:
    clip = make_video("c.mp4", width=64, height=48, frames=8, audio=False)
    monkeypatch.chdir(tmp_path)
    session = Session(clip, analyzers=lambda info: [], llm=False).start()
    lines: list[str] = []
    chat = Chat(session, lines.append, system_folder / "out")
    chat.lines = lines  # type: ignore[attr-defined]
    try:
        yield chat
    finally:
        session.close()


def test_chat_commands_never_write_into_dev_nor_read_outside(chat_lines: Chat) -> None:
    chat_lines.handle("/preview 0")  # --out /dev: the preview used to land in /dev
    chat_lines.handle("/voice /etc/passwd")  # used to be read (and decoded) from anywhere
    chat_lines.handle("/voice ../../../x.wav")
    said = chat_lines.lines  # type: ignore[attr-defined]
    errors = [line for line in said if line.startswith("backdrop (error)")]
    assert len(errors) == 3, said
    assert "devices and kernel files" in errors[0]
    assert "outside the allowed folder" in errors[1] and "outside" in errors[2]


def test_a_refined_preview_past_the_end_is_the_last_frame(make_video, tmp_path: Path) -> None:
    clip = make_video("c.mp4", width=64, height=48, frames=8, audio=False)
    plan = blue_plan(tmp_path / "p.json")
    from backdrop.render.plan import EditPlan

    end = probe(clip).duration  # no frame starts at the end: it used to be "no frame at …"
    out = write_refined_png(clip, EditPlan.load(plan), end, tmp_path / "r.png")
    assert out.is_file()


def test_chat_render_of_a_file_that_breaks_off_says_so(
    make_video, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .faults.test_media_faults import _faststart_cut

    cut = _faststart_cut(
        make_video("src.mp4", width=320, height=240, frames=48), tmp_path / "c.mp4"
    )
    monkeypatch.chdir(tmp_path)
    session = Session(cut, analyzers=lambda info: [], llm=False).start()
    lines: list[str] = []
    try:
        Chat(session, lines.append, tmp_path / "out").handle("/render o.mp4")
    finally:
        session.close()
    assert any(line.startswith("backdrop: wrote") for line in lines), lines
    assert "stops decoding" in lines[-1] and "missing" in lines[-1], lines  # the CLI said it


def test_chat_script_that_is_not_text_is_one_line(make_video, tmp_path: Path) -> None:
    clip = make_video("c.mp4", width=64, height=48, frames=4, audio=False)
    script = tmp_path / "s.txt"
    script.write_bytes(b"\xbc\xff\x00 not utf-8")
    assert "not a readable text file" in one_line_error(*cli("chat", clip, "--script", script)[::2])


def test_no_stdin_at_all_is_no_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert _stdin_lines() is None


@pytest.mark.slow
@pytest.mark.cli
@pytest.mark.parametrize("command", ["chat", "live"])
def test_closed_stdin_ends_cleanly(command: str, make_video, tmp_path: Path) -> None:
    clip = make_video("c.mp4", width=64, height=48, frames=6, audio=False)
    args = ["chat", clip] if command == "chat" else ["live", "--source", clip, "--realtime"]
    r = subprocess.run(
        [sys.executable, "-m", "backdrop.agent.cli", *map(str, args)],
        capture_output=True, text=True, cwd=tmp_path, timeout=240,
        preexec_fn=lambda: os.close(0),  # fd 0 not open at all: sys.stdin is None
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr


# -- web ------------------------------------------------------------------------------------------
def _factory(p: Path) -> Session:
    return Session(p, analyzers=lambda info: [], llm=False)


def test_editor_socket_ignores_binary_and_junk(tmp_path: Path) -> None:
    app = create_app(tmp_path, session_factory=_factory)
    with TestClient(app, base_url=LOCAL) as client:
        ws = "ws://127.0.0.1/ws"
        with client.websocket_connect(ws) as a, client.websocket_connect(ws) as b:
            a.send_bytes(b"\x00\xff binary")  # used to raise KeyError('text') in the server
            a.send_text("{{{ not json")
            b.send_text("")
            assert client.get("/api/files").status_code == 200


def test_editor_folders_that_lead_outside_are_refused(make_video, tmp_path: Path) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    data = make_video("v.mp4", width=64, height=48, frames=4, audio=False).read_bytes()
    (work / "v.mp4").write_bytes(data)
    (work / "uploads").symlink_to(outside)
    (work / "out").symlink_to(outside)
    app = create_app(work, session_factory=_factory)
    with TestClient(app, base_url=LOCAL) as client:
        r = client.post("/api/upload", params={"name": "u.mp4", "open": "false"}, content=data)
        assert r.status_code == 403 and "working folder" in r.json()["detail"]
        assert client.post("/api/open", json={"path": "v.mp4"}).status_code == 200
        assert client.post("/api/render").status_code == 403
        assert client.get("/api/plan").status_code == 403
    assert list(outside.iterdir()) == []


def test_a_port_in_use_is_one_line_before_any_banner(make_video, tmp_path: Path) -> None:
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    port = held.getsockname()[1]
    try:
        code, out, err = cli("serve", "--port", port, "--workdir", tmp_path)
        assert "address already in use" in one_line_error(code, err)
        assert "editor on" not in out  # it used to announce the URL, then fail in uvicorn
        clip = make_video("c.mp4", width=64, height=48, frames=4, audio=False)
        code, _, err = cli("live", "--source", clip, "--realtime", "--web", port)
        assert "cannot serve the live page" in one_line_error(code, err)  # not "cannot write"
    finally:
        held.close()


# -- hangs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["abc", "inf", "-inf", "nan", "0", "-1", ""])
def test_a_bad_llm_timeout_is_the_default(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKDROP_LLM_TIMEOUT", value)
    assert llm.timeout_from_env() == llm.DEFAULT_TIMEOUT_S


def test_llm_timeout_is_taken_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKDROP_LLM_TIMEOUT", "3.5")
    assert llm.timeout_from_env() == 3.5
    monkeypatch.setenv("BACKDROP_LLM_TIMEOUT", "1e9")
    assert llm.timeout_from_env() == llm.MAX_TIMEOUT_S
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BACKDROP_LLM_MODEL", "m")
    monkeypatch.setenv("BACKDROP_LLM_TIMEOUT", "abc")  # used to crash the session at start
    config = llm.LLMConfig.from_env()
    assert config is not None and config.timeout == llm.DEFAULT_TIMEOUT_S


def test_an_abandoned_prefetch_stops_when_told(tmp_path: Path) -> None:
    """A render that fails (a full disk under ``--alpha``) leaves its decode thread's queue full;
    the thread used to wait in ``put`` until the 20 s exit grace ran out, then be named in a
    warning. Told to stop, it now ends at once."""
    from backdrop.perception.core import workers
    from backdrop.render.pipeline import _prefetch

    handed = threading.Event()

    def source() -> Iterator[int]:
        for i in range(1000):
            if i == 2:  # 1 waits in the queue (size 1); 2 will wait to be put
                handed.set()
            yield i

    frames = _prefetch(source(), maxsize=1, name="trust-sweep-decode")
    assert next(frames) == 0  # the consumer goes away here, the generator is kept (a traceback)
    assert handed.wait(10)
    threading.Event().wait(0.3)  # let it block in put (a shorter wait only makes this test lax)
    (th,) = [t for t in workers.alive() if t.name == "trust-sweep-decode"]
    workers._tracked[th]()  # what join_at_exit does: tell it to stop
    th.join(5)
    assert not th.is_alive()
    del frames


def test_a_failed_render_ends_its_decode_thread_at_once(make_video, tmp_path: Path) -> None:
    """While the failure's traceback is still held (a session reporting it, pytest here), the
    decode thread used to stay blocked on its full queue until process exit."""
    from backdrop.perception.core import workers
    from backdrop.render.pipeline import render_video
    from backdrop.render.plan import EditPlan

    clip = make_video("c.mp4", width=160, height=96, frames=150, audio=False)

    def progress(done: int, total: int, elapsed: float) -> None:
        if done == 3:
            raise RuntimeError("the disk filled")

    plan = EditPlan.load(blue_plan(tmp_path / "p.json"))
    with pytest.raises(RuntimeError) as failed:
        render_video(clip, plan, tmp_path / "o.mp4", progress=progress)
    ended = threading.Event()
    for _ in range(200):  # a tolerance for a loaded machine, not a timing
        if not any(t.name == "decode" for t in workers.alive()):
            ended.set()
            break
        ended.wait(0.05)
    assert ended.is_set(), [t.name for t in workers.alive()]
    assert failed.value is not None and not (tmp_path / "o.mp4").exists()


def test_a_stream_that_sends_nothing_says_so(tmp_path: Path) -> None:
    from backdrop.perception.core.live import AvSource

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])  # accepted, never answered
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/v.mp4"
    try:
        with pytest.raises(MediaError, match="no data came for 1 s"):
            AvSource(url, open_timeout=1.0)
    finally:
        server.close()
        for c in held:
            c.close()
