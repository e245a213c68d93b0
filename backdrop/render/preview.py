"""Preview frames: their size, the plan applied to one frame now, a scrub cache, and encoding.

What a live session shows while the person talks: frames scaled so the long side is at most
:data:`PREVIEW_LONG_SIDE` pixels (:func:`preview_size`), edited with the current plan by a
:class:`PreviewComposer` (which rebuilds its compositor and masker only when the plan needs it),
source thumbnails kept as JPEG in a :class:`FrameCache` for scrubbing, and frames encoded as
JPEG (:func:`encode_jpeg`, for the browser) or PNG (:func:`write_png`, atomically). Frames are
H×W×3 uint8 RGB throughout; times are seconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from backdrop.perception.core.media import MediaInfo
from backdrop.render.atomic import atomic_path
from backdrop.render.compose import Compositor
from backdrop.render.maskers import Masker
from backdrop.render.plan import EditPlan

PREVIEW_LONG_SIDE = 640
"""Preview frames are scaled so their long side is at most this many pixels."""

FRAME_CACHE_LIMIT = 4000
"""Most source thumbnails kept for scrubbing (one per micro-turn, JPEG; ~30 KB each)."""

PREVIEW_JPEG_QUALITY = 85
"""JPEG quality of preview frames sent to the browser."""

CACHE_JPEG_QUALITY = 90
"""JPEG quality of cached source thumbnails (they are edited again before being shown)."""


def preview_size(info: MediaInfo, long_side: int = PREVIEW_LONG_SIDE) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``info``'s frames scaled to fit ``long_side`` (never
    enlarged), both even (codecs and chroma subsampling want even sizes)."""
    s = min(1.0, long_side / max(info.width, info.height))
    return max(2, round(info.width * s / 2) * 2), max(2, round(info.height * s / 2) * 2)


def blank_frame(size: tuple[int, int]) -> np.ndarray:
    """A black frame of ``size`` = ``(width, height)`` pixels: H×W×3 uint8 RGB (what a live
    preview shows before its first frame arrives)."""
    return np.zeros((size[1], size[0], 3), np.uint8)


def fit_preview(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``rgb`` (H×W×3 uint8) scaled to the preview ``size`` = (width, height) pixels (area
    filter); returned as is when it already has that size."""
    if (rgb.shape[1], rgb.shape[0]) == tuple(size):
        return rgb
    return cv2.resize(rgb, tuple(size), interpolation=cv2.INTER_AREA)


def encode_jpeg(rgb: np.ndarray, quality: int = PREVIEW_JPEG_QUALITY) -> bytes:
    """H×W×3 uint8 RGB → JPEG bytes.

    Raises:
        ValueError: the frame could not be encoded.
    """
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError("could not encode a JPEG")
    return buf.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG bytes → H×W×3 uint8 RGB."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def write_png(rgb: np.ndarray, path: str | Path) -> Path:
    """Write H×W×3 uint8 RGB to ``path`` as PNG, atomically. Returns the path.

    Raises:
        OSError: the frame could not be encoded or written.
    """
    p = Path(path)
    with atomic_path(p) as tmp:
        ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"{p}: could not encode PNG")
        tmp.write_bytes(buf.tobytes())
    return p


class FrameCache:
    """Source thumbnails by micro-turn index (JPEG in memory), oldest dropped past ``limit``.

    Args:
        step: seconds per index (the micro-turn length).
        limit: most thumbnails kept.
    """

    def __init__(self, step: float, limit: int = FRAME_CACHE_LIMIT) -> None:
        self.step = step
        self.limit = limit
        self._frames: OrderedDict[int, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, t: float, frame: np.ndarray, index: int | None = None) -> None:
        """Keep ``frame`` (shown at ``t`` seconds) under ``index`` (default: ``t``'s)."""
        key = int(t / self.step) if index is None else index
        try:
            self._frames[key] = (t, encode_jpeg(frame, CACHE_JPEG_QUALITY))
        except ValueError:
            return
        while len(self._frames) > self.limit:
            self._frames.popitem(last=False)

    def latest(self) -> tuple[float, np.ndarray] | None:
        """``(frame time, frame)`` of the frame put last (a live feed's newest), or ``None``."""
        if not self._frames:
            return None
        t, data = self._frames[next(reversed(self._frames))]
        return t, decode_jpeg(data)

    def get(self, t: float) -> tuple[float, np.ndarray] | None:
        """``(frame time, frame)`` of a cached frame within one step of ``t``, or ``None``."""
        hit = self._frames.get(int(t / self.step))
        if hit is None or abs(hit[0] - t) > self.step:
            return None
        return hit[0], decode_jpeg(hit[1])


def masker_key(plan: EditPlan) -> tuple[Any, ...]:
    """What decides which masker a plan needs (time ranges do not: the masker gets ``t``)."""
    rules = tuple(
        (k.subject, k.action, k.label, k.speaker, tuple(k.box or ()), tuple(k.point or ()))
        for k in plan.keep
    )
    return rules, tuple(q.tier for q in plan.quality)


class PreviewComposer:
    """Applies the current plan to preview frames; rebuilds only what a plan change needs.

    Args:
        info: the preview-size video (``width``/``height`` are the preview's).
        masker_factory: builds the masker for ``(info, plan)``.

    ``refined``: a :class:`~backdrop.render.refine.RefineCache` a refine worker fills; a frame
    refined for the current plan is shown instead of the fast one (None = never).
    """

    def __init__(self, info: MediaInfo, masker_factory: Callable[[MediaInfo, EditPlan], Masker]):
        self.info = info
        self._factory = masker_factory
        self.refined: Any = None
        self._plan_key = ""
        self._keyed: EditPlan | None = None
        self._compositor: Compositor | None = None
        self._plan: EditPlan | None = None
        self._masker: Masker | None = None
        self._masker_key: tuple[Any, ...] = ()

    def warm_up(self, plan: EditPlan) -> None:
        """Build the masker for ``plan`` now (so the first instruction does not wait for it)."""
        self._masker = self._factory(self.info, plan)
        self._masker_key = masker_key(plan)

    def invalidate(self) -> None:
        """Forget the compositor (the plan may have changed in ways equality does not see)."""
        self._compositor = None

    def compose(
        self, plan: EditPlan, frame: np.ndarray, t: float, *, fast: bool = False
    ) -> np.ndarray:
        """``frame`` (preview size, shown at ``t`` seconds) edited by ``plan``: H×W×3 uint8
        (``fast``: the fast edge even where a refined frame exists)."""
        if self._compositor is None or self._plan != plan:
            self._compositor = Compositor(plan, self.info.width, self.info.height,
                                          self.info.duration)  # fmt: skip
            key = masker_key(plan)
            if plan.keep and (self._masker is None or key != self._masker_key):
                self._masker = self._factory(self.info, plan)
                self._masker_key = key
            self._plan = plan
        if self.refined is not None and not fast:
            if self._keyed is not plan:
                from backdrop.render.refine import plan_key

                self._plan_key, self._keyed = plan_key(plan), plan
            done = self.refined.get(self._plan_key, t)
            if done is not None and done.shape != frame.shape:  # refined at the source's size
                done = cv2.resize(done, (frame.shape[1], frame.shape[0]),
                                  interpolation=cv2.INTER_AREA)  # fmt: skip
            if done is not None:
                return done
        mask = None
        if self._compositor.needs_mask(t):
            assert self._masker is not None
            mask = self._masker(frame, t)
        return self._compositor.compose(frame, t, mask).rgb


__all__ = [
    "FRAME_CACHE_LIMIT",
    "PREVIEW_LONG_SIDE",
    "FrameCache",
    "PreviewComposer",
    "blank_frame",
    "decode_jpeg",
    "encode_jpeg",
    "masker_key",
    "preview_size",
    "write_png",
]
