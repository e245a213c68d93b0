"""Speaker turns: the DER scorer on hand-made turns, clustering, and pyannote's sample.wav."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backdrop.perception.media import Chunk
from backdrop.perception.speakers import (
    OnlineSpeakerClustering,
    SpeakerEmbedder,
    SpeakerTurnAnalyzer,
    diarization_error_rate,
    load_voice_encoder,
    read_rttm,
)
from backdrop.perception.vad import SpeechAnalyzer

AUDIO = Path(__file__).parent / "data" / "audio"


def test_der_perfect_with_renamed_speakers() -> None:
    ref = [(0.0, 5.0, "a"), (5.0, 10.0, "b")]
    hyp = [(0.0, 5.0, "S2"), (5.0, 10.0, "S1")]
    r = diarization_error_rate(ref, hyp, collar=0.0)
    assert r.der == pytest.approx(0.0, abs=1e-6)
    assert r.mapping == {"S2": "a", "S1": "b"}


def test_der_counts_miss_false_alarm_confusion() -> None:
    ref = [(0.0, 4.0, "a"), (4.0, 8.0, "b"), (6.0, 8.0, "a")]  # 2 s of overlap
    hyp = [(0.0, 4.0, "x"), (4.0, 6.0, "x"), (6.0, 8.0, "y"), (8.0, 9.0, "y")]
    r = diarization_error_rate(ref, hyp, collar=0.0)
    assert r.total == pytest.approx(10.0)
    assert r.missed == pytest.approx(2.0)  # overlap: one of two speakers heard
    assert r.false_alarm == pytest.approx(1.0)  # 8..9 s is not speech
    assert r.confusion == pytest.approx(2.0)  # 4..6 s given to a's label
    assert r.der == pytest.approx(0.5)
    # a 0.25 s collar forgives errors next to reference boundaries
    assert diarization_error_rate(ref, hyp, collar=0.25).der < r.der


def test_clustering_estimates_speaker_count() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(64), rng.standard_normal(64)

    def around(c: np.ndarray, n: int) -> np.ndarray:
        x = c + 0.3 * rng.standard_normal((n, 64))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    cl = OnlineSpeakerClustering()
    first = cl.add_region(around(a, 8))
    assert set(first) == {0} and cl.n_speakers == 1
    second = cl.add_region(around(b, 8))
    third = cl.add_region(around(a, 5))
    assert set(second) == {1} and set(third) == {0} and cl.n_speakers == 2


def test_read_rttm() -> None:
    turns = read_rttm(AUDIO / "sample.rttm")
    assert len(turns) == 10 and {s for *_, s in turns} == {"speaker90", "speaker91"}
    assert turns[0] == pytest.approx((6.69, 7.12, "speaker90"))


def test_sample_wav_two_speakers_der() -> None:
    audio, rate = sf.read(AUDIO / "sample.wav", dtype="float32")
    assert rate == 16_000
    vad = SpeechAnalyzer()
    spk = SpeakerTurnAnalyzer(SpeakerEmbedder(load_voice_encoder()), vad)
    events = []
    for k, i in enumerate(range(0, audio.size, 3200)):
        blank = np.zeros((0, 2, 2, 3), np.uint8)
        c = Chunk(k, i / 16000, (i + 3200) / 16000, blank, np.zeros(0), audio[i : i + 3200])
        vad.process(c)
        events += spk.process(c)
    vad.flush()
    events += spk.flush()
    hyp = [(e.t0, e.t1, e.speaker) for e in events]
    assert {s for *_, s in hyp} == {"S1", "S2"}
    r = diarization_error_rate(read_rttm(AUDIO / "sample.rttm"), hyp, collar=0.25)
    assert r.der <= 0.20, r
    assert spk.speaker_of(22.0, 27.0) == next(
        h for h, ref in r.mapping.items() if ref == "speaker91"
    )
