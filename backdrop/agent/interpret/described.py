"""Background files named by description: "the beach photo", "the waves video", "use the
picture of the beach", "the ocean clip".

Before the text is normalised, each media noun (photo, picture, image, video, clip, footage, …)
with describing words before it ("the beach photo") or after it ("the picture of the beach") is
matched against the background files available in the session: the images and videos directly
in the folders a background path may name without a folder (the first allowed folder and the
source video's folder; the source itself is never one). A file matches when a describing word,
or one of its synonyms (``SYNONYMS``, plural or singular), is a word of the file's name (its
stem split at ``_ - .``, spaces, digits and camelCase humps), and its kind fits the noun (a
photo is an image, a clip a video).

One match: the phrase is replaced by the file's name (quoted), so the rest of the interpreter
reads it as if the name had been said. Several: a question naming them. None, where the phrase
is what the background should be ("use the mountain photo"): a question saying no file matches
and naming the ones there are. A file that does not match is never picked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from backdrop.agent.interpret.errors import Unclear
from backdrop.agent.interpret.lexicon.files import EXTENSIONS, file_kind
from backdrop.render.colors import NAMED_COLORS, NAMED_GRADIENTS
from backdrop.tools import ToolContext


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


IMAGE_NOUNS = _set(
    "photo photos photograph photographs picture pictures pic pics image images img still "
    "stills snapshot snap shot wallpaper jpg jpeg png"
)
VIDEO_NOUNS = _set(
    "video videos vid vids clip clips footage movie movies film recording loop mp4 mov"
)
SYNONYMS: tuple[frozenset[str], ...] = tuple(
    _set(group)
    for group in (
        "ocean sea waves wave surf water",
        "beach shore sand seaside coast",
        "forest woods wood trees tree jungle",
        "city skyline town urban street downtown",
        "mountain mountains hill hills peak alps",
        "sky clouds cloud",
        "office desk workspace workplace",
        "space stars star galaxy cosmos universe",
        "sunset dusk sundown evening",
        "sunrise dawn morning",
        "snow winter snowy",
        "fire fireplace flames flame",
        "rain rainy storm",
        "lake river",
        "garden flowers flower park",
        "library books bookshelf",
    )
)
# Words that describe nothing in a file's name: determiners, the video being edited, sizes.
_STOP = _set(
    "the a an my our your his her their this that these those some any of it its one ones "
    "whole entire full same original source input main final new old other nice good great "
    "cool pretty lovely own first last second previous next current edited rendered exported "
    "output uploaded short long little big background backgrounds bg backdrop file files "
    "use put set make replace swap switch change with for to as and or behind me him her us "
    "please can could would you i want like into onto on in at from then just now also "
    "instead show give get add apply try"
)
_NOUN = "|".join(sorted(IMAGE_NOUNS | VIDEO_NOUNS, key=len, reverse=True))
_WORD = r"[a-z][a-z'-]*"
PHRASE = re.compile(
    rf"\b(?:(?:the|my|our|your|(?<!after )that|this|a|an)\s+)?(?P<before>(?:{_WORD}\s+){{0,2}}?)"
    rf"(?P<noun>{_NOUN})\b(?:\s+(?:of|with|showing|from|at)\s+(?:the\s+|a\s+|an\s+|some\s+|my\s+)?"
    rf"(?P<after>{_WORD}(?:\s+{_WORD})?))?"
)
_ANY_NOUN = re.compile(rf"\b(?:{_NOUN})\b")
# No media noun, but said as the background: "use the waves as my background". Only a single
# matching file is taken; colour and gradient-preset names stay what they are.
BARE = re.compile(
    r"\b(?:use|put|set|want|with|to)\s+(?:the|my|that|this|our)\s+"
    rf"(?P<words>{_WORD}(?:\s+{_WORD})?)\s+(?=as\s+(?:(?:my|the|a|our)\s+)?(?:background|backdrop|bg)\b"
    r"|behind\b|in the back)"
)
_SCENES = "|".join(sorted({w for g in SYNONYMS for w in g}, key=len, reverse=True))
SCENERY = re.compile(
    r"\b(?:swap in|swap to|switch to|change (?:it )?to|go with|use|put in|put up|show|bring in|"
    r"give me|i want|add)\s+(?:the|a|an|some|my|our|that)\s+"
    rf"(?P<words>(?:{_WORD}\s+)?(?:{_SCENES}))\b(?!\s+(?:colou?r|gradient|blue|green|tone))"
)
"""A scene said as the background without a media noun or "behind me": "swap in the forest for
the first ten seconds" (the one matching file, or a question when none matches)."""
BARE_PART = re.compile(
    r"(?:^|[,;.]\s*|\b(?:then|after that|afterwards|followed by|finally|next|and then)\s+)"
    rf"(?:the|my|that|our)\s+(?P<words>{_WORD}(?:\s+{_WORD})?)\s*(?=$|[,;.]|\b(?:then|and|for|"
    r"until|till|from|after|at|during|in the (?:first|last)|starting)\b)"
)
"""A part of a sequence that is only a file's description, without a media noun: "…, then the
waves" (only a single matching file is taken)."""
_NOT_FILES = frozenset(w for n in (*NAMED_COLORS, *NAMED_GRADIENTS) for w in n.split()) | _set(
    "blur blurred blurry colour color gradient same previous video clip person"
)
_EFFECT_WORDS = _set("blur blurred blurry colour color gradient same previous video clip person")
# Words after "put the …" / "use the … as" that name no picture: the plan's own things.
_NOT_DESCRIBED = _set(
    "transparent transparency clear nothing empty default usual light lighting edge edges "
    "mask matte outline halo camera person people speaker everyone everybody everything "
    "rest others gradient colours colors effect effects fade"
)
# The phrase says what the background should be: asked about when no file matches.
_PLACING_BEFORE = re.compile(
    r"\b(?:use|put|with|for|to|as|into|background|backdrop|bg|be|is|want|like|show)\s*$"
)
_PLACING_AFTER = re.compile(r"^\s*(?:as|behind|in the back|for the back|instead)\b")
MAX_FILES = 2000
"""At most this many entries of a folder are looked at."""


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    words: tuple[str, ...]
    kind: str


def _stem(word: str) -> str:
    """``beaches`` → ``beach``, ``waves`` → ``wave``: a simple singular."""
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _senses(word: str) -> set[str]:
    """The word, its singular and its synonyms (all singular)."""
    said = {word, _stem(word)}
    out = set(said)
    for group in SYNONYMS:  # only the groups the word is in: synonyms of synonyms are not
        if said & (group | {_stem(w) for w in group}):
            out |= group
    return {_stem(w) for w in out} | out


def name_words(path: Path) -> set[str]:
    """The words of a file's name: ``Beach_Sunset-02.jpg`` → ``{beach, sunset}`` (and their
    singulars)."""
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", path.stem)
    words = {w for w in re.split(r"[\s_.\-\d]+", stem.lower()) if len(w) > 1}
    return words | {_stem(w) for w in words}


def available_backgrounds(ctx: ToolContext) -> list[Path]:
    """Image and video files a background may name by file name alone in this session: directly
    in the first allowed folder and the source video's folder (hidden files and the source
    itself left out), in name order, the first folder's copy when a name is in both."""
    folders = ctx.allowed_folders()[:1] + ([ctx.source.parent] if ctx.source is not None else [])
    seen: dict[str, Path] = {}
    source = ctx.source.resolve() if ctx.source is not None else None
    for folder in folders:
        try:
            entries = sorted(folder.iterdir())[:MAX_FILES]
        except OSError:
            continue
        for p in entries:
            if p.name.startswith(".") or p.name in seen or '"' in p.name:
                continue
            if p.suffix.lower().lstrip(".") not in EXTENSIONS:
                continue
            try:
                if not p.is_file() or p.resolve() == source:
                    continue
            except OSError:
                continue
            seen[p.name] = p
    return sorted(seen.values(), key=lambda p: p.name)


def _phrases(low: str) -> list[_Match]:
    out: list[_Match] = []
    for m in PHRASE.finditer(low):
        words = [w for w in (m.group("before") or "").split() if w not in _STOP]
        words += [w for w in (m.group("after") or "").split() if w not in _STOP]
        words = [w.strip("'-") for w in words if not w.isdigit()]
        if not words:
            continue
        kind = "image" if m.group("noun") in IMAGE_NOUNS else "video"
        out.append(_Match(m.start(), m.end(), tuple(words), kind))
    return out


def resolve_described(text: str, ctx: ToolContext) -> str:
    """``text`` with background files named by description replaced by their (quoted) names.

    Raises:
        Unclear: several files match one description, or none does where the phrase says what
            the background should be; the message asks which file. The whole instruction waits
            for the answer: applying the rest could give the description's time or strength to
            another change ("blur it and use the mountain photo for the last 5 s").
    """
    low = text.lower()
    if len(low) != len(text):
        return text
    if _ANY_NOUN.search(low) is None:
        return _bare(text, low, ctx)
    return _bare_parts(_described(text, low, ctx), ctx)


def _described(text: str, low: str, ctx: ToolContext) -> str:
    """``text`` with each media phrase ("the beach photo") replaced by the file it names."""
    phrases = _phrases(low)
    if not phrases:
        return text
    files = available_backgrounds(ctx)
    for ph in reversed(phrases):  # from the end, so earlier positions stay valid
        said = " ".join(ph.words)
        fits = [p for p in files if file_kind(p.name) == ph.kind]
        found = [p for p in fits if any(_senses(w) & name_words(p) for w in ph.words)]
        if len(found) == 1:
            text = f'{text[: ph.start]}"{found[0].name}"{text[ph.end :]}'
        elif found:
            names = " or ".join(f"“{p.name}”" for p in found[:4])
            raise Unclear(f"Which {ph.kind} do you mean by “{said}”: {names}?")
        elif _PLACING_BEFORE.search(low[: ph.start]) or _PLACING_AFTER.match(low[ph.end :]):
            raise Unclear(_no_match(low[ph.start : ph.end], ph.kind, files))
    return text


# Said as a place to be: "put me on the beach", "take us to the city", "I want to be in a forest".
PLACE = re.compile(
    r"\b(?:(?:put|place|take|send|drop|move|transport|teleport|stick|bring|stand)\s+(?:me|us|"
    r"him|her|them|the person|the speaker)|(?:i|we) (?:want|would like|'d like) to be|make it "
    r"look like (?:i'm|i am|we're|we are|he's|she's)|as if (?:i|we|he|she) (?:were|was|are|am|"
    r"is))\s+(?:somewhere\s+)?(?:on|in|at|to|into|onto|by|near|inside|out on|out in|down at|"
    r"up in|up on)\s+"
    rf"(?:(?:the|a|an|some|my|our)\s+)?(?P<words>{_WORD}(?:\s+{_WORD})?)"
)
_NOT_PLACES = _set(
    "front middle centre center foreground frame picture shot focus spotlight corner left right "
    "end start beginning back top bottom side place spot position view scene video clip first "
    "last final next second seconds minute minutes mark"
)


def _place(text: str, low: str, ctx: ToolContext) -> str | None:
    """``text`` with "put me on the beach" naming the one file that matches, as "put "beach.jpg"
    behind me"; ``None`` when there is no such phrase.

    Raises:
        Unclear: several files match, or none does (the question names the files there are).
    """
    m = PLACE.search(low)
    if m is None:
        return None
    words = [w for w in m.group("words").split() if w not in _STOP and w not in _NOT_PLACES]
    colours = set(NAMED_COLORS) | {"blur", "blurred", "blurry", "light", "dark", "gradient"}
    if not words or " ".join(words) in colours or any(w in colours for w in words):
        return None
    files = available_backgrounds(ctx)
    found = [p for p in files if any(_senses(w) & name_words(p) for w in words)]
    said = " ".join(words)
    if len(found) == 1:
        return f'{text[: m.start()]}put "{found[0].name}" behind me{text[m.end() :]}'
    if found:
        names = " or ".join(f"“{p.name}”" for p in found[:4])
        raise Unclear(f"Which file do you mean by “{said}”: {names}?")
    raise _no_scene_file(said, words, files, ", so I can't put you there")


def files_answer(text: str, ctx: ToolContext) -> str | None:
    """The answer to "which background files have I got?", or ``None`` for other text."""
    from backdrop.agent.interpret.lexicon.adjust import FILES_QUESTION

    if FILES_QUESTION.match(text.lower().strip(" ?!.")) is None:
        return None
    files = available_backgrounds(ctx)
    if not files:
        return (
            "I see no image or video files beside the video. Put one there, or give its path, "
            "for example “use ~/Pictures/beach.jpg as the background”."
        )
    said = ", ".join(f"{p.name} ({file_kind(p.name)})" for p in files[:12])
    more = f" and {len(files) - 12} more" if len(files) > 12 else ""
    return (
        f"The background files I can use here: {said}{more}. Say, for example, “use "
        f"{files[0].name} as the background”."
    )


def _bare(text: str, low: str, ctx: ToolContext) -> str:
    """``text`` with "use the waves as my background" naming the one file that matches."""
    placed = _place(text, low, ctx)
    if placed is not None:
        return placed
    m = BARE.search(low)
    if m is None:
        m = SCENERY.search(low)
        if m is not None:
            found = _one_file(m.group("words"), ctx)
            if found is None:
                _ask_when_nothing_matches(m.group("words"), ctx)
            else:
                return f'{text[: m.start("words")]}"{found.name}"{text[m.end("words") :]}'
        return _bare_parts(text, ctx)
    found = _one_file(m.group("words"), ctx)
    if found is None:
        _ask_when_nothing_matches(m.group("words"), ctx)
        return text
    return f'{text[: m.start("words")]}"{found.name}"{text[m.end("words") :]}'


def _bare_parts(text: str, ctx: ToolContext) -> str:
    """``text`` with "…, then the waves" naming the one file that matches (sequence parts)."""
    low = text.lower()
    if len(low) != len(text):
        return text
    for m in reversed(list(BARE_PART.finditer(low))):
        found = _one_file(m.group("words"), ctx)
        if found is not None:
            text = f'{text[: m.start("words")]}"{found.name}"{text[m.end("words") :]}'
    return text


def _one_file(said: str, ctx: ToolContext) -> Path | None:
    """The one background file whose name matches the words ``said`` (not a colour, preset or
    effect word), or ``None``."""
    words = [w for w in said.split() if w not in _STOP]
    if not words or any(w in _NOT_FILES for w in words):
        return None
    found = [p for p in available_backgrounds(ctx)
             if any(_senses(w) & name_words(p) for w in words)]  # fmt: skip
    return found[0] if len(found) == 1 else None


def _ask_when_nothing_matches(said: str, ctx: ToolContext) -> None:
    """Raise :class:`Unclear` when ``said`` ("the mountains" in "put the mountains behind me")
    names a background that is no colour, preset or effect and no file matches at all: without
    this the words were dropped and the rest of the clause ("… for the last 5 seconds") retimed
    the current background under an "Understood".

    Raises:
        Unclear: the question, naming the files there are.
    """
    words = [w for w in said.split() if w not in _STOP and w not in _NOT_PLACES]
    colours = set(NAMED_COLORS)  # whole names: "forest" alone is a scene, "forest green" not
    if (
        not words
        or " ".join(words) in colours
        or any(w in colours or w in _NOT_DESCRIBED or w in _EFFECT_WORDS for w in words)
    ):
        return
    files = available_backgrounds(ctx)
    if any(any(_senses(w) & name_words(p) for w in words) for p in files):
        return  # several match: the phrase readers ask which
    raise _no_scene_file(" ".join(words), words, files)


def _no_scene_file(said: str, words: list[str], files: list[Path], why: str = "") -> Unclear:
    """The question for a scene ``said`` that no background file shows (the files there are,
    and the gradient preset of that name when there is one)."""
    there = ", ".join(p.name for p in files[:6])
    listed = f" The background files here are: {there}." if there else (
        " I see no image or video files beside the video.")  # fmt: skip
    preset = next((w for w in words if w in NAMED_GRADIENTS), None)
    offer = f" Or I can make a {preset}-coloured gradient: say “a {preset} gradient”."
    offer = offer if preset else ""
    return Unclear(
        f"I have no picture or video of “{said}” here{why}.{listed} Which file should I use? Say "
        f"its name, for example “use beach.jpg as the background”.{offer}"
    )


def _no_match(phrase: str, kind: str, files: list[Path]) -> str:
    there = [p.name for p in files if file_kind(p.name) == kind][:6]
    listed = (
        f" The {kind}s here are: {', '.join(there)}." if there else f" I see no {kind} files here."
    )
    return (
        f"I can't find {'an' if kind == 'image' else 'a'} {kind} that matches “{phrase}”.{listed} "
        "Which file should I use? Say its name, for example “use beach.jpg as the background”."
    )
