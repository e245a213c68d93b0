"""Colours: the named colours and gradient presets of :mod:`backdrop.render.colors`, shades
("dark blue"), gradient shapes and angles, and the colour maths (:func:`shade_of`,
:func:`tint_of`, :func:`luma`).
Colours are ``#rrggbb`` strings."""

from __future__ import annotations

import re

from backdrop.agent.interpret.errors import Unclear, clarify
from backdrop.render.colors import NAMED_COLORS, NAMED_GRADIENTS, hex_to_rgb, spoken_colour

# Colours: full names (multi-word first, "off white" also "off-white") beat "light"/"dark" + a
# name. Two colour words side by side with nothing between them name ONE colour when the first
# is a specific colour and the second a basic hue ("lime green", "olive green", "coral pink"):
# the first, more specific word is the colour. Only "X to Y" / "X and Y" / a gradient word make
# a gradient.
NAMES = "|".join(
    re.escape(n).replace(r"\ ", r"[\s-]+") for n in sorted(NAMED_COLORS, key=len, reverse=True)
)
SHADED_NAME = rf"(?:(?:light|dark|pale|deep|bright)\s+)?(?:{NAMES})"
"""A named colour with an optional shade word ("dark green"), as a regex fragment."""
SAID_COLOUR = rf"(?:@h[0-9a-f]{{6}}|{SHADED_NAME})"
""":data:`SHADED_NAME` or a hex placeholder (``@hrrggbb``, see ``normalise``)."""
BASIC_HUES = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "grey", "gray",
              "brown")  # fmt: skip
"""The head words of a two-word colour ("lime green"); white and black are not ("teal white and
gold" is three colours)."""
_GREYS = ("grey", "gray")
COMPOUNDS = frozenset(
    frozenset(p)
    for p in (
        ("red", "orange"), ("orange", "yellow"), ("yellow", "green"), ("green", "blue"),
        ("blue", "purple"), ("purple", "red"), ("red", "pink"), ("pink", "purple"),
        ("red", "brown"), ("orange", "brown"), ("yellow", "brown"),
        *((h, g) for h in ("blue", "green", "purple", "pink", "brown") for g in _GREYS),
    )
)  # fmt: skip
"""Two basic hues said side by side that name ONE colour between them, as neighbours on the
colour wheel do ("blue green", "red-orange", "blue grey"); other pairs ("red blue") stay two."""
_PAIRS = "|".join(
    rf"{a}[\s-]+{b}" for pair in sorted(COMPOUNDS, key=sorted) for a in sorted(pair)
    for b in sorted(pair) if a != b
)  # fmt: skip
_SPECIFIC = "|".join(
    re.escape(n) for n in sorted(NAMED_COLORS, key=len, reverse=True)
    if " " not in n and n not in BASIC_HUES and n not in ("white", "black")
)  # fmt: skip
_MULTI = "|".join(
    re.escape(n).replace(r"\ ", r"[\s-]+")
    for n in sorted(NAMED_COLORS, key=len, reverse=True) if " " in n
)  # fmt: skip
COLOUR = re.compile(
    rf"@h(?P<hex>[0-9a-f]{{6}})"
    rf"|\b(?!(?:{_MULTI})\b)(?P<first>{_SPECIFIC})[\s-]+(?:{'|'.join(BASIC_HUES)})\b"
    rf"|\b(?!(?:{_MULTI})\b)(?P<pair>{_PAIRS})\b"
    rf"|\b(?P<pmod>light|dark|pale|deep|bright|pastel)[\s-]+(?P<mpair>{_PAIRS})\b"
    rf"|\b(?P<named>{NAMES})\b"
    rf"|\b(?P<mod>light|dark|pale|deep|bright|pastel)[\s-]+(?P<base>{NAMES})\b"
)


def named_hex(name: str) -> str:
    """The ``#rrggbb`` of a colour name as said ("off-white", "navy  blue")."""
    return NAMED_COLORS[" ".join(name.replace("-", " ").split())]


def colour_of(m: re.Match[str]) -> str:
    """The ``#rrggbb`` a :data:`COLOUR` match names."""
    if m.group("hex"):
        return "#" + m.group("hex")
    if m.group("first"):
        return NAMED_COLORS[m.group("first")]
    if m.group("pair"):  # "blue green": the second word is the hue, moved toward the first
        first, second = re.split(r"[\s-]+", m.group("pair"))
        return tint_of(NAMED_COLORS[second], NAMED_COLORS[first], PAIR_MIX)
    if m.group("mpair"):  # "light blue green": a light colour between blue and green
        first, second = re.split(r"[\s-]+", m.group("mpair"))
        return shade_of(tint_of(NAMED_COLORS[second], NAMED_COLORS[first], PAIR_MIX),
                        _MOD_SHADE[m.group("pmod")])  # fmt: skip
    if m.group("named"):
        return named_hex(m.group("named"))
    return shade_of(named_hex(m.group("base")), _MOD_SHADE[m.group("mod")])


_MOD_SHADE = {"light": 0.45, "pale": 0.45, "bright": 0.45, "pastel": 0.45, "dark": -0.4,
              "deep": -0.4}  # fmt: skip
"""How far a shade word moves a colour toward white (> 0) or black (< 0): "dark red"."""


PAIR_MIX = 0.4
"""How far a two-hue colour moves its second hue toward the first ("blue green")."""


def pair_colours(m: re.Match[str]) -> list[str]:
    """The two colours of a two-hue :data:`COLOUR` match read as a list ("a blue green
    gradient"), else the one colour the match names."""
    if m.group("mpair"):  # "a light blue green gradient": light blue to green
        first, second = re.split(r"[\s-]+", m.group("mpair"))
        mod = m.group("pmod")
        shaded = NAMED_COLORS.get(f"{mod} {first}") or shade_of(
            NAMED_COLORS[first], _MOD_SHADE[mod]
        )
        return [shaded, NAMED_COLORS[second]]
    if not m.group("pair"):
        return [colour_of(m)]
    return [NAMED_COLORS[w] for w in re.split(r"[\s-]+", m.group("pair"))]


GRADIENT = re.compile(r"\bgradients?\b")
BLEND = re.compile(r"\b(?:blend(?:ed|ing)?|ombr[eé]|mix(?:ed)?)\b")
"""Words that make the colours said a gradient when there are colours ("a blend of teal and
gold"); without colours they mean something else ("blend the edges")."""
STOPS = re.compile(r"\b(\d+)[\s-]*(?:colou?r|tone|stop|shade)s?\b")
"""How many colours a gradient has, as said ("a three colour blend", "3-tone")."""
PRESET = re.compile(
    r"\b(" + "|".join(NAMED_GRADIENTS) + r")\b(?=\s+(?:gradient|background|colou?rs?|look|theme|"
    r"vibe|feel|style|mood))|\blike (?:a |an |the )?(" + "|".join(NAMED_GRADIENTS) + r")\b"
)
RADIAL = re.compile(r"\b(?:radial|circular|from the (?:centre|center))\b")
ANGLES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(?:horizontal(?:ly)?|left to right|sideways)\b"), 0.0),
    (re.compile(r"\bright to left\b"), 180.0),
    (re.compile(r"\bdiagonal(?:ly)?\b"), 45.0),
    (re.compile(r"\bbottom to top\b"), 270.0),
    (re.compile(r"\b(?:vertical(?:ly)?|top to bottom)\b"), 90.0),
)


def shade_of(color: str, amount: float) -> str:
    """Mix ``color`` ('#rrggbb') toward white (``amount > 0``) or black (``< 0``), 0..1."""
    out = []
    for c in hex_to_rgb(color):
        target = 255 if amount > 0 else 0
        out.append(round(c + (target - c) * abs(amount)))
    return "#" + "".join(f"{c:02x}" for c in out)


def tint_of(color: str, toward: str, amount: float) -> str:
    """Mix ``color`` toward the colour ``toward`` (both '#rrggbb') by ``amount`` (0..1): "a
    bit redder" is ``tint_of(c, red, 0.2)``."""
    mixed = (
        round(a + (b - a) * amount)
        for a, b in zip(hex_to_rgb(color), hex_to_rgb(toward), strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def luma(color: str) -> float:
    r, g, b = hex_to_rgb(color)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0


def hex_of(said: str) -> str:
    m = COLOUR.fullmatch(said.strip())
    if m is None:  # pragma: no cover - _COL and COLOUR name the same colours
        raise Unclear(clarify(f"Which colour is “{said}”?"))
    return colour_of(m)


def colour_name(hex_colour: str) -> str:
    """A colour in words for a reply ("red", "dark red", "blue with a touch of red")."""
    return spoken_colour(hex_colour)
