"""Rephrasings of what people say about the blur's strength, the edges, who stays and stopping,
applied after the other clean-up so the rule tables read one plain form:
"not so blurry" / "tone the blur down" / "make the blur subtler" are "less blur" (they used to
be "already how it is" or a named object "the subtle"); "shrink the matte" is the mask's edge;
"whoever is speaking should stay" is "keep whoever is speaking" (it used to keep the person and
name the rest as not understood); "i'm on the left, keep me" keeps the person on the left; "the
lady" is a person (it was an object the detector doesn't know); "that's enough blur, stop" is
"stop"; "it's too blurry" (said of the background, not the edge) is "less blur"."""

from __future__ import annotations

import re

_BLUR = r"(?:blur(?:ring|riness)?|bokeh|blurr(?:y|ed)|blurriness)"
_TALKING = r"(?:speaking|talking)"
_WHO = (
    rf"(?:(?:only|just) )?(?:whoever(?:'s| is) {_TALKING}|the (?:speaker|presenter|(?:person|one|"
    rf"guy|woman|man|girl)(?: (?:on the (?:left|right)|in the (?:middle|centre|center)|in front|"
    rf"at the front|(?:closest|nearest) to the camera|who(?:'s| is) {_TALKING}|that(?:'s| is) "
    rf"{_TALKING}))?))"
)
"""Who is said to stay ("whoever is speaking should stay"): a keep of that person."""
REPHRASE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (rf"\bnot (?:so|as|that|quite (?:so|as)) (?:much )?{_BLUR}\b", "less blur"),
        (rf"\b(?:tone|dial|turn|bring|knock|take) (?:the |that |this )?{_BLUR} down\b",
         "less blur"),
        (rf"\b(?:tone|dial|turn|bring|knock|take) down (?:the |that |this )?{_BLUR}\b",
         "less blur"),
        (rf"\bmake (?:the |that |this )?{_BLUR} (?:subtler?|more subtle|gentler|lighter|weaker|"
         r"softer|less (?:strong|heavy|intense))\b", "less blur"),
        (rf"\bmake (?:the |that |this )?{_BLUR} (?:stronger|heavier|more intense|more obvious)\b",
         "more blur"),
        (rf"(?:^|(?<=[,;] ))(?:(?:it|that|this|the background|the bg)(?:'s| is| looks| seems) )?"
         rf"(?:(?:way|much|a bit|a little|slightly|far) )?too (?:blurry|blurred|much {_BLUR})\b",
         "less blur"),
        (r"\b(?:that'?s|that is|ok(?:ay)?,? that'?s) enough(?: \w+)?\s*[,.]?\s*(?=stop\b)", ""),
        (r"\bmatte\b", "mask"),
        (r"\bloosen\b", "expand"),  # "loosen the mask a bit": the edge out
        (r"\bnever ?mind\s*[,.]?\s*(?=(?:redo|re-do)\b)", ""),  # "never mind, redo": a redo
        (r"\b(?:i'?m|i am) (?:the (?:one|person|guy|woman|man) )?(?P<at>on the (?:left|right)|"
         r"in the (?:middle|centre|center))(?: side)?\s*[,;.]?\s*(?:so |and )?(?:please )?"
         r"keep me\b",
         r"keep the person \g<at>"),  # "i'm on the left, keep me": that one
        (r"\b(?:lady|gal)\b", "woman"),  # "keep only the lady in the centre": a person
        (r"\b(?:gentleman|bloke|dude|fellow|chap)\b", "man"),
        (rf"\b(?P<who>{_WHO}) (?:should|must|has to|needs to|can|gets to) (?:stay|remain)"
         r"(?: (?:in|visible|in (?:the )?(?:picture|shot|frame|video)))?\b", r"keep \g<who>"),
    )
)  # fmt: skip

ORDINAL_ONE = re.compile(
    r"\b(first|second|third|fourth|1st|2nd|3rd|4th) one\b(?! and a half\b| point\b|\s*(?:seconds?|"
    r"secs?|s|minutes?|mins?|hours?|frames?|percent|%)(?![a-z]))"
)
"""A choice said by its place ("the first one"): never a length of one second (it used to
become "the first 1 second" of the last background under an "Understood"). Read before numbers
are and marked ("first §one"); :data:`CHOICE_SAID` finds the mark, and the reply names the words
as not understood (an answer to a question is read before: :mod:`..answers`)."""
CHOICE_SAID = re.compile(r"(?:\bthe )?\b([a-z0-9]+) §one\b")
