"""Preview-tier person segmentation: MediaPipe selfie segmentation run with LiteRT, plus cheap
temporal smoothing.

Conventions: frames are ``H×W×3`` uint8 RGB (as :mod:`backdrop.perception.core.media` yields them);
masks are float32 person probabilities in [0, 1] at the model's own resolution ``(h_m, w_m)``
(256×256 for the general model, 144×256 for the landscape model) — the caller resizes them to the
frame. Sizes given as pairs are ``(width, height)`` in pixels.

Building a segmenter loads the model once; :meth:`SelfieSegmenter.predict` is cheap and
repeatable. The temporal smoother keeps its state in a small explicit object
(:class:`SmootherState`) so a session can reset it at a scene cut, save it or fork it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from backdrop.perception.core.litert import open_interpreter
from backdrop.perception.core.models import model_path

log = logging.getLogger(__name__)

Variant = Literal["auto", "general", "landscape"]

LANDSCAPE_MIN_ASPECT = 1.2
"""Frames with width/height at or above this use the landscape model (16:9 = 1.78 does; 4:3 =
1.33 does; square and portrait frames use the general model)."""

THUMB_SIZE = (32, 18)
"""``(width, height)`` of the grey thumbnail used to detect wholesale frame changes."""


def choose_variant(width: int, height: int) -> Literal["general", "landscape"]:
    """The selfie model that fits a ``width``×``height`` frame (pixels) best."""
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}×{height}")
    return "landscape" if width / height >= LANDSCAPE_MIN_ASPECT else "general"


class SelfieSegmenter:
    """MediaPipe selfie segmentation (general 256×256 or landscape 256×144) on LiteRT.

    The interpreter is built and its tensors allocated once, in the constructor. One instance is
    not thread-safe; use one per stream or worker.

    Args:
        model_path: a ``selfie_segmentation*.tflite`` file (see
            :func:`backdrop.perception.core.models.model_path`).
        threads: CPU threads LiteRT may use.
    """

    def __init__(self, model_path: str | Path, threads: int = 2) -> None:
        self.model_path = Path(model_path)
        self._interp = open_interpreter(self.model_path, threads)
        inp = self._interp.get_input_details()[0]
        out = self._interp.get_output_details()[0]
        shape = tuple(int(s) for s in inp["shape"])
        if len(shape) != 4 or shape[0] != 1 or shape[3] != 3:
            raise ValueError(
                f"{self.model_path.name}: expected a 1×H×W×3 image input, got {shape}; "
                "is this a selfie segmentation model?"
            )
        self._in_index = inp["index"]
        self._out_index = out["index"]
        self._h, self._w = shape[1], shape[2]

    @property
    def input_size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels of the model input, which is also the mask size."""
        return self._w, self._h

    def predict(self, frame_rgb: np.ndarray) -> np.ndarray:
        """Person probability for one frame.

        Args:
            frame_rgb: ``H×W×3`` uint8 RGB, any size (resized here with ``INTER_AREA``; the
                aspect ratio is not preserved, so pick the variant that matches the frame).

        Returns:
            ``(h_m, w_m)`` float32 in [0, 1] (1 = person), at the model's resolution
            (:attr:`input_size` reversed).
        """
        if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
            raise ValueError(
                f"predict() takes an H×W×3 uint8 RGB frame, got shape {frame_rgb.shape} "
                f"dtype {frame_rgb.dtype}"
            )
        if frame_rgb.shape[:2] != (self._h, self._w):
            small = cv2.resize(frame_rgb, (self._w, self._h), interpolation=cv2.INTER_AREA)
        else:
            small = frame_rgb
        x = np.multiply(small, np.float32(1.0 / 255.0), dtype=np.float32)[None]
        self._interp.set_tensor(self._in_index, x)
        self._interp.invoke()
        mask = self._interp.get_tensor(self._out_index).reshape(self._h, self._w)
        return np.clip(mask, 0.0, 1.0, out=mask).astype(np.float32, copy=False)


def load_person_segmenter(
    width: int,
    height: int,
    variant: Variant = "auto",
    threads: int = 2,
    models_dir: Path | None = None,
) -> SelfieSegmenter:
    """Build the selfie segmenter for ``width``×``height`` frames (pixels).

    Args:
        width, height: frame size in pixels (display orientation).
        variant: ``"general"``, ``"landscape"`` or ``"auto"`` (landscape when width/height ≥
            :data:`LANDSCAPE_MIN_ASPECT`).
        threads: CPU threads LiteRT may use.
        models_dir: models folder (default: ``$BACKDROP_MODELS_DIR`` or the user default).

    Raises:
        ModelMissingError: the model is not installed (run ``backdrop models install``).
    """
    chosen = choose_variant(width, height) if variant == "auto" else variant
    if chosen not in ("general", "landscape"):
        raise ValueError(f"variant must be 'auto', 'general' or 'landscape', got {variant!r}")
    path = model_path(f"selfie-{chosen}", models_dir)
    log.debug("person segmenter for %d×%d: %s", width, height, path.name)
    return SelfieSegmenter(path, threads=threads)


def area_shrink(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` (``H×W`` or ``H×W×C``, any dtype cv2 resizes) area-averaged down to ``size`` =
    ``(width, height)`` pixels, halving first while the image is at least 4× the target on
    both sides: cv2's 2×2 area path is ~4× faster than a general area resize, and the result
    differs from the direct one only by rounding. :class:`FrameShrinks` shares the halvings
    among several sizes of one image."""
    return FrameShrinks(img).area(size)


class FrameShrinks:
    """The area-averaged shrinks of one image (usually a frame), sharing their halvings.

    :meth:`area` gives exactly what :func:`area_shrink` gives for the same size (the same
    sequence of cv2 calls on the same arrays), but the halvings (full → ½ → ¼ …) are computed
    once and kept, so the frame thumbnail of the smoother (32×18), the tracker's cut signature
    (64×36) and the crop change measure (⅛ of the frame) of one 720p frame pay for the
    full-resolution halving once instead of three times. Not thread-safe; one per frame, used
    by one thread at a time.

    Args:
        img: ``H×W`` or ``H×W×C`` image, any dtype cv2 resizes (not copied; not to be changed
            while this is in use).
    """

    def __init__(self, img: np.ndarray) -> None:
        self.levels: list[np.ndarray] = [img]
        """``levels[k]``: the image halved ``k`` times (``(w >> k, h >> k)`` by integer
        halving of each level's size), as far as computed."""

    def _level(self, k: int) -> np.ndarray:
        while len(self.levels) <= k:
            prev = self.levels[-1]
            half = (prev.shape[1] // 2, prev.shape[0] // 2)
            self.levels.append(cv2.resize(prev, half, interpolation=cv2.INTER_AREA))
        return self.levels[k]

    def area(self, size: tuple[int, int]) -> np.ndarray:
        """The image area-averaged to ``size`` = ``(width, height)`` pixels (a new array or a
        kept level: do not change it in place)."""
        h, w = self.levels[0].shape[:2]
        k = 0
        while w >= 4 * size[0] and h >= 4 * size[1]:
            w, h, k = w // 2, h // 2, k + 1
        if (w // 2, h // 2) == tuple(size) and w >= 2 and h >= 2:
            return self._level(k + 1)  # the same call as the halving: keep it for others
        return cv2.resize(self._level(k), size, interpolation=cv2.INTER_AREA)


def frame_thumbnail(
    frame_rgb: np.ndarray, size: tuple[int, int] = THUMB_SIZE, shrinks: FrameShrinks | None = None
) -> np.ndarray:
    """A small grey thumbnail for change detection.

    Args:
        frame_rgb: ``H×W×3`` uint8 RGB.
        size: ``(width, height)`` of the thumbnail in pixels.
        shrinks: ``frame_rgb``'s :class:`FrameShrinks`, when other shrinks of it are made too
            (the same result, the halvings shared).

    Returns:
        ``(size[1], size[0])`` float32 luma in [0, 1].
    """
    small = (shrinks or FrameShrinks(frame_rgb)).area(size)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return grey.astype(np.float32) * np.float32(1.0 / 255.0)


@dataclass
class SmootherState:
    """Everything :class:`MaskSmoother` remembers between frames (empty after a reset).

    Attributes:
        mask: ``(h_m, w_m)`` float32 smoothed mask of the previous frame, or None.
        thumb: grey thumbnail (float32 in [0, 1]) of the previous frame, or None.
    """

    mask: np.ndarray | None = None
    thumb: np.ndarray | None = None

    def copy(self) -> SmootherState:
        return SmootherState(
            None if self.mask is None else self.mask.copy(),
            None if self.thumb is None else self.thumb.copy(),
        )


@dataclass
class MaskSmoother:
    """Motion-adaptive per-pixel EMA that removes mask flicker without lagging behind motion.

    For each pixel, with ``d = new - prev`` (mask probability units, [-1, 1])::

        w   = clip(|d| / tau, w_min, 1)
        out = prev + w * d

    A large change (a person moved into or out of the pixel) is followed at once; a small one
    (model flicker) is let through only in part, so it averages out over a few frames.

    Attributes:
        tau: change in mask probability at and above which the new value is taken as it is.
        w_min: smallest weight of the new mask per frame (0 < w_min ≤ 1); a steady small offset
            decays by ``(1 - w_min)`` per frame, so ``1 / w_min`` frames is the longest memory.
        cut_threshold: mean absolute difference of consecutive grey thumbnails (luma in [0, 1])
            above which the frame is taken to have changed wholesale (scene cut, camera switch)
            and the state is reset.
        state: the explicit recurrent state; read it to checkpoint or fork, assign it to restore.
    """

    tau: float = 0.4
    w_min: float = 0.15
    cut_threshold: float = 0.15
    state: SmootherState = field(default_factory=SmootherState)

    def __post_init__(self) -> None:
        if not 0.0 < self.w_min <= 1.0:
            raise ValueError(f"w_min must be in (0, 1], got {self.w_min}")
        if self.tau <= 0.0:
            raise ValueError(f"tau must be positive, got {self.tau}")

    def reset(self) -> None:
        """Forget the past (call at scene cuts); the next mask passes through unchanged."""
        self.state = SmootherState()

    def smooth(self, mask: np.ndarray, frame_small: np.ndarray | None = None) -> np.ndarray:
        """Smooth one mask against the previous ones.

        Args:
            mask: ``(h_m, w_m)`` float32 person probability in [0, 1] for the current frame.
            frame_small: optional grey thumbnail of the current frame (:func:`frame_thumbnail`);
                when given, a wholesale change from the previous thumbnail resets the state first.

        Returns:
            ``(h_m, w_m)`` float32 smoothed mask in [0, 1] (a new array).
        """
        mask = np.asarray(mask, dtype=np.float32)
        st = self.state
        if frame_small is not None:
            thumb = np.asarray(frame_small, dtype=np.float32)
            if (
                st.thumb is not None
                and st.thumb.shape == thumb.shape
                and float(np.mean(np.abs(thumb - st.thumb))) > self.cut_threshold
            ):
                log.debug("frame changed wholesale; smoother reset")
                st.mask = None
            st.thumb = thumb.copy()
        if st.mask is None or st.mask.shape != mask.shape:
            st.mask = mask.copy()
            return mask.copy()
        d = mask - st.mask
        w = np.abs(d)
        w *= np.float32(1.0 / self.tau)
        np.clip(w, self.w_min, 1.0, out=w)
        st.mask += w * d
        return st.mask.copy()


class PersonMasker:
    """Segmenter + smoother: one call per frame gives a steady person mask.

    Args:
        segmenter: a built :class:`SelfieSegmenter`.
        smoother: a :class:`MaskSmoother` (a default one when None).
    """

    def __init__(self, segmenter: SelfieSegmenter, smoother: MaskSmoother | None = None) -> None:
        self.segmenter = segmenter
        self.smoother = smoother if smoother is not None else MaskSmoother()

    @property
    def mask_size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels of the masks this returns."""
        return self.segmenter.input_size

    def __call__(self, frame_rgb: np.ndarray) -> np.ndarray:
        """Smoothed person mask for the next frame of a stream.

        Args:
            frame_rgb: ``H×W×3`` uint8 RGB.

        Returns:
            ``(h_m, w_m)`` float32 in [0, 1] at the model's resolution.
        """
        raw = self.segmenter.predict(frame_rgb)
        return self.smoother.smooth(raw, frame_thumbnail(frame_rgb))

    def reset(self) -> None:
        """Forget temporal state (scene cut, seek)."""
        self.smoother.reset()
