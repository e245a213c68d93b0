"""Scrub latency: the source frame at a time the session has not processed yet (issue 14).

Run from the repository root::

    .venv/bin/python benchmarks/bench_scrub.py [VIDEO ...] [--reps 3]

For each video (default ``examples/sample.mp4``), the same scrub sequences are served by
:func:`~backdrop.perception.core.media.read_frame_at` (open, probe, seek to the keyframe before,
decode forward: what the editor did) and by :class:`~backdrop.render.preview.SeekReader` (what it
does now), interleaved, at the editor's preview size; each scrub's frame is checked to be the same
frame (same time, pixels within JPEG-free decoding noise). Prints per-scrub latency (median, p95,
max, in ms). Sequences: *forward* — the user drags ahead of processing in steps of 0.4–1.5 s;
*jumps* — clicks at random times. It never asserts a timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from backdrop.perception.core.media import probe, read_frame_at
    from backdrop.render.preview import SeekReader, preview_size

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("videos", nargs="*", default=[str(ROOT / "examples" / "sample.mp4")])
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    for video in args.videos:
        info = probe(video)
        size = preview_size(info)
        rng = random.Random(14)
        seqs: dict[str, list[float]] = {"forward": [], "jumps": []}
        t = 0.0
        while t < info.duration - 0.5:
            t += rng.uniform(0.4, 1.5)
            seqs["forward"].append(min(t, info.duration - 0.05))
        seqs["jumps"] = [rng.uniform(0, info.duration) for _ in range(len(seqs["forward"]))]
        ms: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.reps):
            for name, times in seqs.items():
                reader = SeekReader(video, size)  # opened and indexed as the session opens
                for ts in times:
                    t0 = time.perf_counter()
                    fa, a = read_frame_at(video, ts, size=size)
                    t1 = time.perf_counter()
                    fb, b = reader.frame_at(ts)
                    t2 = time.perf_counter()
                    assert abs(fa - fb) < 1e-6 and a.shape == b.shape, (ts, fa, fb)
                    assert abs(a.astype(int) - b).mean() < 1.0, ts
                    ms.setdefault((name, "read_frame_at (before)"), []).append(1000 * (t1 - t0))
                    ms.setdefault((name, "SeekReader (now)"), []).append(1000 * (t2 - t1))
                reader.close()
        print(f"{video} ({info.width}×{info.height} → {size[0]}×{size[1]}, {info.duration:.1f} s)")
        print("| sequence | reader | scrubs | median ms | p95 ms | max ms |")
        print("|---|---|---:|---:|---:|---:|")
        for (name, how), v in ms.items():
            v = sorted(v)
            p95 = v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]
            print(f"| {name} | {how} | {len(v)} | {statistics.median(v):.0f} | {p95:.0f} | "
                  f"{v[-1]:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
