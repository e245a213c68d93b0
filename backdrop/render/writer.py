"""Writing edited video: H.264 MP4 with the source audio, VP9-with-alpha WebM, ProRes 4444 with
alpha in .mov, PNG sequences.

Every writer writes to a temporary sibling of its output and renames it into place only in
:meth:`close` after the last frame; :meth:`abort` (or an exception inside a ``with`` block)
removes the partial file, so an existing output is never replaced by a broken one.

Frames are ``H×W×3`` uint8 RGB with an optional ``H×W`` alpha (float32 in [0, 1] or uint8);
``t`` is the frame's presentation time in seconds from the start of the video, so variable frame
rate and the source's exact timing are kept. Audio is copied from the source file packet by
packet where the container allows it (no re-encode, exact sync), else transcoded.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np

from backdrop.perception.core.atomic import Partial
from backdrop.render.atomic import replace_into
from backdrop.render.files import FRAMES_MARKER, PathError, refuse_system_or_special

log = logging.getLogger(__name__)

# 1/90 kHz: the MPEG clock; fine enough for any frame rate and VFR timestamps.
VIDEO_TIME_BASE = Fraction(1, 90_000)

_BT601 = 6  # AVCOL_SPC_SMPTE170M
_MPEG_RANGE = 1  # AVCOL_RANGE_MPEG (limited, 16-235)

MP4_COPY_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3"}
WEBM_COPY_AUDIO = {"opus", "vorbis"}


class RenderError(Exception):
    """Rendering cannot go on; the message is one line fit to show a person."""


def _tmp_sibling(final: Path) -> Partial:
    """A temporary sibling of ``final`` (its folder made when missing); refuses an ``final`` that
    is a folder or a special file, so nothing is computed for an output that cannot be written.
    An output folder that is not writable ends in a one-line :class:`RenderError`."""
    if final.is_dir():
        raise RenderError(f"{final} is a folder; give a file name for the output")
    if final.exists() and not final.is_file():
        raise RenderError(f"{final} is a device or special file, not a regular file; refused")
    return _make_tmp(final)


def _make_tmp(final: Path) -> Partial:
    refuse_system_or_special(final)  # never a new file in /dev, never onto a device
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create the folder {final.parent} ({_why(e)})") from e
    return Partial(final)


def _why(e: OSError) -> str:
    """An OS error in a few words: 'permission denied', 'no space left on device'."""
    return (e.strerror or str(e)).lower()


def os_error(e: OSError, path: Path | str) -> RenderError:
    """A one-line :class:`RenderError` for an OS error while writing ``path``, with what to do."""
    hint = {
        errno.ENOSPC: "free some space or write elsewhere",
        errno.EDQUOT: "free some space or write elsewhere",
        errno.EACCES: "choose a folder you can write to",
        errno.EPERM: "choose a folder you can write to",
        errno.EROFS: "the disk is read-only; choose another folder",
    }.get(e.errno or 0, "check the output path")
    return RenderError(f"cannot write {path}: {_why(e)} ({hint}); nothing was replaced")


def even_size(width: int, height: int) -> tuple[int, int]:
    """The size a 4:2:0 encoder needs: odd dimensions are padded up by one pixel."""
    return width + (width & 1), height + (height & 1)


def _pad_even(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    if not (h & 1 or w & 1):
        return img
    return cv2.copyMakeBorder(img, 0, h & 1, 0, w & 1, cv2.BORDER_REPLICATE)


def _to_u8(alpha: np.ndarray) -> np.ndarray:
    if alpha.dtype == np.uint8:
        return alpha
    return cv2.convertScaleAbs(alpha, alpha=255.0)


class AudioCopier:
    """Carries the source's audio into an output container, interleaved with the video.

    Packets are copied when the codec fits the container; otherwise decoded, resampled and
    encoded with ``encoder``. Times are rebased so the source's first *video* timestamp is 0;
    audio past ``end`` seconds is dropped.
    """

    def __init__(
        self,
        source: Path,
        out: av.container.OutputContainer,
        copy_codecs: set[str],
        encoder: str,
        end: float,
    ) -> None:
        self._src = av.open(str(source))
        self._in = self._src.streams.audio[0]
        vs = self._src.streams.video[0] if self._src.streams.video else None
        self._v_start = float(vs.start_time * vs.time_base) if vs and vs.start_time else 0.0
        self._end = end
        self._copy = self._in.codec_context.name in copy_codecs
        if self._copy:
            self.stream = out.add_stream_from_template(self._in)
        else:
            rate = self._in.codec_context.sample_rate or 48_000
            if encoder == "libopus":
                rate = 48_000
            self.stream = out.add_stream(encoder, rate=rate)
            self.stream.layout = "stereo" if (self._in.codec_context.channels or 1) > 1 else "mono"
            self._resampler = av.AudioResampler(
                format=self.stream.codec_context.format.name,
                layout=self.stream.layout.name,
                rate=rate,
            )
        self._out = out
        self._packets: Iterator[av.Packet] = self._src.demux(self._in)
        self._done = False
        self.copied_until = 0.0

    def pump(self, until: float) -> None:
        """Write audio up to ``until`` seconds (output time)."""
        while not self._done and self.copied_until < until:
            try:
                packet = next(self._packets)
            except (StopIteration, av.error.FFmpegError):
                self._finish()
                return
            if packet.dts is None and packet.pts is None:  # flush packet at the end
                continue
            pts = packet.pts if packet.pts is not None else packet.dts
            t = float(pts * packet.time_base) - self._v_start
            if t >= self._end:
                self._finish()
                return
            self.copied_until = t
            if self._copy:
                shift = int(round(self._v_start / packet.time_base))
                if packet.pts is not None:
                    packet.pts -= shift
                if packet.dts is not None:
                    packet.dts -= shift
                if (packet.pts is not None and packet.pts < 0) or (
                    packet.dts is not None and packet.dts < 0 and packet.pts is None
                ):
                    continue
                packet.stream = self.stream
                self._out.mux(packet)
            else:
                for frame in packet.decode():
                    if frame.pts is not None:
                        t0 = float(frame.pts * frame.time_base) - self._v_start
                        if t0 < 0:
                            continue
                    frame.pts = None
                    for rf in self._resampler.resample(frame):
                        self._out.mux(self.stream.encode(rf))

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        if not self._copy:
            for rf in self._resampler.resample(None):
                self._out.mux(self.stream.encode(rf))
            self._out.mux(self.stream.encode(None))

    def close(self) -> None:
        self.pump(float("inf"))
        self._finish()
        self._src.close()


class _AvVideoWriter:
    """Shared machinery for encoded outputs (MP4, WebM)."""

    format: str = ""
    codec: str = ""
    pix_fmt: str = ""
    copy_audio: set[str] = set()
    audio_encoder: str = ""

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float,
        audio_source: Path | None = None,
        duration: float | None = None,
        options: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.width, self.height = even_size(width, height)
        self._out = _tmp_sibling(self.path)
        self._tmp = self._out.tmp
        try:
            self._container = av.open(str(self._tmp), mode="w", format=self.format)
        except OSError as e:
            self._out.discard()
            raise os_error(e, self.path) from e
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._stream = self._container.add_stream(self.codec, rate=rate)
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = self.pix_fmt
        self._stream.time_base = VIDEO_TIME_BASE
        self._stream.codec_context.time_base = VIDEO_TIME_BASE
        self._stream.options = dict(options or {})
        self._audio: AudioCopier | None = None
        if audio_source is not None:
            self._audio = AudioCopier(
                audio_source,
                self._container,
                self.copy_audio,
                self.audio_encoder,
                end=duration if duration is not None else float("inf"),
            )
        self._last_pts = -1
        self.frames = 0
        self._closed = False

    def _frame(self, rgb: np.ndarray, alpha: np.ndarray | None) -> av.VideoFrame:
        raise NotImplementedError

    def write(self, rgb: np.ndarray, t: float, alpha: np.ndarray | None = None) -> None:
        """Encode one frame shown at ``t`` seconds."""
        self._encode(self._frame(_pad_even(rgb), None if alpha is None else _pad_even(alpha)), t)

    def _encode(self, frame: av.VideoFrame, t: float) -> None:
        """Encode ``frame`` (this writer's size and pixel format) shown at ``t`` seconds."""
        pts = int(round(t / VIDEO_TIME_BASE))
        if pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except OSError as e:
            raise os_error(e, self.path) from e
        self.frames += 1
        if self._audio is not None:
            self._audio.pump(t + 0.5)

    def close(self) -> Path:
        """Flush, finish the file and rename it into place. Returns the final path."""
        if self._closed:
            return self.path
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.close()
            self._container.close()
        except OSError as e:
            self.abort()
            raise os_error(e, self.path) from e
        except BaseException:
            self.abort()
            raise
        self._closed = True
        try:
            if self.frames == 0:
                raise RenderError(f"{self.path}: no frames were written")
            self._out.commit(replace=replace_into)
        except PathError as e:
            raise RenderError(str(e)) from e
        except OSError as e:
            raise os_error(e, self.path) from e
        finally:
            self._out.discard()
        return self.path

    def abort(self) -> None:
        """Drop the partial output."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):  # the file is being thrown away
            self._container.close()
        self._out.discard()

    def __enter__(self) -> _AvVideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


EXPORT_PRESET = "veryfast"
"""x264 preset of exports (``quality=True`` renders)."""

PREVIEW_PRESET = "ultrafast"
"""x264 preset of the preview tier (``render_video(..., quality=False)``): x264's cheapest
(CAVLC, no deblocking, no sub-pel motion search). At crf 20 on the sample and s18 (720p) it
costs 8–9 CPU-ms per frame against 13–20 for ``veryfast``, with Y-PSNR not lower (44.5 vs 41.4
dB, 47.5 vs 48.0 dB) and files 2.6–5× larger: a preview is watched, not kept, so the size does
not matter and the encoder is a fifth of the tier's CPU (BENCHMARKS.md, issue 14)."""

ENLARGED_X264 = "subme=1:me=dia:partitions=i8x8,i4x4"
"""x264 options over :data:`EXPORT_PRESET` for an export scaled *up* (e.g. 720p → 4K): an
enlarged frame has no detail finer than a source pixel, so ``veryfast``'s sub-pel refinement
(subme 2, hexagon search) and sub-8×8 inter partitions buy next to nothing there. Measured at crf
20 on the sample and s18 enlarged to 1080p and 4K: Y-PSNR within 0.02–0.16 dB of plain
``veryfast``, files 3–8 % larger, the encoder's CPU 35–45 % lower (4K: ~150 → ~95 CPU-ms per
frame, BENCHMARKS.md, issue 14)."""


class Mp4Writer(_AvVideoWriter):
    """H.264 (yuv420p) in MP4 with the source's audio. ``crf`` 0–51 (lower is better)."""

    format = "mp4"
    codec = "libx264"
    pix_fmt = "yuv420p"
    copy_audio = MP4_COPY_AUDIO
    audio_encoder = "aac"

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float,
        audio_source: Path | None = None,
        duration: float | None = None,
        crf: int = 20,
        preset: str = "veryfast",
        x264_params: str | None = None,
    ) -> None:
        opts = {"crf": str(crf), "preset": preset, "movflags": "+faststart"}
        if x264_params:  # x264's own options over the preset's, "key=value:key=value"
            opts["x264-params"] = x264_params
        super().__init__(path, width, height, fps, audio_source, duration, opts)

    def _frame(self, rgb: np.ndarray, alpha: np.ndarray | None) -> av.VideoFrame:
        return _yuv_frame(rgb)

    def write_i420(self, i420: np.ndarray, t: float) -> None:
        """Encode one frame given as I420 planes (``(3H/2)×W`` uint8, H×W this writer's even
        size; BT.601 limited range, as cv2's ``COLOR_RGB2YUV_I420``) shown at ``t`` seconds."""
        if i420.shape != (self.height * 3 // 2, self.width):
            raise ValueError(
                f"I420 frame of shape {i420.shape} for a {self.width}×{self.height} video"
            )
        self._encode(_i420_frame(i420, self.width, self.height), t)


def _yuv_frame(rgb: np.ndarray, alpha: np.ndarray | None = None) -> av.VideoFrame:
    """A ``yuv420p`` frame (``yuva420p`` with ``alpha``, ``H×W`` uint8) from ``H×W×3`` RGB.

    cv2's RGB→I420 (BT.601, limited range 16–235) with the planes copied in: ~0.4 ms at 720p,
    where swscale took ~1 ms for RGB→yuv420p and ~6.5 ms for RGBA→yuva420p (BENCHMARKS.md).
    """
    h, w = rgb.shape[:2]
    return _i420_frame(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), w, h, alpha)


def _i420_frame(i420: np.ndarray, w: int, h: int, alpha: np.ndarray | None = None) -> av.VideoFrame:
    """A ``yuv420p`` (``yuva420p`` with ``alpha``) frame from cv2-layout I420 planes."""
    yuv = i420.reshape(-1)
    frame = av.VideoFrame(w, h, "yuv420p" if alpha is None else "yuva420p")
    n, q = h * w, (h // 2) * (w // 2)
    planes = [yuv[:n], yuv[n : n + q], yuv[n + q :]] + ([] if alpha is None else [alpha])
    for plane, data in zip(frame.planes, planes, strict=True):
        _copy_plane(plane, data.reshape(plane.height, plane.width))
    frame.colorspace = _BT601
    frame.color_range = _MPEG_RANGE
    return frame


def _copy_plane(plane: av.video.plane.VideoPlane, data: np.ndarray) -> None:
    """Copy an ``h×w`` uint8 array into a frame plane (which may have a wider line stride)."""
    h, w = data.shape
    stride = plane.line_size
    buf = np.frombuffer(plane, np.uint8)
    if stride == w:
        buf[: h * w] = data.reshape(-1)
    else:
        buf.reshape(-1, stride)[:h, :w] = data


class WebmAlphaWriter(_AvVideoWriter):
    """VP9 with an alpha channel (yuva420p) in WebM, audio as Opus."""

    format = "webm"
    codec = "libvpx-vp9"
    pix_fmt = "yuva420p"
    copy_audio = WEBM_COPY_AUDIO
    audio_encoder = "libopus"

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float,
        audio_source: Path | None = None,
        duration: float | None = None,
    ) -> None:
        opts = {
            "deadline": "realtime",
            "cpu-used": "8",
            "crf": "32",
            "b": "0",
            "row-mt": "1",
            "auto-alt-ref": "0",
            "lag-in-frames": "0",
        }
        super().__init__(path, width, height, fps, audio_source, duration, opts)

    def _frame(self, rgb: np.ndarray, alpha: np.ndarray | None) -> av.VideoFrame:
        a = np.full(rgb.shape[:2], 255, np.uint8) if alpha is None else _to_u8(alpha)
        return _yuv_frame(rgb, a)


MOV_COPY_AUDIO = {"aac", "alac", "pcm_s16le", "pcm_s24le", "mp3"}


class ProResAlphaWriter(_AvVideoWriter):
    """ProRes 4444 with an alpha channel (``prores_ks``, profile 4444, yuva444p10le, 16-bit
    alpha) in a QuickTime ``.mov``; audio copied when the container allows it, else AAC."""

    format = "mov"
    codec = "prores_ks"
    pix_fmt = "yuva444p10le"
    copy_audio = MOV_COPY_AUDIO
    audio_encoder = "aac"

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float,
        audio_source: Path | None = None,
        duration: float | None = None,
    ) -> None:
        opts = {"profile": "4444", "alpha_bits": "16", "vendor": "apl0"}
        super().__init__(path, width, height, fps, audio_source, duration, opts)

    def _frame(self, rgb: np.ndarray, alpha: np.ndarray | None) -> av.VideoFrame:
        a = np.full(rgb.shape[:2], 255, np.uint8) if alpha is None else _to_u8(alpha)
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(np.dstack([rgb, a])), "rgba")


OUTPUT_SUFFIXES = {".mp4": "H.264 MP4", ".m4v": "H.264 MP4", ".mov": "ProRes 4444 with alpha"}
"""What ``-o`` writes, by suffix; anything else is refused (see :func:`check_output_suffix`)."""


def check_output_suffix(path: str | Path) -> None:
    """Refuse an edited-video path whose suffix names a format ``-o`` does not write.

    Raises:
        RenderError: one line naming the formats that are written (and ``--alpha`` for WebM).
    """
    suffix = Path(path).suffix.lower()
    if suffix and suffix not in OUTPUT_SUFFIXES:
        kinds = ", ".join(f"{k} ({v})" for k, v in OUTPUT_SUFFIXES.items())
        raise RenderError(
            f"{path}: can't write {suffix} video; the edited video can be {kinds}; for WebM "
            "with alpha or PNG frames use --alpha OUT.webm|FOLDER"
        )


class PngSequenceWriter:
    """RGBA PNG files ``frame_000000.png`` … in a folder, plus ``times.txt`` (seconds per frame).

    The folder is built under a temporary name and renamed into place when complete; it carries a
    marker file (:data:`~backdrop.render.files.FRAMES_MARKER`) so a later run knows Backdrop wrote
    it. An existing folder is replaced only when it is empty or such a frames folder and
    ``replace`` is set; any other folder is refused up front and never deleted.
    """

    def __init__(self, folder: str | Path, replace: bool = False) -> None:
        self.path = Path(folder)
        if self.path.exists():
            if not self.path.is_dir():
                raise RenderError(f"{self.path} is a file; the PNG frames need a folder name")
            if any(self.path.iterdir()):
                if not (self.path / FRAMES_MARKER).is_file():
                    raise RenderError(
                        f"{self.path} is a folder that is not empty and was not written by "
                        "Backdrop; choose a new folder name (nothing was changed)"
                    )
                if not replace:
                    raise RenderError(
                        f"{self.path} holds frames from an earlier run; add --force to replace them"
                    )
        self._out = _make_tmp(self.path)
        self._tmp = self._out.tmp
        try:
            self._tmp.mkdir()
            (self._tmp / FRAMES_MARKER).write_text("written by Backdrop\n")
        except OSError as e:
            self._out.discard()
            raise os_error(e, self.path) from e
        self._times: list[float] = []
        self.frames = 0
        self._closed = False

    def write(self, rgb: np.ndarray, t: float, alpha: np.ndarray | None = None) -> None:
        a = np.full(rgb.shape[:2], 255, np.uint8) if alpha is None else _to_u8(alpha)
        bgra = cv2.cvtColor(np.dstack([rgb, a]), cv2.COLOR_RGBA2BGRA)
        name = self._tmp / f"frame_{self.frames:06d}.png"
        ok, buf = cv2.imencode(".png", bgra, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise RenderError(f"{self.path}: could not encode a PNG frame")
        try:
            name.write_bytes(buf.tobytes())
        except OSError as e:
            raise os_error(e, self.path) from e
        self._times.append(t)
        self.frames += 1

    def close(self) -> Path:
        if self._closed:
            return self.path
        try:
            (self._tmp / "times.txt").write_text("".join(f"{t:.6f}\n" for t in self._times))
            self._out.commit(replace=replace_into)
        except PathError as e:
            self.abort()
            raise RenderError(str(e)) from e
        except OSError as e:
            self.abort()
            raise os_error(e, self.path) from e
        self._closed = True
        return self.path

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            self._out.discard()
