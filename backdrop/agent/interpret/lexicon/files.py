"""File names and hex colours in an instruction: quoted and bare paths of the files a background
kind shows (replaced by ``@pN`` placeholders), ``#rrggbb`` and bare hex codes (``@hrrggbb``).

The file suffixes, and which background kind each means, come from the plan's background
kinds (:func:`backdrop.render.plan.background_kinds`)."""

from __future__ import annotations

import re

from backdrop.render.plan import background_kinds, background_type

FILE_KINDS: dict[str, str] = {
    ext: background_type(kind) for kind in background_kinds() for ext in kind.extensions
}
"""File suffix (lower case, no dot) → the ``type`` of the background that shows it."""
EXTENSIONS = tuple(FILE_KINDS)
_EXT = "|".join(EXTENSIONS)
QUOTED_PATH = re.compile(
    rf"\"([^\"]+?\.(?:{_EXT}))\"|'([^']+?\.(?:{_EXT}))'|“([^”]+?\.(?:{_EXT}))”|‘([^’]+?\.(?:{_EXT}))’",
    re.IGNORECASE,
)
BARE_PATH = re.compile(rf"(?<![\w@])([\w~./\\:-]*\w\.(?:{_EXT}))(?![\w.]*\w)", re.IGNORECASE)
HASH_HEX = re.compile(r"#([0-9a-f]{6})\b")
COLOUR_WORDS = re.compile(r"\b(?:colou?rs?|hex|code)\b")
BARE_HEX = re.compile(r"(?<![@#\w])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])([0-9a-f]{6})\b")


PATH_TOKEN = re.compile(r"@p(\d+)")


def file_kind(path: str) -> str:
    """The background ``type`` that shows ``path`` (by its suffix; ``image`` when unknown)."""
    return FILE_KINDS.get(path.rsplit(".", 1)[-1].lower(), "image")
