"""A moviepy 2 effect that runs Backdrop's pipeline on a clip.

    from moviepy import VideoFileClip
    import backdrop.moviepy

    clip = VideoFileClip("in.mp4")
    blue = clip.with_effects([backdrop.moviepy.Backdrop("make the background blue")])
    blue.write_videofile("blue.mp4")

The instruction is understood by the embedded rule interpreter into an
:class:`~backdrop.render.plan.EditPlan` (or give ``plan=`` directly); each frame is then masked
and composited exactly as ``backdrop render`` does (:func:`~backdrop.render.maskers.build_masker`
and :class:`~backdrop.render.compose.Compositor`). Named objects ("keep the ball") are looked
for in the clip's own frames first, every 0.5 s. Where the plan makes the background transparent
the returned clip carries the kept subject as its moviepy mask, so it composites over other clips
(``CompositeVideoClip([sky, person])``).

Frames are expected in time order (as ``write_videofile`` reads them); going back in time resets
the masker's temporal state. This module is named like the library it serves: it imports the
real ``moviepy`` absolutely and never shadows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from moviepy import Effect, VideoClip

from backdrop.api import EditError, PlanLike, load_plan
from backdrop.perception.core.events import Timeline
from backdrop.perception.core.media import MediaInfo
from backdrop.render.plan import EditPlan, TransparentBackground


def _rgb8(frame: np.ndarray) -> np.ndarray:
    a = np.asarray(frame)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(a[..., :3])


def _clip_info(clip: Any) -> MediaInfo:
    w, h = clip.size
    return MediaInfo(
        path=Path(getattr(clip, "filename", None) or "<moviepy clip>"),
        width=int(w),
        height=int(h),
        fps=float(getattr(clip, "fps", None) or 25.0),
        duration=float(clip.duration),
        frame_count=None,
        rotation=0,
        video_codec="moviepy",
        has_audio=getattr(clip, "audio", None) is not None,
    )


def clip_objects(clip: Any, every: float | None = None) -> Timeline:
    """Objects in ``clip``'s frames every ``every`` seconds (the embedded detector).

    Raises:
        ModelMissingError: no detector is installed (the message says how to install it).
    """
    from backdrop.perception.core.analysis import analysis_size
    from backdrop.perception.core.media import Chunk
    from backdrop.perception.core.models import ModelMissingError, get_spec
    from backdrop.perception.vision.detect import OBJECTS_EVERY, build_objects_analyzer

    step = every or OBJECTS_EVERY
    info = _clip_info(clip)
    analyzer = build_objects_analyzer(info, (info.width, info.height), step)
    if analyzer is None:
        raise ModelMissingError(
            f"no object detector is installed: {get_spec('yolov3-tiny').how_to_get}"
        )
    size = analysis_size(info)
    analyzer.scale = info.width / size[0]
    timeline = Timeline(duration=info.duration)
    import cv2

    for i, t in enumerate(np.arange(0.0, info.duration, step)):
        frame = cv2.resize(_rgb8(clip.get_frame(float(t))), size, interpolation=cv2.INTER_AREA)
        chunk = Chunk(index=i, t0=float(t), t1=float(t) + step, frames=frame[None],
                      frame_times=np.array([float(t)]), audio=None)  # fmt: skip
        timeline.add(analyzer.process(chunk))
    timeline.add(analyzer.flush())
    return timeline


def plan_for_clip(clip: Any, instruction: str, start: EditPlan | None = None) -> tuple[
    EditPlan, str, Timeline | None
]:  # fmt: skip
    """Interpret ``instruction`` for ``clip``: ``(plan, reply, timeline)``.

    Raises:
        EditError: not understood, or it changed nothing (the message is the reply).
    """
    from backdrop.agent.interpret import SpeechInterpreter
    from backdrop.agent.replies import nothing_to_do
    from backdrop.perception.vision.detect import objects_detector_installed
    from backdrop.perception.vision.objects import mentions_object
    from backdrop.tools import PlanHistory, ToolContext

    ctx = ToolContext(history=PlanHistory(start or EditPlan()), duration=float(clip.duration))
    if mentions_object(instruction) and objects_detector_installed():
        ctx.timeline = clip_objects(clip)
    reply = SpeechInterpreter().interpret(instruction, ctx)
    plan = ctx.history.current
    if nothing_to_do(reply, plan):
        raise EditError(reply.text)
    return plan, reply.text, ctx.timeline


@dataclass
class Backdrop(Effect):
    """Background removal / replacement on a moviepy clip, by instruction or plan.

    Args:
        instruction: what to do ("make the background blue", "blur the background and keep
            the ball"); None when ``plan`` is given.
        plan: an :class:`EditPlan`, a plan JSON path or dict (applied as is, or as the plan the
            instruction starts from).
        sam_checkpoint: a Segment Anything checkpoint for box / point / object masks.

    After :meth:`apply`, ``reply`` holds what was understood and ``plan_used`` the plan.

    Raises (from ``apply``):
        EditError: the instruction was not understood (its message says why).
        ModelMissingError: a model the plan needs is not installed.
    """

    instruction: str | None = None
    plan: PlanLike | None = None
    sam_checkpoint: str | Path | None = None
    _done: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    """Shared with the copies moviepy applies (``Effect.copy`` is shallow)."""

    @property
    def reply(self) -> str:
        """What was understood, once the effect has been applied ("" before)."""
        return str(self._done.get("reply", ""))

    @property
    def plan_used(self) -> EditPlan | None:
        """The plan the effect applies, once applied (None before)."""
        return self._done.get("plan")

    def apply(self, clip: Any) -> Any:
        from backdrop.render.compose import Compositor
        from backdrop.render.maskers import build_masker

        if self.instruction is None and self.plan is None:
            raise ValueError("Backdrop needs an instruction or a plan")
        start = load_plan(self.plan) if self.plan is not None else None
        timeline: Timeline | None = None
        if self.instruction is not None:
            plan, reply, timeline = plan_for_clip(clip, self.instruction, start)
        else:
            assert start is not None
            plan, reply = start, "; ".join(start.describe())
            if any(k.subject == "object" for k in plan.keep):
                timeline = clip_objects(clip)
        self._done.update(reply=reply, plan=plan)
        info = _clip_info(clip)
        compositor = Compositor(plan, info.width, info.height, info.duration)
        ckpt = Path(self.sam_checkpoint) if self.sam_checkpoint is not None else None
        masker = build_masker(info, plan, timeline, ckpt) if plan.keep else None
        state: dict[str, Any] = {"t": None, "out": None, "last": -1.0}

        def composite(get_frame: Any, t: float) -> Any:
            t = float(t)
            if state["t"] == t:
                return state["out"]
            frame = _rgb8(get_frame(t))
            if masker is not None and t < state["last"]:
                masker.reset()
            state["last"] = t
            mask = masker(frame, t) if masker is not None and compositor.needs_mask(t) else None
            out = compositor.compose(frame, t, mask)
            state["t"], state["out"] = t, out
            return out

        edited = clip.transform(lambda gf, t: composite(gf, t).rgb, apply_to=[])
        if any(isinstance(s.background, TransparentBackground) for s in plan.backgrounds):

            def alpha(t: float) -> np.ndarray:
                out = composite(clip.get_frame, t)
                if out.keep is None:
                    return np.ones((info.height, info.width), np.float32)
                return np.clip(out.keep, 0.0, 1.0).astype(np.float32)

            mask = VideoClip(frame_function=alpha, is_mask=True, duration=clip.duration)
            edited = edited.with_mask(mask)
        return edited
