"""The render job: decode → segment → composite → encode, streamed and overlapped.

Decoding runs in one thread, segmentation in two (the models of frame n+1 while tracking and
smoothing frame n, :data:`MASK_STAGES`), compositing in the caller's thread and each encoder in
its own; bounded queues between them keep memory flat whatever the video's
length (a few frames in flight). Codec work, the models and OpenCV release the GIL, so the
stages overlap on 2 cores.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from backdrop.perception.core import interrupt, workers
from backdrop.perception.core.events import Timeline
from backdrop.perception.core.media import (
    MediaError,
    MediaInfo,
    decode_shortfall,
    frame_to_rgb,
    iter_frames,
    probe,
)
from backdrop.render.compose import Compositor
from backdrop.render.files import PathError, check_distinct, check_output, clean_stale_partials
from backdrop.render.maskers import (
    Masker,
    build_masker,
    mask_first,
    mask_second,
    reset_first,
    reset_second,
)
from backdrop.render.plan import EditPlan, ImageBackground, VideoBackground
from backdrop.render.writer import (
    ENLARGED_X264,
    EXPORT_PRESET,
    PREVIEW_PRESET,
    Mp4Writer,
    PngSequenceWriter,
    ProResAlphaWriter,
    RenderError,
    WebmAlphaWriter,
    check_output_suffix,
)

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, float], None]
"""``progress(frames_done, frames_total_estimate, elapsed_seconds)``."""
RefinedFn = Callable[[float], "np.ndarray | None"]
"""``t`` seconds → a refined frame (H×W×3 uint8 RGB at the source size) or None."""


@dataclass
class RenderStats:
    frames: int
    seconds: float
    outputs: list[Path] = field(default_factory=list)
    segmented: int = 0
    missing_seconds: float = 0.0
    """Seconds at the end of the source that did not decode (a truncated file); 0 = none."""
    decoded_until: float = 0.0
    """Time of the last decoded source frame, seconds."""
    refined: int = 0
    """Frames taken from the refine worker's cache instead of composited (``refined=``)."""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


_END = object()

MASK_THREAD = True
"""Run the masker in its own thread, overlapping compositing (False: in the caller's)."""

MASK_STAGES = True
"""With :data:`MASK_THREAD`, split the masker's work on a frame into two threads: stage 1 (the
landmark / detector models, :func:`~backdrop.render.maskers.mask_first`) of frame n+1 runs while
stage 2 (identities, whole-frame model, thumbnails, smoother,
:func:`~backdrop.render.maskers.mask_second`) of frame n does; masks and their order are those of
one thread."""


class _Stage(threading.Thread):
    """A thread that feeds items from a bounded queue to ``fn``; remembers its exception."""

    def __init__(
        self,
        name: str,
        fn: Callable[[Any], None],
        maxsize: int = 8,
        uses: tuple[int, ...] = (1, 2, 3),
    ) -> None:
        super().__init__(name=name, daemon=True)
        workers.track(self)  # ended by the end marker, also on errors; waited for at exit
        self.q: queue.Queue[Any] = queue.Queue(maxsize)
        self.fn = fn
        self.uses = uses
        """Which parts of the ``(t, out, fg, keep)`` items ``fn`` reads (others are not scaled)."""
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            item = self.q.get()
            if item is _END:
                return
            if self.error is None:
                try:
                    self.fn(item)
                except BaseException as e:  # noqa: BLE001 - handed to the main thread
                    self.error = e

    def put(self, item: Any) -> None:
        """Queue ``item`` (waiting while the queue is full); raises the stage's error, and a
        Ctrl-C noted meanwhile (:mod:`~backdrop.perception.core.interrupt`)."""
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.q.put(item, timeout=interrupt.POLL_S)
                return
            except queue.Full:
                interrupt.check()

    def wait(self) -> None:
        """Join the thread; a Ctrl-C noted meanwhile is raised."""
        while self.is_alive():
            self.join(interrupt.POLL_S)
            interrupt.check()


def _prefetch(it: Iterator[Any], maxsize: int = 8, name: str = "decode") -> Iterator[Any]:
    """Run ``it`` in a thread named ``name``, ``maxsize`` items ahead of the consumer."""
    q: queue.Queue[Any] = queue.Queue(maxsize)
    stop = threading.Event()

    def put(item: Any) -> bool:
        """Hand ``item`` on; False once told to stop. A consumer that went away (its render
        failed) leaves the queue full: waiting in ``q.put`` for ever would hold this thread
        until the exit grace ran out (20 s after a disk-full error)."""
        while not stop.is_set():
            try:
                q.put(item, timeout=interrupt.POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in it:
                if not put(item):
                    return
            put(_END)
        except BaseException as e:  # noqa: BLE001 - re-raised in the consumer
            put(e)

    th = workers.start(work, name, stop=stop.set)
    try:
        while True:
            try:
                item = q.get(timeout=interrupt.POLL_S)
            except queue.Empty:
                interrupt.check()
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while th.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(0.05)


def _until_broken(
    frames: Iterator[tuple[float, np.ndarray]], stats: RenderStats
) -> Iterator[tuple[float, np.ndarray]]:
    """``frames`` until the source breaks off: a decode error after the first frame ends the
    stream (a truncated file renders as far as it decodes); ``stats.decoded_until`` follows."""
    n = 0
    try:
        for t, frame in frames:
            stats.decoded_until = t
            n += 1
            yield t, frame
    except MediaError as e:
        if n == 0:
            raise
        log.warning("%s", e)
    finally:  # closed early (the render failed): the decode thread behind it ends now
        _close(frames)


def _close(it: Iterable[Any]) -> None:
    """Close a generator that may still hold a worker (a prefetch thread) — at once, not when
    a traceback that references it is freed; one running in another thread is left to it."""
    close = getattr(it, "close", None)
    if close is not None:
        with contextlib.suppress(ValueError):  # "generator already executing"
            close()


def check_render_outputs(
    source: Path,
    plan: EditPlan,
    outputs: list[Path | None],
    *,
    alpha: Path | None = None,
    force: bool = False,
) -> None:
    """Refuse outputs that would destroy something (:func:`~backdrop.render.files.check_output`):
    the source, a background file of ``plan``, a device, a folder, or two outputs that collide.

    Raises:
        RenderError: one line saying which output and why.
    """
    inputs: list[Path] = [source]
    for seg in plan.backgrounds:
        if isinstance(seg.background, ImageBackground | VideoBackground):
            inputs.append(Path(seg.background.path))
    try:
        check_distinct([*outputs, alpha])
        for o in outputs:
            if o is not None:
                check_output(o, inputs)
        if alpha is not None:
            check_output(alpha, inputs, folder=Path(alpha).suffix == "", force=force)
    except PathError as e:
        raise RenderError(str(e)) from e


def _compose_frames(
    frames: Iterable[tuple[float, np.ndarray]],
    compositor: Compositor,
    masker: Masker | None,
    stages: list[_Stage],
    stats: RenderStats,
    progress: ProgressFn | None,
    total: int,
    size: tuple[int, int] | None = None,
    i420: bool = False,
    refined: RefinedFn | None = None,
) -> None:
    """Segment and composite each ``(t, frame)`` and hand ``(t, rgb, frame, keep)`` to ``stages``
    (scaled to ``size`` = (width, height) when given; with ``i420`` the output as I420 planes in
    place of ``rgb``, :meth:`~backdrop.render.compose.Compositor.compose_i420`). ``refined(t)``:
    a frame already made with the quality settings for this plan (used instead of compositing;
    ``keep`` is then None).

    The masker sees every frame that needs a mask, in order, and is reset on frames that do
    not, so its temporal state is the same whoever calls this with the same frames. It runs a
    frame or two ahead of the compositing (the models release the GIL, so segmenting the next
    frame overlaps compositing this one), in two threads: its stage 1 (the models) of frame n+1
    overlaps its stage 2 (tracking, smoothing) of frame n (:func:`_mask_stream`).
    """
    t_start = time.perf_counter()
    for t, frame, mask in _mask_stream(frames, compositor, masker, stats):
        interrupt.check()
        done = refined(t) if refined is not None else None
        if done is not None and done.shape == frame.shape:
            out = cv2.cvtColor(done, cv2.COLOR_RGB2YUV_I420) if i420 else done
            item: tuple[Any, ...] = (t, out, frame, None)
            stats.refined += 1
        elif i420:
            comp = compositor.compose_i420(frame, t, mask)
            item = (t, comp.i420, frame if comp.fg is None else comp.fg, comp.keep)
        else:
            comp = compositor.compose(frame, t, mask)
            item = (t, comp.rgb, frame if comp.fg is None else comp.fg, comp.keep)
        if size is not None:
            used = {i for st in stages for i in st.uses}
            item = (t, *(None if i not in used or a is None
                         else _scale_i420(a, size) if i == 1 and i420 else _scale(a, size)
                         for i, a in enumerate(item[1:], 1)))  # fmt: skip
        for st in stages:
            st.put(item)
        stats.frames += 1
        if progress is not None:
            progress(stats.frames, max(total, stats.frames), time.perf_counter() - t_start)


def _mask_stream(
    frames: Iterable[tuple[float, np.ndarray]],
    compositor: Compositor,
    masker: Masker | None,
    stats: RenderStats,
    threads: int | None = None,
) -> Iterator[tuple[float, np.ndarray, np.ndarray | None]]:
    """``(t, frame, mask)`` of each frame, in order: the subject's mask where the frame needs
    one, else None (and the masker reset). ``threads``: 0 = in the caller's thread, 1 = the
    masker in one thread, 2 = its two stages in two threads (default: from :data:`MASK_THREAD`
    and :data:`MASK_STAGES`). The masks are the same whichever."""
    if threads is None:
        threads = 0 if not MASK_THREAD else 2 if MASK_STAGES else 1
    if masker is None or threads == 0:
        return _mask_second(_mask_first(frames, compositor, masker, stats), masker)
    if threads == 1:
        return _prefetch(_mask_second(_mask_first(frames, compositor, masker, stats), masker),
                         2, "mask")  # fmt: skip
    first = _prefetch(_mask_first(frames, compositor, masker, stats), 1, "mask-models")
    return _prefetch(_mask_second(first, masker), 2, "mask")


def _mask_first(
    frames: Iterable[tuple[float, np.ndarray]],
    compositor: Compositor,
    masker: Masker | None,
    stats: RenderStats,
) -> Iterator[tuple[float, np.ndarray, Any]]:
    """``(t, frame, work)``: stage 1 of the masker where the frame needs a mask, else None (and
    stage 1's state reset)."""
    for t, frame in frames:
        work = None
        if compositor.needs_mask(t):
            assert masker is not None
            work = mask_first(masker, frame, t)
            stats.segmented += 1
        elif masker is not None:
            reset_first(masker)
        yield t, frame, work


def _mask_second(
    items: Iterable[tuple[float, np.ndarray, Any]], masker: Masker | None
) -> Iterator[tuple[float, np.ndarray, np.ndarray | None]]:
    """``(t, frame, mask)``: stage 2 of each frame stage 1 worked on, else None (and stage 2's
    state reset, at the same frame as stage 1's)."""
    for t, frame, work in items:
        if work is not None:
            assert masker is not None
            yield t, frame, mask_second(masker, work)
            continue
        if masker is not None:
            reset_second(masker)
        yield t, frame, None


def _is_mov(output: str | Path | None) -> bool:
    return output is not None and Path(output).suffix.lower() == ".mov"


UPSCALE = cv2.INTER_CUBIC
"""How scaled exports are enlarged (see :func:`_scale`)."""


def _scale(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` resized to ``size`` = (width, height): bicubic up, area down (bicubic, not
    Lanczos: within 45.6 dB PSNR of it on a real 720p → 4K frame, under x264's own loss, and
    ~12× faster in OpenCV: 4.1 vs 50 CPU-ms for a 4K luma plane)."""
    if (img.shape[1], img.shape[0]) == size:
        return img
    out = np.empty((size[1], size[0], *img.shape[2:]), img.dtype)
    _scale_into(img, out)
    return out


def _scale_i420(i420: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """cv2-layout I420 planes (``(3H/2)×W`` uint8 of an H×W frame, both even) resized to
    ``size`` = (width, height), both even: each plane on its own (as :func:`_scale`), so a
    scaled export skips the RGB frame at the output size and its conversion (4K: ~190 → ~90
    CPU-ms per frame with the conversion at the source size)."""
    h, w = i420.shape[0] * 2 // 3, i420.shape[1]
    ow, oh = size
    if (w, h) == size:
        return i420
    out = np.empty((oh * 3 // 2, ow), np.uint8)
    _scale_into(i420[:h], out[:oh])
    # U then V: each a (H/2)×(W/2) block after the luma, contiguous, so these are views
    for plane, dst in zip(i420[h:].reshape(2, h // 2, w // 2),
                          out[oh:].reshape(2, oh // 2, ow // 2), strict=True):  # fmt: skip
        _scale_into(plane, dst)
    return out


def _scale_into(img: np.ndarray, dst: np.ndarray) -> None:
    """``img`` resized into ``dst`` (a contiguous array of the wanted size): :data:`UPSCALE` up,
    area down."""
    up = dst.shape[1] > img.shape[1]
    cv2.resize(img, (dst.shape[1], dst.shape[0]), dst=dst,
               interpolation=UPSCALE if up else cv2.INTER_AREA)  # fmt: skip


def _transparent_at(plan: EditPlan, t: float, duration: float) -> bool:
    from backdrop.render.plan import TransparentBackground

    seg = plan.active_segment(t, duration)
    return seg is not None and isinstance(seg.background, TransparentBackground)


def render_video(
    source: str | Path,
    plan: EditPlan,
    output: str | Path | None,
    *,
    alpha: str | Path | None = None,
    masker: Masker | None = None,
    timeline: Timeline | None = None,
    sam_checkpoint: Path | None = None,
    progress: ProgressFn | None = None,
    crf: int = 20,
    preset: str | None = None,
    quality: bool = True,
    size: tuple[int, int] | None = None,
    force: bool = False,
    refined: RefinedFn | None = None,
) -> RenderStats:
    """Render ``plan`` over ``source``.

    Args:
        source: the input video.
        plan: the edit.
        output: H.264 MP4 path (with the source's audio), or None for alpha output only.
        alpha: optional alpha output: a ``.webm`` path (VP9 with alpha) or a folder for a PNG
            sequence (RGBA, plus ``times.txt``).
        masker: subject masker; defaults to :func:`~backdrop.render.maskers.build_masker`.
        timeline: analysis events, for rules that need them (e.g. the active speaker).
        sam_checkpoint: Segment Anything checkpoint for the quality tier.
        progress: called after each frame.
        crf, preset: x264 quality (lower crf = better) and speed preset (default:
            :data:`~backdrop.render.writer.EXPORT_PRESET` with ``quality``, else the preview's
            :data:`~backdrop.render.writer.PREVIEW_PRESET`; an export scaled up adds
            :data:`~backdrop.render.writer.ENLARGED_X264`).
        quality: edges with the quality settings (matting where the plan asks for it, colour
            decontamination, despill; :func:`~backdrop.render.edges.quality_edges`); False =
            the preview's fast edge.
        size: ``(width, height)`` of the outputs when they are to be scaled (e.g. 4K); frames
            are edited at the source's size and then scaled (bicubic up, area down).
        force: replace a PNG-frames folder an earlier Backdrop run wrote.
        refined: ``refined(t)`` → a frame the refine worker made for exactly this plan at the
            source's size, or None (:mod:`backdrop.render.refine`); such frames are written
            as they are (the masker still sees them). Used for MP4 output only (alpha outputs
            need the matte, which refined frames do not carry).

    Every output appears only when complete. No output may be the source, a background file,
    a device, a folder (other than a frames folder Backdrop wrote, with ``force``) or collide
    with another. A source that breaks off is rendered as far as it decodes;
    ``RenderStats.missing_seconds`` says how much was missing. Raises :class:`RenderError` or
    :class:`~backdrop.perception.core.media.MediaError` with a one-line message.
    """
    source = Path(source)
    info = probe(source)
    if output is None and alpha is None:
        raise RenderError("nothing to write: give an output video and/or an alpha output")
    out_path, alpha_path = (None if p is None else Path(p) for p in (output, alpha))
    check_render_outputs(source, plan, [out_path], alpha=alpha_path, force=force)
    for folder in {Path(p).parent for p in (output, alpha) if p is not None}:
        for left in clean_stale_partials(folder):  # a killed run's leftovers (web, tools)
            log.warning("removed %s, a partial file an interrupted run left", left.name)
    compositor = Compositor(plan, info.width, info.height, info.duration, quality=quality)
    if masker is None and plan.keep:
        masker = build_masker(info, plan, timeline, sam_checkpoint)
    total = info.frame_count or max(1, round(info.duration * info.fps))
    if size is not None and tuple(size) == (info.width, info.height):
        size = None
    preset = preset or (EXPORT_PRESET if quality else PREVIEW_PRESET)
    sinks, stages = _open_outputs(plan, info, output, alpha, size, crf, preset, force)
    stats = RenderStats(frames=0, seconds=0.0)

    def check(stats: RenderStats) -> None:
        if stats.frames == 0:
            raise RenderError(f"{source}: no frames decoded")
        stats.missing_seconds = decode_shortfall(info, stats.frames, stats.decoded_until)

    frames = _until_broken(_prefetch(iter_frames(source)), stats)
    i420 = output is not None and not _is_mov(output) and _wants_i420(info, size)
    ready = refined if alpha is None and not _is_mov(output) else None  # MP4 only
    return _drive(
        frames, compositor, masker, stages, sinks, stats, progress, total, size, check, i420, ready
    )


def _open_outputs(
    plan: EditPlan,
    info: MediaInfo,
    output: str | Path | None,
    alpha: str | Path | None,
    size: tuple[int, int] | None,
    crf: int,
    preset: str,
    force: bool,
) -> tuple[list[Any], list[_Stage]]:
    """The writers of :func:`render_video`'s outputs and one encoder stage (not started) per
    writer; a failure aborts the writers already opened. ``size`` = (width, height) or None."""
    ow, oh = (info.width, info.height) if size is None else size
    audio = info.path if info.has_audio else None
    sinks: list[Any] = []
    stages: list[_Stage] = []
    try:
        if output is not None and Path(output).suffix.lower() == ".mov":
            # ProRes 4444: the edited frames; where the background is transparent, with the
            # kept subject as alpha (opaque elsewhere)
            mov = ProResAlphaWriter(output, ow, oh, info.fps, audio, info.duration)
            sinks.append(mov)

            def _mov(it: Any, w: ProResAlphaWriter = mov) -> None:
                clear = _transparent_at(plan, it[0], info.duration)
                w.write(it[1], it[0], it[3] if clear else None)

            stages.append(_Stage("encode-mov", _mov, uses=(1, 3)))
        elif output is not None:
            check_output_suffix(output)
            enlarged = preset == EXPORT_PRESET and ow * oh > info.width * info.height
            params = ENLARGED_X264 if enlarged else None
            mp4 = Mp4Writer(output, ow, oh, info.fps, audio, info.duration, crf=crf,
                            preset=preset, x264_params=params)  # fmt: skip
            sinks.append(mp4)
            if _wants_i420(info, size):
                stages.append(
                    _Stage("encode-mp4", lambda it, w=mp4: w.write_i420(it[1], it[0]), uses=(1,))
                )
            else:
                stages.append(
                    _Stage("encode-mp4", lambda it, w=mp4: w.write(it[1], it[0]), uses=(1,))
                )
        if alpha is not None:
            ap = Path(alpha)
            if ap.suffix.lower() == ".webm":
                aw: Any = WebmAlphaWriter(ap, ow, oh, info.fps, audio, info.duration)
            elif ap.suffix.lower() == ".mov":
                aw = ProResAlphaWriter(ap, ow, oh, info.fps, audio, info.duration)
            elif ap.suffix == "":
                aw = PngSequenceWriter(ap, replace=force)
            else:
                raise RenderError(
                    f"{ap}: alpha output must be a .webm or .mov file or a folder for PNG frames"
                )
            sinks.append(aw)
            alpha_stage = _Stage("encode-alpha", lambda it, w=aw: w.write(it[2], it[0], it[3]),
                                 uses=(2, 3))  # fmt: skip
            stages.append(alpha_stage)
    except BaseException:
        for sink in sinks:
            sink.abort()
        raise
    return sinks, stages


def _wants_i420(info: MediaInfo, size: tuple[int, int] | None) -> bool:
    """Whether an MP4 output is composited as I420 planes instead of RGB converted by the
    writer: both sides of the source even, and of ``size`` = (width, height) when the output
    is scaled (the planes are then scaled, :func:`_scale_i420`)."""
    even = info.width % 2 == 0 and info.height % 2 == 0
    return even and (size is None or (size[0] % 2 == 0 and size[1] % 2 == 0))


@interrupt.at_safe_points
def _drive(
    frames: Iterable[tuple[float, np.ndarray]],
    compositor: Compositor,
    masker: Masker | None,
    stages: list[_Stage],
    sinks: list[Any],
    stats: RenderStats,
    progress: ProgressFn | None,
    total: int,
    size: tuple[int, int] | None,
    check: Callable[[RenderStats], None],
    i420: bool = False,
    refined: RefinedFn | None = None,
) -> RenderStats:
    """Start ``stages``, compose ``frames`` into them, wait for them, run ``check`` (which may
    raise), close ``sinks`` (their paths into ``stats.outputs``) and return ``stats`` with the
    wall seconds. On any error the stages are stopped and every sink aborted.

    Ctrl-C and SIGTERM are taken at safe points only (between frames and while waiting,
    :func:`~backdrop.perception.core.interrupt.deferred`): raised inside a queue's own code,
    they could leave a stage waiting for ever for the end marker already in its queue."""
    try:
        for st in stages:
            st.start()
        t_start = time.perf_counter()
        _compose_frames(
            frames, compositor, masker, stages, stats, progress, total, size, i420, refined
        )
        for st in stages:
            st.put(_END)
        for st in stages:
            st.wait()
            if st.error is not None:
                raise st.error
        interrupt.check()  # nothing is final yet
        check(stats)
        for sink in sinks:
            stats.outputs.append(sink.close())
        stats.seconds = time.perf_counter() - t_start
        return stats
    except BaseException:
        _close(frames)  # the decode (and mask) threads feeding it end now
        for st in stages:
            if st.is_alive():
                while True:  # drain so the stage sees the end marker
                    try:
                        st.q.get_nowait()
                    except queue.Empty:
                        break
                st.q.put(_END)
                st.join(5)
        for sink in sinks:
            sink.abort()
        raise


def iter_frames_from(
    source: str | Path, start: float, decode_from: float | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, rgb)`` for every frame at or after ``start`` seconds.

    Times and pixels are those :func:`~backdrop.perception.core.media.iter_frames` gives for the
    same
    frames (seconds from the video stream's first timestamp, rotation applied). The reader seeks
    to the keyframe at or before ``decode_from`` (default ``start``) and decodes forward; frames
    before ``start`` are decoded but not converted, so a seek costs at most one keyframe
    interval of decoding. Where the container's index sends the seek past the target, it
    decodes from the beginning instead.

    Raises:
        MediaError: the file cannot be read or breaks off.
    """
    source = Path(source)
    probe(source)  # one-line errors for missing, empty or broken files
    seek_to = start if decode_from is None else min(decode_from, start)
    for attempt in ("seek", "from-start"):
        container = av.open(str(source))
        try:
            vs = container.streams.video[0]
            vs.thread_type = "AUTO"
            v_start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
            if attempt == "seek" and seek_to > 1e-3:
                target = int((seek_to - 1e-3 + v_start) / vs.time_base)
                try:
                    container.seek(target, stream=vs, backward=True, any_frame=False)
                except av.error.FFmpegError:
                    continue
            last_t = -1.0
            first = True
            try:
                for frame in container.decode(vs):
                    if frame.pts is None:
                        continue
                    t = float(frame.pts * frame.time_base) - v_start
                    if first:
                        first = False
                        if attempt == "seek" and seek_to > 1e-3 and t > seek_to - 1e-3:
                            break  # the seek overshot: decode from the beginning instead
                    if t <= last_t:  # as perception.media: keep time monotonic
                        t = last_t + 1e-4
                    last_t = t
                    if t < start - 1e-6:
                        continue
                    yield t, frame_to_rgb(frame, None)
                else:
                    return
            except av.error.FFmpegError as e:
                raise MediaError(f"{source}: the video breaks off at {last_t:.2f} s ({e})") from e
        finally:
            container.close()
        log.debug("%s: seek to %.3f s overshot; decoding from the start", source, seek_to)
    raise MediaError(f"{source}: cannot seek to {start:.2f} s")


def render_span(
    source: str | Path,
    plan: EditPlan,
    output: str | Path,
    t0: float,
    t1: float | None,
    *,
    warmup: float = 2.0,
    info: MediaInfo | None = None,
    masker: Masker | None = None,
    timeline: Timeline | None = None,
    sam_checkpoint: Path | None = None,
    progress: ProgressFn | None = None,
    crf: int = 20,
    preset: str = "veryfast",
    quality: bool = True,
    size: tuple[int, int] | None = None,
) -> RenderStats:
    """Render the frames of ``source`` shown in ``[t0, t1)`` seconds to a video-only MP4.

    The output keeps the source's timestamps (its first frame is at ``t0``, not 0), so chunk
    files made this way join packet for packet into one video
    (:func:`backdrop.render.chunked.join_chunks`). The plan's relative times, fades and time
    ranges are resolved against the whole video's duration, as in :func:`render_video`.

    Before ``t0`` the masker is warmed up on the frames of the last ``warmup`` seconds (masks
    computed and thrown away, nothing composited or encoded), so temporal smoothing continues
    across the boundary; when the warm-up reaches back to a frame where no mask was needed (the
    masker is reset there anyway) or to the start of the video, the masks match a whole-video
    render exactly.

    Args:
        source: the input video.
        plan: the edit.
        output: the chunk's H.264 MP4 (no audio); appears only when complete.
        t0, t1: the span in seconds from the video's start; ``t1=None`` = to the end.
        warmup: seconds of frames before ``t0`` to run the masker on (0 = none).
        info: the source's :func:`~backdrop.perception.core.media.probe` result, if already known.
        masker, timeline, sam_checkpoint, progress, crf, preset, quality: as in
            :func:`render_video` (``progress`` counts the span's frames only).

    Raises:
        RenderError: no frames in the span, or the encoder failed.
        MediaError: the source cannot be read.
    """
    source = Path(source)
    info = info if info is not None else probe(source)
    compositor = Compositor(plan, info.width, info.height, info.duration, quality=quality)
    if masker is None and plan.keep:
        masker = build_masker(info, plan, timeline, sam_checkpoint)
    elif masker is not None:
        masker.reset()  # a span starts from nothing, then warms up
    end = float("inf") if t1 is None else t1
    warm_from = max(0.0, t0 - max(warmup, 0.0))
    total = max(1, round((min(end, info.duration) - t0) * info.fps))
    stats = RenderStats(frames=0, seconds=0.0)
    mp4 = Mp4Writer(output, info.width, info.height, info.fps, None, None, crf=crf, preset=preset)
    i420 = _wants_i420(info, None)
    stage = _Stage("encode-span", lambda it: (mp4.write_i420 if i420 else mp4.write)(it[1], it[0]))
    decoded = _prefetch(iter_frames_from(source, warm_from if masker is not None else t0))

    def check(stats: RenderStats) -> None:
        if stats.frames == 0:
            raise RenderError(f"{source}: no frames between {t0:.3f} s and {end:.3f} s")

    frames = _in_span(decoded, compositor, masker, t0, end)
    return _drive(
        frames, compositor, masker, [stage], [mp4], stats, progress, total, None, check, i420
    )


def _in_span(
    frames: Iterator[tuple[float, np.ndarray]],
    compositor: Compositor,
    masker: Masker | None,
    t0: float,
    end: float,
) -> Iterator[tuple[float, np.ndarray]]:
    """The frames of ``[t0, end)`` seconds; the masker is warmed up on those before ``t0`` as a
    whole-video render would run it (masks thrown away, reset where no mask is needed). It is
    pulled by the masker's first stage, and the warm-up ends before the first frame reaches the
    second, so the masker's two stages never overlap during it."""
    for t, frame in frames:
        if t >= end - 1e-6:
            return
        if t < t0 - 1e-6:
            if compositor.needs_mask(t):
                assert masker is not None
                masker(frame, t)
            elif masker is not None:
                masker.reset()
            continue
        yield t, frame
