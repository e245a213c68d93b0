"""SIGINT, SIGTERM and SIGKILL in the middle of ``backdrop edit``: the previous output survives,
no partial file is left (SIGKILL's leftover is cleaned, and said, by the next run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ctrl_c_reaches_child

from .helpers import partials


def _start(video: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "backdrop.agent.cli", "edit", str(video),
         "make the background blue", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=ctrl_c_reaches_child,
    )  # fmt: skip


def _wait_for_partial(proc: subprocess.Popen[str], folder: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if partials(folder):
            time.sleep(0.3)  # some frames in
            return
        if proc.poll() is not None:
            pytest.fail(f"finished before it could be interrupted: {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no partial output appeared")


@pytest.fixture
def long_clip(make_video) -> Path:
    return make_video("long.mp4", width=320, height=240, frames=750)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_mid_render_keeps_the_previous_output(
    long_clip: Path, tmp_path: Path, sig: int, code: int
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.mp4"
    out.write_bytes(b"previous good output")
    proc = _start(long_clip, out)
    _wait_for_partial(proc, out_dir)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    # 130/143: the CLI's own exit; -SIGINT: the interpreter re-raised Ctrl-C at exit (seen once
    # in a full suite after the handler had run; a shell reports both as 130)
    assert proc.returncode in (code, -sig if sig == signal.SIGINT else code), err
    assert "Traceback" not in err and "no partial output was kept" in err
    assert out.read_bytes() == b"previous good output"
    assert partials(out_dir) == []


def test_sigkill_leftover_is_cleaned_by_the_next_run(long_clip: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.mp4"
    proc = _start(long_clip, out)
    _wait_for_partial(proc, out_dir)
    proc.kill()
    proc.wait(30)
    left = partials(out_dir)
    assert left and not out.exists()
    from backdrop.render.files import clean_stale_partials

    assert sorted(clean_stale_partials(out_dir)) == sorted(left)
    assert partials(out_dir) == []
