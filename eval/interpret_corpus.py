"""Accuracy of the rule-based interpreter on the instruction corpus (issue 11).

The corpus (``eval/corpus/instructions.txt``) holds hand-written phrasings, each with the plan it
must give, in a short notation described at the top of that file. ``--build`` turns it into
JSON lines and splits it once, with a fixed seed, into a development split (70 %) and a held-out
split (30 %): ``eval/corpus/instructions_dev.jsonl`` and ``instructions_heldout.jsonl``. The
held-out split is for reporting only.

Each case runs on a fresh :class:`~backdrop.tools.ToolContext` (a 60 s video unless the case
says otherwise, with ``beach.jpg`` and ``waves.mp4`` beside it): its setup instructions first,
then the instruction. The resulting plan is compared structurally with the expectation:
background segments (kind, colour(s), time range resolved to seconds with a 0.05 s tolerance,
fades, blur strength and opacity by value or direction), keep rules when given, edge changes by
direction, and "unchanged" / "ask" cases by plan equality and the reply's kind (an "ask" is
met by a question or by a plain refusal that claims nothing was done).

Usage::

    python eval/interpret_corpus.py --build          # (re)write the two JSONL splits
    python eval/interpret_corpus.py                   # accuracy on both splits
    python eval/interpret_corpus.py --split dev -v    # failures of the dev split, with replies
    python eval/interpret_corpus.py --split heldout2  # the blind set, read from its notation
    python eval/interpret_corpus.py --check-only --split heldout2   # parse only, no interpreter

``eval/corpus/heldout2.txt`` and ``heldout3.txt`` are held-out sets written blind (without
seeing the interpreter or the other phrasings), read straight from their notation; never tune on
them. Colour names the product's table lacks resolve through the CSS names (matched within
``CSS_TOLERANCE``), ``image NAME``/``video NAME`` also check the file, and export sizes compare as
sizes (``720p`` = ``1280x720``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
SOURCE = CORPUS / "instructions.txt"
SPLITS = {
    "dev": CORPUS / "instructions_dev.jsonl",
    "heldout": CORPUS / "instructions_heldout.jsonl",
}
# the blind sets, read straight from the notation
BLIND = {
    "heldout2": CORPUS / "heldout2.txt",
    "heldout3": CORPUS / "heldout3.txt",
    "heldout4": CORPUS / "heldout4.txt",
    "heldout5": CORPUS / "heldout5.txt",
    "heldout6": CORPUS / "heldout6.txt",
    "heldout7": CORPUS / "heldout7.txt",
}
EDGE_WORDS = ("soften", "sharpen", "grow", "shrink", "refine")
SEED = 11
HELDOUT_SHARE = 0.3
DEFAULT_DURATION = 60.0
TIME_TOL = 0.05


# -- building the JSON corpus from the notation ------------------------------------------------
CSS_TOLERANCE = 48.0
"""RGB distance (0–255 units) within which a colour matches a name the product's own table does
not have and the notation took from the CSS names ("midnightblue"); such an expectation is
stored as ``~#rrggbb``."""


def _colour(name: str) -> str:
    """A notation colour → ``#rrggbb`` (the product's table, as before), or ``~#rrggbb`` for a
    CSS colour name the product's table lacks (matched within :data:`CSS_TOLERANCE`)."""
    from PIL import ImageColor

    from backdrop.render.colors import NAMED_COLORS

    name = name.strip()
    if name.startswith("#"):
        return name.lower()
    if name in NAMED_COLORS:
        return NAMED_COLORS[name]
    css = ImageColor.colormap.get(name.replace(" ", "").lower())
    if not isinstance(css, str) or not css.startswith("#"):
        raise KeyError(name)
    return "~" + css.lower()


def _colour_ok(got: str, want: str) -> bool:
    """Whether the plan's colour ``got`` is the expected ``want`` (exact, or near a ``~`` one)."""
    if want.startswith("~"):
        return _rgb_gap(got, want) <= CSS_TOLERANCE
    return got.lower() == want


def _bound(text: str, default: float | None) -> float | None:
    return default if text == "" else float(text)


def _compare(token: str, key: str) -> dict[str, Any]:
    """``s=0.4`` / ``s<0.6`` / ``op>0.5`` → ``{"op": "=", "value": 0.4}``."""
    for op in ("<", ">", "="):
        if op in token:
            return {"op": op, "value": float(token.split(op, 1)[1])}
    raise ValueError(f"bad comparison for {key}: {token!r}")


def _parse_background(words: list[str]) -> dict[str, Any]:
    if words[0][:1] in "<>" and len(words[0]) > 1:  # "bg <teal": shorthand for "bg color <teal"
        words = ["color", *words]
    kind = words[0]
    if kind not in ("color", "grad", "blur", "clear", "image", "video"):
        raise ValueError(f"unknown background kind {kind!r}")
    out: dict[str, Any] = {
        "type": {"clear": "transparent", "grad": "gradient"}.get(kind, kind),
        "start": 0.0,
        "end": None,
    }
    rest = words[1:]
    if kind == "color" and rest and "~" in rest[0]:  # "blue~red": the blue moved toward red
        was, toward = rest.pop(0).split("~")
        out["color"], out["toward"], out["relation"] = _colour(was), _colour(toward), "toward"
    elif kind == "color":
        # a colour name may have two words ("dark green", "green screen")
        name_words = []
        while (
            rest and ".." not in rest[0] and "=" not in rest[0] and rest[0] not in ("fin", "fout")
        ):
            if rest[0][0] in "<>" and not name_words:
                out["relation"] = "darker" if rest[0][0] == "<" else "lighter"
                rest[0] = rest[0][1:]
            name_words.append(rest.pop(0))
            if len(name_words) == 2 or rest[:1] and rest[0].startswith(("s<", "s>", "op")):
                break
        name = " ".join(name_words)
        try:
            out["color"] = _colour(name)
        except KeyError:  # the second word was not part of the name
            out["color"] = _colour(name_words[0])
            rest = name_words[1:] + rest
    elif kind == "grad":
        out["colors"] = [_colour(c) for c in rest.pop(0).split(",")]
    elif kind in ("image", "video") and rest and "." in rest[0] and ".." not in rest[0]:
        out["file"] = rest.pop(0)  # "bg image beach.jpg": that file, by name
    for w in rest:
        if ".." in w:
            a, b = w.split("..")
            out["start"], out["end"] = _bound(a, 0.0), _bound(b, None)
        elif w.startswith("fin"):
            out["fade_in"] = float(w[4:]) if "=" in w else True
        elif w.startswith("fout"):
            out["fade_out"] = float(w[5:]) if "=" in w else True
        elif w.startswith("s"):
            out["strength"] = _compare(w[1:], "strength")
        elif w.startswith("op"):
            out["opacity"] = _compare(w[2:], "opacity")
        else:
            raise ValueError(f"unknown background word {w!r}")
    return out


def parse_line(line: str) -> dict[str, Any]:
    """One notation line → a corpus case (see the top of ``instructions.txt``)."""
    said, expect_text = line.split("=>")
    pos: float | None = None
    if " ; pos=" in said:
        said, p = said.split(" ; pos=")
        pos = float(p)
    *setup, text = [s.strip() for s in said.split("||")]
    duration = DEFAULT_DURATION
    # "dur=N ||" / "pos=N ||" written as a setup set the context, as the expectation items do
    for item in [s for s in setup if re.fullmatch(r"(dur|pos)=\d+(\.\d+)?", s)]:
        setup.remove(item)
        if item.startswith("dur="):
            duration = float(item[4:])
        else:
            pos = float(item[4:])
    case: dict[str, Any] = {
        "setup": setup,
        "text": text,
        "position": pos,
        "duration": duration,
        "backgrounds": [],
        "keep": None,
        "edges": [],
        "outcome": "change",
        "mention": [],
        "size": None,
    }
    for item in (i.strip() for i in expect_text.split(" ; ")):
        words = item.split()
        head = words[0]
        if head == "bg":
            case["backgrounds"].append(_parse_background(words[1:]))
        elif head == "keep":
            case["keep"] = case["keep"] or []
            a, b = words[2].split("..") if len(words) > 2 else ("", "")
            case["keep"].append(
                {"subject": words[1], "start": _bound(a, 0.0), "end": _bound(b, None)}
            )
        elif head == "edges":
            if words[1] not in EDGE_WORDS:
                raise ValueError(f"unknown edge change {words[1]!r}")
            case["edges"].append(words[1])
        elif head == "none":
            pass  # no background segments at all
        elif head in ("unchanged", "ask"):
            case["outcome"] = head
        elif head == "mention":
            case["mention"].append(words[1])
        elif head == "size":
            case["size"] = words[1]
        elif head.startswith("pos="):
            case["position"] = float(head[4:])
        elif head.startswith("dur="):
            case["duration"] = float(head[4:])
        else:
            raise ValueError(f"unknown expectation {item!r} in {line!r}")
    return case


def read_notation(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The cases of a notation file, and one ``file:line: why`` message per malformed line."""
    cases, bad = [], []
    kind = ""
    for n, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if ln.startswith("# -- "):
            kind = ln[5:].split(",")[0].strip()
        elif ln.strip() and not ln.startswith("#"):
            line, forced = ln.strip(), None
            for split in SPLITS:  # "dev: …" / "heldout: …": a case added to one split on purpose
                if line.startswith(f"{split}: "):
                    line, forced = line[len(split) + 2 :], split
            try:
                case = parse_line(line)
            except (ValueError, KeyError, IndexError) as e:
                bad.append(f"{path.name}:{n}: {type(e).__name__}: {e}  <- {line!r}")
                continue
            case["kind"], case["forced"] = kind, forced
            cases.append(case)
    for i, c in enumerate(cases):
        c["id"] = i
    return cases, bad


def build() -> dict[str, int]:
    """Parse the notation, split it with the fixed seed and write the two JSONL files."""
    cases, bad = read_notation(SOURCE)
    if bad:
        raise ValueError("malformed corpus lines:\n" + "\n".join(bad))
    # the seeded split covers the cases without a forced split, so adding forced cases (at the
    # end of the file) leaves every earlier case in its split
    free = [c["id"] for c in cases if c["forced"] is None]
    order = list(range(len(free)))
    random.Random(SEED).shuffle(order)
    n_held = round(len(free) * HELDOUT_SHARE)
    held = {free[i] for i in order[:n_held]} | {c["id"] for c in cases if c["forced"] == "heldout"}
    counts = {}
    for split, keep in (("dev", lambda i: i not in held), ("heldout", lambda i: i in held)):
        chosen = [c for c in cases if keep(c["id"])]
        with SPLITS[split].open("w", encoding="utf-8") as f:
            for c in chosen:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
        counts[split] = len(chosen)
    return counts


def load(split: str) -> list[dict[str, Any]]:
    """The cases of one split (``dev``, ``heldout`` or the blind ``heldout2``)."""
    if split in BLIND:
        cases, bad = read_notation(BLIND[split])
        if bad:
            raise ValueError("malformed corpus lines:\n" + "\n".join(bad))
        return cases
    with SPLITS[split].open(encoding="utf-8") as f:
        return [json.loads(ln) for ln in f if ln.strip()]


# -- grading -----------------------------------------------------------------------------------
def _rgb_gap(a: str, b: str) -> float:
    """Euclidean distance of two '#rrggbb' colours in 0–255 RGB."""
    from backdrop.render.colors import hex_to_rgb

    a, b = a.lstrip("~"), b.lstrip("~")
    return (
        float(sum((x - y) ** 2 for x, y in zip(hex_to_rgb(a), hex_to_rgb(b), strict=True))) ** 0.5
    )


def _luma(color: str) -> float:
    from backdrop.render.colors import hex_to_rgb

    r, g, b = hex_to_rgb(color.lstrip("~"))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _same_size(got: str | None, want: str) -> bool:
    """Whether two export size specs give the same size for a 16:9 1920×1080 source (``720p``
    and ``1280x720`` are the same size)."""
    from backdrop.render.facade import parse_size

    if got is None:
        return False
    try:
        return parse_size(got, 1920, 1080) == parse_size(want, 1920, 1080)
    except ValueError:
        return got == want


def _cmp(value: float, want: dict[str, Any]) -> bool:
    op, v = want["op"], want["value"]
    return {"=": abs(value - v) <= 0.02, "<": value < v - 1e-9, ">": value > v + 1e-9}[op]


def _segment_problem(seg: Any, want: dict[str, Any], duration: float) -> str | None:
    from backdrop.render.plan import TimeRange

    bg = seg.background
    if bg.type != want["type"]:
        return f"type {bg.type} != {want['type']}"
    t0, t1 = seg.range.resolve(duration)
    w0, w1 = TimeRange.model_construct(start=want["start"], end=want["end"]).resolve(duration)
    if abs(t0 - w0) > TIME_TOL or abs(t1 - w1) > TIME_TOL:
        return f"range {t0:g}..{t1:g} != {w0:g}..{w1:g}"
    if "color" in want:
        rel = want.get("relation")
        if rel is None and not _colour_ok(bg.color, want["color"]):
            return f"colour {bg.color} != {want['color']}"
        if rel == "darker" and not _luma(bg.color) < _luma(want["color"]) - 1:
            return f"{bg.color} is not darker than {want['color']}"
        if rel == "lighter" and not _luma(bg.color) > _luma(want["color"]) + 1:
            return f"{bg.color} is not lighter than {want['color']}"
        if (
            rel == "toward"
            and not _rgb_gap(bg.color, want["toward"]) < _rgb_gap(want["color"], want["toward"]) - 1
        ):
            return f"{bg.color} did not move from {want['color']} toward {want['toward']}"
    if "colors" in want and (
        len(bg.colors) != len(want["colors"])
        or not all(_colour_ok(g, w) for g, w in zip(bg.colors, want["colors"], strict=False))
    ):
        return f"colours {bg.colors} != {want['colors']}"
    if "file" in want and Path(bg.path).name != want["file"]:
        return f"file {Path(bg.path).name} != {want['file']}"
    for key in ("fade_in", "fade_out"):
        fade = getattr(seg, key)
        w = want.get(key)
        if w is None and fade is not None:
            return f"unexpected {key}"
        if w is not None and (fade is None or (w is not True and abs(fade.duration - w) > 0.01)):
            return f"{key} {fade and fade.duration} != {w}"
    if "strength" in want and not _cmp(bg.strength, want["strength"]):
        return f"strength {bg.strength} vs {want['strength']}"
    if "opacity" in want and not _cmp(seg.opacity, want["opacity"]):
        return f"opacity {seg.opacity} vs {want['opacity']}"
    return None


def _backgrounds_problem(
    segs: list[Any], wants: list[dict[str, Any]], duration: float
) -> str | None:
    if len(segs) != len(wants):
        return f"{len(segs)} segments, expected {len(wants)}"
    first = None
    for order in (list(range(len(segs))), None):
        if order is None:  # try time order on both sides (non-overlapping segments)
            segs = sorted(segs, key=lambda s: s.range.resolve(duration))
            from backdrop.render.plan import TimeRange

            wants = sorted(
                wants,
                key=lambda w: TimeRange.model_construct(start=w["start"], end=w["end"]).resolve(
                    duration
                ),
            )
        problems = [_segment_problem(s, w, duration) for s, w in zip(segs, wants, strict=True)]
        bad = next((p for p in problems if p), None)
        if bad is None:
            return None
        first = first or bad
    return first


def _edges_problem(plan: Any, base: Any, wanted: list[str]) -> str | None:
    e, b = plan.edges, base.edges
    checks = {
        "soften": e.feather > b.feather,
        "sharpen": e.feather < b.feather,
        "grow": e.shift > b.shift,
        "shrink": e.shift < b.shift,
        "refine": e.refine_radius > b.refine_radius or e.feather > b.feather,
    }
    if not wanted:
        return None if e == b else f"edges changed: {e}"
    for w in wanted:
        if not checks[w]:
            return f"edges not {w}: {e}"
    return None


def _keep_problem(rules: list[Any], wants: list[dict[str, Any]], duration: float) -> str | None:
    """Compare the plan's keep rules with the expected ones, subject and time range (0.05 s).

    Keeping the person is what a plan does where no rule says otherwise, so when the expectation
    names no person rule, plan rules that keep the person only outside every expected range
    ("keep the speaker from 20 to 40 s" → the person before 0:20 and after 0:40) restate that
    default and are left out of the comparison."""
    from backdrop.render.plan import TimeRange

    def span(start: float, end: float | None) -> tuple[float, float]:
        return TimeRange.model_construct(start=start, end=end).resolve(duration)

    want = sorted((w["subject"], *span(w["start"], w["end"])) for w in wants)
    got = sorted(
        (k.subject if k.action == "keep" else f"remove {k.subject}", *k.range.resolve(duration))
        for k in rules
    )
    if not any(w[0] == "person" for w in want):

        def outside(g: tuple[str, float, float]) -> bool:
            return all(g[2] <= w[1] + 0.05 or g[1] >= w[2] - 0.05 for w in want)

        got = [g for g in got if not (g[0] == "person" and outside(g))]
    same = len(got) == len(want) and all(
        g[0] == w[0] and abs(g[1] - w[1]) <= 0.05 and abs(g[2] - w[2]) <= 0.05
        for g, w in zip(got, want, strict=True)
    )
    return None if same else f"keep rules {got}, expected {want}"


def _says_not_done(reply: Any) -> bool:
    """A reply that leaves the plan alone and does not claim to have done anything: a refusal
    ("I can only change the background …") or a "didn't understand" counts like a question for
    an ``ask`` case — nothing was applied silently, and the person was told."""
    head = reply.text.strip().lower()
    return not reply.changed and not head.startswith(("understood", "done", "ok", "okay"))


@dataclass
class Outcome:
    """One graded case: ``ok``, and why not (``problem``), with the reply's text."""

    case: dict[str, Any]
    ok: bool
    problem: str
    reply: str


def grade(case: dict[str, Any], interpreter: Any, folder: Path) -> Outcome:
    """Run one case on a fresh context and compare the plan with the expectation."""
    from backdrop.render.plan import EditPlan
    from backdrop.tools import ToolContext

    ctx = ToolContext(duration=case["duration"], source=folder / "talk.mp4")
    if case.get("position") is not None and hasattr(ctx, "position"):
        ctx.position = case["position"]
    for s in case["setup"]:
        interpreter.interpret(s, ctx)
    before = ctx.plan
    try:
        reply = interpreter.interpret(case["text"], ctx)
    except Exception as e:  # noqa: BLE001 - a crash is a failed case
        return Outcome(case, False, f"raised {type(e).__name__}: {e}", "")
    plan = ctx.plan

    def out(problem: str | None) -> Outcome:
        return Outcome(case, problem is None, problem or "", reply.text)

    if case["outcome"] in ("unchanged", "ask"):
        if plan != before:
            return out("the plan changed")
        if case["outcome"] == "ask" and not (reply.clarify or _says_not_done(reply)):
            return out("expected a question or a plain refusal")
    else:
        if reply.clarify:
            return out("asked instead of acting")
        problem = _backgrounds_problem(
            list(plan.backgrounds), case["backgrounds"], case["duration"]
        )
        if problem:
            return out(problem)
        problem = _edges_problem(plan, before if case["setup"] else EditPlan(), case["edges"])
        if problem:
            return out(problem)
        if case["keep"] is not None:
            problem = _keep_problem(list(plan.keep), case["keep"], case["duration"])
            if problem:
                return out(problem)
    for word in case["mention"]:
        if word.lower() not in reply.text.lower():
            return out(f"the reply does not mention {word!r}")
    size = getattr(ctx, "output_size", None)
    if case.get("size") is not None and not _same_size(size, case["size"]):
        return out(f"export size {getattr(ctx, 'output_size', None)} != {case['size']}")
    return out(None)


def evaluate(cases: Iterable[dict[str, Any]]) -> list[Outcome]:
    """Grade every case with the session's interpreter (speech phrases around the rules)."""
    from backdrop.agent.interpret import SpeechInterpreter

    interpreter = SpeechInterpreter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # real files: a background must be a readable image or video (tools check them)
        import shutil

        import cv2
        import numpy as np

        cv2.imwrite(str(folder / "beach.jpg"), np.full((8, 8, 3), 200, np.uint8))
        shutil.copyfile(Path(__file__).resolve().parent.parent / "examples" / "sample.mp4",
                        folder / "waves.mp4")  # fmt: skip
        return [grade(c, interpreter, folder) for c in cases]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="store_true", help="rewrite the JSONL splits")
    ap.add_argument("--split", choices=["dev", "heldout", *BLIND, "both"], default="both")
    ap.add_argument(
        "--check-only", action="store_true", help="parse the split's notation file, run nothing"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failure")
    ap.add_argument("--by-kind", action="store_true", help="accuracy per kind of phrasing")
    args = ap.parse_args(argv)
    if args.build:
        print(json.dumps(build()))
        return 0
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    if args.check_only:
        path = BLIND.get(args.split, SOURCE)
        cases, bad = read_notation(path)
        print(f"{path.name}: {len(cases)} lines parse, {len(bad)} malformed")
        for b in bad:
            print(b)
        return 1 if bad else 0
    for split in splits:
        cases = load(split)
        t = time.perf_counter()
        results = evaluate(cases)
        ms = (time.perf_counter() - t) * 1000 / max(len(cases), 1)
        ok = sum(r.ok for r in results)
        print(f"{split}: {ok}/{len(results)} = {100 * ok / len(results):.1f} %  ({ms:.1f} ms/case)")
        if args.by_kind:
            kinds: dict[str, list[bool]] = {}
            for r in results:
                kinds.setdefault(r.case.get("kind", ""), []).append(r.ok)
            for kind, oks in kinds.items():
                print(f"    {kind:<55} {sum(oks):>3}/{len(oks):<3}")
        if args.verbose:
            for r in results:
                if not r.ok:
                    c = r.case
                    setup = " || ".join(c["setup"])
                    print(f"  [{c['id']}] {setup + ' || ' if setup else ''}{c['text']!r}")
                    print(f"      {r.problem}\n      reply: {r.reply}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT.parent))
    sys.exit(main())
