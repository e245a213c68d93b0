"""Adjustments said as amounts or directions, and the colour stops of a gradient: strengths as
scores ("three out of ten", "7/10", "blur at 0.9"), levels reached by a verb ("drop it to half
opacity"), directions said with "less" ("less dark" = lighter), "lighten it up a touch", a colour
added to a gradient ("add yellow on the end"), "start over", and questions about the files.

Strength levels are 0..1 (written as percentages in the text, which the strength rules read);
times are never read from these phrases."""

from __future__ import annotations

import re

from backdrop.agent.interpret.lexicon.colours import SAID_COLOUR

# -- scores and fractions → percentages ---------------------------------------------------------
_SCORE = re.compile(
    r"(?<![\d.:/])(?P<n>\d+(?:\.\d+)?)\s*(?:out of|outta|/|on a scale of(?: 0 to| 1 to)?)\s*"
    r"(?P<d>5|10|100)\b(?![.:/]\d)(?!\s*(?:seconds?|secs?|s\b|minutes?|mins?|m\b))"
)
"""A score: "3 out of 10", "7/10", "8 on a scale of 10"."""
_STRENGTH_WORD = re.compile(
    r"\b(?:blur\w*|opacity|opaque|strength|strong|intensity|level|amount|transparen\w*|"
    r"see-through|visible|visibility)\b"
)
_FRACTION = re.compile(
    r"\b(?P<pre>at|to|of|strength|level|intensity|opacity|amount|blur|is|be|=|:)\s+"
    r"(?:(?:about|around|roughly|like|maybe)\s+)?(?P<n>0?\.\d+|point \d+)(?![\d.:%])"
    r"(?!\s*(?:%|percent|seconds?|secs?|s\b|minutes?|mins?|m\b|h\b|hours?))"
)
"""A fraction said as the level of a strength word ("blur at 0.9", "strength 0.25")."""
_TIME_VERB = re.compile(
    r"\b(?:start(?:s|ing)?|begin(?:s|ning)?|end(?:s|ing)?|stop(?:s|ping)?|from|until|till|up)\s*$"
)
"""Words before "at 0.5" / "to 0.5" that make it a time, not a level."""
_TRANSPARENT_BY = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:%|percent)\s+(?:transparent|see-through)\b")
"""How transparent, as a percentage: the opacity is the rest ("25 % transparent" = 75 %)."""
_TO_LEVEL = re.compile(
    r"\b(?:drop|lower|reduce|decrease|bring|turn|dial|take|knock|cut|tone|pull|raise|increase|"
    r"bump|boost|push|crank)\s+"
    r"(?P<obj>it|that|this|(?:the\s+)?(?:opacity|strength|blur|colou?r|background|bg|backdrop|"
    r"effect|level|intensity|amount))(?:\s+(?:down|back|up))?\s+to\b"
    r"(?=\s+(?:(?:like|about|around|roughly|maybe)\s+)?(?:\d+(?:\.\d+)?\s*(?:%|percent)|half\b|"
    r"a quarter\b|quarter\b|zero\b|nothing\b|minimum\b|low\b))"
)
"""A level reached by a lowering verb: "drop it to half opacity" sets it, removes nothing."""


def scores_to_percent(text: str) -> str:
    """Strength scores and fractions as percentages: "3 out of 10" → "30%", "blur at 0.9" →
    "blur at 90%" (only in a sentence about a strength, so "at 0.9" stays a time elsewhere),
    "25% transparent" → "75% opacity", and "drop it to …" → "set it to …"."""

    def score(m: re.Match[str]) -> str:
        n, d = float(m.group("n")), float(m.group("d"))
        return m.group(0) if n > d else f"{100 * n / d:g}%"

    def fraction(m: re.Match[str]) -> str:
        if _TIME_VERB.search(text[: m.start()]):
            return m.group(0)  # "blur it starting at 0.5": a time
        n = float(m.group("n").replace("point ", "0."))
        return f"{m.group('pre')} {100 * n:g}%"

    text = _SCORE.sub(score, text)
    if _STRENGTH_WORD.search(text):
        text = _FRACTION.sub(fraction, text)
    text = _TRANSPARENT_BY.sub(lambda m: f"{100 - float(m.group(1)):g}% opacity", text)
    return _TO_LEVEL.sub(lambda m: f"set {m.group('obj')} to", text)


# -- directions said with "less", "too", "lighten" ----------------------------------------------
_SHADE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\b(?:less|not (?:as|so|that)|too)\s+(?:dark|dim|deep|black|gloomy)\b", "lighter"),
        (r"\b(?:less|not (?:as|so|that)|too)\s+(?:light|bright|pale|white|washed out|glaring)\b",
         "darker"),
        (r"\b(?:lighten|brighten)(?:\s+(?:it|that|this|things|the\s+(?:background|bg|backdrop|"
         r"colou?r|gradient)))?(?:\s+up)?\b(?!\s+(?:me|him|her|them|us|the\s+(?:person|face|"
         r"subject|lighting|video|footage|edges?)))", "lighter"),
        (r"\bdarken(?:\s+(?:it|that|this|things|the\s+(?:background|bg|backdrop|colou?r|"
         r"gradient)))?(?:\s+down)?\b(?!\s+(?:me|him|her|them|us|the\s+(?:person|face|subject|"
         r"lighting|video|footage|edges?)))", "darker"),
    )
)  # fmt: skip


_ABOUT_PEOPLE = re.compile(
    r"\b(?:i'm|i am|me|my|he|she|him|her|his|they|them|face|faces|skin|person|people|subject|"
    r"lighting|exposure|video|footage|clip|edges?|hair|outline|the light|lights|window|sun|room|"
    r"picture|frame|shot|scene)\b"
)
"""Words that put "too dark" on the person or the picture, not on the background colour."""


def shade_words(text: str) -> str:
    """ "less dark" / "too dark" → "lighter", "not as bright" → "darker", "lighten it up" →
    "lighter": the direction of the colour, never a strength (left as said when the sentence
    is about the person or the picture: "my face is too dark")."""
    if _ABOUT_PEOPLE.search(text):
        return text
    for pattern, repl in _SHADE_WORDS:
        text = pattern.sub(repl, text)
    return text


LESS_HUE = re.compile(
    r"\b(?:less|not (?:as|so)|too)\s+(?P<hue>red|green|blue|yellow|orange|pink|purple|brown|"
    r"teal|cyan|magenta|violet)(?:dish|ish)?\b"
)
"""Taking a hue out of a colour ("less red"): asked about, never read as a strength."""

# -- a colour added to a gradient ---------------------------------------------------------------
_COL = SAID_COLOUR
STOP_NOUN = re.compile(
    r"\b(?:(?:a|an|another|one more|the|one)\s+)?(?:(?:3rd|third|4th|fourth|5th|fifth|new|extra|"
    r"more|last|final|additional|other|further)\s+)?(?:colou?r|stop|band|shade|tone)"
    r"(?:\s+stop)?s?\b"
)
"""A gradient stop as a noun: "a third colour", "another colour stop"."""
APPEND_HEAD = re.compile(
    r"^\s*(?:(?:and|also|then|now|can you|could you|can we|could we|can i|could i|let's|maybe)"
    r"\s+)*(?:(?P<verb>add|ad|append|tack|stick|put|throw|pop|include|insert|have|use|get|want|"
    r"finish with|end with|start with|begin with)\b(?:\s+(?:on|in))?"
    r"|(?=(?:a|an|another|one more)\s+(?:(?:3rd|third|4th|fourth|new|extra|additional)\s+)?"
    r"colou?r\b)"
    rf"|(?=(?:(?:a|an|some)\s+)?{_COL}\s*,?\s+(?:on|at|in|onto)\s+the\s+(?:very\s+)?(?:end|"
    r"start|beginning|middle|top|bottom|left|right)\b))"
)
"""The start of a clause adding a gradient stop: a verb, or "a third colour …"."""
APPEND_WHERE = re.compile(
    r"\b(?:on|onto|at|to|in|into)\s+(?:the\s+)?(?:very\s+)?(?P<where>end|start|beginning|front|back|bottom|"
    r"top|middle|centre|center|left|right)(?:\s+of\s+(?:it|the\s+(?:gradient|blend|background|"
    r"bg|backdrop|colou?rs)))?\b|\b(?:on|onto|to|into)\s+(?:it|the\s+(?:gradient|blend|mix|"
    r"colou?rs))\b"
)
WHERE = {
    "end": "end", "bottom": "end", "right": "end", "back": "end",
    "start": "start", "beginning": "start", "front": "start", "top": "start", "left": "start",
    "middle": "middle", "centre": "middle", "center": "middle",
}  # fmt: skip
"""Where a stop goes in the gradient's colour list (linear gradients run top → bottom and left
→ right by default)."""
APPEND_NOISE = re.compile(
    r"\b(?:a|an|some|the|too|as well|also|please|one|it|stop|of|as|colou?r|onto?|at|to|in|"
    r"with)\b|[\s,.:;-]+"
)
"""Words that may stay around the colour of an added stop."""
_APPEND_VERBS_ALONE = ("append", "tack", "finish with", "end with", "start with", "begin with")


def append_verb_alone(verb: str | None) -> bool:
    """Whether the verb says "add a stop" without a place or "colour" noun ("append gold")."""
    return verb in _APPEND_VERBS_ALONE


RESTOP = re.compile(
    r"^\s*(?:(?:can you|could you|and|now)\s+)*(?:make|change|set|turn|switch|swap)\s+the\s+"
    r"(?P<which>first|second|third|last|final|top|bottom|middle|end|start|left|right)\s+"
    r"(?:colou?r|stop|one|band|shade)(?:\s+stop)?\s+(?:to\s+|into\s+|for\s+)?(?:a\s+|an\s+)?"
    rf"(?P<c>{_COL})\s*$"
)
"""One stop of a gradient set to a colour: "make the last colour navy"."""
_PART = r"(?:first|last|final|top|bottom|end|start|beginning|left|right)"
_PART_TAIL = (
    r"(?P<side>(?:\s+(?:side|end|edge|part|bit|half))?)"
    r"(?P<named>(?:\s+of\s+(?:the\s+|my\s+|that\s+)?(?:gradient|fade|blend))?)"
)
RESTOP_PART = re.compile(
    r"^\s*(?:(?:can you|could you|please|and|now|ok(?:ay)?|so)[\s,]+)*(?:"
    rf"(?:make|change|set|turn|switch|colou?r|paint)\s+the\s+(?P<which>{_PART}){_PART_TAIL}\s+"
    r"(?:to\s+|into\s+)?(?:a\s+|an\s+)?"
    rf"|the\s+(?P<which2>{_PART})(?P<side2>(?:\s+(?:side|end|edge|part|bit|half))?)"
    r"(?P<named2>(?:\s+of\s+(?:the\s+|my\s+|that\s+)?(?:gradient|fade|blend))?)\s+"
    r"(?:should|must|needs to|has to|can|could|ought to)\s+be\s+(?:a\s+|an\s+)?)"
    rf"(?P<c>{_COL})(?:\s+(?:please|instead|then))?\s*[.!]?\s*$"
)
"""One end or side of a gradient set to a colour, said without "colour"/"stop": "make the end of
the gradient white", "make the right side white", "the end should be white". "the end"/"the
start" with neither "of the gradient" nor a side word may mean the end of the video, so the
reader marks it ambiguous (asked about, never guessed)."""
STOP_INDEX = {
    "first": 0, "top": 0, "start": 0, "beginning": 0, "left": 0, "second": 1, "third": 2,
    "last": -1, "final": -1, "bottom": -1, "end": -1, "right": -1,
}  # fmt: skip
"""Which stop (an index into the colour list) a word names; "middle" is the middle one."""

# -- start over, questions about the files, other people -----------------------------------------
START_OVER = re.compile(
    r"^\s*(?:(?:let's|let us|i want to|i'd like to|can we|could we|we should|just)\s+)?"
    r"(?:start (?:over|again|afresh|from scratch|from the beginning)|begin again|(?:throw|chuck) "
    r"(?:it all|everything) (?:away|out)|(?:go )?back to (?:the )?original(?: video)?|restore the "
    r"original(?: video)?|reset"
    r"(?: (?:it|everything|all|the (?:plan|edits?|changes|whole thing)))?|clear (?:everything|"
    r"all (?:the )?(?:edits|changes)|the (?:plan|edits|changes))|start with a clean slate|"
    r"wipe (?:the slate|everything)(?: clean)?|from scratch|(?:scrap|ditch|bin|trash|wipe|clear|"
    r"undo|lose|throw away|throw out) (?:everything|it all|all of it|all (?:the |my )?(?:edits|"
    r"changes))(?:,?\s+and\s+"
    r"(?:start (?:over|again|afresh|from scratch)|begin again))?)(?:\s+(?:again|please|"
    r"from scratch|then))*\s*$"
)
"""Throwing the whole plan away ("start over"): one step, so "undo" brings it back."""
FILES_QUESTION = re.compile(
    r"^\s*(?:(?:so|and|ok(?:ay)?|hey|um|well)[\s,]+)*(?:(?:what|which)\b(?:(?!\b(?:make|blur|"
    r"remove|fade|turn|change)\b).)*\b(?:files?|backgrounds|images|videos|pictures|photos|"
    r"clips)\b(?:(?!\b(?:make|blur|remove|fade|turn|change)\b).)*$"
    r"|(?:is there|are there|do i have|have i got|have we got|do we have|got)\s+(?:any|an?|some)?"
    r"\s*(?:other\s+)?(?:background\s+)?(?:files?|backgrounds?|images?|videos?|pictures?|photos?|"
    r"clips?)\b[^,;.]*$|(?:(?:can|could) you\s+)?"
    r"(?:list|show me|tell me(?: about)?|name)\s+(?:the\s+|my\s+|all\s+(?:the\s+)?)?(?:background"
    r"\s+)?(?:files|backgrounds|images|videos|pictures|photos|clips)\b[^,;.]*$)"
)
"""A question about which background files there are ("which background files have I got?")."""
_PERSON = (
    r"(?:person|people|guy|guys|man|men|woman|women|girl|boy|kid|child|lady|dude|fella|"
    r"(?<=other )one|(?<=another )one)"
)
OTHER_PERSON = re.compile(
    r"\b(?:remove|delete|erase|get rid of|take out|cut out|hide|lose|drop|blur|mask out|"
    r"eliminate)\s+(?P<obj>(?:the\s+|that\s+|this\s+)?(?:(?P<which>other|second|2nd|third|3rd|"
    r"extra|another|background|random|left|right)\s+)?(?P<who>"
    + _PERSON
    + r")\b(?P<where>\s+(?:(?:behind|next to|beside)(?:\s+(?:me|him|her|us|them))?|"
    r"on the (?:left|right)|in the (?:back(?:ground)?|middle|corner)))?)"
)
"""Taking one person out while another stays: a question, since who is who needs pointing."""
