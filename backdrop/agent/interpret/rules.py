"""The rule-based interpreter: reads a sentence (normalise → clauses → read → compose) and runs
the calls through the tool registry as one undoable step. The reply names what was applied,
what was understood but not applied, and what was not understood."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import NoReturn

from backdrop.agent.interpret.answers import (
    Options,
    answering,
    picked,
    remember,
    stray_answer,
    take_answer,
)
from backdrop.agent.interpret.clauses import Clause, odd_verb, split_clauses
from backdrop.agent.interpret.composition import compose
from backdrop.agent.interpret.described import files_answer, resolve_described
from backdrop.agent.interpret.errors import CAPABILITIES, Unclear, Unsupported, clarify
from backdrop.agent.interpret.lexicon.colours import COLOUR, colour_name, hex_of
from backdrop.agent.interpret.lexicon.conflicts import (
    CLEAR_WORD,
    NOT_BLURRED,
    OPAQUE_TOO,
    keeps_as_is,
)
from backdrop.agent.interpret.lexicon.effects import REFUSAL, effect_asked
from backdrop.agent.interpret.lexicon.history import DONT
from backdrop.agent.interpret.lexicon.negation import drop_refused
from backdrop.agent.interpret.lexicon.rephrase import CHOICE_SAID
from backdrop.agent.interpret.lexicon.sizes import FRAME_RATE, RELATIVE_SIZE
from backdrop.agent.interpret.lexicon.times import RANGE_RULES, TIME, to_seconds
from backdrop.agent.interpret.normalise import normalise
from backdrop.agent.interpret.numfix import number_fix
from backdrop.agent.interpret.read import read_clause, refuse_nobody, unknown_words
from backdrop.agent.interpret.words import FIX, NeedsPosition
from backdrop.agent.replies import Reply, sentence, step_reply
from backdrop.render.plan import EditPlan, TimeRange
from backdrop.tools import ToolCall, ToolContext, ToolRegistry, default_registry
from backdrop.tools.runner import StepResult, run_step


@dataclass
class Parsed:
    """An instruction read but not yet run.

    Attributes:
        pre: undo/redo calls, run one by one before ``calls``.
        calls: the edit calls, run as one history step.
        ignored: parts of the text that were not understood (said back to the person).
        notes: things understood but done differently ("there was nothing to undo"), in plain
            words.
        took_back: the sentence undid its own change ("make it blue and then undo that").
        sizes: export sizes said ("4K" → ``4k``), as ``--size`` specs; set after the edits
            ran (:func:`with_leftovers`).
    """

    pre: list[ToolCall]
    calls: list[ToolCall]
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    took_back: bool = False
    sizes: list[str] = field(default_factory=list)


# -- the interpreter ---------------------------------------------------------------------------
_PERSON_PART = re.compile(
    r"\b(?:make|turn|change|paint|dye|recolou?r|colou?r|tint)\s+(?:the colou?r of\s+)?"
    r"(?:my|his|her|their|your|the (?:person|guy|man|woman|girl|boy|speaker)'?s)\s+(?:\w+\s+)?"
    r"(?P<part>jacket|shirt|t-?shirt|top|hair|skin|face|clothes|outfit|dress|hat|cap|eyes|lips|"
    r"jeans|trousers|pants|shoes|sweater|jumper|hoodie|coat|tie|glasses|beard|suit|sleeves?|"
    r"scarf)\b"
)
"""A change asked of the person themselves ("make my jacket blue", "turn his hair pink")."""
_OWNER = r"(?:my|his|her|their|your|the (?:person|guy|man|woman|girl|boy|speaker)'?s)"
_BODY = (
    r"(?:face|head|hair|body|eyes|mouth|nose|ears?|hands?|arms?|shoulders?|neck|shirt|t-?shirt|"
    r"jacket|top|clothes|outfit)\b"
)
_ON_THE_PERSON = re.compile(
    rf"\b(?:replace|swap|switch|cover|hide|mask|overlay|blur|pixelate|censor)\s+{_OWNER}\s+"
    rf"(?:\w+\s+)?(?P<part>{_BODY})"
    r"|\b(?:put|place|add|stick|draw|overlay|paste|show)\s+(?:\S+\s+){1,4}?(?:on|over|onto|"
    rf"across|on top of|in front of|instead of)\s+(?:{_OWNER}\s+(?:\w+\s+)?(?P<on>{_BODY})|"
    r"(?P<who>me|him|her|them|the person)\b)"
    r"|\b(?:paint|colou?r|dye|tint|cover|fill|recolou?r)\s+(?P<who2>me|him|her|them|the person)"
    r"\b(?!\s+(?:out|in front)\b)"
    r"|\b(?:turn|change|transform|make)\s+(?P<who3>me|him|her|them|the person)\s+"
    r"(?:into|look like)\b"
    r"|\bgive\s+(?:me|him|her|them|the person)\s+(?:a\s+|an\s+|some\s+)?(?P<thing>hat|beard|"
    r"moustache|mustache|sunglasses|glasses|crown|wig|mask|tattoo|makeup|make-up)\b"
)
"""A change to the person, not the background: "replace my face with the beach image", "put a
cat over my head", "paint me blue", "turn me into a cartoon", "give me a hat"."""


def _not_the_person(text: str) -> None:
    """Raise :class:`Unclear` for a change of the person's own look: Backdrop changes only
    what is behind them, and reading "make my jacket blue" (or "replace my face with the beach
    image") as a background change (as it did) answers "Understood" for something else."""
    low = text.lower().replace("’", "'")
    m = _PERSON_PART.search(low)
    if m is not None:
        raise Unclear(
            f"I can only change what is behind the person (the background), not the "
            f"{m['part']}. Did you mean the background? For example “make the background blue”."
        )
    m = _ON_THE_PERSON.search(low)
    if m is not None:
        part = m["part"] or m["on"]
        what = f"the {part}" if part else "the person"
        raise Unclear(
            f"Backdrop edits the background, not the person: I can't change {what}, so I left "
            "the plan as it was. Did you mean the background? For example “replace the "
            "background with the beach image”."
        )


_PLACING_OBJECT = re.compile(
    r"^(?:make|turn|paint|colou?r|set|change|switch|put|give|use|show)\s+(?:(?:it|that|this|"
    r"the (?:background|bg|backdrop))\s+)?(?:(?:to|into|as|with)\s+)?(?:(?:a|an|some|the)\s+)?"
    r"(?P<obj>[a-z][a-z'-]*)\b"
)
_NOT_AN_OBJECT = frozenset(
    re.findall(
        r"\w+",
        "it that this in on for from until till at between over during only just back again "
        "there here now then so the a an all everything up out off away last first",
    )
)
_LATER_PART = re.compile(r"\b(?:for the rest|the rest|after that|afterwards?|from then on)\b")


def _places_unknown(c: Clause, piece: str) -> bool:
    """Whether ``piece`` says to put something there ("make it xyzzy", "put hot") with a time but
    names nothing the reader knows: its time is then not a change to the rest of the sentence
    (it retimed "remove the background" to the last 3 s under an "Understood")."""
    if c.says_what_background() or c.range is None or c.fades or c.edges or c.exclude:
        return False
    if c.stop or c.extend or c.same or c.rest or c.strength or c.see_through is not None:
        return False
    m = _PLACING_OBJECT.match(piece.strip().lower())
    return m is not None and m.group("obj") not in _NOT_AN_OBJECT


def _read(piece: str, seq: bool, paths: list[str], timed: bool) -> Clause:
    """One clause; "blur it; no actually, don't" takes back what came before, like "undo that"."""
    return Clause(piece, undo=1) if DONT.match(piece) else read_clause(piece, seq, paths, timed)


def _back_to_normal(last: Clause, piece: str, notes: list[str]) -> bool:
    """Whether ``piece`` (said after "then") only ends the change before it ("…, then from 10 s
    back to normal", "blur the first 10 s, then back to normal"); the note says so.

    Raises:
        Unclear: "back to normal" after a change that has no end.
    """
    if _back_from(last, piece):
        notes.append("after that the video stays as it was")
        return True
    if not _as_before(last, piece):
        return False
    if last.range is None or last.range.end is None:
        raise Unclear(
            "When should it go back to how it was? Say a time, for example “… for the first 10 "
            "seconds, then back to normal”."
        )
    notes.append("after that the video stays as it was")
    return True


def _number_corrected(c: Clause, last: Clause, piece: str) -> bool:
    """Whether the correction ``piece`` only changes a number of ``last`` ("fade it in over 2
    seconds, no, 4 seconds", "blur it at 20 percent, actually 40"), done in ``last``."""
    _check_bare_number(last, piece)  # "… 10 seconds at 20 percent, actually 40": which?
    if not c.understood() and _correct_time(last, piece):
        return True
    return _correct_amount(last, piece)


def _nothing_placed(
    norm: str,
    rate: str | None,
    ignored: list[str],
    notes: list[str],
    took_back: bool,
    sizes: list[str],
) -> Parsed:
    """The :class:`Parsed` of a sentence with no change left (only a size, or one that took
    back its own change).

    Raises:
        Unsupported: only a frame rate was said.
        Unclear: nothing was understood.
    """
    if rate and not sizes:
        raise Unsupported(sentence(rate[:1].upper() + rate[1:]) + " Nothing changed.")
    if not (took_back or sizes):
        _nothing_understood(norm, ignored, notes)
    return Parsed([], [], ignored, notes, took_back, sizes)


class RuleInterpreter:
    """Maps English instructions to tool calls with rule tables; no model needed.

    Args:
        registry: The tools to dispatch through (default: every built-in tool).
    """

    def __init__(self, registry: ToolRegistry | None = None) -> None:
        self.registry = registry or default_registry()

    # -- public ----------------------------------------------------------------------------------
    def interpret(self, text: str, ctx: ToolContext) -> Reply:
        """Understand ``text`` and apply it to ``ctx`` as one undoable step.

        Returns a :class:`Reply`. What was understood is applied and said back; parts that were
        not understood are named ("I didn't understand “is it”"). Only when nothing actionable
        is understood does it ask. When a tool refuses (a missing file, nothing to fade), the
        plan is left unchanged.
        """
        chosen = take_answer(text, ctx)  # "the first one", after a question with choices
        if isinstance(chosen, Reply):
            return chosen
        if chosen is not None:
            with answering(chosen):
                return self.interpret(chosen.text, ctx)
        if (stray := stray_answer(text)) is not None:
            return stray
        answer = files_answer(text, ctx) or plan_answer(text, ctx) or ack_answer(text)
        answer = answer or render_answer(text)
        if answer is not None:
            return Reply(answer)
        question = question_answer(text, ctx)  # "what's happening at 0:30?": not an edit
        if question is not None:
            return question
        try:
            parsed = self.parse(text, ctx)
        except Unclear as e:
            remember(ctx, text, e.options if isinstance(e.options, Options) else None)
            return self._number_fix(text, ctx) or Reply(str(e), clarify=True)
        except Unsupported as e:
            return Reply(str(e))
        if not parsed.pre and not parsed.calls:
            return nothing_done_reply(parsed, ctx)
        step = self.step(text, ctx, parsed.pre, parsed.calls)
        reply = step_reply(step, edited=bool(parsed.calls))
        return with_leftovers(reply, parsed, ctx if step.ok else None)

    def _number_fix(self, text: str, ctx: ToolContext) -> Reply | None:
        """ "make it teal from 10 seconds" then "actually make that 20 seconds": the last change
        redone with the new number (:mod:`.numfix`), said back; ``None`` when ``text`` is not
        such a correction, or the last change read again does not parse (the question stands).
        A number that could stand for several of the last change's is asked about."""
        try:
            norm = normalise(text, ctx.position, ctx.duration)[0]
            fix = number_fix(norm, ctx.history.undo_label)
        except Unclear as e:
            return Reply(str(e), clarify=True)
        except NeedsPosition:
            return None
        if fix is None or self.registry.run(ctx, ToolCall("undo", {})).ok is False:
            return None
        try:
            parsed = self.parse(fix.text, ctx)
        except (Unclear, Unsupported):
            parsed = None
        step = self.step(fix.text, ctx, parsed.pre, parsed.calls) if parsed else None
        if parsed is None or not parsed.calls or not step or not step.ok:
            self.registry.run(ctx, ToolCall("redo", {}))
            return None
        parsed.notes.insert(0, f"I changed {fix.was} to {fix.now} in your last change")
        return with_leftovers(step_reply(step, edited=True), parsed, ctx)

    def run(self, text: str, ctx: ToolContext, pre: list[ToolCall], calls: list[ToolCall]) -> Reply:
        """Run ``pre`` (undo/redo) one by one, then ``calls`` as one history step labelled
        ``text``: all or nothing. The reply says what changed, or why nothing did."""
        return step_reply(self.step(text, ctx, pre, calls), edited=bool(calls))

    def step(
        self, text: str, ctx: ToolContext, pre: list[ToolCall], calls: list[ToolCall]
    ) -> StepResult:
        """Like :meth:`run`, returning the :class:`~backdrop.tools.runner.StepResult`."""
        return run_step(ctx, calls, text, registry=self.registry, pre=pre)

    def plan_calls(self, text: str, ctx: ToolContext) -> tuple[list[ToolCall], list[ToolCall]]:
        """Parse ``text`` into ``(undo/redo calls, edit calls)`` without running them.

        Parts that are not understood are left out (:meth:`parse` names them).

        Raises:
            Unclear: nothing in it was understood (its message is the clarifying question).
            Unsupported: names something the embedded interpreter cannot do.
        """
        parsed = self.parse(text, ctx)
        return parsed.pre, parsed.calls

    def parse(self, text: str, ctx: ToolContext) -> Parsed:
        """Read ``text`` into a :class:`Parsed` (calls, ignored parts, notes) without running it.

        Raises:
            Unclear: nothing actionable was understood, or a time cannot be read.
            Unsupported: names something the embedded interpreter cannot do.
        """
        _not_the_person(text)  # "make my jacket blue"
        text = resolve_described(text, ctx)  # "the beach photo" → its file name
        text, rate = _frame_rate(text)  # "export at 60fps": not the time 1:00
        notes: list[str] = [rate] if rate else []
        norm, paths, sizes = _normalised(text, ctx, notes)  # notes: "I read “blurr” as “blur”"
        norm = drop_refused(norm)  # "not the beach picture, use the waves video": the video
        clauses: list[Clause] = []
        ignored = [f"the {w} one" for w in CHOICE_SAID.findall(norm)]  # "for the second one"
        norm = CHOICE_SAID.sub(" ", norm)
        negated: list[str] = []
        unsaid: list[str] = []
        took_back = same_next = False
        as_is: list[str] = []
        for piece, seq, fix in _without_effects(split_clauses(norm), notes):
            edits = [x for x in clauses if not (x.undo or x.redo)]
            if seq and edits and _back_to_normal(edits[-1], piece, notes):
                continue
            if keeps_as_is(piece) and not _has_range(piece):
                as_is.append(piece)  # "blur it but keep it sharp": asked about below
            timed = any(x.range is not None for x in clauses)  # "…, and blue at the start"
            c = _read(piece, seq, paths, timed)
            c.correction = fix
            negated += c.negated
            unsaid += c.negated if fix else []  # "red to blue, actually without the blue"
            ignored += c.unread if c.understood() else []
            edits = [x for x in clauses if not (x.undo or x.redo)]
            if fix and edits and _number_corrected(c, edits[-1], piece):
                continue
            if _KEEP_TIMING.match(piece):  # "make it blue but keep the timing": its part
                same_next = _mark_same(clauses)
                continue
            after = norm[norm.find(piece) + len(piece) :] if piece in norm else ""
            if _places_unknown(c, piece) and not _LATER_PART.search(after):
                ignored.append(piece)  # "put hot in the last 3 s": not a retime of the rest
                continue
            if not c.understood():
                if c.same and _SAME_ALONE.match(piece):
                    same_next = True  # "same thing, but make it green": green over that part
                elif not _is_noise(piece) and not c.negated:  # "X the shoulders": the word X
                    ignored += (odd_verb(piece) and unknown_words(piece)) or [piece]
                continue
            c.same, same_next = c.same or same_next, False
            edits = [x for x in clauses if not (x.undo or x.redo)]
            if edits and _degree_of_edges(c, edits[-1]):
                continue  # "soften the edges, but only a little": the edge step is the small one
            if edits and _same_blur_again(c, edits[-1], seq):
                continue  # "blur the first 20 s and make the blur heavy": that blur, heavier
            judged = all(_COMPLAINT.match(x.text) for x in edits)
            if c.undo and _only_history(c) and edits and judged:
                # "too much, undo": the complaint says why; the undo takes back the last step
                clauses, edits = [x for x in clauses if x.undo or x.redo], []
            elif c.undo and _only_history(c) and edits:
                # "make it blue and then undo that": the sentence takes back its own change
                clauses = [x for x in clauses if x.undo or x.redo]
                took_back = True
                continue
            if c.correction and edits:
                clauses.remove(edits[-1])
                c = _inherit(c, edits[-1])
            clauses.append(c)
        _check_conflicts(clauses, as_is)
        _drop_unsaid_stops(clauses, negated, unsaid, notes)
        if picked("change or leave") == 0:  # answered "change it": the rest is not a leftover
            ignored = [i for i in ignored if i not in as_is]
        _check_negated(clauses, negated)
        if not clauses:
            return _nothing_placed(norm, rate, ignored, notes, took_back, sizes)
        pre, calls = compose(clauses, ctx, notes)
        pre = _clamp_undos(pre, bool(calls), len(ctx.history.past), notes)
        return Parsed(pre, calls, ignored, list(dict.fromkeys(notes)), took_back, sizes)


def _without_effects(
    pieces: list[tuple[str, bool, bool]], notes: list[str]
) -> list[tuple[str, bool, bool]]:
    """The clauses without those asking for an effect Backdrop lacks ("a glowing outline
    around me"), each refused in ``notes`` instead (never read as an edge change)."""
    kept = [p for p in pieces if effect_asked(p[0]) is None]
    if len(kept) < len(pieces):
        notes.append(REFUSAL)
    return kept


def _nothing_understood(norm: str, ignored: list[str], notes: list[str]) -> NoReturn:
    """Raise the answer to a sentence with nothing to apply: an effect Backdrop lacks is
    refused, a word nobody taught it is named ("X the rest": X), else a question.

    Raises:
        Unsupported: an outline/glow effect was asked for.
        Unclear: otherwise (its message is the question).
    """
    if REFUSAL in notes:
        raise Unsupported(sentence(REFUSAL) + " " + CAPABILITIES + ".")
    odd = unknown_words(norm)
    if odd:
        said = " or ".join(f"“{w}”" for w in odd[:3])
        lead = f"I'm not sure what {said} means here, so I changed nothing."
        raise Unclear(clarify(f"{lead} What should happen to the background?"))
    what = f" by “{_quote(ignored[0])}”" if ignored and ignored[0] != norm else ""
    raise Unclear(clarify(f"I'm not sure what you mean{what}."))


def _normalised(
    text: str, ctx: ToolContext, notes: list[str] | None = None
) -> tuple[str, list[str], list[str]]:
    """:func:`normalise` against the context's play position and length; "now" with no play
    position is asked about, and a rule that covers every person is refused. The misspellings
    corrected are said in ``notes`` ("I read “blurr” as “blur”")."""
    read_as: list[tuple[str, str]] = []
    try:
        norm, paths, sizes = normalise(text, ctx.position, ctx.duration, read_as)
        if notes is not None:
            notes += [f"I read “{a}” as “{b}”" for a, b in read_as]
    except NeedsPosition as e:
        raise Unclear(
            "I don't know where “now” is here: there is no live play position. Say a time "
            "instead, for example “from 0:12 on, make it green”."
        ) from e
    refuse_nobody(norm)  # "paint the whole frame blue, me included": not even the blue
    return norm, paths, sizes


_PLAN_QUESTION = re.compile(
    r"^(?:(?:so|ok(?:ay)?|and|hey|um|uh|sorry|wait)[\s,]+)*(?:(?:can|could) you\s+)?(?:"
    r"what(?:'s| is| are)\s+(?:the|my|our|your)\s+(?:current\s+)?(?:plan|edits?|changes|settings)"
    r"|what (?:did|have) you (?:just\s+)?(?:do|done|change|changed|apply|applied|make|made)"
    r"|what (?:have|did) (?:we|i) (?:got|get|done|do|change|changed)"
    r"|(?:show|tell|remind) me (?:the |my |what (?:the|my) |what you(?:'ve| have)? )?"
    r"(?:plan|edits?|"
    r"changes|did|done|changed)(?: is| are)?"
    r"|what(?:'s| has) (?:been )?(?:done|changed|applied)|where are we(?: at)?|recap"
    r"|summari[sz]e(?: (?:it|the plan|the edits|what you did))?|what does the plan look like"
    r"|what(?:'s| is) (?:in )?the plan)"
    r"(?:\s+(?:so far|now|right now|at the moment|to (?:it|the video|my video)|just now|exactly|"
    r"then))*\s*$"
)


def plan_answer(text: str, ctx: ToolContext) -> str | None:
    """The answer to "what's the plan?" / "what did you do?": the plan in plain words, the last
    change and the export size; ``None`` for other text. Nothing changes."""
    if _PLAN_QUESTION.match(text.lower().replace("’", "'").strip(" ?!.")) is None:
        return None
    plan = ctx.plan
    if plan == EditPlan() and ctx.history.depth == 0:
        return clarify("Nothing yet: the video is as it was.")
    lines = plan.describe()
    out = "The plan now: " + "; ".join(lines) + "."
    if ctx.history.undo_label:
        out += f" The last change was “{ctx.history.undo_label}” (say “undo” to take it back)."
    size = getattr(ctx, "output_size", None)
    if size:
        out += f" Export size: {size}."
    return out


_ACK = re.compile(
    r"^(?:(?:that|it|this|the (?:edges?|mask|outline|cut-?out|hair|background|colou?r|blur))"
    r"(?:'s|'re| is| are| looks?| seems?)?\s+)?(?:looks?\s+)?(?:really\s+|much\s+|so\s+)?"
    r"(?:good|great|perfect|fine|nice|awesome|lovely|better|cool|excellent|ok(?:ay)?|alright)"
    r"(?:\s+now)?(?:[\s,!.]+(?:thanks|thank you|cheers|leave (?:it|them)(?: (?:alone|as (?:it is|"
    r"they are)))?|don'?t (?:touch|change) (?:it|them)))*"
    r"|(?:ok(?:ay)?|thanks|thank you|cheers|nice|cool)(?:[\s,!.]+(?:thanks|thank you|cheers))*$"
)
"""Praise or thanks with nothing to change ("looks good", "the edges are fine, leave them")."""


def ack_answer(text: str) -> str | None:
    """The answer to praise or thanks ("looks good", "perfect, thanks"): nothing changes, and
    the reply says so; ``None`` for other text."""
    if _ACK.fullmatch(text.lower().replace("’", "'").strip(" ?!.,")) is None:
        return None
    return "Good — I left it as it is; nothing changed."


_RENDER = re.compile(
    r"^(?:(?:can|could|would|will) you |please |now |ok(?:ay)? |so |and |then |go ahead and |"
    r"let's |just )*(?:render|export|save|write out|output|finish|download)(?: (?:it|the video|the "
    r"file|this|that|the result|the edit))?(?: (?:now|out|please|for me|then))*$"
)


def render_answer(text: str) -> str | None:
    """The answer to "render it" / "export it" (no size said): how to write the video; nothing
    changes; ``None`` for other text."""
    if _RENDER.match(text.lower().strip(" ?!.,")) is None:
        return None
    return (
        "I don't write the video from a sentence: in `backdrop chat` say `/render OUT.mp4`, or "
        'run `backdrop edit VIDEO "…" -o OUT.mp4` (or `backdrop render VIDEO PLAN.json`). '
        "Nothing changed."
    )


_QUESTION = re.compile(
    r"^(?:(?:so|and|hey|um|uh|ok(?:ay)?|wait)[\s,]+)*(?:what(?:'s| is| are| was| were| did| does|"
    r" do| will)?(?! about\b| if\b)|how(?! about\b)|why(?! (?:don'?t|not)\b)|when|where|which|"
    r"who(?:'s| is)?|is (?:it|this|that|there)|are (?:there|you|we)|does|did|do (?:i|you|we))\b"
)
_ASKS_EDIT = re.compile(
    r"\b(?:make|turn|change|set|use|put|replace|swap|remove|delete|erase|blur|keep|fade|add|give|"
    r"cut|export|render|undo|redo|start over|background|bg|backdrop|gradient|edges?|mask|halo|"
    r"speaker|person|people|possible|could|can|would|should|try)\b"
)
_DURATION_Q = re.compile(r"\bhow (?:long|many (?:seconds|minutes))\b.*\b(?:video|clip|it)\b")


def question_answer(text: str, ctx: ToolContext) -> Reply | None:
    """A question that is not an instruction ("what's happening at 0:30?", "how long is the
    video?"): answered from what is known, the plan unchanged (it used to be read as an edit
    at 0:30); ``None`` for other text."""
    low = text.lower().replace("’", "'").strip(" .!?")
    if _QUESTION.match(low) is None or _ASKS_EDIT.search(low) or COLOUR.search(low):
        return None  # "is it possible to make it blue?", "what if it was red": instructions
    if len(low.split()) < 3:
        return None  # "is it": a stray tail, not a question
    from backdrop.render.plan import clock

    if _DURATION_Q.search(low):
        return Reply(f"The video is {clock(ctx.duration)} long. Nothing changed.")
    lines = ctx.plan.describe() if ctx.plan != EditPlan() else ["no change yet"]
    return Reply(
        "I can't answer questions about the video's content here; I only change its "
        f"background. The plan now: {'; '.join(lines)}. What should I change?",
        clarify=True,
    )


def _frame_rate(text: str) -> tuple[str, str]:
    """``(text without a frame rate said, what to say about it)`` ("" when none was said):
    "export at 60fps" is never the time 1:00, and the export keeps the video's own rate."""
    m = FRAME_RATE.search(text.lower())
    if m is None:  # "export at half size": never a blur of 50 %
        m = RELATIVE_SIZE.search(text.lower())
        if m is None:
            return text, ""
        said = (f"I can't export at “{m['rel'].strip()}” yet: say an export size such as 720p, "
                "1080p or 1280x720")  # fmt: skip
        return text[: m.start()] + " " + text[m.end() :], said
    said = (f"I can't change the frame rate (“{m.group(0).strip()}”): the export keeps the "
            "video's own frame rate")  # fmt: skip
    return text[: m.start()] + " " + text[m.end() :], said


def _clamp_undos(pre: list[ToolCall], edits: bool, depth: int, notes: list[str]) -> list[ToolCall]:
    """``pre`` with no more undos than the ``depth`` steps there are, and a note when some were
    dropped: "never mind, make it green" on a fresh plan does the rest; "undo twice" after one
    change undoes that one and says so."""
    undos = sum(1 for call in pre if call.name == "undo")
    if undos <= depth or not (edits or depth):
        return pre
    extra = undos - depth
    kept = []
    for call in pre:
        if call.name == "undo" and extra > 0:
            extra -= 1
            continue
        kept.append(call)
    notes.append("there was nothing to undo" if depth == 0 else
                 f"there {'was' if depth == 1 else 'were'} only {depth} "
                 f"change{'s' if depth != 1 else ''} to undo")  # fmt: skip
    return kept


def _degree_of_edges(c: Clause, before: Clause) -> bool:
    """Whether ``c`` is only a degree ("but only a little") said after an edge change with no
    background in it: it belongs to the edges, never to the background's strength."""
    if c.strength is None or dataclasses.replace(c, strength=None).understood():
        return False
    return bool(before.edges) and not (before.background or before.blur or before.remove)


def _same_blur_again(c: Clause, before: Clause, seq: bool) -> bool:
    """Whether ``c`` only says how strong the blur said just before is ("blur the first 20 s and
    make the blur heavy"): its strength goes to that blur (it was a second blur over the whole
    video, hiding the first one's time). Returns whether it did."""
    if (
        seq
        or c.correction
        or not (c.blur and before.blur)
        or before.background
        or c.strength is None
    ):
        return False
    if c.background or c.remove or c.range or c.fades or c.exclude or c.also or c.relative:
        return False
    before.strength = c.strength
    return True


def nothing_done_reply(parsed: Parsed, ctx: ToolContext | None = None) -> Reply:
    """The reply when an instruction was read but leaves nothing to run."""
    parts: list[str] = []
    if parsed.took_back:
        parts.append("You took that back in the same sentence, so nothing changed.")
    parts += _apply_size(parsed, ctx)
    parts += [sentence(n[:1].upper() + n[1:]) for n in parsed.notes]
    if parsed.ignored:
        parts.append(_not_understood(parsed.ignored))
    if not parts:
        return Reply(clarify("I'm not sure what you'd like me to change."), clarify=True)
    return Reply(" ".join(parts))


def with_leftovers(reply: Reply, parsed: Parsed, ctx: ToolContext | None = None) -> Reply:
    """``reply`` with the export size (set on ``ctx`` when given: the step ran), what was not
    applied and what was not understood said after it."""
    extra = _apply_size(parsed, ctx, join=reply.changed)
    notes = parsed.notes if ctx is not None else [n for n in parsed.notes if not _DONE.match(n)]
    extra += [sentence(n[:1].upper() + n[1:]) for n in notes]
    if parsed.ignored:
        extra.append(_not_understood(parsed.ignored))
    if not extra:
        return reply
    return Reply(" ".join([reply.text, *extra]), reply.calls, reply.changed, reply.clarify)


_DONE = re.compile(r"^(?:I (?!can't|couldn't|didn't|don't|won't)|there was no background change "
                   r"yet, so I)")  # fmt: skip
"""A note that says what was done ("I pulled the cut-out's edge in …"): not said when the step
failed and nothing changed."""


def _not_understood(ignored: list[str]) -> str:
    said = " or ".join(f"“{_quote(i)}”" for i in ignored[:3])
    return f"I didn't understand {said}, so I left that out."


def _quote(text: str) -> str:
    text = re.sub(r"@p\d+", "the file", text)
    text = re.sub(r"@h([0-9a-f]{6})", r"#\1", text).replace(FIX, "").strip(" ,;")
    return text if len(text) <= 60 else text[:57] + "…"


def _apply_size(parsed: Parsed, ctx: ToolContext | None, join: bool = False) -> list[str]:
    """Set the export size said ("export in 4K"; the last one when several were said) and say
    so; the sentence's edits already ran (``join``: and made an undo step, which the size joins).
    ``ctx`` ``None``: the edits failed, so the size is not set either."""
    if not parsed.sizes:
        return []
    if ctx is None:  # the edits failed: the size said with them is not set, and that is said
        return [f"Nothing changed, so the export size {parsed.sizes[-1]} isn't set either."]
    call = ToolCall("set_output_size", {"size": parsed.sizes[-1]})
    depth = ctx.history.depth
    result = default_registry().run(ctx, call)
    if join and ctx.history.depth == depth + 1:
        ctx.history.merge_last()
    if not result.ok:
        return [sentence(f"I couldn't set the export size: {result.message}")]
    return [sentence(result.message[:1].upper() + result.message[1:])]


_NOISE = re.compile(
    r"^(?:[\s,.;:!?'-]|\b(?:and|but|or|then|so|the|a|it|that|this|in|at|to|of)\b)*$"
)


def _is_noise(piece: str) -> bool:
    """Connectives and punctuation left over after the clean-up: nothing to report."""
    return _NOISE.match(piece) is not None


def _check_negated(clauses: list[Clause], negated: list[str]) -> None:
    """Ask which colour instead when a colour is only said as not wanted ("make the background
    not blue"): never that colour, and not a guess either."""
    wanted = {str(v) for x in clauses for v in _colours_of(x)}
    both = [n for n in negated if hex_of(n) in wanted]
    if both:  # "red and also not red": neither reading is safe
        raise Unclear(
            f"You said both {both[0]} and not {both[0]}: should the background be {both[0]}, or "
            "another colour? Say just the one you want, for example "
            f"“make it {both[0]}” or “make it {'green' if both[0] != 'green' else 'blue'}”."
        )
    if negated and not any(x.says_what_background() for x in clauses):
        other = next(c for c in ("green", "blue", "grey") if c not in negated)
        raise Unclear(
            f"You said not {negated[0]}: which colour should the background be instead? "
            f"For example “make it {other}” or “blur it”."
        )


def _drop_unsaid_stops(
    clauses: list[Clause], negated: list[str], unsaid: list[str], notes: list[str]
) -> None:
    """A gradient colour taken back in the same sentence ("a yellow to purple gradient, no
    purple"). After a correction word ("…, actually without the blue") the gradient loses that
    colour (one colour left: a plain background, said so); said without one it is a
    contradiction, asked about (neither the gradient nor the one colour is safe).

    Raises:
        Unclear: the contradiction, with both readings offered.
    """
    for c in clauses:
        bg = c.background or {}
        stops = [x for x in bg.get("colors", []) if isinstance(x, str)]
        gone = [n for n in negated if hex_of(n) in stops]
        if len(stops) < 2 or not gone:
            continue
        left = [x for x in stops if x not in {hex_of(n) for n in gone}]
        names = [colour_name(x) for x in stops]
        if not left:
            continue  # every colour taken back: asked about as "X and not X"
        plain = colour_name(left[0]) if len(left) == 1 else "-to-".join(map(colour_name, left))
        if not all(n in unsaid for n in gone):
            raise Unclear(
                f"You asked for a {'-to-'.join(names)} gradient and then said no {gone[0]}: "
                f"should the background be plain {plain}, or the gradient? Say just the one you "
                f"want, for example “make it {plain}”."
            )
        if len(left) == 1:
            c.background = {k: v for k, v in bg.items() if k != "colors"}
            c.background.update(type="color", color=left[0])
            notes.append(f"without {gone[0]} there is one colour left, so the background is "
                         f"plain {plain}, not a gradient")  # fmt: skip
        else:
            c.background = {**bg, "colors": left}
        for n in gone:
            negated.remove(n)


def _colours_of(c: Clause) -> list[str]:
    """The colours (``#rrggbb``) clause ``c`` asks the background to be: a colour or a
    gradient's stops."""
    bg = c.background or {}
    if "color" in bg:
        return [bg["color"]]
    return [x for x in bg.get("colors", []) if isinstance(x, str)]


def _has_range(piece: str) -> bool:
    return any(p.search(piece) for p, _ in RANGE_RULES)


def _changes_whole(c: Clause) -> bool:
    """Whether clause ``c`` changes the background with no time of its own."""
    places = c.background or c.remove or c.blur
    return bool(places) and c.range is None and not c.exclude and not c.also


def _check_conflicts(clauses: list[Clause], as_is: list[str]) -> None:
    """Ask about a sentence that contradicts itself: a change and "keep it as it is" ("blur it
    but keep it sharp"), or a colour, image or blur said to be transparent as well ("red and
    also completely transparent"). Applying either reading alone would answer "Understood"
    for something that was not said."""
    changes = [c for c in clauses if _changes_whole(c)]
    as_is += [m.group(0).strip(" ,") for c in changes if (m := NOT_BLURRED.search(c.text))]
    if as_is and changes:
        said = [_quote(changes[0].text), _quote(as_is[0])]
        choice = picked("change or leave")
        if choice == 1:  # answered "the second": nothing changes
            raise Unsupported("OK, I left the background as it is; nothing changed.")
        if choice == 0:  # answered "change it": the "as it is" part is dropped
            clauses[:] = [c for c in clauses if c in changes or c.text not in as_is]
        else:
            both = f"“{said[0]}” and “{said[1]}” contradict each other"
            if said[1] in said[0]:
                both = f"“{said[0]}” says both"
            raise Unclear(
                f"{both}: should I change the background, or leave it as it is? Say just the "
                "one you want.",
                options=Options("change or leave", (
                    ("change it", "change", "change the background", said[0]),
                    ("leave it as it is", "as it is", "leave the background", said[1]),
                )),
            )  # fmt: skip
    _check_both_colours(clauses)
    clear = [c for c in changes if c.remove and CLEAR_WORD.search(c.text)]
    if clear and any(OPAQUE_TOO.search(c.text) for c in clauses):
        raise Unclear(  # "make it transparent but completely opaque"
            "You said the background should be both transparent and opaque: which one? For a "
            "background you can partly see through, say for example “make it blue, a bit "
            "see-through”."
        )
    other = [c for c in changes if c.background or c.blur]
    choice = picked("or transparent") if clear and other else None
    for c in clear if choice == 0 else other if choice == 1 else []:
        # answered: "the blue" keeps the background said; "transparent" removes it
        c.remove, c.background, c.blur = (False, c.background, c.blur) if choice == 0 else (
            True, None, False)  # fmt: skip
    if clear and other and choice is None:
        bg = other[0].background or {}
        what = (
            colour_name(bg["color"]) if "color" in bg else "blurred" if other[0].blur and not bg
            else f"the {bg.get('type', 'picture')}"
        )  # fmt: skip
        said = [_quote(other[0].text), _quote(clear[0].text)]
        both = (
            f"“{said[0]}” says both" if said[0] == said[1]
            else f"“{said[0]}” and “{said[1]}” contradict each other"
        )  # fmt: skip
        example = what if "color" in bg else "blue"
        raise Unclear(
            f"{both}: should the background be {what}, or transparent (removed)? For a "
            f"background you can partly see through, say for example “make it {example}, a bit "
            "see-through”.",
            options=Options("or transparent", (
                (what, re.sub(r"^the ", "", what), said[0]),
                ("transparent", "removed", "remove it", "no background", said[1]),
            )),
        )  # fmt: skip


_ALSO = re.compile(r"\b(?:and also|as well as|and additionally)\b")
_BLEND_WORD = re.compile(
    r"\b(?:gradients?|blend(?:ed|ing)?|fad(?:e|es|ed|ing)|ombre|to|into|mix(?:ed)?|stripes?)\b"
)


def _check_both_colours(changes: list[Clause]) -> None:
    """Ask about two colours joined by "and also" with no word that makes them one blend ("make
    the background red and also green"): a gradient is not what was said, and neither is one
    colour alone. A plain list ("red, white and blue") stays a gradient.

    Raises:
        Unclear: the question.
    """
    for c in changes:
        bg = c.background or {}
        colours = bg.get("colors") or []
        if len(colours) == 2 and _ALSO.search(c.text) and not _BLEND_WORD.search(c.text):
            one, two = (colour_name(x) for x in colours)
            choice = picked("both colours")
            if choice is not None:  # answered: one colour, or the gradient as said
                if choice < 2:
                    c.background = {"type": "color", "color": colours[choice]}
                continue
            names = ((one, colours[0]), (two, colours[1]), ("gradient", f"{one}-to-{two} "
                     "gradient", f"{one} to {two} gradient", "both", "blend", "mix"))  # fmt: skip
            raise Unclear(
                f"Should the background be {one}, or {two}, or a {one}-to-{two} gradient? Say "
                f"just the one you want, or give each its own time, for example “{one} until "
                f"0:10, then {two}”.",
                options=Options("both colours", names),
            )


_SAME_ALONE = re.compile(
    r"^(?:(?:do|the|um|uh|like|ok(?:ay)?|yeah)\s+)*same(?:\s+(?:thing|again|effect|as before|as "
    r"last time|like before|colou?r|background|look|one))?(?:\s+again)?\s*$"
)
"""A clause that only says "the same" ("same thing, but make it green"): the next change goes
where the last one is."""
_KEEP_TIMING = re.compile(
    r"^(?:(?:but|and|just|please)\s+)*(?:keep|leave|use)\s+(?:the\s+)?(?:same\s+)?(?:timing|"
    r"times?|time range|range|length|duration|part|section)(?:\s+(?:as it is|the same|as before|"
    r"unchanged))?\s*$"
)
"""A clause that keeps the last change's time ("…, but keep the timing")."""


def _mark_same(clauses: list[Clause]) -> bool:
    """Mark the clause before as said of the last change's part; with none before, whether the
    next clause should be (True)."""
    if clauses:
        clauses[-1].same = True
    return not clauses


_BARE_TIME = re.compile(
    rf"^(?:(?:to|over|for|until|till|make it|the first|the last|first|last)\s+)?({TIME})$"
)


def _correct_time(prev: Clause, piece: str) -> bool:
    """A correction that is only a time ("…, no, 4 seconds") changes the previous clause's
    fade length, or the length of its "first/last N" range. Returns whether it did."""
    m = _BARE_TIME.match(piece.strip())
    if m is None:
        return False
    t = to_seconds(m.group(1))
    if prev.fades:
        prev.fades = dict.fromkeys(prev.fades, t)
        return True
    rng = prev.range
    if rng is not None and rng.start == 0 and rng.end is not None and rng.end > 0 and t > 0:
        prev.range = TimeRange(start=0.0, end=t)
        return True
    if rng is not None and rng.start < 0 and rng.end is None and t > 0:
        prev.range = TimeRange(start=-t)
        return True
    return False


TIME_SAID = re.compile(r"\b\d+(?:\.\d+)?\s*(?:seconds?|secs?|s|minutes?|mins?)\b|\d:\d")
"""A time said with its unit (or as m:ss): "10 seconds", "0:15"."""
_BARE_AMOUNT = re.compile(r"^(?:make it |to )?(\d+(?:\.\d+)?)\s*(%|percent)?$")


def _check_bare_number(prev: Clause, piece: str) -> None:
    """Ask about a correction that is only a number with no unit when the change before says
    both a time and a percent ("blur the first 10 seconds at 20 percent, actually 40"): either
    reading alone could be the wrong one.

    Raises:
        Unclear: the question.
    """
    m = _BARE_AMOUNT.match(piece.strip())
    if m is None or m.group(2) or not TIME_SAID.search(prev.text):
        return
    if "%" in prev.text or "percent" in prev.text:
        raise Unclear(
            f"Should {m.group(1)} be the time (seconds) or the percent in “{_quote(prev.text)}”? "
            f"Say it with its unit, for example “{m.group(1)} seconds” or “{m.group(1)} percent”."
        )


def _correct_amount(prev: Clause, piece: str) -> bool:
    """A correction that is only a number after a blur strength or opacity said in percent
    ("blur it at 20 percent, actually 40"): that amount, never a time. Returns whether it
    did."""
    m = _BARE_AMOUNT.match(piece.strip())
    if m is None or "%" not in prev.text and "percent" not in prev.text:
        return False
    value = float(m.group(1)) / 100.0
    if not 0.0 < value <= 1.0 or TIME_SAID.search(prev.text):
        return False
    if prev.see_through is not None:
        prev.see_through = value if "opaque" in prev.text else round(1.0 - value, 3)
        return True
    if prev.strength is not None and prev.strength[0] == "abs":
        prev.strength = ("abs", value)
        return True
    return False


_COMPLAINT = re.compile(
    r"^(?:(?:that|this|it)(?:'s| is| was)\s+|(?:oh|hmm|no|nah|ugh|way|far|much|a bit|a little|"
    r"slightly)[\s,]+)*(?:too (?:much|strong|far|heavy|intense|big|small|dark|light|bright)|"
    r"overdone|over the top|not (?:good|right|great)|wrong|worse|ugly|bad)$"
)
"""A clause that only judges the last change ("that's too much"): before an "undo" in the same
sentence it says why, it is not a change of its own to take back."""

_AS_BEFORE = re.compile(
    r"^(?:(?:go|goes|going|switch|switches|come|comes|return|returns)\s+)?(?:back\s+)?"
    r"(?:to\s+)?(?:(?:the\s+)?(?:normal|original|usual|real|plain)(?:\s+(?:background|video|"
    r"look|one))?|nothing|no (?:blur|effect|change|colou?r|background change)|(?:as|how|what) it "
    r"was(?: before)?|unchanged|unblurred|untouched|as is)$"
)
"""A last part of a sequence that changes nothing ("…, then back to normal", "…, then no
blur"): the time after the part before stays as it was."""


_FROM_TIME = (
    rf"(?:from|after|at|starting(?: at| from)?|beginning at)\s+(?P<t>{TIME})(?:\s+on(?:wards?)?)?"
)
_BACK_FROM = re.compile(
    rf"^(?:{_FROM_TIME}\s*,?\s+(?P<a>.+)|(?P<b>.+?)\s+{_FROM_TIME.replace('<t>', '<u>')})$"
)


def _back_from(prev: Clause, piece: str) -> bool:
    """ "…, then back to normal from 10 seconds" / "…, then from 0:20 no blur": the change
    before ends at that time (it used to be moved to start there). Returns whether it did."""
    m = _BACK_FROM.match(piece.strip())
    if m is None or not _as_before(prev, (m["a"] or m["b"] or "").strip()):
        return False
    cut = to_seconds(m["t"] or m["u"])
    rng = prev.range or TimeRange()
    if rng.end is not None or rng.start < 0 or cut <= rng.start:
        return False
    prev.range = TimeRange(start=rng.start, end=cut)
    return True


_UNBLURRED = re.compile(
    r"^(?:(?:it'?s|make it|keep it|go|back to)\s+)?(?:clear|sharp|crisp|in focus|"
    r"focused)(?:\s+again)?$"
)


def _as_before(prev: Clause, piece: str) -> bool:
    """Whether ``piece`` says the video goes back to how it was after ``prev`` ("then back to
    normal"; after a blur also "then clear", "then sharp again")."""
    if _AS_BEFORE.match(piece):
        return True
    return prev.blur and not prev.background and _UNBLURRED.match(piece) is not None


def _only_history(c: Clause) -> bool:
    return not (dataclasses.replace(c, undo=0, redo=0, text="", sequential=False,
                                    correction=False).understood())  # fmt: skip


def _inherit(new: Clause, old: Clause) -> Clause:
    """A correction: ``new`` replaces ``old``, keeping what ``old`` said and ``new`` does not.

    "make it red for the first 10 s, no wait, blue" → blue for the first 10 s; "…, sorry, the
    first 20 s" → red for the first 20 s.
    """
    out = dataclasses.replace(new)
    says_background = new.background or new.remove or new.blur
    if not says_background:
        out.background, out.remove, out.blur = old.background, old.remove, old.blur
        out.keep = out.keep or old.keep
    if out.range is None and not out.exclude and out.relative is None:
        out.range, out.exclude, out.relative = old.range, old.exclude, old.relative
    if not out.fades:
        out.fades = old.fades
    if out.strength is None and not says_background:
        out.strength = old.strength
    out.sequential = old.sequential
    return out


# -- step 1 ------------------------------------------------------------------------------------
