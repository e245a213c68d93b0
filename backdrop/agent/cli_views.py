"""What the ``backdrop`` command prints: its two consoles, the render progress bar, status
lines, plan summaries and tables. The commands in :mod:`backdrop.agent.cli` decide *what* to
say; this module decides how it looks, so a change of wording or layout lands here. (The
batch's live view is :class:`backdrop.agent.batch.BatchView`, imported only by ``batch``.)

Results go to ``out`` (stdout); progress, warnings and errors to ``err`` (stderr), so a
script can capture the results alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from backdrop.perception.core.events import Timeline
    from backdrop.perception.core.media import MediaInfo
    from backdrop.perception.core.models import ModelStatus
    from backdrop.render.pipeline import RenderStats
    from backdrop.render.plan import EditPlan

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """The one ``error: …`` line a failed command ends with (stderr)."""
    err.print(Text(f"error: {message}", style="bold red"))


def warn(message: str) -> None:
    """A yellow line on stderr: something the person should know, not a failure."""
    err.print(Text(message, style="yellow"))


def heard(text: str) -> None:
    """Say what a spoken instruction was heard as."""
    out.print(Text(f"I heard: “{text}”", style="cyan"))


def understood(reply_text: str, video: Path, info: MediaInfo) -> None:
    """The interpreter's reply (what was applied) and the source it applies to."""
    out.print(Text(reply_text, style="green"))
    out.print(f"source: {video} ({info.summary()})")


def plan_line(plan: EditPlan) -> None:
    """The plan on one line: ``plan: keep the person …; background → …``."""
    out.print("plan: " + "; ".join(plan.describe()))


def plan_lines(plan: EditPlan) -> None:
    """The plan in plain words, one ``- `` line per rule."""
    for line in plan.describe():
        out.print(f"- {line}")


def wrote(path: Path | str) -> None:
    """``wrote PATH`` for a finished output."""
    out.print(f"wrote {path}")


class _FpsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        fps = task.fields.get("fps", 0.0)
        return Text(f"{fps:5.1f} fps", style="cyan")


def render_progress() -> Progress:
    """The render bar on stderr: frames done of total, frames per second, time left. The task
    takes an ``fps`` field."""
    return Progress(
        TextColumn("rendering"),
        BarColumn(),
        MofNCompleteColumn(),
        _FpsColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def render_done(stats: RenderStats, source: Path) -> None:
    """The outputs written, the frame rate reached, and a warning when the source stopped
    decoding before its end (``stats.missing_seconds`` > 0)."""
    for p in stats.outputs:
        wrote(p)
    out.print(f"{stats.frames} frames in {stats.seconds:.1f} s ({stats.fps:.1f} fps)")
    if stats.missing_seconds > 0:
        warn(
            f"warning: {source} stops decoding at {stats.decoded_until:.2f} s; rendered the "
            f"{stats.frames} frames that decode ({stats.missing_seconds:.2f} s at the end "
            "were missing or broken)"
        )


def events_table(video: Path, timeline: Timeline) -> None:
    """A table of ``timeline``'s events: from, to (seconds), type and the other fields."""
    from backdrop.perception.core.events import event_to_dict

    table = Table(title=f"{video} — {timeline.duration:.2f} s, {len(timeline.events)} events")
    for col in ("from", "to", "event", "details"):
        table.add_column(col)
    for ev in timeline.events:
        d = event_to_dict(ev)
        details = ", ".join(
            f"{k}={v}" for k, v in d.items() if k not in ("type", "t0", "t1", "source", "words")
        )
        table.add_row(f"{ev.t0:7.2f}", f"{ev.t1:7.2f}", ev.type, details)
    out.print(table)


def model_list(statuses: Iterable[ModelStatus]) -> None:
    """Each model: installed or not, licence and tier, what it is for, where it comes from,
    and its path or how to get it."""
    for st in statuses:
        state = "[green]installed[/]" if st.installed else f"[yellow]not installed[/] {st.note}"
        out.print(f"[bold]{st.name}[/]  {state.rstrip()}  ({st.licence}, {st.tier})")
        out.print(f"    for:  {st.purpose}")
        out.print(f"    from: {st.source}")
        if st.installed:
            out.print(f"    path: {st.path}")
        else:
            out.print(f"    get:  {st.how_to_get}")


def editor_banner(url: str, workdir: Path, token: str | None) -> None:
    """Where the browser editor listens, its working folder and (off loopback) its token."""
    out.print(f"Backdrop editor on {url}  (working folder {workdir.resolve()}; Ctrl-C stops)")
    if token:
        out.print(f"token: {token}  (needed on every request; it is in the URL above)")


__all__ = [
    "editor_banner",
    "err",
    "error",
    "events_table",
    "heard",
    "model_list",
    "out",
    "plan_line",
    "plan_lines",
    "render_done",
    "render_progress",
    "understood",
    "warn",
    "wrote",
]
