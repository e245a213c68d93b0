"""The editor's state and session lifecycle: the working folder, the open video's session,
the render in progress, the speech model; and the upload of a video into the working folder.

An :class:`Editor` lives on ``app.state`` (never in module globals). Opening a video closes the
previous session and starts a new one whose messages reach the pages through the
:class:`~backdrop.agent.web.hub.Hub`.

Several takes (``backdrop serve A.mp4 B.mp4``, or several files uploaded at once): the first is
opened at once while each is measured in the background (:mod:`backdrop.perception.core.takes`,
worded by :mod:`backdrop.agent.takes`); picking another take opens a session for it that carries
the same plan history, so the plan (per edit, not per file) stays, and the switch is itself an
undoable step (the history setting :data:`TAKE`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import HTTPException, Request

from backdrop.agent.session import Message, PreviewMessage, Session
from backdrop.agent.takes import confirm, pick_in_chat, recommend, take_rows
from backdrop.agent.web.hub import Hub
from backdrop.agent.web.security import inside, safe_name, save_body
from backdrop.agent.web.wire import message_payloads
from backdrop.perception.core.atomic import Partial
from backdrop.perception.core.media import MediaError, probe
from backdrop.render.writer import RenderError

if TYPE_CHECKING:
    from backdrop.agent.live import LiveRunner
    from backdrop.agent.voice import VoiceInput
    from backdrop.perception.core.takes import TakeReport
    from backdrop.tools import PlanHistory

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
MAX_UPLOAD_BYTES = 1 << 30
"""Largest video upload accepted (1 GiB)."""
OUT_DIR = "out"
"""Exports and renders go to this folder of the working folder."""
UPLOAD_DIR = "uploads"
"""Uploaded videos are stored in this folder of the working folder."""
TAKE = "take"
"""The plan-history setting naming the take being edited (relative path; ``None`` = the first)."""
MAX_TAKES = 8
"""Most takes opened together."""


class RenderStopped(Exception):
    """A render ended because the editor closed (the server is stopping)."""


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
            ``Session(path, refine=True, proxy=True)`` with every analyzer, the LLM when
            configured, the quality tier behind the preview and the scrub proxy).
        max_upload_bytes: largest accepted video upload.
        take_analyzer: measures one take for the comparison (default:
            :func:`~backdrop.perception.core.takes.analyze_take`).
    """

    def __init__(
        self,
        workdir: Path,
        token: str | None = None,
        session_factory: Callable[[Path], Session] | None = None,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        take_analyzer: Callable[[Path], TakeReport] | None = None,
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
        self._factory = session_factory or (lambda p: Session(p, refine=True, proxy=True))
        self._open_lock = threading.Lock()
        self._voice: VoiceInput | None = None
        self._voice_lock = threading.Lock()
        self._generation = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = threading.Event()
        """Set by :meth:`close`: a render still running stops at its next frame."""
        self.takes: list[Path] = []
        """The takes open together (empty: one video)."""
        self.take_reports: list[TakeReport] | None = None
        """Each take's measurements, once the background analysis has finished."""
        self.take_note = ""
        """Why the takes could not be compared, when they could not."""
        self._take_asked = False
        self._take_analyzer = take_analyzer

    # -- paths ------------------------------------------------------------------------------
    def inside(self, rel: str) -> Path:
        """``rel`` (relative to the working folder, or absolute inside it) resolved; raises
        403 when it leads outside the folder (``..``, symlinks), 404 when it is not a file."""
        return inside(self.workdir, rel)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.workdir).as_posix()

    def out_dir(self) -> Path:
        return self._own_folder(OUT_DIR)

    def _own_folder(self, name: str) -> Path:
        """The editor's folder ``name`` in the working folder (made when missing); 403 when it
        is a symlink (or a file) that leads outside the working folder: the editor writes only
        inside it."""
        d = self.workdir / name
        with contextlib.suppress(FileExistsError):
            d.mkdir()
        real = d.resolve()
        if not real.is_dir() or not real.is_relative_to(self.workdir):
            raise HTTPException(
                403,
                f"{name}/ is not a folder inside the working folder ({real}); nothing was written",
            )
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
        self.takes, self.take_reports, self._take_asked = [], None, False
        return self._open(path)

    def _open(self, path: Path, history: PlanHistory | None = None) -> Session:
        """Start a session for ``path``; with ``history`` (a take switch) it carries that plan
        history and the conversation so far stays."""
        with self._open_lock:
            # the old session stays in place until the new one is built, so a request answered
            # meanwhile (another upload's reply) never finds "no video open"
            session = self._factory(path)
            session.ctx.allowed = (self.workdir,)  # tool paths stay in the working folder
            if history is not None:
                session.ctx.history = history
            self._generation += 1
            gen = self._generation
            if history is None:
                self.hub.reset()
            else:
                self.hub.forget_latest()  # the other take's frames and timeline
            session.add_listener(lambda msg: self._relay(gen, session, msg))
            old, self.session, self.video = self.session, session, path
            self._stop_live()
            if old is not None:
                old.close()
            info = {"type": "opened", **self.video_info(), "switched": history is not None}
            self.hub.publish(info, keep=True)
            session.start()
            return session

    def open_live(self, runner: LiveRunner) -> None:
        """Camera mode: close the current session and make ``runner``'s the editor's (blocking:
        it loads the masker; see :mod:`backdrop.agent.web.camera`)."""
        self.takes, self.take_reports, self._take_asked = [], None, False
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
        """Stop the camera, the session and a render still running (it stops at its next frame
        and keeps no partial file), so the server's exit never waits for a render to end."""
        self._closing.set()
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
        take = self.takes.index(self.video) + 1 if self.video in self.takes else None
        return {"path": self.rel(self.video), "width": info.width, "height": info.height,
                "fps": round(info.fps, 3), "duration": info.duration,
                "summary": info.summary(), "take": take}  # fmt: skip

    def _relay(self, gen: int, session: Session, msg: Message) -> None:
        """Session listener (session thread): message → JSON for the pages."""
        if gen != self._generation:
            return
        if self.live is not None and isinstance(msg, PreviewMessage):
            return  # Camera mode: the page shows the live frames from /ws/camera
        for payload, keep in message_payloads(msg, session):
            self.hub.publish(payload, keep=keep)

    # -- takes ------------------------------------------------------------------------------
    def open_takes(self, paths: list[Path]) -> Session:
        """Open several takes of one shot (blocking; call in a thread): the first is edited at
        once while all are measured in a background thread; the comparison reaches the pages
        as a ``takes`` message (and the conversation) when it is ready."""
        if len(paths) == 1:
            return self.open(paths[0])
        if not 2 <= len(paths) <= MAX_TAKES:
            raise HTTPException(422, f"give 2 to {MAX_TAKES} takes, not {len(paths)}")
        self.takes, self.take_reports, self.take_note = list(paths), None, ""
        self._take_asked = False
        session = self._open(paths[0])
        self.hub.publish(self.takes_dict(), keep=True)
        threading.Thread(target=self._measure_takes, args=(list(paths),), name="takes",
                         daemon=True).start()  # fmt: skip
        return session

    def _measure_takes(self, paths: list[Path]) -> None:
        """Background thread: measure each take, then say the comparison."""
        from backdrop.perception.core.takes import analyze_take

        analyze = self._take_analyzer or analyze_take
        try:
            reports = [analyze(p) for p in paths]
        except Exception as e:  # noqa: BLE001 - said on the page; editing goes on
            log.exception("take analysis failed")
            if paths == self.takes:
                self.take_note = f"I couldn't compare the takes: {e}"
                self.hub.publish({"type": "error", "text": self.take_note}, keep=True)
            return
        if paths != self.takes:  # other videos were opened meanwhile
            return
        self.take_reports, self._take_asked = reports, True
        self.hub.publish(self.takes_dict(), keep=True)

    def takes_dict(self) -> dict[str, Any]:
        """The ``takes`` message: each take (its path, and once measured its figures, its line
        and what it is best at), the recommendation and which take is being edited."""
        reports = self.take_reports
        rows: list[dict[str, Any]] = (
            take_rows(reports)
            if reports is not None
            else [{"take": i + 1, "line": f"Take {i + 1} ({p.name}): measuring…"}
                  for i, p in enumerate(self.takes)]
        )  # fmt: skip
        for row, path in zip(rows, self.takes, strict=True):
            row["path"] = self.rel(path)
        current = self.takes.index(self.video) + 1 if self.video in self.takes else None
        return {"type": "takes", "takes": rows, "current": current, "ready": reports is not None,
                "recommendation": recommend(reports) if reports else self.take_note}  # fmt: skip

    def take_said(self, text: str) -> tuple[int, str] | None:
        """The take ``text`` picks (index from 0, why), when several takes are open and the line
        is about them (see :func:`backdrop.agent.takes.pick_in_chat`; before they are measured,
        by number or position only)."""
        if len(self.takes) < 2:
            return None
        return pick_in_chat(text, self.take_reports or [], self._take_asked, len(self.takes))

    def use_take(self, index: int, why: str) -> str:
        """Edit take ``index`` (from 0) from now on, keeping the plan (blocking; call in a
        thread); an undoable step. Returns what to say."""
        if not 0 <= index < len(self.takes):
            raise HTTPException(404, f"there is no take {index + 1}")
        session = self.require()
        if self.live is not None:
            raise HTTPException(409, "the camera is live; close it to edit a take")
        path = self.takes[index]
        history = session.ctx.history
        label = f"use take {index + 1} ({path.name})"
        try:  # on the session thread, between its micro-turns
            session.call(lambda: history.set_setting(TAKE, self.rel(path), label)).result(120)
        except TimeoutError:
            raise HTTPException(504, "the session is busy; try again in a moment") from None
        self._take_asked = False
        if path != self.video:
            self._open(path, history)
        self.hub.publish(self.takes_dict(), keep=True)
        if self.take_reports is not None:
            return confirm(index, why, self.take_reports) + " The plan stays as it was."
        return f"Editing take {index + 1} ({path.name}); the plan stays as it was."

    def follow_take(self) -> None:
        """After an undo or redo: open the take the plan history now names, if it changed
        (blocking; call in a thread)."""
        session = self.session
        if len(self.takes) < 2 or session is None or self.live is not None:
            return
        named = session.ctx.history.setting(TAKE)
        path = self.takes[0] if named is None else self.workdir / named
        if path != self.video and path in self.takes:
            self._open(path, session.ctx.history)
            self.hub.publish(self.takes_dict(), keep=True)

    # -- voice ------------------------------------------------------------------------------
    def voice_input(self) -> VoiceInput:
        """The embedded speech-to-text, loaded on first use (blocking)."""
        with self._voice_lock:
            if self._voice is None:
                from backdrop.agent.voice import load_voice_input

                self._voice = load_voice_input()
            return self._voice

    def answer_voice(self, text: str) -> tuple[bool, str] | None:
        """``text`` as the answer to a spoken instruction's "Did you say …?" (see
        :meth:`VoiceInput.answer`); None when none is pending or it is no yes/no."""
        with self._voice_lock:
            return self._voice.answer(text) if self._voice is not None else None

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
        folder = self._own_folder(UPLOAD_DIR)
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
            if self._closing.is_set():
                raise RenderStopped("stopped: the editor was closed; no partial output was kept")
            job.done, job.total = done, total
            if done % 5 == 0 or done == total:
                self.hub.publish(job.as_dict(self.workdir))

        try:
            stats = session.render(job.output, progress=progress)
            job.done = job.total = stats.frames
            job.state = "done"
        except Exception as e:  # noqa: BLE001 - reported to the page; the session goes on
            if isinstance(e, OSError | MediaError | RenderError | RenderStopped):
                log.warning("render failed: %s", e)  # an expected failure: one line
            else:
                log.exception("render failed")
            job.state, job.error = "failed", str(e) or type(e).__name__
        job.seconds = time.monotonic() - job.started
        self.hub.publish(job.as_dict(self.workdir))
