"""Which masker makes the subject's mask for a render, from the plan's rules and tiers.

A masker maps ``(frame, t)`` to the subject's mask: ``h×w`` float32 in [0, 1] (any resolution;
the compositor scales it to the frame), 1 = keep in front. It may keep temporal state;
``reset()`` clears it (scene cut, or a gap where no mask was needed).

:func:`build_masker` is the one place that turns rules into a masker. At each time ``t``::

    mask = max(keep masks of the rules in force) × (1 − max(remove masks in force))

Subjects: ``person`` (people from the crop-based preview masker, or Robust Video Matting in
the ``matting`` tier; ``selector="all"``: everyone; no selector: "the person" — everyone while
one person is in view, the main subject while several are (the analysis' main subject when the
timeline has people tracks, else the masker's own); with another ``selector``, only the tracked
people it names — main subject, left / right / centre, largest, colour, id, speaking — chosen
per frame from the masker's people tracks with hysteresis), ``speaker`` (the tracked person
whose face is the :class:`~backdrop.perception.core.events.ActiveSpeaker` at ``t``; the last
speaker between turns, so the frame is never empty), ``object`` (boxes of
:class:`~backdrop.perception.core.events.ObjectsSeen` events with that label → prompted masks),
``box`` and ``point`` (prompted at the rule's start, then tracked). Prompted subjects use
Segment Anything when a checkpoint is given and the fallback (U²-Net-p) otherwise. Scene cuts in
the timeline reset every temporal state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from backdrop.perception.core.events import ActiveSpeaker, ObjectsSeen, SceneCut, Timeline
from backdrop.perception.core.media import MediaInfo
from backdrop.render.plan import EditPlan, KeepRule

log = logging.getLogger(__name__)


class Masker(Protocol):
    """``(frame H×W×3 uint8 RGB, t seconds) → h×w float32 mask in [0, 1]``, with state."""

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray: ...

    def reset(self) -> None: ...


@dataclass
class _Done:
    """Stage 1's result of a masker that has no stages: the finished mask."""

    mask: np.ndarray


def mask_first(masker: Masker, frame: np.ndarray, t: float) -> Any:
    """Stage 1 of ``masker``'s work on a frame (the models): its ``first(frame, t)``, or the
    whole call for a masker without stages. Frames in order, one thread."""
    first = getattr(masker, "first", None)
    return first(frame, t) if first is not None else _Done(masker(frame, t))


def mask_second(masker: Masker, work: Any) -> np.ndarray:
    """Stage 2 of a frame whose stage 1 gave ``work`` (tracking, smoothing): the mask. It may
    run in another thread while :func:`mask_first` works on the next frame; frames in order.
    ``mask_second(m, mask_first(m, frame, t))`` is ``m(frame, t)``."""
    return work.mask if isinstance(work, _Done) else masker.second(work)  # type: ignore[attr-defined]


def reset_first(masker: Masker) -> None:
    """The part of ``masker.reset()`` that belongs to stage 1 (all of it without stages)."""
    getattr(masker, "reset_first", masker.reset)()


def reset_second(masker: Masker) -> None:
    """The part of ``masker.reset()`` that belongs to stage 2 (nothing without stages)."""
    second = getattr(masker, "reset_second", None)
    if second is not None:
        second()


class _FrameMasker(Protocol):
    def __call__(self, frame: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


class PreviewPersonMasker:
    """Every person, from the preview tier: crops around found people (pose models) when those
    are installed, else the whole-frame selfie segmenter; temporally smoothed."""

    def __init__(self, info: MediaInfo, crop: bool = True) -> None:
        from backdrop.perception.core.models import ModelMissingError
        from backdrop.perception.vision.segment import PersonMasker, load_person_segmenter

        self._inner: _FrameMasker
        if crop:
            try:
                from backdrop.perception.vision.person_crop import load_crop_person_masker

                self._inner = load_crop_person_masker(info.width, info.height)
                return
            except ModelMissingError as e:
                log.info("pose models missing, whole-frame person masks: %s", e)
        self._inner = PersonMasker(load_person_segmenter(info.width, info.height))

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self.second(self.first(frame, t))

    def _staged(self) -> bool:
        from backdrop.perception.vision.person_crop import CroppedPersonMasker

        return isinstance(self._inner, CroppedPersonMasker)

    def first(self, frame: np.ndarray, t: float) -> Any:
        """Stage 1 (:func:`mask_first`): the crop masker's models, or the whole selfie masker."""
        if self._staged():
            return self._inner.first(frame, t)  # type: ignore[attr-defined]
        return _Done(self._inner(frame))

    def second(self, work: Any) -> np.ndarray:
        """Stage 2 (:func:`mask_second`): identities, whole-frame model, smoothing."""
        return work.mask if isinstance(work, _Done) else self._inner.second(work)  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._inner.reset()

    def reset_first(self) -> None:
        getattr(self._inner, "reset_first", self._inner.reset)()

    def reset_second(self) -> None:
        if self._staged():
            self._inner.reset_second()  # type: ignore[attr-defined]


class MattingPersonMasker:
    """Every person, as Robust Video Matting's alpha (matting tier; GPLv3 opt-in model)."""

    def __init__(self) -> None:
        from backdrop.perception.vision.matting import load_matting

        self._inner = load_matting()

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self._inner(frame)

    def reset(self) -> None:
        self._inner.reset()


def restrict_to_speaker(
    person: np.ndarray, face: tuple[float, float, float, float], frame_size: tuple[int, int]
) -> np.ndarray:
    """The part of a person mask that belongs to the person whose face is ``face``.

    Args:
        person: ``h×w`` float32 person probability (any resolution).
        face: the speaker's face box, XYXY pixels of the ``frame_size`` (width, height) frame.
        frame_size: ``(width, height)`` of the frame the box is in.

    Returns:
        ``h×w`` float32: the connected parts of ``person >= 0.5`` that touch the face box; when
        none touches it, the person mask inside a region below the face (2.6 face widths wide,
        from just above the face to the bottom of the frame).
    """
    h, w = person.shape[:2]
    sx, sy = w / frame_size[0], h / frame_size[1]
    x0, y0, x1, y1 = face[0] * sx, face[1] * sy, face[2] * sx, face[3] * sy
    fw = max(x1 - x0, 1.0)
    column = np.zeros((h, w), np.float32)
    cx = (x0 + x1) / 2
    cx0, cx1 = int(max(0, cx - 1.3 * fw)), int(min(w, cx + 1.3 * fw + 1))
    column[int(max(0, y0 - 0.3 * (y1 - y0))) :, cx0:cx1] = 1.0
    n, labels = cv2.connectedComponents((person >= 0.5).astype(np.uint8), connectivity=8)
    fx0, fy0 = int(max(0, x0)), int(max(0, y0))
    fx1, fy1 = int(min(w, max(x1, x0 + 1))), int(min(h, max(y1, y0 + 1)))
    hit = set(np.unique(labels[fy0:fy1, fx0:fx1]).tolist()) - {0}
    if hit:
        region = np.isin(labels, list(hit)).astype(np.uint8)
        # components can be shared by two people touching: limit to a generous column
        wide = np.zeros_like(column)
        wide[:, int(max(0, cx - 2.5 * fw)) : int(min(w, cx + 2.5 * fw + 1))] = 1.0
        keep = cv2.dilate(region, np.ones((5, 5), np.uint8)).astype(np.float32) * wide
    else:
        keep = column
    return person * cv2.GaussianBlur(keep, (0, 0), 2.0)


def restrict_to_box(person: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The parts of a person mask that belong to the person in ``box`` (normalised XYXY): the
    connected parts of ``person >= 0.5`` that reach the box's middle, limited to the box widened
    by a quarter of its width on each side."""
    h, w = person.shape[:2]
    x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    n, labels = cv2.connectedComponents((person >= 0.5).astype(np.uint8), connectivity=8)
    mx0, mx1 = int(max(0, x0 + 0.3 * bw)), int(min(w, max(x1 - 0.3 * bw, x0 + 0.3 * bw + 1)))
    my0, my1 = int(max(0, y0 + 0.2 * bh)), int(min(h, max(y1 - 0.2 * bh, y0 + 0.2 * bh + 1)))
    hit = set(np.unique(labels[my0:my1, mx0:mx1]).tolist()) - {0}
    column = np.zeros((h, w), np.float32)
    column[:, int(max(0, x0 - 0.25 * bw)) : int(min(w, x1 + 0.25 * bw + 1))] = 1.0
    if not hit:
        column[: int(max(0, y0 - 0.1 * bh))] = 0.0
        return person * column
    region = cv2.dilate(np.isin(labels, list(hit)).astype(np.uint8), np.ones((5, 5), np.uint8))
    return person * cv2.GaussianBlur(region.astype(np.float32) * column, (0, 0), 2.0)


class SpeakerFaces:
    """Where the active speaker's face is at each time, from the timeline's
    :class:`~backdrop.perception.core.events.ActiveSpeaker` events (``speaker`` None = whoever
    talks).

    Between turns the last speaker stays selected; before the first turn, the first speaker —
    so a speaker rule never leaves the frame empty while anyone has been seen talking.
    """

    def __init__(self, timeline: Timeline | None, speaker: str | None) -> None:
        events = [] if timeline is None else timeline.of_type(ActiveSpeaker)
        self.events: list[ActiveSpeaker] = sorted(
            (e for e in events if isinstance(e, ActiveSpeaker)
             and (speaker is None or e.speaker == speaker)),
            key=lambda e: e.t0,
        )  # fmt: skip

    def face_at(self, t: float) -> tuple[float, float, float, float] | None:
        """The face box (XYXY display pixels) of whoever talks at ``t``, or held (see class)."""
        if not self.events:
            return None
        current = [e for e in self.events if e.t0 <= t <= e.t1]
        if current:
            return max(current, key=lambda e: e.t0).box
        before = [e for e in self.events if e.t1 < t]
        return (max(before, key=lambda e: e.t1) if before else self.events[0]).box


CONFIRM_FRAMES = 5
"""Frames a person must have been tracked in before the default rule counts them as in view
(a false detection for a frame or two does not narrow the mask)."""


class _MainHint:
    """The main subject as the people analysis chose it over the whole video (the one the
    reply names), followed per frame: the tracked person whose box overlaps that person's
    :class:`~backdrop.perception.core.events.PersonTrack` box at ``t`` the most."""

    def __init__(self, timeline: Timeline | None, display_size: tuple[int, int]) -> None:
        from backdrop.perception.core.events import PersonTrack
        from backdrop.perception.vision.people import people_summary

        self.events = [] if timeline is None else [
            e for e in timeline.of_type(PersonTrack) if isinstance(e, PersonTrack)]  # fmt: skip
        rows = people_summary(list(self.events))
        self.pid = rows[0][0] if len(rows) > 1 else None
        self.size = display_size

    def pick(self, tracks: list, t: float) -> str | None:
        """Id of the track in ``tracks`` that is the analysis' main subject at ``t`` (None when
        unknown: no analysis, or that person is not in view now)."""
        from backdrop.perception.vision.tracking import box_iou

        if self.pid is None:
            return None
        near = [e for e in self.events
                if e.person == self.pid and e.t0 - 0.3 <= t <= e.t1 + 0.3]  # fmt: skip
        if not near:
            return None
        e = min(near, key=lambda e: abs((e.t0 + e.t1) / 2 - t))
        w, h = self.size
        box = (e.box[0] / w, e.box[1] / h, e.box[2] / w, e.box[3] / h)
        best = max(tracks, key=lambda tr: box_iou(tr.box, box), default=None)
        return best.id if best is not None and box_iou(best.box, box) > 0.2 else None


_COMPARING = ("left", "right", "centre", "largest")
"""Selectors that compare the people in view: a pick made with one person in view is provisional."""


class _PeopleSelector:
    """A person rule with a selector (or a speaker rule): the tracked people it names, resolved
    per frame from the tracks the preview masker holds, with hysteresis.

    Switching: ``speaking`` follows the active speaker at once (its events are already decided
    over windows of seconds); ``main`` and the position / colour selectors move to another person
    only after the new choice has held for ``switch_s`` seconds, or at once when the chosen
    person is gone. When nobody matches, the last choice is kept; with no choice yet, everyone
    (never an empty frame).
    """

    def __init__(self, selector: str, timeline: Timeline | None, info: MediaInfo,
                 speaker: str | None = None, switch_s: float = 1.0, only_if_several: bool = False,
                 display_size: tuple[int, int] | None = None) -> None:  # fmt: skip
        from backdrop.perception.vision.segment import MaskSmoother

        self.selector, self.info, self.switch_s = selector, info, switch_s
        self.only_if_several = only_if_several
        """The default rule ("the person"): the person mask passes through unchanged while at
        most one confirmed person is tracked; the main subject is chosen only among several."""
        self._restricting = False
        self._hint = _MainHint(timeline, display_size or (info.width, info.height)) if (
            selector == "main") else None  # fmt: skip
        self.faces = SpeakerFaces(timeline, speaker) if selector == "speaking" else None
        if self.faces is not None and not self.faces.events:
            log.warning(
                "no one was seen talking%s: the speaker rule keeps everyone instead",
                f" as {speaker}" if speaker else "",
            )
        self.chosen: set[str] | None = None
        self._compared = False
        """Whether ``chosen`` was picked with two or more people in view (a real comparison)."""
        self._pending: tuple[frozenset[str], float] | None = None
        self._smoother = MaskSmoother()
        self._warned = False

    def reset(self) -> None:
        self.chosen, self._pending, self._compared = None, None, False
        self._restricting = False
        self._smoother.reset()

    def _several(self, tracks: list) -> bool:
        """Whether at least two people tracked for ``CONFIRM_FRAMES`` frames are in view."""
        return sum(tr.hits >= CONFIRM_FRAMES for tr in tracks) >= 2

    def _speaking_id(self, people: list, face: tuple[float, float, float, float] | None,
                     frame_size: tuple[int, int]) -> str | None:  # fmt: skip
        if face is None or not people:
            return None
        w, h = frame_size
        fx, fy = (face[0] + face[2]) / 2 / w, (face[1] + face[3]) / 2 / h

        def key(p: object) -> tuple[float, float]:
            x0, y0, x1, y1 = p.box  # type: ignore[attr-defined]
            inside = x0 <= fx <= x1 and y0 <= fy <= y1
            return (0.0 if inside else 1.0, abs((x0 + x1) / 2 - fx) + abs(y0 - fy) * 0.5)

        return min(people, key=key).pid  # type: ignore[no-any-return]

    def _choose(self, cands: set[str], present: set[str], t: float) -> None:
        if not cands:
            return
        compared = len(present) >= 2
        if self.chosen is None or not (self.chosen & present) or self.selector == "speaking":
            self.chosen, self._pending, self._compared = cands, None, compared
            return
        if compared and not self._compared and self.selector in _COMPARING and cands != self.chosen:
            # "the one on the left" chosen while only one person was in view was not a
            # comparison; the first frame that can compare decides at once
            self.chosen, self._pending, self._compared = cands, None, True
            return
        if cands == self.chosen:
            self._pending = None
            return
        key = frozenset(cands)
        if self._pending is None or self._pending[0] != key:
            self._pending = (key, t)
        elif t - self._pending[1] >= self.switch_s:
            self.chosen, self._pending = cands, None

    def __call__(self, frame: np.ndarray, t: float, person: np.ndarray,
                 masker: Masker) -> np.ndarray:  # fmt: skip
        from backdrop.perception.vision.person_crop import CroppedPersonMasker, head_and_shoulders
        from backdrop.perception.vision.tracking import Track, select_people

        size = (frame.shape[1], frame.shape[0])
        face = self.faces.face_at(t) if self.faces is not None else None
        inner = getattr(masker, "_inner", None)
        if not isinstance(inner, CroppedPersonMasker):
            # no tracks (pose models missing, or a test's fixed masker): faces only
            if face is not None:
                return restrict_to_speaker(person, face, size)
            if not self._warned and not self.only_if_several:
                self._warned = True
                log.warning("%s: no people tracks here; keeping everyone", self.selector)
            return person
        crops = inner.crops
        people = [p for p in crops.people_masks() if p.pid]
        tracks = [tr for tr in (crops.tracker.get(p.pid) for p in people) if tr is not None]
        tracks = [Track(**{**tr.__dict__, "box": p.box}) for tr, p in  # current boxes
                  zip(tracks, people, strict=False)]  # fmt: skip
        speaking = self._speaking_id(people, face, size)
        if self.faces is not None and speaking is None and face is not None:
            return restrict_to_speaker(person, face, size)
        if self.only_if_several and not self._several(tracks):
            self._restricting = False
            return person  # one person (or none) in view: exactly the plain person mask
        hinted = self._hint.pick(tracks, t) if self._hint is not None else None
        cands = {hinted} if hinted else {
            tr.id for tr in select_people(self.selector, tracks, frame, speaking)}  # fmt: skip
        self._choose(cands, {p.pid for p in people}, t)
        if not self._restricting:
            self._restricting = True
            self._smoother.reset()  # its state is stale after passing masks through
        if self.chosen is None:
            return person  # nobody matches yet: never an empty frame
        chosen = [p for p in people if p.pid in self.chosen]
        out = np.zeros_like(person)
        for p in chosen:
            big = head_and_shoulders(p, size[0], size[1], inner.large_fraction)
            if not (big and inner.whole_mask is not None):  # a big person's crop may be stale
                np.maximum(out, _fit(p.mask, out), out=out)
            if inner.whole_mask is not None:
                np.maximum(out, restrict_to_box(_fit(inner.whole_mask, out), p.box), out=out)
        if not chosen:
            return person if self.chosen is None else out
        thumb = inner.thumb if inner.thumb is not None else frame[::8, ::8]
        return self._smoother.smooth(out, thumb)


class _PromptMasker:
    """A box / point / object rule: prompted masks, tracked from the rule's start."""

    def __init__(self, rule: KeepRule, info: MediaInfo, timeline: Timeline | None,
                 make_segmenter: Callable[[], object],
                 display_size: tuple[int, int] | None = None) -> None:  # fmt: skip
        self.rule = rule
        self.info = info
        self.display_size = display_size or (info.width, info.height)
        """(width, height) the rule's and the detections' pixel coordinates refer to."""
        self.timeline = timeline
        self._make = make_segmenter
        self._trackers: list[object] | None = None
        self._prompted_by: ObjectsSeen | None = None

    def _prompts(self, t: float) -> list[tuple[tuple[float, ...] | None, tuple[float, ...] | None]]:
        r = self.rule
        if r.subject == "box" and r.box is not None:
            return [(tuple(r.box), None)]
        if r.subject == "point" and r.point is not None:
            return [(None, tuple(r.point))]
        # object: the boxes of the nearest ObjectsSeen event with that label
        event = self._object_event(t)
        return [] if event is None else [(b, None) for b in self._boxes(event)]

    def _boxes(self, e: ObjectsSeen) -> list[tuple[float, ...]]:
        from backdrop.perception.vision.objects import matches, resolve_label

        label = (self.rule.label or "").lower()
        want = resolve_label(label) or label
        return [tuple(b) for lab, b in zip(e.labels, e.boxes, strict=False)
                if lab.lower() == label or matches(want, lab.lower())]  # fmt: skip

    def _object_event(self, t: float, current: bool = False) -> ObjectsSeen | None:
        """The ObjectsSeen event holding this rule's object nearest ``t`` (with ``current``:
        only one whose span contains ``t``)."""
        best, best_dt = None, float("inf")
        for e in [] if self.timeline is None else self.timeline.of_type(ObjectsSeen):
            assert isinstance(e, ObjectsSeen)
            dt = 0.0 if e.t0 <= t < e.t1 else min(abs(t - e.t0), abs(t - e.t1))
            if (current and dt > 0) or dt >= best_dt or not self._boxes(e):
                continue
            best, best_dt = e, dt
        return best

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        from backdrop.perception.vision.prompt_seg import PromptTracker

        if self.rule.subject == "object" and self._trackers is not None:
            # a new detection of the object: re-prompt from its boxes (the flow tracker
            # carries the mask between detections); scaled from display to frame pixels
            e = self._object_event(t, current=True)
            if e is not None and e is not self._prompted_by:
                self._trackers = None
        if self._trackers is None:
            prompts = self._prompts(t)
            if not prompts:
                log.warning("no %s found to %s at t=%.2f s", self.rule.label, self.rule.action, t)
                return np.zeros(frame.shape[:2], np.float32)
            if self.rule.subject == "object":
                self._prompted_by = self._object_event(t)
            # display pixels → this frame's pixels (a preview is smaller than the video)
            sx = frame.shape[1] / max(self.display_size[0], 1)
            sy = frame.shape[0] / max(self.display_size[1], 1)
            prompts = [
                (None if b is None else (b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy),
                 None if p is None else (p[0] * sx, p[1] * sy))
                for b, p in prompts
            ]  # fmt: skip
            seg = self._make()
            if self.rule.subject == "object" and getattr(seg, "tier", "") == "fallback":
                from backdrop.perception.vision.detect import BoxFillSegmenter

                seg = BoxFillSegmenter(seg, [b for b, _p in prompts if b is not None])
            self._trackers = [PromptTracker(seg, box=b, point=p) for b, p in prompts]  # type: ignore[arg-type]
        out = np.zeros(frame.shape[:2], np.float32)
        for tr in self._trackers:
            assert isinstance(tr, PromptTracker)
            np.maximum(out, tr(frame), out=out)
        return out

    def reset(self) -> None:
        for tr in self._trackers or []:
            tr.reset()  # type: ignore[attr-defined]


class RuleMasker:
    """Combines the plan's rules at each time: keeps by maximum, then removes.

    Masks are combined at the size of the first mask made for the frame (person masks are
    small; prompted masks are at frame size), so the result's resolution varies with the rules.
    """

    def __init__(self, info: MediaInfo, plan: EditPlan, timeline: Timeline | None,
                 sam_checkpoint: Path | None,
                 display_size: tuple[int, int] | None = None) -> None:  # fmt: skip
        self.info, self.plan, self.timeline = info, plan, timeline
        self.sam_checkpoint = sam_checkpoint
        self.display_size = display_size
        self._person: dict[str, Masker] = {}
        self._selectors: dict[int, _PeopleSelector] = {}
        self._prompted: dict[int, _PromptMasker] = {}
        self._segmenters: dict[str, object] = {}
        self._cuts = sorted(e.t1 for e in (timeline.of_type(SceneCut) if timeline else []))
        self._last_t: float | None = None
        for i, rule in enumerate(plan.keep):
            if rule.subject in ("box", "point", "object"):
                self._prompted[i] = _PromptMasker(rule, info, timeline, self._segmenter,
                                                  display_size)  # fmt: skip
        # fail early (before encoding) when a needed model is missing
        if any(r.subject in ("person", "speaker") for r in plan.keep):
            self._person_masker(0.0)
        if self._prompted:
            self._segmenter()

    @property
    def prompt_tier(self) -> str:
        """``sam`` with a checkpoint, else ``fallback``."""
        return "sam" if self.sam_checkpoint is not None else "fallback"

    def _segmenter(self) -> object:
        tier = self.prompt_tier
        if tier not in self._segmenters:
            if tier == "sam":
                from backdrop.perception.vision.sam import load_sam

                assert self.sam_checkpoint is not None
                self._segmenters[tier] = load_sam(self.sam_checkpoint)
            else:
                from backdrop.perception.vision.prompt_seg import load_fallback_segmenter

                log.info("no Segment Anything checkpoint: using the U²-Net-p fallback")
                self._segmenters[tier] = load_fallback_segmenter()
        return self._segmenters[tier]

    def _person_masker(self, t: float) -> Masker:
        tier = self.plan.tier_at(t, self.info.duration)
        kind = "matting" if tier == "matting" else "preview"
        if kind not in self._person:
            self._person[kind] = (
                MattingPersonMasker() if kind == "matting" else PreviewPersonMasker(self.info)
            )
        return self._person[kind]

    def _crossed_cut(self, t: float) -> bool:
        last = self._last_t
        self._last_t = t
        return last is not None and any(last < c <= t for c in self._cuts)

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self.second(self.first(frame, t))

    def first(self, frame: np.ndarray, t: float) -> _RuleWork:
        """Stage 1 of a frame (:func:`mask_first`): scene cuts, the person masker's stage 1 and
        the prompted masks."""
        cut = self._crossed_cut(t)
        if cut:
            self._reset_first()
        rules = list(enumerate(self.plan.keep))
        work = _RuleWork(frame, t, cut, [(i, r) for i, r in rules
                                         if r.range.contains(t, self.info.duration)])  # fmt: skip
        for i, rule in work.active:
            if rule.subject not in ("person", "speaker"):
                work.prompted[i] = self._prompted[i](frame, t)
            elif work.person_masker is None:
                work.person_masker = self._person_masker(t)
                work.person = mask_first(work.person_masker, frame, t)
        return work

    def second(self, work: _RuleWork) -> np.ndarray:
        """Stage 2 of ``work``'s frame (:func:`mask_second`): the person masker's stage 2, the
        people selectors, and the rules combined."""
        if work.cut:
            self._reset_second()
        frame, t, pm = work.frame, work.t, work.person_masker
        person = None if pm is None else mask_second(pm, work.person)
        keep: np.ndarray | None = None
        remove: np.ndarray | None = None
        for i, rule in work.active:
            if rule.subject in ("person", "speaker"):
                assert person is not None and pm is not None
                m = person
                selector = "speaking" if rule.subject == "speaker" else rule.selector
                if selector != "all":
                    sel = self._selectors.get(i)
                    if sel is None:
                        # no selector: "the person" — the main subject when several are in view
                        sel = _PeopleSelector(selector or "main", self.timeline, self.info,
                                              rule.speaker, only_if_several=selector is None,
                                              display_size=self.display_size)  # fmt: skip
                        self._selectors[i] = sel
                    m = sel(frame, t, person, pm)
            else:
                m = work.prompted[i]
            if rule.action == "keep":
                keep = m if keep is None else np.maximum(keep, _fit(m, keep))
            else:
                remove = m if remove is None else np.maximum(remove, _fit(m, remove))
        if keep is None:
            h, w = frame.shape[:2]
            return np.zeros((h, w), np.float32)
        if remove is not None:
            keep = keep * (1.0 - _fit(remove, keep))
        return keep.astype(np.float32, copy=False)

    def reset(self) -> None:
        self._reset_first()
        self._reset_second()

    def reset_first(self) -> None:
        """Stage 1's part of :meth:`reset` (the thread that calls :meth:`first`)."""
        self._reset_first()

    def reset_second(self) -> None:
        """Stage 2's part of :meth:`reset` (the thread that calls :meth:`second`)."""
        self._reset_second()

    def _reset_first(self) -> None:
        for m in list(self._person.values()):
            reset_first(m)
        for p in self._prompted.values():
            p.reset()

    def _reset_second(self) -> None:
        for m in list(self._person.values()):  # stage 1 may add a masker meanwhile
            reset_second(m)
        for sel in list(self._selectors.values()):
            sel.reset()


@dataclass
class _RuleWork:
    """What :meth:`RuleMasker.first` hands :meth:`RuleMasker.second` for one frame."""

    frame: np.ndarray
    t: float
    cut: bool
    """A scene cut was crossed: stage 2 resets its state before this frame."""
    active: list[tuple[int, KeepRule]]
    person_masker: Masker | None = None
    person: Any = None
    """The person masker's stage-1 result (:func:`mask_first`)."""
    prompted: dict[int, np.ndarray] = field(default_factory=dict)
    """Masks of the prompted rules (box, point, object) by rule index."""


def _fit(m: np.ndarray, like: np.ndarray) -> np.ndarray:
    if m.shape == like.shape:
        return m
    return cv2.resize(m, like.shape[::-1], interpolation=cv2.INTER_LINEAR)


def build_masker(
    info: MediaInfo,
    plan: EditPlan,
    timeline: Timeline | None = None,
    sam_checkpoint: Path | None = None,
    display_size: tuple[int, int] | None = None,
) -> Masker:
    """The masker that realises ``plan``'s keep/remove rules for the video ``info`` describes.

    Args:
        info: the source video.
        plan: the edit (its keep rules and quality tiers decide what is segmented and how).
        timeline: analysis events (active speakers, objects, scene cuts) for rules that need them.
        sam_checkpoint: a Segment Anything checkpoint for the quality tier, if any; prompted
            subjects (box, point, object) use the U²-Net-p fallback without one.
        display_size: ``(width, height)`` that box / point rules and detected objects' boxes are
            in, when ``info`` is a scaled view of the video (a preview); default ``info``'s size.

    Raises:
        ModelMissingError: a model the plan needs is not installed (the message says how).
    """
    only_person = all(
        r.subject == "person" and r.action == "keep" and r.selector == "all" for r in plan.keep
    )
    uses_matting = any(q.tier == "matting" for q in plan.quality)
    if only_person and not uses_matting and not (timeline and timeline.of_type(SceneCut)):
        return PreviewPersonMasker(info)
    return RuleMasker(info, plan, timeline, sam_checkpoint, display_size)
