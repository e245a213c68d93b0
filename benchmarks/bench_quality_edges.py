"""CPU per frame of the export's quality edges at a size, and their output for an identity check
between two checkouts (issue 14).

Run from the repository root, once per checkout (``PYTHONPATH`` picks it), alternating::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_quality_edges.py --size 1920x1080 \\
        --save /tmp/edges_a.npz [--compare /tmp/edges_b.npz]

Ten frames of ``examples/sample.mp4`` (every 6th of the first 60, masked in order by the
default preview masker at the video's size) are scaled to ``--size`` (bicubic) and given to
:func:`~backdrop.render.edges.quality_edges` with the default edge settings (guided edge,
decontamination, auto despill): CPU ms per frame (``time.process_time``, all threads) for
``--reps`` passes after a warm-up. ``--save`` writes the alphas and colours; ``--compare``
counts the elements that differ from another run's file. It never asserts a timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    import cv2

    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.edges import quality_edges
    from backdrop.render.maskers import PreviewPersonMasker
    from backdrop.render.plan import EdgeSettings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    video = ROOT / "examples" / "sample.mp4"
    masker = PreviewPersonMasker(probe(video))
    frames = []
    for i, (t, f) in zip(range(60), iter_frames(video), strict=False):
        mask = masker(f, t).copy()
        if i % 6 == 5:
            frames.append((cv2.resize(f, size, interpolation=cv2.INTER_CUBIC), mask))
    edges = EdgeSettings()
    outs = [quality_edges(m, f, edges) for f, m in frames]  # warm-up (pymatting, caches)
    ms = []
    for _ in range(args.reps):
        cpu = time.process_time()
        for f, m in frames:
            quality_edges(m, f, edges)
        ms.append(1000 * (time.process_time() - cpu) / len(frames))
    print(f"quality_edges at {args.size}: CPU ms/frame {[round(v, 1) for v in ms]}, median "
          f"{float(np.median(ms)):.1f}")  # fmt: skip
    arrays = [o.alpha for o in outs] + [o.fg for o in outs]
    if args.save:
        np.savez_compressed(args.save, *arrays)
    if args.compare:
        other = np.load(args.compare)
        diff = sum(int((a != other[k]).sum()) for a, k in zip(arrays, other.files, strict=True))
        print(f"elements differing from {args.compare}: {diff} of {sum(a.size for a in arrays)}")


if __name__ == "__main__":
    main()
