"""Live sources: a camera, a network stream, or a file played at its own rate as a stand-in camera.

Conventions as :mod:`backdrop.perception.core.media`: frames are ``H×W×3`` uint8 RGB in display
orientation, audio float32 mono 16 kHz in [-1, 1]. Times are *capture* times: float seconds on
the monotonic clock since the source's first frame was captured (a file played in real time is
released at its own timestamps, so its capture times follow the file's; a camera's or stream's
are when each frame arrived).

A capture thread reads the device or stream and puts frames into a small buffer
(:data:`LIVE_BUFFER_FRAMES`); when the consumer falls behind, the *oldest* buffered frame is
dropped (and counted), never queued, so latency stays bounded. A live source never ends by
itself (a file without ``loop`` ends at its end). :class:`ChunkAssembler` groups the frames the
consumer took into the same 200 ms :class:`~backdrop.perception.core.media.Chunk` shape a file
gives,
with the audio captured over the same span.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import av
import numpy as np

from backdrop.perception.core import workers
from backdrop.perception.core.media import (
    AUDIO_RATE,
    CHUNK_SECONDS,
    Chunk,
    MediaError,
    MediaInfo,
    _reason,
    frame_to_rgb,
    probe,
)

log = logging.getLogger(__name__)

LIVE_DURATION = 24 * 3600.0
"""The ``duration`` (seconds) a live source's :class:`MediaInfo` says: a day, so that plans,
fades and time ranges resolve as they would on a very long video."""

LIVE_BUFFER_FRAMES = 2
"""Frames a live source holds for a consumer that is behind; older ones are dropped."""

_BT601 = (0, 2, 5, 6)
"""Colour spaces (FFmpeg's AVColorSpace: RGB/unknown, unspecified, BT.470BG, SMPTE 170M) whose
YUV → RGB is the BT.601 matrix OpenCV's conversions use."""
_FAST_YUV = {"yuv420p": "COLOR_YUV2RGB_I420", "yuyv422": "COLOR_YUV2RGB_YUY2"}
"""Decoded pixel formats OpenCV converts to RGB itself (what x264 files and raw webcams give)."""


def live_rgb(frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
    """:func:`~backdrop.perception.core.media.frame_to_rgb` for the live loop: a limited-range
    BT.601 (or untagged) ``yuv420p`` / ``yuyv422`` frame at its own size and orientation is
    converted by OpenCV (720p: ~1.2 ms CPU instead of ~2.7 through swscale; the same colours
    within 3 levels of 255, from rounding); any other frame goes through ``frame_to_rgb``
    (a BT.709 stream keeps its own matrix)."""
    code = _FAST_YUV.get(frame.format.name)
    if (
        code is None
        or (size is not None and tuple(size) != (frame.width, frame.height))
        or frame.rotation
        or frame.colorspace not in _BT601
        or frame.color_range == 2  # full ("JPEG") range
        or frame.width & 1
        or frame.height & 1
    ):
        return frame_to_rgb(frame, size)
    import cv2

    return cv2.cvtColor(frame.to_ndarray(), getattr(cv2, code))


AUDIO_SNAP_SECONDS = 0.05
"""Audio whose timestamp is this close (seconds) to where the previous block ended follows on
from it (resamplers and containers jitter by a few samples)."""

AUDIO_KEEP_SECONDS = 10.0
"""Captured audio older than this (behind the newest sample) is forgotten."""

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


class LiveFrame:
    """One captured frame.

    Attributes:
        index: capture sequence number (0-based; a gap in what a consumer sees = dropped frames).
        t: capture time, seconds since the source's first frame.
        captured: ``time.monotonic()`` when it was captured (for capture→output latency).
    """

    __slots__ = ("index", "t", "captured", "_image")

    def __init__(
        self, index: int, t: float, image: np.ndarray | Callable[[], np.ndarray], captured: float
    ) -> None:
        self.index, self.t, self.captured = index, t, captured
        self._image = image

    @property
    def rgb(self) -> np.ndarray:
        """``H×W×3`` uint8 RGB, converted from the decoded frame on first use (a frame the
        consumer drops unseen costs no conversion)."""
        if callable(self._image):
            self._image = self._image()
        return self._image


class LiveSource:
    """Base of every live source: a capture thread filling a small, dropping buffer.

    Attributes:
        info: size, nominal frame rate; ``duration`` is :data:`LIVE_DURATION` for a live source.
        live: True when the source never ends (camera, stream, looping file).
        description: one line saying what was asked and what the device or stream gave.
        captured, dropped: frames captured, and frames dropped because the consumer was behind.
    """

    def __init__(self, info: MediaInfo, *, live: bool, drop: bool, buffer: int) -> None:
        self.info = info
        self.live = live
        self.description = ""
        self.captured = 0
        self.dropped = 0
        self._drop = drop
        self._buffer: deque[tuple[int, float, Any, float]] = deque()
        self._maxlen = max(1, buffer)
        self._cond = threading.Condition()
        self._ended = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._mono0: float | None = None
        self._audio = _AudioBuffer()
        self._mic: Any = None

    def use_microphone(self, device: int | str | None = None) -> str:
        """Take this source's audio from a microphone (PortAudio through sounddevice; the
        default input when ``device`` is None), on the capture clock. Returns one line saying
        which microphone, or why there is none (the source then goes on without audio)."""
        stream, line = open_microphone(self._on_mic, device, block_seconds=0.05)
        if stream is None:
            return line
        self._mic = stream
        self.info = replace(self.info, has_audio=True)
        return f"microphone {line}"

    def _on_mic(self, samples: np.ndarray) -> None:
        if self._mono0 is None:
            return  # before the first frame: not on the capture clock yet
        t = time.monotonic() - self._mono0 - samples.size / AUDIO_RATE  # its first sample
        self._audio.put(t, samples)

    # -- consumer side ------------------------------------------------------------------------
    def start(self) -> LiveSource:
        if self._mic is not None:
            self._mic.start()
        if self._thread is None:
            self._thread = workers.start(self._run_guarded, "capture", stop=self._stop.set)
        return self

    def read(self, timeout: float | None = None) -> LiveFrame | None:
        """The oldest buffered frame; None on timeout or when the source has ended.

        Raises:
            MediaError: the capture failed (device gone, stream broke).
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._buffer or self._ended, timeout):
                return None
            if not self._buffer:
                if self.error is not None:
                    raise self.error
                return None
            index, t, image, captured = self._buffer.popleft()
            self._cond.notify_all()
        # converted when the consumer first looks (LiveFrame.rgb), not at capture: frames that
        # get dropped cost no conversion, and it runs outside this lock
        return LiveFrame(index, t, image, captured)

    @property
    def ended(self) -> bool:
        """Whether the source has no more frames (only a non-looping file ever ends by itself)."""
        with self._cond:
            return self._ended and not self._buffer

    def audio(self, t0: float, t1: float) -> np.ndarray:
        """Captured audio for ``[t0, t1)`` capture seconds (zeros where none arrived)."""
        return self._audio.take(t0, t1)

    @property
    def audio_until(self) -> float:
        """Capture time (seconds) up to which audio has arrived; -1 when the source has none."""
        return self._audio.until

    @property
    def has_audio(self) -> bool:
        return self.info.has_audio

    def close(self) -> None:
        """Stop capturing (idempotent)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._mic is not None:
            mic, self._mic = self._mic, None
            mic.stop()
            mic.close()
        if self._thread is not None:
            self._thread.join(5)

    def __iter__(self) -> Iterator[LiveFrame]:
        while True:
            frame = self.read(0.5)
            if frame is not None:
                yield frame
            elif self.ended:
                return

    def chunks(
        self, chunk_seconds: float = CHUNK_SECONDS, size: tuple[int, int] | None = None
    ) -> Iterator[Chunk]:
        """Every frame this source gives, as 200 ms chunks with their audio (see
        :class:`ChunkAssembler`), frames scaled to ``size`` = (width, height) when given. For
        consumers that do not need each frame as it comes."""
        asm = ChunkAssembler(self, chunk_seconds)
        for frame in self:
            asm.add(frame)
            for chunk in asm.ready():
                yield scale_chunk(chunk, size)
        for chunk in asm.finish():
            yield scale_chunk(chunk, size)

    # -- capture side -------------------------------------------------------------------------
    def _clock(self) -> float:
        """Capture time of a frame arriving now; the first call sets time 0."""
        now = time.monotonic()
        if self._mono0 is None:
            self._mono0 = now
        return now - self._mono0

    def _push(self, image: np.ndarray | Callable[[], np.ndarray], t: float | None = None) -> None:
        """Buffer a captured frame: RGB, or a function making it — run here when nothing waits
        in the buffer (the consumer keeps up and will take this frame: its conversion then
        overlaps the consumer's work on the previous one instead of adding to it), else by the
        consumer on first use (a frame dropped unseen costs no conversion)."""
        now = time.monotonic()
        if t is None:
            t = self._clock()
        if callable(image) and not self._buffer:  # a look without the lock: only a hint
            image = image()
        with self._cond:
            frame = (self.captured, t, image, now)
            if self._drop:
                while len(self._buffer) >= self._maxlen:
                    self._buffer.popleft()
                    self.dropped += 1
            else:
                self._cond.wait_for(lambda: len(self._buffer) < self._maxlen or self._stop.is_set())
            self._buffer.append(frame)
            self.captured += 1
            self._cond.notify_all()

    def _run_guarded(self) -> None:
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - handed to the consumer by read()
            self.error = e if isinstance(e, MediaError) else MediaError(f"capture failed: {e}")
            log.debug("capture stopped", exc_info=True)
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _run(self) -> None:
        raise NotImplementedError


class _AudioBuffer:
    """Captured audio on the capture clock: samples placed by their capture time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data = np.zeros(0, np.float32)
        self._start = 0  # sample index (capture clock × AUDIO_RATE) of _data[0]
        self._any = False

    @property
    def until(self) -> float:
        with self._lock:
            if not self._any:
                return -1.0
            return (self._start + self._data.size) / AUDIO_RATE

    def put(self, t: float, samples: np.ndarray) -> None:
        """Place ``samples`` starting at capture time ``t`` seconds (gaps zero-filled, overlaps
        cut)."""
        s = int(round(t * AUDIO_RATE))
        with self._lock:
            if not self._any:
                self._any = True
                self._start = max(0, s)
                self._data = np.zeros(0, np.float32)
            end = self._start + self._data.size
            if s > end:
                samples = np.concatenate([np.zeros(s - end, np.float32), samples])
            elif s < end:
                samples = samples[end - s :]
            if samples.size:
                self._data = np.concatenate([self._data, samples.astype(np.float32, copy=False)])
            keep = int(AUDIO_KEEP_SECONDS * AUDIO_RATE)
            if self._data.size > keep:
                cut = self._data.size - keep
                self._data = self._data[cut:]
                self._start += cut

    def take(self, t0: float, t1: float) -> np.ndarray:
        a, b = int(round(t0 * AUDIO_RATE)), int(round(t1 * AUDIO_RATE))
        out = np.zeros(max(0, b - a), np.float32)
        with self._lock:
            lo, hi = max(a, self._start), min(b, self._start + self._data.size)
            if hi > lo:
                out[lo - a : hi - a] = self._data[lo - self._start : hi - self._start]
        return out


class AvSource(LiveSource):
    """A file, network stream or V4L2 camera read through FFmpeg (PyAV).

    Args:
        url: a file path, a stream URL (``rtsp://``, ``http://`` …) or a device (``/dev/video0``).
        input_format: FFmpeg input format (``"v4l2"`` for a camera), or None to guess.
        options: FFmpeg input options (``video_size``, ``framerate`` …).
        realtime: release frames at their own timestamps (a file as a stand-in camera, or a
            stream that arrives faster than real time).
        loop: start again at the end (files only).
        live: never end and drop frames for a slow consumer; False = a plain file read as fast
            as the consumer takes it, every frame, ending at its end.
        size: ``(width, height)`` to scale frames to (display orientation), or None.
        audio: decode the audio track when there is one.
        info: what :func:`probe` said (files), else learned from the opened stream.
    """

    def __init__(
        self,
        url: str,
        *,
        input_format: str | None = None,
        options: dict[str, str] | None = None,
        realtime: bool = True,
        loop: bool = False,
        live: bool = True,
        size: tuple[int, int] | None = None,
        audio: bool = True,
        info: MediaInfo | None = None,
        buffer: int = LIVE_BUFFER_FRAMES,
        open_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._format = input_format
        self._options = dict(options or {})
        self._realtime = realtime
        self._loop = loop
        self._size = size
        self._want_audio = audio
        self._open_timeout = open_timeout
        container = self._open()
        try:
            if not container.streams.video:
                raise MediaError(f"{url}: has no video")
            vs = container.streams.video[0]
            rate = vs.average_rate or vs.guessed_rate or vs.base_rate or Fraction(30)
            given = (vs.codec_context.width, vs.codec_context.height)
            has_audio = bool(container.streams.audio) and audio
            if info is None:
                info = MediaInfo(
                    path=Path(url),
                    width=given[0],
                    height=given[1],
                    fps=float(rate),
                    duration=LIVE_DURATION,
                    frame_count=None,
                    rotation=0,
                    video_codec=vs.codec_context.name,
                    has_audio=has_audio,
                )
        finally:
            container.close()
        info = replace(info, has_audio=info.has_audio and audio)
        if live:
            info = replace(info, duration=LIVE_DURATION, frame_count=None)
        if size is not None:
            info = replace(info, width=size[0], height=size[1])
        super().__init__(info, live=live, drop=live, buffer=buffer)
        self._given = given
        self._given_fps = float(rate)

    def _open(self) -> av.container.InputContainer:
        try:
            return av.open(
                self.url,
                mode="r",
                format=self._format,
                options=self._options,
                timeout=self._open_timeout,
            )
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise MediaError(f"{self.url}: cannot open ({self._why(e)})") from e

    def _why(self, e: Exception) -> str:
        """Why the stream failed, in a few words: FFmpeg's "Immediate exit requested" is our
        own deadline (``timeout``) running out while the server sent nothing."""
        if isinstance(e, av.error.ExitError):
            return f"no data came for {self._open_timeout:g} s"
        return _reason(e)

    def _run(self) -> None:
        wall0: float | None = None  # monotonic time at which media time `m0` is released
        m0 = 0.0
        offset = 0.0  # media seconds added per loop, so time keeps going forward
        audio_next = -1.0  # capture time where the next audio block follows on
        while not self._stop.is_set():
            container = self._open()
            last_media = offset
            try:
                vs = container.streams.video[0]
                vs.thread_type = "AUTO"
                streams: list[av.stream.Stream] = [vs]
                resampler = None
                if self.info.has_audio and container.streams.audio:
                    streams.append(container.streams.audio[0])
                    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
                v_start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
                for packet in container.demux(*streams):
                    if self._stop.is_set():
                        return
                    for frame in packet.decode():  # (the last, empty packet flushes)
                        if frame.pts is None:
                            continue
                        media_t = float(frame.pts * frame.time_base) - v_start + offset
                        if isinstance(frame, av.AudioFrame):
                            if resampler is not None and wall0 is not None:
                                at = media_t - m0
                                if abs(at - audio_next) < AUDIO_SNAP_SECONDS:
                                    at = audio_next  # contiguous: no clicks from pts jitter
                                for out in resampler.resample(frame):
                                    block = out.to_ndarray().reshape(-1).astype(np.float32)
                                    self._audio.put(at, block)
                                    at += block.size / AUDIO_RATE
                                audio_next = at
                            continue
                        last_media = max(last_media, media_t)
                        if wall0 is None:
                            wall0, m0 = time.monotonic(), media_t
                            self._mono0 = wall0
                        if self._realtime:
                            wait = wall0 + (media_t - m0) - time.monotonic()
                            if wait > 0 and self._stop.wait(wait):
                                return
                        rgb = partial(live_rgb, frame, self._size)
                        if self._realtime or not self.live:
                            self._push(rgb, media_t - m0 if not self.live else None)
                        else:
                            self._push(rgb)
            except av.error.FFmpegError as e:
                raise MediaError(f"{self.url}: the stream broke off ({self._why(e)})") from e
            finally:
                container.close()
            if not self._loop:
                return
            offset = last_media + 1.0 / max(self._given_fps, 1.0)
            log.debug("%s: looping at %.2f s", self.url, offset)

    def describe_given(self, asked: str = "") -> str:
        got = f"{self._given[0]}×{self._given[1]} at {self._given_fps:.2f} fps"
        scaled = (
            f", scaled to {self.info.width}×{self.info.height}" if self._size is not None else ""
        )
        sound = ", with audio" if self.info.has_audio else ", no audio"
        return f"{asked}got {got}{scaled}{sound}"


class OpenCvCamera(LiveSource):
    """A camera through OpenCV (V4L2 on Linux, AVFoundation/MSMF elsewhere); video only."""

    def __init__(
        self,
        device: int | str,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        buffer: int = LIVE_BUFFER_FRAMES,
    ) -> None:
        import cv2

        backend = cv2.CAP_V4L2 if hasattr(cv2, "CAP_V4L2") else cv2.CAP_ANY
        quiet = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # its own WARN lines
        try:
            cap = cv2.VideoCapture(device, backend)
        finally:
            cv2.utils.logging.setLogLevel(quiet)
        if not cap.isOpened():
            cap.release()
            raise MediaError(f"camera {device}: cannot open it (is it plugged in and free?)")
        if size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        if fps is not None:
            cap.set(cv2.CAP_PROP_FPS, fps)
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        got_fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
        info = MediaInfo(Path(str(device)), w, h, got_fps, LIVE_DURATION, None, 0, "camera", False)
        super().__init__(info, live=True, drop=True, buffer=buffer)
        self._cap = cap
        got = f"got {w}×{h} at {got_fps:.2f} fps (OpenCV), no audio"
        self.description = _asked(size, fps) + got

    def _run(self) -> None:
        import cv2

        try:
            while not self._stop.is_set():
                ok, bgr = self._cap.read()
                if not ok:
                    raise MediaError(f"camera {self.info.path}: stopped giving frames")
                self._push(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        finally:
            self._cap.release()


class BrowserCamera(LiveSource):
    """A browser's camera: JPEG frames posted by a page (``getUserMedia``) through
    :meth:`push_jpeg`, scaled to ``size``; captured when they arrive. Video only.

    Args:
        size: ``(width, height)`` of the frames the stream gives (the page is asked for it;
            frames of another size are scaled).
        fps: the rate the page is asked for (the budget controller's frame rate).
    """

    def __init__(self, size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> None:
        info = MediaInfo(Path("browser-camera"), size[0], size[1], fps, LIVE_DURATION, None, 0,
                         "jpeg", False)  # fmt: skip
        super().__init__(info, live=True, drop=True, buffer=LIVE_BUFFER_FRAMES)
        self.description = (
            f"the browser's camera: asking for {size[0]}×{size[1]} at {fps:g} fps, "
            "frames scaled to that size"
        )
        self.received = 0
        self._tags: dict[int, float] = {}
        self._push_lock = threading.Lock()

    def push_jpeg(self, data: bytes, tag: float | None = None) -> bool:
        """Add one JPEG (or PNG) frame; False when it cannot be decoded (it is skipped).

        ``tag`` (the sender's own clock, e.g. the page's ``performance.now()`` in ms) is kept
        with the frame and given back by :meth:`tag_of`, so the sender can measure its round
        trip."""
        import cv2

        if self._stop.is_set():
            return False
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            return False
        return self.push_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), tag)

    def push_rgb(self, rgb: np.ndarray, tag: float | None = None) -> bool:
        """Add one decoded frame (``H×W×3`` uint8 RGB; scaled to the stream's size), as
        :meth:`push_jpeg` (a WebRTC track's frames come decoded)."""
        import cv2

        if self._stop.is_set():
            return False
        w, h = self.info.width, self.info.height
        if rgb.shape[:2] != (h, w):
            rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
        with self._push_lock:  # the index _push gives is `captured` now
            self.received += 1
            if tag is not None:
                self._tags[self.captured] = tag
                for old in [i for i in self._tags if i < self.captured - 64]:
                    del self._tags[old]
            self._push(rgb)
        return True

    def tag_of(self, index: int) -> float | None:
        """The ``tag`` the frame with capture ``index`` came with (None: none, or forgotten)."""
        with self._push_lock:
            return self._tags.get(index)

    def _run(self) -> None:
        self._stop.wait()  # frames come from push_jpeg (the web server's threads)


def open_microphone(
    on_block: Callable[[np.ndarray], None],
    device: int | str | None = None,
    block_seconds: float = 0.1,
) -> tuple[Any, str]:
    """An unstarted microphone stream (PortAudio through sounddevice; the default input when
    ``device`` is None) handing ``on_block`` float32 mono 16 kHz blocks (1-D copies, about
    ``block_seconds`` long) from PortAudio's thread. Returns ``(stream, its name)``, or
    ``(None, one line saying why there is none)``; ``stream.start()`` / ``stop()`` /
    ``close()`` drive it."""

    def callback(indata: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
        on_block(indata[:, 0].astype(np.float32, copy=True))

    try:
        import sounddevice as sd

        stream = sd.InputStream(
            samplerate=AUDIO_RATE, channels=1, dtype="float32", device=device,
            blocksize=max(1, round(AUDIO_RATE * block_seconds)), callback=callback,
        )  # fmt: skip
        name = str(sd.query_devices(stream.device)["name"])
    except Exception as e:  # noqa: BLE001 - PortAudio raises its own and OSError kinds
        return None, f"no microphone ({' '.join(str(e).split()) or type(e).__name__})"
    return stream, name


def _asked(size: tuple[int, int] | None, fps: float | None) -> str:
    if size is None and fps is None:
        return ""
    parts = [f"{size[0]}×{size[1]}" if size else "any size", f"{fps:g} fps" if fps else "any rate"]
    return f"asked {' at '.join(parts)}, "


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` → ``(1280, 720)``; raises ValueError with a sentence."""
    m = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) < 2 or int(m.group(2)) < 2:
        raise ValueError(f"{text!r}: a size is WIDTHxHEIGHT, e.g. 1280x720")
    return int(m.group(1)), int(m.group(2))


def open_camera(
    device: int | str,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    audio: bool = True,
) -> LiveSource:
    """A camera by index (``0`` = ``/dev/video0``) or device path, asking for ``size`` and
    ``fps``. Tries FFmpeg's V4L2 input first, then OpenCV. With ``audio``, the default
    microphone gives the sound (none: the stream goes on silent). Its ``description`` says what
    was asked, what the device gave, and which microphone.

    Raises:
        MediaError: no such camera, or it cannot be opened.
    """
    path = f"/dev/video{device}" if isinstance(device, int) or str(device).isdigit() else device
    src = _open_camera_video(device, path, size, fps)
    if audio:
        src.description += "; " + src.use_microphone()
    return src


def _open_camera_video(
    device: int | str, path: str, size: tuple[int, int] | None, fps: float | None
) -> LiveSource:
    opts: dict[str, str] = {}
    if size is not None:
        opts["video_size"] = f"{size[0]}x{size[1]}"
    if fps is not None:
        opts["framerate"] = f"{fps:g}"
    if Path("/dev").is_dir() and str(path).startswith("/dev/") and not Path(path).exists():
        raise MediaError(f"camera {device}: no such camera ({path} does not exist)")
    errors = []
    if Path(str(path)).exists():
        try:
            av_src = AvSource(
                str(path), input_format="v4l2", options=opts, realtime=False, audio=False
            )
            av_src.description = f"camera {path}: " + av_src.describe_given(_asked(size, fps))
            return av_src
        except MediaError as e:
            errors.append(str(e).split(": ", 1)[-1])
    try:
        index = int(device) if str(device).isdigit() else device
        cv_src = OpenCvCamera(index, size, fps)
        cv_src.description = f"camera {path}: {cv_src.description}"
        return cv_src
    except MediaError as e:
        errors.append(str(e).split(": ", 1)[-1])
    raise MediaError(f"camera {device}: {'; '.join(errors)}")


def open_source(
    source: str | Path,
    *,
    realtime: bool = False,
    loop: bool = False,
    size: tuple[int, int] | None = None,
    audio: bool = True,
) -> LiveSource:
    """A file or a network stream as a live source.

    A URL (``rtsp://``, ``http://``, ``udp://`` …) is live: it never ends by itself and frames
    are dropped for a slow consumer. A file with ``realtime`` is a stand-in camera: released at
    its own frame rate, live in the same way (``loop`` plays it again at its end, times going
    on). A file without ``realtime`` gives every frame as fast as it is taken and ends.

    Raises:
        MediaError: the file or stream cannot be opened (one line).
    """
    text = str(source)
    if _URL.match(text) and not text.lower().startswith("file://"):
        src = AvSource(text, realtime=True, live=True, size=size, audio=audio,
                       options={"rtsp_transport": "tcp"} if text.lower().startswith("rtsp")
                       else None)  # fmt: skip
        src.description = f"stream {text}: " + src.describe_given()
        return src
    path = Path(text.removeprefix("file://"))
    info = probe(path)
    live = realtime or loop
    src = AvSource(str(path), realtime=live, loop=loop, live=live, size=size, audio=audio,
                   info=info)  # fmt: skip
    how = "as a camera, in real time" + (", looping" if loop else "") if live else "as a file"
    src.description = f"{path.name} {how}: " + src.describe_given()
    return src


class ChunkAssembler:
    """Groups frames (in capture order) into :class:`Chunk` s of ``chunk_seconds``, each with the
    audio captured over its span.

    A chunk ``[t0, t1)`` is ready once a frame at or after ``t1`` came and the audio has arrived
    up to ``t1`` (or ``audio_wait`` seconds passed: demuxers deliver audio a little behind or
    ahead of the video). Chunk ``index`` is ``floor(t0 / chunk_seconds)``; spans with no frame
    (all dropped) are skipped.
    """

    def __init__(
        self, source: LiveSource, chunk_seconds: float = CHUNK_SECONDS, audio_wait: float = 0.6
    ) -> None:
        self.source = source
        self.chunk_seconds = chunk_seconds
        self.audio_wait = audio_wait
        self._frames: list[LiveFrame] = []
        self._closed: deque[tuple[int, list[LiveFrame], float]] = deque()

    def _index(self, t: float) -> int:
        return int(t // self.chunk_seconds)

    def add(self, frame: LiveFrame) -> None:
        if self._frames and self._index(frame.t) != self._index(self._frames[0].t):
            self._closed.append((self._index(self._frames[0].t), self._frames, time.monotonic()))
            self._frames = []
        _ = frame.rgb  # converted now: the chunk holds no decoder frame while it waits for audio
        self._frames.append(frame)

    def ready(self, force: bool = False) -> list[Chunk]:
        """The chunks ready now (``force``: every closed one, audio or not)."""
        return [build() for build in self.ready_later(force)]

    def ready_later(self, force: bool = False) -> list[Callable[[], Chunk]]:
        """:meth:`ready`, each chunk as a function that makes it: the frames are stacked and
        the audio cut when it is called (in another thread: the live loop hands them to the
        analysis thread, which pays for the copy)."""
        out: list[Callable[[], Chunk]] = []
        while self._closed:
            index, frames, closed_at = self._closed[0]
            t1 = (index + 1) * self.chunk_seconds
            waited = time.monotonic() - closed_at
            if not (
                force
                or not self.source.has_audio
                or self.source.audio_until >= t1
                or waited >= self.audio_wait
            ):
                break
            self._closed.popleft()
            out.append(partial(self._chunk, index, frames))
        return out

    def finish(self) -> list[Chunk]:
        if self._frames:
            self._closed.append((self._index(self._frames[0].t), self._frames, time.monotonic()))
            self._frames = []
        return self.ready(force=True)

    def _chunk(self, index: int, frames: list[LiveFrame]) -> Chunk:
        t0, t1 = index * self.chunk_seconds, (index + 1) * self.chunk_seconds
        audio = self.source.audio(t0, t1) if self.source.has_audio else None
        return Chunk(
            index=index,
            t0=t0,
            t1=t1,
            frames=np.stack([f.rgb for f in frames]),
            frame_times=np.asarray([f.t for f in frames], np.float64),
            audio=audio,
        )


def scale_chunk(chunk: Chunk, size: tuple[int, int] | None) -> Chunk:
    """``chunk`` with its frames scaled to ``size`` = (width, height) (None: as it is)."""
    if size is None or not len(chunk.frames) or chunk.frames.shape[1:3] == (size[1], size[0]):
        return chunk
    import cv2

    frames = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in chunk.frames])
    return replace(chunk, frames=frames)
