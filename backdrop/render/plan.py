"""The edit plan: the versioned contract between understanding and rendering.

An :class:`EditPlan` is plain data. Every time in it is in **seconds** (float). A time value
``t >= 0`` counts from the start of the video; a negative value counts back from the end
(``-10`` is "10 s before the end"), so one plan applies to videos of any length (batch). ``end =
None`` means "until the end of the video". :meth:`TimeRange.resolve` turns a range into absolute
seconds for one video.

Layering: background segments are applied in list order; where two overlap, the later one wins.
Keep rules say which subject stays in front of the background; while no keep rule covers a time,
the background segment active then covers the whole frame.

Coordinates in keep rules (``box``, ``point``) are pixels of the source video's display frame
(after rotation), origin top-left, X right, Y down; boxes are XYXY.

Schema versions:

* 1 — keep rules for the person; colour / gradient / image / video / blur / transparent
  backgrounds with opacity and fade-in / fade-out; edge settings (feather, refine).
* 2 — keep rules gain ``action`` (keep / remove) and subjects ``speaker`` (a diarized speaker or
  whoever is talking), ``object`` (by name), ``box`` and ``point``; background segments gain
  ``match_lighting``; ``quality`` records which segmentation tier made each time range. A
  version-1 plan loads unchanged (it is a subset) and is saved as version 2.
* 3 — person keep rules gain ``selector`` (which tracked people: everyone, the main subject,
  left / right / centre, the largest, whoever is speaking, a clothing colour, a track id),
  resolved per frame from the people tracks. Versions 1 and 2 load unchanged (subsets) and are
  saved as version 3.
* 4 — a person keep rule *without* a selector means "the person": everyone when one person is
  in view, the main subject (largest and most central over time, moving, speaking; chosen with
  hysteresis) when several are. ``selector="all"`` keeps everyone. Person keep rules without a
  selector in version 1–3 plans meant everyone, so they load as ``selector="all"`` (same
  result as before) and the plan is saved as version 4.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if TYPE_CHECKING:
    import numpy as np

    from backdrop.render.backgrounds import BackgroundSource

SCHEMA_VERSION = 4
SCHEMA_VERSIONS = {
    1: "person keep rules, backgrounds, fades, edge settings",
    2: "keep/remove rules for speakers, objects, boxes and points; lighting match; quality tiers",
    3: "person selectors (main subject, left/right/centre, colour, speaking, track id)",
    4: "a person rule without a selector keeps the main subject when several people are in view",
}

PERSON_SELECTORS = ("all", "main", "left", "right", "centre", "largest", "speaking")
"""Plain person selectors; ``colour:<name>`` and ``id:<P#>`` take a value."""
SELECTOR_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white",
                    "black", "grey")  # fmt: skip
_SELECTOR = re.compile(
    r"^(?:"
    + "|".join(PERSON_SELECTORS)
    + r"|colour:(?:"
    + "|".join(SELECTOR_COLOURS)
    + r")|id:P\d+)$"
)


def describe_selector(selector: str | None) -> str:
    """How a person selector reads: ``left`` → "the person on the left"."""
    if selector in (None, "all"):
        return "everyone"
    words = {
        "main": "the main person",
        "left": "the person on the left",
        "right": "the person on the right",
        "centre": "the person in the centre",
        "largest": "the largest person",
        "speaking": "the person who is talking",
    }
    if selector in words:
        return words[selector]
    if selector.startswith("colour:"):
        return f"the person in {selector[7:]}"
    return f"person {selector[3:]}"


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class PlanError(ValueError):
    """A plan could not be loaded: the message names the field path and the reason."""


MAX_PLAN_BYTES = 1 << 20
"""Largest plan file read (1 MiB; a plan with thousands of segments is a few hundred KiB)."""
MAX_PLAN_DEPTH = 32
"""Deepest nesting of JSON arrays and objects in a plan (a real plan nests 5 levels)."""


class _Model(BaseModel):
    # NaN and ±infinity are refused everywhere: they render black frames or break reloading.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_hex(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError(f"colour must be '#rrggbb' hex, got {value!r}")
    return value.lower()


class TimeRange(_Model):
    """A span of the video in seconds. Negative times count from the end; ``end=None`` = the end."""

    start: float = Field(0.0, description="Start in seconds; negative counts back from the end.")
    end: float | None = Field(
        None, description="End in seconds; negative counts back from the end; null = the end."
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end is not None and (self.start >= 0) == (self.end >= 0) and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    def resolve(self, duration: float) -> tuple[float, float]:
        """Absolute ``(t0, t1)`` seconds for a video of ``duration`` seconds, clamped to it."""
        t0 = self.start + duration if self.start < 0 else self.start
        t1 = duration if self.end is None else (self.end + duration if self.end < 0 else self.end)
        t0 = min(max(t0, 0.0), duration)
        t1 = min(max(t1, t0), duration)
        return t0, t1

    def contains(self, t: float, duration: float) -> bool:
        t0, t1 = self.resolve(duration)
        return t0 <= t < t1 or (t1 >= duration and t >= t0 and t0 < duration)

    def describe(self) -> str:
        def fmt(x: float) -> str:
            if x < 0:
                return f"{_clock(-x)} before the end"
            return _clock(x)

        if self.start == 0 and self.end is None:
            return "the whole video"
        if self.end is None:
            return f"from {fmt(self.start)} to the end"
        if self.start == 0:
            return f"from the start to {fmt(self.end)}"
        return f"from {fmt(self.start)} to {fmt(self.end)}"


def _clock(seconds: float) -> str:
    """``75.5 -> '1:15.5'``, ``9 -> '0:09'``, ``3723 -> '1:02:03'`` (of the absolute value)."""
    m, s = divmod(abs(seconds), 60.0)
    h, m = divmod(int(m), 60)
    whole = f"{h}:{m:02d}:{int(s):02d}" if h else f"{m}:{int(s):02d}"
    frac = s - int(s)
    return whole + (f"{frac:.1f}"[1:] if frac >= 0.05 else "")


Subject = Literal["person", "speaker", "object", "box", "point"]


clock = _clock
"""Public name: seconds → ``m:ss`` or ``h:mm:ss`` (with tenths when not whole); the one clock
formatter of the project."""


class KeepRule(_Model):
    """Keep (or remove) a subject in front of the background during ``range``.

    ``person``: the person — with no ``selector``, everyone when one person is in view and the
    main subject when several are (plan version 4; ``selector="all"`` keeps everyone; see
    ``selector`` for the others). ``speaker``: the person who is talking —
    ``speaker`` names a diarized speaker ("S1"), or is None for whoever is talking at each
    moment. ``object``: a named thing (``label``, e.g. "couch"). ``box``: the region in ``box``
    (XYXY pixels) at ``range.start``, tracked from there. ``point``: the thing under ``point``
    (X, Y pixels) at ``range.start``, tracked. ``action="remove"`` takes the subject out of the
    kept foreground (e.g. "remove the lamp").
    """

    subject: Subject = "person"
    action: Literal["keep", "remove"] = "keep"
    range: TimeRange = Field(default_factory=TimeRange)
    label: str | None = Field(None, description="object: its name, e.g. 'couch'.")
    speaker: str | None = Field(None, description="speaker: a speaker id; null = whoever talks.")
    box: list[float] | None = Field(
        None, min_length=4, max_length=4, description="box: [x0, y0, x1, y1] pixels."
    )
    point: list[float] | None = Field(
        None, min_length=2, max_length=2, description="point: [x, y] pixels."
    )
    selector: str | None = Field(
        None,
        description=(
            "person: which people — null (default: the person; the main subject when several "
            "are in view), 'all' (everyone), 'main' (the main subject), 'left', 'right', "
            "'centre', 'largest', 'speaking', 'colour:<red|blue|…>' or 'id:P2'."
        ),
    )

    @model_validator(mode="after")
    def _fields_fit_subject(self) -> KeepRule:
        if self.selector is not None:
            if self.subject != "person":
                raise ValueError("selector is for person rules only")
            if not _SELECTOR.match(self.selector):
                raise ValueError(f"unknown person selector {self.selector!r}")
        if self.subject == "object" and not self.label:
            raise ValueError("an object rule needs a label")
        if self.subject == "box":
            if self.box is None:
                raise ValueError("a box rule needs box [x0, y0, x1, y1]")
            x0, y0, x1, y1 = self.box
            if x1 <= x0 or y1 <= y0:
                raise ValueError(f"box {self.box} must have x1 > x0 and y1 > y0")
        if self.subject == "point" and self.point is None:
            raise ValueError("a point rule needs point [x, y]")
        return self

    def describe(self) -> str:
        what = {
            "person": "the person" if self.selector is None else describe_selector(self.selector),
            "speaker": f"speaker {self.speaker}" if self.speaker else "whoever is talking",
            "object": f"the {self.label}",
            "box": f"the box {_fmt_list(self.box)}",
            "point": f"what is at {_fmt_list(self.point)}",
        }[self.subject]
        return f"{self.action} {what} ({self.range.describe()})"


def _fmt_list(values: list[float] | None) -> str:
    return ",".join(f"{v:g}" for v in values or [])


class _BackgroundKind(_Model):
    """One kind of background, defined in one place: its fields, how it reads, the colours the
    editor's timeline draws it with, the words and file suffixes that name it in an
    instruction, and how its pictures are made (:meth:`draw`, on the helpers of
    :mod:`backdrop.render.backgrounds`). The :data:`Background` union lists the kinds; the
    renderer, the interpreter's vocabulary and the editor read them from there
    (:func:`background_kinds`), so a new kind is one class here and its entry in the union.
    """

    nouns: ClassVar[tuple[str, ...]] = ()
    """Words that name this kind in an instruction ("gradient", "picture")."""
    extensions: ClassVar[tuple[str, ...]] = ()
    """Suffixes (lower case, no dot) of the files this kind shows; empty = no file."""
    static: ClassVar[bool] = True
    """The picture is the same at every time and for every frame (built once per size)."""

    def describe(self) -> str:
        """How the background reads in a reply ("background → blue")."""
        raise NotImplementedError

    def swatch(self) -> list[str]:
        """``'#rrggbb'`` colours the editor's timeline draws this background with."""
        return ["#a78bfa"]

    def interchange(self) -> tuple[str, dict[str, Any]]:
        """How an editing program's timeline names it (OpenTimelineIO export): ``("file",
        {"path": …})`` for a kind that shows a file, else a generator kind and its parameters
        (e.g. ``("SolidColor", {"color": "#1d4ed8"})``)."""
        if self.extensions:
            return "file", {"path": str(self.path)}
        return self.generator, self.model_dump(mode="json", exclude={"type"})

    generator: ClassVar[str] = ""
    """The OpenTimelineIO generator kind of a kind that shows no file ("SolidColor")."""

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        """The background picture (``H×W×3`` uint8 RGB, the size of ``source``) at ``t`` seconds,
        given the source ``frame`` (``H×W×3`` uint8 RGB) and the subject's ``alpha`` (``H×W``
        float32 0..1)."""
        raise NotImplementedError


class ColorBackground(_BackgroundKind):
    type: Literal["color"] = "color"
    color: str = Field(description="'#rrggbb'")

    nouns: ClassVar[tuple[str, ...]] = ("colour", "color", "shade", "tint")
    generator: ClassVar[str] = "SolidColor"
    _hex = field_validator("color")(_check_hex)

    def describe(self) -> str:
        from backdrop.render.colors import spoken_colour

        return f"background → {spoken_colour(self.color)}"

    def swatch(self) -> list[str]:
        return [self.color]

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        from backdrop.render.backgrounds import solid

        return solid(self.color, source.width, source.height)


class GradientBackground(_BackgroundKind):
    type: Literal["gradient"] = "gradient"
    colors: list[str] = Field(
        min_length=2, description="Two or more '#rrggbb' stops, evenly spaced."
    )
    kind: Literal["linear", "radial"] = "linear"
    angle: float = Field(
        90.0,
        description="Linear only: direction in degrees, 0 = left→right, 90 = top→bottom.",
    )

    nouns: ClassVar[tuple[str, ...]] = ("gradient",)

    @field_validator("colors")
    @classmethod
    def _hexes(cls, v: list[str]) -> list[str]:
        return [_check_hex(c) for c in v]

    def describe(self) -> str:
        from backdrop.render.colors import spoken_colour

        return f"background → {self.kind} gradient {' to '.join(map(spoken_colour, self.colors))}"

    def swatch(self) -> list[str]:
        return list(self.colors)

    def interchange(self) -> tuple[str, dict[str, Any]]:
        kind = "LinearGradient" if self.kind == "linear" else "RadialGradient"
        return kind, {"colors": list(self.colors), "angle": self.angle}

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        from backdrop.render.backgrounds import gradient

        return gradient(self, source.width, source.height)


class ImageBackground(_BackgroundKind):
    type: Literal["image"] = "image"
    path: str = Field(description="Image file; scaled to cover the frame, centred.")

    nouns: ClassVar[tuple[str, ...]] = ("image", "picture", "photo")
    extensions: ClassVar[tuple[str, ...]] = ("jpg", "jpeg", "png", "webp", "bmp")

    def describe(self) -> str:
        return f"background → image {self.path}"

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        from backdrop.render.backgrounds import load_image

        return load_image(self.path, source.width, source.height)


class VideoBackground(_BackgroundKind):
    type: Literal["video"] = "video"
    path: str = Field(description="Video file; scaled to cover the frame; loops when shorter.")
    loop: bool = True

    nouns: ClassVar[tuple[str, ...]] = ("video",)
    extensions: ClassVar[tuple[str, ...]] = ("mp4", "mov", "webm", "mkv", "avi")
    static: ClassVar[bool] = False

    def describe(self) -> str:
        return f"background → video {self.path}" + (" (looped)" if self.loop else "")

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        return source.video(self).frame(t)


class BlurBackground(_BackgroundKind):
    type: Literal["blur"] = "blur"
    strength: float = Field(
        0.6, ge=0.0, le=1.0, description="0 = none, 1 = very strong (sigma 2 % of frame height)."
    )

    nouns: ClassVar[tuple[str, ...]] = ("blur",)
    generator: ClassVar[str] = "Blur"
    static: ClassVar[bool] = False

    def describe(self) -> str:
        return f"background blurred (strength {self.strength:.2f})"

    def swatch(self) -> list[str]:
        return ["#9ca3af"]

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        from backdrop.render.backgrounds import blur_behind

        return blur_behind(frame, alpha, self.strength)


class TransparentBackground(_BackgroundKind):
    """Background removed: transparent in alpha outputs, ``matte`` colour in opaque ones."""

    type: Literal["transparent"] = "transparent"
    matte: str = Field("#000000", description="Colour shown where the output has no alpha.")

    nouns: ClassVar[tuple[str, ...]] = ("transparency",)
    generator: ClassVar[str] = "Transparent"
    _hex = field_validator("matte")(_check_hex)

    def describe(self) -> str:
        from backdrop.render.colors import color_name

        return f"background removed (transparent; {color_name(self.matte)} where no alpha)"

    def swatch(self) -> list[str]:
        return [self.matte]

    def draw(
        self, source: BackgroundSource, t: float, frame: np.ndarray, alpha: np.ndarray
    ) -> np.ndarray:
        from backdrop.render.backgrounds import solid

        return solid(self.matte, source.width, source.height)


Background = Annotated[
    ColorBackground
    | GradientBackground
    | ImageBackground
    | VideoBackground
    | BlurBackground
    | TransparentBackground,
    Field(discriminator="type"),
]


def background_kinds() -> tuple[type[_BackgroundKind], ...]:
    """Every background kind, in the order of the :data:`Background` union."""
    return tuple(typing.get_args(typing.get_args(Background)[0]))


def background_type(kind: type[_BackgroundKind]) -> str:
    """The ``type`` tag of a background kind in the plan's JSON (``"color"``, ``"blur"``)."""
    return str(kind.model_fields["type"].default)


class Fade(_Model):
    """A fade of a segment's effect, ``duration`` seconds long."""

    duration: float = Field(gt=0.0, description="Seconds.")


class BackgroundSegment(_Model):
    """Replace the background with ``background`` during ``range``.

    The effect's strength at time t is ``opacity × fade_in ramp × fade_out ramp``: the fade in
    ramps 0→1 over its duration from the range's start, the fade out 1→0 up to the range's end.
    """

    background: Background
    range: TimeRange = Field(default_factory=TimeRange)
    opacity: float = Field(1.0, ge=0.0, le=1.0)
    fade_in: Fade | None = None
    fade_out: Fade | None = None
    match_lighting: bool = Field(
        False,
        description="Adjust the background's brightness and colour temperature to the subject.",
    )

    def weight(self, t: float, duration: float) -> float:
        """Effect strength in [0, 1] at time ``t`` seconds (0 outside the range)."""
        if not self.range.contains(t, duration):
            return 0.0
        t0, t1 = self.range.resolve(duration)
        w = self.opacity
        if self.fade_in is not None:
            w *= min(max((t - t0) / self.fade_in.duration, 0.0), 1.0)
        if self.fade_out is not None:
            w *= min(max((t1 - t) / self.fade_out.duration, 0.0), 1.0)
        return w


class EdgeSettings(_Model):
    """How the subject's edge is made from the mask.

    ``feather`` is a Gaussian softening in pixels of a 720-line frame (scaled with the height);
    ``refine`` snaps the edge to image edges with a guided filter of radius ``refine_radius``
    pixels (also per 720 lines); ``shift`` grows (+) or shrinks (-) the subject, in the same units.
    ``refine="matte"`` solves alpha matting in a band around the edge (hair strands get
    fractional alpha) where the quality settings render (exports, the refine worker); previews
    use the guided filter for it. ``decontaminate`` and ``despill`` also apply in the quality
    settings only: the subject's own colour is estimated where the alpha is fractional, and
    ``despill`` takes a green or blue screen's spill out (``auto`` = when the old background
    is such a screen). See :mod:`backdrop.render.edges`.
    """

    feather: float = Field(1.5, ge=0.0, le=50.0)
    refine: Literal["none", "guided", "matte"] = "guided"
    refine_radius: float = Field(8.0, ge=1.0, le=64.0)
    shift: float = Field(0.0, ge=-20.0, le=20.0)
    decontaminate: bool = True
    despill: Literal["auto", "off", "green", "blue"] = "auto"


Tier = Literal["preview", "matting", "sam", "fallback"]


class QualityRange(_Model):
    """Which segmentation tier makes the masks during ``range``: ``preview`` (selfie model),
    ``matting`` (Robust Video Matting), ``sam`` (Segment Anything), ``fallback`` (prompt-seeded
    classical segmentation when no SAM checkpoint is installed)."""

    tier: Tier
    range: TimeRange = Field(default_factory=TimeRange)


def _everyone(rule: Any) -> Any:
    """A version 1–3 keep rule with the meaning it had: a person keep rule without a selector
    kept everyone (``selector="all"``)."""
    if isinstance(rule, KeepRule):
        plain = rule.subject == "person" and rule.action == "keep" and rule.selector is None
        return rule.model_copy(update={"selector": "all"}) if plain else rule
    if (
        isinstance(rule, dict)
        and rule.get("subject", "person") == "person"
        and rule.get("action", "keep") == "keep"
        and rule.get("selector") is None
    ):
        return {**rule, "selector": "all"}
    return rule


class EditPlan(_Model):
    """The whole edit. See the module docstring for time conventions and layering."""

    schema_version: Literal[1, 2, 3, 4] = SCHEMA_VERSION
    keep: list[KeepRule] = Field(default_factory=list)
    backgrounds: list[BackgroundSegment] = Field(default_factory=list)
    edges: EdgeSettings = Field(default_factory=EdgeSettings)
    quality: list[QualityRange] = Field(
        default_factory=list, description="Tier per time range; empty = preview everywhere."
    )

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """Older plans in the current version, meaning the same: versions 1–3 are subsets of
        version 4, except that their person keep rules without a selector kept everyone, so
        those get ``selector="all"``."""
        if not isinstance(data, dict) or data.get("schema_version") not in (1, 2, 3):
            return data
        keep = data.get("keep")
        if isinstance(keep, list):
            keep = [_everyone(k) for k in keep]
        return {**data, "schema_version": SCHEMA_VERSION, **({"keep": keep} if keep else {})}

    # -- queries ---------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self.backgrounds

    def active_segment(self, t: float, duration: float) -> BackgroundSegment | None:
        """The segment in effect at ``t`` (the last listed one that covers it)."""
        for seg in reversed(self.backgrounds):
            if seg.range.contains(t, duration):
                return seg
        return None

    def keeps_person(self, t: float, duration: float) -> bool:
        """Whether a person (any, or a speaker) is kept in front at ``t`` seconds."""
        return any(
            k.action == "keep"
            and k.subject in ("person", "speaker")
            and k.range.contains(t, duration)
            for k in self.keep
        )

    def keeps_anything(self, t: float, duration: float) -> bool:
        """Whether any keep rule (person, speaker, object, box, point) is in force at ``t``."""
        return any(k.action == "keep" for k in self.rules_at(t, duration))

    def rules_at(self, t: float, duration: float) -> list[KeepRule]:
        """The keep/remove rules in force at ``t`` seconds, in plan order."""
        return [k for k in self.keep if k.range.contains(t, duration)]

    def tier_at(self, t: float, duration: float) -> Tier:
        """The segmentation tier for ``t`` seconds (the last matching range wins)."""
        for q in reversed(self.quality):
            if q.range.contains(t, duration):
                return q.tier
        return "preview"

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> EditPlan:
        """Parse a plan; raise :class:`PlanError` naming the field path and the reason.

        Size (:data:`MAX_PLAN_BYTES`) and nesting depth (:data:`MAX_PLAN_DEPTH`) are checked
        before parsing; NaN, ±Infinity and numbers too long to read are refused.
        """
        check_json_limits(text, "plan")
        try:
            data: Any = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as e:
            raise PlanError(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from e
        except PlanError:
            raise
        except ValueError as e:  # a 5,000-digit integer
            raise PlanError("a number in the plan is too long to read (over 4300 digits)") from e
        except RecursionError as e:  # cannot happen after the depth check; kept as a guard
            raise PlanError("the plan is nested too deeply") from e
        if not isinstance(data, dict):
            raise PlanError("a plan must be a JSON object")
        version = data.get("schema_version")
        if isinstance(version, bool | list | dict):
            known = ", ".join(str(v) for v in SCHEMA_VERSIONS)
            raise PlanError(
                f"schema_version: must be a whole number, got {_short(version)} "
                f"(this Backdrop reads {known})"
            )
        if version not in SCHEMA_VERSIONS:
            known = ", ".join(str(v) for v in SCHEMA_VERSIONS)
            raise PlanError(
                f"schema_version: unknown version {version!r} (this Backdrop reads {known})"
            )
        try:
            plan = cls.model_validate(data)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(_loc(p) for p in err["loc"]) or "(plan)"
            more = f" (and {len(e.errors()) - 1} more problems)" if len(e.errors()) > 1 else ""
            msg = " ".join(str(err["msg"]).split())
            raise PlanError(f"{where}: {msg}{more}") from e
        return plan

    @classmethod
    def load(cls, path: str | Path) -> EditPlan:
        """Read and parse the plan file at ``path``; :class:`PlanError` (one line) otherwise."""
        p = Path(path)
        try:
            if p.is_file() and p.stat().st_size > MAX_PLAN_BYTES:
                raise PlanError(f"{p}: larger than {MAX_PLAN_BYTES >> 20} MiB; not a plan")
            if p.exists() and not p.is_file():
                raise PlanError(f"{p}: not a plan file")
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError as e:
            raise PlanError(f"{p}: no such plan file") from e
        except (OSError, UnicodeDecodeError) as e:
            raise PlanError(f"{p}: cannot read ({e})") from e
        try:
            return cls.from_json(text)
        except PlanError as e:
            raise PlanError(f"{p}: {e}") from e

    def save(self, path: str | Path) -> Path:
        """Write atomically (temporary file, then rename). Returns the path."""
        from backdrop.render.atomic import atomic_path

        p = Path(path)
        with atomic_path(p) as tmp:
            tmp.write_text(self.to_json(), encoding="utf-8")
        return p

    # -- words -----------------------------------------------------------------------------
    def describe(self) -> list[str]:
        """The plan in plain words, one line per operation."""
        lines: list[str] = []
        for k in self.keep:
            lines.append(k.describe())
        for seg in self.backgrounds:
            parts = [f"{describe_background(seg.background)} ({seg.range.describe()})"]
            if seg.opacity < 1.0 and seg.background.type == "transparent":
                parts.append(f"at {seg.opacity:.0%} strength")
            elif seg.opacity < 1.0:  # the original background shows through
                parts.append(f"{1.0 - seg.opacity:.0%} see-through ({seg.opacity:.0%} opaque)")
            if seg.fade_in:
                parts.append(f"fading in over {seg.fade_in.duration:g} s")
            if seg.fade_out:
                parts.append(f"fading out over {seg.fade_out.duration:g} s")
            if seg.match_lighting:
                parts.append("lighting matched to the subject")
            lines.append(", ".join(parts))
        if not self.backgrounds:
            lines.append("no background change")
        elif not any(k.action == "keep" for k in self.keep):
            # A hand-written plan may keep nobody; say so rather than render it silently.
            lines.append("nobody is kept: the background covers the whole frame")
        for q in self.quality:
            lines.append(f"{q.tier} segmentation ({q.range.describe()})")
        e = self.edges
        lines.append(
            f"edges: feather {e.feather:g} px, refine {e.refine}"
            + (f", shift {e.shift:+g} px" if e.shift else "")
            + (f", {e.despill} despill" if e.despill in ("green", "blue") else "")
        )
        return lines


def _loc(part: Any) -> str:
    """One part of a field path, printable on one line (odd keys quoted, long ones cut)."""
    text = str(part)
    if not text or not text.isprintable() or len(text) > 40:
        text = repr(text[:40])
    return text


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _refuse_constant(name: str) -> Any:
    raise PlanError(f"{name} is not a number a plan may hold (numbers must be finite)")


def check_json_limits(
    text: str, what: str = "plan", max_bytes: int = MAX_PLAN_BYTES, max_depth: int = MAX_PLAN_DEPTH
) -> None:
    """Refuse JSON text that is too large or nested too deeply, before parsing it.

    Args:
        text: the JSON text.
        what: the word used in the message.
        max_bytes: largest size in bytes (UTF-8).
        max_depth: deepest nesting of ``[`` / ``{`` outside strings.

    Raises:
        PlanError: one line saying which limit was passed.
    """
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise PlanError(f"the {what} is larger than {max_bytes // 1024} KiB")
    depth = 0
    for ch in _BRACKETS.findall(_STRINGS.sub('""', text)):
        if ch in "[{":
            depth += 1
            if depth > max_depth:
                raise PlanError(f"the {what} is nested more than {max_depth} levels deep")
        else:
            depth -= 1


def describe_background(bg: Background) -> str:
    """How ``bg`` reads in a reply (see each kind's ``describe``)."""
    return bg.describe()


def plan_json_schema() -> dict[str, Any]:
    """The published JSON schema of :class:`EditPlan`."""
    return EditPlan.model_json_schema()
