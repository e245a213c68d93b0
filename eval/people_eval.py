"""People as tracks (issue 12): the chosen subject's IoU, identity switches and mask flicker on
every person sequence with ground truth that can be assembled from the shared media.

Run: ``.venv/bin/python eval/people_eval.py [--only NAME,...] [--json out.json]``.

Sequences (built in memory or in a temporary folder; eval-only footage is never copied):

* ``dance`` / ``dance-rot180`` / ``dance-rot90`` — DAVIS 2016 dance-twirl at 427×240 (every
  2nd frame; hand-drawn masks; CC BY 4.0, "DAVIS 2016, Perazzi et al."), upright, upside down
  and lying (rotated 90°). Rule: keep everyone (``all``) and the main subject (``main``).
* ``crowd-rot180`` / ``crowd-spin12`` / ``crowd-spin24`` — the breakdance stand-in
  (``tests/people_media.crowd``; DAVIS breakdance itself is not in the shared media): the
  dance-twirl dancer upside down (and spinning 12° or 24° per frame, 90°/180° per second) with
  two still, upright bystanders pasted at the edges. Rules: ``all`` (what a plain "replace the
  background" kept before plan version 4) and ``person`` (the default rule now: the main subject
  when several are in view); ``kept`` is the share of the dancer's true pixels kept, ``leak``
  the share of the bystanders'.
* ``dance-pair`` — two dancers side by side (the clip next to itself mirrored and 1.5 s later);
  rule "keep the person on the left"; truth is the left dancer's mask; ``leak`` is the share of
  the right dancer's true pixels kept (should be ~0).
* ``judo`` — cutie's judo example (DAVIS 2017, 16 frames): two judoka in the middle, spectators
  around. Truth exists for the judoka pair on frame 0 only and for three spectators on frames 5,
  8 and 13; ``recall`` is the share of the pair kept on frame 0 and ``leak`` the share of the
  spectators kept, for ``all`` and ``main``.
* ``heads-*`` — two talking heads side by side (``tests/people_media.two_heads``): the kept
  person must be the one whose voice is heard (last heard between turns); ``speaker acc`` is
  the share of frames where the side holding more of the mask is the speaker's, ``empty`` the
  frames with nothing kept.

Metrics: IoU of the kept mask (≥ 0.5) with the truth, mean over frames; ``switches`` — changes
of the chosen track id from one frame to the next (0 = one identity throughout); ``flicker`` —
mean |m_t − m_{t−1}| of the soft mask where the true mask does not change (lower = steadier).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backdrop.perception.core.media import MediaInfo  # noqa: E402
from backdrop.render.maskers import build_masker  # noqa: E402
from backdrop.render.plan import EditPlan, KeepRule  # noqa: E402
from tests import people_media as pm  # noqa: E402

JUDO = pm.SHARED / "cutie" / "examples"


def _info(w: int, h: int, n: int, fps: float = 15.0) -> MediaInfo:
    return MediaInfo(Path("mem"), w, h, fps, n / fps, n, 0, "h264", False, None, None, None)


def _chosen_ids(masker: object) -> list[str]:
    sels = getattr(masker, "_selectors", {})
    return sorted(set().union(*[s.chosen or set() for s in sels.values()])) if sels else []


def run_masker(
    frames: list[np.ndarray], selector: str | None, fps: float = 15.0, timeline: object = None
) -> tuple[list[np.ndarray], list[str], float]:
    """Soft masks at frame size, the chosen ids per frame (joined), median CPU ms per frame."""
    h, w = frames[0].shape[:2]
    rule = KeepRule(subject="person", selector=selector)
    from backdrop.render.maskers import RuleMasker

    masker = RuleMasker(_info(w, h, len(frames), fps), EditPlan(keep=[rule]), timeline, None)
    masks, ids, cost = [], [], []
    for i, f in enumerate(frames):
        t0 = time.process_time()
        m = masker(f, i / fps)
        cost.append(time.process_time() - t0)
        masks.append(cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR))
        ids.append("+".join(_chosen_ids(masker)))
    return masks, ids, 1000 * float(np.median(cost))


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    union = np.logical_or(pred, gt).sum()
    return float(np.logical_and(pred, gt).sum() / union) if union else 1.0


def switches(ids: list[str]) -> int:
    seen = [i for i in ids if i]
    return sum(a != b for a, b in zip(seen, seen[1:], strict=False))


def flicker(masks: list[np.ndarray], truth: list[np.ndarray]) -> float:
    out = []
    for k in range(1, len(masks)):
        still = truth[k - 1] == truth[k]
        out.append(float(np.abs(masks[k] - masks[k - 1])[still].mean()))
    return float(np.mean(out)) if out else 0.0


def score(name: str, sel: str | None, frames: list, truth: list, fps: float = 15.0,
          other: list | None = None) -> dict[str, object]:  # fmt: skip
    masks, ids, ms = run_masker(frames, sel, fps)
    ious = [iou(m >= 0.5, g) for m, g in zip(masks, truth, strict=True)]
    row: dict[str, object] = {
        "sequence": name,
        "rule": sel or "person",
        "frames": len(frames),
        "iou_mean": round(float(np.mean(ious)), 3),
        "iou_min": round(float(np.min(ious)), 3),
        "switches": switches(ids) if sel != "all" else None,
        "flicker": round(flicker(masks, truth), 4),
        "cpu_ms_per_frame": round(ms, 1),
    }
    if other is not None:
        kept = [((m >= 0.5) & g).sum() / max(g.sum(), 1) for m, g in zip(masks, truth, strict=True)]
        row["kept"] = round(float(np.mean(kept)), 3)
        leak = [((m >= 0.5) & g).sum() / max(g.sum(), 1) for m, g in zip(masks, other, strict=True)]
        row["leak"] = round(float(np.mean(leak)), 3)
    return row


def dance_rows(only: set[str]) -> list[dict[str, object]]:
    rows = []
    for name, rot in (("dance", 0), ("dance-rot180", 180), ("dance-rot90", 90)):
        if only and name not in only:
            continue
        frames, truth = pm.dance(rotate=180 if rot == 180 else 0, every=2)
        if rot == 90:
            frames = [np.ascontiguousarray(np.rot90(f)) for f in frames]
            truth = [np.ascontiguousarray(np.rot90(g)) for g in truth]
        for sel in ("all", "main"):
            rows.append(score(name, sel, frames, truth))
    if not only or "dance-pair" in only:
        frames, truth = pm.dance(every=2)
        k = 11  # 1.5 s later at 7.5 fps
        right_f = [np.ascontiguousarray(f[:, ::-1]) for f in frames[k:] + frames[:k]]
        right_g = [np.ascontiguousarray(g[:, ::-1]) for g in truth[k:] + truth[:k]]
        pair = [np.hstack([a, b]) for a, b in zip(frames, right_f, strict=True)]
        zeros = np.zeros_like(truth[0])
        left_truth = [np.hstack([g, zeros]) for g in truth]
        right_truth = [np.hstack([zeros, g]) for g in right_g]
        rows.append(score("dance-pair", "left", pair, left_truth, other=right_truth))
        both = [a | b for a, b in zip(left_truth, right_truth, strict=True)]
        rows.append(score("dance-pair", "all", pair, both))
    return rows


def crowd_rows(only: set[str]) -> list[dict[str, object]]:
    rows = []
    for name, spin in (("crowd-rot180", 0.0), ("crowd-spin12", 12.0), ("crowd-spin24", 24.0)):
        if only and name not in only:
            continue
        frames, dancer, bystanders = pm.crowd(rotate=180.0, spin=spin, every=2)
        for sel in ("all", None):
            rows.append(score(name, sel, frames, dancer, other=bystanders))
    return rows


def judo_rows() -> list[dict[str, object]]:
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
              for p in sorted((JUDO / "images" / "judo").glob("*.jpg"))]  # fmt: skip
    h, w = frames[0].shape[:2]
    frames = [cv2.resize(f, (w, h)) for f in frames]
    truth = {}
    for p in sorted((JUDO / "masks" / "judo").glob("*.png")):
        m = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        truth[int(p.stem)] = cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST) > 0
    rows = []
    for sel in ("all", None, "main"):
        masks, ids, ms = run_masker(frames, sel, fps=10.0)
        pair = truth[0]
        recall = float(((masks[0] >= 0.5) & pair).sum() / pair.sum())
        leak = [float(((masks[k] >= 0.5) & truth[k]).sum() / truth[k].sum()) for k in (5, 8, 13)]
        rows.append({
            "sequence": "judo", "rule": sel or "person", "frames": len(frames),
            "iou_mean": round(iou(masks[0] >= 0.5, pair), 3), "iou_min": None,
            "switches": switches(ids) if sel != "all" else None, "flicker": None,
            "cpu_ms_per_frame": round(ms, 1), "recall": round(recall, 3),
            "leak": round(float(np.mean(leak)), 3),
        })  # fmt: skip
    return rows


def heads_rows(tmp: Path) -> list[dict[str, object]]:
    from backdrop.perception.core.analysis import analyze
    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.perception.vision.active_speaker import build_active_speaker_analyzer

    rows = []
    cases = [("A", "silent", 2.0), ("A", "shifted", 2.0), ("B", "shifted", 2.0),
             ("AB", "shifted", 2.0), ("AB", "shifted", 1.5), ("AB", "shifted", 3.0)]  # fmt: skip
    for voices, right, turn in cases:
        clip, truth = pm.two_heads(tmp / f"{voices}{right}{turn}.mp4", voices, right=right,
                                   turn_s=turn)  # fmt: skip
        info = probe(clip)
        t0 = time.perf_counter()
        tl = analyze(clip, [build_active_speaker_analyzer(info)])
        analysis_s = time.perf_counter() - t0
        masker = build_masker(info, EditPlan(keep=[KeepRule(subject="speaker")]), tl)
        hits, empty, ids, cost = 0, 0, [], []
        for i, (t, f) in enumerate(iter_frames(clip)):
            c0 = time.process_time()
            m = masker(f, t)
            cost.append(time.process_time() - c0)
            half = m.shape[1] // 2
            left, right_ = (m[:, :half] >= 0.5).mean(), (m[:, half:] >= 0.5).mean()
            empty += max(left, right_) < 0.05
            hits += ("A" if left > right_ else "B") == truth[i]
            ids.append("+".join(_chosen_ids(masker)))
        rows.append({
            "sequence": f"heads-{voices}-{right}" + (f"-turn{turn:g}s" if voices == "AB" else ""),
            "rule": "speaker", "frames": len(truth),
            "speaker_acc": round(hits / len(truth), 3), "empty": int(empty),
            "switches": switches(ids), "analysis_s": round(analysis_s, 1),
            "cpu_ms_per_frame": round(1000 * float(np.median(cost)), 1),
        })  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated sequence names (default: all)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    only = {s for s in args.only.split(",") if s}
    rows: list[dict[str, object]] = []
    if pm.DAVIS.exists():
        rows += dance_rows(only)
        rows += crowd_rows(only)
    if JUDO.exists() and (not only or "judo" in only):
        rows += judo_rows()
    if pm.heads_available() and (not only or "heads" in only):
        with tempfile.TemporaryDirectory() as tmp:
            rows += heads_rows(Path(tmp))
    for r in rows:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
