"""Spoken commands over a grid of espeak-ng voices, speeds and noise: does the spoken instruction
give the same plan as typing it?

Run: ``.venv/bin/python eval/voice_grid.py [--voices en-us,en-gb,en-us+f3] [--speeds 120,150,190]
[--snr clean,10] [--commands N | --phrases FILE] [--json out.json]``. Needs espeak-ng. For the
CPU-path check, run it again under ``CT2_FORCE_CPU_ISA=GENERIC`` (or ``AVX``) and compare:
CTranslate2 then takes another kernel path, as a different CPU would.

Each utterance is espeak-ng's 22 kHz WAV with 0.5 s of silence before and 1.0 s after it (a real
recording never ends on the last phoneme), read through :func:`backdrop.agent.voice.load_audio`;
"10" in ``--snr`` mixes white Gaussian noise (fixed seed per utterance) at 10 dB below the
speech power, measured over the samples where espeak-ng speaks. A result counts as right when the
plan from the transcript equals the plan from the typed command (the plan is what matters, not
the exact transcript). A wrong result is either held back (nothing changed: "I didn't catch
that", a question) or a wrong action (the plan changed to something the typed command does not
give): the second is the one that breaks trust, and is counted on its own. Since issue 11 a
spoken command that a near reading would change is not applied but asked about ("Did you say
…?", :mod:`backdrop.agent.voice_check`): those are counted as "asked", with how many asked about
the right reading; ``--no-confirm`` applies every sure transcript as heard (the old behaviour).

``--phrases FILE`` reads the commands from a file (one a line, ``#`` comments) instead of the
built-in list: ``eval/corpus/voice_heldout.txt`` holds phrasings written for reporting only,
never tuned on. Latency is end of the audio → plan updated (VAD + transcription +
interpretation), on the machine it runs on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backdrop.agent.interpret import SpeechInterpreter  # noqa: E402
from backdrop.agent.voice import VoiceInput, command_asr_options, load_audio  # noqa: E402
from backdrop.agent.voice_check import plan_of  # noqa: E402
from backdrop.perception.audio.asr import Transcriber, load_asr_model  # noqa: E402
from backdrop.tools import PlanHistory, ToolContext  # noqa: E402

COMMANDS = (
    "make the background blue",
    "remove the background",
    "blur the background for the first ten seconds",
    "make the background red and fade it in over three seconds",
    "make it a blue to purple gradient",
    "make the background black after five seconds",
    "replace the background with a yellow colour",
    "blur the background a lot",
    "make the background blurry for the last five seconds",
    "soften the edges",
)
"""Commands whose typed plan is right today (the grid measures hearing, not the grammar)."""


def synth(text: str, voice: str, speed: int, snr_db: float | None, folder: Path) -> np.ndarray:
    """espeak-ng ``text`` → float32 16 kHz with 0.5 s / 1.0 s of silence around it, noise mixed in.

    Args:
        text: what to say.
        voice: espeak-ng voice (``en-us``, ``en-gb``, ``en-us+f3`` …).
        speed: words per minute (espeak-ng ``-s``).
        snr_db: signal-to-noise ratio in dB for white noise; None = clean.
        folder: where the WAV is written.
    """
    wav = folder / "u.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    speech = load_audio(wav)
    audio = np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(16000, np.float32)])
    if snr_db is not None:
        voiced = speech[np.abs(speech) > 1e-3]
        p_sig = float(np.mean(voiced.astype(np.float64) ** 2)) if voiced.size else 1e-4
        seed = zlib.crc32(f"{text}|{voice}|{speed}".encode())
        noise = np.random.default_rng(seed).standard_normal(audio.size)
        audio = audio + noise * np.sqrt(p_sig / 10 ** (snr_db / 10))
        audio = np.clip(audio, -1.0, 1.0)
    return audio.astype(np.float32)


def typed_plan(text: str) -> object:
    ctx = ToolContext(history=PlanHistory(), duration=20.0)
    SpeechInterpreter().interpret(text, ctx)
    return ctx.plan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voices", default="en-us,en-gb,en-us+f3")
    ap.add_argument("--speeds", default="120,150,190")
    ap.add_argument("--snr", default="clean,10", help="comma list of 'clean' or dB values")
    ap.add_argument("--commands", type=int, default=len(COMMANDS), help="first N commands")
    ap.add_argument("--phrases", type=Path, help="commands from this file, one a line")
    ap.add_argument("--json", type=Path, help="write every result here")
    ap.add_argument("--quiet", action="store_true", help="print failures and the summary only")
    ap.add_argument(
        "--no-confirm",
        action="store_true",
        help='apply every sure transcript as heard (no "did you say …?")',
    )
    a = ap.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    voice = VoiceInput(Transcriber(load_asr_model(), command_asr_options()),
                       confirm=not a.no_confirm)  # fmt: skip
    snrs = [None if s == "clean" else float(s) for s in a.snr.split(",")]
    commands = list(COMMANDS[: a.commands])
    if a.phrases is not None:
        commands = [ln.strip() for ln in a.phrases.read_text().splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")]  # fmt: skip
    typed = {c: typed_plan(c) for c in commands}
    rows: list[dict[str, object]] = []
    voice.listen(np.zeros(16000, np.float32))  # warm the model
    with tempfile.TemporaryDirectory() as d:
        for v in a.voices.split(","):
            for s in (int(x) for x in a.speeds.split(",")):
                for snr in snrs:
                    for c in commands:
                        audio = synth(c, v, s, snr, Path(d))
                        ctx = ToolContext(history=PlanHistory(), duration=20.0)
                        t = time.perf_counter()
                        heard = voice.listen(audio)
                        asked = voice.question(heard, ctx) if heard.ok else None
                        if heard.ok and asked is None:
                            SpeechInterpreter().interpret(heard.text, ctx)
                        lat = time.perf_counter() - t
                        ok = ctx.plan == typed[c]
                        wrong = not ok and ctx.plan != ToolContext(duration=20.0).plan
                        row = dict(voice=v, speed=s, snr="clean" if snr is None else snr,
                                   said=c, heard=heard.text, reason=heard.reason, ok=ok,
                                   wrong_action=wrong, asked=voice.pending,
                                   rivals=voice.last_check.rivals if voice.last_check else (),
                                   asked_right=bool(voice.pending) and plan_of(
                                       voice.pending, ToolContext(duration=20.0)) == typed[c],
                                   words=[(w.text, round(w.probability, 3)) for w in heard.words],
                                   latency_ms=round(lat * 1000))  # fmt: skip
                        rows.append(row)
                        if not ok or not a.quiet:
                            mark = (
                                "ok  " if ok else "WRONG" if wrong else "ASKED" if asked else "held"
                            )
                            q = f" asked {voice.pending!r}" if asked else ""
                            print(f"{mark} {v:9} {s:3} {row['snr']!s:5} {c!r:60} heard "
                                  f"{heard.text!r} {heard.reason}{q}", flush=True)  # fmt: skip
                        voice.pending = ""
    n_ok = sum(bool(r["ok"]) for r in rows)
    lat = np.array([r["latency_ms"] for r in rows], float)
    isa = os.environ.get("CT2_FORCE_CPU_ISA", "auto")
    print(f"\nplan accuracy {n_ok}/{len(rows)} = {n_ok / max(len(rows), 1):.1%} (CPU ISA {isa})")
    n_wrong = sum(bool(r["wrong_action"]) for r in rows)
    n_ask = sum(bool(r["asked"]) for r in rows)
    n_ask_right = sum(bool(r["asked_right"]) for r in rows)
    print(f"wrong actions (the plan changed to something else) {n_wrong}/{len(rows)}; "
          f"asked \"did you say …?\" {n_ask}/{len(rows)} (the reading asked about gives the "
          f"typed plan in {n_ask_right}); other held back (nothing changed) "
          f"{len(rows) - n_ok - n_wrong - n_ask}/{len(rows)}")  # fmt: skip
    for key in ("voice", "speed", "snr"):
        parts = []
        for val in dict.fromkeys(r[key] for r in rows):
            sel = [r for r in rows if r[key] == val]
            parts.append(f"{val}: {sum(bool(r['ok']) for r in sel)}/{len(sel)}")
        print(f"  by {key}: " + ", ".join(parts))
    print(f"end of audio -> plan: median {np.median(lat):.0f} ms, p90 "
          f"{np.percentile(lat, 90):.0f} ms, max {lat.max():.0f} ms")  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
