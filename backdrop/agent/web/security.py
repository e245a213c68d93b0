"""The editor's security: who may talk to it, which paths it touches, how much it reads.

With no token the app only answers requests whose ``Host`` is a loopback name (so a web page
elsewhere cannot reach it through DNS rebinding); with a token every request and WebSocket must
carry it (``X-Backdrop-Token`` header, ``?token=`` or the cookie the page sets). Requests with an
``Origin`` of another site are refused. Paths are resolved inside the working folder and anything
that resolves outside it is refused; request bodies are size-limited while they stream in.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookies
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

from backdrop.render.files import PathError, contain

TOKEN_HEADER = "x-backdrop-token"
TOKEN_COOKIE = "backdrop_token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def new_token() -> str:
    """A random token for non-loopback hosts (URL-safe, 128 bits)."""
    return secrets.token_urlsafe(16)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def refusal(scope: dict[str, Any], token: str | None) -> tuple[int, str] | None:
    """Why an ASGI request or WebSocket ``scope`` must be refused (status, reason), or None."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin and urlsplit(origin).netloc != host:
        return 403, "requests from another site are refused"
    if token is None:
        name = urlsplit(f"//{host}").hostname or ""
        if name not in LOOPBACK_HOSTS:
            return 403, "this editor only answers on a loopback address"
        return None
    given = _given_token(headers, scope)
    if given is None or not secrets.compare_digest(given.encode(), token.encode()):
        return 401, "a valid token is needed (open the URL the server printed)"
    return None


def _given_token(headers: dict[str, str], scope: dict[str, Any]) -> str | None:
    """The token the request carries: header, then ``?token=``, then the cookie."""
    given = headers.get(TOKEN_HEADER)
    if given is None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [None])[0]
    if given is None and "cookie" in headers:
        jar = http.cookies.SimpleCookie()
        with contextlib.suppress(http.cookies.CookieError):
            jar.load(headers["cookie"])
        if TOKEN_COOKIE in jar:
            given = jar[TOKEN_COOKIE].value
    return given


class Guard:
    """ASGI middleware: applies :func:`refusal` to every HTTP request and WebSocket.

    Args:
        app: the wrapped ASGI app.
        token: the token every request must carry, or ``None`` for loopback-only.
    """

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            refused = refusal(scope, self.token)
            if refused is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": refused[1]})
                else:
                    resp = JSONResponse({"detail": refused[1]}, status_code=refused[0])
                    await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def inside(workdir: Path, rel: str) -> Path:
    """``rel`` (relative to ``workdir``, or absolute inside it) resolved.

    Raises:
        HTTPException: 400 for an empty path, 403 when it leads outside the folder (``..``,
            symlinks), 404 when it is not a file.
    """
    if not rel or "\x00" in rel:
        raise HTTPException(400, "give a file path inside the working folder")
    try:
        full = contain(rel, [workdir], what="file")  # the one containment rule
    except PathError:
        raise HTTPException(403, "that path is outside the working folder") from None
    if not full.is_file():
        raise HTTPException(404, f"{rel}: no such file in the working folder")
    return full


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """An uploaded file's name reduced to a plain file name (no folders, no odd characters)."""
    stem = _SAFE_NAME.sub("_", Path(name).name).strip("._") or "upload"
    return stem[:120]


def _too_large(what: str, limit: int) -> HTTPException:
    return HTTPException(413, f"{what} is larger than {limit // (1 << 20)} MiB")


async def _blocks(request: Request, limit: int, what: str) -> Any:
    """The body's blocks; 413 as soon as it (or its declared length) grows past ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit)
    size = 0
    async for block in request.stream():
        size += len(block)
        if size > limit:
            raise _too_large(what, limit)
        yield block


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, refused with 413 as soon as it grows past ``limit`` bytes."""
    return b"".join([block async for block in _blocks(request, limit, what)])


async def save_body(request: Request, path: Path, limit: int, what: str) -> int:
    """Stream the request body into ``path``; 413 as soon as it grows past ``limit`` bytes.
    Returns the size in bytes."""
    size = 0
    with path.open("wb") as f:
        async for block in _blocks(request, limit, what):
            size += len(block)
            await asyncio.to_thread(f.write, block)
    return size
