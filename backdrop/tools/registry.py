"""One registry for the agent's verbs: JSON tool schemas for an LLM, and dispatch by name.

A tool is a function ``(ctx: ToolContext, args: ArgsModel) -> ToolResult``. The pydantic model
in its signature gives the parameters (with ``extra="forbid"``), its docstring the description.
"""

from __future__ import annotations

import copy
import inspect
import json
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from backdrop.tools.context import ToolContext, ToolResult

ToolFunc = Callable[[ToolContext, Any], ToolResult]


@dataclass(frozen=True)
class ToolCall:
    """One call of a tool by name with JSON-able arguments (what an LLM's tool call carries)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tool:
    """A registered tool: its name, description, argument model and function."""

    name: str
    description: str
    args_model: type[BaseModel]
    func: ToolFunc

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function-tool schema for this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters(),
            },
        }

    def parameters(self) -> dict[str, Any]:
        """JSON Schema of the arguments: ``$ref``s inlined, union tags required."""
        params = _inline_schema(self.args_model.model_json_schema())
        _require_tags(params)
        return params


class ToolRegistry:
    """Tools by name. Build it once (it holds no session state) and share it."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        if tool.args_model.model_config.get("extra") != "forbid":
            raise ValueError(f"tool {tool.name!r}: its argument model must set extra='forbid'")
        self._tools[tool.name] = tool

    def register(self, func: ToolFunc) -> ToolFunc:
        """Decorator: register ``func`` under its own name; the args model comes from its hints."""
        hints = typing.get_type_hints(func)
        params = list(inspect.signature(func).parameters)
        if len(params) != 2:
            raise TypeError(f"tool {func.__name__}: expected (ctx, args), got {params}")
        model = hints.get(params[1])
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"tool {func.__name__}: annotate its args with a pydantic model")
        self.add(Tool(func.__name__, _description(func), model, func))
        return func

    # -- queries -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Tool:
        """The tool called ``name``; ``KeyError`` when there is none."""
        return self._tools[name]

    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI-style ``tools`` list: ``{"type": "function", "function": {...}}`` per tool."""
        return [t.schema() for t in self._tools.values()]

    # -- dispatch ------------------------------------------------------------------------------
    def dispatch(
        self, ctx: ToolContext, name: str, args: Mapping[str, Any] | str | None = None
    ) -> ToolResult:
        """Validate ``args`` against the tool's model and run it.

        Args:
            ctx: The session's context.
            name: Tool name.
            args: A mapping, a JSON object string (as LLM APIs deliver), or ``None`` for none.

        Returns:
            The tool's result; an unknown name or invalid arguments give ``ok=False`` with a
            message saying what was wrong (so an LLM can correct itself).
        """
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools)
            return ToolResult(False, f"there is no tool called {name!r} (tools: {known})")
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as e:
                return ToolResult(False, f"{name}: arguments are not valid JSON ({e.msg})")
            except (ValueError, RecursionError):  # 5,000-digit numbers, deep nesting
                return ToolResult(False, f"{name}: arguments are too large or too deeply nested")
        if args is None:
            args = {}
        if not isinstance(args, Mapping):
            return ToolResult(False, f"{name}: arguments must be a JSON object")
        try:
            parsed = tool.args_model.model_validate(dict(args))
        except ValidationError as e:
            return ToolResult(False, f"{name}: invalid arguments: {_errors(e)}")
        return tool.func(ctx, parsed)

    def run(self, ctx: ToolContext, call: ToolCall) -> ToolResult:
        """:meth:`dispatch` a :class:`ToolCall`."""
        return self.dispatch(ctx, call.name, call.args)


def _description(func: Callable[..., Any]) -> str:
    """The docstring without its ``Args:``/``Returns:`` sections (parameters carry their own)."""
    doc = inspect.getdoc(func) or ""
    if not doc:
        raise TypeError(f"tool {func.__name__} needs a docstring: it is the LLM's description")
    keep: list[str] = []
    for line in doc.splitlines():
        if line.strip() in {"Args:", "Returns:", "Raises:"}:
            break
        keep.append(line)
    return "\n".join(keep).strip()


def _errors(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _inline_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolve local ``$ref``s into ``$defs`` and drop titles: a flat schema small models read."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            target = copy.deepcopy(defs[ref.rsplit("/", 1)[-1]])
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return walk({**target, **extra})
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in {"$defs", "title"}:
                continue
            if key == "properties":
                out[key] = {name: walk(sub) for name, sub in value.items()}
            elif key == "discriminator":
                # OpenAPI keyword, not JSON Schema; its mapping points at removed $defs.
                continue
            else:
                out[key] = walk(value)
        return out

    result = walk(schema)
    result.setdefault("properties", {})
    return result


def _require_tags(node: Any) -> None:
    """Mark ``type`` required in union members where it is a constant tag (pydantic needs it)."""
    if isinstance(node, list):
        for x in node:
            _require_tags(x)
    elif isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and "const" in props.get("type", {}):
            props["type"].pop("default", None)
            required = node.setdefault("required", [])
            if "type" not in required:
                required.insert(0, "type")
        for value in node.values():
            _require_tags(value)
