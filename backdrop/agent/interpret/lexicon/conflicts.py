"""Words that contradict a change said in the same sentence: keeping the background as it is
("blur it but keep it sharp", "remove the background but keep the background") and the
adjective "transparent" beside a colour ("red and also completely transparent"). The sentence
is asked about instead of applying one reading silently."""

from __future__ import annotations

import re

_IT = (
    r"(?:it|that|this|everything|the (?:background|bg|backdrop|scene|room|original|real|actual)"
    r"(?: background| bg| one)?)"
)
_AS_IS = (
    r"(?:sharp|crisp|in focus|focused|clear|unblurred|not blurr(?:ed|y)|as it is|as is|the way it "
    r"is|how it is|like it is|unchanged|the same|alone|untouched|normal|original|visible|intact|"
    r"there|real)"
)
AS_IS = re.compile(
    r"^(?:(?:but|and|also|just|please|still|though|yet)\s+)*(?:"
    rf"(?:keep|leave|let|have)\s+{_IT}(?:\s+(?:completely|totally|fully|perfectly|nice and))?"
    rf"(?:\s+{_AS_IS})?"
    rf"|(?:keep|leave)\s+(?:the\s+)?(?:original|real|actual)\s+(?:background|bg|backdrop|room)"
    rf"|make\s+{_IT}\s+(?:sharp|crisp|in focus|unblurred)"
    rf"|(?:don'?t|do not|never)\s+(?:change|touch|alter|blur|remove|modify|replace)\s+{_IT}"
    rf"(?:\s+at all)?"
    r"|(?:not|no|without)\s+(?:blurr(?:ed|y)|blur|any blur)"
    r")(?:\s+(?:please|though|thanks|at all))*\s*$"
)
"""A clause that keeps the background as it is (the whole clause): "keep it sharp", "keep the
background", "don't change the background", "not blurry". A bare "keep it" is not one."""
_BARE_KEEP = re.compile(r"^(?:(?:but|and|also|just)\s+)*(?:keep|leave|have)\s+(?:it|that|this)\s*$")


def keeps_as_is(piece: str) -> bool:
    """Whether the clause ``piece`` (normalised words) only says to keep the background as it
    is."""
    return AS_IS.match(piece) is not None and _BARE_KEEP.match(piece) is None


CLEAR_WORD = re.compile(r"\b(?:transparent|see[\s-]*through|alpha)\b")
"""The background said to be transparent as an adjective (not "remove the background")."""
NOT_BLURRED = re.compile(
    r"\b(?:but|and|yet)\s+(?:(?:still|also)\s+)?(?:not|no|without|never)\s+"
    r"(?:blurr(?:ed|y)|blur|any blur)\b"
)
"""A change said not to blur, inside the clause that blurs ("blur the background but not
blurry")."""
OPAQUE_TOO = re.compile(
    r"\b(?:(?:completely|fully|totally|entirely|100 ?%)\s+)?(?:opaque|solid|not see[\s-]*through|"
    r"not transparent)\b"
)
"""A background said to be opaque beside one said to be transparent ("make it transparent but
completely opaque")."""
