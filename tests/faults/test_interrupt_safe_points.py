"""Ctrl-C during a render is raised at a safe point, never inside a queue's own code: the
render stops within a few frames, every worker ends, nothing is written."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from backdrop.perception.core import interrupt, workers
from backdrop.render.pipeline import render_video
from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan

pytestmark = [
    pytest.mark.skipif(
        threading.current_thread() is not threading.main_thread(), reason="needs the main thread"
    ),
    pytest.mark.usefixtures("python_ctrl_c"),
]


def test_a_deferred_ctrl_c_is_raised_by_check_only() -> None:
    with pytest.raises(KeyboardInterrupt), interrupt.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler has run: it only noted the signal
        assert interrupt.pending()
        interrupt.check()
        pytest.fail("check() did not raise")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert not interrupt.pending()


def test_a_ctrl_c_after_the_last_check_is_raised_on_the_way_out() -> None:
    with pytest.raises(KeyboardInterrupt), interrupt.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_check_outside_the_main_thread_leaves_the_signal_to_the_main_thread() -> None:
    with pytest.raises(KeyboardInterrupt), interrupt.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        th = threading.Thread(target=interrupt.check)
        th.start()
        th.join()
        assert interrupt.pending()
        interrupt.check()


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.4])
def test_ctrl_c_mid_render_stops_it_and_ends_every_worker(
    make_video, tmp_path: Path, delay: float
) -> None:
    """The signal comes from another thread, ``delay`` s after the 5th frame, so it lands
    wherever the main thread is then (feeding a full encoder queue, waiting for a mask...)."""
    clip = make_video(width=320, height=240, frames=300)
    plan = EditPlan(backgrounds=[BackgroundSegment(background=ColorBackground(color="#0000ff"))])
    out = tmp_path / "o.mp4"
    seen: list[int] = []
    sent: list[int] = []

    def ctrl_c() -> None:
        sent.append(len(seen))  # frames done when the signal went
        os.kill(os.getpid(), signal.SIGINT)

    def progress(done: int, total: int, elapsed: float) -> None:
        seen.append(done)
        if done == 5:
            threading.Timer(delay, ctrl_c).start()
        time.sleep(0.005)  # at least 1.5 s in all, so the signal comes mid-render anywhere

    with pytest.raises(KeyboardInterrupt):
        render_video(clip, plan, out, progress=progress)
    assert sent and max(seen) - sent[0] <= 30, "the render went on after Ctrl-C"
    # pymatting's import is warmed once per process, not per render (on a fresh install numba
    # compiles for 30 s and more); it is tracked for the interpreter's exit only
    deadline = time.monotonic() + 20
    while _render_workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _render_workers() == []
    assert not out.exists() and list(tmp_path.glob("*.tmp*")) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _render_workers() -> list[str]:
    """Names of the tracked workers still running, but the once-per-process pymatting import."""
    return [th.name for th in workers.alive() if th.name != "pymatting-import"]
