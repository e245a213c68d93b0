"""Colour names ↔ hex. CSS names plus a few everyday ones; hex strings are ``'#rrggbb'``."""

from __future__ import annotations

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
}

_BY_HEX = {}
for _name, _hex in NAMED_COLORS.items():
    _BY_HEX.setdefault(_hex, _name)


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``'#1e40af' -> (30, 64, 175)``."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def color_name(color: str) -> str:
    """A friendly name for a hex colour: its name when it is one of ours, else the hex."""
    return _BY_HEX.get(color.lower(), color.lower())


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
