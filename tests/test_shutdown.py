"""Orderly exit: no worker thread is left inside native code when the interpreter finalizes.

A daemon thread still running a LiteRT model, a PyAV decode or an x264 encode when Python
tears the modules down can end the process with a segfault (rc 139) or ``terminate called
without an active exception``. Workers are tracked (``perception.core.workers``), stopped and
joined by their owners, and waited for (with a bound) at exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from backdrop.perception.core.media import iter_frames
from tests.conftest import ROOT, write_video

REPORT = textwrap.dedent(
    """
    import atexit, runpy, sys

    def report():  # registered first, so it runs last: after the workers' own exit wait
        from backdrop.perception.core import workers
        left = ",".join(sorted(th.name for th in workers.alive())) or "none"
        print(f"workers alive at exit: {left}", file=sys.stderr, flush=True)

    atexit.register(report)
    from backdrop.perception.core import workers  # its exit wait is registered now

    def before():  # registered after it, so it runs first: what the owners left running
        left = ",".join(sorted(th.name for th in workers.alive())) or "none"
        print(f"workers running when main returned: {left}", file=sys.stderr, flush=True)

    atexit.register(before)
    sys.argv = ["backdrop", *sys.argv[1:]]
    runpy.run_module("backdrop.agent.cli", run_name="__main__")
    """
)
"""Runs the ``backdrop`` CLI and says which tracked workers were still running when it returned
(a measurement, not asserted) and, at the very end, which are still alive."""


def _run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-c", REPORT, *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env},
                          stdin=subprocess.DEVNULL)  # fmt: skip


def _clean(done: subprocess.CompletedProcess[str], what: str) -> None:
    tail = done.stderr[-1500:]
    assert done.returncode == 0, f"{what}: rc {done.returncode}\n{tail}"
    assert "terminate called" not in done.stderr, f"{what}\n{tail}"
    assert "workers alive at exit: none" in done.stderr, f"{what}\n{tail}"


def test_a_busy_worker_is_waited_for_before_the_interpreter_finalizes(tmp_path: Path) -> None:
    """A tracked worker still busy when the main thread returns is told to stop and finishes
    its unit of work before finalization (it prints last); nothing is said about it."""
    code = textwrap.dedent(
        """
        import sys, threading, time
        from backdrop.perception.core import workers

        stop = threading.Event()

        def work():
            while not stop.is_set():
                time.sleep(0.3)  # a frame's worth of native work
            print("worker ended", flush=True)

        workers.start(work, "busy", stop=stop.set)
        print("main returns", flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["main", "returns", "worker", "ended"]
    assert "still running" not in done.stderr


@pytest.mark.slow
@pytest.mark.cli
def test_edit_and_live_end_cleanly_while_another_process_keeps_a_core_busy(
    sample: Path, tmp_path: Path
) -> None:
    """5 × (``backdrop edit`` of a 2 s clip, then ``backdrop live --source FILE --realtime``
    for 2 s, recording): rc 0, no ``terminate called``, no tracked worker alive at the end."""
    frames = [f for t, f in iter_frames(sample, size=(640, 360)) if t < 2.0]
    clip = write_video(tmp_path / "clip.mp4", 640, 360, 24.0, len(frames),
                       frame_fn=lambda i, w, h: frames[i])  # fmt: skip
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        for i in range(5):
            out = tmp_path / f"edit{i}.mp4"
            done = _run(["edit", str(clip), "make the background blue", "-o", str(out)])
            _clean(done, f"edit run {i}")
            assert out.exists()
            rec = tmp_path / f"live{i}.mp4"
            live = ["live", "--source", str(clip), "--realtime", "--loop", "--duration", "2",
                    "--record", str(rec), "--say", "make the background blue"]  # fmt: skip
            done = _run(live)
            _clean(done, f"live run {i}")
            assert rec.exists()
    finally:
        spin.kill()
        spin.wait()


@pytest.mark.slow
def test_a_live_runner_its_owner_never_stopped_ends_at_exit(sample: Path) -> None:
    """The script returns while the live loop, capture, session and analysis threads run: at
    exit each is told to stop and ends; none is left for finalization (none named)."""
    code = textwrap.dedent(
        f"""
        import logging, sys, time
        logging.basicConfig(level=logging.WARNING)
        from backdrop.agent.live import LiveRunner
        from backdrop.perception.core import workers
        from backdrop.perception.core.live import open_source

        src = open_source({str(sample)!r}, realtime=True, loop=True, size=(320, 180))
        runner = LiveRunner(src, say=lambda _: None, llm=False).start()
        while runner.stats.delivered < 5:
            time.sleep(0.1)
        names = sorted({{th.name for th in workers.alive()}})
        print("running:", ",".join(names), flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    assert {"live", "capture", "session", "analysis"} <= set(
        done.stdout.split("running:")[1].strip().split(",")
    )
    assert "still running at exit" not in done.stderr, done.stderr[-1500:]
    assert "terminate called" not in done.stderr
