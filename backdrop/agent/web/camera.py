"""The editor's Camera mode: the browser's own camera, edited live, in ``backdrop serve``.

The page asks for the camera (``getUserMedia``), says what it got (``POST /api/camera``), and
then sends its frames over the WebSocket ``/ws/camera`` as binary messages: 8 bytes of the
page's clock (a little-endian float64, ``performance.now()`` in ms) followed by a JPEG. The
server decodes each into a :class:`~backdrop.perception.core.live.BrowserCamera`, which a
:class:`~backdrop.agent.live.LiveRunner` edits with the session's plan as ``backdrop live``
does, and answers every frame with a text ``{"type": "ack"}`` (the page keeps one frame in
flight, so a slow server makes it send less, never queue). Edited frames come back on the same
socket as binary messages: the 8 bytes of the source frame's clock, then a JPEG (the newest
only: older unsent ones are replaced). The page measures its round trip from them.

The runner's session is the editor's session while the camera is on, so typed and spoken
instructions, notices and their answers use the editor's usual routes and ``/ws`` messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from backdrop.agent.live import LiveRunner
from backdrop.agent.web.editor import Editor
from backdrop.perception.core.live import BrowserCamera
from backdrop.render.live_sinks import JpegSink

log = logging.getLogger(__name__)

LiveFactory = Callable[[BrowserCamera, Path], LiveRunner]
"""Builds the (unstarted) runner for a browser camera; the path is the editor's out folder."""

TAG = struct.Struct("<d")
"""The 8-byte header of every frame message: the page's clock (ms) when it took the frame."""


class CameraBody(BaseModel):
    width: int = Field(ge=16, le=3840, description="Pixels the page's camera gives.")
    height: int = Field(ge=16, le=2160)
    fps: float = Field(ge=1.0, le=120.0, description="Frames per second it asked for.")


def default_runner(camera: BrowserCamera, out_dir: Path) -> LiveRunner:
    """A runner with the live analyzers, the default masker and the configured LLM."""
    return LiveRunner(camera, say=lambda line: log.info("%s", line), out_dir=out_dir)


def add_camera_routes(app: FastAPI, editor: Editor, factory: LiveFactory | None = None) -> None:
    """``POST /api/camera`` (start Camera mode), ``DELETE /api/camera`` (stop it) and the
    frame socket ``/ws/camera``."""
    build = factory or default_runner

    @app.post("/api/camera")
    async def start_camera(body: CameraBody) -> dict[str, object]:
        camera = BrowserCamera((body.width, body.height), body.fps)
        runner = build(camera, editor.out_dir())
        await asyncio.to_thread(editor.open_live, runner)
        return editor.video_info()

    @app.delete("/api/camera")
    async def stop_camera() -> dict[str, object]:
        if editor.live is None:
            raise HTTPException(409, "the camera is not on")
        await asyncio.to_thread(editor.close)
        return {"camera": False}

    @app.websocket("/ws/camera")
    async def camera_socket(socket: WebSocket) -> None:
        await socket.accept()
        runner = editor.live
        if runner is None or not isinstance(runner.source, BrowserCamera):
            await socket.close(1008, "start the camera first (POST /api/camera)")
            return
        await _serve_camera(socket, runner, runner.source)


async def _serve_camera(socket: WebSocket, runner: LiveRunner, camera: BrowserCamera) -> None:
    loop = asyncio.get_running_loop()
    out: asyncio.Queue[bytes] = asyncio.Queue(maxsize=2)

    def offer(data: bytes) -> None:  # on the event loop: only the newest frames wait
        if out.full():
            out.get_nowait()
        out.put_nowait(data)

    def send(jpeg: bytes, index: int) -> None:  # the sink's thread
        tag = camera.tag_of(index)
        data = TAG.pack(-1.0 if tag is None else tag) + jpeg
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(offer, data)

    sink = JpegSink(send)
    runner.add_output(sink.frame)

    async def pump() -> None:
        while True:
            await socket.send_bytes(await out.get())

    sender = asyncio.create_task(pump())
    ack = json.dumps({"type": "ack"})
    try:
        while True:
            data = await socket.receive_bytes()
            ok = len(data) > TAG.size
            if ok:
                (tag,) = TAG.unpack_from(data)
                ok = await asyncio.to_thread(camera.push_jpeg, data[TAG.size :], tag)
            await socket.send_text(ack if ok else json.dumps({"type": "ack", "error": "bad frame"}))
    except (WebSocketDisconnect, RuntimeError, KeyError):  # gone, or sent text/closed
        pass
    finally:
        runner.remove_output(sink.frame)
        sink.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
