"""Live notices: "nobody in frame" on a file-as-camera with empty stretches — raised once while
the stream runs (not again at the second empty stretch), with yes/no, and a "yes" is acted on
at a following micro-turn of the stream. Real pose detector on real footage; nothing asserts
timing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from backdrop.agent.live import LiveRunner
from backdrop.agent.session import Message, NoticeMessage
from backdrop.perception.core.live import open_source
from backdrop.perception.core.media import iter_frames
from backdrop.perception.core.models import model_path
from backdrop.perception.vision.person_crop import PoseDetector
from backdrop.perception.vision.presence import PresenceAnalyzer
from tests.conftest import needs_weights, wait_for, write_video

FPS = 15
PERSON_S, EMPTY_S = 2.0, 2.5


def empty_stretch_clip(sample: Path, path: Path) -> Path:
    """The sample (a person) for 2 s, then 2.5 s of the same room with nobody in it (the left
    third of the sample's first frame, where nobody stands, stretched to the frame)."""
    src = []
    for t, rgb in iter_frames(sample, size=(320, 180)):
        if t >= PERSON_S:
            break
        src.append((t, rgb))
    n_person = round(PERSON_S * FPS)  # the person for exactly PERSON_S at FPS
    frames = [min(src, key=lambda f: abs(f[0] - i / FPS))[1] for i in range(n_person)]
    first = frames[0]
    room = cv2.resize(np.ascontiguousarray(first[:, : first.shape[1] // 3]), (320, 180))

    def frame(i: int, w: int, h: int) -> np.ndarray:
        return frames[i] if i < n_person else room

    return write_video(path, 320, 180, fps=FPS, frames=n_person + int(EMPTY_S * FPS),
                       audio=False, frame_fn=frame)  # fmt: skip


@needs_weights("pose-detection")
def test_nobody_in_frame_is_said_once_and_a_yes_is_acted_on(sample: Path, tmp_path: Path) -> None:
    clip = empty_stretch_clip(sample, tmp_path / "empty.mp4")
    period = PERSON_S + EMPTY_S
    detector = PoseDetector(model_path("pose-detection"))
    src = open_source(clip, realtime=True, loop=True)
    runner = LiveRunner(src, say=lambda line: None, llm=False,
                        analyzers=lambda info: [PresenceAnalyzer(detector)])  # fmt: skip
    notices: list[NoticeMessage] = []

    def heard(msg: Message) -> None:
        if isinstance(msg, NoticeMessage) and msg.notice.kind == "nobody":
            notices.append(msg)

    runner.session.add_listener(heard)
    runner.start()
    try:
        wait_for(lambda: notices, 180, "the nobody-in-frame notice")
        notice = notices[0].notice
        # said from the start of an empty stretch (under load a chunk or two may go unanalysed)
        assert PERSON_S - 0.3 <= notice.t % period <= PERSON_S + EMPTY_S - 1.0, notice.t
        assert "Nobody in frame" in notice.text and "?" in notice.text
        assert not runner.plan_changes  # a notice changes nothing by itself
        # the second empty stretch of the loop has been analysed: no second notice
        wait_for(lambda: runner.session.state.processed_until > notice.t + period + EMPTY_S,
                 180, "the second empty stretch")  # fmt: skip
        assert len(notices) == 1, [n.notice.text for n in notices]
        asked_at = runner.t
        reply = runner.session.answer(notice.id, True).result(120)
        assert reply is not None and reply.changed, reply
        wait_for(lambda: runner.plan_changes, 60, "the live output to take the answer")
        assert runner.error is None
    finally:
        runner.stop()
    change = runner.plan_changes[0]
    assert change.t > asked_at
    assert [b.background.type for b in change.plan.backgrounds] == ["blur"]
    assert change.plan.keep  # the person is kept in front of the blurred room
