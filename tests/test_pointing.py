"""Keep what someone points at (issue 17, item 6).

Function level on synthetic BlazePose landmarks (no clip in the shared media shows deliberate
pointing); end to end on real footage: the bedroom clip (sam2), where at 0:01 the girl jumping on
the bed holds her left arm straight out towards the shelf on the wall — an outstretched arm, the
nearest thing to pointing the shared media has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backdrop.agent.interpret import RuleInterpreter, SpeechInterpreter
from backdrop.agent.scenarios import pointing_times
from backdrop.perception.core.events import Timeline, TranscriptSegment, Word
from backdrop.perception.vision.pointing import first_along, pointing_ray, salient_along
from backdrop.render.plan import EditPlan
from backdrop.tools import PlanHistory, ToolContext
from tests.conftest import SHARED_MEDIA, needs_weights

BEDROOM = SHARED_MEDIA / "sam2" / "notebooks" / "videos" / "bedroom.mp4"


def _body(arm_end: tuple[float, float], elbow: tuple[float, float]) -> np.ndarray:
    """33×5 landmarks of a person standing at x≈300 (pixels), right arm to ``elbow`` and
    ``arm_end`` (wrist and index finger), left arm hanging; every landmark visible."""
    lm = np.zeros((33, 5))
    lm[:, 0], lm[:, 1], lm[:, 3] = 300.0, 200.0, 1.0
    lm[0, :2] = (300, 120)  # nose
    lm[11, :2], lm[12, :2] = (270, 180), (330, 180)  # shoulders (left, right)
    lm[23, :2], lm[24, :2] = (280, 320), (320, 320)  # hips
    lm[13, :2], lm[15, :2], lm[19, :2] = (265, 240), (262, 300), (262, 315)  # left arm hangs
    lm[14, :2] = elbow
    lm[16, :2] = arm_end
    lm[20, :2] = (arm_end[0] + 0.25 * (arm_end[0] - elbow[0]),
                  arm_end[1] + 0.25 * (arm_end[1] - elbow[1]))  # fmt: skip
    return lm


def test_straight_arm_held_out_points_and_hanging_arm_does_not() -> None:
    ray = pointing_ray(_body((450, 182), (390, 181)))
    assert ray is not None and ray.arm == "right"
    assert ray.direction[0] > 0.99 and abs(ray.direction[1]) < 0.05
    assert ray.origin[0] > 450
    assert pointing_ray(_body((335, 300), (333, 240))) is None  # hanging at the side
    assert pointing_ray(_body((360, 182), (390, 230))) is None  # bent at the elbow
    lm = _body((450, 182), (390, 181))
    lm[14:17:2, 3] = 0.1  # the pointing arm not visible
    assert pointing_ray(lm) is None


def test_first_object_along_the_arm() -> None:
    ray = pointing_ray(_body((450, 130), (390, 155)))  # up and to the right
    assert ray is not None and ray.direction[1] < 0
    boxes = [
        (250, 100, 350, 400),  # the pointer
        (700, 0, 780, 60),  # a lamp further along the ray
        (560, 60, 620, 120),  # a clock, first along it
        (600, 330, 900, 460),  # a couch below: not on the ray
    ]
    labels = ["person", "lamp", "clock", "couch"]
    assert first_along(ray, boxes, labels, (960, 540)) == 2
    assert first_along(ray, boxes[:2] + boxes[3:], ["person", "lamp", "couch"], (960, 540)) == 1
    assert first_along(ray, [boxes[0], boxes[3]], ["person", "couch"], (960, 540)) is None
    # "keep the lamp I'm pointing at": the named thing along the ray wins over a nearer one
    assert first_along(ray, boxes, labels, (960, 540), prefer="lamp") == 1
    assert first_along(ray, boxes, labels, (960, 540), prefer="couch") == 2  # not along it


def test_pointing_phrases() -> None:
    from backdrop.agent.scenarios import _POINTING

    for said, noun in [
        ("keep what I'm pointing at", None),
        ("remove the thing she is pointing to", None),
        ("keep the lamp he's pointing at", "lamp"),
        ("keep the ball that I am pointing at", "ball"),
        ("and keep whatever they point at", None),
    ]:
        m = _POINTING.search(said)
        assert m is not None, said
        assert m.group("noun") == noun, said
    assert _POINTING.search("keep the lamp") is None


def test_salient_region_along_the_arm() -> None:
    frame = np.full((540, 960, 3), 128, np.uint8)
    rng = np.random.default_rng(0)
    frame[150:230, 700:800] = rng.integers(0, 255, (80, 100, 3), dtype=np.uint8)  # a textured thing
    ray = pointing_ray(_body((450, 182), (390, 181)))
    assert ray is not None
    box = salient_along(frame, ray)
    assert box is not None
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    assert 680 <= cx <= 820 and 130 <= cy <= 250


def test_spoken_words_choose_the_frame() -> None:
    tl = Timeline(duration=4.0)
    words = (Word("keep", 2.0, 2.2), Word("this", 2.3, 2.5), Word("one", 2.5, 2.7))
    tl.add([TranscriptSegment(2.0, 2.7, "asr", "keep this one", words)])
    ctx = ToolContext(history=PlanHistory(EditPlan()), duration=4.0, timeline=tl, position=1.0)
    times = pointing_times(ctx)
    assert times[0] == pytest.approx(2.4) and times[1] == 1.0 and 0.0 in times[2:]


@pytest.mark.skipif(not BEDROOM.exists(), reason="shared media not present")
@needs_weights("pose-detection", "pose-landmarks")
def test_keep_what_she_points_at_on_real_footage() -> None:
    ctx = ToolContext(
        history=PlanHistory(EditPlan()), duration=6.6, source=Path(BEDROOM), position=1.0
    )
    reply = SpeechInterpreter(RuleInterpreter()).interpret(
        "remove the background and keep what she's pointing at", ctx
    )
    assert "she pointed at" in reply.text and "0:01" in reply.text, reply.text
    assert ctx.plan.backgrounds and ctx.plan.backgrounds[-1].background.type == "transparent"
    kept = [k for k in ctx.plan.keep if k.subject in ("box", "object")]
    assert len(kept) == 1 and kept[0].box is not None
    x0, y0, x1, y1 = kept[0].box
    # the shelf region right of her outstretched left hand (at about x 470, y 150 of 960×540)
    assert x0 > 470 and (y0 + y1) / 2 < 260, kept[0].box
