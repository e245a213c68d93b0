"""CPU cost of the default (pose-crop) masker and of the preview tier, and how often the pose
landmark model ran (issue 14: the landmark model only when a person's crop changed).

Run: ``PYTHONPATH=<tree> .venv/bin/python benchmarks/bench_crop_skip.py [--frames N] CLIP...``
— run it with two trees in turn (``main`` and a branch) to compare them on one machine. Per clip
it prints: the masker alone (``load_crop_person_masker``) over the first N frames, in CPU ms per
frame, with the landmark model's runs and skips (person-frames; absent on a tree without the
counters); and the preview tier (``render_video(…, quality=False)``, the sample's plan, the whole
clip) in CPU ms per output frame. ``still`` as a CLIP is the sample's first frame repeated N
times with camera noise (σ 2 grey levels): a person standing still. CPU time
(``time.process_time``, all threads) is used because a shared machine's wall time is noisy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from backdrop.perception.core.media import iter_frames
from backdrop.perception.vision.person_crop import load_crop_person_masker
from backdrop.render.pipeline import render_video
from backdrop.render.plan import EditPlan

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"
PLAN = ROOT / "examples" / "sample-plan.json"


def _frames(clip: str, n: int) -> list[np.ndarray]:
    if clip == "still":
        first = next(iter(iter_frames(SAMPLE)))[1]
        rng = np.random.default_rng(0)
        noisy = (first + rng.normal(0.0, 2.0, first.shape) for _ in range(n))
        return [np.clip(f, 0, 255).astype(np.uint8) for f in noisy]
    return [f for (_, f), _ in zip(iter_frames(clip), range(n), strict=False)]


def _masker(frames: list[np.ndarray]) -> str:
    h, w = frames[0].shape[:2]
    masker = load_crop_person_masker(w, h)
    masker(frames[0], 0.0)  # warm up, then start afresh
    masker.reset()
    c0 = time.process_time()
    for i, f in enumerate(frames):
        masker(f, i / 25)
    ms = 1000 * (time.process_time() - c0) / len(frames)
    runs, skips = getattr(masker.crops, "runs", None), getattr(masker.crops, "skips", None)
    ran = f"landmark runs {runs} skips {skips}" if runs is not None else "no run counters"
    return f"masker {ms:5.1f} ms CPU/frame ({len(frames)} frames, {ran})"


def _preview(clip: str) -> str:
    if clip == "still":
        return ""
    with tempfile.TemporaryDirectory() as tmp:
        c0 = time.process_time()
        st = render_video(clip, EditPlan.load(PLAN), Path(tmp) / "o.mp4", quality=False)
        ms = 1000 * (time.process_time() - c0) / max(1, st.frames)
    return f" | preview tier {ms:5.1f} ms CPU/frame ({st.frames} frames)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="+", help="videos, or 'still'")
    ap.add_argument("--frames", type=int, default=90, help="frames for the masker alone")
    args = ap.parse_args()
    for clip in args.clips:
        line = _masker(_frames(clip, args.frames)) + _preview(clip)
        print(f"{Path(clip).name}: {line}", flush=True)


if __name__ == "__main__":
    main()
