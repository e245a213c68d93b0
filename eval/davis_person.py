"""Person masks on DAVIS 2016 dance-twirl: IoU, boundary F and temporal flicker per method.

Run: ``.venv/bin/python eval/davis_person.py [--methods raw,smoothed,cropped,...] [--json out]``.
The sequence is read from ``../shared/media/davis2016-eor-vos/DAVIS`` (eval only; DAVIS 2016,
Perazzi et al., CC BY 4.0). Methods whose models are not installed are skipped with the reason.

Metrics (per frame, then mean / min over the 90 frames):

* IoU of the mask thresholded at 0.5 against the hand-drawn truth;
* boundary F (Perazzi et al.): precision/recall of boundary pixels matched within 0.8 % of the
  image diagonal;
* flicker: mean |m_t − m_{t−1}| of the soft mask over pixels where the true mask does not change
  between the two frames (lower = steadier).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAVIS = ROOT.parent / "shared" / "media" / "davis2016-eor-vos" / "DAVIS"
SEQ = "dance-twirl"


def load_sequence(seq: str = SEQ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(frame H×W×3 uint8 RGB, truth H×W bool)]`` for every annotated frame."""
    img_dir = DAVIS / "JPEGImages" / "480p" / seq
    ann_dir = DAVIS / "Annotations" / "480p" / seq
    out = []
    for p in sorted(img_dir.glob("*.jpg")):
        img = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        gt = cv2.imread(str(ann_dir / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 127
        out.append((img, gt))
    return out


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    inter = np.logical_and(pred, gt).sum()
    union = np.logical_or(pred, gt).sum()
    return float(inter / union) if union else 1.0


def _boundary(m: np.ndarray) -> np.ndarray:
    m8 = m.astype(np.uint8)
    return (m8 - cv2.erode(m8, np.ones((3, 3), np.uint8))) > 0


def boundary_f(pred: np.ndarray, gt: np.ndarray) -> float:
    """DAVIS boundary F measure with a tolerance of 0.8 % of the diagonal."""
    h, w = gt.shape
    r = max(1, round(0.008 * np.hypot(h, w)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    bp, bg = _boundary(pred), _boundary(gt)
    if not bp.any() and not bg.any():
        return 1.0
    if not bp.any() or not bg.any():
        return 0.0
    gd = cv2.dilate(bg.astype(np.uint8), k) > 0
    pd = cv2.dilate(bp.astype(np.uint8), k) > 0
    prec = (bp & gd).sum() / bp.sum()
    rec = (bg & pd).sum() / bg.sum()
    return float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0


def evaluate(
    name: str, step: Callable[[np.ndarray], np.ndarray], frames: list[tuple[np.ndarray, np.ndarray]]
) -> dict[str, object]:
    ious, fs, flick, times = [], [], [], []
    prev_m, prev_gt = None, None
    for img, gt in frames:
        t = time.perf_counter()
        m = step(img)
        times.append(time.perf_counter() - t)
        h, w = gt.shape
        m = cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        pred = m >= 0.5
        ious.append(iou(pred, gt))
        fs.append(boundary_f(pred, gt))
        if prev_m is not None:
            still = prev_gt == gt
            flick.append(float(np.abs(m - prev_m)[still].mean()))
        prev_m, prev_gt = m, gt
    return {
        "method": name,
        "iou_mean": round(float(np.mean(ious)), 4),
        "iou_min": round(float(np.min(ious)), 4),
        "boundary_f_mean": round(float(np.mean(fs)), 4),
        "flicker": round(float(np.mean(flick)), 5),
        "ms_per_frame": round(1000 * float(np.median(times)), 2),
        "iou_per_frame": [round(v, 4) for v in ious],
    }


def methods(width: int, height: int) -> dict[str, Callable[[], Callable[[np.ndarray], np.ndarray]]]:
    from backdrop.perception.vision.segment import MaskSmoother, PersonMasker, load_person_segmenter

    def raw() -> Callable[[np.ndarray], np.ndarray]:
        return load_person_segmenter(width, height).predict

    def smoothed() -> Callable[[np.ndarray], np.ndarray]:
        return PersonMasker(load_person_segmenter(width, height))

    def cropped() -> Callable[[np.ndarray], np.ndarray]:
        from backdrop.perception.vision.person_crop import load_crop_person_masker

        m = load_crop_person_masker(width, height)
        m.smoother = MaskSmoother(w_min=1.0)  # raw crop masks, no smoothing
        return m

    def cropped_smoothed() -> Callable[[np.ndarray], np.ndarray]:
        from backdrop.perception.vision.person_crop import load_crop_person_masker

        return load_crop_person_masker(width, height)

    def matted() -> Callable[[np.ndarray], np.ndarray]:
        from backdrop.perception.vision.matting import load_matting

        return load_matting()

    def prompted() -> Callable[[np.ndarray], np.ndarray]:
        # the fallback (U²-Net-p) prompted with the true box of frame 0 only, then tracked
        from backdrop.perception.vision.prompt_seg import (
            PromptTracker,
            load_fallback_segmenter,
            mask_box,
        )

        first = load_sequence()[0][1].astype(np.float32)
        box = mask_box(first)
        assert box is not None
        return PromptTracker(load_fallback_segmenter(), box=box)

    return {
        "prompted": prompted,
        "raw": raw,
        "smoothed": smoothed,
        "cropped": cropped,
        "cropped+smoothed": cropped_smoothed,
        "matted": matted,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="raw,smoothed,cropped,cropped+smoothed,matted,prompted")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not DAVIS.exists():
        sys.exit(f"DAVIS not found at {DAVIS}")
    frames = load_sequence()
    h, w = frames[0][1].shape
    table = methods(w, h)
    results = []
    for name in args.methods.split(","):
        try:
            step = table[name]()
        except Exception as e:  # noqa: BLE001 - report and go on (model not installed)
            print(f"{name}: skipped ({e})")
            continue
        r = evaluate(name, step, frames)
        results.append(r)
        print(
            f"{name:18s} IoU mean {r['iou_mean']:.3f} min {r['iou_min']:.3f}  "
            f"boundary F {r['boundary_f_mean']:.3f}  flicker {r['flicker']:.4f}  "
            f"{r['ms_per_frame']:.1f} ms/frame"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
