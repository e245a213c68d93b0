"""Voice and audio benchmarks (issue 3): transcription speed and accuracy, end of speech → plan
latency, diarization error, active speaker on real talking heads (eval-only media, skipped with a
message when absent).

Run: ``.venv/bin/python benchmarks/bench_voice.py`` (2 CPU threads; needs espeak-ng for the
spoken-command figures).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backdrop.agent.interpret import SpeechInterpreter  # noqa: E402
from backdrop.agent.voice import load_audio, load_voice_input  # noqa: E402
from backdrop.perception.audio.asr import Transcriber, _load, load_asr_model  # noqa: E402
from backdrop.perception.audio.audio_analyzers import build_audio_analyzers  # noqa: E402
from backdrop.perception.audio.speakers import diarization_error_rate, read_rttm  # noqa: E402
from backdrop.perception.core.analysis import analyze  # noqa: E402
from backdrop.perception.core.events import ActiveSpeaker, SpeakerTurn, Speech  # noqa: E402
from backdrop.perception.core.media import probe  # noqa: E402
from backdrop.tools import PlanHistory, ToolContext  # noqa: E402
from tests.test_asr import JFK_TEXT, wer  # noqa: E402

AUDIO = ROOT / "tests" / "data" / "audio"
SHARED = ROOT.parent / "shared" / "media"
COMMANDS = (
    "make the background blue",
    "remove the background",
    "blur the background for the first ten seconds",
    "make the background red and fade it in over three seconds",
    "make the background a blue to purple gradient",
    "blur the background slightly",
    "undo that",
    "keep only the person who is talking",
    "remove the background only while someone is speaking",
    "blur the background when the second speaker talks",
)


def asr_figures() -> None:
    _load.cache_clear()
    t = time.perf_counter()
    model = load_asr_model()
    load_s = time.perf_counter() - t
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    tr = Transcriber(model)
    tr.transcribe(audio)  # warm
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        out = tr.transcribe(audio)
        runs.append(time.perf_counter() - t)
    dur = audio.size / 16000
    best = min(runs)
    print(f"ASR model load (tiny.en int8): {load_s:.2f} s")
    print(f"jfk.wav ({dur:.1f} s): transcribe {best:.2f} s best of 3 -> {dur / best:.1f}x real time"
          f" (RTF {best / dur:.3f}); WER {wer(JFK_TEXT, out.text):.3f}")  # fmt: skip


def command_figures() -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        print("spoken commands: SKIPPED (espeak-ng not installed)")
        return
    voice = load_voice_input()
    errs, words, lat, same = 0.0, 0, [], 0
    with tempfile.TemporaryDirectory() as d:
        for text in COMMANDS:
            wav = Path(d) / "c.wav"
            subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
            audio = load_audio(wav)
            ctx = ToolContext(history=PlanHistory(), duration=20.0)
            t = time.perf_counter()
            heard = voice.listen(audio)
            SpeechInterpreter().interpret(heard.text, ctx)
            lat.append(time.perf_counter() - t)
            n = len(text.split())
            errs += wer(text, heard.text) * n
            words += n
            typed = ToolContext(history=PlanHistory(), duration=20.0)
            SpeechInterpreter().interpret(text, typed)
            same += typed.plan == ctx.plan
            print(f"  said {text!r:60} heard {heard.text!r}")
    stop = voice.vad.stop_secs
    print(f"spoken commands (espeak-ng en-us, {len(COMMANDS)}): WER {errs / words:.3f}; "
          f"same plan as typed {same}/{len(COMMANDS)}")  # fmt: skip
    print(f"end of speech -> plan updated (file: transcribe + interpret): median "
          f"{np.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms; live mic adds the VAD "
          f"stop hangover ({stop * 1000:.0f} ms)")  # fmt: skip


def der_figures() -> None:
    for wav, rttm, uri in (
        (AUDIO / "sample.wav", AUDIO / "sample.rttm", None),
        (SHARED / "pyannote-audio/tests/data/dev00.wav",
         SHARED / "pyannote-audio/tests/data/debug.development.rttm", "dev00"),
    ):  # fmt: skip
        if not wav.exists():
            print(f"DER {wav.name}: SKIPPED (not here)")
            continue
        audio, _ = sf.read(wav, dtype="float32")
        vid = _as_video(audio, Path(tempfile.mkdtemp()) / "a.mp4")
        info = probe(vid)
        t = time.perf_counter()
        tl = analyze(vid, build_audio_analyzers(info, transcript=False, active_speaker=False))
        el = time.perf_counter() - t
        hyp = [(e.t0, e.t1, e.speaker) for e in tl.of_type(SpeakerTurn)]  # type: ignore[attr-defined]
        ref = read_rttm(rttm, uri)
        for collar in (0.25, 0.0):
            r = diarization_error_rate(ref, hyp, collar=collar)
            print(f"DER {wav.name} collar {collar} s: {r.der:.3f} (missed {r.missed:.2f} s, "
                  f"false alarm {r.false_alarm:.2f} s, confusion {r.confusion:.2f} s of "
                  f"{r.total:.2f} s); speakers found {len({h[2] for h in hyp})} "
                  f"(reference {len({x[2] for x in ref})}); VAD+speakers {el:.1f} s for "
                  f"{info.duration:.1f} s")  # fmt: skip


def _as_video(audio: np.ndarray, path: Path) -> Path:
    """Mux ``audio`` (16 kHz) under a small grey video, so it goes through ``analyze``."""
    import av

    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=5)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("aac", rate=16000)
        a.layout = "mono"
        n = int(audio.size / 16000 * 5) + 1
        for i in range(n):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="rgb24")
            f.pts = i
            for p in vs.encode(f):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        for i in range(0, audio.size, 1024):
            fr = av.AudioFrame.from_ndarray(audio[None, i : i + 1024].copy(), format="flt",
                                            layout="mono")  # fmt: skip
            fr.sample_rate, fr.pts = 16000, i
            for p in a.encode(fr):
                c.mux(p)
        for p in a.encode():
            c.mux(p)
    return path


def active_speaker_figures() -> None:
    for rel in (
        "video-retalking/examples/face/1.mp4",
        "liveportrait/assets/examples/source/s18.mp4",
    ):
        path = SHARED / rel
        if not path.exists():
            print(f"active speaker {rel}: SKIPPED (eval-only clip not here)")
            continue
        info = probe(path)
        t = time.perf_counter()
        tl = analyze(path, build_audio_analyzers(info))
        el = time.perf_counter() - t
        speech = sum(e.t1 - e.t0 for e in tl.of_type(Speech))
        marked = sum(e.t1 - e.t0 for e in tl.of_type(ActiveSpeaker))
        boxes = [tuple(round(v) for v in e.box) for e in tl.of_type(ActiveSpeaker)]  # type: ignore[attr-defined]
        print(f"active speaker {rel} (eval only, one visible face): speech {speech:.1f} s, "
              f"speaking face marked {marked:.1f} s, boxes {boxes}; full audio analysis "
              f"{el:.1f} s for {info.duration:.1f} s")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    asr_figures()
    command_figures()
    der_figures()
    active_speaker_figures()
