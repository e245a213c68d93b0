"""Take analysis and pointing, timed (issue 17 items 4 and 6).

Usage: ``python benchmarks/bench_seed_scenarios.py TAKE.mp4 [TAKE ...] [--pointing VIDEO T ...]``

Prints, per take, the wall time of :func:`analyze_take` and its figures; with ``--pointing``,
the wall time of :func:`pointed_in_video` at each time ``T`` (seconds) and what it found.
"""

from __future__ import annotations

import sys
import time

from backdrop.perception.core.takes import analyze_take
from backdrop.perception.vision.pointing import pointed_in_video


def main(argv: list[str]) -> None:
    takes, rest = (argv, []) if "--pointing" not in argv else (
        argv[: argv.index("--pointing")], argv[argv.index("--pointing") + 1 :])  # fmt: skip
    for path in takes:
        t0 = time.perf_counter()
        r = analyze_take(path)
        dt = time.perf_counter() - t0
        print(f"{path}: {dt:.1f} s for {r.duration:.1f} s of video — light {r.light:.2f} "
              f"±{r.light_std:.3f}, sharpness {r.sharpness:.0f}, mask {r.mask_quality}, "
              f"speech {r.speech_s:.1f} s, SNR {r.snr_db}, words {r.word_confidence}")  # fmt: skip
    if rest:
        video, times = rest[0], [float(x) for x in rest[1:]]
        for t in times:
            t0 = time.perf_counter()
            p = pointed_in_video(video, [t])
            dt = time.perf_counter() - t0
            what = "nothing" if p is None else f"{p.label or 'region'} {[round(v) for v in p.box]}"
            print(f"{video} @ {t:g} s: {dt:.2f} s (models loaded each call) → {what}")


if __name__ == "__main__":
    main(sys.argv[1:])
