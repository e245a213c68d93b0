"""The local tool-calling model as a second opinion (issue 11, item 3): opt-in, telemetry off,
no outbound connection, its calls validated like any language model's."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import socket
import sys
import time
from typing import Any

import pytest

from backdrop.agent import llm
from backdrop.agent.interpret import RuleInterpreter
from backdrop.agent.llm import LLMError, LocalToolModel, SecondOpinion
from backdrop.render.plan import EditPlan
from backdrop.tools import PlanHistory, ToolContext, default_registry

HAS_NEEDLE = importlib.util.find_spec("needle") is not None


class Engine:
    """Stands in for ``needle.Needle``: answers ``complete`` from a script, records queries."""

    def __init__(
        self, calls: list[dict[str, Any]] | None = None, fail: bool = False, delay: float = 0.0
    ) -> None:
        self.calls = calls or []
        self.fail = fail
        self.delay = delay
        self.queries: list[str] = []

    def complete(self, text: str) -> dict[str, Any]:
        self.queries.append(text)
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("engine crashed")
        return {"type": "call" if self.calls else "text", "function_calls": self.calls}


def _ctx() -> ToolContext:
    return ToolContext(history=PlanHistory(EditPlan()), duration=10.0)


def _second(engine: Engine) -> SecondOpinion:
    reg = default_registry()
    return SecondOpinion(RuleInterpreter(reg), LocalToolModel(reg, model=engine), reg)


REMOVE = {"name": "remove_background", "arguments": {}}
GIBBERISH = "zorp the flimflam"


def test_rules_understood_the_local_model_is_not_asked() -> None:
    engine = Engine([REMOVE])
    ctx = _ctx()
    reply = _second(engine).interpret("make the background blue", ctx)
    assert not reply.clarify and reply.changed
    assert engine.queries == []
    assert "local model" not in reply.text


def test_the_local_model_applies_what_the_rules_did_not_understand_and_says_so() -> None:
    engine = Engine([REMOVE])
    ctx = _ctx()
    reply = _second(engine).interpret(GIBBERISH, ctx)
    assert engine.queries == [GIBBERISH]
    assert reply.changed and not reply.clarify
    assert "local model" in reply.text and "rules did not" in reply.text
    assert [c.name for c in reply.calls] == ["remove_background"]
    assert ctx.plan != EditPlan()
    assert ctx.history.can_undo  # one undoable step, like any other edit


@pytest.mark.parametrize(
    "calls",
    [
        [{"name": "format_disk", "arguments": {}}],  # not a Backdrop tool
        [{"name": "render", "arguments": {}}],  # a tool, but not one offered to it
        [{"name": "set_background", "arguments": {}}],  # a tool, but not one offered to it
        [{"name": "blur_background", "arguments": "strong"}],  # arguments not an object
        [{"name": "blur_background", "arguments": {"radius": 3}}],  # no such argument
        [{"name": "blur_background", "arguments": {"strength": 7}}],  # out of range
    ],
)
def test_invalid_local_calls_change_nothing_and_the_question_stands(calls: list[Any]) -> None:
    ctx = _ctx()
    rules_only = RuleInterpreter(default_registry()).interpret(GIBBERISH, _ctx())
    reply = _second(Engine(calls)).interpret(GIBBERISH, ctx)
    assert reply.clarify and not reply.changed
    assert reply.text == rules_only.text
    assert ctx.plan == EditPlan()


def test_engine_failure_or_no_calls_keeps_the_rules_question() -> None:
    for engine in (Engine(fail=True), Engine([])):
        ctx = _ctx()
        reply = _second(engine).interpret(GIBBERISH, ctx)
        assert reply.clarify and ctx.plan == EditPlan()


def test_a_slow_model_times_out_and_is_not_asked_again_while_busy() -> None:
    engine = Engine([REMOVE], delay=1.0)
    reg = default_registry()
    second = SecondOpinion(
        RuleInterpreter(reg), LocalToolModel(reg, model=engine, timeout=0.1), reg
    )
    ctx = _ctx()
    t = time.perf_counter()
    assert second.interpret(GIBBERISH, ctx).clarify  # timed out: the rules' question stands
    assert time.perf_counter() - t < 0.9
    assert second.interpret(GIBBERISH, ctx).clarify  # still busy: not asked again
    assert engine.queries == [GIBBERISH]
    assert ctx.plan == EditPlan()
    time.sleep(1.2)  # the first answer came and was dropped; the model is free again
    second.local.timeout = 5.0
    assert second.interpret(GIBBERISH, ctx).changed


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "needle", None)  # import needle → ImportError
    monkeypatch.setenv("NEEDLE_TELEMETRY", "1")
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    with pytest.raises(LLMError, match="models install --with llm"):
        llm.load_local_model([])
    # telemetry is switched off before the import is even tried
    assert os.environ["NEEDLE_TELEMETRY"] == "0" and os.environ["DO_NOT_TRACK"] == "1"
    # and the session keeps working with the rules alone
    reply = SecondOpinion(
        RuleInterpreter(default_registry()), LocalToolModel(), default_registry()
    ).interpret(GIBBERISH, _ctx())
    assert reply.clarify


def test_opt_in_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(llm.LOCAL_LLM_ENV, raising=False)
    assert not llm.local_llm_wanted()
    monkeypatch.setenv(llm.LOCAL_LLM_ENV, "1")
    assert llm.local_llm_wanted()


def _loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        try:
            return ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            return address[0] == "localhost"
    return isinstance(address, str | bytes)  # AF_UNIX paths stay on the machine


@pytest.mark.slow
@pytest.mark.skipif(not HAS_NEEDLE, reason=f"{llm.LOCAL_LLM_REQUIREMENT} is not installed")
def test_real_local_model_opens_no_outbound_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Telemetry on in the environment, every non-loopback connect and name lookup made to
    fail loudly: loading the real model and asking it must not try either."""
    attempts: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        if not _loopback(address):
            attempts.append(address)
            raise OSError(f"test: outbound connection to {address} refused")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if not _loopback(address):
            attempts.append(address)
            return 111
        return real_connect_ex(self, address)

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        raise socket.gaierror(f"test: name lookup of {host} refused")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setenv("NEEDLE_TELEMETRY", "1")  # the person's environment asks for it …
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    monkeypatch.delenv("CI", raising=False)  # (the package also goes quiet under CI)
    for mod in [m for m in sys.modules if m == "needle" or m.startswith("needle.")]:
        monkeypatch.delitem(sys.modules, mod)
    import threading

    before = set(threading.enumerate())
    model = LocalToolModel(default_registry(), tools=("remove_background", "undo"), timeout=900)
    calls = model.propose("remove the background")
    # … and Backdrop turned it off before the import
    import needle._telemetry as telemetry

    assert not telemetry._enabled()
    for t in set(threading.enumerate()) - before:  # telemetry posts from a daemon thread
        t.join(timeout=5)
    assert attempts == []
    assert all(c.name in ("remove_background", "undo") for c in calls)


def test_session_asks_the_local_model_only_when_opted_in(
    monkeypatch: pytest.MonkeyPatch, sample: Any
) -> None:
    from backdrop.agent.session import Session

    from .conftest import Scripted

    monkeypatch.delenv(llm.LOCAL_LLM_ENV, raising=False)
    plain = Session(sample, analyzers=lambda info: [Scripted([])], llm=False)
    assert not isinstance(plain.rules, SecondOpinion)
    monkeypatch.setenv(llm.LOCAL_LLM_ENV, "1")
    session = Session(sample, analyzers=lambda info: [Scripted([])], llm=False).start()
    assert isinstance(session.rules, SecondOpinion)
    session.rules.local.model = Engine([REMOVE])  # the real engine is the slow test above
    assert session.wait(60)
    reply = session.submit(GIBBERISH).result(30)
    assert reply.changed and "local model" in reply.text
    assert session.plan.backgrounds[0].background.type == "transparent"
    session.close()
