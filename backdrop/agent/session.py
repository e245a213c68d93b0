"""A live editing session: the video processed in 200 ms micro-turns while the person talks.

Two threads. The *analysis* thread reads the source chunk by chunk, runs the analyzers (speech,
transcript, speakers, cuts, lighting, ... — the slow models), adds their events to the
:class:`~backdrop.agent.state.SceneState` and raises proactive notices; it hands each chunk's
last frame to the *session* thread, which owns the plan and everything that renders: it applies
utterances from :meth:`Session.submit` between two preview frames (the micro-turn boundary, so
nothing is half-applied), re-renders the frame the person is looking at first, then previews the
newest frame the analysis handed over (older ones are skipped when it falls behind). So a slow
model never delays an instruction's preview. That newest frame's mask is made in the preview
composer's own thread while the session thread goes on applying instructions (whose preview
recomposes the frame looked at from its remembered mask). Listeners receive :class:`Message` s,
one at a time.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from backdrop.agent import scenarios
from backdrop.agent.interpret import RuleInterpreter, SpeechInterpreter
from backdrop.agent.interpret.lexicon.strength import ONLY_DEGREE
from backdrop.agent.llm import (
    LLMConfig,
    LLMController,
    LocalToolModel,
    SecondOpinion,
    local_llm_wanted,
)
from backdrop.agent.proactive import Notice, NoticeMaker
from backdrop.agent.replies import Interpreter, Reply, step_reply
from backdrop.agent.state import SceneState
from backdrop.perception.core import workers
from backdrop.perception.core.analysis import default_analyzers
from backdrop.perception.core.events import Analyzer, Event, SpeakerTurn
from backdrop.perception.core.media import (
    CHUNK_SECONDS,
    MediaError,
    MediaInfo,
    probe,
    read_chunks,
)
from backdrop.render.maskers import Masker, build_masker
from backdrop.render.plan import (
    BackgroundSegment,
    ColorBackground,
    EditPlan,
    KeepRule,
    TimeRange,
    clock,
)
from backdrop.render.preview import (
    PREVIEW_LONG_SIDE,
    FrameCache,
    PreviewComposer,
    SeekReader,
    blank_frame,
    fit_preview,
    preview_size,
    write_png,
)
from backdrop.render.proxy import ProxyReader, ProxyWorker
from backdrop.render.refine import RefineCache, RefinedFrame, RefineWorker, plan_key
from backdrop.tools import PlanHistory, ToolCall, ToolContext, default_registry
from backdrop.tools.runner import run_step

if TYPE_CHECKING:
    from backdrop.agent.voice import VoiceInput
    from backdrop.render.pipeline import RenderStats

log = logging.getLogger(__name__)

_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|sure|ok(?:ay)?|please do|do it|go ahead)\b[\s,.!:;-]*", re.I
)
_NO = re.compile(
    r"^\s*(?:(?:no|nope|nah)(?:\s*[,.!:;-]+\s*|\s*$|\s+(?=(?:make|use|do|go|try|put|turn|"
    r"change|let'?s|keep|remove|just|instead)\b))|(?:don'?t|do not)(?: do (?:it|that))?[\s,.!]*$"
    r"|(?:dismiss|leave it(?: as it is)?|never ?mind|no thanks?|not now)\b[\s,.!]*)",
    re.I,
)
"""A "no" to a notice: alone, or followed by what to do instead ("no, make it green instead");
"no blur" or "don't blur it" are instructions, not answers."""

REFINE_WINDOW_S = 2.0
"""Seconds from the frame the person is looking at that the quality tier refines after an edit."""
PREVIEW_TIMEOUT_S = 30.0
"""Seconds a preview request waits for the session thread (renderer and masker) before it gives
up with :class:`PreviewTimeout`; generous, since the first one may wait for the masker to load
on a busy machine."""


_KEEP_PERSON = EditPlan(
    keep=[KeepRule()], backgrounds=[BackgroundSegment(background=ColorBackground(color="#000000"))]
)
"""The plan the masker is warmed up with, and the frame looked at masked for while nothing is
decided: "remove the background" (the masker a first edit most often needs)."""


class PreviewTimeout(TimeoutError):
    """A preview was not ready in time (a wedged or very slow masker); the message is one line
    for the person. The session keeps working: a later request is served once the thread is
    free again."""


# -- messages -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    """Base of everything a session tells its listeners."""


@dataclass(frozen=True)
class ReplyMessage(Message):
    text: str
    heard: str
    changed: bool
    clarify: bool = False


@dataclass(frozen=True)
class NoticeMessage(Message):
    notice: Notice


@dataclass(frozen=True)
class ProgressMessage(Message):
    t: float
    duration: float


@dataclass(frozen=True)
class PreviewMessage(Message):
    """An edited preview frame: ``rgb`` H×W×3 uint8 at preview size, shown at ``t`` seconds."""

    t: float
    rgb: np.ndarray


@dataclass(frozen=True)
class RefinedMessage(Message):
    """More frames were refined behind the preview: the refined stretches ``[(t0, t1)]`` in
    seconds for the current plan (all of them, not only the new ones)."""

    ranges: list[tuple[float, float]]


@dataclass(frozen=True)
class ErrorMessage(Message):
    text: str


@dataclass(frozen=True)
class DoneMessage(Message):
    """Processing reached the end of the source."""


@dataclass
class TurnStats:
    """Wall-clock cost of each micro-turn (seconds) — for the 200 ms budget benchmark."""

    durations: list[float] = dataclasses.field(default_factory=list)

    def missed(self, budget: float = CHUNK_SECONDS) -> float:
        """Share of micro-turns that took longer than ``budget`` seconds."""
        return sum(d > budget for d in self.durations) / max(1, len(self.durations))


class Session:
    """Owns the source, the plan (with undo/redo), the scene state, segmenters and outputs.

    Args:
        source: the video file, or a live feed: an object with ``info``
            (:class:`MediaInfo`) and ``chunks(chunk_seconds, size)`` yielding
            :class:`~backdrop.perception.core.media.Chunk` s in real time (see ``agent.live``).
        analyzers: factory of analyzers for the source (default: every one available).
        llm: language-model configuration; default from the environment; ``False`` = rules only.
        masker_factory: builds the preview masker for ``(preview_info, plan)`` (default: the
            plan's masker from :func:`~backdrop.render.maskers.build_masker`).
        realtime: pace micro-turns to the wall clock (a live feed) instead of as fast as possible.
        refine: run the quality tier behind the preview from the first edit (``chat``,
            ``serve``): after each plan change a :class:`~backdrop.render.refine.RefineWorker`
            re-renders ``refine_window`` seconds from the frame the person is looking at with
            the quality settings, at the source's size; refined frames replace the preview's
            and the export's. Off, the tier starts when an instruction turns on alpha matting
            ("the hair edge looks rough"). Never for a live feed (no file to re-read).
        proxy: write a preview-size scrub proxy of the file in the background from
            :meth:`start` (``serve``): a :class:`~backdrop.render.proxy.ProxyWorker`, held
            while the person scrubs, the session thread has work (an instruction, a preview,
            a processed frame to show, the masker loading) or an export runs; once it is
            complete, scrubs ahead of processing read it instead of the source. Never for a
            live feed.
        refine_window: seconds refined from the frame looked at.
        preview_timeout: seconds :meth:`preview` waits before :class:`PreviewTimeout`.
    """

    auto_preview = True
    """Compose a preview of each analysed chunk's newest frame for the listeners (a live
    stream's own output is its preview: ``backdrop live`` turns this off)."""

    def __init__(
        self,
        source: str | Path | Any,
        *,
        analyzers: Callable[[MediaInfo], Sequence[Analyzer]] | None = None,
        llm: LLMConfig | bool | None = None,
        masker_factory: Callable[[MediaInfo, EditPlan], Masker] | None = None,
        realtime: bool = False,
        preview_long_side: int = PREVIEW_LONG_SIDE,
        refine: bool = False,
        refine_window: float = REFINE_WINDOW_S,
        preview_timeout: float = PREVIEW_TIMEOUT_S,
        proxy: bool = False,
    ) -> None:
        self.live = None if isinstance(source, str | Path) else source
        self.source = Path(source) if self.live is None else Path(str(self.live.info.path))
        self.info = probe(self.source) if self.live is None else self.live.info
        self.state = SceneState(self.info.duration)
        self.registry = default_registry()
        self.ctx = ToolContext(
            history=PlanHistory(EditPlan()),
            duration=self.info.duration,
            source=self.source if self.live is None else None,
            timeline=self.state.timeline, live=self.live is not None,
        )  # fmt: skip
        self.rules: Interpreter = SpeechInterpreter(RuleInterpreter(self.registry), self.registry)
        if local_llm_wanted():  # opt-in: BACKDROP_LOCAL_LLM=1 (issue 11, item 3)
            self.rules = SecondOpinion(self.rules, LocalToolModel(self.registry), self.registry)
        config = LLMConfig.from_env() if llm is None else (llm or None)
        self.llm: LLMController | None = (
            LLMController(
                config, summary=self.state.summary, registry=self.registry, fallback=self.rules
            )  # fmt: skip
            if isinstance(config, LLMConfig)
            else None
        )
        self.notices = NoticeMaker(self.info.duration, frozenset(self.registry.names()))
        self.pending: list[Notice] = []
        self.cursor = 0.0
        self.turns = TurnStats()
        self._analyzers = analyzers or default_analyzers
        self._realtime = realtime
        self.preview_timeout = preview_timeout
        self._psize = preview_size(self.info, preview_long_side)
        self._pinfo = dataclasses.replace(self.info, width=self._psize[0], height=self._psize[1])
        self._listeners: list[Callable[[Message], None]] = []
        self._inbox: queue.Queue[tuple[str, Any, Future[Any]]] = queue.Queue()
        self._frames = FrameCache(CHUNK_SECONDS)
        self._reader: SeekReader | None = None  # scrubs ahead of processing (opened on first)
        self._want_proxy = proxy and self.live is None
        self.proxy: ProxyWorker | None = None  # the scrub proxy being written (from start)
        self._proxy_reader: ProxyReader | None = None
        self._exporting = 0
        self._composer = PreviewComposer(self._pinfo, masker_factory or self._default_masker)
        self._voice: VoiceInput | None = None
        self._stop = threading.Event()
        self._done = threading.Event()
        self._speaker_pass: Any = None  # the speaker analyzer, for the whole-file pass
        self._speakers_used: int | None = None  # the count its final turns were made with
        self._speaker_lock = threading.Lock()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._analysis: threading.Thread | None = None
        self._wake = threading.Event()
        self._slot: tuple[int, float, np.ndarray] | None = None
        self._slot_lock = threading.Lock()
        self._emit_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self.error: BaseException | None = None
        # the quality tier: a refine worker behind the preview (started on first need)
        self.refiner: RefineWorker | None = None
        self._refine_auto = refine
        self._refine_window = refine_window
        self._refine_cache = RefineCache()
        self._refine_asked: tuple[str, float, float] | None = None
        self._refine_seen = self.plan
        self._refine_emitted = 0.0
        self._looked = (0.0, 0.0)  # (time asked for, time of the frame shown) by _render_at
        self._looked_frame: tuple[float, float, np.ndarray] | None = None  # (asked, time, rgb)
        self._premasked: float | None = None  # the cursor masked for while nothing is decided

    # -- public API (any thread) ------------------------------------------------------------
    @property
    def plan(self) -> EditPlan:
        return self.ctx.history.current

    def add_listener(self, fn: Callable[[Message], None]) -> None:
        self._listeners.append(fn)

    def start(self) -> Session:
        """Start processing in the background."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="session", daemon=True)
            self._analysis = threading.Thread(target=self._analyse, name="analysis", daemon=True)
            for th in (self._thread, self._analysis):  # waited for at exit (models in use)
                workers.track(th, stop=self._stop.set)
            self._thread.start()
            self._analysis.start()
            if self._want_proxy:  # low priority; waits while an instruction or export runs
                self.proxy = ProxyWorker(self.source, self._psize, busy=self._busy)
        return self

    def _busy(self) -> bool:
        """Whether the session thread has work (an instruction, a preview, a processed frame
        to show, the masker loading) or an export runs: the proxy waits meanwhile."""
        return self._exporting > 0 or not self._idle.is_set()

    def _put(self, kind: str, payload: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        self._idle.clear()
        self._inbox.put((kind, payload, fut))
        self._wake.set()
        if self._thread is None:
            self._drain()
        return fut

    def submit(self, text: str) -> Future[Reply]:
        """Queue an utterance; it is applied at the next micro-turn boundary."""
        return self._put("text", text)

    def submit_audio(self, audio: np.ndarray) -> Future[Reply]:
        """Queue a spoken utterance (float32 mono 16 kHz samples). It is transcribed with the
        embedded speech model and then handled exactly like typed text; no speech, or too
        unsure, gives "I didn't catch that" and changes nothing."""
        return self._put("audio", audio)

    def answer(self, notice_id: int, yes: bool, choice: int | None = None) -> Future[Reply | None]:
        """Answer the pending notice ``notice_id`` at the next boundary: ``yes`` applies its
        suggestion (or, with ``choice``, that one of its ``choices``), ``no`` dismisses it. The
        future gives ``None`` when that notice is not waiting for an answer (already answered,
        or never raised) or has no such choice."""
        return self._put("answer", (notice_id, yes, choice))

    def choice_thumbnail(self, notice_id: int, index: int) -> np.ndarray | None:
        """The person that choice ``index`` of the pending notice ``notice_id`` keeps, cut from
        the source frame (``h×w×3`` uint8 RGB, at most 96 pixels high), or None."""
        from backdrop.perception.vision.people import person_thumbnail

        def cut() -> np.ndarray | None:
            with self._pending_lock:
                n = next((n for n in self.pending if n.id == notice_id), None)
            where = n.thumbs[index] if n is not None and index < len(n.thumbs) else None
            if where is None:
                return None
            _, frame = self._source_frame(where[0])
            return person_thumbnail(frame, where[1], (self.info.width, self.info.height))

        return self.call(cut).result()

    def keep_point(self, x: float, y: float) -> Future[Reply]:
        """Keep the thing under ``(x, y)`` (source pixels from the top-left corner) from now on,
        as one undoable step; the reply says what was done."""
        return self._put("point", (x, y))

    def call(self, fn: Callable[[], Any]) -> Future[Any]:
        """Run ``fn`` on the session thread at the next boundary (for reads that need a
        consistent state, e.g. rendering a preview)."""
        return self._put("call", fn)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until processing reached the end and every queued utterance was applied."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._done.wait(timeout):
            return False
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self._inbox.empty() and self._slot is None and self._idle.wait(left):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        for th in (self._thread, self._analysis):
            if th is not None:
                th.join(10)
        if self._reader is not None:
            self._reader.close()
        if self._proxy_reader is not None:
            self._proxy_reader.close()
        if self.proxy is not None:
            self.proxy.close()  # its temporary folder goes with it
        if self.refiner is not None:
            self.refiner.close()
        self._composer.close()

    def preview(self, t: float, *, fast: bool = False) -> np.ndarray:
        """The edited frame at ``t`` seconds (preview size), with the current plan: the refined
        frame where the quality tier made one, else the fast one (``fast``: always that).

        Raises:
            PreviewTimeout: not ready within ``preview_timeout`` seconds (the session thread
                is stuck in the renderer or masker). A request still queued is dropped; one
                already running finishes in the background and the next request is served
                after it.
        """
        fut = self.call(lambda: self._render_at(t, fast=fast))
        try:
            return fut.result(self.preview_timeout)
        except TimeoutError:
            if fut.done():  # its own TimeoutError, or it finished just now
                return fut.result()
            fut.cancel()  # still queued behind the stuck one: never run it
            raise PreviewTimeout(
                f"the preview of {clock(t)} took longer than {self.preview_timeout:g} s "
                "(the masker may be stuck); try again in a moment"
            ) from None

    def preview_png(self, t: float, path: str | Path, *, fast: bool = False) -> Path:
        """Write the edited frame at ``t`` seconds to ``path`` (PNG, atomically)."""
        return write_png(self.preview(t, fast=fast), path)

    def refined_frame(self, t: float) -> np.ndarray | None:
        """The frame at ``t`` seconds refined for the current plan by the quality tier, at
        preview size (H×W×3 uint8), or None when it has not been refined (yet)."""
        worker = self.refiner
        done = None if worker is None else self._refine_cache.get(worker.key, t)
        return None if done is None else fit_preview(done, self._psize)

    def refined_ranges(self) -> list[tuple[float, float]]:
        """Stretches ``[(t0, t1)]`` in seconds that the quality tier refined for the current
        plan (what the editor's timeline marks)."""
        worker = self.refiner
        return [] if worker is None else self._refine_cache.ranges(worker.key)

    def export_plan(self, path: str | Path) -> Path:
        return self.plan.save(path)

    def render(self, output: str | Path, **kw: Any) -> RenderStats:
        """Render the full-quality video with the current plan (blocking)."""
        from backdrop.render.facade import parse_size
        from backdrop.render.pipeline import render_video

        plan = self.plan
        if self.refiner is not None and "refined" not in kw:  # frames refined for this plan
            key, cache = self.refiner.key, self._refine_cache
            if key == plan_key(plan):
                kw["refined"] = lambda t: cache.get(key, t)
        if "size" not in kw and self.ctx.output_size is not None:  # "export in 4K" was said
            kw["size"] = parse_size(self.ctx.output_size, self.info.width, self.info.height)
        self._exporting += 1
        try:
            return render_video(self.source, plan, output, timeline=self.state.timeline, **kw)
        finally:
            self._exporting -= 1

    # -- the session thread -----------------------------------------------------------------
    def _emit(self, msg: Message) -> None:
        with self._emit_lock:
            for fn in list(self._listeners):
                try:
                    fn(msg)
                except Exception:  # noqa: BLE001 - a broken listener must not stop the session
                    log.exception("listener failed")

    def _analyse(self) -> None:
        """The analysis thread: chunks → analyzers → scene state, notices, frames to preview."""
        try:
            analyzers = list(self._analyzers(self.info))
            chunks = (
                read_chunks(self.source, CHUNK_SECONDS, size=self._psize)
                if self.live is None
                else self.live.chunks(CHUNK_SECONDS, self._psize)
            )
            for chunk in chunks:
                if self._stop.is_set():
                    return
                started = time.perf_counter()
                events = [e for a in analyzers for e in a.process(chunk)]
                self.state.add(events, processed_until=min(chunk.t1, self.info.duration))
                self._notice(events)
                if len(chunk.frames):
                    with self._slot_lock:
                        self._slot = (chunk.index, float(chunk.frame_times[-1]), chunk.frames[-1])
                    self._idle.clear()
                    self._wake.set()
                self._emit(ProgressMessage(min(chunk.t1, self.info.duration), self.info.duration))
                spent = time.perf_counter() - started
                self.turns.durations.append(spent)
                if self._realtime and spent < CHUNK_SECONDS:
                    time.sleep(CHUNK_SECONDS - spent)
            tail = [e for a in analyzers for e in a.flush()]
            self.state.add(tail, processed_until=self.info.duration)
            self._notice(tail)
            if self.live is None:  # a recorded file, fully heard: speaker turns at once
                self._speaker_pass = next((a for a in analyzers if hasattr(a, "final_pass")), None)
                self._whole_file_speakers(force=True)
        except BaseException as e:  # noqa: BLE001 - reported to listeners, session stays usable
            self.error = e
            if isinstance(e, MediaError | OSError):  # the video went away or broke: said below
                log.info("processing stopped: %s", e)
            else:
                log.exception("processing failed")
            self._emit(ErrorMessage(f"processing stopped: {e}"))
        finally:
            self._done.set()
            self._emit(DoneMessage())
            self._wake.set()

    def _whole_file_speakers(self, force: bool = False) -> bool:
        """Redo the speaker turns over the whole heard file with the count said (or estimated);
        whether they were redone (``force``, or the count changed since the last time)."""
        with self._speaker_lock:
            spk, n = self._speaker_pass, self.ctx.speakers
            if spk is None or (n == self._speakers_used and not force):
                return False
            spk.n_speakers = n
            self.state.rewrite(spk.final_pass)
            self._speakers_used = n
            return True

    def _serve(self) -> None:
        """The session thread: utterances at boundaries, then the newest frame's preview."""
        self._warm_up()
        while not self._stop.is_set():
            if self._slot is None:
                self._wake.wait(0.1)
            self._wake.clear()
            self._drain()
            with self._slot_lock:
                item, self._slot = self._slot, None
            if item is not None:
                index, t, frame = item
                self._frames.put(t, frame, index)
            if item is not None and self.auto_preview:
                try:
                    self._show_newest(frame, t, index)
                except Exception as e:  # noqa: BLE001 - e.g. a background file vanished
                    self._emit(ErrorMessage(f"preview failed: {e}"))
            if self._inbox.empty() and self._slot is None:
                self._idle.set()

    def _show_newest(self, frame: np.ndarray, t: float, index: int) -> None:
        """Preview the newest processed frame (shown at ``t`` seconds, micro-turn ``index``).
        Its mask is made in the composer's masking thread; instructions and calls arriving
        meanwhile are applied and previewed at once (the frame looked at, from its remembered
        mask), not after it. While nothing is decided, the frame looked at is masked for the
        default rule (keep the person) in that thread, so the first instruction finds it."""
        plan = self.plan
        job = self._composer.mask_later(plan, frame, t)
        if not plan.keep and self.live is None and self._premasked != self.cursor:
            self._premasked = self.cursor
            looked = (
                (t, frame)
                if index == int(self.cursor / CHUNK_SECONDS)
                else self._source_frame(self.cursor)
            )
            self._composer.mask_later(_KEEP_PERSON, looked[1], looked[0], pin=True)  # no wait
        if job is not None:
            job.add_done_callback(lambda _: self._wake.set())
            while not job.done() and not self._stop.is_set():
                self._wake.wait(0.1)
                self._wake.clear()
                self._drain()
            if self._stop.is_set():
                return
        self._emit(PreviewMessage(t, self._compose(frame, t)))

    def _warm_up(self) -> None:
        """Load the person masker now, so the first instruction does not wait for it."""
        from backdrop.perception.core.models import ModelMissingError

        try:
            self._composer.warm_up(_KEEP_PERSON)
        except ModelMissingError as e:
            self._emit(ErrorMessage(str(e)))

    def _drain(self) -> None:
        """Apply every queued utterance and call, in order."""
        while True:
            try:
                kind, payload, fut = self._inbox.get_nowait()
            except queue.Empty:
                return
            if not fut.set_running_or_notify_cancel():
                continue  # given up on while it waited (a preview past its timeout)
            try:
                if kind == "call":
                    fut.set_result(payload())
                    continue
                self._live_now()
                if kind == "answer":
                    reply: Reply | None = self._answer_id(*payload)
                elif kind == "point":
                    reply = self._keep_point(*payload)
                else:
                    reply = self._apply(payload) if kind == "text" else self._apply_audio(payload)
                fut.set_result(reply)
                if reply is not None:
                    self._emit(PreviewMessage(self.cursor, self._render_at(self.cursor)))
            except BaseException as e:  # noqa: BLE001 - handed to the caller; the thread goes on
                answered = fut.done()  # a preview failing after the reply: resolve it only once
                if not answered:
                    fut.set_exception(e)
                self._emit(ErrorMessage(f"preview failed: {e}" if answered else str(e)))

    def _apply_audio(self, audio: np.ndarray) -> Reply:
        from backdrop.agent.voice import didnt_catch, load_voice_input

        if self._voice is None:
            self._voice = load_voice_input()
        heard = self._voice.listen(audio)
        if not heard.ok:
            reply = didnt_catch(heard)
            self._emit(ReplyMessage(reply.text, "(voice)", False, True))
            return reply
        asked = self._voice.question(heard, self.ctx)  # a near reading: "Did you say …?"
        if asked is not None:
            self._emit(ReplyMessage(asked.text, heard.text, False, True))
            return asked
        return self._apply(heard.text, prefix=f"I heard: “{heard.text}”. ")

    def _apply(self, text: str, prefix: str = "") -> Reply:
        """Apply one utterance: an answer to a notice (see :meth:`_take_notice`), or an
        instruction; or the answer to "Did you say …?" about a spoken one."""
        answered = self._voice.answer(text) if self._voice is not None else None
        if answered is not None:
            from backdrop.agent.voice import dropped

            if not answered[0]:
                return self._said(dropped(answered[1]), text)
            text = answered[1]
        no = _NO.match(text)
        proposed = scenarios.pending(self.ctx) is not None  # an answer to the interpreter's offer
        notice = self._take_notice() if (no or _YES.match(text)) and not proposed else None
        if notice is not None:
            said = no or _YES.match(text)
            rest = text[said.end() :].strip(" ,.!") if said is not None else ""
            reply = self._answer(notice, not no, rest)
        else:
            reply = self._interpret(text)
        reply = self._after_count(reply)
        if prefix:
            reply = Reply(prefix + reply.text, reply.calls, reply.changed, reply.clarify)
        return self._said(reply, text)

    def _after_count(self, reply: Reply) -> Reply:
        """After "there are two speakers": the speaker turns redone now when the file has been
        heard (and said so); live, the reply says the count waits for a recorded file."""
        extra = ""
        if self.live is not None and any(c.name == "set_speaker_count" for c in reply.calls):
            extra = (" (Live, the turns stay as they were heard; the count is used when a "
                     "recorded file is analysed.)")  # fmt: skip
        elif (
            self.ctx.speakers != self._speakers_used
            and self._done.is_set()
            and self._whole_file_speakers()
        ):
            n = len({e.speaker for e in self.state.events() if isinstance(e, SpeakerTurn)})
            extra = f" Speaker turns found again: {n} speaker(s)."
        if not extra:
            return reply
        return Reply(reply.text + extra, reply.calls, reply.changed, reply.clarify)

    def _said(self, reply: Reply, heard: str) -> Reply:
        """Tell the listeners ``reply`` (to what was ``heard``); the plan may have changed."""
        self._composer.invalidate()
        reply = self._refine_after(reply)
        self._emit(ReplyMessage(reply.text, heard, reply.changed, reply.clarify))
        return reply

    def _interpret(self, text: str, scope: TimeRange | None = None) -> Reply:
        """``text`` through the interpreter; ``scope``: the time range calls default to."""
        interpreter: Interpreter = self.llm or self.rules
        self.ctx.scope = scope
        try:
            if self.llm is not None:  # the rules' SpeechInterpreter asks scenarios itself
                own = scenarios.interpret(text, self.ctx, RuleInterpreter(self.registry))
                if own is not None:
                    return own
            return interpreter.interpret(text, self.ctx)
        finally:
            self.ctx.scope = None

    def _default_masker(self, info: MediaInfo, plan: EditPlan) -> Masker:
        """The plan's masker for previews; detections and box/point rules are in source
        pixels, the preview is smaller."""
        display = (self.info.width, self.info.height)
        return build_masker(info, plan, self.state.timeline, display_size=display)

    def _answer_id(self, notice_id: int, yes: bool, choice: int | None = None) -> Reply | None:
        with self._pending_lock:
            found = [n for n in self.pending if n.id == notice_id]
            if not found or (choice is not None and not 0 <= choice < len(found[0].choices)):
                return None
            self.pending.remove(found[0])
        if choice is not None and yes:  # a thumbnail clicked: that choice, as one step
            label, calls = found[0].choices[choice]
            step = run_step(self.ctx, list(calls), label, registry=self.registry)
            return self._said(step_reply(step), label)
        return self._said(self._answer(found[0], yes), "yes" if yes else "no")

    def _answer(self, notice: Notice, yes: bool, rest: str = "") -> Reply:
        """Answer ``notice``: dismiss it, apply its suggestion, or apply ``rest`` (an instruction
        said with the "yes") to the stretch of video the notice is about."""
        if not yes:
            left = f"OK, I'll leave it as it is ({notice.text.split(' — ')[0]})."
            if not rest:
                return Reply(left)
            # "no, make it green instead": the notice dismissed and the instruction applied
            # to the stretch the notice was about (it was dropped)
            done = self._interpret(rest, scope=notice.scope)
            return Reply(f"{left} {done.text}", done.calls, done.changed, done.clarify)
        if rest and notice.instruction is None and ONLY_DEGREE.match(rest.lower()):
            # "yes, but only a little" to a suggestion without words: the degree is the
            # suggestion's, which can't be scaled; never apply it to the background instead
            with self._pending_lock:
                self.pending.append(notice)
            return Reply(
                f"I can't make that suggestion smaller or bigger ({notice.text.split(' — ')[0]})."
                " Say “yes” to apply it as it is, “no” to leave it, or say the change you want, "
                "for example “soften the edges a little”.",
                clarify=True,
            )
        if rest and notice.instruction and re.match(r"(?:but|and|also|plus)\b", rest, re.I):
            # "yes, but keep the couch": the suggestion and the addition as one step
            return self._interpret(f"{notice.instruction} {rest}", scope=notice.scope)
        if rest:
            return self._interpret(rest, scope=notice.scope)
        step = run_step(self.ctx, notice.suggestion, notice.text, registry=self.registry)
        if step.failed is not None:
            return Reply(f"I couldn't do that: {step.failed.message}")
        return Reply("Done: " + "; ".join(step.messages), list(notice.suggestion), step.changed)

    def _keep_point(self, x: float, y: float) -> Reply:
        """A click in the editor: keep what is under ``(x, y)`` (source pixels)."""
        label = f"keep what is at {round(x)},{round(y)}"
        call = ToolCall("keep_subject", {"subject": "point", "point": [float(x), float(y)]})
        reply = step_reply(run_step(self.ctx, [call], label, registry=self.registry))
        return self._said(reply, label)

    def _notice(self, events: list[Event]) -> None:
        for n in self.notices.notices(events, self.plan):
            with self._pending_lock:
                self.pending.append(n)
            self._emit(NoticeMessage(n))

    def _live_now(self) -> None:
        """On a live feed the play position is "now": the newest frame received, so "from now
        on" and "stop" act where the stream is (a file's position is where the person looks)."""
        if self.live is None:
            return
        with self._slot_lock:
            newest = self._slot[1] if self._slot is not None else None
        latest = self._frames.latest()
        times = [t for t in (newest, latest[0] if latest else None) if t is not None]
        if times:
            self.cursor = self.ctx.position = max(times)

    def _take_notice(self) -> Notice | None:
        """The pending notice a bare "yes" / "no" answers, taken off the list.

        The newest notice, except while nothing has been decided yet (the plan is empty) and
        the opening suggestion ("I see a person … Should I remove the background?") waits: then
        the answer is to that question, even when analysis running ahead has raised newer
        notices meanwhile (a scene cut further on must not take the answer meant for it).
        """
        with self._pending_lock:
            if not self.pending:
                return None
            opening = [n for n in self.pending if n.kind == "opening"]
            chosen = opening[-1] if opening and self.plan.is_empty() else self.pending[-1]
            self.pending.remove(chosen)
            return chosen

    def _source_frame(self, t: float) -> tuple[float, np.ndarray]:
        """The source frame at ``t`` (preview size): from the cache when within a micro-turn."""
        if self.live is not None:  # a live feed: the newest frame seen (black before one)
            latest = self._frames.latest()
            if latest is None:
                return t, blank_frame(self._psize)
            return latest
        hit = self._frames.get(t)
        if hit is not None:
            return hit
        if self._proxy_reader is None and self.proxy is not None:
            self._proxy_reader = self.proxy.reader()  # None until the proxy is complete
        reader = self._proxy_reader
        if reader is None and self._reader is None:
            self._reader = SeekReader(self.source, self._psize)
        reader = reader or self._reader
        assert reader is not None
        ft, img = reader.frame_at(min(t, max(self.info.duration - 1e-3, 0.0)))
        self._frames.put(ft, img, int(t / CHUNK_SECONDS))
        return ft, img

    def _render_at(self, t: float, *, fast: bool = False) -> np.ndarray:
        self.cursor = t
        self.ctx.position = t  # "from now on" / "stop" are read against what was last shown
        if self.refiner is not None:
            self.refiner.hold()  # the preview goes first; the refine resumes behind it
        if self.proxy is not None:
            self.proxy.hold()  # so does the proxy
        looked = self._looked_frame
        if self.live is None and looked is not None and looked[0] == t:
            ft, frame = looked[1], looked[2]  # the frame looked at again (after an instruction)
        else:
            ft, frame = self._source_frame(t)
            self._looked_frame = (t, ft, frame)
        self._looked = (t, ft)
        if self.refiner is not None:  # the tier is on: refine where the person is looking
            self._refine_at(ft)
        return self._composer.compose(self.plan, frame, ft, fast=fast, pin=True)

    def _compose(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self._composer.compose(self.plan, frame, t)

    # -- the quality tier (refine worker) -----------------------------------------------------
    def _refine_at(self, t: float, seconds: float | None = None) -> tuple[float, float] | None:
        """Queue ``seconds`` (default: the window) from ``t`` for refinement with the current
        plan, unless that stretch is already asked for; None when nothing is to be refined."""
        plan = self.plan
        if self.live is not None or not (plan.keep and plan.backgrounds):
            return None
        if self.refiner is None:
            self.refiner = RefineWorker(self.source, plan, cache=self._refine_cache,
                                        on_frame=self._on_refined, on_done=self._on_refined_range,
                                        timeline=self.state.timeline)  # fmt: skip
            self._composer.refined = self._refine_cache
        worker = self.refiner
        if worker.key != plan_key(plan):
            worker.set_plan(plan)
        seconds = self._refine_window if seconds is None else seconds
        asked = self._refine_asked
        end = min(t + seconds, self.info.duration)
        if asked is not None and asked[0] == worker.key and asked[1] <= t and end <= asked[2]:
            return asked[1], asked[2]
        t0, t1 = worker.request(t, t + seconds, replace=True)
        self._refine_asked = (worker.key, t0, t1)
        return t0, t1

    def _refine_after(self, reply: Reply) -> Reply:
        """After an utterance: a changed plan invalidates refined frames and, with the tier on,
        is refined again from the frame looked at; turning on alpha matting ("the hair edge
        looks rough") starts the tier there, and the reply says so."""
        before, plan = self._refine_seen, self.plan
        self._refine_seen = plan
        if plan == before:
            return reply
        matting = any(q.tier == "matting" and q not in before.quality for q in plan.quality)
        turned_on = matting or (plan.edges.refine == "matte" and before.edges.refine != "matte")
        if self.refiner is not None:
            self.refiner.set_plan(plan)  # the old plan's frames go, its ranges stop
        if not (self._refine_auto or turned_on or self.refiner is not None):
            return reply
        t = self.cursor
        if self.live is None:
            t = self._source_frame(t)[0]
        queued = self._refine_at(t)
        if not turned_on:
            return reply
        if queued is None:
            what = (" The quality tier has nothing to refine yet: no background is replaced."
                    if self.live is None else "")  # fmt: skip
        else:
            a, b = queued
            what = (
                f" I'm re-rendering {clock(a)}–{clock(b)} (where you are looking) with these "
                "quality settings behind the preview; refined frames replace the preview's as "
                f"they are ready, and the export uses them (/preview {a:.1f} writes the before "
                "and the after)."
            )
        text = reply.text if reply.text.rstrip().endswith((".", "!", "?")) else reply.text + "."
        return Reply(text + what, reply.calls, reply.changed, reply.clarify)

    def _on_refined(self, frame: RefinedFrame) -> None:
        """A refined frame is ready (worker thread): shown at once if the person is looking
        at it (as the preview of the time asked for); the timeline's refined stretches at most
        once a second."""
        asked, shown = self._looked
        if abs(frame.t - shown) <= self._refine_cache.tolerance:
            self._emit(PreviewMessage(asked, fit_preview(frame.rgb, self._psize)))
        now = time.monotonic()
        if now - self._refine_emitted >= 1.0:
            self._refine_emitted = now
            self._emit(RefinedMessage(self.refined_ranges()))

    def _on_refined_range(self, t0: float, t1: float) -> None:
        self._refine_emitted = time.monotonic()
        self._emit(RefinedMessage(self.refined_ranges()))


def describe_notice(n: Notice) -> str:
    return f"[{clock(n.t)}] {n.text}"
