"""The preview tier's fast paths give the same pictures as the plain ones (issue 14).

Compositing straight into I420 planes (what x264 encodes) must give the frame that compositing in
RGB and converting gives, within the rounding and 2×2 chroma averaging of 4:2:0; the MP4 writer's
I420 entry must encode what its RGB entry does. No test here times anything.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames
from backdrop.render import pipeline
from backdrop.render.compose import Compositor
from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    EditPlan,
    Fade,
    GradientBackground,
    KeepRule,
)
from backdrop.render.writer import Mp4Writer


def _frame(w: int = 320, h: int = 180, seed: int = 0) -> np.ndarray:
    """A textured frame with a bright figure in the middle (RGB uint8)."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    cv2.ellipse(img, (w // 2, h // 2), (w // 8, h // 3), 0, 0, 360, (230, 190, 150), -1)
    return img


def _mask(w: int = 320, h: int = 180) -> np.ndarray:
    """A soft person-like mask at a lower resolution than the frame (as maskers give)."""
    m = np.zeros((h // 2, w // 2), np.float32)
    cv2.ellipse(m, (w // 4, h // 4), (w // 16, h // 6), 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(m, (0, 0), 2)


def _plan(bg: object, fade: float | None = None) -> EditPlan:
    seg = BackgroundSegment(background=bg, fade_in=Fade(duration=fade) if fade else None)
    return EditPlan(keep=[KeepRule()], backgrounds=[seg])


def _planes(i420: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """(Y, U and V stacked) of a cv2-layout I420 buffer, as int arrays."""
    return i420[:h].astype(int), i420[h:].astype(int)


@pytest.mark.parametrize(
    ("bg", "t", "fade"),
    [
        (GradientBackground(colors=["#1d4ed8", "#7e22ce"]), 5.0, None),  # full strength
        (GradientBackground(colors=["#10b981", "#f59e0b"]), 0.7, 2.0),  # mid fade: w = 0.35
        (BlurBackground(strength=0.6), 5.0, None),  # a background made from each frame
    ],
)
def test_i420_composite_matches_rgb_composite(bg: object, t: float, fade: float | None) -> None:
    frame, mask = _frame(), _mask()
    h = frame.shape[0]
    comp = Compositor(_plan(bg, fade), frame.shape[1], h, 10.0)
    rgb = comp.compose(frame, t, mask)
    yuv = comp.compose_i420(frame, t, mask)
    assert yuv.rgb is None and yuv.i420 is not None and yuv.i420.shape == (h * 3 // 2, 320)
    np.testing.assert_allclose(yuv.keep, rgb.keep, atol=1e-6)  # the same alpha for alpha outputs
    ref = cv2.cvtColor(rgb.rgb, cv2.COLOR_RGB2YUV_I420)
    (y, uv), (y_ref, uv_ref) = _planes(yuv.i420, h), _planes(ref, h)
    assert np.abs(y - y_ref).max() <= 2  # luma: rounding only
    # chroma: the average of a product over 2×2 pixels differs from the product of averages
    # only where the alpha and the picture both change inside one chroma sample (the edge)
    d = np.abs(uv - uv_ref)
    assert d.mean() < 0.3
    assert (d > 4).mean() < 0.01


def test_i420_composite_unedited_and_quality_frames() -> None:
    """Before the fade starts the frame is the source's; with decontaminated edges the subject's
    own colour is blended as planes, within rounding (luma) of converting the RGB composite,
    at full strength and in the fade, and the colour alpha outputs carry is the RGB path's."""
    frame, mask = _frame(seed=1), _mask()
    h = frame.shape[0]
    plan = _plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]), 2.0)
    comp = Compositor(plan, 320, h, 10.0)
    none = comp.compose_i420(frame, 0.0, None)  # weight 0 at t = 0: nothing to blend
    assert np.array_equal(none.i420, cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420))
    quality = Compositor(plan, 320, h, 10.0, quality=True)
    for t in (5.0, 1.0):  # full strength, then mid fade (w = 0.5)
        q, ref = quality.compose_i420(frame, t, mask), quality.compose(frame, t, mask)
        assert q.rgb is None and ref.fg is not None and q.fg is not None
        assert np.abs(q.fg.astype(int) - ref.fg.astype(int)).max() <= 1
        np.testing.assert_allclose(q.keep, ref.keep, atol=1e-6)
        (y, uv), (y_ref, uv_ref) = (
            _planes(q.i420, h),
            _planes(cv2.cvtColor(ref.rgb, cv2.COLOR_RGB2YUV_I420), h),
        )
        assert np.abs(y - y_ref).max() <= 2
        d = np.abs(uv - uv_ref)  # in the fade rounded twice (blend, then mix): ±1 on noise
        assert d.mean() < 0.5 and (d > 4).mean() < 0.01
    with pytest.raises(ValueError, match="even"):
        comp.compose_i420(frame[:-1], 5.0, mask)


def test_mp4_writer_i420_entry_encodes_what_the_rgb_entry_does(tmp_path: Path) -> None:
    frames = [_frame(seed=i) for i in range(6)]
    a, b = tmp_path / "rgb.mp4", tmp_path / "yuv.mp4"
    with Mp4Writer(a, 320, 180, 25.0, crf=0, preset="ultrafast") as wa:
        for i, f in enumerate(frames):
            wa.write(f, i / 25)
    with Mp4Writer(b, 320, 180, 25.0, crf=0, preset="ultrafast") as wb:
        for i, f in enumerate(frames):
            wb.write_i420(cv2.cvtColor(f, cv2.COLOR_RGB2YUV_I420), i / 25)
        with pytest.raises(ValueError, match="shape"):
            wb.write_i420(np.zeros((10, 10), np.uint8), 1.0)

    def planes(p: Path) -> list[np.ndarray]:
        with av.open(str(p)) as c:
            return [f.to_ndarray(format="yuv420p") for f in c.decode(video=0)]

    pa, pb = planes(a), planes(b)
    assert len(pa) == len(pb) == 6
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb, strict=True))


class _Ellipse:
    """A fixed soft mask (no model), with the masker protocol."""

    def __call__(self, frame: np.ndarray, t: float = 0.0) -> np.ndarray:
        h, w = frame.shape[:2]
        return cv2.resize(_mask(), (w, h))

    def reset(self) -> None:
        pass


def test_render_video_i420_path_matches_rgb_path(make_video, tmp_path: Path, monkeypatch) -> None:
    """The whole render (MP4, even size) through the I420 path gives the video the RGB path
    gives, within the encoder's and 4:2:0's rounding."""
    src = make_video(width=320, height=180, frames=12, frame_fn=lambda i, w, h: _frame(w, h, i))
    plan = _plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]), 0.2)
    fast = tmp_path / "fast.mp4"
    pipeline.render_video(src, plan, fast, masker=_Ellipse(), quality=False, crf=10)
    monkeypatch.setattr(pipeline, "_wants_i420", lambda info, size: False)
    slow = tmp_path / "slow.mp4"
    pipeline.render_video(src, plan, slow, masker=_Ellipse(), quality=False, crf=10)
    fa, fb = list(iter_frames(fast)), list(iter_frames(slow))
    assert len(fa) == len(fb) == 12
    for (ta, ia), (tb, ib) in zip(fa, fb, strict=True):
        assert ta == pytest.approx(tb)
        assert np.abs(ia.astype(int) - ib.astype(int)).mean() < 1.5


def _gop_video(path: Path, frames: int = 60, fps: float = 25.0) -> Path:
    """A small H.264 clip with B-frames (referenced and not) and a keyframe every 12 frames."""
    from fractions import Fraction

    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        vs.width, vs.height, vs.pix_fmt = 160, 96, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "20", "g": "12", "bf": "3", "sc_threshold": "0"}
        for i in range(frames):
            img = _frame(160, 96, seed=i)
            cv2.putText(img, str(i), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 0), 3)
            for p in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
    return path


@pytest.mark.parametrize("indexed", [True, False])
def test_seek_reader_gives_read_frame_at_frames_in_any_scrub_order(
    tmp_path: Path, monkeypatch, indexed: bool
) -> None:
    """Forward within a keyframe interval (decoding on), across keyframes, backwards, before
    the start and past the end: the same frame and time as a fresh seek-and-decode, with the
    keyframe index and before it is ready."""
    import time

    from backdrop.perception.core.media import read_frame_at
    from backdrop.render.preview import SeekReader

    src = _gop_video(tmp_path / "gop.mp4")
    if not indexed:
        monkeypatch.setattr(SeekReader, "_index", lambda self: None)
    reader = SeekReader(src, (80, 48))
    deadline = time.monotonic() + 30
    while indexed and reader._keys is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (reader._keys is not None) == indexed
    if indexed:
        assert reader._keys == pytest.approx([0.0, 0.48, 0.96, 1.44, 1.92])  # every 12th frame
    times = [0.0, 0.05, 0.3, 0.31, 0.9, 1.7, 1.72, 0.5, 0.52, 2.2, 2.39, 5.0, 0.0, -1.0, 1.1]
    for t in times:
        fa, a = read_frame_at(src, t, size=(80, 48))
        fb, b = reader.frame_at(t)
        assert fb == pytest.approx(fa, abs=1e-6), t
        assert b.shape == a.shape == (48, 80, 3)
        assert np.array_equal(a, b), t
    reader.close()


def test_seek_reader_applies_rotation(make_video) -> None:
    from backdrop.perception.core.media import read_frame_at
    from backdrop.render.preview import SeekReader

    src = make_video(width=96, height=64, frames=10, rotation=90)
    reader = SeekReader(src)
    for t in (0.0, 0.2, 0.1):
        fa, a = read_frame_at(src, t)
        fb, b = reader.frame_at(t)
        assert fb == pytest.approx(fa) and np.array_equal(a, b)
    assert b.shape[:2] == (96, 64)  # shown upright: the stored 96×64 turned a quarter
    reader.close()


def test_scaled_outputs_scale_only_what_each_writer_reads(
    make_video, tmp_path: Path, monkeypatch
) -> None:
    """With ``size``, the MP4 gets the scaled picture, alpha outputs the scaled colour and
    alpha; parts no writer reads are not scaled (an MP4 alone scales one image per frame)."""
    from backdrop.perception.core.media import probe

    src = make_video(width=320, height=180, frames=6, frame_fn=lambda i, w, h: _frame(w, h, i))
    plan = _plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]))
    calls: list[tuple[int, ...]] = []
    scale, scale_i420 = pipeline._scale, pipeline._scale_i420
    monkeypatch.setattr(pipeline, "_scale", lambda a, size: calls.append(a.shape) or scale(a, size))
    monkeypatch.setattr(
        pipeline, "_scale_i420", lambda a, size: calls.append(a.shape) or scale_i420(a, size)
    )
    pipeline.render_video(src, plan, tmp_path / "a.mp4", masker=_Ellipse(), size=(160, 90))
    assert len(calls) == 6 and all(c == (270, 320) for c in calls)  # the picture only, as I420
    calls.clear()
    pipeline.render_video(
        src, plan, tmp_path / "b.mp4", alpha=tmp_path / "b.webm", masker=_Ellipse(), size=(160, 90)
    )
    assert len(calls) == 18  # picture, colour, alpha
    calls.clear()
    pipeline.render_video(src, plan, tmp_path / "c.mov", masker=_Ellipse(), size=(160, 90))
    assert len(calls) == 12 and sorted({len(c) for c in calls}) == [2, 3]  # picture and alpha
    for name in ("a.mp4", "b.mp4", "b.webm", "c.mov"):
        info = probe(tmp_path / name)
        assert (info.width, info.height) == (160, 90), name


def test_a_scaled_export_through_i420_planes_matches_the_rgb_scaled_one(
    make_video, tmp_path: Path, monkeypatch
) -> None:
    """Scaling the composite's I420 planes (up and down) gives the picture that scaling the RGB
    composite and converting it gives, within a few grey levels (chroma is 4:2:0 either way)."""
    src = make_video(width=320, height=180, frames=4, frame_fn=lambda i, w, h: _frame(w, h, i))
    plan = _plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]))
    for size in ((640, 360), (160, 90)):
        pipeline.render_video(src, plan, tmp_path / "planes.mp4", masker=_Ellipse(), size=size)
        with monkeypatch.context() as m:
            m.setattr(pipeline, "_wants_i420", lambda info, size: False)
            pipeline.render_video(src, plan, tmp_path / "rgb.mp4", masker=_Ellipse(), size=size)
        a = [f for _, f in iter_frames(tmp_path / "planes.mp4")]
        b = [f for _, f in iter_frames(tmp_path / "rgb.mp4")]
        assert len(a) == len(b) == 4 and a[0].shape == (size[1], size[0], 3)
        diff = np.abs(np.stack(a).astype(int) - np.stack(b).astype(int))
        assert diff.mean() < 2.5 and np.percentile(diff, 99) < 20, (size, diff.mean())


def test_refined_frames_are_written_as_they_are_through_the_i420_path(
    make_video, tmp_path: Path
) -> None:
    """Frames the refine worker made replace the composite on the I420 path too (MP4 only)."""
    src = make_video(width=320, height=180, frames=8, frame_fn=lambda i, w, h: _frame(w, h, i))
    plan = _plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]))
    red = np.zeros((180, 320, 3), np.uint8)
    red[..., 0] = 220

    def refined(t: float) -> np.ndarray | None:
        return red if t < 0.11 else None  # the first 3 frames (25 fps)

    out = tmp_path / "r.mp4"
    stats = pipeline.render_video(src, plan, out, masker=_Ellipse(), quality=False, refined=refined)
    assert stats.refined == 3
    frames = [img for _, img in iter_frames(out)]
    assert all(np.abs(f.astype(int) - red).mean() < 4 for f in frames[:3])
    assert all(np.abs(f.astype(int) - red).mean() > 40 for f in frames[3:])


def _x264_options(path: Path) -> dict[str, str]:
    """The settings x264 wrote into the stream it encoded (its SEI text, ``key=value`` pairs)."""
    import re

    m = re.search(rb"options: ([ -~]+)", path.read_bytes())
    assert m is not None, f"{path}: no x264 settings found"
    return dict(kv.split("=", 1) for kv in m.group(1).decode().split() if "=" in kv)


def test_the_preview_tier_and_enlarged_exports_use_cheaper_x264_settings(
    make_video, tmp_path: Path
) -> None:
    """The preview tier (``quality=False``) encodes with x264's ultrafast preset, exports with
    veryfast; an export scaled up drops veryfast's sub-pel refinement and sub-8×8 partitions,
    one scaled down or unscaled keeps veryfast as it is; an explicit preset is obeyed."""
    src = make_video(width=320, height=180, frames=8, frame_fn=lambda i, w, h: _frame(w, h, i))
    plan = _plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]))
    runs = {
        "preview": {"quality": False},
        "export": {},
        "up": {"size": (640, 360)},
        "down": {"size": (160, 90)},
        "asked": {"quality": False, "preset": "veryfast"},
    }
    opts = {}
    for name, kw in runs.items():
        pipeline.render_video(src, plan, tmp_path / f"{name}.mp4", masker=_Ellipse(), **kw)
        opts[name] = _x264_options(tmp_path / f"{name}.mp4")
    assert opts["preview"]["cabac"] == "0" and opts["preview"]["subme"] == "0"  # ultrafast
    for name in ("export", "down", "asked"):
        assert (opts[name]["cabac"], opts[name]["subme"], opts[name]["me"]) == ("1", "2", "hex")
    assert (opts["up"]["cabac"], opts["up"]["subme"], opts["up"]["me"]) == ("1", "1", "dia")
    assert opts["up"]["analyse"] != opts["export"]["analyse"]  # no sub-8×8 inter partitions
    assert opts["up"]["crf"] == opts["export"]["crf"] == "20.0"


def _whole_frame_i420_blend(frame: np.ndarray, bg: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The I420 composite converted and blended over the whole frame (the code before the box)."""
    h, w = keep.shape
    src = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
    back = cv2.cvtColor(bg, cv2.COLOR_RGB2YUV_I420)
    out = np.empty_like(src)
    cv2.blendLinear(src[:h], back[:h], keep, 1.0 - keep, dst=out[:h])
    kc = cv2.resize(keep, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    n = (h // 2) * (w // 2)
    for k in (slice(0, n), slice(n, None)):
        s, b, o = (a[h:].reshape(-1)[k].reshape(h // 2, w // 2) for a in (src, back, out))
        cv2.blendLinear(s, b, kc, 1.0 - kc, dst=o)
    return out


@pytest.mark.parametrize(
    ("centre", "axes", "t"),
    [((101, 67), (23, 31), 5.0), ((160, 90), (150, 85), 5.0), ((101, 67), (23, 31), 0.7)],
)
def test_i420_composite_in_the_subjects_box_equals_the_whole_frame_blend(
    centre: tuple[int, int], axes: tuple[int, int], t: float
) -> None:
    """``compose_i420`` converts and blends only the box around ``keep > 0`` (odd box edges
    widened to even pixels; the whole frame for a wide box or mid-fade): every plane equals
    converting and blending the whole frame exactly, and outside the box it is the background."""
    w, h = 320, 180
    frame = _frame(w, h, 3)
    m = np.zeros((h, w), np.float32)
    cv2.ellipse(m, centre, axes, 0, 0, 360, 1.0, -1)
    m = cv2.GaussianBlur(m, (0, 0), 1.5)
    comp = Compositor(_plan(GradientBackground(colors=["#1d4ed8", "#7e22ce"]), 2.0), w, h, 10)
    c = comp.compose_i420(frame, t, m)
    assert c.keep is not None and c.i420 is not None and comp._bg_yuv is not None
    bg, back = comp._bg_yuv
    assert np.array_equal(c.i420, _whole_frame_i420_blend(frame, bg, c.keep))
    ys, xs = np.nonzero(c.keep > 0)
    outside = np.ones((h, w), bool)
    outside[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = False
    if outside.any():
        assert np.array_equal(c.i420[:h][outside], back[:h][outside])
