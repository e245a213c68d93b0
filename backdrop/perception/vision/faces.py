"""Faces and lips: MediaPipe's short-range face detector and 468-point face landmarks, run with
LiteRT, and a mouth-opening measure for the active-speaker analyzer.

Conventions: frames are ``H×W×3`` uint8 RGB; boxes are XYXY in pixels of the frame given;
landmarks are ``468×3`` (X, Y in frame pixels, Z relative depth). Models are loaded once in the
constructors; :meth:`FaceDetector.detect` and :meth:`FaceLandmarker.landmarks` are cheap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.core.litert import open_interpreter
from backdrop.perception.core.models import model_path

log = logging.getLogger(__name__)

UPPER_LIP, LOWER_LIP = 13, 14
"""Inner-lip landmark indices (top and bottom of the mouth opening)."""
MOUTH_LEFT, MOUTH_RIGHT = 78, 308
"""Inner mouth-corner landmark indices."""


@dataclass(frozen=True)
class Face:
    """A detected face: ``box`` XYXY pixels, ``score`` in [0, 1]."""

    box: tuple[float, float, float, float]
    score: float


def _anchors() -> np.ndarray:
    """The 896 SSD anchor centres (x, y in [0, 1]) of the 128×128 short-range model."""
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.mgrid[0:grid, 0:grid]
        centres = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        out.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(out).astype(np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` (4,) with boxes ``b`` (N×4), XYXY."""
    x0, y0 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x1, y1 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


class FaceDetector:
    """BlazeFace short range (faces within ~2 m of the camera).

    Args:
        path: the ``.tflite`` file (default: the installed ``face-detection`` model).
        min_score: detections below this confidence are dropped.
        threads: LiteRT threads.
    """

    SIZE = 128

    def __init__(
        self, path: str | Path | None = None, min_score: float = 0.6, threads: int = 1
    ) -> None:
        self.path = Path(path) if path else model_path("face-detection")
        self._interp = open_interpreter(str(self.path), threads)
        self._in = self._interp.get_input_details()[0]["index"]
        outs = {d["name"]: d["index"] for d in self._interp.get_output_details()}
        self._reg, self._cls = outs["regressors"], outs["classificators"]
        self.min_score = min_score
        self._anchors = _anchors()

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Faces in ``frame`` (RGB uint8), best first; boxes XYXY in frame pixels."""
        h, w = frame.shape[:2]
        side = max(h, w)
        square = np.zeros((side, side, 3), np.uint8)
        square[:h, :w] = frame
        img = cv2.resize(square, (self.SIZE, self.SIZE), interpolation=cv2.INTER_AREA)
        x = (img.astype(np.float32) / 127.5 - 1.0)[None]
        self._interp.set_tensor(self._in, x)
        self._interp.invoke()
        reg = self._interp.get_tensor(self._reg)[0]
        logit = np.clip(self._interp.get_tensor(self._cls)[0, :, 0], -80, 80)
        score = 1.0 / (1.0 + np.exp(-logit))
        keep = np.flatnonzero(score >= self.min_score)
        if not keep.size:
            return []
        c = reg[keep, :2] / self.SIZE + self._anchors[keep]
        half = reg[keep, 2:4] / self.SIZE / 2
        boxes = np.concatenate([c - half, c + half], axis=1) * side
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        order = np.argsort(-score[keep])
        faces: list[Face] = []
        taken = np.zeros(len(keep), bool)
        for i in order:  # weighted non-maximum suppression
            if taken[i]:
                continue
            group = (~taken) & (_iou(boxes[i], boxes) >= 0.3)
            taken |= group
            wts = score[keep][group]
            box = (boxes[group] * wts[:, None]).sum(axis=0) / wts.sum()
            faces.append(Face(tuple(float(v) for v in box), float(score[keep][i])))  # type: ignore[arg-type]
        return faces


class FaceLandmarker:
    """MediaPipe face mesh (468 landmarks) on a square crop around a detected face.

    Args:
        path: the ``.tflite`` file (default: the installed ``face-landmarks`` model).
        scale: the crop's side is this many times the face box's longer side.
        threads: LiteRT threads.
    """

    SIZE = 192

    def __init__(self, path: str | Path | None = None, scale: float = 1.5, threads: int = 1):
        self.path = Path(path) if path else model_path("face-landmarks")
        self._interp = open_interpreter(str(self.path), threads)
        self._in = self._interp.get_input_details()[0]["index"]
        outs = sorted(self._interp.get_output_details(), key=lambda d: -int(np.prod(d["shape"])))
        self._pts, self._flag = outs[0]["index"], outs[1]["index"]
        self.scale = scale

    def landmarks(
        self, frame: np.ndarray, box: tuple[float, float, float, float]
    ) -> tuple[np.ndarray, float]:
        """``(468×3 landmarks in frame pixels, face presence 0..1)`` for the face in ``box``."""
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0) * self.scale
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        src = np.float32([[cx - side / 2, cy - side / 2], [cx + side / 2, cy - side / 2],
                          [cx - side / 2, cy + side / 2]])  # fmt: skip
        dst = np.float32([[0, 0], [self.SIZE, 0], [0, self.SIZE]])
        m = cv2.getAffineTransform(src, dst)
        crop = cv2.warpAffine(frame, m, (self.SIZE, self.SIZE), borderMode=cv2.BORDER_REPLICATE)
        self._interp.set_tensor(self._in, (crop.astype(np.float32) / 255.0)[None])
        self._interp.invoke()
        pts = self._interp.get_tensor(self._pts).reshape(-1, 3).copy()
        flag = float(self._interp.get_tensor(self._flag).reshape(-1)[0])
        pts[:, :2] = pts[:, :2] * (side / self.SIZE) + [cx - side / 2, cy - side / 2]
        return pts, float(1.0 / (1.0 + np.exp(-np.clip(flag, -80, 80))))


def mouth_opening(landmarks: np.ndarray) -> float:
    """Inner-lip gap divided by the inner mouth width (0 = closed, ~0.5+ = wide open)."""
    gap = np.linalg.norm(landmarks[UPPER_LIP, :2] - landmarks[LOWER_LIP, :2])
    width = np.linalg.norm(landmarks[MOUTH_LEFT, :2] - landmarks[MOUTH_RIGHT, :2])
    return float(gap / max(width, 1e-6))
