"""Undo, redo and "don't" phrasings, with their repeat counts ("undo twice")."""

from __future__ import annotations

import re

UNDO = re.compile(
    r"\b(?:undo(?: that| it| the last (?:change|step|edit))?|go back(?! to)|revert(?: that| it)?|"
    r"take that back|scratch that|never ?mind|forget (?:it|that|about (?:it|that))|"
    r"cancel (?:it|that))\b(?:\s+(twice|\d+ times|two times|three times))?"
)
DONT = re.compile(r"^(?:no )?(?:don'?t|do not)(?: do (?:it|that))?(?: after all)?$")
REDO = re.compile(r"\b(?:redo|re-do|do that again)\b(?:\s+(twice|\d+ times|two times))?")
REPEAT = {"twice": 2, "two times": 2, "three times": 3}
