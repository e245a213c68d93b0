"""Real segmenter, real footage, ground truth: does a replaced background cover the true
background and spare the true person?

DAVIS 2016 dance-twirl frames with hand-drawn person masks (tests/data/davis, CC BY 4.0) are
encoded into a lossless clip, rendered through the whole pipeline (decode → selfie segmentation →
smoothing → guided-filter edges → composite → H.264) onto pure green, and the output is scored.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames
from backdrop.render.pipeline import render_video
from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan, KeepRule

from .conftest import DATA, write_video

GREEN = np.array([0, 255, 0], np.float32)
FRAMES = sorted((DATA / "davis").glob("*.jpg"))


def _scores(out: Path) -> tuple[list[float], list[float]]:
    coverage, spared = [], []
    outs = [img for _, img in iter_frames(out)]
    assert len(outs) == len(FRAMES)
    for src_path, img in zip(FRAMES, outs, strict=True):
        src = cv2.cvtColor(cv2.imread(str(src_path)), cv2.COLOR_BGR2RGB).astype(np.float32)
        truth = cv2.imread(str(src_path.with_suffix(".png")), cv2.IMREAD_GRAYSCALE) > 0
        got = img.astype(np.float32)
        is_green = np.linalg.norm(got - GREEN, axis=2) < 80
        is_source = np.linalg.norm(got - src, axis=2) < 40
        coverage.append(float(is_green[~truth].mean()))
        spared.append(float(is_source[truth].mean()))
    return coverage, spared


@pytest.fixture(scope="module")
def davis_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in FRAMES]
    h, w = frames[0].shape[:2]
    path = tmp_path_factory.mktemp("davis") / "dance.mkv"
    return write_video(
        path, width=w, height=h, fps=6, frames=len(frames), audio=False, codec="ffv1",
        frame_fn=lambda i, _w, _h: frames[i],
    )  # fmt: skip


def test_replaced_background_matches_ground_truth(davis_clip: Path, tmp_path: Path) -> None:
    plan = EditPlan(
        keep=[KeepRule()],
        backgrounds=[BackgroundSegment(background=ColorBackground(color="#00ff00"))],
    )
    out = tmp_path / "green.mp4"
    render_video(davis_clip, plan, out)
    coverage, spared = _scores(out)
    print(f"\nbackground covered: mean {np.mean(coverage):.3f}, worst {min(coverage):.3f}")
    print(f"person spared:      mean {np.mean(spared):.3f}, worst {min(spared):.3f}")
    # Measured here: coverage 0.97 mean, person spared ~0.75 mean (the selfie model is weak on a
    # small full-body dancer, see BENCHMARKS.md). All-background or all-person masks fail these.
    assert np.mean(coverage) >= 0.90 and min(coverage) >= 0.80
    assert np.mean(spared) >= 0.60 and min(spared) >= 0.35


class ConstantMasker:
    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, frame: np.ndarray, t: float = 0.0) -> np.ndarray:
        return np.full(frame.shape[:2], self.value, np.float32)

    def reset(self) -> None:
        pass


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_broken_segmenters_fail_the_same_floors(davis_clip: Path, tmp_path: Path, value) -> None:
    plan = EditPlan(
        keep=[KeepRule()],
        backgrounds=[BackgroundSegment(background=ColorBackground(color="#00ff00"))],
    )
    out = tmp_path / "broken.mp4"
    render_video(davis_clip, plan, out, masker=ConstantMasker(value))
    coverage, spared = _scores(out)
    assert not (np.mean(coverage) >= 0.90 and np.mean(spared) >= 0.60)
