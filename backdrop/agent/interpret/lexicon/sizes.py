"""Output sizes said in an instruction ("4K", "1080p", "3840x2160", "1280 by 720", "full HD"),
with the export phrase around them. They are cut out of the text before anything reads times,
so a size is never read as a time."""

from __future__ import annotations

import re

_SIZE_CORE = (
    r"(?:\d{3,5}\s*[x×]\s*\d{3,5}|\d{3,5} by \d{3,5}|[248]\s?k(?:\s+uhd)?|\d{3,4}p(?:60|30)?"
    r"|(?:full|ultra)[\s-]*hd|uhd|qhd|hd)"
)
_SIZE = re.compile(
    r"(?:,?\s*(?:and\s+)?(?:then\s+)?(?:please\s+)?(?:export|render|output|save|encode|make|"
    r"deliver|give me)\s+(?:(?:it|this|that|the (?:video|clip|file|export|output|result))\s+)?"
    r"(?:(?:in|at|as|to)\s+)?(?:a\s+)?"
    r"|,?\s*(?:and\s+)?(?:please\s+)?(?:set|change|switch|make|put)\s+the\s+(?:video\s+)?"
    r"(?:resolution|export(?:\s+size)?|output(?:\s+size)?)\s+(?:to|at|in)\s+)?"
    rf"(?<![\w.:])(?P<size>{_SIZE_CORE})(?![\w.:])"
    r"(?:\s+(?:resolution|export|output|video|quality|version|format))?"
)
_LINES = r"(?:360|480|540|720|1080|1440|2160|4320)"
_EXPORT_VERB = r"(?:export|render|output|save|encode|deliver|give me)"
_BARE_LINES = re.compile(
    rf"(?:,?\s*(?:and\s+)?(?:then\s+)?(?:please\s+)?{_EXPORT_VERB}\s+(?:(?:it|this|that|the "
    r"(?:video|clip|file|export|output|result))\s+)?(?:(?:in|at|as|to)\s+)?"
    r"|,?\s*(?:and\s+)?(?:make|set|change|lower|reduce|drop|raise|increase|bump|put)\s+the\s+"
    r"(?:video\s+)?(?:export|output|render|resolution)(?:\s+(?:size|resolution))?"
    r"(?:\s+(?:down|up))?\s+(?:(?:to|at|in)\s+)?"
    r"|\b(?:at|in)\s+(?=\d+\s+(?:resolution|res)\b))"
    rf"(?<![\w.:])(?P<lines>{_LINES})(?![\w.:])"
    r"(?:\s+(?:resolution|res|lines|export|output|video|quality|version|please))?"
    r"|(?:\b(?:do|use|go with|pick)\s+)?"
    rf"(?<![\w.:])(?P<lines2>{_LINES})\s+(?:for|as)\s+the\s+(?:export|output|render)\b"
)
"""A bare line count said with an export phrase ("export 1080", "export at 720", "make the
output 1440", "1080 for the export"): the height in lines, never a time."""
FRAME_RATE = re.compile(
    r"(?:\b(?:at|in|with|to)\s+)?\b\d{2,3}(?:\.\d+)?\s*(?:fps|frames? (?:per|a) second)\b"
    r"|\b(?:the\s+)?(?:frame ?rate|fps)\s+(?:of\s+|to\s+|at\s+)?\d{2,3}(?:\.\d+)?\b"
)
"""A frame rate said ("export at 60fps"): never a time; the export keeps the video's own rate."""
RELATIVE_SIZE = re.compile(
    r"(?:\b(?:export|render|output|save|encode|scale|make)\s+(?:it\s+|this\s+|the (?:video|clip|"
    r"export|output|file)\s+)?(?:(?:at|in|to|down to|up to)\s+)?(?:a\s+)?|\b(?:at|in)\s+)"
    r"(?P<rel>(?:half|a quarter|quarter|a third|double|twice|\d{1,3}\s*(?:%|percent)|\d(?:\.\d+)?"
    r"\s*x)(?:\s+(?:the|its))?(?:\s+(?:original\s+)?(?:size|resolution|res|scale)))\b"
)
"""An export size said relative to the source ("export at half size", "50 % resolution"): not
a size Backdrop takes yet, and never a blur strength; said back as not done."""
_NAMED = {"full hd": "1080p", "ultra hd": "4k", "uhd": "4k", "qhd": "1440p", "hd": "720p"}


def size_spec(said: str) -> str:
    """A size as said → a ``--size`` spec (:func:`backdrop.render.facade.parse_size`):
    "4K UHD" → ``4k``, "full HD" → ``1080p``, "1080p60" → ``1080p``, "1280 by 720" →
    ``1280x720``."""
    s = re.sub(r"\s+", " ", said.strip().lower())
    s = re.sub(r"^(full|ultra)[\s-]*hd", r"\1 hd", re.sub(r"^([248]) k\b", r"\1k", s))
    if s in _NAMED:
        return _NAMED[s]
    m = re.fullmatch(r"(\d{3,5})\s*(?:[x×]|by)\s*(\d{3,5})", s)
    if m:
        return f"{m.group(1)}x{m.group(2)}"
    m = re.fullmatch(r"(\d{3,4}p)(?:60|30)?", s)
    if m:
        return m.group(1)
    return s.split()[0]  # "4k uhd" → "4k"


_SPOKEN_LINES = {
    "three sixty": "360", "four eighty": "480", "five forty": "540", "seven twenty": "720",
    "ten eighty": "1080", "fourteen forty": "1440", "twenty one sixty": "2160",
    "twenty-one sixty": "2160",
}  # fmt: skip
_SPOKEN_SIZE = re.compile(
    r"\b(?:(?P<lines>" + "|".join(_SPOKEN_LINES) + r")[\s-]*(?:p|pee)\b"
    r"|(?P<k>two|four|eight)[\s-]+k\b|(?P<n>\d{3,4})\s+(?:p|pee)\b)"
)
"""A size said as words ("seven twenty p", "four k", "1080 p"), as a transcript writes it."""


def spoken_sizes(text: str) -> str:
    """ "seven twenty p" → "720p", "four k" → "4k", "1080 p" → "1080p"."""

    def repl(m: re.Match[str]) -> str:
        if m.group("lines"):
            return _SPOKEN_LINES[m.group("lines")] + "p"
        if m.group("k"):
            return {"two": "2", "four": "4", "eight": "8"}[m.group("k")] + "k"
        return m.group("n") + "p"

    return _SPOKEN_SIZE.sub(repl, text)


_ONES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_O = "|".join(sorted(_ONES, key=len, reverse=True))
_T = "|".join(_TENS)
_SAID_DIGITS = (
    rf"(?:(?:{_T})(?:[\s-]+(?:{_O}))?|{_O})[\s-]+"
    rf"(?:(?:{_T})(?:[\s-]+(?:{_O}))?|oh[\s-]+(?:{_O})|hundred)"
)
_SPOKEN_DIM = re.compile(
    rf"\b(?P<w>{_SAID_DIGITS}|\d{{3,4}})\s+(?:by|x|times)\s+(?P<h>{_SAID_DIGITS}|\d{{3,4}})\b"
)
"""A width by a height said in words ("twelve eighty by seven twenty", "nineteen twenty by ten
eighty"): read as pairs of two-digit numbers, as people say them."""


def _said_number(said: str) -> str:
    """ "twelve eighty" → ``1280``, "six forty" → ``640``, "eight fifty four" → ``854``,
    "ten oh eight" → ``1008``, "1920" → ``1920``."""
    if said.isdigit():
        return said
    words = [w for w in re.split(r"[\s-]+", said) if w != "oh"]

    def value(ws: list[str]) -> int:
        return sum(_TENS.get(w, 0) + _ONES.get(w, 0) for w in ws)

    if words[-1] == "hundred":
        return str(value(words[:-1]) * 100)
    cut = 1 if words[0] in _ONES or len(words) == 2 or words[1] in _TENS else 2
    return str(value(words[:cut]) * 100 + value(words[cut:]))


_SIZE_OR_LINES = rf"(?:{_SIZE_CORE}|{_LINES})"
_FROM_TO = re.compile(
    r"(?:,?\s*(?:and\s+)?(?:please\s+)?(?:switch|change|go|move|bump|drop|take|set|turn|"
    r"lower|raise|reduce|increase|up|upgrade|downgrade)?\s*(?:(?:it|the (?:video|clip|file|"
    r"export|output|render|resolution|size)(?:\s+(?:size|resolution))?)\s+)?)?"
    rf"\bfrom\s+(?P<a>{_SIZE_OR_LINES})\s+(?:(?:down|up|back)\s+)?(?:to|into)\s+"
    rf"(?P<b>{_SIZE_OR_LINES})(?![\w.:])(?:\s+(?:resolution|export|output|video|quality))?"
)
"""A change of export size ("switch the export from 1080 to 4k", "from 4k down to 1080p"):
the second size is the one wanted; neither is a time."""
_EXPORT_WORD = re.compile(r"\b(?:export|render|output|resolution|res|size|encode)\b")


def take_sizes(text: str) -> tuple[str, list[str]]:
    """``(text without size phrases, the sizes said as --size specs)``; "4K" and "1080p" are
    never times."""
    sizes: list[str] = []
    text = spoken_sizes(text)
    text = _SPOKEN_DIM.sub(lambda m: f"{_said_number(m['w'])}x{_said_number(m['h'])}", text)

    def change(m: re.Match[str]) -> str:
        bare = re.fullmatch(_LINES, m["a"]) and re.fullmatch(_LINES, m["b"])
        if bare and not _EXPORT_WORD.search(text):
            return m.group(0)  # "from 720 to 1080" with no export word: maybe seconds
        b = m["b"]
        sizes.append(b + "p" if re.fullmatch(_LINES, b) else size_spec(b))
        return " , "

    text = _FROM_TO.sub(change, text)

    def cut(m: re.Match[str]) -> str:
        sizes.append(size_spec(m.group("size")))
        return " , "

    def cut_lines(m: re.Match[str]) -> str:
        sizes.append((m.group("lines") or m.group("lines2")) + "p")
        return " , "

    text = _BARE_LINES.sub(cut_lines, _SIZE.sub(cut, text))
    return text, sizes
