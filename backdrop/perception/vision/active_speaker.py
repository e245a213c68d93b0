"""Active speaker: the visible face whose lip motion follows the speech energy.

For sampled frames (at most ``sample_fps`` per second) every face is detected, tracked by box
overlap, and its mouth opening measured from face landmarks. The soundtrack's energy envelope
(log RMS in 10 ms steps) is kept beside it. Every ``hop_s`` seconds a decision is made for that
hop: over a context of ``window_s`` seconds centred on it, each face's mouth-opening series is
correlated (Pearson) with the energy at the same instants; the face with the highest
correlation is the active speaker when its score is at least ``min_corr``, beats the runner-up
by ``margin`` (otherwise the previous speaker, if any, continues) and the hop holds voiced audio;
a hop whose context is shorter than 3/4 of the window (the first and last second) only continues
the previous speaker.
Consecutive hops won by the same face become one :class:`ActiveSpeaker` event, its box the
face's mean box in display pixels. Hops without voice end the event (the masker holds the last
speaker between turns).

:func:`lip_audio_score` is the scoring rule on plain arrays, so it can be tested on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backdrop.perception.core.events import ActiveSpeaker, Event
from backdrop.perception.core.media import AUDIO_RATE, Chunk, MediaInfo
from backdrop.perception.vision.faces import FaceDetector, FaceLandmarker, _iou, mouth_opening

log = logging.getLogger(__name__)

ENERGY_STEP = 0.01
"""Step of the audio energy envelope, seconds."""


def highpass(x: np.ndarray, k: int = 9) -> np.ndarray:
    """``x`` minus its centred moving average over ``k`` samples: keeps syllable-rate motion,
    drops the slow talking/not-talking level that two people talking at once share."""
    if k <= 1 or x.size < 2:
        return x
    pad = np.pad(x, (k // 2, k - 1 - k // 2), mode="edge")
    return x - np.convolve(pad, np.ones(k) / k, mode="valid")


def lip_audio_score(mouth: np.ndarray, energy_db: np.ndarray, max_lag: int = 2) -> float:
    """Pearson correlation of a mouth-opening series with speech energy (dB) at the same
    instants, best over lags of 0..``max_lag`` samples (audio may lead the picture); -1..1."""
    best = -1.0
    for lag in range(max_lag + 1):
        m = mouth[lag:] if lag else mouth
        e = energy_db[: len(energy_db) - lag] if lag else energy_db
        if len(m) < 4 or np.std(m) < 1e-6 or np.std(e) < 1e-6:
            continue
        best = max(best, float(np.corrcoef(m, e)[0, 1]))
    return best


@dataclass
class _Track:
    box: np.ndarray
    times: list[float] = field(default_factory=list)
    mouth: list[float] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)


class ActiveSpeakerAnalyzer:
    """Marks the speaking face over time (see the module docstring).

    Args:
        detector, landmarker: the injected face models.
        display_size: ``(width, height)`` of the display frame, pixels; boxes are scaled from the
            analysed frames to it.
        speaker_of: optional ``(t0, t1) -> speaker id`` lookup (the speaker-turn analyzer).
        sample_fps: frames per second examined.
        window_s: correlation window, seconds.
        min_corr: lowest correlation that counts as speaking.
        min_voiced: share of the window whose energy is within 25 dB of the loudest.
        hop_s: decision step, seconds.
        margin: correlation lead over the runner-up needed to change speaker.
        smooth: samples of the moving average taken off both series before correlating
            (:func:`highpass`; 1 = raw series).
    """

    name = "active_speaker"

    def __init__(
        self,
        detector: FaceDetector,
        landmarker: FaceLandmarker,
        display_size: tuple[int, int],
        speaker_of: Callable[[float, float], str | None] | None = None,
        sample_fps: float = 15.0,
        window_s: float = 2.0,
        min_corr: float = 0.25,
        min_voiced: float = 0.3,
        hop_s: float = 0.5,
        margin: float = 0.1,
        smooth: int = 9,
    ) -> None:
        self.detector, self.landmarker = detector, landmarker
        self.display_size = display_size
        self.speaker_of = speaker_of
        self.sample_fps, self.window_s = sample_fps, window_s
        self.min_corr, self.min_voiced = min_corr, min_voiced
        self.hop_s, self.margin, self.smooth = hop_s, margin, smooth
        self._last_k: int | None = None
        self._deferred: float | None = None
        self._tracks: list[_Track] = []
        self._next_t = 0.0
        self._energy: list[float] = []
        self._audio_rest = np.zeros(0, np.float32)
        self._win_start = 0.0
        self._pending: tuple[int, float, float, list[np.ndarray]] | None = None
        self._scale = (1.0, 1.0)

    def process(self, chunk: Chunk) -> list[Event]:
        if chunk.audio is not None:
            self._add_audio(chunk.audio)
        if chunk.frames.shape[0]:
            h, w = chunk.frames.shape[1:3]
            self._scale = (self.display_size[0] / w, self.display_size[1] / h)
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            if t + 1e-6 < self._next_t:
                continue
            self._next_t = t + 1.0 / self.sample_fps
            self._observe(float(t), frame)
        out: list[Event] = []
        ahead = (self.window_s - self.hop_s) / 2
        while chunk.t1 >= self._win_start + self.hop_s + ahead:
            out += self._decide(self._win_start, self._win_start + self.hop_s)
            self._win_start += self.hop_s
        return out

    def flush(self) -> list[Event]:
        end = len(self._energy) * ENERGY_STEP
        out: list[Event] = []
        while end - self._win_start >= self.hop_s / 2:
            out += self._decide(self._win_start, min(end, self._win_start + self.hop_s))
            self._win_start += self.hop_s
        return out + self._close()

    # -- internals -------------------------------------------------------------------------
    def _add_audio(self, audio: np.ndarray) -> None:
        step = int(ENERGY_STEP * AUDIO_RATE)
        data = np.concatenate([self._audio_rest, audio])
        n = data.size // step
        if n:
            rms = np.sqrt(np.mean(data[: n * step].reshape(n, step) ** 2, axis=1))
            self._energy += list(20 * np.log10(rms + 1e-5))
        self._audio_rest = data[n * step :]

    def _observe(self, t: float, frame: np.ndarray) -> None:
        for face in self.detector.detect(frame)[:4]:
            box = np.array(face.box)
            pts, presence = self.landmarker.landmarks(frame, face.box)
            if presence < 0.5:
                continue
            track = None
            if self._tracks:
                ious = _iou(box, np.stack([tr.box for tr in self._tracks]))
                k = int(np.argmax(ious))
                if ious[k] >= 0.3:
                    track = self._tracks[k]
            if track is None:
                track = _Track(box)
                self._tracks.append(track)
            track.box = box
            track.times.append(t)
            track.mouth.append(mouth_opening(pts))
            track.boxes.append(box)

    def _voiced(self, energy: np.ndarray, t0: float, t1: float) -> bool:
        """Whether ``[t0, t1)`` holds speech-like energy (relative to the surrounding context)."""
        c0 = max(0, int((t0 - self.window_s) / ENERGY_STEP))
        c1 = min(len(energy), int((t1 + (self.window_s - self.hop_s) / 2) / ENERGY_STEP))
        i0, i1 = int(t0 / ENERGY_STEP), min(len(energy), int(t1 / ENERGY_STEP))
        if i1 - i0 < 5:
            return False
        ctx = energy[c0 : max(c1, i1, c0 + 1)]
        win = energy[i0:i1]
        if ctx.max() <= -50:
            return False
        return bool(np.mean(win > ctx.max() - 25.0) >= self.min_voiced)

    def _decide(self, t0: float, t1: float) -> list[Event]:
        """Decide who speaks in the hop ``[t0, t1)`` from the context window around it."""
        energy = np.asarray(self._energy)
        mid = (t0 + t1) / 2
        c0, c1 = max(0.0, mid - self.window_s / 2), mid + self.window_s / 2
        i0, i1 = int(c0 / ENERGY_STEP), min(len(energy), int(c1 / ENERGY_STEP))
        if i1 - i0 <= 10 or not self._voiced(energy, t0, t1):
            self._last_k = self._deferred = None
            return self._close()
        scores: list[tuple[float, int, list[np.ndarray]]] = []
        for k, tr in enumerate(self._tracks):
            sel = [j for j, t in enumerate(tr.times) if c0 <= t < c1]
            span = min(c1, len(energy) * ENERGY_STEP) - c0  # the context that exists yet
            if len(sel) < max(4, 0.5 * self.sample_fps * span):
                continue
            times = np.array([tr.times[j] for j in sel])
            idx = np.clip((times / ENERGY_STEP).astype(int), 0, len(energy) - 1)
            # energy around each frame instant (±50 ms), as the mouth moves with it
            e = np.array([energy[max(0, i - 5) : i + 5].mean() for i in idx])
            mouth = highpass(np.array([tr.mouth[j] for j in sel]), self.smooth)
            score = lip_audio_score(mouth, highpass(e, self.smooth), max_lag=3)
            hop = [tr.boxes[j] for j in sel if t0 <= tr.times[j] < t1] or [tr.boxes[sel[-1]]]
            scores.append((score, k, hop))
        scores.sort(key=lambda x: -x[0])
        best: tuple[float, int, list[np.ndarray]] | None = None
        short = min(c1, len(energy) * ENERGY_STEP) - c0 < 0.75 * self.window_s
        if short and scores:
            # too little context (the clip's first or last second): the previous speaker
            # continues; with none, no decision (the masker keeps the first speaker until then)
            best = next((x for x in scores if x[1] == self._last_k), None)
            if best is None and self._last_k is None and self._deferred is None:
                self._deferred = t0  # voiced but undecided: the next decision starts here
        elif scores and scores[0][0] >= self.min_corr:
            lead = scores[0][0] - (scores[1][0] if len(scores) > 1 else -1.0)
            if lead >= self.margin or self._last_k is None:
                best = scores[0]
            else:  # too close to call: the previous speaker continues
                best = next((x for x in scores if x[1] == self._last_k), scores[0])
        if best is None:
            self._last_k = None
            return self._close()
        _, k, boxes = best
        self._last_k = k
        if self._deferred is not None:
            t0, self._deferred = min(t0, self._deferred), None
        if self._pending is not None and self._pending[0] == k and self._pending[2] >= t0 - 1e-6:
            p = self._pending
            self._pending = (k, p[1], t1, p[3] + boxes)
            return []
        out = self._close()
        self._pending = (k, t0, t1, boxes)
        return out

    def _close(self) -> list[Event]:
        if self._pending is None:
            return []
        _, t0, t1, boxes = self._pending
        self._pending = None
        sx, sy = self._scale
        b = np.mean(boxes, axis=0) * [sx, sy, sx, sy]
        spk = self.speaker_of(t0, t1) if self.speaker_of is not None else None
        box = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        return [ActiveSpeaker(t0, t1, self.name, speaker=spk, box=box)]


def build_active_speaker_analyzer(
    info: MediaInfo, speaker_of: Callable[[float, float], str | None] | None = None
) -> ActiveSpeakerAnalyzer | None:
    """The analyzer for ``info``, or None (logged) when the face models are not installed."""
    from backdrop.perception.core.models import ModelMissingError

    try:
        det, lm = FaceDetector(), FaceLandmarker()
    except ModelMissingError as e:
        log.warning("no active-speaker analysis: %s", e)
        return None
    return ActiveSpeakerAnalyzer(det, lm, (info.width, info.height), speaker_of)
