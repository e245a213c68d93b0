"""Shared fixtures: small videos generated on the spot, and paths to the project's real media."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "examples" / "sample.mp4"
SHARED_MEDIA = ROOT.parent / "shared" / "media"


def _pattern(i: int, w: int, h: int) -> np.ndarray:
    """A frame whose content tells its index: a bright square moving left→right on grey."""
    img = np.full((h, w, 3), 90, np.uint8)
    s = max(2, min(w, h) // 5)
    x = (i * 7) % max(1, w - s)
    img[h // 3 : h // 3 + s, x : x + s] = (250, 40, 40)
    img[:4, :4] = (0, 255, 0)  # top-left marker (for rotation checks)
    return img


def write_video(
    path: Path,
    width: int = 160,
    height: int = 96,
    fps: float = 25.0,
    frames: int = 25,
    audio: bool = True,
    times: Sequence[float] | None = None,
    rotation: int = 0,
    codec: str = "libx264",
    frame_fn: Callable[[int, int, int], np.ndarray] = _pattern,
    tone_hz: float = 440.0,
    audio_rate: int = 44_100,
) -> Path:
    """Encode a small test video. ``times`` (seconds) gives explicit, possibly uneven, frame
    times (variable frame rate); ``rotation`` is stored as display-matrix metadata; audio is a
    sine tone of ``tone_hz`` as long as the video."""
    fmt = "matroska" if codec in ("ffv1", "png") else "mp4"
    container = av.open(str(path), "w", format=fmt)
    tb = Fraction(1, 90_000)
    vs = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    vs.width, vs.height = width, height
    vs.pix_fmt = {"libx264": "yuv420p", "ffv1": "yuv444p", "png": "rgb24"}[codec]
    vs.time_base = tb
    vs.codec_context.time_base = tb
    if codec == "libx264":
        vs.options = {"preset": "ultrafast", "crf": "18"}
    if rotation:
        vs.set_display_rotation(rotation)
    a_stream = None
    if audio:
        a_stream = container.add_stream("aac", rate=audio_rate)
        a_stream.layout = "mono"
    ts = list(times) if times is not None else [i / fps for i in range(frames)]
    for i, t in enumerate(ts):
        frame = av.VideoFrame.from_ndarray(frame_fn(i, width, height), format="rgb24")
        frame.pts = int(round(t / tb))
        frame.time_base = tb
        for p in vs.encode(frame):
            container.mux(p)
    for p in vs.encode(None):
        container.mux(p)
    if a_stream is not None:
        dur = (ts[-1] if ts else 0.0) + 1.0 / fps
        n = int(dur * audio_rate)
        tone = (0.3 * np.sin(2 * np.pi * tone_hz * np.arange(n) / audio_rate)).astype(np.float32)
        step = 1024
        for k in range(0, n, step):
            af = av.AudioFrame.from_ndarray(tone[None, k : k + step], format="fltp", layout="mono")
            af.sample_rate = audio_rate
            af.pts = k
            af.time_base = Fraction(1, audio_rate)
            for p in a_stream.encode(af):
                container.mux(p)
        for p in a_stream.encode(None):
            container.mux(p)
    container.close()
    return path


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(name: str | None = None, **kw: object) -> Path:
        suffix = ".mkv" if kw.get("codec") in ("ffv1", "png") else ".mp4"
        return write_video(tmp_path / (name or f"clip{next(counter)}{suffix}"), **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def sample() -> Path:
    assert SAMPLE.exists(), f"{SAMPLE} is part of the project and must exist"
    return SAMPLE
