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
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from backdrop.agent.interpret import Reply, RuleInterpreter
from backdrop.agent.interpret_speech import SpeechInterpreter
from backdrop.agent.llm import LLMConfig, LLMController
from backdrop.agent.proactive import Notice, NoticeMaker
from backdrop.agent.state import SceneState
from backdrop.perception.analysis import default_analyzers
from backdrop.perception.events import Analyzer
from backdrop.perception.media import (
    CHUNK_SECONDS,
    MediaInfo,
    probe,
    read_chunks,
    read_frame_at,
)
from backdrop.render.atomic import atomic_path
from backdrop.render.compose import Compositor
from backdrop.render.maskers import Masker, build_masker
from backdrop.render.plan import EditPlan, KeepRule, clock
from backdrop.tools import PlanHistory, ToolContext, default_registry

log = logging.getLogger(__name__)

PREVIEW_LONG_SIDE = 640
"""Preview frames are scaled so their long side is at most this many pixels."""

FRAME_CACHE_LIMIT = 4000
"""Most source thumbnails kept for scrubbing (one per micro-turn, JPEG; ~30 KB each)."""

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


def preview_size(info: MediaInfo, long_side: int = PREVIEW_LONG_SIDE) -> tuple[int, int]:
    s = min(1.0, long_side / max(info.width, info.height))
    return max(2, round(info.width * s / 2) * 2), max(2, round(info.height * s / 2) * 2)


class Session:
    """Owns the source, the plan (with undo/redo), the scene state, segmenters and outputs.

    Args:
        source: the video file.
        analyzers: factory of analyzers for the source (default: every one available).
        llm: language-model configuration; default from the environment; ``False`` = rules only.
        masker_factory: builds the preview masker for ``(preview_info, plan)`` (default: the
            plan's masker from :func:`~backdrop.render.maskers.build_masker`).
        realtime: pace micro-turns to the wall clock (a live feed) instead of as fast as possible.
    """

    def __init__(
        self,
        source: str | Path,
        *,
        analyzers: Callable[[MediaInfo], Sequence[Analyzer]] | None = None,
        llm: LLMConfig | bool | None = None,
        masker_factory: Callable[[MediaInfo, EditPlan], Masker] | None = None,
        realtime: bool = False,
        preview_long_side: int = PREVIEW_LONG_SIDE,
    ) -> None:
        self.source = Path(source)
        self.info = probe(self.source)
        self.state = SceneState(self.info.duration)
        self.registry = default_registry()
        self.ctx = ToolContext(
            history=PlanHistory(EditPlan()),
            duration=self.info.duration,
            source=self.source,
            timeline=self.state.timeline,
        )
        self.rules = SpeechInterpreter(RuleInterpreter(self.registry), self.registry)
        config = LLMConfig.from_env() if llm is None else (llm or None)
        self.llm = (
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
        self._masker_factory = masker_factory or (lambda info, plan: build_masker(info, plan))
        self._realtime = realtime
        self._psize = preview_size(self.info, preview_long_side)
        self._pinfo = dataclasses.replace(self.info, width=self._psize[0], height=self._psize[1])
        self._listeners: list[Callable[[Message], None]] = []
        self._inbox: queue.Queue[tuple[str, Any, Future[Any]]] = queue.Queue()
        self._frames: OrderedDict[int, tuple[float, bytes]] = OrderedDict()
        self._compositor: Compositor | None = None
        self._masker: Masker | None = None
        self._masker_key: tuple[Any, ...] = ()
        self._voice: Any = None
        self._plan_for_render: EditPlan | None = None
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

    def preview(self, t: float) -> np.ndarray:
        """The edited frame at ``t`` seconds (preview size), with the current plan."""
        return self.call(lambda: self._render_at(t)).result()

    def preview_png(self, t: float, path: str | Path) -> Path:
        """Write the edited frame at ``t`` seconds to ``path`` (PNG, atomically)."""
        rgb = self.preview(t)
        p = Path(path)
        with atomic_path(p) as tmp:
            ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            if not ok:
                raise OSError(f"{p}: could not encode PNG")
            tmp.write_bytes(buf.tobytes())
        return p

    def export_plan(self, path: str | Path) -> Path:
        return self.plan.save(path)

    def render(self, output: str | Path, **kw: Any) -> Any:
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
            for chunk in read_chunks(self.source, CHUNK_SECONDS, size=self._psize):
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
                self._cache_frame(index, t, frame)
                try:
                    self._emit(PreviewMessage(t, self._compose(frame, t)))
                except Exception as e:  # noqa: BLE001 - e.g. a background file vanished
                    self._emit(ErrorMessage(f"preview failed: {e}"))
            if self._inbox.empty() and self._slot is None:
                self._idle.set()

    def _warm_up(self) -> None:
        """Load the person masker now, so the first instruction does not wait for it."""
        from backdrop.perception.models import ModelMissingError

        plan = EditPlan(keep=[KeepRule()])
        try:
            self._masker = self._masker_factory(self._pinfo, plan)
            self._masker_key = _masker_key(plan)
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
                if kind in ("text", "audio"):
                    reply = self._apply(payload) if kind == "text" else self._apply_audio(payload)
                    fut.set_result(reply)
                    self._emit(PreviewMessage(self.cursor, self._render_at(self.cursor)))
                else:
                    fut.set_result(payload())
            except BaseException as e:  # noqa: BLE001 - handed to the caller; the thread goes on
                answered = fut.done()  # a preview failing after the reply: resolve it only once
                if not answered:
                    fut.set_exception(e)
                self._emit(ErrorMessage(f"preview failed: {e}" if answered else str(e)))

    def _apply_audio(self, audio: np.ndarray) -> Reply:
        from backdrop.agent.voice import DIDNT_CATCH, VoiceInput, command_asr_options
        from backdrop.perception.asr import Transcriber, load_asr_model

        if self._voice is None:
            self._voice = VoiceInput(Transcriber(load_asr_model(), command_asr_options()))
        heard = self._voice.listen(audio)
        if not heard.ok:
            extra = f" (it sounded like “{heard.text}”)" if heard.text else ""
            reply = Reply(f"{DIDNT_CATCH}{extra}. Could you say it again?", clarify=True)
            self._emit(ReplyMessage(reply.text, "(voice)", False, True))
            return reply
        return self._apply(heard.text, prefix=f"I heard: “{heard.text}”. ")

    def _apply(self, text: str, prefix: str = "") -> Reply:
        """Apply one utterance: an answer to the latest notice, or an instruction."""
        notice = self._take_notice() if (_NO.match(text) or _YES.match(text)) else None
        if notice is not None and _NO.match(text):
            reply = Reply(f"OK, I'll leave it as it is ({notice.text.split(' — ')[0]}).")
        elif notice is not None:
            rest = _YES.sub("", text, count=1).strip(" ,.!")
            if rest:
                if notice.scope is not None and not re.search(r"\d", rest):
                    rest = f"{rest} {_scope_words(notice)}"
                reply = self._interpret(rest)
            else:
                reply = self._apply_suggestion(notice)
        else:
            reply = self._interpret(text)
        self._compositor = None  # the plan may have changed
        if prefix:
            reply = Reply(prefix + reply.text, reply.calls, reply.changed, reply.clarify)
        self._emit(ReplyMessage(reply.text, text, reply.changed, reply.clarify))
        return reply

    def _interpret(self, text: str) -> Reply:
        interpreter: Any = self.llm or self.rules
        return interpreter.interpret(text, self.ctx)

    def _apply_suggestion(self, notice: Notice) -> Reply:
        before = self.plan
        msgs: list[str] = []
        with self.ctx.history.transaction(label=notice.text) as txn:
            for call in notice.suggestion:
                result = self.registry.run(self.ctx, call)
                if not result.ok:
                    txn.discard()
                    return Reply(f"I couldn't do that: {result.message}")
                msgs.append(result.message)
        return Reply("Done: " + "; ".join(m for m in msgs if m), list(notice.suggestion),
                     self.plan != before)  # fmt: skip

    def _notice(self, events: list[Any]) -> None:
        for n in self.notices.notices(events, self.plan):
            with self._pending_lock:
                self.pending.append(n)
            self._emit(NoticeMessage(n))

    def _take_notice(self) -> Notice | None:
        with self._pending_lock:
            return self.pending.pop() if self.pending else None

    def _cache_frame(self, index: int, t: float, frame: np.ndarray) -> None:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 90])  # fmt: skip
        if ok:
            self._frames[index] = (t, buf.tobytes())
            while len(self._frames) > FRAME_CACHE_LIMIT:
                self._frames.popitem(last=False)

    def _source_frame(self, t: float) -> tuple[float, np.ndarray]:
        """The source frame at ``t`` (preview size): from the cache when within a micro-turn."""
        index = int(t / CHUNK_SECONDS)
        hit = self._frames.get(index)
        if hit is not None and abs(hit[0] - t) <= CHUNK_SECONDS:
            img = cv2.imdecode(np.frombuffer(hit[1], np.uint8), cv2.IMREAD_COLOR)
            return hit[0], cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        ft, img = read_frame_at(self.source, t, size=self._psize)
        self._cache_frame(index, ft, img)
        return ft, img

    def _render_at(self, t: float) -> np.ndarray:
        self.cursor = t
        ft, frame = self._source_frame(t)
        return self._compose(frame, ft)

    def _compose(self, frame: np.ndarray, t: float) -> np.ndarray:
        plan = self.plan
        if self._compositor is None or self._plan_for_render != plan:
            self._compositor = Compositor(plan, self._psize[0], self._psize[1], self.info.duration)
            key = _masker_key(plan)
            if plan.keep and (self._masker is None or key != self._masker_key):
                self._masker = self._masker_factory(self._pinfo, plan)
                self._masker_key = key
            self._plan_for_render = plan
        mask = None
        if self._compositor.needs_mask(t):
            assert self._masker is not None
            mask = self._masker(frame, t)
        return self._compositor.compose(frame, t, mask).rgb


def _masker_key(plan: EditPlan) -> tuple[Any, ...]:
    """What decides which masker a plan needs (time ranges do not: the masker gets ``t``)."""
    rules = tuple(
        (k.subject, k.action, k.label, k.speaker, tuple(k.box or ()), tuple(k.point or ()))
        for k in plan.keep
    )
    return rules, tuple(q.tier for q in plan.quality)


def _scope_words(notice: Notice) -> str:
    r = notice.scope
    assert r is not None
    if r.end is None:
        return f"from {r.start:g} seconds"
    return f"between {r.start:g} and {r.end:g} seconds"


def describe_notice(n: Notice) -> str:
    return f"[{clock(n.t)}] {n.text}"
