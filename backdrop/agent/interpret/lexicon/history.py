"""Undo, redo and "don't" phrasings, with their repeat counts ("undo twice", "undo the last two
changes")."""

from __future__ import annotations

import re

_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|m|hours?|h)"
_NOUN = (
    r"(?:ones?|changes?|steps?|edits?|things?|actions?|instructions?|commands?|moves?|"
    r"requests?)"
)
_DID = r"(?:\s+(?:you|i|we) (?:just )?(?:did|made|said|asked(?: for)?|applied|changed))?"
_LAST = (
    r"(?:,?\s+(?:(?:the|my|your|that|this)\s+)?(?:very\s+)?(?:last|previous|latest|most recent|"
    rf"prior)(?!\s+\d+(?:\.\d+)?\s*{_UNIT}\b)(?:\s+(?P<n>\d+|two|three|couple(?: of)?))?"
    rf"(?:\s+{_NOUN})?{_DID}"
    r"|\s+what (?:you|i|we) (?:just )?(?:did|made|changed)"
    r"|\s+(?:that|the|my|your) (?:change|edit|step))?"
)
"""What is undone, said after the verb: "that last one", "the last two changes", "the previous
step", "the last thing you did". A time after "last" ("undo the last 5 seconds") is not read
here."""
_LAST_CHANGE = (
    r"(?:(?:the|that|my|your|this)\s+)?(?:very\s+)?(?:last|previous|latest|most recent)"
    rf"(?:\s+(?P<n2>\d+|two|three)(?!\s*{_UNIT}\b))?(?:\s+{_NOUN})?{_DID}"
)
_DROP_VERB = (
    r"(?:cancel|remove|delete|drop|scrap|discard|get rid of|ditch|throw away|throw out|erase|"
    r"reverse|bin|lose)"
)
UNDO = re.compile(
    rf"\b(?:{_DROP_VERB}\s+(?=(?:(?:the|that|my|your|this)\s+)?(?:very\s+)?(?:last|previous|"
    rf"latest|most recent)(?:\s+1(?![\d.])(?!\s*{_UNIT}\b)|(?:\s+(?:\d+|two|three)"
    rf"(?!\s*{_UNIT}\b))?\s+{_NOUN}\b))"
    + _LAST_CHANGE
    + r"|take\s+(?:(?:that|it|this)\s+)?"
    + _LAST_CHANGE.replace("P<n2>", "P<n3>")
    + r"\s+back|"
    r"(?:undo|revert|roll back|take back)(?:\s+(?:that|it|this))?" + _LAST + r"|go back"
    r"(?:\s+(?P<steps>one|a|\d+) steps?)?(?! to)|take (?:that|it|this) back|scratch that|"
    r"never ?mind|forget (?:it|that|about (?:it|that))|cancel (?:it|that))\b"
    r"(?:\s+(?P<times>twice|\d+ times|two times|three times))?"
)
DONT = re.compile(r"^(?:no )?(?:don'?t|do not)(?: do (?:it|that))?(?: after all)?$")
REDO = re.compile(
    r"\b(?:redo|re-do|do that again|undo (?:the|that|my|your) undo|(?:bring|put) (?:it|that|this) "
    r"back(?!\s+(?:to|the way|how|as|like))|i want (?:it|that) back)\b"
    r"(?:\s+(?P<times>twice|\d+ times|two times))?"
)
REPEAT = {"twice": 2, "two times": 2, "three times": 3}
COUNTS = {"one": 1, "a": 1, "two": 2, "three": 3, "couple": 2, "couple of": 2}
"""Counts said in words inside an undo ("the last two changes", "go back one step")."""


def history_count(m: re.Match[str]) -> int:
    """How many steps an :data:`UNDO` or :data:`REDO` match takes back (or forward): "undo
    twice" → 2, "undo the last 3 changes" → 3, "go back two steps" → 2."""
    count = 1
    times = m.group("times")
    if times:
        count = REPEAT.get(times) or int(times.split()[0])
    for name in ("n", "n2", "n3", "steps"):
        said = m.groupdict().get(name)
        if said:
            count *= COUNTS.get(said) or max(int(said), 1)
    return count
