"""Spoken-language clean-up for the rule-based interpreter (issue 11).

What people say is not what the rule tables read: "um, could you make it, uh, blue between two
and four seconds, no wait, teal. Thanks." These functions turn lower-cased text into the plain
form the tables expect, each doing one thing, applied in this order by
:func:`backdrop.agent.interpret.normalise.normalise`:

* :func:`fix_typos` corrects misspelt instruction words ("backgroud", "bleu", "frist") to the
  closest word of the instruction vocabulary (Damerau-Levenshtein distance 1, 2 for long words).
* :func:`words_to_numbers` turns number words into digits ("twenty-five" → 25, "two point
  five" → 2.5); "one" only where it is a quantity.
* :func:`spoken_times` rewrites time idioms ("the 2 second mark", "10 seconds in", "second 4",
  "after the first minute") into the forms the range rules read.
* :func:`now_phrases` replaces "from now on", "until now", "starting now" with the live play
  position in seconds (:class:`NeedsPosition` when there is none).
* :func:`mark_corrections` and :func:`mark_exclusions` put the markers :data:`FIX` ("no wait",
  "actually", "I mean": the next clause replaces the previous one) and ``except`` ("but not in",
  "other than", "apart from": the following times are excluded) into the text.
* :func:`drop_filler` removes hesitations, politeness and sign-offs ("um", "please", "thanks",
  "you know", "if you don't mind", "thanks for watching") and collapses stutters.

Times stay in seconds throughout; nothing here knows about plans or tools.
"""

from __future__ import annotations

import re
from functools import lru_cache

from backdrop.agent.interpret.lexicon.times import TIME as _TIME

FIX = "§fix"
"""Marker: the clause after it corrects (replaces) the clause before it."""

# -- typos -------------------------------------------------------------------------------------
_VOCAB = (  # noqa: SIM905 - a word list reads best as text
    "background backgrounds backdrop remove delete erase blur blurry blurred blurring "
    "replace change switch transparent gradient colour color fade first last final "
    "seconds second minutes minute between until after before from starting over "
    "black white red green blue yellow orange purple pink grey gray brown teal navy cyan "
    "magenta violet maroon turquoise lavender silver golden beige cream coral crimson "
    "edges edge softer sharper smoother tighter hair person please thanks keep image video "
    "stronger weaker subtle darker lighter brighter strength radial horizontal vertical "
    "whole entire except during throughout beginning start end undo redo"
).split()
# Short or common words that are never corrected, even when close to a vocabulary word.
_COMMON = frozenset(
    "a an the it is in on at to of and or but not no so do go be me my we us he she they "  # noqa: SIM905
    "them then than this that these those with what when where who why how make made take "
    "fade fades faded side lose lost give gave have has had more less some same just also "
    "here there out off up down now only over your you yours our its all any each every "
    "five four nine one two six ten hour hours want like look looks felt feel well will "
    "would could should can may might must shall did does done been being into onto upon "
    "slow fast soft hard dark light pale deep bright blues reds greens blurs edit edits "
    "tone toned bit bits lot lots wait rather sorry mean meant okay yeah yes please stop "
    "sky sand lime mint gold tan olive peach salmon aqua indigo emerald fuchsia charcoal "
    "rest test best last lest past most west east mask task back black block clock rock "
    "blend bland blunt blue blur bluer bluish reddish greenish later latter letter while "
    "which whose write quite quiet other after water read ready seen removed deleted erased "
    "replaced changed switched gone colours colors faded blurs fader lighten darken form "
    "says said saying talk talks hello fellow mellow ends send sends lend bend thank thanked "
    "untouched unchanged unedited unaltered unblurred intact excepted excluded respectively"
    .split()
)  # fmt: skip
_TYPO_MAP = {
    "teh": "the", "adn": "and", "plz": "please", "pls": "please", "thx": "thanks",
    "bg": "background", "bkg": "background", "secs": "seconds", "sec": "second",
    "tht": "that", "ovr": "over", "thn": "then", "blu": "blue", "grn": "green",
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or ``limit + 1`` beyond it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
        if min(prev) > limit:
            return limit + 1
    return prev[-1]


@lru_cache(maxsize=4096)
def _near(word: str) -> tuple[str, ...]:
    """The vocabulary words nearest ``word`` within the typo limit (one, or several that are
    not forms of one word: "blure" is as near "blur" as "blue"); ``(word,)`` when none is."""
    if word in _TYPO_MAP:
        return (_TYPO_MAP[word],)
    if len(word) < 4 or word in _COMMON or word in _VOCAB:
        return (word,)
    limit = 2 if len(word) >= 8 else 1
    best, best_d, others = word, limit + 1, []
    for v in _VOCAB:
        if len(word) == 4 and len(v) == 4 and sorted(v) != sorted(word):
            continue  # 4-letter substitutions are too often other real words
        d = _distance(word, v, limit)
        if d < best_d:
            best, best_d, others = v, d, []
        elif d == best_d <= limit and not (v.startswith(best) or best.startswith(v)):
            others.append(v)
    return (best, *others)


def _correct(word: str) -> str:
    """``word`` corrected to the one nearest vocabulary word; left as said when two are."""
    near = _near(word)
    return near[0] if len(near) == 1 else word


_BLUR_VERB = re.compile(
    r"\b(blure|blurre|bluur|bllur|blurr|bler)\s+(?=(?:the|my|this|that|it|out|everything|all|"
    r"what|whatever)\b)"
)
"""A misspelt "blur" said as the verb ("blure the background"): "blure" is as near "blue" as
"blur", so only its place before what is blurred decides."""


_VERB_TYPOS = re.compile(
    r"^(\W*)(?:(?:blurr|bler)\s+(?=(?:the|my|this|that|it|out)\b)|bluer\s+(?=(?:the|this|that|it|"
    r"out)\b))"
)
"""A sentence that starts "bluer the background" means "blur" (a real word, so not a typo to
:func:`_correct`; "make it bluer" stays, and "bluer my background" is the comparative colour,
like "redder my background")."""


def fix_typos(
    text: str,
    protected: frozenset[str] = frozenset(),
    read_as: list[tuple[str, str]] | None = None,
) -> str:
    """Misspelt instruction words corrected to the vocabulary (see the module docstring).

    ``read_as``: where given, each spelling corrected (not the usual abbreviations such as
    "bg") is appended as ``(said, read)`` so the reply can say what was read; a word as near
    two words as each other is left as said and appended as ``(said, "blur or blue")``."""
    found: list[tuple[str, str]] = []

    def verb(m: re.Match[str]) -> str:
        lead = m.group(1) if m.re is _VERB_TYPOS else ""
        found.append((m.group(0)[len(lead) :].split()[0], "blur"))
        return f"{lead}blur "

    text = _BLUR_VERB.sub(verb, _VERB_TYPOS.sub(verb, text))

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        if w in protected:
            return w
        near = _near(w)
        if len(near) > 1:
            found.append((w, " or ".join(near)))  # said back as a question (normalise)
        elif near[0] != w and w not in _TYPO_MAP:
            found.append((w, near[0]))
        return near[0] if len(near) == 1 else w

    text = _WORD.sub(word, text)
    if read_as is not None:
        read_as += list(dict.fromkeys(found))
    return text


# -- numbers -----------------------------------------------------------------------------------
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_U = "|".join(sorted(_UNITS, key=len, reverse=True))
_TN = "|".join(_TENS)
_NUMBER = re.compile(
    rf"\b(?:(?P<tens>{_TN})(?:[\s-]+(?P<unit1>{_U}))?|(?P<unit>{_U}))"
    rf"(?:\s+point\s+(?P<frac>{_U}))?\b"
)
_UNIT_AFTER = r"(?:seconds?|secs?|minutes?|mins?|hours?|s|m)\b"
_ONE_CONTEXT = re.compile(
    rf"^\s*(?:{_UNIT_AFTER}|and a half|point|to\b|and\s+(?:\d|{_U}|{_TN})|-|through|until|till)"
)
_ONE_PLACE = re.compile(r"^\s*(?:side|sides|end|edge|corner|hand|direction|another)\b")
"""After "one", a place, not a quantity: "navy at one side, black at the other"."""
_ONE_BEFORE = re.compile(r"(?:first|last|final|from|between|at|until|till|over|for|after|to|"
                         r"and|within|in|of|second|seconds|about|around)\s*$")  # fmt: skip


def words_to_numbers(text: str) -> str:
    """Number words → digits: "twenty five" → 25, "two point five" → 2.5, "one" only as a
    quantity ("one second", "from one to three", not "the blue one")."""

    def repl(m: re.Match[str]) -> str:
        if m.group("tens"):
            value = _TENS[m.group("tens")] + (_UNITS[m.group("unit1")] if m.group("unit1") else 0)
        else:
            value = _UNITS[m.group("unit")]
            if m.group("unit") == "one" and not m.group("frac"):
                after, before = text[m.end() :], text[: m.start()]
                if _ONE_PLACE.match(after) or not (
                    _ONE_CONTEXT.match(after) or _ONE_BEFORE.search(before)
                ):
                    return m.group(0)
        out = str(value)
        if m.group("frac"):
            out += "." + str(_UNITS[m.group("frac")])
        return out

    return _NUMBER.sub(repl, text)


# -- time idioms -------------------------------------------------------------------------------
_N = r"\d+(?:\.\d+)?"
_TIME_IDIOMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        # "the 2 second mark", "the 0:30 mark", "the 2-second point"
        (rf"\bthe ({_N}|\d+:\d{{2}})[- ]?(seconds?|secs?|s|minutes?|mins?)?[- ]?"
         r"(?:mark|point|timestamp|spot)\b", r"\1 \2"),
        # "second 4", "seconds 2 to 6", "minute 2"
        (rf"\bseconds? ({_N})\s*(to|and|-|through|till|until)\s*(?:seconds? )?({_N})\b",
         r"from \1 to \3 seconds"),
        (rf"\bsecond ({_N})\b", r"\1 seconds"),
        (rf"\bminute ({_N})\b", r"\1 minutes"),
        # "until 30 seconds in", "till we're 20 seconds in", "up until we get to 25 s": an end
        # (before the rules below make "N in" a start)
        (r"\b(until|till|til|up (?:to|until|till)|through|before|by) (?:(?:we're|we are|it's|"
         r"it is|we get|we hit|we reach|it gets|it reaches)(?: to)? )?"
         rf"({_N} ?{_UNIT_AFTER}|\d+:\d{{2}})(?: in(?:to (?:the )?(?:video|clip))?\b)?",
         r"\1 \2"),
        # "once we're 10 seconds in", "10 seconds in, ..."
        (rf"\b(?:once|when) (?:we're|we are|it's|it is|we get|we hit|we reach) ({_N} ?"
         rf"{_UNIT_AFTER}) in\b", r"from \1"),
        (rf"\b(?:once|when) (?:we're|we are|it's|it is|we get|we hit|we reach) (?:to )?({_N} ?"
         rf"{_UNIT_AFTER}|\d+:\d{{2}})", r"from \1"),
        (rf"(?:^|(?<=[,;.] )|(?<=\bthen )|(?<=\band ))({_N} ?{_UNIT_AFTER}) in\b(?! the\b)",
         r"from \1"),
        (rf"\bstarting ({_N} ?{_UNIT_AFTER}) in\b", r"from \1"),
        # "then blue 10 seconds in": at the end of a part (not "5 seconds in red")
        (rf"\b({_N} ?{_UNIT_AFTER}) in\b(?=\s*(?:$|[,;.]|(?:and |then )?(?:then|make|switch|"
         r"change|turn|go|use|put|remove)\b))", r"from \1"),
        (rf"\b({_N} ?{_UNIT_AFTER}) into (?:the )?(?:video|clip)\b", r"\1"),
        # "the opening 3 seconds", "the closing 4 s": the first / the last
        (rf"\bthe (?:opening|beginning|initial|start(?:ing)?) (?=(?:{_N}|few|couple)\b)",
         "the first "),
        (rf"\bthe (?:closing|ending|concluding|end|final) (?=(?:{_N}|few|couple)\b)", "the last "),
        # "after the first minute" is "from 1 minute", not "the first minute"
        (r"\b(after|past) the first\b", r"\1"),
        # "the first or last second" → both
        (rf"\bfirst (?:or|and) (?:the )?(?:last|final) ({_N} )?(seconds?|minutes?)\b",
         r"first \1\2 and last \1\2"),
        (r"\b(first|last|final) (?:couple of|couple) (seconds|minutes)\b", r"\1 2 \2"),
        (r"\b(first|last|final) few (seconds|minutes)\b", r"\1 3 \2"),
        (r"\ba couple(?: of)? (seconds|minutes)\b", r"2 \1"),
        (r"\b(?:a )?few (seconds|minutes)\b", r"3 \1"),
        # "the 3rd and 6th second", "the 10th second"
        (rf"\b({_N})(?:st|nd|rd|th) (and|to|until|till|through) (?:the )?({_N})(?:st|nd|rd|th)"
         r" seconds?\b", r"\1 \2 \3 seconds"),
        (rf"\b({_N})(?:st|nd|rd|th) seconds?\b", r"\1 seconds"),
        (r"\b(between|from|after|before|until|till|at|since) the (?=\d)", r"\1 "),
        (r"\b(first|last|final) half (?:a |of a )?minute\b", r"\1 30 seconds"),
        (r"\b(first|last|final) (?:a )?minute\b", r"\1 1 minute"),
        # "would you mind removing the background": the gerund is the verb
        (r"\b(remov|delet|eras|replac|chang|us|fad|mak|tak)ing\b", r"\1e"),
        (r"\bgetting rid of\b", "get rid of"),
        (r"\bthe (?:whole|entire) (?:time|video|clip|thing)\b", "the whole video"),
        (r"\brest of (?:the )?(?:video|clip|time|it)\b", "for the rest of the video"),
        (r"\bthe hell out of\b|\bthe heck out of\b", "heavily"),
        # "5 seconds of red", "ten seconds red, ten seconds blue": a part said by its length
        (rf"(?<!first )(?<!last )(?<!final )(?<!next )(?<!over )(?<!\bin )(?<!within )"
         rf"\b({_N} ?{_UNIT_AFTER}) of (?!(?:the|it|this|that|a|an|video|clip|footage)\b)",
         r"for \1 "),
        (rf"(?:^|(?<=[,;.] )|(?<=\bthen ))({_N} ?{_UNIT_AFTER})(?= (?!(?:in|into|of|"
         r"later|earlier|ago|before|after|from|to|and|until|till|through|fade|fading|long|"
         r"each|more|less|then|or|please|thanks|thank|ok|okay|is|are|was|were|should|would|"
         r"will|could|can|at)\b)[a-z@])", r"for \1"),
    )
)  # fmt: skip


def spoken_times(text: str) -> str:
    """Time idioms rewritten into the forms the range rules read (see the module docstring)."""
    for pattern, repl in _TIME_IDIOMS:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text)


# -- "now" -------------------------------------------------------------------------------------
class NeedsPosition(Exception):
    """The text says "now" and there is no live play position to read it against."""


_NOW_FROM = re.compile(
    r"\b(?:from (?:right )?now(?: on(?:wards?)?)?(?: until the end)?|starting (?:right )?now|"
    r"(?:as of|beginning) (?:right )?now|from (?:right )?here(?: on(?:wards?)?)?|from this point"
    r"(?: on(?:wards?)?)?|from this moment(?: on)?|now until the end|henceforth)\b"
)
_NOW_UNTIL = re.compile(
    r"\b(?:until|till|til|up to|up until) (?:right )?(?:now|here|this point|this moment)\b"
)


_RIGHT_NOW = re.compile(
    r"(?<!from )(?<!until )(?<!till )(?<!up to )(?<!starting )(?<!as of )(?<!beginning )"
    r"\b(?:right now|as of this moment|at this (?:very )?(?:point|moment))\b"
    r"(?! (?:on|onwards?|until|till|to)\b)"
)
"""The play position said alone ("right now, switch it to grey"): with a position known, the
change starts there (a live stream's past is gone); without one it is only "immediately"."""
_NEXT_FROM_NOW = re.compile(
    r"\b(?:for\s+)?(?:the\s+)?next\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>seconds?|secs?|s|minutes?"
    r"|mins?)\b"
)
"""A length from the play position: "blur it for the next 10 seconds" (read against "now" only
when nothing before it in the sentence is a time or a step: "red for 5 s, then the next 10 s
green" is a sequence)."""
_BEFORE_NEXT = re.compile(r"\d|\b(?:then|after|afterwards|before|first|until|till)\b")


def now_phrases(text: str, now: float | None) -> str:
    """ "from now on" → ``from {now}``; "until now" → ``until {now}``; with a position, "for the
    next 10 seconds" (as the first time said) → ``from {now} for 10 seconds`` (seconds).

    Raises:
        NeedsPosition: the text has such a phrase and ``now`` is ``None``.
    """
    if now is not None:  # "right now, switch it to grey" in a live session: from the position
        text = _RIGHT_NOW.sub(" from now on ", text)
    nxt = _NEXT_FROM_NOW.search(text) if now is not None else None
    if nxt is not None and not _BEFORE_NEXT.search(text[: nxt.start()]):
        t = f"{max(now or 0.0, 0.0):.3f}".rstrip("0").rstrip(".")
        said = f" from {t} seconds for {nxt.group('n')} {nxt.group('unit')} "
        text = text[: nxt.start()] + said + text[nxt.end() :]
    if not (_NOW_FROM.search(text) or _NOW_UNTIL.search(text)):
        return text
    if now is None:
        raise NeedsPosition
    t = f"{max(now, 0.0):.3f}".rstrip("0").rstrip(".")
    text = _NOW_FROM.sub(f" from {t} seconds ", text)
    return _NOW_UNTIL.sub(f" until {t} seconds ", text)


# -- corrections and exclusions ----------------------------------------------------------------
_CORR_WORD = (
    r"(?:no wait|wait no|wait|actually no|no actually|actually|no sorry|sorry|oops|whoops|"
    r"i mean|i meant|or rather|rather(?!\s+than\b)|make that|nope|hmm|"
    r"no(?!\s+(?:background|backdrop|bg|blur|colou?r|effect|fade|image|video)s?\b))"
)
"""Words that start a correction ("…, no wait, blue"); "…, no background" is not one."""
_CORRECTION = re.compile(
    rf"(?:[,;:—–!]|\.+|\s-)\s*(?:{_CORR_WORD}\b[\s,.;:—–!-]*)+"
    rf"|\s(?:and )?(?:then )?(?:change (?:your|my) mind(?: and)?|i mean|i meant|or rather|"
    rf"oops|actually no|no wait|wait no|no sorry|no actually|no no|whoops)\b[\s,.;:—–!-]*"
    rf"|\.\.\.\s*|\s(?:actually)\s+(?=(?:make|use|do|go|blur|remove|it'?s|red|blue|green))"
)
_LEADING_CORR = re.compile(
    rf"^(?:(?:no wait|no sorry|no actually|no no|(?!no\b){_CORR_WORD}|no(?=\s*[,.;:!—–-])|"
    rf"ok(?:ay)?|so|well)\b[\s,.;:—–!-]*)+"
)


def mark_corrections(text: str) -> str:
    """Self-corrections inside a sentence become :data:`FIX` markers; one at the very start
    ("actually, make it green") is only a new instruction and is dropped. A leading "also"
    ("also for the last 5 seconds") asks for the same again."""
    text = _LEADING_CORR.sub("", text.strip())
    text = re.sub(r"^(?:and )?also\b", "same", text)
    return _CORRECTION.sub(f" ; {FIX} ", text)


_EXCLUDE = re.compile(
    r"(?:,\s*)?(?:\bbut\s+)?\b(?:not\s+(?:in|during|for|at|over|within|on)|except(?:\s+(?:for|in|"
    r"during|at|within|on))?(?:\s+for)?|other than|apart from|aside from|excluding|save for|"
    r"everywhere but|all but|(?:everything|all of it|the whole (?:thing|video|clip)|the rest)\s+"
    r"but|skip(?:ping)?|leav(?:e|ing) out|omit(?:ting)?|exclud(?:e|ing)|"
    r"with the exception of|not)\s+"
    r"(?=(?:the\s+)?(?:very\s+)?(?:first|last|final|between|from|\d|after|before|until|till))"
)
_SPAN = (
    rf"(?:the\s+)?(?:very\s+)?(?:first|last|final)\s+{_TIME}|(?:between|from)\s+{_TIME}\s*"
    rf"(?:and|to|until|till|through|-)\s*{_TIME}|{_TIME}\s*(?:to|-|until|till)\s*{_TIME}"
)
_SPANS = rf"(?:{_SPAN})(?:\s*(?:,|and|or|,\s*and)\s+(?:{_SPAN}))*"
"""A span of time said on its own ("the first 5 seconds", "10 to 20 seconds"), or several."""
_AS_IS = (
    r"(?:alone|untouched|unchanged|unedited|unaltered|unmodified|unblurred|intact|clean|normal|"
    r"original|out|(?:exactly )?(?:as|the way|how) (?:it|they|that|those|these) (?:is|are|was|"
    r"were|looks?|looked)|as is|as-is|as they are|the same|in peace|on their own|by themselves)"
)
"""What a span left alone stays as: "alone", "as they are", "untouched"."""
_LEAVE = re.compile(
    r"(?:,\s*)?(?:\bbut\s+)?(?:\band\s+)?\b(?:leave|leaving|keep|keeping|let)\s+"
    rf"(?P<span>(?:the\s+)?(?:very\s+)?(?:first|last|final|between|from|\d)[^,;]*?)\s+{_AS_IS}"
    r"(?:\s+(?:please|though))?\b"
)
_HANDS_OFF = re.compile(
    r"(?:,\s*)?(?:\bbut\s+)?\b(?:(?:don'?t|do not|never|please don'?t)\s+(?:you\s+)?|"
    r"without\s+|not\s+)(?:touch|touching|change|changing|edit|editing|alter|altering|modify|"
    r"modifying|affect|affecting|mess with|messing with|do anything (?:to|in|during|with))"
    rf"\s+(?:anything\s+(?:in|during)\s+)?(?P<span>{_SPANS})"
)
_STAYS = re.compile(
    rf"(?:,\s*)?(?:\bbut\s+)?(?P<span>{_SPANS})\s+(?:(?:should|must|can|will|need to|needs to|"
    r"has to|have to|ought to)\s+)?(?:stay|stays|remain|remains|be left|are left|is left|"
    rf"be kept|are kept|left|kept)\s+{_AS_IS}\b"
)

_EXCEPTED = re.compile(
    rf"(?:,\s*)?(?:\bwith\s+)?(?P<span>{_SPANS})\s+(?:excepted|excluded|aside|left out|not "
    r"included|spared)\b"
)
"""An exclusion said after its span: "blur everything, the opening 4 seconds excepted"."""
_IT_AS_IS = (
    r"(?:just\s+)?(?:leave|keep|let)\s+(?:it|that|this|everything|things|the (?:background|"
    rf"video|bg))\s+(?:be\s+)?{_AS_IS}"
)
_ORIGINAL = (
    r"(?:just\s+)?(?:leave|keep|show|use)\s+(?:the\s+)?(?:original|real|normal|actual|untouched|"
    r"unedited)(?:\s+(?:background|backdrop|bg|scene|video|footage|look))?"
)
_LEAVE_IT = (
    re.compile(rf"\b(?:for|during|in|over)\s+(?P<span>{_SPANS})\s*,?\s+{_IT_AS_IS}\b"),
    re.compile(
        rf"(?:,\s*)?(?:\bbut\s+)?\b{_IT_AS_IS}\s+(?:for|during|in|over)\s+(?P<span>{_SPANS})"
    ),
    # "…, but keep the original for the first 2 s": that time keeps the source's background
    re.compile(
        rf"(?:,\s*)?(?:\b(?:but|and|except|though)\s+)?\b{_ORIGINAL}\s+(?:(?:for|during|in|"
        rf"over|through)\s+)?(?P<span>{_SPANS})"
    ),
)
"""A span said with "leave it as it is": "for the first 5 s leave it as it is", "keep it
unchanged during the last 3 s"."""


def mark_exclusions(text: str) -> str:
    """ "but not in the final second", "other than the last 5 s", "leave the first 8 s
    alone", "don't touch the first 2 seconds", "the last 5 s should stay as they are" →
    ``except <times>``."""
    for pattern in (_STAYS, _EXCEPTED, *_LEAVE_IT):
        text = pattern.sub(lambda m: f" except {m.group('span')}", text)
    text = _HANDS_OFF.sub(lambda m: f" except {m.group('span')}", text)
    text = _LEAVE.sub(lambda m: f" except {m.group('span')}", text)
    return _EXCLUDE.sub(" except ", text)


# -- filler ------------------------------------------------------------------------------------
_FILLERS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\b(?:u+m+|u+h+m*|e+r+m*|h+m+|a+h+|e+h+|mm+)\b[,.]?",
        r"\bthanks? (?:so|very) much\b|\bthank you(?: (?:so|very) much)?\b|\bthanks for watching"
        r"\b|\bthanks\b|\bthx\b|\bcheers\b|\bmuch appreciated\b|\bappreciate it\b",
        r"\b(?:please|plz|pls|kindly)\b",
        r"\blike (?=\d|about\b|around\b)|\bor so\b|\bgive or take\b",
        r"(?<!\bthe )\b(?:you know|i guess|i suppose|i think|like i said|so yeah|yeah|yep|cool|"
        r"great|"
        r"perfect|nice|awesome|alright|all right|right|anyway|basically|whatever|bye|goodbye|"
        r"see you|hey(?: backdrop| there)?|hi(?: backdrop)?|hello backdrop)\b[,.]?(?!\s+(?:to|of|"
        r"edge|side|half|now)|(?:'s| is)? (?:behind|around) )",
        r"\b(?:if you (?:don't|do not) mind|if (?:that's|that is|it's|it is) (?:ok(?:ay)?|"
        r"possible|alright|fine)|if you can|if possible|when you get a chance|for me|"
        r"that would be (?:great|nice|good|awesome|perfect)|that'd be (?:great|nice)|"
        r"is that (?:possible|ok(?:ay)?|alright)|would you be so kind as to|"
        r"(?:i was|i'm) wondering if you could|is it possible to|do you think you could|"
        r"would you mind|i'd appreciate it if you|could i get|can i get|can i have|"
        r"(?:i would like|i'd like|i'd love|i want|i need)(?: you to| it if you)?|"
        r"let's (?:do|go with|have)|"
        r"go with|how about|what about|start with|to be honest|go ahead(?: and)?)\b",
        r"(?:^|(?<=[,.;] ))(?:ok(?:ay)?|so|well|now|and|first of all|first(?! \d| or\b| and\b)|"
        r"to start(?: with)?|at first)\b[,.]?",
        r"\b(?:ok(?:ay)?|so|now)[.,?!]*\s*$",
    )
)
_STUTTER = re.compile(r"\b(?!(?:undo|redo)\b)(\w+(?:\s+\w+)?)(?:\s*,\s*|\s+)\1\b")
"""A word (or two) said twice ("make, make it"); never "undo, undo", which is two undos."""


_DROP_VERB = r"(?:lose|remove|drop|hide|cut(?: out)?|get rid of|delete|erase|ditch|take out|blank)"
_EVERYONE = (
    r"(?:every(?:one|body)|any(?:one|body)|all (?:of )?the (?:other )?(?:people|persons|others)|"
    r"the others|the other (?:people|persons|ones?|guys?|person|folks)|the rest of (?:them|the "
    r"people|us)|(?:all )?the people)"
)
_OTHERS_TOO = re.compile(
    rf"(?:\s*,\s*|\s+)(?:and\s+)?{_DROP_VERB}\s+{_EVERYONE}(?:\s+else)?\b"
    rf"|\b{_DROP_VERB}\s+{_EVERYONE}\s+else\b(?:\s*,\s*|\s+)(?:and\s+)?(?=keep\b)"
)
_ALL_BUT = re.compile(
    rf"\b{_DROP_VERB}\s+{_EVERYONE}(?:\s+else)?\s+(?:but|except(?: for)?|apart from|other than|"
    r"besides|save for)\s+"
)
_LIKE = re.compile(r"(?:,\s*)?\blike\s*,\s*|,\s*like\s+(?=(?:just|only|the|me|my|a|an)\b)")
_VERB_COMMA = re.compile(
    r"\b(keep|show|leave|lose|remove|blur|make)\s*,\s*"
    r"(?=(?:just|only|the|me|my|him|her|it|us|them)\b)"
)


_JUST_ME = re.compile(
    r"^\s*(?:(?:u+m+|u+h+|er+m?)[\s,]+)*(?:(?:i (?:only |just )?(?:want|need)|give me|show me)\s+"
    r"(?:just\s+|only\s+)?|(?:just|only)\s+)(?=(?:me|myself|us|him|her|them|the "
    r"(?:person|speaker|guy|woman|man|presenter|host))"
    r"(?:[\s,]+(?:please|thanks|thank you|then))*[\s,.]*$)"
)


_BLUR_ALL_BUT = re.compile(
    rf"\bblur\s+{_EVERYONE}(?:\s+else)?\s+(?:but|except(?: for)?|apart from|other than|besides)\s+"
)
_BEHIND_TALKER = re.compile(
    r"\b(?:behind|around)\s+(?=(?:whoever(?:'s| is)|the (?:current |active )?speaker\b|the person "
    r"(?:who(?:'s| is) )?(?:talking|speaking)|the one (?:who(?:'s| is) )?(?:talking|speaking)))"
)
_CUT_OUT_TALKER = re.compile(
    r"\bcut\s+out\s+(?=(?:whoever(?:'s| is)|the (?:current |active )?speaker\b|the person "
    r"(?:who(?:'s| is) )?(?:talking|speaking)))"
)


_UNKEEP = re.compile(
    r"\b(?:don'?t|do not|stop|no longer|quit|no need to)\s+(?:keep(?:ing)?|follow(?:ing)?|"
    r"focus(?:ing)? on|isolat(?:e|ing))\s+(?:only\s+|just\s+)?(?:the (?:current |active )?speaker|"
    r"whoever(?:'s| is)? (?:talking|speaking)|the (?:person|one|guy|woman|man) (?:who(?:'s| is)? "
    r"(?:talking|speaking)|on the (?:left|right)|in the (?:middle|centre|center)|in \w+)|the "
    r"(?:talking|speaking) (?:person|one))"
)


_NOBODY = r"(?:nobody|no one|no-one|noone|no other (?:people|persons?|ones?|guys?))"
_ME = r"(?:me|myself|us)"
_IN_FRAME = (
    r"(?:\s+(?:in|on|within)\s+(?:the\s+)?(?:frame|shot|picture|video|clip|screen|camera|scene)"
    r"|\s+(?:left|visible|showing|on (?:screen|camera)))?"
)
_ME_ONLY = re.compile(
    rf"\b{_NOBODY}\s+(?:else\s+)?(?:but|except(?: for)?|apart from|other than|besides|save(?: "
    rf"for)?)\s+(?P<a>{_ME})\b{_IN_FRAME}"
    rf"|\b(?:(?:make|have) it so (?:that )?|so that )?(?:(?:it'?s|it is|it should be|there'?s|"
    rf"there is|there should be|i want it to be|i want)\s+)?(?:just|only)\s+(?P<b>{_ME})"
    rf"(?:\s+alone)?"
    rf"\b{_IN_FRAME}"
    rf"|\b(?:just|only)\s+(?:leave|show)\s+(?P<c>{_ME})\b{_IN_FRAME}"
    rf"|^\s*(?P<d>{_ME})\s+(?:alone|only)\b{_IN_FRAME}"
    rf"|\b(?:i|we)\s+(?:want|need|would like|'d like)\s+to\s+be\s+the\s+only\s+(?:one|person|"
    rf"people)\b{_IN_FRAME}"
)
"""Only the person speaking stays, said without a verb: "make it so it's just me", "nobody but
me", "only me in the frame", "me alone in the shot", "I want to be the only one in the video"
→ "keep only me"."""
_NOBODY_ELSE = re.compile(
    rf"(?:^|\s*[,;]\s*|\s+)(?:and\s+)?{_NOBODY}\s+else\b{_IN_FRAME}(?:\s*[,;]\s*|\s*$)"
)
"""A "nobody else" said beside a keep ("just me, nobody else"): what "keep only" says."""
_KEEP_VERB = re.compile(
    r"\b(?:keep|show|leave|focus on|blur|remove|lose|hide|cut|make|for|to|with|of|at|by|than)\s*$"
)


def _me_only(text: str) -> str:
    """ "it's just me, nobody else" → "keep only me" (see :data:`_ME_ONLY`); a verb before it
    ("keep only me", "blur only me") says it already."""

    def repl(m: re.Match[str]) -> str:
        if _KEEP_VERB.search(text[: m.start()]):
            return m.group(0)
        return f"keep only {m['a'] or m['b'] or m['c'] or m['d'] or 'me'}"

    text = _ME_ONLY.sub(repl, text)
    if re.search(r"\bkeep only\b", text):
        text = _NOBODY_ELSE.sub(" , ", text)
    return text


def others_phrases(text: str) -> str:
    """ "keep the person talking and lose everyone else" → "keep the person talking" (the
    others go with "keep"; not "remove every person"), "remove everyone except me" → "keep only
    me", "keep, like, just me" → "keep just me"."""
    text = _VERB_COMMA.sub(r"\1 ", _LIKE.sub(" ", text))
    text = _me_only(text)  # "make it so it's just me, nobody else": keep only me
    text = _UNKEEP.sub("keep the main person", text)  # "don't keep the speaker": the default
    text = _ALL_BUT.sub("keep only ", _JUST_ME.sub("keep only ", text))
    text = _BLUR_ALL_BUT.sub("blur the background and keep only ", text)
    text = _BEHIND_TALKER.sub("and keep ", text)  # "remove the background behind the speaker"
    text = _CUT_OUT_TALKER.sub("remove the background and keep ", text)
    keeps = re.search(r"\b(?:keep|show|leave|focus on|only)\b", text) is not None
    return _OTHERS_TOO.sub(lambda m: " " if keeps or "else" in m.group(0) else m.group(0), text)


def drop_filler(text: str) -> str:
    """Hesitations, politeness and sign-offs removed; "make, make it" → "make it"."""
    for pattern in _FILLERS:
        text = pattern.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for _ in range(2):
        text = _STUTTER.sub(r"\1", text)
    text = re.sub(r"(?:\s*,\s*){2,}", ", ", text)
    return re.sub(r"^[\s,.;]+|[\s,;]+$", "", text)


__all__ = [
    "FIX",
    "NeedsPosition",
    "drop_filler",
    "others_phrases",
    "fix_typos",
    "mark_corrections",
    "mark_exclusions",
    "now_phrases",
    "spoken_times",
    "words_to_numbers",
]
