"""Alpha at the subject's edge: preview edges vs refined (quality-settings) edges vs RVM.

Run: ``.venv/bin/python eval/edges_alpha.py [--frames 5] [--rvm PATH] [--crops DIR] [--json out]``.

Two references (both read from ``../shared/media``, eval only):

* **lemur** (pymatting's test image, MIT): image + reference alpha. The reference is an
  algorithm's output (pymatting's closed-form matting with a hand-drawn trimap), not independent
  truth: it favours closed-form matting, which the refined edges also use (with a trimap made
  from a segmenter's mask instead of the hand-drawn one). The coarse mask is U²-Net-p's salient
  object (the offline fallback segmenter) on the whole image: no person model sees a lemur.
* **green screen** (LivePortrait's ``d0.mp4``, a talking head on a green screen, 512×512,
  78 frames): the reference alpha is pulled by a chroma key (:func:`chroma_key_alpha`); the
  black letterbox rows at the bottom are left out. The coarse mask is the preview tier's person
  masker run over the clip in order (temporal smoothing as in a render).

Edge modes: ``preview`` = :func:`backdrop.render.edges.alpha_from_mask` with the default edge
settings (what the preview and a default export use for alpha); ``refined`` =
:func:`backdrop.render.edges.quality_edges` with ``refine="matte"``; ``rvm`` = Robust Video
Matting's alpha (opt-in model, GPLv3), when its ONNX file is given or installed.

Metrics over the whole evaluated image (as on alphamatting.com): SAD = Σ|α − ref| / 1000;
MSE = mean (α − ref)² × 1000; gradient error = Σ(|∇α| − |∇ref|)² (alpha in [0, 1]) with
Gaussian-derivative gradients (σ = 1.4). Also: green excess (mean max(0, G − (R + B)/2),
0–255) of the cut-out's colour in the edge band (0.05 < ref < 0.95 dilated by 2 px) on the
green screen, and the time per frame of each mode.
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
LEMUR = MEDIA / "pymatting" / "data" / "lemur"
GREEN = MEDIA / "liveportrait" / "assets" / "examples" / "driving" / "d0.mp4"


def chroma_key_alpha(frame: np.ndarray, lo: float = 0.15, hi: float = 0.8) -> np.ndarray:
    """Reference alpha of a green-screen frame (``H×W×3`` uint8 RGB) → ``H×W`` float32.

    The screen's green excess ``e = G − max(R, B)`` is taken as the median over the top rows
    (screen only); a pixel's background share is ``clip((e_px/e_screen − lo) / (hi − lo))``
    (a Vlahos-style key: below ``lo`` of the screen's excess = subject, above ``hi`` = screen).
    """
    f = frame.astype(np.float32)
    e = f[..., 1] - np.maximum(f[..., 0], f[..., 2])
    e_screen = float(np.median(e[: max(4, frame.shape[0] // 20)]))
    bgshare = np.clip((e / max(e_screen, 1.0) - lo) / (hi - lo), 0.0, 1.0)
    return (1.0 - bgshare).astype(np.float32)


def _grad(a: np.ndarray, sigma: float = 1.4) -> np.ndarray:
    a = cv2.GaussianBlur(a.astype(np.float32), (0, 0), sigma)
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return np.hypot(gx, gy)


def alpha_errors(alpha: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """SAD, MSE (×1000) and gradient error of ``alpha`` against ``ref`` (both H×W in [0, 1])."""
    d = alpha.astype(np.float64) - ref
    return {
        "sad": float(np.abs(d).sum() / 1000.0),
        "mse": float((d * d).mean() * 1000.0),
        "grad": float(((_grad(alpha) - _grad(ref)) ** 2).sum()),
    }


def _modes(rvm_path: Path | None) -> dict[str, object]:
    from backdrop.render.edges import alpha_from_mask, quality_edges
    from backdrop.render.plan import EdgeSettings

    preview, matte = EdgeSettings(), EdgeSettings(refine="matte")
    modes: dict[str, object] = {
        "preview": lambda mask, frame: (alpha_from_mask(mask, frame, preview), frame),
        "refined": lambda mask, frame: (lambda r: (r.alpha, r.fg))(
            quality_edges(mask, frame, matte)
        ),
    }
    if rvm_path is not None:
        from backdrop.perception.vision.matting import RobustVideoMatting

        rvm = RobustVideoMatting(rvm_path)
        modes["rvm"] = rvm
    return modes


def _rvm_path(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    from backdrop.perception.core.models import ModelMissingError, model_path

    try:
        return model_path("rvm-mobilenetv3")
    except ModelMissingError:
        return None


def eval_lemur(rvm_path: Path | None, crops: Path | None) -> dict[str, dict[str, float]]:
    from backdrop.perception.vision.prompt_seg import load_fallback_segmenter

    frame = cv2.cvtColor(cv2.imread(str(LEMUR / "lemur.png")), cv2.COLOR_BGR2RGB)
    ref = cv2.imread(str(LEMUR / "lemur_alpha.png"), cv2.IMREAD_GRAYSCALE) / 255.0
    h, w = ref.shape
    mask = load_fallback_segmenter().segment(frame, box=(8, 8, w - 8, h - 8))
    out: dict[str, dict[str, float]] = {}
    for name, fn in _modes(rvm_path).items():
        if name == "rvm":
            for _ in range(3):  # let the recurrent state settle on the still image
                fn(frame)  # type: ignore[operator]
            t0 = time.perf_counter()
            alpha = fn(frame)  # type: ignore[operator]
        else:
            fn(mask, frame)  # type: ignore[operator]  # warm-up (JIT)
            t0 = time.perf_counter()
            alpha, _ = fn(mask, frame)  # type: ignore[operator]
        dt = time.perf_counter() - t0
        out[name] = {**alpha_errors(alpha, ref), "ms": dt * 1000.0}
        if crops is not None:
            cv2.imwrite(str(crops / f"lemur_{name}.png"), (alpha * 255).astype(np.uint8))
    return out


def eval_green(
    n_frames: int, rvm_path: Path | None, crops: Path | None
) -> dict[str, dict[str, float]]:
    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.decontam import green_excess
    from backdrop.render.maskers import PreviewPersonMasker

    info = probe(GREEN)
    masker = PreviewPersonMasker(info)
    modes = _modes(rvm_path)
    total = info.frame_count or 78
    pick = set(np.linspace(0, total - 1, n_frames).round().astype(int).tolist())
    acc: dict[str, list[dict[str, float]]] = {name: [] for name in modes}
    for i, (t, frame) in enumerate(iter_frames(GREEN)):
        mask = masker(frame, t)
        t_rvm = time.perf_counter()
        rvm_alpha = modes["rvm"](frame) if "rvm" in modes else None  # type: ignore[operator]
        t_rvm = time.perf_counter() - t_rvm
        if i not in pick:
            continue
        rows = np.nonzero(frame.mean(axis=(1, 2)) > 20)[0]
        keep_rows = slice(0, int(rows.max()) + 1)  # the letterbox at the bottom is left out
        ref = chroma_key_alpha(frame)[keep_rows]
        band = cv2.dilate(((ref > 0.05) & (ref < 0.95)).astype(np.uint8), np.ones((5, 5))) > 0
        for name, fn in modes.items():
            t0 = time.perf_counter()
            if name == "rvm":
                alpha, fg = rvm_alpha, frame
            else:
                alpha, fg = fn(mask, frame)  # type: ignore[operator]
            dt = t_rvm if name == "rvm" else time.perf_counter() - t0
            a = alpha[keep_rows]
            sel = band & (a > 0.05)
            acc[name].append({**alpha_errors(a, ref), "green_excess": green_excess(
                fg[keep_rows], sel), "ms": dt * 1000.0})  # fmt: skip
            if crops is not None and i == max(pick):
                _write_crops(crops, name, frame, alpha, fg)
    return {name: {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            for name, rows in acc.items() if rows}  # fmt: skip


def _write_crops(crops: Path, name: str, frame: np.ndarray, alpha: np.ndarray,
                 fg: np.ndarray) -> None:  # fmt: skip
    """The top of the head composited over a mid-grey, 2× enlarged, for looking at."""
    grey = np.full_like(frame, 128)
    comp = (fg * alpha[..., None] + grey * (1 - alpha[..., None])).astype(np.uint8)
    crop = comp[40:200, 120:420]
    big = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(crops / f"green_{name}.png"), cv2.cvtColor(big, cv2.COLOR_RGB2BGR))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=5, help="green-screen frames evaluated")
    ap.add_argument("--rvm", help="rvm_mobilenetv3_fp32.onnx (default: the installed one)")
    ap.add_argument("--crops", help="folder to write alpha / composite crops into")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    rvm = _rvm_path(args.rvm)
    if rvm is None:
        print("rvm: not installed (backdrop models install --with rvm); skipped")
    crops = Path(args.crops) if args.crops else None
    if crops is not None:
        crops.mkdir(parents=True, exist_ok=True)
    results = {"lemur": eval_lemur(rvm, crops), "green": eval_green(args.frames, rvm, crops)}
    for clip, modes in results.items():
        print(f"\n{clip}")
        for name, r in modes.items():
            line = ", ".join(f"{k} {v:.3f}" if k != "ms" else f"{v:.0f} ms" for k, v in r.items())
            print(f"  {name:8s} {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
