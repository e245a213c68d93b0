"""Which masker makes the subject's mask for a render, from the plan's rules and tiers.

A masker maps ``(frame, t)`` to the subject's mask: ``h×w`` float32 in [0, 1] (any resolution;
the compositor scales it to the frame), 1 = keep in front. It may keep temporal state;
``reset()`` clears it (scene cut, or a gap where no mask was needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from backdrop.perception.events import Timeline
from backdrop.perception.media import MediaInfo
from backdrop.render.plan import EditPlan


class Masker(Protocol):
    """``(frame H×W×3 uint8 RGB, t seconds) → h×w float32 mask in [0, 1]``, with state."""

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray: ...

    def reset(self) -> None: ...


class PreviewPersonMasker:
    """Every person, from the preview-tier selfie segmenter with temporal smoothing."""

    def __init__(self, info: MediaInfo) -> None:
        from backdrop.perception.segment import PersonMasker, load_person_segmenter

        self._inner = PersonMasker(load_person_segmenter(info.width, info.height))

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        return self._inner(frame)

    def reset(self) -> None:
        self._inner.reset()


def build_masker(
    info: MediaInfo,
    plan: EditPlan,
    timeline: Timeline | None = None,
    sam_checkpoint: Path | None = None,
) -> Masker:
    """The masker that realises ``plan``'s keep/remove rules for the video ``info`` describes.

    Args:
        info: the source video.
        plan: the edit (its keep rules and quality tiers decide what is segmented and how).
        timeline: analysis events (active speakers, scene cuts) for rules that need them.
        sam_checkpoint: a Segment Anything checkpoint for the quality tier, if any.

    Raises:
        ModelMissingError: a model the plan needs is not installed (the message says how).
    """
    return PreviewPersonMasker(info)
