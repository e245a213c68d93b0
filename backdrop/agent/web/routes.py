"""The editor's routes: the page and files, edits, renders, voice and the WebSocket.

Each ``add_*`` function registers one group of routes over an
:class:`~backdrop.agent.web.editor.Editor`. Blocking work (probing, previews, instructions,
transcription, renders) runs in worker threads; the session applies every change on its own
thread at a micro-turn boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field

from backdrop.agent.replies import Reply
from backdrop.agent.voice import check_instruction_audio
from backdrop.agent.web.editor import MAX_TAKES, Editor
from backdrop.agent.web.hub import Client
from backdrop.agent.web.security import TOKEN_COOKIE, read_body
from backdrop.agent.web.wire import notice_dict, reply_dict, timeline_dict
from backdrop.perception.core.media import MediaError, probe
from backdrop.render.preview import encode_jpeg

STATIC = Path(__file__).resolve().parent / "static"
MAX_VOICE_BYTES = 10 << 20
"""Largest voice recording accepted (10 MiB, minutes of Opus)."""
REPLY_TIMEOUT_S = 120.0
"""Longest wait for the session to apply an instruction."""


# -- request bodies -----------------------------------------------------------------------------
class OpenBody(BaseModel):
    path: str = Field(min_length=1, max_length=4096, description="Relative to the working folder.")


class TakesBody(BaseModel):
    paths: list[str] = Field(
        min_length=1, max_length=MAX_TAKES, description="Takes of one shot, in order."
    )


class InstructBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class AnswerBody(BaseModel):
    answer: Literal["yes", "no"]
    choice: int | None = Field(None, ge=0, le=16, description="Which of the notice's choices.")


class PointBody(BaseModel):
    x: float = Field(ge=0, description="Source pixels, from the left.")
    y: float = Field(ge=0, description="Source pixels, from the top.")


async def _wait(future: Future[Any]) -> Any:
    """The session's answer, waited for in a worker thread; 504 when it takes too long."""
    try:
        return await asyncio.to_thread(future.result, REPLY_TIMEOUT_S)
    except TimeoutError:
        raise HTTPException(504, "the session is busy; try again in a moment") from None


async def _say(editor: Editor, text: str) -> dict[str, Any]:
    """A line said to the editor: a take picked ("use take 2", "the one with the best light"),
    else an instruction for the session; after an undo or redo, the take the history names."""
    session = editor.require()
    answered = editor.answer_voice(text)  # "yes" / "no" to "Did you say …?"
    if answered is not None and not answered[0]:
        from backdrop.agent.voice import dropped

        out = reply_dict(text, dropped(answered[1]))
        editor.hub.publish({"type": "reply", **out}, keep=True)
        return out
    text = answered[1] if answered is not None else text
    took = editor.take_said(text)
    if took is not None:
        return await _use_take(editor, took[0], took[1], text)
    reply: Reply = await _wait(session.submit(text))
    await asyncio.to_thread(editor.follow_take)
    return reply_dict(text, reply)


async def _use_take(editor: Editor, index: int, why: str, heard: str) -> dict[str, Any]:
    """Switch to take ``index`` (from 0), keeping the plan; said in the conversation."""
    text = await asyncio.to_thread(editor.use_take, index, why)
    out = reply_dict(heard, Reply(text, changed=True))
    editor.hub.publish({"type": "reply", **out}, keep=True)
    return out


# -- routes -------------------------------------------------------------------------------------
def add_page_routes(app: FastAPI, editor: Editor) -> None:
    """The page, the working folder's videos, opening or uploading one, and the state."""

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        resp = HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))
        resp.headers["Cache-Control"] = "no-store"
        if editor.token is not None:
            resp.set_cookie(TOKEN_COOKIE, editor.token, httponly=True, samesite="strict")
        return resp

    @app.get("/api/files")
    async def files() -> dict[str, Any]:
        return {"videos": await asyncio.to_thread(editor.videos),
                "max_upload_bytes": editor.max_upload_bytes}  # fmt: skip

    @app.post("/api/open")
    async def open_video(body: OpenBody) -> dict[str, Any]:
        path = editor.inside(body.path)
        try:
            await asyncio.to_thread(probe, path)
        except MediaError as e:
            raise HTTPException(415, str(e)) from None
        await asyncio.to_thread(editor.open, path)
        return editor.video_info()

    @app.post("/api/upload")
    async def upload(
        request: Request,
        name: str = Query(min_length=1, max_length=255),
        open_it: bool = Query(True, alias="open", description="false: store it only (a take)."),
    ) -> dict[str, Any]:
        target = await editor.upload(request, name)
        if not open_it:
            return {"path": editor.rel(target)}
        await asyncio.to_thread(editor.open, target)
        return editor.video_info()

    @app.post("/api/takes")
    async def open_takes(body: TakesBody) -> dict[str, Any]:
        paths = [editor.inside(p) for p in body.paths]
        for path in paths:
            try:
                await asyncio.to_thread(probe, path)
            except MediaError as e:
                raise HTTPException(415, str(e)) from None
        await asyncio.to_thread(editor.open_takes, paths)
        return {**editor.video_info(), "takes": editor.takes_dict()}

    @app.get("/api/takes")
    async def takes() -> dict[str, Any]:
        if not editor.takes:
            raise HTTPException(404, "one video is open, not several takes")
        return editor.takes_dict()

    @app.post("/api/takes/{number}")
    async def use_take(number: int) -> dict[str, Any]:
        return await _use_take(editor, number - 1, f"take {number}", f"use take {number}")

    @app.get("/api/state")
    async def state() -> dict[str, Any]:
        if editor.session is None:
            return {"video": None, "history": [], "timeline": None}
        session = editor.require()
        out: dict[str, Any] = {"video": editor.video_info(), "history": list(editor.hub.history),
                               "timeline": timeline_dict(session)}  # fmt: skip
        out["notices"] = [notice_dict(n) for n in list(session.pending)]
        if editor.render_job is not None:
            out["render"] = editor.render_job.as_dict(editor.workdir)
        return out


def add_edit_routes(app: FastAPI, editor: Editor) -> None:
    """Instructions, notice answers, clicks, previews and the plan download."""

    @app.post("/api/instruct")
    async def instruct(body: InstructBody) -> dict[str, Any]:
        return await _say(editor, body.text.strip())

    @app.post("/api/notices/{notice_id}")
    async def answer(notice_id: int, body: AnswerBody) -> dict[str, Any]:
        reply = await _wait(editor.require().answer(notice_id, body.answer == "yes", body.choice))
        if reply is None:
            raise HTTPException(404, f"notice {notice_id} is not waiting for that answer")
        return reply_dict(body.answer, reply)

    @app.get("/api/notices/{notice_id}/choices/{index}.jpg")
    async def choice_thumbnail(notice_id: int, index: int) -> Response:
        session = editor.require()
        rgb = None if index < 0 else await asyncio.to_thread(
            session.choice_thumbnail, notice_id, index)  # fmt: skip
        if rgb is None:
            raise HTTPException(404, f"notice {notice_id} has no picture for choice {index}")
        jpeg = await asyncio.to_thread(encode_jpeg, rgb)
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.post("/api/point")
    async def point(body: PointBody) -> dict[str, Any]:
        session = editor.require()
        if body.x >= session.info.width or body.y >= session.info.height:
            raise HTTPException(422, "the point is outside the frame")
        reply = await _wait(session.keep_point(body.x, body.y))
        return reply_dict(f"keep what is at {round(body.x)},{round(body.y)}", reply)

    @app.get("/api/preview")
    async def preview(t: float = Query(ge=0.0, le=86_400.0)) -> Response:
        session = editor.require()
        t = min(t, max(session.info.duration - 1e-3, 0.0))
        started = time.perf_counter()
        rgb = await asyncio.to_thread(session.preview, t)
        jpeg = await asyncio.to_thread(encode_jpeg, rgb)
        ms = (time.perf_counter() - started) * 1000
        return Response(jpeg, media_type="image/jpeg", headers={
            "Cache-Control": "no-store", "X-Preview-Ms": f"{ms:.1f}",
            "Server-Timing": f"preview;dur={ms:.1f}"})  # fmt: skip

    @app.get("/api/plan")
    async def export_plan() -> FileResponse:
        session = editor.require()
        stem = editor.video.stem if editor.video is not None else "camera"  # Camera mode
        path = editor.out_dir() / f"{stem}-plan.json"
        await asyncio.to_thread(session.export_plan, path)
        return FileResponse(path, media_type="application/json", filename=path.name)


def add_render_routes(app: FastAPI, editor: Editor) -> None:
    """Start a full-quality render, follow it, download it."""

    @app.post("/api/render", status_code=202)
    async def start_render() -> dict[str, Any]:
        return editor.start_render().as_dict(editor.workdir)

    @app.get("/api/render")
    async def render_status() -> dict[str, Any]:
        if editor.render_job is None:
            raise HTTPException(404, "nothing has been rendered yet")
        return editor.render_job.as_dict(editor.workdir)

    @app.get("/api/render/file")
    async def render_file() -> FileResponse:
        job = editor.render_job
        if job is None or job.state != "done":
            raise HTTPException(404, "no finished render to download")
        return FileResponse(job.output, media_type="video/mp4", filename=job.output.name)


def add_voice_route(app: FastAPI, editor: Editor) -> None:
    """A spoken instruction recorded by the page: transcribed, then handled like typed text."""

    @app.post("/api/voice")
    async def voice(request: Request) -> dict[str, Any]:
        from backdrop.agent.voice import Heard, VoiceError, didnt_catch, load_audio
        from backdrop.perception.audio.asr import AsrModelMissingError

        editor.require()
        data = await read_body(request, MAX_VOICE_BYTES, "the recording")
        if not data:
            raise HTTPException(400, "the recording is empty")
        kind = request.headers.get("content-type", "")
        suffix = ".wav" if "wav" in kind else ".ogg" if "ogg" in kind else ".webm"

        def hear() -> Heard:
            with tempfile.TemporaryDirectory(prefix="backdrop-voice-") as tmp:
                path = Path(tmp) / f"voice{suffix}"
                path.write_bytes(data)
                audio = load_audio(path)
            check_instruction_audio(audio)
            return editor.voice_input().listen(audio)

        try:
            heard = await asyncio.to_thread(hear)
        except VoiceError as e:
            raise HTTPException(415, str(e)) from None
        except AsrModelMissingError as e:
            raise HTTPException(503, str(e)) from None
        if not heard.ok:
            text = didnt_catch(heard).text
            editor.hub.publish({"type": "reply", "heard": "(voice)", "text": text,
                                "changed": False, "clarify": True}, keep=True)  # fmt: skip
            return {"heard": "", "text": text, "changed": False, "clarify": True}
        session = editor.require()
        ask = partial(editor.voice_input().question, heard, session.ctx)
        asked = await _wait(session.call(ask))  # a near reading: "Did you say …?"
        if asked is not None:
            out = reply_dict(heard.text, asked)
            editor.hub.publish({"type": "reply", **out}, keep=True)
            return out
        return await _say(editor, heard.text)


def add_socket_route(app: FastAPI, editor: Editor) -> None:
    """``/ws``: the conversation so far, then every message as it comes."""

    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        client = Client(asyncio.get_running_loop())
        for item in editor.hub.snapshot():
            client.push(item)
        editor.hub.add(client)

        async def pump() -> None:
            while True:
                await client.ready.wait()
                client.ready.clear()
                while client.items:
                    await socket.send_json(client.items.popleft())

        sender = asyncio.create_task(pump())
        try:
            while True:  # the page sends nothing we need; this notices it going away
                message = await socket.receive()  # text, bytes or junk alike: ignored
                if message["type"] == "websocket.disconnect":
                    break
        except (WebSocketDisconnect, RuntimeError):  # gone, or already closed under us
            pass
        finally:
            editor.hub.remove(client)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
