"""A background kind is defined in one place (issue 10): its class in ``render/plan.py`` says how it
reads, the editor's colours, the words and file suffixes that name it, and draws itself; the
renderer, the interpreter's vocabulary and the editor's timeline read those."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from backdrop.agent.interpret.lexicon.files import FILE_KINDS
from backdrop.agent.interpret.lexicon.nouns import EFFECT_NOUNS
from backdrop.render.backgrounds import BackgroundSource
from backdrop.render.plan import (
    Background,
    BlurBackground,
    ColorBackground,
    GradientBackground,
    ImageBackground,
    TransparentBackground,
    VideoBackground,
    background_kinds,
    background_type,
    describe_background,
)

ROOT = Path(__file__).resolve().parent.parent


def one_of_each(tmp_path: Path) -> list[Background]:
    image = tmp_path / "b.png"
    cv2.imwrite(str(image), np.full((10, 16, 3), (0, 0, 255), np.uint8))  # BGR red
    return [
        ColorBackground(color="#1d4ed8"),
        GradientBackground(colors=["#000000", "#ffffff"]),
        ImageBackground(path=str(image)),
        VideoBackground(path=str(ROOT / "examples" / "sample.mp4")),
        BlurBackground(strength=0.5),
        TransparentBackground(matte="#00ff00"),
    ]


def test_every_kind_of_the_union_draws_describes_and_has_a_swatch(tmp_path: Path) -> None:
    backgrounds = one_of_each(tmp_path)
    assert [type(b) for b in backgrounds] == list(background_kinds())
    source = BackgroundSource(32, 18)
    frame = np.full((18, 32, 3), 90, np.uint8)
    alpha = np.zeros((18, 32), np.float32)
    source.check(backgrounds)  # files exist: no error
    for bg in backgrounds:
        pic = source.frame(bg, 0.5, frame, alpha)
        assert pic.shape == (18, 32, 3) and pic.dtype == np.uint8, bg
        assert describe_background(bg).startswith("background"), bg
        assert all(c.startswith("#") and len(c) == 7 for c in bg.swatch()), bg
    assert source.frame(backgrounds[0], 0.0, frame, alpha)[0, 0].tolist() == [0x1D, 0x4E, 0xD8]
    assert source.frame(backgrounds[2], 0.0, frame, alpha)[0, 0].tolist() == [255, 0, 0]
    assert source.frame(backgrounds[5], 0.0, frame, alpha)[0, 0].tolist() == [0, 255, 0]
    # static kinds are drawn once per size, moving ones every time
    assert source.frame(backgrounds[1], 1.0, frame, alpha) is source.frame(
        backgrounds[1], 2.0, frame, alpha
    )
    assert not BlurBackground.static and not VideoBackground.static


def test_the_interpreter_and_the_editor_read_the_kinds(tmp_path: Path) -> None:
    # file suffixes → kinds, and the nouns that name each kind, come from the classes
    assert FILE_KINDS["png"] == "image" and FILE_KINDS["mp4"] == "video"
    assert set(FILE_KINDS) == {e for k in background_kinds() for e in k.extensions}
    assert {n for k in background_kinds() for n in k.nouns} <= EFFECT_NOUNS
    assert [background_type(k) for k in background_kinds()] == [
        "color", "gradient", "image", "video", "blur", "transparent"
    ]  # fmt: skip
    assert GradientBackground(colors=["#000000", "#ffffff"]).swatch() == ["#000000", "#ffffff"]
    assert TransparentBackground(matte="#00ff00").swatch() == ["#00ff00"]
