"""The quality tier behind the preview: re-render frame ranges with the quality settings.

The preview shows frames made with the fast edge (:func:`~backdrop.render.edges.alpha_from_mask`)
as soon as it can. A :class:`RefineWorker` re-renders requested time ranges of the source in a
background thread with the *quality settings* (:class:`~backdrop.render.compose.Compositor` with
``quality=True``: matting at the boundary when the plan asks for it, colour decontamination,
despill, the plan's heavier masker where one is installed) and hands each refined frame to a
callback and to a :class:`RefineCache`. A viewer replaces a preview frame by the cached refined
one whenever ``cache.get(plan_key, t)`` has it (:class:`~backdrop.render.preview.PreviewComposer`
does so when given the cache as ``refined``); ``cache.ranges(plan_key)`` says which stretches
of the video are refined (for a timeline).

Refined frames belong to one plan: :func:`plan_key` fingerprints it, and a new plan makes the
worker drop what it was doing (frames made for an old plan never reach the callback).

The worker's thread lowers its own scheduling priority (``nice`` +10, Linux: per thread), so on
a busy machine the preview keeps its speed and refinement takes what is left. An export renders
with the quality settings too (:func:`~backdrop.render.pipeline.render_video`) and, given
``refined=lambda t: cache.get(plan_key(plan), t)``, writes the frames refined here for its plan
instead of making them again (the session does this; frames must be at the source's size).

The session (:class:`~backdrop.agent.session.Session` with ``refine=True`` in ``chat`` and
``serve``) asks for a window of seconds from the frame the person is looking at after each edit
and each scrub; ``request(..., replace=True)`` drops windows not started, and frames already
refined for the plan are not made again, so the work stays bounded.

Conventions: times in seconds from the video's start; frames ``H×W×3`` uint8 RGB at the worker's
``size`` (the preview size by default).
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.core import workers
from backdrop.perception.core.events import Timeline
from backdrop.perception.core.media import MediaError, MediaInfo, probe
from backdrop.render.compose import Compositor
from backdrop.render.maskers import Masker, build_masker
from backdrop.render.plan import EditPlan
from backdrop.render.preview import write_png

log = logging.getLogger(__name__)

WARMUP_S = 1.0
"""Seconds of frames before a range the masker sees first (temporal smoothing settles)."""

NICE = 10
"""How much the worker thread lowers its priority (best effort)."""

HOLD_SECONDS = 0.25
"""After a preview is asked for, the worker starts no new frame for this long (seconds): while
the person scrubs, the preview has the CPU; the refine resumes when they stop."""

FrameFn = Callable[["RefinedFrame"], None]


def plan_key(plan: EditPlan) -> str:
    """A short fingerprint of ``plan`` (refined frames are valid for exactly one plan)."""
    return hashlib.sha1(plan.to_json().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RefinedFrame:
    """One frame made with the quality settings.

    Attributes:
        t: the frame's time in seconds.
        rgb: ``H×W×3`` uint8 RGB at the worker's size.
        key: :func:`plan_key` of the plan it was made with.
        seconds: how long it took to make (decode excluded).
    """

    t: float
    rgb: np.ndarray
    key: str
    seconds: float


class RefineCache:
    """Refined frames by plan and time, at most ``max_frames`` (least recently used go first).

    Thread-safe: the worker puts, viewers get.
    """

    def __init__(
        self, max_frames: int = 900, tolerance: float = 0.021, max_bytes: int = 512 << 20
    ) -> None:
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.tolerance = tolerance
        self._lock = threading.Lock()
        self._frames: OrderedDict[tuple[str, float], np.ndarray] = OrderedDict()
        self._times: dict[str, list[float]] = {}
        self._bytes = 0

    def put(self, frame: RefinedFrame) -> None:
        with self._lock:
            k = (frame.key, round(frame.t, 4))
            if k not in self._frames:
                bisect.insort(self._times.setdefault(frame.key, []), k[1])
            else:
                self._bytes -= self._frames[k].nbytes
            self._frames[k] = frame.rgb
            self._bytes += frame.rgb.nbytes
            self._frames.move_to_end(k)
            while len(self._frames) > 1 and (
                len(self._frames) > self.max_frames or self._bytes > self.max_bytes
            ):
                (old_key, old_t), old = self._frames.popitem(last=False)
                self._bytes -= old.nbytes
                times = self._times.get(old_key, [])
                i = bisect.bisect_left(times, old_t)
                if i < len(times) and times[i] == old_t:
                    times.pop(i)

    def get(self, key: str, t: float) -> np.ndarray | None:
        """The refined frame nearest ``t`` (within ``tolerance`` s) for plan ``key``, or None."""
        with self._lock:
            times = self._times.get(key, [])
            i = bisect.bisect_left(times, t)
            best = None
            for j in (i - 1, i):
                ok = 0 <= j < len(times) and abs(times[j] - t) <= self.tolerance
                if ok and (best is None or abs(times[j] - t) < abs(best - t)):
                    best = times[j]
            if best is None:
                return None
            self._frames.move_to_end((key, best))
            return self._frames[(key, best)]

    def ranges(self, key: str, gap: float = 0.25) -> list[tuple[float, float]]:
        """Refined stretches ``[(t0, t1)]`` in seconds for plan ``key`` (frames closer than
        ``gap`` seconds join one stretch)."""
        with self._lock:
            times = list(self._times.get(key, []))
        out: list[tuple[float, float]] = []
        for t in times:
            if out and t - out[-1][1] <= gap:
                out[-1] = (out[-1][0], t)
            else:
                out.append((t, t))
        return out

    def has(self, key: str, t: float) -> bool:
        """Whether a frame refined for plan ``key`` exists within ``tolerance`` s of ``t``."""
        with self._lock:
            times = self._times.get(key, [])
            i = bisect.bisect_left(times, t - self.tolerance)
            return i < len(times) and times[i] <= t + self.tolerance

    def drop_other_plans(self, key: str) -> None:
        """Forget refined frames of every plan but ``key``."""
        with self._lock:
            for k in [k for k in self._frames if k[0] != key]:
                self._bytes -= self._frames.pop(k).nbytes
            self._times = {key: self._times.get(key, [])}


def _resize(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or (frame.shape[1], frame.shape[0]) == size:
        return frame
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def refine_range(
    source: str | Path,
    plan: EditPlan,
    t0: float,
    t1: float,
    *,
    size: tuple[int, int] | None = None,
    info: MediaInfo | None = None,
    masker: Masker | None = None,
    timeline: Timeline | None = None,
    on_frame: FrameFn | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    skip: Callable[[float], bool] = lambda t: False,
) -> list[RefinedFrame]:
    """Render the frames of ``source`` in ``[t0, t1]`` seconds with the quality settings.

    Args:
        source: the video.
        plan: the edit.
        t0, t1: the range, seconds (``t1`` included when a frame falls on it).
        size: ``(width, height)`` of the refined frames (default: the source's).
        info: the source's probe, if known.
        masker: the subject masker for frames of ``size`` (default: the plan's, built here).
        timeline: analysis events for rules that need them (speakers, objects, cuts).
        on_frame: called with each refined frame as soon as it is made.
        cancelled: checked before each frame; True stops early.
        skip: ``skip(t)`` True = a frame already refined: the masker still sees it (its
            temporal state stays as in a render) but it is not composited or returned.

    Returns:
        The refined frames, in time order.
    """
    from backdrop.render.pipeline import iter_frames_from

    info = info if info is not None else probe(source)
    w, h = size if size is not None else (info.width, info.height)
    compositor = Compositor(plan, w, h, info.duration, quality=True)
    if masker is None and plan.keep:
        masker = build_masker(dataclasses.replace(info, width=w, height=h), plan, timeline)
    out: list[RefinedFrame] = []
    key = plan_key(plan)
    start = max(0.0, t0 - WARMUP_S) if masker is not None else t0
    for t, frame in iter_frames_from(source, start):
        if cancelled() or t > t1 + 1e-6:
            break
        frame = _resize(frame, (w, h))
        needs = compositor.needs_mask(t)
        if t < t0 - 1e-6:  # warm-up: temporal state as a render from here would have it
            if masker is not None:
                masker(frame, t) if needs else masker.reset()
            continue
        started = time.perf_counter()
        mask = masker(frame, t) if (needs and masker is not None) else None
        if not needs and masker is not None:
            masker.reset()
        if skip(t):
            continue
        rgb = compositor.compose(frame, t, mask).rgb
        rf = RefinedFrame(t, rgb, key, time.perf_counter() - started)
        out.append(rf)
        if on_frame is not None:
            on_frame(rf)
    return out


def write_refined_png(
    source: str | Path,
    plan: EditPlan,
    t: float,
    path: str | Path,
    *,
    size: tuple[int, int] | None = None,
    timeline: Timeline | None = None,
) -> Path:
    """Write the frame shown at ``t`` seconds, made with the quality settings, to ``path``
    (PNG, atomically) — the "after" beside a preview's "before". At the very end, or past
    where a broken-off file stops decoding, that is the last frame of the second before ``t``
    (as the fast preview shows it).

    Raises:
        ValueError: no frame decodes at or in the second before ``t``.
    """
    info = probe(source)
    step = 1.0 / max(info.fps, 1.0)
    frames = refine_range(source, plan, t, t + step - 1e-4, size=size, info=info,
                          timeline=timeline)  # fmt: skip
    if not frames:  # no frame starts in [t, t + step): the one shown is the last before t
        frames = refine_range(source, plan, max(0.0, t - 1.0), t, size=size, info=info,
                              timeline=timeline)[-1:]  # fmt: skip
    if not frames:
        raise ValueError(f"no frame at {t:.2f} s in {source}")
    return write_png(frames[0].rgb, path)


class RefineWorker:
    """Refines requested ranges of one source in a background thread.

    Args:
        source: the video.
        plan: the plan to refine with (:meth:`set_plan` changes it).
        size: ``(width, height)`` of refined frames (default: the source's).
        cache: where refined frames go (default: a new :class:`RefineCache`).
        on_frame: called (in the worker's thread) with each refined frame of the current plan.
        timeline: analysis events for rules that need them.
        masker_factory: ``(info at size, plan) → masker`` (default: the plan's own masker).
        on_done: called (in the worker's thread) with ``(t0, t1)`` seconds when a requested
            range of the current plan is finished.

    Work is bounded: a range is refined once per plan (frames already in the cache are not
    made again), and :meth:`request` with ``replace=True`` drops the ranges asked before it.
    """

    def __init__(
        self,
        source: str | Path,
        plan: EditPlan,
        *,
        size: tuple[int, int] | None = None,
        cache: RefineCache | None = None,
        on_frame: FrameFn | None = None,
        timeline: Timeline | None = None,
        masker_factory: Callable[[MediaInfo, EditPlan], Masker] | None = None,
        on_done: Callable[[float, float], None] | None = None,
    ) -> None:
        self.source = Path(source)
        self.info = probe(self.source)
        self.size = size or (self.info.width, self.info.height)
        self.cache = cache if cache is not None else RefineCache()
        self.on_frame = on_frame
        self.on_done = on_done
        self.timeline = timeline
        self._factory = masker_factory
        self._plan = plan
        self._key = plan_key(plan)
        self._lock = threading.Lock()
        self._q: queue.Queue[tuple[str, int, float, float] | None] = queue.Queue()
        self._gen = 0  # bumped by a replacing request: ranges asked before it stop
        self._pending = 0
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self.frames_done = 0
        self.seconds = 0.0
        self._hold_until = 0.0
        self._thread = threading.Thread(target=self._run, name="refine", daemon=True)
        workers.track(self._thread, stop=self._wake_to_stop)  # waited for at exit (models in use)
        self._thread.start()

    @property
    def key(self) -> str:
        """:func:`plan_key` of the plan being refined."""
        return self._key

    @property
    def fps(self) -> float:
        """Refined frames per second of work so far (0 before the first)."""
        return self.frames_done / self.seconds if self.seconds > 0 else 0.0

    def set_plan(self, plan: EditPlan) -> None:
        """Refine with ``plan`` from now on; queued and running ranges of the old plan stop."""
        with self._lock:
            self._plan, self._key = plan, plan_key(plan)
        self.cache.drop_other_plans(self._key)

    def request(self, t0: float, t1: float, *, replace: bool = False) -> tuple[float, float]:
        """Queue ``[t0, t1]`` seconds for refinement with the current plan; ``replace`` drops
        the ranges still waiting and stops the one being refined after its current frame (the
        person looks elsewhere now; frames made stay cached). Returns the range queued, clipped
        to the video."""
        t0 = min(max(0.0, t0), self.info.duration)
        t1 = min(max(t0, t1), self.info.duration)
        with self._lock:
            if replace:
                self._gen += 1
                while True:
                    try:
                        item = self._q.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:  # closing: keep the stop marker
                        self._q.put(None)
                        break
                    self._pending -= 1
            self._pending += 1
            self._idle.clear()
            gen = self._gen
        self._q.put((self._key, gen, t0, t1))
        return t0, t1

    def hold(self, seconds: float = HOLD_SECONDS) -> None:
        """Start no new frame for ``seconds`` from now (a preview is being made: it goes first;
        the frame in progress finishes)."""
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def _wait_hold(self) -> bool:
        """Wait out a :meth:`hold` (before each frame); True when the worker is closing."""
        while not self._stop.is_set():
            left = self._hold_until - time.monotonic()
            if left <= 0:
                return False
            self._stop.wait(min(left, 0.05))
        return True

    @property
    def busy(self) -> bool:
        """Whether ranges are queued or being refined."""
        return not self._idle.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every requested range is done; False on timeout."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._wake_to_stop()
        self._thread.join(10)

    def _wake_to_stop(self) -> None:
        self._stop.set()
        self._q.put(None)

    def _lower_priority(self) -> None:
        # Linux only: elsewhere a thread id given to setpriority may name another process
        if not workers.lower_priority(NICE):
            log.debug("could not lower the refine thread's priority")

    def _run(self) -> None:
        self._lower_priority()
        while not self._stop.is_set():
            item = self._q.get()
            if item is None:
                return
            try:
                self._refine(*item)
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def _refine(self, key: str, gen: int, t0: float, t1: float) -> None:
        with self._lock:
            plan, current = self._plan, self._key
        if key != current:
            return
        masker = None
        try:
            if self._factory is not None and plan.keep:
                w, h = self.size
                masker = self._factory(dataclasses.replace(self.info, width=w, height=h), plan)
            refine_range(
                self.source,
                plan,
                t0,
                t1,
                size=self.size,
                info=self.info,
                masker=masker,
                timeline=self.timeline,
                on_frame=self._deliver,
                cancelled=lambda: self._wait_hold() or key != self._key or gen != self._gen,
                skip=lambda t: self.cache.has(key, t),
            )
            current = key == self._key and gen == self._gen and not self._stop.is_set()
            if self.on_done is not None and current:
                self.on_done(t0, t1)
        except Exception as e:  # noqa: BLE001 - reported, the worker keeps serving
            if isinstance(e, OSError | MediaError):  # the video went away: one line
                log.warning("refinement of %.2f–%.2f s stopped: %s", t0, t1, e)
            else:
                log.exception("refinement of %.2f–%.2f s failed", t0, t1)
            self.error = e

    def _deliver(self, frame: RefinedFrame) -> None:
        if frame.key != self._key:
            return
        self.frames_done += 1
        self.seconds += frame.seconds
        self.cache.put(frame)
        if self.on_frame is not None:
            self.on_frame(frame)
