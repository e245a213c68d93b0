"""Colour names ↔ hex. CSS names plus a few everyday ones; hex strings are ``'#rrggbb'``."""

from __future__ import annotations

import functools

# CSS basic and common extended colours, plus words people use for backgrounds.
NAMED_COLORS: dict[str, str] = {
    "black": "#000000",
    "white": "#ffffff",
    "red": "#e11d2e",
    "green": "#16a34a",
    "blue": "#1d4ed8",
    "yellow": "#facc15",
    "orange": "#f97316",
    "purple": "#7e22ce",
    "violet": "#8b5cf6",
    "pink": "#ec4899",
    "magenta": "#d946ef",
    "cyan": "#06b6d4",
    "teal": "#0d9488",
    "turquoise": "#40e0d0",
    "navy": "#1e3a8a",
    "indigo": "#4338ca",
    "lavender": "#c4b5fd",
    "brown": "#8b5a2b",
    "beige": "#f5f5dc",
    "cream": "#fdf6e3",
    "gold": "#d4af37",
    "silver": "#c0c0c0",
    "grey": "#808080",
    "gray": "#808080",
    "maroon": "#800000",
    "olive": "#808000",
    "lime": "#84cc16",
    "mint": "#98ff98",
    "coral": "#ff7f50",
    "salmon": "#fa8072",
    "peach": "#ffcba4",
    "sky": "#38bdf8",
    "skyblue": "#87ceeb",
    "sky blue": "#87ceeb",
    "light blue": "#93c5fd",
    "dark blue": "#1e3a8a",
    "light green": "#86efac",
    "dark green": "#14532d",
    "light gray": "#d1d5db",
    "light grey": "#d1d5db",
    "dark gray": "#374151",
    "dark grey": "#374151",
    "chroma green": "#00b140",
    "green screen": "#00b140",
    "greenscreen": "#00b140",
    "blue screen": "#0047bb",
    "off white": "#f8f8f2",
    "charcoal": "#36454f",
    "sand": "#c2b280",
    "crimson": "#dc143c",
    "emerald": "#10b981",
    "aqua": "#00ffff",
    "fuchsia": "#ff00ff",
    "tan": "#d2b48c",
    # two-word names of ONE colour (issue 11: "navy blue" is not a navy-to-blue gradient)
    "navy blue": "#1e3a8a",
    "forest green": "#228b22",
    "hot pink": "#ff69b4",
    "baby blue": "#89cff0",
    "baby pink": "#f4c2c2",
    "royal blue": "#4169e1",
    "midnight blue": "#191970",
    "steel blue": "#4682b4",
    "powder blue": "#b0e0e6",
    "electric blue": "#1f51ff",
    "sea green": "#2e8b57",
    "mint green": "#98ff98",
    "bottle green": "#006a4e",
    "neon green": "#39ff14",
    "neon pink": "#ff6ec7",
    "blood red": "#8a0303",
    "cherry red": "#d2042d",
    "brick red": "#aa4a44",
    "burnt orange": "#cc5500",
    "mustard yellow": "#e1ad01",
    "lemon yellow": "#fff44f",
    "slate grey": "#708090",
    "slate gray": "#708090",
    "jet black": "#0a0a0a",
    "ivory": "#fffff0",
    # more CSS names people say (the values are CSS's); words that are also scenes or things
    # ("snow", "linen", "chocolate", "wheat") are left out so they stay what they name
    "plum": "#dda0dd",
    "khaki": "#f0e68c",
    "tomato": "#ff6347",
    "orchid": "#da70d6",
    "sienna": "#a0522d",
    "chartreuse": "#7fff00",
    "aquamarine": "#7fffd4",
    "azure": "#f0ffff",
    "firebrick": "#b22222",
    "goldenrod": "#daa520",
    "thistle": "#d8bfd8",
    "periwinkle": "#ccccff",
    "mauve": "#e0b0ff",
    "burgundy": "#800020",
    "ochre": "#cc7722",
    "dodger blue": "#1e90ff",
    "cornflower blue": "#6495ed",
    "cadet blue": "#5f9ea0",
    "slate blue": "#6a5acd",
    "deep pink": "#ff1493",
    "deep sky blue": "#00bfff",
    "orange red": "#ff4500",
    "yellow green": "#9acd32",
    "lawn green": "#7cfc00",
    "spring green": "#00ff7f",
    "olive drab": "#6b8e23",
    "saddle brown": "#8b4513",
    "sandy brown": "#f4a460",
    "rosy brown": "#bc8f8f",
    "indian red": "#cd5c5c",
    "misty rose": "#ffe4e1",
    "peach puff": "#ffdab9",
    "alice blue": "#f0f8ff",
    "ghost white": "#f8f8ff",
    "rebecca purple": "#663399",
    "blue violet": "#8a2be2",
}

_BY_HEX = {}
for _name, _hex in NAMED_COLORS.items():
    _BY_HEX.setdefault(_hex, _name)


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``'#1e40af' -> (30, 64, 175)``."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


NEAR_COLOUR = 64.0
"""RGB distance (0–255 units) within which two colours are "the same colour" when a person names
one ("the purple" after it was made a bit lighter)."""


def near_colour(a: str, b: str, tolerance: float = NEAR_COLOUR) -> bool:
    """Whether hex colours ``a`` and ``b`` are within ``tolerance`` (Euclidean, 0–255 RGB)."""
    pa, pb = hex_to_rgb(a), hex_to_rgb(b)
    return sum((x - y) ** 2 for x, y in zip(pa, pb, strict=True)) <= tolerance**2


def color_name(color: str) -> str:
    """A friendly name for a hex colour: its name when it is one of ours, else the hex."""
    return _BY_HEX.get(color.lower(), color.lower())


def spoken_colour(color: str) -> str:
    """A hex colour in words for a reply: its name when it is one of ours ("red"), a shade of
    one ("dark red", "a slightly lighter teal"), a mix of two ("blue with a touch of red", "a
    colour between green and blue"), else the nearest name with the hex ("a colour near navy
    (#123456)"). Shades and mixes match within 2 units per channel (0–255)."""
    c = color.lower()
    return _BY_HEX.get(c) or _spoken(c)


_SPOKEN_TOL = 2.0
"""How far (per channel, 0–255) a colour may be from a shade or a mix to be named as one."""
_BASES = [(h, n) for h, n in _BY_HEX.items() if h not in ("#000000", "#ffffff")]


def _fit(rgb: tuple[int, ...], a: tuple[int, ...], b: tuple[int, ...]) -> tuple[float, float]:
    """``(t, err)``: the point ``a + (b - a) t`` nearest ``rgb`` and its largest channel gap."""
    den = sum((y - x) ** 2 for x, y in zip(a, b, strict=True))
    if den == 0:
        return 0.0, 255.0
    t = sum((v - x) * (y - x) for v, x, y in zip(rgb, a, b, strict=True)) / den
    err = max(abs(x + (y - x) * t - v) for v, x, y in zip(rgb, a, b, strict=True))
    return t, err


def _shade_words(t: float, name: str, dark: bool) -> str:
    word, more = ("dark", "darker") if dark else ("light", "lighter")
    if (0.35 <= t <= 0.45) if dark else (0.4 <= t <= 0.5):
        return f"{word} {name}"
    if t < 0.2:
        return f"a slightly {more} {name}"
    return f"a {more} {name}" if t < 0.35 else f"a very {word} {name}"


@functools.lru_cache(maxsize=256)
def _spoken(c: str) -> str:
    rgb = hex_to_rgb(c)
    fits: list[tuple[float, bool, float, str]] = []
    for h, name in _BASES:  # a shade of one of ours: toward black or white
        base = hex_to_rgb(h)
        for target, dark in (((0, 0, 0), True), ((255, 255, 255), False)):
            t, err = _fit(rgb, base, target)
            if 0.02 < t < 0.9 and err <= _SPOKEN_TOL:
                # neutral greys fit every neutral base (silver, jet black…) as well: say them as
                # shades of grey ("a lighter grey", not "a slightly darker silver" for a grey
                # made lighter); otherwise the nearest fit, as before
                plain = name not in ("grey", "gray")
                fits.append((round(err * 2) / 2, plain, err, _shade_words(t, name, dark)))
    if fits:
        return min(fits)[3]
    best: tuple[float, str] | None = None
    for i, (ha, na) in enumerate(_MIXES):  # a mix of two everyday colours
        for hb, nb in _MIXES[i + 1 :]:
            t, err = _fit(rgb, hex_to_rgb(ha), hex_to_rgb(hb))
            if 0.02 < t < 0.98 and err <= _SPOKEN_TOL and (best is None or err < best[0]):
                (na2, nb2, t2) = (na, nb, t) if t <= 0.5 else (nb, na, 1.0 - t)
                said = f"{na2} with a touch of {nb2}" if t2 < 0.3 else f"a colour between {na2} "
                best = (err, said if t2 < 0.3 else f"{said}and {nb2}")
    if best is not None:
        return best[1]
    for i, (ha, na) in enumerate(_HUES):  # a shade of a mix of two hues ("light blue green")
        for hb, nb in _HUES[i + 1 :]:
            said = _shaded_mix(rgb, (hex_to_rgb(ha), na), (hex_to_rgb(hb), nb))
            if said is not None and (best is None or said[0] < best[0]):
                best = said
    if best is not None:
        return best[1]
    near = min(_BY_HEX.items(), key=lambda kv: _gap(rgb, hex_to_rgb(kv[0])))[1]
    return f"a colour near {near} ({c})"


_HUES = [(NAMED_COLORS[n], n) for n in ("red", "green", "blue", "yellow", "orange", "purple",
                                         "pink", "grey", "brown")]  # fmt: skip


_MIXES = _HUES + [(NAMED_COLORS[n], n) for n in ("teal", "navy", "violet", "cyan", "magenta")]
"""The colours a mix is named by: mixes of rarer names ("red with a touch of turquoise") read as
a different colour than the eye sees."""


def _shaded_mix(
    rgb: tuple[int, ...], a: tuple[tuple[int, ...], str], b: tuple[tuple[int, ...], str]
) -> tuple[float, str] | None:
    """``(err, words)`` when ``rgb`` is a mix of hues ``a`` and ``b`` moved toward black or
    white ("a light colour between blue and green"), else None. The colour is
    ``a + (b - a) p + (target - a) q``: linear in ``p`` and ``q``, solved by least squares."""
    (ca, na), (cb, nb) = a, b
    out: tuple[float, str] | None = None
    for target, word in (((0, 0, 0), "dark"), ((255, 255, 255), "light")):
        u = [y - x for x, y in zip(ca, cb, strict=True)]
        w = [t - x for x, t in zip(ca, target, strict=True)]
        r = [v - x for v, x in zip(rgb, ca, strict=True)]
        uu, uw, ww = (
            sum(x * x for x in u),
            sum(x * y for x, y in zip(u, w, strict=True)),
            sum(x * x for x in w),
        )
        ur, wr = (
            sum(x * y for x, y in zip(u, r, strict=True)),
            sum(x * y for x, y in zip(w, r, strict=True)),
        )
        det = uu * ww - uw * uw
        if abs(det) < 1e-9:
            continue
        p, q = (ur * ww - wr * uw) / det, (wr * uu - ur * uw) / det
        if not (0.05 < q < 0.9 and 0.05 < p < (1 - q) * 0.95):
            continue
        err = max(abs(x + pu * p + qw * q - v) for x, pu, qw, v in zip(ca, u, w, rgb, strict=True))
        if err <= _SPOKEN_TOL and (out is None or err < out[0]):
            first, second = (na, nb) if p / (1 - q) <= 0.5 else (nb, na)
            out = (err, f"a {word} colour between {first} and {second}")
    return out


def _gap(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


# Gradient presets people ask for by name ("a sunset gradient"), as colour stops top → bottom.
NAMED_GRADIENTS: dict[str, list[str]] = {
    "sunset": ["#f97316", "#db2777", "#7e22ce"],
    "sunrise": ["#fde68a", "#fb923c", "#f472b6"],
    "ocean": ["#0ea5e9", "#1e3a8a"],
    "sea": ["#38bdf8", "#0c4a6e"],
    "sky": ["#bae6fd", "#38bdf8"],
    "forest": ["#84cc16", "#14532d"],
    "dusk": ["#f472b6", "#6366f1", "#1e1b4b"],
    "night": ["#1e3a8a", "#020617"],
    "fire": ["#facc15", "#f97316", "#b91c1c"],
    "pastel": ["#fbcfe8", "#c4b5fd", "#bae6fd"],
    "rainbow": ["#ef4444", "#f97316", "#facc15", "#22c55e", "#3b82f6", "#8b5cf6"],
}
