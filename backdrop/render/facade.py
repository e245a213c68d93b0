"""``backdrop.render(src, plan, out=…)``: render a plan over a video in one call.

The ``backdrop.render`` package is callable (see its ``__init__``) and calls :func:`render`;
:mod:`backdrop.api` re-exports both functions. Same pipeline as ``backdrop render``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backdrop.perception.core.events import Timeline
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
    size: str | tuple[int, int] | None = None,
) -> Any:
    """Render ``plan`` over ``src``, as ``backdrop render`` does.

    ``size`` scales the outputs: ``"4k"``, ``"1080p"``, ``"1920x1080"`` (see :func:`parse_size`)
    or ``(width, height)``.

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
        from backdrop.perception.vision.detect import analyze_objects

        timeline = analyze_objects(src)
    checkpoint = Path(sam_checkpoint) if sam_checkpoint is not None else None
    wh: tuple[int, int] | None = None
    if isinstance(size, str):
        from backdrop.perception.core.media import probe

        info = probe(src)
        wh = parse_size(size, info.width, info.height)
    elif size is not None:
        wh = (int(size[0]), int(size[1]))
    return render_video(src, p, out, alpha=alpha, timeline=timeline,
                        sam_checkpoint=checkpoint, progress=progress, size=wh)  # fmt: skip


_NAMED_SIZES = {"8k": 4320, "4k": 2160, "uhd": 2160, "2160p": 2160, "2k": 1440, "1440p": 1440,
                "1080p": 1080, "fullhd": 1080, "hd": 720, "720p": 720, "480p": 480}  # fmt: skip


def parse_size(spec: str, width: int, height: int) -> tuple[int, int]:
    """Output ``(width, height)`` for ``spec`` and a ``width×height`` source.

    ``4k``/``uhd``/``2160p``, ``1440p``, ``1080p``, ``720p``, ``480p``: the source's aspect kept,
    its short side made that many pixels (a 16:9 source in 4K is 3840×2160); ``WxH`` (e.g.
    ``1920x1080``): exactly that. Sizes are rounded to even numbers.

    Raises:
        ValueError: a spec that is neither (one line listing what is accepted).
    """
    s = spec.strip().lower().replace(" ", "")
    m = re.fullmatch(r"(\d{2,5})[x×*](\d{2,5})", s)
    if m:
        w, h = int(m.group(1)), int(m.group(2))
    elif s in _NAMED_SIZES:
        short = _NAMED_SIZES[s]
        k = short / min(width, height)
        w, h = round(width * k), round(height * k)
    else:
        raise ValueError(f"unknown size {spec!r}: say 4k, 1440p, 1080p, 720p, 480p or WIDTHxHEIGHT")
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise ValueError(f"size {w}×{h} is out of range (16 to 8192 pixels a side)")
    return w + w % 2, h + h % 2


def describe_scaling(src: tuple[int, int], out: tuple[int, int]) -> str:
    """One line saying what scaling to ``out`` does: "upscaling 1280×720 → 3840×2160 (3.0×):
    pixels are interpolated, no detail is added", or "scaling down …"."""
    k = max(out[0] / src[0], out[1] / src[1])
    what = f"{src[0]}×{src[1]} → {out[0]}×{out[1]} ({k:.2g}×)"
    if out[0] * out[1] > src[0] * src[1]:
        return f"upscaling {what}: pixels are interpolated, no detail is added"
    return f"scaling down {what}"
