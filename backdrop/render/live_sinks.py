"""Where a live stream goes: a recording, a virtual camera, and a browser page.

Every sink takes frames from the live loop without blocking it: each has its own thread and a
small buffer (the recording) or only the newest frame (virtual camera, browser), so a slow
consumer loses frames, never delays the stream. Frames are ``H×W×3`` uint8 RGB; ``t`` is the
capture time in seconds; ``keep`` an optional ``H×W`` float32 alpha (the kept subject).
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import queue
import socketserver
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from backdrop.perception.core import workers
from backdrop.perception.core.media import AUDIO_RATE
from backdrop.render.writer import Mp4Writer, RenderError

log = logging.getLogger(__name__)

VIRTUAL_CAMERA_HELP = (
    "Linux: sudo apt install v4l2loopback-dkms && sudo modprobe v4l2loopback exclusive_caps=1 "
    "card_label=Backdrop; macOS/Windows: install OBS Studio and start its Virtual Camera once; "
    "then pip install pyvirtualcam==0.15.0"
)
"""What to install for a virtual camera, per OS (one line)."""

_AAC_FRAME = 1024
_STOP = object()


class LiveRecorder(Mp4Writer):
    """An MP4 (H.264 + AAC 16 kHz mono) of a live stream, written to a temporary sibling and
    renamed into place by :meth:`close` (:meth:`abort` drops it).

    Video frames keep their capture times (variable frame rate where frames were dropped);
    audio is placed by capture time, gaps filled with silence.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float,
        audio: bool,
        crf: int = 23,
        preset: str = "veryfast",
    ) -> None:
        super().__init__(path, width, height, fps, None, None, crf=crf, preset=preset)
        self._astream: Any = None
        self._abuf = np.zeros(0, np.float32)
        self._apts = 0  # samples written (and buffered) so far
        if audio:
            self._astream = self._container.add_stream("aac", rate=AUDIO_RATE)
            self._astream.layout = "mono"

    def write_audio(self, samples: np.ndarray, t: float) -> None:
        """Add float32 mono 16 kHz ``samples`` captured from ``t`` seconds on."""
        if self._astream is None:
            return
        start = int(round(t * AUDIO_RATE))
        end = self._apts + self._abuf.size
        if start > end:
            samples = np.concatenate([np.zeros(start - end, np.float32), samples])
        elif start < end:
            samples = samples[end - start :]
        self._abuf = np.concatenate([self._abuf, samples.astype(np.float32, copy=False)])
        self._encode_audio(final=False)

    def _encode_audio(self, final: bool) -> None:
        if final and self._abuf.size % _AAC_FRAME:
            self._abuf = np.pad(self._abuf, (0, _AAC_FRAME - self._abuf.size % _AAC_FRAME))
        while self._abuf.size >= _AAC_FRAME:
            block, self._abuf = self._abuf[:_AAC_FRAME], self._abuf[_AAC_FRAME:]
            frame = av.AudioFrame.from_ndarray(block[None, :], format="fltp", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = self._apts
            frame.time_base = Fraction(1, AUDIO_RATE)
            self._apts += _AAC_FRAME
            for packet in self._astream.encode(frame):
                self._container.mux(packet)
        if final:
            for packet in self._astream.encode(None):
                self._container.mux(packet)

    def close(self) -> Path:
        if self._astream is not None and not self._closed:
            try:
                self._encode_audio(final=True)
            except BaseException:
                self.abort()
                raise
            self._astream = None
        return super().close()


class RecordingSink:
    """Feeds a :class:`LiveRecorder` from its own thread through a bounded queue (a frame the
    encoder has no room for is dropped and counted, so recording never delays the stream).

    The recording starts at its first frame: a frame or audio captured at ``t`` is written at
    ``t - origin``, where :attr:`origin` is the capture time of the first frame recorded.
    """

    def __init__(self, recorder: LiveRecorder, maxsize: int = 16) -> None:
        self.recorder = recorder
        self.origin: float | None = None
        self.dropped = 0
        self.error: BaseException | None = None
        self._q: queue.Queue[Any] = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._run, name="record", daemon=True)
        workers.track(self._thread, stop=lambda: self._q.put(_STOP, timeout=1.0))  # at exit
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            if self.error is not None:
                continue
            try:
                kind, data, t = item
                if kind == "v":
                    self.recorder.write(data, t)
                elif t + data.size / AUDIO_RATE > 0:
                    if t < 0:
                        data, t = data[int(round(-t * AUDIO_RATE)) :], 0.0
                    self.recorder.write_audio(data, t)
            except BaseException as e:  # noqa: BLE001 - reported by close()
                self.error = e

    def frame(self, rgb: np.ndarray, t: float) -> None:
        if self.origin is None:
            self.origin = t
        try:
            self._q.put_nowait(("v", rgb, t - self.origin))
        except queue.Full:
            self.dropped += 1

    def audio(self, samples: np.ndarray, t: float) -> None:
        if self.origin is None:
            return  # before the first frame: not part of the recording
        self._q.put(("a", samples, t - self.origin))  # small: wait rather than lose sound

    def close(self) -> Path | None:
        """Finish the file (renamed into place); None when no frame was recorded."""
        self._q.put(_STOP)
        self._thread.join()
        if self.error is not None:
            self.recorder.abort()
            raise self.error
        if self.recorder.frames == 0:
            self.recorder.abort()
            return None
        return self.recorder.close()

    def abort(self) -> None:
        self._q.put(_STOP)
        self._thread.join(5)
        self.recorder.abort()


class _Latest:
    """A thread that hands only the newest item to ``fn`` (older unsent ones are replaced)."""

    def __init__(self, name: str, fn: Any) -> None:
        self._fn = fn
        self._item: Any = None
        self._cond = threading.Condition()
        self._stop = False
        self.sent = 0
        self.replaced = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        workers.track(self._thread, stop=self.close)
        self._thread.start()

    def put(self, item: Any) -> None:
        with self._cond:
            if self._item is not None:
                self.replaced += 1
            self._item = item
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._item is not None or self._stop)
                if self._stop:
                    return
                item, self._item = self._item, None
            try:
                self._fn(item)
                self.sent += 1
            except Exception:  # noqa: BLE001 - a failing output must not stop the stream
                log.exception("%s failed", self._thread.name)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(5)


class VirtualCamera:
    """Sends frames to a virtual camera (pyvirtualcam: v4l2loopback on Linux, OBS's virtual
    camera on macOS and Windows) so Zoom, Meet or OBS can pick the edited feed."""

    def __init__(self, cam: Any) -> None:
        self._cam = cam
        self.device = str(getattr(cam, "device", "virtual camera"))
        self._sender = _Latest("virtual-camera", self._send)

    def _send(self, rgb: np.ndarray) -> None:
        self._cam.send(np.ascontiguousarray(rgb))

    def frame(self, rgb: np.ndarray, t: float) -> None:
        self._sender.put(rgb)

    def close(self) -> None:
        self._sender.close()
        with contextlib.suppress(Exception):  # the device may already be gone
            self._cam.close()


class JpegSink:
    """Hands the newest output frame, JPEG-encoded in its own thread, to ``send(jpeg, index)``
    (any thread may be slow: older unsent frames are replaced, the stream never waits).

    Args:
        send: called with the JPEG bytes and the frame's capture index.
        long_side: frames are scaled so their long side is at most this (pixels).
        quality: JPEG quality (0–100).
    """

    def __init__(
        self, send: Callable[[bytes, int], None], long_side: int = 1280, quality: int = 80
    ) -> None:
        self._send = send
        self.long_side = long_side
        self.quality = quality
        self._sender = _Latest("jpeg-out", self._encode)

    def _encode(self, item: tuple[np.ndarray, int]) -> None:
        rgb, index = item
        small = _fit(rgb, self.long_side)
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, self.quality])  # fmt: skip
        if ok:
            self._send(buf.tobytes(), index)

    def frame(self, index: int, t: float, rgb: np.ndarray) -> None:
        """The output frame with capture ``index`` (``t``: capture seconds)."""
        self._sender.put((rgb, index))

    @property
    def sent(self) -> int:
        return self._sender.sent

    def close(self) -> None:
        self._sender.close()


def _fit(img: np.ndarray, long_side: int) -> np.ndarray:
    """``img`` scaled so its long side is at most ``long_side`` pixels (never enlarged)."""
    h, w = img.shape[:2]
    s = long_side / max(h, w)
    if s >= 1:
        return img
    return cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def open_virtual_camera(width: int, height: int, fps: float) -> tuple[VirtualCamera | None, str]:
    """A virtual camera of ``width×height`` at ``fps``, and one line to tell the person: where
    the feed goes, or — where no backend exists — what to install (the stream goes on without)."""
    try:
        import pyvirtualcam
    except ImportError:
        return None, f"virtual camera off: pyvirtualcam is not installed ({VIRTUAL_CAMERA_HELP})"
    try:
        cam = pyvirtualcam.Camera(
            width, height, fps, fmt=pyvirtualcam.PixelFormat.RGB, print_fps=False
        )
    except (RuntimeError, OSError, ValueError) as e:
        reason = " ".join(str(e).split()).split(". ")[0].rstrip(".")
        return None, f"virtual camera off: no backend ({reason}). {VIRTUAL_CAMERA_HELP}"
    sink = VirtualCamera(cam)
    return sink, f"virtual camera: sending {width}×{height} at {fps:g} fps to {sink.device}"


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Backdrop live</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px sans-serif}
img{display:block;max-width:100vw;max-height:92vh;margin:auto}p{text-align:center}</style>
</head><body><img src="/stream.mjpg" alt="live output"><p>Backdrop live output · OBS browser
source (kept person on transparent): <a href="/obs">/obs</a></p></body></html>"""

_OBS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Backdrop (alpha)</title>
<style>html,body{margin:0;background:transparent;overflow:hidden}
img{width:100vw;height:100vh;object-fit:contain}</style></head><body><img id="f" alt="">
<script>const img=document.getElementById('f');let n=0;
async function next(){try{const r=await fetch('/person.png?n='+(n++),{cache:'no-store'});
if(r.ok){const u=URL.createObjectURL(await r.blob());img.onload=()=>{URL.revokeObjectURL(u);
next()};img.src=u;return}}catch(e){}setTimeout(next,200)}next();</script></body></html>"""


_CAMERA_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Backdrop camera</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px sans-serif;text-align:center}
#out{display:block;max-width:100vw;max-height:80vh;margin:auto}#say{width:60vw;font-size:16px}
#log{min-height:1.5em}</style></head><body>
<img id="out" src="/stream.mjpg" alt="edited camera">
<form id="f"><input id="say" placeholder="Say what you want (e.g. make the background blue)"
autocomplete="off"></form><div id="log"></div><video id="cam" muted playsinline
style="display:none"></video><canvas id="c" style="display:none"></canvas>
<script>
const W=__W__,H=__H__,FPS=__FPS__;const log=document.getElementById('log');
const v=document.getElementById('cam'),c=document.getElementById('c');c.width=W;c.height=H;
const ctx=c.getContext('2d');let sent=0;
async function start(){
 const s=await navigator.mediaDevices.getUserMedia({video:{width:W,height:H,frameRate:FPS},
   audio:false});
 v.srcObject=s;await v.play();connect();}
function connect(){
 const ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+
   '/ws/camera');let t0=0;
 async function send(){
  t0=performance.now();ctx.drawImage(v,0,0,W,H);
  const b=await new Promise(r=>c.toBlob(r,'image/jpeg',0.85));
  const tag=new DataView(new ArrayBuffer(8));tag.setFloat64(0,t0,true);
  if(ws.readyState===1)ws.send(new Blob([tag.buffer,b]));}
 ws.onopen=send;
 ws.onmessage=e=>{if(typeof e.data!=='string')return;sent++;
  setTimeout(send,Math.max(0,1000/FPS-(performance.now()-t0)));};
 ws.onclose=()=>{log.textContent='camera: reconnecting…';setTimeout(connect,1000);};
}
document.getElementById('f').onsubmit=async e=>{e.preventDefault();
 const i=document.getElementById('say');const text=i.value;i.value='';log.textContent='…';
 const r=await fetch('/say',{method:'POST',body:text});log.textContent=await r.text();};
start().catch(e=>{log.textContent='camera: '+e;});
</script></body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    """The requests of a :class:`WebPreview` (its server carries ``preview``)."""

    server: _Server

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("web: " + fmt, *args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        preview = self.server.preview
        camera = preview.camera
        path = self.path.split("?")[0]
        if path == "/":
            self._send(200, "text/html; charset=utf-8", _PAGE.encode())
        elif path == "/obs":
            self._send(200, "text/html; charset=utf-8", _OBS_PAGE.encode())
        elif path == "/person.png":
            png = preview.person_png()
            if png is None:
                self._send(503, "text/plain", b"no frame yet")
            else:
                self._send(200, "image/png", png)
        elif path == "/stream.mjpg":
            self._mjpeg()
        elif path == "/ws/camera" and camera is not None:
            self._camera_socket(camera)
        elif path == "/camera" and camera is not None:
            w, h, fps = preview.camera_size
            page = (
                _CAMERA_PAGE.replace("__W__", str(w))
                .replace("__H__", str(h))
                .replace("__FPS__", f"{fps:g}")
            )
            self._send(200, "text/html; charset=utf-8", page.encode())
        else:
            self._send(404, "text/plain", b"not found")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        on_say = self.server.preview.on_say
        path = self.path.split("?")[0]
        size = int(self.headers.get("Content-Length") or 0)
        if size > 16 * 1024 * 1024:
            self._send(413, "text/plain", b"too large")
            return
        body = self.rfile.read(size)
        if path == "/say" and on_say is not None:
            text = body.decode("utf-8", "replace").strip()
            answer = on_say(text) if text else ""
            self._send(200, "text/plain; charset=utf-8", answer.encode())
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _mjpeg(self) -> None:
        preview = self.server.preview
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while True:
                jpg, seen = preview.next_jpeg(seen)
                if jpg is None:
                    return
                if not jpg:
                    continue
                self.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(jpg)).encode()
                    + b"\r\n\r\n"
                    + jpg
                    + b"\r\n"
                )
        except (BrokenPipeError, ConnectionResetError):
            return

    def _camera_socket(self, camera: Callable[[bytes], bool]) -> None:
        """The page's camera over a WebSocket, as the editor's ``/ws/camera``: binary messages
        of 8 bytes (the page's clock, a little-endian float64 in ms) and a JPEG, each answered
        by a text ``{"type": "ack"}`` (with ``"error"`` when it was not an image); the page
        sends the next frame on the answer, so one frame is in flight and a slow server makes
        it send less, never queue. Only pages of this server (or no ``Origin``) may connect."""
        from websockets.datastructures import Headers
        from websockets.frames import Opcode
        from websockets.http11 import Request
        from websockets.protocol import State
        from websockets.server import ServerProtocol

        preview = self.server.preview
        self.close_connection = True  # the connection is the socket's from here on
        hello = ServerProtocol(origins=preview.origins)  # http.server has read the request
        hello.send_response(hello.accept(Request(self.path, Headers(self.headers.items()))))
        if not self._flush(hello) or hello.state is not State.OPEN:
            return  # refused (not a WebSocket request, or another site's page): it said why
        ws = ServerProtocol(state=State.OPEN, max_size=16 * 1024 * 1024)  # frames from here
        sock = self.connection
        sock.settimeout(1.0)  # to notice the preview closing
        while self._flush(ws) and ws.state is State.OPEN and not preview.closed:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if data:
                ws.receive_data(data)
            else:
                ws.receive_eof()
            for event in ws.events_received():
                if event.opcode is Opcode.BINARY:
                    ok = len(event.data) > 8 and camera(bytes(event.data[8:]))
                    ws.send_text(_ACK if ok else _BAD_FRAME)
        if ws.state is State.OPEN:  # the stream stopped: say so to the page
            ws.send_close(1001, "the live stream stopped")
        self._flush(ws)

    def _flush(self, ws: Any) -> bool:
        """Send what the WebSocket protocol has to send; False once the connection is over."""
        for chunk in ws.data_to_send():
            if not chunk:  # the protocol closed the connection
                return False
            try:
                self.connection.sendall(chunk)
            except OSError:
                return False
        return True


_ACK = b'{"type": "ack"}'
_BAD_FRAME = b'{"type": "ack", "error": "bad frame"}'


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    preview: WebPreview


class WebPreview:
    """A small HTTP server showing the live output: ``/`` (a page), ``/stream.mjpg`` (MJPEG),
    ``/obs`` (an OBS browser source: only the kept subject, on a transparent page) and
    ``/person.png`` (the newest frame as RGBA PNG). Frames are encoded only when someone asks,
    scaled so their long side is at most ``long_side`` pixels.

    With ``camera``, ``/camera`` is a page that sends the browser's own camera
    (``getUserMedia``, ``camera_size`` = width, height, fps asked for) over the WebSocket
    ``/ws/camera`` in the editor's protocol (8-byte clock + JPEG, each acknowledged; one frame
    in flight, so a slow server makes the page send less, never queue), handed to ``camera``,
    and shows the edited stream; its text box posts to ``/say``, whose answer
    (``on_say(text)``) it shows.

    Args:
        host, port: where to listen (port 0 = any free port; see :attr:`url`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8765,
        long_side: int = 960,
        camera: Callable[[bytes], bool] | None = None,
        camera_size: tuple[int, int, float] = (1280, 720, 30.0),
        on_say: Callable[[str], str] | None = None,
    ) -> None:
        self.long_side = long_side
        self._cond = threading.Condition()
        self._seq = 0
        self._frame: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self._closed = False
        self.camera = camera
        self.camera_size = camera_size
        self.on_say = on_say
        try:
            self._server = _Server((host, port), _Handler)
        except OSError as e:  # a port in use or not ours to take: one line, before any work
            why = (e.strerror or str(e)).lower()
            raise RenderError(f"cannot serve the live page on {host}:{port}: {why}") from None
        self._server.preview = self
        self.url = f"http://{host}:{self._server.server_address[1]}/"
        port = self._server.server_address[1]
        names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
        self.origins: list[str | None] = [None, *(f"http://{n}:{port}" for n in sorted(names))]
        """Origins whose pages may send camera frames (None: clients that send no Origin)."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="web-preview", daemon=True
        )
        self._thread.start()

    def frame(
        self, rgb: np.ndarray, t: float, source: np.ndarray | None = None,
        keep: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        """Publish the newest output (``source`` and ``keep``: for the alpha page)."""
        with self._cond:
            self._frame = (rgb, source if source is not None else rgb, keep)
            self._seq += 1
            self._cond.notify_all()

    def _small(self, img: np.ndarray) -> np.ndarray:
        return _fit(img, self.long_side)

    def next_jpeg(self, seen: int, timeout: float = 5.0) -> tuple[bytes | None, int]:
        """The next frame after sequence ``seen`` as JPEG; ``b""`` when none came within
        ``timeout`` seconds; None when the preview is closed."""
        with self._cond:
            self._cond.wait_for(
                lambda: (self._frame is not None and self._seq != seen) or self._closed, timeout
            )
            if self._closed:
                return None, seen
            if self._frame is None or self._seq == seen:
                return b"", seen
            rgb, seq = self._frame[0], self._seq
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(self._small(rgb), cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 80])  # fmt: skip
        return (buf.tobytes() if ok else b""), seq

    def person_png(self) -> bytes | None:
        """The newest frame's kept subject as RGBA PNG (alpha 0 where the background was)."""
        with self._cond:
            if self._frame is None:
                return None
            _, src, keep = self._frame
        alpha = np.full(src.shape[:2], 255, np.uint8) if keep is None else (
            cv2.convertScaleAbs(keep, alpha=255.0))  # fmt: skip
        bgra = cv2.cvtColor(np.dstack([src, alpha]), cv2.COLOR_RGBA2BGRA)
        ok, buf = cv2.imencode(".png", self._small(bgra), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        return buf.tobytes() if ok else None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
