"""The browser editor's server: one page, a JSON API and a WebSocket over a live :class:`Session`.

:func:`create_app` builds a FastAPI app for one working folder. The page opens a video from that
folder (or uploads one into ``uploads/``), and the server holds one
:class:`~backdrop.agent.session.Session` for it in an :class:`~backdrop.agent.web.editor.Editor`
(app state, never module globals). Session messages reach every open page over ``/ws`` as JSON:
replies, notices, errors, progress, a timeline digest (plan segments and scene events) and edited
preview frames (JPEG, base64). Scrubbing asks ``GET /api/preview?t=`` for the edited frame at
``t`` seconds.

The app is put together from parts, one concern each:

- :mod:`~backdrop.agent.web.security` — loopback-only or token, same-origin, paths confined to
  the working folder, size-limited bodies (see its docstring);
- :mod:`~backdrop.agent.web.editor` — the session lifecycle, uploads and renders;
- :mod:`~backdrop.agent.web.hub` — session messages fanned out to the pages;
- :mod:`~backdrop.agent.web.wire` — the JSON the pages and the API receive;
- :mod:`~backdrop.agent.web.routes` — the HTTP and WebSocket routes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from backdrop.agent.session import PreviewTimeout, Session
from backdrop.agent.web.camera import LiveFactory, add_camera_routes
from backdrop.agent.web.editor import MAX_UPLOAD_BYTES, Editor
from backdrop.agent.web.routes import (
    STATIC,
    add_edit_routes,
    add_page_routes,
    add_render_routes,
    add_socket_route,
    add_voice_route,
)
from backdrop.agent.web.security import Guard, is_loopback, new_token
from backdrop.perception.core.media import probe

if TYPE_CHECKING:
    from backdrop.perception.core.takes import TakeReport


def create_app(
    workdir: str | Path,
    video: str | Path | Sequence[str | Path] | None = None,
    token: str | None = None,
    *,
    session_factory: Callable[[Path], Session] | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    live_factory: LiveFactory | None = None,
    take_analyzer: Callable[[Path], TakeReport] | None = None,
) -> FastAPI:
    """The editor app for ``workdir``; ``video`` (inside it) is opened at once when given, and
    several (takes of one shot) are opened together to choose from.

    Args:
        workdir: the working folder; nothing outside it is read or served.
        video: a video to open at start (relative to ``workdir`` or absolute inside it), or
            several takes.
        token: when set, every request and WebSocket must carry it.
        session_factory: builds an unstarted session for a video (tests inject fast analyzers).
        max_upload_bytes: largest video upload accepted.
        live_factory: builds the runner for Camera mode (tests inject fast analyzers).
        take_analyzer: measures one take for the comparison (default: ``analyze_take``).

    Raises:
        ValueError: ``video`` is outside ``workdir`` or not a file.
        MediaError: ``video`` is not a readable video.
    """
    editor = Editor(Path(workdir), token, session_factory, max_upload_bytes, take_analyzer)
    videos = [video] if isinstance(video, str | Path) else list(video or [])
    paths = []
    for v in videos:
        try:
            paths.append(editor.inside(str(v)))
        except HTTPException as e:
            raise ValueError(f"{v}: {e.detail}") from None
        probe(paths[-1])
    if paths:
        editor.open_takes(paths)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await asyncio.to_thread(editor.close)

    app = FastAPI(title="Backdrop editor", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.editor = editor

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input, and a body holding NaN or Infinity cannot be
        # written back as JSON (a 500); say where and what, without the input
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))}
                  for e in exc.errors()]  # fmt: skip
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(PreviewTimeout)
    async def preview_stuck(_: Request, exc: PreviewTimeout) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=504)  # one line, not a 500

    app.add_middleware(Guard, token=editor.token)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    add_page_routes(app, editor)
    add_edit_routes(app, editor)
    add_render_routes(app, editor)
    add_voice_route(app, editor)
    add_socket_route(app, editor)
    add_camera_routes(app, editor, live_factory)
    return app


__all__ = ["Editor", "create_app", "is_loopback", "new_token"]
