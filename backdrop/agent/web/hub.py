"""The message hub: session messages (from the session thread) to every connected page.

Each page has a :class:`Client` queue on its event loop; previews, progress, the timeline and
render status coalesce (a newer one replaces a waiting one), everything else is delivered in
order. The hub keeps the conversation so far and the latest of each coalescing kind for pages
that connect later.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any

HISTORY_LIMIT = 300
"""Conversation entries kept for pages that connect later."""

_LATEST_ONLY = frozenset({"preview", "progress", "timeline", "render"})


class Client:
    """One connected page: a queue on its event loop where previews and progress coalesce."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: deque[dict[str, Any]] = deque()
        self.ready = asyncio.Event()

    def push(self, payload: dict[str, Any]) -> None:
        """Queue ``payload`` (on the client's loop); a newer preview replaces a waiting one."""
        if payload["type"] in _LATEST_ONLY:
            for i, old in enumerate(self.items):
                if old["type"] == payload["type"]:
                    del self.items[i]
                    break
        self.items.append(payload)
        self.ready.set()


class Hub:
    """Carries session messages (from the session thread) to every connected page, and keeps the
    conversation so far and the latest preview for pages that connect later."""

    def __init__(self) -> None:
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY_LIMIT)
        self.latest: dict[str, dict[str, Any]] = {}
        self._clients: set[Client] = set()
        self._lock = threading.Lock()

    def add(self, client: Client) -> None:
        with self._lock:
            self._clients.add(client)

    def remove(self, client: Client) -> None:
        with self._lock:
            self._clients.discard(client)

    def publish(self, payload: dict[str, Any], keep: bool = False) -> None:
        """Send ``payload`` to every page (any thread). ``keep``: also add it to the history."""
        with self._lock:
            if keep:
                self.history.append(payload)
            if payload["type"] in _LATEST_ONLY:
                self.latest[payload["type"]] = payload
            clients = list(self._clients)
        for c in clients:
            try:
                c.loop.call_soon_threadsafe(c.push, payload)
            except RuntimeError:  # that page's loop has closed
                self.remove(c)

    def reset(self) -> None:
        """Forget the previous video's conversation and frames."""
        with self._lock:
            self.history.clear()
            self.latest.clear()

    def forget_latest(self) -> None:
        """Forget the latest frames, progress and timeline (another take is opened; the
        conversation stays)."""
        with self._lock:
            self.latest.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [*self.history, *self.latest.values()]
