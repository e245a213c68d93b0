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


def analyze_for(
    path: str | Path, text: str, *, speech: bool, say: Callable[[str], None] | None = None
) -> Timeline | None:
    """The analysis an instruction needs on ``path``: its soundtrack (speech, speakers,
    transcript) when ``speech`` (the words refer to what is said, e.g. "after I say hello" —
    the interpreter decides), its objects when ``text`` names one and a detector is installed;
    None when it needs neither. ``say`` is told, in a few words, what is being analysed."""
    from backdrop.perception.vision.detect import analyze_objects, objects_detector_installed
    from backdrop.perception.vision.objects import mentions_object

    note = say or (lambda _line: None)
    timeline: Timeline | None = None
    if speech:
        from backdrop.perception.audio.audio_analyzers import build_audio_analyzers

        note("analysing the soundtrack…")
        timeline = analyze(path, build_audio_analyzers(probe(path)))
    if mentions_object(text) and objects_detector_installed():
        note("looking for objects in the video…")
        found = analyze_objects(path)
        if timeline is None:
            return found
        timeline.add(found.events)
    return timeline
