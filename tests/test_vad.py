"""Voice activity: the state machine on scripted scores, and webrtcvad on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from backdrop.perception.audio.vad import (
    SpeechAnalyzer,
    SpeechSegmenter,
    VadParams,
    VadState,
    VadStateMachine,
    speech_regions,
)
from backdrop.perception.core.media import Chunk

AUDIO = Path(__file__).parent / "data" / "audio"


def test_state_machine_thresholds_in_seconds() -> None:
    m = VadStateMachine(VadParams(start_secs=0.09, stop_secs=0.3), frame_seconds=0.03)
    assert (m.start_frames, m.stop_frames) == (3, 10)
    scores = [0, 1, 1, 0, 0] + [1] * 20 + [0, 1] + [0] * 12
    closed = [(i, r) for i, s in enumerate(scores) if (r := m.update(s))]
    # the 2-frame blip never starts a region; the 1-frame gap does not stop one
    assert closed == [(36, (5, 27))]
    assert m.state is VadState.QUIET


def test_state_machine_splits_long_speech_and_finishes() -> None:
    m = VadStateMachine(VadParams(start_secs=0.03, max_secs=0.3), frame_seconds=0.03)
    closed = [r for s in [1] * 25 if (r := m.update(s))]
    assert closed == [(0, 10), (10, 20)]
    assert m.finish() == (20, 25)


def test_jfk_regions_and_silence() -> None:
    audio, rate = sf.read(AUDIO / "jfk.wav", dtype="float32")
    assert rate == 16_000
    regions = speech_regions(audio)
    assert 2 <= len(regions) <= 6
    assert regions[0].t0 < 0.5 and regions[-1].t1 > 10.0
    speech = sum(r.t1 - r.t0 for r in regions)
    assert 7.0 < speech < 11.0
    assert all(r.audio.size == round((r.t1 - r.t0) * 16000) for r in regions)
    assert speech_regions(np.zeros(48_000, np.float32)) == []


def test_streaming_matches_whole_signal() -> None:
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    whole = [(r.t0, r.t1) for r in speech_regions(audio)]
    seg = SpeechSegmenter()
    streamed = []
    for i in range(0, audio.size, 1234):  # odd block size: frames straddle blocks
        streamed += seg.push(audio[i : i + 1234])
    streamed += seg.finish()
    assert [(r.t0, r.t1) for r in streamed] == whole


def test_analyzer_emits_speech_events_with_offsets() -> None:
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    vad = SpeechAnalyzer()
    events = []
    for k, i in enumerate(range(0, audio.size, 3200)):
        blank = np.zeros((0, 2, 2, 3), np.uint8)
        c = Chunk(k, i / 16000, (i + 3200) / 16000, blank, np.zeros(0), audio[i : i + 3200])
        events += vad.process(c)
    events += vad.flush()
    assert [e.type for e in events] == ["speech"] * len(events)
    assert [(e.t0, e.t1) for e in events] == [(r.t0, r.t1) for r in speech_regions(audio)]
