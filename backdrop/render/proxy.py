"""A preview-size proxy of the source, written in the background, for scrubbing anywhere fast.

Real editors scrub a proxy, not the camera file: camera and phone clips often have one keyframe
every few seconds (``examples/sample.mp4`` has one in 10 s), so a random jump into the source
decodes everything from the keyframe before it (0.8–3 s on a busy machine, issue 14). A
:class:`ProxyWorker` decodes the source once, in a low-priority thread, and writes every frame
at the preview size (H.264, a keyframe every :data:`PROXY_KEY_SECONDS`, no B-frames, tuned for
fast decoding) to a file in its own temporary folder (never beside the user's file; written to
a partial name and renamed when complete; the folder is removed on :meth:`ProxyWorker.close`).
While the person scrubs (:meth:`ProxyWorker.hold`) or the caller says it is busy (``busy``) it
starts no new frame. Once it is ready, :meth:`ProxyWorker.reader` gives a :class:`ProxyReader`:
the same frames and times as :class:`~backdrop.render.preview.SeekReader` on the source (the last
frame starting at or before ``t``; seconds from the video stream's start; rotation applied;
preview size), decoded from at most one keyframe interval of the small proxy.

Proxy frames differ from the source's (scaled to the same size) by H.264 coding at
:data:`PROXY_CRF` only: over every frame, the mean absolute difference per channel is at most 3.3
grey levels of 255 on the sample (a textured, noisy juggler; median 2.3) and 1.5 on s18; the
tolerance tested on real frames (``tests/test_scrub_proxy.py``) is 4.0, less than the JPEG q90
thumbnails the session's scrub cache keeps (3.9 on the sample).

Conventions: times in seconds from the video stream's start; frames ``H×W×3`` uint8 RGB;
``size`` = (width, height) in pixels after rotation.
"""

from __future__ import annotations

import bisect
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from backdrop.perception.core import workers
from backdrop.perception.core.media import MediaError, frame_to_rgb
from backdrop.render.preview import SeekReader

log = logging.getLogger(__name__)

PROXY_KEY_SECONDS = 0.25
"""Seconds between the proxy's keyframes (a jump decodes at most this much of the proxy)."""

PROXY_CRF = 15
"""x264 constant rate factor of the proxy (18 gave up to 4.1 grey levels on the sample;
15 costs ~0.6 MB more per 10 s of 640×360)."""

PROXY_X264 = {"preset": "veryfast", "tune": "fastdecode"}
"""x264 settings of the proxy besides its rate and keyframes (``fastdecode``: no CABAC, no
deblocking — each scrub decodes up to a keyframe interval of it)."""

PROXY_PIX_FMT = "yuv444p"
"""The proxy's pixels: full-resolution chroma (4:2:0 would cost ~2.4 grey levels of 255 on
saturated footage before any coding: the reader gives RGB, converted once more)."""

PROXY_HOLD_SECONDS = 0.5
"""After a scrub the worker starts no new frame for this long (seconds)."""

PROXY_NICE = 15
"""How much the worker thread lowers its priority (best effort, Linux: per thread)."""

CHECK_EVERY = 4
"""Frames written between two looks at ``busy`` (it may take a lock)."""


class ProxyReader:
    """Frames of the source at any time, read from a finished proxy (thread-safe).

    Args:
        path: the proxy file (frame ``i`` at ``i / rate`` seconds).
        times: the source's frame times in seconds, in order (``times[i]`` is proxy frame ``i``).
        rate: the proxy's frame rate (frames per second).

    Raises:
        MediaError: the proxy cannot be read.
    """

    def __init__(self, path: str | Path, times: list[float], rate: Fraction) -> None:
        self.times = times
        self.rate = rate
        self._r = SeekReader(path, None, threads="SLICE")

    def frame_at(self, t: float) -> tuple[float, np.ndarray]:
        """``(source frame time in seconds, H×W×3 uint8 RGB at the proxy's size)`` of the frame
        shown at ``t`` seconds (before the first frame: the first frame)."""
        i = max(0, bisect.bisect_right(self.times, t + 1e-6) - 1)
        _, img = self._r.frame_at(float((i + Fraction(1, 2)) / self.rate))
        return self.times[i], img

    def close(self) -> None:
        self._r.close()


class ProxyWorker:
    """Writes the preview-size proxy of ``source`` in a background thread (see the module).

    Args:
        source: the user's video file (only read).
        size: the proxy's (width, height) in pixels, after rotation (even numbers).
        busy: called between frames; while it returns True the worker waits (the caller's
            pipeline needs the CPU). None = never busy.
        key_seconds: seconds between the proxy's keyframes.
        on_ready: called (from the worker thread) once the proxy is complete.

    Attributes:
        folder: the worker's own temporary folder (removed by :meth:`close`).
        path: where the finished proxy is (it exists only once :attr:`ready` is set).
        ready: set when the proxy is complete.
        error: what stopped the worker, or None.
        seconds: wall seconds the writing took (0 until ready).
    """

    def __init__(
        self,
        source: str | Path,
        size: tuple[int, int],
        *,
        busy: Callable[[], bool] | None = None,
        key_seconds: float = PROXY_KEY_SECONDS,
        on_ready: Callable[[ProxyWorker], None] | None = None,
    ) -> None:
        self.source = Path(source)
        self.size = (int(size[0]), int(size[1]))
        self.key_seconds = key_seconds
        self.folder = Path(tempfile.mkdtemp(prefix="backdrop-proxy-"))
        self.path = self.folder / "proxy.mp4"
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.times: list[float] = []
        self.rate = Fraction(25)
        self._busy = busy
        self._on_ready = on_ready
        self._hold_until = 0.0
        self._stop = threading.Event()
        self._thread = workers.start(self._run, "proxy", stop=self._stop.set)

    def hold(self, seconds: float = PROXY_HOLD_SECONDS) -> None:
        """Start no new frame for ``seconds`` from now (the person is scrubbing)."""
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def reader(self) -> ProxyReader | None:
        """A reader of the finished proxy, or None while it is not ready (or failed)."""
        if not self.ready.is_set():
            return None
        return ProxyReader(self.path, self.times, self.rate)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the proxy is ready; False on timeout or when the worker stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.ready.wait(0.05):
            if not self._thread.is_alive() or (deadline and time.monotonic() > deadline):
                return self.ready.is_set()
        return True

    def close(self) -> None:
        """Stop writing, wait for the thread (bounded) and remove the temporary folder."""
        self._stop.set()
        workers.join([self._thread], 10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _waited_out(self) -> bool:
        """Wait while held or busy; True when the worker is closing."""
        while not self._stop.is_set():
            if time.monotonic() < self._hold_until or (self._busy is not None and self._busy()):
                self._stop.wait(0.05)
                continue
            return False
        return True

    def _run(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PROXY_NICE)
        except (AttributeError, OSError, PermissionError):
            log.debug("could not lower the proxy thread's priority")
        started = time.monotonic()
        try:
            if self._write():
                self.seconds = time.monotonic() - started
                self.ready.set()
                if self._on_ready is not None:
                    self._on_ready(self)
        except (av.error.FFmpegError, OSError, MediaError) as e:
            log.warning("the scrub proxy of %s was not written: %s", self.source, e)
            self.error = e

    def _write(self) -> bool:
        """Decode the source, write the proxy to a partial name, rename it when complete;
        False when stopped first (the partial file is removed)."""
        partial = self.folder / "proxy.partial.mp4"
        try:
            with av.open(str(self.source)) as src, av.open(str(partial), "w") as out:
                done = self._encode(src, out)
            if done:
                os.replace(partial, self.path)
            return done
        finally:
            partial.unlink(missing_ok=True)

    def _encode(self, src: av.container.InputContainer, out: av.container.OutputContainer) -> bool:
        vs = src.streams.video[0]
        vs.thread_type = "AUTO"
        v0 = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
        rate = vs.average_rate or vs.guessed_rate or Fraction(25)
        self.rate = Fraction(rate).limit_denominator(100000)
        keyint = max(1, round(float(self.rate) * self.key_seconds))
        st = out.add_stream("libx264", rate=self.rate)
        st.width, st.height = self.size
        st.pix_fmt = PROXY_PIX_FMT
        gop = f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=0"
        st.options = {"crf": str(PROXY_CRF), **PROXY_X264, "x264-params": gop}
        st.thread_count = 1  # a background job: one core at most
        tb = Fraction(1) / self.rate
        times: list[float] = []
        for frame in src.decode(vs):
            if len(times) % CHECK_EVERY == 0 and self._waited_out():
                return False
            if frame.pts is None:
                continue
            out_frame = av.VideoFrame.from_ndarray(frame_to_rgb(frame, self.size), "rgb24")
            out_frame = out_frame.reformat(format=PROXY_PIX_FMT, threads=1)  # see frame_to_rgb
            out_frame.pts, out_frame.time_base = len(times), tb
            times.append(float(frame.pts * frame.time_base) - v0)
            out.mux(st.encode(out_frame))
        out.mux(st.encode(None))
        self.times = times
        return bool(times)


__all__ = ["PROXY_CRF", "PROXY_KEY_SECONDS", "ProxyReader", "ProxyWorker"]
