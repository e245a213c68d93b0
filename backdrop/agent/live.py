"""``backdrop live``: a live source edited frame by frame while the person talks to it.

A :class:`LiveRunner` is a :class:`~backdrop.agent.session.Session` on a live source with live
sinks. Three threads: the source's *capture* thread, the *live loop* (this module), and the
session's own threads. The live loop takes each captured frame, renders it with the plan in
force (:class:`~backdrop.render.live.LiveRenderer`, under the frame budget controller) and hands
it to the sinks (recording, virtual camera, browser page). At each 200 ms micro-turn boundary of
capture time it picks up the session's plan — so an instruction, typed or spoken, changes the
frames from the next boundary after the session applied it, never half a frame — and it hands the
finished micro-turn's :class:`~backdrop.perception.core.media.Chunk` to the session's analysis
thread
(through :class:`SessionFeed`, which drops chunks rather than queue them when analysis is
behind), which raises notices as for a file.

Typed lines and commands are those of ``backdrop chat`` (:class:`~backdrop.agent.chat.Chat`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from backdrop.agent.chat import Chat
from backdrop.agent.session import Session
from backdrop.perception.core import interrupt, workers
from backdrop.perception.core.events import Analyzer
from backdrop.perception.core.live import BrowserCamera, ChunkAssembler, LiveSource, scale_chunk
from backdrop.perception.core.media import CHUNK_SECONDS, Chunk, MediaInfo
from backdrop.render.live import (
    LEVELS,
    BudgetController,
    LiveRenderer,
    LiveStats,
    MaskerFactory,
    RenderedFrame,
)
from backdrop.render.live_sinks import (
    LiveRecorder,
    RecordingSink,
    VirtualCamera,
    WebPreview,
    open_virtual_camera,
)
from backdrop.render.plan import EditPlan

if TYPE_CHECKING:  # annotations only: agent/ does no array maths
    import numpy as np

log = logging.getLogger(__name__)

FEED_CHUNKS = 5
"""Micro-turns the session's analysis may be behind before the oldest is dropped."""
STOP_JOIN_S = 10.0
"""Seconds :meth:`LiveRunner.stop` waits for the live loop (and the listener) to end."""
ANALYSIS_FPS = 15.0
"""Frames per second the session's analysis sees of a live stream (scene cuts, lighting,
people): a 30 or 60 fps camera's other frames are rendered but not analysed, which halves
to quarters the analysis thread's share of the two cores; cuts, light changes and people
coming in are still seen within 1/15 s."""
PEOPLE_EVERY_S = 0.5
"""Seconds between the live people analysis's detections (one LiteRT thread, ~65 ms CPU each
at 720p: at the file default of 0.25 s it took a quarter of a core from the live output;
"nobody in frame" and "a second person came in" are held for a second or more anyway)."""
ANALYSIS_NICE = 10
"""Nice steps the session's analysis thread runs below the live loop (Linux; threads have their
own): on two busy cores the frames go first and the analysis (people, cuts, lighting) takes the
time the loop leaves. It never holds a frame up: when it falls behind, its oldest micro-turns
are dropped (:data:`FEED_CHUNKS`), not queued."""
SAY_JOIN_S = 30.0
"""Seconds in total it waits for scripted lines still waiting for their replies."""


def live_analyzers(info: MediaInfo) -> list[Analyzer]:
    """The analyzers a live stream runs: the cheap vision ones (scene cuts, lighting, people —
    with "nobody in frame" said while it is so).

    The slow ones (speech of the stream's own soundtrack, captions) are left out and people are
    looked for every :data:`PEOPLE_EVERY_S` seconds with one thread, so analysis keeps up with
    real time on two cores and leaves them to the live output; :class:`LiveRunner` adds mask
    quality, scored on the masks the live output computes anyway.
    """
    from backdrop.perception.core.models import ModelMissingError, model_path
    from backdrop.perception.vision.lighting import LightingAnalyzer
    from backdrop.perception.vision.scenecut import SceneCutAnalyzer

    out: list[Analyzer] = [SceneCutAnalyzer(info.fps), LightingAnalyzer()]
    try:
        from backdrop.perception.vision.person_crop import PoseDetector
        from backdrop.perception.vision.presence import PresenceAnalyzer

        detector = PoseDetector(model_path("pose-detection"), threads=1)
        out.append(PresenceAnalyzer(detector, every=PEOPLE_EVERY_S))
    except ModelMissingError as e:
        log.info("people analysis off: %s", e)
    return out


def _in_background(
    factory: Callable[[MediaInfo], Sequence[Analyzer]],
) -> Callable[[MediaInfo], Sequence[Analyzer]]:
    """``factory``, first lowering the priority of the thread that calls it (the session's
    analysis thread builds its analyzers itself) by :data:`ANALYSIS_NICE`."""

    def build(info: MediaInfo) -> Sequence[Analyzer]:
        workers.lower_priority(ANALYSIS_NICE)
        return factory(info)

    return build


class SessionFeed:
    """The live loop's finished micro-turns, as the session's source (see ``Session``).

    Holds at most ``maxsize`` chunks; when the session's analysis is behind, the oldest is
    dropped (counted in :attr:`dropped`). A chunk may be put as a function that makes it
    (:meth:`~backdrop.perception.core.live.ChunkAssembler.ready_later`): it is made in the
    analysis thread, so the live loop never copies a micro-turn's frames.
    """

    def __init__(self, info: MediaInfo, maxsize: int = FEED_CHUNKS) -> None:
        self.info = info
        self.dropped = 0
        self._q: deque[Chunk | Callable[[], Chunk]] = deque()
        self._maxsize = maxsize
        self._cond = threading.Condition()
        self._closed = False

    def put(self, chunk: Chunk | Callable[[], Chunk]) -> None:
        with self._cond:
            while len(self._q) >= self._maxsize:
                self._q.popleft()
                self.dropped += 1
            self._q.append(chunk)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def chunks(
        self, chunk_seconds: float = CHUNK_SECONDS, size: tuple[int, int] | None = None
    ) -> Iterator[Chunk]:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._q or self._closed)
                if not self._q:
                    return
                chunk = self._q.popleft()
            yield scale_chunk(chunk() if callable(chunk) else chunk, size)


@dataclass(frozen=True)
class PlanChange:
    """The live output switched to ``plan`` at the frame captured at ``t`` seconds."""

    t: float
    plan: EditPlan


def parse_say(text: str) -> tuple[float | None, str]:
    """``"@2.5 make it blue"`` → ``(2.5, "make it blue")``; no ``@SECONDS`` → ``(None, text)``
    (said at the start)."""
    text = text.strip()
    if text.startswith("@"):
        head, _, rest = text[1:].partition(" ")
        try:
            return float(head), rest.strip()
        except ValueError:
            pass
    return None, text


class _LastMask:
    """The session's preview masker on a live stream: the mask the live output last used
    (:meth:`~backdrop.render.live.LiveRenderer.last_mask_or_empty`)."""

    def __init__(self, renderer: LiveRenderer) -> None:
        self.renderer = renderer

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self.renderer.last_mask_or_empty(frame, t)

    def reset(self) -> None:
        pass


class LiveChat(Chat):
    """``backdrop chat``'s commands for a live stream (/render and /wait make no sense live)."""

    def _command(self, cmd: str, arg: str) -> bool:
        if cmd == "/render":
            self._print("backdrop: live streams are recorded with --record OUT.mp4")
            return True
        if cmd == "/wait":
            self._print("backdrop: a live stream does not finish; /quit or Ctrl-C ends it")
            return True
        return super()._command(cmd, arg)

    def _render(self, out: Path) -> None:
        """``/export OUT.mp4`` on a live stream: there is no whole video to render."""
        self._print(
            "backdrop: live streams are recorded with --record OUT.mp4; nothing was written"
        )


class LiveRunner:
    """A session on a live source, rendered frame by frame to live sinks.

    Args:
        source: the live source (not started yet; the runner starts and closes it).
        say: prints one line for the person (replies, notices, what the outputs are).
        record: MP4 to write the processed stream to (with audio); the plan goes beside it as
            ``OUT.plan.json``. Both appear only when complete (at :meth:`stop`).
        plan: the plan to start from.
        virtual_cam: send the output to a virtual camera (one line says what to install
            where there is none; the stream goes on).
        web_port: serve the browser page on this port (None = off, 0 = any free port).
        says: scripted instructions, ``"@SECONDS text"`` or ``"text"`` (at the start).
        listen: hear the microphone all the time (:class:`Listener`).
        analyzers, llm: as for :class:`~backdrop.agent.session.Session` (default analyzers:
            :func:`live_analyzers`).
        masker_factory: the subject masker for the live output (default: the plan's).
        controller: the frame budget controller (default: one for the source's rate).
        out_dir: where /export and /preview write by default.
    """

    def __init__(
        self,
        source: LiveSource,
        *,
        say: Callable[[str], None] = print,
        record: Path | None = None,
        plan: EditPlan | None = None,
        virtual_cam: bool = False,
        web_port: int | None = None,
        says: Sequence[str] = (),
        listen: bool = False,
        analyzers: Callable[[MediaInfo], Sequence[Analyzer]] | None = None,
        llm: object = None,
        masker_factory: MaskerFactory | None = None,
        controller: BudgetController | None = None,
        out_dir: Path = Path("out"),
    ) -> None:
        self.source = source
        self.info = source.info
        self.say = say
        self.record_path = Path(record) if record is not None else None
        self.feed = SessionFeed(self.info)
        self.renderer = LiveRenderer(self.info, masker_factory, controller, threaded=True)
        self.session = Session(
            self.feed,
            analyzers=_in_background(analyzers or self._default_analyzers),
            llm=llm,  # type: ignore[arg-type]
            masker_factory=lambda info, plan: _LastMask(self.renderer),
        )
        self.session.auto_preview = False  # the live output is the preview (5 fewer composes/s)
        self.chat = LiveChat(self.session, say, out_dir)
        self.stats = LiveStats()
        self.plan_changes: list[PlanChange] = []
        self._start_plan = plan
        self._virtual_cam = virtual_cam
        self._web_port = web_port
        self._listen = listen
        self.listener: Listener | None = None
        self._says = sorted(
            (parse_say(s) for s in says), key=lambda p: -1.0 if p[0] is None else p[0]
        )
        self._recording: RecordingSink | None = None
        self.vcam: VirtualCamera | None = None
        self.web: WebPreview | None = None
        self._outputs: list[Callable[[int, float, np.ndarray], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self.error: BaseException | None = None
        self.t = 0.0
        self.saved: list[Path] = []
        self.record_origin: float | None = None
        """Capture time (s) of the recording's first frame (its time 0), once stopped."""

    def _default_analyzers(self, info: MediaInfo) -> list[Analyzer]:
        """:func:`live_analyzers`, plus mask quality scored on the masks the live output
        already computed (no second segmentation)."""
        from backdrop.perception.vision.mask_quality import MaskQualityAnalyzer

        return [*live_analyzers(info), MaskQualityAnalyzer(self.renderer.last_mask_or_empty)]

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LiveRunner:
        """Open the outputs, load the masker, then start capturing and rendering."""
        self.say(f"backdrop: {self.source.description}")
        self.session.start()
        if self._start_plan is not None:
            plan = self._start_plan
            self.session.call(lambda: self.session.ctx.history.apply(plan, "the starting plan"))
            self.session.call(lambda: None).result(60)
        self.renderer.warm_up()
        self.renderer.set_plan(self.session.plan)
        if self.record_path is not None:
            rec = LiveRecorder(
                self.record_path, self.info.width, self.info.height, self.info.fps,
                audio=self.info.has_audio,
            )  # fmt: skip
            self._recording = RecordingSink(rec)
        if self._virtual_cam:
            self.vcam, line = open_virtual_camera(self.info.width, self.info.height, self.info.fps)
            self.say(f"backdrop: {line}")
        if self._web_port is not None:
            camera = self.source if isinstance(self.source, BrowserCamera) else None
            self.web = WebPreview(
                port=self._web_port,
                camera=camera.push_jpeg if camera is not None else None,
                camera_size=(self.info.width, self.info.height, self.info.fps),
                on_say=self._say_from_web,
            )
            self.say(f"backdrop: live page {self.web.url} · OBS browser source {self.web.url}obs")
            if camera is not None:
                self.say(f"backdrop: open {self.web.url}camera to send your browser's camera")
        if self._listen:
            self.listener = Listener(self.session.submit_audio, self.say)
            self.say(f"backdrop: {self.listener.start_microphone()}")
        self.source.start()
        self._thread = workers.start(self._loop_guarded, "live", stop=self._stop_at_exit)
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def handle(self, line: str) -> bool:
        """A typed line (instruction or /command), as ``backdrop chat`` takes it. Blocks until
        the reply; False means /quit."""
        return self.chat.handle(line)

    def _say_from_web(self, text: str) -> str:
        """An instruction typed on the browser page; the reply's text."""
        self.say(f"you (browser): {text}")
        try:
            return self.session.submit(text).result(120).text
        except Exception as e:  # noqa: BLE001 - shown on the page, the stream goes on
            return f"error: {e}"

    def handle_async(self, line: str) -> threading.Thread:
        """:meth:`handle` in a worker thread (for scripted lines from the live loop)."""
        th = workers.start(self.chat.handle, "say", line)
        self._workers.append(th)
        return th

    def stop(self) -> list[Path]:
        """End cleanly: stop capturing, finish the recording and write the plan beside it.

        Returns the files written (recording, plan).
        """
        self._stop.set()
        self.source.close()
        self._joined([self._thread], STOP_JOIN_S)  # the loop ends after the frame it is on
        self.renderer.close()
        if self.listener is not None:
            self.listener.close()
        self._joined(self._workers, SAY_JOIN_S)  # scripted lines waiting for their reply
        self.feed.close()
        self.session.close()
        for sink in (self.vcam, self.web):
            if sink is not None:
                sink.close()
        if self._recording is not None:
            rec, self._recording = self._recording, None
            self.record_origin = rec.origin
            path = rec.close()
            if path is not None:
                self.saved.append(path)
                assert self.record_path is not None
                self.saved.append(self.session.plan.save(plan_path_for(self.record_path)))
        return self.saved

    def _stop_at_exit(self) -> None:
        """Never stopped by its owner: end the loop and the session's feed (never blocks)."""
        self._stop.set()
        self.feed.close()

    def _joined(self, threads: Sequence[threading.Thread | None], timeout: float) -> None:
        """Join ``threads`` within ``timeout`` seconds in total; say which are still running
        (they get more time at interpreter exit, see :mod:`~backdrop.perception.core.workers`)."""
        left = workers.join(threads, timeout)
        if left:
            log.warning("still running after %g s: %s", timeout, ", ".join(left))

    def abort(self) -> None:
        """Stop without keeping a recording (an error happened before anything was worth it)."""
        if self._recording is not None:
            self._recording.abort()
            self._recording = None
        self.stop()

    # -- the live loop --------------------------------------------------------------------------
    def _loop_guarded(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # noqa: BLE001 - reported by the caller through .error
            self.error = e
            log.debug("live loop stopped", exc_info=True)

    def _loop(self) -> None:
        asm = ChunkAssembler(self.source)
        turn = -1
        audio_t = 0.0  # recorded audio is written up to here (capture seconds)
        says = list(self._says)
        analyse_at = 0.0  # capture time of the next frame the session's analysis gets
        while not self._stop.is_set():
            frame = self.source.read(0.25)
            if frame is None:
                if self.source.ended:
                    if self.source.error is not None:
                        raise self.source.error
                    break
                continue
            self.t = frame.t
            index = int(frame.t // CHUNK_SECONDS)
            if index != turn:  # a micro-turn boundary: pick up the plan, say what is due
                turn = index
                while says and (says[0][0] is None or says[0][0] <= frame.t):
                    self.handle_async(says.pop(0)[1])
                plan = self._committed_plan()
                if plan is not None and plan is not self.renderer.plan:
                    changed = plan != self.renderer.plan
                    self.renderer.set_plan(plan)
                    if changed:
                        self.plan_changes.append(PlanChange(frame.t, plan))
                audio_t = self._record_audio(audio_t)
            if frame.t >= analyse_at - 0.25 / ANALYSIS_FPS:  # a little early: a camera's jitter
                asm.add(frame)
                analyse_at += 1.0 / ANALYSIS_FPS
                if analyse_at <= frame.t:  # frames were dropped: from this one on
                    analyse_at = frame.t + 1.0 / ANALYSIS_FPS
            for later in asm.ready_later():  # stacked by the analysis thread
                self.feed.put(later)
            if self.renderer.skip(frame.index):
                self.stats.skipped += 1
                continue
            started = time.perf_counter()
            done = self.renderer.render(frame.index, frame.t, frame.rgb)
            self._deliver(frame.index, frame.rgb, done)
            cost = time.perf_counter() - started  # the frame's whole work, outputs included
            out_at = time.monotonic()
            latency = out_at - frame.captured
            level = self.renderer.controller.index
            model = done.model_cost or None  # the mask thread's last run, where handed to it
            self.renderer.controller.update(cost, latency, out_at, masked=done.masked, model=model)
            self.stats.add(out_at, latency, cost, level)
        for chunk in asm.finish():
            self.feed.put(chunk)
        self._record_audio(audio_t, final=True)

    def _committed_plan(self) -> EditPlan | None:
        """The session's plan, or None while an instruction is half-applied (its tool calls
        change the plan one by one inside a transaction; frames never show a partial edit)."""
        history = self.session.ctx.history
        plan = history.current
        if history.in_transaction or history.current is not plan:
            return None
        return plan

    def add_output(self, fn: Callable[[int, float, np.ndarray], None]) -> None:
        """Also hand every output frame to ``fn(index, t, rgb)`` (capture index and seconds;
        called on the live loop: ``fn`` must not block, e.g. a
        :class:`~backdrop.render.live_sinks.JpegSink`'s ``frame``)."""
        self._outputs = [*self._outputs, fn]

    def remove_output(self, fn: Callable[[int, float, np.ndarray], None]) -> None:
        self._outputs = [f for f in self._outputs if f is not fn]

    def _deliver(self, index: int, source: np.ndarray, done: RenderedFrame) -> None:
        t, rgb, keep = done.t, done.composite.rgb, done.composite.keep
        for fn in self._outputs:
            fn(index, t, rgb)
        if self._recording is not None:
            self._recording.frame(rgb, t)
        if self.vcam is not None:
            self.vcam.frame(rgb, t)
        if self.web is not None:
            self.web.frame(rgb, t, source, keep)

    def _record_audio(self, since: float, final: bool = False) -> float:
        if self._recording is None or not self.source.has_audio or self._recording.origin is None:
            return since
        since = max(since, self._recording.origin)
        until = self.source.audio_until
        if final:
            until = max(until, self.t)
        if until - since < CHUNK_SECONDS and not final:
            return since
        if until > since:
            self._recording.audio(self.source.audio(since, until), since)
            return until
        return since

    # -- status ---------------------------------------------------------------------------------
    @property
    def dropped(self) -> int:
        """Frames captured but not delivered: the source's buffer overflowed, or the controller
        dropped them on purpose."""
        return self.source.dropped + self.stats.skipped

    def status(self) -> str:
        """One line: delivered fps, capture→output latency, dropped frames, budget level."""
        s = self.stats
        dropped, captured = self.dropped, max(1, self.source.captured)  # read together
        rec = ""
        if self._recording is not None:
            rec = f" · rec {self._recording.recorder.frames} frames"
        return (
            f"live {s.fps():4.1f} fps · latency {s.latency_ms(50):3.0f}/{s.latency_ms(95):3.0f} ms"
            f" (p50/p95) · dropped {dropped} ({100.0 * dropped / captured:.1f} %)"
            f" · level {self.renderer.controller.level.name} · t {self.t:6.1f} s{rec}"
        )


def plan_path_for(record: Path) -> Path:
    """Where the plan of a recording goes: ``OUT.mp4`` → ``OUT.plan.json``."""
    return record.with_suffix(".plan.json")


def run_terminal(
    runner: LiveRunner,
    lines: Iterator[str] | None,
    *,
    status: Callable[[str], None],
    duration: float | None = None,
    status_every: float = 0.5,
) -> None:
    """Drive ``runner`` from typed ``lines`` (read in a thread) until /quit, the end of the
    source, ``duration`` seconds of stream, or Ctrl-C (KeyboardInterrupt is left to the caller,
    who calls :meth:`LiveRunner.stop`). ``status`` is called every ``status_every`` seconds.

    Ctrl-C (and SIGTERM) is taken at safe points (:mod:`~backdrop.perception.core.interrupt`):
    between two looks at the typed lines, and every :data:`~backdrop.perception.core.interrupt.
    POLL_S` seconds while a typed line waits for its reply (the reply goes on in its thread) —
    never inside a queue's or a condition's own code, which would leave the queue unusable."""
    inbox: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert lines is not None
        for line in lines:
            inbox.put(line)

    if lines is not None:
        threading.Thread(target=read, name="stdin", daemon=True).start()
    next_status = time.monotonic()
    with interrupt.deferred():
        while runner.running:
            interrupt.check()
            if duration is not None and runner.t >= duration:
                return
            try:
                line = inbox.get(timeout=interrupt.POLL_S)
            except queue.Empty:
                line = None
            if line is not None and not _handled(runner, line):
                return
            if time.monotonic() >= next_status:
                status(runner.status())
                next_status = time.monotonic() + status_every


def _handled(runner: LiveRunner, line: str) -> bool:
    """:meth:`LiveRunner.handle` in a worker thread, waited for at safe points; False = /quit."""
    said: list[bool | BaseException] = []

    def handle() -> None:
        try:
            said.append(runner.handle(line))
        except BaseException as e:  # noqa: BLE001 - raised again in the main thread
            said.append(e)

    th = workers.start(handle, "typed")
    while th.is_alive():
        th.join(interrupt.POLL_S)
        interrupt.check()
    if said and isinstance(said[0], BaseException):
        raise said[0]
    return bool(said and said[0])


class LiveError(Exception):
    """``backdrop live`` cannot start; one line for the person."""


def run_live(
    *,
    camera: str | None,
    source: str | None,
    realtime: bool,
    loop: bool,
    size: tuple[int, int] | None,
    fps: float | None,
    record: Path | None,
    plan: Path | None,
    says: Sequence[str],
    listen: bool,
    virtual_cam: bool,
    web_port: int | None,
    duration: float | None,
    llm: object,
    level: int | None,
    out_dir: Path,
    say: Callable[[str], None],
    status_line: Callable[[str, bool], None],
    stdin: Iterator[str] | None,
) -> list[Path]:
    """The ``backdrop live`` command: open the source, run until /quit, the end of a
    non-looping file, ``duration`` seconds or Ctrl-C, then finish the outputs.

    ``status_line(text, final)`` shows the status line. Returns the files written.

    Raises:
        LiveError, MediaError, PlanError: one line for the person.
    """
    import signal

    if level is not None and not 0 <= level < len(LEVELS):
        names = ", ".join(f"{i} = {lv.name}" for i, lv in enumerate(LEVELS))
        raise LiveError(f"--level takes {names}")
    browser = camera == "browser"
    if browser:
        camera, web_port = None, 8765 if web_port is None else web_port
    if browser + (camera is not None) + (source is not None) != 1:
        raise LiveError(
            "say where the video comes from: --camera N, --camera browser or --source FILE|URL"
        )
    start_plan = EditPlan.load(plan) if plan is not None else None
    if record is not None:
        _check_record(record, [p for p in (source, plan) if p is not None])
    src = _open_live_source(camera, source, browser, realtime, loop, size, fps)
    controller = BudgetController(src.info.fps, fixed=level)
    runner = LiveRunner(
        src, say=say, record=record, plan=start_plan, virtual_cam=virtual_cam,
        web_port=web_port, says=says, listen=listen, llm=llm, controller=controller,
        out_dir=out_dir,
    )  # fmt: skip
    try:
        runner.start()
    except BaseException:
        runner.abort()
        raise
    interrupted = False
    try:
        run_terminal(runner, stdin, status=lambda s: status_line(s, False), duration=duration)
    except KeyboardInterrupt:
        interrupted = True
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not lose the file
    try:
        status_line(runner.status(), True)
        saved = runner.stop()  # what was recorded is kept, also when the source broke off
    finally:
        signal.signal(signal.SIGINT, old)
    how = "stopped (Ctrl-C)" if interrupted else "stopped"
    kept = ", ".join(str(p) for p in saved)
    say(f"backdrop: {how}; " + (f"kept {kept}" if kept else "nothing was recorded"))
    if runner.error is not None:
        raise LiveError(f"the live stream stopped: {runner.error}")
    return saved


def _check_record(record: Path, inputs: Sequence[str | Path]) -> None:
    """``--record OUT.mp4`` and its plan beside it replace no input, device or folder.

    Raises:
        LiveError, ValueError: one line for the person.
    """
    from backdrop.render.files import check_distinct, check_output

    files = [p for p in inputs if "://" not in str(p)]
    check_output(record, files)  # never an input, a device or a folder
    if record.suffix.lower() != ".mp4":
        raise LiveError(f"{record}: --record writes MP4; name it like OUT.mp4")
    check_output(plan_path_for(record), files)
    check_distinct([record, plan_path_for(record)])


def _open_live_source(
    camera: str | None,
    source: str | None,
    browser: bool,
    realtime: bool,
    loop: bool,
    size: tuple[int, int] | None,
    fps: float | None,
) -> LiveSource:
    """The source ``backdrop live`` was asked for (not started)."""
    from backdrop.perception.core.live import open_camera, open_source

    if browser:
        return BrowserCamera(size or (1280, 720), fps or 30.0)
    if camera is not None:
        return open_camera(camera, size, fps)
    assert source is not None
    return open_source(source, realtime=realtime, loop=loop, size=size)


class StatusPrinter:
    """Lines for the person on ``out``; the status line on ``err``.

    On a terminal the status line lives on the bottom row, outside a scrolling region that
    holds the conversation, so redrawing it never overwrites what the person is typing;
    elsewhere (logs, tests) it is printed as a line every ``every`` seconds.
    """

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None,
                 every: float = 2.0) -> None:  # fmt: skip
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.every = every
        self._tty = self.err.isatty() and self.out.isatty()
        self._rows = 0
        self._next = 0.0
        self._lock = threading.Lock()

    def say(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def status(self, text: str, final: bool = False) -> None:
        with self._lock:
            if self._tty:
                self._bottom_row(text, final)
            elif final or time.monotonic() >= self._next:
                self.err.write(text + "\n")
                self._next = time.monotonic() + self.every
            self.err.flush()

    def _bottom_row(self, text: str, final: bool) -> None:
        import shutil

        rows, cols = shutil.get_terminal_size((80, 24))[::-1]
        if final:
            if self._rows:  # give the row back: scroll region off, the last status a plain line
                self.err.write(f"\0337\033[r\033[{self._rows};1H\033[2K\0338")
                self._rows = 0
            self.err.write(text + "\n")
            return
        if rows != self._rows:  # first time, or the terminal was resized
            self.err.write(f"\n\0337\033[1;{rows - 1}r\0338\033[1A")
            self._rows = rows
        self.err.write(f"\0337\033[{rows};1H\033[2K{text[: cols - 1]}\0338")


class Listener:
    """Always-on voice (``--listen``): microphone audio gated by voice activity; each finished
    utterance becomes a spoken instruction at the session's next micro-turn.

    Blocks of float32 mono 16 kHz audio come from :meth:`feed` (the microphone callback, or a
    test) and are handled in the listener's own thread, so neither the video nor the capture
    waits for speech. ``say`` gets a short acknowledgement: "listening…" when speech starts,
    "got it" when the utterance ended and was handed over (the session's reply follows). Only
    the microphone is heard: a stream's own soundtrack is never taken as instructions.

    Args:
        submit: hands an utterance's samples to the session (``Session.submit_audio``).
        say: prints one line.
        params: voice-activity thresholds (default: those of spoken commands).
    """

    def __init__(
        self,
        submit: Callable[[np.ndarray], object],
        say: Callable[[str], None],
        params: object = None,
    ) -> None:
        from backdrop.agent.voice import COMMAND_VAD
        from backdrop.perception.audio.vad import SpeechSegmenter, VadState

        self._speaking = VadState.SPEAKING
        self.segmenter = SpeechSegmenter(params=params or COMMAND_VAD)  # type: ignore[arg-type]
        self.submit = submit
        self.say = say
        self.utterances = 0
        self._q: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=200)
        self._mic: object = None
        self._heard_start = False
        self._thread = workers.start(self._run, "listen", stop=self._end)

    def feed(self, samples: np.ndarray) -> None:
        """Add microphone samples (1-D float32 mono 16 kHz, not used by the caller afterwards).
        Never blocks: a full queue drops."""
        try:
            self._q.put_nowait(samples)
        except queue.Full:
            log.warning("listener behind: %d samples dropped", len(samples))

    def start_microphone(self, device: int | str | None = None) -> str:
        """Listen to the microphone; one line saying which, or why not (then nothing is heard)."""
        from backdrop.perception.core.live import open_microphone

        stream, line = open_microphone(self.feed, device, block_seconds=0.1)
        if stream is None:
            return f"not listening: {line}"
        try:
            stream.start()
        except Exception as e:  # noqa: BLE001 - PortAudio raises its own and OSError kinds
            return f"not listening: no microphone ({' '.join(str(e).split())})"
        self._mic = stream
        return f"listening to {line}: just say what you want"

    def _run(self) -> None:
        while True:
            block = self._q.get()
            if block is None:
                regions = self.segmenter.finish()
            else:
                regions = self.segmenter.push(block)
                if self.segmenter.machine.state is self._speaking and not self._heard_start:
                    self._heard_start = True
                    self.say("backdrop: listening…")
            for region in regions:
                self._heard_start = False
                self.utterances += 1
                self.say("backdrop: got it")
                self.submit(region.audio)
            if block is None:
                return

    def close(self) -> None:
        mic, self._mic = self._mic, None
        if mic is not None:
            mic.stop()  # type: ignore[attr-defined]
            mic.close()  # type: ignore[attr-defined]
        self._end()
        workers.join([self._thread], STOP_JOIN_S)

    def _end(self) -> None:
        """Tell the thread to finish the utterance it heard and end (never blocks)."""
        try:
            self._q.put_nowait(None)
        except queue.Full:  # far behind: drop the oldest block to make room
            with contextlib.suppress(queue.Empty):
                self._q.get_nowait()
            with contextlib.suppress(queue.Full):
                self._q.put_nowait(None)
