"""Backdrop from Python: one instruction, a plan re-rendered, and a moviepy effect.

    .venv/bin/python examples/python_api.py [VIDEO] [--out out/api]

Uses ``examples/sample.mp4`` (the juggler) by default, cut to its first 2 seconds so it runs in
well under a minute on a laptop. Writes, in ``--out``:

* ``edit.mp4`` and ``edit-plan.json`` — ``backdrop.edit(…, "make the background blue and keep
  the person and the ball")`` (the ball is found by the embedded object detector);
* ``render.webm`` — that plan rendered again with ``backdrop.render`` to VP9 with alpha;
* ``moviepy.mp4`` — the juggler cut out with ``backdrop.moviepy.Backdrop("remove the
  background")`` and composited by moviepy over a sunset-coloured clip.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from moviepy import ColorClip, CompositeVideoClip, VideoFileClip

import backdrop
import backdrop.moviepy

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", type=Path, default=HERE / "sample.mp4")
    ap.add_argument("--out", type=Path, default=Path("out/api"))
    ap.add_argument("--seconds", type=float, default=2.0, help="use only the first N seconds")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    source = VideoFileClip(str(args.video))
    short = source.subclipped(0, min(args.seconds, source.duration)).resized(height=360)
    with tempfile.TemporaryDirectory() as tmp:
        clip_path = Path(tmp) / "clip.mp4"
        short.write_videofile(str(clip_path), logger=None, audio=False)

        # 1. one instruction, rendered (the same path as `backdrop edit`)
        result = backdrop.edit(
            clip_path,
            "make the background blue and keep the person and the ball",
            out=args.out / "edit.mp4",
        )
        print(result.reply)
        result.plan.save(args.out / "edit-plan.json")

        # 2. the plan again, to an alpha video (the same path as `backdrop render`)
        stats = backdrop.render(clip_path, args.out / "edit-plan.json",
                                alpha=args.out / "render.webm")  # fmt: skip
        print(f"rendered {stats.frames} frames to {', '.join(map(str, stats.outputs))}")

    # 3. a moviepy effect: the cut-out carries its mask, so moviepy composites it over a clip
    effect = backdrop.moviepy.Backdrop("remove the background")
    person = short.with_effects([effect])
    print(effect.reply)
    sunset = ColorClip(short.size, color=(249, 115, 22), duration=short.duration)
    CompositeVideoClip([sunset, person]).write_videofile(
        str(args.out / "moviepy.mp4"), logger=None, audio=False
    )
    print(f"wrote {args.out / 'edit.mp4'}, {args.out / 'render.webm'}, {args.out / 'moviepy.mp4'}")
    source.close()


if __name__ == "__main__":
    main()
