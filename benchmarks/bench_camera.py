"""Camera mode's transport: the browser editor's WebSocket of JPEG frames, against WebRTC
(aiortc) when it is installed.

A Python client plays the part of the page: it takes 1280×720 frames of ``examples/sample.mp4``
at 30 fps and sends them the way ``static/app.js`` does. Two paths, each with the same
:class:`~backdrop.agent.live.LiveRunner` on a :class:`~backdrop.perception.core.live.BrowserCamera`:

- ``ws``: the real editor server (``create_app`` under uvicorn, ``POST /api/camera``, then
  ``/ws/camera``): JPEG quality 85 up (as the page's canvas), one frame in flight, edited JPEG
  (quality 80) back; round trip from the page's clock tag the server echoes.
- ``webrtc`` (needs ``aiortc``): two aiortc peers on loopback, the client's video track into
  the same runner and the edited frames back on a second track (VP8, aiortc's defaults); round
  trip from a frame number drawn as black/white blocks in the top rows (read back, so only with
  the empty plan — the edit would cover them).

Each path runs with the empty plan (transport only: the output is the input) and the ``ws`` path
also with the demo plan (person kept, gradient). Reported: frames back per second, round trip
p50/p95 (ms, from taking the frame to having the edited one decoded), and PSNR of the frames
that came back against those sent (dB; the empty plan only) — "equal quality" means similar
PSNR. Nothing is asserted; figures go to ``out/bench/bench_camera.json``.

    .venv/bin/python benchmarks/bench_camera.py [--seconds 10] [--paths ws,webrtc]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backdrop.agent.live import LiveRunner  # noqa: E402
from backdrop.perception.core.live import BrowserCamera  # noqa: E402
from backdrop.perception.core.media import iter_frames  # noqa: E402
from backdrop.render.plan import EditPlan  # noqa: E402

SAMPLE = ROOT / "examples" / "sample.mp4"
DEMO_PLAN = ROOT / "examples" / "sample-plan.json"
OUT = ROOT / "out" / "bench"
W, H, FPS = 1280, 720, 30


def frames(seconds: float) -> list[np.ndarray]:
    """``seconds`` of the sample at 720p, 30 fps (frames repeated from its 24 fps)."""
    src = [f for t, f in iter_frames(SAMPLE, size=(W, H)) if t < 8.0]
    return [src[int(i * 24 / FPS) % len(src)] for i in range(int(seconds * FPS))]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def summary(path: str, plan: str, rtts: list[float], got: int, wall: float,
            quality: list[float]) -> dict[str, Any]:  # fmt: skip
    r = np.asarray(rtts) if rtts else np.asarray([np.nan])
    return {"path": path, "plan": plan, "frames_back": got, "fps_back": got / wall,
            "rtt_p50_ms": float(np.percentile(r, 50)), "rtt_p95_ms": float(np.percentile(r, 95)),
            "psnr_db": float(np.mean(quality)) if quality else float("nan")}  # fmt: skip


def runner_for(plan: EditPlan | None) -> Any:
    def build(camera: BrowserCamera, out_dir: Path) -> LiveRunner:
        return LiveRunner(camera, say=lambda s: None, plan=plan, analyzers=lambda i: [],
                          llm=False, out_dir=out_dir)  # fmt: skip

    return build


# -- the WebSocket path -------------------------------------------------------------------------
@contextlib.contextmanager
def editor_server(plan: EditPlan | None, workdir: Path) -> Iterator[str]:
    import uvicorn

    from backdrop.agent.web.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(workdir, live_factory=runner_for(plan))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        th.join(15)


def run_ws(plan_name: str, plan: EditPlan | None, clip: list[np.ndarray]) -> dict[str, Any]:
    import urllib.request

    from websockets.sync.client import connect

    OUT.mkdir(parents=True, exist_ok=True)
    with editor_server(plan, OUT) as host:
        req = urllib.request.Request(
            f"http://{host}/api/camera", method="POST",
            data=json.dumps({"width": W, "height": H, "fps": FPS}).encode(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        urllib.request.urlopen(req, timeout=300).read()
        sent_at: dict[float, np.ndarray] = {}
        rtts: list[float] = []
        quality: list[float] = []
        acked = threading.Semaphore(1)
        got = 0
        with connect(f"ws://{host}/ws/camera", max_size=None) as ws:

            def receive() -> None:
                nonlocal got
                with contextlib.suppress(Exception):
                    for msg in ws:
                        if isinstance(msg, str):
                            acked.release()
                            continue
                        (tag,) = struct.unpack_from("<d", msg)
                        img = cv2.imdecode(np.frombuffer(msg[8:], np.uint8), cv2.IMREAD_COLOR)
                        now = time.perf_counter() * 1000
                        got += 1
                        rtts.append(now - tag)
                        src = sent_at.get(tag)
                        if plan is None and src is not None and got % 10 == 0:
                            quality.append(psnr(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), src))

            th = threading.Thread(target=receive, daemon=True)
            th.start()
            t0 = time.perf_counter()
            for i, rgb in enumerate(clip):
                due = t0 + i / FPS
                time.sleep(max(0.0, due - time.perf_counter()))
                if not acked.acquire(timeout=1.0):
                    continue
                tag = time.perf_counter() * 1000
                ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                                       [cv2.IMWRITE_JPEG_QUALITY, 85])  # fmt: skip
                sent_at[tag] = rgb
                ws.send(struct.pack("<d", tag) + jpg.tobytes())
            wall = time.perf_counter() - t0
            time.sleep(0.5)
    return summary("ws", plan_name, rtts[len(rtts) // 10 :], got, wall, quality)


# -- the WebRTC path ----------------------------------------------------------------------------
BLOCKS = 16
"""Bits of the frame number drawn in the top rows (blocks of 40×40 pixels)."""


def draw_number(rgb: np.ndarray, n: int) -> np.ndarray:
    out = rgb.copy()
    for b in range(BLOCKS):
        out[:40, b * 40 : (b + 1) * 40] = 255 if (n >> b) & 1 else 0
    return out


def read_number(rgb: np.ndarray) -> int:
    bits = [rgb[8:32, b * 40 + 8 : b * 40 + 32].mean() > 127 for b in range(BLOCKS)]
    return sum(1 << b for b, on in enumerate(bits) if on)


def _edited_track(latest: asyncio.Queue[np.ndarray]) -> Any:
    """Server → client: the newest edited frame."""
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    class Edited(VideoStreamTrack):
        async def recv(self) -> VideoFrame:
            rgb = await latest.get()
            pts, time_base = await self.next_timestamp()
            frame = VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            return frame

    return Edited()


def _clip_track(clip: list[np.ndarray], sent: dict[int, tuple[float, np.ndarray]]) -> Any:
    """Client → server: the clip at 30 fps, each frame numbered (``sent``: number → time
    sent in ms, frame)."""
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    class Camera(VideoStreamTrack):
        i = 0

        async def recv(self) -> VideoFrame:
            pts, time_base = await self.next_timestamp()
            n, self.i = self.i, self.i + 1
            rgb = draw_number(clip[n % len(clip)], n)
            sent[n] = (time.perf_counter() * 1000, rgb)
            frame = VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            return frame

    return Camera()


async def run_rtc_async(plan: EditPlan | None, clip: list[np.ndarray]) -> dict[str, Any]:
    from aiortc import MediaStreamTrack, RTCPeerConnection

    camera = BrowserCamera((W, H), FPS)
    runner = runner_for(plan)(camera, OUT)
    runner.start()
    latest: asyncio.Queue[np.ndarray] = asyncio.Queue(maxsize=1)
    loop = asyncio.get_running_loop()

    def offer(rgb: np.ndarray) -> None:
        if latest.full():
            latest.get_nowait()
        latest.put_nowait(rgb)

    runner.add_output(lambda index, t, rgb: loop.call_soon_threadsafe(offer, rgb))
    sent: dict[int, tuple[float, np.ndarray]] = {}
    rtts: list[float] = []
    quality: list[float] = []
    got = 0

    async def take(track: MediaStreamTrack) -> None:  # server: frames into the runner
        while True:
            frame = await track.recv()
            await asyncio.to_thread(camera.push_rgb, frame.to_ndarray(format="rgb24"))

    async def back(track: MediaStreamTrack) -> None:  # client: edited frames
        nonlocal got
        while True:
            frame = await track.recv()
            now = time.perf_counter() * 1000
            rgb = frame.to_ndarray(format="rgb24")
            got += 1
            n = read_number(rgb) if plan is None else -1
            if n in sent:
                rtts.append(now - sent[n][0])
                if got % 10 == 0:
                    quality.append(psnr(rgb[40:], sent[n][1][40:]))

    client, server = RTCPeerConnection(), RTCPeerConnection()
    tasks: list[asyncio.Task[None]] = []
    server.on("track", lambda tr: tasks.append(asyncio.ensure_future(take(tr))))
    client.on("track", lambda tr: tasks.append(asyncio.ensure_future(back(tr))))
    server.addTrack(_edited_track(latest))
    client.addTrack(_clip_track(clip, sent))
    client.addTransceiver("video", direction="recvonly")
    await client.setLocalDescription(await client.createOffer())
    await server.setRemoteDescription(client.localDescription)
    await server.setLocalDescription(await server.createAnswer())
    await client.setRemoteDescription(server.localDescription)
    await asyncio.sleep(1.0)
    got0, t0 = got, time.perf_counter()
    await asyncio.sleep(len(clip) / FPS - 1.0)
    wall, n = time.perf_counter() - t0, got - got0
    for t in tasks:
        t.cancel()
    await client.close()
    await server.close()
    await asyncio.to_thread(runner.stop)
    name = "empty" if plan is None else "demo"
    return summary("webrtc", name, rtts[len(rtts) // 10 :], n, wall, quality)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--paths", default="ws,webrtc")
    args = ap.parse_args()
    clip = frames(args.seconds)
    demo = EditPlan.load(DEMO_PLAN)
    rows = []
    paths = args.paths.split(",")
    if "ws" in paths:
        rows.append(run_ws("empty", None, clip))
        rows.append(run_ws("demo", demo, clip))
    if "webrtc" in paths:
        try:
            import aiortc  # noqa: F401
        except ImportError:
            print("webrtc: aiortc is not installed (pip install aiortc==1.16.0)")
        else:
            rows.append(asyncio.run(run_rtc_async(None, clip)))
    print("| path | plan | frames back/s | round trip p50 ms | p95 ms | PSNR dB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['path']} | {r['plan']} | {r['fps_back']:.1f} | {r['rtt_p50_ms']:.0f} "
              f"| {r['rtt_p95_ms']:.0f} | {r['psnr_db']:.1f} |")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_camera.json").write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
