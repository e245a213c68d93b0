"""Scrub latency: the source frame at a time the session has not processed yet (issue 14).

Run from the repository root::

    .venv/bin/python benchmarks/bench_scrub.py [VIDEO ...] [--reps 3] [--before]

For each video (default ``examples/sample.mp4``), the same scrub sequences are served,
interleaved, at the editor's preview size, by :class:`~backdrop.render.preview.SeekReader` on
the source (the file kept open, keyframes indexed: what the session does before its proxy is
ready) and by :class:`~backdrop.render.proxy.ProxyReader` on the preview-size proxy a
:class:`~backdrop.render.proxy.ProxyWorker` wrote first (what it does once the proxy is ready;
the time and CPU the proxy took are printed); with ``--before`` also by
:func:`~backdrop.perception.core.media.read_frame_at` (open, probe, seek, decode: what the editor
did first; seconds per scrub). Each scrub's frame is checked to be the same frame (same time;
pixels within decoding noise for the source readers, within the proxy's tolerance of 4 grey
levels mean for the proxy). Prints per-scrub latency (median, p95, max, in ms). Sequences:
*forward* — the user drags ahead of processing in steps of 0.4–1.5 s; *jumps* — clicks at random
times. With ``--shown``, the whole frame shown is timed too: ``Session.preview(t)`` with
"replace the background with green" (source frame, person masker, compositor), processing held
at the start so every scrub is ahead of it, sessions without and with the proxy interleaved.
It never asserts a timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROXY_TOLERANCE = 4.0
"""Most mean absolute difference (grey levels of 255) of a proxy frame from the source's."""


def sequences(duration: float) -> dict[str, list[float]]:
    """The scrub times (seconds): forward drags and random jumps, the same for every reader."""
    rng = random.Random(14)
    forward: list[float] = []
    t = 0.0
    while t < duration - 0.5:
        t += rng.uniform(0.4, 1.5)
        forward.append(min(t, duration - 0.05))
    return {"forward": forward, "jumps": [rng.uniform(0, duration) for _ in forward]}


def one_video(video: str, reps: int, before: bool) -> None:
    from backdrop.perception.core.media import probe, read_frame_at
    from backdrop.render.preview import SeekReader, preview_size
    from backdrop.render.proxy import ProxyWorker

    info = probe(video)
    size = preview_size(info)
    wall, cpu = time.perf_counter(), time.process_time()
    worker = ProxyWorker(video, size)
    if not worker.wait(600):
        raise SystemExit(f"{video}: the proxy was not written ({worker.error})")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mb = worker.path.stat().st_size / 1e6
    ms: dict[tuple[str, str], list[float]] = {}
    for _ in range(reps):
        for name, times in sequences(info.duration).items():
            reader = SeekReader(video, size)  # opened and indexed as the session opens
            proxy = worker.reader()
            assert proxy is not None
            for ts in times:
                if before:
                    t0 = time.perf_counter()
                    fa, a = read_frame_at(video, ts, size=size)
                    ms.setdefault((name, "read_frame_at (first)"), []).append(
                        1000 * (time.perf_counter() - t0)
                    )
                t1 = time.perf_counter()
                fb, b = reader.frame_at(ts)
                t2 = time.perf_counter()
                fc, c = proxy.frame_at(ts)
                t3 = time.perf_counter()
                assert abs(fc - fb) < 1e-6 and c.shape == b.shape, (ts, fb, fc)
                assert np.abs(c.astype(np.int16) - b).mean() < PROXY_TOLERANCE, ts
                if before:
                    assert abs(fa - fb) < 1e-6 and np.abs(a.astype(np.int16) - b).mean() < 1.0
                ms.setdefault((name, "SeekReader (before)"), []).append(1000 * (t2 - t1))
                ms.setdefault((name, "proxy (now)"), []).append(1000 * (t3 - t2))
            reader.close()
            proxy.close()
    worker.close()
    print(f"{video} ({info.width}×{info.height} → {size[0]}×{size[1]}, {info.duration:.1f} s)")
    print(f"proxy: ready after {wall:.1f} s wall, {cpu:.1f} CPU-s, {mb:.1f} MB")
    table(ms)


def shown(video: str, reps: int) -> None:
    """The frame shown: ``Session.preview(t)`` (source frame, masker, compositor) with
    "replace the background with green", ahead of processing, without and with the proxy."""
    from backdrop.agent.session import Session
    from backdrop.perception.core.media import probe

    info = probe(video)
    release = threading.Event()  # processing waits at the first chunk: every scrub is ahead
    held = SimpleNamespace(process=lambda chunk: [] if release.wait(600) else [], flush=list)
    sessions = {
        how: Session(video, llm=False, analyzers=lambda i: [held], proxy=how == "proxy (now)")
        for how in ("SeekReader (before)", "proxy (now)")
    }
    for s in sessions.values():
        s.start()
        s.submit("replace the background with green").result(120)
    proxy = sessions["proxy (now)"].proxy
    assert proxy is not None and proxy.wait(600), "the proxy was not written"
    ms: dict[tuple[str, str], list[float]] = {}
    for _ in range(reps):
        for name, times in sequences(info.duration).items():
            for ts in times:
                for how, s in sessions.items():
                    s._frames.__init__(s._frames.step)  # noqa: SLF001 - nothing cached
                    t0 = time.perf_counter()
                    s.preview(ts)
                    ms.setdefault((name, how), []).append(1000 * (time.perf_counter() - t0))
    release.set()
    for s in sessions.values():
        s.close()
    print(f"{video}: frame shown (Session.preview, green background, ahead of processing)")
    table(ms)


def table(ms: dict[tuple[str, str], list[float]]) -> None:
    """Print per-scrub latency (median, p95, max in ms) as a Markdown table."""
    print("| sequence | reader | scrubs | median ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, how), v in sorted(ms.items()):
        v = sorted(v)
        p95 = v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]
        print(f"| {name} | {how} | {len(v)} | {statistics.median(v):.0f} | {p95:.0f} | "
              f"{v[-1]:.0f} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("videos", nargs="*", default=[str(ROOT / "examples" / "sample.mp4")])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--before", action="store_true", help="also time read_frame_at (slow)")
    ap.add_argument("--shown", action="store_true", help="also time the frame shown")
    args = ap.parse_args()
    for video in args.videos:
        if not Path(video).exists():
            print(f"{video}: absent (shared media not here), skipped")
            continue
        one_video(video, args.reps, args.before)
        if args.shown:
            shown(video, args.reps)


if __name__ == "__main__":
    main()
