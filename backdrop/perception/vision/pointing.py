"""What a person is pointing at: the arm's direction from pose landmarks, the first thing along it.

Pose landmarks are BlazePose's 33 body points (the embedded ``pose_landmark_full.tflite`` run on
the crop :class:`~backdrop.perception.vision.person_crop.PoseDetector` finds), mapped back to
frame pixels (x right, y down). An arm *points* when it is straight (shoulder→wrist at least
:data:`MIN_STRAIGHTNESS` of the upper-plus-lower arm length) and held away from the body (at
least :data:`MIN_RAISE_DEG` from the torso's shoulder→hip axis). The ray starts at the hand
(the index-finger landmark when visible, else the wrist) and runs along elbow→hand blended with
shoulder→hand.

Along the ray, :func:`first_along` takes the nearest detected object box the ray enters (boxes
grown by :data:`HIT_MARGIN` of the frame diagonal; the pointing person's own box is skipped);
without one, :func:`salient_along` takes the first window along the ray dense in edges (the
"salient region").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.vision.person_crop import (
    LANDMARK_SIZE,
    PoseDetector,
    PoseLandmarker,
    detect_people,
    roi_affine,
)

MIN_STRAIGHTNESS = 0.8
"""|shoulder→wrist| / (|shoulder→elbow| + |elbow→wrist|) from which an arm counts as straight."""
MIN_RAISE_DEG = 35.0
"""Degrees between the arm and the torso axis from which an arm is held out (not hanging)."""
MIN_VISIBILITY = 0.5
"""Landmark visibility (0..1) needed for shoulder, elbow and wrist."""
HIT_MARGIN = 0.03
"""Share of the frame diagonal a box is grown by before testing the ray against it."""

_L = {"shoulder": 11, "elbow": 13, "wrist": 15, "index": 19, "hip": 23}
_R = {"shoulder": 12, "elbow": 14, "wrist": 16, "index": 20, "hip": 24}


@dataclass(frozen=True)
class Ray:
    """A pointing direction in frame pixels.

    Attributes:
        origin: ``(x, y)`` the hand.
        direction: unit ``(dx, dy)``.
        arm: ``"left"`` or ``"right"`` (the person's own side, as BlazePose labels it).
        score: 0..1, how clearly the arm points (straightness × raise).
        person_box: the pointing person's landmark box ``(x0, y0, x1, y1)``.
    """

    origin: tuple[float, float]
    direction: tuple[float, float]
    arm: str
    score: float
    person_box: tuple[float, float, float, float]


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-6 else None


def pointing_ray(landmarks: np.ndarray, min_visibility: float = MIN_VISIBILITY) -> Ray | None:
    """The pointing arm of one person, or ``None`` when neither arm points.

    Args:
        landmarks: ``33×3`` (or more rows/columns) — x, y in frame pixels, visibility 0..1 in
            column 3 when ``landmarks.shape[1] > 3`` (BlazePose's 5-column output: x, y, z,
            visibility, presence), else all visible.
        min_visibility: landmarks below this are not trusted.
    """
    lm = np.asarray(landmarks, np.float64)
    vis = lm[:, 3] if lm.shape[1] > 3 else np.ones(len(lm))
    xy = lm[:, :2]
    ok = vis >= min_visibility
    box_pts = xy[:25][ok[:25]] if ok[:25].any() else xy[:25]
    person_box = (*box_pts.min(axis=0).tolist(), *box_pts.max(axis=0).tolist())
    best: Ray | None = None
    for name, idx in (("left", _L), ("right", _R)):
        if not all(ok[idx[k]] for k in ("shoulder", "elbow", "wrist")):
            continue
        s, e, w = xy[idx["shoulder"]], xy[idx["elbow"]], xy[idx["wrist"]]
        reach = float(np.linalg.norm(w - s))
        length = float(np.linalg.norm(e - s) + np.linalg.norm(w - e))
        if length < 1e-6:
            continue
        straight = reach / length
        torso = _unit(xy[idx["hip"]] - s) if ok[idx["hip"]] else np.array([0.0, 1.0])
        arm = _unit(w - s)
        if arm is None or torso is None:
            continue
        raise_deg = math.degrees(math.acos(float(np.clip(arm @ torso, -1.0, 1.0))))
        if straight < MIN_STRAIGHTNESS or raise_deg < MIN_RAISE_DEG:
            continue
        hand = xy[idx["index"]] if ok[idx["index"]] else w
        fore = _unit(hand - e)
        d = _unit((fore if fore is not None else arm) + arm)
        if d is None:
            continue
        score = float(
            np.clip((straight - MIN_STRAIGHTNESS) / (1 - MIN_STRAIGHTNESS), 0, 1) * 0.5
            + np.clip((raise_deg - MIN_RAISE_DEG) / (90 - MIN_RAISE_DEG), 0, 1) * 0.5
        )
        ray = Ray((float(hand[0]), float(hand[1])), (float(d[0]), float(d[1])), name, score,
                  person_box)  # fmt: skip
        if best is None or ray.score > best.score:
            best = ray
    return best


def ray_box_entry(
    ray: Ray, box: tuple[float, ...], margin: float = 0.0
) -> tuple[float, float] | None:
    """``(enter, leave)``: distances (pixels) along ``ray`` at which it enters and leaves ``box``
    (grown by ``margin`` px); ``enter`` is 0 when the origin is inside; ``None`` when it misses
    or the box is behind."""
    (ox, oy), (dx, dy) = ray.origin, ray.direction
    lo = [box[0] - margin, box[1] - margin]
    hi = [box[2] + margin, box[3] + margin]
    t0, t1 = 0.0, math.inf
    for o, d, a, b in ((ox, dx, lo[0], hi[0]), (oy, dy, lo[1], hi[1])):
        if abs(d) < 1e-9:
            if not a <= o <= b:
                return None
            continue
        ta, tb = (a - o) / d, (b - o) / d
        t0, t1 = max(t0, min(ta, tb)), min(t1, max(ta, tb))
    return (t0, t1) if t0 <= t1 else None


def first_along(
    ray: Ray,
    boxes: list[tuple[float, float, float, float]],
    labels: list[str],
    frame_size: tuple[int, int],
    prefer: str | None = None,
) -> int | None:
    """Index of the nearest box the ray enters (the pointing person's own box skipped), or
    ``None``. A box the hand is already inside counts only when it is not a person and reaches
    at least a quarter of the frame diagonal ahead (a bed under an arm pointing along it).

    Args:
        ray: from :func:`pointing_ray`.
        boxes: ``(x0, y0, x1, y1)`` frame pixels.
        labels: each box's label (a ``person`` box holding the hand is the pointer).
        frame_size: ``(width, height)`` pixels.
        prefer: a label said with the pointing ("the lamp I'm pointing at"): the nearest box of
            that label along the ray wins over nearer others.
    """
    margin = HIT_MARGIN * math.hypot(*frame_size)
    hits = []
    for i, (b, label) in enumerate(zip(boxes, labels, strict=True)):
        if label == "person" and _overlap(b, ray.person_box) > 0.5:
            continue  # the pointer
        span = ray_box_entry(ray, b, margin)
        if span is None:
            continue
        if span[0] <= 0 and (label == "person" or span[1] < 0.25 * math.hypot(*frame_size)):
            continue  # the hand is on it: a person beside the pointer, or a small thing held
        hits.append((span[0], i))
    named = [h for h in hits if prefer is not None and labels[h[1]] == prefer]
    return min(named or hits)[1] if hits else None


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box's area."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / small if small > 0 else 0.0


def salient_along(frame: np.ndarray, ray: Ray, window: float = 0.18) -> tuple[float, ...] | None:
    """A box around the first edge-dense window along ``ray`` beyond the hand, or ``None`` when
    the ray leaves the frame at once.

    Windows of ``window`` × the frame's short side are centred on points every half window
    along the ray; the first whose edge density (Canny) is at least 60 % of the densest one's
    (and above 2 %) is taken. ``frame``: ``H×W×3`` uint8 RGB.
    """
    h, w = frame.shape[:2]
    side = max(8, int(window * min(h, w)))
    edges = cv2.Canny(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), 60, 160) > 0
    integral = cv2.integral(edges.astype(np.uint8))
    (ox, oy), (dx, dy) = ray.origin, ray.direction
    found = []
    t = 0.75 * side
    while True:
        cx, cy = ox + dx * t, oy + dy * t
        if not (0 <= cx < w and 0 <= cy < h):
            break
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
        area = max(1, (x1 - x0) * (y1 - y0))
        dens = (integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]) / area
        if _overlap((x0, y0, x1, y1), ray.person_box) < 0.5:
            found.append((float(dens), (float(x0), float(y0), float(x1), float(y1))))
        t += side / 2
    if not found:
        return None
    peak = max(d for d, _ in found)
    if peak < 0.02:
        return None
    return next(b for d, b in found if d >= 0.6 * peak)


def body_landmarks(
    frame: np.ndarray, detector: PoseDetector, landmarker: PoseLandmarker, max_people: int = 4
) -> list[np.ndarray]:
    """Each person's 33 body landmarks in frame pixels: ``33×5`` (x, y, z, visibility 0..1,
    presence 0..1). ``frame``: ``H×W×3`` uint8 RGB."""
    h, w = frame.shape[:2]
    out = []
    for det in detect_people(detector, frame, max_people):
        m = roi_affine(det.roi(w, h), w, h, LANDMARK_SIZE)
        crop = cv2.warpAffine(frame, m, (LANDMARK_SIZE, LANDMARK_SIZE), flags=cv2.INTER_LINEAR)
        presence, lms, _ = landmarker.run(crop)
        if presence < 0.5:
            continue
        minv = cv2.invertAffineTransform(m)
        pts = lms[:33, :2] @ minv[:, :2].T + minv[:, 2]
        vis = 1.0 / (1.0 + np.exp(-np.clip(lms[:33, 3:5], -30, 30)))
        out.append(np.column_stack([pts, lms[:33, 2:3], vis]))
    return out


@dataclass(frozen=True)
class Pointed:
    """What a person points at in one frame.

    Attributes:
        t: the frame's time, seconds.
        ray: the pointing arm.
        label: the detected object's COCO label, or ``None`` for a salient region.
        box: ``(x0, y0, x1, y1)`` frame pixels of the object or region.
    """

    t: float
    ray: Ray
    label: str | None
    box: tuple[float, float, float, float]


def find_pointed(
    frame: np.ndarray,
    t: float,
    detector: PoseDetector,
    landmarker: PoseLandmarker,
    objects: list[tuple[str, tuple[float, float, float, float], float]],
    prefer: str | None = None,
) -> Pointed | None:
    """The thing pointed at in ``frame``: the clearest pointing arm's first object along it,
    else a salient region; ``None`` when nobody points (or the ray finds nothing).

    Args:
        frame: ``H×W×3`` uint8 RGB.
        t: its time, seconds.
        detector, landmarker: the embedded pose models.
        objects: ``(label, box, score)`` detections in the same frame's pixels.
    """
    rays = [r for lm in body_landmarks(frame, detector, landmarker) if (r := pointing_ray(lm))]
    if not rays:
        return None
    ray = max(rays, key=lambda r: r.score)
    h, w = frame.shape[:2]
    i = first_along(ray, [o[1] for o in objects], [o[0] for o in objects], (w, h), prefer)
    if i is not None:
        return Pointed(t, ray, objects[i][0], tuple(float(v) for v in objects[i][1]))
    box = salient_along(frame, ray)
    return None if box is None else Pointed(t, ray, None, box)


def pointed_in_video(
    source: str | Path, times: list[float], min_score: float = 0.3, prefer: str | None = None
) -> Pointed | None:
    """What someone in ``source`` points at: the first of ``times`` (seconds, in order of
    preference) at which an arm points with at least ``min_score``; objects from the embedded
    COCO detector when installed (else a salient region); ``prefer``: a COCO label said with
    the pointing, chosen over nearer things along the ray. Boxes in display pixels.

    Raises:
        ModelMissingError: the pose models are not installed.
    """
    from backdrop.perception.core.media import read_frame_at
    from backdrop.perception.core.models import ModelMissingError, model_path
    from backdrop.perception.vision.yolo import load_coco_detector

    det = PoseDetector(model_path("pose-detection"), 1)
    lm = PoseLandmarker(model_path("pose-landmarks"), 1)
    try:
        coco = load_coco_detector(min_score=0.15)
    except ModelMissingError:
        coco = None  # no object detector: the salient region along the arm
    for t in times:
        ft, frame = read_frame_at(source, t)
        rays = [r for L in body_landmarks(frame, det, lm) if (r := pointing_ray(L))]
        if not rays or max(r.score for r in rays) < min_score:
            continue
        objects = coco.detect(frame) if coco is not None else []
        found = find_pointed(frame, ft, det, lm, objects, prefer)
        if found is not None:
            return found
    return None


__all__ = [
    "Pointed",
    "pointed_in_video",
    "Ray",
    "body_landmarks",
    "find_pointed",
    "first_along",
    "pointing_ray",
    "ray_box_entry",
    "salient_along",
]
