"""Live benchmark: a file played in real time as a stand-in camera, edited frame by frame.

Cases (default masker, the demo plan ``examples/sample-plan.json``: keep the person, gradient
background): 1280×720 at 30 and 60 fps and 1920×1080 at 30 fps, made from
``examples/sample.mp4`` (24 fps) by repeating frames and scaling, cached under
``out/bench/live/``. Each case runs ``backdrop live``'s :class:`~backdrop.agent.live.LiveRunner`
for ``--seconds`` of stream (the first ``--warmup`` seconds are not counted: models load, the
budget controller settles) with the live analyzers and no output sink, and reports:

- delivered fps (frames out of the renderer per second of wall time),
- dropped % (frames captured but not delivered: the capture buffer overflowed, or the budget
  controller's last level dropped them),
- capture→output latency p50/p95 (ms, from the frame's capture to the composed frame),
- CPU % (process CPU time / wall time; 200 % = both cores of a 2-core machine),
- the budget level the controller spent most frames at.

``--busy`` runs every case a second time with one core kept busy by another process (a Python
spin loop), to show the adaptation. Figures are printed as a Markdown table and written to
``out/bench/bench_live.json``; nothing is asserted.

    .venv/bin/python benchmarks/bench_live.py [--seconds 12] [--busy] [--cases 720p30,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backdrop.agent.live import LiveRunner, live_analyzers  # noqa: E402
from backdrop.perception.core.live import open_source  # noqa: E402
from backdrop.perception.core.media import iter_frames  # noqa: E402
from backdrop.render.live import LEVELS  # noqa: E402
from backdrop.render.plan import EditPlan  # noqa: E402

SAMPLE = ROOT / "examples" / "sample.mp4"
PLAN = ROOT / "examples" / "sample-plan.json"
OUT = ROOT / "out" / "bench"
CASES = {"720p30": (1280, 720, 30), "720p60": (1280, 720, 60), "1080p30": (1920, 1080, 30)}


def make_clip(width: int, height: int, fps: int, seconds: float = 8.0) -> Path:
    """The sample re-timed to ``fps`` (frames repeated) and scaled to ``width×height``."""
    path = OUT / "live" / f"sample-{height}p{fps}.mp4"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    src = [(t, f) for t, f in iter_frames(SAMPLE, size=(width, height)) if t < seconds]
    tmp = path.with_name(f".{path.name}.partial.mp4")
    out = av.open(str(tmp), "w")
    vs = out.add_stream("libx264", rate=Fraction(fps))
    vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
    vs.options = {"preset": "veryfast", "crf": "20", "g": str(fps)}
    j = 0
    for i in range(int(seconds * fps)):
        t = i / fps
        while j + 1 < len(src) and src[j + 1][0] <= t:
            j += 1
        frame = av.VideoFrame.from_ndarray(src[j][1], format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, fps)
        for p in vs.encode(frame):
            out.mux(p)
    for p in vs.encode(None):
        out.mux(p)
    out.close()
    os.replace(tmp, path)
    return path


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def others_cpu(seconds: float = 1.0) -> float:
    """Share of all CPUs other processes used over ``seconds`` (from /proc/stat), percent."""
    try:

        def read() -> tuple[int, int]:
            v = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
            return sum(v), v[3] + v[4]

        t0, i0 = read()
        c0 = cpu_seconds()
        time.sleep(seconds)
        t1, i1 = read()
        own = (cpu_seconds() - c0) * os.sysconf("SC_CLK_TCK")
        return 100.0 * max(0.0, (t1 - t0) - (i1 - i0) - own) / max(1, t1 - t0)
    except OSError:
        return float("nan")


def run_case(name: str, clip: Path, seconds: float, warmup: float) -> dict[str, object]:
    plan = EditPlan.load(PLAN)
    src = open_source(clip, realtime=True, loop=True, audio=False)
    runner = LiveRunner(src, say=lambda s: None, plan=plan, analyzers=live_analyzers, llm=False)
    busy_before = others_cpu(1.0)
    runner.start()
    while runner.t < warmup and runner.running:
        time.sleep(0.05)
    n0, cap0, drop0 = runner.stats.delivered, src.captured, runner.dropped
    wall0, cpu0 = time.monotonic(), cpu_seconds()
    while runner.t < warmup + seconds and runner.running:
        time.sleep(0.05)
    wall, cpu = time.monotonic() - wall0, cpu_seconds() - cpu0
    n, cap, drop = runner.stats.delivered - n0, src.captured - cap0, runner.dropped - drop0
    lat = np.asarray(runner.stats.all_latencies[n0 : n0 + n]) * 1000.0
    levels = Counter(runner.stats.levels[n0 : n0 + n])
    runner.stop()
    if runner.error is not None:
        raise RuntimeError(f"{name}: {runner.error}")
    top = levels.most_common(1)[0][0] if levels else 0
    return {
        "case": name,
        "frames": n,
        "captured": cap,
        "delivered_fps": n / wall if wall > 0 else 0.0,
        "dropped_pct": 100.0 * drop / max(1, cap),
        "latency_p50_ms": float(np.percentile(lat, 50)) if n else float("nan"),
        "latency_p95_ms": float(np.percentile(lat, 95)) if n else float("nan"),
        "cpu_pct": 100.0 * cpu / wall if wall > 0 else 0.0,
        "level": LEVELS[top].name,
        "levels": {LEVELS[k].name: v for k, v in sorted(levels.items())},
        "others_cpu_before_pct": busy_before,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=12.0, help="measured stream seconds")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds not counted at the start")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    ap.add_argument("--busy", action="store_true", help="also run with one core kept busy")
    args = ap.parse_args()
    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    rows = []
    for name in names:
        w, h, fps = CASES[name]
        clip = make_clip(w, h, fps)
        rows.append(run_case(name, clip, args.seconds, args.warmup))
        if args.busy:
            spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                rows.append(run_case(name + "+busy", clip, args.seconds, args.warmup))
            finally:
                spin.kill()
                spin.wait()
    head = (
        "| case | delivered fps | dropped % | latency p50 ms | latency p95 ms | CPU % "
        "| level (most frames) | others' CPU before % |"
    )
    print(head)
    print("|" + "---|" * 8)
    for r in rows:
        print(
            f"| {r['case']} | {r['delivered_fps']:.1f} | {r['dropped_pct']:.1f} "
            f"| {r['latency_p50_ms']:.0f} | {r['latency_p95_ms']:.0f} | {r['cpu_pct']:.0f} "
            f"| {r['level']} | {r['others_cpu_before_pct']:.0f} |"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "platform": platform.platform()}
    (OUT / "bench_live.json").write_text(
        json.dumps({"machine": machine, "args": vars(args), "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
