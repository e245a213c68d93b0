"""One frame's shrinks are shared by the masker's three users, with the same pictures (issue 14).

The smoother's thumbnail (32×18), the tracker's cut signature (64×36) and the crop change
measure (⅛ of the frame) each shrank the full frame; :class:`FrameShrinks` computes the halvings
once. Its results must be exactly those of shrinking each size on its own (the halve-then-area
algorithm ``area_shrink`` had), on real frames of several sizes, asked for in any order.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames
from backdrop.perception.vision.segment import FrameShrinks, area_shrink, frame_thumbnail
from backdrop.perception.vision.tracking import PersonTracker, frame_signature

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"


def _reference(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Each size on its own: halve while at least 4× the target on both sides, then area."""
    h, w = img.shape[:2]
    while w >= 4 * size[0] and h >= 4 * size[1]:
        w, h = w // 2, h // 2
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _frames() -> list[np.ndarray]:
    frames = [f for _, f in islice(iter_frames(SAMPLE), 0, 60, 20)]
    odd = cv2.resize(frames[0], (853, 479), interpolation=cv2.INTER_AREA)
    small = cv2.resize(frames[1], (427, 240), interpolation=cv2.INTER_AREA)
    portrait = np.ascontiguousarray(frames[2].transpose(1, 0, 2))
    return [*frames, odd, small, portrait]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_shared_shrinks_equal_separate_ones_exactly(order: tuple[int, int, int]) -> None:
    for frame in _frames():
        h, w = frame.shape[:2]
        sizes = [(32, 18), (64, 36), (max(1, w // 8), max(1, h // 8))]
        shared = FrameShrinks(frame)
        for i in order:
            got = shared.area(sizes[i])
            want = _reference(frame, sizes[i])
            assert got.shape == want.shape and np.array_equal(got, want), (frame.shape, sizes[i])
            assert np.array_equal(area_shrink(frame, sizes[i]), want)


def test_the_three_users_give_the_same_values_with_shared_shrinks() -> None:
    frames = _frames()[:3]
    for frame in frames:
        shared = FrameShrinks(frame)
        assert np.array_equal(frame_signature(frame, shared), frame_signature(frame))
        assert np.array_equal(frame_thumbnail(frame, shrinks=shared), frame_thumbnail(frame))
    # the tracker's cut detection follows the same signatures
    a, b = PersonTracker(), PersonTracker()
    box = (0.3, 0.2, 0.6, 0.9)
    for i, frame in enumerate([*frames, frames[0]]):
        ids_a = a.update(i / 30, [box], frame)
        ids_b = b.update(i / 30, [box], frame, shrinks=FrameShrinks(frame))
        assert ids_a == ids_b
    assert a.cuts == b.cuts
    # the shared halvings: the full frame was halved once for all three sizes
    shared = FrameShrinks(frames[0])
    for size in [(32, 18), (64, 36), (160, 90)]:
        shared.area(size)
    assert [lv.shape[:2] for lv in shared.levels] == [(720, 1280), (360, 640), (180, 320),
                                                       (90, 160), (45, 80)]  # fmt: skip
