"""Word sets that say what a verb's object is: the background, the person, an effect, or a
word that is never an object (so "remove the ball" is a named object and "remove it" is not)."""

from __future__ import annotations

from backdrop.render.plan import background_kinds


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BG_NOUNS = _words(
    "background backgrounds bg backdrop back scene setting room it that this everything "
    "all wall walls surroundings"
)
PERSON_NOUNS = _words(
    "person people me myself speaker subject us man woman guy girl host presenter "
    "him her them face body foreground"
)
EFFECT_NOUNS = _words(
    "fade effect change changes edit edits edge edges strength level intensity amount opacity "
    "transparency"
) | frozenset(noun for kind in background_kinds() for noun in kind.nouns)
"""Words for effects: the nouns of every background kind of the plan, fades, edges, edits."""
NOT_NOUNS = _words(
    "a lot little bit more less out only for from in until till between after and but "
    "please now slightly heavily strongly lightly gently softly mildly subtly hard completely "
    "strong stronger weak weaker heavy heavier harder softer subtler "
    "entirely fully too very really first last "
    "whole entire rest end start beginning behind on over across around at with to of into "
    "onto up down here there just bit effect everything it's is should could would must needs "
    "need has was be looks look seems"
)
