"""Objects by name: a zero-shot detector (transformers OWL-ViT / OWLv2) from a local folder.

No detector ships offline; with none configured the agent asks the person to point or give a
box. :class:`ZeroShotDetector` loads ``model_dir`` with ``local_files_only=True`` (never the hub)
and answers ``detect(frame, labels) -> ObjectsSeen``-ready tuples. Boxes are XYXY pixels.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from backdrop.perception.events import Event, ObjectsSeen
from backdrop.perception.media import Chunk


class ZeroShotDetector:
    """Text-queried boxes from an OWL-ViT-family checkpoint folder.

    Args:
        model_dir: a folder saved with ``save_pretrained`` (model + processor).
        min_score: boxes below this score are dropped.
    """

    def __init__(self, model_dir: str | Path, min_score: float = 0.1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(str(model_dir), local_files_only=True)
        self.model = AutoModelForZeroShotObjectDetection.from_pretrained(
            str(model_dir), local_files_only=True
        ).eval()
        self.min_score = min_score

    def detect(
        self, frame: np.ndarray, labels: list[str]
    ) -> list[tuple[str, tuple[float, float, float, float], float]]:
        """``[(label, XYXY pixel box, score)]`` for ``labels`` in ``frame`` (H×W×3 uint8 RGB)."""
        import torch

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
    """Runs a detector for ``labels`` every ``every`` seconds → :class:`ObjectsSeen` events."""

    name = "objects"

    def __init__(self, detector: ZeroShotDetector, labels: list[str], every: float = 1.0,
                 scale: float = 1.0) -> None:  # fmt: skip
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
