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
    r"\b(?:transparent|see-through|alpha|no background|without (?:a |the |any )?background|"
    r"(?:remove|delete|erase|get rid of|take out|take away|cut out|drop|hide|lose|strip|"
    r"eliminate)\s+(?:(?:the\s+)?rest\s+of\s+)?"
    + DETERMINER
    + r"(?:background|backgrounds|bg|backdrop|scene|"
    r"surroundings|it|that|this|everything)\b)"
)
TAKE_AWAY = re.compile(
    r"\b(?:remove|delete|get rid of|drop|turn off|stop|no more|no|without|lose|cancel)\s+"
    r"(?:the |any |that )?(?:blur\w*|fades?|fading|gradient|effect|colou?r)\b|\bunblur"
)
BLUR = re.compile(r"\b(?:blur\w*|bokeh|defocus\w*|out of focus|portrait mode)\b")
