"""The refine worker: ranges re-rendered with the quality settings behind the preview.

A lossless clip of pymatting's lemur on chroma green (tests/test_edges.py), a segmenter-like
coarse mask; the preview's compositor (fast edge) against the worker's refined frames.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.render.compose import Compositor
from backdrop.render.decontam import green_excess
from backdrop.render.plan import (
    BackgroundSegment,
    ColorBackground,
    EdgeSettings,
    EditPlan,
    KeepRule,
)
from backdrop.render.refine import (
    RefineCache,
    RefinedFrame,
    RefineWorker,
    plan_key,
    write_refined_png,
)

from .conftest import write_video
from .test_edges import _band, _coarse, on_green  # noqa: F401  (fixture)

FPS = 10


class Coarse:
    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self.calls = 0

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        self.calls += 1
        return self.mask

    def reset(self) -> None:
        pass


@pytest.fixture(scope="module")
def clip(on_green: tuple[np.ndarray, np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    comp, ref = on_green
    h, w = ref.shape
    path = tmp_path_factory.mktemp("refine") / "lemur.mkv"
    return write_video(path, width=w, height=h, fps=FPS, frames=10, audio=False, codec="ffv1",
                       frame_fn=lambda i, _w, _h: comp)  # fmt: skip


def _plan(edges: EdgeSettings) -> EditPlan:
    grey = BackgroundSegment(background=ColorBackground(color="#808080"))
    return EditPlan(keep=[KeepRule()], backgrounds=[grey], edges=edges)


@pytest.mark.slow
def test_worker_refines_a_range_and_replaces_preview_frames(
    clip: Path,
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
) -> None:
    comp, ref = on_green
    h, w = ref.shape
    mask = _coarse(ref)
    plan = _plan(EdgeSettings(refine="matte"))
    seen: list[RefinedFrame] = []
    worker = RefineWorker(clip, plan, masker_factory=lambda info, p: Coarse(mask),
                          on_frame=seen.append)  # fmt: skip
    try:
        worker.request(0.3, 0.6)
        assert worker.wait(120), worker.error
        assert worker.error is None
        times = [round(f.t, 2) for f in seen]
        assert times == [0.3, 0.4, 0.5, 0.6]
        key = plan_key(plan)
        assert worker.cache.ranges(key) == [(pytest.approx(0.3), pytest.approx(0.6))]
        refined = worker.cache.get(key, 0.4)
        assert refined is not None and worker.cache.get(key, 0.8) is None
        preview = Compositor(plan, w, h, 1.0).compose(comp, 0.4, mask).rgb
        band = _band(ref)
        # the refined frame replaces the preview's: the edge is different and the fringe gone
        diff = np.abs(refined.astype(np.int16) - preview.astype(np.int16)).max(axis=2)
        assert (diff[band] > 8).mean() > 0.2
        assert green_excess(refined, band) < 0.25 * green_excess(preview, band)
        assert worker.fps > 0
        # a new plan: old refined frames are dropped, old ranges never reach the callback
        new = _plan(EdgeSettings(refine="matte", feather=4.0))
        worker.set_plan(new)
        assert worker.cache.get(key, 0.4) is None
        worker.request(0.0, 0.1)
        assert worker.wait(120)
        assert {f.key for f in seen[4:]} == {plan_key(new)}
    finally:
        worker.close()


def test_cache_keeps_the_newest_frames_and_joins_ranges() -> None:
    cache = RefineCache(max_frames=3)
    img = np.zeros((2, 2, 3), np.uint8)
    for t in (0.0, 0.1, 0.2, 1.0):
        cache.put(RefinedFrame(t, img, "k", 0.0))
    assert cache.get("k", 0.0) is None  # evicted
    assert cache.get("k", 0.11) is not None  # nearest within tolerance
    assert cache.ranges("k") == [(0.1, 0.2), (1.0, 1.0)]
    assert cache.ranges("other") == []


@pytest.mark.slow
def test_refined_png_is_the_after_beside_the_preview(
    clip: Path,
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
    tmp_path: Path,
) -> None:
    comp, ref = on_green
    h, w = ref.shape
    plan = _plan(EdgeSettings(refine="matte")).model_copy(update={"keep": []})
    # no keep rule: the background covers everything in both settings
    out = write_refined_png(clip, plan, 0.5, tmp_path / "after.png", size=(w // 2, h // 2))
    img = cv2.imread(str(out))
    assert img.shape == (h // 2, w // 2, 3) and np.abs(img.astype(int) - 128).max() <= 1


@pytest.mark.slow
def test_chat_preview_writes_the_refined_frame_beside_it(
    clip: Path,
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
    tmp_path: Path,
) -> None:
    """``/preview T`` in ``backdrop chat``: the preview ("before") and the same frame with the
    quality settings ("after"). The session is a stand-in with the attributes chat reads."""
    from types import SimpleNamespace

    from backdrop.agent.chat import Chat
    from backdrop.perception.core.media import probe

    plan = _plan(EdgeSettings()).model_copy(update={"keep": []})
    lines: list[str] = []

    def preview_png(t: float, path: Path, fast: bool = False) -> Path:
        path.write_bytes(b"")
        return path

    session = SimpleNamespace(
        source=clip, plan=plan, info=probe(clip), state=SimpleNamespace(timeline=None),
        preview_png=preview_png, add_listener=lambda fn: None, refined_frame=lambda t: None,
    )  # fmt: skip
    chat = Chat(session, lines.append, out_dir=tmp_path)  # type: ignore[arg-type]
    chat.handle("/preview 0.5")
    assert (tmp_path / "preview-0000.50.png").exists()
    after = tmp_path / "preview-0000.50-refined.png"
    assert after.exists() and any("refined (quality settings)" in ln for ln in lines), lines


def test_preview_composer_shows_refined_frames_of_the_current_plan(
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
) -> None:
    """The preview side of the tier: a frame the worker refined for this plan replaces the fast
    one; for another plan, or a time not refined, the fast frame is made as before."""
    import dataclasses

    from backdrop.perception.core.media import MediaInfo
    from backdrop.render.preview import PreviewComposer

    comp, ref = on_green
    h, w = ref.shape
    mask = _coarse(ref)
    info = MediaInfo(path=Path("x.mp4"), width=w, height=h, fps=10.0, duration=1.0,
                     frame_count=10, rotation=0, video_codec="ffv1", has_audio=False,
                     audio_codec=None, audio_rate=None, audio_channels=None)  # fmt: skip
    plan = _plan(EdgeSettings(refine="matte"))
    composer = PreviewComposer(dataclasses.replace(info), lambda i, p: Coarse(mask))
    fast = composer.compose(plan, comp, 0.4)
    refined = Compositor(plan, w, h, 1.0, quality=True).compose(comp, 0.4, mask).rgb
    composer.refined = RefineCache()
    composer.refined.put(RefinedFrame(0.4, refined, plan_key(plan), 0.0))
    assert composer.compose(plan, comp, 0.4) is refined
    assert np.array_equal(composer.compose(plan, comp, 0.6), fast)  # not refined there
    other = _plan(EdgeSettings())
    assert composer.compose(other, comp, 0.4) is not refined  # refined for another plan


@pytest.mark.slow
def test_worker_work_is_bounded_replaced_windows_and_frames_made_once(
    clip: Path,
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
) -> None:
    """What keeps the tier's work bounded while the person scrubs: a window asked with
    ``replace=True`` stops the window being refined (after its current frame) and drops those
    still waiting, and a frame already refined for the plan is not made again (the range is
    still reported done)."""
    import threading

    _, ref = on_green
    entered, release = threading.Event(), threading.Event()

    class Gate(Coarse):  # holds the worker inside its first range until released
        def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
            entered.set()
            release.wait(60)
            return super().__call__(frame, t)

    seen: list[RefinedFrame] = []
    done: list[tuple[float, float]] = []
    worker = RefineWorker(clip, _plan(EdgeSettings()), on_frame=seen.append,
                          masker_factory=lambda info, p: Gate(_coarse(ref)),
                          on_done=lambda a, b: done.append((a, b)))  # fmt: skip
    try:
        worker.request(0.0, 0.3)
        assert entered.wait(60)  # the worker is inside the first range
        worker.request(0.4, 0.5)  # waits ...
        worker.request(0.7, 0.8, replace=True)  # ... and is dropped by this one
        release.set()
        assert worker.wait(120) and worker.error is None, worker.error
        times = {round(f.t, 2) for f in seen}
        # the first window stopped after the frame it was making (0.0)
        assert {0.7, 0.8} <= times and not {0.1, 0.2, 0.3, 0.4, 0.5} & times, times
        assert done == [(pytest.approx(0.7), pytest.approx(0.8))]
        n, m = len(seen), len(done)
        worker.request(0.7, 0.8)
        assert worker.wait(120)
        assert len(seen) == n and len(done) == m + 1  # nothing made again, the range reported
    finally:
        worker.close()
