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
from backdrop.perception.media import iter_frames, probe

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
