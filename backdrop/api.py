"""Backdrop from Python: edit a video by instruction, render a plan, or hold a conversation.

    import backdrop

    result = backdrop.edit("in.mp4", "remove the background and keep the couch", out="out.mp4")
    print(result.reply)             # what was understood, as the CLI says it
    result.plan.save("plan.json")   # the edit plan (EditPlan)

    backdrop.render("in.mp4", "plan.json", out="again.mp4", alpha="again.webm")

    with backdrop.Session("in.mp4") as s:      # the conversation, as in `backdrop chat`
        s.submit("make the background blue").result()
        s.render("blue.mp4")

The same pipeline as ``backdrop edit`` / ``backdrop render``: the embedded rule interpreter (the
LLM is never used here unless a :class:`Session` is configured for it), the video's speech is
analysed when the instruction refers to it ("after I say hello"), and its objects when the
instruction names one ("keep the couch"). This module sits above ``agent`` (a facade, like the
CLI); nothing below it imports it. For moviepy clips see :mod:`backdrop.moviepy`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backdrop.perception.core.events import Timeline
from backdrop.render.facade import PlanLike, load_plan, render  # re-exported
from backdrop.render.plan import EditPlan

__all__ = ["EditError", "EditResult", "PlanLike", "analyse_for", "edit", "load_plan",
           "open_session", "render"]  # fmt: skip


class EditError(Exception):
    """The instruction was not understood, or changed nothing. The message is the agent's reply
    (one or two sentences, fit to show a person)."""


@dataclass
class EditResult:
    """What :func:`edit` did.

    Attributes:
        reply: what was understood and applied, in words ("Understood: background → blue …").
        plan: the edit plan after the instruction.
        outputs: the files written (empty when no output was asked for).
        frames: frames rendered (0 when nothing was rendered).
        timeline: what analysis found (speech, objects) when the instruction needed it, or None.
    """

    reply: str
    plan: EditPlan
    outputs: list[Path] = field(default_factory=list)
    frames: int = 0
    timeline: Timeline | None = None


def analyse_for(src: str | Path, instruction: str) -> Timeline | None:
    """The analysis ``instruction`` needs on ``src``: its speech when it refers to what is said,
    its objects when it names one (and a detector is installed); None when it needs neither."""
    from backdrop.agent.interpret import SpeechInterpreter
    from backdrop.perception.core.analysis import analyze_for as analyse

    return analyse(src, instruction, speech=SpeechInterpreter.needs_timeline(instruction))


def edit(
    src: str | Path,
    instruction: str,
    out: str | Path | None = None,
    *,
    alpha: str | Path | None = None,
    plan: PlanLike | None = None,
    sam_checkpoint: str | Path | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    size: str | tuple[int, int] | None = None,
) -> EditResult:
    """Edit ``src`` by ``instruction`` and render it, as ``backdrop edit`` does.

    Args:
        src: the input video.
        instruction: what to do, e.g. ``"make the background a blue to purple gradient"``.
        out: the edited video (H.264 MP4 with the source's audio), or None.
        alpha: an alpha output (``.webm`` VP9 with alpha, or a folder for RGBA PNGs), or None.
            With neither ``out`` nor ``alpha`` nothing is rendered (the plan is still returned).
        plan: a plan to start from (default: an empty one).
        sam_checkpoint: a Segment Anything checkpoint for box / point / object masks.
        progress: ``(frames done, frames total, seconds elapsed)`` after each frame.
        size: scale the outputs: ``"4k"``, ``"1080p"``, ``"1920x1080"`` or ``(width, height)``.

    Returns:
        An :class:`EditResult` with the reply, the plan and the files written.

    Raises:
        EditError: the instruction was not understood or changed nothing (its message is the
            reply, which says why and what would work).
        MediaError, RenderError, ModelMissingError: the video cannot be read, written, or a model
            the plan needs is not installed (one-line messages).
    """
    from backdrop.agent.interpret import SpeechInterpreter
    from backdrop.agent.replies import nothing_to_do
    from backdrop.perception.core.media import probe
    from backdrop.tools import PlanHistory, ToolContext

    src = Path(src)
    info = probe(src)
    start = load_plan(plan) if plan is not None else EditPlan()
    ctx = ToolContext(history=PlanHistory(start), duration=info.duration, source=src)
    ctx.timeline = analyse_for(src, instruction)
    reply = SpeechInterpreter().interpret(instruction, ctx)
    result = ctx.history.current
    if nothing_to_do(reply, result):
        raise EditError(reply.text)
    done = EditResult(reply=reply.text, plan=result, timeline=ctx.timeline)
    size = size if size is not None else ctx.output_size  # "… and export in 4K"
    if out is not None or alpha is not None:
        stats = render(src, result, out, alpha=alpha, timeline=ctx.timeline,
                       sam_checkpoint=sam_checkpoint, progress=progress, size=size)  # fmt: skip
        done.outputs, done.frames = list(stats.outputs), stats.frames
    return done


def open_session(src: str | Path, **kw: Any) -> Any:
    """A started :class:`~backdrop.agent.session.Session` on ``src`` (rules only unless
    ``llm=`` says otherwise); close it with ``close()`` or use it in a ``with`` block."""
    from backdrop.agent.session import Session

    kw.setdefault("llm", False)
    return Session(src, **kw).start()
