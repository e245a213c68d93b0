"""Speaker turns: the DER scorer on hand-made turns, clustering, and pyannote's sample.wav."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backdrop.perception.audio.speakers import (
    OnlineSpeakerClustering,
    SpeakerEmbedder,
    SpeakerTurnAnalyzer,
    cluster_speakers,
    diarization_error_rate,
    load_voice_encoder,
    read_rttm,
    silhouette,
    tonal_steadiness,
)
from backdrop.perception.audio.vad import SpeechAnalyzer
from backdrop.perception.core.media import Chunk

AUDIO = Path(__file__).parent / "data" / "audio"
AMI = Path(__file__).resolve().parents[2] / "shared/media/pyannote-audio/tests/data/dev00.wav"


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
    events, spk = _stream(audio)
    hyp = [(e.t0, e.t1, e.speaker) for e in events]
    assert {s for *_, s in hyp} == {"S1", "S2"}
    r = diarization_error_rate(read_rttm(AUDIO / "sample.rttm"), hyp, collar=0.25)
    assert r.der <= 0.20, r
    assert spk.speaker_of(22.0, 27.0) == next(
        h for h, ref in r.mapping.items() if ref == "speaker91"
    )


def _stream(audio: np.ndarray) -> tuple[list, SpeakerTurnAnalyzer]:
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
    return events, spk


def test_silhouette_and_cluster_count() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(32), rng.standard_normal(32)
    x = np.concatenate(
        [a + 0.3 * rng.standard_normal((20, 32)), b + 0.3 * rng.standard_normal((15, 32))]
    )
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = cluster_speakers(x)
    assert sorted(np.bincount(labels)) == [15, 20]
    dist = 1.0 - x @ x.T
    assert silhouette(dist, labels) > 0.5 and silhouette(dist, np.zeros(35, int)) == 0.0
    one = a + 0.3 * rng.standard_normal((35, 32))  # one voice, varying: never split
    assert set(cluster_speakers(one / np.linalg.norm(one, axis=1, keepdims=True))) == {0}


def test_one_voice_is_one_speaker() -> None:
    """JFK (the sample clip's voice) must not be split into S1/S2."""
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    events, _ = _stream(audio)
    assert events and {e.speaker for e in events} == {"S1"}


def test_music_and_silence_make_no_speaker() -> None:
    t = np.arange(8 * 16000) / 16000
    rng = np.random.default_rng(0)
    notes = np.zeros_like(t)
    for k, f in enumerate(rng.choice([262.0, 294.0, 330.0, 392.0, 440.0], 16)):
        m = (t >= k * 0.5) & (t < k * 0.5 + 0.5)
        tt = t[m] - k * 0.5
        notes[m] = sum(np.sin(2 * np.pi * f * h * tt) / h for h in range(1, 6)) * np.exp(-3 * tt)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.0, 330.0))
    for audio in (0.15 * notes, 0.1 * chord, np.zeros_like(t)):
        assert tonal_steadiness(audio.astype(np.float32)) > 0.33 or not audio.any()
        events, spk = _stream(audio.astype(np.float32))
        assert events == [] and spk.clustering.n_speakers == 0


@pytest.mark.slow
@pytest.mark.skipif(not AMI.exists(), reason="shared AMI dev00.wav is not here")
def test_ami_dev00_two_speakers_der() -> None:
    """Held out (never tuned on): the far-field AMI excerpt, two similar voices. Two speakers are
    found and the DER stays about where it was (47.9 % before); the issue's 25 % is not reached
    (BENCHMARKS.md says why)."""
    audio, _ = sf.read(AMI, dtype="float32")
    events, _ = _stream(audio)
    hyp = [(e.t0, e.t1, e.speaker) for e in events]
    ref = read_rttm(AMI.with_name("debug.development.rttm"), "dev00")
    assert len({s for *_, s in hyp}) == 2
    assert diarization_error_rate(ref, hyp, collar=0.25).der <= 0.5
