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
    args = ap.parse_args()

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


if __name__ == "__main__":
    main()
