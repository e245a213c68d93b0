"""``/export`` and ``/render`` typed in ``backdrop chat`` (and ``backdrop live``): the path
stays inside the current folder, the video's folder or the out folder, never replaces the input,
and a plan is never written under a video's name.

Before this, ``/export a.mp4`` wrote the plan's JSON over the input video ``a.mp4`` and
``/export ../../etc/x.mp4`` wrote outside every folder the person named."""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.agent.chat import Chat
from backdrop.agent.session import Session
from backdrop.render.plan import EditPlan


@pytest.fixture
def talk(make_video, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    work = tmp_path / "work"
    work.mkdir()
    video = work / "a.mp4"
    video.write_bytes(make_video("a.mp4", width=64, height=48, frames=6, audio=False).read_bytes())
    monkeypatch.chdir(work)
    lines: list[str] = []
    session = Session(video, analyzers=lambda info: [], llm=False)
    chat = Chat(session, lines.append, work / "out")
    yield chat, lines, video
    session.close()


def _last(lines: list[str]) -> str:
    return lines[-1]


def test_export_never_replaces_the_input_video(talk) -> None:
    chat, lines, video = talk
    before = video.read_bytes()
    chat.handle("make the background blue")
    for cmd in ("/export a.mp4", "/render a.mp4", "/export ./a.mp4", "/export out/../a.mp4"):
        chat.handle(cmd)
        assert "error" in _last(lines) and "input" in _last(lines), (cmd, lines[-2:])
    assert video.read_bytes() == before


def test_outputs_outside_the_allowed_folders_are_refused(talk, tmp_path: Path) -> None:
    chat, lines, _ = talk
    for cmd in ("/export ../../x.json", f"/export {tmp_path / 'x.json'}", "/render /dev/null",
                "/export /etc/backdrop-test.json"):  # fmt: skip
        chat.handle(cmd)
        assert "outside the allowed folder" in _last(lines), (cmd, _last(lines))
    assert not (tmp_path / "x.json").exists() and not Path("/etc/backdrop-test.json").exists()


def test_a_plan_is_not_written_under_another_kind_of_name(talk) -> None:
    chat, lines, _ = talk
    chat.handle("/export notes.txt")
    assert "error" in _last(lines) and ".json" in _last(lines)
    assert not Path("notes.txt").exists()


def test_plans_go_where_asked_inside_the_folders(talk) -> None:
    chat, lines, _ = talk
    chat.handle("make the background blue")
    chat.handle("/export mine.json")
    assert "plan written to" in _last(lines)
    assert EditPlan.load("mine.json").backgrounds[0].background.type == "color"
    chat.handle("/export")  # the default: the out folder
    assert Path("out/plan.json").is_file()


def test_preview_times_are_checked(talk) -> None:
    chat, lines, _ = talk
    for bad in ("abc", "-5", "1:2:3:4", "nan"):
        chat.handle(f"/preview {bad}")
        assert "is not a time" in _last(lines), (bad, _last(lines))
    chat.handle("/preview 99")
    assert "past the end" in _last(lines) and "preview of 0:00" in _last(lines)
    assert not list(Path("out").glob("preview--*"))


def test_voice_from_a_device_says_what_it_is(talk) -> None:
    import os

    chat, lines, _ = talk
    chat.handle("/voice /dev/zero")  # a typed path, like any instruction's: contained
    assert "outside the allowed folder" in _last(lines), _last(lines)
    os.mkfifo("mic.wav")
    chat.handle("/voice mic.wav")
    assert "not a regular file" in _last(lines), _last(lines)
    chat.handle("/voice nothere.wav")
    assert "no such file" in _last(lines), _last(lines)


def test_a_fifo_as_a_background_image_is_named_as_such(tmp_path: Path) -> None:
    import os

    from backdrop.render.backgrounds import check_image
    from backdrop.render.writer import RenderError

    fifo = tmp_path / "bg.png"
    os.mkfifo(fifo)
    with pytest.raises(RenderError, match="not a regular file"):
        check_image(fifo)


def test_the_video_deleted_during_a_chat_gives_one_line(talk) -> None:
    """The input removed while the chat runs: /render and /preview answer one line each and
    the conversation goes on (before, a MediaError from /render ended ``backdrop chat`` with
    a traceback)."""
    chat, lines, video = talk
    chat.handle("make the background blue")
    video.unlink()
    assert chat.handle("/render gone.mp4") is True
    assert "error" in _last(lines) and "no such file" in _last(lines), lines[-2:]
    assert not Path("gone.mp4").exists()
    assert chat.handle("/plan") is True
