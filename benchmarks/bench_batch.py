"""Batch and scale-out figures: videos per minute, chunked speed-up, chunk overhead.

Usage: ``.venv/bin/python benchmarks/bench_batch.py [--copies 4] [--loops 4]``

* videos per minute: ``--copies`` copies of examples/sample.mp4 (10.4 s, 1280×720, 24 fps) with
  examples/sample-plan.json, in one process and on a local Ray (one task per video);
* chunked speed-up: a long clip (the sample looped ``--loops`` times) rendered whole in one
  process, then in chunks on local Ray (``--chunk-seconds``), Ray start-up timed separately;
* chunk overhead: the same chunks rendered one after the other in one process, against the
  whole render (warm-up segmentation, seeks, the join).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from backdrop.perception.core.media import iter_frames, probe
from backdrop.render.batch import BatchOptions, run_batch
from backdrop.render.chunked import plan_spans, render_chunked
from backdrop.render.pipeline import render_video
from backdrop.render.plan import EditPlan
from backdrop.render.writer import Mp4Writer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"
PLAN = ROOT / "examples" / "sample-plan.json"


def long_clip(path: Path, loops: int) -> Path:
    """The sample looped ``loops`` times (x264 veryfast, default GOP of 250 frames), with audio
    copied from the sample for its first 10 s only."""
    info = probe(SAMPLE)
    frames = list(iter_frames(SAMPLE))
    step = 1.0 / info.fps
    with Mp4Writer(path, info.width, info.height, info.fps, SAMPLE, None) as w:
        for k in range(loops):
            for i, (_, f) in enumerate(frames):
                w.write(f, (k * len(frames) + i) * step)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--loops", type=int, default=4)
    ap.add_argument("--chunk-seconds", type=float, default=10.0)
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    plan = EditPlan.load(PLAN)
    cpus = os.cpu_count()
    print(f"machine: {cpus} CPUs; sample: {probe(SAMPLE).summary()}")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        clips = tmp / "clips"
        clips.mkdir()
        for i in range(args.copies):
            shutil.copy(SAMPLE, clips / f"sample{i}.mp4")
        for engine in ("local", "ray"):
            t = time.perf_counter()
            rep = run_batch(plan, [clips], tmp / f"out-{engine}", BatchOptions(engine=engine))
            wall = time.perf_counter() - t
            print(
                f"batch {args.copies}× sample, {rep.engine}: {wall:.1f} s wall, "
                f"{60 * rep.count('done') / wall:.1f} videos/min (incl. engine start)"
            )

        long = long_clip(tmp / "long.mp4", args.loops)
        info = probe(long)
        spans = plan_spans(long, args.chunk_seconds)
        print(f"long clip: {info.summary()}; {len(spans)} spans")
        t = time.perf_counter()
        whole = render_video(long, plan, tmp / "whole.mp4")
        t_whole = time.perf_counter() - t
        print(f"whole, one process: {t_whole:.1f} s ({whole.fps:.1f} fps)")

        t = time.perf_counter()
        seq = render_chunked(long, plan, tmp / "seq.mp4", spans=spans)
        t_seq = time.perf_counter() - t
        print(
            f"chunked, one process (overhead only): {t_seq:.1f} s "
            f"(+{100 * (t_seq / t_whole - 1):.0f} % over whole; {seq.frames} frames)"
        )

        import ray

        t = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING")
        t_init = time.perf_counter() - t
        try:
            t = time.perf_counter()
            opts = BatchOptions(engine="ray", chunk_seconds=args.chunk_seconds)
            rep = run_batch(plan, [long], tmp / "out-chunked", opts)
            t_ray = time.perf_counter() - t
        finally:
            ray.shutdown()
        r = rep.results[0]
        print(
            f"chunked on local Ray ({r.chunks} tasks): {t_ray:.1f} s after a {t_init:.1f} s "
            f"Ray start → speed-up {t_whole / t_ray:.2f}× ({t_whole / (t_ray + t_init):.2f}× "
            f"counting the start)"
        )


if __name__ == "__main__":
    main()
