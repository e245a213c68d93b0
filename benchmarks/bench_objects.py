"""Objects by name: per-frame recall and speed of the embedded COCO detector (YOLOv3-tiny).

Recall of a named object = the share of sampled frames on which the detector reports at least
one box of that class (the object is visible in every frame of both clips: the football in the
juggling clip, the bed in the bedroom clip). "with look-alikes" also counts the classes the
masker accepts for the name (:data:`backdrop.perception.vision.objects.LOOKALIKES`, e.g. a football
read as a frisbee). Speed is the wall time of ``CocoDetector.detect`` per frame (letterbox,
network, decoding, NMS), frames decoded beforehand.

    .venv/bin/python benchmarks/bench_objects.py                # every frame, input 416
    .venv/bin/python benchmarks/bench_objects.py --stride 3 --sizes 320 416 608

Never fails on a timing; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT.parent / "shared" / "media"
CLIPS = (
    ("juggle (examples/sample.mp4)", ROOT / "examples" / "sample.mp4", "sports ball"),
    ("bedroom (sam2 notebooks)", MEDIA / "sam2" / "notebooks" / "videos" / "bedroom.mp4", "bed"),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stride", type=int, default=1, help="use every Nth frame")
    ap.add_argument("--sizes", type=int, nargs="+", default=[416], help="network input sizes")
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--min-score", type=float, default=0.25)
    args = ap.parse_args()

    from backdrop.perception.core.media import iter_frames
    from backdrop.perception.vision.objects import LOOKALIKES
    from backdrop.perception.vision.yolo import load_coco_detector

    print("| clip | object | input | frames | recall | with look-alikes | mean score | ms/frame "
          "(median) | ms/frame (p90) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        det = load_coco_detector(threads=args.threads, input_size=size, min_score=args.min_score)
        for name, path, label in CLIPS:
            if not path.exists():
                print(f"| {name} | missing {path} |")
                continue
            frames = [f for i, (_t, f) in enumerate(iter_frames(path)) if i % args.stride == 0]
            det.detect(frames[0])  # warm-up
            hits = alike = 0
            scores: list[float] = []
            times: list[float] = []
            for f in frames:
                t0 = time.perf_counter()
                found = det.detect(f)
                times.append(time.perf_counter() - t0)
                mine = [s for lab, _b, s in found if lab == label]
                hits += bool(mine)
                alike += bool(mine) or any(lab in LOOKALIKES.get(label, ()) for lab, *_ in found)
                scores.extend(mine[:1])
            n = len(frames)
            times.sort()
            print(
                f"| {name} | {label} | {size} | {n} | {hits / n:.2f} | {alike / n:.2f} | "
                f"{statistics.mean(scores) if scores else 0:.2f} | "
                f"{1000 * statistics.median(times):.0f} | {1000 * times[int(0.9 * (n - 1))]:.0f} |"
            )


if __name__ == "__main__":
    main()
