"""Scene cuts: PySceneDetect detectors over the streamed frames → :class:`SceneCut` events.

Frames arrive in 200 ms chunks (``H×W×3`` uint8 RGB, any size); each is handed to a
PySceneDetect detector with its own timestamp, so variable-frame-rate video is timed by its real
presentation times. A cut is reported as ``SceneCut(t0 = last frame of the old scene, t1 = first
frame of the new)``, in seconds.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from backdrop.perception.core.events import Event, SceneCut
from backdrop.perception.core.media import Chunk


def _default_detector(fps: float) -> Any:
    from scenedetect.detectors import ContentDetector

    return ContentDetector(threshold=27.0, min_scene_len=max(1, round(0.5 * fps)))


class SceneCutAnalyzer:
    """Finds cuts with a PySceneDetect detector (``ContentDetector`` by default).

    Args:
        fps: the video's nominal frame rate (PySceneDetect's timecodes need one; times are still
            taken from each frame's own timestamp).
        detector: a PySceneDetect detector (``process_frame(timecode, bgr) -> cuts``); default
            ``ContentDetector(threshold=27, min_scene_len=0.5 s)``.
        max_width: frames are scaled to at most this width first (speed; cuts survive it).
    """

    name = "scenecut"

    def __init__(self, fps: float, detector: Any = None, max_width: int = 320) -> None:
        from scenedetect import FrameTimecode

        self._tc = FrameTimecode
        self.fps = fps if fps > 0 else 25.0
        self.detector = detector if detector is not None else _default_detector(self.fps)
        self.max_width = max_width
        self._times: list[float] = []

    def _timecode(self, t: float) -> Any:
        return self._tc(timecode=max(0, round(t * self.fps)), fps=self.fps)

    def _events(self, cuts: list[Any]) -> list[Event]:
        out: list[Event] = []
        for c in cuts:
            frame_no = int(c.frame_num) if hasattr(c, "frame_num") else int(c.get_frames())
            t1 = frame_no / self.fps
            # snap to the real timestamps we saw
            nearest = min(self._times, key=lambda x: abs(x - t1)) if self._times else t1
            prev = [x for x in self._times if x < nearest]
            t0 = prev[-1] if prev else nearest
            out.append(SceneCut(t0=t0, t1=nearest, source=self.name))
        return out

    def process(self, chunk: Chunk) -> list[Event]:
        cuts: list[Any] = []
        for t, frame in zip(chunk.frame_times, chunk.frames, strict=True):
            h, w = frame.shape[:2]
            if w > self.max_width:
                s = self.max_width / w
                frame = cv2.resize(frame, (self.max_width, max(1, round(h * s))),
                                   interpolation=cv2.INTER_AREA)  # fmt: skip
            bgr = np.ascontiguousarray(frame[..., ::-1])
            self._times.append(float(t))
            cuts += self.detector.process_frame(self._timecode(float(t)), bgr)
        self._times = self._times[-64:]
        return self._events(cuts)

    def flush(self) -> list[Event]:
        if not self._times:
            return []
        return self._events(list(self.detector.post_process(self._timecode(self._times[-1]))))
