"""Leave-one-file-out DER (collar 0.25 s) of the whole-file speaker pass, per method.

Run: ``.venv/bin/python eval/diarization_loo.py [--cache /tmp/backdrop_der] [--json out.json]``.

Each file of ``eval/diarization.py`` is streamed once through the VAD and the speaker analyzer's
window embedder (the same 1.6 s / 0.4 s Resemblyzer windows ``backdrop analyze`` computes); the
regions, windows, embeddings and window RMS are cached as ``.npz`` in ``--cache`` so the
clustering methods below are re-scored in seconds. For every method and every file, the method's
parameters are chosen on the **other** files only (lowest mean per-file DER over them; trn01 and
trn02 are never used to choose, their references mark only 2.0 s and 0.19 s of speech), then the
file is scored with them: its *held-out* DER. The DER with the parameters chosen on every file
(the file included) is printed beside it (*tuned on it*).

Methods (all on the windows the streaming pass remembered, see
:class:`~backdrop.perception.audio.speakers.WholeFileClustering`):

* ``silhouette`` — the count by :func:`~backdrop.perception.audio.speakers.cluster_speakers`
  (silhouette / centre-distance rule), split by pruned spectral clustering; grid over the
  silhouette and centre-distance floors and the quiet-window ratio.
* ``eigengap`` — the count by the normalised eigen-gap of a p-pruned affinity with p tuned per
  file (Park et al. 2019, NME-SC); one speaker unless the gap ratio clears a learned floor.
* ``ahc`` — average-linkage agglomerative clustering on centred embeddings, cut at a learned
  cosine-distance threshold; clusters under ``min_windows`` folded into the nearest.
* ``given`` — the count given (here the reference's, as ``--speakers N`` gives it); only the
  split's settings are learned.
* ``+reseg`` — ``eigengap`` and ``given`` followed by re-segmentation at turn boundaries
  (:func:`resegment`), its switch penalty and shortest turn learned too.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from diarization import items  # noqa: E402

from backdrop.perception.audio import speakers as sp  # noqa: E402
from backdrop.perception.audio.vad import SpeechAnalyzer  # noqa: E402
from backdrop.perception.core.media import AUDIO_RATE, Chunk  # noqa: E402

CHOOSE_FROM = ("sample", "dev00", "trn04", "trn05", "stereo", "speechbrain", "jfk")
"""Files whose DER may choose parameters (for the others: every file but the one scored)."""


class _NoClustering(sp.OnlineSpeakerClustering):
    """Streaming clustering skipped: the cache only needs the remembered windows."""

    def add_region(self, embs: np.ndarray) -> list[int]:
        return [0] * len(embs)


def heard_windows(audio: np.ndarray) -> dict[str, np.ndarray]:
    """VAD regions and their windows for ``audio`` (float32 mono 16 kHz), as the analyzer keeps
    them: ``heard`` R×2 s, ``spans`` N×2 s, ``embs`` N×256, ``rms`` N, ``fine_spans``/``fine``
    (the short windows :func:`resegment` uses)."""
    vad = SpeechAnalyzer()
    spk = sp.SpeakerTurnAnalyzer(
        sp.SpeakerEmbedder(sp.load_voice_encoder()), vad, clustering=_NoClustering()
    )
    step = int(0.2 * AUDIO_RATE)
    blank = np.zeros((0, 2, 2, 3), np.uint8)
    for k, i in enumerate(range(0, audio.size, step)):
        c = Chunk(k, i / AUDIO_RATE, (i + step) / AUDIO_RATE, blank, np.zeros(0),
                  audio[i : i + step])  # fmt: skip
        vad.process(c)
        spk.process(c)
    vad.flush()
    spk.flush()
    fine = sp.SpeakerEmbedder(sp.load_voice_encoder(), *RESEG_WINDOW)
    f_spans, f_embs = [], []
    for t0, t1 in spk._heard:
        s, e = fine.embed_region(audio[int(t0 * AUDIO_RATE) : int(t1 * AUDIO_RATE)], t0)
        f_spans.append(s)
        f_embs.append(e)
    cat = np.concatenate
    return dict(
        heard=np.array(spk._heard).reshape(-1, 2),
        spans=cat(spk._spans) if spk._spans else np.zeros((0, 2)),
        embs=cat(spk._embs) if spk._embs else np.zeros((0, 256), np.float32),
        rms=cat(spk._rms) if spk._rms else np.zeros(0),
        fine_spans=cat(f_spans) if f_spans else np.zeros((0, 2)),
        fine=cat(f_embs) if f_embs else np.zeros((0, 256), np.float32),
    )


def cached(cache: Path, names: list[str] | None) -> list[tuple[str, list, dict]]:
    """``[(name, reference turns, windows)]``; windows from ``cache`` when already there."""
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for it in items(names):
        path = cache / f"{it.name}.npz"
        if not path.exists():
            t = time.perf_counter()
            w = heard_windows(it.audio)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **w)
            tmp.rename(path)
            print(f"cached {it.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        w = dict(np.load(path))
        w["n_ref"] = np.array(len({s for *_, s in it.reference}))
        out.append((it.name, it.reference, w))
    return out


RESEG_WINDOW = (0.8, 0.2, 0.5)
"""Re-segmentation windows: length, hop and shortest region embedded, seconds."""


def resegment(
    turns: Sequence[tuple[float, float, int]],
    spans: np.ndarray,
    embs: np.ndarray,
    penalty: float,
    min_turn_s: float = 1.0,
) -> list[tuple[float, float, int]]:
    """Re-segmentation at turn boundaries (measured, not kept in the product: BENCHMARKS.md).

    Turns re-cut on short windows: each speaker's centre is the mean of the short windows its
    turns hold; every 0.1 s step of a run of touching turns scores each speaker by the
    cosine of the covering windows to that centre, and a Viterbi path with ``penalty`` per
    change of speaker picks the labels; runs shorter than ``min_turn_s`` join a neighbour.

    Args:
        turns: ``[(t0, t1, speaker number)]`` seconds, sorted, from a first pass.
        spans: ``N×2`` short-window ``(start, end)`` seconds (see :data:`RESEG_WINDOW`).
        embs: ``N×D`` their embeddings (centred on their mean here).
        penalty: cost of a speaker change in summed cosine (0: no smoothing).
        min_turn_s: shortest turn kept, seconds.

    Returns:
        ``[(t0, t1, speaker number)]`` over the same times, speakers among the first pass's.
    """
    ks = sorted({k for *_, k in turns})
    if len(ks) < 2 or not len(embs):
        return list(turns)
    x = embs - embs.mean(axis=0)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    mid = spans.mean(axis=1)
    owner = np.full(len(x), -1)
    for t0, t1, k in turns:
        owner[(mid >= t0) & (mid < t1)] = k
    cents = []
    for k in ks:
        c = x[owner == k].mean(axis=0) if (owner == k).any() else np.zeros(x.shape[1])
        cents.append(c / max(float(np.linalg.norm(c)), 1e-9))
    sim = x @ np.stack(cents).T  # N×S
    out: list[tuple[float, float, int]] = []
    for block in _touching(turns):
        t0, t1 = block[0][0], block[-1][1]
        n = max(1, int(np.ceil((t1 - t0 - 1e-9) / sp.LABEL_STEP)))
        c = t0 + (np.arange(n) + 0.5) * sp.LABEL_STEP
        first = np.array([ks.index(next((k for a, b, k in block if a <= ci < b), block[-1][2]))
                          for ci in c])  # fmt: skip
        score = np.zeros((n, len(ks)))
        for i, ci in enumerate(c):
            cov = (spans[:, 0] <= ci) & (ci < spans[:, 1])
            if cov.any():
                score[i] = sim[cov].mean(axis=0)
            else:
                score[i, first[i]] = 1.0  # no short window here: keep the first pass
        path = _viterbi(score, penalty)
        min_steps = max(1, int(round(min_turn_s / sp.LABEL_STEP)))
        for j, a, b in sp._absorb_short(sp._runs(path.tolist()), min_steps):
            out.append((t0 + a * sp.LABEL_STEP, min(t1, t0 + b * sp.LABEL_STEP), ks[j]))
    return out


def _touching(
    turns: Sequence[tuple[float, float, int]],
) -> list[list[tuple[float, float, int]]]:
    """Turns grouped into runs that touch (one speech region's turns)."""
    blocks: list[list[tuple[float, float, int]]] = []
    for t in turns:
        if blocks and t[0] - blocks[-1][-1][1] < 1e-6:
            blocks[-1].append(t)
        else:
            blocks.append([t])
    return blocks


def _viterbi(score: np.ndarray, penalty: float) -> np.ndarray:
    """Best label path through ``T×S`` scores (summed) with ``penalty`` per change; ``T`` ints."""
    t_n, s_n = score.shape
    total = score[0].copy()
    back = np.zeros((t_n, s_n), int)
    for t in range(1, t_n):
        stay = total
        move = total.max() - penalty
        back[t] = np.where(stay >= move, np.arange(s_n), int(np.argmax(total)))
        total = np.maximum(stay, move) + score[t]
    path = np.zeros(t_n, int)
    path[-1] = int(np.argmax(total))
    for t in range(t_n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


Method = Callable[[dict], list[tuple[float, float, int]]]


def whole(**kw) -> Method:
    """The whole-file pass with ``kw`` given to :class:`WholeFileClustering`."""
    reseg = kw.pop("reseg", None)
    count = kw["count"]
    given = kw.pop("count") == "given"

    def run(w: dict) -> list[tuple[float, float, int]]:
        wf = sp.WholeFileClustering(**kw) if given else sp.WholeFileClustering(count=count, **kw)
        labels = wf.labels(w["embs"], w["rms"], int(w["n_ref"]) if given else None)
        if reseg is not None and len(labels):
            penalty, min_turn_s = reseg
            turns = wf.turns(w["heard"], w["spans"], labels)
            return resegment(turns, w["fine_spans"], w["fine"], penalty, min_turn_s)
        return wf.turns(w["heard"], w["spans"], labels)

    return run


def grid(**axes: Iterable) -> list[dict]:
    keys = list(axes)
    return [dict(zip(keys, v, strict=True)) for v in itertools.product(*axes.values())]


FAMILIES: dict[str, list[dict]] = {
    "silhouette": grid(
        count=["silhouette"],
        min_silhouette=[0.1, 0.15, 0.2, 0.25],
        min_centroid_distance=[0.05, 0.08, 0.11, 0.15],
        centre=[False, True],
        quiet_ratio=[0.0, 0.5, 0.8],
    ),
    "eigengap": grid(
        count=["eigengap"],
        min_gap=[0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0],
        centre=[False, True],
        quiet_ratio=[0.0, 0.5, 0.8],
    ),
    "ahc": grid(
        count=["ahc"],
        ahc_threshold=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1],
        centre=[False, True],
        quiet_ratio=[0.0, 0.5, 0.8],
    ),
}
FAMILIES["given"] = grid(count=["given"], centre=[False, True], quiet_ratio=[0.0, 0.5, 0.8])
"""The count given by the person (here: the reference's), only the split's settings learned."""
for _name in ("eigengap", "given"):
    FAMILIES[_name + "+reseg"] = [
        {**p, "reseg": r}
        for p in FAMILIES[_name]
        for r in itertools.product((0.0, 1.0, 3.0), (0.5, 1.0))
    ]


def _best(scores: list[dict], names: list[str], exclude: str | None) -> int:
    """Index of the setting with the lowest mean DER over the choosing files but ``exclude``."""
    use = [n for n in names if n in CHOOSE_FROM and n != exclude]
    return int(np.argmin([np.mean([s[n][0] for n in use]) for s in scores]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/backdrop_der"))
    ap.add_argument("--files", help="comma list (default: all)")
    ap.add_argument("--methods", help="comma list (default: all)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    data = cached(a.cache, a.files.split(",") if a.files else None)
    names = [n for n, *_ in data]
    rows = []
    for fam in a.methods.split(",") if a.methods else FAMILIES:
        t = time.perf_counter()
        scores = []  # per parameter set: {file: (der, found, DerResult)}
        for p in FAMILIES[fam]:
            run = whole(**p)
            per = {}
            for name, ref, w in data:
                hyp = [(t0, t1, f"S{k}") for t0, t1, k in run(w)]
                r = sp.diarization_error_rate(ref, hyp, collar=0.25)
                per[name] = (r.der, len({s for *_, s in hyp}), r)
            scores.append(per)

        tuned_all = _best(scores, names, None)
        for name in names:
            k = _best(scores, names, name)
            der, found, r = scores[k][name]
            rows.append(dict(method=fam, file=name, held_out_der=round(der, 4), found=found,
                             missed=round(r.missed, 2), false_alarm=round(r.false_alarm, 2),
                             confusion=round(r.confusion, 2), total=round(r.total, 2),
                             params={q: v for q, v in FAMILIES[fam][k].items() if q != "count"},
                             tuned_der=round(scores[tuned_all][name][0], 4),
                             tuned_found=scores[tuned_all][name][1]))  # fmt: skip
        el = time.perf_counter() - t
        print(f"\n## {fam} ({len(FAMILIES[fam])} settings, {el:.0f} s); chosen on all: "
              f"{FAMILIES[fam][tuned_all]}")  # fmt: skip
        print("| file | held out: found, DER | chosen without it | tuned on it: found, DER |")
        print("|---|---|---|---|")
        for r in rows:
            if r["method"] == fam:
                print(f"| {r['file']} | {r['found']}, {r['held_out_der']:.1%} | {r['params']} | "
                      f"{r['tuned_found']}, {r['tuned_der']:.1%} |")  # fmt: skip
        sel = [r for r in rows if r["method"] == fam and r["file"] in CHOOSE_FROM]
        err = sum(r["missed"] + r["false_alarm"] + r["confusion"] for r in sel)
        print(f"mean held-out DER over {len(sel)} files: "
              f"{np.mean([r['held_out_der'] for r in sel]):.1%}; pooled "
              f"{err / max(sum(r['total'] for r in sel), 1e-9):.1%}", flush=True)  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
