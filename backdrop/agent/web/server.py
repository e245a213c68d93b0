"""The browser editor's server: one page, a JSON API and a WebSocket over a live :class:`Session`.

:func:`create_app` builds a FastAPI app for one working folder. The page opens a video from that
folder (or uploads one into ``uploads/``), and the server holds one
:class:`~backdrop.agent.session.Session` for it in an :class:`Editor` (app state, never module
globals). Session messages reach every open page over ``/ws`` as JSON: replies, notices, errors,
progress, a timeline digest (plan segments and scene events) and edited preview frames (JPEG,
base64). Scrubbing asks ``GET /api/preview?t=`` for the edited frame at ``t`` seconds.

Security: with no token the app only answers requests whose ``Host`` is a loopback name (so a web
page elsewhere cannot reach it through DNS rebinding); with a token every request and WebSocket
must carry it (``X-Backdrop-Token`` header, ``?token=`` or the cookie the page sets). Requests
with an ``Origin`` of another site are refused. Paths are resolved inside the working folder and
anything that resolves outside it is refused; uploads are size-limited and probed as video.
Blocking work (previews, instructions, transcription, renders) runs in worker threads.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import http.cookies
import logging
import re
import secrets
import tempfile
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from backdrop.agent.interpret import Reply
from backdrop.agent.proactive import Notice
from backdrop.agent.session import (
    DoneMessage,
    ErrorMessage,
    Message,
    NoticeMessage,
    PreviewMessage,
    ProgressMessage,
    ReplyMessage,
    Session,
)
from backdrop.perception.events import LightingChange, PeopleCount, SceneCut, SpeakerTurn
from backdrop.perception.media import MediaError, probe
from backdrop.render.files import PathError, contain, partial_sibling
from backdrop.render.plan import EditPlan, describe_background

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TOKEN_HEADER = "x-backdrop-token"
TOKEN_COOKIE = "backdrop_token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
MAX_UPLOAD_BYTES = 1 << 30
"""Largest video upload accepted (1 GiB)."""
MAX_VOICE_BYTES = 10 << 20
"""Largest voice recording accepted (10 MiB, minutes of Opus)."""
MAX_VOICE_SECONDS = 30.0
"""Longest spoken instruction transcribed, seconds (an instruction is a sentence or two)."""
REPLY_TIMEOUT_S = 120.0
"""Longest wait for the session to apply an instruction."""
OUT_DIR = "out"
"""Exports and renders go to this folder of the working folder."""
UPLOAD_DIR = "uploads"
"""Uploaded videos are stored in this folder of the working folder."""
HISTORY_LIMIT = 300
"""Conversation entries kept for pages that connect later."""
PREVIEW_JPEG_QUALITY = 85


# -- helpers ------------------------------------------------------------------------------------
def encode_jpeg(rgb: np.ndarray, quality: int = PREVIEW_JPEG_QUALITY) -> bytes:
    """H×W×3 uint8 RGB → JPEG bytes."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("could not encode a JPEG")
    return buf.tobytes()


def notice_dict(n: Notice) -> dict[str, Any]:
    return {"type": "notice", "id": n.id, "kind": n.kind, "t": round(n.t, 3), "text": n.text}


def _bg_colors(bg: Any) -> list[str]:
    kind = bg.type
    if kind == "color":
        return [bg.color]
    if kind == "gradient":
        return list(bg.colors)
    if kind == "transparent":
        return [bg.matte]
    return ["#9ca3af"] if kind == "blur" else ["#a78bfa"]


def timeline_dict(session: Session) -> dict[str, Any]:
    """What the page draws on its timeline, in absolute seconds: the plan's background segments
    (with fades) and keep rules, scene events (cuts, lighting, speaker turns, people counts), how
    far processing got, and the notices still waiting for an answer."""
    duration = session.info.duration
    plan: EditPlan = session.plan
    backgrounds = []
    for seg in plan.backgrounds:
        t0, t1 = seg.range.resolve(duration)
        backgrounds.append(
            {
                "t0": t0,
                "t1": t1,
                "kind": seg.background.type,
                "colors": _bg_colors(seg.background),
                "label": describe_background(seg.background),
                "opacity": seg.opacity,
                "fade_in": seg.fade_in.duration if seg.fade_in else 0.0,
                "fade_out": seg.fade_out.duration if seg.fade_out else 0.0,
            }
        )
    keep = []
    for k in plan.keep:
        t0, t1 = k.range.resolve(duration)
        keep.append({"t0": t0, "t1": t1, "action": k.action, "subject": k.subject,
                     "label": k.describe()})  # fmt: skip
    events: list[dict[str, Any]] = []
    last_turn: dict[str, Any] | None = None
    for e in session.state.events():
        if isinstance(e, SceneCut):
            events.append({"type": "cut", "t0": e.t1, "t1": e.t1, "label": "scene cut"})
        elif isinstance(e, LightingChange):
            word = "brighter" if e.delta_luma > 0 else "darker"
            events.append({"type": "lighting", "t0": e.t0, "t1": e.t1,
                           "label": f"lighting {word} ({e.delta_luma:+.2f})"})  # fmt: skip
        elif isinstance(e, PeopleCount) and e.n > 1:
            events.append({"type": "people", "t0": e.t0, "t1": e.t1, "label": f"{e.n} people"})
        elif isinstance(e, SpeakerTurn):
            if last_turn and last_turn["speaker"] == e.speaker and e.t0 - last_turn["t1"] < 1.0:
                last_turn["t1"] = max(last_turn["t1"], e.t1)
                continue
            last_turn = {"type": "speaker", "t0": e.t0, "t1": e.t1, "speaker": e.speaker,
                         "label": f"speaker {e.speaker}"}  # fmt: skip
            events.append(last_turn)
    return {
        "type": "timeline",
        "duration": duration,
        "processed_until": session.state.processed_until,
        "backgrounds": backgrounds,
        "keep": keep,
        "events": events[:2000],
        "plan": plan.describe(),
        "pending": [n.id for n in list(session.pending)],
    }


# -- fan-out to pages ---------------------------------------------------------------------------
_LATEST_ONLY = frozenset({"preview", "progress", "timeline", "render"})


class _Client:
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
        self._clients: set[_Client] = set()
        self._lock = threading.Lock()

    def add(self, client: _Client) -> None:
        with self._lock:
            self._clients.add(client)

    def remove(self, client: _Client) -> None:
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

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [*self.history, *self.latest.values()]


# -- application state --------------------------------------------------------------------------
@dataclasses.dataclass
class RenderJob:
    """A full-quality render in progress (or finished): ``output`` inside the working folder."""

    output: Path
    state: Literal["running", "done", "failed"] = "running"
    done: int = 0
    total: int = 0
    error: str = ""
    started: float = dataclasses.field(default_factory=time.monotonic)
    seconds: float = 0.0

    def as_dict(self, workdir: Path) -> dict[str, Any]:
        return {"type": "render", "state": self.state, "done": self.done, "total": self.total,
                "error": self.error, "seconds": round(self.seconds, 2),
                "output": self.output.relative_to(workdir).as_posix()}  # fmt: skip


class Editor:
    """Everything the app holds: the working folder, the token, the open video's session.

    Args:
        workdir: the only folder files are read from or written to.
        token: required on every request when set (see the module docstring).
        session_factory: builds an unstarted :class:`Session` for a video path (default:
            ``Session(path)`` with every analyzer and the LLM when configured).
        max_upload_bytes: largest accepted video upload.
    """

    def __init__(
        self,
        workdir: Path,
        token: str | None = None,
        session_factory: Callable[[Path], Session] | None = None,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.token = token
        self.max_upload_bytes = max_upload_bytes
        self.hub = Hub()
        self.session: Session | None = None
        self.video: Path | None = None
        self.render_job: RenderJob | None = None
        self._factory = session_factory or (lambda p: Session(p))
        self._open_lock = threading.Lock()
        self._voice: Any = None
        self._voice_lock = threading.Lock()
        self._generation = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- paths ------------------------------------------------------------------------------
    def inside(self, rel: str) -> Path:
        """``rel`` (relative to the working folder, or absolute inside it) resolved; raises
        403 when it leads outside the folder (``..``, symlinks), 404 when it is not a file."""
        if not rel or "\x00" in rel:
            raise HTTPException(400, "give a file path inside the working folder")
        try:
            full = contain(rel, [self.workdir], what="file")
        except PathError:
            raise HTTPException(403, "that path is outside the working folder") from None
        if not full.is_file():
            raise HTTPException(404, f"{rel}: no such file in the working folder")
        return full

    def rel(self, path: Path) -> str:
        return path.relative_to(self.workdir).as_posix()

    def out_dir(self) -> Path:
        d = self.workdir / OUT_DIR
        d.mkdir(exist_ok=True)
        return d

    def videos(self, limit: int = 200) -> list[str]:
        """Video files in the working folder (two levels deep, hidden folders skipped)."""
        found: list[str] = []
        for depth in range(3):
            for p in sorted(self.workdir.glob("/".join(["*"] * (depth + 1)))):
                parts = p.relative_to(self.workdir).parts
                if any(s.startswith(".") or s in ("node_modules", "__pycache__") for s in parts):
                    continue
                if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
                    resolved = p.resolve()
                    if resolved.is_relative_to(self.workdir):
                        found.append(p.relative_to(self.workdir).as_posix())
                if len(found) >= limit:
                    return found
        return found

    # -- the session ------------------------------------------------------------------------
    def open(self, path: Path) -> Session:
        """Close the current session and start one for ``path`` (blocking; call in a thread)."""
        with self._open_lock:
            old, self.session = self.session, None
            if old is not None:
                old.close()
            self._generation += 1
            gen = self._generation
            self.hub.reset()
            session = self._factory(path)
            session.ctx.allowed = (self.workdir,)  # tool paths stay in the working folder
            session.add_listener(lambda msg: self._relay(gen, session, msg))
            self.session, self.video = session, path
            self.hub.publish({"type": "opened", **self.video_info()}, keep=True)
            session.start()
            return session

    def close(self) -> None:
        with self._open_lock:
            if self.session is not None:
                self.session.close()
                self.session = None

    def require(self) -> Session:
        if self.session is None:
            raise HTTPException(409, "open a video first")
        return self.session

    def video_info(self) -> dict[str, Any]:
        s = self.require()
        info = s.info
        assert self.video is not None
        return {"path": self.rel(self.video), "width": info.width, "height": info.height,
                "fps": round(info.fps, 3), "duration": info.duration,
                "summary": info.summary()}  # fmt: skip

    def _relay(self, gen: int, session: Session, msg: Message) -> None:
        """Session listener (session thread): message → JSON for the pages."""
        if gen != self._generation:
            return
        hub = self.hub
        if isinstance(msg, PreviewMessage):
            jpeg = base64.b64encode(encode_jpeg(msg.rgb)).decode("ascii")
            hub.publish({"type": "preview", "t": round(msg.t, 4), "jpeg": jpeg})
        elif isinstance(msg, ProgressMessage):
            hub.publish({"type": "progress", "t": msg.t, "duration": msg.duration})
            hub.publish(timeline_dict(session))
        elif isinstance(msg, ReplyMessage):
            hub.publish({"type": "reply", "heard": msg.heard, "text": msg.text,
                         "changed": msg.changed, "clarify": msg.clarify}, keep=True)  # fmt: skip
            hub.publish(timeline_dict(session))
        elif isinstance(msg, NoticeMessage):
            hub.publish(notice_dict(msg.notice), keep=True)
            hub.publish(timeline_dict(session))
        elif isinstance(msg, ErrorMessage):
            hub.publish({"type": "error", "text": msg.text}, keep=True)
        elif isinstance(msg, DoneMessage):
            hub.publish({"type": "done"})
            hub.publish(timeline_dict(session))

    # -- voice ------------------------------------------------------------------------------
    def voice_input(self) -> Any:
        """The embedded speech-to-text, loaded on first use (blocking)."""
        with self._voice_lock:
            if self._voice is None:
                from backdrop.agent.voice import VoiceInput, command_asr_options
                from backdrop.perception.asr import Transcriber, load_asr_model

                self._voice = VoiceInput(Transcriber(load_asr_model(), command_asr_options()))
            return self._voice

    # -- auth -------------------------------------------------------------------------------
    def refusal(self, scope: dict[str, Any]) -> tuple[int, str] | None:
        """Why a request or WebSocket must be refused (status, reason), or None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        origin = headers.get("origin")
        if origin and urlsplit(origin).netloc != host:
            return 403, "requests from another site are refused"
        if self.token is None:
            name = urlsplit(f"//{host}").hostname or ""
            if name not in LOOPBACK_HOSTS:
                return 403, "this editor only answers on a loopback address"
            return None
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
        if given is None or not secrets.compare_digest(given.encode(), self.token.encode()):
            return 401, "a valid token is needed (open the URL the server printed)"
        return None


class _Guard:
    """ASGI middleware: applies :meth:`Editor.refusal` to every HTTP request and WebSocket."""

    def __init__(self, app: Any, editor: Editor) -> None:
        self.app = app
        self.editor = editor

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            refused = self.editor.refusal(scope)
            if refused is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": refused[1]})
                else:
                    resp = JSONResponse({"detail": refused[1]}, status_code=refused[0])
                    await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- request bodies -----------------------------------------------------------------------------
class OpenBody(BaseModel):
    path: str = Field(min_length=1, max_length=4096, description="Relative to the working folder.")


class InstructBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class AnswerBody(BaseModel):
    answer: Literal["yes", "no"]


class PointBody(BaseModel):
    x: float = Field(ge=0, description="Source pixels, from the left.")
    y: float = Field(ge=0, description="Source pixels, from the top.")


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    stem = _SAFE_NAME.sub("_", Path(name).name).strip("._") or "upload"
    return stem[:120]


async def _read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, refused with 413 as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"{what} is larger than {limit // (1 << 20)} MiB")
    parts: list[bytes] = []
    size = 0
    async for block in request.stream():
        size += len(block)
        if size > limit:
            raise HTTPException(413, f"{what} is larger than {limit // (1 << 20)} MiB")
        parts.append(block)
    return b"".join(parts)


async def _save_body(request: Request, path: Path, limit: int, what: str) -> int:
    """Stream the request body into ``path``; 413 as soon as it grows past ``limit`` bytes.
    Returns the size in bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"{what} is larger than {limit // (1 << 20)} MiB")
    size = 0
    with path.open("wb") as f:
        async for block in request.stream():
            size += len(block)
            if size > limit:
                raise HTTPException(413, f"{what} is larger than {limit // (1 << 20)} MiB")
            await asyncio.to_thread(f.write, block)
    return size


# -- the app ------------------------------------------------------------------------------------
def create_app(
    workdir: str | Path,
    video: str | Path | None = None,
    token: str | None = None,
    *,
    session_factory: Callable[[Path], Session] | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
) -> FastAPI:
    """The editor app for ``workdir``; ``video`` (inside it) is opened at once when given.

    Args:
        workdir: the working folder; nothing outside it is read or served.
        video: a video to open at start (relative to ``workdir`` or absolute inside it).
        token: when set, every request and WebSocket must carry it.
        session_factory: builds an unstarted session for a video (tests inject fast analyzers).
        max_upload_bytes: largest video upload accepted.

    Raises:
        ValueError: ``video`` is outside ``workdir`` or not a file.
        MediaError: ``video`` is not a readable video.
    """
    editor = Editor(Path(workdir), token, session_factory, max_upload_bytes)
    if video is not None:
        try:
            path = editor.inside(str(video))
        except HTTPException as e:
            raise ValueError(f"{video}: {e.detail}") from None
        probe(path)
        editor.open(path)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await asyncio.to_thread(editor.close)

    app = FastAPI(title="Backdrop editor", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.editor = editor
    app.add_middleware(_Guard, editor=editor)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

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
    async def upload(request: Request, name: str = Query(min_length=1, max_length=255)) -> Any:
        filename = _safe_name(name)
        if Path(filename).suffix.lower() not in VIDEO_SUFFIXES:
            kinds = ", ".join(sorted(VIDEO_SUFFIXES))
            raise HTTPException(415, f"{name}: not a video file name (expected {kinds})")
        folder = editor.workdir / UPLOAD_DIR
        folder.mkdir(exist_ok=True)
        target = folder / filename
        n = 1
        while target.exists():
            target = folder / f"{Path(filename).stem}-{n}{Path(filename).suffix}"
            n += 1
        partial = partial_sibling(target)  # unique: two uploads of one name do not collide
        try:
            size = await _save_body(request, partial, editor.max_upload_bytes, "the video")
            if size == 0:
                raise HTTPException(400, "the upload is empty")
            await asyncio.to_thread(probe, partial)
        except MediaError as e:
            partial.unlink(missing_ok=True)
            why = str(e).replace(str(partial), filename).replace(partial.name, filename)
            raise HTTPException(415, f"{filename}: not a video Backdrop can read ({why})") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        n = 1
        while target.exists():  # another upload of the same name finished first
            target = folder / f"{Path(filename).stem}-{n}{Path(filename).suffix}"
            n += 1
        partial.rename(target)
        await asyncio.to_thread(editor.open, target)
        return editor.video_info()

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

    async def _say(session: Session, text: str) -> dict[str, Any]:
        try:
            reply = await asyncio.to_thread(session.submit(text).result, REPLY_TIMEOUT_S)
        except TimeoutError:
            raise HTTPException(504, "the session is busy; try again in a moment") from None
        return {"heard": text, "text": reply.text, "changed": reply.changed,
                "clarify": reply.clarify}  # fmt: skip

    @app.post("/api/instruct")
    async def instruct(body: InstructBody) -> dict[str, Any]:
        return await _say(editor.require(), body.text.strip())

    @app.post("/api/notices/{notice_id}")
    async def answer(notice_id: int, body: AnswerBody) -> dict[str, Any]:
        session = editor.require()

        def answer_now() -> Future[Reply] | None:
            # runs on the session thread: the session answers the latest pending notice, so make
            # this one the latest and queue the answer in the same boundary (no micro-turn, and
            # so no new notice, can come in between)
            for i, n in enumerate(session.pending):
                if n.id == notice_id:
                    session.pending.append(session.pending.pop(i))
                    return session.submit(body.answer)
            return None

        said = await asyncio.to_thread(session.call(answer_now).result, REPLY_TIMEOUT_S)
        if said is None:
            raise HTTPException(404, f"notice {notice_id} is not waiting for an answer")
        reply = await asyncio.to_thread(said.result, REPLY_TIMEOUT_S)
        return {"heard": body.answer, "text": reply.text, "changed": reply.changed,
                "clarify": reply.clarify}  # fmt: skip

    @app.post("/api/point")
    async def point(body: PointBody) -> dict[str, Any]:
        session = editor.require()
        if body.x >= session.info.width or body.y >= session.info.height:
            raise HTTPException(422, "the point is outside the frame")
        return await _say(session, f"keep what is at {round(body.x)},{round(body.y)}")

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
        assert editor.video is not None
        path = editor.out_dir() / f"{editor.video.stem}-plan.json"
        await asyncio.to_thread(session.export_plan, path)
        return FileResponse(path, media_type="application/json", filename=path.name)

    @app.post("/api/render", status_code=202)
    async def start_render() -> dict[str, Any]:
        session = editor.require()
        assert editor.video is not None
        job = editor.render_job
        if job is not None and job.state == "running":
            raise HTTPException(409, "a render is already running")
        job = RenderJob(editor.out_dir() / f"{editor.video.stem}-edited.mp4")
        editor.render_job = job
        workdir = editor.workdir

        def progress(done: int, total: int, elapsed: float) -> None:
            job.done, job.total = done, total
            if done % 5 == 0 or done == total:
                editor.hub.publish(job.as_dict(workdir))

        def run() -> None:
            try:
                stats = session.render(job.output, progress=progress)
                job.done = job.total = stats.frames
                job.state = "done"
            except Exception as e:  # noqa: BLE001 - reported to the page; the session goes on
                log.exception("render failed")
                job.state, job.error = "failed", str(e) or type(e).__name__
            job.seconds = time.monotonic() - job.started
            editor.hub.publish(job.as_dict(workdir))

        task = asyncio.create_task(asyncio.to_thread(run))
        editor._tasks.add(task)
        task.add_done_callback(editor._tasks.discard)
        return job.as_dict(workdir)

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

    @app.post("/api/voice")
    async def voice(request: Request) -> dict[str, Any]:
        from backdrop.agent.voice import DIDNT_CATCH, VoiceError, load_audio
        from backdrop.perception.asr import AsrModelMissingError

        session = editor.require()
        data = await _read_body(request, MAX_VOICE_BYTES, "the recording")
        if not data:
            raise HTTPException(400, "the recording is empty")
        kind = request.headers.get("content-type", "")
        suffix = ".wav" if "wav" in kind else ".ogg" if "ogg" in kind else ".webm"

        def hear() -> Any:
            with tempfile.TemporaryDirectory(prefix="backdrop-voice-") as tmp:
                path = Path(tmp) / f"voice{suffix}"
                path.write_bytes(data)
                audio = load_audio(path)
            if len(audio) > MAX_VOICE_SECONDS * 16_000:
                raise VoiceError(
                    f"the recording is {len(audio) / 16_000:.0f} s long; "
                    f"say the instruction in at most {MAX_VOICE_SECONDS:.0f} s"
                )
            return editor.voice_input().listen(audio)

        try:
            heard = await asyncio.to_thread(hear)
        except VoiceError as e:
            raise HTTPException(415, str(e)) from None
        except AsrModelMissingError as e:
            raise HTTPException(503, str(e)) from None
        if not heard.ok:
            extra = f" (it sounded like “{heard.text}”)" if heard.text else ""
            text = f"{DIDNT_CATCH}{extra}. Could you say it again?"
            editor.hub.publish({"type": "reply", "heard": "(voice)", "text": text,
                                "changed": False, "clarify": True}, keep=True)  # fmt: skip
            return {"heard": "", "text": text, "changed": False, "clarify": True}
        return await _say(session, heard.text)

    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        client = _Client(asyncio.get_running_loop())
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
                await socket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            editor.hub.remove(client)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    return app


def new_token() -> str:
    """A random token for non-loopback hosts (URL-safe, 128 bits)."""
    return secrets.token_urlsafe(16)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")
