"""Which audio analyzers run for a video."""

from __future__ import annotations

from backdrop.perception.events import Analyzer
from backdrop.perception.media import MediaInfo


def build_audio_analyzers(info: MediaInfo) -> list[Analyzer]:
    """The audio analyzers for ``info``."""
    return []
