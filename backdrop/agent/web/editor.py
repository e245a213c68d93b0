"""The editor's state and session lifecycle: the working folder, the open video's session,
the render in progress, the speech model; and the upload of a video into the working folder.

An :class:`Editor` lives on ``app.state`` (never in module globals). Opening a video closes the
previous session and starts a new one whose messages reach the pages through the
:class:`~backdrop.agent.web.hub.Hub`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import HTTPException, Request

from backdrop.agent.session import Message, PreviewMessage, Session
from backdrop.agent.web.hub import Hub
from backdrop.agent.web.security import inside, safe_name, save_body
from backdrop.agent.web.wire import message_payloads
from backdrop.perception.core.atomic import Partial
from backdrop.perception.core.media import MediaError, probe

if TYPE_CHECKING:
    from backdrop.agent.live import LiveRunner
    from backdrop.agent.voice import VoiceInput

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
MAX_UPLOAD_BYTES = 1 << 30
"""Largest video upload accepted (1 GiB)."""
OUT_DIR = "out"
"""Exports and renders go to this folder of the working folder."""
UPLOAD_DIR = "uploads"
"""Uploaded videos are stored in this folder of the working folder."""


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

    def seconds_left(self) -> float | None:
        """Estimated seconds to the end at the rate so far (as the CLI's bar), or ``None``."""
        if self.state != "running" or self.done <= 0 or self.total <= 0:
            return None
        elapsed = time.monotonic() - self.started
        return max(0.0, elapsed * (self.total - self.done) / self.done)

    def as_dict(self, workdir: Path) -> dict[str, Any]:
        left = self.seconds_left()
        return {"type": "render", "state": self.state, "done": self.done, "total": self.total,
                "error": self.error, "seconds": round(self.seconds, 2),
                "seconds_left": None if left is None else round(left, 1),
                "output": self.output.relative_to(workdir).as_posix()}  # fmt: skip


class Editor:
    """Everything the app holds: the working folder, the token, the open video's session.

    Args:
        workdir: the only folder files are read from or written to.
        token: required on every request when set (see :mod:`backdrop.agent.web.security`).
        session_factory: builds an unstarted :class:`Session` for a video path (default:
            ``Session(path, refine=True)`` with every analyzer, the LLM when configured and
            the quality tier behind the preview).
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
        self.live: LiveRunner | None = None
        """The browser camera's runner while Camera mode is on (its session is ``session``)."""
        self._factory = session_factory or (lambda p: Session(p, refine=True))
        self._open_lock = threading.Lock()
        self._voice: VoiceInput | None = None
        self._voice_lock = threading.Lock()
        self._generation = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- paths ------------------------------------------------------------------------------
    def inside(self, rel: str) -> Path:
        """``rel`` (relative to the working folder, or absolute inside it) resolved; raises
        403 when it leads outside the folder (``..``, symlinks), 404 when it is not a file."""
        return inside(self.workdir, rel)

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
            # the old session stays in place until the new one is built, so a request answered
            # meanwhile (another upload's reply) never finds "no video open"
            session = self._factory(path)
            session.ctx.allowed = (self.workdir,)  # tool paths stay in the working folder
            self._generation += 1
            gen = self._generation
            self.hub.reset()
            session.add_listener(lambda msg: self._relay(gen, session, msg))
            old, self.session, self.video = self.session, session, path
            self._stop_live()
            if old is not None:
                old.close()
            self.hub.publish({"type": "opened", **self.video_info()}, keep=True)
            session.start()
            return session

    def open_live(self, runner: LiveRunner) -> None:
        """Camera mode: close the current session and make ``runner``'s the editor's (blocking:
        it loads the masker; see :mod:`backdrop.agent.web.camera`)."""
        with self._open_lock:
            session = runner.session
            session.ctx.allowed = (self.workdir,)
            self._generation += 1
            gen = self._generation
            self.hub.reset()
            session.add_listener(lambda msg: self._relay(gen, session, msg))
            old, self.session, self.video = self.session, session, None
            self._stop_live()
            if old is not None:
                old.close()
            self.live = runner
            try:
                runner.start()
            except BaseException:
                self.live, self.session = None, None
                runner.abort()
                raise
            self.hub.publish({"type": "opened", **self.video_info()}, keep=True)

    def _stop_live(self) -> None:
        live, self.live = self.live, None
        if live is not None:
            live.stop()

    def close(self) -> None:
        with self._open_lock:
            self._stop_live()
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
        if self.live is not None:
            return {"path": "camera", "camera": True, "width": info.width, "height": info.height,
                    "fps": round(info.fps, 3), "duration": 0.0,
                    "summary": self.live.source.description}  # fmt: skip
        assert self.video is not None
        return {"path": self.rel(self.video), "width": info.width, "height": info.height,
                "fps": round(info.fps, 3), "duration": info.duration,
                "summary": info.summary()}  # fmt: skip

    def _relay(self, gen: int, session: Session, msg: Message) -> None:
        """Session listener (session thread): message → JSON for the pages."""
        if gen != self._generation:
            return
        if self.live is not None and isinstance(msg, PreviewMessage):
            return  # Camera mode: the page shows the live frames from /ws/camera
        for payload, keep in message_payloads(msg, session):
            self.hub.publish(payload, keep=keep)

    # -- voice ------------------------------------------------------------------------------
    def voice_input(self) -> VoiceInput:
        """The embedded speech-to-text, loaded on first use (blocking)."""
        with self._voice_lock:
            if self._voice is None:
                from backdrop.agent.voice import load_voice_input

                self._voice = load_voice_input()
            return self._voice

    # -- uploads and renders ----------------------------------------------------------------
    async def upload(self, request: Request, name: str) -> Path:
        """Stream the request body into ``uploads/`` under a safe form of ``name`` (a fresh
        name when taken), as a hidden partial file renamed only once it probes as a video.

        Raises:
            HTTPException: 415 not a video name or not a readable video, 413 too large,
                400 empty.
        """
        filename = safe_name(name)
        if Path(filename).suffix.lower() not in VIDEO_SUFFIXES:
            kinds = ", ".join(sorted(VIDEO_SUFFIXES))
            raise HTTPException(415, f"{name}: not a video file name (expected {kinds})")
        folder = self.workdir / UPLOAD_DIR
        folder.mkdir(exist_ok=True)
        target = folder / filename
        n = 1
        while target.exists():
            target = folder / f"{Path(filename).stem}-{n}{Path(filename).suffix}"
            n += 1
        partial = Partial(target)  # unique: two uploads of one name do not collide
        try:
            size = await save_body(request, partial.tmp, self.max_upload_bytes, "the video")
            if size == 0:
                raise HTTPException(400, "the upload is empty")
            await asyncio.to_thread(probe, partial.tmp)
        except MediaError as e:
            partial.discard()
            why = str(e).replace(str(partial.tmp), filename).replace(partial.tmp.name, filename)
            raise HTTPException(415, f"{filename}: not a video Backdrop can read ({why})") from None
        except BaseException:
            partial.discard()
            raise
        n = 1
        while target.exists():  # another upload of the same name finished first
            target = folder / f"{Path(filename).stem}-{n}{Path(filename).suffix}"
            n += 1
        return partial.commit(target)

    def start_render(self) -> RenderJob:
        """Start a full-quality render of the open video with its current plan, in a worker
        thread (call on the event loop); progress and the end go to the pages.

        Raises:
            HTTPException: 409 when no video is open or a render is already running.
        """
        session = self.require()
        if self.live is not None:
            raise HTTPException(409, "the camera is live: it is not rendered (export the plan)")
        assert self.video is not None
        job = self.render_job
        if job is not None and job.state == "running":
            raise HTTPException(409, "a render is already running")
        job = RenderJob(self.out_dir() / f"{self.video.stem}-edited.mp4")
        self.render_job = job
        task = asyncio.create_task(asyncio.to_thread(self._render, session, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def _render(self, session: Session, job: RenderJob) -> None:
        def progress(done: int, total: int, elapsed: float) -> None:
            job.done, job.total = done, total
            if done % 5 == 0 or done == total:
                self.hub.publish(job.as_dict(self.workdir))

        try:
            stats = session.render(job.output, progress=progress)
            job.done = job.total = stats.frames
            job.state = "done"
        except Exception as e:  # noqa: BLE001 - reported to the page; the session goes on
            log.exception("render failed")
            job.state, job.error = "failed", str(e) or type(e).__name__
        job.seconds = time.monotonic() - job.started
        self.hub.publish(job.as_dict(self.workdir))
