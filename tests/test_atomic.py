"""The one atomic writer (perception.core.atomic): complete outputs or none, never a half file."""

from __future__ import annotations

from pathlib import Path

import pytest

from backdrop.perception.core.atomic import Partial, atomic_file, clean_stale_partials


def test_atomic_file_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as f:
        f.write(b"half of the new")
        raise RuntimeError("the download broke")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]
    with atomic_file(target) as f:
        f.write(b"new")
        assert target.read_bytes() == b"old"  # not visible until the block ends
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_partial_commits_under_a_name_chosen_at_the_end(tmp_path: Path) -> None:
    out = Partial(tmp_path / "clip.mp4")
    assert out.tmp.parent == tmp_path and out.tmp.suffix == ".mp4" and out.tmp.name[0] == "."
    out.tmp.write_bytes(b"video")
    assert clean_stale_partials(tmp_path) == []  # this process is alive: its partial is kept
    final = out.commit(tmp_path / "clip-1.mp4")
    assert final == tmp_path / "clip-1.mp4" and final.read_bytes() == b"video"
    assert not out.tmp.exists()
    out.discard()  # after a commit: nothing to remove, the output stays
    assert final.exists()


def test_a_failed_rename_leaves_no_partial(tmp_path: Path) -> None:
    out = Partial(tmp_path / "frames")
    out.tmp.mkdir()
    (out.tmp / "frame_000000.png").write_bytes(b"png")

    def refuse(tmp: Path, final: Path) -> None:
        raise OSError("read-only file system")

    with pytest.raises(OSError):
        out.commit(replace=refuse)
    assert list(tmp_path.iterdir()) == []
