"""Undo/redo history of :class:`~backdrop.render.plan.EditPlan` versions, and of the settings
that go with an edit without being part of the plan file (the export size, the chosen take)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from backdrop.render.plan import EditPlan


@dataclass
class _Step:
    before: EditPlan
    after: EditPlan
    label: str
    settings_before: dict[str, str | None] = field(default_factory=dict)
    settings_after: dict[str, str | None] = field(default_factory=dict)


class Transaction:
    """Handle yielded by :meth:`PlanHistory.transaction`; call :meth:`discard` to roll back."""

    def __init__(self) -> None:
        self.discarded = False

    def discard(self) -> None:
        """Drop every change made inside the transaction when it ends."""
        self.discarded = True


class PlanHistory:
    """The current plan plus an undo stack of past steps and a redo stack.

    Each :meth:`apply` outside a transaction is one undoable step. Inside
    :meth:`transaction`, applies update :attr:`current` immediately (so later tool calls see
    them) but are recorded as a single step when the transaction ends, so one undo reverts a
    whole instruction.

    Settings (:meth:`setting`, :meth:`set_setting`: the export size "export in 4K", the take
    being edited) are undone and redone with the plan, and rolled back with a transaction, but
    are not part of the plan or its file; a settings-only change is a step of its own.
    """

    def __init__(self, plan: EditPlan | None = None) -> None:
        self._current = plan if plan is not None else EditPlan()
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._txn_start: EditPlan | None = None
        self._txn_labels: list[str] = []
        self._settings: dict[str, str | None] = {}

    # -- queries -------------------------------------------------------------------------------
    @property
    def current(self) -> EditPlan:
        """The plan in effect now."""
        return self._current

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        """Label of the step :meth:`undo` would revert, or ``None``."""
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        """Label of the step :meth:`redo` would re-apply, or ``None``."""
        return self._redo[-1].label if self._redo else None

    @property
    def past(self) -> list[EditPlan]:
        """Plans before each undoable step, oldest first (a copy)."""
        return [s.before for s in self._undo]

    @property
    def in_transaction(self) -> bool:
        return self._txn_start is not None

    @property
    def depth(self) -> int:
        """How many steps :meth:`undo` can revert."""
        return len(self._undo)

    def setting(self, key: str) -> str | None:
        """The setting ``key`` now (``None`` = never set, or unset)."""
        return self._settings.get(key)

    # -- changes -------------------------------------------------------------------------------
    def apply(self, plan: EditPlan, label: str) -> bool:
        """Make ``plan`` current as a step called ``label``. Returns whether anything changed.

        An unchanged plan records no step. A new step clears the redo stack.
        """
        if plan == self._current:
            return False
        if self._txn_start is not None:
            self._current = plan
            self._txn_labels.append(label)
            return True
        settings = dict(self._settings)
        self._undo.append(_Step(self._current, plan, label, settings, settings))
        self._redo.clear()
        self._current = plan
        return True

    def set_setting(self, key: str, value: str | None, label: str) -> bool:
        """Set the setting ``key`` to ``value`` as a step called ``label`` (inside a transaction:
        part of its step). Returns whether it changed."""
        if self._settings.get(key) == value:
            return False
        before = dict(self._settings)
        self._settings[key] = value
        if self._txn_start is not None:
            self._txn_labels.append(label)
            return True
        self._undo.append(_Step(self._current, self._current, label, before, dict(self._settings)))
        self._redo.clear()
        return True

    def merge_last(self) -> None:
        """Make the last two steps one, with the earlier one's label (a sentence's export size,
        set after its edits ran, joins their step so that one undo reverts the sentence)."""
        self._no_txn("merge steps")
        if len(self._undo) < 2:
            return
        second = self._undo.pop()
        first = self._undo[-1]
        self._undo[-1] = _Step(first.before, second.after, first.label, first.settings_before,
                               second.settings_after)  # fmt: skip

    def undo(self) -> bool:
        """Revert the last step. Returns ``False`` when there is nothing to undo."""
        self._no_txn("undo")
        if not self._undo:
            return False
        step = self._undo.pop()
        self._redo.append(step)
        self._current = step.before
        self._settings = dict(step.settings_before)
        return True

    def redo(self) -> bool:
        """Re-apply the last undone step. Returns ``False`` when there is nothing to redo."""
        self._no_txn("redo")
        if not self._redo:
            return False
        step = self._redo.pop()
        self._undo.append(step)
        self._current = step.after
        self._settings = dict(step.settings_after)
        return True

    @contextmanager
    def transaction(self, label: str | None = None) -> Iterator[Transaction]:
        """Group every :meth:`apply` inside the ``with`` block into one undoable step.

        Args:
            label: The step's label; defaults to the applied labels joined with "; ".

        On an exception, or when :meth:`Transaction.discard` was called, the plan goes back to
        what it was when the block started and no step is recorded. Transactions do not nest.
        """
        if self._txn_start is not None:
            raise RuntimeError("PlanHistory transactions do not nest; finish the open one first")
        start, settings = self._current, dict(self._settings)
        self._txn_start, self._txn_labels = start, []
        txn = Transaction()
        try:
            yield txn
        except BaseException:
            self._current, self._settings = start, settings
            raise
        finally:
            labels = self._txn_labels
            self._txn_start, self._txn_labels = None, []
        if txn.discarded:
            self._current, self._settings = start, settings
        elif self._current != start or self._settings != settings:
            after = dict(self._settings)
            self._undo.append(
                _Step(start, self._current, label or "; ".join(labels), settings, after)
            )
            self._redo.clear()

    def _no_txn(self, what: str) -> None:
        if self._txn_start is not None:
            raise RuntimeError(f"cannot {what} inside a transaction; {what} before opening it")
