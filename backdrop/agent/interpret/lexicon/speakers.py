"""How many people talk in the video, said by the person: "there are two speakers", "3 people
talk in this video", "it's a conversation between two people", "only one person speaks".

The count goes to the ``set_speaker_count`` tool; speaker turns are then clustered into that many
voices once the whole video is heard. It is not part of the edit plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPK = r"(?:speakers?|voices?|talkers?)"
_PPL = r"(?:people|persons?|participants?|men|women|guys|folks)"
_WHO = rf"(?:{_SPK}|{_PPL})"
_TALK = r"(?:talk(?:s|ing)?|speak(?:s|ing)?|(?:are |is )?talking|(?:are |is )?speaking)"
_PLACE = r"(?:\s+(?:in|on)\s+(?:this|the|my)\s+(?:video|clip|recording|meeting|call|file))?"
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "fifty": 50,
    "zero": 0, "no": 0, "a": 1, "an": 1,
    "a couple of": 2, "a pair of": 2, "a hundred": 100, "a thousand": 1000,
}  # fmt: skip
_N = rf"(?P<n>-?\d+|{'|'.join(sorted(_NUMBERS, key=len, reverse=True))})"
_COUNT = tuple(
    re.compile(rf"\b{p}\b")
    for p in (
        rf"(?:there\s*(?:are|is|'re|'s|were|will be)|we\s*(?:are|'re)|it'?s|it\s+is|this\s+is|"
        rf"(?:the|this|my)\s+(?:video|clip|recording|meeting|call|file)\s+has|(?:use|expect|"
        rf"assume|find|look for|split (?:it |them |the voices )?into))\s+(?:only\s+|just\s+|"
        rf"exactly\s+)?{_N}\s+(?:{_SPK}(?:\s+{_TALK})?|{_PPL}\s+{_TALK}){_PLACE}",
        rf"(?:only\s+|just\s+)?{_N}\s+{_WHO}\s+{_TALK}{_PLACE}",
        rf"(?:(?:it'?s|this is|it is)\s+)?(?:a\s+)?(?:conversation|dialogue|interview|meeting|"
        rf"call|talk)\s+(?:between|with|of)\s+{_N}\s+{_WHO}",
        rf"(?:the\s+)?(?:number of )?(?:speakers?|voices?)\s*(?:is|are|=|:)\s*{_N}",
    )
)


@dataclass(frozen=True)
class SpeakerCount:
    """A number of speakers said, and where (``start``/``end`` index into the text)."""

    n: int
    start: int
    end: int


def find_speaker_count(text: str) -> tuple[SpeakerCount | None, str]:
    """The number of speakers said in ``text`` and the text without that phrase.

    Number words up to twelve (and a few round ones) are read ("two" → 2). The count is
    returned as said (0 or 500 too), so the tool can say why it cannot be used.
    """
    low = text.lower().replace("’", "'")  # same length: positions hold in ``text``
    m = next((m for p in _COUNT if (m := p.search(low)) is not None), None)
    if m is None:
        return None, text
    said = m.group("n")
    n = _NUMBERS[said] if said in _NUMBERS else int(said)
    rest = (text[: m.start()] + " " + text[m.end() :]).strip(" ,.;!?")
    return SpeakerCount(n, m.start(), m.end()), rest
