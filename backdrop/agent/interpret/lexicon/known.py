"""The words the interpreter has seen in its development phrasings (``known_words.txt``, made by
``eval/build_known_words.py`` from the dev split only). A word a clause leaves over that is not
among them is named back as not understood instead of being dropped silently."""

from __future__ import annotations

from importlib.resources import files

KNOWN_WORDS: frozenset[str] = frozenset(
    files(__package__).joinpath("known_words.txt").read_text(encoding="utf-8").split()
)
