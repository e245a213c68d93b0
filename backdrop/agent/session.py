"""A live editing session: the video processed in 200 ms micro-turns while the person talks.

Two threads. The *analysis* thread reads the source chunk by chunk, runs the analyzers (speech,
transcript, speakers, cuts, lighting, ... — the slow models), adds their events to the
:class:`~backdrop.agent.state.SceneState` and raises proactive notices; it hands each chunk's
last frame to the *session* thread, which owns the plan and everything that renders: it applies
utterances from :meth:`Session.submit` between two preview frames (the micro-turn boundary, so
nothing is half-applied), re-renders the frame the person is looking at first, then previews the
newest frame the analysis handed over (older ones are skipped when it falls behind). So a slow
model never delays an instruction's preview. Listeners receive :class:`Message` s, one at a time.
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

from backdrop.agent.interpret import RuleInterpreter
from backdrop.agent.interpret_speech import SpeechInterpreter
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
from backdrop.perception.core.analysis import default_analyzers
from backdrop.perception.core.events import Analyzer, Event
from backdrop.perception.core.media import (
    CHUNK_SECONDS,
    MediaInfo,
    probe,
    read_chunks,
)
from backdrop.render.maskers import Masker, build_masker
from backdrop.render.plan import EditPlan, KeepRule, TimeRange, clock
from backdrop.render.preview import (
    PREVIEW_LONG_SIDE,
    FrameCache,
    PreviewComposer,
    SeekReader,
    blank_frame,
    preview_size,
    write_png,
)
from backdrop.tools import PlanHistory, ToolCall, ToolContext, default_registry
from backdrop.tools.runner import run_step

if TYPE_CHECKING:
    from backdrop.agent.voice import VoiceInput
    from backdrop.render.pipeline import RenderStats

log = logging.getLogger(__name__)

_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|sure|ok(?:ay)?|please do|do it|go ahead)\b[\s,.!:;-]*", re.I
)
_NO = re.compile(r"^\s*(?:no|nope|nah|don'?t|dismiss|leave it|never ?mind)\b", re.I)


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
    """

    def __init__(
        self,
        source: str | Path | Any,
        *,
        analyzers: Callable[[MediaInfo], Sequence[Analyzer]] | None = None,
        llm: LLMConfig | bool | None = None,
        masker_factory: Callable[[MediaInfo, EditPlan], Masker] | None = None,
        realtime: bool = False,
        preview_long_side: int = PREVIEW_LONG_SIDE,
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
            timeline=self.state.timeline,
        )
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
        self._psize = preview_size(self.info, preview_long_side)
        self._pinfo = dataclasses.replace(self.info, width=self._psize[0], height=self._psize[1])
        self._listeners: list[Callable[[Message], None]] = []
        self._inbox: queue.Queue[tuple[str, Any, Future[Any]]] = queue.Queue()
        self._frames = FrameCache(CHUNK_SECONDS)
        self._reader: SeekReader | None = None  # scrubs ahead of processing (opened on first)
        self._composer = PreviewComposer(self._pinfo, masker_factory or self._default_masker)
        self._voice: VoiceInput | None = None
        self._stop = threading.Event()
        self._done = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._analysis: threading.Thread | None = None
        self._wake = threading.Event()
        self._slot: tuple[int, float, np.ndarray] | None = None
        self._slot_lock = threading.Lock()
        self._emit_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self.error: BaseException | None = None

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
            self._thread.start()
            self._analysis.start()
        return self

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

    def answer(self, notice_id: int, yes: bool) -> Future[Reply | None]:
        """Answer the pending notice ``notice_id`` at the next boundary: ``yes`` applies its
        suggestion, ``no`` dismisses it. The future gives ``None`` when that notice is not
        waiting for an answer (already answered, or never raised)."""
        return self._put("answer", (notice_id, yes))

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

    def preview(self, t: float) -> np.ndarray:
        """The edited frame at ``t`` seconds (preview size), with the current plan."""
        return self.call(lambda: self._render_at(t)).result()

    def preview_png(self, t: float, path: str | Path) -> Path:
        """Write the edited frame at ``t`` seconds to ``path`` (PNG, atomically)."""
        return write_png(self.preview(t), path)

    def export_plan(self, path: str | Path) -> Path:
        return self.plan.save(path)

    def render(self, output: str | Path, **kw: Any) -> RenderStats:
        """Render the full-quality video with the current plan (blocking)."""
        from backdrop.render.pipeline import render_video

        return render_video(self.source, self.plan, output, timeline=self.state.timeline, **kw)

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
        except BaseException as e:  # noqa: BLE001 - reported to listeners, session stays usable
            self.error = e
            log.exception("processing failed")
            self._emit(ErrorMessage(f"processing stopped: {e}"))
        finally:
            self._done.set()
            self._emit(DoneMessage())
            self._wake.set()

    def _serve(self) -> None:
        """The session thread: utterances at boundaries, then the newest frame's preview."""
        self._warm_up()
        while not self._stop.is_set():
            self._wake.wait(0.1)
            self._wake.clear()
            self._drain()
            with self._slot_lock:
                item, self._slot = self._slot, None
            if item is not None:
                index, t, frame = item
                self._frames.put(t, frame, index)
                try:
                    self._emit(PreviewMessage(t, self._compose(frame, t)))
                except Exception as e:  # noqa: BLE001 - e.g. a background file vanished
                    self._emit(ErrorMessage(f"preview failed: {e}"))
            if self._inbox.empty() and self._slot is None:
                self._idle.set()

    def _warm_up(self) -> None:
        """Load the person masker now, so the first instruction does not wait for it."""
        from backdrop.perception.core.models import ModelMissingError

        plan = EditPlan(keep=[KeepRule()])
        try:
            self._composer.warm_up(plan)
        except ModelMissingError as e:
            self._emit(ErrorMessage(str(e)))

    def _drain(self) -> None:
        """Apply every queued utterance and call, in order."""
        while True:
            try:
                kind, payload, fut = self._inbox.get_nowait()
            except queue.Empty:
                return
            try:
                if kind == "call":
                    fut.set_result(payload())
                    continue
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
        return self._apply(heard.text, prefix=f"I heard: “{heard.text}”. ")

    def _apply(self, text: str, prefix: str = "") -> Reply:
        """Apply one utterance: an answer to the latest notice, or an instruction."""
        no = _NO.match(text)
        notice = self._take_notice() if (no or _YES.match(text)) else None
        if notice is not None:
            rest = "" if no else _YES.sub("", text, count=1).strip(" ,.!")
            reply = self._answer(notice, not no, rest)
        else:
            reply = self._interpret(text)
        if prefix:
            reply = Reply(prefix + reply.text, reply.calls, reply.changed, reply.clarify)
        return self._said(reply, text)

    def _said(self, reply: Reply, heard: str) -> Reply:
        """Tell the listeners ``reply`` (to what was ``heard``); the plan may have changed."""
        self._composer.invalidate()
        self._emit(ReplyMessage(reply.text, heard, reply.changed, reply.clarify))
        return reply

    def _interpret(self, text: str, scope: TimeRange | None = None) -> Reply:
        """``text`` through the interpreter; ``scope``: the time range calls default to."""
        interpreter: Interpreter = self.llm or self.rules
        self.ctx.scope = scope
        try:
            return interpreter.interpret(text, self.ctx)
        finally:
            self.ctx.scope = None

    def _default_masker(self, info: MediaInfo, plan: EditPlan) -> Masker:
        """The plan's masker for previews; detections and box/point rules are in source
        pixels, the preview is smaller."""
        display = (self.info.width, self.info.height)
        return build_masker(info, plan, self.state.timeline, display_size=display)

    def _answer_id(self, notice_id: int, yes: bool) -> Reply | None:
        with self._pending_lock:
            found = [n for n in self.pending if n.id == notice_id]
            if not found:
                return None
            self.pending.remove(found[0])
        return self._said(self._answer(found[0], yes), "yes" if yes else "no")

    def _answer(self, notice: Notice, yes: bool, rest: str = "") -> Reply:
        """Answer ``notice``: dismiss it, apply its suggestion, or apply ``rest`` (an instruction
        said with the "yes") to the stretch of video the notice is about."""
        if not yes:
            return Reply(f"OK, I'll leave it as it is ({notice.text.split(' — ')[0]}).")
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

    def _take_notice(self) -> Notice | None:
        with self._pending_lock:
            return self.pending.pop() if self.pending else None

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
        if self._reader is None:
            self._reader = SeekReader(self.source, self._psize)
        ft, img = self._reader.frame_at(min(t, max(self.info.duration - 1e-3, 0.0)))
        self._frames.put(ft, img, int(t / CHUNK_SECONDS))
        return ft, img

    def _render_at(self, t: float) -> np.ndarray:
        self.cursor = t
        self.ctx.position = t  # "from now on" / "stop" are read against what was last shown
        ft, frame = self._source_frame(t)
        return self._compose(frame, ft)

    def _compose(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self._composer.compose(self.plan, frame, t)


def describe_notice(n: Notice) -> str:
    return f"[{clock(n.t)}] {n.text}"
