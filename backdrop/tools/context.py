"""What a tool sees: the injected :class:`ToolContext`, and what it answers, :class:`ToolResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from backdrop.perception.core.events import Timeline
from backdrop.render.plan import EditPlan, TimeRange
from backdrop.tools.history import PlanHistory

OUTPUT_SIZE = "output_size"
"""The history setting that holds the export size (see :attr:`ToolContext.output_size`)."""
SPEAKERS = "speakers"
"""The history setting that holds the number of speakers said (see :attr:`ToolContext.speakers`)."""


class Renderer(Protocol):
    """Renders ``plan`` to ``output`` (and, when given, an alpha/matte output to ``alpha``).

    The session binds the source video (e.g. with :func:`functools.partial`); tools only pass
    the plan and the output paths.
    """

    def __call__(self, plan: EditPlan, output: Path, *, alpha: Path | None = None) -> object: ...


@dataclass
class ToolContext:
    """Everything a tool may read or change. Tools keep no state of their own.

    Attributes:
        history: The plan with its undo/redo history; tools change the plan only through it.
        duration: The video's duration in seconds, or ``None`` when unknown (live or not probed).
        source: The video file being edited, or ``None``.
        focus: Index into ``plan.backgrounds`` of the segment the last change touched, so that
            "fade it in" or "make it subtle" said afterwards applies to it. ``None`` = none yet.
        renderer: Injected renderer used by the ``render`` tool; ``None`` when rendering is not
            available in this context.
        notes: Notices tools add for the person (clamped times, shortened fades), oldest first.
        timeline: What analysis found in the video (speech, transcript, speakers, cuts, objects),
            or ``None`` when it has not been analysed; tools that anchor times to speech read it.
        position: The play position the person is looking at, in seconds (a live session's
            cursor), or ``None``; "from now on" and "stop" are read against it.
        scope: The stretch of video the current step is about when its calls name no time
            range (a notice's "yes, make it red" is about the notice's section); ``None`` = the
            whole video. Tools that place something on a range default to it.
        live: The source is a live stream: time only moves forward, so a range that ended
            before :attr:`position` would never be seen and is refused.
        allowed: Folders that paths in tool arguments may lead into (the containment rule,
            :func:`backdrop.render.files.contain`); relative paths start from the first. Empty =
            the current working folder and the source video's folder.

    The export size asked for ("export in 4K") is :attr:`output_size` and the number of speakers
    said ("there are two speakers") :attr:`speakers`, both kept in the history (so undo and redo
    move them with the plan).
    """

    history: PlanHistory = field(default_factory=PlanHistory)
    duration: float | None = None
    source: Path | None = None
    focus: int | None = None
    renderer: Renderer | None = None
    notes: list[str] = field(default_factory=list)
    timeline: Timeline | None = None
    position: float | None = None
    scope: TimeRange | None = None
    allowed: tuple[Path, ...] = ()
    live: bool = False

    @property
    def output_size(self) -> str | None:
        """The export size asked for ("export in 4K"), as a ``--size`` spec (``4k``, ``1080p``,
        ``3840x2160``: see :func:`backdrop.render.facade.parse_size`), or ``None`` = the source's
        size. Not part of the plan file: whoever renders applies it. Setting it is an undoable
        step (part of the running instruction's step inside a transaction)."""
        return self.history.setting(OUTPUT_SIZE)

    @output_size.setter
    def output_size(self, spec: str | None) -> None:
        said = "the source's export size" if spec is None else f"export size {spec}"
        self.history.set_setting(OUTPUT_SIZE, spec, said)

    @property
    def speakers(self) -> int | None:
        """How many people talk in the video, as the person said ("there are two speakers"), or
        ``None`` = estimated. Speaker turns are clustered into that many voices once the whole
        video is heard. Not part of the plan file; setting it is an undoable step like
        :attr:`output_size`."""
        said = self.history.setting(SPEAKERS)
        return None if said is None else int(said)

    @speakers.setter
    def speakers(self, n: int | None) -> None:
        said = "the estimated speaker count" if n is None else f"{n} speaker(s)"
        self.history.set_setting(SPEAKERS, None if n is None else str(n), said)

    def allowed_folders(self) -> list[Path]:
        """The folders tool paths may lead into (see ``allowed``), the first being the base."""
        if self.allowed:
            return list(self.allowed)
        return [Path.cwd()] + ([self.source.parent] if self.source is not None else [])

    @property
    def plan(self) -> EditPlan:
        """The current plan (read-only; change it with ``history.apply``)."""
        return self.history.current

    def focused_index(self) -> int | None:
        """The focused segment's index if it is valid, else the last segment's, else ``None``."""
        n = len(self.plan.backgrounds)
        if self.focus is not None and 0 <= self.focus < n:
            return self.focus
        return n - 1 if n else None


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call.

    Attributes:
        ok: ``False`` for an expected failure (nothing to fade, file missing, bad arguments);
            ``message`` then says why, in words meant for the person.
        message: What happened, in plain words.
        changed: Whether the plan changed.
    """

    ok: bool
    message: str
    changed: bool = False
