"""The PyAV reader: 200 ms chunks, timestamps, audio, VFR, rotation, odd sizes, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backdrop.perception.core.media import AUDIO_RATE, MediaError, iter_frames, probe, read_chunks


def test_chunks_cover_frames_and_audio(make_video) -> None:
    path = make_video(width=160, height=96, fps=25, frames=50, audio=True)
    info = probe(path)
    assert (info.width, info.height) == (160, 96)
    assert info.has_audio and info.audio_codec == "aac"
    assert info.duration == pytest.approx(2.0, abs=0.1)
    chunks = list(read_chunks(path))
    assert [c.index for c in chunks] == list(range(len(chunks)))
    times = np.concatenate([c.frame_times for c in chunks])
    assert len(times) == 50
    np.testing.assert_allclose(times, np.arange(50) / 25, atol=1e-3)
    for c in chunks:
        assert c.t1 - c.t0 == pytest.approx(0.2)
        assert c.frames.shape[1:] == (96, 160, 3) and c.frames.dtype == np.uint8
        assert len(c.frames) == len(c.frame_times)
        assert np.all((c.frame_times >= c.t0) & (c.frame_times < c.t1))
        assert c.audio is not None and c.audio.dtype == np.float32
        assert c.audio.shape == (int(0.2 * AUDIO_RATE),)
    # the tone is there, at the right pitch (440 Hz)
    audio = np.concatenate([c.audio for c in chunks[1:-1]])
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = np.argmax(spectrum) * AUDIO_RATE / len(audio)
    assert peak_hz == pytest.approx(440, abs=5)


def test_no_audio_track(make_video) -> None:
    path = make_video(audio=False, frames=10)
    assert not probe(path).has_audio
    chunks = list(read_chunks(path))
    assert all(c.audio is None for c in chunks)
    assert sum(len(c.frames) for c in chunks) == 10


def test_variable_frame_rate_times_kept(make_video) -> None:
    times = [0.0, 0.04, 0.08, 0.5, 0.52, 0.9, 1.4, 1.41]
    path = make_video(times=times, audio=False)
    got = [t for t, _ in iter_frames(path)]
    np.testing.assert_allclose(got, times, atol=1e-3)
    chunks = list(read_chunks(path))
    # a gap in a VFR file gives chunks with no frames, and time still advances 200 ms a chunk
    assert any(len(c.frames) == 0 for c in chunks)
    assert chunks[-1].t0 == pytest.approx(1.4)


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_metadata_applied(make_video, rotation: int) -> None:
    path = make_video(width=160, height=96, frames=3, audio=False, rotation=rotation)
    info = probe(path)
    if rotation % 180:
        assert (info.width, info.height) == (96, 160)
    else:
        assert (info.width, info.height) == (160, 96)
    _, img = next(iter_frames(path))
    assert img.shape == (info.height, info.width, 3)
    # the green top-left marker of the stored frame moved to another corner
    corners = {
        "tl": img[:3, :3],
        "tr": img[:3, -3:],
        "bl": img[-3:, :3],
        "br": img[-3:, -3:],
    }
    green = [k for k, v in corners.items() if v[..., 1].mean() > 200 and v[..., 0].mean() < 60]
    assert green and green != ["tl"]


def test_odd_size(make_video) -> None:
    path = make_video(width=177, height=101, frames=5, audio=False, codec="ffv1")
    info = probe(path)
    assert (info.width, info.height) == (177, 101)
    frames = [f for _, f in iter_frames(path)]
    assert frames[0].shape == (101, 177, 3)


def test_scaled_reading(make_video) -> None:
    path = make_video(width=160, height=96, frames=5, audio=False)
    chunk = next(read_chunks(path, size=(80, 48)))
    assert chunk.frames.shape[1:] == (48, 80, 3)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"this is not a video at all" * 100, "not a readable video"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, needle: str) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(MediaError, match=needle) as e:
        probe(bad)
    assert "\n" not in str(e.value)


def test_missing_and_truncated(tmp_path: Path, make_video) -> None:
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "nope.mp4")
    good = make_video(frames=30)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(MediaError):
        list(read_chunks(cut))


def test_audio_only_file_refused(tmp_path: Path) -> None:
    import av

    path = tmp_path / "tone.m4a"
    c = av.open(str(path), "w", format="mp4")
    s = c.add_stream("aac", rate=16000)
    s.layout = "mono"
    af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
    af.sample_rate = 16000
    for p in s.encode(af):
        c.mux(p)
    for p in s.encode(None):
        c.mux(p)
    c.close()
    with pytest.raises(MediaError, match="no video track"):
        probe(path)
