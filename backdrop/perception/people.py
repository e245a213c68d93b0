"""People and faces in the frame: :class:`PeopleCount` events and face boxes.

People are counted with the BlazePose detector (:class:`~backdrop.perception.person_crop.
PoseDetector`) on sampled frames (``every`` seconds); a :class:`PeopleCount` event spans each
run of equal counts. Faces come from MediaPipe's short-range face detector
(:class:`FaceDetector`, 128×128 SSD), used by the scene description.

Boxes are XYXY pixels of the frame given.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from backdrop.perception.events import Event, PeopleCount
from backdrop.perception.media import Chunk
from backdrop.perception.person_crop import PoseDetector, _interpreter, _iou, _letterbox

FACE_SIZE = 128


@lru_cache(maxsize=1)
def _face_anchors() -> np.ndarray:
    out: list[tuple[float, float]] = []
    for stride, per_cell in ((8, 2), (16, 6)):
        n = FACE_SIZE // stride
        for y in range(n):
            for x in range(n):
                out.extend([((x + 0.5) / n, (y + 0.5) / n)] * per_cell)
    return np.asarray(out, np.float32)


class FaceDetector:
    """MediaPipe short-range face detector (faces within ~2 m of the camera).

    Args:
        model: ``face_detection_short_range.tflite`` path.
        min_score: confidence threshold in [0, 1].
    """

    def __init__(self, model: str | Path, threads: int = 2, min_score: float = 0.5) -> None:
        self._interp = _interpreter(Path(model), threads)
        self._in = self._interp.get_input_details()[0]["index"]
        outs = sorted(self._interp.get_output_details(), key=lambda d: int(d["shape"][-1]))
        self._scores, self._boxes = outs[0]["index"], outs[1]["index"]
        self.min_score = min_score

    def detect(self, frame: np.ndarray) -> list[tuple[float, tuple[float, float, float, float]]]:
        """``[(score, XYXY pixel box)]`` of faces in ``frame`` (``H×W×3`` uint8 RGB), best first."""
        h, w = frame.shape[:2]
        img, _, px, py = _letterbox(frame, FACE_SIZE)
        x = img.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        self._interp.set_tensor(self._in, x[None])
        self._interp.invoke()
        raw = self._interp.get_tensor(self._boxes)[0]
        logits = np.clip(self._interp.get_tensor(self._scores)[0, :, 0], -80, 80)
        scores = 1.0 / (1.0 + np.exp(-logits))
        anchors = _face_anchors()
        found: list[tuple[float, tuple[float, float, float, float]]] = []
        for i in np.argsort(-scores):
            if scores[i] < self.min_score:
                break
            cx = raw[i, 0] / FACE_SIZE + anchors[i, 0]
            cy = raw[i, 1] / FACE_SIZE + anchors[i, 1]
            bw, bh = raw[i, 2] / FACE_SIZE, raw[i, 3] / FACE_SIZE
            sx, sy = w / (1 - 2 * px), h / (1 - 2 * py)
            box = ((cx - bw / 2 - px) * sx, (cy - bh / 2 - py) * sy,
                   (cx + bw / 2 - px) * sx, (cy + bh / 2 - py) * sy)  # fmt: skip
            if all(_iou(box, b) < 0.3 for _, b in found):
                found.append((float(scores[i]), tuple(float(v) for v in box)))  # type: ignore[arg-type]
        return found


class PeopleAnalyzer:
    """Counts people every ``every`` seconds; one :class:`PeopleCount` per run of equal counts."""

    name = "people"

    def __init__(self, detector: PoseDetector, every: float = 0.5) -> None:
        self.detector = detector
        self.every = every
        self._next = 0.0
        self._run: tuple[float, float, int] | None = None

    def count(self, frame: np.ndarray) -> int:
        return len(self.detector.detect(frame))

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            t = float(t)
            if self._run is not None:
                self._run = (self._run[0], t, self._run[2])
            if t + 1e-6 < self._next:
                continue
            self._next = math.floor(t / self.every + 1) * self.every
            n = self.count(frame)
            if self._run is None:
                self._run = (t, t, n)
            elif n != self._run[2]:
                out.append(PeopleCount(t0=self._run[0], t1=t, source=self.name, n=self._run[2]))
                self._run = (t, t, n)
        return out

    def flush(self) -> list[Event]:
        if self._run is None:
            return []
        t0, t1, n = self._run
        self._run = None
        return [PeopleCount(t0=t0, t1=t1, source=self.name, n=n)]
