"""A total deadline for blocking calls whose own timeouts are per read (network clients).

An HTTP client's timeout bounds each read; an endpoint that drips its answer a byte at a time
never trips it. :func:`call_with_deadline` runs the call in a daemon thread and gives up after
the total time, so the caller (the session thread) always gets an answer in time; the abandoned
call finishes or fails on its own in the background and its result is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlineExceeded(TimeoutError):
    """The call did not finish within its total deadline."""


def call_with_deadline(fn: Callable[[], T], seconds: float, name: str = "call") -> T:
    """``fn()``'s result, or :class:`DeadlineExceeded` after ``seconds`` (wall clock) in total.

    Exceptions from ``fn`` are re-raised in the caller's thread.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["error"] = e

    th = threading.Thread(target=run, name=f"deadline-{name}", daemon=True)
    th.start()
    th.join(max(0.0, seconds))
    if th.is_alive():
        raise DeadlineExceeded(f"{name} took longer than {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
