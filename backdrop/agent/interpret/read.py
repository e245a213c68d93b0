"""Step 3: one clause → a :class:`~.clauses.Clause`, with the tables of :mod:`.lexicon`.

Each reader takes the words it understood out of the text and returns the rest, in a fixed
order: history, stop/extend, fades, subjects, time ranges, relative references, edges,
background, strength. A time phrase nobody read is kept in ``Clause.unread`` so the reply can
name it. Times are seconds; negative times count back from the end."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from backdrop.agent.interpret.clauses import Clause, known_word, odd_verb
from backdrop.agent.interpret.errors import CAPABILITIES, EXAMPLES, Unclear, Unsupported, clarify
from backdrop.agent.interpret.lexicon.adjust import (
    APPEND_HEAD,
    APPEND_NOISE,
    APPEND_WHERE,
    LESS_HUE,
    OTHER_PERSON,
    RESTOP,
    RESTOP_PART,
    START_OVER,
    STOP_NOUN,
    WHERE,
    append_verb_alone,
)
from backdrop.agent.interpret.lexicon.backgrounds import (
    AS_CLEAR,
    BLUR,
    BLUR_TARGET,
    CUT_ME_OUT,
    KEEP_VERB,
    REMOVE_VERB,
    SEE_THROUGH,
    SHARPER_BG,
    TAKE_AWAY,
    TRANSPARENT,
    see_through_opacity,
)
from backdrop.agent.interpret.lexicon.colours import (
    ANGLES,
    BLEND,
    COLOUR,
    GRADIENT,
    PRESET,
    RADIAL,
    STOPS,
    colour_of,
    hex_of,
    luma,
    pair_colours,
    shade_of,
)
from backdrop.agent.interpret.lexicon.edges import (
    BARE_EDGE,
    DESCRIBES,
    EDGE_NOUN,
    EDGE_RULES,
    HAIR_ROUGH,
    HALO,
    MATCH_LIGHT,
    PRONOUN,
    SPILL,
)
from backdrop.agent.interpret.lexicon.ends import (
    AT_END,
    AT_START,
    EDGE_DEFAULT_S,
    EDGE_LENGTH,
    MIDDLE,
    NAMED_PART,
    VAGUE_LENGTH,
)
from backdrop.agent.interpret.lexicon.fades import (
    CROSS_CHANGE,
    CROSS_FADE,
    FADE,
    FADE_BARE,
    FADE_DURATION,
    FADE_MORE,
    FADE_NOISE,
    FADE_WITHIN,
    GRADUALLY,
    OVER,
    QUICK,
    RESPECTIVELY,
    SLOW,
)
from backdrop.agent.interpret.lexicon.files import PATH_TOKEN, file_kind
from backdrop.agent.interpret.lexicon.history import REDO, UNDO, history_count
from backdrop.agent.interpret.lexicon.negation import take_negated_colours
from backdrop.agent.interpret.lexicon.nouns import BG_NOUNS, EFFECT_NOUNS, NOT_NOUNS, PERSON_NOUNS
from backdrop.agent.interpret.lexicon.people import (
    KEEP_BOX,
    KEEP_PERSON,
    KEEP_POINT,
    NOBODY,
    NOBODY_TOO,
    REMOVE_WORDS,
    find_keep_speaker,
    person_selector,
)
from backdrop.agent.interpret.lexicon.relative import (
    DROP,
    DROP_KINDS,
    EXTEND,
    ORIGINAL_BACKGROUND,
    PREVIOUS,
    REST,
    SAME,
    SAME_AS_BEFORE,
    SHADE,
    STOP,
    SWAP,
    TINT,
    TINTS,
    VAGUE_LENGTH_CHANGE,
    lengthen_by,
)
from backdrop.agent.interpret.lexicon.strength import (
    BLUR_INTENSITY,
    ONLY_DEGREE,
    STRENGTH_ABS,
    STRENGTH_REL,
    TARGET_ALL,
)
from backdrop.agent.interpret.lexicon.times import (
    AFTER_THAT,
    BEFORE_THAT,
    FOR_RULE,
    FROM_START,
    MIN_SPAN,
    NEXT_SPAN,
    RANGE_RULES,
    TO_END,
    WHOLE,
    to_seconds,
)
from backdrop.render.colors import NAMED_COLORS, NAMED_GRADIENTS
from backdrop.render.plan import TimeRange
from backdrop.tools import ToolCall


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    """First match of ``pattern`` and ``text`` with the match blanked out."""
    m = pattern.search(text)
    if m is None:
        return None, text
    return m, text[: m.start()] + " " + text[m.end() :]


_EDGE_MORE = re.compile(r"\b(?:a (?:bit|little|touch) |a lot |much |even |some |slightly )?more\b")


def _read_length(c: Clause, rest: str) -> bool:
    """Whether ``rest`` lengthens or shortens the current change by an amount ("extend it by 10
    seconds", "take 2 seconds off"), set on ``c``.

    Raises:
        Unclear: an amount that is not said ("a few more seconds", "half as long").
    """
    if (by := lengthen_by(rest.strip())) is not None:
        c.lengthen = by
        return True
    if VAGUE_LENGTH_CHANGE.match(rest.strip()):
        raise Unclear(
            clarify(
                "How many seconds longer or shorter? Say, for example, “5 more seconds” or "
                "“make it 5 seconds shorter”."
            )
        )
    return False


def _read_drop(c: Clause, rest: str) -> bool:
    """Whether ``rest`` takes changes out of the plan ("drop the green", "get rid of the blur",
    "go back to the original background": all of them), set on ``c``.

    Raises:
        Unclear: one effect taken away from a background ("without the fade").
    """
    if ORIGINAL_BACKGROUND.match(rest) is not None:
        c.drop = {"all": True}
        return True
    if (m := DROP.match(rest)) is not None:
        kind = m.group("kind")
        c.drop = {"color": hex_of(m.group("a"))} if m.group("a") else {"kind": DROP_KINDS[kind]}
        return True
    if TAKE_AWAY.search(rest):
        raise Unclear(
            "I can't take one effect away on its own yet. Say “undo” to go back a step, or say "
            "what the background should be instead, e.g. “remove the background” or “make it "
            "blue”."
        )
    return False


def read_clause(text: str, sequential: bool, paths: list[str], timed: bool = False) -> Clause:
    """Read one clause. ``timed``: an earlier clause of the sentence said a time, so "blue at
    the start" is a time here ("red at the end and blue at the start"), not a gradient stop."""
    c = Clause(text=text, sequential=sequential)
    rest = f" {text} "
    if START_OVER.match(rest):  # "undo everything" is starting over, not one undo
        c.reset = True
        return c
    rest = _read_history(c, rest)
    if STOP.match(rest):
        c.stop = True
        return c
    if _read_length(c, rest):  # "extend it by 10 seconds"
        return c
    if START_OVER.match(rest):
        c.reset = True
        return c
    timed = timed and not re.match(r"\s*(?:add|append|tack|stick|include|throw in)\b", rest)
    if not (timed and (AT_END.search(rest) or AT_START.search(rest))) and _read_append(c, rest):
        return c
    _check_other_person(rest)
    if (hue := LESS_HUE.search(rest)) is not None:  # "less red": not a strength, not red
        raise Unclear(
            f"I can't take {hue.group('hue')} out of a colour yet. Say the colour you want "
            "instead, for example “make it blue”, “a bit bluer” or “a bit darker”."
        )
    m = EXTEND.search(rest)
    if m is not None:  # "extend it to 30 seconds" = until 30 seconds
        c.extend = True
        rest = (
            rest[: m.start()] + " until " + rest[m.end() :]
            if m.group(0).endswith(" to")
            else (rest[: m.start()] + " " + rest[m.end() :])
        )
    _check_nobody(rest)
    m, rest = _take(HALO, rest)
    if m is not None:  # "bits of the old background around my hair": the edge moves in
        c.edges.append("shrink")
        c.described = True
    negated, rest = take_negated_colours(rest)  # "not blue": never read as blue
    if _read_drop(c, rest):  # "drop the green", "go back to the original background"
        return c
    _check_cross_fade(rest)
    rest = _read_fades(c, rest)
    rest = _read_subjects(c, rest)
    rest = _read_range(c, rest)
    m, rest = _take(REST, rest)
    c.rest = m is not None and c.range is None
    rest = _read_relative(c, rest)
    _check_supported(rest)
    m, rest = _take(SHARPER_BG, rest)
    if m is not None:  # "make the background sharper": less blur, not sharper edges
        big = (m["amt"] or "").split()[-1:] in (["lot"], ["much"], ["way"])
        c.blur, c.strength = True, ("rel", -0.4 if big else -0.2)
    rest = _read_edges(c, rest)
    if c.edges and c.strength is None and not BLUR.search(rest):
        _, rest = _take(_EDGE_MORE, rest)  # "feather the edges more": the edge, not the blur
    c.edges = [a for i, a in enumerate(c.edges) if a != "shrink" or "shrink" not in c.edges[:i]]
    c.described = bool(c.edges) and (c.described or DESCRIBES.match(text) is not None)
    rest = _read_background(c, rest, paths)
    _read_strength(c, rest)
    if c.edges and c.strength is not None and not (c.background or c.blur or c.remove):
        # "soften the edges, but only a little": the degree is the edge change's (one small
        # step), never the background's strength
        c.strength = None
    if TARGET_ALL.search(text):
        c.target_all = True
    c.unread = [m.group(0).strip() for m in _UNREAD_TIME.finditer(rest)]
    c.unread += unknown_words(rest)  # a word nobody taught it: named, never dropped silently
    c.negated = negated
    return c


def _read_append(c: Clause, text: str) -> bool:
    """ "add yellow on the end", "put a third colour, white, at the start", "append gold": one
    colour added to a gradient (``c.append``). Whether the clause was that."""
    restop = RESTOP.match(text)
    if restop is not None:  # "make the last colour navy"
        c.append = (hex_of(restop.group("c")), f"={restop.group('which')}", True)
        return True
    part = RESTOP_PART.match(text)
    if part is not None:  # "make the end of the gradient white", "the right side should be white"
        which = part.group("which") or part.group("which2")
        side = (part.group("side") or part.group("side2") or "").strip()
        named = bool(part.group("named") or part.group("named2"))
        # a bare "the end"/"the start" may be the video's: "?" asks which (see _append_calls)
        bare = not named and not side and which in ("end", "start", "beginning")
        if bare and part.group("which"):  # "make the end blue": the video's end, unless there
            c.end_or_stop = which  # is a gradient to mean (then asked: see composition)
            return False
        c.append = (hex_of(part.group("c")), f"{'?' if bare else '='}{which}", True)
        return True
    head = APPEND_HEAD.match(text)
    if head is None:
        return False
    body = text[head.end() :]
    colours = list(COLOUR.finditer(body))
    if len(colours) != 1:
        return False
    where = APPEND_WHERE.search(body)
    named = STOP_NOUN.search(body) is not None or bool(GRADIENT.search(body) or BLEND.search(body))
    if not (where or named or append_verb_alone(head.group("verb"))):
        return False  # "put yellow behind me": a new background, not a stop
    rest = COLOUR.sub(" ", body)
    for pattern in (APPEND_WHERE, STOP_NOUN, GRADIENT, BLEND):
        rest = pattern.sub(" ", rest)
    if APPEND_NOISE.sub("", rest):
        return False  # more was said ("add yellow at the end for 5 seconds")
    place = WHERE.get(where.group("where") or "end", "end") if where else "end"
    c.append = (colour_of(colours[0]), place, named)
    return True


def _check_other_person(text: str) -> None:
    """Ask who stays when one person of several is to go ("hide the other guy"): the person
    rules keep people by where they are, not by description."""
    m = OTHER_PERSON.search(text)
    if m is None or not (m.group("which") or m.group("where") or m.group("who") not in
                         ("person", "people", "one")):  # fmt: skip
        return
    said = m.group("obj").strip()
    raise Unclear(
        f"Who should stay in the picture? I can't pick out “{said}” by description, but I can "
        "keep one person and drop the others: say, for example, “keep the person on the left”, "
        "“keep the speaker”, or point at who stays: “keep what is at 400,520” (video pixels)."
    )


# A time phrase the range rules did not read ("from the intro", "until she sits down"): the
# clause is applied without it, so the reply names it.
def unknown_words(text: str) -> list[str]:
    """Words of 4+ letters left in ``text`` after a clause was read that no dev phrasing uses
    (:data:`~backdrop.agent.interpret.lexicon.known.KNOWN_WORDS`), in order, once each."""
    words = re.findall(r"[a-z]+", re.sub(r"@\w+", " ", text))
    # plurals and -ing/-ed forms of a known word count
    return list(dict.fromkeys(w for w in words if len(w) >= 4 and not known_word(w)))


_UNREAD_TIME = re.compile(
    r"\b(?:from|until|till|after|before|during|between|except|since|starting|once|when|while) "
    r"(?!(?:it|that|this|them|then|now|there|here|me|him|her|us|start|beginning|end|"
    r"the (?:start|beginning|end|background|bg|video|clip|person))\b)(?:the |a |an )?"
    r"[a-z][a-z']{2,}(?: [a-z']+){0,2}"
)


def _read_history(c: Clause, text: str) -> str:
    for pattern, attr in ((REDO, "redo"), (UNDO, "undo")):  # "undo the undo" is a redo
        m, text = _take(pattern, text)
        if m is not None:
            setattr(c, attr, history_count(m))
    return text


def _read_subjects(c: Clause, text: str) -> str:
    """Speaker, box and point rules, "match the lighting", and rough hair → matting tier."""
    speaker = find_keep_speaker(text)
    if speaker is None:
        selector, text = person_selector(text)
        if selector is not None:
            c.subjects.append({"subject": "person", "selector": selector})
    elif speaker.ordinal is not None:
        raise Unclear(
            "To know who the speakers are in order I need the video analysed first (for "
            "example `backdrop analyze VIDEO`); or say “keep the speaker” for whoever talks."
        )
    else:
        text = text[: speaker.start] + " " + text[speaker.end :]
        c.subjects.append(
            {"subject": "speaker", **({"speaker": speaker.sid} if speaker.sid else {})}
        )
    m, text = _take(KEEP_BOX, text)
    if m is not None:
        action = "remove" if m.group("verb") in REMOVE_WORDS else "keep"
        box = [float(m.group(i)) for i in range(2, 6)]
        c.subjects.append({"subject": "box", "box": box, "action": action})
    m, text = _take(KEEP_POINT, text)
    if m is not None:
        action = "remove" if m.group("verb") in REMOVE_WORDS else "keep"
        c.subjects.append({"subject": "point", "point": [float(m.group(2)), float(m.group(3))],
                           "action": action})  # fmt: skip
    m, text = _take(MATCH_LIGHT, text)
    if m is not None:
        c.extra_calls.append(ToolCall("match_lighting", {"on": True}))
    m, text = _take(SPILL, text)
    if m is not None:
        c.extra_calls.append(ToolCall("set_edges", {"despill": m["c"] or m["d"] or "auto"}))
    if HAIR_ROUGH.search(text):
        from backdrop.perception.core.models import model_status

        if any(s.name == "rvm-mobilenetv3" and s.installed for s in model_status()):
            c.extra_calls.append(ToolCall("set_quality", {"tier": "matting"}))
    for pattern, action in ((REMOVE_VERB, "remove"), (KEEP_VERB, "keep")):
        for m in pattern.finditer(text):
            text, found = _read_objects(c, text, m, action)
            if found:
                break
    return text


def _read_objects(c: Clause, text: str, m: re.Match[str], action: str) -> tuple[str, bool]:
    """Object rules from a keep/remove verb and the list after it ("the person and the ball",
    "the teddy bear"); the object parts are taken out of ``text``, a leading person stays."""
    from backdrop.perception.vision.objects import read_object_list

    names, stop = read_object_list(text, m.start(1), m.end(1), accept=PERSON_NOUNS)
    objects = [n for n in names if _is_object(n.split()[0])]
    if not objects:
        return text, False
    for noun in objects:
        c.subjects.append({"subject": "object", "label": noun, "action": action})
    # "keep the person and the ball": "keep the person" is read by the person rules
    cut = m.start() if _is_object(names[0].split()[0]) else m.end(1)
    return text[:cut] + " " + text[stop:], True


def _is_object(noun: str) -> bool:
    known = BG_NOUNS | EFFECT_NOUNS | NOT_NOUNS | PERSON_NOUNS
    return not (noun in known or noun in NAMED_COLORS or noun.startswith(("@", "background")))


def _check_supported(text: str) -> None:
    """Raise :class:`Unsupported` when the clause keeps/removes/blurs a named object."""
    if CUT_ME_OUT.search(text):
        return
    for pattern, verb in ((REMOVE_VERB, "remove"), (KEEP_VERB, "keep"), (BLUR_TARGET, "blur")):
        for m in pattern.finditer(text):
            noun = m.group(1)
            known = BG_NOUNS | EFFECT_NOUNS | NOT_NOUNS
            if verb != "blur":
                known |= PERSON_NOUNS
            if noun in known or noun in NAMED_COLORS or noun.startswith(("@", "background")):
                continue
            if noun in PERSON_NOUNS:
                raise Unsupported(
                    f"I can't blur the person yet, only what is behind them. {CAPABILITIES}. "
                    f"For example: {EXAMPLES[2]}."
                )
            raise Unsupported(
                f"I can't {verb} “the {noun}” yet: the embedded interpreter doesn't pick out "
                f"named objects, only the person. {CAPABILITIES}. For example: "
                f"{', '.join(EXAMPLES[:2])}."
            )


_FADE_KINDS: dict[str | None, tuple[str, ...]] = {
    None: ("fade_in",), "in": ("fade_in",), "up": ("fade_in",), "out": ("fade_out",),
    "away": ("fade_out",),
}  # fmt: skip


@dataclass
class _FadePart:
    """One fade said in a clause: where its words are (``start`` includes a length said before
    it, "a 2 second fade in"), its kinds and the length said before it (seconds)."""

    start: int
    end: int
    kinds: tuple[str, ...]
    lead: float | None = None


def _fade_parts(text: str) -> tuple[list[_FadePart], list[tuple[int, int]]]:
    """The fades said in ``text``, in order, and the spans of their words: "fade in" and a bare
    second kind ("… and out over 4 s"), each with a length said before it ("a 2 second fade")."""
    leads = {m.end(): m for m in FADE_DURATION[-1].finditer(text)}
    parts: list[_FadePart] = []
    spans: list[tuple[int, int]] = []
    for m in FADE.finditer(text):
        kinds = _FADE_KINDS.get(m.group(1), ("fade_in", "fade_out"))
        lead = leads.get(m.start())
        start = m.start() if lead is None else lead.start()
        parts.append(_FadePart(start, m.end(), kinds, lead and to_seconds(lead.group(1))))
        spans.append((start, m.end()))
    if parts:
        for m in FADE_MORE.finditer(text, parts[0].end):
            if not any(a < m.end() and m.start() < b for a, b in spans):
                parts.append(_FadePart(m.start(), m.end(), _FADE_KINDS[m.group("k")]))
                spans.append((m.start(), m.end()))
    parts.sort(key=lambda p: p.start)
    return parts, spans


def _fade_length(
    window: str, around: str, kinds: tuple[str, ...] = ()
) -> tuple[float | None, str | None, list[re.Match[str]]]:
    """A fade's length said in ``window`` (the words after it, seconds), or "quick"/"slow" said
    in ``around``; with the matches used. ``kinds``: the fade's kinds ("fade out in the last
    5 s" is a 5 s fade out)."""
    for kind in kinds if len(kinds) == 1 else ():
        m = FADE_WITHIN[kind].match(window)
        if m is not None:
            return to_seconds(m.group(1)), None, [m]
    m = FADE_BARE.match(window)
    if m is not None:
        return to_seconds(m.group(1)), None, [m]
    for pattern in FADE_DURATION[:-1]:
        m = pattern.search(window)
        if m is not None:
            return to_seconds(m.group(1)), None, [m]
    q, s = QUICK.search(around), SLOW.search(around)
    return None, ("quick" if q else "slow" if s else None), []


def _read_fades(c: Clause, text: str) -> str:
    """Fades with their lengths (seconds). Each fade keeps the length said with it ("fade in
    over 2 s and out over 4 s", "a 2 second fade in and a 5 second fade out"); one said for
    several serves them all ("fade in and out over 2 s", "a fade in and a fade out over 3 s")."""
    explicit = re.search(r"\bfad\w*\s+(?:\w+\s+){0,3}?(?:in|out)\b", text)
    if GRADIENT.search(text) and not explicit:
        return text  # "fade the background from black to white, like a gradient"
    timed = any(p.search(text) for p in (FADE_DURATION[0], FADE_DURATION[2]))
    timed = timed or any(p.search(text) for p, _ in RANGE_RULES)  # "fading to blue at 10 s"
    if _FADE_BETWEEN.search(text) and len(COLOUR.findall(text)) >= 2 and not (explicit or timed):
        return text  # "fade it from navy at the top to black": colours, not a transition
    parts, spans = _fade_parts(text)
    gradual = GRADUALLY.search(text)
    if gradual is not None:
        spans.append(gradual.span())
        if not parts:  # "gradually blur the background (over 4 s)": a fade in
            parts = [_FadePart(0, 0, ("fade_in",))]
    if not parts:
        return text
    default = 1.0 if gradual is None else 3.0 if gradual.group(1) else 2.0
    said: list[tuple[_FadePart, float | None, str | None]] = []
    for i, part in enumerate(parts):
        nxt = parts[i + 1].start if i + 1 < len(parts) else len(text)
        before = parts[i - 1].end if i else 0
        length, speed, used = _fade_length(text[part.end : nxt], text[before:nxt], part.kinds)
        spans += [(part.end + m.start(), part.end + m.end()) for m in used]
        said.append((part, part.lead if part.lead is not None else length, speed))
    both = RESPECTIVELY.search(text)
    if both is not None and len(said) == 2 and all(t is None for _, t, _ in said):
        spans.append(both.span())  # "fade in and fade out, 2 and 4 seconds respectively"
        said = [(p, to_seconds(both.group(i + 1)), None) for i, (p, _, _) in enumerate(said)]
    shared = next((t for _, t, _ in said if t is not None), None)
    c.fades = {}
    for part, length, speed in said:
        if length is None:
            length = {"quick": 0.5, "slow": 3.0}.get(speed or "", shared or default)
        if length <= 0:
            raise Unclear(clarify("A fade needs a length above zero."))
        c.fades.update(dict.fromkeys(part.kinds, length))
    for pattern in (QUICK, SLOW) if any(speed for _, _, speed in said) else ():
        spans += [m.span() for m in pattern.finditer(text)]
    spans += [m.span() for m in FADE_NOISE.finditer(text)]
    return _blank(text, spans)


def _check_cross_fade(text: str) -> None:
    """Ask about one colour becoming another over time ("fade from red to blue over 5 s", "go
    from red to blue between 10 and 15 s"): the plan shows one background at a time, so a
    cross-fade between two can't be made, and a gradient or a fade from the original video
    would answer "Understood" for something else."""
    pair = _COLOUR_TO_COLOUR.search(text)
    if pair is None or GRADIENT.search(text) or STOPS.search(text):
        return
    if CROSS_FADE.search(text):
        timed = any(p.search(text) for p in FADE_DURATION[:3])
        timed = timed or any(p.search(text) for p, _ in RANGE_RULES)
    else:
        timed = CROSS_CHANGE.search(text) is not None and OVER.search(text) is not None
    if not timed:
        return  # "fading from pink into white": a gradient
    a, b = pair.group("a"), pair.group("b")
    raise Unclear(
        f"I can't cross-fade from {a} to {b} yet: the video shows one background at a time. "
        f"I can cut from {a} to {b} at a time you say (“{a} for 5 seconds, then {b}”), fade "
        f"{b} in over the original video (“{a} for 5 seconds, then {b} fading in over 2 "
        f"seconds”), or make a {a} to {b} gradient across the picture. Which would you like?"
    )


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each ``(start, end)`` span replaced by spaces."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


_COLOUR_TO_COLOUR = re.compile(
    rf"(?P<a>{re.sub(r'[?]P<[a-z]+>', '', COLOUR.pattern)})\s+(?:(?:slowly\s+|gradually\s+)?"
    r"(?:turn|fad|chang|go|morph|melt|shift|becom|dissolv|transition)\w*\s+)?(?:(?:in)?to|then)\s+"
    r"(?:a\s+|an\s+)?"
    rf"(?P<b>{re.sub(r'[?]P<[a-z]+>', '', COLOUR.pattern)})"
)


_FADE_BETWEEN = re.compile(
    r"\b(?:vertical|horizontal|diagonal|colou?r|smooth|soft|gentle|linear|radial)\s+fade\b|"
    r"\bfad(?:e|es|ed|ing)\b(?:\s+(?:it|that|this|the (?:background|bg|backdrop|colou?rs?|screen)|"
    r"colou?rs?|down|smoothly|gently|gradually|softly|slowly|nicely|all the way))*\s+(?:from|"
    r"between)\b|\bfad(?:e|es|ed|ing)\s+(?:down\s+|off\s+|smoothly\s+|gently\s+|gradually\s+)?"
    r"(?:in)?to\b"
)
"""A fade word that joins colours ("fading from pink into white", "red fading into black"): the
colours are a gradient, not a fade in or out (checked only when two colours are said)."""


def _read_range(c: Clause, text: str) -> str:
    head, sep, tail = text.partition(" except ")
    if sep:
        excluded, tail = _ranges_in(tail)
        if excluded:
            c.exclude = excluded
            text = head + " " + tail
    # Complete spans (a pair, "the first N", "the last N"): two or more are several segments,
    # "between 5 and 10 and again between 20 and 25 seconds", "the first and last 5 seconds".
    probe, spans = text, 0
    for p, _ in RANGE_RULES[:4]:
        for m in p.finditer(probe):
            spans += 1
            probe = probe[: m.start()] + " " * (m.end() - m.start()) + probe[m.end() :]
    if spans >= 2:
        ranges, text = _ranges_in(text)
        c.range, c.also = ranges[0], ranges[1:]
        return text
    start: float | None = None
    end: float | None = None
    given = False
    _check_vague_part(text)  # "in the middle", "for the intro"
    edge, text = _take_edge(text)  # "at the end", "towards the end", "in the first bit"
    m, text = _take(NEXT_SPAN, text)
    if m is not None:  # "next 10 seconds green": a length after the previous part
        text, c.sequential = f"{text[: m.start()]} for {m.group(1)} {text[m.start() :]}", True
    said: set[re.Pattern[str]] = set()
    for pattern, build in RANGE_RULES:
        while (m := pattern.search(text)) is not None:
            said.add(pattern)
            s, e, has_s, has_e = build(m)
            if has_e and e is not None and e <= 0 and not has_s:
                raise Unclear(clarify("A time range needs a length above zero; which span?"))
            if pattern is FOR_RULE and start is not None and start >= 0 and end is None:
                s, e = start, start + (e or 0.0)  # "for 5 seconds starting at 10 seconds"
            if has_s and start is None:
                start = s
            if has_e and end is None:
                end = e
            given = True
            text = text[: m.start()] + " " + text[m.end() :]
    c.span = _span_of(said)
    for pattern, attr in ((AFTER_THAT, "after"), (BEFORE_THAT, "before")):
        m, text = _take(pattern, text)
        if m is not None and not given:
            c.relative = attr  # type: ignore[assignment]
        elif m is not None and attr == "after" and c.span is not None:
            c.sequential = True  # "after that, grey for 4 seconds"
    whole, text = _take(WHOLE, text)
    to_end, text = _take(TO_END, text)
    _, text = _take(FROM_START, text)
    if whole is not None and not given:
        c.range = TimeRange()
        c.relative = None
    elif to_end is not None and not given and c.relative is None:
        c.range, c.extend = TimeRange(), True  # "until the end": the change runs to the end
        c.span = "until"
    if edge is not None:
        start, end, given = _edge_range(c, edge, start, end, given, said)
    if given:
        a, b = start or 0.0, end
        if b is not None and (a >= 0) == (b >= 0) and 0 < b - a < MIN_SPAN:
            raise Unclear(clarify("That time range is shorter than a frame; which span?"))
        try:
            c.range = TimeRange(start=start or 0.0, end=end)
        except ValidationError as e:
            raise Unclear(
                clarify("The end of that time range comes before its start; which span?")
            ) from e
    return text


def _check_vague_part(text: str) -> None:
    """Ask when the clause names a part of the video whose times are not known ("make it blue
    in the middle", "for the intro"): applying it to the whole video drops the words."""
    part = NAMED_PART.search(text)
    if part is not None:
        raise Unclear(
            f"I don't know when “the {part['part']}” is in this video. Say its times, for "
            "example “for the first 10 seconds” or “from 0:50 to the end”."
        )
    vague = VAGUE_LENGTH.search(text)
    if vague is not None and not (AT_END.search(text) or AT_START.search(text)):
        raise Unclear(
            f"How long is “{vague.group(0)}”? Say a length or the times, for example “for 10 "
            "seconds” or “from 0:05 to 0:20”."
        )
    if MIDDLE.search(text) is not None:
        raise Unclear(
            "Which part of the middle? Say how long, for example “the middle 10 seconds”, or the "
            "times, “from 0:25 to 0:35”."
        )


def _take_edge(text: str) -> tuple[str | None, str]:
    """ "end" / "start" when the clause says the end or the start of the video without a
    length, and the text without those words."""
    for pattern, edge in ((AT_END, "end"), (AT_START, "start")):
        m, text = _take(pattern, text)
        if m is not None:
            loose, text = _take(EDGE_LENGTH, text)  # "…, say eight seconds": for that long
            if loose is not None:
                text = f"{text} for {loose.group(1)}"
            return edge, text
    return None, text


def _edge_range(
    c: Clause,
    edge: str,
    start: float | None,
    end: float | None,
    given: bool,
    said: set[re.Pattern[str]],
) -> tuple[float | None, float | None, bool]:
    """The range "at the end (for 5 s)" / "at the start" says, as ``(start, end, given)``: a
    length said with it counts from that end; none said is :data:`EDGE_DEFAULT_S`, said back
    in ``c.notes``; a start or an end said as a time wins."""
    if given and said != {FOR_RULE}:
        return start, end, given  # "at the end, from 50 s": the time said
    length = (end or 0.0) - (start or 0.0) if given else EDGE_DEFAULT_S
    if not given:
        c.notes.append(
            f"you didn't say how long, so I made it {EDGE_DEFAULT_S:g} s; say for example “for "
            "10 seconds” for another length"
        )
    c.span = None
    return (-length, None, True) if edge == "end" else (0.0, length, True)


_UNTIL_RULE = RANGE_RULES[-2][0]  # "until 10 s", "till 0:10", "up to 5 seconds"


def _span_of(said: set[re.Pattern[str]]) -> Literal["for", "until"] | None:
    """ "for": the range rules that read the clause said only a length ("for 5 s"); "until":
    only an end ("until 10 s"); else ``None``."""
    if said == {FOR_RULE}:
        return "for"
    return "until" if said == {_UNTIL_RULE} else None


_SHADE_AMOUNT = {"small": 0.15, "big": 0.45, None: 0.25}
_TINT_AMOUNT = {"small": 0.2, "big": 0.55, None: 0.35}


def _amount_size(amt: str | None) -> str | None:
    """ "a bit" → ``small``, "much" → ``big``, nothing said → ``None``."""
    if amt in ("a little bit", "a bit", "a little", "a touch", "a tad", "a shade", "slightly",
               "somewhat", "bit"):  # fmt: skip
        return "small"
    if amt in ("much", "a lot", "way", "far", "lots", "even"):
        return "big"
    return None


def _read_relative(c: Clause, text: str) -> str:
    """Darker/lighter, "like before", "change the blue to teal", "the same for …"."""
    for pattern in SWAP:
        m = pattern.search(text)
        if m is not None:
            c.swap = (hex_of(m.group("a")), hex_of(m.group("b")))
            return text[: m.start()] + " " + text[m.end() :]
    m, text = _take(SAME_AS_BEFORE, text)  # "same as before but navy": the same part, in navy
    if m is not None:
        c.same = True
    m, text = _take(PREVIOUS, text)
    if m is not None:
        c.previous = True
    m, text = _take(SHADE, text)
    if m is not None:
        sign = -1.0 if m.group("dir") in ("darker", "deeper", "dimmer", "richer") else 1.0
        c.shade = sign * _SHADE_AMOUNT[_amount_size(m.group("amt"))]
    m, text = _take(TINT, text)
    if m is not None:  # "redder", "a bit bluer", "more purple"
        name = TINTS[m.group("dir")] if m.group("dir") else m.group("more")
        c.tint = (NAMED_COLORS[name], _TINT_AMOUNT[_amount_size(m.group("amt"))])
    m, text = _take(SAME, text)
    if m is not None:
        c.same = True
    return text


def _check_nobody(text: str) -> None:
    """Refuse a rule that would leave no person in front: Backdrop always keeps someone."""
    if not NOBODY_TOO.search(text) and CUT_ME_OUT.search(text):
        return
    if NOBODY_TOO.search(text) or NOBODY.search(text):
        refuse_nobody()


def refuse_nobody(text: str | None = None) -> None:
    """Raise :class:`Unsupported` for a rule that takes every person away or covers them too
    ("blur everything including me", "paint the whole frame blue, me included"), as a whole:
    the background part is not applied either. With ``text``, only when the whole sentence
    says so (:data:`NOBODY_TOO`)."""
    if text is not None and NOBODY_TOO.search(text) is None:
        return
    raise Unsupported(
        "I won't remove every person: Backdrop changes only the background and always keeps at "
        "least one person in front of it, so I left the plan as it was. Say what to do with the "
        f"background instead, for example {EXAMPLES[0]} or {EXAMPLES[2]}."
    )


def _ranges_in(text: str) -> tuple[list[TimeRange], str]:
    """Every time range said in ``text`` (each on its own) and the text without them."""
    found: list[tuple[int, TimeRange]] = []
    for pattern, build in RANGE_RULES:
        while (m := pattern.search(text)) is not None:
            s, e, has_s, has_e = build(m)
            try:
                rng = TimeRange(start=s if has_s and s is not None else 0.0,
                                end=e if has_e else None)  # fmt: skip
            except ValidationError as err:
                raise Unclear(
                    clarify("The end of that time range comes before its start; which span?")
                ) from err
            found.append((m.start(), rng))
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return [r for _, r in sorted(found, key=lambda x: x[0])], text


_EDGE_ITSELF = re.compile(
    r"\b(?:edges?|outlines?|borders?|halo|fring(?:e|ing)|hair(?:line)?|silhouette|contours?)\b"
)
"""An edge noun that is the boundary itself (not "the mask" / "the cut-out" as a whole)."""
_FIX_VERB = re.compile(
    r"\b(?:fix|fixing|improve|clean(?:er)?|tidy|refine|better|repair|smooth out|work on|touch up|"
    r"perfect|polish|redo)\b"
)
"""A verb that asks for a better boundary ("fix the mask", "clean up the cut-out")."""


def _read_edges(c: Clause, text: str) -> str:
    has_noun = EDGE_NOUN.search(text) is not None
    bare = BARE_EDGE.search(text) is not None and BLUR.search(text) is None
    # "the edge is cutting into me" speaks about the edge without naming it.
    cutting = EDGE_RULES[0][0].search(text) is not None and PRONOUN.search(text) is not None
    if not (has_noun or bare or cutting):
        return text
    for pattern, action in EDGE_RULES:
        m, text = _take(pattern, text)
        if m is not None:
            c.edges.append(action)
    # "undo the edges", "X the edges" (X a verb nobody taught it): no refine
    # "turn the mask on", "the mask": not a complaint about the edge; left unread
    fix = _EDGE_ITSELF.search(text) is not None or _FIX_VERB.search(text) is not None
    if has_noun and fix and not c.edges and not (c.undo or c.redo or odd_verb(c.text)):
        c.edges.append("refine")  # "fix the edges", "the hair edge", "clean up the mask"
    _, text = _take(EDGE_NOUN, text)
    return text


def _read_background(c: Clause, text: str, paths: list[str]) -> str:
    if AS_CLEAR.search(text):
        raise Unclear(
            "How see-through should it be? Say an amount, for example “make it 30 % "
            "see-through” or “half see-through”."
        )
    m, text = _take(SEE_THROUGH, text)
    if m is not None:  # "a bit see-through": the background stays, the original shows through
        c.see_through = see_through_opacity(m)
    m, text = _take(CUT_ME_OUT, text)
    if m is not None:
        c.remove = True
    m, text = _take(KEEP_PERSON, text)
    if m is not None:
        c.keep = True
    m, text = _take(TRANSPARENT, text)
    if m is not None:
        c.remove = True
    if BLUR.search(text):
        text = _read_blur(c, text)
    path = PATH_TOKEN.search(text)
    if path is not None:
        p = paths[int(path.group(1))]
        c.background = {"type": file_kind(p), "path": p}
        return text[: path.start()] + " " + text[path.end() :]
    preset, text = _take(PRESET, text)
    if preset is not None:  # "a sunset gradient", "an ocean background"
        name = preset.group(1) or preset.group(2)
        c.background = {"type": "gradient", "colors": list(NAMED_GRADIENTS[name])}
        return GRADIENT.sub(" ", text)
    matches = list(COLOUR.finditer(text))
    stops = STOPS.search(text)
    listed = bool(GRADIENT.search(text) or stops or (BLEND.search(text) and matches))
    colours = _colours_of(matches, listed, int(stops.group(1)) if stops else None)
    if not listed:  # "blue green": say which colour that is
        _check_side_by_side(matches, text)
        for m in matches:
            if m.group("pair") or m.group("mpair"):
                pair = m.group("pair") or m.group("mpair")
                hues = " and ".join(re.split(r"[\s-]+", pair))
                grad = " to ".join(re.split(r"[\s-]+", pair))
                c.notes.append(
                    f"“{m.group(0)}” is one colour, between {hues}; for a gradient say “{grad}”"
                )
    if colours and c.shade is not None:  # "make the green a bit darker"
        if len(colours) == 1:  # the plan's green, where there is one (see composition)
            c.ref_colour = colours[0]
        colours = [shade_of(col, c.shade) for col in colours]
        c.shade = None
    if len(colours) == 2 and not listed and _BLACK_AND_WHITE.search(c.text):
        raise Unclear(
            "“Black and white”: do you mean the background in greyscale (I can't do that yet), "
            "or a black to white gradient? For the gradient say “a black to white gradient”."
        )
    text = COLOUR.sub(" ", text)
    gradient = listed
    if gradient and not colours:
        raise Unclear(clarify("Which colours should the gradient use?", gradient=True))
    if len(colours) == 1 and not gradient:
        c.background = {"type": "color", "color": colours[0]}
    elif colours:
        if len(colours) == 1:
            base = colours[0]
            colours.append(shade_of(base, 0.45 if luma(base) < 0.35 else -0.45))
        bg: dict[str, Any] = {"type": "gradient", "colors": colours}
        if RADIAL.search(text):
            bg["kind"] = "radial"
        else:
            for pattern, angle in ANGLES:
                if pattern.search(text):
                    bg["angle"] = angle
                    break
        c.background = bg
    return text


_BY_PERCENT = re.compile(r"\s*(?:less|more|weaker|stronger|lower|higher|down|up|softer|harder)\b")
"""After a percent, a change by it ("20 % less"), not a level."""


def _read_blur(c: Clause, text: str) -> str:
    """A blur and its strength ("a light blur", "heavily"; a percentage said beside the word,
    "a soft blur, maybe 20 %", wins); the text without them."""
    c.blur = True
    relative = any(p.search(text) for p, _ in STRENGTH_REL)
    said = STRENGTH_ABS[0][0].search(text)
    if said is not None and relative and not _BY_PERCENT.match(text[said.end() :]):
        relative = False  # "less strong, like 20 percent": the level said, not 0.2 less
    if said is not None and c.strength is None and not relative:
        c.strength = ("abs", min(max(float(said.group(1)) / 100.0, 0.0), 1.0))
    for pattern, level in () if relative else BLUR_INTENSITY:
        hit, text = _take(pattern, text)
        if hit is not None and c.strength is None:
            c.strength = ("abs", level)
    _, text = _take(BLUR, text)
    return text


_BLACK_AND_WHITE = re.compile(r"\bblack[\s,-]*(?:and|&)[\s,-]*white\b")
"""An idiom for greyscale, not two colours ("make the background black and white")."""


def _check_side_by_side(matches: list[re.Match[str]], text: str) -> None:
    """Ask about two colours said side by side that are not one colour ("make it red blue",
    "dark blue navy"): a gradient needs "to", "and", "into" or a gradient word, and guessing one
    colour between them would answer "Understood" for a colour nobody named."""
    pairs = list(zip(matches, matches[1:], strict=False))
    if pairs and not any(text[a.end() : b.start()].strip(" -") for a, b in pairs):
        names = [m.group(0) for m in matches]
        raise Unclear(
            f"“{' '.join(names)}”: is that one colour, or a gradient ({' to '.join(names)})? "
            f"Say, for example, “make it {names[-1]}” or “a {' to '.join(names)} gradient”."
        )


def _colours_of(matches: list[re.Match[str]], listed: bool, count: int | None) -> list[str]:
    """The colours said, as ``#rrggbb``. Two hues side by side ("blue green") are one colour,
    except in a list of gradient colours ("a blue green gradient"), where an unhyphenated pair
    is two stops unless that makes more stops than the count said ("a 2 colour blend")."""
    one = [colour_of(m) for m in matches]
    if not listed:
        return one
    out: list[str] = []
    for m in matches:
        hyphened = "-" in m.group(0) and len(matches) > 1
        out += [colour_of(m)] if hyphened else pair_colours(m)
    return one if count is not None and len(out) > count >= len(one) else out


def _read_strength(c: Clause, text: str) -> None:
    if c.strength is not None:
        return
    if ONLY_DEGREE.match(text):  # "blur the background, but only slightly"
        for pattern, level in BLUR_INTENSITY:
            if pattern.search(text):
                c.strength = ("abs", level)
                return
    for pattern, delta in STRENGTH_REL:
        if pattern.search(text):
            c.strength = ("rel", delta)
            return
    for pattern, level in STRENGTH_ABS:
        m = pattern.search(text)
        if m is not None:
            value = level if level is not None else float(m.group(1)) / 100.0
            c.strength = ("abs", min(max(value, 0.0), 1.0))
            return


# -- step 4 ------------------------------------------------------------------------------------
