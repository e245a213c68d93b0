"""Voice activity: a frame score (webrtcvad) kept apart from the state machine that turns scores
into speech regions.

Conventions: audio is float32 mono 16 kHz in [-1, 1]; times are float seconds. The scorer
(:class:`WebRtcVoiceScorer`) answers "is this 30 ms frame speech?" as a confidence in [0, 1]; the
:class:`VadStateMachine` (QUIET → STARTING → SPEAKING → STOPPING) turns a stream of those scores
into :class:`SpeechRegion` s with thresholds given in seconds and converted to frame counts once.
:class:`SpeechSegmenter` streams audio blocks of any length through both and hands back each
region, with its samples, as soon as it closes. :class:`SpeechAnalyzer` is the analyzer that
emits :class:`~backdrop.perception.core.events.Speech` events.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

import numpy as np
import webrtcvad

from backdrop.perception.core.events import Event, Speech
from backdrop.perception.core.media import AUDIO_RATE, Chunk

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.03
"""Length of one VAD frame in seconds (webrtcvad accepts 10, 20 or 30 ms)."""


class WebRtcVoiceScorer:
    """webrtcvad as a scorer: one 30 ms frame of 16 kHz audio → 1.0 (speech) or 0.0.

    Args:
        aggressiveness: webrtcvad mode 0 (least) .. 3 (most aggressive at rejecting non-speech).
        min_rms: frames quieter than this RMS (full scale = 1.0; 0.001 is -60 dBFS) score 0
            regardless, so that near-silent hiss never opens a region. Far-field meeting speech
            (AMI) runs at 0.001-0.01: 0.003 missed a quarter of it.
    """

    def __init__(self, aggressiveness: int = 2, min_rms: float = 0.001) -> None:
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"aggressiveness must be 0..3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)
        self.min_rms = min_rms
        self.frame_samples = int(round(FRAME_SECONDS * AUDIO_RATE))

    def voice_confidence(self, frame: np.ndarray) -> float:
        """Speech confidence in [0, 1] for one frame of ``frame_samples`` float32 samples."""
        if frame.size != self.frame_samples:
            raise ValueError(f"a VAD frame is {self.frame_samples} samples, got {frame.size}")
        if float(np.sqrt(np.mean(frame.astype(np.float64) ** 2))) < self.min_rms:
            return 0.0
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return 1.0 if self._vad.is_speech(pcm, AUDIO_RATE) else 0.0


class VadState(enum.Enum):
    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    STOPPING = "stopping"


@dataclass(frozen=True)
class VadParams:
    """Thresholds of the state machine, in seconds.

    Attributes:
        start_secs: speech must last this long (consecutive speech frames) to open a region.
        stop_secs: silence must last this long to close a region.
        confidence: a frame counts as speech when its score is at least this.
        pad_secs: each closed region is widened by this much on both sides (clamped to the
            audio), so word onsets and tails are not cut.
        max_secs: a region longer than this is closed and a new one opened (bounds the work
            one transcription call does).
    """

    start_secs: float = 0.15
    stop_secs: float = 0.5
    confidence: float = 0.5
    pad_secs: float = 0.15
    max_secs: float = 25.0


@dataclass(frozen=True)
class SpeechRegion:
    """A closed speech region: ``t0``/``t1`` seconds (padded), ``audio`` its samples (16 kHz).

    ``speech_end`` is the end of its last voiced frame in seconds (unpadded; ``t1`` when not
    known): nothing said after it belongs to the region.
    """

    t0: float
    t1: float
    audio: np.ndarray = field(repr=False, compare=False, default_factory=lambda: np.zeros(0))
    speech_end: float = field(default=-1.0, compare=False)

    def __post_init__(self) -> None:
        if self.speech_end < 0:
            object.__setattr__(self, "speech_end", self.t1)


class VadStateMachine:
    """QUIET/STARTING/SPEAKING/STOPPING over per-frame scores; no audio, no model.

    :meth:`update` takes one frame's score and returns the ``(start_frame, end_frame)`` of a
    region that closed on this frame, if any (end exclusive, unpadded). :meth:`finish` closes an
    open region at the end of the stream.
    """

    def __init__(self, params: VadParams = VadParams(), frame_seconds: float = FRAME_SECONDS):
        self.params = params
        self.start_frames = max(1, int(round(params.start_secs / frame_seconds)))
        self.stop_frames = max(1, int(round(params.stop_secs / frame_seconds)))
        self.max_frames = max(self.start_frames + 1, int(round(params.max_secs / frame_seconds)))
        self.state = VadState.QUIET
        self._frame = 0
        self._run = 0  # consecutive frames supporting the pending transition
        self._start = 0  # first speech frame of the current (or starting) region
        self._last_speech = 0  # last speech frame + 1

    def update(self, score: float) -> tuple[int, int] | None:
        """Advance by one frame with speech ``score``; a region that closed, or None."""
        speech = score >= self.params.confidence
        i = self._frame
        self._frame += 1
        closed: tuple[int, int] | None = None
        if self.state is VadState.QUIET:
            if speech:
                self.state, self._start, self._run = VadState.STARTING, i, 1
                self._last_speech = i + 1
                if self._run >= self.start_frames:
                    self.state = VadState.SPEAKING
        elif self.state is VadState.STARTING:
            if speech:
                self._run += 1
                self._last_speech = i + 1
                if self._run >= self.start_frames:
                    self.state = VadState.SPEAKING
            else:
                self.state = VadState.QUIET
        elif self.state is VadState.SPEAKING:
            if speech:
                self._last_speech = i + 1
            else:
                self.state, self._run = VadState.STOPPING, 1
        else:  # STOPPING
            if speech:
                self.state = VadState.SPEAKING
                self._last_speech = i + 1
            else:
                self._run += 1
                if self._run >= self.stop_frames:
                    closed = (self._start, self._last_speech)
                    self.state = VadState.QUIET
        if (
            closed is None
            and self.state in (VadState.SPEAKING, VadState.STOPPING)
            and self._frame - self._start >= self.max_frames
        ):
            closed = (self._start, self._frame)
            # keep speaking: the next region starts right here
            self._start = self._frame
            self._last_speech = self._frame
        return closed

    def finish(self) -> tuple[int, int] | None:
        """Close the open region at the end of the stream (None when quiet)."""
        open_region = self.state in (VadState.SPEAKING, VadState.STOPPING)
        region = (self._start, self._last_speech) if open_region else None
        self.state = VadState.QUIET
        return region if region and region[1] > region[0] else None


class SpeechSegmenter:
    """Streams audio through a scorer and the state machine; returns regions as they close.

    Keeps only the samples it may still need (the open region plus the padding), so memory is
    bounded by ``max_secs``, not by the stream's length.

    Args:
        scorer: frame scorer (default :class:`WebRtcVoiceScorer`).
        params: state machine thresholds.
        t_start: time in seconds of the first sample pushed.
    """

    def __init__(
        self,
        scorer: WebRtcVoiceScorer | None = None,
        params: VadParams = VadParams(),
        t_start: float = 0.0,
    ) -> None:
        self.scorer = scorer or WebRtcVoiceScorer()
        self.params = params
        self.fsz = self.scorer.frame_samples
        self.machine = VadStateMachine(params, self.fsz / AUDIO_RATE)
        self.t_start = t_start
        self._pending = np.zeros(0, np.float32)  # samples not yet scored (< one frame)
        self._buf = np.zeros(0, np.float32)  # scored samples kept for regions
        self._buf_start = 0  # sample index (from t_start) of _buf[0]
        self._scored = 0  # samples scored so far
        self.scores: list[float] = []

    def push(self, audio: np.ndarray) -> list[SpeechRegion]:
        """Feed float32 16 kHz samples; the regions that closed (oldest first)."""
        data = np.concatenate([self._pending, np.asarray(audio, np.float32).reshape(-1)])
        n = data.size // self.fsz
        self._pending = data[n * self.fsz :]
        self._buf = np.concatenate([self._buf, data[: n * self.fsz]])
        out: list[SpeechRegion] = []
        for k in range(n):
            frame = data[k * self.fsz : (k + 1) * self.fsz]
            score = self.scorer.voice_confidence(frame)
            self.scores.append(score)
            self._scored += self.fsz
            closed = self.machine.update(score)
            if closed is not None:
                out.append(self._region(*closed, final=False))
        self._trim()
        return out

    def finish(self) -> list[SpeechRegion]:
        """Score what is left (zero-padded to a frame) and close any open region."""
        out: list[SpeechRegion] = []
        if self._pending.size:
            real = self._pending.size
            pad = np.pad(self._pending, (0, self.fsz - real))
            self._pending = np.zeros(0, np.float32)
            out += self.push(pad)
            # drop the padding samples from what regions may include
            self._buf = self._buf[: max(0, self._buf.size - (self.fsz - real))]
            self._scored -= self.fsz - real
        closed = self.machine.finish()
        if closed is not None:
            out.append(self._region(*closed, final=True))
        return out

    def _region(self, f0: int, f1: int, final: bool) -> SpeechRegion:
        pad = int(round(self.params.pad_secs * AUDIO_RATE))
        s0 = max(0, f0 * self.fsz - pad, self._buf_start)
        s1 = min(self._scored, f1 * self.fsz + pad)
        a = self._buf[s0 - self._buf_start : s1 - self._buf_start].copy()
        end = self.t_start + min(self._scored, f1 * self.fsz) / AUDIO_RATE
        return SpeechRegion(self.t_start + s0 / AUDIO_RATE, self.t_start + s1 / AUDIO_RATE, a, end)

    def _trim(self) -> None:
        """Forget samples no region can reach any more."""
        pad = int(round(self.params.pad_secs * AUDIO_RATE))
        m = self.machine
        if m.state in (VadState.QUIET,):
            keep_from = self._scored - pad
        else:
            keep_from = m._start * self.fsz - pad
        keep_from = max(self._buf_start, keep_from)
        drop = keep_from - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start = keep_from


def speech_regions(
    audio: np.ndarray, params: VadParams = VadParams(), scorer: WebRtcVoiceScorer | None = None
) -> list[SpeechRegion]:
    """All speech regions of a whole float32 16 kHz signal (times in seconds from its start)."""
    seg = SpeechSegmenter(scorer, params)
    return [*seg.push(audio), *seg.finish()]


@dataclass(frozen=True)
class SpokenSpan:
    """The voiced part of an utterance: from the first region's start to the last one's end.

    Attributes:
        audio: float32 mono 16 kHz samples of that span.
        offset: its start, seconds from the start of the utterance's audio.
        speech_end: end of the last voiced frame, seconds (nothing said after it counts).
        speech_seconds: total voice-activity time, seconds.
    """

    audio: np.ndarray = field(repr=False)
    offset: float
    speech_end: float
    speech_seconds: float


def spoken_span(audio: np.ndarray, params: VadParams = VadParams()) -> SpokenSpan | None:
    """The voiced span of one utterance (float32 mono 16 kHz), or None when nothing is voiced."""
    regions = speech_regions(np.asarray(audio, np.float32), params)
    if not regions:
        return None
    s0, s1 = int(regions[0].t0 * AUDIO_RATE), int(regions[-1].t1 * AUDIO_RATE)
    return SpokenSpan(
        audio[s0:s1],
        offset=regions[0].t0,
        speech_end=regions[-1].speech_end,
        speech_seconds=sum(r.t1 - r.t0 for r in regions),
    )


class SpeechAnalyzer:
    """Emits a :class:`Speech` event for each voice-activity region as it closes.

    Analyzers that run after it on the same chunk (transcript, speakers) read
    :attr:`last_closed` to get the same regions with their samples, so the audio is scored once.
    """

    name = "vad"

    def __init__(self, segmenter: SpeechSegmenter | None = None) -> None:
        self.segmenter = segmenter or SpeechSegmenter()
        self.last_closed: list[SpeechRegion] = []
        """The regions (with samples) that closed in the latest process / flush call."""
        self._started = False

    def process(self, chunk: Chunk) -> list[Event]:
        if chunk.audio is None:
            return []
        if not self._started:
            self.segmenter.t_start = chunk.t0
            self._started = True
        return self._emit(self.segmenter.push(chunk.audio))

    def flush(self) -> list[Event]:
        return self._emit(self.segmenter.finish()) if self._started else []

    def _emit(self, regions: list[SpeechRegion]) -> list[Event]:
        self.last_closed = regions
        return [Speech(r.t0, r.t1, source=self.name) for r in regions]
