"""Vision: crop-based person masks, the prompt fallback, rule masks (box / speaker) and tools."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.perception.core.events import ActiveSpeaker, Timeline
from backdrop.perception.core.media import probe
from backdrop.perception.core.models import ModelMissingError
from backdrop.render.maskers import RuleMasker, build_masker, restrict_to_speaker
from backdrop.render.pipeline import render_video
from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan, KeepRule
from tests.conftest import DATA, needs_weights, write_video

DAVIS = DATA / "davis"
FRAMES = ("00000", "00015", "00030", "00045", "00060", "00075")


def _davis() -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for f in FRAMES:
        img = cv2.cvtColor(cv2.imread(str(DAVIS / f"{f}.jpg")), cv2.COLOR_BGR2RGB)
        out.append((img, cv2.imread(str(DAVIS / f"{f}.png"), cv2.IMREAD_GRAYSCALE) > 127))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


NEEDS_U2NETP = needs_weights("u2netp")


@NEEDS_U2NETP
def test_fallback_iou_given_the_true_box() -> None:
    from backdrop.perception.vision.prompt_seg import load_fallback_segmenter, mask_box

    seg = load_fallback_segmenter()
    ious, box_only = [], []
    for img, gt in _davis()[::2]:
        box = mask_box(gt.astype(np.float32))
        assert box is not None
        ious.append(_iou(seg.segment(img, box=box) >= 0.5, gt))
        filled = np.zeros_like(gt)
        x0, y0, x1, y1 = (int(v) for v in box)
        filled[y0:y1, x0:x1] = True
        box_only.append(_iou(filled, gt))
    # a fallback that returns the box itself scores ~0.38 here; U²-Net-p scored 0.78 (eval)
    assert np.mean(ious) >= 0.65, ious
    assert np.mean(box_only) < 0.5


@needs_weights("pose-landmarks")
def test_crop_person_masks_beat_whole_frame_on_a_small_dancer() -> None:
    from backdrop.perception.vision.person_crop import load_crop_person_masker
    from backdrop.perception.vision.segment import load_person_segmenter

    frames = _davis()
    h, w = frames[0][1].shape
    crop = load_crop_person_masker(w, h)
    whole = load_person_segmenter(w, h)
    c_iou, w_iou = [], []
    for img, gt in frames:
        crop.reset()  # frames are 0.5 s apart: find the dancer afresh each time
        c_iou.append(_iou(cv2.resize(crop(img), (w, h)) >= 0.5, gt))
        w_iou.append(_iou(cv2.resize(whole.predict(img), (w, h)) >= 0.5, gt))
    assert np.mean(c_iou) >= 0.78 and min(c_iou) >= 0.6, c_iou
    assert np.mean(c_iou) > np.mean(w_iou) + 0.1


def test_speaker_restriction_keeps_the_person_under_the_face() -> None:
    person = np.zeros((100, 200), np.float32)
    person[20:100, 20:60] = 1.0  # left person
    person[20:100, 140:180] = 1.0  # right person
    right = restrict_to_speaker(person, (300, 40, 340, 80), (400, 200))  # box in 400×200 px
    assert right[60, 160] > 0.9 and right[60, 40] < 0.05


def test_speaker_rule_follows_active_speaker_events(tmp_path: Path) -> None:
    def two_people(i: int, w: int, h: int) -> np.ndarray:
        return np.full((h, w, 3), 90, np.uint8)

    video = write_video(tmp_path / "v.mp4", 160, 96, 25.0, 25, audio=False, frame_fn=two_people)
    info = probe(video)
    tl = Timeline(duration=info.duration)
    tl.add([
        ActiveSpeaker(t0=0.0, t1=0.5, source="test", speaker="S1", box=(100, 10, 130, 40)),
        ActiveSpeaker(t0=0.5, t1=1.0, source="test", speaker="S2", box=(20, 10, 50, 40)),
    ])  # fmt: skip
    plan = EditPlan(keep=[KeepRule(subject="speaker")])
    masker = RuleMasker(info, plan, tl, None)

    person = np.zeros((96, 160), np.float32)
    person[10:96, 15:55] = 1.0
    person[10:96, 95:135] = 1.0

    class Fixed:
        def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
            return person

        def reset(self) -> None:
            pass

    masker._person["preview"] = Fixed()
    frame = np.zeros((96, 160, 3), np.uint8)
    early, late = masker(frame, 0.2), masker(frame, 0.8)
    assert early[50, 115] > 0.9 and early[50, 35] < 0.05
    assert late[50, 35] > 0.9 and late[50, 115] < 0.05
    # issue 12: between turns the last speaker stays kept (never an empty frame)
    held = masker(frame, 5.0)
    assert held[50, 35] > 0.9 and held[50, 115] < 0.05


@NEEDS_U2NETP
def test_box_rule_changes_the_output_where_the_object_is(tmp_path: Path) -> None:
    def scene(i: int, w: int, h: int) -> np.ndarray:
        img = np.full((h, w, 3), 60, np.uint8)
        cv2.circle(img, (60 + i, 48), 18, (240, 200, 40), -1)  # a moving yellow ball
        return img

    video = write_video(tmp_path / "ball.mp4", 160, 96, 25.0, 10, audio=False, frame_fn=scene)
    red = BackgroundSegment(background=ColorBackground(color="#ff0000"))
    keep_box = EditPlan(keep=[KeepRule(subject="box", box=[35, 25, 85, 72])], backgrounds=[red])
    plain = EditPlan(keep=[KeepRule(subject="box", box=[120, 5, 150, 20])], backgrounds=[red])
    outs = {}
    for name, plan in (("ball", keep_box), ("elsewhere", plain)):
        out = tmp_path / name
        render_video(video, plan, None, alpha=out)
        rgba = cv2.imread(str(sorted(out.glob("*.png"))[5]), cv2.IMREAD_UNCHANGED)
        outs[name] = rgba[..., 3].astype(np.float32) / 255.0
    a, b = outs["ball"], outs["elsewhere"]
    assert a[48, 65] > 0.8 and b[48, 65] < 0.2  # kept only where the box rule puts the ball
    assert a[10, 10] < 0.2  # background still replaced


def test_build_masker_refuses_missing_models_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKDROP_MODELS_DIR", str(tmp_path / "empty"))
    video = write_video(tmp_path / "v.mp4", 64, 48, 25.0, 3, audio=False)
    plan = EditPlan(keep=[KeepRule(subject="point", point=[10, 10])])
    with pytest.raises(ModelMissingError, match="--with u2netp"):
        build_masker(probe(video), plan)


def test_tools_and_interpreter_speak_the_new_subjects() -> None:
    from backdrop.agent.interpret import RuleInterpreter
    from backdrop.tools import ToolContext

    ctx = ToolContext(duration=10.0)
    reply = RuleInterpreter().interpret(
        "keep the box 120,340,610,700 and remove the rest of the background", ctx
    )
    assert reply.changed and ctx.plan.keep == [KeepRule(subject="box", box=[120, 340, 610, 700])]
    assert "fallback" in reply.text
    RuleInterpreter().interpret("remove what is at 400,520", ctx)
    assert ctx.plan.keep[-1] == KeepRule(subject="point", point=[400, 520], action="remove")
    RuleInterpreter().interpret("match the lighting", ctx)
    assert ctx.plan.backgrounds[-1].match_lighting
    ctx = ToolContext(duration=10.0)
    RuleInterpreter().interpret("blur the background and keep only the person who is talking", ctx)
    assert [k.subject for k in ctx.plan.keep] == ["speaker"]
