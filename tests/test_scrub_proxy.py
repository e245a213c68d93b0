"""The scrub proxy (issue 14): a preview-size copy of the source with short keyframe intervals,
written in the background, whose frames and times match the source's within a stated tolerance.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from backdrop.perception.core.media import probe
from backdrop.render.preview import SeekReader, preview_size
from backdrop.render.proxy import PROXY_KEY_SECONDS, ProxyWorker
from tests.conftest import SAMPLE, SHARED_MEDIA

S18 = SHARED_MEDIA / "liveportrait" / "assets" / "examples" / "source" / "s18.mp4"

MEAN_TOLERANCE = 4.0
"""Most mean absolute difference (grey levels of 255, per channel) of a proxy frame from the
source frame scaled to the same size (JPEG q90, what the session's scrub cache keeps, differs by
3.9 on the sample)."""

P99_TOLERANCE = 24
"""Most 99th-percentile absolute difference of a proxy frame from the source's."""


def _keyframe_gaps(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        keys = sorted(float(p.pts * p.time_base) for p in c.demux(vs) if p.is_keyframe)
    return [b - a for a, b in zip(keys, keys[1:], strict=False)]


@pytest.mark.parametrize("video", [SAMPLE, S18], ids=["sample", "s18"])
def test_proxy_frames_match_the_source(video: Path) -> None:
    if not video.exists():
        pytest.skip(f"{video} is not here (shared media absent)")
    info = probe(video)
    size = preview_size(info)
    worker = ProxyWorker(video, size)
    try:
        assert worker.wait(300), worker.error
        folder = worker.folder
        assert folder.parent == Path(tempfile.gettempdir()) and folder != video.parent
        assert [p.name for p in folder.iterdir()] == ["proxy.mp4"]  # no partial file left
        gaps = _keyframe_gaps(worker.path)
        assert gaps and max(gaps) <= PROXY_KEY_SECONDS + 0.05  # the source has far fewer
        proxy, source = worker.reader(), SeekReader(video, size)
        assert proxy is not None
        rng = random.Random(14)
        times = [rng.uniform(0, info.duration) for _ in range(10)]
        times += [0.0, -1.0, info.duration - 1e-3, times[3], times[3] + 0.04]
        for t in times:
            fa, a = source.frame_at(t)
            fb, b = proxy.frame_at(t)
            assert fb == pytest.approx(fa, abs=1e-6), t  # the same frame
            assert b.shape == a.shape == (size[1], size[0], 3)
            d = np.abs(a.astype(np.int16) - b)
            assert d.mean() < MEAN_TOLERANCE and np.percentile(d, 99) <= P99_TOLERANCE, t
        proxy.close()
        source.close()
    finally:
        worker.close()
    assert not folder.exists()


def test_proxy_applies_rotation(make_video) -> None:
    src = make_video(width=96, height=64, frames=10, rotation=90)
    worker = ProxyWorker(src, (64, 96))
    try:
        assert worker.wait(60), worker.error
        proxy, source = worker.reader(), SeekReader(src, (64, 96))
        assert proxy is not None
        for t in (0.0, 0.2, 0.1):
            fa, a = source.frame_at(t)
            fb, b = proxy.frame_at(t)
            assert fb == pytest.approx(fa) and b.shape == a.shape == (96, 64, 3)
            assert np.abs(a.astype(np.int16) - b).mean() < MEAN_TOLERANCE
        proxy.close()
        source.close()
    finally:
        worker.close()


def test_proxy_waits_while_busy_and_held(make_video) -> None:
    src = make_video(width=96, height=64, frames=40)
    busy = {"on": True}
    worker = ProxyWorker(src, (96, 64), busy=lambda: busy["on"])
    try:
        time.sleep(1.0)
        assert not worker.ready.is_set() and worker.reader() is None
        assert not worker.path.exists()
        worker.hold(1.5)
        busy["on"] = False
        time.sleep(0.5)
        assert not worker.ready.is_set()  # still held: the person scrubs
        assert worker.wait(60), worker.error
    finally:
        worker.close()
    assert not worker.folder.exists()


def test_closing_a_busy_worker_removes_its_folder(make_video) -> None:
    src = make_video(width=96, height=64, frames=20)
    worker = ProxyWorker(src, (96, 64), busy=lambda: True)
    time.sleep(0.2)
    t0 = time.monotonic()
    worker.close()
    assert time.monotonic() - t0 < 5 and not worker.folder.exists()
    assert not worker.ready.is_set()


class _Held:
    """An analyzer that holds processing at the first chunk until released (so every scrub is
    ahead of processing, as with every analyzer on a long video)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def process(self, chunk: object) -> list:
        self.release.wait(120)
        return []

    def flush(self) -> list:
        return []


def test_session_scrubs_from_the_proxy_once_ready(sample: Path) -> None:
    from backdrop.agent.session import Session

    held = _Held()
    session = Session(sample, llm=False, analyzers=lambda info: [held], proxy=True)
    plain = Session(sample, llm=False, analyzers=lambda info: [])
    try:
        before = session._source_frame(7.3)  # noqa: SLF001 - the reader chosen is the point
        assert session.proxy is None  # not started: no proxy, the source is read
        session.start()
        assert session.proxy is not None and session.proxy.wait(300), session.proxy.error
        folder = session.proxy.folder
        assert folder.parent == Path(tempfile.gettempdir())
        for t in (8.9, 2.2, 5.55):
            ft, img = session._source_frame(t)  # noqa: SLF001
            fs, ref = plain._source_frame(t)  # noqa: SLF001
            assert ft == pytest.approx(fs, abs=1e-6)
            assert np.abs(img.astype(np.int16) - ref).mean() < MEAN_TOLERANCE
        assert session._proxy_reader is not None  # noqa: SLF001
        assert before[1].shape == img.shape
    finally:
        held.release.set()
        session.close()
        plain.close()
    assert not folder.exists()


def test_a_new_background_reuses_the_mask_of_the_frame_looked_at(sample: Path) -> None:
    """Instruction → preview (issue 14): a plan change that keeps the masker (a new background)
    recomposes the frame without running the masker on it again, and looks the same as a fresh
    composer's; a new frame, or a plan that needs another masker, runs it."""
    import dataclasses

    from backdrop.render.maskers import build_masker
    from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan, KeepRule
    from backdrop.render.preview import MASK_MEMORY, PreviewComposer

    info = probe(sample)
    size = preview_size(info)
    pinfo = dataclasses.replace(info, width=size[0], height=size[1])
    calls: list[float] = []

    def factory(i, plan):  # the real masker, counted
        masker = build_masker(i, plan)

        def run(frame: np.ndarray, t: float) -> np.ndarray:
            calls.append(t)
            return masker(frame, t)

        return run

    def plan(color: str, **keep: object) -> EditPlan:
        bg = BackgroundSegment(background=ColorBackground(color=color))
        return EditPlan(keep=[KeepRule(**keep)], backgrounds=[bg])

    reader = SeekReader(sample, size)
    t, frame = reader.frame_at(3.0)
    composer = PreviewComposer(pinfo, factory)
    green = composer.compose(plan("#00ff00"), frame, t)
    blue = composer.compose(plan("#0000ff"), frame, t)
    assert calls == [t]  # the masker ran once for the two plans
    fresh = PreviewComposer(pinfo, factory).compose(plan("#0000ff"), frame, t)
    assert np.abs(fresh.astype(np.int16) - blue).mean() < 1.0  # temporal state aside
    assert np.abs(green.astype(np.int16) - blue).mean() > 5  # it did change the background
    calls.clear()
    t2, frame2 = reader.frame_at(5.0)
    composer.compose(plan("#0000ff"), frame2, t2)
    assert calls == [t2]  # another frame: masked
    composer.compose(plan("#0000ff", action="remove"), frame2, t2)  # another masker
    composer.compose(plan("#0000ff"), frame2, t2)  # and back: built again, masks forgotten
    assert calls == [t2, t2]
    for k in range(MASK_MEMORY + 2):
        tk, fk = reader.frame_at(6.0 + 0.2 * k)
        composer.compose(plan("#0000ff"), fk, tk)
    assert len(composer._masks) == MASK_MEMORY  # noqa: SLF001 - bounded
    reader.close()


def test_another_person_selector_needs_another_masker() -> None:
    """ "Keep the person on the left" after "keep the main subject" changes only the selector:
    the preview's masker (and the masks it remembers) must change with it."""
    from backdrop.render.plan import EditPlan, KeepRule
    from backdrop.render.preview import masker_key

    def key(selector: str | None) -> tuple:
        return masker_key(EditPlan(keep=[KeepRule(selector=selector)]))

    assert key("left") != key("main") != key(None)
    assert key("left") == key("left")
