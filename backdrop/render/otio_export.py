"""The edit plan as an OpenTimelineIO timeline, for editing software (``.otio``).

Layout (tracks bottom to top, as an editor stacks them):

* one video track per background segment, ``background 1`` … (later segments win in the plan, and
  a higher track covers a lower one in an editor): a gap up to the segment's start, then one clip
  over its range. Images and videos are :class:`ExternalReference` media; colours, gradients,
  blur and transparency are :class:`GeneratorReference` (``SolidColor``, ``LinearGradient`` /
  ``RadialGradient``, ``Blur``, ``Transparent``) with their parameters. Fades and opacity are
  clip effects (``fade_in`` / ``fade_out`` with ``duration`` seconds, ``opacity``).
* ``source`` on top: the video being edited as one clip, with a ``backdrop_matte`` effect (the
  subject is keyed over the tracks below) and one marker per keep / remove rule over its time
  range (green = keep, red = remove; the rule itself in the marker's metadata).

The whole plan is also kept in the timeline's ``metadata["backdrop"]["plan"]``, so
:func:`plan_from_otio` gets it back exactly. Times are :class:`RationalTime` at the video's frame
rate; relative plan times ("the last 10 s") are resolved against ``duration``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backdrop.render.atomic import atomic_path
from backdrop.render.plan import Background, EditPlan


def _rt(seconds: float, rate: float) -> Any:
    import opentimelineio as otio

    return otio.opentime.RationalTime(round(seconds * rate), rate)


def _range(t0: float, t1: float, rate: float) -> Any:
    import opentimelineio as otio

    return otio.opentime.TimeRange(_rt(t0, rate), _rt(max(t1 - t0, 0.0), rate))


def _reference(bg: Background, t0: float, t1: float, rate: float) -> Any:
    import opentimelineio as otio

    kind, params = bg.interchange()
    if kind == "file":
        url = Path(params["path"]).expanduser().resolve().as_uri()
        return otio.schema.ExternalReference(target_url=url)
    return otio.schema.GeneratorReference(
        generator_kind=kind, parameters=params, available_range=_range(t0, t1, rate)
    )


def plan_to_otio(
    plan: EditPlan, source: str | Path | None, duration: float, fps: float = 25.0
) -> Any:
    """An ``opentimelineio.schema.Timeline`` for ``plan`` over a ``duration``-second video.

    Args:
        plan: the edit.
        source: the edited video (referenced by ``file://`` URL), or None (a missing reference).
        duration: the video's duration in seconds.
        fps: the video's frame rate (the timeline's rate).
    """
    import opentimelineio as otio

    rate = float(fps) if fps > 0 else 25.0
    name = Path(source).stem if source else "backdrop"
    tl = otio.schema.Timeline(name=f"{name} (Backdrop)")
    tl.global_start_time = _rt(0.0, rate)
    tl.metadata["backdrop"] = {"plan": plan.model_dump(mode="json"), "duration": duration}
    for i, seg in enumerate(plan.backgrounds, start=1):
        t0, t1 = seg.range.resolve(duration)
        track = otio.schema.Track(name=f"background {i}", kind=otio.schema.TrackKind.Video)
        if t0 > 0:
            track.append(otio.schema.Gap(source_range=_range(0.0, t0, rate)))
        clip = otio.schema.Clip(
            name=f"{seg.background.type} background",
            media_reference=_reference(seg.background, t0, t1, rate),
            source_range=_range(0.0, t1 - t0, rate)
            if seg.background.extensions
            else _range(t0, t1, rate),
        )
        clip.metadata["backdrop"] = {"segment": seg.model_dump(mode="json")}
        if seg.opacity < 1.0:
            clip.effects.append(
                otio.schema.Effect(effect_name="opacity", metadata={"opacity": seg.opacity})
            )
        for which, fade in (("fade_in", seg.fade_in), ("fade_out", seg.fade_out)):
            if fade is not None:
                meta = fade.model_dump(mode="json")
                clip.effects.append(otio.schema.Effect(effect_name=which, metadata=meta))
        track.append(clip)
        tl.tracks.append(track)
    src = otio.schema.Track(name="source", kind=otio.schema.TrackKind.Video)
    ref: Any = (
        otio.schema.ExternalReference(
            target_url=Path(source).expanduser().resolve().as_uri(),
            available_range=_range(0.0, duration, rate),
        )
        if source
        else otio.schema.MissingReference()
    )
    clip = otio.schema.Clip(
        name=Path(source).name if source else "source",
        media_reference=ref,
        source_range=_range(0.0, duration, rate),
    )
    if plan.keep or plan.backgrounds:
        clip.effects.append(
            otio.schema.Effect(
                effect_name="backdrop_matte",
                metadata={"edges": plan.edges.model_dump(mode="json")},
            )
        )
    for rule in plan.keep:
        t0, t1 = rule.range.resolve(duration)
        color = (
            otio.schema.MarkerColor.GREEN if rule.action == "keep" else otio.schema.MarkerColor.RED
        )
        clip.markers.append(
            otio.schema.Marker(
                name=rule.describe(),
                marked_range=_range(t0, t1, rate),
                color=color,
                metadata={"backdrop": rule.model_dump(mode="json")},
            )
        )
    src.append(clip)
    tl.tracks.append(src)
    return tl


def write_otio(
    plan: EditPlan, path: str | Path, source: str | Path | None, duration: float, fps: float = 25.0
) -> Path:
    """Write ``plan`` as an ``.otio`` file (atomically: a temporary sibling, then renamed)."""
    import opentimelineio as otio

    p = Path(path)
    tl = plan_to_otio(plan, source, duration, fps)
    with atomic_path(p) as tmp:
        tmp.write_text(otio.adapters.write_to_string(tl, "otio_json"), encoding="utf-8")
    return p


def plan_from_otio(path_or_timeline: str | Path | Any) -> EditPlan:
    """The plan kept in a timeline :func:`write_otio` wrote (the file, or a read timeline).

    Raises:
        PlanError: the timeline holds no Backdrop plan (one line).
    """
    import opentimelineio as otio

    from backdrop.render.plan import PlanError

    tl = path_or_timeline
    if isinstance(tl, str | Path):
        tl = otio.adapters.read_from_file(str(tl))
    meta = tl.metadata.get("backdrop") if hasattr(tl, "metadata") else None
    if not meta or "plan" not in meta:
        raise PlanError("this timeline has no Backdrop plan in its metadata")
    return EditPlan.model_validate(_plain(meta["plan"]))


def _plain(value: Any) -> Any:
    """OTIO's AnyDictionary / AnyVector → dict / list."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "AnyVector":
        return [_plain(v) for v in value]
    return value
