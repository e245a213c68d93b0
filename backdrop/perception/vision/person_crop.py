"""Person masks for small, full-body people: find each person, segment a crop around them, paste
the crop's mask back.

The embedded selfie model expects a person filling the frame; a dancer 1/3 of the frame high
comes out patchy. Here each person is first *found* — by MediaPipe's BlazePose detector
(``pose_detection.tflite``, 224×224, SSD anchors) or, on the following frames, by the previous
frame's pose landmarks — then a rotated square region of interest (ROI) around the whole body is
cut out, segmented at the model's input size, and warped back into a frame-sized mask.

Two crop segmenters are available:

* ``pose`` — BlazePose full landmark model (``pose_landmark_full.tflite``, 256×256), whose
  segmentation head is trained on full bodies; it also gives 39 landmarks, which track the ROI to
  the next frame without re-running the detector.
* ``selfie`` — the selfie model (general 256×256) run on the same crop: cheaper, weaker on limbs.

Conventions: frames are ``H×W×3`` uint8 RGB; an :class:`Roi` is in *normalised* frame coordinates
(centre ``cx, cy`` in [0, 1] of width/height, ``size`` a fraction of the frame **width** for a
square in pixels, ``angle`` radians counter-clockwise); masks are float32 in [0, 1].
"""

from __future__ import annotations

import copy
import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from backdrop.perception.core.litert import open_interpreter
from backdrop.perception.core.models import model_path
from backdrop.perception.vision.segment import (
    FrameShrinks,
    MaskSmoother,
    SelfieSegmenter,
    SmootherState,
    frame_thumbnail,
)
from backdrop.perception.vision.tracking import PersonTracker
from backdrop.perception.vision.tracking import box_iou as _box_iou

log = logging.getLogger(__name__)

DETECTOR_SIZE = 224
"""Input side (pixels) of ``pose_detection.tflite``."""

LANDMARK_SIZE = 256
"""Input side (pixels) of ``pose_landmark_full.tflite`` and of its segmentation output."""

ROI_SCALE = 1.25
"""MediaPipe's enlargement of the hip→scale-point square around a body."""

CHANGE_THUMB = 32
"""Side (pixels) of the grey thumbnail of a person's crop region compared between frames to
decide whether the landmark model must run again (see ``CropPersonSegmenter.change_threshold``)."""

MODEL_THREADS = 2
"""LiteRT threads each model of :func:`load_crop_person_masker` uses by default. One thread cost
less CPU per frame on s18 where every core was busy (11.4 vs 15.3 CPU-ms per frame, one busy
run) but more wall time on the juggler, whose masker is the critical path; the masks are the
same. ``bench_pipeline.py``'s ``preview-1thread`` case measures it."""

JUMP_S = 0.5
"""A frame more than this many seconds after the previous one (or any before it) is a *jump*: a
scrub or seek in the editor, or the newest processed frame after one. The people's crops are
then taken from the remembered frame nearest in time (see :data:`SEED_S`), nothing is carried
from the other time, and someone not found there is looked for on the same frame."""

SEED_S = 1.0
"""Most seconds between a jump's frame and the remembered frame whose tracks seed it; with none
that near, the tracks of the frame before the jump are tried (a person often stays put)."""

RESEED_MOVE = (0.05, 0.1, 0.15)
"""How far the landmark model may move a crop seeded from another time (centre by this fraction
of the crop's side, side by this log ratio, turn by these radians) before it runs again on the
moved crop (see ``CropPersonSegmenter._segment_seeded``)."""

HISTORY = 16
"""Frames whose tracks (and smoother state) are remembered for jumps (the most recent ones)."""

CHANGE_SCALE = 8
"""The frame is shrunk by this factor (area average) before the crop thumbnails are cut from it,
so that each thumbnail pixel averages the frame instead of sampling single pixels (noise)."""


@dataclass(frozen=True)
class Roi:
    """A rotated square region of a frame (see the module docstring for units)."""

    cx: float
    cy: float
    size: float
    angle: float = 0.0

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """Axis-aligned XYXY pixel box around the (unrotated) square."""
        half = self.size * width / 2
        x, y = self.cx * width, self.cy * height
        return x - half, y - half, x + half, y + half


@dataclass(frozen=True)
class PoseDetection:
    """One person found by the detector.

    Attributes:
        score: confidence in [0, 1].
        box: XYXY in normalised frame coordinates (the face/upper-body box the detector emits).
        keypoints: ``4×2`` normalised (X, Y): hip centre, full-body scale point, shoulder centre,
            upper-body scale point.
    """

    score: float
    box: tuple[float, float, float, float]
    keypoints: np.ndarray

    def roi(self, width: int, height: int) -> Roi:
        """The whole-body ROI MediaPipe derives from the hip centre and the scale point."""
        return _roi_from_points(self.keypoints[0], self.keypoints[1], width, height)


def _roi_from_points(p0: np.ndarray, p1: np.ndarray, width: int, height: int) -> Roi:
    x0, y0 = float(p0[0]) * width, float(p0[1]) * height
    x1, y1 = float(p1[0]) * width, float(p1[1]) * height
    size = 2.0 * math.hypot(x1 - x0, y1 - y0) * ROI_SCALE
    angle = math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0)
    angle = (angle + math.pi) % (2 * math.pi) - math.pi
    return Roi(x0 / width, y0 / height, size / width, angle)


def _roi_moved(a: Roi, b: Roi, width: int, height: int) -> bool:
    """Whether ROI ``b`` is more than :data:`RESEED_MOVE` away from ``a`` (frame pixels)."""
    shift = math.hypot((b.cx - a.cx) * width, (b.cy - a.cy) * height) / max(a.size * width, 1e-6)
    turn = abs((b.angle - a.angle + math.pi) % (2 * math.pi) - math.pi)
    grow = abs(math.log(max(b.size, 1e-6) / max(a.size, 1e-6)))
    return shift > RESEED_MOVE[0] or grow > RESEED_MOVE[1] or turn > RESEED_MOVE[2]


@lru_cache(maxsize=2)
def _anchors(size: int = DETECTOR_SIZE) -> np.ndarray:
    """SSD anchor centres (N×2, normalised) of BlazePose's detector: strides 8, 16, 32×3."""
    out: list[tuple[float, float]] = []
    for stride, per_cell in ((8, 2), (16, 2), (32, 6)):
        n = math.ceil(size / stride)
        for y in range(n):
            for x in range(n):
                out.extend([((x + 0.5) / n, (y + 0.5) / n)] * per_cell)
    return np.asarray(out, np.float32)


def _interpreter(path: Path, threads: int) -> Interpreter:
    return open_interpreter(path, threads)


def _letterbox(frame: np.ndarray, side: int) -> tuple[np.ndarray, float, float, float]:
    """Frame scaled into a ``side``² square with black bars: ``(img, scale, pad_x, pad_y)`` where
    pad is in normalised square units and scale maps frame pixels to square pixels."""
    h, w = frame.shape[:2]
    s = side / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    img = np.zeros((side, side, 3), np.uint8)
    x0, y0 = (side - nw) // 2, (side - nh) // 2
    img[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
    return img, s, x0 / side, y0 / side


def _clip_box(b: tuple[float, float, float, float], w: int, h: int) -> tuple[float, ...]:
    return (max(0.0, b[0] / w), max(0.0, b[1] / h), min(1.0, b[2] / w), min(1.0, b[3] / h))


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class PoseDetector:
    """BlazePose person detector (``pose_detection.tflite``) with weighted non-maximum suppression.

    Args:
        model: the ``.tflite`` path.
        threads: LiteRT threads.
        min_score: detections below this confidence are dropped.
    """

    def __init__(self, model: str | Path, threads: int = 2, min_score: float = 0.5) -> None:
        self._interp = _interpreter(Path(model), threads)
        self._in = self._interp.get_input_details()[0]["index"]
        outs = sorted(self._interp.get_output_details(), key=lambda d: int(d["shape"][-1]))
        self._scores, self._boxes = outs[0]["index"], outs[1]["index"]
        self.min_score = min_score

    def detect(self, frame: np.ndarray, max_people: int = 4) -> list[PoseDetection]:
        """People in ``frame`` (``H×W×3`` uint8 RGB), best first."""
        h, w = frame.shape[:2]
        img, _, px, py = _letterbox(frame, DETECTOR_SIZE)
        x = img.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        self._interp.set_tensor(self._in, x[None])
        self._interp.invoke()
        raw = self._interp.get_tensor(self._boxes)[0]
        logits = np.clip(self._interp.get_tensor(self._scores)[0, :, 0], -80, 80)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = np.flatnonzero(scores >= self.min_score)
        if keep.size == 0:
            return []
        anchors = _anchors()[keep]
        reg = raw[keep] / DETECTOR_SIZE
        cx, cy = reg[:, 0] + anchors[:, 0], reg[:, 1] + anchors[:, 1]
        bw, bh = reg[:, 2], reg[:, 3]
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        kps = reg[:, 4:12].reshape(-1, 4, 2) + anchors[:, None, :]
        # letterbox square → frame normalised
        sx, sy = 1.0 / (1.0 - 2 * px), 1.0 / (1.0 - 2 * py)
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - px) * sx
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - py) * sy
        kps[..., 0] = (kps[..., 0] - px) * sx
        kps[..., 1] = (kps[..., 1] - py) * sy
        order = np.argsort(-scores[keep])
        out: list[PoseDetection] = []
        used = np.zeros(len(order), bool)
        for i_pos, i in enumerate(order):
            if used[i_pos]:
                continue
            group = [
                j_pos
                for j_pos, j in enumerate(order)
                if not used[j_pos] and _iou(tuple(boxes[i]), tuple(boxes[j])) > 0.3
            ]
            for j_pos in group:
                used[j_pos] = True
            idx = order[group]
            wts = scores[keep][idx]
            wts = wts / wts.sum()
            box = tuple(float(v) for v in (boxes[idx] * wts[:, None]).sum(0))
            kp = (kps[idx] * wts[:, None, None]).sum(0)
            out.append(PoseDetection(float(scores[keep][i]), box, kp))  # type: ignore[arg-type]
            if len(out) >= max_people:
                break
        del w, h
        return out


def detect_people(
    detector: PoseDetector, frame: np.ndarray, max_people: int = 4, min_score: float = 0.5
) -> list[PoseDetection]:
    """People in ``frame``, also looking at overlapping tiles of a wide frame.

    The detector sees the frame letterboxed to 224×224, so in a wide shot (two people side by
    side, a crowd) each person is small; tiles as high as the frame and 1.25 times as wide,
    overlapping by half, are searched too, and the finds merged (weighted by score, the
    best-scoring box of overlapping ones kept). Boxes and keypoints are normalised to the whole
    frame.
    """
    h, w = frame.shape[:2]
    found = [d for d in detector.detect(frame, max_people) if d.score >= min_score]
    tile = int(round(1.25 * h))
    if w < 1.6 * h:
        return found
    step = max(1, tile // 2)
    starts = list(range(0, max(1, w - tile) + 1, step))
    if starts[-1] + tile < w:
        starts.append(w - tile)
    for x0 in starts:
        for d in detector.detect(np.ascontiguousarray(frame[:, x0 : x0 + tile]), max_people):
            if d.score < min_score:
                continue
            sx, ox = tile / w, x0 / w
            box = (d.box[0] * sx + ox, d.box[1], d.box[2] * sx + ox, d.box[3])
            kp = d.keypoints.copy()
            kp[:, 0] = kp[:, 0] * sx + ox
            found.append(PoseDetection(d.score, box, kp))
    found.sort(key=lambda d: -d.score)
    out: list[PoseDetection] = []
    for d in found:
        if all(_iou(d.box, o.box) <= 0.3 for o in out):
            out.append(d)
    return out[:max_people]


def roi_affine(roi: Roi, width: int, height: int, side: int) -> np.ndarray:
    """2×3 affine matrix mapping frame pixels into the ``side``² crop of ``roi``."""
    cx, cy = roi.cx * width, roi.cy * height
    size = roi.size * width
    c, s = math.cos(roi.angle), math.sin(roi.angle)
    k = side / size
    # crop = k * R(-angle) * (p - centre) + side/2  (image Y points down)
    a = np.array([[c, s], [-s, c]], np.float64) * k
    t = np.array([side / 2, side / 2]) - a @ np.array([cx, cy])
    return np.hstack([a, t[:, None]]).astype(np.float64)


@dataclass
class CropTrack:
    """One tracked person: their ROI, landmarks of the last frame (crop pixels, or None), how
    many frames they have gone without being confirmed, their identity (``pid``, from
    :class:`~backdrop.perception.vision.tracking.PersonTracker`), and their last mask (``mask``, at
    the
    segmenter's output size) with its normalised XYXY ``box`` — carried through frames where the
    landmark model loses them, and through frames where their crop has not changed since the
    model last ran (``ref_thumb``: the grey :data:`CHANGE_THUMB`² thumbnail of the crop region
    ``ref_affine`` — frame pixels → 256² crop — on that frame; ``skipped``: frames since;
    ``backoff``: frames before the crop is compared again)."""

    roi: Roi
    landmarks: np.ndarray | None = None
    misses: int = 0
    pid: str = ""
    mask: np.ndarray | None = None
    box: tuple[float, float, float, float] | None = None
    velocity: tuple[float, float] = (0.0, 0.0)
    head: tuple[float, float, float, float] | None = None
    age: int = 0
    angle: float | None = None
    spin: float = 0.0
    ref_thumb: np.ndarray | None = None
    ref_affine: np.ndarray | None = None
    ref_weight: np.ndarray | None = None
    skipped: int = 0
    backoff: int = 0
    key: int = 0
    """Serial number of the track in its segmenter (the identity stage's handle on it)."""
    quarter: int = 0
    """Quarter turns counter-clockwise (0–3) that make this person upright in the frame: 0
    upright, 2 upside down, 1 / 3 lying with the head to the right / left. Decided from the
    detector's body axis when the track starts, then kept until the landmarks' axis is more
    than :data:`QUARTER_HOLD` away from it (see :func:`body_quarter`)."""


@dataclass
class CropWork:
    """One frame's result of :meth:`CropPersonSegmenter.first` (the model stage), handed to
    :meth:`CropPersonSegmenter.identify` (the identity stage). The identity stage may run while
    the model stage already works on the next frame, so nothing here changes after the frame:
    the tracks are copies taken at its end (their masks are never changed in place).

    Attributes:
        frame: the frame, ``H×W×3`` uint8 RGB.
        t: its time in seconds (frame count / 30 when the caller gave none).
        mask: the people's crop masks pasted into one ``h×w`` float32 mask in [0, 1]
            (:meth:`CropPersonSegmenter.out_size`).
        live: copies of the tracks the landmark model kept (or carried unchanged) on this frame.
        carried: copies of the lost tracks whose masks are carried on this frame.
        shrinks: the frame's shrinks, shared by the change measure, the tracker's cut signature
            and the smoother's thumbnail.
    """

    frame: np.ndarray
    t: float
    mask: np.ndarray
    live: list[CropTrack]
    carried: list[CropTrack]
    shrinks: FrameShrinks

    @property
    def rois(self) -> list[Roi]:
        """ROIs of the live tracks (normalised, see :class:`Roi`), for the next frame."""
        return [tr.roi for tr in self.live]


SPIN_MIN = 0.08
"""Turn of the body axis per frame (radians, ~4.6°) above which a spinning person's next crop
is turned ahead by their smoothed spin (see :func:`_ahead`)."""


def _ahead(tr: CropTrack, roi: Roi) -> Roi:
    """The ROI for ``tr``'s next frame from this frame's measured ``roi``: a person spinning
    faster than :data:`SPIN_MIN` (a breakdancer, a twirl) gets the crop turned on by their
    smoothed spin, so the body stays upright in the crop the landmark model sees; anyone else
    gets ``roi`` unchanged."""
    turn = 0.0 if tr.angle is None else (roi.angle - tr.angle + math.pi) % (2 * math.pi) - math.pi
    tr.angle = roi.angle
    tr.spin = 0.5 * tr.spin + 0.5 * turn
    if abs(tr.spin) < SPIN_MIN:
        return roi
    return Roi(roi.cx, roi.cy, roi.size, roi.angle + tr.spin)


QUARTER_HOLD = math.radians(60)
"""How far (radians) a person's body axis may turn from their current quarter (see
``CropTrack.quarter``) before the quarter changes: 15° of hysteresis past the half-way 45°, so
a body near the diagonal does not flip between two quarters."""


def body_quarter(angle: float, current: int | None = None) -> int:
    """Quarter turns counter-clockwise (0–3) that make upright a body whose :class:`Roi` angle
    (hip → head axis) is ``angle`` radians: the nearest multiple of 90°, or ``current`` while the
    angle is within :data:`QUARTER_HOLD` of it."""
    if current is not None:
        off = (angle - current * math.pi / 2 + math.pi) % (2 * math.pi) - math.pi
        if abs(off) <= QUARTER_HOLD:
            return current
    return round(angle / (math.pi / 2)) % 4


def head_and_shoulders(tr: CropTrack, width: int, height: int, large_side: float) -> bool:
    """Whether ``tr`` is a head-and-shoulders person in a ``width×height`` frame: their body
    square is at least ``large_side`` times the frame's side along their body axis (its height
    when upright or upside down, its width when lying) and their hips are past the frame's edge
    on the feet's side (below it when upright, above it upside down)."""
    q = tr.quarter
    r = tr.roi
    along = height if q % 2 == 0 else width
    hips_out = (r.cy > 0.95, r.cx < 0.05, r.cy < 0.05, r.cx > 0.95)[q]
    return r.size * width >= large_side * along and hips_out


def turn_frame(img: np.ndarray, quarter: int) -> np.ndarray:
    """``img`` (frame or mask) turned ``quarter`` quarter turns counter-clockwise (a contiguous
    copy; ``img`` itself when ``quarter`` is 0). ``turn_frame(turn_frame(x, q), -q)`` is ``x``."""
    q = quarter % 4
    if q == 0:
        return img
    code = (cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE)[q - 1]
    return cv2.rotate(img, code)


PersonTrack = CropTrack


def _same_head(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two normalised head boxes are the same person's (overlap, or one's centre in the
    other)."""
    if _iou(a, b) > 0.2:
        return True
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


"""Former name of :class:`CropTrack` (the event of that name is in ``events``)."""


CHANGE_BACKOFF = 5
"""Frames a person's crop is not compared again (the landmark model runs) after a change of
more than :data:`CHANGE_BACKOFF_FACTOR` times the threshold: someone clearly moving is not
measured on every frame, which saves the measure's cost (~1–2 ms per frame at 720p)."""

CHANGE_BACKOFF_FACTOR = 3.0
"""Multiple of ``CropPersonSegmenter.change_threshold`` above which :data:`CHANGE_BACKOFF`
applies."""

CHANGE_GROW = 3
"""Thumbnail pixels (of :data:`CHANGE_THUMB`) the person's crop mask is grown by to weight the
change measure: the band a limb can move into between two frames counts as much as the body."""


def _change_weight(prob: np.ndarray) -> np.ndarray | None:
    """Weights (``CHANGE_THUMB``² float32, summing to 1) of the thumbnail pixels in the change
    measure: the person's crop mask shrunk to the thumbnail and grown by :data:`CHANGE_GROW`;
    None when the mask is empty (the plain mean is used)."""
    small = cv2.resize(prob, (CHANGE_THUMB, CHANGE_THUMB), interpolation=cv2.INTER_AREA)
    k = np.ones((2 * CHANGE_GROW + 1, 2 * CHANGE_GROW + 1), np.uint8)
    region = cv2.dilate((small >= 0.1).astype(np.uint8), k).astype(np.float32)
    total = float(region.sum())
    return region / total if total > 0 else None


def mask_box(mask: np.ndarray, thresh: float = 0.5) -> tuple[float, float, float, float] | None:
    """Normalised XYXY bounding box of ``mask >= thresh`` (None when empty)."""
    ys = np.flatnonzero((mask >= thresh).any(axis=1))
    if ys.size == 0:
        return None
    xs = np.flatnonzero((mask >= thresh).any(axis=0))
    h, w = mask.shape
    return xs[0] / w, ys[0] / h, (xs[-1] + 1) / w, (ys[-1] + 1) / h


class PoseLandmarker:
    """BlazePose full landmark model on a ROI crop: 39 landmarks, presence and a person mask.

    Args:
        model: ``pose_landmark_full.tflite`` path.
        threads: LiteRT threads.
    """

    def __init__(self, model: str | Path, threads: int = 2) -> None:
        self._interp = _interpreter(Path(model), threads)
        self._in = self._interp.get_input_details()[0]["index"]
        by_size = {int(np.prod(d["shape"])): d["index"] for d in self._interp.get_output_details()}
        self._lm = by_size[195]
        self._flag = by_size[1]
        self._seg = by_size[LANDMARK_SIZE * LANDMARK_SIZE]

    def run(self, crop: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``(presence in [0, 1], 39×5 landmarks (x, y in crop pixels, z, visibility, presence),
        256×256 float32 person probability)`` for a ``256×256×3`` uint8 RGB crop."""
        x = crop.astype(np.float32) * np.float32(1.0 / 255.0)
        self._interp.set_tensor(self._in, x[None])
        self._interp.invoke()
        flag = float(self._interp.get_tensor(self._flag).reshape(()))
        presence = 1.0 / (1.0 + math.exp(-flag)) if not 0.0 <= flag <= 1.0 else flag
        lms = self._interp.get_tensor(self._lm).reshape(39, 5).copy()
        seg = self._interp.get_tensor(self._seg).reshape(LANDMARK_SIZE, LANDMARK_SIZE)
        prob = 1.0 / (1.0 + np.exp(-np.clip(seg, -30, 30)))
        return presence, lms, prob.astype(np.float32)


def _only_this_person(prob: np.ndarray, lms: np.ndarray, grow: int = 6) -> np.ndarray:
    """Keep the parts of a crop mask connected to this person's body landmarks.

    The crop's segmentation head marks *every* person in the crop (a crowd behind a dancer);
    the pieces that hold none of the 33 body landmarks (crop pixels) are dropped.

    Args:
        prob: ``256×256`` float32 person probability of the crop.
        lms: ``39×5`` landmarks (x, y in crop pixels first).
        grow: pixels the kept region is grown by, so soft edges survive.
    """
    n, labels = cv2.connectedComponents((prob >= 0.5).astype(np.uint8), connectivity=8)
    if n <= 2:
        return prob
    side = prob.shape[0]
    pts = np.round(lms[:33, :2]).astype(int)
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < side) & (pts[:, 1] >= 0) & (pts[:, 1] < side)
    hit = set(labels[pts[inside, 1], pts[inside, 0]].tolist()) - {0}
    if not hit:
        return prob
    keep = np.isin(labels, list(hit)).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    region = cv2.GaussianBlur(cv2.dilate(keep, k).astype(np.float32), (0, 0), grow / 2)
    return prob * region


@dataclass
class CropPersonSegmenter:
    """Finds people, segments a crop around each and pastes the masks into one frame mask.

    Args:
        detector: the person detector (run when nobody is tracked, and every
            ``redetect_every`` frames to pick up newcomers).
        landmarker: the pose landmark model (segments the crop and tracks the ROI).
        selfie: optional selfie segmenter (general model); with ``crop_model="selfie"`` it segments
            the crops instead of the pose model's head; with ``"both"`` the two are averaged.
        crop_model: ``"pose"``, ``"selfie"`` or ``"both"``.
        out_long_side: long side in pixels of the returned mask.
        max_people: most people tracked at once.
        redetect_every: frames between detector runs while people are tracked (and the frame
            after anyone is lost).
        carry_frames: frames a lost person's mask is carried (moved by their last velocity).
        carry_after: frames a person must have been segmented in before they are carried.
        large_side: when set, a person whose body square is at least this many frame heights
            and whose hips are below the frame (a head-and-shoulders shot, which the caller
            masks with a whole-frame model) is re-segmented in the crop only
            every ``large_every`` frames; their last crop mask and box stand in between.
        min_presence: landmark-model presence below which a track is dropped.
        change_threshold: mean absolute difference, in grey levels (0–255), between the
            :data:`CHANGE_THUMB`² grey thumbnail of a person's crop region on this frame and on
            the frame where the landmark model last ran for them — averaged over their crop
            mask grown by :data:`CHANGE_GROW` (the band a limb moves into), over the whole
            thumbnail when that mask is empty — below which the model is not run again: their
            last mask, box, ROI and landmarks are carried unchanged.
        max_skip: most consecutive frames a person's landmark model may be skipped that way
            (frames); 0 runs it on every frame. A head-and-shoulders person's ``large_every``
            refresh counts as one such frame, so theirs may wait
            ``large_every × (max_skip + 1)`` frames while nothing moves.
        runs: landmark-model runs so far (one per person per frame it ran).
        skips: person-frames where it was not run (crop unchanged, or a head-and-shoulders
            person between ``large_every`` refreshes).
    """

    detector: PoseDetector
    landmarker: PoseLandmarker
    selfie: SelfieSegmenter | None = None
    crop_model: str = "pose"
    out_long_side: int = 640
    max_people: int = 4
    redetect_every: int = 30
    min_presence: float = 0.5
    carry_frames: int = 8
    carry_after: int = 5
    large_side: float | None = None
    large_every: int = 4
    change_threshold: float = 1.0
    max_skip: int = 3
    runs: int = 0
    skips: int = 0
    tracks: list[CropTrack] = field(default_factory=list)
    carried: list[CropTrack] = field(default_factory=list)
    tracker: PersonTracker = field(default_factory=PersonTracker)
    _since_detect: int = 0
    _lost: bool = False
    _frame_no: int = 0
    _small: np.ndarray | None = None
    _small_scale: tuple[float, float] = (1.0, 1.0)
    _shrinks: FrameShrinks | None = None
    _keys: int = 0
    _pids: dict[int, str] = field(default_factory=dict)
    _people: list[CropTrack] = field(default_factory=list)
    _last_t: float | None = None
    _jump: bool = False
    _reseed: bool = False
    _history: deque[tuple[float, list[CropTrack]]] = field(
        default_factory=lambda: deque(maxlen=HISTORY)
    )

    def reset(self) -> None:
        """Forget tracked people (scene cut, seek): :meth:`reset_tracks` and
        :meth:`reset_identities`."""
        self.reset_tracks()
        self.reset_identities()

    def reset_tracks(self) -> None:
        """Forget the model stage's tracks (call in the thread that calls :meth:`first`)."""
        self.tracks = []
        self.carried = []
        self._since_detect = 0
        self._last_t = None
        self._history.clear()

    def reset_identities(self) -> None:
        """Forget identities (call in the thread that calls :meth:`identify`)."""
        self.tracker.reset()
        self._pids = {}
        self._people = []

    def out_size(self, width: int, height: int) -> tuple[int, int]:
        """``(width, height)`` of the returned mask for a ``width×height`` frame."""
        s = min(1.0, self.out_long_side / max(width, height))
        return max(1, round(width * s)), max(1, round(height * s))

    def people(self) -> list[Roi]:
        """ROIs of the people tracked after the last call."""
        return [t.roi for t in self.tracks]

    def __call__(self, frame: np.ndarray, t: float | None = None) -> np.ndarray:
        """Person probability for ``frame`` (``H×W×3`` uint8 RGB) at :meth:`out_size`; ``t``
        (seconds) times the identity tracker (default: frame count / 30). The same as
        :meth:`first` then :meth:`identify`."""
        work = self.first(frame, t)
        self.identify(work)
        return work.mask

    def first(self, frame: np.ndarray, t: float | None = None) -> CropWork:
        """The model stage of a frame: find and follow the people, run the landmark model on
        their crops, paste their masks, carry lost ones. It reads and writes only this stage's
        state (tracks, detector schedule, change thumbnails), so frame n+1's may run while
        :meth:`identify` of frame n does; frames must come in order."""
        h, w = frame.shape[:2]
        self._small = None
        self._shrinks = FrameShrinks(frame)
        ow, oh = self.out_size(w, h)
        self._since_detect += 1
        self._frame_no += 1
        self._jump = self._jumped(t)
        if not self.tracks or (self._since_detect >= self.redetect_every and not self._jump):
            self._detect(frame)  # a jump with people to try defers the periodic look
        elif self._lost:  # someone was just lost: look again, whole frame only (cheap)
            self._detect(frame, tiles=False)
        out = np.zeros((oh, ow), np.float32)
        alive: list[CropTrack] = []
        lost: list[CropTrack] = []
        for tr in self.tracks:
            if self._head_and_shoulders_rest(tr, w, h):
                # a head-and-shoulders person: the whole-frame model masks them; their crop
                # (which tracks them) is refreshed only every ``large_every`` frames
                self.skips += 1
                alive.append(tr)
                continue
            if self._unchanged(tr, frame):
                # the crop looks as it did when the model last ran: carry that frame's result
                self.skips += 1
                tr.skipped += 1
                tr.age += 1
                np.maximum(out, tr.mask, out=out)  # type: ignore[arg-type]
            elif not self._segment_seeded(tr, frame, (ow, oh)):
                lost.append(tr)
                continue
            else:
                np.maximum(out, tr.mask, out=out)  # type: ignore[arg-type]
            if any(a.head is not None and _same_head(tr.head, a.head) for a in alive):  # type: ignore[arg-type]
                continue  # two tracks converged on one person: keep the older
            alive.append(tr)
        if self._jump and (lost or not alive) and self._since_detect > 0:
            alive = self._found_again(frame, alive, out)
            lost = []
        out = self._carry(alive, lost, out)
        self.tracks = alive
        self._lost = bool(lost)
        live = [copy.copy(tr) for tr in alive]
        if t is not None:
            self._history.append((t, live))  # never changed: restored as copies
        return CropWork(
            frame, t if t is not None else self._frame_no / 30.0, out,
            live, [copy.copy(tr) for tr in self.carried], self._shrinks,
        )  # fmt: skip

    def _jumped(self, t: float | None) -> bool:
        """Whether ``t`` (seconds) is a jump from the previous frame's time (:data:`JUMP_S`).

        On one, nothing lost at the other time is carried, and the tracks are restored (copies)
        from a remembered frame: the latest one up to :data:`JUMP_S` before ``t`` when there is
        one (the processing stream going on after a scrub: tracked as if never left), else the
        nearest within :data:`SEED_S` (else the current tracks are tried); then ``_reseed`` is
        set and the landmark model runs twice per person (:meth:`_segment_seeded`)."""
        last, self._last_t = self._last_t, t
        self._reseed = False
        if t is None or last is None or 0.0 <= t - last <= JUMP_S:
            return False
        before = [h for h in self._history if 0.0 <= t - h[0] <= JUMP_S]
        near = max(before, key=lambda h: h[0]) if before else None
        if near is None:
            self._reseed = True
            near = min(self._history, key=lambda h: abs(h[0] - t), default=None)
            if near is not None and abs(near[0] - t) > SEED_S:
                near = None
        seeds = near[1] if near is not None else self.tracks
        self.tracks = [copy.copy(tr) for tr in seeds]
        if self._reseed:
            for tr in self.tracks:  # no turn ahead from another time
                tr.angle, tr.spin = None, 0.0
        self.carried = []
        self._lost = False
        return True

    def _segment_seeded(self, tr: CropTrack, frame: np.ndarray, out_wh: tuple[int, int]) -> bool:
        """:meth:`_segment`; after a jump seeded from another time, again when the first run's
        landmarks moved the crop by more than :data:`RESEED_MOVE` (the seed was off the person
        as they are on this frame): the second run segments the crop a frame-to-frame track
        would have given."""
        seed = tr.roi
        if not self._segment(tr, frame, out_wh):
            return False
        if self._reseed and _roi_moved(seed, tr.roi, frame.shape[1], frame.shape[0]):
            tr.angle, tr.spin = None, 0.0
            return self._segment(tr, frame, out_wh)
        return True

    def _found_again(
        self, frame: np.ndarray, alive: list[CropTrack], out: np.ndarray
    ) -> list[CropTrack]:
        """On a jump where a seeded track was lost (or nobody was seeded): look for people on
        this same frame (the whole frame; the tiles too when that finds nobody new) and segment
        the new ones into ``out`` (in place), so the frame shown after a scrub has its people
        now, not a frame later. Returns the live tracks."""
        self.tracks = list(alive)
        known = len(self.tracks)
        self._detect(frame, tiles=False)
        if len(self.tracks) == known:
            self._detect(frame)
        oh, ow = out.shape
        for tr in self.tracks[known:]:
            if self._segment(tr, frame, (ow, oh)):
                np.maximum(out, tr.mask, out=out)  # type: ignore[arg-type]
                alive.append(tr)
        return alive

    def identify(self, work: CropWork) -> None:
        """The identity stage of a frame (after its :meth:`first`, frames in order): give each
        live track of ``work`` its identity (re-identified after an occlusion), each carried
        one the identity it last had; :meth:`people_masks` then returns ``work``'s people."""
        named = [tr for tr in work.live if tr.box is not None]
        boxes = [tr.box for tr in named]
        ids = self.tracker.update(work.t, boxes, work.frame, shrinks=work.shrinks)  # type: ignore[arg-type]
        for tr, pid in zip(named, ids, strict=True):
            tr.pid = self._pids[tr.key] = pid
        for tr in [*work.live, *work.carried]:
            tr.pid = self._pids.get(tr.key, tr.pid)
        self._people = [tr for tr in [*work.live, *work.carried] if tr.mask is not None]

    def _head_and_shoulders_rest(self, tr: CropTrack, w: int, h: int) -> bool:
        """Whether ``tr`` is a head-and-shoulders person (see ``large_side``) whose crop is not
        refreshed on this frame."""
        return (
            self.large_side is not None
            and head_and_shoulders(tr, w, h, self.large_side)
            and tr.mask is not None
            and bool(self._frame_no % self.large_every)
            and not self._jump  # their last crop mask is of another time
        )

    def _roi_thumb(self, frame: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Grey :data:`CHANGE_THUMB`² float32 thumbnail (grey levels 0–255) of the crop region of
        affine ``m`` (frame pixels → 256² crop), cut from the frame shrunk :data:`CHANGE_SCALE`
        times (computed once per frame)."""
        if self._small is None:
            h, w = frame.shape[:2]
            sw, sh = max(1, w // CHANGE_SCALE), max(1, h // CHANGE_SCALE)
            small = (self._shrinks or FrameShrinks(frame)).area((sw, sh))
            self._small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
            self._small_scale = (w / sw, h / sh)
        sx, sy = self._small_scale
        to_thumb = m @ np.diag([sx, sy, 1.0]) * (CHANGE_THUMB / LANDMARK_SIZE)
        thumb = cv2.warpAffine(
            self._small, to_thumb, (CHANGE_THUMB, CHANGE_THUMB), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
        )  # fmt: skip
        return thumb.astype(np.float32)

    def _unchanged(self, tr: CropTrack, frame: np.ndarray) -> bool:
        """Whether the landmark model can be skipped for ``tr`` on ``frame``: it ran for them
        within ``max_skip`` frames and their crop region's thumbnail differs from that frame's
        by less than ``change_threshold`` grey levels on average (a change above
        :data:`CHANGE_BACKOFF_FACTOR` times that starts a :data:`CHANGE_BACKOFF`)."""
        if tr.backoff > 0:  # clearly moving a moment ago: not measured for a few frames
            tr.backoff -= 1
            return False
        if tr.ref_thumb is None or tr.ref_affine is None or tr.mask is None or tr.head is None:
            return False
        if tr.skipped >= self.max_skip:
            return False
        diff = cv2.absdiff(self._roi_thumb(frame, tr.ref_affine), tr.ref_thumb)
        if tr.ref_weight is not None:  # where the person is or could move to
            change = float((diff * tr.ref_weight).sum())
        else:
            change = float(diff.mean())
        if change >= CHANGE_BACKOFF_FACTOR * self.change_threshold:
            tr.backoff = CHANGE_BACKOFF
        return change < self.change_threshold

    def _segment(self, tr: CropTrack, frame: np.ndarray, out_wh: tuple[int, int]) -> bool:
        """Run the landmark model on ``tr``'s crop of ``frame``: updates its mask (pasted at
        ``out_wh``), box, head, ROI for the next frame and change thumbnail; False when the
        person is lost (presence below ``min_presence``)."""
        h, w = frame.shape[:2]
        ow, oh = out_wh
        self.runs += 1
        m = roi_affine(tr.roi, w, h, LANDMARK_SIZE)
        crop = cv2.warpAffine(
            frame, m, (LANDMARK_SIZE, LANDMARK_SIZE), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
        )  # fmt: skip
        presence, lms, prob = self.landmarker.run(crop)
        if presence < self.min_presence:
            log.debug("person track lost (presence %.2f)", presence)
            return False
        prob = self._crop_prob(crop, prob, lms)
        # paste: crop → output mask (the output is the frame scaled by ow/w)
        out_to_crop = m @ np.diag([w / ow, h / oh, 1.0])
        pasted = cv2.warpAffine(
            prob, out_to_crop, (ow, oh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )  # fmt: skip
        tr.skipped = 0
        if self.max_skip > 0 and tr.backoff == 0:  # the next frame compares with this one
            tr.ref_thumb, tr.ref_affine = self._roi_thumb(frame, m), m
            tr.ref_weight = _change_weight(prob)
        else:
            tr.ref_thumb = tr.ref_affine = tr.ref_weight = None
        # next ROI from the auxiliary landmarks 33 (hip centre) and 34 (scale point)
        minv = cv2.invertAffineTransform(m)
        pts = lms[33:35, :2] @ minv[:, :2].T + minv[:, 2]
        pts /= np.array([w, h], np.float32)
        new_roi = _roi_from_points(pts[0], pts[1], w, h)
        tr.velocity = (new_roi.cx - tr.roi.cx, new_roi.cy - tr.roi.cy)
        tr.quarter = body_quarter(new_roi.angle, tr.quarter)
        tr.roi = _ahead(tr, new_roi)
        tr.landmarks = lms
        tr.misses = 0
        tr.mask = pasted
        tr.age += 1
        tr.box = mask_box(pasted) or _clip_box(tr.roi.box(w, h), w, h)
        face = lms[:11, :2] @ minv[:, :2].T + minv[:, 2]
        (hx0, hy0), (hx1, hy1) = face.min(0) / (w, h), face.max(0) / (w, h)
        pad = 0.25 * max(hx1 - hx0, (hy1 - hy0) * h / w)
        tr.head = (hx0 - pad, hy0 - pad, hx1 + pad, hy1 + pad)
        return True

    def _crop_prob(self, crop: np.ndarray, prob: np.ndarray, lms: np.ndarray) -> np.ndarray:
        """The crop's person probability: the pose model's, restricted to this person, combined
        with the selfie model's per ``crop_model``."""
        prob = _only_this_person(prob, lms)
        if self.selfie is not None and self.crop_model != "pose":
            sp = self.selfie.predict(crop)
            if sp.shape != prob.shape:
                sp = cv2.resize(sp, prob.shape[::-1], interpolation=cv2.INTER_LINEAR)
            if self.crop_model == "max":
                prob = np.maximum(prob, _only_this_person(sp, lms))
            else:
                prob = sp if self.crop_model == "selfie" else 0.5 * (prob + sp)
        return prob

    def _carry(self, alive: list[CropTrack], lost: list[CropTrack], out: np.ndarray) -> np.ndarray:
        """Carry the masks of people the landmark model just lost for up to ``carry_frames``
        frames, moved by their last velocity, unless a live track now covers them; only people
        segmented in at least ``carry_after`` frames are carried."""
        carried: list[CropTrack] = []
        for tr in [*self.carried, *lost]:
            if tr.mask is None or tr.misses >= self.carry_frames or tr.age < self.carry_after:
                continue  # gone too long, or never confirmed (a false detection is not carried)
            if tr.box is not None and any(
                a.box is not None and _box_iou(a.box, tr.box) > 0.3 for a in alive
            ):
                continue  # found again (re-detected)
            tr.misses += 1
            oh, ow = tr.mask.shape
            dx, dy = tr.velocity[0] * ow, tr.velocity[1] * oh
            shift = np.float32([[1, 0, dx], [0, 1, dy]])
            tr.mask = cv2.warpAffine(tr.mask, shift, (ow, oh), borderMode=cv2.BORDER_CONSTANT)
            if tr.box is not None:
                vx, vy = tr.velocity
                x0, y0, x1, y1 = tr.box
                tr.box = (x0 + vx, y0 + vy, x1 + vx, y1 + vy)
            np.maximum(out, tr.mask, out=out)
            carried.append(tr)
        self.carried = carried
        return out

    def people_masks(self) -> list[CropTrack]:
        """The people of the last frame :meth:`identify` saw (live and carried; copies) with
        ``pid``, ``box`` and ``mask``."""
        return self._people

    def _detect(self, frame: np.ndarray, tiles: bool = True) -> None:
        h, w = frame.shape[:2]
        self._since_detect = 0
        if tiles:
            found = detect_people(self.detector, frame, self.max_people, self.detector.min_score)
        else:
            found = self.detector.detect(frame, self.max_people)
        for det in found:
            roi = det.roi(w, h)
            box = roi.box(w, h)
            del box
            if any(_same_head(det.box, t.head) for t in self.tracks if t.head is not None):
                continue
            if len(self.tracks) < self.max_people:
                self._keys += 1
                self.tracks.append(CropTrack(roi, head=tuple(det.box), key=self._keys,  # type: ignore[arg-type]
                                             quarter=body_quarter(roi.angle)))  # fmt: skip


class CroppedPersonMasker:
    """Crop segmentation for small people, whole-frame selfie segmentation otherwise, smoothed.

    Per frame: people are tracked by :class:`CropPersonSegmenter`; where one is found the crop
    masks are used (a person at least ``large_fraction`` of the frame height is also covered by
    the whole-frame selfie model, and the two are combined by maximum); with nobody found the
    whole-frame selfie mask is used, so a face-only talking head still works. A person whose
    body square is more than ``large_fraction`` times the frame's side along their body axis
    (mostly out of frame, a head-and-shoulders shot) is also covered by the whole-frame selfie
    model, combined by maximum; it runs on the frame turned so that person is upright
    (``CropTrack.quarter``: the selfie model keeps the wall around someone upside down).

    Returns ``h×w`` float32 masks at :meth:`CropPersonSegmenter.out_size`.
    """

    def __init__(
        self,
        crops: CropPersonSegmenter,
        whole: SelfieSegmenter,
        smoother: MaskSmoother | None = None,
        large_fraction: float = 1.6,
        whole_turned: Callable[[], SelfieSegmenter] | None = None,
    ) -> None:
        self.crops = crops
        self.whole = whole
        self.whole_turned = whole_turned
        """Builds the whole-frame model for the frame turned a quarter (the variant for the
        other aspect), loaded the first time someone lying is big in the frame; None: ``whole``
        is used turned too."""
        self._turned: SelfieSegmenter | None = None
        self.smoother = smoother if smoother is not None else MaskSmoother()
        self.large_fraction = large_fraction
        crops.large_side = large_fraction
        self.whole_mask: np.ndarray | None = None
        """The whole-frame selfie mask of the last frame, when it was used (else None)."""
        self.thumb: np.ndarray | None = None
        self._last_t: float | None = None
        self._states: deque[tuple[float, SmootherState]] = deque(maxlen=HISTORY)

    def __call__(self, frame: np.ndarray, t: float | None = None) -> np.ndarray:
        """The smoothed person mask of ``frame`` (``H×W×3`` uint8 RGB) at ``t`` seconds:
        :meth:`second` of :meth:`first`."""
        return self.second(self.first(frame, t))

    def first(self, frame: np.ndarray, t: float | None = None) -> CropWork:
        """Stage 1 (the landmark and detector models): :meth:`CropPersonSegmenter.first`."""
        return self.crops.first(frame, t)

    def second(self, work: CropWork) -> np.ndarray:
        """Stage 2 of ``work``'s frame: identities, the whole-frame model where needed, the
        frame thumbnail and the temporal smoother. It touches none of stage 1's state, so it
        may run in another thread while :meth:`first` works on the next frame (each stage's
        frames in order)."""
        frame = work.frame
        h, w = frame.shape[:2]
        self.crops.identify(work)
        mask, rois = work.mask, work.rois
        big = [tr for tr in work.live if self._big(tr, w, h)]
        self.whole_mask = None
        if not rois or big:
            quarter = max(big, key=lambda tr: tr.roi.size).quarter if big else 0
            whole = self._whole_mask(frame, quarter)
            whole = cv2.resize(whole, mask.shape[::-1], interpolation=cv2.INTER_LINEAR)
            self.whole_mask = whole
            mask = whole if not rois else np.maximum(mask, whole)
        self.thumb = frame_thumbnail(frame, shrinks=work.shrinks)
        self._smoother_at(work.t)
        out = self.smoother.smooth(mask, self.thumb)
        self._states.append((work.t, self.smoother.state.copy()))
        return out

    def _big(self, tr: CropTrack, width: int, height: int) -> bool:
        """Whether ``tr``'s body square is at least ``large_fraction`` times the frame's side
        along their body axis (the height when upright or upside down, the width lying)."""
        along = height if tr.quarter % 2 == 0 else width
        return tr.roi.size * width >= self.large_fraction * along

    def _whole_mask(self, frame: np.ndarray, quarter: int) -> np.ndarray:
        """The whole-frame selfie model's mask of ``frame`` (at the model's output size), run
        on the frame turned ``quarter`` quarter turns counter-clockwise — where the big person
        is upright, as the model was trained — and turned back. Upright (0) is the plain call;
        lying (odd quarters) uses the model variant for the turned frame's aspect."""
        if quarter == 0:
            return self.whole.predict(frame)
        model = self.whole
        if quarter % 2 and self.whole_turned is not None:
            if self._turned is None:
                self._turned = self.whole_turned()
            model = self._turned
        return turn_frame(model.predict(turn_frame(frame, quarter)), -quarter)

    def _smoother_at(self, t: float) -> None:
        """On a jump to ``t`` seconds (see :data:`JUMP_S`) the smoother continues from its state
        after the latest remembered frame up to :data:`JUMP_S` before ``t``, or starts afresh:
        a mask is never smoothed towards another time's."""
        last, self._last_t = self._last_t, t
        if last is None or 0.0 <= t - last <= JUMP_S:
            return
        before = [h for h in self._states if 0.0 <= t - h[0] <= JUMP_S]
        if before:
            self.smoother.state = max(before, key=lambda h: h[0])[1].copy()
        else:
            self.smoother.reset()

    def reset(self) -> None:
        self.reset_first()
        self.reset_second()

    def reset_first(self) -> None:
        """Reset stage 1's state (in the thread that calls :meth:`first`)."""
        self.crops.reset_tracks()

    def reset_second(self) -> None:
        """Reset stage 2's state (in the thread that calls :meth:`second`)."""
        self.crops.reset_identities()
        self.smoother.reset()
        self._last_t = None
        self._states.clear()


def load_crop_person_masker(
    width: int,
    height: int,
    threads: int | None = None,
    crop_model: str = "pose",
    models_dir: Path | None = None,
) -> CroppedPersonMasker:
    """Build :class:`CroppedPersonMasker` from the installed embedded models (``threads``:
    LiteRT threads per model, default :data:`MODEL_THREADS`).

    Raises:
        ModelMissingError: the pose models are not installed (``backdrop models install``).
    """
    from backdrop.perception.vision.segment import load_person_segmenter

    threads = MODEL_THREADS if threads is None else threads
    det = PoseDetector(model_path("pose-detection", models_dir), threads)
    lm = PoseLandmarker(model_path("pose-landmarks", models_dir), threads)
    selfie = None
    if crop_model != "pose":
        selfie = SelfieSegmenter(model_path("selfie-general", models_dir), threads)
    crops = CropPersonSegmenter(det, lm, selfie=selfie, crop_model=crop_model)
    whole = load_person_segmenter(width, height, threads=threads, models_dir=models_dir)

    def turned() -> SelfieSegmenter:  # for someone lying: the frame turned a quarter
        return load_person_segmenter(height, width, threads=threads, models_dir=models_dir)

    return CroppedPersonMasker(crops, whole, whole_turned=turned)
