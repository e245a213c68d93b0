"""Object names: the 80 COCO classes the embedded detector knows, and the words people use for them.

Pure Python (no model, no torch): the interpreter and the tools import it to turn "the sofa" into
the detector's ``couch`` and to say what can be found when a name is unknown.

* :data:`COCO_NAMES` — the classes in the detector's output order (the order of ``coco.names``
  shipped with the weights; Darknet's spellings ``sofa``, ``tvmonitor``, ``pottedplant``,
  ``diningtable``, ``motorbike``, ``aeroplane`` are given their COCO names here).
* :func:`resolve_label` — a name or synonym ("sofa", "ball", "the TV") → a class, or None.
* :func:`read_object_list` — "the person and the ball" → ``["person", "ball"]`` (two-word names
  such as "sports ball" or "teddy bear" stay whole), for the interpreter.
* :func:`missing_object_message` — what to say when a named object cannot be kept.
"""

from __future__ import annotations

import re

COCO_NAMES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip
"""The 80 COCO classes, index = the detector's class index."""

SYNONYMS: dict[str, str] = {
    # furniture
    "sofa": "couch", "settee": "couch", "loveseat": "couch", "sofas": "couch", "couches": "couch",
    "armchair": "chair", "seat": "chair", "stool": "chair", "chairs": "chair",
    "table": "dining table", "diningtable": "dining table", "kitchen table": "dining table",
    "desk": "dining table", "beds": "bed", "mattress": "bed",
    "plant": "potted plant", "pottedplant": "potted plant", "houseplant": "potted plant",
    "plants": "potted plant", "flower pot": "potted plant", "flowerpot": "potted plant",
    "fridge": "refrigerator", "television": "tv", "tv set": "tv", "tvmonitor": "tv",
    "monitor": "tv", "screen": "tv", "telly": "tv", "computer": "laptop", "notebook": "laptop",
    "phone": "cell phone", "mobile": "cell phone", "smartphone": "cell phone",
    "mobile phone": "cell phone", "cellphone": "cell phone", "iphone": "cell phone",
    "remote control": "remote", "books": "book", "hairdryer": "hair drier",
    "hair dryer": "hair drier", "teddy": "teddy bear", "mug": "cup", "glass": "wine glass",
    "flowers": "vase",
    # sport and play
    "ball": "sports ball", "football": "sports ball", "soccer ball": "sports ball",
    "basketball": "sports ball", "tennis ball": "sports ball", "balls": "sports ball",
    "juggling ball": "sports ball", "racket": "tennis racket", "racquet": "tennis racket",
    "bat": "baseball bat", "board": "skateboard", "skis": "skis", "ski": "skis",
    # vehicles and animals
    "bike": "bicycle", "motorbike": "motorcycle", "scooter": "motorcycle", "plane": "airplane",
    "aeroplane": "airplane", "ship": "boat", "lorry": "truck", "puppy": "dog", "doggy": "dog",
    "kitten": "cat", "kitty": "cat", "pony": "horse",
    # bags
    "bag": "handbag", "purse": "handbag", "rucksack": "backpack", "luggage": "suitcase",
}  # fmt: skip
"""Everyday words → COCO class. A COCO class name maps to itself without being listed."""

LOOKALIKES: dict[str, tuple[str, ...]] = {
    "sports ball": ("frisbee",),
    "tv": ("laptop",),
    "laptop": ("tv",),
}
"""Classes the small detector confuses with a class, also accepted when that class is asked
for: a football in flight is often read as a frisbee (about a quarter of the juggling clip's
frames, see BENCHMARKS.md); a monitor as a tv or a laptop."""


def matches(label: str, detected: str) -> bool:
    """Whether a detection of class ``detected`` answers a request for class ``label``."""
    return detected == label or detected in LOOKALIKES.get(label, ())


_ARTICLES = re.compile(r"^(?:the|a|an|my|our|your|this|that|those|these|his|her|their)\s+")
_TWO_WORD = frozenset(n for n in (*COCO_NAMES, *SYNONYMS) if " " in n)


def resolve_label(name: str) -> str | None:
    """The COCO class a name stands for, or None when the detector knows no such thing.

    Args:
        name: what the person said ("the sofa", "Ball", "tv", "sports ball").

    Returns:
        A member of :data:`COCO_NAMES`, or None.
    """
    n = " ".join(name.strip().lower().split())
    n = _ARTICLES.sub("", n)
    if n in COCO_NAMES:
        return n
    if n in SYNONYMS:
        return SYNONYMS[n]
    if n.endswith("s") and n[:-1] in COCO_NAMES:
        return n[:-1]
    return None


_LIST_ITEM = re.compile(
    r"(?P<sep>\s*,\s*(?:and\s+)?|\s+and\s+|\s+as well as\s+|\s+plus\s+)"
    r"(?P<det>(?:the|a|an|my|our|your|this|that)\s+)?(?P<noun>[a-z]+)"
)


def _grow(text: str, noun: str, end: int) -> tuple[str, int]:
    """Extend ``noun`` (ending at ``end``) by the next word when the two make a known name."""
    m = re.match(r"\s+([a-z]+)", text[end:])
    if m and f"{noun} {m.group(1)}" in _TWO_WORD:
        return f"{noun} {m.group(1)}", end + m.end()
    return noun, end


def read_object_list(
    text: str, start: int, end: int, accept: frozenset[str] = frozenset()
) -> tuple[list[str], int]:
    """Read a list of things from a verb's first noun on: "person and the ball, and the tv".

    Args:
        text: the lower-case clause.
        start, end: the span of the first noun in ``text`` (e.g. a regex group).
        accept: more words accepted as list items without a determiner (person words).

    Returns:
        ``(names, stop)``: the nouns in order, two-word names joined ("sports ball"), and the
        index in ``text`` where the list ends. A further item is taken after "and" / "," when
        it is a known object name, a word in ``accept``, or comes with a determiner ("and the
        lamp"); so "keep the couch and make it blue" stops after "couch".
    """
    first, stop = _grow(text, text[start:end], end)
    names = [first]
    while True:
        m = _LIST_ITEM.match(text, stop)
        if m is None:
            break
        noun, nend = _grow(text, m.group("noun"), m.end("noun"))
        if not (m.group("det") or resolve_label(noun) or noun in accept):
            break
        names.append(noun)
        stop = nend
    return names, stop


SURE_SCORE = 0.25
"""A class is listed as present in a video when seen once at this score or twice at any."""


def labels_seen(events: list[object]) -> tuple[set[str], set[str]]:
    """``(any, sure)``: the classes in ``ObjectsSeen`` events at all, and those seen surely
    enough to name as present (once at :data:`SURE_SCORE` or more, or in two detections)."""
    counts: dict[str, int] = {}
    sure: set[str] = set()
    for e in events:
        labels = getattr(e, "labels", ())
        scores = getattr(e, "scores", ()) or (1.0,) * len(labels)
        for lab, score in zip(labels, scores, strict=False):
            lab = lab.lower()
            counts[lab] = counts.get(lab, 0) + 1
            if score >= SURE_SCORE or counts[lab] >= 2:
                sure.add(lab)
    return set(counts), sure


def missing_object_message(
    name: str, seen: set[str] | frozenset[str], detector_installed: bool, searched: bool = True
) -> str:
    """What to say when "the ``name``" cannot be kept or removed.

    Args:
        name: the object as said ("lamp", "sofa").
        seen: the classes the detector found in this video (empty when it found none or has not
            run yet).
        detector_installed: whether the object detector is installed at all.
        searched: whether the video has been searched for objects (False: not analysed yet).
    """
    point = (
        "Point at it instead, e.g. “keep what is at 400,520” or “keep the box 120,340,610,700” "
        "(x0,y0,x1,y1 in video pixels)"
    )
    if not detector_installed:
        return (
            f"finding “the {name}” by name needs the object detector, which is not installed "
            "(run `backdrop models install --with yolov3-tiny`). " + point
        )
    label = resolve_label(name)
    found = sorted(seen)
    if not searched:
        here = "I have not looked for objects in this video yet"
    elif found:
        here = f"In this video I can find: {', '.join(found)}"
    else:
        here = "I have not found any objects in this video (yet)"
    if label is None:
        return f"I don't know what “the {name}” looks like: the object detector knows 80 " \
            f"everyday things and that is not one of them. {here}. {point}"  # fmt: skip
    said = name if label == name else f"{name} ({label})"
    return f"I didn't see a {said} in this video. {here}. {point}"


_VERB = re.compile(
    r"\b(?:keep|preserve|retain|leave in|remove|delete|erase|get rid of|take out|hide|cut out|"
    r"drop|lose)\s+(?:only\s+)?(?:(?:the|my|our|your|that|this|a|an)\s+)?([a-z]+)"
)
_NOT_OBJECT_WORDS = (
    "background backgrounds bg backdrop scene setting room it that this everything all wall "
    "walls surroundings rest person people me myself speaker subject us man woman guy girl host "
    "presenter him her them face body foreground box region area rectangle what whatever "
    "thing object one who blur fade gradient colour color effect edges edge hair"
)
_NOT_OBJECTS = frozenset(_NOT_OBJECT_WORDS.split())


def mentions_object(text: str) -> bool:
    """Whether an instruction keeps or removes something by name other than the person or the
    background ("keep the couch", "keep me and the ball", "remove the lamp"), so the video must
    be searched for objects before it is interpreted."""
    low = text.lower()
    for m in _VERB.finditer(low):
        names, _ = read_object_list(low, m.start(1), m.end(1))
        if any(n.split()[0] not in _NOT_OBJECTS for n in names):
            return True
    return False
