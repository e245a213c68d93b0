"""Captions: a description of each keyframe → :class:`Caption` events.

Keyframes are chosen by change, not at a fixed rate: a frame becomes a keyframe when its grey
thumbnail differs from the last keyframe's by more than ``threshold`` (mean absolute luma), with
at least ``min_gap`` seconds between keyframes; when ``max_keyframes`` have been taken the
threshold doubles, so a long video keeps a bounded number of captions.

The embedded default (:class:`DetectorDescriber`) builds the text from the detectors — people,
faces and where they are, brightness and colour temperature — and says that it is such a
description. With a transformers image-to-text model in a local folder
(:class:`ImageCaptioner`) the caption is the model's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from backdrop.perception.events import Caption, Event
from backdrop.perception.lighting import color_temperature, mean_luma
from backdrop.perception.media import Chunk
from backdrop.perception.segment import frame_thumbnail

Describe = Callable[[np.ndarray], str]


def _where(box: tuple[float, float, float, float], width: int) -> str:
    cx = (box[0] + box[2]) / 2 / max(width, 1)
    return "left" if cx < 0.36 else "right" if cx > 0.64 else "centre"


class DetectorDescriber:
    """A scene description from the embedded detectors (no captioning model).

    Args:
        count_people: ``frame → number of people`` (pose detector), or None.
        find_faces: ``frame → [Face]`` (:class:`~backdrop.perception.faces.FaceDetector`), or None.
    """

    PREFIX = "scene description from detectors (not a captioning model): "

    def __init__(self, count_people: Callable[[np.ndarray], int] | None = None,
                 find_faces: Callable[[np.ndarray], list] | None = None) -> None:  # fmt: skip
        self.count_people, self.find_faces = count_people, find_faces

    def __call__(self, frame: np.ndarray) -> str:
        parts: list[str] = []
        if self.count_people is not None:
            n = self.count_people(frame)
            parts.append("no people" if n == 0 else f"{n} {'person' if n == 1 else 'people'}")
        if self.find_faces is not None:
            faces = self.find_faces(frame)
            if faces:
                where = ", ".join(_where(f.box, frame.shape[1]) for f in faces)
                parts.append(f"{len(faces)} face{'s' if len(faces) > 1 else ''} ({where})")
            else:
                parts.append("no faces close to the camera")
        luma = mean_luma(frame)
        parts.append("dark" if luma < 0.25 else "bright" if luma > 0.6 else "medium brightness")
        k = color_temperature(frame)
        tone = "warm" if k < 4500 else "cool" if k > 7000 else "neutral"
        parts.append(f"{tone} light (~{round(k, -2):.0f} K)")
        return self.PREFIX + ", ".join(parts)


class ImageCaptioner:
    """A transformers image-to-text model (BLIP and the like) from a local folder only."""

    def __init__(self, model_dir: str | Path, max_new_tokens: int = 30) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(str(model_dir), local_files_only=True)
        self.model = AutoModelForImageTextToText.from_pretrained(
            str(model_dir), local_files_only=True
        ).eval()
        self.max_new_tokens = max_new_tokens

    def __call__(self, frame: np.ndarray) -> str:
        import torch

        inputs = self.processor(images=frame, return_tensors="pt")
        with torch.inference_mode():
            ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens)
        return str(self.processor.batch_decode(ids, skip_special_tokens=True)[0]).strip()


class CaptionAnalyzer:
    """Captions change-chosen keyframes (see the module docstring)."""

    name = "captions"

    def __init__(self, describe: Describe, threshold: float = 0.12, min_gap: float = 1.0,
                 max_keyframes: int = 50) -> None:  # fmt: skip
        self.describe, self.threshold = describe, threshold
        self.min_gap, self.max_keyframes = min_gap, max_keyframes
        self._last: np.ndarray | None = None
        self._last_t = -1e9
        self._open: tuple[float, str] | None = None
        self._t = 0.0
        self.keyframes = 0

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            t = float(t)
            self._t = t
            thumb = frame_thumbnail(frame)
            if self._last is not None and (
                t - self._last_t < self.min_gap
                or float(np.mean(np.abs(thumb - self._last))) < self.threshold
            ):
                continue
            text = self.describe(frame)
            self._last, self._last_t = thumb, t
            self.keyframes += 1
            if self.keyframes % self.max_keyframes == 0:
                self.threshold *= 2
            if self._open is not None:
                out.append(Caption(t0=self._open[0], t1=t, source=self.name, text=self._open[1]))
            self._open = (t, text)
        return out

    def flush(self) -> list[Event]:
        if self._open is None:
            return []
        t0, text = self._open
        self._open = None
        return [Caption(t0=t0, t1=max(self._t, t0), source=self.name, text=text)]
