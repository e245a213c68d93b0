"""The proactive edge notice: the analyzer measures the edge band, the agent offers matting once
per scene.

Pixels: pymatting's lemur on chroma green (tests/test_edges.py). A blocky segmenter-like mask
leaves fur the preview cannot describe (high edge uncertainty); the reference alpha itself, a
real matte, leaves nothing to improve (low).
"""

from __future__ import annotations

import cv2
import numpy as np

from backdrop.agent.proactive import NoticeMaker
from backdrop.perception.core.events import EdgeUncertainty, MaskQuality, SceneCut
from backdrop.perception.core.media import Chunk
from backdrop.perception.vision.mask_quality import EDGE_UNCERTAIN_AT, MaskQualityAnalyzer
from backdrop.render.plan import BackgroundSegment, ColorBackground, EdgeSettings, EditPlan

from .test_edges import _coarse, on_green  # noqa: F401  (fixture)


def _chunks(frame: np.ndarray, seconds: float = 2.0, fps: float = 10.0) -> list[Chunk]:
    out = []
    n = round(seconds / 0.2)
    for i in range(n):
        times = np.arange(i * 0.2, (i + 1) * 0.2 - 1e-9, 1.0 / fps)
        frames = np.repeat(frame[None], len(times), axis=0)
        out.append(Chunk(i, i * 0.2, (i + 1) * 0.2, frames, times))
    return out


def _run(analyzer: MaskQualityAnalyzer, chunks: list[Chunk]) -> list[object]:
    events: list[object] = []
    for c in chunks:
        events += analyzer.process(c)
    return events + analyzer.flush()


def test_analyzer_flags_an_edge_the_preview_mask_cannot_describe(
    on_green: tuple[np.ndarray, np.ndarray],  # noqa: F811
) -> None:
    comp, ref = on_green
    h, w = ref.shape
    # a binary mask on a 4× coarser grid, shown blocky (nearest): measured 0.114; the matte 0.030
    coarse = cv2.resize(_coarse(ref), (w, h), interpolation=cv2.INTER_NEAREST)
    blocky = _run(MaskQualityAnalyzer(lambda f: coarse), _chunks(comp))
    matte = _run(MaskQualityAnalyzer(lambda f: ref.astype(np.float32)), _chunks(comp))
    flagged = [e for e in blocky if isinstance(e, EdgeUncertainty)]
    assert len(flagged) >= 2, blocky  # one per 1 s window
    assert all(e.uncertainty >= EDGE_UNCERTAIN_AT for e in flagged)
    assert not [e for e in matte if isinstance(e, EdgeUncertainty)], matte
    assert [e for e in matte if isinstance(e, MaskQuality)]  # the old event still comes
    off = _run(MaskQualityAnalyzer(lambda f: coarse, edges=False), _chunks(comp))
    assert not [e for e in off if isinstance(e, EdgeUncertainty)]


def test_edge_notice_once_per_scene_and_yes_turns_on_matting() -> None:
    plan = EditPlan(backgrounds=[BackgroundSegment(background=ColorBackground(color="#000080"))])
    maker = NoticeMaker(duration=60.0, tools=frozenset({"set_edges"}))

    def edge(t: float) -> EdgeUncertainty:
        return EdgeUncertainty(t0=t, t1=t + 1.0, source="mask_quality", uncertainty=0.2)

    first = maker.notices([edge(1.0)], plan)
    assert [n.kind for n in first] == ["edge"]
    assert "I can improve the hair edge here" in first[0].text
    assert "apply enhanced processing?" in first[0].text
    assert [(c.name, c.args) for c in first[0].suggestion] == [("set_edges", {"refine": "matte"})]
    assert maker.notices([edge(12.0), edge(25.0)], plan) == []  # same scene: said once
    # a new scene: its cut gets the cut notice; the edge waits its turn, then is said once
    cut = maker.notices([SceneCut(t0=30.0, t1=30.0), edge(30.0)], plan)
    assert [n.kind for n in cut] == ["scene_cut"]
    later = maker.notices([edge(39.0)], plan)
    assert [n.kind for n in later] == ["edge"]
    assert maker.notices([edge(50.0)], plan) == []
    # nothing to offer when matting is already on, or nothing is edited yet
    matte = plan.model_copy(update={"edges": EdgeSettings(refine="matte")})
    assert NoticeMaker(60.0).notices([edge(1.0)], matte) == []
    assert NoticeMaker(60.0).notices([edge(1.0)], EditPlan()) == []
