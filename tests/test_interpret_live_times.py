"""Times on a live stream, which only moves forward: "for the next 10 seconds" starts at the
play position (it started at 0:00, so at 0:05 into a stream "blur it for the next 2 seconds"
did nothing), a range already gone by is refused with what to say instead (it was applied to
time already gone and answered "Understood"), and so is a time counted back from the end,
which a live stream does not have. Editing a file, "the next 10 seconds" starts at the play
head too; a "then the next 10 seconds" inside a sequence still follows the part before it."""

from __future__ import annotations

import pytest

from backdrop.agent.interpret import SpeechInterpreter
from backdrop.tools import ToolContext


def _live(text: str, position: float = 5.0) -> tuple[ToolContext, str]:
    ctx = ToolContext(duration=None, live=True, position=position)
    return ctx, SpeechInterpreter().interpret(text, ctx).text


def _ranges(ctx: ToolContext) -> list[tuple[float, float | None]]:
    return [(s.range.start, s.range.end) for s in ctx.plan.backgrounds]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("blur it for the next 2 seconds", (5.0, 7.0)),
        ("make it red for the next ten seconds", (5.0, 15.0)),
        ("um the next 3 seconds make it green", (5.0, 8.0)),
        ("make it green from now on", (5.0, None)),
    ],
)
def test_next_seconds_start_now(text: str, want: tuple[float, float | None]) -> None:
    ctx, reply = _live(text)
    assert _ranges(ctx) == [want], reply


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("blur it for the first 2 seconds", "already gone by"),
        ("make it red from 0:01 to 0:04", "already gone by"),
        ("make it blue for the last 5 seconds", "no end"),
    ],
)
def test_time_that_will_never_be_seen_is_refused(text: str, hint: str) -> None:
    ctx, reply = _live(text)
    assert not ctx.plan.backgrounds, reply
    assert hint in reply and "for the next" in reply, reply


def test_a_file_reads_next_from_the_play_head_but_keeps_sequences() -> None:
    si = SpeechInterpreter()
    ctx = ToolContext(duration=60.0, position=30.0)
    si.interpret("blur the next 10 seconds", ctx)
    assert _ranges(ctx) == [(30.0, 40.0)]
    ctx = ToolContext(duration=60.0, position=30.0)
    si.interpret("red for 5 s, then the next 10 seconds green", ctx)
    assert _ranges(ctx) == [(0.0, 5.0), (5.0, 15.0)]
    ctx = ToolContext(duration=60.0)  # no play position: as before
    si.interpret("blur the next 10 seconds", ctx)
    assert _ranges(ctx) == [(0.0, 10.0)]
