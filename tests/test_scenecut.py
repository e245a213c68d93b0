"""Scene cuts on PySceneDetect's own test clip (eval only: read from ../shared/media)."""

from __future__ import annotations

import pytest

from backdrop.perception.core.analysis import analyze
from backdrop.perception.core.events import SceneCut
from backdrop.perception.core.media import probe
from backdrop.perception.vision.scenecut import SceneCutAnalyzer
from tests.conftest import SHARED_MEDIA

GOLDENEYE = SHARED_MEDIA / "pyscenedetect" / "tests" / "resources" / "goldeneye-vfr-drop3.mp4"
NOMINAL_FPS = 24000 / 1001  # the golden frame numbers count frames of the nominal rate


@pytest.mark.skipif(not GOLDENEYE.exists(), reason=f"eval-only clip not found at {GOLDENEYE}")
def test_goldeneye_cuts_within_two_frames() -> None:
    info = probe(GOLDENEYE)
    timeline = analyze(GOLDENEYE, [SceneCutAnalyzer(info.fps)])
    cuts = [e for e in timeline.events if isinstance(e, SceneCut)]
    frames = [e.t1 * NOMINAL_FPS for e in cuts]
    assert len(frames) == 2, frames
    for found, truth in zip(sorted(frames), (90, 210), strict=True):
        assert abs(found - truth) <= 2, (found, truth)
