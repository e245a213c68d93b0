"""Run analyzers over a video's 200 ms chunks and collect their events on one timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from backdrop.perception.core.events import Analyzer, Timeline
from backdrop.perception.core.media import CHUNK_SECONDS, MediaInfo, probe, read_chunks

ANALYSIS_LONG_SIDE = 640
"""Frames are analysed scaled so their long side is at most this many pixels."""


def analysis_size(info: MediaInfo, long_side: int = ANALYSIS_LONG_SIDE) -> tuple[int, int]:
    """``(width, height)`` for analysis: the display size scaled to ``long_side``, even."""
    s = min(1.0, long_side / max(info.width, info.height))
    return max(2, round(info.width * s / 2) * 2), max(2, round(info.height * s / 2) * 2)


def default_analyzers(info: MediaInfo) -> list[Analyzer]:
    """Every analyzer that can run on this machine for this video (audio ones need a track)."""
    from backdrop.perception.audio.audio_analyzers import build_audio_analyzers
    from backdrop.perception.vision.vision_analyzers import build_vision_analyzers

    return [*build_audio_analyzers(info), *build_vision_analyzers(info, analysis_size(info))]


def analyze(
    path: str | Path,
    analyzers: Sequence[Analyzer] | None = None,
    progress: Callable[[float, float], None] | None = None,
    speakers: int | None = None,
) -> Timeline:
    """Stream ``path`` through ``analyzers`` (default: :func:`default_analyzers`).

    ``progress(seconds_done, duration)`` is called after each chunk. Frames reach the analyzers
    at :func:`analysis_size`; event coordinates (boxes) are scaled back to display pixels by the
    analyzers that emit them.

    Once the file is fully heard, analyzers with a ``final_pass`` (speaker turns) redo their
    events over the whole file; ``speakers`` is the number of speakers the person gave (None:
    estimated).
    """
    info = probe(path)
    if analyzers is None:
        analyzers = default_analyzers(info)
    timeline = Timeline(duration=info.duration)
    for chunk in read_chunks(path, CHUNK_SECONDS, size=analysis_size(info)):
        for a in analyzers:
            timeline.add(a.process(chunk))
        if progress is not None:
            progress(min(chunk.t1, info.duration), info.duration)
    for a in analyzers:
        timeline.add(a.flush())
    for a in analyzers:
        final = getattr(a, "final_pass", None)
        if final is not None:  # the whole file heard: e.g. speaker turns clustered at once
            if speakers is not None:
                a.n_speakers = speakers  # type: ignore[attr-defined]
            timeline.events = final(timeline.events)
    from backdrop.perception.vision.people import bind_speakers

    timeline.events = bind_speakers(timeline.events)  # which tracked person is talking
    return timeline
