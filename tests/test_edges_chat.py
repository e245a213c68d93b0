"""Edge requests in words: despill on request, rough hair → matting, the matting model's speed.

The pixels are pymatting's lemur composited over a chroma green (see tests/test_edges.py);
the instructions go through the rule-based interpreter and the tools, as in a chat.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.agent.interpret import RuleInterpreter
from backdrop.render.compose import Compositor
from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan, KeepRule
from backdrop.tools import ToolContext

from .test_edges import _band, _coarse, on_green  # noqa: F401  (fixture)

INTERPRETER = RuleInterpreter()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    ctx = ToolContext(duration=10.0, source=tmp_path / "talk.mp4")
    INTERPRETER.interpret("make the background grey", ctx)
    return ctx


def test_green_on_her_hair_turns_on_green_despill(ctx: ToolContext) -> None:
    before = ctx.plan
    reply = INTERPRETER.interpret("there's green on her hair", ctx)
    assert reply.changed, reply.text
    assert ctx.plan.edges.despill == "green"
    assert ctx.plan.backgrounds == before.backgrounds  # "green" is not a new background colour
    assert "green despill" in reply.text
    reply = INTERPRETER.interpret("a blue fringe around the edges", ctx)
    assert ctx.plan.edges.despill == "blue", reply.text


def test_rough_hair_turns_on_matting_and_visibly_changes_the_edge(
    ctx: ToolContext,
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
    tmp_path: Path,
) -> None:
    comp, ref = on_green
    h, w = ref.shape
    mask = _coarse(ref)
    grey = BackgroundSegment(background=ColorBackground(color="#808080"))
    before = EditPlan(keep=[KeepRule()], backgrounds=[grey], edges=ctx.plan.edges)
    reply = INTERPRETER.interpret("the hair edge looks rough", ctx)
    assert ctx.plan.edges.refine == "matte", reply.text
    assert "alpha matting" in reply.text and "quality settings" in reply.text
    after = before.model_copy(update={"edges": ctx.plan.edges})
    old = Compositor(before, w, h, 10.0, quality=True).compose(comp, 0.0, mask).rgb
    new = Compositor(after, w, h, 10.0, quality=True).compose(comp, 0.0, mask).rgb
    band = _band(ref)
    diff = np.abs(old.astype(np.int16) - new.astype(np.int16)).max(axis=2)
    # a visible change at the edge (not a re-blur of the same matte): many band pixels move by
    # more than 8 levels; nothing away from the edge moves
    assert (diff[band] > 8).mean() > 0.2
    far = cv2.dilate(band.astype(np.uint8), np.ones((41, 41))) == 0
    assert diff[far].max() <= 1
    crop = np.hstack([old[10:110, 90:250], new[10:110, 90:250]])
    cv2.imwrite(str(tmp_path / "hair_before_after.png"), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))


def test_matting_model_use_is_said_with_its_speed(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the opt-in model is installed, "the hair edge looks rough" also switches to it and
    the reply says so, with the speed measured here (the model itself is faked: its file is
    hash-checked and GPLv3, so it is not in the test data; the real one is timed in BENCHMARKS)."""
    import backdrop.perception.core.models as models
    import backdrop.perception.vision.matting as matting

    real = models.model_status

    def status(*a: object, **k: object) -> list[object]:
        out = real(*a, **k)
        return [s if s.name != "rvm-mobilenetv3" else type(s)(**{**s.__dict__, "installed": True})
                for s in out]  # fmt: skip

    monkeypatch.setattr(models, "model_status", status)
    monkeypatch.setattr(matting, "matting_speed", lambda w, h, *a, **k: 3.25)
    monkeypatch.setattr(
        "backdrop.perception.core.media.probe",
        lambda p: type("I", (), {"width": 1280, "height": 720})(),
    )
    reply = INTERPRETER.interpret("the hair edge looks rough", ctx)
    assert [q.tier for q in ctx.plan.quality] == ["matting"], reply.text
    assert "Robust Video Matting" in reply.text and "3.2 frames/s at 1280×720" in reply.text
