"""Worker threads that must be over before the interpreter tears the models down.

Backdrop's pipeline and live workers (decode, mask, encode, capture, analysis, the live loop)
are daemon threads so that a wedged one never hangs the process. But a daemon thread still
inside native code (a LiteRT interpreter, a PyAV decode or x264 encode) when Python finalizes
can crash the process at exit (a segfault, or ``terminate called without an active
exception`` from a C++ thread pool torn down under it). So every worker is started through
:func:`start` (or registered with :func:`track`); its owner stops and joins it with a bound
(:func:`join`), and at interpreter exit — after the main thread returned, before modules and
models are torn down — the workers still running get :data:`EXIT_GRACE_S` more seconds in total
to end (:func:`join_at_exit`). One that still does not is named in one log line; the exit is
never held longer.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

EXIT_GRACE_S = 20.0
"""Seconds in total that workers still running at interpreter exit get to end."""

Stop = Callable[[], None]
_tracked: weakref.WeakKeyDictionary[threading.Thread, Stop | None] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def track(thread: threading.Thread, stop: Stop | None = None) -> threading.Thread:
    """Register ``thread`` as a worker that :func:`join_at_exit` waits for; ``stop`` (if any)
    tells it to end, called at exit when it is still running then. Returns ``thread``."""
    with _lock:
        _tracked[thread] = stop
    return thread


def start(
    target: Callable[..., Any], name: str, *args: Any, stop: Stop | None = None
) -> threading.Thread:
    """Start ``target(*args)`` in a tracked daemon thread named ``name`` (see :func:`track`)."""
    th = track(threading.Thread(target=target, args=args, name=name, daemon=True), stop)
    th.start()
    return th


def lower_priority(nice: int) -> bool:
    """Lower the calling thread's CPU priority by ``nice`` steps (up to 19). Linux only, where
    each thread has its own nice value (elsewhere the call would reach the whole process, or
    another one: nothing is done). True when done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, now + nice))
    except (AttributeError, OSError):
        return False
    return True


def alive() -> list[threading.Thread]:
    """The tracked workers still running (not the calling thread)."""
    me = threading.current_thread()
    with _lock:
        return [th for th in list(_tracked) if th.is_alive() and th is not me]


def join(threads: Iterable[threading.Thread | None], timeout: float) -> list[str]:
    """Join ``threads`` (None skipped) within ``timeout`` seconds in total; the names of those
    still running after it (empty when every one ended)."""
    deadline = time.monotonic() + timeout
    me = threading.current_thread()
    left = []
    for th in threads:
        if th is None or th is me or th.ident is None:
            continue
        th.join(max(0.0, deadline - time.monotonic()))
        if th.is_alive():
            left.append(th.name)
    return left


def join_at_exit(timeout: float = EXIT_GRACE_S) -> list[str]:
    """Wait up to ``timeout`` seconds in total for the tracked workers still running (they
    have been told to stop and are finishing a frame or a chunk); the names of those that did
    not end, also logged. Runs at interpreter exit (``atexit``), before finalization; a worker
    whose owner never stopped it is told to stop first (its ``stop``)."""
    running = alive()
    if not running:
        return []
    with _lock:
        stops = [_tracked.get(th) for th in running]
    for stop in stops:
        if stop is not None:
            try:
                stop()
            except Exception:  # noqa: BLE001 - the others still get their time
                log.exception("stopping a worker at exit failed")
    left = join(running, timeout)
    if left:
        log.warning("worker threads still running at exit: %s", ", ".join(sorted(left)))
    return left


atexit.register(join_at_exit)
