"""Benchmark: Backdrop's render pipeline against the codec floor and a naive moviepy script.

Run from the repository root (unattended; it never asserts a timing)::

    .venv/bin/python benchmarks/bench_pipeline.py              # full (~15 min on 2 quiet cores)
    .venv/bin/python benchmarks/bench_pipeline.py --quick      # 1 run per case, 1080p only
    .venv/bin/python benchmarks/bench_pipeline.py --wait-quiet 30   # wait for a quiet machine

It prints a Markdown report and writes it to ``out/bench/bench_pipeline[-quick].md`` and
``.json`` (every run's raw figures). Each measured case runs in a fresh Python subprocess (this
file with ``--case``), so the peak memory (``ru_maxrss``) of one case cannot leak into another,
and the cases of one input are interleaved repetition by repetition, so drift in other work on
the machine hits them alike. Medians of ``--reps`` runs (default 3).

Cases, on ``examples/sample.mp4`` (1280×720, 24 fps, 247 frames, AAC) and on s18 from the shared
media looped twice (1280×720, 30 fps, 564 frames; skipped — and said so — when the shared media
is absent), all with the demo plan (keep the person, blue → purple gradient fading in over 2 s)
to H.264 MP4 (crf 20, the source's audio copied; x264 ``ultrafast`` for the floor and the
preview tier, ``veryfast`` for exports, :mod:`backdrop.render.writer`):

* ``floor``: the codec floor — the same :func:`~backdrop.render.pipeline.render_video` call with
  an empty plan: decode, RGB → I420, x264 and the audio copy only, same settings, no masking.
* ``preview``: the preview tier — the default masker (pose-guided crops) with the preview's
  fast edges (``quality=False``).
* ``export``: what ``backdrop edit`` writes — the default masker with the quality edges
  (decontamination, auto despill); also scaled to 1920×1080 and 3840×2160 (``--size``) with peak
  RSS, at 4K on the sample ×3 to see whether memory grows with length, and on the sample
  re-encoded at 1920×1080 (a native 1080p input: the edit itself at 1080p, not scaled up).
* ``naive``: moviepy 2 ``VideoFileClip(...).transform(fn)`` where ``fn`` runs the selfie
  segmenter (same LiteRT build and threads) on each frame, upsamples the mask and composites with
  numpy float maths; ``write_videofile(codec="libx264", audio=True)`` with moviepy's defaults
  (preset ``medium``) — what a user writes in 20 lines; ``naive-veryfast`` the same with
  Backdrop's preset.
* ``preview-serial``: the preview tier with the masker in the compositing thread
  (``render.pipeline.MASK_THREAD = False``), to see what the masking thread buys.
* ``preview-1mask``: the preview tier with the masker's two stages in one thread
  (``render.pipeline.MASK_STAGES = False``), to see what the second masking thread buys.
* ``preview-1thread``: the preview tier with one LiteRT thread per masker model
  (``perception.vision.person_crop.MODEL_THREADS = 1``; the masks are the same), to see whether
  the models' second thread pays where the cores are busy anyway.
* ``preview-cv1``: the preview tier with OpenCV's thread pool off (``cv2.setNumThreads(1)``;
  the pipeline's own threads already fill the cores), to see whether its pool costs CPU.
* ``stages``: the preview tier frame by frame with no overlap, timing each stage.

Reported per case: fps, CPU ms per output frame (process + helper processes), cores busy, peak
RSS, the share of the codec floor and the wall-time and CPU-per-frame ratios against the naive
script on the same input, with the issue's targets said met / not met.
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

S18_REL = Path("liveportrait/assets/examples/source/s18.mp4")
"""s18 in the shared media folder (a talking head, 1280×720, 30 fps, 282 frames)."""
NATIVE_1080P = "{} at 1920×1080 (native 1080p input)"
"""The input label of the export edited at 1080p (``make_native``)."""
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
    src: Path,
    dst: Path,
    alpha: Path | None,
    default_masker: bool = False,
    tier: str = "selfie",
    size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One render of ``src`` to ``dst``. ``tier``: ``floor`` (an empty plan: decode → encode
    only, the same code path and x264 settings, no masking), ``preview`` (the preview tier: the
    default masker, fast edges), ``export`` (the default masker with the quality edges, what
    ``backdrop edit`` writes), ``selfie`` (the whole-frame selfie masker, the naive script's
    model, with fast edges). ``size`` scales the output (``--size``)."""
    from backdrop.perception.core.media import probe
    from backdrop.render.maskers import build_masker
    from backdrop.render.pipeline import render_video
    from backdrop.render.plan import EditPlan

    if tier == "preview-serial":  # the preview tier with the masker in the caller's thread
        import backdrop.render.pipeline as pipeline_mod

        pipeline_mod.MASK_THREAD = False
        tier = "preview"
    elif tier == "preview-1mask":  # the masker's two stages in one thread (before issue 14's split)
        import backdrop.render.pipeline as pipeline_mod

        pipeline_mod.MASK_STAGES = False
        tier = "preview"
    elif tier == "preview-cv1":  # OpenCV's own thread pool off (issue 14)
        import cv2

        cv2.setNumThreads(1)
        tier = "preview"
    elif tier == "preview-1thread":  # one LiteRT thread per masker model (issue 14)
        import backdrop.perception.vision.person_crop as person_crop_mod

        person_crop_mod.MODEL_THREADS = 1
        tier = "preview"
    info = probe(src)
    plan = EditPlan() if tier == "floor" else demo_plan()
    # loaded before the clock starts: the selfie masker (same model as the naive script), or
    # the preview default the plan gets (pose-guided crops when the pose models are installed)
    masker: Any = None
    if tier in ("preview", "export") or default_masker:
        masker = build_masker(info, plan)
    elif tier == "selfie":
        masker = SelfieMasker(info.width, info.height)
    trace: list[tuple[int, float]] = []  # (frames done, current RSS MiB), every 2 s of video
    every = max(1, round(2 * info.fps))

    def progress(done: int, total: int, elapsed: float) -> None:
        if done % every == 0:
            trace.append((done, rss_now_mb()))

    rss_before = rss_now_mb()
    c0 = usage()["cpu_s"]
    t0 = time.perf_counter()
    stats = render_video(
        src, plan, dst, alpha=alpha, masker=masker, progress=progress,
        quality=tier == "export", size=size,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    u = usage()
    u["cpu_s"] -= c0  # the render's CPU only (not imports and model loading)
    return {
        "rss_trace": trace,
        "frames": stats.frames,
        "wall_s": wall,
        "fps": stats.frames / wall,
        "render_fps": stats.fps,
        "rss_before_mb": rss_before,
        "out_frames": count_video_frames(dst),
        **u,
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
    c0 = usage()["cpu_s"]
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
    u = usage()
    u["cpu_s"] -= c0
    frames = count_video_frames(dst)
    return {
        "frames": frames,
        "fn_calls": calls[0],
        "wall_s": wall,
        "fps": frames / wall,
        "rss_before_mb": rss_before,
        "out_frames": frames,
        **u,
    }


def _patch_models(timed: Any) -> Any:
    """Wrap the masker's model calls (pose detector, pose landmarker, selfie segmenter) on
    their classes with ``timed(fn, "model")``; returns the function that undoes it."""
    from backdrop.perception.vision import person_crop, segment

    patched = []
    for cls, attr in (
        (person_crop.PoseLandmarker, "run"),
        (person_crop.PoseDetector, "detect"),
        (segment.SelfieSegmenter, "predict"),
    ):
        orig = cls.__dict__[attr]
        setattr(cls, attr, timed(orig, "model"))
        patched.append((cls, attr, orig))

    def undo() -> None:
        for cls, attr, orig in patched:
            setattr(cls, attr, orig)

    return undo


def case_stages(src: Path, out_dir: Path, max_frames: int | None) -> dict[str, Any]:
    """Each stage of the preview tier (default masker, fast edges) timed on its own,
    sequentially, in one process (no overlap)."""
    import backdrop.render.compose as compose_mod
    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.compose import Compositor
    from backdrop.render.maskers import build_masker
    from backdrop.render.writer import PREVIEW_PRESET, Mp4Writer, WebmAlphaWriter

    info = probe(src)
    plan = demo_plan()
    comp = Compositor(plan, info.width, info.height, info.duration)
    masker = build_masker(info, plan)
    acc = dict.fromkeys(
        ("decode", "segment", "model", "alpha", "compose", "encode_mp4", "encode_webm"), 0.0
    )
    pc = time.perf_counter

    def timed(fn: Any, key: str) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            s = pc()
            try:
                return fn(*a, **k)
            finally:
                acc[key] += pc() - s

        return wrapper

    orig_alpha = compose_mod.alpha_from_mask
    compose_mod.alpha_from_mask = timed(orig_alpha, "alpha")  # type: ignore[assignment]
    # the model calls (LiteRT invoke and their input/output handling), wherever the masker
    # holds them: patched on the model classes, since the rule masker builds its person masker
    # on the first frame (instance attributes looked up here found nothing: the row read 0)
    undo = _patch_models(timed)
    end = info.duration
    audio = src if info.has_audio else None
    mp4 = Mp4Writer(  # with the preview tier's x264 preset, as its render_video
        out_dir / "stages.mp4", info.width, info.height, info.fps, audio, end, preset=PREVIEW_PRESET
    )
    webm = WebmAlphaWriter(out_dir / "stages.webm", info.width, info.height, info.fps, audio, end)
    i420 = info.width % 2 == 0 and info.height % 2 == 0  # as render_video's MP4 output
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
            c = comp.compose_i420(frame, t, mask) if i420 else comp.compose(frame, t, mask)
            acc["compose"] += pc() - s
            s = pc()
            if i420:
                mp4.write_i420(c.i420, t)
            else:
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
        undo()
        it.close()
    if segmented and not acc["model"]:
        raise RuntimeError("no model call was timed: the masker's model classes changed")
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
                        if start >= v_len or (k > 0 and start < 0):
                            continue  # past the video, or a later copy's priming packets
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


def make_native(src: Path, dst: Path, width: int, height: int) -> Path:
    """``src`` re-encoded at ``width×height`` (bicubic, x264 veryfast crf 16, audio copied):
    an input that is natively that size, so the export edits it there (the 1080p row's other
    half: scaling a 720p edit up leaves the edge work at 720p). Made once, then reused."""
    import av
    import cv2

    if dst.exists():
        with contextlib.suppress(Exception), av.open(str(dst)) as c:
            vs = c.streams.video[0]
            if (vs.width, vs.height) == (width, height) and vs.frames == count_video_frames(src):
                return dst
    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.writer import Mp4Writer

    info = probe(src)
    tmp = dst.with_name(dst.stem + ".partial.mp4")
    audio = src if info.has_audio else None
    with Mp4Writer(tmp, width, height, info.fps, audio, info.duration, crf=16) as w:
        for t, frame in iter_frames(src):
            w.write(cv2.resize(frame, (width, height), interpolation=cv2.INTER_CUBIC), t)
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
    """Medians over repetitions, the largest peak RSS seen."""
    for r in runs:
        r["cpu_total_s"] = r["cpu_s"] + r["helper_cpu_s"]
        r["cpu_ms_per_frame"] = 1000.0 * r["cpu_total_s"] / r["frames"]
    return {
        "reps": len(runs),
        "frames": runs[0]["frames"],
        "fps": _median(runs, "fps"),
        "fps_min": min(r["fps"] for r in runs),
        "fps_max": max(r["fps"] for r in runs),
        "wall_s": _median(runs, "wall_s"),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "helper_peak_rss_mb": max(r["helper_peak_rss_mb"] for r in runs),
        "cpu_per_wall": _median(runs, "cpu_total_s") / _median(runs, "wall_s"),
        "cpu_ms_per_frame": _median(runs, "cpu_ms_per_frame"),
        "load1": max(max(r["load1_before"], r["load1_after"]) for r in runs),
        "others_busy": max(r["others_busy_before"] for r in runs),
        "runs": runs,
    }


CASE_LABELS = {
    "floor": "codec floor (decode + encode, no masking)",
    "preview": "backdrop preview tier (default masker, fast edges)",
    "preview-serial": "backdrop preview tier, masker in the compositing thread",
    "preview-1mask": "backdrop preview tier, the masker's two stages in one thread",
    "preview-1thread": "backdrop preview tier, one LiteRT thread per masker model",
    "preview-cv1": "backdrop preview tier, OpenCV on one thread (cv2.setNumThreads(1))",
    "export": "backdrop export (default masker, quality edges)",
    "selfie": "backdrop, whole-frame selfie masker, fast edges",
    "naive": "naive moviepy script (preset medium, moviepy's default)",
    "naive-veryfast": "naive moviepy script, preset veryfast",
}


def _case_args(kind: str, src: str, dst: str, size: str | None = None) -> tuple[str, list[str]]:
    """``(--case name, its arguments)`` for one of :data:`CASE_LABELS` (plus ``--size``)."""
    if kind.startswith("naive"):
        preset = "veryfast" if kind == "naive-veryfast" else "medium"
        return "naive", [src, dst, "--preset", preset]
    return "backdrop", [src, dst, "--tier", kind] + (["--size", size] if size else [])


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def render_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    L: list[str] = [f"Measured {res['date']} with `{res['command']}`.", ""]
    if res["busy"]:
        L += [
            f"**Busy machine:** other processes used up to {100 * res['busy']:.0f} % of the "
            "CPUs before a case (load average up to "
            f"{res['max_load']:.1f}); absolute figures are low, only the ratios measured in "
            "this run (same inputs, cases interleaved) mean much.",
            "",
        ]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    L += [
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_gb']} GB RAM, Python {m['python']}; "
        f"{pk}; PyAV's libavcodec {m['pyav_libavcodec']}.",
        "",
    ]
    for note in res["notes"]:
        L += [note, ""]
    L += [
        "| case | input | frames | runs | fps (median) | fps range | wall s | CPU ms / frame "
        "| cores busy | peak RSS MiB (helper) | share of codec floor | wall vs naive "
        "| CPU / frame vs naive | others' CPU before |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in res["cases"]:
        helper = f" ({c['helper_peak_rss_mb']:.0f})" if c["helper_peak_rss_mb"] > 0 else ""

        def opt(key: str, fmt: str, c: dict[str, Any] = c) -> str:
            return fmt.format(c[key]) if c.get(key) is not None else "–"

        L.append(
            f"| {c['label']} | {c['input']} | {c['frames']} | {c['reps']} | {c['fps']:.1f} | "
            f"{c['fps_min']:.1f}–{c['fps_max']:.1f} | {c['wall_s']:.1f} | "
            f"{c['cpu_ms_per_frame']:.1f} | {c['cpu_per_wall']:.2f} | "
            f"{c['peak_rss_mb']:.0f}{helper} | {opt('floor_share', '{:.0%}')} | "
            f"{opt('wall_vs_naive', '{:.2f}×')} | {opt('cpu_vs_naive', '{:.2f}×')} | "
            f"{100 * c['others_busy']:.0f} % |"
        )
    L += [
        "",
        "fps = output frames / wall seconds from the call to the finished file (audio "
        "included; models loaded before the clock starts). CPU ms / frame = CPU time of the "
        "run (all threads, the process and the helper processes it waited for, e.g. moviepy's "
        "ffmpeg) per output frame. Share of codec floor = fps / the codec floor's fps on the "
        "same input. Wall / CPU vs naive = Backdrop's wall time and CPU per frame over the "
        "naive script's on the same input (< 1 = Backdrop is cheaper). Peak RSS = `ru_maxrss` "
        "of the case's fresh process (helper: its largest subprocess).",
        "",
    ]
    st = res.get("stages")
    if st:
        ms = st["ms_per_frame"]
        path = ["decode", "segment", "alpha", "compose", "encode_mp4"]
        total = sum(ms[k] for k in path)
        labels = {
            "decode": "decode (PyAV, H.264 → RGB)",
            "segment": "segment (default masker: pose crops / selfie, smoothing)",
            "model": "  of which the models (LiteRT invoke, input/output)",
            "alpha": "alpha / edges (guided filter in the band around the outline)",
            "compose": "composite (background + blend into I420)",
            "encode_mp4": "encode MP4 (x264 ultrafast, audio copy)",
        }
        L += [
            f"Per-stage cost of the preview tier on {st['input']}, one process, no overlap "
            f"({st['frames']} frames, {st['segmented']} segmented; ms per frame):",
            "",
            "| stage | ms / frame | share of MP4 path |",
            "|---|---:|---:|",
        ]
        for k in ("decode", "segment", "model", "alpha", "compose", "encode_mp4"):
            share = f"{100 * ms[k] / total:.0f} %" if k != "model" else ""
            L.append(f"| {labels[k]} | {ms[k]:.2f} | {share} |")
        L += [f"| **sum** | **{total:.2f}** (= {1000 / total:.1f} fps sequential) | |", ""]
    L += ["Targets (issue 14):", ""] + [f"- {t}" for t in res["targets"]] + [""]
    return "\n".join(L)


def targets(cases: list[dict[str, Any]], flat: dict[str, float] | None) -> list[str]:
    """The issue's targets, each said met / not met from ``cases``."""
    out: list[str] = []
    by = {(c["kind"], c["input"], c.get("size")): c for c in cases}
    for c in cases:
        if c["kind"] != "preview" or c.get("size"):
            continue
        inp = c["input"]
        out.append(
            f"preview tier ≥ 90 fps at 720p, {inp}: {_yes(c['fps'] >= 90)} ({c['fps']:.1f} fps)"
        )
        if c.get("cpu_vs_naive") is not None:
            out.append(
                f"CPU / frame ≤ 0.6× naive and wall ≤ 0.5× naive, {inp}: "
                f"{_yes(c['cpu_vs_naive'] <= 0.6 and c['wall_vs_naive'] <= 0.5)} "
                f"(CPU {c['cpu_vs_naive']:.2f}×, wall {c['wall_vs_naive']:.2f}×)"
            )
        if c.get("floor_share") is not None:
            out.append(
                f"≥ 50 % of the codec floor, {inp}: {_yes(c['floor_share'] >= 0.5)} "
                f"({c['floor_share']:.0%} of {by[('floor', inp, None)]['fps']:.1f} fps)"
            )
    for c in cases:
        native = c["kind"] == "export" and c["input"].endswith("(native 1080p input)")
        if c["kind"] == "export" and (c.get("size") or native):
            goal = 8.0 if (c.get("size") or "").startswith("3840") else 40.0
            out.append(
                f"export at {c.get('size') or '1920x1080'} ≥ {goal:.0f} fps, {c['input']}: "
                f"{_yes(c['fps'] >= goal)} ({c['fps']:.1f} fps, peak RSS "
                f"{c['peak_rss_mb']:.0f} MiB)"
            )
    if flat:
        out.append(
            f"4K export memory flat in length: {_yes(flat['ratio'] <= FLAT_RATIO)} (peak RSS "
            f"{flat['short_mb']:.0f} MiB on {flat['short_frames']} frames, {flat['long_mb']:.0f} "
            f"MiB on {flat['long_frames']} frames: ×{flat['ratio']:.3f})"
        )
    return out


def main_parent(args: argparse.Namespace) -> None:
    quick = args.quick
    reps = args.reps or (1 if quick else 3)
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}")
    print(f"load average at start: {info['load_avg_start']}")
    notes: list[str] = []
    sample = Path(args.sample)
    first = "examples/sample.mp4" if sample == SAMPLE else str(sample)
    inputs: dict[str, Path] = {first: sample}
    s18 = Path(args.shared_media) / S18_REL
    if s18.is_file():
        looped = make_long(s18, OUT / "s18x2.mp4", 2)
        inputs[f"s18 ×2 ({S18_REL.name} looped)"] = looped
        notes.append(
            f"s18: `{S18_REL}` from the shared media (LivePortrait's example, 1280×720, 30 fps, "
            f"282 frames) looped twice by stream copy ({count_video_frames(looped)} frames)."
        )
    else:
        msg = f"shared media absent: {s18} not found, so the s18 cases were NOT run."
        print(msg)
        notes.append(f"**{msg}**")
    tmo = 900.0

    def run(kind: str, label_input: str, src: Path, size: str | None = None) -> dict[str, Any]:
        tag = f"{kind}-{size or 'src'}-{src.stem}"
        name, cargs = _case_args(kind, str(src), str(OUT / f"{tag}.mp4"), size)
        print(f"[{kind}{' ' + size if size else ''}] {label_input}", end="")
        return run_case(name, cargs, tmo, args.wait_quiet)

    # the comparison: codec floor, preview tier and the naive script, interleaved per repetition
    extra = ["export", "naive-veryfast", "preview-serial", "preview-1thread", "preview-cv1"]
    main_kinds = ["floor", "preview", "naive", "preview-1mask"] + ([] if quick else extra)
    raw: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    for label, src in inputs.items():
        kinds = main_kinds if label == first else ["floor", "preview", "naive", "preview-1mask"]
        for _ in range(reps):
            for kind in kinds:
                raw.setdefault((kind, label, None), []).append(run(kind, label, src))
    # exports scaled up (`--size 1080p`, `--size 4k`) from the sample
    sizes = args.sizes.split(",") if args.sizes else []
    native = None  # the sample re-encoded at 1080p: an export edited at 1080p (no scaling)
    if "1920x1080" in sizes:
        native = make_native(sample, OUT / f"{sample.stem}-1080p.mp4", 1920, 1080)
        notes.append(f"Native 1080p input: {first} re-encoded at 1920×1080 (bicubic, crf 16).")
    for size in sizes:
        for _ in range(reps):
            key = ("export", first, size)
            raw.setdefault(key, []).append(run("export", first, sample, size))
            if size == "1920x1080" and native is not None:
                key = ("export", NATIVE_1080P.format(first), None)
                raw.setdefault(key, []).append(run("export", key[1], native))
    flat = None
    if not quick and "3840x2160" in sizes:
        long_src = make_long(sample, OUT / f"{sample.stem}x3.mp4", 3)
        lr = run("export", f"{first} ×3", long_src, "3840x2160")
        raw[("export", f"{first} ×3", "3840x2160")] = [lr]
        short = raw[("export", first, "3840x2160")]
        short_mb = max(r["peak_rss_mb"] for r in short)
        flat = {
            "short_mb": short_mb,
            "short_frames": short[0]["frames"],
            "long_mb": lr["peak_rss_mb"],
            "long_frames": lr["frames"],
            "ratio": lr["peak_rss_mb"] / short_mb,
        }
    stage_args = [str(sample), str(OUT)] + (["--max-frames", "120"] if quick else [])
    print("[stages]", end="")
    stages = run_case("stages", stage_args, tmo, args.wait_quiet)
    stages["input"] = first

    cases: list[dict[str, Any]] = []
    for (kind, label, size), runs in raw.items():
        c = summarise(runs)
        c.update(kind=kind, input=label, size=size)
        c["label"] = CASE_LABELS[kind] + (f", output {size}" if size else "")
        floor, naive = raw.get(("floor", label, None)), raw.get(("naive", label, None))
        c["floor_share"] = c["fps"] / summarise(floor)["fps"] if floor and kind != "floor" else None
        c["wall_vs_naive"] = c["cpu_vs_naive"] = None
        if naive and not kind.startswith("naive") and size is None:
            n = summarise(naive)
            c["wall_vs_naive"] = (c["wall_s"] / c["frames"]) / (n["wall_s"] / n["frames"])
            c["cpu_vs_naive"] = c["cpu_ms_per_frame"] / n["cpu_ms_per_frame"]
        cases.append(c)
    busy = max(c["others_busy"] for c in cases)
    cmd = "python benchmarks/bench_pipeline.py" + (" --quick" if quick else "")
    if args.wait_quiet:
        cmd += f" --wait-quiet {args.wait_quiet:g}"
    res = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": cmd,
        "quick": quick,
        "machine": info,
        "busy": busy if busy > QUIET else 0.0,
        "max_load": max(c["load1"] for c in cases),
        "notes": notes,
        "cases": cases,
        "stages": stages,
        "targets": targets(cases, flat),
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
    ap.add_argument("--quick", action="store_true", help="one repetition, no 4K length check")
    ap.add_argument("--reps", type=int, help="repetitions per case (default 3; 1 with --quick)")
    ap.add_argument(
        "--sizes",
        default=None,
        help="exports scaled to these sizes, comma-separated WxH "
        "(default 1920x1080,3840x2160; with --quick 1920x1080; '' for none)",
    )
    ap.add_argument("--sample", default=str(SAMPLE), help="the first input (default the sample)")
    ap.add_argument(
        "--shared-media",
        default=str(ROOT.parent / "shared" / "media"),
        help="folder of the shared media (for s18); absent = those cases are skipped, said so",
    )
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help=f"before each case wait up to S seconds for other work to drop to "
        f"{QUIET * 100:.0f}%% CPU",
    )
    ap.add_argument("--case", choices=["backdrop", "naive", "stages"], help=argparse.SUPPRESS)
    ap.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--alpha", help=argparse.SUPPRESS)
    ap.add_argument("--default-masker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tier", default="selfie", help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    ap.add_argument("--preset", default="medium", help=argparse.SUPPRESS)
    ap.add_argument("--max-frames", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case is None:
        if args.sizes is None:
            args.sizes = "1920x1080" if args.quick else "1920x1080,3840x2160"
        main_parent(args)
        return
    src, dst = Path(args.paths[0]), Path(args.paths[1])
    if args.case == "backdrop":
        alpha = Path(args.alpha) if args.alpha else None
        size = tuple(int(v) for v in args.size.split("x")) if args.size else None
        out = case_backdrop(src, dst, alpha, args.default_masker, args.tier, size)  # type: ignore[arg-type]
    elif args.case == "naive":
        out = case_naive(src, dst, args.preset)
    else:
        out = case_stages(src, dst, args.max_frames)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
