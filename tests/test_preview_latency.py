"""Instruction → preview without waiting (issue 14): the frame looked at is recomposed from its
remembered mask (and edge) at once, while a newer frame is still being masked in the composer's
own thread. Behaviour only; the latency itself is measured by benchmarks/bench_session.py."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest

from backdrop.agent.session import PreviewMessage, ReplyMessage, Session
from backdrop.perception.core.media import probe
from backdrop.render.maskers import build_masker
from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    ColorBackground,
    EdgeSettings,
    EditPlan,
    Fade,
    GradientBackground,
    KeepRule,
)
from backdrop.render.preview import MASK_MEMORY, PreviewComposer, SeekReader, preview_size
from tests.conftest import Scripted, blueness, wait_for


def _plan(bg: object, **kw: object) -> EditPlan:
    return EditPlan(keep=[KeepRule()], backgrounds=[BackgroundSegment(background=bg, **kw)])


BLUE = ColorBackground(color="#0000ff")
GREEN = ColorBackground(color="#00ff00")


class _Counted:
    """The real masker for each plan, its calls recorded as (thread name, frame time); it
    waits while ``gate`` is clear (a slow model on a busy machine), saying so in ``blocked``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.blocked = threading.Event()

    def factory(self, info, plan):  # noqa: ANN001, ANN201 - the masker_factory shape
        masker = build_masker(info, plan)

        def run(frame: np.ndarray, t: float) -> np.ndarray:
            self.calls.append((threading.current_thread().name, t))
            if not self.gate.is_set():
                self.blocked.set()
                self.gate.wait(120)
            return masker(frame, t)

        return run


def _started(sample: Path, counted: _Counted, delay: float) -> tuple[Session, list[object]]:
    """A started session on ``sample`` with ``counted``'s maskers, chunks ``delay`` s apart,
    and the list its messages go to."""
    session = Session(sample, analyzers=lambda info: [Scripted([], delay=delay)], llm=False,
                      masker_factory=counted.factory)  # fmt: skip
    messages: list[object] = []
    session.add_listener(messages.append)
    session.start()
    return session, messages


def _preview_after_reply(messages: list[object], seen: int) -> PreviewMessage:
    """The first preview after the first reply among ``messages[seen:]`` (waited for)."""
    found: list[PreviewMessage] = []

    def shown() -> bool:
        new = messages[seen:]
        replied = [i for i, m in enumerate(new) if isinstance(m, ReplyMessage)]
        if replied:
            found[:] = [m for m in new[replied[0] :] if isinstance(m, PreviewMessage)]
        return bool(found)

    wait_for(shown, 60, "a preview after the reply")
    return found[0]


@pytest.fixture(scope="module")
def frames(sample: Path) -> tuple[object, list[tuple[float, np.ndarray]]]:
    info = probe(sample)
    size = preview_size(info)
    reader = SeekReader(sample, size)
    got = [reader.frame_at(3.0 + 0.2 * k) for k in range(MASK_MEMORY + 3)]
    reader.close()
    return dataclasses.replace(info, width=size[0], height=size[1]), got


def test_the_frame_looked_at_keeps_its_mask_past_newer_frames(frames) -> None:  # noqa: ANN001
    pinfo, got = frames
    counted = _Counted()
    composer = PreviewComposer(pinfo, counted.factory)
    (t, frame), newer = got[0], got[1:]
    composer.compose(_plan(GREEN), frame, t, pin=True)
    for tk, fk in newer:  # more new frames than the masks remembered
        composer.compose(_plan(GREEN), fk, tk)
    assert len(counted.calls) == 1 + len(newer)
    blue = composer.compose(_plan(BLUE), frame, t, pin=True)  # an instruction: a new colour
    assert len(counted.calls) == 1 + len(newer)  # no masker run: its mask was kept
    assert blueness(blue) > 100
    composer.close()


def test_a_frame_masked_in_the_background_is_composed_without_the_masker(frames) -> None:  # noqa: ANN001
    pinfo, got = frames
    counted = _Counted()
    composer = PreviewComposer(pinfo, counted.factory)
    twin = PreviewComposer(pinfo, _Counted().factory)  # the same frames, masked in line
    try:
        for t, frame in got[:3]:
            job = composer.mask_later(_plan(BLUE), frame, t)
            assert job is not None
            job.result(120)
            n = len(counted.calls)
            out = composer.compose(_plan(BLUE), frame, t)
            assert len(counted.calls) == n  # the mask made in the background was used
            ref = twin.compose(_plan(BLUE), frame, t)
            assert np.abs(out.astype(np.int16) - ref).max() <= 1
        assert {name for name, _ in counted.calls} == {"preview-mask"}
        assert composer.mask_later(_plan(BLUE), got[0][1], got[0][0]) is None  # already made
        assert composer.mask_later(EditPlan(), got[5][1], got[5][0]) is None  # nothing to mask
    finally:
        composer.close()
        twin.close()


@pytest.mark.parametrize(
    "plan",
    [
        _plan(BLUE),
        _plan(GradientBackground(colors=["#ff0000", "#ffa500"])),
        _plan(BlurBackground()),
        _plan(BLUE, fade_in=Fade(duration=8.0)),
        _plan(BLUE).model_copy(update={"edges": EdgeSettings(feather=6.0, shift=3.0)}),
    ],
    ids=["colour", "gradient", "blur", "fade", "edges"],
)
def test_a_remembered_edge_gives_the_same_frame(frames, plan: EditPlan) -> None:  # noqa: ANN001
    """The frame looked at, recomposed for another plan from its remembered edge, is the frame
    a composer without that memory makes (the same mask in both)."""
    pinfo, got = frames
    t, frame = got[0]
    mask = build_masker(pinfo, plan)(frame, t).copy()
    memo = PreviewComposer(pinfo, lambda i, p: lambda f, ft: mask.copy())
    plain = PreviewComposer(pinfo, lambda i, p: lambda f, ft: mask.copy())
    memo.compose(_plan(GREEN), frame, t, pin=True)  # the edge of the default settings, kept
    out = memo.compose(plan, frame, t, pin=True)
    ref = plain.compose(plan, frame, t)
    assert np.array_equal(out, ref)


def test_an_instruction_is_previewed_while_a_new_frame_is_being_masked(sample: Path) -> None:
    """The masker wedges on the newest processed frame; a new background is still applied and
    previewed on the frame looked at, from its remembered mask, without running the masker."""
    counted = _Counted()
    session, messages = _started(sample, counted, 0.2)
    try:
        assert session.submit("make the background green").result(120).changed
        green = session.preview(1.0)  # the frame looked at
        counted.gate.clear()  # the next frame processed: its masking does not end
        assert counted.blocked.wait(120), "no newer frame was masked"
        assert counted.calls[-1][0] == "preview-mask"
        n, seen = len(counted.calls), len(messages)
        assert session.submit("make the background blue").result(60).changed
        shown = _preview_after_reply(messages, seen)
        assert not counted.gate.is_set() and len(counted.calls) == n  # masker still stuck, not run
        assert shown.t == pytest.approx(1.0) and blueness(shown.rgb) > 100
        # the same person kept: only the background changed
        changed = np.abs(shown.rgb.astype(np.int16) - green).sum(-1) > 90
        was_green = np.abs(green.astype(np.int16) - green[0, 0]).sum(-1) < 30  # its colour
        assert (changed & was_green).sum() / (changed | was_green).sum() > 0.9
    finally:
        counted.gate.set()
        session.close()


def test_the_first_instruction_finds_the_frame_looked_at_masked(sample: Path) -> None:
    """While nothing is decided, the frame looked at is masked in the masking thread for the
    default rule, so the first "remove the background" is previewed without the masker."""
    counted = _Counted()
    session, messages = _started(sample, counted, 0.05)
    try:
        wait_for(lambda: counted.calls, 120, "the frame looked at masked before any instruction")
        name, t = counted.calls[0]
        assert name == "preview-mask" and t < 0.2  # the cursor's micro-turn (0 s)
        assert session.submit("make the background blue").result(120).changed
        shown = _preview_after_reply(messages, 0)
        assert shown.t == pytest.approx(session.cursor) and blueness(shown.rgb) > 100
        assert not [c for c in counted.calls if c[0] != "preview-mask"]  # never in line
    finally:
        session.close()
