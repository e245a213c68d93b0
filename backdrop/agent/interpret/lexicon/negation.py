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


_UNSAY = re.compile(
    r"\b(?:no|without|minus|drop|lose|leave out|take out|remove|get rid of|skip)\s+(?:the\s+)?"
    r"(?P<c>" + _COL + r")(?:\s+(?:one|part|bit|end))?\b"
)


def unsaid_again(text: str) -> str:
    """ "no purple" / "without the blue" / "drop the red" said of a colour named earlier in the
    same sentence ("a yellow to purple gradient, no purple") → "not purple": the colour is
    taken back, never a correction *to* it (it was: the background became purple). Alone
    ("drop the green") it is left as it is: a change of the plan."""

    def repl(m: re.Match[str]) -> str:
        before = text[: m.start()]
        return f"not {m['c']}" if re.search(rf"\b{re.escape(m['c'])}\b", before) else m.group(0)

    return _UNSAY.sub(repl, text)


_REFUSED = re.compile(
    r"(?:^|(?<=[\s,;]))(?:(?:i|we)\s+)?(?:not|no|never|don'?t|do not|didn'?t|did not|without|"
    r"instead of|rather than|forget(?: about)?|skip|scrap|never mind|nevermind|scratch|ditch|"
    r"no more|get rid of|drop|lose)\s+"
    r"(?:(?:want|like|need|mean|use|put|go with|do|add|make it|make it a|have|give me|apply)\s+)*"
    r"(?:(?:a|an|the|that|this|any|with|to)\s+)*"
    r"(?:@p\d+(?:\s+(?:image|picture|photo|video|clip|one|file))?"
    r"|(?:blur(?:ring|red|ry)?|bokeh|fuzz(?:y)?)(?:\s+(?:it|the background|the bg|that|effect))?"
    r"|(?:remov(?:e|ing)|eras(?:e|ing)|delet(?:e|ing)|clear(?:ing)?)(?:\s+(?:it|the background|"
    r"the bg|that))?"
    r"|transparen(?:t|cy)(?:\s+(?:one|background|bg))?|see-through"
    r"|gradient|image|picture|photo|video|clip|fad(?:e|ing)(?:\s+(?:it\s+)?(?:in|out))?)"
    r"(?!\s+(?:me|him|her|them|us|the person|the speaker|my|his|the edges?)\b)"
    r"(?=\s*(?:[,;]|$|but\b|and\b|just\b|use\b|make\b|put\b|go\b|i\b|please\b))"
)
"""A background kind said as not wanted: "not @p0" (the beach picture), "don't blur it", "no
blur", "instead of the video", "rather than the image", "forget the gradient"."""
_POSITIVE = re.compile(
    r"@p\d+|@h[0-9a-f]{6}|\b(?:blur\w*|bokeh|fuzzy|remov\w*|eras\w*|delet\w*|clear\w*|"
    r"transparen\w*|see-through|gradient|cut (?:it|me) out)\b|\b" + _COL + r"\b"
)
_KINDS = (
    (re.compile(r"fad"), "fade"),
    (re.compile(r"blur|bokeh|fuzz"), "blur"),
    (re.compile(r"remov|eras|delet|clear|transparen|see-through|cut"), "clear"),
    (re.compile(r"gradient"), "gradient"),
    (re.compile(r"^@p\d+"), ""),  # a file: itself
)


def _kind(said: str) -> str:
    """The kind of background a said phrase names: blur, clear, gradient, the file placeholder
    itself, or the words (a colour)."""
    for pattern, kind in _KINDS:
        m = pattern.search(said)
        if m is not None:
            return kind or m.group(0)
    return said.strip()


def drop_refused(text: str) -> str:
    """``text`` without the background kinds said as not wanted, when a different background
    is said in it ("not the beach picture, use the waves video": the video; "don't blur it,
    make it black": black). With nothing else said, or only the same kind ("blur it but not
    blurry"), the text is left as it is (the interpreter asks)."""
    out = text
    for m in reversed(list(_REFUSED.finditer(text))):
        rest = out[: m.start()] + " " + out[m.end() :]
        said = m.group(0)
        said = said[said.find("@p") :] if "@p" in said else said
        if any(_kind(p.group(0)) != _kind(said) for p in _POSITIVE.finditer(rest)):
            out = rest
    return re.sub(r"\s+", " ", out).strip(" ,;")
