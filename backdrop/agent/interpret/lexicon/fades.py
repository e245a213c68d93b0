"""Fades: the kind ("fade in", "fade out", "gradually"), their durations ("over 3 s", "a
2 second fade") and "quick" / "slow". Durations are seconds."""

from __future__ import annotations

import re

from backdrop.agent.interpret.lexicon.colours import SHADED_NAME
from backdrop.agent.interpret.lexicon.times import TIME, to_seconds

# Fades. The duration is read after the kind; "over" may say "the first/last".
FADE = re.compile(
    r"\b(?:fad(?:e|es|ed|ing)|dissolve)[- ]?(?:(?:it|them|this|that|everything|all|things|"
    r"(?:the|my) (?:background|bg|blur|effect|colou?r|gradient|change|image|video))\s+)?"
    r"(in and out|out and in|in ?& ?out|in/out|in|out|away|up)?\b"
)
GRADUALLY = re.compile(r"\b(?:gradually|progressively|smoothly|(slowly))\b")
FADE_DURATION = (
    re.compile(rf"\b(?:over|across|lasting|taking|of)\s+(?:about |around |roughly )?"
               rf"(?:the (?:first|last|final) )?({TIME})"),
    re.compile(rf"\b(?:for|in|within)\s+(?:about |around |roughly )?({TIME})"),
    re.compile(rf"(?:\b(?:let'?s say|say|maybe|perhaps|about|around|roughly|something like|"
               rf"ideally)\s+|,\s*)({TIME})(?:\s+(?:each|apiece|both))?(?=\s*(?:$|[,;.]|\band\b))"
               r"(?!.*\brespectively\b)"),
    re.compile(rf"(?:\b(?:a|an|the|with)\s+|(?<!for )(?<!over )(?<!until )(?<!till )(?<!first )"
               rf"(?<!last )(?<!after )(?<!from ))({TIME})[- ]?(?:long\s+)?"
               r"(?=(?:fad|dissolve|transition))"),
)  # fmt: skip
FADE_WITHIN = {
    "fade_in": re.compile(rf"^\s*(?:in|during|within|for|throughout|across)\s+the\s+(?:first|"
                          rf"opening)\s+({TIME})"),
    "fade_out": re.compile(rf"^\s*(?:in|during|within|for|throughout|across)\s+the\s+(?:last|"
                           rf"final|closing)\s+({TIME})"),
}  # fmt: skip
"""A fade's length said as the part of the video it takes, at its own end: "fade it out in the
last 5 seconds" (a 5 s fade out, not a background for the last 5 s only with a 1 s fade),
"fade in during the first 4 seconds"."""
FADE_NOISE = re.compile(
    r"\b(?:at|towards?|near|by) the (?:end|start|beginning)\b|\bat (?:the )?(?:end|start)\b"
)
FADE_MORE = re.compile(
    r"(?:,|\band\b|\bthen\b|\bbut\b)\s+(?:then\s+)?(?:(?:it|them|that)\s+)?(?P<k>in|out)\b"
    rf"(?=\s+(?:over|across|lasting|taking|for|within|in\s+{TIME}|(?:about |around )?{TIME})|"
    r"\s*(?:$|[,;]))"
)
"""A second fade said without the verb, after a first one: "fade in over 2 s *and out over
4 s*", "fading in for 3 s *and out for 1*"."""
FADE_BARE = re.compile(rf"^\s*(?:about |around |roughly )?({TIME})(?=\s*(?:$|[,;]|\band\b))")
"""A fade's length said straight after it: "fade in 2 s"."""
RESPECTIVELY = re.compile(
    rf"(?:\b(?:over|of|for|lasting)\s+)?({TIME})\s*(?:,\s*and|,|and)\s*({TIME})\s*,?\s*"
    r"respectively\b"
)
"""Two fade lengths said after the fades, in their order: "…, 2 and 4 seconds respectively"."""
QUICK = re.compile(r"\b(?:quick(?:ly)?|fast|short)\b")
SLOW = re.compile(r"\b(?:slow(?:ly)?|long)\b")
CROSS_FADE = re.compile(
    r"\b(?:fad(?:e|es|ed|ing)|dissolv\w*|transition\w*|morph\w*|melt\w*|blend\w*)\b"
)
"""A verb of one background fading into another: with a time said ("fade from red to blue over
5 s", "… between 10 and 15 s") a change over time, not a gradient."""
CROSS_CHANGE = re.compile(
    r"\b(?:go(?:es|ing)?|turn(?:s|ing)?|chang(?:e|es|ing)|shift\w*|becom\w*|switch\w*)\b"
)
"""A verb of one colour becoming another: a change over time only with a length said "over" it
("go from red to blue over five seconds"; "change the red to blue for the last 5 s" is a swap)."""
OVER = re.compile(
    rf"\b(?:over|across|lasting|taking|within)\s+(?:about |around |roughly )?({TIME})"
)


_WHAT = r"(?:\s+(?:it|everything|the (?:video|clip|background|bg)))?"
_FADE_FROM = re.compile(
    rf"\bfad(?:e|es|ing){_WHAT}(?:\s+in)?\s+from\s+(?:a\s+|an\s+)?(?P<c>{SHADED_NAME})"
    r"(?:\s+background)?(?!\s+(?:to|into|down|through|at the (?:top|bottom|left|right|centre|"
    r"center|middle|edges?|sides?|corners?))\b)"
    rf"(?:\s+(?:at the (?:start|beginning)|over\s+(?:the\s+first\s+)?(?P<n>{TIME})|(?:in|during)"
    rf"\s+the\s+first\s+(?P<m>{TIME})))?"
)
_FADE_TO = re.compile(
    rf"\bfad(?:e|es|ing){_WHAT}(?P<out>\s+out)?\s+(?:to|into)\s+(?:a\s+|an\s+)?(?P<c>"
    rf"{SHADED_NAME})(?:\s+background)?(?P<when>\s+(?:at the (?:very )?end|over\s+the\s+(?:last|"
    rf"final)\s+(?P<n>{TIME})|(?:in|during|for)\s+the\s+(?:last|final)\s+(?P<m>{TIME})))?"
)


_THEN_TO = re.compile(rf"\b(?:to|into|towards?)\s+(?:a\s+|an\s+|the\s+)?(?:{SHADED_NAME}|@p\d+)")


def fades_from_to(text: str) -> str:
    """A fade said from or to a colour, as a person means it (normalised text, seconds): "fade
    in from black over 3 seconds" → black for the first 3 s, fading out over them (it was black
    fading *in*, the opposite); "fade out to black at the end" / "fade to black over the last
    2 seconds" → black for the last 1 (2) s, fading in over them (it was black over the whole
    video, fading out). "fade to red over 3 seconds" (no end said) is left as it is: red fading
    in; "fade from red to blue" is a cross-fade, asked about elsewhere."""

    def start(m: re.Match[str]) -> str:
        if _THEN_TO.search(text, m.end()):
            return m.group(0)  # "fade it from teal on top to white": a gradient or a cross-fade
        n = to_seconds(m["n"] or m["m"]) if (m["n"] or m["m"]) else 1.0
        return f"make it {m['c']} for the first {n:g} seconds , fading out over {n:g} seconds"

    def end(m: re.Match[str]) -> str:
        if not (m["when"] or m["out"]):
            return m.group(0)
        n = to_seconds(m["n"] or m["m"]) if (m["n"] or m["m"]) else 1.0
        return f"make it {m['c']} for the last {n:g} seconds , fading in over {n:g} seconds"

    return _FADE_TO.sub(end, _FADE_FROM.sub(start, text))
