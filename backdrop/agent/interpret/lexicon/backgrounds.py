"""Background verbs: remove / keep / blur, "transparent", "cut me out", and taking one effect
away. The background kinds themselves (colours, gradients, files) are in :mod:`.colours`,
:mod:`.files` and :func:`background_words`."""

from __future__ import annotations

import re

DETERMINER = r"(?:(?:the|my|our|your|that|this|a|an|all|all the|of the|of)\s+)?"
REMOVE_VERB = re.compile(
    r"\b(?:remove|delete|erase|get rid of|take out|take away|cut out|drop|hide|lose|strip|"
    rf"eliminate)\s+{DETERMINER}([a-z]+)"
)
KEEP_VERB = re.compile(
    rf"\b(?:keep|preserve|retain|leave in|don'?t remove|do not remove)\s+(?:only\s+)?"
    rf"{DETERMINER}(?!(?:getting|being|going|coming|cutting|happening|on)\b)([a-z]+)"
)
BLUR_TARGET = re.compile(r"\bblur\s+(?:out\s+)?(?:(?:the|my|that|this)\s+)?([a-z]+)")
CUT_ME_OUT = re.compile(r"\bcut\s+(?:me|us|the person|him|her)\s+out\b")
TRANSPARENT = re.compile(
    r"\b(?:transparent|see[\s-]?through|alpha|no background|without (?:a |the |any )?background|"
    r"(?:remove|delete|erase|get rid of|take out|take away|cut out|drop|hide|lose|strip|"
    r"eliminate)\s+(?:(?:the\s+)?rest\s+of\s+)?"
    + DETERMINER
    + r"(?:background|backgrounds|bg|backdrop|scene|"
    r"surroundings|it|that|this|everything)\b)"
)
SEE_THROUGH = re.compile(
    r"\b(?:(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent)\s+(?P<pw>transparent|see[\s-]*through|"
    r"translucent|opaque)"
    r"|(?P<deg>(?:just\s+)?a (?:little |tiny |wee )?bit|a little|a touch|a tad|a smidge|"
    r"(?:very\s+)?slightly|"
    r"somewhat|kind of|kinda|sort of|partly|partially|semi|half|halfway|mostly|very|quite|"
    r"really|almost)[\s-]*(?P<dw>transparent|see[\s-]*through|translucent)"
    r"|see[\s-]*through\s+(?P<after>(?:just\s+)?a (?:little |tiny |wee )?bit|a little|a touch|"
    r"a tad|slightly|somewhat)"
    r"|(?P<bare>translucent)"
    r"|(?:let (?:me|us|them|people|you) |so (?:that )?(?:i|we|you|people) can |(?:i|we) (?:want|"
    r"need|would like) to |can (?:i|we|you) )?see (?P<see>a (?:little |tiny )?bit|a little|some|"
    r"part|a hint|a touch|half)(?: of)? (?:the |my |our )?(?:room|original|real|actual|wall|"
    r"office|house|background|bg|backdrop|scene|stuff|things?)(?: behind(?: me| him| her| us)?)?"
    r"(?: \w+)? through(?: (?:it|that|this|the (?:colou?r|background|bg|\w+)))?)"
)
"""See-through with a degree: the background stays and shows the original behind it ("a bit
see-through", "semi-transparent", "30 % transparent", "let me see a bit of the room through
it"); without a degree "transparent" removes the background (:data:`TRANSPARENT`)."""
_DEGREES = {"half": 0.5, "halfway": 0.5, "semi": 0.5, "partly": 0.5, "partially": 0.5,
            "mostly": 0.25, "very": 0.25, "quite": 0.4, "really": 0.25, "almost": 0.1}  # fmt: skip


def see_through_opacity(m: re.Match[str]) -> float:
    """The opacity (0..1; 1 = the background hides the original) a :data:`SEE_THROUGH` match
    asks for: "a bit" 0.7, "semi"/"half" 0.5, "very" 0.25, "30 % transparent" 0.7."""
    if m.group("pct"):
        pct = min(max(float(m.group("pct")) / 100.0, 0.0), 1.0)
        return round(pct if m.group("pw") == "opaque" else 1.0 - pct, 3)
    if m.group("bare"):
        return 0.6
    if m.group("after"):
        return 0.7
    if m.group("see"):
        return 0.5 if m.group("see") == "half" else 0.7
    deg = m.group("deg").split()[-1]
    return _DEGREES.get(deg, 0.7)


AS_CLEAR = re.compile(
    r"\b(?:twice|half|three times|(?:a )?(?:bit|lot) more|much more)\s+as\s+(?:transparent|"
    r"see[\s-]*through|translucent)"
)
"""See-through said relative to now ("twice as transparent"): asked about, never a removal."""


SHARPER_BG = re.compile(
    r"\b(?:the\s+|my\s+)?(?:background|bg|backdrop)\s+(?:(?:to\s+be|look)\s+)?"
    r"(?P<amt>a\s+(?:bit|little|touch|lot)\s+|much\s+|slightly\s+|way\s+)?(?:sharper|crisper|"
    r"clearer|less blurr(?:y|ed)|more in focus|more focused|more defined)\b"
)
"""The background said to be sharper ("make the background a bit sharper"): less blur, not the
person's edges."""


TAKE_AWAY = re.compile(
    r"\b(?:remove|delete|get rid of|drop|turn off|stop|no more|no|without|lose|cancel)\s+"
    r"(?:the |any |that )?(?:blur\w*|fades?|fading|gradient|effect|colou?r)\b|\bunblur"
)
BLUR = re.compile(r"\b(?:blur\w*|bokeh|defocus\w*|out of focus|portrait mode|fuzzy)\b")
