"""Rebuild the two short clips the objects tests use, from the project's shared media.

    python tests/data/objects/make_clips.py

* ``bedroom.mp4`` — frames 90–179 (3.0–6.0 s) of SAM 2's ``notebooks/videos/bedroom.mp4`` (two
  children jumping on a bed; Apache-2.0, ``LICENSE.sam2``), scaled to 480×270, 30 fps, no audio.
* ``juggle.mp4`` — 1.5–3.5 s of SAM 2's ``demo/data/gallery/05_default_juggle.mp4`` (a person
  juggling a football; Apache-2.0, ``LICENSE.sam2``; also ``examples/sample.mp4``), scaled to
  640×360, 24 fps, no audio.

Both are H.264 (x264 crf 23); the frames are only scaled, never otherwise changed.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2

HERE = Path(__file__).resolve().parent
MEDIA = HERE.parents[3] / "shared" / "media" / "sam2"


def cut(src: Path, dst: Path, t0: float, t1: float, size: tuple[int, int]) -> None:
    with av.open(str(src)) as inp:
        vin = inp.streams.video[0]
        fps = Fraction(vin.average_rate).limit_denominator(1001)
        out = av.open(str(dst), "w")
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        vs.options = {"crf": "23", "preset": "medium"}
        for frame in inp.decode(vin):
            t = float(frame.pts * vin.time_base)
            if t < t0 - 1e-6 or t >= t1 - 1e-6:
                continue
            rgb = cv2.resize(frame.to_ndarray(format="rgb24"), size, interpolation=cv2.INTER_AREA)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        out.close()


if __name__ == "__main__":
    cut(MEDIA / "notebooks/videos/bedroom.mp4", HERE / "bedroom.mp4", 3.0, 6.0, (480, 270))
    cut(MEDIA / "demo/data/gallery/05_default_juggle.mp4", HERE / "juggle.mp4", 1.5, 3.5,
        (640, 360))  # fmt: skip
