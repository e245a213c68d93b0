"""Step 4: a sentence's clauses → tool calls.

Background changes become segment drafts (remove + replace in one sentence is one segment);
fades, strength and bare time ranges attach to the latest draft of the sentence, or to the
focused segment of the plan when there is none; relative references ("a bit darker", "change
the blue to teal", "like before"), exclusions and "stop" become calls on the plan as it is.
Fades and exclusions said before the change they belong to wait for it.

Sequences: a part said with only a length or an end follows the part before it ("red for 5 s
and blue for 5 s"); parts said with no length share the time left evenly (the reply says so);
times that contradict the order ("red until 5 s, then blue till 3 s"), two changes that partly
overlap, and "X, then Y" with no time at all are asked about instead of overlapping silently.
Times are seconds; negative times count back from the end of the video."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from pydantic import ValidationError

from backdrop.agent.interpret.answers import Options, picked
from backdrop.agent.interpret.clauses import Clause
from backdrop.agent.interpret.errors import Unclear, clarify
from backdrop.agent.interpret.lexicon.adjust import STOP_INDEX
from backdrop.agent.interpret.lexicon.colours import COLOUR, colour_name, shade_of, tint_of
from backdrop.agent.interpret.lexicon.times import MIN_SPAN
from backdrop.render.colors import near_colour
from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    EdgeSettings,
    EditPlan,
    TimeRange,
    clock,
    describe_background,
)
from backdrop.tools import ToolCall, ToolContext
from backdrop.tools.edit import DropBackgroundArgs, drops, uses_colour

_Tool = Literal["set_background", "remove_background", "blur_background"]


@dataclass
class _Draft:
    """A background segment being composed from one or more clauses of a sentence."""

    tool: _Tool
    background: dict[str, Any] | None = None
    blur: float = 0.6
    range: TimeRange | None = None
    opacity: float | None = None
    fades: dict[str, float] = field(default_factory=dict)
    more_ranges: list[TimeRange] = field(default_factory=list)


def compose(
    clauses: list[Clause], ctx: ToolContext, notes: list[str] | None = None
) -> tuple[list[ToolCall], list[ToolCall]]:
    """Turn a sentence's clauses into ``(undo/redo calls, edit calls)``.

    ``notes`` (when given) receives what was understood but done differently from the words
    ("there was no blue, so …").
    """
    composer = _Composer(clauses, ctx, [] if notes is None else notes)
    for n, c in enumerate(clauses):
        composer.add(n, c)
    return composer.finish()


@dataclass
class _Composer:
    """The state of composing one sentence: calls so far, the segment being drafted, and a time
    range said before the change it belongs to ("from 2 seconds on, put a red background …")."""

    clauses: list[Clause]
    ctx: ToolContext
    notes: list[str]
    pre: list[ToolCall] = field(default_factory=list)
    steps: list[_Draft | ToolCall] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    """Edge changes a clause only described ("there's a halo"): the fix said with them ("pull
    the mask in") is the same change, made once."""
    prev_range: TimeRange | None = None
    draft: _Draft | None = None
    pending: TimeRange | None = None
    pending_also: list[TimeRange] = field(default_factory=list)
    pending_exclude: list[TimeRange] = field(default_factory=list)
    pending_fades: dict[str, float] = field(default_factory=dict)
    run: list[_Draft] = field(default_factory=list)
    """Parts of a sequence said without a length ("…, then the beach image, then the waves
    video"): they share the time from the first one's start to the next part (or the end)."""
    last_stop: ToolCall | None = None
    """The gradient this sentence's last stop change set ("the right side white and the left side
    black": the second stop goes into the same gradient, not the focused one again)."""
    retimed: TimeRange | None = None
    """The focused change's range after this sentence moved its end ("another 10 s, and make it
    darker": the darker shade covers the new range, not the old one)."""

    def __post_init__(self) -> None:
        # "after that" in a new sentence refers to the segment the last change touched.
        focus = self.ctx.focused_index()
        self.prev_range = None if focus is None else self.ctx.plan.backgrounds[focus].range

    def _whole(self, c: Clause) -> bool:
        """Compose a clause that is a whole step of its own — a change taken out ("drop the
        green"), starting over, a colour added to a gradient — and say whether it was one."""
        if c.drop is not None:
            call = _drop_call(c, self.ctx)
            if isinstance(call, list):
                self.steps += call
                return True
            if call is not None:
                self.steps.append(call)
                return True
            c.remove = True  # "remove the green screen" with no green change: the background
        if c.reset:
            self.steps.append(ToolCall("start_over"))
            self.notes.append(
                "there was nothing to start over from: the plan is still empty"
                if self.ctx.plan == EditPlan()
                else "I started over from the original video; say “undo” to get the plan back"
            )
            return True
        if c.append is not None:
            last = self.last_stop
            if last is not None and c.append[1][:1] != "?":  # "the right side white and the
                bg = last.args["background"]  # left side black": both stops, one gradient
                bg["colors"] = _with_stop(bg["colors"], c.append[0], c.append[1])
                return True
            calls = _append_calls(c.append, self.ctx, self.draft)
            self.steps += calls
            stops = [k for k in calls if k.name == "set_background"]
            if stops and stops[-1].args["background"].get("type") == "gradient":
                self.last_stop = stops[-1]
            return True
        return False

    def add(self, n: int, c: Clause) -> None:
        """Compose clause number ``n``."""
        self.notes += c.notes
        self.pre += [ToolCall("undo")] * c.undo + [ToolCall("redo")] * c.redo
        if self._whole(c):
            return
        if self.draft is None and (action := _edge_again(c, self.ctx)) is not None:
            c.strength, c.edges = None, [action]  # "pull the mask in" … "a bit more"
        if _sharper_blur(c, self.ctx, self.draft):  # "blur it" … "make it sharper": less blur
            c.edges, c.blur, c.strength = [], True, ("rel", -0.2)
            self.notes.append("I read “sharper” as less blur, since the background is blurred "
                              "(say “sharper edges” for the cut-out's edge)")  # fmt: skip
        if self._reblur(c):
            return
        kind = self._kind(c)
        if c.undo and kind is None and c.range is not None:
            span = _span_words(c.range)
            raise Unclear(
                f"Should I take back the last change (say “undo”), or leave {span} as it was "
                f"(say “leave {span} as it is”)?"
            )
        if c.see_through is not None and self._see_through(c, kind):
            return
        if c.rest and kind is not None:
            self._rest_of(c)
        if self._reshade(c, kind):
            return
        if kind is not None and self._follows_on(c, kind):
            c.sequential = True  # "red for 5 s and blue for 5 s": blue comes after red
        follows = kind is not None and (c.sequential or c.relative == "after")
        # "after that" and "then" only place a new background; elsewhere they are sequencing.
        if kind is None and c.range is None and self.pending is not None and _chooses(c):
            c.range, self.pending = self.pending, None  # "from 20 s on, keep only the speaker"
        rng = _clause_range(c, self.prev_range) if kind is not None else c.range
        if kind is not None and rng is None and self.pending is not None:
            rng, self.pending = self.pending, None
        if rng is not None:
            self.prev_range = rng
        if c.stop:
            self.steps.append(_stop_call(self.ctx))
            return
        if c.end_or_stop is not None and _gradient_now(self.ctx, self.draft):
            first = c.end_or_stop != "end"
            raise Unclear(
                clarify(
                    f"Do you mean the {'first' if first else 'last'} colour of the gradient, or "
                    f"the {'start' if first else 'end'} of the video? Say “make the "
                    f"{'first' if first else 'last'} colour …” or, for example, “make the "
                    f"{'first' if first else 'last'} 5 seconds …”."
                )
            )
        if c.lengthen is not None:
            call = _lengthen_call(self.ctx, c.lengthen)
            self.retimed = TimeRange(**call.args["range"])
            self.steps.append(call)
            return
        if c.swap and rng is not None and kind is None:  # "change the red to blue for the last 5 s"
            self.steps.append(_swap_over(self.ctx, *c.swap, rng, self.notes))
            return
        if c.swap or c.previous or ((c.shade is not None or c.tint) and kind is None):
            if c.range is None and self.retimed is not None and not c.swap:
                c.range = self.retimed  # "another 10 s, and make it darker": the new range
            self.steps += _relative_calls(c, self.ctx, self.draft, self.notes)
            if kind is None:
                return
        if kind is not None:
            self._place(kind, c, rng, follows)
        elif not (c.subjects and c.range is not None and not c.keep):
            self._unplaced(n, c, rng)  # "keep the speaker for 30 s": the time is the keep's
        self._attach(n, c, kind)

    def finish(self) -> tuple[list[ToolCall], list[ToolCall]]:
        """``(undo/redo calls, edit calls)`` of the sentence."""
        self._share_run(None)
        self._check_crossings()
        self._implied_removal()
        if self.pending is not None:
            args = {"range": _range_arg(self.pending), "target": "last"}
            self.steps.append(ToolCall("set_time_range", args))
        calls = [call for step in self.steps for call in _flatten(step)]
        if self.edges:
            update = _edge_update(self.ctx.plan, self.edges)
            calls.append(ToolCall("set_edges", update))
            self.notes += _edge_words(self.ctx.plan, self.edges, update)
        return self.pre, calls

    def _implied_removal(self) -> None:
        """ "only keep the speaker for the first 30 s" before any background change: a choice of
        people over a time shows only with the background gone, so the background is removed
        over that time too, and the reply says so."""
        if self.ctx.plan.backgrounds or any(isinstance(s, _Draft) for s in self.steps):
            return
        for i, step in enumerate(self.steps):
            args = step.args if isinstance(step, ToolCall) else {}
            chooses = args.get("subject") == "speaker" or args.get("selector") is not None
            if step.name != "keep_subject" or not chooses or "range" not in args:  # type: ignore[union-attr]
                continue
            if args.get("action", "keep") != "keep":
                continue
            self.steps.insert(i, ToolCall("remove_background", {"range": args["range"]}))
            span = _span_words(TimeRange.model_validate(args["range"]))
            span = f"for {span}" if span.startswith("the ") else span
            self.notes.append(
                f"there was no background change yet, so I removed the background {span} "
                "(say another background, e.g. “blur it”, to use that instead)"
            )
            return

    def _rest_of(self, c: Clause) -> None:
        """ "the rest of it": the time no change covers yet (the plan's and this sentence's)."""
        if self.pending_exclude:  # "don't touch the first 3 s, blur the rest"
            covered, self.pending_exclude = self.pending_exclude, []
            ranges = _complement(TimeRange(), covered)
            c.range, c.also = ranges[0], ranges[1:]
            return
        covered = [s.range for s in self.ctx.plan.backgrounds]
        for step in self.steps:
            if isinstance(step, _Draft):
                covered += [step.range or TimeRange(), *step.more_ranges]
        ranges = _complement(TimeRange(), covered)
        if not ranges:
            raise Unclear(clarify("There is no rest: the changes already cover the whole video."))
        c.range, c.also = ranges[0], ranges[1:]

    def _reshade(self, c: Clause, kind: _Tool | None) -> bool:
        """ "make the purple bit a bit lighter": the plan's purple changes where it is (its own
        time range); whether the clause was that."""
        if c.ref_colour is None or kind != "set_background" or c.range is not None:
            return False
        if self.draft is not None or "color" not in (c.background or {}):
            return False
        if not _uses_colour(self.ctx.plan, c.ref_colour):
            return False
        assert c.background is not None
        self.steps += _swap_calls(self.ctx, c.ref_colour, c.background["color"], self.notes)
        return True

    def _see_through(self, c: Clause, kind: _Tool | None) -> bool:
        """ "make it a bit see-through", "make the blue a little transparent": the background
        there stays and its opacity changes (the original shows through). Whether the clause
        was that (a clause that also places a new background gets the opacity in ``_attach``)."""
        seg = _focused(self.ctx)
        said = (c.background or {}).get("color")
        same = (
            said is not None and seg is not None and uses_colour(seg.background, said)
        )  # "make the blue a little transparent": the blue there, not a new blue
        if said is not None and not same and _THE_COLOUR.search(c.text) and c.range is None:
            now = describe_background(seg.background) if seg is not None else "no change yet"
            raise Unclear(
                f"There is no {colour_name(said)} to make see-through ({now}). Say which "
                "change, for example “make it a bit see-through” for the last one."
            )
        if kind is not None and not (same and self.draft is None and c.range is None):
            return False
        if self.draft is not None:
            self.draft.opacity = c.see_through
            return True
        if seg is None:
            raise Unclear(clarify(
                "See-through over what? There is no background change yet: say what the "
                "background should be, for example “make it blue, a bit see-through”."
            ))  # fmt: skip
        if c.range is not None:  # "see-through for the last 10 s": a see-through copy there
            bg = seg.background.model_dump(mode="json")
            for rng in (c.range, *c.also):
                args = {"background": bg, "range": _range_arg(rng), "opacity": c.see_through}
                self.steps.append(ToolCall("set_background", args))
            return True
        self.steps.append(ToolCall("set_strength", {"level": c.see_through, "target": "opacity"}))
        return True

    def _reblur(self, c: Clause) -> bool:
        """ "less blur" / "make the blur 20 %" when the last change is not the blur: every blur
        of the plan changes in place; with no blur to change, a question (never a new blur over
        a colour). Whether the clause was that."""
        if not c.blur or _adjusts_blur(c, self.ctx, self.draft):
            return False
        blurs = _blur_strengths(c, self.ctx, self.draft)
        if blurs is None or c.strength is None:
            return False
        mode, value = c.strength
        if not blurs:
            verb = _BLUR_VERB.search(c.text) is not None  # "blur it a bit less": a light blur
            if (mode == "abs" or value > 0 or verb) and not self.ctx.plan.backgrounds:
                return False  # "more blur" / "the blur at 30 %" on a fresh plan: a new blur
            what = "make weaker" if mode == "rel" and value < 0 else "make stronger" if (
                mode == "rel") else f"set to {value:.0%}"  # fmt: skip
            bgs = self.ctx.plan.backgrounds
            now = f" ({describe_background(bgs[-1].background)})" if bgs else ""
            level = f" at {value:.0%}" if mode == "abs" else ""
            raise Unclear(
                f"There is no blur to {what}: the background isn't blurred{now}. Say “blur "
                f"the background{level}” to blur it instead."
            )
        level = _clip01(value if mode == "abs" else blurs[-1] + value)
        self.steps.append(ToolCall("set_strength", {"level": level, "target": "blur"}))
        return True

    def _kind(self, c: Clause) -> _Tool | None:
        if c.background:
            return "set_background"
        if c.blur and not _adjusts_blur(c, self.ctx, self.draft):
            return "blur_background"
        return "remove_background" if c.remove else None

    def _follows_on(self, c: Clause, kind: _Tool) -> bool:
        """Whether a part said with only a length or an end ("blue for 5 s", "blue until 10 s")
        follows the sentence's previous part, which starts at a time and ends at one: two
        lengths in a row are one after the other, not on top of each other."""
        draft = self.draft
        if c.sequential or c.span is None or c.relative is not None or c.correction:
            return False
        if draft is None or draft.range is None or draft.range.end is None:
            return False
        if {kind, draft.tool} == {"set_background", "remove_background"}:
            return False  # "remove the background for 10 s and make it blue for 10 s": one
        return draft.range.start >= 0 and draft.range.end > 0

    def _place(self, kind: _Tool, c: Clause, rng: TimeRange | None, follows: bool) -> None:
        """A clause that places a background: a new draft, or more of the current one."""
        draft = self.draft
        if draft is None and rng is not None and not c.also and self._only_retimes(c, kind):
            # "blur it" then "only blur the first half": that blur, over the first half only
            self.steps.append(ToolCall("set_time_range", {"range": _range_arg(rng),
                                                          "target": "last"}))  # fmt: skip
            return
        if (
            draft is not None
            and kind == "set_background"
            and draft.tool == "remove_background"
            and (rng is None or draft.range is None or rng == draft.range)
        ):
            # "remove the background and make it blue" is one blue segment.
            draft.tool, draft.background = "set_background", c.background
            draft.range = rng or draft.range
            return
        if (
            draft is not None
            and kind == "remove_background"
            and draft.tool == "set_background"
            and (rng is None or rng == draft.range)
        ):
            return  # "make it blue and remove the background": the blue segment already does
        if draft is not None and rng is not None and rng.end is None and rng.start != 0:
            # "make it red, and at 10 seconds change it to blue": red ends at 10 s
            if draft.range is None:
                draft.range = TimeRange(start=0.0, end=rng.start)
            elif draft.range.end is None and _before(draft.range.start, rng.start, self.ctx):
                self._share_run(rng.start)
                draft.range = TimeRange(start=draft.range.start, end=rng.start)
        elif follows and draft is not None and draft.range is not None and rng is not None:
            self._share_run(rng.start)
        join_run = follows and c.range is None and rng is None and _open_part(draft)
        if join_run:  # "…, then the beach image, then the waves video": shares the time left
            assert draft is not None and draft.range is not None
            self.run = self.run or [draft]
            rng = TimeRange(start=draft.range.start)
        elif follows and draft is not None and draft.range is not None and rng is not None:
            self._check_order(draft, rng, c)
        elif follows and draft is not None and draft.range is None and rng is None:
            new, old = _draft_name(c.background, kind), _draft_name(draft.background, draft.tool)
            raise Unclear(
                f"When should {new} take over from {old}? Say a time, for example “{old} for "
                f"the first 10 seconds, then {new}” or “{old}, then {new} from 0:20”."
            )
        if rng is None and draft is None and (c.same or _IT.search(c.text)) and not c.correction:
            rng = _focused_part(self.ctx)  # "make it blue" / "the same but blue": its part
        self.draft = _Draft(tool=kind, background=c.background, range=rng)
        if join_run:
            self.run.append(self.draft)
        self.draft.more_ranges = list(c.also if rng is c.range else self.pending_also)
        self.pending_also = []
        self.steps.append(self.draft)
        if self.pending_exclude:  # "don't touch the last 10 s and make everything else blue"
            self.steps += _exclude(self.pending_exclude, self.draft, self.ctx)
            self.pending_exclude = []
        self.draft.fades.update(self.pending_fades)  # "fade in over 3 s, and make it green"
        self.pending_fades = {}

    def _only_retimes(self, c: Clause, kind: _Tool) -> bool:
        """Whether clause ``c`` says the focused change again with "only" and a time ("only
        blur the first half", "keep it blue only until 0:20"): that change's time, not a second
        change layered on top of it."""
        seg = _focused(self.ctx)
        if seg is None or _ONLY.search(c.text) is None:
            return False
        bg = seg.background
        if kind == "blur_background":
            return bg.type == "blur"
        if kind == "remove_background":
            return bg.type == "transparent"
        said = c.background or {}
        if said.get("type") == "color" and bg.type == "color":
            return near_colour(said["color"], bg.color)
        return said == bg.model_dump(mode="json", exclude_defaults=True)

    def _check_order(self, prev: _Draft, rng: TimeRange, c: Clause) -> None:
        """Ask when a part of a sequence would overlap the part before it ("red until 5 s, then
        blue till 3 s"): the words contradict each other, so neither reading is safe."""
        assert prev.range is not None
        d = self.ctx.duration or _nominal_duration(prev.range, rng)
        a0, a1 = prev.range.resolve(d)
        b0, b1 = rng.resolve(d)
        if b0 >= a1 - 1e-6 or b1 <= a0 + 1e-6:
            return
        new, old = _draft_name(c.background, self._kind(c)), _draft_name(prev.background, prev.tool)
        said = f"Those times overlap: {old} is {prev.range.describe()}, and {new}, "
        said += f"which comes after it, would be {rng.describe()}."
        if a1 >= d:
            raise Unclear(f"{said} When should {new} start?")
        length = c.range.end if c.range is not None and c.range.end and c.range.end > 0 else 5.0
        raise Unclear(
            f"{said} Did you mean {new} from {clock(a1)}, for example “{old} until {clock(a1)}, "
            f"then {new} for {_seconds(length)}”? Say the times again."
        )

    def _check_crossings(self) -> None:
        """Ask when two changes of the sentence partly overlap, as finally placed ("red from 0
        to 10 s and blue from 5 to 15 s"): which shows in the shared part is not said. One
        inside the other ("red for 20 s and blue from 5 to 10 s") is a change on top of another,
        as said."""
        placed = [
            (step, rng)
            for step in self.steps
            if isinstance(step, _Draft)
            for rng in (step.range or TimeRange(start=0.0), *step.more_ranges)
        ]
        for i, (one, r1) in enumerate(placed):
            for two, r2 in placed[i + 1 :]:
                if one is two:
                    continue
                d = self.ctx.duration or _nominal_duration(r1, r2)
                (a0, a1), (b0, b1) = r1.resolve(d), r2.resolve(d)
                if _same_span((a0, a1), (b0, b1)) and _differ(one, two):
                    choice = picked("same span")
                    if choice is None:
                        _ask_same_span(one, two, r1, round((a0 + a1) / 2))
                    # answered ("the green one"): only that one is placed
                    self.steps = [x for x in self.steps if x is not (two, one)[choice]]
                    return self._check_crossings()
                if b0 <= a0 and a1 <= b1 and _differ(one, two) and two.range is None:
                    _ask_hidden(one, two, r1)  # "the first 5 s red and the beach picture"
                if not (a0 < b0 < a1 < b1 or b0 < a0 < b1 < a1):
                    continue
                old, new = (
                    _draft_name(one.background, one.tool),
                    _draft_name(two.background, two.tool),
                )
                first, then = (old, new) if a0 < b0 else (new, old)
                raise Unclear(
                    f"{old[:1].upper() + old[1:]} ({r1.describe()}) and {new} ({r2.describe()}) "
                    f"overlap from {clock(max(a0, b0))} to {clock(min(a1, b1))}: which should show "
                    f"there? Say the times again, for example “{first} until "
                    f"{clock(max(a0, b0))}, then {then}”."
                )

    def _share_run(self, end: float | None) -> None:
        """Share the time from the run's start to ``end`` (seconds; ``None`` = the video's end)
        evenly between the run's parts, and say so."""
        run, self.run = self.run, []
        if not run:
            return
        assert run[0].range is not None
        start = run[0].range.start
        d = self.ctx.duration
        if d is None:
            raise Unclear(clarify(
                f"How long should {_draft_name(run[0].background, run[0].tool)} last? I don't "
                "know how long the video is, so I can't share the rest evenly."
            ))  # fmt: skip
        t0 = TimeRange(start=start).resolve(d)[0]
        t1 = d if end is None else TimeRange(start=end).resolve(d)[0]
        step = (t1 - t0) / len(run)
        if step < MIN_PART:
            names = " and ".join(_draft_name(p.background, p.tool) for p in run)
            raise Unclear(
                f"There is no time left for {names} from {clock(t0)} before the next part starts "
                f"({clock(t1)}). Say the times again, for example with “for 5 seconds” each."
            )
        for i, part in enumerate(run):
            a = round(t0 + i * step, 3)
            part.range = TimeRange(start=a, end=end if i == len(run) - 1 else round(a + step, 3))
        names = [_draft_name(p.background, p.tool) for p in run]
        about = "" if abs(step - round(step, 1)) < 1e-6 else "about "
        said = ", ".join(names[:-1]) + f" and {names[-1]}"
        self.notes.append(
            f"you didn't say how long {', '.join(names[:-1])} should last, so {said} share "
            f"{clock(t0)}–{clock(t1)} evenly ({about}{_seconds(round(step, 1))} each)"
        )

    def _unplaced(self, n: int, c: Clause, rng: TimeRange | None) -> None:
        """A clause that places nothing: a keep, a copy, an extension or a bare time range."""
        if c.keep:
            args: dict[str, Any] = {"subject": "person"}
            if rng is not None:
                args["range"] = _range_arg(rng)
            self.steps.append(ToolCall("keep_subject", args))
        elif c.same and rng is not None and self.draft is None:
            self.steps += _copy_calls(self.ctx, rng)
        elif c.extend and rng is not None and self.draft is None and _focused(self.ctx):
            call = _extend_call(self.ctx, rng)
            self.retimed = TimeRange(**call.args["range"])
            self.steps.append(call)
        elif rng is not None:
            self._bare_range(n, c, rng)

    def _bare_range(self, n: int, c: Clause, rng: TimeRange) -> None:
        """A time range alone: for the next clause's change, the draft's, or the focused one."""
        draft, later = self.draft, self.clauses[n + 1 : n + 2]
        if (
            draft is None
            and later
            and _places(later[0], self.ctx)
            and (later[0].rest or later[0].relative == "after")
            and not (c.keep or c.same or c.extend or c.exclude or c.fades or c.subjects)
        ):
            # "make it meant for the first half and blue for the rest": the next change says it
            # comes after this one, so this time is not its; what goes here was not understood
            raise Unclear(
                f"What should the background be for {_span_words(rng)}? I didn't understand "
                f"“{c.text.strip()}”."
            )
        if later and _places(later[0], self.ctx) and _own_range_free(later[0]):
            self.pending, self.pending_also = rng, c.also  # "remove it. then, from 20 s, blur it"
        elif draft is not None and draft.range is not None and not c.correction:
            # "blue from 5 to 10 s, and from 20 to 25 s": one more segment like it
            draft.more_ranges += [rng, *c.also]
        elif draft is not None:
            draft.range = rng
            draft.more_ranges += c.also
        elif any(_places(x, self.ctx) for x in self.clauses[n + 1 :]):
            self.pending, self.pending_also = rng, c.also
        elif later and _chooses(later[0]) and later[0].range is None and not c.also:
            self.pending = rng  # "from 20 s on, just keep the person who's talking"
        else:
            target = "all" if c.target_all else "last"
            rng = _keep_the_end(c, rng, self.ctx)  # "actually start it at 0:05": its end stays
            self.steps.append(ToolCall("set_time_range", {"range": _range_arg(rng),
                                                          "target": target}))  # fmt: skip

    def _places_later(self, n: int) -> bool:
        """Whether a clause after number ``n`` places a background."""
        return any(_places(x, self.ctx) for x in self.clauses[n + 1 :])

    def _attach(self, n: int, c: Clause, kind: _Tool | None) -> None:
        """Exclusions, keeps, subjects, fades, strength and edges of clause ``c`` (number
        ``n``)."""
        target = "all" if c.target_all else "last"
        # said before the change it is about: "leave the first 3 s alone, blur the rest"
        waits = kind is None and self.draft is None and self._places_later(n)
        if c.exclude and waits:
            self.pending_exclude += c.exclude
        elif c.exclude:
            self.steps += _exclude(c.exclude, self.draft, self.ctx)
        if kind is not None and c.keep:
            self.steps.append(ToolCall("keep_subject", {"subject": "person"}))
        for subj in c.subjects:
            args = dict(subj)
            if c.range is not None:
                args["range"] = _range_arg(c.range)
            self.steps.append(ToolCall("keep_subject", args))
        self.steps += c.extra_calls
        if c.fades and waits:
            self.pending_fades.update(c.fades)
        elif c.fades:
            if self.draft is not None:
                self.draft.fades.update(c.fades)
            else:
                for fade_kind, seconds in c.fades.items():
                    args = {"kind": fade_kind, "duration": seconds, "target": target}
                    self.steps.append(ToolCall("add_transition", args))
        if c.see_through is not None and self.draft is not None:
            self.draft.opacity = c.see_through  # "a blue background, slightly see-through"
        if c.strength is not None:
            if self.draft is not None:
                _strengthen(self.draft, c.strength)
            else:
                level = _level_for(self.ctx, c.strength)
                self.steps.append(ToolCall("set_strength", {"level": level}))
        self._add_edges(c)

    def _add_edges(self, c: Clause) -> None:
        """The clause's edge changes; a problem described and its fix ("there's a halo around
        my hair, pull the mask in", either order) count once."""
        for action in c.edges:
            if c.described and action in self.edges:
                continue
            if not c.described and action in self.described:
                self.described.remove(action)
                continue
            self.edges.append(action)
            if c.described:
                self.described.append(action)


MIN_PART = 0.1
"""Parts of a sequence shorter than this (seconds) are asked about."""


def _before(a: float, b: float, ctx: ToolContext) -> bool:
    """Whether time ``a`` comes before time ``b`` (seconds; negative = from the end) in this
    video, or, when its length is unknown, on any video longer than both."""
    if ctx.duration is not None:
        return (
            TimeRange(start=a).resolve(ctx.duration)[0]
            < TimeRange(start=b).resolve(ctx.duration)[0]
        )
    return ((1, a) if a < 0 else (0, a)) < ((1, b) if b < 0 else (0, b))


def _open_part(draft: _Draft | None) -> bool:
    """Whether ``draft`` starts at a time and runs on with no end said ("…, then the beach
    image"), so that a next part of the sequence shares its time."""
    return draft is not None and draft.range is not None and draft.range.end is None


def _seconds(t: float) -> str:
    """ "1 second", "2.5 seconds"."""
    return f"{t:g} second" + ("" if t == 1 else "s")


_START_ONLY = re.compile(
    r"^(?:(?:actually|no|ok(?:ay)?|instead)[\s,]+)*(?:(?:make|have|let) (?:it|that|this) )?"
    r"(?:start|begin|kick in|come in)s?(?: it| that| this| the \w+)?\s+(?:at|from|after)\b"
)


def _keep_the_end(c: Clause, rng: TimeRange, ctx: ToolContext) -> TimeRange:
    """``rng`` with the focused change's end kept when the clause only moves the start ("start it
    at 0:05 instead" after "from 0:10 to 0:20": 0:05–0:20, not 0:05 to the end)."""
    seg = _focused(ctx)
    if rng.end is not None or seg is None or seg.range.end is None:
        return rng
    if _START_ONLY.match(c.text.strip().lower()) is None:
        return rng
    d = ctx.duration or _nominal_duration(rng, seg.range)
    if rng.resolve(d)[0] >= seg.range.resolve(d)[1]:
        return rng  # a start after the old end: the change moves there, as said
    return TimeRange(start=rng.start, end=seg.range.end)


def _span_words(rng: TimeRange) -> str:
    """A time range as a person says it: "the last 5 seconds", "the first 10 seconds", "0:10 to
    0:20"."""
    if rng.start < 0 and rng.end is None:
        return f"the last {_seconds(-rng.start)}"
    if rng.start == 0 and rng.end is not None and rng.end > 0:
        return f"the first {_seconds(rng.end)}"
    return rng.describe()


def _nominal_duration(*ranges: TimeRange) -> float:
    """A video length longer than every time in ``ranges`` (seconds), for comparing them when
    the real length is unknown."""
    times = [abs(t) for r in ranges for t in (r.start, r.end) if t is not None]
    return 2.0 * max(times, default=0.0) + 1.0


def _same_span(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two resolved spans (seconds) are the same, within a frame."""
    return abs(a[0] - b[0]) < MIN_SPAN and abs(a[1] - b[1]) < MIN_SPAN


def _differ(one: _Draft, two: _Draft) -> bool:
    """Whether two drafts would show different backgrounds."""
    return (one.tool, one.background) != (two.tool, two.background)


def _ask_same_span(one: _Draft, two: _Draft, rng: TimeRange, middle: float) -> None:
    """Ask which of two different backgrounds said for the same time ``rng`` shows ("blue for
    the first 10 s and green for the first 10 s"): the later one would silently replace the
    first. ``middle`` (seconds) splits the span in the example."""
    old, new = _draft_name(one.background, one.tool), _draft_name(two.background, two.tool)
    span = _span_words(rng)
    raise Unclear(
        f"You asked for {old} and for {new}, both {span}: which should it be? Say just the one "
        f"you want, or give each its own time, for example “{old} until {clock(middle)}, then "
        f"{new}”.",
        options=Options("same span", (_answer_names(old), _answer_names(new))),
    )


def _ask_hidden(one: _Draft, two: _Draft, rng: TimeRange) -> None:
    """Ask about a change said for a time and then one said for the whole video in the same
    sentence ("the first 5 seconds red and the beach picture"): the later one would hide the
    first, answering "Understood" for half of what was said."""
    old, new = _draft_name(one.background, one.tool), _draft_name(two.background, two.tool)
    span = _span_words(rng)
    raise Unclear(
        f"Should {new} cover the rest of the video (with {old} for {span}), or the whole video "
        f"instead of {old}? Say for example “{old} for {span}, then {new}”."
    )


def _answer_names(name: str) -> tuple[str, ...]:
    """The words that name a part in an answer: "the blur" → "blur", "blurred", "the blur"."""
    bare = re.sub(r"^the\s+", "", name)
    more = {"blur": ("blurred", "blurry"), "transparent background": ("transparent", "removed",
            "no background")}.get(bare, ())  # fmt: skip
    return (bare, name, *more)


def _draft_name(background: dict[str, Any] | None, tool: _Tool | None) -> str:
    """A part of a sequence in words: "red", "the image", "the blur"."""
    if tool == "blur_background":
        return "the blur"
    if tool == "remove_background" or background is None:
        return "the transparent background"
    kind = background.get("type")
    if kind == "color":
        return colour_name(background["color"])
    if kind in ("image", "video") and background.get("path"):
        return PurePath(str(background["path"])).name
    return {"gradient": "the gradient", "image": "the image", "video": "the video"}.get(
        str(kind), "the background"
    )


def _with_stop(colours: list[str], colour: str, where: str) -> list[str]:
    """``colours`` with ``colour`` added at the ``end``, the ``start`` or the ``middle`` (moved
    there when the gradient has it already: "put the blue in the middle")."""
    if where.startswith("="):  # "make the last colour navy": that stop becomes the colour
        i = STOP_INDEX.get(where[1:], len(colours) // 2)
        if not -len(colours) <= i < len(colours):
            raise Unclear(clarify(f"The gradient has only {len(colours)} colours; which one?"))
        return [colour if j == i % len(colours) else c for j, c in enumerate(colours)]
    colours = [c for c in colours if not near_colour(c, colour)] or colours
    at = {"end": len(colours), "start": 0}.get(where, (len(colours) + 1) // 2)
    return [*colours[:at], colour, *colours[at:]]


def _append_calls(
    append: tuple[str, str, bool], ctx: ToolContext, draft: _Draft | None
) -> list[ToolCall]:
    """ "Add yellow on the end": the colour joins the gradient of this sentence, else the
    focused gradient (same range, fades and opacity); a plain colour becomes a gradient only
    when a gradient or a stop was named ("add yellow to the end of the gradient")."""
    colour, where, named = append
    if where.startswith("?"):  # "the end should be white": the gradient's end or the video's?
        raise Unclear(
            clarify(
                f"Do you mean the {'last' if where == '?end' else 'first'} colour of the "
                f"gradient, or the {where[1:]} of the video? Say “make the "
                f"{'last' if where == '?end' else 'first'} colour {colour_name(colour)}” or, "
                f"for example, “make the {'last' if where == '?end' else 'first'} 5 seconds "
                f"{colour_name(colour)}”."
            )
        )
    if draft is not None and (draft.background or {}).get("type") == "gradient":
        assert draft.background is not None
        draft.background = {
            **draft.background,
            "colors": _with_stop(draft.background["colors"], colour, where),
        }
        return []  # fmt: skip
    seg = _focused(ctx)
    bg = None if seg is None else seg.background.model_dump(mode="json")
    if seg is not None and bg is not None and bg["type"] == "gradient":
        bg["colors"] = _with_stop(bg["colors"], colour, where)
    elif where.startswith("=") and seg is not None:  # "make the last colour navy" on a colour
        raise Unclear(
            f"There is only one colour now ({describe_background(seg.background)}), not a "
            f"gradient. Say “make it {colour_name(colour)}”, or a gradient such as “a "
            f"{colour_name(bg['color']) if bg and bg['type'] == 'color' else 'white'} to "
            f"{colour_name(colour)} gradient”."
        )
    elif seg is not None and bg is not None and bg["type"] == "color" and named:
        bg = {"type": "gradient", "colors": _with_stop([bg["color"]], colour, where)}
    else:
        what = ("there is no background change yet" if seg is None
                else f"the change now is: {describe_background(seg.background)}")  # fmt: skip
        name = colour_name(colour)
        other = colour_name(bg["color"]) if bg and bg["type"] == "color" else "blue"
        other = "white" if other == name else other
        pair = f"{name} to {other}" if where == "start" else f"{other} to {name}"
        when = "first" if where == "start" else "last"
        raise Unclear(
            f"Add {name} to what? There is no gradient to add a colour to ({what}). Say, for "
            f"example, “a {pair} gradient”, or “{name} for the {when} 5 seconds” for that part "
            "of the video."
        )
    assert seg is not None
    return [ToolCall("set_background", {"background": bg, "range": _range_arg(seg.range)})]


def _extend_call(ctx: ToolContext, rng: TimeRange) -> ToolCall:
    """ "keep it going until 20 seconds": the focused segment's start stays."""
    seg = _focused(ctx)
    assert seg is not None
    start = seg.range.start if rng.start == 0 else rng.start
    try:
        rng = TimeRange(start=start, end=rng.end)
    except ValidationError as e:
        raise Unclear(clarify("That would end before it starts; which time?")) from e
    return ToolCall("set_time_range", {"range": _range_arg(rng), "target": "last"})


def _gradient_now(ctx: ToolContext, draft: _Draft | None) -> bool:
    """Whether this sentence's background, else the focused one, is a gradient."""
    if draft is not None and draft.background is not None:
        return draft.background.get("type") == "gradient"
    seg = _focused(ctx)
    return seg is not None and seg.background.type == "gradient"


def _lengthen_call(ctx: ToolContext, by: float) -> ToolCall:
    """ "extend it by 10 seconds" (``by`` > 0, seconds) or "make it 5 seconds shorter" (< 0): the
    focused segment's end moves by ``by``, its start stays; asked about when that cannot be."""
    seg = _focused(ctx)
    if seg is None:
        raise Unclear(
            clarify("There is no change yet to make longer or shorter; what should I do?")
        )
    what = describe_background(seg.background)
    dur = ctx.duration
    if seg.range.end is None and by > 0:
        raise Unclear(f"That change ({what}) already runs to the end of the video.")
    known = seg.range.end is not None and seg.range.end >= 0 and seg.range.start >= 0
    if not dur and not known:
        raise Unclear(clarify("How long is the video? I can't tell where that change ends."))
    start, end = seg.range.resolve(dur if dur else float(seg.range.end or 0.0))
    new_end = end + by
    if new_end <= start + 0.05:
        raise Unclear(clarify(f"That would leave nothing of {what}; how long should it last?"))
    if dur and new_end >= dur:
        new_end = dur
    return ToolCall("set_time_range", {"range": _range_arg(TimeRange(start=start, end=new_end)),
                                       "target": "last"})  # fmt: skip


def _own_range_free(c: Clause) -> bool:
    """Whether clause ``c`` names no time of its own (not even "after that")."""
    return c.range is None and c.relative is None and not c.sequential and not c.exclude


_SHARPER_IT = re.compile(
    r"^(?:(?:make|get)\s+(?:it|that|this)\s+)?(?:(?:a\s+)?(?:bit|little|touch|lot|tad)\s+|"
    r"slightly\s+|much\s+)?(?:sharper|crisper|clearer|more in focus)(?:\s+please)?$"
)


def _sharper_blur(c: Clause, ctx: ToolContext, draft: _Draft | None) -> bool:
    """Whether clause ``c`` is "make it sharper" said of a blurred background (no edge named):
    the blur gets weaker; the cut-out's edge is sharpened only when the edge is named."""
    if c.edges != ["sharpen"] or c.background or c.remove or c.blur or draft is not None:
        return False
    if _SHARPER_IT.match(c.text.strip(" ,.")) is None:
        return False
    i = ctx.focused_index()
    return i is not None and isinstance(ctx.plan.backgrounds[i].background, BlurBackground)


def _chooses(c: Clause) -> bool:
    """Whether clause ``c`` chooses people (the speaker, "the person on the left"): a time said
    before it in its own clause ("from 20 s on, keep only the speaker") is the keep's."""
    return any(s.get("subject") == "speaker" or s.get("selector") for s in c.subjects)


def _places(c: Clause, ctx: ToolContext) -> bool:
    """Whether clause ``c`` places a new background segment."""
    return bool(c.background or c.remove or (c.blur and not _adjusts_blur(c, ctx, None)))


def _adjusts_blur(c: Clause, ctx: ToolContext, draft: _Draft | None) -> bool:
    """ "less blur", "more blur", "too blurry": a relative change of the focused blur, not a new
    blur segment (only when the clause says nothing else about the background)."""
    if c.strength is None or c.strength[0] != "rel" or c.range is not None or c.exclude:
        return False
    if c.background or c.remove or draft is not None:
        return False
    i = ctx.focused_index()
    return i is not None and isinstance(ctx.plan.backgrounds[i].background, BlurBackground)


def _blur_strengths(c: Clause, ctx: ToolContext, draft: _Draft | None) -> list[float] | None:
    """The strengths of the plan's blurs when clause ``c`` changes the blur's strength ("less
    blur", "set the blur strength to 25 %") rather than placing a blur; else ``None``."""
    if c.strength is None or c.range is not None or c.exclude or c.also:
        return None
    if c.background or c.remove or draft is not None or c.rest:
        return None
    if c.strength[0] != "rel" and not _BLUR_NOUN.search(c.text):
        return None
    return [s.background.strength for s in ctx.plan.backgrounds
            if isinstance(s.background, BlurBackground)]  # fmt: skip


_BLUR_NOUN = re.compile(
    r"\b(?:the|that|this|my|your)\s+(?:blur(?:ring|riness)?|bokeh)\b"
    r"(?!\s+(?:the|it|my|out|everything|him|her|me|them|us|background|bg|backdrop)\b)"
    r"|\bblur\s+(?:strength|level|amount|intensity)\b"
)
"""The blur as a thing that has a strength ("make the blur 20 %"), not the verb "blur the …"."""
_BLUR_VERB = re.compile(
    r"\bblur\s+(?:out\s+)?(?:the|my|it|this|that|everything|background|bg|backdrop)\b"
)


_THE_COLOUR = re.compile(
    r"\b(?:the|that|this)\s+(?:" + re.sub(r"\?P<\w+>", "", COLOUR.pattern) + ")"
)
"""A colour said as one already there ("make the blue a little transparent")."""
_ONLY = re.compile(r"\b(?:only|just)\b")
_IT = re.compile(
    r"\b(?:make|turn|change|paint|colou?r|switch|set)\s+(?:it|that|this)\b|"
    r"^\s*(?:it|that|this)\s+(?:should|could|can|must|needs to)\b"
)
"""A change said of "it" (the change the person last made), not of the whole background."""


def _focused_part(ctx: ToolContext) -> TimeRange | None:
    """The focused segment's range when it is only part of the video (else None)."""
    seg = _focused(ctx)
    if seg is None or (seg.range.start == 0 and seg.range.end is None):
        return None
    return seg.range


def _uses_colour(plan: EditPlan, colour: str) -> bool:
    return any(uses_colour(s.background, colour) for s in plan.backgrounds)


def _drop_call(c: Clause, ctx: ToolContext) -> ToolCall | list[ToolCall] | None:
    """ "drop the green": the call taking the plan's green out; None when there is no green
    change and the words name the background ("remove the green screen": the background is
    removed instead)."""
    assert c.drop is not None
    if c.drop.get("all"):  # "the original background": every change taken out
        kinds = sorted({s.background.type for s in ctx.plan.backgrounds})
        if not kinds:
            raise Unclear(
                "The original background already shows everywhere: there is no background "
                "change in the plan."
            )
        return [ToolCall("drop_background", {"kind": k}) for k in kinds]
    args = DropBackgroundArgs(**c.drop)
    if any(drops(s, args) for s in ctx.plan.backgrounds):
        return ToolCall("drop_background", dict(c.drop))
    if "color" in c.drop and _BG_WORD.search(c.text):
        return None
    what = colour_name(c.drop["color"]) if "color" in c.drop else c.drop["kind"]
    raise Unclear(clarify(f"There is no {what} in the plan to take out."))


_BG_WORD = re.compile(r"\b(?:background|bg|backdrop|screen)\b")


def _focused(ctx: ToolContext) -> BackgroundSegment | None:
    i = ctx.focused_index()
    return None if i is None else ctx.plan.backgrounds[i]


def _stop_call(ctx: ToolContext) -> ToolCall:
    """ "stop": the focused segment ends at the play position."""
    seg = _focused(ctx)
    if seg is None:
        raise Unclear(clarify("There is nothing to stop yet."))
    if ctx.position is None:
        raise Unclear(
            "Stop where? There is no live play position here; say a time, for example “end it "
            "at 0:20”."
        )
    t = round(max(ctx.position, 0.0), 3)
    try:
        rng = TimeRange(start=seg.range.start, end=t)
    except ValidationError as e:
        raise Unclear(
            "That change hasn't started yet at this point, so there is nothing to stop."
        ) from e
    return ToolCall("set_time_range", {"range": _range_arg(rng), "target": "last"})


def _relative_calls(
    c: Clause, ctx: ToolContext, draft: _Draft | None, notes: list[str]
) -> list[ToolCall]:
    """Calls for "change the blue to teal", "like before" and "a bit darker"."""
    if c.swap is not None:
        return _swap_calls(ctx, *c.swap, notes)
    seg = _focused(ctx)
    if c.previous:
        if seg is None:
            raise Unclear(clarify("There is no earlier background to go back to."))
        for plan in reversed(ctx.history.past):
            olds = [s for s in plan.backgrounds if s.range == seg.range] or plan.backgrounds[-1:]
            if olds and olds[-1].background != seg.background:
                bg = olds[-1].background.model_dump(mode="json")
                _recolour(bg, c, notes)  # "like before but darker": the earlier one, darker
                rng = c.range or seg.range  # "the previous one for the last 10 seconds"
                return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng)})]
        raise Unclear(clarify("There is no earlier background to go back to."))
    if c.tint is not None:
        return _tint_calls(c, seg, notes)
    assert c.shade is not None
    if seg is None:
        raise Unclear(clarify("Darker or lighter than what? There is no background yet."))
    bg = seg.background.model_dump(mode="json")
    if bg["type"] == "color":
        bg["color"] = shade_of(bg["color"], c.shade)
    elif bg["type"] == "gradient":
        bg["colors"] = [shade_of(col, c.shade) for col in bg["colors"]]
    else:
        word = "darker" if c.shade < 0 else "lighter"
        notes.append(f"I can't make {describe_background(seg.background)} {word} yet")
        return []
    rng = c.range or seg.range
    return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng)})]


def _recolour(bg: dict[str, Any], c: Clause, notes: list[str]) -> None:
    """Apply clause ``c``'s "darker" / "redder" to the background ``bg`` (a dumped colour or
    gradient, changed in place); another kind is left as it is and ``notes`` says so."""
    if c.shade is None and c.tint is None:
        return

    def change(col: str) -> str:
        if c.shade is not None:
            col = shade_of(col, c.shade)
        return tint_of(col, *c.tint) if c.tint is not None else col

    if bg["type"] == "color":
        bg["color"] = change(bg["color"])
    elif bg["type"] == "gradient":
        bg["colors"] = [change(col) for col in bg["colors"]]
    else:
        notes.append(
            f"I can't change the colour of {bg['type']} backgrounds, so that part is as before"
        )


def _tint_calls(c: Clause, seg: BackgroundSegment | None, notes: list[str]) -> list[ToolCall]:
    """ "Redder", "a bit bluer": the focused colour (or each gradient colour) mixed toward the
    hue. With no background yet, the background becomes that colour (and a note says so)."""
    assert c.tint is not None
    toward, amount = c.tint
    if seg is None:
        notes.append(f"there was no background colour yet, so it is now {colour_name(toward)}")
        bg: dict[str, Any] = {"type": "color", "color": toward}
        args: dict[str, Any] = {"background": bg}
        if c.range is not None:
            args["range"] = _range_arg(c.range)
        return [ToolCall("set_background", args)]
    bg = seg.background.model_dump(mode="json")
    if bg["type"] == "color":
        bg["color"] = tint_of(bg["color"], toward, amount)
    elif bg["type"] == "gradient":
        bg["colors"] = [tint_of(col, toward, amount) for col in bg["colors"]]
    else:
        notes.append(
            f"I can't tint {describe_background(seg.background)} toward {colour_name(toward)} yet"
        )
        return []
    rng = c.range or seg.range
    return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng)})]


def _swap_calls(ctx: ToolContext, old: str, new: str, notes: list[str]) -> list[ToolCall]:
    """Every segment using colour ``old`` uses ``new`` instead (a gradient keeps its others).

    When no segment uses ``old``, the focused segment becomes ``new`` (a plain colour, never a
    gradient of the two) and a note says so.
    """
    if _uses_colour(ctx.plan, old):  # each such change keeps its range and its place
        return [ToolCall("change_colour", {"old": old, "new": new})]
    seg = _focused(ctx)
    args: dict[str, Any] = {"background": {"type": "color", "color": new}}
    if seg is None:
        notes.append(f"there was no {colour_name(old)} in the plan, so it is {colour_name(new)}")
    else:
        args["range"] = _range_arg(seg.range)
        notes.append(
            f"there was no {colour_name(old)} in the plan, so the background "
            f"({seg.range.describe()}) is now {colour_name(new)}"
        )
    return [ToolCall("set_background", args)]


def _swap_over(ctx: ToolContext, old: str, new: str, rng: TimeRange, notes: list[str]) -> ToolCall:
    """ "change the red to blue for the last 5 s": ``new`` over ``rng`` only, on top of what is
    there (the red stays elsewhere); a note says when there was no ``old`` there."""
    if not _uses_colour(ctx.plan, old):
        notes.append(
            f"there was no {colour_name(old)} in the plan, so {colour_name(new)} is "
            f"{rng.describe()} only"
        )
    args = {"background": {"type": "color", "color": new}, "range": _range_arg(rng)}
    return ToolCall("set_background", args)


def _copy_calls(ctx: ToolContext, rng: TimeRange) -> list[ToolCall]:
    """ "the same for the last 10 seconds": the focused background again over ``rng``."""
    seg = _focused(ctx)
    if seg is None:
        raise Unclear(clarify("The same as what? There is no background yet."))
    bg = seg.background.model_dump(mode="json")
    return [ToolCall("set_background", {"background": bg, "range": _range_arg(rng),
                                        "opacity": seg.opacity})]  # fmt: skip


def _complement(base: TimeRange, excluded: list[TimeRange]) -> list[TimeRange]:
    """The parts of ``base`` outside every range of ``excluded``.

    Works on times as said (negative = from the end), ordering them as on any video longer
    than the times named: positive times first, then times counted from the end.
    """

    def key(t: float | None) -> tuple[int, float]:
        if t is None:
            return (2, 0.0)
        return (1, t) if t < 0 or (t == 0 and math.copysign(1.0, t) < 0) else (0, t)

    out: list[TimeRange] = []
    cur: float | None = base.start
    for ex in sorted(excluded, key=lambda r: key(r.start)):
        if key(ex.start) > key(cur):
            end = ex.start if key(ex.start) < key(base.end) else base.end
            with contextlib.suppress(ValidationError):
                out.append(TimeRange(start=cur if cur is not None else 0.0, end=end))
        if key(ex.end) > key(cur):
            cur = ex.end
        if cur is None or key(cur) >= key(base.end):
            return out
    with contextlib.suppress(ValidationError):
        out.append(TimeRange(start=cur, end=base.end))
    return out


def _exclude(excluded: list[TimeRange], draft: _Draft | None, ctx: ToolContext) -> list[ToolCall]:
    """Cut ``excluded`` out of the sentence's segment (or the focused one): the rest remains."""
    if draft is not None:
        ranges = _complement(draft.range or TimeRange(), excluded)
        if not ranges:
            raise Unclear(clarify("That leaves no time at all; which part should change?"))
        draft.range, draft.more_ranges = ranges[0], ranges[1:]
        return []
    seg = _focused(ctx)
    if seg is None:
        return [ToolCall("set_time_range", {"range": _range_arg(excluded[0]), "target": "last"})]
    ranges = _complement(seg.range, excluded)
    if not ranges:
        raise Unclear(clarify("That leaves no time at all; which part should change?"))
    calls = [ToolCall("set_time_range", {"range": _range_arg(ranges[0]), "target": "last"})]
    bg = seg.background.model_dump(mode="json")
    for rng in ranges[1:]:
        calls.append(ToolCall("set_background", {"background": bg, "range": _range_arg(rng),
                                                 "opacity": seg.opacity}))  # fmt: skip
    return calls


def _clause_range(c: Clause, prev: TimeRange | None) -> TimeRange | None:
    """The clause's own range, or one relative to the previous clause's ("after that").

    In a sequence a part said with a length or an end only follows the previous part: "red for
    the first 5 s, then green for 5 s" puts green at 5–10 s, "…, then green until 10 s" too.
    """
    follows = c.sequential or c.relative == "after"
    if c.range is not None and c.span and follows and prev is not None and prev.end is not None:
        t0, t1 = prev.end, c.range.end
        if prev.end > 0 and t1 is not None and c.span == "for":
            return TimeRange(start=t0, end=t0 + t1)
        if prev.end > 0 and c.span == "until" and (t1 is None or t1 > t0):
            return TimeRange(start=t0, end=t1)  # "…, then teal till the end"
    if c.range is not None:
        return c.range
    relative = c.relative or ("after" if c.sequential else None)
    if prev is None or relative is None:
        return None
    if relative == "after" and prev.end is not None:
        return TimeRange(start=prev.end)
    if relative == "before" and prev.start != 0:
        return TimeRange(start=0.0, end=prev.start)
    return None


def _range_arg(rng: TimeRange) -> dict[str, Any]:
    return rng.model_dump(mode="json")


def _strengthen(draft: _Draft, strength: tuple[str, float]) -> None:
    mode, value = strength
    if draft.tool == "blur_background":
        draft.blur = _clip01(value if mode == "abs" else draft.blur + value)
    else:
        base = 1.0 if draft.opacity is None else draft.opacity
        draft.opacity = _clip01(value if mode == "abs" else base + value)


def _level_for(ctx: ToolContext, strength: tuple[str, float]) -> float:
    mode, value = strength
    if mode == "abs":
        return _clip01(value)
    i = ctx.focused_index()
    base = 1.0
    if i is not None:
        seg = ctx.plan.backgrounds[i]
        bg = seg.background
        base = bg.strength if isinstance(bg, BlurBackground) else seg.opacity
    return _clip01(base + value)


def _clip01(x: float) -> float:
    return round(min(max(x, 0.0), 1.0), 3)


def _flatten(step: _Draft | ToolCall) -> list[ToolCall]:
    if isinstance(step, ToolCall):
        return [step]
    args: dict[str, Any] = {}
    if step.tool == "set_background":
        args["background"] = step.background
        if step.opacity is not None:
            args["opacity"] = step.opacity
    elif step.tool == "blur_background":
        args["strength"] = step.blur
    calls: list[ToolCall] = []
    ranges: list[TimeRange | None] = [step.range, *step.more_ranges]
    for rng in ranges:
        one = dict(args)
        if rng is not None:
            one["range"] = _range_arg(rng)
        calls.append(ToolCall(step.tool, one))
        if step.tool == "blur_background" and step.opacity is not None:  # a see-through blur
            calls.append(ToolCall("set_strength", {"level": step.opacity, "target": "opacity"}))
        elif step.tool != "set_background" and step.opacity is not None:
            calls.append(ToolCall("set_strength", {"level": step.opacity}))
        for kind, seconds in step.fades.items():
            calls.append(ToolCall("add_transition", {"kind": kind, "duration": seconds}))
    return calls


_OPPOSITE = {"shrink": "grow", "grow": "shrink", "soften": "sharpen", "sharpen": "soften"}


def _edge_again(c: Clause, ctx: ToolContext) -> str | None:
    """The edge change "more" / "a bit less" / "too much" asks for when the last step changed
    only the edges ("pull the mask in" … "more": in again; … "too much": back out), or None."""
    if c.strength is None or c.strength[0] != "rel" or not ctx.history.past:
        return None
    if dataclasses.replace(c, strength=None, text="", sequential=False).understood():
        return None
    before, now = ctx.history.past[-1], ctx.plan
    if before.model_copy(update={"edges": now.edges}) != now or before.edges == now.edges:
        return None
    b, e = before.edges, now.edges
    action = (
        ("shrink" if e.shift < b.shift else "grow") if e.shift != b.shift
        else ("soften" if e.feather > b.feather else "sharpen") if e.feather != b.feather
        else None
    )  # fmt: skip
    if action is None:
        return None
    return action if c.strength[1] > 0 else _OPPOSITE[action]


_EDGE_WORDS = {
    "soften": "softened the edge",
    "sharpen": "sharpened the edge",
    "refine": "refined the edge (hair-level matting in the quality settings)",
    "reset": "put the edge settings back to their defaults",
}


def _edge_words(plan: EditPlan, actions: list[str], update: dict[str, Any]) -> list[str]:
    """The edge changes in plain words ("I pulled the cut-out's edge in by 1.5 px, which trims
    a halo of the old background"); pixels of a 720-line frame."""
    if all(getattr(plan.edges, k) == v for k, v in update.items()):
        return []  # already so: the reply says nothing changed
    said = [_EDGE_WORDS[a] for a in dict.fromkeys(actions) if a in _EDGE_WORDS]
    moved = update.get("shift", plan.edges.shift) - plan.edges.shift
    if moved < 0:
        said.insert(0, f"pulled the cut-out's edge in by {-moved:g} px, which trims a halo of "
                       "the old background")  # fmt: skip
    elif moved > 0:
        said.insert(0, f"let the cut-out's edge out by {moved:g} px, so less of the person is "
                       "cut off")  # fmt: skip
    elif "shrink" in actions or "grow" in actions:
        said.insert(0, "the edge is already as far as it goes (20 px)")
    return ["I " + " and ".join(said)] if said else []


def _edge_update(plan: EditPlan, actions: list[str]) -> dict[str, Any]:
    """New edge settings after ``actions`` (in order), as ``set_edges`` arguments.

    Units are pixels of a 720-line frame: "soften" raises the feather by at least 1.5,
    "sharpen" halves it and turns on guided refinement (matting stays on), "refine" (rough
    hair) turns on alpha matting, enlarges the guided-filter radius and adds 0.5 feather,
    "shrink"/"grow" move the edge by 1.5, "reset" puts the defaults back.
    """
    e = plan.edges
    feather, refine, radius, shift = e.feather, e.refine, e.refine_radius, e.shift
    for action in actions:
        if action == "soften":
            feather = min(50.0, feather + max(1.5, feather * 0.5))
        elif action == "sharpen":
            feather, refine = feather * 0.5, ("matte" if refine == "matte" else "guided")
        elif action == "refine":
            refine = "matte"  # alpha matting at the edge (quality tier; preview stays guided)
            radius = min(64.0, max(radius * 1.5, radius + 4.0))
            feather = min(50.0, feather + 0.5)
        elif action == "shrink":
            shift = max(-20.0, shift - 1.5)
        elif action == "grow":
            shift = min(20.0, shift + 1.5)
        elif action == "reset":  # "reset the edges": the default settings again
            d = EdgeSettings()
            feather, refine, radius, shift = d.feather, d.refine, d.refine_radius, d.shift
    new = {
        "feather": round(feather, 2),
        "refine": refine,
        "refine_radius": round(radius, 2),
        "shift": round(shift, 2),
    }
    old = e.model_dump()
    return {k: v for k, v in new.items() if v != old[k]} or {"feather": round(feather, 2)}
