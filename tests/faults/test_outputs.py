"""Never destroy what the person did not ask to replace; every output failure is one line.

Each case runs the real command (in-process) on a real small video and checks both the message
and that nothing else changed: the input, a previous output, a folder, a device.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from backdrop.perception.core.media import probe
from backdrop.render.atomic import atomic_path
from backdrop.render.files import (
    FRAMES_MARKER,
    PathError,
    check_output,
    clean_stale_partials,
    partial_sibling,
)
from backdrop.render.plan import EditPlan
from backdrop.render.writer import PngSequenceWriter, RenderError

from .helpers import blue_plan, cli, one_line_error, partials, remount_readonly, tmpfs


@pytest.fixture
def clip(make_video) -> Path:
    return make_video("clip.mp4", width=64, height=48, frames=6)


def test_output_equal_to_the_input_is_refused(clip: Path, tmp_path: Path) -> None:
    before = clip.read_bytes()
    plan = blue_plan(tmp_path / "plan.json")
    msg = one_line_error(*cli("render", clip, plan, "-o", clip)[::2])
    assert "is the input" in msg and clip.read_bytes() == before
    msg = one_line_error(*cli("edit", clip, "make the background blue", "-o", clip)[::2])
    assert "is the input" in msg and clip.read_bytes() == before


def test_output_hard_linked_to_the_input_is_refused(clip: Path, tmp_path: Path) -> None:
    link = tmp_path / "same.mp4"
    os.link(clip, link)
    before = clip.read_bytes()
    msg = one_line_error(*cli("render", clip, blue_plan(tmp_path / "p.json"), "-o", link)[::2])
    assert "is the input" in msg and clip.read_bytes() == before


def test_plan_out_equal_to_output_is_refused(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    code, _, err = cli("edit", clip, "make the background blue", "-o", out, "--plan-out", out)
    assert "two different outputs" in one_line_error(code, err) and not out.exists()


def test_special_file_output_is_refused(clip: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    msg = one_line_error(*cli("render", clip, blue_plan(tmp_path / "p.json"), "-o", fifo)[::2])
    assert "special file" in msg and fifo.is_fifo()
    # /dev/null is checked without writing anything (as root it would be replaced)
    with pytest.raises(PathError, match="special file"):
        check_output("/dev/null", [clip])


def test_output_naming_an_existing_folder_is_refused(clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "renders"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    msg = one_line_error(*cli("render", clip, blue_plan(tmp_path / "p.json"), "-o", folder)[::2])
    assert "is a folder" in msg
    assert (folder / "keep.txt").read_text() == "mine" and not partials(tmp_path)


def test_alpha_into_a_foreign_folder_never_deletes_it(clip: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    plan = blue_plan(tmp_path / "p.json")
    for extra in ((), ("--force",)):
        msg = one_line_error(*cli("render", clip, plan, "--alpha", precious, *extra)[::2])
        assert "not written by Backdrop" in msg
        assert (precious / "thesis.txt").read_text() == "years of work"
    # `--alpha .` (the working folder) likewise
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        msg = one_line_error(*cli("render", clip, plan, "--alpha", ".")[::2])
    finally:
        os.chdir(cwd)
    assert "not written by Backdrop" in msg and (precious / "thesis.txt").exists()
    # the writer itself refuses too (defence in depth), even with replace=True
    with pytest.raises(RenderError, match="not written by Backdrop"):
        PngSequenceWriter(precious, replace=True)
    assert not partials(tmp_path)


def test_alpha_frames_folder_written_by_backdrop_needs_force(clip: Path, tmp_path: Path) -> None:
    plan = blue_plan(tmp_path / "p.json")
    frames = tmp_path / "frames"
    code, out, err = cli("render", clip, plan, "--alpha", frames)
    assert code == 0, err
    assert (frames / FRAMES_MARKER).is_file() and len(list(frames.glob("*.png"))) == 6
    msg = one_line_error(*cli("render", clip, plan, "--alpha", frames)[::2])
    assert "--force" in msg
    code, _, err = cli("render", clip, plan, "--alpha", frames, "--force")
    assert code == 0, err
    assert len(list(frames.glob("*.png"))) == 6 and not partials(tmp_path)


def test_atomic_path_never_replaces_a_foreign_folder(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "a.txt").write_text("a")
    with pytest.raises(PathError), atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "b.txt").write_text("b")
    assert (target / "a.txt").read_text() == "a" and not partials(tmp_path)


def test_stale_partials_of_killed_runs_are_cleaned_and_said(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    dead = out.with_name(".o.partial-999999999-0123abcd.mp4")  # no such process
    dead.write_bytes(b"half a video")
    mine = partial_sibling(out)  # this process: still running, must be kept
    mine.write_bytes(b"being written")
    code, stdout, err = cli("render", clip, blue_plan(tmp_path / "p.json"), "-o", out)
    assert code == 0, err
    assert "removed 1 partial file" in err and dead.name in err
    assert not dead.exists() and mine.exists() and probe(out).width == 64
    assert clean_stale_partials(tmp_path) == []


def test_previous_output_is_kept_when_a_render_fails(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    out.write_bytes(b"the previous good output")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 2, "backgrounds": [{"background": '
                   '{"type": "image", "path": "missing.png"}}]}')  # fmt: skip
    msg = one_line_error(*cli("render", clip, bad, "-o", out)[::2])
    assert "missing.png" in msg
    assert out.read_bytes() == b"the previous good output" and not partials(tmp_path)


def test_output_under_a_file_is_one_line(clip: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    msg = one_line_error(*cli("render", clip, blue_plan(tmp_path / "p.json"), "-o",
                              blocker / "o.mp4")[::2])  # fmt: skip
    assert "is a file" in msg and blocker.read_text() == "x"


def test_read_only_output_folder_is_one_line(clip: Path, tmp_path: Path) -> None:
    plan = blue_plan(tmp_path / "p.json")
    with tmpfs(tmp_path / "ro", "4m") as ro:
        good = ro / "o.mp4"
        assert cli("render", clip, plan, "-o", good)[0] == 0
        before = good.read_bytes()
        remount_readonly(ro)
        for args in (("-o", good), ("-o", ro / "new.mp4"), ("--alpha", ro / "a.webm"),
                     ("--alpha", ro / "frames")):  # fmt: skip
            msg = one_line_error(*cli("render", clip, plan, *args)[::2])
            assert "read-only" in msg or "cannot" in msg, msg
        assert good.read_bytes() == before and not partials(ro)
        code, _, err = cli("edit", clip, "make the background blue", "--dry-run",
                           "--plan-out", ro / "p.json")  # fmt: skip
        assert "read-only" in one_line_error(code, err)


def test_disk_full_is_one_line_and_keeps_the_previous_output(make_video, tmp_path: Path) -> None:
    big = make_video("big.mp4", width=640, height=480, frames=60, audio=False,
                     frame_fn=_noise)  # fmt: skip
    plan = tmp_path / "p.json"
    EditPlan().save(plan)  # the frames pass through: noise does not compress
    with tmpfs(tmp_path / "full", "256k") as full:
        out = full / "o.mp4"
        out.write_bytes(b"previous")
        for args in (("-o", out), ("--alpha", full / "frames"), ("--alpha", full / "a.webm")):
            msg = one_line_error(*cli("render", big, plan, *args)[::2])
            assert "no space left" in msg, msg
        assert out.read_bytes() == b"previous" and not partials(full)
        assert sorted(p.name for p in full.iterdir()) == ["o.mp4"]


def _noise(i: int, w: int, h: int):
    import numpy as np

    return np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_folder_output_check_units(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_output(empty, folder=True) == empty
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(PathError, match="is a file"):
        check_output(f, folder=True)
    shutil.rmtree(empty)


def test_renders_outside_the_cli_clean_stale_partials_too(clip: Path, tmp_path: Path) -> None:
    """The web editor's and the tools' renders go through render_video: a SIGKILLed server's
    leftover in out/ is removed by the next render there."""
    from backdrop.render.pipeline import render_video

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dead = out_dir / ".v-edited.partial-999999999-0123abcd.mp4"
    dead.write_bytes(b"half")
    render_video(clip, EditPlan(), out_dir / "v-edited.mp4")
    assert not dead.exists() and (out_dir / "v-edited.mp4").is_file()


def test_an_output_through_a_new_folder_and_back_is_checked_where_it_lands(
    clip: Path, tmp_path: Path
) -> None:
    """``new/../clip.mp4`` cannot be stat'ed before ``new`` exists, but after the writer makes
    ``new`` it names the input: it used to replace the input."""
    before = clip.read_bytes()
    sneaky = clip.parent / "new" / ".." / clip.name
    msg = one_line_error(*cli("edit", clip, "make the background blue", "-o", sneaky)[::2])
    assert "is the input" in msg and clip.read_bytes() == before
    assert not (clip.parent / "new").exists()
    # the same way into /dev: checked without writing anything (as root it would be replaced)
    to_null = tmp_path / "new" / os.path.relpath("/dev/null", tmp_path / "new")
    with pytest.raises(PathError, match="special file"):
        check_output(to_null, [clip])


def test_no_output_is_made_in_device_or_kernel_folders(clip: Path, tmp_path: Path) -> None:
    """A new file in /dev (``--plan-out /dev/sda`` on a machine without that disk) or a kernel
    setting in /sys is refused before anything is written; /dev/shm is a plain folder."""
    for bad in ("/dev/backdrop-test-output.json", "/sys/kernel/backdrop-test", "/proc/backdrop"):
        with pytest.raises(PathError, match="devices and kernel files"):
            check_output(bad, [clip])
        assert not Path(bad).exists()
    code, _, err = cli("edit", clip, "make the background blue", "--dry-run",
                       "--plan-out", "/dev/backdrop-test-plan.json")  # fmt: skip
    assert "devices and kernel files" in one_line_error(code, err)
    assert not Path("/dev/backdrop-test-plan.json").exists()
    if Path("/dev/shm").is_dir():
        assert check_output("/dev/shm/backdrop-test.mp4", [clip]) == Path(
            "/dev/shm/backdrop-test.mp4"
        )


def test_an_output_format_that_is_not_written_is_refused_before_any_work(clip: Path) -> None:
    code, out, err = cli("edit", clip, "make the background blue", "-o", clip.with_suffix(".webm"))
    assert "can't write .webm video" in one_line_error(code, err) and code == 2
    assert "Understood" not in out + err and not clip.with_suffix(".webm").exists()
