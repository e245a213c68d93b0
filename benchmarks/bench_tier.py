"""Preview latency with and without the quality tier refining behind it (issue 16).

Run: ``.venv/bin/python benchmarks/bench_tier.py [--video examples/sample.mp4] [--scrubs 20]``.

A :class:`~backdrop.agent.session.Session` (no analyzers, rules only) with a blue background
and the person kept; then ``--scrubs`` previews at random times (the fast edge, ``fast=True``,
so both rounds time the same work), once with the tier off and once with it on (scrubbing
starts once the worker has made its first frame; it refines a 3 s window and each scrub queues
the next, so it is refining the whole time), alternating
``--rounds`` times. Prints the median and 90th-percentile preview latency per mode and the
worker's refined frames per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scrub(session: object, times: np.ndarray) -> list[float]:
    out = []
    for t in times:
        started = time.perf_counter()
        session.preview(float(t), fast=True)  # type: ignore[attr-defined]
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    from backdrop.agent.session import Session

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", default=str(ROOT / "examples" / "sample.mp4"))
    ap.add_argument("--scrubs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--matte", action="store_true", help="refine with alpha matting")
    args = ap.parse_args()

    results: dict[str, list[float]] = {"tier off": [], "tier on": []}
    fps: list[float] = []
    made: list[int] = []
    rng = np.random.default_rng(0)
    for _ in range(args.rounds):
        for mode in results:
            on = mode == "tier on"
            s = Session(args.video, analyzers=lambda info: [], llm=False, refine=on,
                        refine_window=3.0).start()  # fmt: skip
            try:
                s.wait(300)
                s.submit("make the background blue").result(300)
                if args.matte:
                    s.submit("the hair edge looks rough").result(300)
                s.preview(0.0, fast=True)  # masker warm
                if on:  # the worker is past its start-up: it has made a frame
                    assert s.refiner is not None
                    deadline = time.monotonic() + 300
                    while s.refiner.frames_done == 0 and time.monotonic() < deadline:
                        time.sleep(0.2)
                    done = s.refiner.frames_done
                times = rng.uniform(0, s.info.duration - 0.1, args.scrubs)
                results[mode] += scrub(s, times)
                if on:
                    assert s.refiner is not None and s.refiner.busy, "the worker was idle"
                    fps.append(s.refiner.fps)
                    made.append(s.refiner.frames_done - done)
            finally:
                s.close()
    for mode, ms in results.items():
        ms.sort()
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"{mode:9s} preview latency: median {statistics.median(ms):.0f} ms, "
              f"p90 {p90:.0f} ms ({len(ms)} scrubs)")  # fmt: skip
    print(f"refine worker: {statistics.mean(fps):.2f} frames/s at the source's size; "
          f"{sum(made)} frames refined during the tier-on scrubs")  # fmt: skip


if __name__ == "__main__":
    main()
