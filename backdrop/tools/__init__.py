"""The agent's verbs: typed tools over the edit plan, their JSON schemas, and dispatch.

Use :func:`default_registry` to get the tools: ``registry.schemas()`` for an LLM and
``registry.dispatch(ctx, name, args)`` to run one.
"""

from backdrop.tools.context import Renderer, ToolContext, ToolResult
from backdrop.tools.edit import TOOLS, default_registry
from backdrop.tools.history import PlanHistory, Transaction
from backdrop.tools.registry import Tool, ToolCall, ToolRegistry

__all__ = [
    "TOOLS",
    "PlanHistory",
    "Renderer",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolRegistry",
    "ToolResult",
    "Transaction",
    "default_registry",
]
