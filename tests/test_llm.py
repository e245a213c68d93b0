"""The language-model path against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from backdrop.agent.llm import LLMConfig, LLMController
from backdrop.agent.session import Session
from backdrop.agent.state import SceneState
from backdrop.perception.core.events import TranscriptSegment
from backdrop.tools import PlanHistory, ToolContext

from .conftest import Scripted


class FakeModel:
    """Answers /v1/chat/completions like an OpenAI-compatible server, from a script."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "tools"
        self.tool_calls: list[tuple[str, dict[str, Any]]] = []

    def answer(self, body: dict[str, Any]) -> tuple[int, bytes]:
        self.requests.append(body)
        if self.mode == "garbage":
            return 200, b"<html>this is not an API</html>"
        if self.mode == "error":
            return 500, b'{"error": {"message": "overloaded"}}'
        if self.mode == "slow":
            time.sleep(3)
        calls = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(self.tool_calls)
        ]
        message = {"role": "assistant", "content": "Done — blue background fading in.",
                   "tool_calls": calls or None}  # fmt: skip
        resp = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "x"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        }
        return 200, json.dumps(resp).encode()


@pytest.fixture
def fake_model() -> Iterator[tuple[FakeModel, str]]:
    model = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, data = model.answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield model, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def make_controller(base_url: str, timeout: float = 15.0) -> tuple[LLMController, ToolContext]:
    state = SceneState(10.0)
    state.add(
        [TranscriptSegment(1.0, 3.0, "asr", text="welcome to the juggling show", speaker="S1")],
        processed_until=10.0,
    )
    config = LLMConfig(base_url=base_url, api_key="test-key", model="test-model", timeout=timeout)
    ctx = ToolContext(history=PlanHistory(), duration=10.0, timeline=state.timeline)
    return LLMController(config, summary=state.summary), ctx


def test_tool_calls_are_applied_and_the_request_carries_context(fake_model) -> None:
    model, url = fake_model
    model.tool_calls = [
        ("set_background", {"background": {"type": "color", "color": "#0000ff"}}),
        ("add_transition", {"kind": "fade_in", "duration": 3}),
    ]
    controller, ctx = make_controller(url)
    reply = controller.interpret("make it blue and fade it in over 3 seconds", ctx)
    assert reply.changed and "blue" in reply.text
    seg = ctx.plan.backgrounds[0]
    assert seg.background.color == "#0000ff" and seg.fade_in.duration == 3
    body = model.requests[-1]
    assert body["model"] == "test-model"
    names = {t["function"]["name"] for t in body["tools"]}
    assert {"set_background", "add_transition", "keep_subject", "undo"} <= names
    text = json.dumps(body["messages"])
    assert "Scene summary" in text and "welcome to the juggling show" in text
    assert body["messages"][-1] == {
        "role": "user",
        "content": "make it blue and fade it in over 3 seconds",
    }
    # one undo reverts both calls of the turn
    ctx.history.undo()
    assert ctx.plan.is_empty()
    # the next request carries the conversation so far
    controller.interpret("make it subtle", ctx)
    assert "make it blue and fade it in" in json.dumps(model.requests[-1]["messages"])


@pytest.mark.parametrize("mode", ["garbage", "error", "slow", "unknown_tool", "bad_args"])
def test_failures_fall_back_to_the_rules(fake_model, mode: str) -> None:
    model, url = fake_model
    model.mode = "slow" if mode == "slow" else ("tools" if "_" in mode else mode)
    if mode == "unknown_tool":
        model.tool_calls = [("paint_the_sky", {})]
    if mode == "bad_args":
        model.tool_calls = [("set_background", {"background": {"type": "color", "color": "x"}})]
    controller, ctx = make_controller(url, timeout=1.0)
    reply = controller.interpret("make the background green", ctx)
    assert "built-in interpreter" in reply.text
    assert reply.changed and ctx.plan.backgrounds[0].background.color == "#16a34a"


def test_endpoint_down_falls_back() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    controller, ctx = make_controller(f"http://127.0.0.1:{port}/v1")
    reply = controller.interpret("blur the background", ctx)
    assert "unreachable" in reply.text and "built-in interpreter" in reply.text
    assert ctx.plan.backgrounds[0].background.type == "blur"


def test_session_uses_the_model_with_the_scene_summary(fake_model, sample: Path) -> None:
    model, url = fake_model
    model.tool_calls = [("remove_background", {})]
    config = LLMConfig(base_url=url, api_key="k", model="m", timeout=5)
    events = [TranscriptSegment(0.5, 2.0, "asr", text="hello there everyone", speaker="S1")]
    session = Session(sample, analyzers=lambda info: [Scripted(events)], llm=config).start()
    assert session.wait(60)
    reply = session.submit("take the background away").result(30)
    assert reply.changed
    assert session.plan.backgrounds[0].background.type == "transparent"
    assert "hello there everyone" in json.dumps(model.requests[-1]["messages"])
    session.close()


@pytest.fixture
def stalled_endpoint() -> Iterator[dict[str, str]]:
    """Real HTTP servers on loopback that never answer: one reads the request and stays
    silent, one sends its headers and then drips a byte every 0.2 s; and a port where nothing
    listens (down)."""
    release = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            release.wait(60)

        def log_message(self, *args: Any) -> None:
            pass

    class Drip(Silent):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not release.wait(0.2):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (Silent, Drip)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = s.getsockname()[1]  # closed again: nothing listens here
    urls = [f"http://127.0.0.1:{srv.server_address[1]}/v1" for srv in servers]
    try:
        yield {"silent": urls[0], "drip": urls[1], "down": f"http://127.0.0.1:{down}/v1"}
    finally:
        release.set()
        for server in servers:
            server.shutdown()
            server.server_close()


def _request_threads() -> int:
    return sum(th.name.startswith("deadline-") for th in threading.enumerate())


@pytest.mark.parametrize("kind", ["silent", "drip", "down"])
def test_a_stalled_endpoint_answers_in_time_and_leaves_no_thread(stalled_endpoint, kind) -> None:
    controller, ctx = make_controller(stalled_endpoint[kind], timeout=1.0)
    before = _request_threads()
    for i in range(5):
        started = time.monotonic()
        reply = controller.interpret("make the background green", ctx)
        assert time.monotonic() - started < 1.0 + 10  # bounded by the deadline: it did not hang
        first = reply.text.split(") ")[0]
        assert "\n" not in reply.text
        assert ("unreachable" if kind == "down" else "timed out") in first
        assert "built-in interpreter" in first
        assert ctx.plan.backgrounds[0].background.color == "#16a34a"
        ctx.history.undo()
        assert _request_threads() <= before + 1, f"request threads piled up after {i + 1}"
    # the abandoned request ends on its own by its deadline: no thread is left behind
    stop = time.monotonic() + 10
    while _request_threads() > before and time.monotonic() < stop:
        time.sleep(0.05)
    assert _request_threads() == before


def test_the_client_pool_is_deadline_bounded() -> None:
    """httpx and httpcore are pinned together: the private pool the deadline backend goes into
    is still there (an upgrade that removes it fails here, not silently in the field)."""
    from backdrop.agent.llm import _DeadlineBackend, http_client

    with http_client(5.0) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, _DeadlineBackend)
