"""Ctrl-C and SIGTERM at safe points, for the main thread while it feeds and waits on workers.

Python runs a signal's handler in the main thread between two bytecodes, wherever that thread
is. When the handler raises (Ctrl-C's ``KeyboardInterrupt``, the CLI's ``Terminated``) while
the main thread is inside ``queue.Queue.put``/``get`` or ``threading.Condition.wait`` — pure
Python code that keeps a lock and a list of waiters consistent only if it runs to its end —
the queue can be left with a stale waiter or a released lock: a wake-up is lost, a worker waits
for an item that is already there, and the process hangs until the exit grace runs out (seen:
``encode-mp4`` waiting in ``Queue.get`` 25 s after a Ctrl-C, with the end marker in its
queue; and one Ctrl-C that never ended a render at all).

Within :func:`deferred`, the handlers of SIGINT and SIGTERM only note the signal; the main
thread calls :func:`check` at its safe points (between frames, and every
:data:`POLL_S` seconds while it waits), which runs the handler that was in place there, so the
exception starts from code that expects it. Outside the main thread, and for a signal whose
handler is not a Python function (ignored, or the default that kills the process), nothing
changes.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, ParamSpec, TypeVar

POLL_S = 0.1
"""Seconds between two looks at a noted signal while the main thread waits on a worker."""

SIGNALS = (signal.SIGINT, signal.SIGTERM)
P = ParamSpec("P")
R = TypeVar("R")
Handler = Callable[[int, FrameType | None], Any]

_pending: list[int] = []
_handlers: dict[int, Handler] = {}


def _note(signum: int, frame: FrameType | None) -> None:
    if signum not in _pending:
        _pending.append(signum)


def _main() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def deferred() -> Iterator[None]:
    """Within: SIGINT/SIGTERM are noted, and raised by :func:`check` in the main thread (also
    once more on the way out, for a signal noted after the last check). Nested uses and uses
    outside the main thread change nothing."""
    if not _main() or _handlers:
        yield
        return
    for sig in SIGNALS:
        handler = signal.getsignal(sig)
        if callable(handler):
            _handlers[sig] = handler
            signal.signal(sig, _note)
    try:
        yield
    finally:
        for sig, handler in _handlers.items():
            signal.signal(sig, handler)
        handlers = dict(_handlers)
        _handlers.clear()
        pending = list(_pending)
        _pending.clear()
        for sig in pending:  # the body ended (or failed) after the signal came: honour it now
            handlers[sig](sig, None)


def at_safe_points(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run within :func:`deferred`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with deferred():
            return fn(*args, **kwargs)

    return wrapper


def check() -> None:
    """In the main thread within :func:`deferred`: run the handler of a signal noted since the
    last check (Ctrl-C raises ``KeyboardInterrupt`` here). Elsewhere: nothing."""
    while _pending and _main():
        sig = _pending.pop(0)
        handler = _handlers.get(sig)
        if handler is not None:
            handler(sig, None)


def pending() -> bool:
    """Whether a signal was noted and not yet raised (main thread, within :func:`deferred`)."""
    return bool(_pending)
