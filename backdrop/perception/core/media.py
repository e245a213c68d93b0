"""Reading media: probing a file and streaming it as 200 ms :class:`Chunk` s.

Conventions: frames are ``H×W×3`` ``uint8`` RGB in display orientation (rotation metadata
applied); times are float seconds from the video stream's first timestamp; audio is float32 mono
at 16 kHz in [-1, 1]. A reader holds at most one chunk of frames at a time, never the whole
video.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

log = logging.getLogger(__name__)

AUDIO_RATE = 16_000
"""Sample rate (Hz) of the audio a :class:`Chunk` carries."""

CHUNK_SECONDS = 0.2
"""Length of one micro-turn chunk, seconds."""


class MediaError(Exception):
    """A media file cannot be used; the message is one line, fit to show a person."""


@dataclass(frozen=True)
class MediaInfo:
    """What a video file holds. Sizes are in display orientation (after rotation), pixels."""

    path: Path
    width: int
    height: int
    fps: float
    """Average frame rate (frames per second); variable-frame-rate files have their mean here."""
    duration: float
    """Seconds, from the first video timestamp to the end of the longest stream."""
    frame_count: int | None
    """Frames the container declares (None when it does not say)."""
    rotation: int
    """Degrees the stored frames are turned to display them (0, 90, 180, 270; clockwise)."""
    video_codec: str
    has_audio: bool
    audio_codec: str | None = None
    audio_rate: int | None = None
    audio_channels: int | None = None

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def summary(self) -> str:
        audio = (
            f"{self.audio_codec} {self.audio_rate} Hz ×{self.audio_channels}"
            if self.has_audio
            else "no audio"
        )
        return (
            f"{self.width}×{self.height}, {self.fps:.2f} fps, {self.duration:.2f} s, "
            f"{self.video_codec}, {audio}"
        )


@dataclass
class Chunk:
    """One micro-turn of media: the frames and audio whose times fall in ``[t0, t1)``.

    Attributes:
        index: 0-based chunk number.
        t0, t1: span in seconds.
        frames: ``N×H×W×3`` uint8 RGB (N may be 0 in a variable-frame-rate gap).
        frame_times: ``(N,)`` float64 seconds, one per frame, ascending.
        audio: float32 mono 16 kHz samples for ``[t0, t1)``, or None when the file has no audio.
    """

    index: int
    t0: float
    t1: float
    frames: np.ndarray
    frame_times: np.ndarray
    audio: np.ndarray | None = field(default=None)


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, not a video file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty")
    try:
        return av.open(str(path), mode="r")
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as e:
        raise MediaError(f"{path}: not a readable video ({_reason(e)})") from e


def _reason(e: Exception) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return text.split(":")[-1].strip() or type(e).__name__


def _rot_k(rotation: float) -> int:
    """np.rot90 ``k`` (counter-clockwise quarter turns) for a frame's display-matrix rotation."""
    return int(round(rotation / 90.0)) % 4


def frame_to_rgb(frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
    """``H×W×3`` uint8 RGB in display orientation, scaled to ``size`` = (width, height) after
    rotation when given."""
    k = _rot_k(frame.rotation or 0.0)
    # threads=1: PyAV's default (0, automatic) has swscale start and end a pool of threads for
    # every frame (two per 720p frame here); one thread gives the same pixels, bit for bit, for
    # 0.2–0.4 CPU-ms less per 720p–1080p frame
    if size is not None:
        tw, th = size if k % 2 == 0 else (size[1], size[0])
        img = frame.to_ndarray(format="rgb24", width=tw, height=th, threads=1)
    else:
        img = frame.to_ndarray(format="rgb24", threads=1)
    return np.ascontiguousarray(np.rot90(img, k)) if k else img


def probe(path: str | Path) -> MediaInfo:
    """Inspect ``path`` (decodes the first frame to validate it). Raises :class:`MediaError`."""
    path = Path(path)
    container = _open(path)
    try:
        if not container.streams.video:
            raise MediaError(f"{path}: has no video track")
        if container.format.name.endswith("_pipe") or container.format.name == "image2":
            raise MediaError(
                f"{path}: is a still image, not a video (to use it as the background, say "
                f"'replace the background with {path.name}')"
            )
        vs = container.streams.video[0]
        first = None
        try:
            for frame in container.decode(vs):
                first = frame
                break
        except av.error.FFmpegError as e:
            raise MediaError(f"{path}: the video track is broken ({_reason(e)})") from e
        if first is None:
            raise MediaError(f"{path}: the video track has no frames")
        k = _rot_k(first.rotation or 0.0)
        w, h = (first.width, first.height) if k % 2 == 0 else (first.height, first.width)
        rate = vs.average_rate or vs.guessed_rate or Fraction(30)
        v_start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
        duration = 0.0
        if container.duration is not None:
            c_start = (container.start_time or 0) / av.time_base
            duration = container.duration / av.time_base + c_start - v_start
        if vs.duration is not None:
            duration = max(duration, float(vs.duration * vs.time_base))
        if duration <= 0 and vs.frames:
            duration = vs.frames / float(rate)
        a = container.streams.audio[0] if container.streams.audio else None
        return MediaInfo(
            path=path,
            width=w,
            height=h,
            fps=float(rate),
            duration=duration,
            frame_count=vs.frames or None,
            rotation=(360 - 90 * k) % 360,
            video_codec=vs.codec_context.name,
            has_audio=a is not None,
            audio_codec=a.codec_context.name if a else None,
            audio_rate=a.codec_context.sample_rate if a else None,
            audio_channels=a.codec_context.channels if a else None,
        )
    finally:
        container.close()


def _video_frames(path: Path, size: tuple[int, int] | None) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, rgb)`` for every frame; ``size`` = (width, height) after rotation."""
    container = _open(path)
    try:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        t_ref: float | None = None
        last_t = -1.0
        try:
            for frame in container.decode(vs):
                if frame.pts is None:
                    continue
                t = float(frame.pts * frame.time_base)
                if t_ref is None:
                    t_ref = float(vs.start_time * vs.time_base) if vs.start_time is not None else t
                t -= t_ref
                if t <= last_t:  # duplicated or out-of-order timestamps: keep time monotonic
                    t = last_t + 1e-4
                last_t = t
                yield t, frame_to_rgb(frame, size)
        except av.error.FFmpegError as e:
            raise MediaError(
                f"{path}: the video breaks off at {last_t:.2f} s ({_reason(e)})"
            ) from e
    finally:
        container.close()


def _audio_blocks(path: Path, t_ref: float) -> Iterator[np.ndarray]:
    """Yield float32 mono 16 kHz blocks, starting at time ``t_ref`` (zero-padded/cut to align)."""
    container = _open(path)
    try:
        a = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        started = False
        try:
            for frame in container.decode(a):
                if not started:
                    started = True
                    t_first = float(frame.pts * frame.time_base) if frame.pts is not None else t_ref
                    offset = int(round((t_first - t_ref) * AUDIO_RATE))
                    if offset > 0:
                        yield np.zeros(offset, np.float32)
                    skip = -offset if offset < 0 else 0
                else:
                    skip = 0
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    if skip:
                        cut = min(skip, block.size)
                        block, skip = block[cut:], skip - cut
                    if block.size:
                        yield block
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        except av.error.FFmpegError as e:
            log.warning("%s: audio breaks off (%s); the rest is silence", path, _reason(e))
    finally:
        container.close()


def _video_start(path: Path) -> float:
    container = _open(path)
    try:
        vs = container.streams.video[0]
        return float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
    finally:
        container.close()


def read_chunks(
    path: str | Path,
    chunk_seconds: float = CHUNK_SECONDS,
    size: tuple[int, int] | None = None,
    audio: bool = True,
) -> Iterator[Chunk]:
    """Stream ``path`` as consecutive chunks of ``chunk_seconds`` (default 200 ms).

    Args:
        path: a video file.
        chunk_seconds: chunk length in seconds.
        size: ``(width, height)`` to scale frames to (display orientation), or None for native.
        audio: decode the audio track into each chunk (16 kHz mono float32) when there is one.

    Yields chunks until both the video and the audio are exhausted. Raises :class:`MediaError`
    for a missing, broken or empty file.
    """
    path = Path(path)
    info = probe(path)
    frames_it = _video_frames(path, size)
    audio_it = _audio_blocks(path, _video_start(path)) if (audio and info.has_audio) else None
    audio_buf = np.zeros(0, np.float32)
    audio_done = audio_it is None
    pending: tuple[float, np.ndarray] | None = None
    video_done = False
    index = 0
    while True:
        t0, t1 = index * chunk_seconds, (index + 1) * chunk_seconds
        times: list[float] = []
        imgs: list[np.ndarray] = []
        while not video_done:
            if pending is None:
                pending = next(frames_it, None)
                if pending is None:
                    video_done = True
                    break
            if pending[0] >= t1:
                break
            times.append(pending[0])
            imgs.append(pending[1])
            pending = None
        need = int(round(t1 * AUDIO_RATE)) - int(round(t0 * AUDIO_RATE))
        chunk_audio: np.ndarray | None = None
        if audio_it is not None:
            while not audio_done and audio_buf.size < need:
                block = next(audio_it, None)
                if block is None:
                    audio_done = True
                else:
                    audio_buf = np.concatenate([audio_buf, block])
            if audio_buf.size == 0 and audio_done and video_done:
                chunk_audio = None
            else:
                chunk_audio = audio_buf[:need]
                audio_buf = audio_buf[need:]
                if chunk_audio.size < need:
                    chunk_audio = np.pad(chunk_audio, (0, need - chunk_audio.size))
        if video_done and not imgs and (audio_it is None or chunk_audio is None):
            return
        if imgs:
            frames = np.stack(imgs)
        else:
            h, w = (size[1], size[0]) if size else (info.height, info.width)
            frames = np.zeros((0, h, w, 3), np.uint8)
        yield Chunk(
            index=index,
            t0=t0,
            t1=t1,
            frames=frames,
            frame_times=np.asarray(times, np.float64),
            audio=chunk_audio,
        )
        index += 1


def iter_frames(
    path: str | Path, size: tuple[int, int] | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, rgb)`` for each frame of ``path`` without chunking or audio."""
    path = Path(path)
    probe(path)
    yield from _video_frames(path, size)


def decode_shortfall(info: MediaInfo, frames: int, last_t: float | None) -> float:
    """Seconds of video a full decode of ``info``'s file did not deliver (0.0 when complete).

    Compares ``frames`` decoded (the last at ``last_t`` seconds) against the frame count the
    container declares, else against its duration. A truncated file whose index survived (a
    "faststart" MP4 cut short) decodes without an error but stops early; this is how it shows.
    Small differences (up to 3 frames or 0.25 s) are not counted: containers round.
    """
    fps = info.fps if info.fps > 0 else 30.0
    if info.frame_count:
        missing = (info.frame_count - frames) / fps
    else:
        end = (last_t if last_t is not None else 0.0) + 1.0 / fps
        missing = info.duration - end
    return missing if missing > max(3.0 / fps, 0.25) else 0.0


def read_frame_at(
    path: str | Path, t: float, size: tuple[int, int] | None = None
) -> tuple[float, np.ndarray]:
    """The frame shown at ``t`` seconds (the last frame starting at or before ``t``).

    Seeks to the keyframe before ``t`` and decodes forward, so the cost is bounded by the
    keyframe interval, not the video's length. Returns ``(frame_time_s, rgb)``; ``size`` as in
    :func:`read_chunks`. Raises :class:`MediaError`.
    """
    path = Path(path)
    info = probe(path)
    t = min(max(t, 0.0), max(info.duration - 1e-3, 0.0))
    container = _open(path)
    try:
        vs = container.streams.video[0]
        start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
        target = int((t + start) / vs.time_base)
        try:
            container.seek(target, stream=vs, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container.seek(0)
        best: tuple[float, av.VideoFrame] | None = None
        for frame in container.decode(vs):
            if frame.pts is None:
                continue
            ft = float(frame.pts * frame.time_base) - start
            if ft > t + 1e-6 and best is not None:
                break
            best = (ft, frame)
        if best is None:
            raise MediaError(f"{path}: no frame at {t:.2f} s")
        ft, frame = best
        return ft, frame_to_rgb(frame, size)
    except av.error.FFmpegError as e:
        raise MediaError(f"{path}: cannot read the frame at {t:.2f} s ({_reason(e)})") from e
    finally:
        container.close()
