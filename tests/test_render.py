"""Compositing and output: backgrounds, fades, time ranges, audio, alpha outputs, atomic writes.

These use a known mask (the left half of the frame is the "person") so the compositing maths is
checked exactly; tests/test_end_to_end.py runs the real segmenter on real footage.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from backdrop.perception.core.media import AUDIO_RATE, iter_frames, probe, read_chunks
from backdrop.render.pipeline import render_video
from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    ColorBackground,
    EdgeSettings,
    EditPlan,
    Fade,
    GradientBackground,
    ImageBackground,
    KeepRule,
    TimeRange,
    TransparentBackground,
    VideoBackground,
)
from backdrop.render.writer import RenderError

BLUE = "#0000ff"
HARD_EDGES = EdgeSettings(feather=0, refine="none")


class HalfMasker:
    """The left half of every frame is the subject."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, frame: np.ndarray, t: float = 0.0) -> np.ndarray:
        self.calls += 1
        m = np.zeros(frame.shape[:2], np.float32)
        m[:, : frame.shape[1] // 2] = 1.0
        return m

    def reset(self) -> None:
        pass


def flat(i: int, w: int, h: int) -> np.ndarray:
    return np.full((h, w, 3), 128, np.uint8)


def plan_with(*segments: BackgroundSegment, keep: bool = True) -> EditPlan:
    return EditPlan(keep=[KeepRule()] if keep else [], backgrounds=list(segments), edges=HARD_EDGES)


def frames_of(path: Path) -> list[tuple[float, np.ndarray]]:
    return list(iter_frames(path))


def right_half_blueness(img: np.ndarray) -> float:
    """0 for the grey source, 1 for pure blue, measured on the right (background) half."""
    right = img[:, img.shape[1] * 3 // 4 :].astype(np.float32)
    return float((right[..., 2].mean() - right[..., 0].mean()) / 255.0)


def test_colour_background_replaces_only_background(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, frames=10)
    out = tmp_path / "out.mp4"
    plan = plan_with(BackgroundSegment(background=ColorBackground(color=BLUE)))
    stats = render_video(src, plan, out, masker=HalfMasker())
    assert stats.frames == 10 and out.exists()
    for _, img in frames_of(out):
        left = img[:, : img.shape[1] // 4].astype(int)
        assert np.abs(left - 128).mean() < 4  # the subject is untouched
        assert right_half_blueness(img) > 0.9  # the background is blue


def test_fade_in_ramps_monotonically(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, fps=25, frames=50, audio=False)
    out = tmp_path / "fade.mp4"
    seg = BackgroundSegment(background=ColorBackground(color=BLUE), fade_in=Fade(duration=1.0))
    render_video(src, plan_with(seg), out, masker=HalfMasker())
    got = [(t, right_half_blueness(img)) for t, img in frames_of(out)]
    values = [b for _, b in got]
    assert values[0] < 0.03
    assert all(b2 >= b1 - 0.01 for b1, b2 in zip(values, values[1:], strict=False))
    for t, b in got:
        expected = min(t / 1.0, 1.0) * (255 - 0) / 255.0 * (1.0 - 0.0)
        # grey (128,128,128) → blue (0,0,255): blueness = w·(255)/255
        assert b == pytest.approx(expected, abs=0.05), t
    assert values[-1] > 0.95


def test_fade_out_and_time_range(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, fps=25, frames=50, audio=False)  # 2 s
    out = tmp_path / "range.mp4"
    seg = BackgroundSegment(
        background=ColorBackground(color=BLUE),
        range=TimeRange(start=0.4, end=1.6),
        fade_out=Fade(duration=0.4),
    )
    render_video(src, plan_with(seg), out, masker=HalfMasker())
    for t, img in frames_of(out):
        b = right_half_blueness(img)
        if t < 0.4 - 1e-6 or t >= 1.6:
            assert b < 0.03, t
        elif t < 1.2:
            assert b > 0.9, t
        else:
            assert b == pytest.approx((1.6 - t) / 0.4, abs=0.06), t


def test_relative_time_range_last_half_second(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, fps=25, frames=50, audio=False)  # 2 s
    out = tmp_path / "last.mp4"
    seg = BackgroundSegment(background=ColorBackground(color=BLUE), range=TimeRange(start=-0.5))
    render_video(src, plan_with(seg), out, masker=HalfMasker())
    for t, img in frames_of(out):
        assert (right_half_blueness(img) > 0.9) == (t >= 1.5 - 1e-6), t


def test_audio_preserved_in_sync(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, fps=25, frames=75, audio=True, tone_hz=440.0)
    out = tmp_path / "audio.mp4"
    render_video(
        src, plan_with(BackgroundSegment(background=ColorBackground(color=BLUE))), out,
        masker=HalfMasker(),
    )  # fmt: skip
    info_in, info_out = probe(src), probe(out)
    assert info_out.has_audio and info_out.audio_codec == "aac"
    assert info_out.duration == pytest.approx(info_in.duration, abs=0.06)
    with av.open(str(out)) as c:
        a = c.streams.audio[0]
        v = c.streams.video[0]
        a_start = float(a.start_time * a.time_base) if a.start_time else 0.0
        v_start = float(v.start_time * v.time_base) if v.start_time else 0.0
        assert abs(a_start - v_start) < 0.03
    audio = np.concatenate([c.audio for c in read_chunks(out) if c.audio is not None])
    ref = np.concatenate([c.audio for c in read_chunks(src) if c.audio is not None])
    n = min(len(audio), len(ref))
    assert n > 2.5 * AUDIO_RATE
    # identical stream copy: same samples, no offset
    corr = np.corrcoef(audio[: n - 1000], ref[: n - 1000])[0, 1]
    assert corr > 0.99


def test_no_audio_source_gives_silent_output(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, frames=10, audio=False)
    out = tmp_path / "silent.mp4"
    render_video(src, plan_with(BackgroundSegment(background=BlurBackground())), out,
                 masker=HalfMasker())  # fmt: skip
    assert not probe(out).has_audio


def test_frames_and_vfr_timestamps_kept(make_video, tmp_path: Path) -> None:
    times = [0.0, 0.04, 0.08, 0.5, 0.52, 0.9, 1.4, 1.44]
    src = make_video(frame_fn=flat, times=times, audio=False)
    out = tmp_path / "vfr.mp4"
    render_video(src, plan_with(BackgroundSegment(background=ColorBackground(color=BLUE))), out,
                 masker=HalfMasker())  # fmt: skip
    got = [t for t, _ in iter_frames(out)]
    np.testing.assert_allclose(got, times, atol=2e-3)


def test_odd_size_padded_to_even(make_video, tmp_path: Path) -> None:
    src = make_video(width=101, height=75, frames=5, audio=False, codec="ffv1")
    out = tmp_path / "odd.mp4"
    render_video(src, plan_with(BackgroundSegment(background=ColorBackground(color=BLUE))), out,
                 masker=HalfMasker())  # fmt: skip
    info = probe(out)
    assert (info.width, info.height) == (102, 76)


def test_transparent_background_alpha_outputs(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, frames=10, audio=True)
    out, webm, pngs = tmp_path / "t.mp4", tmp_path / "t.webm", tmp_path / "frames"
    plan = plan_with(BackgroundSegment(background=TransparentBackground(matte="#000000")))
    render_video(src, plan, out, alpha=webm, masker=HalfMasker())
    render_video(src, plan, None, alpha=pngs, masker=HalfMasker())
    # opaque output: background is the matte colour
    _, img = frames_of(out)[3]
    assert img[:, -20:].mean() < 10
    # WebM keeps the alpha channel (VP9 alpha side data, decoded with libvpx)
    with av.open(str(webm)) as c:
        vs = c.streams.video[0]
        dec = av.CodecContext.create("libvpx-vp9", "r")
        rgba = None
        for packet in c.demux(vs):
            for frame in dec.decode(packet):
                rgba = frame.to_ndarray(format="rgba")
                break
            if rgba is not None:
                break
    assert rgba is not None
    w = rgba.shape[1]
    assert rgba[:, : w // 4, 3].mean() > 240 and rgba[:, -w // 4 :, 3].mean() < 15
    assert probe(webm).has_audio  # audio transcoded to Opus
    # PNG sequence: one RGBA file per frame plus the frame times
    files = sorted(pngs.glob("frame_*.png"))
    assert len(files) == 10
    assert len((pngs / "times.txt").read_text().split()) == 10
    import cv2

    bgra = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)
    assert bgra.shape[2] == 4
    assert bgra[:, :10, 3].min() == 255 and bgra[:, -10:, 3].max() == 0


def test_gradient_and_blur_and_image_backgrounds(make_video, tmp_path: Path) -> None:
    import cv2

    src = make_video(frames=5, audio=False, width=160, height=96)
    img_path = tmp_path / "bg.png"
    pattern = np.zeros((50, 300, 3), np.uint8)
    pattern[:, :150] = (0, 200, 0)
    cv2.imwrite(str(img_path), pattern)  # BGR green left, black right
    grad = GradientBackground(colors=["#ff0000", "#0000ff"], angle=0)  # left→right
    cases = {
        "grad": grad,
        "image": ImageBackground(path=str(img_path)),
        "blur": BlurBackground(strength=1.0),
    }
    results = {}
    for name, bg in cases.items():
        out = tmp_path / f"{name}.mp4"
        render_video(src, plan_with(BackgroundSegment(background=bg), keep=False), out)
        results[name] = frames_of(out)[2][1].astype(int)
    g = results["grad"]
    assert g[48, 2, 0] > 200 and g[48, 2, 2] < 50  # red at the left
    assert g[48, -3, 2] > 200 and g[48, -3, 0] < 50  # blue at the right
    im = results["image"]  # covers the frame, centred: left green (from BGR), right black
    assert im[48, 10, 1] > 150 and im[48, -10].max() < 30
    b = results["blur"]
    src_frame = frames_of(src)[2][1].astype(int)
    # blur spreads the sharp red square: less contrast than the source
    assert b[..., 0].std() < src_frame[..., 0].std() * 0.8


def test_video_background_follows_time(make_video, tmp_path: Path) -> None:
    def level(i: int, w: int, h: int) -> np.ndarray:
        return np.full((h, w, 3), 20 + 20 * i, np.uint8)

    bgv = make_video(name="bg.mp4", frame_fn=level, fps=10, frames=5, audio=False)  # 0.5 s
    src = make_video(frame_fn=flat, fps=10, frames=10, audio=False)  # 1 s: bg loops once
    out = tmp_path / "v.mp4"
    plan = plan_with(BackgroundSegment(background=VideoBackground(path=str(bgv))), keep=False)
    render_video(src, plan, out)
    got = [int(img.mean()) for _, img in frames_of(out)]
    expect = [20 + 20 * (i % 5) for i in range(10)]
    assert np.allclose(got, expect, atol=6), f"{got} {expect}"


def test_missing_background_file_fails_before_writing(make_video, tmp_path: Path) -> None:
    src = make_video(frames=5, audio=False)
    out = tmp_path / "x.mp4"
    plan = plan_with(BackgroundSegment(background=ImageBackground(path=str(tmp_path / "no.jpg"))))
    with pytest.raises(RenderError, match="no such file"):
        render_video(src, plan, out, masker=HalfMasker())
    assert list(tmp_path.glob("*x*")) == []


class ExplodingMasker(HalfMasker):
    def __call__(self, frame: np.ndarray, t: float = 0.0) -> np.ndarray:
        if self.calls == 5:
            raise RuntimeError("boom")
        return super().__call__(frame, t)


def test_failure_midway_keeps_existing_output(make_video, tmp_path: Path) -> None:
    src = make_video(frames=20, audio=True)
    out, webm = tmp_path / "keep.mp4", tmp_path / "keep.webm"
    out.write_bytes(b"previous good output")
    plan = plan_with(BackgroundSegment(background=ColorBackground(color=BLUE)))
    with pytest.raises(RuntimeError, match="boom"):
        render_video(src, plan, out, alpha=webm, masker=ExplodingMasker())
    assert out.read_bytes() == b"previous good output"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, "keep.mp4"])


def test_mask_only_computed_when_needed(make_video, tmp_path: Path) -> None:
    src = make_video(frame_fn=flat, fps=25, frames=50, audio=False)
    seg = BackgroundSegment(background=ColorBackground(color=BLUE), range=TimeRange(end=0.4))
    masker = HalfMasker()
    stats = render_video(src, plan_with(seg), tmp_path / "m.mp4", masker=masker)
    assert masker.calls == stats.segmented == 10
