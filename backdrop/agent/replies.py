"""What the agent answers: the :class:`Reply` type, the :class:`Interpreter` seam, and the words
for a step of tool calls.

Every interpreter (rules, speech-anchored rules, a language model) is an :class:`Interpreter`;
the session talks to whichever it was given through that protocol only. A step of tool calls run
by :func:`~backdrop.tools.runner.run_step` — from an instruction or from a UI action (a click, a
notice answer) — is said back by :func:`step_reply`, so every path words the same change the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from backdrop.render.plan import EditPlan
from backdrop.tools import ToolCall, ToolContext
from backdrop.tools.runner import StepResult


@dataclass(frozen=True)
class Reply:
    """The interpreter's answer to one instruction.

    Attributes:
        text: What it understood, in plain words, or a clarifying question.
        calls: The tool calls dispatched, in order (undo/redo first), as an LLM would send them.
        changed: Whether the plan changed.
        clarify: ``True`` when the instruction was not understood and ``text`` asks the person
            to rephrase (the plan is then unchanged).
    """

    text: str
    calls: list[ToolCall] = field(default_factory=list)
    changed: bool = False
    clarify: bool = False


class Interpreter(Protocol):
    """Turns one instruction into tool calls and applies them to ``ctx`` as one undoable step."""

    def interpret(self, text: str, ctx: ToolContext) -> Reply: ...


def sentence(text: str) -> str:
    """``text`` stripped, with a full stop added unless it already ends a sentence."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def step_reply(step: StepResult, *, edited: bool = True) -> Reply:
    """The reply to a step: "Understood: …" naming what changed, or why nothing did.

    Args:
        step: What :func:`~backdrop.tools.runner.run_step` did.
        edited: Whether the step had edit calls (``False`` for a bare undo/redo: its own
            message says what happened).
    """
    if step.failed is not None:
        return Reply(sentence(f"I couldn't do that: {step.failed.message}"), step.calls,
                     step.changed)  # fmt: skip
    out = [sentence(m.message[:1].upper() + m.message[1:]) for m in step.moves]
    if edited:
        parts = step.changes(edited)
        if parts:
            out.append(sentence("Understood: " + "; ".join(parts)))
        elif not step.changed:
            out.append("That's already how it is; nothing changed.")
        else:
            out.append("Done.")
    out += [sentence(f"Note: {n}") for n in step.notes]
    return Reply(" ".join(out), step.calls, step.changed)


def nothing_to_do(reply: Reply, plan: EditPlan) -> bool:
    """Whether a one-shot edit (``backdrop edit``, ``batch --say``, the Python API, the moviepy
    effect) should stop after ``reply``: the instruction was not understood, or it changed
    nothing and ``plan`` (the plan after it) is still empty. The reply's text says why."""
    return reply.clarify or (not reply.changed and plan.is_empty())


__all__ = ["Interpreter", "Reply", "nothing_to_do", "sentence", "step_reply"]
