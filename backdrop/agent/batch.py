"""``backdrop batch``: the CLI's side of batch rendering (the scale-out is
:mod:`backdrop.render.batch`): the plan an instruction means, and the terminal view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backdrop.render.batch import (
    BatchEvent,
    BatchReport,
    EngineReady,
    FramesDone,
    VideoQueued,
    VideoStatus,
)
from backdrop.render.plan import EditPlan, PlanError


def plan_from_instruction(text: str) -> EditPlan:
    """The plan an instruction means, for videos of any length (relative times stay relative).

    Raises:
        PlanError: the instruction was not understood or changes nothing; the message says why.
    """
    from backdrop.agent.interpret import SpeechInterpreter
    from backdrop.agent.replies import nothing_to_do
    from backdrop.tools import PlanHistory, ToolContext

    # the interpreter ``backdrop edit`` uses, so one instruction means one plan everywhere
    ctx = ToolContext(history=PlanHistory(EditPlan()), duration=None)
    reply = SpeechInterpreter().interpret(text, ctx)
    plan = ctx.history.current
    if nothing_to_do(reply, plan):
        raise PlanError(reply.text)
    if ctx.output_size is not None:  # never silently dropped: a batch keeps each video's size
        raise PlanError(
            f"a batch keeps each video's own size, so I can't export at {ctx.output_size}: "
            "say the instruction without the size"
        )
    return plan


# -- terminal view -----------------------------------------------------------------------------


class BatchView:
    """Rich view of a batch: one overall bar (frames), a row per video in progress, a line per
    finished video, and :meth:`summary` (a table) at the end. Use as a context manager and pass
    :meth:`__call__` as the listener."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.overall = self.progress.add_task("[bold]all videos", total=0)
        self._rows: dict[Path, Any] = {}
        self._frames: dict[Path, int] = {}
        self._finished: set[Path] = set()

    def __enter__(self) -> BatchView:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def _task(self, task_id: Any) -> Any:
        return next(t for t in self.progress.tasks if t.id == task_id)

    def _row(self, source: Path, status: str) -> Any:
        if source not in self._rows:
            total = self._frames.get(source) or None
            self._rows[source] = self.progress.add_task("", total=total)
        row = self._rows[source]
        self.progress.update(row, description=f"  {source.name} [dim]{status}[/]")
        return row

    def __call__(self, ev: BatchEvent) -> None:
        p = self.progress
        if isinstance(ev, EngineReady):
            style = "cyan" if ev.parallel else "yellow"
            p.console.print(f"[{style}]engine: {ev.note}[/]")
        elif isinstance(ev, VideoQueued):
            self._frames[ev.source] = ev.frames
            total = self._task(self.overall).total or 0
            p.update(self.overall, total=total + ev.frames)
        elif isinstance(ev, FramesDone):
            if ev.source in self._finished:
                return
            row = self._row(ev.source, "rendering")
            p.advance(row, ev.frames)
            p.advance(self.overall, ev.frames)
        elif isinstance(ev, VideoStatus):
            if ev.status == "joining":
                self._row(ev.source, "joining chunks")
                return
            if ev.status not in ("done", "skipped", "failed"):
                self._row(ev.source, ev.status)
                return
            self._finished.add(ev.source)
            row = self._rows.pop(ev.source, None)
            expected = self._frames.pop(ev.source, 0)
            if row is not None:
                done = int(self._task(row).completed)
                p.remove_task(row)
            else:
                done = 0
            if expected and ev.status != "skipped":  # count the rest as settled
                p.advance(self.overall, max(0, expected - done))
            mark = {"done": "[green]done[/]", "skipped": "[dim]skipped[/]"}.get(
                ev.status, "[red]failed[/]"
            )
            detail = f" — {ev.detail}" if ev.detail and ev.status == "failed" else ""
            p.console.print(f"{mark} {ev.source.name}{detail}")

    def summary(self, report: BatchReport) -> None:
        """Print the table of results and a totals line."""
        from rich.table import Table

        table = Table(title="batch")
        for col in ("video", "status", "output / reason", "frames", "seconds", "chunks"):
            table.add_column(col, overflow="fold")
        style = {"done": "green", "skipped": "dim", "failed": "red"}
        for r in report.results:
            table.add_row(
                r.source.name,
                f"[{style[r.status]}]{r.status}[/]",
                r.reason if r.status == "failed" else r.output.name,
                str(r.frames),
                f"{r.seconds:.1f}" if r.status == "done" else "",
                str(r.chunks) if r.status == "done" else "",
            )
        self.console.print(table)
        self.console.print(
            f"{report.count('done')} done, {report.count('skipped')} skipped, "
            f"{report.count('failed')} failed in {report.seconds:.1f} s "
            f"({report.videos_per_minute:.1f} videos/min; engine: {report.engine})"
        )


__all__ = ["BatchView", "plan_from_instruction"]
