"""``backdrop.render(src, plan, out=…)``: render a plan over a video in one call.

The ``backdrop.render`` package is callable (see its ``__init__``) and calls :func:`render`;
:mod:`backdrop.api` re-exports both functions. Same pipeline as ``backdrop render``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backdrop.perception.events import Timeline
from backdrop.render.plan import EditPlan

PlanLike = EditPlan | str | Path | dict[str, Any]
"""An :class:`EditPlan`, a path to its JSON file, or its JSON as a dict."""


def load_plan(plan: PlanLike) -> EditPlan:
    """An :class:`EditPlan` from a plan, a JSON file path or a JSON dict.

    Raises:
        PlanError: the file or dict is not a plan this version reads (one-line message).
    """
    if isinstance(plan, EditPlan):
        return plan
    if isinstance(plan, dict):
        from backdrop.render.plan import PlanError

        try:
            return EditPlan.model_validate_json(json.dumps(plan))
        except ValueError as e:
            raise PlanError(f"not an edit plan: {str(e).splitlines()[0]}") from None
    return EditPlan.load(plan)


def render(
    src: str | Path,
    plan: PlanLike,
    out: str | Path | None = None,
    *,
    alpha: str | Path | None = None,
    timeline: Timeline | None = None,
    sam_checkpoint: str | Path | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> Any:
    """Render ``plan`` over ``src``, as ``backdrop render`` does.

    When the plan keeps or removes named objects and no ``timeline`` is given, the video is
    searched for objects first (the plan's rules refer to them).

    Returns:
        :class:`~backdrop.render.pipeline.RenderStats` (``frames``, ``seconds``, ``outputs``).

    Raises:
        PlanError, MediaError, RenderError, ModelMissingError: one-line messages.
    """
    from backdrop.render.pipeline import render_video

    p = load_plan(plan)
    if timeline is None and any(k.subject == "object" for k in p.keep):
        from backdrop.perception.detect import analyze_objects

        timeline = analyze_objects(src)
    checkpoint = Path(sam_checkpoint) if sam_checkpoint is not None else None
    return render_video(src, p, out, alpha=alpha, timeline=timeline,
                        sam_checkpoint=checkpoint, progress=progress)  # fmt: skip
