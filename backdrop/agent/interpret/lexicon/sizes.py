"""Output sizes said in an instruction ("4K", "1080p", "3840x2160", "1280 by 720", "full HD"),
with the export phrase around them. They are cut out of the text before anything reads times,
so a size is never read as a time."""

from __future__ import annotations

import re

_SIZE_CORE = (
    r"(?:\d{3,5}\s*[x×]\s*\d{3,5}|\d{3,5} by \d{3,5}|[248]k(?:\s+uhd)?|\d{3,4}p(?:60|30)?"
    r"|(?:full|ultra)\s+hd|uhd|qhd|hd)"
)
_SIZE = re.compile(
    r"(?:,?\s*(?:and\s+)?(?:then\s+)?(?:please\s+)?(?:export|render|output|save|encode|make|"
    r"deliver|give me)\s+(?:(?:it|this|that|the (?:video|clip|file|export|output|result))\s+)?"
    r"(?:(?:in|at|as|to)\s+)?(?:a\s+)?)?"
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
_NAMED = {"full hd": "1080p", "ultra hd": "4k", "uhd": "4k", "qhd": "1440p", "hd": "720p"}


def size_spec(said: str) -> str:
    """A size as said → a ``--size`` spec (:func:`backdrop.render.facade.parse_size`):
    "4K UHD" → ``4k``, "full HD" → ``1080p``, "1080p60" → ``1080p``, "1280 by 720" →
    ``1280x720``."""
    s = re.sub(r"\s+", " ", said.strip().lower())
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


def take_sizes(text: str) -> tuple[str, list[str]]:
    """``(text without size phrases, the sizes said as --size specs)``; "4K" and "1080p" are
    never times."""
    sizes: list[str] = []
    text = spoken_sizes(text)

    def cut(m: re.Match[str]) -> str:
        sizes.append(size_spec(m.group("size")))
        return " , "

    def cut_lines(m: re.Match[str]) -> str:
        sizes.append((m.group("lines") or m.group("lines2")) + "p")
        return " , "

    text = _BARE_LINES.sub(cut_lines, _SIZE.sub(cut, text))
    return text, sizes
