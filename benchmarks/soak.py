"""Soak: a long chat session and a busy browser editor; memory over time, errors, p95 reply time.

Usage: ``.venv/bin/python benchmarks/soak.py [--clip-seconds 600] [--chat-seconds 120]
[--interval 3] [--clients 20] [--client-seconds 60] [--analyzers none|all]``

1. **Chat.** ``examples/sample.mp4`` looped (stream copy, no re-encode) into a clip of
   ``--clip-seconds``; a :class:`~backdrop.agent.session.Session` processes it in micro-turns
   while an instruction (from a fixed cycle: colours, blur, fades, ranges, undo) is submitted
   every ``--interval`` seconds for ``--chat-seconds``. Reply time = submit → reply.
2. **Editor.** The web app on a loopback port (uvicorn in this process) with the same clip open;
   ``--clients`` threads each loop over random requests (preview at a random time, instruct,
   state) for ``--client-seconds``. Reply time = request → response.

Memory is this process's resident set (``/proc/self/status`` VmRSS), sampled every second.
Errors: exceptions, session error messages, and HTTP statuses other than 2xx (504 "busy" is
counted apart). Analyzers default to none (the micro-turn loop, masks and previews only) so the
run measures the session and server machinery, not the speech models; ``--analyzers all`` runs
every analyzer. Prints a JSON summary and a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import av

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"

INSTRUCTIONS = [
    "make the background blue",
    "blur the background",
    "fade it in over 2 seconds",
    "make it subtle",
    "replace the background with a red to yellow gradient",
    "only in the first 30 seconds",
    "undo",
    "remove the background",
    "make the edges softer",
    "make the background green for the last 10 seconds",
]


def rss_mib() -> float:
    """This process's resident memory, MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    """Samples RSS once a second until stopped: ``[(seconds since start, MiB)]``."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.monotonic() - self.t0, rss_mib()))
            self.stop.wait(1.0)


def looped_clip(path: Path, seconds: float) -> Path:
    """``examples/sample.mp4`` repeated (packets copied, timestamps shifted) to ``seconds``."""
    src = av.open(str(SAMPLE))
    dur = src.duration / av.time_base
    src.close()
    out = av.open(str(path), "w")
    streams: dict[int, Any] = {}
    loops = max(1, int(seconds // dur))
    for k in range(loops):
        src = av.open(str(SAMPLE))
        if not streams:
            streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for p in src.demux():
            if p.dts is None:
                continue
            shift = int(round(k * dur / p.time_base))
            p.pts = None if p.pts is None else p.pts + shift
            p.dts += shift
            p.stream = streams[p.stream.index]
            out.mux(p)
        src.close()
    out.close()
    return path


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def soak_chat(clip: Path, seconds: float, interval: float, analyzers: str) -> dict[str, Any]:
    from backdrop.agent.session import ErrorMessage, Message, Session

    errors: list[str] = []

    def listen(msg: Message) -> None:
        if isinstance(msg, ErrorMessage):
            errors.append(msg.text)

    kw: dict[str, Any] = {"llm": False}
    if analyzers == "none":
        kw["analyzers"] = lambda info: []
    sampler = Sampler()
    sampler.start()
    session = Session(clip, **kw)
    session.add_listener(listen)
    session.start()
    times: list[float] = []
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        text = INSTRUCTIONS[i % len(INSTRUCTIONS)]
        t = time.perf_counter()
        try:
            session.submit(text).result(120)
            times.append(time.perf_counter() - t)
        except Exception as e:  # noqa: BLE001 - counted
            errors.append(f"{text}: {e}")
        i += 1
        time.sleep(max(0.0, interval - (time.perf_counter() - t)))
    processed = session.state.processed_until
    session.close()
    sampler.stop.set()
    sampler.join()
    return {
        "instructions": i,
        "errors": len(errors),
        "error_examples": errors[:3],
        "p50_s": pct(times, 0.5),
        "p95_s": pct(times, 0.95),
        "max_s": max(times, default=float("nan")),
        "processed_s": processed,
        "rss_mib": sampler.samples,
    }


def soak_editor(clip: Path, clients: int, seconds: float, analyzers: str) -> dict[str, Any]:
    import httpx
    import uvicorn

    from backdrop.agent.session import Session
    from backdrop.agent.web.server import create_app

    def factory(p: Path) -> Session:
        if analyzers == "none":
            return Session(p, analyzers=lambda info: [], llm=False)
        return Session(p, llm=False)

    app = create_app(clip.parent, clip.name, session_factory=factory)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    duration = app.state.editor.session.info.duration
    lat: list[float] = []
    errors: list[str] = []
    busy = 0
    lock = threading.Lock()
    sampler = Sampler()
    sampler.start()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal busy
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=130) as c:
            while time.monotonic() < stop_at:
                r = rng.random()
                t = time.perf_counter()
                try:
                    if r < 0.7:
                        resp = c.get("/api/preview", params={"t": rng.uniform(0, duration)})
                    elif r < 0.85:
                        text = rng.choice(INSTRUCTIONS)
                        resp = c.post("/api/instruct", json={"text": text})
                    else:
                        resp = c.get("/api/state")
                    dt = time.perf_counter() - t
                    with lock:
                        if resp.status_code == 504:
                            busy += 1
                        elif resp.status_code >= 300:
                            errors.append(f"{resp.status_code} {resp.text[:80]}")
                        else:
                            lat.append(dt)
                except Exception as e:  # noqa: BLE001 - counted
                    with lock:
                        errors.append(repr(e)[:120])

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sampler.stop.set()
    sampler.join()
    server.should_exit = True
    th.join(30)
    return {
        "clients": clients,
        "requests": len(lat) + len(errors) + busy,
        "errors": len(errors),
        "busy_504": busy,
        "error_examples": errors[:3],
        "p50_s": pct(lat, 0.5),
        "p95_s": pct(lat, 0.95),
        "max_s": max(lat, default=float("nan")),
        "rss_mib": sampler.samples,
    }


def _mem(samples: list[tuple[float, float]]) -> str:
    if not samples:
        return "n/a"
    vals = [m for _, m in samples]
    n = len(vals)
    first, mid, last = vals[0], vals[n // 2], vals[-1]
    return f"{first:.0f} → {mid:.0f} → {last:.0f} (peak {max(vals):.0f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip-seconds", type=float, default=600.0)
    ap.add_argument("--chat-seconds", type=float, default=120.0)
    ap.add_argument("--interval", type=float, default=3.0)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--client-seconds", type=float, default=60.0)
    ap.add_argument("--analyzers", choices=["none", "all"], default="none")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="backdrop-soak-") as tmp:
        clip = looped_clip(Path(tmp) / "long.mp4", args.clip_seconds)
        chat = soak_chat(clip, args.chat_seconds, args.interval, args.analyzers)
        editor = soak_editor(clip, args.clients, args.client_seconds, args.analyzers)
    summary = {"args": vars(args), "chat": chat, "editor": editor}
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "rss_mib"} if isinstance(v, dict)
                      else v for k, v in summary.items()}, indent=2))  # fmt: skip
    print()
    print("| part | load | replies | errors | p50 | p95 | max | RSS MiB (start → mid → end) |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| chat | 1 instruction / {args.interval:g} s for {args.chat_seconds:g} s, "
          f"{args.clip_seconds:g} s clip | {chat['instructions']} | {chat['errors']} | "
          f"{chat['p50_s']:.2f} s | {chat['p95_s']:.2f} s | {chat['max_s']:.2f} s | "
          f"{_mem(chat['rss_mib'])} |")  # fmt: skip
    print(f"| editor | {args.clients} clients for {args.client_seconds:g} s | "
          f"{editor['requests']} ({editor['busy_504']} busy) | {editor['errors']} | "
          f"{editor['p50_s']:.2f} s | {editor['p95_s']:.2f} s | {editor['max_s']:.2f} s | "
          f"{_mem(editor['rss_mib'])} |")  # fmt: skip


if __name__ == "__main__":
    main()
