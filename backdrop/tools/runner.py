"""The one edit path: a list of tool calls applied as one undoable step, all or nothing.

Every change to the plan — typed or spoken (the rule interpreters), a language model's tool
calls, a notice's "yes", a click in the editor — goes through :func:`run_step`. When any call
fails, nothing of the step stays: the plan, the focused segment and the notes go back to what
they were, and the :class:`StepResult` says which call failed and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from backdrop.render.plan import EditPlan, TimeRange, describe_selector
from backdrop.tools.context import ToolContext
from backdrop.tools.registry import ToolCall, ToolRegistry


@dataclass(frozen=True)
class Applied:
    """One call that ran: the call and what the tool said it did (plain words)."""

    call: ToolCall
    message: str


@dataclass(frozen=True)
class StepResult:
    """What one step did.

    Attributes:
        label: The undo step's label (the instruction, or what the UI action was).
        moves: The undo/redo calls that ran before the step (each a history move of its own).
        applied: The edit calls that ran, in order, with their messages; when the step failed
            they were rolled back.
        failed: The call that failed and the tool's reason, or ``None`` when every call ran.
        notes: Notices the tools added for the person (clamped times, shortened fades); empty
            when the step failed.
        before: The plan before the step (before any undo/redo).
        after: The plan after it.
    """

    label: str
    moves: tuple[Applied, ...] = ()
    applied: tuple[Applied, ...] = ()
    failed: Applied | None = None
    notes: tuple[str, ...] = ()
    before: EditPlan = field(default_factory=EditPlan)
    after: EditPlan = field(default_factory=EditPlan)

    @property
    def ok(self) -> bool:
        """Whether every call ran (so the step was kept)."""
        return self.failed is None

    @property
    def changed(self) -> bool:
        """Whether the plan is different after the step."""
        return self.after != self.before

    @property
    def calls(self) -> list[ToolCall]:
        """Every call that was tried, in order: moves, applied calls, then the failed one."""
        tried = [a.call for a in (*self.moves, *self.applied)]
        return tried + [self.failed.call] if self.failed is not None else tried

    @property
    def messages(self) -> list[str]:
        """The applied edit calls' messages, in order (empty ones skipped)."""
        return [a.message for a in self.applied if a.message]

    def changes(self, edited: bool = True) -> list[str]:
        """What is new in the plan, in plain words ("keep the point (x=400, y=520)").

        Args:
            edited: Whether edit calls ran (edge changes are only named then: undo/redo also
                moves them).
        """
        return plan_changes(self.before, self.after, edited)


def run_step(
    ctx: ToolContext,
    calls: Sequence[ToolCall],
    label: str,
    *,
    registry: ToolRegistry | None = None,
    pre: Sequence[ToolCall] = (),
) -> StepResult:
    """Run ``calls`` on ``ctx`` as one undoable history step called ``label``: all or nothing.

    Args:
        ctx: The session's tool context; its plan history records the step.
        calls: The edit calls, in order. Later calls see what earlier ones changed.
        label: The step's label in the undo history.
        registry: The tools to dispatch through (default: every built-in tool).
        pre: Undo/redo calls run one by one before the step (each is a history move of its
            own, so they cannot be part of it); the first that fails ends the run.

    Returns:
        The :class:`StepResult`. On a failure the plan, ``ctx.focus`` and ``ctx.notes`` are as
        they were before ``calls`` started.
    """
    if registry is None:
        from backdrop.tools.edit import default_registry

        registry = default_registry()
    before = ctx.plan
    moves: list[Applied] = []
    for call in pre:
        result = registry.run(ctx, call)
        if not result.ok:
            failed = Applied(call, result.message)
            return StepResult(label, tuple(moves), (), failed, (), before, ctx.plan)
        moves.append(Applied(call, result.message))
    applied: list[Applied] = []
    notes_start = len(ctx.notes)
    focus_before = ctx.focus
    failed = None
    with ctx.history.transaction(label=label.strip()) as txn:
        for call in calls:
            result = registry.run(ctx, call)
            if not result.ok:
                failed = Applied(call, result.message)
                txn.discard()
                break
            applied.append(Applied(call, result.message))
    if failed is not None:
        del ctx.notes[notes_start:]
        ctx.focus = focus_before
        return StepResult(label, tuple(moves), tuple(applied), failed, (), before, ctx.plan)
    notes = tuple(ctx.notes[notes_start:])
    return StepResult(label, tuple(moves), tuple(applied), None, notes, before, ctx.plan)


def plan_changes(before: EditPlan, after: EditPlan, edited: bool = True) -> list[str]:
    """What ``after`` has that ``before`` has not, in plain words, one item per change.

    Args:
        before: The plan before.
        after: The plan after.
        edited: Whether to name a change of edge settings (an undo also changes them, and is
            said by its own message).
    """
    parts: list[str] = []
    for seg in after.backgrounds:
        if seg not in before.backgrounds:
            parts.append(EditPlan(backgrounds=[seg]).describe()[0])
    if not parts:  # changes taken out ("drop the green"), not replaced by new ones
        for seg in before.backgrounds:
            if seg not in after.backgrounds:
                said = EditPlan(backgrounds=[seg]).describe()[0]
                parts.append(f"took out “{said}”, the original background shows there again")
    for k in after.keep:
        if k not in before.keep:
            whole = k.range == TimeRange()
            name = k.label if k.subject == "object" and k.label else k.subject
            what = f"the {name}" if k.selector is None else describe_selector(k.selector)
            parts.append(f"{k.action} {what}" + ("" if whole else f" ({k.range.describe()})"))
    for q in after.quality:
        if q not in before.quality:
            parts.append(f"{q.tier} segmentation ({q.range.describe()})")
    if after.edges != before.edges and edited:
        e = after.edges
        parts.append(
            f"edges: feather {e.feather:g} px, refine {e.refine} (radius {e.refine_radius:g} px)"
            + (f", shift {e.shift:+g} px" if e.shift else "")
            + (f", {e.despill} despill" if e.despill != before.edges.despill else "")
            + (MATTE_SAID if e.refine == "matte" and before.edges.refine != "matte" else "")
        )
    return parts


MATTE_SAID = (
    " — alpha matting in a band around the edge with the subject's own colour restored, in the "
    "quality settings (export and refined frames; the live preview keeps its fast edge)"
)


__all__ = ["Applied", "StepResult", "plan_changes", "run_step"]
