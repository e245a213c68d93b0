""" "Yes, but only a little" to a notice whose suggestion has no words (a new scene, rough
edges): the degree can't scale that suggestion, so Backdrop asks and keeps the notice waiting;
it used to apply "only a little" to the background (a blue background became 30 % opaque). A
degree said after an edge change ("soften the edges, but only a little") belongs to the edges
and no longer sets the background's strength."""

from __future__ import annotations

from pathlib import Path

from backdrop.agent.session import NoticeMessage
from backdrop.perception.core.events import SceneCut
from tests.test_interpret_blind_kinds import _said, folder  # noqa: F401 - a fixture
from tests.test_session import run_session


def test_a_degree_alone_in_an_answer_asks_and_keeps_the_notice(sample: Path) -> None:
    session, messages = run_session(sample, [SceneCut(2.95, 3.0, "test")])
    session.submit("make the background blue")
    session.start()
    assert session.wait(60)
    assert [m.notice.kind for m in messages if isinstance(m, NoticeMessage)] == ["scene_cut"]
    before = session.plan
    reply = session.submit("yes but only a little").result(10)
    assert reply.clarify and not reply.changed, reply.text
    assert session.plan == before  # the background is still fully blue
    reply = session.submit("yes").result(10)  # the notice still waits
    assert not reply.clarify, reply.text
    session.close()


def test_a_degree_after_an_edge_change_is_the_edges() -> None:
    ctx, reply, _ = _said("make it blue", "soften and refine the edges but only a little")
    assert ctx.plan.backgrounds[0].opacity == 1.0, reply
    assert ctx.plan.edges.feather > 1.5, reply
    ctx, reply, _ = _said("make it blue", "but only a little")  # a degree of the colour itself
    assert ctx.plan.backgrounds[0].opacity < 1.0, reply


def test_no_with_an_instruction_dismisses_and_applies_it(sample: Path) -> None:
    """ "no, make it red instead" to the new-scene notice: the notice is dismissed and red goes
    on the new scene (the instruction used to be dropped); "no blur" is an instruction, not an
    answer, and leaves the notice waiting."""
    session, messages = run_session(sample, [SceneCut(2.95, 3.0, "test")])
    session.submit("make the background blue")
    session.start()
    assert session.wait(60)
    reply = session.submit("no blur").result(10)
    assert not reply.text.startswith("OK, I'll leave it"), reply.text
    reply = session.submit("no, make it red instead").result(10)
    assert reply.changed and "leave it as it is" in reply.text, reply.text
    segs = session.plan.backgrounds
    assert len(segs) == 2 and segs[0].range.start == 0.0, segs  # blue stays before the cut
    assert segs[-1].background.color == "#e11d2e" and segs[-1].range.start > 2.5
    assert not session.pending
    session.close()
