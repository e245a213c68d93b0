"""The quality tier in a chat: refined frames replace the preview's, and the export uses them.

A real clip (the first 1.2 s of the shared green-screen talking head, LivePortrait ``d0.mp4``,
512×512, read in place and re-encoded to a temporary file), the real preview person masker,
the real quality settings (decontamination, automatic green despill, alpha matting), driven
through :class:`~backdrop.agent.chat.Chat` as ``backdrop chat`` drives it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.agent.chat import Chat
from backdrop.agent.session import PreviewMessage, RefinedMessage, Session
from backdrop.perception.core.media import iter_frames
from backdrop.render.decontam import green_excess

from .conftest import write_video
from .test_edges import GREEN_CLIP

T = 0.6
"""The time the person looks at (seconds)."""

WINDOW = 0.25
"""Seconds the tier refines from there (7 frames at 25 fps)."""


@pytest.fixture(scope="module")
def talking_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GREEN_CLIP.exists():
        pytest.skip("shared green-screen clip not present")
    frames = [f for _, f in zip(range(30), (f for _, f in iter_frames(GREEN_CLIP)), strict=False)]
    path = tmp_path_factory.mktemp("tier") / "head.mp4"
    return write_video(path, 512, 512, fps=25, frames=len(frames), audio=False,
                       frame_fn=lambda i, w, h: frames[i])  # fmt: skip


def _edge_band(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two renders of one frame differ by more than 8 levels (the subject's edge)."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > 8


def _frame_at(video: Path, t: float) -> np.ndarray:
    return min(iter_frames(video), key=lambda tf: abs(tf[0] - t))[1]


@pytest.mark.slow
def test_refined_frames_replace_the_preview_and_the_export_uses_them(
    talking_head: Path, tmp_path: Path
) -> None:
    session = Session(talking_head, analyzers=lambda info: [], llm=False, refine=True,
                      refine_window=WINDOW).start()  # fmt: skip
    lines: list[str] = []
    refined_msgs: list[RefinedMessage] = []
    previews: list[PreviewMessage] = []
    session.add_listener(lambda m: refined_msgs.append(m) if isinstance(m, RefinedMessage) else 0)
    session.add_listener(lambda m: previews.append(m) if isinstance(m, PreviewMessage) else 0)
    chat = Chat(session, lines.append, out_dir=tmp_path)
    try:
        assert session.wait(120)
        chat.handle(f"/preview {T}")  # the person looks at T (nothing to refine yet)
        assert session.refiner is None and session.refined_ranges() == []
        chat.handle("make the background grey")
        worker = session.refiner
        assert worker is not None, lines
        assert worker.wait(600) and worker.error is None, worker.error

        # the preview at T is the refined frame, not the fast one
        shown = session.preview(T)
        fast = session.preview(T, fast=True)
        refined = session.refined_frame(T)
        assert refined is not None
        assert np.array_equal(shown, refined)
        # ... and was pushed to the listeners as soon as it was made (the page shows it)
        assert any(m.t == T and np.array_equal(m.rgb, refined) for m in previews)
        band = _edge_band(fast, refined)
        assert 0.002 < band.mean() < 0.2  # they differ at the edge only
        # what differs: the green fringe of the fast edge is gone (green screen detected)
        assert green_excess(refined, band) < 0.5 * green_excess(fast, band)
        (a, b), *more = session.refined_ranges()
        assert not more and a <= T + 0.02 and b >= T + WINDOW - 0.05
        assert refined_msgs and refined_msgs[-1].ranges == session.refined_ranges()

        # the export takes the refined frames where they exist (same plan), renders the rest
        chat.handle(f"/render {tmp_path / 'out.mp4'}")
        n = round(WINDOW * 25) + 1
        assert any(f"{n} refined behind the preview" in ln for ln in lines), lines
        out = _frame_at(tmp_path / "out.mp4", T).astype(np.float32)
        to_refined = np.abs(out[band] - refined[band].astype(np.float32)).mean()
        to_fast = np.abs(out[band] - fast[band].astype(np.float32)).mean()
        print(f"export at T vs refined {to_refined:.2f}, vs fast {to_fast:.2f} (edge band)")
        assert to_refined < 6.0 and to_refined < 0.5 * to_fast  # H.264 at crf 20 at the edge

        # "the hair edge looks rough": matting on, refined again where the person looks,
        # the reply says so; frames of the old plan are gone
        chat.handle("the hair edge looks rough")
        said = next(ln for ln in reversed(lines) if ln.startswith("backdrop: "))
        assert "alpha matting" in said and "re-rendering 0:00.6" in said, said
        assert worker.wait(900) and worker.error is None, worker.error
        matted = session.refined_frame(T)
        assert matted is not None and not np.array_equal(matted, refined)
        assert np.array_equal(session.preview(T), matted)
        assert (_edge_band(matted, refined) & band).sum() > 50  # the edge itself changed
        chat.handle(f"/preview {T}")
        before = cv2.imread(str(tmp_path / f"preview-{T:07.2f}.png"))[..., ::-1]
        after = cv2.imread(str(tmp_path / f"preview-{T:07.2f}-refined.png"))[..., ::-1]
        assert np.array_equal(after, matted) and not np.array_equal(before, after)
        assert any("from the quality tier" in ln for ln in lines), lines

        # an edit invalidates: nothing refined for the new plan is the old plan's frame
        chat.handle("make the background blue")
        assert worker.wait(900)
        blue = session.refined_frame(T)
        assert blue is not None and blue[:40, :40, 2].mean() > blue[:40, :40, 0].mean() + 100
    finally:
        session.close()
