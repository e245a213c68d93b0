"""Batch with broken inputs and unwritable output folders: one line, or a per-video failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import cli, one_line_error, partials, remount_readonly, tmpfs


@pytest.fixture
def inputs(make_video, tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes(
            make_video(name, width=64, height=48, frames=4, audio=False).read_bytes()
        )
    (folder / "broken.mp4").write_bytes(b"\x00not a video" * 100)
    return folder


def _batch(*args: str | Path) -> tuple[int, str, str]:
    return cli("batch", "--say", "blur the background", "--local", *args)


def test_output_folder_equal_to_the_input_folder_is_refused(inputs: Path) -> None:
    before = {p.name: p.read_bytes() for p in inputs.iterdir()}
    msg = one_line_error(*_batch(inputs, "-o", inputs)[::2])
    assert "input folder" in msg
    assert {p.name: p.read_bytes() for p in inputs.iterdir()} == before


def test_output_folder_that_is_a_file_is_refused(inputs: Path, tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert "is a file" in one_line_error(*_batch(inputs, "-o", f)[::2])
    assert f.read_text() == "x"


def test_a_broken_input_fails_alone(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, err = _batch(inputs, "-o", out)
    assert code == 1 and "Traceback" not in err
    assert sorted(p.name for p in out.glob("*.mp4")) == ["a.mp4", "b.mp4"]
    assert not partials(out)


def test_read_only_and_full_output_folders_are_one_line(inputs: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m") as ro:
        remount_readonly(ro)
        code, _, err = _batch(inputs, "-o", ro / "out")
        assert "read-only" in one_line_error(code, err)
    with tmpfs(tmp_path / "full", "64k") as full:
        code, stdout, err = _batch(inputs, "-o", full)
        assert code != 0 and "Traceback" not in err, err
        assert not partials(full)


def test_inputs_below_the_output_folder_are_inputs(inputs: Path, tmp_path: Path) -> None:
    """``-o`` a folder above the inputs' folder: they are still inputs (only files directly in
    the output folder, earlier outputs, are left out); before, every input was dropped and the
    run ended "no videos found" after printing an empty table."""
    code, out, err = _batch(inputs / "a.mp4", "-o", tmp_path)
    assert code == 0, err
    assert (tmp_path / "a.mp4").is_file()


def test_no_videos_is_said_before_anything_is_made(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _batch(empty, "-o", tmp_path / "out")
    assert code == 2 and "no videos found" in one_line_error(code, err)
    assert not (tmp_path / "out").exists()
