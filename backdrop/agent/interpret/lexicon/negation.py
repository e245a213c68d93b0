"""A colour said as what the background should NOT be: "not blue", "anything but green", "I
don't want red", "any colour except red", "red rather than blue".

Such a colour is taken out of the clause before colours are read, so it is never applied (it
used to be: "make the background not blue" made it blue, "make it red, not blue" a red-to-blue
gradient). With no other colour left, the interpreter asks which colour is wanted.
"""

from __future__ import annotations

import re

from backdrop.agent.interpret.lexicon.colours import SHADED_NAME

_COL = SHADED_NAME
NEGATED_COLOUR = re.compile(
    r"\b(?:not|never|anything\s+(?:but|except|other than|besides)|any\s+(?:other\s+)?"
    r"colou?r\s+(?:but|except|apart from|other than|besides)|(?:i\s+)?(?:don'?t|do not|didn'?t|"
    r"did not)\s+(?:want|like|need|use|mean|ask for|make it|do|go with)(?:\s+it)?|rather than"
    r"|other than)\s+(?:(?:a|an|the|that|this|it|any|with|to be|be)\s+)?(?P<c>" + _COL + r")"
    r"(?:\s+(?:one|colou?r|background|bg))?\b"
)


def take_negated_colours(text: str) -> tuple[list[str], str]:
    """The colour words said as not wanted in ``text`` (lower-case, as said) and ``text``
    without those phrases."""
    found: list[str] = []
    while (m := NEGATED_COLOUR.search(text)) is not None:
        found.append(m.group("c"))
        text = text[: m.start()] + " " + text[m.end() :]
    return found, text
