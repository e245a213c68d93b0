"""Edge cost per frame: the preview's fast edge vs the quality settings (issue 16).

Run: ``.venv/bin/python benchmarks/bench_edges.py [--video examples/sample.mp4] [--frames 12]``.

Masks are made once with the preview person masker; then each edge mode composites the same
frames onto a colour (median ms per frame, after one warm-up frame):

* ``preview`` — ``Compositor(...)`` as the session's preview uses it (the fast guided edge);
  ``--other`` with ``PYTHONPATH`` set to another checkout times that checkout's preview;
* ``quality guided`` — ``Compositor(..., quality=True)`` with the default edge settings (what
  an export does now: guided edge + foreground decontamination + auto despill);
* ``quality matte`` — the same with ``refine="matte"`` (closed-form matting in the band).

at the preview size (640 px wide) and at the video's own size. ``--export`` also times
``render_span`` over 3–5 s of the video at its own size with ``quality=False`` (the old export
edge), ``quality=True`` (the default now) and ``quality=True`` with ``refine="matte"``.

``--band VIDEO [VIDEO ...]`` (issue 14) compares the preview edge evaluated in the band around the
outline (now) with the whole-frame evaluation (before; ``edges.BAND_MAX_SHARE = -1``) in one
process, interleaved frame by frame, after a warm-up: CPU ms (``time.process_time``, all
threads) per call of ``alpha_from_mask`` and of ``Compositor.compose_i420`` on the first
``--frames`` frames with the default masker's masks, and per output frame of the whole preview
tier (``render_video``, default masker, fast edges, MP4), ``--reps`` renders of each,
alternating; medians. It also checks the two edges agree within 1/255.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import statistics
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
if "--other" not in sys.argv:  # --other: time whichever backdrop PYTHONPATH names
    sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", default=str(ROOT / "examples" / "sample.mp4"))
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--preview-only", action="store_true")
    ap.add_argument("--other", action="store_true", help="use the backdrop on PYTHONPATH")
    ap.add_argument("--export", action="store_true", help="also time exports (render_span)")
    ap.add_argument("--band", nargs="+", metavar="VIDEO", help="band vs whole-frame edge A/B")
    ap.add_argument("--reps", type=int, default=3, help="--band: renders of each variant")
    args = ap.parse_args()
    if args.band:
        for video in args.band:
            _band_ab(Path(video), args.frames, args.reps)
        return

    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.compose import Compositor
    from backdrop.render.maskers import PreviewPersonMasker
    from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan, KeepRule

    info = probe(args.video)
    sizes = {"preview 640": (640, round(info.height * 640 / info.width))}
    if not args.preview_only:
        sizes[f"full {info.width}"] = (info.width, info.height)
    seg = BackgroundSegment(background=ColorBackground(color="#1e3a8a"))
    plan = EditPlan(keep=[KeepRule()], backgrounds=[seg])
    has_quality = "quality" in inspect.signature(Compositor).parameters
    print(f"backdrop from {Path(sys.modules['backdrop'].__file__).parent.parent}")
    for label, (w, h) in sizes.items():
        masker = PreviewPersonMasker(dataclasses.replace(info, width=w, height=h))
        frames = []
        for i, (t, frame) in enumerate(iter_frames(args.video)):
            if i >= args.frames + 1:
                break
            small = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
            frames.append((t, small, masker(small, t)))
        modes = {"preview": (plan, {})}
        if has_quality and not args.preview_only:
            matte = plan.model_copy(update={"edges": plan.edges.model_copy(
                update={"refine": "matte"})})  # fmt: skip
            modes["quality guided"] = (plan, {"quality": True})
            modes["quality matte"] = (matte, {"quality": True})
        for name, (p, kw) in modes.items():
            comp = Compositor(p, w, h, info.duration, **kw)
            times = []
            for t, frame, mask in frames:
                t0 = time.perf_counter()
                comp.compose(frame, t, mask)
                times.append(time.perf_counter() - t0)
            ms = statistics.median(times[1:]) * 1000
            print(f"{label:>12s} {w}x{h}  {name:15s} {ms:8.1f} ms/frame")
    if args.export:
        _exports(args.video, plan)


def _exports(video: str, plan: object) -> None:
    import tempfile

    from backdrop.render.pipeline import render_span

    matte = plan.model_copy(update={"edges": plan.edges.model_copy(  # type: ignore[attr-defined]
        update={"refine": "matte"})})  # fmt: skip
    cases = (("preview edge", plan, False), ("quality guided", plan, True),
             ("quality matte", matte, True))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for name, p, q in cases:
            t0 = time.perf_counter()
            st = render_span(video, p, Path(tmp) / "span.mp4", 3.0, 5.0, warmup=0.0, quality=q)
            dt = time.perf_counter() - t0
            print(
                f"export 3–5 s  {name:15s} {st.frames} frames {dt:6.1f} s {st.frames / dt:5.1f} fps"
            )


def _band_ab(video: Path, n_frames: int, reps: int) -> None:
    """The band edge against the whole-frame edge on ``video`` (see the module docstring)."""
    import tempfile

    import numpy as np

    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render import edges
    from backdrop.render.compose import Compositor
    from backdrop.render.maskers import build_masker
    from backdrop.render.pipeline import render_video

    band_share = edges.BAND_MAX_SHARE

    def _whole_frame(on: bool) -> None:  # the whole-frame evaluation (before) or the band
        edges.BAND_MAX_SHARE = -1.0 if on else band_share

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_pipeline import demo_plan

    info, plan = probe(video), demo_plan()
    masker = build_masker(info, plan)
    frames = []
    for i, (t, frame) in enumerate(iter_frames(video)):
        if i >= n_frames:
            break
        frames.append((frame, masker(frame, t)))
    comp = Compositor(plan, info.width, info.height, info.duration)
    calls = {
        "alpha_from_mask": lambda f, m: edges.alpha_from_mask(m, f, plan.edges),
        "compose_i420 (with the edge)": lambda f, m: comp.compose_i420(f, 5.0, m),
    }
    worst = 0.0
    for f, m in frames:
        _whole_frame(True)
        whole = edges.alpha_from_mask(m, f, plan.edges)
        _whole_frame(False)
        worst = max(worst, float(np.abs(edges.alpha_from_mask(m, f, plan.edges) - whole).max()))
    print(f"{video.name} {info.width}x{info.height}: band vs whole frame, max |Δalpha| = "
          f"{worst * 255:.2f}/255 over {len(frames)} frames")  # fmt: skip
    for name, fn in calls.items():
        for f, m in frames * 3:  # warm-up
            for on in (True, False):
                _whole_frame(on)
                fn(f, m)
        times: dict[bool, list[float]] = {True: [], False: []}
        for rep in range(6):
            for i, (f, m) in enumerate(frames):
                for on in (True, False) if (i + rep) % 2 else (False, True):
                    _whole_frame(on)
                    c = time.process_time()
                    fn(f, m)
                    times[on].append(time.process_time() - c)
        w, b = (1000 * statistics.median(times[k]) for k in (True, False))
        print(f"  {name:30s} whole frame {w:6.2f}  band {b:6.2f} CPU ms/call "
              f"({b / w:.2f}×, median of {len(times[False])})")  # fmt: skip
    per_frame: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(reps):
            for on in (True, False) if rep % 2 else (False, True):
                _whole_frame(on)
                masker = build_masker(info, plan)
                c = time.process_time()
                st = render_video(video, plan, Path(tmp) / "out.mp4", masker=masker, quality=False)
                per_frame[on].append(1000 * (time.process_time() - c) / st.frames)
    _whole_frame(False)
    w, b = (statistics.median(per_frame[k]) for k in (True, False))
    print(f"  {'preview tier (render_video)':30s} whole frame {w:6.1f}  band {b:6.1f} CPU ms/frame "
          f"({b / w:.2f}×; runs: whole {[round(x) for x in per_frame[True]]}, "
          f"band {[round(x) for x in per_frame[False]]})")  # fmt: skip


if __name__ == "__main__":
    main()
