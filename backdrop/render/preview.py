"""Preview frames: their size, the plan applied to one frame now, a scrub cache, and encoding.

What a live session shows while the person talks: frames scaled so the long side is at most
:data:`PREVIEW_LONG_SIDE` pixels (:func:`preview_size`), edited with the current plan by a
:class:`PreviewComposer` (which rebuilds its compositor and masker only when the plan needs it),
source thumbnails kept as JPEG in a :class:`FrameCache` for scrubbing, and frames encoded as
JPEG (:func:`encode_jpeg`, for the browser) or PNG (:func:`write_png`, atomically). Frames are
H×W×3 uint8 RGB throughout; times are seconds.

Scrubbing ahead of what the session has processed reads the source through a :class:`SeekReader`:
the file stays open, its keyframes are indexed once, a scrub forward within the same keyframe
interval decodes on from where the last one stopped instead of seeking back, and frames more
than :data:`SKIP_NONREF_BEFORE` seconds before the target are not decoded unless other frames
need them (the decoder skips non-reference frames there).
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from backdrop.perception.core import workers
from backdrop.perception.core.media import MediaError, MediaInfo, frame_to_rgb
from backdrop.render.atomic import atomic_path
from backdrop.render.backgrounds import BackgroundSource
from backdrop.render.compose import Compositor
from backdrop.render.maskers import Masker
from backdrop.render.plan import EditPlan

PREVIEW_LONG_SIDE = 640
"""Preview frames are scaled so their long side is at most this many pixels."""

FRAME_CACHE_LIMIT = 4000
"""Most source thumbnails kept for scrubbing (one per micro-turn, JPEG; ~30 KB each)."""

PREVIEW_JPEG_QUALITY = 85
"""JPEG quality of preview frames sent to the browser."""

CACHE_JPEG_QUALITY = 90
"""JPEG quality of cached source thumbnails (they are edited again before being shown)."""

SKIP_NONREF_BEFORE = 0.5
"""Seconds before a scrub target before which non-reference frames are skipped, not decoded."""

MASK_MEMORY = 8
"""Masks a :class:`PreviewComposer` remembers (by masker and frame time): the preview after an
instruction that changes only the background reuses the mask of the frame looked at."""

DECODE_ON_UNINDEXED = 1.0
"""Before the keyframe index is ready: the farthest (seconds) a scrub decodes on, not seeks."""


def preview_size(info: MediaInfo, long_side: int = PREVIEW_LONG_SIDE) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``info``'s frames scaled to fit ``long_side`` (never
    enlarged), both even (codecs and chroma subsampling want even sizes)."""
    s = min(1.0, long_side / max(info.width, info.height))
    return max(2, round(info.width * s / 2) * 2), max(2, round(info.height * s / 2) * 2)


def blank_frame(size: tuple[int, int]) -> np.ndarray:
    """A black frame of ``size`` = ``(width, height)`` pixels: H×W×3 uint8 RGB (what a live
    preview shows before its first frame arrives)."""
    return np.zeros((size[1], size[0], 3), np.uint8)


def fit_preview(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``rgb`` (H×W×3 uint8) scaled to the preview ``size`` = (width, height) pixels (area
    filter); returned as is when it already has that size."""
    if (rgb.shape[1], rgb.shape[0]) == tuple(size):
        return rgb
    return cv2.resize(rgb, tuple(size), interpolation=cv2.INTER_AREA)


def encode_jpeg(rgb: np.ndarray, quality: int = PREVIEW_JPEG_QUALITY) -> bytes:
    """H×W×3 uint8 RGB → JPEG bytes.

    Raises:
        ValueError: the frame could not be encoded.
    """
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("could not encode a JPEG")
    return buf.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG bytes → H×W×3 uint8 RGB."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def write_png(rgb: np.ndarray, path: str | Path) -> Path:
    """Write H×W×3 uint8 RGB to ``path`` as PNG, atomically. Returns the path.

    Raises:
        OSError: the frame could not be encoded or written.
    """
    p = Path(path)
    with atomic_path(p) as tmp:
        ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"{p}: could not encode PNG")
        tmp.write_bytes(buf.tobytes())
    return p


class FrameCache:
    """Source thumbnails by micro-turn index (JPEG in memory), oldest dropped past ``limit``.

    Args:
        step: seconds per index (the micro-turn length).
        limit: most thumbnails kept.
    """

    def __init__(self, step: float, limit: int = FRAME_CACHE_LIMIT) -> None:
        self.step = step
        self.limit = limit
        self._frames: OrderedDict[int, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, t: float, frame: np.ndarray, index: int | None = None) -> None:
        """Keep ``frame`` (shown at ``t`` seconds) under ``index`` (default: ``t``'s)."""
        key = int(t / self.step) if index is None else index
        try:
            self._frames[key] = (t, encode_jpeg(frame, CACHE_JPEG_QUALITY))
        except ValueError:
            return
        while len(self._frames) > self.limit:
            self._frames.popitem(last=False)

    def latest(self) -> tuple[float, np.ndarray] | None:
        """``(frame time, frame)`` of the frame put last (a live feed's newest), or ``None``."""
        if not self._frames:
            return None
        t, data = self._frames[next(reversed(self._frames))]
        return t, decode_jpeg(data)

    def get(self, t: float) -> tuple[float, np.ndarray] | None:
        """``(frame time, frame)`` of a cached frame within one step of ``t``, or ``None``."""
        hit = self._frames.get(int(t / self.step))
        if hit is None or abs(hit[0] - t) > self.step:
            return None
        return hit[0], decode_jpeg(hit[1])


class SeekReader:
    """The frame shown at any time of one video file, for scrubbing (thread-safe).

    Same frames and times as :func:`~backdrop.perception.core.media.read_frame_at` (the last frame
    starting at or before ``t``; seconds from the video stream's start; rotation applied; scaled
    to ``size`` = (width, height) after rotation when given), but the file stays open, the
    keyframes are indexed in the background when it opens, and a target ahead of the last one
    within the same keyframe interval is reached by decoding on, not by seeking back (see the
    module docstring).

    ``threads``: the decoder's threading (``"AUTO"``; ``"SLICE"`` for a file with short keyframe
    intervals such as a scrub proxy, where frame threading only adds latency).

    Raises:
        MediaError: the file cannot be read (on construction or on a read).
    """

    def __init__(
        self, path: str | Path, size: tuple[int, int] | None = None, *, threads: str = "AUTO"
    ) -> None:
        self.path = Path(path)
        self.size = size
        self._lock = threading.Lock()
        try:
            self._c = av.open(str(self.path))
            self._vs = self._c.streams.video[0]
        except (av.error.FFmpegError, IndexError, OSError) as e:
            raise MediaError(f"{self.path}: not a readable video ({e})") from e
        self._vs.thread_type = threads
        tb = self._vs.time_base
        self._tb = float(tb)
        self._v0 = float(self._vs.start_time * tb) if self._vs.start_time is not None else 0.0
        self._keys: list[float] | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._last: tuple[float, av.VideoFrame] | None = None  # decoded, at or before a target
        self._ahead: tuple[float, av.VideoFrame] | None = None  # decoded past the last target
        self._target = 0.0
        threading.Thread(target=self._index, name="keyframe-index", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._frames = None
            self._c.close()

    def _index(self) -> None:
        """Keyframe times (seconds), read from the packets by a second reader; until they are
        known a scrub decodes on up to :data:`DECODE_ON_UNINDEXED` seconds, else seeks."""
        try:
            with av.open(str(self.path)) as c:
                vs = c.streams.video[0]
                keys = {
                    float(p.pts * p.time_base) - self._v0
                    for p in c.demux(vs)
                    if p.is_keyframe and p.pts is not None
                }
            self._keys = sorted(keys) or [0.0]
        except (av.error.FFmpegError, OSError, IndexError):
            return  # a broken file: the reads say so

    def _seek(self, t: float) -> None:
        target = int((t + self._v0) / self._tb)
        try:
            self._c.seek(target, stream=self._vs, backward=True, any_frame=False)
        except av.error.FFmpegError:
            self._c.seek(0)
        self._vs.codec_context.flush_buffers()
        self._frames = self._decode()
        self._last = self._ahead = None

    def _decode(self) -> Iterator[av.VideoFrame]:
        ctx = self._vs.codec_context
        for packet in self._c.demux(self._vs):
            pts = packet.pts if packet.pts is not None else packet.dts
            near = pts is None or float(pts * packet.time_base) - self._v0 >= (
                self._target - SKIP_NONREF_BEFORE
            )
            ctx.skip_frame = "DEFAULT" if near else "NONREF"
            yield from ctx.decode(packet)

    def frame_at(self, t: float) -> tuple[float, np.ndarray]:
        """``(frame time in seconds, H×W×3 uint8 RGB)`` of the frame shown at ``t`` seconds
        (before the first frame: the first frame)."""
        with self._lock:
            try:
                return self._frame_at(max(t, 0.0))
            except av.error.FFmpegError as e:
                self._frames = None
                raise MediaError(f"{self.path}: cannot read the frame at {t:.2f} s ({e})") from e

    def _frame_at(self, t: float) -> tuple[float, np.ndarray]:
        keys = self._keys
        here = self._ahead or self._last
        if keys is not None:  # decode on from here when no keyframe lies between here and t
            key = keys[max(0, bisect.bisect_right(keys, t + 1e-6) - 1)]
            far = here is not None and key > here[0] + 1e-6
        else:
            key, far = t, here is not None and t > here[0] + DECODE_ON_UNINDEXED
        if self._frames is None or here is None or here[0] > t + 1e-6 or far:
            self._seek(key)  # to the keyframe at or before ``key``
        self._target = t
        best = self._last if self._last is not None and self._last[0] <= t + 1e-6 else None
        if self._ahead is not None and self._ahead[0] <= t + 1e-6:
            best, self._ahead = self._ahead, None
        while self._ahead is None:
            frame = next(self._frames, None)  # type: ignore[arg-type]
            if frame is None:
                break
            if frame.pts is None:
                continue
            ft = float(frame.pts * frame.time_base) - self._v0
            if ft > t + 1e-6 and best is not None:
                self._ahead = (ft, frame)
            else:
                best = (ft, frame)
        if best is None:
            raise MediaError(f"{self.path}: no frame at {t:.2f} s")
        self._last = best
        return best[0], frame_to_rgb(best[1], self.size)


def masker_key(plan: EditPlan) -> tuple[Any, ...]:
    """What decides which masker a plan needs (time ranges do not: the masker gets ``t``)."""
    rules = tuple(
        (
            k.subject,
            k.action,
            k.label,
            k.speaker,
            k.selector,
            tuple(k.box or ()),
            tuple(k.point or ()),
        )  # fmt: skip
        for k in plan.keep
    )
    return rules, tuple(q.tier for q in plan.quality)


ALPHA_MEMORY = 4
"""Preview edges (alphas) a :class:`PreviewComposer` remembers, by mask and edge settings: an
instruction that changes only the background or a fade recomposes the frame looked at without
the edge filter."""

BACKGROUND_MEMORY = 16
"""Static backgrounds (colours, gradients, images at preview size) a :class:`PreviewComposer`
keeps from one plan to the next; past it they are drawn again."""


class _PreviewCompositor(Compositor):
    """The compositor with the preview edge of a frame remembered in its composer's memory
    (``alphas``, keyed by :attr:`frame_key` and the plan's edge settings)."""

    frame_key: tuple[Any, ...] | None = None
    alphas: OrderedDict[tuple[Any, ...], np.ndarray]

    def _preview_alpha(self, mask: np.ndarray, frame: np.ndarray) -> np.ndarray:
        if self.frame_key is None:
            return super()._preview_alpha(mask, frame)
        key = (self.frame_key, self.plan.edges.model_dump_json(), self.alpha_scale)
        hit = self.alphas.get(key)
        if hit is None:
            hit = super()._preview_alpha(mask, frame)
            hit.flags.writeable = False  # shared between plans: never changed in place
            self.alphas[key] = hit
            while len(self.alphas) > ALPHA_MEMORY:
                self.alphas.popitem(last=False)
        else:
            self.alphas.move_to_end(key)
        return hit


class PreviewComposer:
    """Applies the current plan to preview frames; rebuilds only what a plan change needs.

    Args:
        info: the preview-size video (``width``/``height`` are the preview's).
        masker_factory: builds the masker for ``(info, plan)``.

    ``refined``: a :class:`~backdrop.render.refine.RefineCache` a refine worker fills; a frame
    refined for the current plan is shown instead of the fast one (None = never).

    The masks of the last :data:`MASK_MEMORY` frames are remembered by (masker, frame time): a
    plan change that keeps the same masker (a new background, a fade, edges) recomposes the
    frame looked at without running the masker on it again (issue 14: the instruction →
    preview path). A frame time stands for one source frame (a file's frames, a live feed's
    capture times), whatever the frame's coding on the way (cache JPEG, proxy, source).
    The mask of the frame composed with ``pin=True`` (the one the person looks at) is kept
    besides those, so newer frames never push it out.

    :meth:`mask_later` runs the masker on a frame in the composer's own thread
    (``preview-mask``), so the thread that owns the plan stays free for instructions while a new
    frame is masked; the masker is never run by two threads at once. :meth:`close` ends it.
    """

    def __init__(self, info: MediaInfo, masker_factory: Callable[[MediaInfo, EditPlan], Masker]):
        self.info = info
        self._factory = masker_factory
        self.refined: Any = None
        self._plan_key = ""
        self._keyed: EditPlan | None = None
        self._compositor: _PreviewCompositor | None = None
        self._backgrounds: BackgroundSource | None = None  # static backgrounds drawn so far
        self._plan: EditPlan | None = None
        self._masker: Masker | None = None
        self._masker_key: tuple[Any, ...] = ()
        self._masks: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._pinned: tuple[tuple[Any, ...], np.ndarray] | None = None
        self._pins = 0  # frames pinned so far: the edges remembered are of the newest pin
        self._alphas: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._mem_lock = threading.Lock()  # the masks remembered and the masker they are of
        self._run_lock = threading.Lock()  # held while the masker runs (it has state)
        self._jobs: queue.Queue[tuple[Masker, np.ndarray, float, bool, Future[None]] | None]
        self._jobs = queue.Queue()
        self._worker: threading.Thread | None = None

    def warm_up(self, plan: EditPlan) -> None:
        """Build the masker for ``plan`` now (so the first instruction does not wait for it)."""
        self._set_masker(self._factory(self.info, plan), masker_key(plan))

    def _set_masker(self, masker: Masker, key: tuple[Any, ...]) -> None:
        with self._mem_lock:
            self._masker, self._masker_key = masker, key
            self._masks.clear()
            self._pinned = None
            self._alphas.clear()

    def invalidate(self) -> None:
        """Forget the compositor (the plan may have changed in ways equality does not see)."""
        self._compositor = None

    def _use(self, plan: EditPlan) -> _PreviewCompositor:
        """The compositor (and masker) for ``plan``, rebuilt only when the plan changed; the
        static backgrounds already drawn and the edges remembered carry over."""
        if self._compositor is None or self._plan != plan:
            compositor = _PreviewCompositor(plan, self.info.width, self.info.height,
                                            self.info.duration)  # fmt: skip
            compositor.alphas = self._alphas
            drawn = self._backgrounds
            if (
                drawn is not None
                and len(drawn.static_cached()) <= BACKGROUND_MEMORY
                and not any(s.background.extensions for s in plan.backgrounds)  # files: reread
            ):
                compositor.backgrounds = drawn
            self._compositor, self._backgrounds = compositor, compositor.backgrounds
            key = masker_key(plan)
            if plan.keep and (self._masker is None or key != self._masker_key):
                self._set_masker(self._factory(self.info, plan), key)
            self._plan = plan
        return self._compositor

    def _refined(self, plan: EditPlan, frame: np.ndarray, t: float) -> np.ndarray | None:
        """The frame at ``t`` refined for ``plan`` (at ``frame``'s size), or None."""
        if self.refined is None:
            return None
        if self._keyed is not plan:
            from backdrop.render.refine import plan_key

            self._plan_key, self._keyed = plan_key(plan), plan
        done = self.refined.get(self._plan_key, t)
        if done is not None and done.shape != frame.shape:  # refined at the source's size
            done = cv2.resize(done, (frame.shape[1], frame.shape[0]),
                              interpolation=cv2.INTER_AREA)  # fmt: skip
        return done

    def compose(
        self, plan: EditPlan, frame: np.ndarray, t: float, *, fast: bool = False, pin: bool = False
    ) -> np.ndarray:
        """``frame`` (preview size, shown at ``t`` seconds) edited by ``plan``: H×W×3 uint8
        (``fast``: the fast edge even where a refined frame exists; ``pin``: this is the frame
        the person looks at, keep its mask until another frame is pinned)."""
        compositor = self._use(plan)
        done = None if fast else self._refined(plan, frame, t)
        if done is not None:
            return done
        if not compositor.needs_mask(t):
            return compositor.compose(frame, t, None).rgb
        mask = self._mask(frame, t, pin)
        compositor.frame_key = (round(t, 4), frame.shape, self._pins) if pin else None
        try:
            return compositor.compose(frame, t, mask).rgb
        finally:
            compositor.frame_key = None

    def mask_later(
        self, plan: EditPlan, frame: np.ndarray, t: float, *, pin: bool = False
    ) -> Future[None] | None:
        """Start masking ``frame`` (shown at ``t`` seconds) for ``plan`` in the composer's
        thread; a later :meth:`compose` of it finds the mask made (``pin``: kept as the frame
        looked at). None when there is nothing to make (no mask needed at ``t``, a refined
        frame shown instead, or already made); the future is done when the mask is remembered
        (or the masker failed: :meth:`compose` then runs it again and raises)."""
        compositor = self._use(plan)
        if not compositor.needs_mask(t) or self._refined(plan, frame, t) is not None:
            return None
        with self._mem_lock:
            masker = self._masker
            if masker is None or self._remembered((round(t, 4), frame.shape)) is not None:
                return None
        if self._worker is None:
            self._worker = workers.start(self._work, "preview-mask", stop=self.close)
        fut: Future[None] = Future()
        self._jobs.put((masker, frame, t, pin, fut))
        return fut

    def close(self) -> None:
        """End the masking thread (after the frame it is on); jobs still queued are dropped."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._jobs.put(None)
            worker.join(10)

    def _work(self) -> None:
        """The ``preview-mask`` thread: masks frames for :meth:`mask_later`, in order."""
        while (job := self._jobs.get()) is not None:
            masker, frame, t, pin, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                mask = self._run(masker, frame, t)
                if pin:
                    self._pin(masker, (round(t, 4), frame.shape), mask)
                fut.set_result(None)
            except BaseException as e:  # noqa: BLE001 - compose() runs it again and raises
                fut.set_exception(e)

    def _remembered(self, key: tuple[Any, ...]) -> np.ndarray | None:
        """The mask remembered under ``key`` (call with ``_mem_lock`` held), or None."""
        if self._pinned is not None and self._pinned[0] == key:
            return self._pinned[1]
        hit = self._masks.get(key)
        if hit is not None:
            self._masks.move_to_end(key)
        return hit

    def _run(self, masker: Masker, frame: np.ndarray, t: float) -> np.ndarray:
        """``masker``'s mask of ``frame``, made once (another thread may be making it) and
        remembered while ``masker`` is still the composer's; the remembered array itself."""
        key = (round(t, 4), frame.shape)
        with self._mem_lock:  # remembered: no wait for a masker busy on another frame
            hit = self._remembered(key) if masker is self._masker else None
        if hit is not None:
            return hit
        with self._run_lock:
            with self._mem_lock:  # made meanwhile by the other thread?
                hit = self._remembered(key) if masker is self._masker else None
            if hit is not None:
                return hit
            mask = masker(frame, t).copy()  # the masker may reuse its buffer for the next frame
        with self._mem_lock:
            if masker is self._masker:
                self._masks[key] = mask
                while len(self._masks) > MASK_MEMORY:
                    self._masks.popitem(last=False)
        return mask

    def _mask(self, frame: np.ndarray, t: float, pin: bool = False) -> np.ndarray:
        """The masker's h×w float32 mask of ``frame`` (shown at ``t`` seconds): remembered
        when this masker already made it (a copy: the compositor may work in place)."""
        masker = self._masker
        assert masker is not None
        mask = self._run(masker, frame, t)
        if pin:
            self._pin(masker, (round(t, 4), frame.shape), mask)
        return mask.copy()

    def _pin(self, masker: Masker, key: tuple[Any, ...], mask: np.ndarray) -> None:
        """Keep ``mask`` (``masker``'s, of the frame ``key``) as the frame looked at's."""
        with self._mem_lock:
            if masker is self._masker and (self._pinned is None or self._pinned[0] != key):
                self._pinned = (key, mask)
                self._pins += 1  # edges of an earlier pin are not used again (they age out)


__all__ = [
    "ALPHA_MEMORY",
    "BACKGROUND_MEMORY",
    "FRAME_CACHE_LIMIT",
    "MASK_MEMORY",
    "PREVIEW_LONG_SIDE",
    "FrameCache",
    "PreviewComposer",
    "SeekReader",
    "blank_frame",
    "decode_jpeg",
    "encode_jpeg",
    "masker_key",
    "preview_size",
    "write_png",
]
