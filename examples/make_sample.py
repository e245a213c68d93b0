"""Rebuild examples/sample.mp4 from ../shared/media (provenance of the sample clip).

Video: sam2 demo gallery ``05_default_juggle.mp4`` (Apache-2.0), stream-copied unchanged.
Audio: whisper.cpp ``samples/jfk.wav`` (MIT; public-domain speech), encoded as AAC and cut to
the video's length. Run: ``.venv/bin/python examples/make_sample.py``.
"""

from __future__ import annotations

from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
MEDIA = HERE.parent.parent / "shared" / "media"
VIDEO = MEDIA / "sam2/demo/data/gallery/05_default_juggle.mp4"
AUDIO = MEDIA / "whisper.cpp/samples/jfk.wav"


def main() -> None:
    vin, ain = av.open(str(VIDEO)), av.open(str(AUDIO))
    vs = vin.streams.video[0]
    end = float(vs.duration * vs.time_base)
    out = av.open(str(HERE / "sample.mp4"), "w", format="mp4", options={"movflags": "+faststart"})
    ov = out.add_stream_from_template(vs)
    oa = out.add_stream("aac", rate=16000)
    oa.layout = "mono"
    for packet in vin.demux(vs):
        if packet.dts is None:
            continue
        packet.stream = ov
        out.mux(packet)
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=16000)
    for frame in ain.decode(audio=0):
        if frame.time is not None and frame.time >= end:
            break
        frame.pts = None
        for f in resampler.resample(frame):
            out.mux(oa.encode(f))
    out.mux(oa.encode(None))
    out.close()


if __name__ == "__main__":
    main()
