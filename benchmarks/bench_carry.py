"""How well the live renderer's carried masks follow a moving person (issue 15, the ghost trail).

At the levels that run the mask model on every k-th frame only ("mask 1/k") or in its own thread
("thread 1/k"), most frames' masks are not the model's: they are an older model mask moved by
optical flow. This runs :class:`~backdrop.render.live.LiveRenderer` with the level pinned
(:class:`~backdrop.render.live.BudgetController` ``fixed``) on the first ``--frames`` frames of
each clip, paced at the clip's frame rate like a camera (a frame is never dropped: a loop that
falls behind goes on at once), and compares every carried frame's mask with the model's own mask
on that frame (the same masker at the level's input size, run on every frame in order):

- ``iou``: intersection over union of the two masks (> 0.5),
- ``trail``: the share of kept pixels (carried > 0.5) outside the model's mask dilated by
  ``--tol`` pixels (of the 640-wide mask): the old background kept beside the person, the
  ghost trail,
- ``cut``: the share of the model's mask eroded by ``--tol`` pixels that is not kept: the person
  clipped,
- ``own_iou`` (floor): at "mask 1/k", the IoU of the model frames' own masks (its masker saw
  only every k-th frame: its tracking and smoothing differ) with the reference,
- ``cpu_ms``: process CPU ms per carried frame (the whole ``render()``: motion step, edge,
  blend; at "mask 1/k" nothing else runs meanwhile; at "thread 1/k" it includes the mask
  thread's model run where it overlaps, so it is given only for "mask 1/k"),

as the mean over carried frames, and the 90th percentile of ``trail`` and ``cut`` (the ghost
comes and goes with the motion). Clips: ``sample`` (examples/sample.mp4, the juggler, the lead's
report), ``bedroom`` (shared media sam2 bedroom.mp4: a girl jumping and moving sideways, a boy
coming in; the dev clip) and ``dance-twirl`` (DAVIS 2016, held out: only looked at for the
before/after report; it also gives the IoU of the carried mask with DAVIS's hand-drawn mask,
``gt_iou``, and that of the model's own, ``gt_iou_model``). The model's masks are cached under
``out/bench/carry/``. Nothing is asserted; figures are printed as a Markdown table and written
to ``--json``.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_carry.py [--clips sample,bedroom]
        [--levels "mask 1/3,mask 1/4,mask 1/6,thread 1/3,thread 1/6"] [--frames 96]
        [--repeat 1] [--crop CLIP:FRAME:LEVEL:OUT.png]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backdrop.perception.core.media import MediaInfo, iter_frames, probe  # noqa: E402
from backdrop.render.live import LEVELS, BudgetController, LiveRenderer, _scaled  # noqa: E402
from backdrop.render.maskers import PreviewPersonMasker  # noqa: E402
from backdrop.render.plan import EditPlan  # noqa: E402

MEDIA = Path("/work/shared/media")
DAVIS = MEDIA / "davis2016-eor-vos" / "DAVIS"
CLIPS: dict[str, Path] = {
    "sample": ROOT / "examples" / "sample.mp4",
    "bedroom": MEDIA / "sam2" / "notebooks" / "videos" / "bedroom.mp4",
    "dance-twirl": DAVIS / "JPEGImages" / "480p" / "dance-twirl",
}
HELD_OUT = {"dance-twirl"}
PLAN = ROOT / "examples" / "sample-plan.json"
OUT = ROOT / "out" / "bench"
T0 = 3.0
"""Seconds the stream starts at (after the demo plan's 2 s fade-in)."""


def load_clip(name: str, frames: int) -> tuple[MediaInfo, list[np.ndarray], list[np.ndarray]]:
    """The clip's info, its first ``frames`` frames (RGB) and its ground-truth masks (bool,
    DAVIS only; else empty)."""
    path = CLIPS[name]
    if path.is_dir():  # a DAVIS JPEG sequence at 24 fps
        files = sorted(path.glob("*.jpg"))[:frames]
        rgb = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
        ann = DAVIS / "Annotations" / "480p" / path.name
        gt = [cv2.imread(str(ann / (f.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 127 for f in files]
        h, w = rgb[0].shape[:2]
        info = MediaInfo(path=path, width=w, height=h, fps=24.0, duration=len(rgb) / 24.0,
                         frame_count=len(rgb), rotation=0, video_codec="mjpeg",
                         has_audio=False)  # fmt: skip
        return info, rgb, gt
    info = probe(path)
    rgb = []
    for _, f in iter_frames(path):
        rgb.append(f)
        if len(rgb) >= frames:
            break
    return info, rgb, []


def model_masks(name: str, info: MediaInfo, frames: list[np.ndarray], side: int) -> np.ndarray:
    """The masker's own mask of every frame (input scaled to ``side``), in order; cached."""
    cache = OUT / "carry" / f"{name}_{len(frames)}_{side}.npy"
    if cache.exists():
        return np.load(cache)
    masker = PreviewPersonMasker(info)
    out = np.stack([masker(_scaled(f, side), T0 + i / info.fps) for i, f in enumerate(frames)])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, out)
    return out


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Slow:
    """A masker whose every run takes ``delay`` seconds more (a busy machine's model)."""

    def __init__(self, inner: PreviewPersonMasker, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        return self.inner(frame, t)

    def reset(self) -> None:
        self.inner.reset()


def run_level(
    info: MediaInfo, frames: list[np.ndarray], level: str, delay: float = 0.0
) -> tuple[list[np.ndarray], list[bool], list[float]]:
    """Render ``frames`` with the level pinned, paced at the clip's rate: each frame's mask,
    whether the model made it (its own), and the process CPU seconds of its ``render()``;
    ``delay``: seconds added to every model run."""
    plan = EditPlan.load(PLAN)
    fixed = [lv.name for lv in LEVELS].index(level)
    r = LiveRenderer(info, lambda i, p: _Slow(PreviewPersonMasker(i), delay),
                     BudgetController(info.fps, fixed=fixed), threaded=True)  # fmt: skip
    r.set_plan(plan)
    masks, own, cpus = [], [], []
    start = time.monotonic()
    try:
        for i, f in enumerate(frames):
            wait = start + i / info.fps - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            c0 = _cpu()
            out = r.render(i, T0 + i / info.fps, f)
            cpus.append(_cpu() - c0)
            assert r.last_mask is not None
            masks.append(r.last_mask.copy())
            # "mask 1/k": the model ran on this frame; threaded: only the first frame's is its own
            own.append(out.masked and not LEVELS[fixed].threaded or i == 0)
    finally:
        r.close()
    return masks, own, cpus


def compare(mask: np.ndarray, ref: np.ndarray, tol: int) -> dict[str, float]:
    """IoU, trail and cut of ``mask`` against the model's ``ref`` (see the module docstring)."""
    if mask.shape != ref.shape:
        mask = cv2.resize(mask, ref.shape[::-1], interpolation=cv2.INTER_LINEAR)
    a, b = mask > 0.5, ref > 0.5
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    b8 = b.astype(np.uint8)
    near = cv2.dilate(b8, kernel) > 0
    core = cv2.erode(b8, kernel) > 0
    return {
        "iou": float((a & b).sum() / max(1, (a | b).sum())),
        "trail": float((a & ~near).sum() / max(1, a.sum())),
        "cut": float((core & ~a).sum() / max(1, core.sum())),
    }


def _gt_iou(mask: np.ndarray, gt: np.ndarray) -> float:
    m = cv2.resize(mask, gt.shape[::-1], interpolation=cv2.INTER_LINEAR) > 0.5
    return float((m & gt).sum() / max(1, (m | gt).sum()))


def measure(
    name: str,
    level: str,
    frames_n: int,
    tol: int,
    repeat: int,
    step: int = 1,
    delay: float = 0.0,
) -> dict[str, Any]:
    """One row: the carried frames' figures for ``level`` on clip ``name`` (every
    ``step``-th frame: a busy machine's source dropping the frames the loop was late for)."""
    info, frames, gt = load_clip(name, frames_n)
    side = LEVELS[[lv.name for lv in LEVELS].index(level)].mask_long_side
    ref = model_masks(name, info, frames, side)[::step]
    frames, gt = frames[::step], gt[::step]
    if step > 1:
        info = dataclasses.replace(info, fps=info.fps / step)
    rows: list[dict[str, float]] = []
    cpus: list[float] = []
    owns: list[float] = []
    for _ in range(repeat):
        masks, own, cpu = run_level(info, frames, level, delay)
        for i, (m, o, c) in enumerate(zip(masks, own, cpu, strict=True)):
            if o:
                if i:  # the renderer's masker (which saw only these frames) against the reference
                    owns.append(compare(m, ref[i], tol)["iou"])
                continue
            row = compare(m, ref[i], tol)
            if gt:
                row["gt_iou"] = _gt_iou(m, gt[i])
                row["gt_iou_model"] = _gt_iou(ref[i], gt[i])
            row["frame"] = i
            rows.append(row)
            cpus.append(c)
    threaded = LEVELS[[lv.name for lv in LEVELS].index(level)].threaded
    out: dict[str, Any] = {"clip": name, "level": level, "step": step, "delay": delay}
    out["carried"] = len(rows)
    for k in rows[0]:
        if k != "frame":
            out[k] = float(np.mean([r[k] for r in rows]))
    worst = max(rows, key=lambda r: r["trail"])
    out["trail_max"], out["trail_max_frame"] = worst["trail"], int(worst["frame"])
    for k in ("trail", "cut"):
        out[f"{k}_p90"] = float(np.percentile([r[k] for r in rows], 90))
    out["own_iou"] = float(np.mean(owns)) if owns else None
    out["cpu_ms"] = None if threaded else float(np.median(cpus) * 1000)
    return out


def crop_png(spec: str, frames_n: int, step: int = 1, delay: float = 0.0) -> None:
    """``CLIP:FRAME:LEVEL:OUT.png``: the composite of frame FRAME (of every ``step``-th) at
    LEVEL, next to the model's own mask's composite, cropped around the person, written to
    OUT.png."""
    name, idx, level, path = spec.split(":", 3)
    i = int(idx)
    info, frames, _ = load_clip(name, max(frames_n, (i + 1) * step))
    ref_all = model_masks(name, info, frames, 640)
    frames = frames[::step]
    info = dataclasses.replace(info, fps=info.fps / step)
    masks, _, _ = run_level(info, frames[: i + 1], level, delay)
    from backdrop.render.compose import Compositor

    comp = Compositor(EditPlan.load(PLAN), info.width, info.height, info.duration)
    side = LEVELS[[lv.name for lv in LEVELS].index(level)].mask_long_side
    assert side == 640
    ref = ref_all[::step][i]
    outs = [comp.compose(frames[i], T0 + i / info.fps, m).rgb for m in (masks[i], ref)]
    box = cv2.boundingRect((cv2.resize(ref, (info.width, info.height)) > 0.5).astype(np.uint8))
    x, y, w, h = box
    pad = max(w, h) // 3
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(info.width, x + w + pad), min(info.height, y + h + pad)
    sheet = np.hstack([o[y0:y1, x0:x1] for o in outs])
    cv2.imwrite(path, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"wrote {path}: left {level} (carried), right the model's own mask")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default="sample,bedroom")
    ap.add_argument("--levels", default="mask 1/3,mask 1/4,mask 1/6,thread 1/3,thread 1/6")
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--tol", type=int, default=3, help="pixels of the 640-wide mask")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--delay", type=float, default=0.0, help="s added to each model run")
    ap.add_argument("--step", type=int, default=1, help="every n-th frame (a busy source)")
    ap.add_argument("--json", default=str(OUT / "bench_carry.json"))
    ap.add_argument("--crop", action="append", default=[], help="CLIP:FRAME:LEVEL:OUT.png")
    args = ap.parse_args()
    for spec in args.crop:
        crop_png(spec, args.frames, args.step, args.delay)
    if args.crop and not args.clips:
        return
    results = []
    print("| clip | level | carried | IoU | trail | trail p90 | cut | cut p90 | CPU ms | GT IoU "
          "| trail max@frame | own IoU |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in [c for c in args.clips.split(",") if c]:
        for level in args.levels.split(","):
            r = measure(name, level.strip(), args.frames, args.tol, args.repeat, args.step,
                        args.delay)  # fmt: skip
            results.append(r)
            gt = f"{r['gt_iou']:.3f} (model {r['gt_iou_model']:.3f})" if "gt_iou" in r else "—"
            cpu = f"{r['cpu_ms']:.1f}" if r["cpu_ms"] is not None else "—"
            own = f"{r['own_iou']:.3f}" if r["own_iou"] is not None else "—"
            held = " (held out)" if name in HELD_OUT else ""
            print(f"| {name}{held} | {r['level']} | {r['carried']} | {r['iou']:.3f} | "
                  f"{r['trail']:.3f} | {r['trail_p90']:.3f} | {r['cut']:.3f} | "
                  f"{r['cut_p90']:.3f} | {cpu} | {gt} | "
                  f"{r['trail_max']:.3f}@{r['trail_max_frame']} | {own} |",
                  flush=True)  # fmt: skip
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
