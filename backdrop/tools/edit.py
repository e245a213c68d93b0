"""The agent's verbs: typed tools that change the :class:`~backdrop.render.plan.EditPlan`.

Every tool takes ``(ctx, args)`` and returns a :class:`~backdrop.tools.context.ToolResult`. The
docstrings are the descriptions an LLM sees; keep them short and in the person's terms.
Times are seconds; negative times count back from the end of the video.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backdrop.perception.core.media import MediaError, probe
from backdrop.render.backgrounds import check_image
from backdrop.render.colors import near_colour
from backdrop.render.files import PathError, check_output, contain
from backdrop.render.plan import (
    Background,
    BackgroundSegment,
    BlurBackground,
    EdgeSettings,
    EditPlan,
    Fade,
    ImageBackground,
    KeepRule,
    TimeRange,
    TransparentBackground,
    VideoBackground,
    background_kinds,
    background_type,
    describe_background,
)
from backdrop.render.writer import RenderError
from backdrop.tools.context import ToolContext, ToolResult
from backdrop.tools.registry import ToolRegistry
from backdrop.tools.times import WHOLE, clamp_range, format_clock, range_length, range_within

TOOLS = ToolRegistry()
"""The registry of every tool below (static: tools hold no state)."""

PERSON_WORDS = frozenset({"person", "me", "myself", "speaker", "subject", "people", "us"})


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


_RANGE_DOC = (
    "When it applies, in seconds; negative times count back from the end "
    "(start=-10 = the last 10 s); end null = until the end. Omit for the whole video."
)
_TARGET_DOC = "'last' = the segment the last change touched; 'all' = every background segment."


# -- helpers ---------------------------------------------------------------------------------
def _note(ctx: ToolContext, notes: tuple[str, ...] | list[str]) -> str:
    ctx.notes.extend(notes)
    return "".join(f"; note: {n}" for n in notes)


def _fit_range(ctx: ToolContext, rng: TimeRange | None) -> tuple[TimeRange | None, str, str | None]:
    """``(range, note text, error)``: the range clamped to the video (when None: the context's
    scope, else the whole video)."""
    past = _gone_by(ctx, rng)
    if past is not None:
        return None, "", past
    clamped = clamp_range(rng or ctx.scope or WHOLE, ctx.duration)
    if clamped.error:
        return None, "", clamped.error
    return clamped.range, _note(ctx, clamped.notes), None


LIVE_NOW_SLACK = 1.0
"""Seconds an end may lie behind a live stream's play position and still be "now" (the stream
moves on while an instruction is read and run)."""


def _gone_by(ctx: ToolContext, rng: TimeRange | None) -> str | None:
    """Why ``rng`` would never be seen on a live stream (it ended before the play position),
    or None: a live stream only moves forward, so "for the first 2 seconds" said at 0:05 would
    be applied to time already gone."""
    if not ctx.live or rng is None:
        return None
    if rng.start < 0 or (rng.end is not None and rng.end < 0):
        length = -rng.start if rng.end is None else abs(rng.end - rng.start)
        return (
            "a live stream has no end, so a time counted back from it can't be placed; say "
            f"“for the next {length:g} seconds” to do it from now"
        )
    # the play position moves on while the instruction is read: an end said as "now" ("stop")
    # is a little behind it by the time the tool runs, and is still now
    if ctx.position is None or rng.end is None or rng.end > ctx.position - LIVE_NOW_SLACK:
        return None
    length = rng.end - max(rng.start, 0.0)
    return (
        f"{format_clock(rng.end)} has already gone by in the live stream (it is at "
        f"{format_clock(ctx.position)}); say “for the next {length:g} seconds” to do it from now"
    )


def _ensure_keep(plan: EditPlan) -> EditPlan:
    """Add a whole-video person keep rule when the plan has no keep rule at all."""
    if plan.keep:
        return plan
    return plan.model_copy(update={"keep": [KeepRule(subject="person")]})


def _place_segment(ctx: ToolContext, seg: BackgroundSegment, label: str) -> ToolResult:
    """Put ``seg`` in the plan: it replaces segments whose range lies inside its range (same
    range included), otherwise it is appended (later segments win). A replaced segment with the
    same range passes on its fades, and its opacity when ``seg`` keeps the default."""
    plan = ctx.plan
    kept: list[BackgroundSegment] = []
    for old in plan.backgrounds:
        if range_within(old.range, seg.range, ctx.duration):
            if old.range == seg.range:
                seg = seg.model_copy(
                    update={
                        "fade_in": seg.fade_in or old.fade_in,
                        "fade_out": seg.fade_out or old.fade_out,
                    }
                )
            continue
        kept.append(old)
    new = _ensure_keep(plan.model_copy(update={"backgrounds": [*kept, seg]}))
    changed = ctx.history.apply(new, label)
    ctx.focus = len(new.backgrounds) - 1
    text = _said(seg)
    if changed and not plan.keep and (whom := main_subject_words(ctx)):
        text += _note(ctx, [whom])  # the default rule keeps the main subject: say whom
    return ToolResult(True, text if changed else f"already so: {text}", changed)


def _segment_with(
    ctx: ToolContext, bg: Background, rng: TimeRange | None, opacity: float | None, label: str
) -> ToolResult:
    fitted, note, err = _fit_range(ctx, rng)
    if err or fitted is None:
        return ToolResult(False, err or "empty range")
    level = 1.0 if opacity is None else opacity
    seg = BackgroundSegment(background=bg, range=fitted, opacity=level)
    if opacity is None:
        for old in ctx.plan.backgrounds:
            if old.range == fitted:
                seg = seg.model_copy(update={"opacity": old.opacity})
    result = _place_segment(ctx, seg, label)
    return ToolResult(result.ok, result.message + note, result.changed)


def _resolve_media(ctx: ToolContext, path: str) -> Path | None:
    """The file ``path`` names: as given (``~`` expanded), else beside the source video.

    Raises:
        PathError: it resolves outside the allowed folders (see :func:`contain`).
    """
    allowed = ctx.allowed_folders()
    bases = [allowed[0]] + ([ctx.source.parent] if ctx.source is not None else [])
    for base in bases:
        p = contain(path, allowed, base=base, what="file")
        try:  # a name too long for the OS is not a file
            if p.is_file():
                return p
        except OSError:
            continue
    return None


def _media_problem(bg: ImageBackground | VideoBackground, path: Path) -> str | None:
    """Why the file at ``path`` cannot be this background (not an image, too large, not a
    video), or None."""
    try:
        if isinstance(bg, ImageBackground):
            check_image(path)
        else:
            probe(path)
    except (RenderError, MediaError) as e:
        return str(e).replace(str(path), path.name)
    return None


def _targets(ctx: ToolContext, target: Literal["last", "all"]) -> list[int]:
    if target == "all":
        return list(range(len(ctx.plan.backgrounds)))
    i = ctx.focused_index()
    return [] if i is None else [i]


def _with_segments(ctx: ToolContext, updates: dict[int, BackgroundSegment]) -> EditPlan:
    segs = [updates.get(i, s) for i, s in enumerate(ctx.plan.backgrounds)]
    return ctx.plan.model_copy(update={"backgrounds": segs})


_NO_SEGMENT = (
    "there is no background change yet to apply that to; first say what the background "
    "should be (for example 'blur the background')"
)


# -- background tools --------------------------------------------------------------------------
_KINDS = [background_type(k) for k in background_kinds()]


class SetBackgroundArgs(_Args):
    background: Background = Field(
        description=f"The new background: {', '.join(_KINDS[:-1])} or {_KINDS[-1]}."
    )
    range: TimeRange | None = Field(None, description=_RANGE_DOC)
    opacity: float | None = Field(
        None, ge=0.0, le=1.0, description="Strength of the new background, 0..1 (default 1)."
    )


@TOOLS.register
def set_background(ctx: ToolContext, args: SetBackgroundArgs) -> ToolResult:
    """Replace the background (behind the kept person) for the whole video or a time range.

    A new segment replaces existing ones whose time range is the same or lies inside the new
    range; otherwise it is layered on top (later wins). Image and video files must exist.
    """
    bg = args.background
    if isinstance(bg, ImageBackground | VideoBackground):
        try:
            found = _resolve_media(ctx, bg.path)
        except PathError as e:
            return ToolResult(False, str(e))
        if found is None:
            return ToolResult(False, f"I can't find the file {bg.path!r}")
        problem = _media_problem(bg, found)
        if problem is not None:
            return ToolResult(False, problem)
        if str(found) != bg.path:
            bg = bg.model_copy(update={"path": str(found)})
    return _segment_with(ctx, bg, args.range, args.opacity, "set background")


class DropBackgroundArgs(_Args):
    kind: Literal["color", "gradient", "blur", "image", "video", "transparent"] | None = Field(
        None, description="Only changes of this kind (omit: any kind)."
    )
    color: str | None = Field(
        None,
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Only changes using this colour (#rrggbb, or one near it), plain or in a "
        "gradient.",
    )


def uses_colour(bg: Background, colour: str) -> bool:
    """Whether ``bg`` is ``colour`` (#rrggbb, or one near it: :func:`near_colour`) or a gradient
    with it among its colours."""
    colours = [bg.color] if bg.type == "color" else list(getattr(bg, "colors", []))
    return any(near_colour(colour, c) for c in colours)


def drops(seg: BackgroundSegment, args: DropBackgroundArgs) -> bool:
    """Whether :func:`drop_background` with ``args`` takes ``seg`` out."""
    if args.kind is not None and seg.background.type != args.kind:
        return False
    return args.color is None or uses_colour(seg.background, args.color)


def _said(seg: BackgroundSegment) -> str:
    """A segment in plain words: "background → red (from 0:03 to the end)"."""
    return f"{describe_background(seg.background)} ({seg.range.describe()})"


@TOOLS.register
def drop_background(ctx: ToolContext, args: DropBackgroundArgs) -> ToolResult:
    """Take background changes out of the plan ("drop the green", "get rid of the blur"): every
    change of that kind or using that colour; the original background shows there again."""
    if args.kind is None and args.color is None:
        return ToolResult(False, "say which background change to take out")
    plan = ctx.plan
    gone = [s for s in plan.backgrounds if drops(s, args)]
    if not gone:
        return ToolResult(False, "there is no such background change in the plan")
    left = [s for s in plan.backgrounds if not drops(s, args)]
    ctx.history.apply(plan.model_copy(update={"backgrounds": left}), "drop background")
    ctx.focus = len(left) - 1 if left else None
    said = "; ".join(_said(s) for s in gone)
    rest = "" if left else "; the original background shows everywhere"
    return ToolResult(True, f"took out {said}{rest}", True)


class ChangeColourArgs(_Args):
    old: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", description="The colour in the plan (#rrggbb).")
    new: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", description="Its replacement (#rrggbb).")


@TOOLS.register
def change_colour(ctx: ToolContext, args: ChangeColourArgs) -> ToolResult:
    """Use one colour instead of another ("change the blue to teal"): every change using the old
    colour (or one near it), plain or in a gradient, keeps its time range, fades and place."""
    new = args.new.lower()
    updates: dict[int, BackgroundSegment] = {}
    for i, seg in enumerate(ctx.plan.backgrounds):
        bg = seg.background
        if not uses_colour(bg, args.old):
            continue
        if bg.type == "color":
            bg = bg.model_copy(update={"color": new})
        else:  # a gradient: only its stops near the old colour change
            stops = [new if near_colour(c, args.old) else c for c in bg.colors]
            bg = bg.model_copy(update={"colors": stops})
        updates[i] = seg.model_copy(update={"background": bg})
    if not updates:
        return ToolResult(False, "no change in the plan uses that colour")
    changed = ctx.history.apply(_with_segments(ctx, updates), "change colour")
    ctx.focus = max(updates)
    return ToolResult(True, "; ".join(_said(s) for s in updates.values()), changed)


class RemoveBackgroundArgs(_Args):
    range: TimeRange | None = Field(None, description=_RANGE_DOC)


@TOOLS.register
def remove_background(ctx: ToolContext, args: RemoveBackgroundArgs) -> ToolResult:
    """Remove the background (transparent in alpha outputs, black elsewhere), keeping the person."""
    return _segment_with(ctx, TransparentBackground(), args.range, None, "remove background")


class BlurBackgroundArgs(_Args):
    strength: float = Field(0.6, ge=0.0, le=1.0, description="0 = none, 1 = very strong.")
    range: TimeRange | None = Field(None, description=_RANGE_DOC)


@TOOLS.register
def blur_background(ctx: ToolContext, args: BlurBackgroundArgs) -> ToolResult:
    """Blur the background behind the person."""
    bg = BlurBackground(strength=args.strength)
    return _segment_with(ctx, bg, args.range, None, "blur background")


class KeepSubjectArgs(_Args):
    subject: str = Field(
        "person",
        description=(
            "What stays in front (or is removed): 'person', 'speaker' (who is talking), "
            "'object' (give label), 'box' (give box) or 'point' (give point)."
        ),
    )
    action: Literal["keep", "remove"] = Field(
        "keep", description="'keep' it in front, or 'remove' it from what is kept."
    )
    label: str | None = Field(None, description="object: its name, e.g. 'couch'.")
    speaker: str | None = Field(None, description="speaker: a speaker id; omit = whoever talks.")
    box: list[float] | None = Field(
        None, min_length=4, max_length=4, description="box: [x0, y0, x1, y1] video pixels."
    )
    point: list[float] | None = Field(
        None, min_length=2, max_length=2, description="point: [x, y] video pixels."
    )
    range: TimeRange | None = Field(None, description=_RANGE_DOC)
    selector: str | None = Field(
        None,
        description=(
            "person: which people — 'all' (everyone), 'main' (the main subject), 'left', "
            "'right', 'centre', 'largest', 'colour:red' (any colour word), 'id:P2'. Omit = "
            "the person (the main subject when several people are in view); 'all' when the "
            "user says everyone."
        ),
    )


_SUBJECT_ALIASES = {"talker": "speaker", "speaking": "speaker", "region": "box", "area": "box"}


def _people_words(ctx: ToolContext, selector: str) -> str:
    """Whom ``selector`` names among the people analysis tracked, in words ("" when the video
    was not analysed for people): ``"keeping P2 (left, in white) of 3 people in view"``."""
    from backdrop.perception.vision.people import people_summary

    if ctx.timeline is None:
        return ""
    rows = people_summary(ctx.timeline.events)
    if not rows:
        return ""

    def words(ev: object) -> str:
        colour = getattr(ev, "colour", "")
        return getattr(ev, "position", "") + (f", in {colour}" if colour else "")

    chosen = None
    if selector in ("main", "largest"):
        chosen = rows[0]
    elif selector in ("left", "right", "centre"):
        chosen = next((r for r in rows if r[2].position == selector), None)
    elif selector.startswith("colour:"):
        chosen = next((r for r in rows if r[2].colour == selector[7:]), None)
    elif selector.startswith("id:"):
        chosen = next((r for r in rows if r[0] == selector[3:]), None)
    n = f"{len(rows)} {'person' if len(rows) == 1 else 'people'} tracked"
    if chosen is None:
        return f"{n}; none matches yet, so the choice is made frame by frame as people appear"
    pid, _, ev = chosen
    return f"keeping {pid} ({words(ev)}) of {n}; followed frame by frame"


def main_subject_words(ctx: ToolContext) -> str:
    """Whom the default person rule keeps when the analysis tracked several people ("" when
    it tracked fewer than two, or the video was not analysed): ``"3 people in view: keeping P2
    (centre, moving, in blue), the main subject …; say “keep everyone” to keep them all"``."""
    from backdrop.perception.vision.people import people_summary

    rows = people_summary(ctx.timeline.events) if ctx.timeline is not None else []
    if len(rows) < 2:
        return ""
    pid, _, ev = rows[0]
    what = [ev.position] + (["moving"] if ev.moving else []) + (["talking"] if ev.speaking else [])
    what += [f"in {ev.colour}"] if ev.colour else []
    return (
        f"{len(rows)} people in view: keeping {pid} ({', '.join(what)}), the main subject "
        "(largest and most central over time, moving, talking); say “keep everyone” to keep "
        "them all, or “the person on the left”, “the one in red”, “P2”"
    )


def _video_width(ctx: ToolContext) -> float | None:
    """The source video's display width in pixels, or None when there is no readable source."""
    from backdrop.perception.core.media import MediaError, probe

    if ctx.source is None:
        return None
    try:
        return float(probe(ctx.source).width)
    except (MediaError, OSError):
        return None


def _speaker_check(ctx: ToolContext, speaker: str | None) -> tuple[str | None, str]:
    """``(refusal, whom)``: why a speaker rule would keep nobody (None when it would keep
    someone), and who it keeps in words."""
    from backdrop.perception.core.events import ActiveSpeaker, PersonTrack, Speech

    tl = ctx.timeline
    if tl is None:
        return None, ""
    found = [
        e for e in tl.of_type(ActiveSpeaker)
        if isinstance(e, ActiveSpeaker) and (speaker is None or e.speaker == speaker)
    ]  # fmt: skip
    if not found:
        if speaker is not None:
            why = f"{speaker} was never seen talking on screen"
        elif not tl.of_type(Speech):
            why = "nobody talks in this video"
        else:
            why = "I hear speech but see no one on screen whose lips move with it"
        return (
            f"keeping only the person who is talking would leave nobody: {why}. Nothing "
            "changed; say “keep everyone”, or pick a person (“the person on the left”)",
            "",
        )
    tracks = [e for e in tl.of_type(PersonTrack) if isinstance(e, PersonTrack) and e.speaking]
    if tracks:
        order: list[str] = []
        for e in sorted(tracks, key=lambda e: e.t0):
            label = f"{e.person} ({e.position})"
            if not order or order[-1] != label:
                order.append(label)
        whom = " then ".join(order[:4]) + (" …" if len(order) > 4 else "")
    else:
        from backdrop.perception.vision.tracking import position_of

        width = _video_width(ctx)
        order = []
        for e in sorted(found, key=lambda e: e.t0):
            x0, _, x1, _ = e.box
            label = "the face on screen"
            if width:
                pos = position_of((x0 / width, 0.0, x1 / width, 1.0))
                label = "the face in the centre" if pos == "centre" else f"the face on the {pos}"
            if not order or order[-1] != label:
                order.append(label)
        whom = " then ".join(order[:4])
    return None, f"talking: {whom}; the last speaker stays kept between turns"


def _resolve_subject(ctx: ToolContext, args: KeepSubjectArgs) -> tuple[str, str | None, str]:
    """``(subject, label, refusal)`` for the words of ``args``: person words → ``person``,
    anything unknown → an object by that name, which must have been seen (else ``refusal``
    says so)."""
    raw = args.subject.strip().lower().removeprefix("the ")
    subject = _SUBJECT_ALIASES.get(raw, raw)
    label = args.label
    if subject in PERSON_WORDS and subject != "speaker":
        subject = "person"
    elif subject not in ("speaker", "object", "box", "point"):
        subject, label = "object", label or raw
    if subject != "object":
        return subject, label, ""
    from backdrop.perception.core.events import ObjectsSeen
    from backdrop.perception.vision.detect import objects_detector_installed
    from backdrop.perception.vision.objects import (
        labels_seen,
        matches,
        missing_object_message,
        resolve_label,
    )

    label = (label or "").strip().lower().removeprefix("the ")
    events = [] if ctx.timeline is None else ctx.timeline.of_type(ObjectsSeen)
    seen, sure = labels_seen(events)
    canonical = resolve_label(label)
    if label not in seen and not (canonical and any(matches(canonical, s) for s in seen)):
        searched = ctx.timeline is not None
        why = missing_object_message(label, sure, objects_detector_installed(), searched)
        return subject, label, why
    return subject, label if label in seen else canonical, ""


def _resolve_selector(
    ctx: ToolContext, args: KeepSubjectArgs, subject: str
) -> tuple[str | None, str]:
    """``(selector, refusal)``: the person selector of ``args`` in the plan's spelling (None for
    "the person" and for subjects other than a person)."""
    selector = args.selector.strip().lower() if args.selector else None
    if selector is None or subject != "person":
        return None, ""
    if selector in ("everyone", "everybody", "both"):
        selector = "all"
    selector = selector.replace("center", "centre").replace("color:", "colour:")
    if selector.startswith("id:"):
        selector = "id:" + selector[3:].upper()
    if selector.startswith("nth:"):
        return _nth_person(ctx, int(selector[4:] or 0))
    from backdrop.render.plan import PERSON_SELECTORS, SELECTOR_COLOURS

    ok = selector in PERSON_SELECTORS or selector.startswith("id:P") or (
        selector.startswith("colour:") and selector[7:] in SELECTOR_COLOURS)  # fmt: skip
    if ok:
        return selector, ""
    return None, (
        f"I don't know which person “{args.selector}” means: say everyone, the main "
        "person, left, right, centre, the largest, a colour (“the one in red”) or an id "
        "(“P2”)"
    )


_NTH_WORDS = {0: "other", 1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def people_found(ctx: ToolContext) -> tuple[list[str], bool]:
    """``(the people the analysis tracked, in words — "P1 (centre, in white)" —, whether it
    looked at the whole video)``; ``([], False)`` when the video was not analysed for people."""
    from backdrop.perception.core.events import PeopleCount
    from backdrop.perception.vision.people import people_summary

    if ctx.timeline is None:
        return [], False
    rows = people_summary(ctx.timeline.events)
    counts = ctx.timeline.of_type(PeopleCount)
    whole = bool(counts) and max(e.t1 for e in counts) >= ctx.duration - 1.0
    words = [f"{pid} ({ev.position}{f', in {ev.colour}' if ev.colour else ''})"
             for pid, _, ev in rows]  # fmt: skip
    return words, whole


def _nth_person(ctx: ToolContext, n: int) -> tuple[str | None, str]:
    """``(selector, refusal)`` for "the second person" (``n`` = 2; 0 = "the other one"): the
    person when one was found and ``n`` is 1; else a refusal that says only one person was
    found, or asks which of the people found is meant (who is "second" depends on where they
    are)."""
    found, whole = people_found(ctx)
    nth = _NTH_WORDS.get(n, f"number {n}")
    which = f"the {nth} person"
    pick = "say “the person on the left” (or right, centre), “the one in red” or an id such as “P2”"
    if len(found) == 1 and n == 1:
        return None, ""
    if len(found) == 1:
        seen = "in this video" if whole else "so far"
        return None, (f"there is only one person {seen}, {found[0]}, so there is no {nth} "
                      "person; nothing changed (they are the person kept)")  # fmt: skip
    if len(found) >= 2:
        listed = "; ".join(found[:6])
        return None, f"I found {len(found)} people ({listed}); which is {which}? {pick}"
    return None, f"I can't tell who {which} is; {pick}"


def _only_one(ctx: ToolContext, selector: str | None) -> tuple[str | None, str]:
    """``(selector, note)``: a choice of people ("the person on the left") when the analysis of
    the whole video found one person is that person (selector None), and the note says so."""
    if selector in (None, "all"):
        return selector, ""
    found, whole = people_found(ctx)
    if len(found) != 1 or not whole:
        return selector, ""
    from backdrop.render.plan import describe_selector

    return None, (f"there is only one person in this video, {found[0]}, so "
                  f"“{describe_selector(selector)}” is them")  # fmt: skip


def _whom(ctx: ToolContext, args: KeepSubjectArgs, subject: str,
          selector: str | None) -> tuple[str | None, str]:  # fmt: skip
    """``(refusal, words)``: whom a person or speaker rule keeps, said back to the user."""
    if subject == "speaker" and args.action == "keep":
        return _speaker_check(ctx, args.speaker)
    if subject == "person" and selector not in (None, "all"):
        return None, _people_words(ctx, selector)
    if subject == "person" and selector is None and args.action == "keep":
        return None, main_subject_words(ctx)
    return None, ""


def _rules_with(ctx: ToolContext, rule: KeepRule, fitted: TimeRange) -> list[KeepRule]:
    """The plan's keep rules once ``rule`` (over ``fitted``) is added: rules it makes redundant
    go, and a new choice of people replaces the person keeps it covers."""
    keep = [k for k in ctx.plan.keep
            if not (k.model_copy(update={"range": rule.range}) == rule
                    and range_within(k.range, fitted, ctx.duration))]  # fmt: skip
    if rule.action == "keep" and (rule.subject == "speaker" or (
            rule.subject == "person" and rule.selector)):  # fmt: skip
        # "only the person who is talking" / "on the left" / "everyone": another person keep
        # over the same time would win (masks combine by maximum), so the new choice replaces it
        keep = [
            k for k in keep
            if not (k.subject in ("person", "speaker") and k.action == "keep"
                    and range_within(k.range, fitted, ctx.duration))
        ]  # fmt: skip
        keep = [part for k in keep for part in _around(k, rule, fitted, ctx.duration)]
    if rule.action == "remove" and not any(k.action == "keep" for k in keep):
        keep.append(KeepRule(subject="person", range=fitted))
    return [*keep, rule]


def _around(k: KeepRule, rule: KeepRule, fitted: TimeRange, duration: float) -> list[KeepRule]:
    """``k`` without the time ``fitted`` when it is a person keep that spans it: "only keep the
    speaker for the first 30 s" over a whole-video person rule keeps the speaker alone there
    (masks combine by maximum, so the person rule would keep its person too). Seconds."""
    if not (k.subject in ("person", "speaker") and k.action == "keep" and k != rule
            and range_within(fitted, k.range, duration)) or duration <= 0:  # fmt: skip
        return [k]
    (a0, a1), (f0, f1) = k.range.resolve(duration), fitted.resolve(duration)
    parts = [(a0, f0), (f1, a1)]
    return [
        k.model_copy(update={"range": TimeRange(start=round(t0, 3),
                                                end=None if t1 >= duration else round(t1, 3))})
        for t0, t1 in parts if t1 - t0 > 1e-3
    ]  # fmt: skip


@TOOLS.register
def keep_subject(ctx: ToolContext, args: KeepSubjectArgs) -> ToolResult:
    """Keep a subject in front of the background, or remove one from what is kept: the person
    (the main subject when several people are in view; or everyone, or one chosen by selector:
    main, left, right, centre, largest, a colour, an id), whoever is talking (or one speaker), a
    named object, a box or a point."""
    subject, label, refusal = _resolve_subject(ctx, args)
    selector, bad = _resolve_selector(ctx, args, subject)
    refusal = refusal or bad
    selector, one = _only_one(ctx, selector)
    if not refusal:
        refusal, whom = _whom(ctx, args, subject, selector)
        whom = one or whom
    if refusal:
        return ToolResult(False, refusal)
    if subject == "box" and args.box is None:
        return ToolResult(False, "say which box: x0,y0,x1,y1 in video pixels")
    if subject == "point" and args.point is None:
        return ToolResult(False, "say which point: x,y in video pixels")
    fitted, note, err = _fit_range(ctx, args.range)
    if err or fitted is None:
        return ToolResult(False, err or "empty range")
    try:
        rule = KeepRule(
            subject=subject,  # type: ignore[arg-type]
            action=args.action,
            range=fitted,
            label=label if subject == "object" else None,
            speaker=args.speaker if subject == "speaker" else None,
            box=args.box if subject == "box" else None,
            point=args.point if subject == "point" else None,
            selector=selector,
        )
    except ValueError as e:
        return ToolResult(False, str(e).splitlines()[-1])
    same = [k for k in ctx.plan.keep if k.model_copy(update={"range": fitted}) == rule]
    if any(range_within(fitted, k.range, ctx.duration) for k in same):
        said = _note(ctx, [one]) if one else ""
        return ToolResult(True, f"already so: {rule.describe()}" + note + said)
    new = ctx.plan.model_copy(update={"keep": _rules_with(ctx, rule, fitted)})
    changed = ctx.history.apply(new, rule.describe())
    extra = ""
    if subject in ("box", "point", "object"):
        extra = _note(ctx, [
            "without a Segment Anything checkpoint this uses the offline fallback (U²-Net-p on "
            "the region, tracked); for better masks pass --sam-checkpoint PATH"
        ])  # fmt: skip
    if whom:
        extra = _note(ctx, [whom]) + extra
    return ToolResult(True, rule.describe() + note + extra, changed)


class SetQualityArgs(_Args):
    tier: Literal["preview", "matting", "sam", "fallback"] = Field(
        description=(
            "Segmentation tier: 'preview' (fast), 'matting' (hair-level alpha, needs the RVM "
            "model), 'sam' (Segment Anything, needs a checkpoint), 'fallback'."
        )
    )
    range: TimeRange | None = Field(None, description=_RANGE_DOC)


@TOOLS.register
def set_quality(ctx: ToolContext, args: SetQualityArgs) -> ToolResult:
    """Choose the segmentation tier for a time range ("the hair edge looks rough" → matting)."""
    from backdrop.perception.core.models import model_status
    from backdrop.render.plan import QualityRange

    if args.tier == "matting":
        st = {m.name: m for m in model_status()}["rvm-mobilenetv3"]
        if not st.installed:
            return ToolResult(False, f"the matting model is not installed: {st.how_to_get}")
    fitted, note, err = _fit_range(ctx, args.range)
    if err or fitted is None:
        return ToolResult(False, err or "empty range")
    kept = [q for q in ctx.plan.quality if not range_within(q.range, fitted, ctx.duration)]
    rng = QualityRange(tier=args.tier, range=fitted)
    new = ctx.plan.model_copy(update={"quality": [*kept, rng]})
    changed = ctx.history.apply(new, f"{args.tier} quality")
    if args.tier == "matting" and changed:
        note += _note(ctx, [_matting_said(ctx)])
    return ToolResult(True, f"{args.tier} segmentation ({fitted.describe()})" + note, changed)


def _matting_said(ctx: ToolContext) -> str:
    """That the opt-in matting model is used, and how fast it runs on this video here."""
    what = "the opt-in matting model (Robust Video Matting, GPLv3) makes the person's alpha"
    if ctx.source is None:
        return what
    from backdrop.perception.core.media import MediaError, probe
    from backdrop.perception.vision.matting import matting_speed

    try:
        info = probe(ctx.source)
        fps = matting_speed(info.width, info.height)
    except (MediaError, OSError, RuntimeError) as e:
        return f"{what} (its speed could not be measured: {e})"
    return f"{what}: about {fps:.1f} frames/s at {info.width}×{info.height} on this machine"


class MatchLightingArgs(_Args):
    on: bool = Field(True, description="True = match the background's lighting to the subject.")
    target: Literal["last", "all"] = Field("last", description=_TARGET_DOC)


@TOOLS.register
def match_lighting(ctx: ToolContext, args: MatchLightingArgs) -> ToolResult:
    """Adjust the new background's brightness and colour temperature to the person's."""
    idx = _targets(ctx, args.target)
    if not idx:
        return ToolResult(False, _NO_SEGMENT)
    segs = ctx.plan.backgrounds
    new = _with_segments(ctx, {i: segs[i].model_copy(update={"match_lighting": args.on})
                               for i in idx})  # fmt: skip
    changed = ctx.history.apply(new, "match lighting")
    what = "matched to the subject" if args.on else "left as it is"
    return ToolResult(True, f"background lighting {what}", changed)


class SetTimeRangeArgs(_Args):
    range: TimeRange = Field(description=_RANGE_DOC)
    target: Literal["last", "all"] = Field("last", description=_TARGET_DOC)


@TOOLS.register
def set_time_range(ctx: ToolContext, args: SetTimeRangeArgs) -> ToolResult:
    """Move background segments to a new time range ("only in the first 30 seconds")."""
    idx = _targets(ctx, args.target)
    if not idx:
        return ToolResult(False, _NO_SEGMENT)
    fitted, note, err = _fit_range(ctx, args.range)
    if err or fitted is None:
        return ToolResult(False, err or "empty range")
    segs = ctx.plan.backgrounds
    new = _with_segments(ctx, {i: segs[i].model_copy(update={"range": fitted}) for i in idx})
    changed = ctx.history.apply(new, "set time range")
    what = "every background segment" if args.target == "all" else "the background change"
    return ToolResult(True, f"{what} now applies {fitted.describe()}" + note, changed)


class AddTransitionArgs(_Args):
    kind: Literal["fade_in", "fade_out"] = Field(description="Fade the effect in or out.")
    duration: float = Field(1.0, gt=0.0, le=3600.0, description="Fade length in seconds.")
    target: Literal["last", "all"] = Field("last", description=_TARGET_DOC)


@TOOLS.register
def add_transition(ctx: ToolContext, args: AddTransitionArgs) -> ToolResult:
    """Fade a background change in (from its start) or out (up to its end).

    A fade longer than its segment is shortened to fit.
    """
    idx = _targets(ctx, args.target)
    if not idx:
        return ToolResult(False, _NO_SEGMENT)
    notes: list[str] = []
    updates: dict[int, BackgroundSegment] = {}
    for i in idx:
        seg = ctx.plan.backgrounds[i]
        dur = args.duration
        length = range_length(seg.range, ctx.duration)
        if length is not None and dur > length:
            word = args.kind.replace("_", " ")
            notes.append(
                f"the segment is only {length:g} s long, so the {word} is shortened to {length:g} s"
            )
            dur = round(length, 3)
        updates[i] = seg.model_copy(update={args.kind: Fade(duration=dur)})
    changed = ctx.history.apply(_with_segments(ctx, updates), args.kind.replace("_", " "))
    verb = "fading in" if args.kind == "fade_in" else "fading out"
    durs = sorted({getattr(s, args.kind).duration for s in updates.values()})
    text = f"{verb} over {', '.join(f'{d:g}' for d in durs)} s"
    return ToolResult(True, text + _note(ctx, notes), changed)


class SetEdgesArgs(_Args):
    feather: float | None = Field(
        None, ge=0.0, le=50.0, description="Edge softness in pixels of a 720-line frame."
    )
    refine: Literal["none", "guided", "matte"] | None = Field(
        None,
        description="'guided' snaps the edge to image edges; 'matte' solves real alpha for hair "
        "(quality tier: exports and refined frames); 'none' uses the raw mask.",
    )
    refine_radius: float | None = Field(
        None, ge=1.0, le=64.0, description="Guided-filter radius, pixels of a 720-line frame."
    )
    shift: float | None = Field(
        None, ge=-20.0, le=20.0, description="Grow (+) or shrink (-) the person; px per 720 lines."
    )
    despill: Literal["auto", "off", "green", "blue"] | None = Field(
        None, description="Take a green/blue screen's colour out of the person's edge and hair."
    )


@TOOLS.register
def set_edges(ctx: ToolContext, args: SetEdgesArgs) -> ToolResult:
    """Change how the person's edge is made; only the given settings change."""
    given = args.model_dump(exclude_none=True)
    if not given:
        return ToolResult(False, "say which edge setting to change (feather, refine, shift)")
    edges = EdgeSettings.model_validate({**ctx.plan.edges.model_dump(), **given})
    changed = ctx.history.apply(ctx.plan.model_copy(update={"edges": edges}), "edges")
    e = edges
    text = f"edges: feather {e.feather:g} px, refine {e.refine} (radius {e.refine_radius:g})"
    text += f", shift {e.shift:+g} px" if e.shift else ""
    text += f", {e.despill} despill" if "despill" in given and e.despill != "off" else ""
    return ToolResult(True, text, changed)


class SetStrengthArgs(_Args):
    level: float = Field(ge=0.0, le=1.0, description="0..1; 0.4 = subtle, 1 = full strength.")
    target: Literal["last", "blur", "opacity"] = Field(
        "last",
        description="'last': the last background change; 'blur': every blur in the plan, in "
        "place (\"less blur\" when the last change is not a blur); 'opacity': the last change's "
        'opacity whatever its kind ("a bit see-through": the original shows through).',
    )


@TOOLS.register
def set_strength(ctx: ToolContext, args: SetStrengthArgs) -> ToolResult:
    """Set how strong the last background change is: blur amount for a blur, else its opacity
    (``target`` 'blur': the amount of every blur instead)."""
    if args.target == "blur":
        blurs = {
            i: s.model_copy(update={"background": s.background.model_copy(
                update={"strength": args.level})})
            for i, s in enumerate(ctx.plan.backgrounds) if isinstance(s.background, BlurBackground)
        }  # fmt: skip
        if not blurs:
            return ToolResult(False, "there is no blur in the plan")
        changed = ctx.history.apply(_with_segments(ctx, blurs), "strength")
        ctx.focus = max(blurs)
        said = "; ".join(s.range.describe() for s in blurs.values())
        return ToolResult(True, f"blur strength {args.level:.0%} ({said})", changed)
    i = ctx.focused_index()
    if i is None:
        return ToolResult(False, _NO_SEGMENT)
    seg = ctx.plan.backgrounds[i]
    if isinstance(seg.background, BlurBackground) and args.target != "opacity":
        bg = seg.background.model_copy(update={"strength": args.level})
        seg, what = seg.model_copy(update={"background": bg}), "blur strength"
    else:
        seg, what = seg.model_copy(update={"opacity": args.level}), "strength"
    changed = ctx.history.apply(_with_segments(ctx, {i: seg}), "strength")
    return ToolResult(True, f"{what} {args.level:.0%}", changed)


# -- history and output ------------------------------------------------------------------------
class NoArgs(_Args):
    pass


def _refocus(ctx: ToolContext) -> None:
    n = len(ctx.plan.backgrounds)
    if ctx.focus is not None and ctx.focus >= n:
        ctx.focus = n - 1 if n else None


@TOOLS.register
def undo(ctx: ToolContext, args: NoArgs) -> ToolResult:
    """Undo the last change (one whole instruction)."""
    label = ctx.history.undo_label
    if not ctx.history.undo():
        return ToolResult(False, "there is nothing to undo")
    _refocus(ctx)
    return ToolResult(True, f"undid {label!r}", True)


@TOOLS.register
def start_over(ctx: ToolContext, args: NoArgs) -> ToolResult:
    """Start over: clear the whole edit plan (background changes, keep rules, edges, quality),
    so the original video shows again. One step: "undo" brings the plan back."""
    if ctx.plan == EditPlan():
        return ToolResult(True, "already so: the plan is empty, nothing is changed yet", False)
    ctx.history.apply(EditPlan(), "start over")
    ctx.focus = None
    return ToolResult(
        True,
        "started over: the plan is empty and the original video shows (say “undo” to get it back)",
        True,
    )


@TOOLS.register
def redo(ctx: ToolContext, args: NoArgs) -> ToolResult:
    """Redo the last undone change."""
    label = ctx.history.redo_label
    if not ctx.history.redo():
        return ToolResult(False, "there is nothing to redo")
    _refocus(ctx)
    return ToolResult(True, f"redid {label!r}", True)


class ExportPlanArgs(_Args):
    path: str = Field(description="Where to write the edit plan (JSON).")


@TOOLS.register
def export_plan(ctx: ToolContext, args: ExportPlanArgs) -> ToolResult:
    """Save the edit plan as JSON (written atomically)."""
    try:
        allowed = ctx.allowed_folders()
        target = check_output(contain(args.path, allowed, what="plan"), protected_inputs(ctx))
        written = ctx.plan.save(target)
    except PathError as e:
        return ToolResult(False, str(e))
    except OSError as e:
        return ToolResult(False, f"could not write {args.path}: {e.strerror or e}")
    return ToolResult(True, f"saved the edit plan to {written}")


class SetOutputSizeArgs(_Args):
    size: str = Field(
        description="Export size: '4k', '1440p', '1080p', '720p', '480p' (aspect kept) or "
        "'WIDTHxHEIGHT' (e.g. '3840x2160')."
    )


@TOOLS.register
def set_output_size(ctx: ToolContext, args: SetOutputSizeArgs) -> ToolResult:
    """Set the size the video is exported at ("export in 4K"); not part of the edit plan."""
    from backdrop.render.facade import parse_size

    spec = args.size.strip().lower().replace(" ", "").replace("×", "x")
    try:
        w, h = parse_size(spec, 1920, 1080)  # a 16:9 source, to check the spec and say it
    except ValueError as e:
        return ToolResult(False, str(e))
    ctx.output_size = spec
    if "x" in spec:
        return ToolResult(True, f"export size → {w}×{h}")
    said = {"fullhd": "full HD", "uhd": "UHD", "hd": "HD"}.get(
        spec, spec.upper() if spec.endswith("k") else spec
    )
    return ToolResult(True, f"export size → {said} ({w}×{h} for a 16:9 video)")


class SetSpeakerCountArgs(_Args):
    speakers: int = Field(description="How many people talk in the video (1 to 20).")


@TOOLS.register
def set_speaker_count(ctx: ToolContext, args: SetSpeakerCountArgs) -> ToolResult:
    """Set how many people talk in the video ("there are two speakers"); speaker turns are
    clustered into that many voices. Not part of the edit plan."""
    from backdrop.perception.audio.speakers import check_speaker_count

    try:
        n = check_speaker_count(args.speakers)
    except ValueError as e:
        return ToolResult(False, str(e))
    ctx.speakers = n
    voices = "one speaker" if n == 1 else f"{n} speakers"
    return ToolResult(True, f"I'll split the voices into {voices}")


class RenderArgs(_Args):
    output: str = Field(description="Output video file.")
    alpha: str | None = Field(None, description="Optional separate alpha (matte) output file.")


@TOOLS.register
def render(ctx: ToolContext, args: RenderArgs) -> ToolResult:
    """Render the edited video with the current plan."""
    if ctx.renderer is None:
        return ToolResult(False, "no renderer is available here")
    try:
        allowed = ctx.allowed_folders()
        out = check_output(contain(args.output, allowed, what="output"), protected_inputs(ctx))
        alpha = contain(args.alpha, allowed, what="output") if args.alpha else None
    except PathError as e:
        return ToolResult(False, str(e))
    try:
        ctx.renderer(ctx.plan, out, alpha=alpha)
    except (RenderError, MediaError) as e:
        return ToolResult(False, f"could not render: {e}")
    except OSError as e:
        return ToolResult(False, f"could not render to {out}: {e.strerror or e}")
    return ToolResult(True, f"rendered {out}" + (f" and alpha {alpha}" if alpha else ""))


def protected_inputs(ctx: ToolContext) -> list[Path]:
    """Files an output must never replace: the source and the plan's background files."""
    found = [ctx.source] if ctx.source is not None else []
    for seg in ctx.plan.backgrounds:
        if isinstance(seg.background, ImageBackground | VideoBackground):
            found.append(Path(seg.background.path))
    return found


def default_registry() -> ToolRegistry:
    """The registry holding every built-in tool."""
    return TOOLS


__all__ = ["TOOLS", "default_registry", "format_clock"]
