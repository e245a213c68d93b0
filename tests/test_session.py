"""The live session: micro-turns, instructions while processing, notices, undo, the scene state."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from backdrop.agent.session import (
    DoneMessage,
    Message,
    NoticeMessage,
    PreviewMessage,
    PreviewTimeout,
    ReplyMessage,
    Session,
)
from backdrop.agent.state import SUMMARY_BUDGET_CHARS, SceneState
from backdrop.perception.core.events import (
    Caption,
    PeopleCount,
    SceneCut,
    SpeakerTurn,
    Speech,
    TranscriptSegment,
)
from tests.conftest import Scripted, blueness


def run_session(sample: Path, events: list, delay: float = 0.0) -> tuple[Session, list[Message]]:
    session = Session(sample, analyzers=lambda info: [Scripted(events, delay)], llm=False)
    messages: list[Message] = []
    session.add_listener(messages.append)
    return session, messages


def test_instruction_during_processing_applies_from_next_micro_turn(sample: Path) -> None:
    session, messages = run_session(sample, [], delay=0.05)
    session.start()
    while not any(isinstance(m, PreviewMessage) and m.t > 1.0 for m in messages):
        time.sleep(0.01)
    reply = session.submit("make the background blue").result(30)
    assert reply.changed
    assert session.wait(60)
    kinds = [type(m).__name__ for m in messages]
    i_reply = kinds.index("ReplyMessage")
    previews_before = [m for m in messages[:i_reply] if isinstance(m, PreviewMessage)]
    previews_after = [m for m in messages[i_reply + 1 :] if isinstance(m, PreviewMessage)]
    assert previews_before and previews_after
    assert all(blueness(m.rgb) < 40 for m in previews_before)  # nothing half-applied before
    assert all(blueness(m.rgb) > 100 for m in previews_after)  # every later frame has it
    # the frame the person was looking at is re-rendered first, right after the reply
    assert previews_after[0].t == pytest.approx(session.cursor)
    assert any(isinstance(m, DoneMessage) for m in messages)
    session.close()


def test_notice_yes_applies_suggestion_and_no_dismisses(sample: Path) -> None:
    events = [SceneCut(2.95, 3.0, "test"), PeopleCount(6.0, 6.2, "test", n=2)]
    session, messages = run_session(sample, events)
    session.submit("remove the background and make it blue")
    session.start()
    assert session.wait(60)
    notices = [m.notice for m in messages if isinstance(m, NoticeMessage)]
    assert [n.kind for n in notices] == ["scene_cut", "people"]
    assert notices[0].text.startswith("New scene at 0:03")
    assert "Two people from 0:06" in notices[1].text
    # "no" answers the latest notice (people), "yes, ..." the one before (the new scene)
    reply = session.submit("no").result(10)
    assert not reply.changed
    reply = session.submit("yes, make it red").result(10)
    assert reply.changed, reply.text
    segs = session.plan.backgrounds
    assert len(segs) == 2 and segs[1].range.start == pytest.approx(3.0)
    assert segs[1].background.color == "#e11d2e"
    assert session.preview(5.0)[:40, :80, 0].mean() > 150  # red after the cut
    assert blueness(session.preview(1.0)) > 100  # still blue before it
    # undo takes the whole answer back
    session.submit("undo").result(10)
    assert len(session.plan.backgrounds) == 1
    session.close()


def test_bare_yes_answers_the_opening_suggestion_not_a_newer_notice(sample: Path) -> None:
    """Analysis runs ahead of the person: while nothing is decided yet, a "yes" answers the
    opening suggestion, not a newer notice about a moment further on (issue 10/11 bug); once
    the plan has changes, a bare answer goes to the newest notice again."""
    events = [
        Caption(0.0, 0.2, "test", text="a person at a desk"),
        SceneCut(3.95, 4.0, "test"),
        PeopleCount(6.0, 6.2, "test", n=2),
    ]
    session, messages = run_session(sample, events)
    session.start()
    assert session.wait(60)
    kinds = [m.notice.kind for m in messages if isinstance(m, NoticeMessage)]
    assert kinds == ["opening", "scene_cut", "people"]
    reply = session.submit("yes").result(10)  # the newest is "people"
    assert reply.changed, reply.text
    assert [s.background.type for s in session.plan.backgrounds] == ["transparent"]
    assert [n.kind for n in session.pending] == ["scene_cut", "people"]
    reply = session.submit("no").result(10)
    assert not reply.changed
    assert [n.kind for n in session.pending] == ["scene_cut"]
    assert len(session.plan.backgrounds) == 1
    session.close()


def test_plain_yes_applies_the_concrete_suggestion(sample: Path) -> None:
    session, messages = run_session(sample, [SceneCut(4.0, 4.04, "test")])
    session.start()
    assert session.wait(60)
    reply = session.submit("yes").result(10)
    assert reply.changed
    seg = session.plan.backgrounds[-1]
    assert seg.background.type == "gradient" and seg.range.start == pytest.approx(4.04)
    session.close()


def test_notices_are_rate_limited_and_never_repeated(sample: Path) -> None:
    events = [PeopleCount(t, t + 0.2, "test", n=2 + i % 2) for i, t in enumerate((1.0, 1.5, 2.0))]
    events += [PeopleCount(2.5, 2.7, "test", n=1), PeopleCount(9.5, 9.7, "test", n=2)]
    events += [SceneCut(9.0, 9.04, "cut"), SceneCut(9.0, 9.04, "dup"), SceneCut(9.4, 9.44, "cut")]
    session, messages = run_session(sample, events)
    session.start()
    assert session.wait(60)
    got = [(m.notice.kind, m.notice.t) for m in messages if isinstance(m, NoticeMessage)]
    # people: once at 1.0 (the later changes are within the gaps); every cut, once
    assert got == [("people", 1.0), ("scene_cut", 9.0), ("scene_cut", 9.4)]
    session.close()


def test_unclear_instruction_changes_nothing(sample: Path) -> None:
    session, messages = run_session(sample, [])
    session.start()
    reply = session.submit("make it better somehow").result(30)
    assert reply.clarify and not reply.changed
    assert session.plan.is_empty()
    assert any(isinstance(m, ReplyMessage) and m.clarify for m in messages)
    session.close()


def _timeline_events(duration: float) -> list:
    ev: list = []
    t = 0.0
    i = 0
    while t < duration:
        ev.append(Speech(t, t + 3, "vad"))
        ev.append(TranscriptSegment(t, t + 3, "asr", text=f"sentence number {i} about the video"))
        ev.append(SpeakerTurn(t, t + 3, "spk", speaker=f"S{i % 2 + 1}"))
        if i % 10 == 0:
            ev.append(SceneCut(t, t + 0.04, "cut"))
            ev.append(Caption(t, t + 0.04, "cap", text=f"keyframe {i}: one person indoors"))
        t += 4.0
        i += 1
    return ev


@pytest.mark.parametrize("duration", [10.0, 600.0])
def test_summary_has_a_fixed_budget(duration: float) -> None:
    state = SceneState(duration)
    state.add(_timeline_events(duration), processed_until=duration)
    text = state.summary()
    assert len(text) <= SUMMARY_BUDGET_CHARS
    assert "Transcript" in text and "Scenes" in text
    if duration > 100:
        assert "more)" in text  # long lists were thinned, first and last kept
        assert "sentence number 0 " in text and "sentence number 149 " in text


def test_scene_queries() -> None:
    state = SceneState(30.0)
    state.add(
        [
            SceneCut(9.96, 10.0, "c"),
            SpeakerTurn(1.0, 4.0, "s", speaker="S1"),
            SpeakerTurn(12.0, 15.0, "s", speaker="S2"),
        ],
        processed_until=30.0,
    )
    assert [(s.t0, s.t1) for s in state.scenes()] == [(0.0, 10.0), (10.0, 30.0)]
    assert state.speakers() == ["S1", "S2"]
    assert state.speaker_start("S2") == 12.0
    assert any(isinstance(e, SpeakerTurn) for e in state.at(13.0))


def test_notice_clock_reads_hours() -> None:
    from backdrop.agent.proactive import NoticeMaker
    from backdrop.render.plan import EditPlan

    n = NoticeMaker(4000.0).notices([SceneCut(3722.96, 3723.0, "test")], EditPlan())
    assert n and "1:02:03" in n[0].text, n


def test_answer_by_id_and_a_click_call_the_tools_directly(sample: Path) -> None:
    events = [SceneCut(2.95, 3.0, "test"), PeopleCount(6.0, 6.2, "test", n=2)]
    session, messages = run_session(sample, events)
    session.start()
    assert session.wait(60)
    first, second = (m.notice for m in messages if isinstance(m, NoticeMessage))
    assert session.answer(99, True).result(10) is None  # never raised: nothing happens
    # the older notice, though a newer one waits: its own suggestion, at its own time
    reply = session.answer(first.id, True).result(10)
    assert reply is not None and reply.changed and reply.text.startswith("Done:"), reply
    assert session.plan.backgrounds[-1].range.start == pytest.approx(3.0)
    assert [n.id for n in session.pending] == [second.id]
    assert session.answer(first.id, True).result(10) is None  # answered once only
    assert session.ctx.scope is None
    # a click: keep_subject with the point, said back in words, one undo step
    before = session.plan
    reply = session.keep_point(400, 520).result(10)
    assert reply.changed and "point" in reply.text, reply
    assert session.plan.keep[-1].point == [400.0, 520.0]
    assert any(isinstance(m, ReplyMessage) and m.text == reply.text for m in messages)
    session.submit("undo").result(10)
    assert session.plan == before
    session.close()


class _GatedMasker:
    """A masker that blocks while ``gate`` is clear (a wedged model); keeps nothing."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.calls = 0

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        self.calls += 1
        self.gate.wait()
        return np.zeros(frame.shape[:2], np.float32)

    def reset(self) -> None:
        pass


def test_a_stuck_masker_gives_one_clear_line_in_time_and_the_session_goes_on(
    sample: Path,
) -> None:
    gate = threading.Event()
    gate.set()
    masker = _GatedMasker(gate)
    session = Session(sample, analyzers=lambda info: [Scripted([])], llm=False,
                      masker_factory=lambda info, plan: masker, preview_timeout=1.0)  # fmt: skip
    session.start()
    try:
        assert session.wait(120)
        assert session.submit("make the background blue").result(120).changed
        assert blueness(session.preview(1.0)) > 100
        gate.clear()  # the masker wedges
        for t in (2.0, 3.0):  # the stuck one, then one queued behind it: both answered in time
            started = time.monotonic()
            with pytest.raises(PreviewTimeout) as caught:
                session.preview(t)
            assert time.monotonic() - started < 1.0 + 10  # bounded: it did not hang
            text = str(caught.value)
            assert "took longer than 1 s" in text and "\n" not in text
        calls = masker.calls
        gate.set()  # unstuck: the next request is served, the abandoned queued one never ran
        assert blueness(session.preview(1.5)) > 100
        assert masker.calls == calls + 1
    finally:
        gate.set()
        session.close()
