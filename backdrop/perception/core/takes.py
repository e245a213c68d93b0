"""Several takes of the same shot, measured side by side so a person can choose one.

For each take, from frames sampled through the clip (about :data:`SAMPLES` points, each a pair
of consecutive frames, at :data:`WORK_HEIGHT` lines):

* **light level** — mean luma (Rec. 601, 0..1) of the sampled frames;
* **light steadiness** — the standard deviation of the per-frame mean luma (0 = steady);
* **sharpness** — median variance of the Laplacian of the grey frame at :data:`WORK_HEIGHT`
  lines (larger = sharper; comparable between takes of one shot, not between shots);
* **mask quality** — the preview person segmenter's mask scored like
  :mod:`~backdrop.perception.vision.mask_quality` (``1 − 2·uncertainty − 4·instability`` between
  the two frames of each pair, clipped to 0..1, mean), or ``None`` without the model;
* **speech** — seconds of voice activity, a signal-to-noise estimate (mean voiced 30 ms frame
  energy over the quietest tenth of all frames, dB), the transcript (the embedded Whisper) and its
  mean word probability.

:func:`best_takes` names, per criterion, the take that wins it; the words are the agent's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.core.media import AUDIO_RATE, MediaError, probe

log = logging.getLogger(__name__)

SAMPLES = 12
"""Points sampled per take (each a pair of consecutive frames)."""
WORK_HEIGHT = 360
"""Rows frames are measured at (sharpness depends on scale, so all takes use the same)."""


@dataclass
class TakeReport:
    """What was measured on one take.

    Attributes:
        path: the take's file.
        duration: seconds.
        light: mean luma, 0..1.
        light_std: standard deviation of per-frame mean luma over the take, 0..1 (0 = steady).
        sharpness: median variance of the Laplacian at :data:`WORK_HEIGHT` lines.
        mask_quality: 0..1 (1 = clean, stable person mask), ``None`` when not measured.
        speech_s: seconds of voice activity (0 without an audio track).
        snr_db: voiced energy over the noise floor (10th percentile of 30 ms frames), dB; ``None``
            without speech.
        transcript: what is said (empty without speech or a speech model).
        word_confidence: mean word probability of the transcript, ``None`` without words.
        notes: what could not be measured and why.
    """

    path: Path
    duration: float
    light: float
    light_std: float
    sharpness: float
    mask_quality: float | None = None
    speech_s: float = 0.0
    snr_db: float | None = None
    transcript: str = ""
    word_confidence: float | None = None
    notes: list[str] = field(default_factory=list)


def _work_size(width: int, height: int) -> tuple[int, int]:
    s = min(1.0, WORK_HEIGHT / height)
    return max(2, round(width * s / 2) * 2), max(2, round(height * s / 2) * 2)


def _frame_pairs(path: Path, n_frames: int, size: tuple[int, int]) -> list[list[np.ndarray]]:
    """About :data:`SAMPLES` pairs of consecutive RGB frames, evenly spread."""
    from backdrop.perception.core.media import iter_frames

    starts = set(np.linspace(0, max(n_frames - 2, 0), SAMPLES).round().astype(int).tolist())
    pairs: list[list[np.ndarray]] = []
    for i, (_t, frame) in enumerate(iter_frames(path, size)):
        if i in starts:
            pairs.append([frame])
        elif i - 1 in starts and pairs and len(pairs[-1]) == 1:
            pairs[-1].append(frame)
    return pairs


def _luma(frame: np.ndarray) -> float:
    return float((frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).mean())


def _sharpness(frame: np.ndarray) -> float:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def _mask_quality(pairs: list[list[np.ndarray]], size: tuple[int, int]) -> float:
    from backdrop.perception.vision.mask_quality import mask_scores
    from backdrop.perception.vision.segment import load_person_segmenter

    seg = load_person_segmenter(*size, threads=1)
    scores = []
    for pair in pairs:
        masks = [seg.predict(f) for f in pair]
        unc, _ = mask_scores(masks[-1], None)
        inst = mask_scores(masks[1], masks[0])[1] if len(masks) == 2 else 0.0
        if float((masks[0] >= 0.5).mean()) < 0.01:
            scores.append(0.0)  # nobody found: no cut-out to speak of
            continue
        scores.append(float(np.clip(1.0 - 2.0 * unc - 4.0 * inst, 0.0, 1.0)))
    return float(np.mean(scores)) if scores else 0.0


def _speech(path: Path, report: TakeReport, transcribe: bool) -> None:
    from backdrop.perception.audio.files import VoiceError, load_audio
    from backdrop.perception.audio.vad import speech_regions

    try:
        audio = load_audio(path)
    except VoiceError as e:
        report.notes.append(f"no speech measured ({e})")
        return
    regions = speech_regions(audio)
    report.speech_s = float(sum(r.t1 - r.t0 for r in regions))
    hop = int(0.03 * AUDIO_RATE)
    n = audio.size // hop
    if n and regions:
        energy = (audio[: n * hop].reshape(n, hop) ** 2).mean(axis=1) + 1e-10
        t = (np.arange(n) + 0.5) * hop / AUDIO_RATE
        voiced = np.zeros(n, bool)
        for r in regions:
            voiced |= (t >= r.t0) & (t < r.speech_end)
        if voiced.any():  # the noise floor: the quietest tenth of all frames
            quiet = float(np.percentile(energy, 10))
            report.snr_db = float(10.0 * np.log10(float(np.mean(energy[voiced])) / quiet))
    if not (transcribe and regions):
        return
    from backdrop.perception.audio.asr import (
        AsrModelMissingError,
        Transcriber,
        load_asr_model,
    )

    try:
        asr = Transcriber(load_asr_model(cpu_threads=1))
    except AsrModelMissingError as e:
        report.notes.append(f"no transcript ({e})")
        return
    texts, probs = [], []
    for r in regions:
        tr = asr.transcribe(r.audio, offset=r.t0, speech_end=r.speech_end)
        texts.append(tr.text)
        probs += [w.probability for w in tr.words]
    report.transcript = " ".join(x for x in texts if x).strip()
    report.word_confidence = float(np.mean(probs)) if probs else None


def analyze_take(path: str | Path, *, masks: bool = True, transcribe: bool = True) -> TakeReport:
    """Measure one take (see the module docstring).

    Args:
        path: the video file.
        masks: measure the person mask (needs the embedded selfie segmenter; skipped, with a
            note, when it is not installed).
        transcribe: transcribe the speech (the embedded Whisper; skipped with a note when it is
            not installed).

    Raises:
        MediaError: not a readable video.
    """
    path = Path(path)
    info = probe(path)
    size = _work_size(info.width, info.height)
    pairs = _frame_pairs(path, max(info.frame_count or int(info.duration * info.fps), 2), size)
    if not pairs:
        raise MediaError(f"{path}: no frames could be read")
    frames = [f for p in pairs for f in p]
    lumas = np.array([_luma(f) for f in frames]) / 255.0
    report = TakeReport(
        path=path,
        duration=info.duration,
        light=float(lumas.mean()),
        light_std=float(lumas.std()),
        sharpness=float(np.median([_sharpness(f) for f in frames])),
    )
    if masks:
        from backdrop.perception.core.models import ModelMissingError

        try:
            report.mask_quality = _mask_quality(pairs, size)
        except ModelMissingError as e:
            report.notes.append(f"no mask quality ({e})")
    if info.has_audio:
        _speech(path, report, transcribe)
    return report


TIE = 0.05
"""Relative difference under which two takes tie on a criterion."""


def _flicker(r: TakeReport) -> float:
    """Light steadiness relative to the level (a dim take is not steadier for being dim)."""
    return r.light_std / max(r.light, 0.02)


def leaders(reports: list[TakeReport]) -> dict[str, list[int]]:
    """Per criterion of :func:`best_takes`, every take within :data:`TIE` of the winner (the
    winner first); a criterion where all takes tie is left out."""
    best = best_takes(reports)
    values = {
        "brightest": lambda r: r.light,
        "darkest": lambda r: -r.light,
        "steadiest": lambda r: -_flicker(r),
        "sharpest": lambda r: r.sharpness,
        "mask": lambda r: r.mask_quality or 0.0,
        "speech": lambda r: (r.word_confidence or 0.0) + 0.002 * (r.snr_db or 0.0),
    }
    out: dict[str, list[int]] = {}
    for key, win in best.items():
        if key not in values:
            out[key] = [win]
            continue
        top = values[key](reports[win])
        tol = 0.01 if key == "steadiest" else TIE * max(abs(top), 1e-6)  # flicker: absolute
        tied = [i for i, r in enumerate(reports) if abs(values[key](r) - top) <= tol]
        if len(tied) < len(reports):
            out[key] = [win] + [i for i in tied if i != win]
    return out


def best_takes(reports: list[TakeReport]) -> dict[str, int]:
    """The index of the take that wins each criterion present in ``reports``.

    Criteria: ``"light"`` (level closest to a good exposure, 0.45–0.6, penalised by flicker),
    ``"brightest"``, ``"darkest"``, ``"steadiest"`` (lowest ``light_std / light``), ``"sharpest"``,
    ``"mask"`` (highest mask quality), ``"speech"`` (clearest: word confidence, then SNR) and
    ``"overall"`` (the best mean rank of light, sharpness, mask and speech).
    """
    if not reports:
        return {}
    n = len(reports)

    def exposure(r: TakeReport) -> float:
        off = max(0.0, 0.45 - r.light, r.light - 0.62)
        return off + 2.0 * r.light_std

    out = {
        "light": min(range(n), key=lambda i: exposure(reports[i])),
        "brightest": max(range(n), key=lambda i: reports[i].light),
        "darkest": min(range(n), key=lambda i: reports[i].light),
        "steadiest": min(range(n), key=lambda i: _flicker(reports[i])),
        "sharpest": max(range(n), key=lambda i: reports[i].sharpness),
    }
    if any(r.mask_quality is not None for r in reports):
        out["mask"] = max(range(n), key=lambda i: reports[i].mask_quality or 0.0)
    if any(r.speech_s > 0 for r in reports):
        out["speech"] = max(
            range(n),
            key=lambda i: (
                reports[i].word_confidence or 0.0,
                reports[i].snr_db if reports[i].snr_db is not None else -99.0,
            ),
        )
    keys = [
        [exposure(r) for r in reports],
        [-r.sharpness for r in reports],
        [-(r.mask_quality or 0.0) for r in reports],
        [-(r.word_confidence or 0.0) - 0.01 * (r.snr_db or 0.0) for r in reports],
    ]
    ranks = np.zeros(n)
    for k in keys:  # a take's rank: how many takes beat it (ties share a rank, favour no one)
        v = np.array(k)
        ranks += (v[None, :] < v[:, None]).sum(axis=1)
    out["overall"] = int(np.argmin(ranks))
    return out


__all__ = ["SAMPLES", "TIE", "WORK_HEIGHT", "TakeReport", "analyze_take", "best_takes", "leaders"]
