"""Step 1: the person's text → the plain lower-case form the rule tables read.

Paths and hex colours become placeholders (``@pN``, ``@hrrggbb``), output sizes are taken out
(they are never times), spoken numbers and time idioms become digits, "now" becomes the live
play position, corrections and exclusions are marked, filler is dropped and common phrasings
are rewritten (``REWRITES``). Times are seconds."""

from __future__ import annotations

import math
import re

from backdrop.agent.interpret.answers import Options, picked
from backdrop.agent.interpret.errors import Unclear, clarify
from backdrop.agent.interpret.lexicon.adjust import scores_to_percent, shade_words
from backdrop.agent.interpret.lexicon.amounts import HEDGE, spoken_amounts
from backdrop.agent.interpret.lexicon.each import each_lengths
from backdrop.agent.interpret.lexicon.ends import FROM_MIDDLE
from backdrop.agent.interpret.lexicon.fades import fades_from_to
from backdrop.agent.interpret.lexicon.files import (
    BARE_HEX,
    BARE_PATH,
    COLOUR_WORDS,
    EXTENSIONS,
    HASH_HEX,
    QUOTED_PATH,
)
from backdrop.agent.interpret.lexicon.negation import unsaid_again
from backdrop.agent.interpret.lexicon.rephrase import ORDINAL_ONE, REPHRASE
from backdrop.agent.interpret.lexicon.sizes import take_sizes
from backdrop.agent.interpret.lexicon.times import (
    MAX_SECONDS,
    NUMBER_WORD,
    NUMBER_WORDS,
    SPOKEN_TIMES,
)
from backdrop.agent.interpret.words import (
    drop_filler,
    fix_typos,
    mark_corrections,
    mark_exclusions,
    now_phrases,
    others_phrases,
    spoken_times,
    words_to_numbers,
)
from backdrop.render.colors import NAMED_COLORS, NAMED_GRADIENTS

MAX_CHARS = 2000
"""Longer instructions are read up to this many characters."""
_PROTECTED = frozenset(
    w for name in (*NAMED_COLORS, *NAMED_GRADIENTS) for w in name.split()
) | frozenset(EXTENSIONS)

_PLURAL_PEOPLE = (
    r"(?:us|them|(?:the|these|those) (?:people|guys|kids|children|girls|boys|group|family|team)|"
    r"(?:the )?(?:two|both|three|all|2|3) of (?:us|them))"
)
"""Several people behind whom the background goes: every one of them is kept."""

_SPARED = (
    r"\b(?:don'?t|do not|never|please don'?t)\s+(remove|blur|erase|delete|cut out|hide|change|"
    r"touch)\s+(?:me|him|her|us|them|the (?:person|people|speaker))\s*[,;.]?\s*"
)
"""A person named only to be spared: "don't blur me, …"."""
_THE_BACKGROUND = r"(?=(?:the |my |our |what'?s |everything )?(?:background|bg|backdrop|behind)\b)"

_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\b(?:what(?:'s| is)|whatever(?:'s| is)?|everything|all that'?s?|anything|(?:the |all "
         r"the )?(?:stuff|things|junk|clutter|mess)) "
         rf"(?:behind|around) {_PLURAL_PEOPLE}\b",
         "the background (keep everyone)"),  # "behind us": both of them, not the main one
        (rf"\b(?:background|backdrop|bg) (?:behind|around) {_PLURAL_PEOPLE}\b",
         "background (keep everyone)"),
        (r"\b(?:what(?:'s| is)|whatever(?:'s| is)?|everything|all that'?s?|anything|(?:the |all "
         r"the )?(?:stuff|things|junk|clutter|mess)) "
         r"(?:behind|around) (?:me|him|her|(?:the|this|that) (?:person|guy|man|woman|girl|boy|"
         r"kid|lady|dude|presenter|host))\b",
         "the background"),
        (r"\beverything (?:except|but|other than|apart from|besides) (?:me|him|her|us|them|"
         r"the person|the people|the speaker)\b", "the background"),
        (r"\b(?:background|bg|backdrop|scene|surroundings)\s+(?:to be\s+)?(?:gone|off|removed|"
         r"deleted|erased|taken out|cut out|away|needs to go|has to go|should go|must go|to go|"
         r"out of here|disappear\w*|vanish\w*)\b", "remove the background"),
        (r"\b(?:kill|nuke|ditch|scrap|zap|dump|trash|bin|wipe(?: out)?|clear(?: out)?|"
         r"strip(?: out)?)\s+(?=(?:the |that |this |my |all the )?(?:background|bg|backdrop|"
         r"surroundings)\b)", "remove "),
        (r"\bget (?:that|the|this|my) (?:background|bg|backdrop) out(?: of (?:here|there))?\b",
         "remove the background"),
        (r"\b(?:remove|delete|erase|get rid of|lose|drop|hide) (?:the rest|everything else)\b",
         "remove the background"),
        (r"\b(?:(?:i|we) )?(?:(?:want|need|have) to |should |must |to )?(?:stay|remain) "
         r"(?:visible|in (?:the )?(?:picture|shot|frame|video))\b", "keep the person"),
        # "don't blur me, just the background" / "don't remove me, remove the background": the
        # person is named only to be spared (it was refused as removing every person)
        (rf"{_SPARED}(?:(?:just|only|but)\s+)*(remove|blur|erase|delete|cut out|hide|change)\s+"
         rf"{_THE_BACKGROUND}", r"\2 "),
        (rf"{_SPARED}(?:(?:just|only|but)\s+)*{_THE_BACKGROUND}", r"\1 "),
        # "don't remove me" said alone: the person is kept and nothing else changes (it was
        # refused as a rule removing every person)
        (rf"^\s*(?:(?:and|but|ok(?:ay)?|no|hey|wait|oh)[\s,]+)*{_SPARED}(?:please|thanks|"
         r"though|ok(?:ay)?)?\s*[.!]?\s*$", "keep the person"),
        # "the edge around me is all fuzzy", "my edges look blurry": the edge is too soft — not
        # a blurred background (a black background became a blur under an "Understood")
        (r"\b(?P<pre>(?:edges?|outline|cut-?out|border|mask|matte)(?: around (?:me|him|her|us|"
         r"them|my \w+))?(?:\s+(?:is|are|looks?|seems?|looking|getting|got))?)(?:\s+(?:all|a bit|"
         r"a little|too|really|so|kind of|kinda|very|pretty|quite))*\s+(?:fuzzy|blurry|blurred|"
         r"mushy|smudgy|smeared)\b", r"\g<pre> too soft"),
        (r"\bmake (?:them|the edges?|the outline) (?:more )?(?:crisp|crisper|sharp|sharper|"
         r"cleaner)\b", "sharper edges"),
        (r"\bmore (?:transparent|see-through|translucent)\b", "weaker"),
        (r"\bkeep it (?:light|subtle|gentle|soft|low|mild)\b", "subtle"),
        (r"\bless (?:transparent|see-through|translucent)\b", "stronger"),
        (r"(?:^|(?<=[\s,]))like\s*,\s*", " "),  # "um like, blur the uh background"
        (r"\b(for|in|over|during|from|until|till|at|to)\s*,?\s+like\s*,?\s+", r"\1 "),
        (r"\b(for|in|over|during)\s*,\s*", r"\1 "),  # "for, the first 5 s"
        (r"\b(first|last|final|next)\s*,\s*(?=\d)", r"\1 "),  # "the first, 5 seconds"
        (r"\b(\d+(?:\.\d+)?)[- ](?:seconds?|secs?|s) marks?\b", r"\1 seconds"),
        (r"\b(red|green|blue|yellow|orange|purple|pink|grey|gray|brown) (?:that|which) (?:is|'s) "
         r"(?:a (?:little |tiny )?bit|slightly|a little|somewhat|kind of|a touch) (red|green|blue|"
         r"yellow|orange|purple|pink|grey|gray|brown)(?:d?ish)?\b", r"\2 \1"),  # one colour
        (r"\b(?:end|finish|close)(?: off)? (?:the (?:video|clip)|it|things)(?: off)? with\b",
         "at the end make it"),  # "end the video with a blue background"
        (r"\b(?:start|begin|open)(?: off)? (?:the (?:video|clip)|it|things)(?: off)? with\b",
         "at the start make it"),
        (r"\b(light|dark|pale|deep|bright|pastel) (?:shade|tone|version|hue) of (?:a |an )?",
         r"\1 "),  # "a light shade of blue": light blue
        (r"\b(red|green|blue|yellow|orange|pink|purple|grey|gray|brown|teal)-?(?:d?ish|y)\b",
         r"\1"),
        (r"\bbluish\b", "blue"), (r"\bpurplish\b", "purple"),
        (r"[,;]?\s*\b(?:otherwise|the rest of the time|everywhere else|at (?:all )?other times|"
         r"any other time)\s*,?\s+(?:make it |use |go with |have )?([^,;]+?)\s*$",
         r", \1 for the rest"),  # "blue from 10 to 25 s, otherwise blur": blur the rest
        (r"\b(?:fill|paint|colou?r)\s+(?:it|the background|the bg|the backdrop|that|everything)"
         r"\s+(?:with|in)\b", "make it"),
    )
)  # fmt: skip


_MIN_SEC = re.compile(
    r"\b(?:(?P<m>\d+)|a|one) (?:minutes?|mins?) (?:and )?(?P<s>[0-5]?\d)(?: (?:seconds?|secs?|s))?"
    r"(?![\d.:]| (?:minutes?|mins?|hours?|times?|percent|%)\b)"
)
"""Minutes and seconds said in words ("one minute thirty", "2 minutes 15 seconds") → m:ss."""
_SCI = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?e[+-]?\d+)(?![\w.])")
_LONG_CLOCK = re.compile(r"(?<![\w:])\d+(?::\d+(?:\.\d+)?){3,}(?![\w:])")
"""A clock with more than three fields ("1:2:3:4"): never silently read as its first field."""
_NEGATIVE_TIME = re.compile(
    r"\b(?:from|at|after|since|until|till|to|between|before|starting(?: at)?|for|over|last|"
    r"first)\s+(?:the\s+)?(?:-|minus\s+|negative\s+)\s*\d"
)


_HALF = re.compile(
    r"\b(?:the )?(?P<which>first|second|last|latter|final|other) half(?: of (?:the |this )?"
    r"(?:video|clip|it|thing))?\b|\b(?:the )?middle (?P<n>\d+(?:\.\d+)?) ?(?P<unit>seconds?|s|"
    r"minutes?)\b"
)


_HALFWAY = re.compile(
    r"\b(?:(?P<prep>at|from|after|starting at|starting from|by|until|till|up to|before)\s+)?"
    r"(?:the\s+)?half[- ]?way(?:\s+(?:through|point|mark|in))?(?:\s+(?:of\s+|through\s+)?"
    r"(?:the|this)\s+(?:video|clip))?\b"
)
"""The middle of the video as a moment: "halfway through", "at the halfway point"."""


def _halves(text: str, duration: float | None) -> str:
    """ "the first half" → "the first 30 seconds" of a 60 s video; "the middle 10 seconds" →
    "from 25 to 35 seconds"."""

    def repl(m: re.Match[str]) -> str:
        if duration is None:
            raise Unclear(
                clarify("I don't know how long this video is yet; say the times in seconds.")
            )
        if m.group("n"):
            n = float(m.group("n")) * (60.0 if m.group("unit").startswith("m") else 1.0)
            a, b = max(0.0, (duration - n) / 2), min(duration, (duration + n) / 2)
            return f" from {a:g} to {b:g} seconds "
        half = duration / 2
        if m.group("which") == "first":
            return f" the first {half:g} seconds "
        return f" from {half:g} seconds "

    def halfway(m: re.Match[str]) -> str:
        if duration is None:
            raise Unclear(
                clarify("I don't know how long this video is yet; say the times in seconds.")
            )
        word = "until" if m.group("prep") in ("by", "until", "till", "up to", "before") else "from"
        return f" {word} {duration / 2:g} seconds "

    return _fractions(_HALFWAY.sub(halfway, _HALF.sub(repl, text)), duration)


_FRACTION = re.compile(
    r"\b(?:the )?(?P<which>first|last|final) (?:(?P<part>quarter|third|fifth|tenth)|(?P<pct>\d+"
    r"(?:\.\d+)?) ?(?:%|percent))(?: of (?:the |this )?(?:video|clip|it|thing))?\b"
)
"""A share of the video ("the last quarter", "the first 10 %"): never a strength."""
_SHARES = {"quarter": 0.25, "third": 1 / 3, "fifth": 0.2, "tenth": 0.1}


def _fractions(text: str, duration: float | None) -> str:
    """ "the last quarter" → "the last 15 seconds" of a 60 s video."""

    def repl(m: re.Match[str]) -> str:
        if duration is None:
            raise Unclear(
                clarify("I don't know how long this video is yet; say the times in seconds.")
            )
        share = _SHARES[m["part"]] if m["part"] else float(m["pct"]) / 100.0
        if not 0.0 < share <= 1.0:
            raise Unclear(clarify(f"“{m.group(0)}” is not a part of the video; which span?"))
        which = "first" if m["which"] == "first" else "last"
        return f" the {which} {round(duration * share, 3):g} seconds "

    return _FRACTION.sub(repl, text)


def _plain_number(m: re.Match[str]) -> str:
    """ "1e3" → "1000"; a number too large for any video stays too large (and is asked about)."""
    value = float(m.group(1))
    if not math.isfinite(value) or value > MAX_SECONDS:
        return str(int(MAX_SECONDS * 10))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def normalise(
    text: str,
    now: float | None = None,
    duration: float | None = None,
    read_as: list[tuple[str, str]] | None = None,
) -> tuple[str, list[str], list[str]]:
    """``(text, paths, sizes)``: lower-cased text with placeholders for paths (``@pN``) and hex
    colours (``@hrrggbb``), spoken language cleaned up (see :mod:`.words`), and the
    output sizes that were said (cut out: they are never times). ``read_as``: where given,
    the misspellings corrected are appended to it as ``(said, read)``.

    Raises:
        NeedsPosition: the text says "now" and ``now`` is ``None``.
    """
    paths: list[str] = []

    def keep_path(m: re.Match[str]) -> str:
        paths.append(next(g for g in m.groups() if g))
        return f" @p{len(paths) - 1} "

    # Placeholders and markers are ours alone: the person's text cannot contain them.
    text = "".join(ch if ch.isprintable() else " " for ch in text[:MAX_CHARS])
    text = text.replace("@", " ").replace("§", " ")
    text = QUOTED_PATH.sub(keep_path, text)
    text = BARE_PATH.sub(keep_path, text)
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text, sizes = take_sizes(text)
    text = _SCI.sub(_plain_number, text)
    if _NEGATIVE_TIME.search(text):
        raise Unclear(clarify("A time can't be negative. Did you mean, say, “the last 5 seconds”?"))
    bad_clock = _LONG_CLOCK.search(text)
    if bad_clock is not None:
        raise Unclear(
            clarify(f"“{bad_clock.group(0)}” is not a time: write it as m:ss or h:mm:ss.")
        )
    text = HASH_HEX.sub(lambda m: f"@h{m.group(1)}", text)
    if COLOUR_WORDS.search(text):
        text = BARE_HEX.sub(lambda m: f"@h{m.group(1)}", text)
    found: list[tuple[str, str]] = []
    text = fix_typos(text, _PROTECTED, found)
    for i, (said, read) in enumerate(found):
        if " or " in read:  # "make it blure": blur or blue? Never one read as the other
            words = read.split(" or ")
            choice = picked(f"typo {said}")
            if choice is not None:  # answered ("blur"): the sentence read with that word
                text = re.sub(rf"\b{re.escape(said)}\b", words[choice], text)
                found[i] = (said, words[choice])
                continue
            options = " or ".join(f"“{w}”" for w in words)
            raise Unclear(
                clarify(f"Did you mean {options} by “{said}”?"),
                options=Options(f"typo {said}", tuple((w,) for w in words)),
            )
    if read_as is not None:
        read_as += found
    text = ORDINAL_ONE.sub(r"\1 §one", text)  # "the first one": a choice, not 1 second
    text = words_to_numbers(spoken_amounts(text))
    text = HEDGE.sub(" ", text)  # "maybe 20 %": the number said
    text = _MIN_SEC.sub(lambda m: f"{m['m'] or 1}:{int(m['s']):02d}", text)  # "1 minute 30"
    text = NUMBER_WORD.sub(lambda m: str(NUMBER_WORDS[m.group(1)]), text)
    text = shade_words(scores_to_percent(text))  # "3 out of 10", "less dark": never times
    for pattern, repl in SPOKEN_TIMES:
        text = pattern.sub(repl, text)
    text = each_lengths(spoken_times(text))  # "red then blue, 20 seconds each"
    text = FROM_MIDDLE.sub(lambda m: f"{m['prep']} halfway", text)  # "from the middle"
    text = _halves(text, duration)
    text = now_phrases(text, now)
    text = re.sub(r"[!?\"]+", " , ", text)
    text = others_phrases(text)  # "keep me and lose everyone else": not "remove every person"
    text = fades_from_to(text)  # "fade in from black over 3 s": black first, fading out
    text = mark_exclusions(unsaid_again(text))  # "red to blue, no blue": blue taken back
    text = mark_corrections(text)
    text = drop_filler(text)
    for pattern, repl in (*_REWRITES, *REPHRASE):
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip(" .,"), paths, sizes
