"""People in the frame: tracked identities (:class:`PersonTrack` events) and counts
(:class:`PeopleCount` events).

People are found with the BlazePose detector (:class:`~backdrop.perception.vision.person_crop.
PoseDetector`) on sampled frames (``every`` seconds); each detection's whole-body square is the
person's box, and :class:`~backdrop.perception.vision.tracking.PersonTracker` gives each person an
identity (``P1``, ``P2``, …) that persists across frames and short occlusions. Per person and
per ``window_s`` window one :class:`PersonTrack` event is emitted (mean box in display pixels,
position, clothing colour, prominence); a :class:`PeopleCount` event spans each run of equal
counts of people in view. :func:`bind_speakers` marks the tracks whose face is the
:class:`~backdrop.perception.core.events.ActiveSpeaker` (called once the audio analyzers are done).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from backdrop.perception.core.events import ActiveSpeaker, Event, PeopleCount, PersonTrack
from backdrop.perception.core.media import Chunk
from backdrop.perception.vision.person_crop import PoseDetection, PoseDetector, detect_people
from backdrop.perception.vision.tracking import PersonTracker, position_of, prominence


def body_box(det: PoseDetection, width: int, height: int) -> tuple[float, float, float, float]:
    """A detection's body as a normalised XYXY box, clipped to the frame.

    The whole-body square (side S along the body axis) is narrowed across the axis to
    ``min(0.5·S, 3.5 × the face box's width)`` — a person is about half as wide as tall, and a
    head-and-shoulders shot about three faces wide — rotated to the body's angle, bounded, and
    joined with the detector's face box.
    """
    roi = det.roi(width, height)
    side = roi.size * width
    fx0, fy0, fx1, fy1 = det.box
    across = min(0.5 * side, 3.5 * max(fx1 - fx0, 1e-3) * width)
    c, s = math.cos(roi.angle), math.sin(roi.angle)
    # body axis points "up" in the crop: (sin a, -cos a) in image coordinates
    ax, ay = s * side / 2, -c * side / 2
    bx, by = c * across / 2, s * across / 2
    cx, cy = roi.cx * width, roi.cy * height
    xs = [cx + sx * ax + tx * bx for sx in (-1, 1) for tx in (-1, 1)]
    ys = [cy + sx * ay + tx * by for sx in (-1, 1) for tx in (-1, 1)]
    x0, x1 = min(min(xs) / width, fx0), max(max(xs) / width, fx1)
    y0, y1 = min(min(ys) / height, fy0), max(max(ys) / height, fy1)
    return (
        float(np.clip(x0, 0, 1)),
        float(np.clip(y0, 0, 1)),
        float(np.clip(x1, 0, 1)),
        float(np.clip(y1, 0, 1)),
    )


@dataclass
class _Window:
    t0: float
    t1: float
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)


class PeopleAnalyzer:
    """Tracks people every ``every`` seconds (see the module docstring).

    Args:
        detector: the person detector.
        every: seconds between examined frames.
        display_size: ``(width, height)`` of the display frame; event boxes are in its pixels
            (default: the analysed frames' pixels).
        window_s: length of one :class:`PersonTrack` event, seconds.
        max_people: most people detected per frame.
    """

    name = "people"

    def __init__(
        self,
        detector: PoseDetector,
        every: float = 0.25,
        display_size: tuple[int, int] | None = None,
        window_s: float = 1.0,
        max_people: int = 6,
    ) -> None:
        self.detector = detector
        self.every, self.window_s, self.max_people = every, window_s, max_people
        self.display_size = display_size
        self.tracker = PersonTracker()
        self._next = 0.0
        self._run: tuple[float, float, int] | None = None
        self._windows: dict[str, _Window] = {}
        self._size = (1, 1)

    def count(self, frame: np.ndarray) -> int:
        """People the detector finds in ``frame`` (for captions)."""
        return len(self.detector.detect(frame))

    def observe(self, t: float, frame: np.ndarray) -> list[str]:
        """Detect and track the people in ``frame`` at ``t`` seconds; returns their ids."""
        h, w = frame.shape[:2]
        found = detect_people(self.detector, frame, self.max_people, self.detector.min_score)
        boxes = [body_box(d, w, h) for d in found]
        return self.tracker.update(t, boxes, frame)

    def process(self, chunk: Chunk) -> list[Event]:
        out: list[Event] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            t = float(t)
            self._size = (frame.shape[1], frame.shape[0])
            if self._run is not None:
                self._run = (self._run[0], t, self._run[2])
            if t + 1e-6 < self._next:
                continue
            self._next = math.floor(t / self.every + 1) * self.every
            ids = self.observe(t, frame)
            out += self._windows_add(t, ids)
            n = len(ids)
            if self._run is None:
                self._run = (t, t, n)
            elif n != self._run[2]:
                out.append(PeopleCount(t0=self._run[0], t1=t, source=self.name, n=self._run[2]))
                self._run = (t, t, n)
        return out

    def flush(self) -> list[Event]:
        out = [self._emit(pid, w) for pid, w in self._windows.items()]
        self._windows = {}
        if self._run is not None:
            t0, t1, n = self._run
            self._run = None
            out.append(PeopleCount(t0=t0, t1=t1, source=self.name, n=n))
        return out

    def reset(self) -> None:
        """Forget identities (a scene cut)."""
        self.tracker.reset()

    # -- internals -------------------------------------------------------------------------
    def _windows_add(self, t: float, ids: list[str]) -> list[Event]:
        out: list[Event] = []
        for pid in ids:
            tr = self.tracker.get(pid)
            assert tr is not None
            win = self._windows.get(pid)
            if win is not None and t - win.t0 >= self.window_s:
                out.append(self._emit(pid, win))
                win = None
            if win is None:
                win = self._windows[pid] = _Window(t, t)
            win.t1 = t
            win.boxes.append(tr.box)
        for pid in [p for p in self._windows if p not in ids]:
            tr = self.tracker.get(pid)
            if tr is None or t - self._windows[pid].t1 > self.window_s:
                out.append(self._emit(pid, self._windows.pop(pid)))
        return out

    def _emit(self, pid: str, win: _Window) -> PersonTrack:
        b = np.mean(np.asarray(win.boxes, np.float64), axis=0)
        dw, dh = self.display_size or self._size
        box = (float(b[0] * dw), float(b[1] * dh), float(b[2] * dw), float(b[3] * dh))
        tr = self.tracker.get(pid)
        moving = False
        if len(win.boxes) > 1:
            c = np.asarray(win.boxes)
            cx, cy = (c[:, 0] + c[:, 2]) / 2, (c[:, 1] + c[:, 3]) / 2
            moving = float(np.hypot(np.ptp(cx), np.ptp(cy))) > 0.05
        return PersonTrack(
            t0=win.t0,
            t1=max(win.t1, win.t0 + self.every),
            source=self.name,
            person=pid,
            box=box,
            position=position_of(tuple(b)),
            colour=tr.colour if tr is not None else "",
            moving=moving,
            weight=float(np.mean([prominence(x) for x in win.boxes])),
        )


def _inside(face: tuple[float, ...], box: tuple[float, ...]) -> float:
    """How well a face box sits in a person box: 1 when its centre is inside, else 0."""
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    return 1.0 if box[0] <= cx <= box[2] and box[1] <= cy <= box[3] else 0.0


def bind_speakers(events: list[Event]) -> list[Event]:
    """``events`` with each :class:`PersonTrack` marked ``speaking`` (and its ``speaker``
    label) where an :class:`ActiveSpeaker` face overlapping it in time lies inside its box; when
    several contain the face, the smallest box (the nearest person) wins."""
    speakers = [e for e in events if isinstance(e, ActiveSpeaker)]
    if not speakers:
        return events
    tracks = [e for e in events if isinstance(e, PersonTrack)]
    marked: dict[int, PersonTrack] = {}
    for sp in speakers:
        by_time: dict[float, list[PersonTrack]] = {}
        for tr in tracks:
            if tr.t0 < sp.t1 and sp.t0 < tr.t1 and _inside(sp.box, tr.box):
                by_time.setdefault(tr.t0, []).append(tr)
        for group in by_time.values():
            best = min(group, key=lambda e: (e.box[2] - e.box[0]) * (e.box[3] - e.box[1]))
            marked[id(best)] = replace(best, speaking=True, speaker=sp.speaker)
    return [marked.get(id(e), e) for e in events]


def people_at(events: list[Event], t: float) -> list[PersonTrack]:
    """The :class:`PersonTrack` events covering ``t`` seconds (one per person)."""
    out: dict[str, PersonTrack] = {}
    for e in events:
        if (
            isinstance(e, PersonTrack)
            and e.t0 - 0.3 <= t <= e.t1 + 0.3
            and (e.person not in out or abs(e.t0 - t) < abs(out[e.person].t0 - t))
        ):
            out[e.person] = e
    return list(out.values())


def people_summary(events: list[Event]) -> list[tuple[str, float, PersonTrack]]:
    """Per person: ``(id, seconds on screen, the event with the mean box)``, most prominent
    (summed weight) first."""
    by: dict[str, list[PersonTrack]] = {}
    for e in events:
        if isinstance(e, PersonTrack):
            by.setdefault(e.person, []).append(e)
    rows = []
    for pid, evs in by.items():
        secs = sum(e.t1 - e.t0 for e in evs)
        weight = sum(e.weight * (e.t1 - e.t0) for e in evs)
        mid = evs[len(evs) // 2]
        speaking = any(e.speaking for e in evs)
        moving = sum(e.moving for e in evs) > len(evs) / 2
        colours = [e.colour for e in evs if e.colour]
        colour = max(set(colours), key=colours.count) if colours else ""
        rep = replace(mid, speaking=speaking, moving=moving, colour=colour)
        rows.append((weight, pid, secs, rep))
    rows.sort(key=lambda r: -r[0])
    return [(pid, secs, rep) for _, pid, secs, rep in rows]


def analyze_people(path: str | Path, every: float = 0.5) -> list[Event]:
    """:class:`PersonTrack` and :class:`PeopleCount` events for the video at ``path`` (people
    looked for every ``every`` seconds; boxes in display pixels), for choosing and naming the
    main subject before a render.

    Raises:
        ModelMissingError: the pose detector is not installed.
        MediaError: the video cannot be read.
    """
    from backdrop.perception.core.analysis import analyze
    from backdrop.perception.core.media import probe
    from backdrop.perception.core.models import model_path

    info = probe(path)
    people = PeopleAnalyzer(
        PoseDetector(model_path("pose-detection")), every=every,
        display_size=(info.width, info.height),
    )  # fmt: skip
    return list(analyze(path, [people]).events)


def person_thumbnail(
    frame: np.ndarray,
    box: tuple[float, float, float, float],
    display_size: tuple[int, int],
    height: int = 96,
) -> np.ndarray:
    """The person in ``box`` cut from ``frame`` for a thumbnail.

    Args:
        frame: ``H×W×3`` uint8 RGB (any scale of the display frame).
        box: XYXY in display pixels (``display_size`` = (width, height)), e.g. a
            :class:`PersonTrack` box.
        height: thumbnail height in pixels.

    Returns:
        ``height×w×3`` uint8 RGB: the box grown by 10 % on each side, clipped to the frame.
    """
    import cv2

    h, w = frame.shape[:2]
    sx, sy = w / max(display_size[0], 1), h / max(display_size[1], 1)
    x0, y0, x1, y1 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
    px, py = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
    xa, xb = int(max(0, x0 - px)), int(min(w, max(x1 + px, x0 - px + 2)))
    ya, yb = int(max(0, y0 - py)), int(min(h, max(y1 + py, y0 - py + 2)))
    crop = frame[ya : max(yb, ya + 1), xa : max(xb, xa + 1)]
    scale = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), height)
    return cv2.resize(np.ascontiguousarray(crop), size, interpolation=cv2.INTER_AREA)
