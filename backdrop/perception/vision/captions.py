"""Captions: a description of each keyframe → :class:`Caption` events.

Keyframes are chosen by change, not at a fixed rate: a frame becomes a keyframe when its grey
thumbnail differs from the last keyframe's by more than ``threshold`` (mean absolute luma), with
at least ``min_gap`` seconds between keyframes; when ``max_keyframes`` have been taken the
threshold doubles, so a long video keeps a bounded number of captions.

The embedded default (:class:`DetectorDescriber`) builds the text from the detectors — people,
what they are on, the other objects the COCO detector finds, the light (brightness and colour
temperature) and faces — and says that it is such a description, e.g. "scene description from
detectors (not a captioning model): 2 people on a bed in bright, warm light (~3600 K); also a
chair and a tv; 1 face (centre)". With a transformers image-to-text model in a local folder
(:class:`ImageCaptioner`) the caption is the model's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from backdrop.perception.core.events import Caption, Event
from backdrop.perception.core.media import Chunk
from backdrop.perception.core.models import load_local_transformers
from backdrop.perception.vision.lighting import color_temperature, mean_luma
from backdrop.perception.vision.segment import frame_thumbnail

Describe = Callable[[np.ndarray], str]


def _where(box: tuple[float, float, float, float], width: int) -> str:
    cx = (box[0] + box[2]) / 2 / max(width, 1)
    return "left" if cx < 0.36 else "right" if cx > 0.64 else "centre"


PERSON_SCORE = 0.4
THING_SCORE = 0.25
"""Detector scores a caption needs to mention a person / another object (the analysis keeps
weaker boxes for objects a person names; a caption only says what is surely there)."""

SUPPORTS = ("couch", "bed", "chair", "bench", "dining table", "horse", "bicycle", "motorcycle",
            "skateboard", "surfboard", "toilet")  # fmt: skip
"""Things a person can be *on* ("a person on a couch")."""


def _a(name: str, n: int = 1) -> str:
    if n > 1:
        return f"{n} {name}{'es' if name.endswith(('s', 'sh', 'ch')) else 's'}"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _on(person: tuple[float, ...], thing: tuple[float, ...]) -> bool:
    """Whether a person box rests on (overlaps the upper part of) a support's box."""
    px0, _py0, px1, py1 = person
    tx0, ty0, tx1, ty1 = thing
    overlap = max(0.0, min(px1, tx1) - max(px0, tx0)) / max(px1 - px0, 1.0)
    return overlap > 0.3 and ty0 - 0.1 * (ty1 - ty0) <= py1 <= ty1 + 0.1 * (ty1 - ty0)


def describe_light(frame: np.ndarray) -> str:
    """``"bright, warm light (~3400 K)"``: mean luma and colour temperature in words."""
    luma = mean_luma(frame)
    level = "dim" if luma < 0.25 else "bright" if luma > 0.6 else "medium-bright"
    k = color_temperature(frame)
    tone = "warm" if k < 4500 else "cool" if k > 7000 else "neutral"
    return f"{level}, {tone} light (~{round(k, -2):.0f} K)"


class DetectorDescriber:
    """A scene description from the embedded detectors (no captioning model).

    Args:
        count_people: ``frame → number of people`` (pose detector), or None.
        find_faces: ``frame → [Face]`` (:class:`~backdrop.perception.vision.faces.FaceDetector`),
            or None.
        objects: an object detector (``detect(frame, labels)``, e.g.
            :class:`~backdrop.perception.vision.yolo.CocoDetector`), or None.
        labels: what ``objects`` looks for (None = all it knows).
        scale: unused by the text (boxes are compared within one frame); kept so callers can
            pass the analyzer's display scale.
    """

    PREFIX = "scene description from detectors (not a captioning model): "

    def __init__(self, count_people: Callable[[np.ndarray], int] | None = None,
                 find_faces: Callable[[np.ndarray], list] | None = None,
                 objects: object | None = None, labels: list[str] | None = None,
                 scale: float = 1.0) -> None:  # fmt: skip
        self.count_people, self.find_faces = count_people, find_faces
        self.objects, self.labels, self.scale = objects, labels, scale

    def __call__(self, frame: np.ndarray) -> str:
        found = self.objects.detect(frame, self.labels) if self.objects is not None else []  # type: ignore[attr-defined]
        people = [b for lab, b, s in found if lab == "person" and s >= PERSON_SCORE]
        things = [(lab, b) for lab, b, s in found if lab != "person" and s >= THING_SCORE]
        n = len(people)  # the COCO detector's people, else the pose detector's count
        if self.objects is None and self.count_people is not None:
            n = self.count_people(frame)
        if self.count_people is None and self.objects is None:
            who = ""
        else:
            who = "no people" if n == 0 else "a person" if n == 1 else f"{n} people"
        supports = sorted({lab for lab, b in things if lab in SUPPORTS
                           and any(_on(p, b) for p in people)})  # fmt: skip
        text = who
        if supports and who:
            text += " on " + _and([_a(s) for s in supports])
        light = describe_light(frame)
        text = f"{text} in {light}" if text else light
        counts: dict[str, int] = {}
        for lab, _b in things:
            if lab not in supports:
                counts[lab] = counts.get(lab, 0) + 1
        parts = [text]
        if counts:
            parts.append("also " + _and([_a(lab, k) for lab, k in counts.items()]))
        if self.find_faces is not None:
            faces = self.find_faces(frame)
            if faces:
                where = ", ".join(_where(f.box, frame.shape[1]) for f in faces)
                parts.append(f"{len(faces)} face{'s' if len(faces) > 1 else ''} ({where})")
            else:
                parts.append("no faces close to the camera")
        return self.PREFIX + "; ".join(parts)


class ImageCaptioner:
    """A transformers image-to-text model (BLIP and the like) from a local folder only."""

    def __init__(self, model_dir: str | Path, max_new_tokens: int = 30) -> None:
        self.processor, self.model = load_local_transformers(
            model_dir, "AutoModelForImageTextToText"
        )
        self.max_new_tokens = max_new_tokens

    def __call__(self, frame: np.ndarray) -> str:
        import torch

        inputs = self.processor(images=frame, return_tensors="pt")
        with torch.inference_mode():
            ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens)
        return str(self.processor.batch_decode(ids, skip_special_tokens=True)[0]).strip()


class CaptionAnalyzer:
    """Captions change-chosen keyframes (see the module docstring). The first keyframe's caption
    is emitted at once, spanning ``min_gap`` seconds; each later one when the next keyframe
    closes it (or at :meth:`flush`)."""

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
            if self.keyframes == 1:
                # the first caption is said at once (the opening suggestion is made from it);
                # it covers ``min_gap`` seconds, later ones last until the next keyframe
                out.append(Caption(t0=t, t1=t + self.min_gap, source=self.name, text=text))
                continue
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
