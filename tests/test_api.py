"""The Python API (issue 17 item 7): ``backdrop.edit`` / ``backdrop.render`` / sessions, and the
moviepy 2 effect ``backdrop.moviepy.Backdrop`` — the same pipeline as the CLI.

Clip: ``tests/data/objects/juggle.mp4`` (a juggler outdoors, 640×360, 2 s; SAM 2 media,
Apache-2.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import backdrop
from backdrop.perception.core.media import iter_frames, probe
from tests.conftest import needs_weights

JUGGLE = Path(__file__).resolve().parent / "data" / "objects" / "juggle.mp4"
BLUE = np.array([0x1D, 0x4E, 0xD8], np.float32)  # the interpreter's "blue"


def _blueish(px: np.ndarray) -> bool:
    return float(np.abs(px.astype(np.float32) - BLUE).max()) < 40


def test_edit_renders_and_returns_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "blue.mp4"
    result = backdrop.edit(JUGGLE, "make the background blue", out=out)
    assert "blue" in result.reply and result.outputs == [out] and out.is_file()
    assert result.frames == 48 and probe(out).width == 640
    assert result.plan.backgrounds[0].background.type == "color"
    _t, frame = next(iter_frames(out))
    assert _blueish(frame[20, 20]) and _blueish(frame[-20, 40])  # grass and trees replaced
    assert not _blueish(frame[200, 360])  # the juggler's shirt stays


def test_edit_that_is_not_understood_raises_with_the_reply(tmp_path: Path) -> None:
    with pytest.raises(backdrop.EditError, match="not sure|didn't|can't|For example"):
        backdrop.edit(JUGGLE, "sing me a song", out=tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_render_takes_a_plan_file_or_dict(tmp_path: Path) -> None:
    plan = backdrop.edit(JUGGLE, "blur the background").plan
    path = plan.save(tmp_path / "plan.json")
    stats = backdrop.render(JUGGLE, path, out=tmp_path / "a.mp4")
    assert stats.frames == 48 and (tmp_path / "a.mp4").is_file()
    stats = backdrop.render(JUGGLE, json.loads(path.read_text()), alpha=tmp_path / "a.webm")
    assert (tmp_path / "a.webm").is_file()
    with pytest.raises(Exception, match="plan"):
        backdrop.load_plan({"schema_version": 99})


@needs_weights("yolov3-tiny")
def test_edit_finds_named_objects_first() -> None:
    result = backdrop.edit(JUGGLE, "make the background blue and keep the person and the ball")
    assert result.timeline is not None and result.outputs == []
    assert {("person", None), ("object", "sports ball")} <= {
        (k.subject, k.label) for k in result.plan.keep
    }


def test_session_from_a_script() -> None:
    session = backdrop.open_session(JUGGLE)
    try:
        reply = session.submit("make the background green").result(120)
        assert reply.changed and "green" in reply.text
        assert isinstance(session, backdrop.Session)
    finally:
        session.close()


# -- moviepy --------------------------------------------------------------------------------


def test_backdrop_moviepy_does_not_shadow_moviepy() -> None:
    import moviepy

    import backdrop.moviepy as bm

    assert "site-packages" in moviepy.__file__ and bm.__name__ == "backdrop.moviepy"
    assert hasattr(moviepy, "VideoFileClip") and backdrop.moviepy is bm


@pytest.mark.slow
def test_moviepy_effect_runs_the_same_pipeline(tmp_path: Path) -> None:
    from moviepy import ColorClip, CompositeVideoClip, VideoFileClip

    from backdrop.moviepy import Backdrop

    clip = VideoFileClip(str(JUGGLE)).subclipped(0, 0.5)
    try:
        effect = Backdrop("make the background blue")
        blue = clip.with_effects([effect])
        frame = blue.get_frame(0.25)
        assert frame.shape == (360, 640, 3) and _blueish(frame[20, 20])
        assert not _blueish(frame[200, 360])
        assert "blue" in effect.reply and effect.plan_used is not None

        cut = clip.with_effects([Backdrop("remove the background")])
        assert cut.mask is not None
        alpha = cut.mask.get_frame(0.25)
        assert alpha[200, 360] > 0.5 and alpha[20, 20] < 0.1
        red = ColorClip((640, 360), color=(200, 0, 0), duration=0.5)
        over = CompositeVideoClip([red, cut]).get_frame(0.25)
        assert over[20, 20, 0] > 150 and over[20, 20, 2] < 60  # the red clip shows behind
        out = tmp_path / "moviepy.mp4"
        blue.write_videofile(str(out), fps=24, logger=None, audio=False)
        assert probe(out).duration == pytest.approx(0.5, abs=0.1)
    finally:
        clip.close()


# -- finishing formats (item 5) -------------------------------------------------------------


def test_mov_output_is_prores_4444_with_alpha(tmp_path: Path) -> None:
    import av

    out = tmp_path / "cut.mov"
    backdrop.edit(JUGGLE, "remove the background", out=out)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert v.codec_context.name == "prores" and v.codec_context.profile == "4444"
        assert "yuva" in v.codec_context.pix_fmt
        rgba = next(c.decode(v)).to_ndarray(format="rgba")
    assert rgba[20, 20, 3] < 30 and rgba[200, 360, 3] > 220  # grass clear, the juggler opaque
    blue = tmp_path / "blue.mov"
    backdrop.edit(JUGGLE, "make the background blue", out=blue)
    with av.open(str(blue)) as c:
        rgba = next(c.decode(c.streams.video[0])).to_ndarray(format="rgba")
    assert rgba[20, 20, 3] > 250 and _blueish(rgba[20, 20, :3])  # opaque where it is blue


def test_unknown_output_format_is_refused(tmp_path: Path) -> None:
    from backdrop.render.writer import RenderError

    with pytest.raises(RenderError, match=r"can't write \.avi.*\.mov \(ProRes 4444"):
        backdrop.render(JUGGLE, {"schema_version": 2}, out=tmp_path / "x.avi")
    assert not list(tmp_path.iterdir())


def test_otio_export_round_trips_through_opentimelineio(tmp_path: Path) -> None:
    import opentimelineio as otio

    from backdrop.render.otio_export import plan_from_otio, write_otio

    plan = backdrop.edit(
        JUGGLE,
        "make the background a blue to purple gradient from 0.5 seconds, fade it in over "
        "1 second, and keep the person and the ball",
    ).plan
    path = write_otio(plan, tmp_path / "plan.otio", JUGGLE, 2.0, 24.0)
    tl = otio.adapters.read_from_file(str(path))
    assert [t.name for t in tl.tracks] == ["background 1", "source"]
    gap, bg = list(tl.tracks[0])
    assert isinstance(gap, otio.schema.Gap) and gap.duration().to_seconds() == pytest.approx(0.5)
    assert bg.media_reference.generator_kind == "LinearGradient"
    assert [e.effect_name for e in bg.effects] == ["fade_in"]
    assert bg.effects[0].metadata["duration"] == 1.0
    (src,) = list(tl.tracks[1])
    assert src.media_reference.target_url == JUGGLE.resolve().as_uri()
    assert src.source_range.duration.to_seconds() == pytest.approx(2.0)
    assert sorted(m.name for m in src.markers) == [
        "keep the person (the whole video)",
        "keep the sports ball (the whole video)",
    ]
    assert plan_from_otio(path) == plan  # the plan comes back exactly


def test_cli_plan_export_otio(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from backdrop.agent.cli import app

    plan = backdrop.edit(JUGGLE, "blur the background").plan.save(tmp_path / "p.json")
    res = CliRunner().invoke(
        app, ["plan", "export", str(plan), str(JUGGLE), "--otio", str(tmp_path / "p.otio")]
    )
    assert res.exit_code == 0, res.output
    from backdrop.render.otio_export import plan_from_otio

    assert plan_from_otio(tmp_path / "p.otio").backgrounds[0].background.type == "blur"


def test_output_size(tmp_path: Path) -> None:
    from backdrop.render.facade import describe_scaling, parse_size

    assert parse_size("4k", 1280, 720) == (3840, 2160)
    assert parse_size("1080p", 1280, 720) == (1920, 1080)
    assert parse_size("1080p", 720, 1280) == (1080, 1920)  # portrait keeps its aspect
    assert parse_size("1920x1080", 640, 480) == (1920, 1080)
    with pytest.raises(ValueError, match="4k"):
        parse_size("huge", 640, 360)
    assert describe_scaling((1280, 720), (3840, 2160)).startswith("upscaling 1280×720 → 3840×2160")
    assert "no detail is added" in describe_scaling((1280, 720), (3840, 2160))
    assert describe_scaling((1280, 720), (640, 360)).startswith("scaling down")
    stats = backdrop.render(
        JUGGLE, {"schema_version": 2}, out=tmp_path / "s.mp4", alpha=tmp_path / "s.webm",
        size="320x180",
    )  # fmt: skip
    assert stats.frames == 48
    assert (probe(tmp_path / "s.mp4").width, probe(tmp_path / "s.mp4").height) == (320, 180)
    assert probe(tmp_path / "s.webm").width == 320


def test_an_export_size_said_in_the_instruction_is_rendered(tmp_path: Path) -> None:
    """ "… and export it at 320x180" sets the output size (never read as a time, never dropped);
    a batch, which keeps each video's size, refuses it in one line."""
    from backdrop.agent.batch import plan_from_instruction
    from backdrop.render.plan import PlanError

    out = tmp_path / "said.mp4"
    result = backdrop.edit(JUGGLE, "make the background blue and export it at 320x180", out=out)
    assert "export size" in result.reply.lower(), result.reply
    assert [s.background.type for s in result.plan.backgrounds] == ["color"]
    assert (probe(out).width, probe(out).height) == (320, 180)
    with pytest.raises(PlanError, match="own size"):
        plan_from_instruction("make it blue and export in 4K")


def test_chat_export_otio(tmp_path: Path) -> None:
    from backdrop.agent.chat import Chat
    from backdrop.agent.session import Session
    from backdrop.render.otio_export import plan_from_otio

    session = Session(JUGGLE, analyzers=lambda info: [], llm=False)
    said: list[str] = []
    chat = Chat(session, said.append, tmp_path)
    try:
        chat.handle("make the background blue")
        chat.handle(f"/export {tmp_path / 'chat.otio'}")
    finally:
        session.close()
    assert any("OpenTimelineIO" in line for line in said), said
    assert plan_from_otio(tmp_path / "chat.otio") == session.plan
