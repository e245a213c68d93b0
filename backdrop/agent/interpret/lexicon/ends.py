"""The end or the start of the video said without a length: "put blue at the end of the video",
"green towards the end", "in the last bit", "red at the start". With a length ("at the end for
5 seconds") that many seconds there; without one, :data:`EDGE_DEFAULT_S` seconds, and the reply
says so. Times are seconds."""

from __future__ import annotations

import re

EDGE_DEFAULT_S = 5.0
"""How long "at the end" / "in the first bit" lasts when no length is said (seconds)."""
_OF = (
    r"(?:\s+(?:of|in)\s+(?:the\s+|my\s+|this\s+)?(?:video|clip|recording|film|movie|thing|it|"
    r"talk|vid))?"
)
_BIT = r"(?:little\s+)?(?:bit|part|section|stretch|moments?|few\s+seconds|seconds|portion|stage)"
AT_END = re.compile(
    r"\b(?:(?:right|just|only)\s+)?(?:at|towards?|near|around|close to)\s+the\s+(?:very\s+)?"
    rf"(?:end|finish|tail end|close){_OF}(?!\s+(?:of\s+the\s+(?:gradient|blend)|colou?r))\b"
    rf"|\b(?:in|for|during|over)\s+the\s+(?:last|final|closing|ending|end)\s+{_BIT}{_OF}\b"
    rf"|\b(?:at|for)\s+the\s+(?:last|final)\s+{_BIT}{_OF}\b"
    r"|\bat the end of it all\b"
    rf"|(?:(?<=make )|(?<=turn )|(?<=paint )|(?<=colour )|(?<=color ))the\s+(?:very\s+)?(?:end|"
    rf"finish){_OF}(?!\s+(?:of\s+the\s+(?:gradient|blend)|colou?r))\b"
)
"""The end of the video, said without a length."""
AT_START = re.compile(
    r"\b(?:(?:right|just|only)\s+)?(?:at|near|around)\s+the\s+(?:very\s+)?"
    rf"(?:start|beginning|outset){_OF}(?!\s+(?:of\s+the\s+(?:gradient|blend)|colou?r))\b"
    rf"|\b(?:in|for|during|over)\s+the\s+(?:first|opening|early|starting|beginning)\s+{_BIT}{_OF}\b"
    r"|\bearly on\b"
    rf"|(?:(?<=make )|(?<=turn )|(?<=paint )|(?<=colour )|(?<=color ))the\s+(?:very\s+)?(?:start|"
    rf"beginning){_OF}(?!\s+(?:of\s+the\s+(?:gradient|blend)|colou?r))\b"
)
"""The start of the video, said without a length."""
EDGE_LENGTH = re.compile(
    r"(?:,\s*|\b(?:let'?s\s+)?say\s+|\b(?:about|around|roughly|maybe|like)\s+)"
    r"(\d+(?:\.\d+)?\s*(?:seconds?|secs?|s|minutes?|mins?))\b"
)
"""A length said loosely beside "at the end" ("for the last part, say eight seconds")."""
MIDDLE = re.compile(
    r"\b(?:in|during|for|over)\s+the\s+(?:very\s+)?middle(?:\s+(?:part|bit|section|portion))?"
    rf"{_OF}(?!\s+\d)\b|\bthe\s+middle\s+(?:part|bit|section|portion){_OF}\b"
)
"""The middle of the video said without a length ("make it blue in the middle"): asked about."""
FROM_MIDDLE = re.compile(
    r"\b(?P<prep>from|after|until|till|up to|before|starting at|starting from)\s+the\s+middle"
    r"(?:\s+(?:of\s+)?(?:the |this )?(?:video|clip))?\b(?!\s+(?:of\s+the\s+)?(?:gradient|"
    r"picture|frame|screen))"
)
"""From or until the middle of the video: from or until halfway."""
NAMED_PART = re.compile(
    r"\b(?:the|my|our|his|her)\s+(?P<part>intro|introduction|outro|credits|ending|opening|"
    r"closing|end credits|title card|titles)(?!\s+(?:\d|few|couple|seconds?|minutes?))\b"
)
"""A part of the video named by what happens in it ("for the intro"): its times are not known."""
VAGUE_LENGTH = re.compile(
    r"\bfor\s+(?:a\s+(?:little\s+|short\s+|long\s+)?while|a\s+(?:little\s+)?bit|some\s+time|"
    r"a\s+moment|a\s+little)(?!\s+(?:of|longer|more|less))\b"
)
"""A length said too vaguely to place ("make it blue for a while"): asked about unless the start
or the end is said with it ("for a moment at the start": the first 5 s)."""
