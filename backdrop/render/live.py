"""Rendering a live stream frame by frame within a frame budget.

:class:`LiveRenderer` composes each captured frame with the plan in force through the same
:class:`~backdrop.render.compose.Compositor` and :class:`~backdrop.render.maskers.Masker` that
file renders use. :class:`BudgetController` keeps the cost of a frame within the budget of the
frame rate (``1 / fps`` seconds) by stepping through :data:`LEVELS`, in this order: a smaller
masker input, the mask model on every k-th frame only (k up to 6; the mask carried in between
by optical flow, no model run, and from k = 4 the edge made at 360 lines), the model in its own
thread (:class:`MaskWorker`; the loop then pays only for carried frames), then dropping one
frame in 6, 4, 3 or 2 — and back up when there is room again. It predicts each level's cost
from the measured cost of frames that ran the model and of carried ones, so it goes straight to
the best level that keeps up. It never queues: a frame that cannot be finished is dropped by
the source, so latency stays bounded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from backdrop.perception.core import workers
from backdrop.perception.core.media import MediaInfo
from backdrop.render.compose import Composite, Compositor
from backdrop.render.maskers import Masker, build_masker
from backdrop.render.plan import EditPlan
from backdrop.render.preview import masker_key

MaskerFactory = Callable[[MediaInfo, EditPlan], Masker]


@dataclass(frozen=True)
class Level:
    """One step of the frame budget ladder.

    Attributes:
        name: what the status line shows.
        mask_long_side: the masker's input is scaled so its long side is at most this (pixels).
        mask_every: run the mask model on every k-th frame; carry the mask by motion between.
        drop_every: drop one frame in every n (0 = none: 6 keeps 5 of 6 frames, 2 every other).
        alpha_scale: the edge's alpha is made at this fraction of the frame's size and
            upsampled (:attr:`~backdrop.render.compose.Compositor.alpha_scale`).
        threaded: the model runs in its own thread (:class:`MaskWorker`), overlapped with the
            loop: every frame, also the one handed to the model, shows the newest model mask
            moved there by motion (a threaded renderer; otherwise as ``mask_every``).
    """

    name: str
    mask_long_side: int
    mask_every: int = 1
    drop_every: int = 0
    alpha_scale: float = 1.0
    threaded: bool = False

    @property
    def kept(self) -> float:
        """The share of captured frames processed (1 = all)."""
        return 1.0 - 1.0 / self.drop_every if self.drop_every else 1.0

    def drops(self, index: int) -> bool:
        """Whether the frame with capture ``index`` is dropped at this level (the last of
        every ``drop_every``)."""
        return self.drop_every > 0 and index % self.drop_every == self.drop_every - 1


LEVELS: tuple[Level, ...] = (
    Level("full", 1280),
    Level("mask 640", 640),
    Level("mask 1/2", 640, mask_every=2),
    Level("mask 1/3", 640, mask_every=3),
    Level("mask 1/4", 640, mask_every=4, alpha_scale=0.5),
    Level("mask 1/6", 640, mask_every=6, alpha_scale=0.5),
    Level("thread 1/3", 640, mask_every=3, alpha_scale=0.5, threaded=True),
    Level("thread 1/6", 640, mask_every=6, alpha_scale=0.5, threaded=True),
    Level("drop 1/6", 640, mask_every=6, drop_every=6, alpha_scale=0.5, threaded=True),
    Level("drop 1/4", 640, mask_every=6, drop_every=4, alpha_scale=0.5, threaded=True),
    Level("drop 1/3", 640, mask_every=6, drop_every=3, alpha_scale=0.5, threaded=True),
    Level("drop 1/2", 640, mask_every=6, drop_every=2, alpha_scale=0.5, threaded=True),
)
"""The ladder, best quality first. The pose-crop masker's models have fixed input sizes, so an
input below 640 saves almost nothing (measured: 17 ms at 1280, 16 ms at 640, 17 ms at 384 per
720p frame) while its coarser mask shows on every frame; the mask model on every k-th frame is
what saves (a carried frame costs the flow, ~1–3 ms CPU at 720p, and the edge and blend).
From "mask 1/4" on the edge's alpha is made at half size and upsampled (720p: 5.8 instead of
9.8 ms CPU; mean alpha difference 0.001, in the 1 % of pixels on the outline). Below those,
the model runs in its own thread ("thread 1/k"), so the loop's cost per frame is a carried
frame's: each frame's mask is then the newest model mask carried from an older frame (on the
juggler at 24 fps, IoU with the model's own mask 0.85–0.89 — lower the later the model's mask
arrives on a busy machine — against "mask 1/6"'s 0.89 and "mask 1/2"'s 0.96). Frames are
dropped last, in steps (one in 6, 4, 3, then every other), so a machine a little short of time
loses a sixth of the frames, not half."""


class BudgetController:
    """Chooses the :class:`Level` from measured frame costs and latencies.

    Steps down (cheaper) when the smoothed cost of a processed frame (with a cost model: the
    level's predicted mean, so one frame that ran the model is no reason) is over ``high`` × its
    time (the budget ÷ :attr:`Level.kept`: a level that drops every other frame has two budgets
    for each frame it keeps) or the capture→output latency is over ``max_latency`` for
    ``patience`` frames in a row; steps up when the cost is under ``low`` × that time for
    ``room_seconds``. After a change it waits
    ``settle_seconds`` before judging again. ``fixed`` pins a level (benchmarks, tests).

    When :meth:`update` is told whether each frame ran the mask model (``masked``), the
    controller also keeps the measured cost of a masked frame (per masker input size) and of a
    carried one, predicts each level's mean cost per captured frame from them
    (``(masked + (k − 1) · carried) / k × kept``; a threaded level: ``max(carried, model / k)
    × kept``, with the model's run in its thread), and steps down straight to the best
    level predicted to fit under ``high`` × budget (a level it cannot predict yet is tried),
    and up only to a level predicted to fit (or, to re-measure a masker input size measured
    only at another level, once the room has lasted ``4 × room_seconds``; the frames handed
    to the model's thread keep the masked cost of the input in use up to date, as the loop's
    cost plus the model's run). Climbing to re-measure costs frames, so it is never done for
    a cost measured at the current level. So it settles at the best level that keeps up
    instead of stepping past it to dropping frames.

    Args:
        fps: the source's frame rate; the budget is ``1 / fps`` seconds.
    """

    def __init__(
        self,
        fps: float,
        *,
        high: float = 0.9,
        low: float = 0.55,
        max_latency: float | None = None,
        patience: int = 4,
        room_seconds: float = 2.0,
        settle_seconds: float = 1.0,
        fixed: int | None = None,
    ) -> None:
        self.budget = 1.0 / max(fps, 1.0)
        self.high, self.low = high, low
        self.max_latency = max_latency if max_latency is not None else 3.0 * self.budget
        self.patience = patience
        self.room_seconds = room_seconds
        self.settle_seconds = settle_seconds
        self.fixed = fixed
        self.index = fixed if fixed is not None else 0
        self.cost = 0.0
        self.changes = 0
        self.mask_cost: dict[int, float] = {}
        """Smoothed seconds of a frame that ran the mask model, by masker input long side."""
        self.carry_cost: float | None = None
        """Smoothed seconds of a frame whose mask was carried (or that needed none; at a
        threaded level, every frame: the model is not in the loop's cost)."""
        self.model_cost: float | None = None
        """Smoothed seconds of a model run in its own thread (threaded levels)."""
        self._over = 0
        self._room_since: float | None = None
        self._changed_at = -1e9

    @property
    def level(self) -> Level:
        return LEVELS[self.index]

    def predicted(self, index: int) -> float | None:
        """Predicted mean seconds per captured frame at ``LEVELS[index]``, or None when not
        measured yet. A masker input not measured is taken to cost what the nearest larger
        measured one costs (an upper bound)."""
        lv = LEVELS[index]
        if lv.threaded:
            return self._predicted_threaded(lv)
        bigger = sorted(s for s in self.mask_cost if s >= lv.mask_long_side)
        if not bigger:
            return None
        masked = self.mask_cost[bigger[0]]
        if lv.mask_every == 1:
            return masked * lv.kept
        if self.carry_cost is None:
            return None
        per = (masked + (lv.mask_every - 1) * self.carry_cost) / lv.mask_every
        return per * lv.kept

    def _predicted_threaded(self, lv: Level) -> float | None:
        """A threaded level keeps up when the loop does (a carried frame's cost) and the
        model thread does (its run within ``mask_every`` frames): the larger of the two."""
        if self.carry_cost is None:
            return None
        model = self.model_cost
        if model is None and self.mask_cost:  # not run threaded yet: a masked frame's extra
            model = max(0.0, min(self.mask_cost.values()) - self.carry_cost)
        if model is None:
            return None
        return max(self.carry_cost, model / lv.mask_every) * lv.kept

    def update(
        self,
        cost: float,
        latency: float,
        now: float | None = None,
        masked: bool | None = None,
        model: float | None = None,
    ) -> None:
        """Record one processed frame: ``cost`` seconds of work, ``latency`` capture→output
        (s); ``masked``: whether it ran the mask model, or at a threaded level was handed to
        the model's thread (None: not known, no cost model); ``model``: the seconds the
        model's last run in its thread took, for a frame handed to it."""
        now = time.monotonic() if now is None else now
        self.cost = cost if self.cost == 0.0 else 0.8 * self.cost + 0.2 * cost
        if model is not None:
            old_m = self.model_cost
            self.model_cost = model if old_m is None else 0.7 * old_m + 0.3 * model
        if masked is not None and self.level.threaded:  # the loop's cost: a carried frame's
            self._measure(cost, False)
            if model is not None:  # what the frame would cost with the model in the loop
                self._measure(cost + model, True)
        elif masked is not None:
            self._measure(cost, masked)
        if self.fixed is not None or now - self._changed_at < self.settle_seconds:
            return
        per_frame = self.budget / self.level.kept  # time there is for a processed frame
        load = self.cost
        if masked is not None:  # the mean over the mask cycle, not the last frames' spike
            p = self.predicted(self.index)
            load = p / self.level.kept if p is not None else load
        if load > self.high * per_frame or latency > self.max_latency:
            self._over += 1
            self._room_since = None
            if self._over >= self.patience and self.index < len(LEVELS) - 1:
                self._step(self._down() - self.index, now)
            return
        self._over = 0
        if load < self.low * per_frame and self.index > 0:
            if self._room_since is None:
                self._room_since = now
            elif now - self._room_since >= self.room_seconds:
                p = self.predicted(self.index - 1)
                fits = p is None or p <= self.high * self.budget
                # a masker input size not measured at this level: its cost may be stale
                size = LEVELS[self.index - 1].mask_long_side
                stale = size != self.level.mask_long_side
                if fits or (stale and now - self._room_since >= 4 * self.room_seconds):
                    self._step(-1, now)
        else:
            self._room_since = None

    def _measure(self, cost: float, masked: bool) -> None:
        if masked:
            size = self.level.mask_long_side
            old = self.mask_cost.get(size)
            self.mask_cost[size] = cost if old is None else 0.7 * old + 0.3 * cost
        else:
            old_c = self.carry_cost
            self.carry_cost = cost if old_c is None else 0.8 * old_c + 0.2 * cost

    def _down(self) -> int:
        """The level to step down to: the best one below predicted to fit (or not predicted
        yet, to measure it), else the last."""
        for j in range(self.index + 1, len(LEVELS)):
            p = self.predicted(j)
            if p is None or p <= self.high * self.budget:
                return j
        return len(LEVELS) - 1

    def _step(self, d: int, now: float) -> None:
        self.index += d
        self.changes += 1
        self._over = 0
        self._room_since = None
        self._changed_at = now
        self.cost = 0.0


class FrameScales:
    """Area-averaged copies of one live frame at whole fractions of its size, each made once:
    the masker's input, the edge's small frame and the motion step's grey share them (a 720p
    frame is halved once for all three, instead of three times). The masker gets exact area
    shrinks (:meth:`area`); the edge's guide may take :meth:`quick`'s cheaper third.

    Args:
        frame: ``H×W×3`` uint8 RGB (not copied; not to be changed while this is in use).
    """

    def __init__(self, frame: np.ndarray) -> None:
        self.frame = frame
        self._by_factor: dict[int, np.ndarray] = {1: frame}
        self._quick: dict[int, np.ndarray] = {}

    def whole(self, f: int) -> np.ndarray:
        """The frame area-averaged by the whole factor ``f``: ``(W // f) × (H // f)`` (its
        last ``W mod f`` columns / ``H mod f`` rows left out)."""
        out = self._by_factor.get(f)
        if out is None:
            h, w = self.frame.shape[:2]
            crop = self.frame[: h // f * f, : w // f * f]
            out = cv2.resize(crop, (w // f, h // f), interpolation=cv2.INTER_AREA)
            self._by_factor[f] = out
        return out

    def factor(self, size: tuple[int, int]) -> int:
        """The whole factor ``f`` with ``size == (W / f, H / f)`` exactly, or 0."""
        h, w = self.frame.shape[:2]
        f = w // size[0] if size[0] else 0
        return f if f and w == f * size[0] and h == f * size[1] else 0

    def area(self, size: tuple[int, int]) -> np.ndarray:
        """The frame area-averaged to ``size`` = ``(width, height)`` pixels: a kept copy where
        ``size`` is a whole fraction of the frame's (the same pixels cv2's area resize
        gives), else a new resize."""
        f = self.factor(size)
        if f:
            return self.whole(f)
        return cv2.resize(self.frame, size, interpolation=cv2.INTER_AREA)

    def quick(self, f: int) -> np.ndarray:
        """:meth:`whole` for the edge's guide: a third (1080p → 640×360) is made from the halved
        copy by a linear resize (0.5 ms CPU after the 1.2 ms halving the motion step shares,
        instead of 4–6 ms for an exact area third; mean difference 1.2 levels of 255, the
        edge's alpha from it 0.0001). Other factors, and frames not a whole number of 6-pixel
        blocks: :meth:`whole` itself."""
        h, w = self.frame.shape[:2]
        if f != 3 or w % 6 or h % 6:
            return self.whole(f)
        out = self._quick.get(f)
        if out is None:
            out = cv2.resize(self.whole(2), (w // f, h // f), interpolation=cv2.INTER_LINEAR)
            self._quick[f] = out
        return out


class MotionCarrier:
    """Carries a mask from one frame to the next by dense optical flow (DIS, ultrafast preset
    down to :data:`FLOW_FINEST_SCALE`, on a small grey copy of the frames about ``flow_width``
    pixels wide).

    The grey copy is made with an integer shrink factor (OpenCV's fast area path), from the
    frame's area-halved copy where the factor is even (the copy the live loop also gives the
    masker and the edge: a 720p frame's grey then costs ~0.2 ms instead of ~1.3), and the
    sampling map is made at the flow's own size and upsampled once to the mask's (a linear
    map upsamples exactly), so moving a 720p frame's mask costs about 2.5 ms CPU instead of
    4.5 (measured at the preset's finest scale; ~1.2 ms more at :data:`FLOW_FINEST_SCALE`), and
    runs no model (no detector, no landmarks).
    """

    def __init__(self, flow_width: int = 320) -> None:
        self.flow_width = flow_width
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._dis.setFinestScale(FLOW_FINEST_SCALE)
        self._prev: np.ndarray | None = None
        self._grid: tuple[tuple[int, ...], np.ndarray] | None = None  # (key, flow-size grid)

    def grey(self, frame: np.ndarray, scales: FrameScales | None = None) -> np.ndarray:
        """``frame`` (``H×W×3`` uint8 RGB) as a small grey image, ``W // k`` wide with
        ``k = round(W / flow_width)`` (the frame's last ``W mod k`` columns / rows are left
        out). ``scales``: ``frame``'s :class:`FrameScales`; where ``k`` is even the grey is
        made from its halved copy (always that one, so two frames' greys are made alike): the
        same image within rounding, for a fraction of the work."""
        h, w = frame.shape[:2]
        k = max(1, round(w / self.flow_width))
        fw, fh = max(8, w // k), max(8, h // k)
        f = 1
        if k > 1 and fw * k <= w and fh * k <= h:  # not a tiny frame widened to 8 pixels
            scales = scales if scales is not None else FrameScales(frame)
            f = 2 if k % 2 == 0 else 1
        img = frame if f == 1 else scales.whole(f)  # type: ignore[union-attr]
        k //= f
        grey = cv2.cvtColor(img[: fh * k, : fw * k], cv2.COLOR_RGB2GRAY)
        if k == 1:
            return grey
        return cv2.resize(grey, (fw, fh), interpolation=cv2.INTER_AREA)

    @property
    def prev(self) -> np.ndarray | None:
        """The :meth:`grey` of the last frame seen or carried onto (None after a reset)."""
        return self._prev

    def seen(
        self, frame: np.ndarray, grey: np.ndarray | None = None, scales: FrameScales | None = None
    ) -> None:
        """The frame a fresh mask was computed on (``grey``: its :meth:`grey`, when made;
        ``scales``: its :class:`FrameScales`)."""
        self._prev = self.grey(frame, scales) if grey is None else grey

    def carry(
        self, mask: np.ndarray, frame: np.ndarray, scales: FrameScales | None = None
    ) -> np.ndarray:
        """``mask`` (for the previous frame, ``h×w`` float32, any resolution) moved onto
        ``frame`` (``H×W×3`` uint8 RGB; ``scales``: its :class:`FrameScales`); same shape as
        ``mask``."""
        cur = self.grey(frame, scales)
        prev, self._prev = self._prev, cur
        if prev is None or prev.shape != cur.shape:
            return mask
        return self.move(mask, prev, cur, frame.shape[1], frame.shape[0])

    def move(
        self, mask: np.ndarray, prev: np.ndarray, cur: np.ndarray, width: int, height: int
    ) -> np.ndarray:
        """``mask`` (``h×w`` float32, any resolution) of the frame whose :meth:`grey` is
        ``prev`` moved onto the frame whose grey is ``cur`` (both frames ``width×height``
        pixels; one flow, however many frames apart); same shape as ``mask``.

        The flow is computed only around the subject: in the box of ``mask`` >
        :data:`MOVE_EPS` widened by :data:`MOVE_MARGIN` of the flow image's width on every
        side (where the mask is ~0 both before and after any motion smaller than that);
        outside it the mask is kept as it is. An empty mask is returned as it is."""
        mh, mw = mask.shape[:2]
        fh, fw = cur.shape[:2]
        k = max(1, round(width / self.flow_width))
        # flow pixels → frame pixels (× k) → mask pixels, plus the place (in mask pixels) of
        # each flow pixel's centre; upsampled linearly, that place becomes each mask pixel's own
        sx, sy = k * mw / width, k * mh / height
        region = self._region(mask, fh, fw, sx, sy)
        if region is None:
            return mask
        y0, y1, x0, x1 = region
        a, b = (np.ascontiguousarray(g[y0:y1, x0:x1]) for g in (cur, prev))  # DIS wants whole
        flow = self._dis.calc(a, b, None)  # cur pixel → where it was in prev
        key = (fh, fw, mh, mw, sx, sy)
        if self._grid is None or self._grid[0] != key:
            gx = (np.arange(fw, dtype=np.float32) + 0.5) * np.float32(sx) - 0.5
            gy = (np.arange(fh, dtype=np.float32) + 0.5) * np.float32(sy) - 0.5
            self._grid = key, np.dstack(np.meshgrid(gx, gy))
        where = cv2.add(cv2.multiply(flow, (sx, sy, 0.0, 0.0)), self._grid[1][y0:y1, x0:x1])
        whole = region == (0, fh, 0, fw)
        my0, mx0 = (0, 0) if whole else (round(y0 * sy), round(x0 * sx))
        my1 = mh if y1 == fh else round(y1 * sy)
        mx1 = mw if x1 == fw else round(x1 * sx)
        if where.shape[:2] != (my1 - my0, mx1 - mx0):
            where = cv2.resize(where, (mx1 - mx0, my1 - my0), interpolation=cv2.INTER_LINEAR)
        moved = cv2.remap(mask, where, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if whole:
            return moved
        out = mask.copy()
        out[my0:my1, mx0:mx1] = moved
        return out

    def _region(
        self, mask: np.ndarray, fh: int, fw: int, sx: float, sy: float
    ) -> tuple[int, int, int, int] | None:
        """Flow pixels ``(y0, y1, x0, x1)`` (half-open) to compute the flow in for ``mask``
        (``sx``, ``sy``: mask pixels per flow pixel), the whole image where the scales are not
        whole numbers or the box would cover most of it; None for an empty mask."""
        x, y, w, h = cv2.boundingRect(cv2.compare(mask, MOVE_EPS, cv2.CMP_GT))
        if not (w and h):
            return None
        whole = (0, fh, 0, fw)
        if not (float(sx).is_integer() and float(sy).is_integer()):
            return whole
        m = max(MOVE_MIN_SIDE // 2, round(fw * MOVE_MARGIN))
        isx, isy = int(sx), int(sy)
        x0, x1 = max(0, x // isx - m), min(fw, -(-(x + w) // isx) + m)
        y0, y1 = max(0, y // isy - m), min(fh, -(-(y + h) // isy) + m)
        if (x1 - x0) < MOVE_MIN_SIDE or (y1 - y0) < MOVE_MIN_SIDE:
            return whole
        if (x1 - x0) * (y1 - y0) > MOVE_MAX_SHARE * fw * fh:
            return whole
        return y0, y1, x0, x1

    def reset(self) -> None:
        self._prev = None


FLOW_FINEST_SCALE = 1
"""The finest pyramid level DIS computes the flow at (its ultrafast preset's default is 2: a
quarter of the grey, where an 8-pixel patch spans ~128 pixels of a 720p frame, wider than a
standing person, so the flow on the subject was mostly the still background's and the carried
mask lagged the person: the old background kept on the side he moved away from, his leading
side cut — the busy machine's ghost trail). At 1 (half the grey) the juggler carried over 3
frames (a busy source's gap) keeps 0.048 instead of 0.070 of its pixels outside the model's
own mask, cuts 0.068 instead of 0.094 (``benchmarks/bench_carry.py``), for ~1.2 ms CPU more per
carried 720p frame (+11–13 % of its whole cost); 0 (the whole grey) gained little more for ~6 ms."""
MOVE_EPS = 0.02
"""Mask values at or below this count as background when :meth:`MotionCarrier.move` boxes the
subject."""
MOVE_MARGIN = 1 / 5
"""How far around the subject's box (a share of the flow image's width, on every side) the flow
is computed: motion up to this far is followed (a 720p frame: ~210 pixels, between two frames
or from the mask thread's older frame)."""
MOVE_MIN_SIDE = 32
"""Flow pixels: a box smaller than this on a side is widened to the whole image (DIS's pyramid
needs room)."""
MOVE_MAX_SHARE = 0.6
"""A box covering more than this share of the flow image: the whole image is used."""


class MaskWorker:
    """The mask model in its own thread: the newest frame in, the newest mask out, never a
    queue.

    :meth:`submit` puts a frame in a one-frame inbox (a frame the model has not started yet is
    replaced: the newest wins, counted in :attr:`replaced`); the thread runs ``masker`` on it
    and leaves ``(index, mask)`` in a one-mask outbox (a mask not taken yet is replaced by the
    newer one); :meth:`take` empties it. So the live loop overlaps the model with the edge, the
    blend and the outputs of the frames in between, and neither side ever waits in a line.

    Args:
        masker: the subject masker (used only by this thread from now on, until
            :meth:`wait_idle` returns).
        name: the thread's name.
    """

    def __init__(self, masker: Masker, name: str = "live-mask") -> None:
        self.masker = masker
        self.replaced = 0
        self.model_seconds = 0.0
        """Seconds (wall) the last model run took."""
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._inbox: tuple[int, np.ndarray, float] | None = None
        self._outbox: tuple[int, np.ndarray] | None = None
        self._busy = False
        self._reset = False
        self._closed = False
        self._thread = workers.start(self._run, name, stop=self.close)

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being masked."""
        with self._cond:
            return self._inbox is None and not self._busy

    def submit(self, index: int, frame: np.ndarray, t: float) -> None:
        """Mask ``frame`` (``H×W×3`` uint8 RGB, capture ``index``, ``t`` seconds; not changed
        by the caller afterwards) as soon as the model is free."""
        with self._cond:
            if self._inbox is not None:
                self.replaced += 1
            self._inbox = (index, frame, t)
            self._cond.notify_all()

    def take(self, wait: float = 0.0) -> tuple[int, np.ndarray] | None:
        """The newest finished ``(index, mask)`` not taken yet, or None; with ``wait`` > 0,
        waits up to that many seconds for the frame in hand to finish.

        Raises:
            BaseException: what the masker raised.
        """
        with self._cond:
            if wait > 0:
                self._cond.wait_for(
                    lambda: self._outbox is not None or self.error is not None
                    or (self._inbox is None and not self._busy),
                    wait,
                )  # fmt: skip
            if self.error is not None:
                raise self.error
            out, self._outbox = self._outbox, None
            return out

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until the model is free (the caller may then use ``masker`` itself)."""
        with self._cond:
            self._cond.wait_for(lambda: self._inbox is None and not self._busy, timeout)

    def reset(self) -> None:
        """Drop the frame waiting and the mask not taken; the masker's state is reset before
        its next frame."""
        with self._cond:
            self._inbox = self._outbox = None
            self._reset = True

    def close(self) -> None:
        """End the thread (after the frame in hand; never blocks)."""
        with self._cond:
            self._closed = True
            self._inbox = None
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._inbox is not None or self._closed)
                if self._closed:
                    return
                assert self._inbox is not None
                (index, frame, t), self._inbox = self._inbox, None
                self._busy, reset, self._reset = True, self._reset, False
            try:
                started = time.perf_counter()
                if reset:
                    self.masker.reset()
                mask = self.masker(frame, t)
                self.model_seconds = time.perf_counter() - started
            except BaseException as e:  # noqa: BLE001 - handed to the live loop by take()
                with self._cond:
                    self.error, self._busy = e, False
                    self._cond.notify_all()
                return
            with self._cond:
                self._busy = False
                if not self._reset:  # a mask from before a reset is stale
                    self._outbox = (index, mask)
                self._cond.notify_all()


@dataclass(frozen=True)
class RenderedFrame:
    """A composed live frame: capture time ``t`` (s), the output, and what it cost (s)."""

    index: int
    t: float
    composite: Composite
    cost: float
    masked: bool
    model_cost: float = 0.0
    """Seconds the model's last run in the mask thread took, where this frame was handed to
    it (0 where the model ran within ``cost`` or not at all)."""


class LiveRenderer:
    """Composes live frames with the plan in force, within the frame budget.

    Args:
        info: the stream's size and frame rate (``duration`` resolves relative times).
        masker_factory: builds the subject masker for ``(info, plan)`` (default
            :func:`~backdrop.render.maskers.build_masker`); it is rebuilt only when the plan's
            subjects change, not its times or backgrounds.
        controller: the budget controller (default: one for ``info.fps``).
        threaded: at levels that run the model on every k-th frame only, run it in its own
            thread (:class:`MaskWorker`; the newest model mask is carried by motion from the
            frame it was made on), so the loop goes on with the frames in between meanwhile.
            Levels that run it on every frame run it in the loop (each frame its own mask).
    """

    def __init__(
        self,
        info: MediaInfo,
        masker_factory: MaskerFactory | None = None,
        controller: BudgetController | None = None,
        threaded: bool = False,
    ) -> None:
        self.info = info
        self.threaded = threaded
        self._worker: MaskWorker | None = None
        self._handed: deque[tuple[int, np.ndarray]] = deque(maxlen=HANDED_KEPT)
        """``(capture index, grey)`` of the last frames handed to the mask thread: its mask of
        one is moved from that frame's grey to the current frame's, however late it comes."""
        self.controller = controller or BudgetController(info.fps)
        self._factory = masker_factory or (lambda i, p: build_masker(i, p))
        self.plan: EditPlan | None = None
        self._compositor: Compositor | None = None
        self._masker: Masker | None = None
        self._masker_key: object = None
        self._mask: np.ndarray | None = None
        self.last_mask: np.ndarray | None = None
        """The subject mask of the last rendered frame (``h×w`` float32), or None."""
        self._since_mask = 0
        self._mask_input: tuple[int, ...] = ()
        self._carrier = MotionCarrier()
        self.costs: deque[float] = deque(maxlen=600)

    def warm_up(self) -> None:
        """Load the person masker now, so the first "remove the background" does not stall the
        stream while a model loads."""
        from backdrop.render.plan import KeepRule

        plan = EditPlan(keep=[KeepRule()])
        if self._masker is None:
            self._masker = self._factory(self.info, plan)
            self._masker_key = masker_key(plan)

    def set_plan(self, plan: EditPlan) -> None:
        """Use ``plan`` from the next frame on (call at a micro-turn boundary)."""
        if plan is self.plan or plan == self.plan:
            self.plan = plan
            return
        self._compositor = Compositor(plan, self.info.width, self.info.height, self.info.duration)
        key = masker_key(plan)
        if plan.keep and (self._masker is None or key != self._masker_key):
            self.close()  # the mask thread used the old masker
            self._masker = self._factory(self.info, plan)
            self._masker_key = key
            self._mask = None
        self.plan = plan

    def last_mask_or_empty(self, frame: np.ndarray, t: float = 0.0) -> np.ndarray:
        """The subject mask of the last rendered frame, or an empty one (``frame``'s ``h×w``,
        float32) before any: the session's masker on a live stream (it previews the newest
        frame, which the live loop has just masked; the model runs once, not twice)."""
        mask = self.last_mask
        return mask if mask is not None else np.zeros(frame.shape[:2], np.float32)

    def skip(self, index: int) -> bool:
        """Whether the frame with capture ``index`` is dropped at the current level."""
        return self.controller.level.drops(index)

    def render(self, index: int, t: float, frame: np.ndarray) -> RenderedFrame:
        """Compose ``frame`` (``H×W×3`` uint8 RGB, capture time ``t`` s)."""
        assert self._compositor is not None, "set_plan() first"
        started = time.perf_counter()
        level = self.controller.level
        mask = None
        masked = False
        model = 0.0
        scales = FrameScales(frame)
        alpha_scale = _alpha_scale(level, frame.shape[0])
        if self._compositor.needs_mask(t):
            assert self._masker is not None
            if self.threaded and level.threaded:
                mask, masked, model = self._mask_threaded(index, t, scales, level)
            else:
                mask, masked = self._mask_here(t, scales, level)
            self._mask = mask
        elif self._masker is not None and self._mask is not None:
            self._masker_free()
            self._masker.reset()
            self._carrier.reset()
            self._mask = None
        self.last_mask = mask
        self._compositor.alpha_scale = alpha_scale
        f = round(1.0 / alpha_scale)
        if mask is not None and alpha_scale < 1.0 and abs(f * alpha_scale - 1.0) < 1e-6:
            self._compositor.scaled_frame = (frame, scales.quick(f))  # the edge's small frame
        comp = self._compositor.compose(frame, t, mask)
        self._compositor.scaled_frame = None
        cost = time.perf_counter() - started
        self.costs.append(cost)
        return RenderedFrame(index, t, comp, cost, masked, model)

    def _masker_free(self) -> None:
        """Make sure the mask thread is not using the masker (this thread may, after)."""
        if self._worker is not None:
            self._worker.wait_idle()
            self._worker.take()  # a mask made before: the caller decides afresh
            self._worker.reset()

    def _mask_here(self, t: float, scales: FrameScales, level: Level) -> tuple[np.ndarray, bool]:
        """The mask made on this thread: the model's on every ``mask_every``-th frame, carried
        by motion between. Returns ``(mask, whether the model ran)``."""
        assert self._masker is not None
        frame = scales.frame
        if self._mask is None or self._since_mask + 1 >= level.mask_every:
            self._masker_free()
            small = _scaled(scales, level.mask_long_side)
            if small.shape != self._mask_input:  # a new input size: no stale smoothing
                self._masker.reset()
                self._mask_input = small.shape
            mask = self._masker(small, t)
            # always: the level may change before the next frame
            self._carrier.seen(frame, scales=scales)
            self._since_mask = 0
            return mask, True
        self._since_mask += 1
        return self._carrier.carry(self._mask, frame, scales), False

    def _mask_threaded(
        self, index: int, t: float, scales: FrameScales, level: Level
    ) -> tuple[np.ndarray, bool, float]:
        """The mask from the mask thread (:class:`MaskWorker`): the newest model mask, moved
        by motion from the frame it was made on to this one (one flow), else the last mask
        carried on; a frame is handed to the model every ``mask_every``-th frame when it is
        free. The first mask is waited for (this frame's own). Returns ``(mask, whether a frame
        was handed to the model, the model's last run in seconds)``."""
        if self._worker is None:
            assert self._masker is not None
            self._worker = MaskWorker(self._masker)
        worker = self._worker
        frame = scales.frame
        h, w = frame.shape[:2]
        cur = self._carrier.grey(frame, scales)
        handed = waited = False
        got = worker.take()
        if got is None and self._mask is None:  # nothing to carry yet: wait for this frame's
            self._hand(worker, index, t, scales, level, cur)
            handed = waited = True
            while got is None and worker.error is None and not worker.idle:
                got = worker.take(wait=MASK_WAIT_S)
            got = got or worker.take()
        mask = None
        if got is not None:
            j, fresh = got
            then = next((g for i, g in self._handed if i == j), None)
            if j == index:
                mask = fresh
            elif then is not None and then.shape == cur.shape:
                mask = self._carrier.move(fresh, then, cur, w, h)
        prev = self._carrier.prev  # the grey of the frame self._mask belongs to
        if mask is None and self._mask is not None:
            same = prev is not None and prev.shape == cur.shape
            mask = self._carrier.move(self._mask, prev, cur, w, h) if same else self._mask
        if mask is None:  # the model's mask of a frame no longer known: held
            mask = got[1] if got is not None else np.zeros((h, w), np.float32)
        self._carrier.seen(frame, cur)
        self._since_mask += 1
        if not handed and self._since_mask >= level.mask_every and worker.idle:
            self._hand(worker, index, t, scales, level, cur)
            handed = True
        # the model's time is charged to the frame handed to it (waited for: already in its cost)
        return mask, handed, worker.model_seconds if handed and not waited else 0.0

    def _hand(
        self,
        worker: MaskWorker,
        index: int,
        t: float,
        scales: FrameScales,
        level: Level,
        grey: np.ndarray,
    ) -> None:
        """Hand the frame to the mask thread, at the level's masker input size (``grey``: its
        motion grey, kept to move the mask that comes back)."""
        small = _scaled(scales, level.mask_long_side)
        if small.shape != self._mask_input:  # a new input size: no stale smoothing
            worker.reset()
            self._mask_input = small.shape
        worker.submit(index, small, t)
        self._handed.append((index, grey))
        self._since_mask = 0

    def close(self) -> None:
        """End the mask thread (never blocks for long)."""
        if self._worker is not None:
            self._worker.close()
            workers.join([self._worker._thread], 5.0)
            self._worker = None


MASK_WAIT_S = 30.0
"""Seconds the first frame waits for its mask from the mask thread (a model loading)."""
HANDED_KEPT = 4
"""Frames handed to the mask thread whose small grey copy is kept, to move the model's mask of
one, however late it arrives, from its frame to the current one (a frame waiting in the
thread's inbox may be replaced by a newer one: a few are kept). It was the last 12 frames
rendered: on a busy machine a model run longer than 12 frames (0.5 s at 24 fps, 0.2 s at 60)
found its frame's grey gone, every fresh mask was thrown away and the mask was only ever
carried, the carry's errors adding up (the juggler at "thread 1/3" with the model 0.6 s late:
trail 0.153 of the kept pixels, against 0.101 with the grey kept; benchmarks/bench_carry.py
``--delay``)."""

ALPHA_LINES = 720
"""Below the ladder's top level, a frame taller than this has the edge's alpha made at half
size (a whole factor: the frame's area shrink stays on OpenCV's fast path). 1080p: 22 instead
of 34 ms CPU on a busy machine, mean alpha difference 0.0005; a 1280×720 alpha (scale 2/3)
saved only 12 %."""

CHEAP_ALPHA_LINES = 360
"""At the cheap levels (``alpha_scale`` < 1) a frame taller than :data:`ALPHA_LINES` has the
edge's alpha made at about this many lines (a whole factor: 1080p at 1/3), what a 720p frame
gets there, and the edge filter's own work height. 1080p: 10.5 instead of 15 ms CPU per frame
(at 1/2); against the full-size alpha, mean difference 0.0009, 0.05 on the outline, IoU 0.994
(720p at 1/2: 0.0011, 0.06, 0.992)."""


def _alpha_scale(level: Level, height: int) -> float:
    """The fraction of the frame's size the edge's alpha is made at, for a ``height``-line
    frame at ``level``."""
    if level is LEVELS[0] or height <= ALPHA_LINES:
        return level.alpha_scale
    if level.alpha_scale < 1.0:
        return min(level.alpha_scale, 1.0 / max(2, round(height / CHEAP_ALPHA_LINES)))
    return min(level.alpha_scale, 0.5)


def _scaled(frame: np.ndarray | FrameScales, long_side: int) -> np.ndarray:
    """The frame area-scaled so its long side is at most ``long_side`` pixels (given its
    :class:`FrameScales`: their kept copy where that is a whole fraction of it)."""
    scales = frame if isinstance(frame, FrameScales) else FrameScales(frame)
    h, w = scales.frame.shape[:2]
    if max(h, w) <= long_side:
        return scales.frame
    s = long_side / max(h, w)
    return scales.area((max(2, round(w * s)), max(2, round(h * s))))


@dataclass
class LiveStats:
    """What the status line and the benchmark report about a live stream. Times in seconds
    (``time.monotonic()`` for ``out_at``)."""

    delivered: int = 0
    skipped: int = 0
    """Frames the budget controller dropped on purpose (its last level)."""
    out_times: deque[float] = field(default_factory=lambda: deque(maxlen=240))
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=600))
    all_latencies: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)

    def add(self, out_at: float, latency: float, cost: float, level: int) -> None:
        self.delivered += 1
        self.out_times.append(out_at)
        self.latencies.append(latency)
        self.all_latencies.append(latency)
        self.costs.append(cost)
        self.levels.append(level)

    def fps(self, window: float = 2.0) -> float:
        """Delivered frames per second over the last ``window`` seconds."""
        if len(self.out_times) < 2:
            return 0.0
        times = list(self.out_times)  # a snapshot: the live loop appends meanwhile
        now = times[-1]
        recent = [t for t in times if now - t <= window]
        span = recent[-1] - recent[0]
        return (len(recent) - 1) / span if span > 0 else 0.0

    def latency_ms(self, q: float, recent: bool = True) -> float:
        """The ``q``-th percentile (0–100) of capture→output latency, ms (recent frames, or
        all); 0 before any frame."""
        data = list(self.latencies) if recent else list(self.all_latencies)
        return float(np.percentile(np.asarray(data), q) * 1000.0) if data else 0.0
