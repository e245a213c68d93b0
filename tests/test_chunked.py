"""Chunked rendering: spans, seeking, warm-up and joins match a single-process render.

These use a deterministic smoothing masker (an EMA over frames, like the real smoother) and a
lossless encode (crf 0), so any difference between a chunked and a whole render comes from the
chunking itself, not from the encoder; tests/test_batch.py runs the real segmenter on Ray.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames, probe, read_chunks
from backdrop.render.chunked import (
    Span,
    join_chunks,
    plan_spans,
    render_chunk,
    render_chunked,
    scan_frames,
)
from backdrop.render.pipeline import iter_frames_from, render_span, render_video
from backdrop.render.plan import (
    BackgroundSegment,
    ColorBackground,
    EdgeSettings,
    EditPlan,
    Fade,
    KeepRule,
    TimeRange,
)
from backdrop.render.writer import Mp4Writer, RenderError

FPS = 25.0


def moving(i: int, w: int, h: int) -> np.ndarray:
    """A bright bar sweeping across a dark frame, brightness changing with time."""
    img = np.full((h, w, 3), 40, np.uint8)
    x = (i * 3) % (w - 20)
    img[:, x : x + 20] = (200 + i % 50, 180, 160)
    return img


class EmaMasker:
    """Bright pixels are the subject; an exponential moving average carries state across
    frames (decay 0.85 per frame, like the preview smoother's slowest memory)."""

    def __init__(self) -> None:
        self.state: np.ndarray | None = None

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        raw = (frame.mean(axis=2) > 120).astype(np.float32)
        self.state = raw if self.state is None else 0.85 * self.state + 0.15 * raw
        return self.state.copy()

    def reset(self) -> None:
        self.state = None


def _plan() -> EditPlan:
    seg = BackgroundSegment(
        background=ColorBackground(color="#0000ff"),
        range=TimeRange(start=0.2, end=-0.3),
        fade_in=Fade(duration=1.5),  # ramps across the first seam
        fade_out=Fade(duration=1.0),
    )
    # raw mask edges (no refinement, no colour decontamination): the seams are what is tested
    raw = EdgeSettings(feather=0, refine="none", decontaminate=False, despill="off")
    return EditPlan(keep=[KeepRule()], backgrounds=[seg], edges=raw)


def _frames(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    pairs = list(iter_frames(path))
    return np.array([t for t, _ in pairs]), [f for _, f in pairs]


def test_spans_cover_every_frame_once_and_prefer_keyframes(make_video) -> None:
    intra = make_video(codec="ffv1", frames=100, fps=FPS, audio=False)  # every frame a key
    spans = plan_spans(intra, 1.0)
    assert [s.index for s in spans] == list(range(4))
    assert sum(s.frames for s in spans) == 100
    assert spans[0].t0 == 0.0 and spans[-1].t1 is None
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.t1 == b.t0
    assert all(s.keyframe for s in spans)

    one_key = make_video(frames=60, fps=FPS, audio=False)  # x264: one keyframe at 0
    idx = scan_frames(one_key)
    assert len(idx.times) == 60 and idx.keyframes == [0.0]
    spans = plan_spans(one_key, 1.0, index=idx)
    assert len(spans) == 2 and not spans[1].keyframe
    assert plan_spans(one_key, 100.0) == [Span(0, 0.0, None, 60, True)]
    with pytest.raises(ValueError):
        plan_spans(one_key, 0.0)


@pytest.mark.parametrize("codec", ["libx264", "ffv1"])
def test_seeking_reader_gives_the_same_frames_as_a_full_decode(make_video, codec: str) -> None:
    path = make_video(codec=codec, frames=50, fps=FPS, audio=False, frame_fn=moving)
    full = list(iter_frames(path))
    tail = list(iter_frames_from(path, full[31][0]))
    assert len(tail) == 50 - 31
    for (ta, fa), (tb, fb) in zip(full[31:], tail, strict=True):
        assert ta == tb
        assert np.array_equal(fa, fb)


def test_chunked_render_matches_single_process_frame_for_frame(make_video, tmp_path) -> None:
    # 24 fps: span starts like 0.91666… s are not whole milliseconds (MP4 edit lists are)
    src = make_video(frames=100, fps=24.0, frame_fn=moving)  # 4.2 s, with audio
    plan = _plan()
    single = tmp_path / "single.mp4"
    render_video(src, plan, single, masker=EmaMasker(), crf=0)
    spans = plan_spans(src, 0.9)
    assert len(spans) == 5
    chunked = tmp_path / "chunked.mp4"
    stats = render_chunked(src, plan, chunked, spans=spans, masker=EmaMasker(), crf=0)
    assert stats.frames == 100 and stats.outputs == [chunked]
    assert not (tmp_path / ".chunked.chunks").exists()  # chunk files are cleaned up

    a, b = probe(single), probe(chunked)
    assert (a.frame_count, a.duration, a.has_audio) == (b.frame_count, b.duration, b.has_audio)
    ta, fa = _frames(single)
    tb, fb = _frames(chunked)
    assert np.array_equal(ta, tb)  # identical timestamps, frame count
    pairs = zip(fa, fb, strict=True)
    diffs = [float(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in pairs]
    assert max(diffs) <= 2, diffs  # warm-up: (0.85)^48 of the smoother's memory is left
    audio_a = np.concatenate([c.audio for c in read_chunks(single) if c.audio is not None])
    audio_b = np.concatenate([c.audio for c in read_chunks(chunked) if c.audio is not None])
    assert np.array_equal(audio_a, audio_b)  # copied once, continuous


def test_without_warmup_the_seam_shows(make_video, tmp_path) -> None:
    """The warm-up is what carries the smoother across a seam (the test above is not vacuous)."""
    src = make_video(frames=50, fps=FPS, audio=False, frame_fn=moving)
    plan = _plan()
    single = tmp_path / "single.mp4"
    render_video(src, plan, single, masker=EmaMasker(), crf=0)
    spans = plan_spans(src, 1.0)
    chunked = tmp_path / "cold.mp4"
    render_chunked(src, plan, chunked, spans=spans, masker=EmaMasker(), crf=0, warmup=0.0)
    _, fa = _frames(single)
    _, fb = _frames(chunked)
    seam = spans[0].frames  # the first frame of the second span
    assert float(np.abs(fa[seam].astype(int) - fb[seam].astype(int)).max()) > 10


def test_finished_chunks_are_reused_and_mismatched_chunks_refused(make_video, tmp_path) -> None:
    src = make_video(frames=40, fps=FPS, audio=False, frame_fn=moving)
    plan = _plan()
    span = plan_spans(src, 0.8)[1]
    chunk = tmp_path / "c1.mp4"
    first = render_chunk(src, plan, span, chunk, masker=EmaMasker())
    again = render_chunk(src, plan, span, chunk, masker=EmaMasker())
    assert first.frames == again.frames == span.frames and again.seconds == 0.0

    other = tmp_path / "other.mp4"
    with Mp4Writer(other, 64, 48, FPS) as w:
        for i in range(30):
            w.write(np.zeros((48, 64, 3), np.uint8), 2.0 + i / FPS)
    with pytest.raises(RenderError, match="other parameters"):
        join_chunks([chunk, other], tmp_path / "joined.mp4")
    assert not (tmp_path / "joined.mp4").exists()
    with pytest.raises(RenderError, match="no chunks"):
        join_chunks([], tmp_path / "joined.mp4")


def test_an_empty_span_is_an_error_and_leaves_nothing(make_video, tmp_path) -> None:
    src = make_video(frames=10, fps=FPS, audio=False)
    out = tmp_path / "empty.mp4"
    with pytest.raises(RenderError, match="no frames"):
        render_span(src, _plan(), out, 5.0, 6.0, masker=EmaMasker())
    assert list(tmp_path.glob("*empty*")) == []
