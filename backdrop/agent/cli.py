"""The ``backdrop`` command line.

Every expected failure (bad video, bad plan, missing model, an instruction it cannot follow)
ends in one line on stderr and a non-zero exit code; outputs only appear when complete.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
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

from backdrop.perception.media import MediaError, MediaInfo, probe
from backdrop.perception.models import ModelInstallError, ModelMissingError
from backdrop.render.plan import EditPlan, PlanError, plan_json_schema
from backdrop.render.writer import RenderError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Backdrop: remove or replace a video's background by telling it what you want.",
)
plan_app = typer.Typer(no_args_is_help=True, help="Edit plans: schema and plain-words view.")
models_app = typer.Typer(
    invoke_without_command=True, help="Embedded models: list (default) and install."
)
app.add_typer(plan_app, name="plan")
app.add_typer(models_app, name="models")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXPECTED_ERRORS = (MediaError, PlanError, RenderError, ModelMissingError, ModelInstallError)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit."""
    err.print(Text(f"error: {message}", style="bold red"))
    raise typer.Exit(code)


class _FpsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        fps = task.fields.get("fps", 0.0)
        return Text(f"{fps:5.1f} fps", style="cyan")


def _render(source: Path, plan: EditPlan, output: Path | None, alpha: Path | None) -> None:
    """Render with a progress bar (frames, fps, time left)."""
    from backdrop.render.pipeline import render_video

    with Progress(
        TextColumn("rendering"),
        BarColumn(),
        MofNCompleteColumn(),
        _FpsColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task("render", total=None, fps=0.0)

        def progress(done: int, total: int, elapsed: float) -> None:
            if done % 5 == 0 or done == total:
                bar.update(task, completed=done, total=total, fps=done / max(elapsed, 1e-6))

        stats = render_video(source, plan, output, alpha=alpha, progress=progress)
        bar.update(task, completed=stats.frames, total=stats.frames)
    for p in stats.outputs:
        out.print(f"wrote {p}")
    out.print(f"{stats.frames} frames in {stats.seconds:.1f} s ({stats.fps:.1f} fps)")


def _probe(video: Path) -> MediaInfo:
    try:
        return probe(video)
    except MediaError as e:
        fail(str(e))


@app.command()
def edit(
    video: Annotated[Path, typer.Argument(help="The video to edit.")],
    instruction: Annotated[
        str, typer.Argument(help='What to do, e.g. "make the background blue".')
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Edited video (H.264 MP4 with audio).")
    ] = None,
    plan_out: Annotated[
        Path | None, typer.Option("--plan-out", help="Also write the edit plan (JSON) here.")
    ] = None,
    alpha: Annotated[
        Path | None,
        typer.Option("--alpha", help="Alpha output: a .webm (VP9 with alpha) or a folder (PNGs)."),
    ] = None,
    plan_in: Annotated[
        Path | None, typer.Option("--plan", help="Start from this plan instead of an empty one.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Say what was understood and write the plan; no video."),
    ] = False,
) -> None:
    """Edit VIDEO by INSTRUCTION: say what was understood, then render."""
    from backdrop.agent.interpret import RuleInterpreter
    from backdrop.tools import PlanHistory, ToolContext

    if output is None and alpha is None and not dry_run:
        fail("give an output video with -o OUT.mp4 (or --alpha, or --dry-run)", 2)
    info = _probe(video)
    start = EditPlan()
    if plan_in is not None:
        try:
            start = EditPlan.load(plan_in)
        except PlanError as e:
            fail(str(e))
    ctx = ToolContext(history=PlanHistory(start), duration=info.duration, source=video)
    reply = RuleInterpreter().interpret(instruction, ctx)
    plan = ctx.history.current
    if reply.clarify or (not reply.changed and plan.is_empty()):
        # not understood, or nothing to do: say so, write nothing
        err.print(Text(reply.text, style="yellow"))
        raise typer.Exit(2)
    out.print(Text(reply.text, style="green"))
    out.print(f"source: {video} ({info.summary()})")
    if dry_run:
        if plan_out is not None:
            plan.save(plan_out)
            out.print(f"wrote {plan_out}")
        else:
            out.print(plan.to_json(), end="")
        return
    try:
        _render(video, plan, output, alpha)
    except EXPECTED_ERRORS as e:
        fail(str(e))
    if plan_out is not None:
        plan.save(plan_out)
        out.print(f"wrote {plan_out}")


@app.command()
def render(
    video: Annotated[Path, typer.Argument(help="The video to edit.")],
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN.json", help="An edit plan.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Edited video (H.264 MP4 with audio).")
    ] = None,
    alpha: Annotated[
        Path | None,
        typer.Option("--alpha", help="Alpha output: a .webm (VP9 with alpha) or a folder (PNGs)."),
    ] = None,
) -> None:
    """Render VIDEO with an existing edit plan."""
    if output is None and alpha is None:
        fail("give an output video with -o OUT.mp4 (or --alpha)", 2)
    try:
        plan = EditPlan.load(plan_path)
    except PlanError as e:
        fail(str(e))
    info = _probe(video)
    out.print("plan: " + "; ".join(plan.describe()))
    out.print(f"source: {video} ({info.summary()})")
    try:
        _render(video, plan, output, alpha)
    except EXPECTED_ERRORS as e:
        fail(str(e))


@app.command()
def analyze(
    video: Annotated[Path, typer.Argument(help="The video to analyse.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON.")] = False,
) -> None:
    """What is in VIDEO over time: speech, transcript, speakers, cuts, lighting, people."""
    from backdrop.perception.analysis import analyze as run_analysis

    _probe(video)
    try:
        timeline = run_analysis(video)
    except EXPECTED_ERRORS as e:
        fail(str(e))
    if as_json:
        out.print_json(json.dumps(timeline.to_dict()))
        return
    from backdrop.perception.events import event_to_dict

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


@app.command()
def chat(
    video: Annotated[Path, typer.Argument(help="The video to talk about.")],
    script: Annotated[
        Path | None,
        typer.Option("--script", help="Read the person's lines from this file (one a line)."),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for previews, plans and renders.")
    ] = Path("out"),
    rules_only: Annotated[
        bool, typer.Option("--rules", help="Use the rule-based interpreter even if an LLM is set.")
    ] = False,
) -> None:
    """Talk to Backdrop about VIDEO while it processes it (typed lines, /voice, /preview …)."""
    from backdrop.agent.chat import HELP, Chat
    from backdrop.agent.session import Session

    _probe(video)
    if script is not None and not script.is_file():
        fail(f"{script}: no such script file")
    session = Session(video, llm=False if rules_only else None).start()
    talk = Chat(session, lambda line: out.print(Text(line)), out_dir)
    try:
        if script is not None:
            talk.run(script.read_text(encoding="utf-8").splitlines())
            session.wait()
        else:
            out.print(Text(HELP))
            while True:
                try:
                    line = input("> ")
                except EOFError:
                    break
                if not talk.handle(line):
                    break
    finally:
        session.close()


@plan_app.command("schema")
def plan_schema() -> None:
    """Print the edit plan's JSON schema."""
    out.print_json(json.dumps(plan_json_schema()))


@plan_app.command("show")
def plan_show(plan_path: Annotated[Path, typer.Argument(metavar="PLAN.json")]) -> None:
    """Print a plan in plain words."""
    try:
        plan = EditPlan.load(plan_path)
    except PlanError as e:
        fail(str(e))
    for line in plan.describe():
        out.print(f"- {line}")


@models_app.callback()
def models_main(ctx: typer.Context) -> None:
    """List the models: what each is for, where it comes from, its licence, whether installed."""
    if ctx.invoked_subcommand is not None:
        return
    from backdrop.perception.models import model_status

    for st in model_status():
        state = "[green]installed[/]" if st.installed else f"[yellow]not installed[/] {st.note}"
        out.print(f"[bold]{st.name}[/]  {state.rstrip()}  ({st.licence}, {st.tier})")
        out.print(f"    for:  {st.purpose}")
        out.print(f"    from: {st.source}")
        if st.installed:
            out.print(f"    path: {st.path}")
        else:
            out.print(f"    get:  {st.how_to_get}")


@models_app.command("install")
def models_install() -> None:
    """Put the embedded models in place (downloads the pinned MediaPipe wheel with pip)."""
    from backdrop.perception.models import install_models

    try:
        paths = install_models(progress=lambda msg: out.print(msg))
    except EXPECTED_ERRORS as e:
        fail(str(e))
    out.print(f"{len(paths)} embedded models installed")


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; no partial output was kept")
        sys.exit(130)


if __name__ == "__main__":
    main()
