"""Objects by name → :class:`ObjectsSeen` events.

Two detectors answer ``detect(frame, labels) -> [(label, XYXY pixel box, score)]``:

* the embedded default, :class:`~backdrop.perception.vision.yolo.CocoDetector` (YOLOv3-tiny, the 80
  COCO classes; ``backdrop models install --with yolov3-tiny``), for which ``labels=None``
  means every class;
* :class:`ZeroShotDetector`, a transformers OWL-ViT / OWLv2 folder loaded with
  ``local_files_only=True`` (never the hub), for names outside COCO; it needs ``labels``.

:class:`ObjectsAnalyzer` runs one of them every ``every`` seconds; :func:`build_objects_analyzer`
picks the installed one; :func:`analyze_objects` runs it alone over a video.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from backdrop.perception.core.events import Event, ObjectsSeen, Timeline
from backdrop.perception.core.media import CHUNK_SECONDS, Chunk, MediaInfo
from backdrop.perception.core.models import load_local_transformers

log = logging.getLogger(__name__)

OBJECTS_EVERY = 0.5
"""Seconds between object detections in analysis (YOLOv3-tiny: ~0.1–0.3 s per frame here)."""


ANALYSIS_MIN_SCORE = 0.15
"""Score down to which the analysis keeps detections (Darknet's demo uses 0.25). On the bedroom
clip the bed's per-frame recall is 0.91 at 0.15 against 0.49 at 0.25 (BENCHMARKS.md); a named
object is asked for, so a weak box beats none. What Backdrop *lists* as present needs more
(:func:`~backdrop.perception.vision.objects.labels_seen`)."""


class Detector(Protocol):
    """``detect(frame H×W×3 uint8 RGB, labels or None) → [(label, XYXY px box, score)]``."""

    def detect(
        self, frame: np.ndarray, labels: list[str] | None = None
    ) -> list[tuple[str, tuple[float, float, float, float], float]]: ...


class ZeroShotDetector:
    """Text-queried boxes from an OWL-ViT-family checkpoint folder.

    Args:
        model_dir: a folder saved with ``save_pretrained`` (model + processor).
        min_score: boxes below this score are dropped.
    """

    def __init__(self, model_dir: str | Path, min_score: float = 0.1) -> None:
        self.processor, self.model = load_local_transformers(
            model_dir, "AutoModelForZeroShotObjectDetection"
        )
        self.min_score = min_score

    def detect(
        self, frame: np.ndarray, labels: list[str] | None = None
    ) -> list[tuple[str, tuple[float, float, float, float], float]]:
        """``[(label, XYXY pixel box, score)]`` for ``labels`` in ``frame`` (H×W×3 uint8 RGB)."""
        import torch

        if not labels:
            raise ValueError("a zero-shot detector needs the names to look for")

        h, w = frame.shape[:2]
        inputs = self.processor(text=[labels], images=frame, return_tensors="pt")
        with torch.inference_mode():
            outputs = self.model(**inputs)
        res = self.processor.post_process_object_detection(
            outputs, threshold=self.min_score, target_sizes=torch.tensor([[h, w]])
        )[0]
        out = []
        for score, lab, box in zip(res["scores"], res["labels"], res["boxes"], strict=True):
            out.append((labels[int(lab)], tuple(float(v) for v in box.tolist()), float(score)))
        return out  # type: ignore[return-value]


class ObjectsAnalyzer:
    """Runs a detector every ``every`` seconds → :class:`ObjectsSeen` events.

    Args:
        detector: a :class:`Detector`.
        labels: the names to look for; None = everything the detector knows (COCO detector).
        every: seconds between detections (a frame is taken when this much time has passed).
        scale: factor from the analysed frames' pixels to display pixels (boxes are scaled).
    """

    name = "objects"

    def __init__(self, detector: Detector, labels: list[str] | None = None,
                 every: float = 1.0, scale: float = 1.0) -> None:  # fmt: skip
        self.detector, self.labels, self.every, self.scale = detector, labels, every, scale
        self._next = 0.0

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            if float(t) + 1e-6 < self._next:
                continue
            self._next = float(t) + self.every
            found = self.detector.detect(frame, self.labels)
            if found:
                s = self.scale
                out.append(ObjectsSeen(
                    t0=float(t), t1=float(t) + self.every, source=self.name,
                    labels=tuple(f[0] for f in found),
                    boxes=tuple(tuple(v * s for v in f[1]) for f in found),  # type: ignore[misc]
                    scores=tuple(f[2] for f in found),
                ))  # fmt: skip
        return out

    def flush(self) -> list[Event]:
        return []


def build_objects_analyzer(
    info: MediaInfo, size: tuple[int, int], every: float = OBJECTS_EVERY
) -> ObjectsAnalyzer | None:
    """The objects analyzer for frames of ``size`` = (width, height) from the video ``info``.

    ``$BACKDROP_DETECTOR_DIR`` with ``$BACKDROP_DETECTOR_LABELS`` (comma-separated) selects a
    zero-shot folder; otherwise the embedded YOLOv3-tiny when installed; None when neither is.
    """
    from backdrop.perception.core.models import ModelMissingError

    scale = info.width / size[0]
    folder, labels = (
        os.environ.get("BACKDROP_DETECTOR_DIR"),
        os.environ.get("BACKDROP_DETECTOR_LABELS"),
    )
    if folder and labels:
        names = [s.strip() for s in labels.split(",") if s.strip()]
        return ObjectsAnalyzer(ZeroShotDetector(folder), names, every=every, scale=scale)
    try:
        from backdrop.perception.vision.yolo import load_coco_detector

        detector = load_coco_detector(min_score=ANALYSIS_MIN_SCORE)
        return ObjectsAnalyzer(detector, None, every=every, scale=scale)
    except ModelMissingError as e:
        log.info("objects by name off: %s", e)
        return None


def objects_detector_installed() -> bool:
    """Whether an object detector is available (the embedded one, or a zero-shot folder)."""
    from backdrop.perception.core.models import model_status

    if os.environ.get("BACKDROP_DETECTOR_DIR") and os.environ.get("BACKDROP_DETECTOR_LABELS"):
        return True
    return any(s.name == "yolov3-tiny" and s.installed for s in model_status())


def analyze_objects(
    path: str | Path,
    every: float = OBJECTS_EVERY,
    progress: Callable[[float, float], None] | None = None,
) -> Timeline:
    """Only the objects analyzer over ``path`` (at the analysis size) → a timeline.

    Raises:
        ModelMissingError: no detector is installed (the message says how to install one).
    """
    from backdrop.perception.core.analysis import analysis_size
    from backdrop.perception.core.media import probe, read_chunks
    from backdrop.perception.core.models import ModelMissingError, get_spec

    info = probe(path)
    size = analysis_size(info)
    analyzer = build_objects_analyzer(info, size, every)
    if analyzer is None:
        raise ModelMissingError(
            f"no object detector is installed: {get_spec('yolov3-tiny').how_to_get}"
        )
    timeline = Timeline(duration=info.duration)
    for chunk in read_chunks(path, CHUNK_SECONDS, size=size):
        timeline.add(analyzer.process(chunk))
        if progress is not None:
            progress(min(chunk.t1, info.duration), info.duration)
    timeline.add(analyzer.flush())
    return timeline


OBJECT_MIN_FILL = 0.3
"""With the offline fallback, a detected object whose salient mask fills less than this share of
its detector box is kept as the box region (soft-edged) joined with that mask: U²-Net-p finds
salient parts (pillows, a child) but rarely a whole bed or couch, and the detector's box is the
better answer for large furniture."""


class BoxFillSegmenter:
    """Wraps a prompted segmenter for detected objects (see :data:`OBJECT_MIN_FILL`).

    Only prompts with one of the detector's ``boxes`` are filled: a tracker's own keyframes,
    prompted with the carried mask's grown box, get the inner mask alone (so the kept region
    does not grow from keyframe to keyframe).

    Args:
        inner: the fallback segmenter (``segment(frame, box=None, point=None) -> H×W mask``).
        boxes: the detector's boxes (XYXY pixels of the frames segmented).
        min_fill: share of the box the inner mask must cover to be used alone.
        feather: Gaussian sigma of the box region's edge, as a fraction of the box's short side.
    """

    def __init__(self, inner: object, boxes: list[tuple[float, ...]],
                 min_fill: float = OBJECT_MIN_FILL, feather: float = 0.04) -> None:  # fmt: skip
        self.inner, self.min_fill, self.feather = inner, min_fill, feather
        self.boxes = [tuple(float(v) for v in b) for b in boxes]
        self.filled = 0
        """How many prompts were answered with the box region (for the reply and tests)."""

    @property
    def tier(self) -> str:
        return str(getattr(self.inner, "tier", "fallback"))

    def segment(
        self,
        frame: np.ndarray,
        box: tuple[float, float, float, float] | None = None,
        point: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """The inner mask; for a box prompt it covers too little of, joined with the box."""
        import cv2

        mask = self.inner.segment(frame, box=box, point=point)  # type: ignore[attr-defined]
        if box is None or not any(
            max(abs(a - b) for a, b in zip(box, d, strict=True)) <= 2.0 for d in self.boxes
        ):
            return mask
        h, w = frame.shape[:2]
        x0, y0 = int(max(0, round(box[0]))), int(max(0, round(box[1])))
        x1, y1 = int(min(w, round(box[2]))), int(min(h, round(box[3])))
        if x1 <= x0 or y1 <= y0:
            return mask
        if float((mask[y0:y1, x0:x1] >= 0.5).mean()) >= self.min_fill:
            return mask
        region = np.zeros((h, w), np.float32)
        region[y0:y1, x0:x1] = 1.0
        sigma = max(1.0, self.feather * min(x1 - x0, y1 - y0))
        region = cv2.GaussianBlur(region, (0, 0), sigma) * region
        self.filled += 1
        return np.maximum(mask, region)
