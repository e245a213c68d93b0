"""Loopback language-model endpoints that hang, drip, send garbage, NaN or path escapes: every
one ends in the built-in interpreter's answer within the total deadline; nothing escapes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backdrop.agent.llm import LLMConfig, LLMController
from backdrop.tools import PlanHistory, ToolContext


def _completion(calls: list[tuple[str, str]]) -> bytes:
    tool_calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}}
        for i, (n, a) in enumerate(calls)
    ]
    message = {"role": "assistant", "content": "ok", "tool_calls": tool_calls or None}
    return json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "message": message,
                                    "finish_reason": "tool_calls"}]}).encode()  # fmt: skip


class Stub:
    """A raw-socket HTTP server on loopback whose answer depends on ``mode``."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls: list[tuple[str, str]] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next((ln.split(b":")[1] for ln in head.split(b"\r\n")
                                   if ln.lower().startswith(b"content-length")), b"0"))  # fmt: skip
                while len(body) < length:
                    body += conn.recv(65536)
                payload = _completion(self.calls) if self.mode != "garbage" else b"<html>no"
                if self.mode == "hang":
                    self.stop.wait(30)
                    return
                head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(payload))  # fmt: skip
                if self.mode == "drip":  # one byte every 50 ms: each read is quick
                    for b in head + payload:
                        if self.stop.is_set():
                            return
                        conn.sendall(bytes([b]))
                        time.sleep(0.05)
                    return
                conn.sendall(head + payload)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.close()


def _controller(
    url: str, tmp_path: Path, timeout: float = 1.5
) -> tuple[LLMController, ToolContext]:
    config = LLMConfig(base_url=url, api_key="k", model="m", timeout=timeout)
    ctx = ToolContext(history=PlanHistory(), duration=10.0, allowed=(tmp_path,))
    return LLMController(config), ctx


@pytest.mark.parametrize("mode", ["hang", "drip", "garbage"])
def test_bad_endpoints_fall_back_within_the_total_deadline(
    stub: Stub, mode: str, tmp_path: Path
) -> None:
    stub.mode = mode
    controller, ctx = _controller(stub.url, tmp_path, timeout=1.5)
    started = time.monotonic()
    reply = controller.interpret("blur the background", ctx)
    took = time.monotonic() - started
    assert "built-in interpreter" in reply.text, reply.text
    assert ctx.plan.backgrounds[0].background.type == "blur"
    assert took < 15, f"{mode}: {took:.1f} s"  # generous: the deadline is 1.5 s


NAN_ARGS = [
    ("set_background", '{"background": {"type": "gradient", "colors": ["#000000", "#ffffff"], '
                       '"angle": NaN}}'),
    ("set_strength", '{"level": Infinity}'),
    ("set_background", '{"background": {"type": "blur", "strength": ' + "9" * 5000 + "}}"),
]  # fmt: skip


@pytest.mark.parametrize("call", NAN_ARGS, ids=["nan", "infinity", "5000-digits"])
def test_non_finite_tool_arguments_never_reach_the_plan(
    stub: Stub, call: tuple[str, str], tmp_path: Path
) -> None:
    stub.calls = [("blur_background", "{}"), call]
    controller, ctx = _controller(stub.url, tmp_path)
    reply = controller.interpret("make it softer", ctx)
    assert "built-in interpreter" in reply.text
    for seg in ctx.plan.backgrounds:  # the plan saves and reloads
        assert seg.opacity == seg.opacity
    from backdrop.render.plan import EditPlan

    assert EditPlan.from_json(ctx.plan.to_json()) == ctx.plan


@pytest.mark.parametrize("path", ["../escape/plan.json", "/tmp/backdrop-escape/plan.json",
                                  "sub/../../escape/plan.json", "p\\u0000.json"])  # fmt: skip
def test_path_escapes_in_tool_calls_are_refused(stub: Stub, path: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    stub.calls = [("export_plan", json.dumps({"path": path}).replace("\\\\u", "\\u"))]
    controller, ctx = _controller(stub.url, work)
    reply = controller.interpret("save the plan", ctx)
    assert "built-in interpreter" in reply.text or "outside" in reply.text, reply.text
    assert not (tmp_path / "escape").exists()
    assert not Path("/tmp/backdrop-escape/plan.json").exists()
    assert list(work.iterdir()) == []


def test_an_image_escape_in_a_tool_call_is_refused(stub: Stub, tmp_path: Path) -> None:
    args = {"background": {"type": "image", "path": "/etc/passwd"}}
    stub.calls = [("set_background", json.dumps(args))]
    controller, ctx = _controller(stub.url, tmp_path)
    reply: Any = controller.interpret("use /etc/passwd as the background", ctx)
    assert "\n" not in reply.text
    assert "passwd" not in ctx.plan.to_json()
