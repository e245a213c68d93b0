"""People as tracks: identities that persist across frames, and choosing among them.

:class:`PersonTracker` associates per-frame person boxes with tracks (``P1``, ``P2``, …) by
overlap (IoU), centroid distance and an appearance cue (a hue/saturation histogram of the body
box), and re-identifies a person who reappears after a short occlusion (up to ``max_lost_s``)
by appearance near where they were lost. Tracks accumulate the statistics an editor weighs when
choosing the main subject: size, centrality, time on screen, motion (and speaking, when bound).

:func:`main_subject`, :func:`select_people` and :func:`position_of` turn a selector ("main",
"all", "left", "right", "centre", "largest", "colour:red", "speaking", "id:P2") into track ids; the
render-side masker calls them per frame on the tracks it holds, so a rule is resolved from the
tracks, never by re-reading the instruction.

Conventions: frames are ``H×W×3`` uint8 RGB; boxes are XYXY in *normalised* frame coordinates
([0, 1] of width and height) unless a name says pixels; times are seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from backdrop.perception.vision.segment import FrameShrinks

Box = tuple[float, float, float, float]

COLOURS: dict[str, tuple[float, float] | None] = {
    # name: OpenCV hue range (0..180) for chromatic colours, None for achromatic ones
    "red": (170.0, 10.0),
    "orange": (10.0, 22.0),
    "yellow": (22.0, 34.0),
    "green": (34.0, 85.0),
    "blue": (95.0, 130.0),
    "purple": (130.0, 160.0),
    "pink": (160.0, 170.0),
    "white": None,
    "black": None,
    "grey": None,
}
"""Colour words a selector understands (``gray`` is read as ``grey``)."""

SELECTORS = ("main", "all", "left", "right", "centre", "largest", "speaking")
"""Plain selectors; ``colour:<name>`` and ``id:<P#>`` take a value."""


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two XYXY boxes (any units, the same for both)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _centre(b: Sequence[float]) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _pixels(frame: np.ndarray, box: Sequence[float], torso: bool = False) -> np.ndarray:
    """The frame's pixels inside normalised ``box`` (the middle of the body when ``torso``)."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = box
    if torso:  # the middle half in width, 25 %..65 % in height: clothes, not background
        bw, bh = x1 - x0, y1 - y0
        x0, x1 = x0 + 0.25 * bw, x1 - 0.25 * bw
        y0, y1 = y0 + 0.25 * bh, y0 + 0.65 * bh
    xa, xb = int(np.clip(x0 * w, 0, w - 1)), int(np.clip(x1 * w, 1, w))
    ya, yb = int(np.clip(y0 * h, 0, h - 1)), int(np.clip(y1 * h, 1, h))
    return frame[ya : max(yb, ya + 1), xa : max(xb, xa + 1)]


def appearance(frame: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """Appearance cue of the person in ``box``: a normalised 8×4 hue/saturation histogram
    (32 floats summing to 1) of the body's middle, where clothes are."""
    px = _pixels(frame, box, torso=True)
    if px.size == 0:
        return np.full(32, 1 / 32, np.float32)
    hsv = cv2.cvtColor(np.ascontiguousarray(px), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [8, 4], [0, 180, 0, 256]).reshape(-1)
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


CUT_SIMILARITY = 0.8
"""Similarity of two consecutive frames' :func:`frame_signature` below which the tracker takes
a scene cut (cuts in the shared film excerpt score 0.41 and 0.71; fast dancing ≥ 0.98, a whole
frame spinning 48° ≥ 0.87)."""


def frame_signature(frame: np.ndarray, shrinks: FrameShrinks | None = None) -> np.ndarray:
    """A frame's colour signature for cut detection: a normalised 8×4×4 HSV histogram (128
    floats summing to 1) of the frame scaled to 64×36 (from ``shrinks``, ``frame``'s
    :class:`~backdrop.perception.vision.segment.FrameShrinks`, when given: the same result)."""
    hsv = cv2.cvtColor((shrinks or FrameShrinks(frame)).area((64, 36)), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).reshape(-1)
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya coefficient of two histograms: 1 = identical, 0 = disjoint."""
    return float(np.sum(np.sqrt(np.clip(a, 0, None) * np.clip(b, 0, None))))


def colour_share(frame: np.ndarray, box: Sequence[float], colour: str) -> float:
    """Share (0..1) of the body-middle pixels of ``box`` that are ``colour`` (see
    :data:`COLOURS`)."""
    colour = "grey" if colour == "gray" else colour
    px = _pixels(frame, box, torso=True)
    if px.size == 0 or colour not in COLOURS:
        return 0.0
    hsv = cv2.cvtColor(np.ascontiguousarray(px), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(float)
    hue, sat, val = hsv[:, 0], hsv[:, 1] / 255, hsv[:, 2] / 255
    rng = COLOURS[colour]
    if rng is None:
        if colour == "white":
            hit = (sat < 0.2) & (val > 0.7)
        elif colour == "black":
            hit = val < 0.2
        else:
            hit = (sat < 0.2) & (val >= 0.2) & (val <= 0.7)
    else:
        lo, hi = rng
        inside = ((hue >= lo) | (hue < hi)) if lo > hi else ((hue >= lo) & (hue < hi))
        hit = inside & (sat > 0.35) & (val > 0.2)
    return float(np.mean(hit))


def dominant_colour(frame: np.ndarray, box: Sequence[float]) -> str:
    """The colour word that covers most of the body's middle in ``box`` ("" if none over 25 %)."""
    shares = {c: colour_share(frame, box, c) for c in COLOURS}
    name = max(shares, key=shares.__getitem__)
    return name if shares[name] >= 0.25 else ""


def position_of(box: Sequence[float]) -> str:
    """``left`` / ``centre`` / ``right`` by the box centre's X (normalised)."""
    cx = _centre(box)[0]
    return "left" if cx < 0.4 else "right" if cx > 0.6 else "centre"


@dataclass
class Track:
    """One person's identity and what is known about them.

    Attributes:
        id: ``P1``, ``P2``, … in order of first appearance.
        box: last normalised XYXY box.
        hist: appearance histogram (running mean).
        first_t, last_t: first and last time seen, seconds.
        lost_since: when the track stopped being matched (None while matched).
        hits: frames matched.
        weight_sum: summed per-frame prominence (area × centrality), see :meth:`weight`.
        motion_sum: summed centroid motion (normalised units per second).
        speaking_s: seconds marked speaking (bound from the active speaker).
    """

    id: str
    box: Box
    hist: np.ndarray
    first_t: float
    last_t: float
    lost_since: float | None = None
    hits: int = 1
    weight_sum: float = 0.0
    motion_sum: float = 0.0
    speaking_s: float = 0.0
    colour: str = ""
    history: list[tuple[float, Box]] = field(default_factory=list)
    across_cut: bool = False
    """Lost at a scene cut: only a close appearance match re-identifies them (position says
    nothing across a cut)."""

    @property
    def active(self) -> bool:
        return self.lost_since is None

    def weight(self) -> float:
        """Prominence over time: mean per-frame (area × centrality), scaled by time on screen
        (saturating at 3 s) and motion, plus a bonus for speaking. Comparable across tracks of
        one video."""
        n = max(self.hits, 1)
        presence = min(1.0, (self.last_t - self.first_t + 0.2) / 3.0)
        motion = 1.0 + min(1.0, self.motion_sum / n)
        return (self.weight_sum / n) * presence * motion * (1.0 + min(1.0, self.speaking_s))


def prominence(box: Sequence[float]) -> float:
    """Per-frame prominence of a normalised box: its area times its centrality (1 at the
    centre, 0.3 at a side edge)."""
    cx, cy = _centre(box)
    area = max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
    central = 1.0 - 0.7 * min(1.0, 2 * abs(cx - 0.5)) - 0.2 * min(1.0, 2 * abs(cy - 0.5))
    return area * max(central, 0.1)


class PersonTracker:
    """Associates person boxes with identities across frames (see the module docstring).

    Args:
        max_lost_s: how long a lost person can be re-identified, seconds.
        min_iou: overlap that alone is enough to continue a track.
        min_appearance: appearance similarity needed to re-identify a lost person.
    """

    def __init__(
        self, max_lost_s: float = 2.0, min_iou: float = 0.3, min_appearance: float = 0.6,
        cut_appearance: float = 0.8,
    ) -> None:  # fmt: skip
        self.max_lost_s, self.min_iou, self.min_appearance = max_lost_s, min_iou, min_appearance
        self.cut_appearance = cut_appearance
        self.tracks: list[Track] = []
        self.cuts: list[float] = []
        """Times (seconds) of the scene cuts the tracker noticed or was told of."""
        self._next = 1
        self._signature: np.ndarray | None = None

    def reset(self) -> None:
        """Forget every identity (a seek; new people get new ids)."""
        self.tracks = []
        self._signature = None

    def cut(self, t: float) -> None:
        """A scene cut at ``t`` seconds: everyone in view is lost; across the cut a person is
        re-identified only by a close appearance match (``cut_appearance``), never by where
        they stood, so identities are not carried blindly into the new shot."""
        for tr in self.tracks:
            if tr.active:
                tr.lost_since = t
            tr.across_cut = True
        self.cuts.append(t)

    def _check_cut(self, t: float, frame: np.ndarray, shrinks: FrameShrinks | None) -> None:
        sig = frame_signature(frame, shrinks)
        if self._signature is not None and similarity(self._signature, sig) < CUT_SIMILARITY:
            self.cut(t)
        self._signature = sig

    def active(self) -> list[Track]:
        return [t for t in self.tracks if t.active]

    def get(self, pid: str) -> Track | None:
        return next((t for t in self.tracks if t.id == pid), None)

    def _score(self, tr: Track, box: Box, hist: np.ndarray, t: float) -> float:
        """Association score in [0, 1] (0 = impossible)."""
        iou = box_iou(tr.box, box)
        (ax, ay), (bx, by) = _centre(tr.box), _centre(box)
        size = max(tr.box[2] - tr.box[0], tr.box[3] - tr.box[1], 1e-3)
        gap = max(0.0, t - (tr.lost_since if tr.lost_since is not None else tr.last_t))
        reach = size * (1.0 + 2.0 * gap)  # a lost person may have moved further
        dist = math.hypot(ax - bx, ay - by) / reach
        app = similarity(tr.hist, hist)
        if tr.across_cut:
            return app if app >= self.cut_appearance else 0.0
        if tr.active:
            if iou < self.min_iou and (dist > 1.0 or app < 0.4):
                return 0.0
            return 0.5 * iou + 0.25 * max(0.0, 1.0 - dist) + 0.25 * app
        if app < self.min_appearance or dist > 1.5:
            return 0.0
        return 0.6 * app + 0.4 * max(0.0, 1.0 - dist / 1.5)

    def update(self, t: float, boxes: Sequence[Box], frame: np.ndarray | None = None,
               hists: Sequence[np.ndarray] | None = None,
               shrinks: FrameShrinks | None = None) -> list[str]:  # fmt: skip
        """Match this frame's person ``boxes`` (normalised XYXY) to tracks; returns their ids.

        Appearance histograms come from ``hists`` or are computed from ``frame``; unmatched
        boxes start new tracks; tracks unmatched for ``max_lost_s`` are forgotten. A ``frame``
        that looks nothing like the previous one (:data:`CUT_SIMILARITY`) is a scene cut
        (:meth:`cut`). ``shrinks``: ``frame``'s
        :class:`~backdrop.perception.vision.segment.FrameShrinks`, shared with other users.
        """
        if frame is not None:
            self._check_cut(t, frame, shrinks)
        if hists is None:
            hists = [appearance(frame, b) if frame is not None else np.full(32, 1 / 32, np.float32)
                     for b in boxes]  # fmt: skip
        pairs = []
        for i, (b, h) in enumerate(zip(boxes, hists, strict=True)):
            for k, tr in enumerate(self.tracks):
                s = self._score(tr, b, h, t)
                if s > 0:
                    # active tracks first, then re-identification of lost ones
                    pairs.append((tr.active, s, i, k))
        pairs.sort(reverse=True)
        ids: list[str | None] = [None] * len(boxes)
        used: set[int] = set()
        for _, _, i, k in pairs:
            if ids[i] is not None or k in used:
                continue
            used.add(k)
            ids[i] = self.tracks[k].id
            self._observe(self.tracks[k], t, boxes[i], hists[i], frame)
        for i, b in enumerate(boxes):
            if ids[i] is None:
                tr = Track(f"P{self._next}", tuple(b), hists[i].copy(), t, t)  # type: ignore[arg-type]
                self._next += 1
                tr.weight_sum = prominence(b)
                tr.history.append((t, tuple(b)))  # type: ignore[arg-type]
                if frame is not None:
                    tr.colour = dominant_colour(frame, b)
                self.tracks.append(tr)
                ids[i] = tr.id
                used.add(len(self.tracks) - 1)
        for k, tr in enumerate(self.tracks):
            if k not in used and tr.active:
                tr.lost_since = t
        self.tracks = [
            tr for tr in self.tracks
            if tr.active or t - (tr.lost_since or t) <= self.max_lost_s
        ]  # fmt: skip
        return [i for i in ids if i is not None]

    def _observe(self, tr: Track, t: float, box: Box, hist: np.ndarray,
                 frame: np.ndarray | None) -> None:  # fmt: skip
        dt = max(t - tr.last_t, 1e-3)
        (ax, ay), (bx, by) = _centre(tr.box), _centre(box)
        tr.motion_sum += math.hypot(ax - bx, ay - by) / dt if tr.active else 0.0
        tr.box = tuple(box)  # type: ignore[assignment]
        tr.hist = (0.8 * tr.hist + 0.2 * hist).astype(np.float32)
        tr.last_t, tr.lost_since, tr.across_cut = t, None, False
        tr.hits += 1
        tr.weight_sum += prominence(box)
        tr.history.append((t, tuple(box)))  # type: ignore[arg-type]
        del tr.history[:-64]
        if frame is not None and tr.hits % 10 == 1:
            tr.colour = dominant_colour(frame, box)


def main_subject(tracks: Sequence[Track]) -> Track | None:
    """The person an editor would keep: the highest :meth:`Track.weight` (largest and most
    central over time, moving, speaking)."""
    return max(tracks, key=lambda tr: tr.weight(), default=None)


def similar_weight(tracks: Sequence[Track], ratio: float = 0.5) -> list[Track]:
    """Tracks whose weight is at least ``ratio`` times the main subject's (ambiguous choice)."""
    main = main_subject(tracks)
    if main is None:
        return []
    w = main.weight()
    return [tr for tr in tracks if tr.weight() >= ratio * w]


def select_people(
    selector: str,
    tracks: Sequence[Track],
    frame: np.ndarray | None = None,
    speaking: str | None = None,
) -> list[Track]:
    """The tracks ``selector`` names among ``tracks`` (the visible ones).

    Args:
        selector: ``main``, ``all``, ``left``, ``right``, ``centre``, ``largest``, ``speaking``,
            ``colour:<name>`` or ``id:<P#>``.
        frame: the frame (for colour selectors; the tracks' remembered colour otherwise).
        speaking: id of the track speaking now (for ``speaking``).
    """
    tracks = list(tracks)
    if not tracks:
        return []
    if selector == "all":
        return tracks
    if selector == "main":
        m = main_subject(tracks)
        return [m] if m else []
    if selector in ("left", "right"):
        key = lambda tr: _centre(tr.box)[0]  # noqa: E731
        return [min(tracks, key=key) if selector == "left" else max(tracks, key=key)]
    if selector == "centre":
        return [min(tracks, key=lambda tr: abs(_centre(tr.box)[0] - 0.5))]
    if selector == "largest":
        return [max(tracks, key=lambda tr: prominence(tr.box) / max(0.1, 1.0))]
    if selector == "speaking":
        return [tr for tr in tracks if tr.id == speaking]
    if selector.startswith("id:"):
        pid = selector[3:].upper()
        return [tr for tr in tracks if tr.id == pid]
    if selector.startswith("colour:"):
        name = selector.split(":", 1)[1]
        if frame is not None:
            shares = [(colour_share(frame, tr.box, name), tr) for tr in tracks]
            best = max(shares, key=lambda s: s[0])
            return [best[1]] if best[0] >= 0.15 else []
        return [tr for tr in tracks if tr.colour == name][:1]
    raise ValueError(f"unknown person selector {selector!r}")
