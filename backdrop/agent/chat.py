"""``backdrop chat``: a terminal conversation with a live :class:`~backdrop.agent.session.Session`.

Lines are instructions, answers to notices ("yes", "no", "yes, make it a sunset gradient") or
commands: ``/voice FILE.wav``, ``/mic``, ``/preview TIME``, ``/plan``, ``/export PLAN.json``
(or ``.otio``, or ``OUT.mp4`` for the video), ``/render OUT.mp4``, ``/undo``, ``/redo``,
``/wait``, ``/help``, ``/quit``. Output paths stay inside the current folder, the video's
folder or the out folder, and never replace an input. With a script the lines come from a
file (one per line; ``#`` comments), and the whole conversation is printed, notices included,
in the order it happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from backdrop.agent.session import (
    DoneMessage,
    ErrorMessage,
    Message,
    NoticeMessage,
    ReplyMessage,
    Session,
)
from backdrop.perception.core.media import MediaError
from backdrop.perception.core.models import ModelMissingError
from backdrop.render.plan import clock
from backdrop.render.writer import RenderError

HELP = (
    'Say what you want ("remove the background and make it blue"), answer notices with yes/no, '
    "or use /voice FILE.wav, /mic, /preview TIME, /plan, /export PLAN.json (or .otio), "
    "/render OUT.mp4, /undo, /redo, /wait, /quit."
)

REPLY_TIMEOUT_S = 120.0


def parse_time(text: str) -> float:
    """``"12"``, ``"12.5"``, ``"1:05"``, ``"0:01:05"`` → seconds (≥ 0).

    Raises:
        ValueError: not a time of that form, or negative; the message is one line.
    """
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        parts = []
    if not parts or len(parts) > 3 or any(not p >= 0 or p == float("inf") for p in parts):
        raise ValueError(f"{text.strip()!r} is not a time; give one like 12, 12.5 or 1:05")
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


class Chat:
    """Drives a session from lines of text and prints the conversation through ``say``."""

    def __init__(
        self, session: Session, say: Callable[[str], None], out_dir: Path = Path("out")
    ) -> None:
        self.session = session
        self.say = say
        self.out_dir = out_dir
        self._lock = threading.Lock()
        session.add_listener(self._on_message)

    def _print(self, line: str) -> None:
        with self._lock:
            self.say(line)

    def _on_message(self, msg: Message) -> None:
        if isinstance(msg, NoticeMessage):
            n = msg.notice
            self._print(f"backdrop (notice {clock(n.t)}): {n.text}  [yes / no]")
        elif isinstance(msg, ReplyMessage):
            self._print(f"backdrop: {msg.text}")
        elif isinstance(msg, ErrorMessage):
            self._print(f"backdrop (error): {msg.text}")
        elif isinstance(msg, DoneMessage):
            self._print("backdrop: (finished processing the video)")

    def handle(self, line: str) -> bool:
        """Handle one line; False means quit."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        self._print(f"you: {line}")
        if not line.startswith("/"):
            self.session.submit(line).result(REPLY_TIMEOUT_S)
            return True
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        try:
            return self._command(cmd.lower(), arg)
        except (OSError, ValueError, MediaError, RenderError, ModelMissingError) as e:
            # a bad path or time, the video gone or unreadable, a model missing: one line,
            # and the conversation goes on
            self._print(f"backdrop (error): {e}")
            return True

    def _command(self, cmd: str, arg: str) -> bool:
        s = self.session
        if cmd in ("/quit", "/exit"):
            return False
        if cmd == "/help":
            self._print(HELP)
        elif cmd == "/wait":
            s.wait()
        elif cmd in ("/undo", "/redo"):
            s.submit(cmd[1:]).result(REPLY_TIMEOUT_S)
        elif cmd == "/plan":
            for line in s.plan.describe():
                self._print(f"  - {line}")
        elif cmd == "/preview":
            t, said = parse_time(arg or "0"), ""
            end = s.info.duration
            if end and t > end:  # the person's own words: a clock of 1e308 s is no help
                t, said = end, f" ({arg} is past the end; the last frame)"
            path = s.preview_png(t, self.out_dir / f"preview-{t:07.2f}.png", fast=True)
            self._print(
                f"backdrop: preview of {clock(t)}{said} written to {path} (before: fast edge)"
            )
            if s.plan.backgrounds:
                self._refined_png(t)
        elif cmd == "/export":
            self._export(arg)
        elif cmd == "/render":
            self._render(self._place(arg, "chat.mp4"))
        elif cmd in ("/voice", "/mic"):
            self._voice(cmd, arg)
        else:
            self._print(f"backdrop: unknown command {cmd}. {HELP}")
        return True

    def _place(self, arg: str, default: str) -> Path:
        """Where a ``/export`` or ``/render`` output goes: ``arg`` (relative to the current
        folder) or ``default`` in the out folder. It must stay inside the current folder, the
        video's folder or the out folder, and never be an input, a device or a folder
        (:func:`~backdrop.render.files.check_output`); else ``PathError`` (a ``ValueError``)."""
        from backdrop.render.files import check_output, contain
        from backdrop.tools.edit import protected_inputs

        target = contain(arg or self.out_dir / default, self._allowed(), base=Path.cwd(),
                         what="output")  # fmt: skip
        return check_output(target, protected_inputs(self.session.ctx))

    def _allowed(self) -> list[Path]:
        """The folders a path typed in a command may lead into: the current folder, the
        video's folder and the out folder."""
        return [Path.cwd(), *self.session.ctx.allowed_folders(), self.out_dir]

    def _export(self, arg: str) -> None:
        """``/export``: the plan as JSON (default), as OpenTimelineIO (``.otio``), or the edited
        video when the name is a video (``.mp4``/``.mov``)."""
        suffix = Path(arg).suffix.lower() if arg else ".json"
        if suffix in (".mp4", ".mov"):
            self._render(self._place(arg, "chat.mp4"))
            return
        if suffix not in (".json", ".otio"):
            raise ValueError(
                f"/export writes the plan (.json or .otio) or the video (.mp4 or .mov), "
                f"not {arg!r}; nothing was written"
            )
        target = self._place(arg, "plan.json")
        s = self.session
        if suffix == ".otio":
            from backdrop.render.otio_export import write_otio

            path = write_otio(s.plan, target, s.source, s.info.duration, s.info.fps)
            self._print(f"backdrop: plan written to {path} (OpenTimelineIO, for editing software)")
        else:
            self._print(f"backdrop: plan written to {s.export_plan(target)}")

    def _render(self, out: Path) -> None:
        """Render the edited video to ``out`` (already checked by :meth:`_place`)."""
        self._print(f"backdrop: rendering {out} …")
        stats = self.session.render(out)
        used = f", {stats.refined} refined behind the preview" if stats.refined else ""
        self._print(f"backdrop: wrote {out} ({stats.frames} frames{used}, {stats.fps:.0f} fps)")
        if stats.missing_seconds > 0:  # a file that breaks off: said, as the CLI says it
            self._print(
                f"backdrop: warning: the video stops decoding at {stats.decoded_until:.2f} s; "
                f"the last {stats.missing_seconds:.2f} s were missing or broken"
            )

    def _refined_png(self, t: float) -> None:
        """The "after" beside ``/preview``'s "before": the frame with the quality settings."""
        from backdrop.render.preview import preview_size, write_png
        from backdrop.render.refine import write_refined_png

        s = self.session
        out = self.out_dir / f"preview-{t:07.2f}-refined.png"
        done = s.refined_frame(t)  # made by the quality tier behind the preview, if it has
        if done is not None:
            path = write_png(done, out)
        else:
            path = write_refined_png(
                s.source, s.plan, t, out, size=preview_size(s.info), timeline=s.state.timeline
            )
        how = "from the quality tier" if done is not None else "made now"
        self._print(
            f"backdrop: the same frame refined (quality settings) written to {path} (after, {how})"
        )

    def _voice(self, cmd: str, arg: str) -> None:
        from backdrop.agent import voice

        try:
            if cmd == "/voice":
                if not arg:
                    raise ValueError("/voice needs a WAV file")
                from backdrop.render.files import contain

                # a typed path is an instruction's path: it stays inside the allowed folders
                wav = contain(arg, self._allowed(), base=Path.cwd(), what="recording")
                audio = voice.load_audio(wav)
                voice.check_instruction_audio(audio, arg)
            else:
                seconds = float(arg) if arg else 5.0
                self._print(f"backdrop: listening for {seconds:g} s …")
                audio = voice.record_mic(seconds)
        except voice.VoiceError as e:
            self._print(f"backdrop (error): {e}")
            return
        self.session.submit_audio(audio).result(REPLY_TIMEOUT_S)

    def run(self, lines: Iterable[str]) -> None:
        for line in lines:
            if not self.handle(line):
                break
