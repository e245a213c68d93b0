"""Time helpers for tools: clamping ranges to a video, comparing ranges, formatting seconds.

All times are float seconds; negative values count back from the end (see
:mod:`backdrop.render.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass

from backdrop.render.plan import TimeRange, clock

WHOLE = TimeRange()


format_clock = clock
"""Seconds → ``m:ss`` / ``h:mm:ss`` (absolute value): :func:`backdrop.render.plan.clock`."""


@dataclass(frozen=True)
class Clamped:
    """A range fitted to a video: ``range`` (``None`` when nothing is left) and notes for it."""

    range: TimeRange | None
    notes: tuple[str, ...] = ()
    error: str | None = None


def clamp_range(rng: TimeRange, duration: float | None) -> Clamped:
    """Fit ``rng`` to a video of ``duration`` seconds (no change when the duration is unknown).

    An end past the video becomes "until the end" (``end=None``) with a note. A start past the
    end, or a range that is empty for this video, gives ``error``. Relative (negative) times
    stay relative, so the plan still works for other videos; a reach past the start is noted.
    """
    if duration is None:
        return Clamped(rng)
    notes: list[str] = []
    end_txt = format_clock(duration)
    start, end = rng.start, rng.end
    if start >= 0 and start >= duration:
        return Clamped(
            None, error=f"{format_clock(start)} is past the end of the video ({end_txt})"
        )
    if end is not None and end >= 0 and end > duration:
        notes.append(f"{format_clock(end)} is past the end ({end_txt}); using the end")
        end = None
    if start < 0 and -start > duration:
        notes.append(
            f"the video is only {end_txt} long, so the last {format_clock(start)} "
            "is the whole video"
        )
    if end is not None and end < 0 and -end >= duration:
        return Clamped(None, error=f"the video is only {end_txt} long; that range is empty")
    out = TimeRange(start=start, end=end)
    t0, t1 = out.resolve(duration)
    if t1 <= t0:
        return Clamped(None, error=f"{out.describe()} is empty for this {end_txt} video")
    return Clamped(out, tuple(notes))


def range_length(rng: TimeRange, duration: float | None) -> float | None:
    """Length of ``rng`` in seconds, or ``None`` when it depends on an unknown duration."""
    if duration is not None:
        t0, t1 = rng.resolve(duration)
        return t1 - t0
    if rng.end is None:
        return -rng.start if rng.start < 0 else None
    if (rng.start >= 0) == (rng.end >= 0):
        return rng.end - rng.start
    return None


def range_within(inner: TimeRange, outer: TimeRange, duration: float | None) -> bool:
    """Whether ``inner`` lies inside ``outer`` (equal counts); ``False`` when it can't be told."""
    if inner == outer or outer == WHOLE:
        return True
    if duration is not None:
        a0, a1 = inner.resolve(duration)
        b0, b1 = outer.resolve(duration)
        return b0 <= a0 and a1 <= b1
    if (inner.start >= 0) != (outer.start >= 0) or inner.start < outer.start:
        return False
    if outer.end is None:
        return True
    if inner.end is None or (inner.end >= 0) != (outer.end >= 0):
        return False
    return inner.end <= outer.end
