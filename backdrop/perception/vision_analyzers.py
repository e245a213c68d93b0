"""Which vision analyzers run for a video."""

from __future__ import annotations

from backdrop.perception.events import Analyzer
from backdrop.perception.media import MediaInfo


def build_vision_analyzers(info: MediaInfo, size: tuple[int, int]) -> list[Analyzer]:
    """The vision analyzers for ``info`` (frames arrive at ``size`` = (width, height))."""
    return []
