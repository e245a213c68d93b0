"""Benchmark: Backdrop's render pipeline against a naive moviepy per-frame script.

Run from the repository root::

    .venv/bin/python benchmarks/bench_pipeline.py            # full run (~4 min on 2 cores)
    .venv/bin/python benchmarks/bench_pipeline.py --quick    # fewer repetitions, shorter inputs

It prints a table of figures and writes them to ``out/bench/bench_pipeline.md`` and
``out/bench/bench_pipeline.json``. It never asserts timings: it reports them, and says whether
the issue's targets (≥ 60 fps at 720p on 2 cores, ≥ 5× the naive pipeline, memory flat in video
length) are met on this machine.

Every measured case runs in a fresh Python subprocess (this file with ``--case``), so peak memory
(``ru_maxrss``) of one case cannot leak into another. Each case reports the peak RSS of its own
Python process and, separately, the largest helper process it waited for (moviepy runs ffmpeg
in subprocesses for reading and encoding; Backdrop decodes and encodes in-process with PyAV).

Cases, all on ``examples/sample.mp4`` (1280×720, 24 fps, 10.3 s, AAC audio) unless said:

* ``backdrop``: :func:`backdrop.render.pipeline.render_video` with the demo's plan (keep the
  person, blue #1d4ed8 → purple #7e22ce linear gradient fading in over 2 s) to H.264 MP4 with
  the source's audio. Timed from the call to the finished file (the segmenter is loaded first,
  outside the timing, as for the naive script).
* ``backdrop+webm``: the same, plus the VP9-with-alpha WebM output.
* ``backdrop-long``: the same as ``backdrop`` on ``out/bench/long.mp4``, the sample concatenated
  N times by stream copy (no re-encode), to see whether peak memory grows with length.
* ``naive-medium`` / ``naive-veryfast``: moviepy 2 ``VideoFileClip(...).transform(fn)`` where
  ``fn`` runs the same selfie segmenter (same model, same LiteRT thread count) on the frame,
  upsamples the mask to full size and composites over the same gradient with numpy float math,
  then ``write_videofile(..., codec="libx264", audio=True)`` with moviepy's defaults (preset
  ``medium``), and again with ``preset="veryfast"`` (Backdrop's preset) to separate the
  encoder's share from the pipeline's.
* ``stages``: one process, frame by frame with no overlap, timing each stage in ms per frame:
  decode, segment (of which: model), alpha/edges, composite, encode MP4, encode WebM.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"
OUT = ROOT / "out" / "bench"

TARGET_FPS = 60.0
TARGET_SPEEDUP = 5.0
FLAT_RATIO = 1.10
"""Peak RSS on the long input within this factor of the short one counts as flat."""

PACKAGES = ("numpy", "av", "opencv-python-headless", "ai-edge-litert", "moviepy", "imageio-ffmpeg")


# --------------------------------------------------------------------------------------------
# helpers shared by the parent and the cases
# --------------------------------------------------------------------------------------------
def demo_plan() -> Any:
    """The plan `make demo` produces: keep the person, blue → purple gradient, 2 s fade in."""
    from backdrop.render.plan import (
        BackgroundSegment,
        EditPlan,
        Fade,
        GradientBackground,
        KeepRule,
    )

    return EditPlan(
        keep=[KeepRule()],
        backgrounds=[
            BackgroundSegment(
                background=GradientBackground(colors=["#1d4ed8", "#7e22ce"]),
                fade_in=Fade(duration=2.0),
            )
        ],
    )


class SelfieMasker:
    """Backdrop's whole-frame preview tier: the selfie segmenter plus temporal smoothing
    (:class:`backdrop.perception.vision.segment.PersonMasker`), callable as ``masker(frame, t)``.

    Used explicitly (rather than whatever the plan's default masker is) so the comparison with
    the naive script runs the same model on both sides.
    """

    def __init__(self, width: int, height: int) -> None:
        from backdrop.perception.vision.segment import PersonMasker, load_person_segmenter

        self.segmenter = load_person_segmenter(width, height)
        self._inner = PersonMasker(self.segmenter)

    def __call__(self, frame: Any, t: float | None = None) -> Any:
        return self._inner(frame)

    def reset(self) -> None:
        self._inner.reset()


def rss_now_mb() -> float:
    """Current resident set size of this process (MiB), from /proc."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def usage() -> dict[str, float]:
    """Peak RSS (MiB) and CPU seconds of this process and of its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "peak_rss_mb": me.ru_maxrss / 1024.0,  # ru_maxrss is KiB on Linux
        "helper_peak_rss_mb": ch.ru_maxrss / 1024.0,
        "cpu_s": me.ru_utime + me.ru_stime,
        "helper_cpu_s": ch.ru_utime + ch.ru_stime,
    }


def count_video_frames(path: Path) -> int:
    """Frames in the first video stream of ``path`` (counted from packets, no decoding)."""
    import av

    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        return sum(1 for p in c.demux(vs) if p.size)


# --------------------------------------------------------------------------------------------
# cases (each runs in its own subprocess)
# --------------------------------------------------------------------------------------------
def case_backdrop(
    src: Path, dst: Path, alpha: Path | None, default_masker: bool = False
) -> dict[str, Any]:
    from backdrop.perception.core.media import probe
    from backdrop.render.maskers import build_masker
    from backdrop.render.pipeline import render_video

    info = probe(src)
    plan = demo_plan()
    # loaded before the clock starts: the selfie masker (same model as the naive script), or
    # the preview default the plan gets (pose-guided crops when the pose models are installed)
    masker: Any = (
        build_masker(info, plan) if default_masker else SelfieMasker(info.width, info.height)
    )
    trace: list[tuple[int, float]] = []  # (frames done, current RSS MiB), every 2 s of video
    every = max(1, round(2 * info.fps))

    def progress(done: int, total: int, elapsed: float) -> None:
        if done % every == 0:
            trace.append((done, rss_now_mb()))

    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    stats = render_video(src, plan, dst, alpha=alpha, masker=masker, progress=progress)
    wall = time.perf_counter() - t0
    return {
        "rss_trace": trace,
        "frames": stats.frames,
        "wall_s": wall,
        "fps": stats.frames / wall,
        "render_fps": stats.fps,
        "rss_before_mb": rss_before,
        "out_frames": count_video_frames(dst),
        **usage(),
    }


def case_naive(src: Path, dst: Path, preset: str) -> dict[str, Any]:
    """The way a typical script does it: moviepy per-frame function, numpy float compositing."""
    import cv2
    import numpy as np
    from moviepy import VideoFileClip

    from backdrop.perception.vision.segment import load_person_segmenter
    from backdrop.render.backgrounds import gradient
    from backdrop.render.plan import GradientBackground

    clip = VideoFileClip(str(src))
    w, h = clip.size
    seg = load_person_segmenter(w, h)  # same model, same LiteRT threads as Backdrop's preview
    bg = gradient(GradientBackground(colors=["#1d4ed8", "#7e22ce"]), w, h).astype(np.float32)
    fade = 2.0
    calls = [0]

    def fn(get_frame: Any, t: float) -> np.ndarray:
        frame = get_frame(t)
        calls[0] += 1
        mask = seg.predict(frame)  # (144, 256) float32
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
        strength = min(max(t / fade, 0.0), 1.0)
        keep = 1.0 - (1.0 - mask) * strength
        out = frame.astype(np.float32) * keep + bg * (1.0 - keep)
        return np.clip(out, 0, 255).astype(np.uint8)

    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    edited = clip.transform(fn)
    edited.write_videofile(
        str(dst),
        codec="libx264",
        audio=True,
        preset=preset,
        temp_audiofile_path=str(dst.parent),
        logger=None,
    )
    edited.close()
    clip.close()
    wall = time.perf_counter() - t0
    frames = count_video_frames(dst)
    return {
        "frames": frames,
        "fn_calls": calls[0],
        "wall_s": wall,
        "fps": frames / wall,
        "rss_before_mb": rss_before,
        "out_frames": frames,
        **usage(),
    }


def case_stages(src: Path, out_dir: Path, max_frames: int | None) -> dict[str, Any]:
    """Each stage timed on its own, sequentially, in one process (no overlap)."""
    import backdrop.render.compose as compose_mod
    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.compose import Compositor
    from backdrop.render.writer import Mp4Writer, WebmAlphaWriter

    info = probe(src)
    plan = demo_plan()
    comp = Compositor(plan, info.width, info.height, info.duration)
    masker = SelfieMasker(info.width, info.height)
    segmenter = masker.segmenter
    acc = dict.fromkeys(
        ("decode", "segment", "model", "alpha", "compose", "encode_mp4", "encode_webm"), 0.0
    )
    pc = time.perf_counter

    orig_alpha = compose_mod.alpha_from_mask
    orig_predict = segmenter.predict if segmenter is not None else None

    def timed_alpha(*a: Any, **k: Any) -> Any:
        s = pc()
        try:
            return orig_alpha(*a, **k)
        finally:
            acc["alpha"] += pc() - s

    def timed_predict(*a: Any, **k: Any) -> Any:
        s = pc()
        try:
            return orig_predict(*a, **k)
        finally:
            acc["model"] += pc() - s

    compose_mod.alpha_from_mask = timed_alpha  # type: ignore[assignment]
    if segmenter is not None:
        segmenter.predict = timed_predict
    end = info.duration
    mp4 = Mp4Writer(out_dir / "stages.mp4", info.width, info.height, info.fps, src, end)
    webm = WebmAlphaWriter(out_dir / "stages.webm", info.width, info.height, info.fps, src, end)
    frames = segmented = 0
    it = iter_frames(src)
    try:
        while max_frames is None or frames < max_frames:
            s = pc()
            item = next(it, None)
            acc["decode"] += pc() - s
            if item is None:
                break
            t, frame = item
            s = pc()
            mask = None
            if comp.needs_mask(t):
                mask = masker(frame, t)
                segmented += 1
            acc["segment"] += pc() - s
            s = pc()
            c = comp.compose(frame, t, mask)
            acc["compose"] += pc() - s
            s = pc()
            mp4.write(c.rgb, t)
            acc["encode_mp4"] += pc() - s
            s = pc()
            webm.write(frame, t, c.keep)
            acc["encode_webm"] += pc() - s
            frames += 1
        s = pc()
        mp4.close()  # x264 holds frames in its lookahead: the flush is part of the cost
        acc["encode_mp4"] += pc() - s
        s = pc()
        webm.close()
        acc["encode_webm"] += pc() - s
    finally:
        compose_mod.alpha_from_mask = orig_alpha
        it.close()
    acc["compose"] -= acc["alpha"]  # compose() calls alpha_from_mask; report them apart
    ms = {k: 1000.0 * v / max(frames, 1) for k, v in acc.items()}
    return {"frames": frames, "segmented": segmented, "ms_per_frame": ms, **usage()}


# --------------------------------------------------------------------------------------------
# the parent: inputs, running cases, reporting
# --------------------------------------------------------------------------------------------
def make_long(src: Path, dst: Path, copies: int) -> Path:
    """``src`` repeated ``copies`` times by stream copy (no re-encode), timestamps shifted.

    Each copy is shifted by the video's duration; the audio of each copy is cut at the video's
    end (rounded up to whole audio packets) so the streams stay in step (≤ one audio packet of
    drift per copy).
    """
    import av

    if dst.exists():
        with contextlib.suppress(Exception), av.open(str(dst)) as c:
            vs = c.streams.video[0]
            if vs.frames == copies * count_video_frames(src):
                return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.stem + ".partial.mp4")
    with av.open(str(src)) as probe_c:
        vs = probe_c.streams.video[0]
        v_len = float(vs.duration * vs.time_base)
    out = av.open(str(tmp), "w", format="mp4")
    try:
        with av.open(str(src)) as c0:
            ov = out.add_stream_from_template(c0.streams.video[0])
            oa = out.add_stream_from_template(c0.streams.audio[0]) if c0.streams.audio else None
        a_offset = 0.0
        for k in range(copies):
            v_offset = k * v_len
            a_end = a_offset
            with av.open(str(src)) as c:
                for packet in c.demux():
                    if packet.dts is None or packet.time_base is None:
                        continue
                    tb = packet.time_base
                    if packet.stream.type == "video":
                        shift, target = int(round(v_offset / tb)), ov
                    elif packet.stream.type == "audio" and oa is not None:
                        start = float((packet.pts if packet.pts is not None else packet.dts) * tb)
                        if start >= v_len:
                            continue
                        shift, target = int(round(a_offset / tb)), oa
                        a_end = max(a_end, a_offset + start + float((packet.duration or 0) * tb))
                    else:
                        continue
                    if packet.pts is not None:
                        packet.pts += shift
                    packet.dts += shift
                    packet.stream = target
                    out.mux(packet)
            a_offset = a_end
        out.close()
    except BaseException:
        with contextlib.suppress(Exception):
            out.close()
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, dst)
    return dst


def cpu_busy(interval: float = 1.0) -> float:
    """Fraction of all CPUs busy over ``interval`` seconds (from /proc/stat): between cases,
    this is what the rest of the machine is using."""

    def sample() -> tuple[int, int]:
        with contextlib.suppress(OSError):
            f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            idle = f[3] + (f[4] if len(f) > 4 else 0)
            return sum(f), idle
        return 0, 0

    t0, i0 = sample()
    time.sleep(interval)
    t1, i1 = sample()
    return 1.0 - (i1 - i0) / (t1 - t0) if t1 > t0 else float("nan")


QUIET = 0.15
"""Between cases, wait (up to ``--wait-quiet`` seconds) until other work uses at most this
fraction of the CPUs."""


def run_case(name: str, args: list[str], timeout: float, wait_quiet: float = 0.0) -> dict[str, Any]:
    """Run one case in a fresh interpreter; return its JSON result (plus the machine's load)."""
    busy = cpu_busy()
    deadline = time.monotonic() + wait_quiet
    while busy > QUIET and time.monotonic() < deadline:
        print(f"  (others use {busy:.0%} of the CPUs; waiting)", flush=True)
        time.sleep(4.0)
        busy = cpu_busy()
    load0 = os.getloadavg()[0]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", name, *args]
    print(f"  running {name} ...", end="", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(" failed")
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"case {name} failed (exit {proc.returncode})")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    res: dict[str, Any] = json.loads(lines[-1])
    res["load1_before"] = load0
    res["others_busy_before"] = busy
    res["load1_after"] = os.getloadavg()[0]
    res["process_wall_s"] = wall
    extra = f" {res['fps']:.1f} fps" if "fps" in res else ""
    print(f" done in {wall:.0f} s{extra}", flush=True)
    return res


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = float("nan")
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024.0 / 1024.0
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            versions[p] = "not installed"
    ffmpeg = "?"
    with contextlib.suppress(Exception):
        import av

        ffmpeg = ".".join(str(x) for x in av.library_versions["libavcodec"]) + " (libavcodec)"
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "mem_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "pyav_libavcodec": ffmpeg,
        "load_avg_start": os.getloadavg(),
    }


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median fps over repetitions, the largest peak RSS seen."""
    return {
        "reps": len(runs),
        "frames": runs[0]["frames"],
        "fps": _median(runs, "fps"),
        "fps_min": min(r["fps"] for r in runs),
        "fps_max": max(r["fps"] for r in runs),
        "wall_s": _median(runs, "wall_s"),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "helper_peak_rss_mb": max(r["helper_peak_rss_mb"] for r in runs),
        "rss_before_mb": _median(runs, "rss_before_mb"),
        "cpu_per_wall": _median(runs, "cpu_total_s") / _median(runs, "wall_s"),
        "cpu_ms_per_frame": 1000.0 * _median(runs, "cpu_total_s") / runs[0]["frames"],
        "load1": max(max(r["load1_before"], r["load1_after"]) for r in runs),
        "others_busy": max(r["others_busy_before"] for r in runs),
        "runs": runs,
    }


def render_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    cases = res["cases"]
    L: list[str] = []
    L.append(f"Measured {res['date']} with `{res['command']}`.")
    L.append("")
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    L.append(
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gb']} GB RAM, Python {m['python']}, "
        f"{m['platform']}; {pk}; PyAV's libavcodec {m['pyav_libavcodec']}. "
        f"Load average (1 min) at start: {m['load_avg_start'][0]:.2f}; highest seen around a "
        f"case: {res['max_load']:.2f}."
    )
    L.append("")
    L.append(
        "| case | input | frames | runs | fps (median) | fps range | wall s | "
        "peak RSS, Python MiB | peak RSS, helper MiB | CPU s / wall s | CPU ms / frame | "
        "others' CPU before |"
    )
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c in cases.items():
        helper = f"{c['helper_peak_rss_mb']:.0f}" if c["helper_peak_rss_mb"] > 0 else "–"
        L.append(
            f"| {name} | {c['input']} | {c['frames']} | {c['reps']} | {c['fps']:.1f} | "
            f"{c['fps_min']:.1f}–{c['fps_max']:.1f} | {c['wall_s']:.1f} | "
            f"{c['peak_rss_mb']:.0f} | {helper} | {c['cpu_per_wall']:.2f} | "
            f"{c['cpu_ms_per_frame']:.1f} | "
            f"{100 * c['others_busy']:.0f} % |"
        )
    L.append("")
    L.append(
        "fps = output frames / wall seconds from opening the source to the finished file "
        "(audio included); the segmenter is loaded before the clock starts. Peak RSS, Python = "
        "`ru_maxrss` of the case's own process (fresh per case; includes Backdrop's in-process "
        "PyAV decode and x264/VP9 encode). Peak RSS, helper = the largest subprocess it "
        "waited for (moviepy's ffmpeg reader/writer). CPU s / wall s = how many of the cores "
        "were busy on average (process + helpers); CPU ms / frame = the CPU time (all threads, "
        "process + helpers) spent per output frame. Others' CPU before = the largest share of the "
        "CPUs that other processes used in the second before a run of the case (other work "
        "on the machine slows the figures down)."
    )
    L.append("")
    trace = res["long_rss_trace"]
    if trace:
        pts = ", ".join(f"{f / res['fps_in']:.0f} s: {mb:.0f}" for f, mb in trace)
        L.append(
            f"Current RSS (MiB) of the long run ({res['long_name']}) by position in the video: "
            f"{pts}."
        )
        L.append("")
    sp = res["speedups"]
    L.append("| comparison | speed-up of Backdrop |")
    L.append("|---|---:|")
    for k, v in sp.items():
        L.append(f"| {k} | {v:.2f}× |")
    L.append("")
    st = res["stages"]
    ms = st["ms_per_frame"]
    L.append(
        f"Per-stage cost, one process, no overlap ({st['frames']} frames, "
        f"{st['segmented']} segmented; ms per frame):"
    )
    L.append("")
    L.append("| stage | ms / frame | share of MP4 path |")
    L.append("|---|---:|---:|")
    mp4_path = ["decode", "segment", "alpha", "compose", "encode_mp4"]
    total = sum(ms[k] for k in mp4_path)
    labels = {
        "decode": "decode (PyAV, H.264 → RGB)",
        "segment": "segment (selfie model + smoothing)",
        "model": "  of which the LiteRT model (resize + invoke)",
        "alpha": "alpha / edges (guided filter, full-res)",
        "compose": "composite (background + blend)",
        "encode_mp4": "encode MP4 (RGB → I420, x264 veryfast, audio copy)",
        "encode_webm": "encode WebM alpha (RGBA → yuva420p, VP9 realtime)",
    }
    for k in ("decode", "segment", "model", "alpha", "compose", "encode_mp4"):
        if k == "model" and ms[k] == 0.0:
            continue  # the segmenter could not be reached to time it on its own
        share = f"{100 * ms[k] / total:.0f} %" if k != "model" else ""
        L.append(f"| {labels[k]} | {ms[k]:.2f} | {share} |")
    L.append(f"| **sum, MP4 path** | **{total:.2f}** (= {1000 / total:.1f} fps sequential) | |")
    L.append(f"| {labels['encode_webm']} | {ms['encode_webm']:.2f} | (extra) |")
    L.append("")
    L.append("Targets from the issue:")
    L.append("")
    for line in res["targets"]:
        L.append(f"- {line}")
    L.append("")
    return "\n".join(L)


def main_parent(args: argparse.Namespace) -> None:
    from backdrop.perception.core.media import probe

    quick = args.quick
    reps, reps_other, reps_long = (1, 1, 1) if quick else (5, 3, 2)
    copies = 3 if quick else 6
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}")
    print(f"load average at start: {info['load_avg_start']}")
    long_path = OUT / f"long{copies}x.mp4"
    print(f"building {long_path.relative_to(ROOT)} ({copies}× the sample, stream copy)", flush=True)
    make_long(SAMPLE, long_path, copies)
    src, tmo = str(SAMPLE), 600.0

    def rel(p: Path | str) -> str:
        return str(Path(p).resolve().relative_to(ROOT))

    def runs(case: str, case_args: list[str], n: int) -> list[dict[str, Any]]:
        return [run_case(case, case_args, tmo, args.wait_quiet) for _ in range(n)]

    medium, veryfast = "naive moviepy, preset medium (default)", "naive moviepy, preset veryfast"
    long_name = f"backdrop-long ({copies}×)"
    mp4, webm = str(OUT / "backdrop.mp4"), str(OUT / "backdrop.webm")
    raw: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    raw["backdrop"] = (rel(src), runs("backdrop", [src, mp4], reps))
    raw["backdrop, preview default masker (pose crops)"] = (
        rel(src),
        runs("backdrop", [src, mp4, "--default-masker"], reps_other),
    )
    raw["backdrop+webm"] = (rel(src), runs("backdrop", [src, mp4, "--alpha", webm], reps_other))
    raw[long_name] = (
        rel(long_path),
        runs("backdrop", [str(long_path), str(OUT / "backdrop-long.mp4")], reps_long),
    )
    naive_out = str(OUT / "naive.mp4")
    raw[medium] = (rel(src), runs("naive", [src, naive_out, "--preset", "medium"], reps_other))
    raw[veryfast] = (rel(src), runs("naive", [src, naive_out, "--preset", "veryfast"], reps_other))
    stage_args = [src, str(OUT)] + (["--max-frames", "120"] if quick else [])
    stages = run_case("stages", stage_args, tmo, args.wait_quiet)

    cases: dict[str, Any] = {}
    for name, (inp, runs) in raw.items():
        for r in runs:
            r["cpu_total_s"] = r["cpu_s"] + r["helper_cpu_s"]
        c = summarise(runs)
        c["input"] = inp
        cases[name] = c
    bd = cases["backdrop"]
    long_c, nm, nv = cases[long_name], cases[medium], cases[veryfast]
    speedups = {
        "vs naive moviepy, preset medium (moviepy's default)": bd["fps"] / nm["fps"],
        "vs naive moviepy, preset veryfast (same x264 preset as Backdrop)": bd["fps"] / nv["fps"],
    }
    ratio = long_c["peak_rss_mb"] / bd["peak_rss_mb"]
    yes = {True: "**met**", False: "**not met**"}
    targets = [
        f"≥ {TARGET_FPS:.0f} fps end-to-end at 720p on {info['nproc']} cores: "
        f"{yes[bd['fps'] >= TARGET_FPS]} ({bd['fps']:.1f} fps, median of {bd['reps']}; with the "
        f"WebM alpha output too: {cases['backdrop+webm']['fps']:.1f} fps).",
        f"≥ {TARGET_SPEEDUP:.0f}× the naive pipeline: vs moviepy defaults (preset medium) "
        f"{yes[bd['fps'] / nm['fps'] >= TARGET_SPEEDUP]} ({bd['fps'] / nm['fps']:.2f}×); vs "
        f"moviepy with preset veryfast {yes[bd['fps'] / nv['fps'] >= TARGET_SPEEDUP]} "
        f"({bd['fps'] / nv['fps']:.2f}×).",
        f"memory flat in video length: {yes[ratio <= FLAT_RATIO]} (peak RSS "
        f"{bd['peak_rss_mb']:.0f} MiB on {bd['frames']} frames vs {long_c['peak_rss_mb']:.0f} "
        f"MiB on {long_c['frames']} frames: ×{ratio:.3f}; 'flat' = within ×{FLAT_RATIO}).",
    ]
    full_trace = long_c["runs"][-1]["rss_trace"]
    step = max(1, len(full_trace) // 6)
    long_trace = full_trace[::step] + ([full_trace[-1]] if (len(full_trace) - 1) % step else [])
    loads = [c["load1"] for c in cases.values()] + [stages["load1_before"], stages["load1_after"]]
    cmd = "python benchmarks/bench_pipeline.py" + (" --quick" if quick else "")
    if args.wait_quiet:
        cmd += f" --wait-quiet {args.wait_quiet:g}"
    res = {
        "date": dt.date.today().isoformat(),
        "command": cmd,
        "quick": quick,
        "machine": info,
        "max_load": max(loads),
        "cases": cases,
        "speedups": speedups,
        "memory_ratio_long_over_short": ratio,
        "long_name": long_name,
        "long_rss_trace": long_trace,
        "fps_in": probe(SAMPLE).fps,
        "stages": stages,
        "targets": targets,
    }
    md = render_markdown(res)
    suffix = "-quick" if quick else ""
    (OUT / f"bench_pipeline{suffix}.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / f"bench_pipeline{suffix}.md").write_text(md)
    print()
    print(md)
    print(f"written: out/bench/bench_pipeline{suffix}.md, out/bench/bench_pipeline{suffix}.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repetition, shorter long input")
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help=f"before each case wait up to S seconds for other work to drop to {QUIET:.0%}% CPU",
    )
    ap.add_argument("--case", choices=["backdrop", "naive", "stages"], help=argparse.SUPPRESS)
    ap.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--alpha", help=argparse.SUPPRESS)
    ap.add_argument("--default-masker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--preset", default="medium", help=argparse.SUPPRESS)
    ap.add_argument("--max-frames", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case is None:
        main_parent(args)
        return
    src, dst = Path(args.paths[0]), Path(args.paths[1])
    if args.case == "backdrop":
        alpha = Path(args.alpha) if args.alpha else None
        out = case_backdrop(src, dst, alpha, args.default_masker)
    elif args.case == "naive":
        out = case_naive(src, dst, args.preset)
    else:
        out = case_stages(src, dst, args.max_frames)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
