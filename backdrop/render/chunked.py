"""Rendering one long video as time chunks that run in parallel and join without seams.

A video is cut into :class:`Span` s (``[t0, t1)`` seconds, snapped to the source's keyframes
where one is close, else to a frame time), each span is rendered on its own to a video-only
H.264 MP4 that keeps the source's timestamps (:func:`~backdrop.render.pipeline.render_span`),
and :func:`join_chunks` copies the chunks' packets one after the other into the final MP4,
with the source's audio stream-copied once over the whole length. Nothing is decoded or
encoded twice, so the joined file has exactly the frames and timestamps a single
:func:`~backdrop.render.pipeline.render_video` run writes.

Why the seams do not show:

* each chunk starts with an IDR frame and the chunks share one encoder configuration, so the
  packets concatenate into one valid H.264 stream (checked: the chunks' parameter sets must be
  identical, else :class:`~backdrop.render.writer.RenderError`);
* fades, time ranges and relative ("last 10 s") times are resolved against the whole video's
  duration in every chunk;
* the mask smoother is warmed up on the frames before each span (``warmup`` seconds), so its
  temporal state at a boundary is (to within ``(1 - w_min)^frames``) the one a single pass has.

One video's chunked render is a :class:`ChunkedJob`: its spans, their chunk files, and the
join. :func:`render_chunked` runs one in this process (span after span, or through a
``map_fn``); :mod:`backdrop.render.batch` runs the same job's spans as engine tasks (Ray) next
to other videos' and then calls the same :meth:`ChunkedJob.join`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from backdrop.perception.core.media import MediaError, MediaInfo, probe
from backdrop.render.atomic import atomic_path
from backdrop.render.pipeline import ProgressFn, RenderStats, render_span
from backdrop.render.plan import EditPlan
from backdrop.render.writer import MP4_COPY_AUDIO, VIDEO_TIME_BASE, AudioCopier, RenderError

log = logging.getLogger(__name__)

DEFAULT_WARMUP = 2.0
"""Seconds of frames before a span the masker is run on (≈ 48 frames at 24 fps: the smoother's
memory decays by (1 − 0.15)^48 ≈ 4e-4 over it)."""


@dataclass(frozen=True)
class Span:
    """One chunk of a video.

    Attributes:
        index: 0-based position in the video.
        t0: first frame's time, seconds from the video's start (0.0 for the first span).
        t1: the next span's ``t0`` in seconds, or None for the last span (to the end).
        frames: frames in the span (counted from the container's packets).
        keyframe: whether ``t0`` is a keyframe of the source (decoding starts right there).
    """

    index: int
    t0: float
    t1: float | None
    frames: int
    keyframe: bool


@dataclass(frozen=True)
class FrameIndex:
    """Frame and keyframe times of a video, from its packets (no decoding).

    Attributes:
        times: every frame's presentation time in seconds from the stream's start, ascending.
        keyframes: the keyframes' times, seconds, ascending.
    """

    times: list[float]
    keyframes: list[float]


def scan_frames(source: str | Path) -> FrameIndex:
    """Read the video's packet times (a demux, no decode: fast even for long files).

    Raises:
        MediaError: the file cannot be read.
    """
    source = Path(source)
    probe(source)
    try:
        with av.open(str(source)) as container:
            vs = container.streams.video[0]
            v_start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
            times: list[float] = []
            keys: list[float] = []
            for packet in container.demux(vs):
                if packet.pts is None:
                    continue
                t = float(packet.pts * packet.time_base) - v_start
                times.append(t)
                if packet.is_keyframe:
                    keys.append(t)
    except av.error.FFmpegError as e:
        raise MediaError(f"{source}: cannot read its packets ({e})") from e
    times.sort()
    keys.sort()
    return FrameIndex(times, keys)


def plan_spans(
    source: str | Path,
    chunk_seconds: float,
    *,
    index: FrameIndex | None = None,
    min_frames: int = 12,
) -> list[Span]:
    """Cut ``source`` into spans of about ``chunk_seconds`` seconds.

    Boundaries go to the keyframe nearest each ideal cut when one lies within a quarter chunk
    of it (decoding then starts right at the span), otherwise to the nearest frame (the span's
    renderer seeks to the keyframe before and decodes forward). A video shorter than 1.5 chunks
    is one span.

    Args:
        source: the video.
        chunk_seconds: wanted span length, seconds (> 0).
        index: the video's :func:`scan_frames` result, if already read.
        min_frames: no span is shorter than this many frames.
    """
    if chunk_seconds <= 0:
        raise ValueError(f"chunk_seconds must be positive, got {chunk_seconds}")
    idx = index if index is not None else scan_frames(source)
    times = idx.times
    if not times:
        raise MediaError(f"{source}: the video track has no frames")
    span_total = times[-1] - times[0]
    n = max(1, int(math.floor(span_total / chunk_seconds + 0.5)))
    n = min(n, max(1, len(times) // max(1, min_frames)))
    keys = set(idx.keyframes)
    cuts = [0]  # indices into times
    for k in range(1, n):
        ideal = times[0] + span_total * k / n
        near_key = min(idx.keyframes, key=lambda kt: abs(kt - ideal), default=None)
        target = (
            near_key
            if near_key is not None and abs(near_key - ideal) <= chunk_seconds / 4
            else ideal
        )
        i = min(range(len(times)), key=lambda j: abs(times[j] - target))
        if i - cuts[-1] >= min_frames and len(times) - i >= min_frames:
            cuts.append(i)
    spans: list[Span] = []
    for k, i in enumerate(cuts):
        j = cuts[k + 1] if k + 1 < len(cuts) else len(times)
        spans.append(
            Span(
                index=k,
                t0=0.0 if k == 0 else times[i],
                t1=times[j] if j < len(times) else None,
                frames=j - i,
                keyframe=k == 0 or times[i] in keys,
            )
        )
    return spans


def chunk_key(
    source: Path, plan: EditPlan, span: Span, warmup: float, crf: int, preset: str
) -> str:
    """A name for a chunk file that changes whenever its content would (plan, input, span,
    warm-up, encoder settings), so a finished chunk can be reused by a resumed run."""
    st = source.stat()
    h = hashlib.sha256()
    for part in (
        plan.model_dump_json(),
        str(source.resolve()),
        str(st.st_size),
        str(st.st_mtime_ns),
        repr((span.t0, span.t1, warmup, crf, preset)),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return f"chunk-{span.index:04d}-{h.hexdigest()[:12]}.mp4"


def render_chunk(
    source: str | Path,
    plan: EditPlan,
    span: Span,
    output: str | Path,
    *,
    warmup: float = DEFAULT_WARMUP,
    progress: ProgressFn | None = None,
    crf: int = 20,
    preset: str = "veryfast",
    **render_kw: object,
) -> RenderStats:
    """Render one span to a video-only chunk MP4 (see :func:`.pipeline.render_span`).

    An existing ``output`` is taken as finished (chunk files only ever appear complete) and
    not rendered again; its stats then report 0 seconds.
    """
    output = Path(output)
    if output.is_file():
        log.info("%s: reusing finished chunk", output)
        return RenderStats(frames=span.frames, seconds=0.0, outputs=[output])
    return render_span(
        source,
        plan,
        output,
        span.t0,
        span.t1,
        warmup=warmup if span.index > 0 else 0.0,
        progress=progress,
        crf=crf,
        preset=preset,
        **render_kw,  # type: ignore[arg-type]
    )


def join_chunks(
    chunks: Sequence[str | Path],
    output: str | Path,
    *,
    starts: Sequence[float] | None = None,
    audio_source: str | Path | None = None,
    duration: float | None = None,
) -> Path:
    """Concatenate chunk MP4s (from :func:`render_chunk`, in order) into ``output``.

    Video packets are copied as they are (their timestamps are the source's already); the
    audio of ``audio_source`` (if it has any) is copied once over the whole length, up to
    ``duration`` seconds, interleaved with the video as :class:`~backdrop.render.writer.Mp4Writer`
    does. ``output`` appears only when complete.

    ``starts`` are the chunks' first frame times in seconds (their spans' ``t0``). Give them:
    an MP4 stores a stream's start offset in an edit list with millisecond precision, so a
    chunk starting at 3.41666… s reads back at 3.416 s; with ``starts`` each chunk's packets are
    moved back onto the exact 1/90 kHz ticks the writer gave them.

    Raises:
        RenderError: no chunks, a chunk is unreadable, or the chunks were encoded with
            different parameters (they could not be one stream).
    """
    if not chunks:
        raise RenderError("no chunks to join")
    output = Path(output)
    src_audio = Path(audio_source) if audio_source is not None else None
    if src_audio is not None and not probe(src_audio).has_audio:
        src_audio = None
    with atomic_path(output) as tmp:
        out = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            first = av.open(str(chunks[0]))
            try:
                template = first.streams.video[0]
                extradata = template.codec_context.extradata
                vout = out.add_stream_from_template(template)
                vout.time_base = template.time_base  # keep the chunks' exact timestamps
            finally:
                first.close()
            audio = (
                AudioCopier(
                    src_audio,
                    out,
                    MP4_COPY_AUDIO,
                    "aac",
                    end=duration if duration is not None else float("inf"),
                )
                if src_audio is not None
                else None
            )
            if starts is not None and len(starts) != len(chunks):
                raise ValueError(f"{len(starts)} starts for {len(chunks)} chunks")
            last_dts: int | None = None
            for k, path in enumerate(chunks):
                start = None if starts is None else starts[k]
                last_dts = _copy_video(Path(path), out, vout, extradata, last_dts, audio, start)
            if audio is not None:
                audio.close()
        finally:
            out.close()
    return output


def _copy_video(
    path: Path,
    out: av.container.OutputContainer,
    vout: av.VideoStream,
    extradata: bytes | None,
    last_dts: int | None,
    audio: AudioCopier | None,
    start: float | None,
) -> int | None:
    """Mux ``path``'s video packets into ``vout``; returns the last DTS written.

    With ``start`` (seconds), the packets are shifted so the earliest PTS is exactly
    ``start`` in the writer's 1/90 kHz clock (undoing the edit list's millisecond rounding).
    """
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as e:
        raise RenderError(f"{path}: cannot read chunk ({e})") from e
    try:
        vin = container.streams.video[0]
        if vin.codec_context.extradata != extradata:
            raise RenderError(f"{path}: encoded with other parameters than the first chunk")
        packets = [p for p in container.demux(vin) if p.dts is not None or p.pts is not None]
        shift = 0
        if start is not None and packets:
            first = min(p.pts for p in packets if p.pts is not None)
            ticks = round(start / VIDEO_TIME_BASE)  # as the writer rounded it
            want = int(round(ticks * VIDEO_TIME_BASE / vin.time_base))
            shift = want - first
        for packet in packets:
            if shift:
                if packet.pts is not None:
                    packet.pts += shift
                if packet.dts is not None:
                    packet.dts += shift
            if packet.dts is not None and last_dts is not None and packet.dts <= last_dts:
                raise RenderError(f"{path}: overlaps the chunk before it")
            if packet.dts is not None:
                last_dts = packet.dts
            packet.stream = vout
            out.mux(packet)
            if audio is not None and packet.pts is not None:
                audio.pump(float(packet.pts * vin.time_base) + 0.5)
    finally:
        container.close()
    return last_dts


@dataclass(frozen=True)
class ChunkedJob:
    """One video rendered in spans: what each span renders to, and how they become the output.

    Attributes:
        source: the input video.
        output: the final MP4 (appears only when complete).
        spans: the spans, in order.
        chunks: each span's chunk file, in a folder of their own (named by :func:`chunk_key`,
            so a finished chunk is reused by a resumed run).
        duration: the source's duration, seconds (the audio is copied up to it).
        warmup: seconds of masker warm-up before each span but the first.
        crf, preset: x264 quality and speed (the same for every chunk: they must be one stream).
    """

    source: Path
    output: Path
    spans: tuple[Span, ...]
    chunks: tuple[Path, ...]
    duration: float
    warmup: float = DEFAULT_WARMUP
    crf: int = 20
    preset: str = "veryfast"

    @classmethod
    def prepare(
        cls,
        source: Path,
        plan: EditPlan,
        output: Path,
        spans: Sequence[Span],
        folder: Path,
        duration: float,
        *,
        warmup: float = DEFAULT_WARMUP,
        crf: int = 20,
        preset: str = "veryfast",
    ) -> ChunkedJob:
        """The job for ``spans`` of ``source``, its chunk files in ``folder`` (created)."""
        folder.mkdir(parents=True, exist_ok=True)
        chunks = tuple(folder / chunk_key(source, plan, s, warmup, crf, preset) for s in spans)
        return cls(source, output, tuple(spans), chunks, duration, warmup, crf, preset)

    def render(
        self, plan: EditPlan, i: int, progress: ProgressFn | None = None, **render_kw: object
    ) -> RenderStats:
        """Render span ``i`` to its chunk file (:func:`render_chunk`; a finished one is kept)."""
        return render_chunk(
            self.source, plan, self.spans[i], self.chunks[i], warmup=self.warmup,
            progress=progress, crf=self.crf, preset=self.preset, **render_kw,
        )  # fmt: skip

    def join(self) -> Path:
        """Join the finished chunks into :attr:`output` with the source's audio, then remove
        the chunk folder. Returns the output path."""
        starts = [s.t0 for s in self.spans]
        out = join_chunks(self.chunks, self.output, starts=starts, audio_source=self.source,
                          duration=self.duration)  # fmt: skip
        self.discard()
        return out

    def discard(self) -> None:
        """Remove the chunk folder (after the join, or when the video failed)."""
        if self.chunks:
            shutil.rmtree(self.chunks[0].parent, ignore_errors=True)


def render_chunked(
    source: str | Path,
    plan: EditPlan,
    output: str | Path,
    *,
    chunk_seconds: float = 30.0,
    warmup: float = DEFAULT_WARMUP,
    work_dir: str | Path | None = None,
    map_fn: Callable[[Callable[[Span], RenderStats], Iterable[Span]], Iterable[RenderStats]]
    | None = None,
    crf: int = 20,
    preset: str = "veryfast",
    spans: Sequence[Span] | None = None,
    **render_kw: object,
) -> RenderStats:
    """Render ``source`` in spans and join them into ``output`` (H.264 MP4 with the audio).

    Args:
        source: the input video.
        plan: the edit.
        output: the final MP4; appears only when complete.
        chunk_seconds: wanted span length in seconds (see :func:`plan_spans`).
        warmup: seconds of masker warm-up before each span but the first.
        work_dir: folder for the chunk files (default: a hidden folder beside ``output``);
            finished chunks found there are reused, and the folder is removed after the join.
        map_fn: ``map_fn(fn, spans)`` runs ``fn`` on every span and returns the results in
            order; the built-in :func:`map` (one after the other, this process) by default.
            ``fn`` is a closure: for a process pool or Ray, use a :class:`ChunkedJob` as
            :mod:`backdrop.render.batch` does.
        crf, preset: x264 quality and speed (the same for every chunk).
        spans: the spans to use (default :func:`plan_spans`).
        render_kw: passed to :func:`render_chunk`: ``timeline``, ``sam_checkpoint``, or a
            ``masker`` (reset at the start of each span; only for the sequential default map,
            since parallel spans cannot share one).

    Returns:
        Stats over the whole video: frames, wall seconds, the output path.
    """
    import time

    source, output = Path(source), Path(output)
    info: MediaInfo = probe(source)
    spans = list(spans) if spans is not None else plan_spans(source, chunk_seconds)
    folder = Path(work_dir) if work_dir is not None else output.with_name(f".{output.stem}.chunks")
    job = ChunkedJob.prepare(source, plan, output, spans, folder, info.duration, warmup=warmup,
                             crf=crf, preset=preset)  # fmt: skip
    t_start = time.perf_counter()

    position = {s.index: i for i, s in enumerate(spans)}

    def one(span: Span) -> RenderStats:
        return job.render(plan, position[span.index], info=info, **render_kw)

    results = list((map_fn or map)(one, spans))
    job.join()
    return RenderStats(
        frames=sum(r.frames for r in results),
        seconds=time.perf_counter() - t_start,
        outputs=[output],
        segmented=sum(r.segmented for r in results),
    )
