"""Edges of the cut-out: the nouns, the complaint → action rules (grow, shrink, refine, sharpen,
soften), colour spill, rough hair and matching the lighting."""

from __future__ import annotations

import re

_MOVE = (
    r"\b(?:pull|bring|draw|take|tuck|move|push|let|nudge|shift|suck|come|go)\s+(?:(?:the|my|his|her|"
    r"their|that|this|it|its)\s+)?(?:(?:edges?|outlines?|borders?|mask|matte|cut-?out|"
    r"silhouette|contours?)\s+)?(?:(?:a\s+)?(?:bit|little|touch|tad|notch|slightly|more)\s+)?"
)
_DEGREE = r"(?:\s+(?:a\s+)?(?:little bit|bit|little|touch|tad|notch|more|slightly))?"
"""A verb moving the edge, before "in" (shrink) or "out" (grow): "bring the edges in a bit"."""

# Edges: (pattern, action). Actions are applied to the current settings in _edge_update.
EDGE_NOUN = re.compile(
    r"\b(?:edges?|outlines?|borders?|cut-?out|halo|fring(?:e|ing)|mask|matte|hair(?:line)?|"
    r"silhouette|contours?|feather(?:ing)?)\b"
)
EDGE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), a)
    for p, a in (
        (r"\b(?:cut(?:s|ting)? (?:into|off)|eat(?:s|ing)? into|chop(?:s|ping)? off|clip(?:s|ping)?"
         r" (?:off|into)|too tight|missing (?:my|the|his|her)|loses? (?:my|the|his|her)|"
         r"grow|expand|bigger|looser|wider|dilate|too (?:small|thin|narrow)|eat(?:s|ing)? "
         r"(?:my|the|his|her|their)|(?:my|his|her|the) \w+ (?:(?:is|are|gets?|getting|keeps?|"
         r"looks?|seems?|appears?) )+(?:cut|chopped|clipped|cropped)|(?:cut(?:s|ting)?|"
         r"chop(?:s|ping|ped)?|clip(?:s|ping|ped)?) (?:off )?(?:my|his|her|their) \w+(?: off)?)\b"
         rf"|{_MOVE}out(?:wards?)?{_DEGREE}\b", "grow"),
        (r"\b(?:tight(?:er|en)?|shrink|smaller|too (?:loose|big|large|wide|fat)|halo|"
         r"fring(?:e|ing)|background (?:is )?"
         r"(?:showing|bleeding|leaking)|erode|contract|choke)\b"
         rf"|{_MOVE}in(?:wards?)?{_DEGREE}\b", "shrink"),
        (r"\b(?:rough|jagged|jagg(?:y|ies)|choppy|ragged|messy|blocky|stair-?stepp?(?:ed|ing)|aliased|"
         r"pixelated|bad|ugly|noisy|flicker(?:s|ing|y)?)\b", "refine"),
        (r"\b(?:too (?:soft|blurry|fuzzy|smooth|feathered)|less (?:soft|blurry|fuzzy|"
         r"feather(?:ing|ed)?)|(?:no|reduce (?:the )?|not so much) feather(?:ing)?)\b", "sharpen"),
        (r"\b(?:too (?:sharp|harsh|hard|crisp)|less (?:sharp|harsh|hard|crisp))\b", "soften"),
        (r"\b(?:soft(?:er|en)?|smooth(?:er)?|feather(?:ed|ing|s)?|blur(?:rier|ry|red)?|gentler)\b",
         "soften"),
        (r"\b(?:sharp(?:er|en)?|crisp(?:er)?|harder|cleaner)\b", "sharpen"),
        (r"\b(?:reset|restore|back to (?:the )?(?:default|normal|original))\b|"
         r"\b(?:default|normal|original) (?:edges?|outlines?|mask)\b", "reset"),
    )
)  # fmt: skip
_AROUND = r"(?:around|round|on|along|at|near|by|behind|next to|beside)"
_OLD_BG = (
    r"(?:the\s+)?(?:old|original|real|previous)\s+(?:background|bg|backdrop|room|wall|scene)\b"
)
_SHOWS = (
    r"(?:is\s+|are\s+)?(?:still\s+)?(?:showing|shows|visible|peeking|leaking|bleeding|left|"
    r"poking|coming|stuck|sticking)(?:\s+(?:through|out))?\b"
)
HALO = re.compile(
    r"\b(?:bits?|pieces?|traces?|some|parts?|patches|a (?:bit|line|ring|rim|halo|outline|sliver|"
    rf"glow|fringe|border|edge|strip)) of\s+{_OLD_BG}(?:\s+{_SHOWS})?"
    rf"|\b{_OLD_BG}(?:\s+{_SHOWS}|(?=(?:\s+(?:still|through))?\s+{_AROUND}\s+(?:me|my|him|his|"
    r"her|them|their|the (?:person|speaker|guy|woman|man|head|hair|edges?))\b))"
    r"|\b(?:thin\s+|faint\s+|weird\s+|odd\s+)?(?:white|black|dark|light|bright|gr[ae]y|pale|"
    r"coloured|colored|weird|faint|odd|thin|glowing)(?:ish)?\s+(?:outline|line|edge|halo|fringe|"
    rf"glow|rim|ring|border|band)s?(?=\s+{_AROUND}\b)"
    rf"|\b(?:a\s+)?(?:glow|ghost(?:ing)?|rim|ring)\s+(?={_AROUND}\s+(?:me|my|him|his|her|them|"
    r"their|the (?:person|speaker|guy|woman|man|head|hair|edges?)))"
)
DESCRIBES = re.compile(
    r"^\s*(?:there(?:'s| is| are)|i (?:can )?(?:still )?(?:see|notice|spot)|i(?:'ve| have) got|"
    r"it(?:'s| has)(?: got)?|you can (?:still )?see|(?:it )?looks? like|i think there(?:'s| is))\b"
)
"""A halo of the old background (or a coloured line) around the person, said as a complaint:
"bits of the old background around my hair", "a white outline around me", "a glow around my
head". The cut-out's edge moves in (shrink); the colour named is never the background's.
``DESCRIBES``: a clause that only says what is wrong ("there's a halo around my hair"); the
fix said with it ("pull the mask in") is the same change, made once."""
PRONOUN = re.compile(r"\b(?:me|my|him|his|her|them|us|person)\b")
BARE_EDGE = re.compile(r"\b(?:sharper|crisper|tighter|softer|smoother|sharpen)\b")

MATCH_LIGHT = re.compile(
    r"\b(?:match|fix|adjust|balance)\s+(?:the\s+)?(?:lighting|light|brightness|colou?r "
    r"temperature|white balance)\b|\blighting (?:doesn'?t|does not) match\b"
)
HAIR_ROUGH = re.compile(r"\bhair\b.*\b(?:rough|jagged|choppy|bad|blocky|messy|ugly|wrong)\b")
SPILL = re.compile(  # "there's green on her hair", "blue fringe", "despill" → set_edges despill
    r"\b(?P<c>green|blue)(?:ish)?(?:\s+(?:spill|fringe|fringing|tint|cast|halo|glow|edges?))?"
    r"\s+(?:on|in|around|at|along)\s+(?:the\s+|his\s+|her\s+|their\s+|my\s+)?"
    r"(?:hair|edges?|head|shoulders?|outline|silhouette|face|person)\b"
    r"|\b(?P<d>green|blue)(?:ish)?\s+(?:spill|fringe|fringing|tint|cast|halo)\b|\bdespill\b"
)
