"""The render job: decode → segment → composite → encode, streamed and overlapped.

Decoding runs in one thread, each encoder in its own, and segmentation plus compositing in the
caller's thread; bounded queues between them keep memory flat whatever the video's length (a
few frames in flight). Codec work and OpenCV release the GIL, so the stages overlap on 2 cores.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backdrop.perception.events import Timeline
from backdrop.perception.media import iter_frames, probe
from backdrop.render.compose import Compositor
from backdrop.render.maskers import Masker, build_masker
from backdrop.render.plan import EditPlan
from backdrop.render.writer import Mp4Writer, PngSequenceWriter, RenderError, WebmAlphaWriter

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, float], None]
"""``progress(frames_done, frames_total_estimate, elapsed_seconds)``."""


@dataclass
class RenderStats:
    frames: int
    seconds: float
    outputs: list[Path] = field(default_factory=list)
    segmented: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


_END = object()


class _Stage(threading.Thread):
    """A thread that feeds items from a bounded queue to ``fn``; remembers its exception."""

    def __init__(self, name: str, fn: Callable[[Any], None], maxsize: int = 8) -> None:
        super().__init__(name=name, daemon=True)
        self.q: queue.Queue[Any] = queue.Queue(maxsize)
        self.fn = fn
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
        if self.error is not None:
            raise self.error
        self.q.put(item)


def _prefetch(it: Iterator[Any], maxsize: int = 8) -> Iterator[Any]:
    """Run ``it`` in a thread, ``maxsize`` items ahead of the consumer."""
    q: queue.Queue[Any] = queue.Queue(maxsize)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in it:
                if stop.is_set():
                    return
                q.put(item)
            q.put(_END)
        except BaseException as e:  # noqa: BLE001 - re-raised in the consumer
            q.put(e)

    th = threading.Thread(target=work, name="decode", daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
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
    preset: str = "veryfast",
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
        crf, preset: x264 quality (lower crf = better) and speed preset.

    Every output appears only when complete. Raises :class:`RenderError` or
    :class:`~backdrop.perception.media.MediaError` with a one-line message.
    """
    source = Path(source)
    info = probe(source)
    if output is None and alpha is None:
        raise RenderError("nothing to write: give an output video and/or an alpha output")
    compositor = Compositor(plan, info.width, info.height, info.duration)
    if masker is None and plan.keep:
        masker = build_masker(info, plan, timeline, sam_checkpoint)
    audio = source if info.has_audio else None
    total = info.frame_count or max(1, round(info.duration * info.fps))

    sinks: list[Any] = []
    stages: list[_Stage] = []
    stats = RenderStats(frames=0, seconds=0.0)
    try:
        if output is not None:
            mp4 = Mp4Writer(output, info.width, info.height, info.fps, audio, info.duration,
                            crf=crf, preset=preset)  # fmt: skip
            sinks.append(mp4)
            stages.append(_Stage("encode-mp4", lambda it, w=mp4: w.write(it[1], it[0])))
        if alpha is not None:
            ap = Path(alpha)
            if ap.suffix.lower() == ".webm":
                aw: Any = WebmAlphaWriter(ap, info.width, info.height, info.fps, audio,
                                          info.duration)  # fmt: skip
            elif ap.suffix == "":
                aw = PngSequenceWriter(ap)
            else:
                raise RenderError(
                    f"{ap}: alpha output must be a .webm file or a folder for PNG frames"
                )
            sinks.append(aw)
            stages.append(_Stage("encode-alpha", lambda it, w=aw: w.write(it[2], it[0], it[3])))
        for st in stages:
            st.start()

        t_start = time.perf_counter()
        for t, frame in _prefetch(iter_frames(source)):
            mask = None
            if compositor.needs_mask(t):
                assert masker is not None
                mask = masker(frame, t)
                stats.segmented += 1
            elif masker is not None:
                masker.reset()
            comp = compositor.compose(frame, t, mask)
            item = (t, comp.rgb, frame, comp.keep)
            for st in stages:
                st.put(item)
            stats.frames += 1
            if progress is not None:
                progress(stats.frames, max(total, stats.frames), time.perf_counter() - t_start)
        for st in stages:
            st.q.put(_END)
        for st in stages:
            st.join()
            if st.error is not None:
                raise st.error
        if stats.frames == 0:
            raise RenderError(f"{source}: no frames decoded")
        for sink in sinks:
            stats.outputs.append(sink.close())
        stats.seconds = time.perf_counter() - t_start
        return stats
    except BaseException:
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
