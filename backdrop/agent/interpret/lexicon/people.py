"""People: keeping the person, the speaker (the one table both interpreters read "keep the
speaker" with), boxes and points, person selectors ("the one on the left"), and refusing to
remove everyone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backdrop.agent.interpret.lexicon.backgrounds import DETERMINER

KEEP_PERSON = re.compile(
    r"\b(?:keep|preserve|retain|leave in|don'?t remove|do not remove)\s+(?:only\s+|just\s+)?"
    + DETERMINER
    + r"(?:person|people|me|myself|speaker|subject|us|man|woman|guy|girl|host|presenter|him|"
    r"her|them|face|body|foreground)\b(?:\s+(?:who|that)\s+(?:is\s+)?\w+)?"
)

NOBODY = re.compile(
    r"\b(?:remove|delete|erase|get rid of|take out|cut out|hide|lose|eliminate|drop)\s+"
    r"(?:(?:all|every|each)\s+)?(?:of\s+)?(?:the\s+)?(?:me|myself|him|her|them|us|everyone|"
    r"everybody|anyone|anybody|person|people|persons|speaker|speakers|subject|man|woman|guy|girl|"
    r"host|presenter|humans?)\b(?!\s+(?:out\b|from\b(?!\s+(?:the |this |my )?(?:video|clip|shot|"
    r"frame|picture|scene|footage|image)\b)))"
    r"|\b(?:don'?t|do not|never)\s+keep\s+(?:anybody|anyone|any ?one|the person|me|him|her|"
    r"them|people|us)\b|\bkeep\s+(?:nobody|no ?one|no people)\b"
)
_WHO = (
    r"(?:me|myself|him|her|them|us|everyone|everybody|(?:the |all (?:the )?)?(?:person|people|"
    r"persons|speakers?|subject|man|woman|guy|girl|host|presenter|humans?))"
)
_ALL = (
    r"\b(?:everything|all of it|the (?:whole|entire|full) (?:frame|video|picture|thing|shot|"
    r"screen|image|scene))\b"
)
_GAP = r"(?:(?!\b(?:except|but|other than|apart from|besides|behind|around|keep|not)\b)[^.;])*?"
"""Words between "everything" and "including me" ("cover everything in red including me"),
not a word that exempts the person."""
# Said together with a background change, these take the person away too, so they are refused
# even beside "cut me out": "remove the background and the person", "blur everything including
# me", "make me invisible", "keep only the room".
NOBODY_TOO = re.compile(
    r"\b(?:remove|delete|erase|get rid of|take out|cut out|hide|lose|eliminate|drop)\s+(?:the\s+)?"
    r"(?:background|bg|backdrop|scene|room)\s+(?:and|as well as|plus|along with)\s+(?:also\s+)?"
    + _WHO
    + r"\b(?=\s*(?:$|[,.;!?]|(?:too|as well|also|please|thanks)\b))"
    r"|\b(?:everything|all of it|the whole (?:frame|video|picture|thing|shot))\s*,?\s+"
    r"(?:including|incl\.?|even|with|and|plus)\s+" + _WHO + r"\b"
    r"|"
    + _ALL
    + _GAP
    + r"(?:including|incl\.?|even|along with|and also|as well as)\s+"
    + _WHO
    + r"\b|"
    + _ALL
    + _GAP
    + _WHO
    + r"\s+(?:included|too|as well|also)\b"
    r"|\b(?:make|turn|paint|colou?r|blur|cover|fill|fade)\s+(?:both\s+)?(?:the\s+)?(?:background|"
    r"bg|backdrop|scene|room)\s+(?:and|as well as|plus|along with)\s+" + _WHO + r"\b"
    r"(?!\s+(?:else|behind|in the back|at the back|walking|standing|sitting|who|that|sharp|"
    r"in focus|stays?|visible|alone|untouched|intact|as (?:is|it is))\b)"
    r"|\b(?:make|turn)\s+" + _WHO + r"\s+(?:invisible|disappear|vanish|transparent|see-through)\b"
    r"|\bkeep\s+(?:only|just)\s+(?:the\s+)?(?:empty\s+)?(?:room|background|backdrop|scene)\b"
    # "cut me out so only the background is left", "leave nothing but the room"
    r"|\b(?:only|just|nothing but)\s+(?:the\s+)?(?:empty\s+)?(?:room|background|backdrop|scene)"
    r"\s+(?:is\s+|will be\s+)?(?:left|remains?|remaining|stays?|showing|shows|visible)\b"
    r"|\bleave\s+(?:only|just|nothing but)\s+(?:the\s+)?(?:empty\s+)?(?:room|background|"
    r"backdrop|scene)\b"
)


_ACTION = r"(?P<verb>keep|preserve|retain|leave in|remove|delete|erase|get rid of|take out|hide)"
_NUM = r"(\d+(?:\.\d+)?)"
_SEP = r"\s*,\s*|\s+"
KEEP_BOX = re.compile(
    rf"\b{_ACTION}\s+(?:only\s+)?(?:the\s+)?(?:box|region|area|rectangle)\s+(?:from\s+)?"
    rf"{_NUM}(?:{_SEP}){_NUM}(?:{_SEP}|\s+to\s+){_NUM}(?:{_SEP}){_NUM}"
)
KEEP_POINT = re.compile(
    rf"\b{_ACTION}\s+(?:only\s+)?(?:what(?:ever)?\s+is|what's|the (?:thing|object)|the one)"
    rf"\s+at\s+{_NUM}(?:{_SEP}){_NUM}"
)
# "Keep the speaker" in every phrasing, read by both interpreters from this one table: the
# rule-based one keeps whoever talks (or a given id, "S2"); the speech one also resolves "the
# second speaker" against the analysed timeline.
TALK = r"(?:talking|speaking|talks|speaks|talk|speak)"
_TALKING = r"(?:talking|speaking)"
SPEAKER_ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "1": 1, "second": 2, "2nd": 2, "two": 2, "2": 2,
    "third": 3, "3rd": 3, "three": 3, "3": 3, "fourth": 4, "4th": 4, "four": 4, "4": 4,
}  # fmt: skip
ORDINALS = "|".join(sorted(SPEAKER_ORDINALS, key=len, reverse=True))
KEEP_SPEAKER = re.compile(
    r"\b(?:keep|show|leave|preserve|retain|isolate|focus on|follow|stay on)\s+(?:only\s+|just\s+)?"
    r"(?:the\s+)?(?:"
    rf"(?P<ord>{ORDINALS})\s+speaker|speaker\s+(?P<num>{ORDINALS})"
    r"|(?:(?:active\s+|current\s+)?speaker\s+)?s(?P<sid>\d+)"
    r"|(?:person|one|guy|woman|man)\s+(?:who|that)\s+(?:speaks|talks|starts (?:talking|speaking)"
    rf"|is (?:speaking|talking))\s+(?P<ord2>{ORDINALS})(?!\s+(?:time|\d))"
    r"|(?:person|one|people|guy|woman|man|face|speaker)\s+(?:who(?:'s| is| are)?|that(?:'s| is)?)"
    rf"\s+(?:currently\s+|now\s+)?(?:{TALK}|doing the talking)"
    r"|(?:current|active)\s+(?:speaker|talker)"
    rf"|(?:person|one|people|guy|woman|man|face)\s+(?:currently\s+|now\s+)?(?:{_TALKING}"
    r"|doing the talking)|(?:currently\s+)?(?:talking|speaking)\s+(?:person|one|guy|woman|man|"
    r"face|people)"
    rf"|speakers?|talker|who(?:ever)?(?:'s|\s+is|\s+are)?\s+(?:currently\s+|now\s+)?"
    rf"(?:{TALK}|doing the talking))\b(?:\s+only)?"
)


@dataclass(frozen=True)
class SpeakerKeep:
    """A "keep the speaker" phrase: ``ordinal`` (1-based, in order of first speech) or ``sid``
    (a diarized id such as "S2"), or neither (whoever is talking); ``start``/``end`` index the
    phrase in the text it was found in."""

    ordinal: int | None
    sid: str | None
    start: int
    end: int


def find_keep_speaker(text: str) -> SpeakerKeep | None:
    """The first "keep the speaker" phrase in lower-cased ``text``, or ``None``."""
    m = KEEP_SPEAKER.search(text)
    if m is None:
        return None
    n = m.group("ord") or m.group("num") or m.group("ord2")  # "the person who speaks first"
    sid = f"S{m.group('sid')}" if m.group("sid") else None
    return SpeakerKeep(SPEAKER_ORDINALS[n] if n else None, sid, m.start(), m.end())


REMOVE_WORDS = ("remove", "delete", "erase", "get rid of", "take out", "hide")


# -- person selectors (issue 12): "the person on the left", "everyone", "the one in red" ------
_WHO = r"(?:person|one|people|man|woman|guy|girl|kid|child|dancer|player|speaker|presenter)"
_PERSON_SELECTORS: tuple[tuple[str, str], ...] = (
    (
        r"every(?:one|body)|all (?:of )?(?:the |them|us)?\s*(?:people|persons)?"
        r"|both(?: of (?:them|us))?"
        r"|(?:the )?(?:two|three|four|[2-9]) of (?:them|us)|us (?:both|all)",
        "all",
    ),
    (rf"(?:the )?{_WHO} on the left|(?:the )?left(?:most)? {_WHO}", "left"),
    (rf"(?:the )?{_WHO} on the right|(?:the )?right(?:most)? {_WHO}", "right"),
    (
        rf"(?:the )?{_WHO} in the (?:middle|centre|center)"
        rf"|(?:the )?(?:middle|centre|center) {_WHO}",
        "centre",
    ),
    (
        rf"(?:the )?(?:biggest|largest|closest|nearest|tallest) {_WHO}"
        rf"|(?:the )?{_WHO} (?:closest|nearest) to the (?:camera|lens)",
        "largest",
    ),
    (rf"(?:the )?main (?:{_WHO}|subject)", "main"),
    (
        rf"(?:the )?{_WHO} (?:in|wearing|dressed in) (?:a |the )?(?P<colour>red|orange|yellow|green"
        r"|blue|purple|pink|white|black|gr[ae]y)",
        "colour",
    ),
    (r"(?:person |track )?(?P<pid>p\d+)", "id"),
    (
        r"(?:the |that )?(?P<nth>first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|other) "
        rf"(?:{_WHO}|face|figure)(?! on\b| in\b| (?:is|who|that)\b)",
        "nth",
    ),
)
_NTH = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
        "fifth": 5, "5th": 5, "other": 0}  # fmt: skip
_SELECT_PERSON = re.compile(
    r"\b(?:keep|show|preserve|retain|leave in|focus on)\s+(?:only\s+|just\s+)?(?:"
    + "|".join(f"(?P<s{i}>{p})" for i, (p, _) in enumerate(_PERSON_SELECTORS))
    + r")(?:\s+(?:only|in front))?\b"
)


_ALL_BUT_ONE = re.compile(
    r"\s*,?\s*(?:except|but|other than|apart from|besides|save|bar)(?:\s+for)?\s+(?P<who>(?:the |"
    r"that |this )?(?:person|one|guy|woman|man|girl|kid|people|speaker|presenter|me|him|her|them|"
    r"p\d)\b(?:\s+(?:on|in|wearing)\s+(?:the\s+)?\w+)?)"
)
"""Everyone but someone ("keep everyone except the guy on the right"): who stays is not a
selector Backdrop has, so it is asked (it kept everyone under an "Understood")."""


def person_selector(text: str) -> tuple[str | None, str]:
    """``(selector, text without the phrase)`` for "keep the person on the left" and the like
    (see ``_PERSON_SELECTORS``); ``(None, text)`` when the text names no particular people."""
    m = _SELECT_PERSON.search(text)
    if m is None:
        return None, text
    but = _ALL_BUT_ONE.match(text, m.end())
    if but is not None and m.group("s0") is not None:  # "everyone except the guy on the right"
        from backdrop.agent.interpret.errors import Unclear

        raise Unclear(
            f"Who should stay? I can't keep everyone but “{but['who'].strip()}” yet, so I changed "
            "nothing: say who stays instead, for example “keep the person on the left” or “keep "
            "the one in white”."
        )
    for i, (_, sel) in enumerate(_PERSON_SELECTORS):
        if m.group(f"s{i}") is None:
            continue
        if sel == "colour":
            colour = m.group("colour").replace("gray", "grey").replace("grey", "grey")
            sel = f"colour:{colour}"
        elif sel == "id":
            sel = f"id:{m.group('pid').upper()}"
        elif sel == "nth":  # "the second person": who that is depends on the people found
            sel = f"nth:{_NTH[m.group('nth')]}"
        return sel, text[: m.start()] + " " + text[m.end() :]
    return None, text
