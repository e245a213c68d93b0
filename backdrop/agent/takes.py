"""Choosing among takes: the comparison in words, and the person's pick read from a line.

The measurements are :mod:`backdrop.perception.core.takes`'; this module only words them
("Take 2 has the steadiest, brightest light") and reads "take 2", "the second one",
"the brightest one", "the one with the clearest speech", "yes" (= the recommended take).
Takes are numbered from 1 in the order they were given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from backdrop.perception.core.takes import TakeReport, best_takes, leaders

if TYPE_CHECKING:
    from rich.table import Table

_ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
    "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5,
}  # fmt: skip
_DESCRIBED: list[tuple[str, str]] = [
    (r"\b(?:brightest|lightest|most light)\b", "brightest"),
    (r"\b(?:darkest|dimmest|moodiest)\b", "darkest"),
    (r"\b(?:steadiest|most stable|stable|no flicker|least flicker)", "steadiest"),
    (r"\b(?:best[- ]lit|best light(?:ing)?|nicest light|well[- ]lit|good light)", "light"),
    (r"\b(?:sharpest|crispest|least blurr?y|in focus|most detail)", "sharpest"),
    (r"\b(?:cleanest (?:cut|mask|edge)|best (?:mask|cut[- ]?out|edges?))", "mask"),
    (r"\b(?:clearest|best|cleanest)\s+(?:speech|audio|sound|voice)|\bclearest\b", "speech"),
    (r"\b(?:best|recommended|your (?:pick|choice|recommendation))\b|^\s*(?:yes|ok|sure)\b",
     "overall"),
]  # fmt: skip


def describe(reports: list[TakeReport]) -> list[str]:
    """One line per take with its figures, e.g. ``"Take 2 (b.mp4): light 52 % (steady), ..."``."""
    lines = []
    for i, r in enumerate(reports, 1):
        steady = "steady" if r.light_std < 0.02 else f"flickers ±{r.light_std:.0%}"
        parts = [f"light {r.light:.0%} ({steady})", f"sharpness {r.sharpness:.0f}"]
        if r.mask_quality is not None:
            parts.append(f"cut-out quality {r.mask_quality:.2f}")
        if r.speech_s > 0:
            speech = f"{r.speech_s:.1f} s of speech"
            if r.word_confidence is not None:
                speech += f", words {r.word_confidence:.0%} sure"
            if r.snr_db is not None:
                speech += f", SNR {r.snr_db:.0f} dB"
            parts.append(speech)
        text = f"Take {i} ({r.path.name}): " + ", ".join(parts)
        if r.transcript:
            text += f' — "{r.transcript[:80]}{"…" if len(r.transcript) > 80 else ""}"'
        lines.append(text)
    return lines


def comparison_table(reports: list[TakeReport]) -> Table:
    """The takes side by side (``backdrop analyze A B C``): light, flicker, sharpness, cut-out
    quality, speech and word confidence, one row per take."""
    from rich.table import Table

    table = Table(title=f"{len(reports)} takes")
    for col in ("take", "file", "light", "flicker", "sharpness", "cut-out", "speech", "words"):
        table.add_column(col)
    for i, r in enumerate(reports, 1):
        table.add_row(
            str(i), r.path.name, f"{r.light:.0%}", f"±{r.light_std:.1%}", f"{r.sharpness:.0f}",
            "—" if r.mask_quality is None else f"{r.mask_quality:.2f}",
            f"{r.speech_s:.1f} s" + ("" if r.snr_db is None else f", {r.snr_db:.0f} dB"),
            "—" if r.word_confidence is None else f"{r.word_confidence:.0%}",
        )  # fmt: skip
    return table


def recommend(reports: list[TakeReport]) -> str:
    """Which take is best for what, and why, in a few sentences; ends with the question."""
    if len(reports) == 1:
        return "There is one take; I'll use it."
    lead = leaders(reports)
    said: dict[tuple[int, ...], list[str]] = {}

    def add(key: str, words: str) -> None:
        if key in lead:
            said.setdefault(tuple(sorted(lead[key])), []).append(words)

    one = lead.get("light", [-1])[0]
    if lead.get("steadiest") == [one] and lead.get("brightest", [one])[0] == one:
        add("light", "the steadiest, brightest light")
    elif lead.get("steadiest") == [one]:
        add("light", "the steadiest, best-exposed light")
    else:
        add("light", "the best-exposed light")
        add("steadiest", "the steadiest light")
    add("sharpest", "the sharpest picture")
    add("mask", "the cleanest cut-out")
    add("speech", "the clearest speech")
    out = []
    for who, words in sorted(said.items()):
        if len(who) == 1:
            out.append(f"Take {who[0] + 1} has {_join(words)}.")
        else:
            names = _join([str(i + 1) for i in who])
            plain = [_TIED.get(w, w.replace("the ", "")) for w in words]
            out.append(f"Takes {names} have equally {_join(plain)}.")
    o = best_takes(reports)["overall"]
    out.append(
        f"Overall I'd use take {o + 1}. Which take should I edit? (a number, “the sharpest one”, "
        "or yes for take " + f"{o + 1})"
    )
    return " ".join(out)


_TIED = {
    "the steadiest light": "steady light", "the best-exposed light": "good exposure",
    "the sharpest picture": "sharp pictures", "the cleanest cut-out": "clean cut-outs",
    "the clearest speech": "clear speech", "the steadiest, brightest light": "steady, bright light",
    "the steadiest, best-exposed light": "steady, well-exposed light",
}  # fmt: skip


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def pick(text: str, reports: list[TakeReport], count: int | None = None) -> tuple[int, str] | None:
    """The take the person chose in ``text``: ``(index from 0, why in words)``, or ``None``.

    Reads "take 2", "2", "the second one", "the last one", and descriptions ("the brightest
    one", "the one with the clearest speech", "the best", "yes" = the recommended take).
    ``count``: how many takes there are when ``reports`` is empty (not measured yet: only
    numbers and positions are read).
    """
    t = text.strip().lower()
    n = len(reports) or (count or 0)
    m = re.search(r"\btake\s*#?\s*(\d+)\b|^\s*#?(\d+)\s*[.!]?\s*$", t)
    if m:
        k = int(m.group(1) or m.group(2))
        return (k - 1, f"take {k}") if 1 <= k <= n else None
    m = re.search(r"\b(" + "|".join(_ORDINALS) + r")\b(?:\s+(?:one|take|clip|video))?", t)
    if m and (m.group(0) != "one" or re.search(r"\b(?:take|clip)\s+one\b", t)):
        k = _ORDINALS[m.group(1)]
        if 1 <= k <= n and (m.group(1) != "one" or "take" in t):
            return k - 1, f"take {k}"
    if re.search(r"\b(?:last|final)\s+(?:one|take|clip)\b", t):
        return n - 1, f"take {n}"
    if not reports:
        return None
    best = best_takes(reports)
    for pattern, key in _DESCRIBED:
        if re.search(pattern, t) and key in best:
            return best[key], _KEY_WORDS[key]
    return None


_KEY_WORDS = {
    "brightest": "the brightest take",
    "darkest": "the darkest take",
    "steadiest": "the take with the steadiest light",
    "light": "the best-lit take",
    "sharpest": "the sharpest take",
    "mask": "the take with the cleanest cut-out",
    "speech": "the take with the clearest speech",
    "overall": "the take I recommended",
}


def strengths(index: int, reports: list[TakeReport]) -> list[str]:
    """What take ``index`` (from 0) is best at, in words (empty when it wins nothing)."""
    lead = leaders(reports)
    words = {
        "light": "the best-exposed light", "steadiest": "the steadiest light",
        "brightest": "the brightest picture", "sharpest": "the sharpest picture",
        "mask": "the cleanest cut-out", "speech": "the clearest speech",
    }  # fmt: skip
    return [w for k, w in words.items() if lead.get(k, [-1])[0] == index]


def confirm(index: int, why: str, reports: list[TakeReport]) -> str:
    """The answer to a pick: which take is edited, what it is best at, and the recommendation
    when it differs."""
    r = reports[index]
    good = strengths(index, reports)
    text = f"Editing take {index + 1} ({r.path.name})" + (
        "" if why.startswith("take ") else f", {why}"
    )
    text += f": it has {_join(good)}." if good else "."
    o = best_takes(reports)["overall"]
    if o != index:
        text += f" (Overall I'd have used take {o + 1}: {_join(strengths(o, reports) or ['—'])}.)"
    return text


def choose(
    reports: list[TakeReport], answers: Callable[[], str | None], say: Callable[[str], None]
) -> int:
    """Say the comparison, then read answers until one names a take; the recommended take when
    the answers run out. Returns its index (from 0)."""
    for line in describe(reports):
        say(f"  {line}")
    say(f"backdrop: {recommend(reports)}")
    while True:
        line = answers()
        if line is None:
            o = best_takes(reports)["overall"]
            say(f"backdrop: {confirm(o, 'the one I recommended', reports)}")
            return o
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        say(f"you: {line.strip()}")
        got = pick(line, reports)
        if got is not None:
            agree = ""
            if "?" in line:  # "Take 2 has the best lighting. Should I use that?"
                o = best_takes(reports)["overall"]
                agree = "Yes. " if got[0] == o else f"You can, though I'd use take {o + 1}. "
            say(f"backdrop: {agree}{confirm(got[0], got[1], reports)}")
            return got[0]
        say(
            f"backdrop: Which take? Say a number from 1 to {len(reports)}, or describe it "
            "(“the brightest one”, “the sharpest”, “the clearest speech”)."
        )


_ABOUT_TAKES = re.compile(
    r"\b(?:takes?|clips?|versions?|recordings?)\b|\bthe\s+(?:\w+\s+){0,2}one\b|"
    r"\bone\s+with\b|^\s*(?:use|pick|choose|switch to|go with|edit)\s+(?:the\s+)?\w+est\b",
    re.I,
)


def pick_in_chat(
    text: str, reports: list[TakeReport], asked: bool, count: int | None = None
) -> tuple[int, str] | None:
    """The take chosen by a line said in an editor that has several takes open, or ``None``
    when the line is about something else (an edit, an answer to a notice).

    The same words as :func:`pick` ("use take 2", "the one with the best light", "the sharpest
    one"), but only when the line is about takes; while the comparison's question is still
    open (``asked``), a bare "yes" or "2" answers it too. ``count``: as for :func:`pick`.
    """
    if not asked and not _ABOUT_TAKES.search(text):
        return None
    if (
        asked
        and not _ABOUT_TAKES.search(text)
        and not re.match(r"^\s*(?:yes|ok|sure|#?\d+)\b", text, re.I)
    ):
        return None
    return pick(text, reports, count)


def take_rows(reports: list[TakeReport]) -> list[dict[str, Any]]:
    """Each take's figures as JSON-ready rows (``backdrop analyze --json``, the editor), with its
    line from :func:`describe` and what it is best at (:func:`strengths`)."""
    lines = describe(reports)
    return [
        {**asdict(r), "path": str(r.path), "take": i + 1, "line": lines[i],
         "best_at": strengths(i, reports)}
        for i, r in enumerate(reports)
    ]  # fmt: skip


__all__ = [
    "choose", "comparison_table", "confirm", "describe", "pick", "pick_in_chat", "recommend",
    "strengths", "take_rows",
]  # fmt: skip
