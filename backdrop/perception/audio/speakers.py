"""Who speaks when: Resemblyzer speaker embeddings over speech windows, online clustering with an
estimated number of speakers, speaker turns, and a diarization error rate to score them.

Conventions: audio is float32 mono 16 kHz; times are float seconds. Speaker ids are ``"S1"``,
``"S2"``, … in order of first appearance.

Online clustering (:class:`OnlineSpeakerClustering`): when a speech region closes, its window
embeddings join everything seen so far and are clustered again with a distance threshold, so the
number of speakers is estimated as the audio arrives; speaker ids already reported never change,
and new clusters are matched to them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from backdrop.perception.audio.vad import SpeechAnalyzer, SpeechRegion
from backdrop.perception.core.events import Event, SpeakerTurn
from backdrop.perception.core.media import AUDIO_RATE, Chunk

log = logging.getLogger(__name__)

LABEL_STEP = 0.1
"""Resolution of speaker labels, seconds."""


@lru_cache(maxsize=1)
def load_voice_encoder() -> object:
    """Resemblyzer's ``VoiceEncoder`` on the CPU (its weights ship in the package), loaded once."""
    import torch
    from resemblyzer import VoiceEncoder

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    return VoiceEncoder("cpu", verbose=False)


def tonal_steadiness(audio: np.ndarray, run_s: float = 0.3) -> float:
    """How much of a signal's spectral-peak energy sits on steady tones, in [0, 1].

    A 64 ms / 10 ms STFT (100–4000 Hz); spectral peaks within 30 dB of each frame's loudest;
    the share of their energy on ridges that stay in the same frequency bin (±1) for at least
    ``run_s`` seconds. Speech glides in pitch and breaks at every consonant (0.00–0.28 on the
    shared recordings and espeak-ng voices); notes and chords hold their pitch (0.37–0.48 on
    synthetic melodies of 0.25–0.75 s notes, 0.96 on a held chord). ``audio`` is float32 mono
    16 kHz. The margin is small and no real music was on hand to check it.
    """
    n_fft, hop = 1024, 160
    run = int(round(run_s * AUDIO_RATE / hop))
    x = np.asarray(audio, np.float32).reshape(-1)
    if x.size < n_fft + hop * run:
        return 0.0
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    lo, hi = int(100 * n_fft / AUDIO_RATE), int(4000 * n_fft / AUDIO_RATE)
    mag = np.abs(np.fft.rfft(frames, axis=1))[:, lo:hi]
    db = 20 * np.log10(mag + 1e-9)
    mid = db[:, 1:-1]
    peak = (mid > db[:, :-2]) & (mid >= db[:, 2:]) & (mid > db.max(axis=1, keepdims=True) - 30)
    near = peak.copy()
    near[:, 1:] |= peak[:, :-1]
    near[:, :-1] |= peak[:, 1:]
    length = np.zeros(peak.shape[1], int)
    steady = np.zeros_like(peak)
    for t in range(peak.shape[0]):
        length = np.where(near[t], length + 1, 0)
        steady[t] = peak[t] & (length >= run)
    w = mag[:, 1:-1] ** 2
    return float((w * steady).sum() / max(float((w * peak).sum()), 1e-12))


MAX_TONAL_STEADINESS = 0.33
"""Regions steadier than this (see :func:`tonal_steadiness`) are music or tones, not a voice:
they get no speaker."""


class SpeakerEmbedder:
    """Embeds fixed windows of speech with an injected Resemblyzer ``VoiceEncoder``.

    Args:
        encoder: the voice encoder (see :func:`load_voice_encoder`).
        window_s: window length in seconds (Resemblyzer's partial is 1.6 s).
        hop_s: step between windows in seconds.
        min_window_s: regions shorter than this get no embedding.
    """

    def __init__(
        self,
        encoder: object,
        window_s: float = 1.6,
        hop_s: float = 0.4,
        min_window_s: float = 0.5,
    ) -> None:
        self.encoder = encoder
        self.window_s, self.hop_s, self.min_window_s = window_s, hop_s, min_window_s

    def embed_region(self, audio: np.ndarray, t0: float) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of ``audio`` (starting at ``t0`` s) in sliding windows.

        Returns:
            ``(spans, embeddings)``: ``K×2`` window ``(start, end)`` seconds and ``K×256``
            L2-normalised embeddings (``K`` may be 0 for very short audio).
        """
        import torch
        from resemblyzer import audio as ra

        dur = audio.size / AUDIO_RATE
        if dur < self.min_window_s:
            return np.zeros((0, 2)), np.zeros((0, 256), np.float32)
        mel = ra.wav_to_mel_spectrogram(np.asarray(audio, np.float32))  # frames of 10 ms
        fps = 100.0
        win = min(int(round(self.window_s * fps)), mel.shape[0])
        hop = max(1, int(round(self.hop_s * fps)))
        starts = list(range(0, max(1, mel.shape[0] - win + 1), hop))
        if starts[-1] + win < mel.shape[0]:
            starts.append(mel.shape[0] - win)
        batch = np.stack([mel[s : s + win] for s in starts])
        with torch.no_grad():
            emb = self.encoder(torch.from_numpy(batch).float())  # type: ignore[operator]
        spans = np.array([(t0 + s / fps, t0 + (s + win) / fps) for s in starts])
        return spans, emb.cpu().numpy().astype(np.float32)


@dataclass
class OnlineSpeakerClustering:
    """Speaker clustering updated each time a speech region closes.

    Every embedding seen so far is clustered again (average-linkage agglomerative clustering on
    cosine distance), so the number of speakers is estimated from the data, not given:

    1. cut the tree into ``k = 2 … max_speakers`` clusters; fold clusters with fewer than
       ``min_windows`` embeddings into the closest larger one;
    2. keep the ``k`` with the best mean silhouette (how much closer each embedding is to its
       own cluster than to the next one, -1 … 1);
    3. accept it only when that silhouette is at least ``min_silhouette`` *and* every pair of
       cluster centres is at least ``min_centroid_distance`` apart (cosine distance); otherwise
       there is one speaker. One voice whose windows merely vary (breath, pitch, a far
       microphone) gives a low silhouette or close centres, so it is not split; two far-field
       voices that a fixed distance threshold merges still form two well-separated groups.

    Cluster numbers are matched to the ids already reported (optimal assignment on shared
    embeddings), so a speaker keeps its id from region to region; ids already reported are
    never changed.

    Attributes:
        min_silhouette: mean silhouette a split needs (tuned, see ``eval/diarization.py``).
        min_centroid_distance: cosine distance every two speakers' centres need.
        max_speakers: most speakers considered.
        min_windows: embeddings a cluster needs to count as a speaker of its own.
        max_history: embeddings kept for re-clustering (the oldest are thinned out beyond it).
    """

    min_silhouette: float = 0.15
    min_centroid_distance: float = 0.11
    max_speakers: int = 6
    min_windows: int = 8
    max_history: int = 3000
    embeddings: list[np.ndarray] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    n_ids: int = 0

    def add_region(self, embs: np.ndarray) -> list[int]:
        """Cluster ``K×D`` unit embeddings of one region; their speaker numbers (0-based)."""
        if not len(embs):
            return []
        old = len(self.embeddings)
        self.embeddings += list(embs)
        if len(self.embeddings) > self.max_history:
            keep = np.linspace(0, old - 1, self.max_history - len(embs)).astype(int)
            self.embeddings = [self.embeddings[i] for i in keep] + list(embs)
            self.ids = [self.ids[i] for i in keep]
            old = len(keep)
        clusters = self._cluster(np.stack(self.embeddings))
        ids = self._match(clusters, old)
        new = [ids[c] for c in clusters[old:]]
        self.ids += new
        return new

    def _cluster(self, x: np.ndarray) -> np.ndarray:
        return cluster_speakers(
            x,
            self.min_silhouette,
            self.min_centroid_distance,
            self.max_speakers,
            self.min_windows,
        )

    def _match(self, clusters: np.ndarray, old: int) -> dict[int, int]:
        """Cluster number → speaker id, agreeing as much as possible with reported ids."""
        from scipy.optimize import linear_sum_assignment

        n_c = int(clusters.max()) + 1
        mapping: dict[int, int] = {}
        if old and self.n_ids:
            agree = np.zeros((n_c, self.n_ids))
            for c, i in zip(clusters[:old], self.ids, strict=True):
                agree[c, i] += 1
            rows, cols = linear_sum_assignment(-agree)
            mapping = {int(r): int(c) for r, c in zip(rows, cols, strict=True) if agree[r, c] > 0}
        for c in range(n_c):
            if c not in mapping:
                mapping[c] = self.n_ids
                self.n_ids += 1
        return mapping

    @property
    def n_speakers(self) -> int:
        """Estimated number of speakers so far (distinct ids reported)."""
        return len(set(self.ids))


MAX_REMEMBERED_WINDOWS = 20_000
"""Most speech windows :class:`SpeakerAnalyzer` keeps for the whole-file pass (~1 KB each, about
2 hours of speech); past it every other window is dropped, so a live session that never ends
stays bounded (the whole-file pass thins to far fewer windows anyway)."""


def _fold_small(x: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Give members of clusters smaller than ``min_size`` to the closest larger centre."""
    sizes = np.bincount(labels)
    big = [k for k in range(len(sizes)) if sizes[k] >= min_size]
    if not big:
        return np.zeros(len(labels), int)
    if len(big) < len(sizes):
        cents = np.stack([x[labels == k].mean(axis=0) for k in big])
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)
        labels = labels.copy()
        for i in np.flatnonzero(~np.isin(labels, big)):
            labels[i] = big[int(np.argmax(cents @ x[i]))]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def silhouette(dist: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of ``labels`` over an ``N×N`` distance matrix (0 for one cluster)."""
    ks = np.unique(labels)
    if len(ks) < 2:
        return 0.0
    mean_to = np.stack([dist[:, labels == k].mean(axis=1) for k in ks], axis=1)  # N×K
    own = np.searchsorted(ks, labels)
    n_own = np.array([np.sum(labels == labels[i]) for i in range(len(labels))])
    a = mean_to[np.arange(len(labels)), own] * n_own / np.maximum(n_own - 1, 1)
    mean_to[np.arange(len(labels)), own] = np.inf
    b = mean_to.min(axis=1)
    return float(np.mean((b - a) / np.maximum(np.maximum(a, b), 1e-9)))


def cluster_speakers(
    x: np.ndarray,
    min_silhouette: float = 0.15,
    min_centroid_distance: float = 0.11,
    max_speakers: int = 6,
    min_windows: int = 8,
) -> np.ndarray:
    """Speaker number (0-based) of each row of ``x`` (``N×D`` unit embeddings).

    See :class:`OnlineSpeakerClustering` for the rule. Returns ``N`` ints numbered from 0.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(x)
    if n < 2 * min_windows:
        return np.zeros(n, int)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    tree = linkage(x, "average", metric="cosine")
    candidates: list[tuple[float, np.ndarray]] = []
    for k in range(2, min(max_speakers, n // min_windows) + 1):
        labels = _fold_small(x, fcluster(tree, k, "maxclust") - 1, min_windows)
        if labels.max() + 1 >= 2:
            candidates.append((silhouette(dist, labels), labels))
    for score, labels in sorted(candidates, key=lambda c: -c[0]):
        if score < min_silhouette:
            break
        cents = np.stack([x[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)
        apart = 1.0 - cents @ cents.T
        if apart[np.triu_indices(len(cents), 1)].min() >= min_centroid_distance:
            return labels
    return np.zeros(n, int)


MAX_SPEAKERS_GIVEN = 20
"""Most speakers a person may give (``--speakers``, "there are 3 speakers")."""


def check_speaker_count(n: int) -> int:
    """``n`` when it is a usable number of speakers (1 … :data:`MAX_SPEAKERS_GIVEN`).

    Raises:
        ValueError: one clear line saying why ``n`` cannot be used.
    """
    if n < 1 or n > MAX_SPEAKERS_GIVEN:
        raise ValueError(f"the number of speakers must be 1 to {MAX_SPEAKERS_GIVEN}, got {n}")
    return n


def spectral_split(x: np.ndarray, k: int, keep: float = 0.3, seeds: int = 5) -> np.ndarray:
    """Split ``N×D`` unit embeddings into ``k`` groups (spectral clustering); ``N`` labels.

    The cosine affinity (negatives set to 0) keeps each row's ``keep`` fraction of strongest
    links, is symmetrised, and its normalised Laplacian's ``k`` smallest eigenvectors (rows
    normalised) are split by k-means (best of ``seeds`` starts). Labels are 0 … ``k``-1.
    """
    from scipy.cluster.vq import kmeans2
    from scipy.linalg import eigh

    n = len(x)
    if k <= 1 or n <= k:
        return np.arange(n) if 1 < n <= k else np.zeros(n, int)
    aff = np.clip(x @ x.T, 0.0, None)
    m = max(2, int(np.ceil(keep * n)))
    floor = -np.sort(-aff, axis=1)[:, m - 1 : m]
    aff = np.where(aff >= floor, aff, 0.0)
    aff = (aff + aff.T) / 2
    d = np.maximum(aff.sum(axis=1), 1e-12)
    lap = np.eye(n) - aff / np.sqrt(np.outer(d, d))
    _, u = eigh(lap, subset_by_index=[0, k - 1])  # the k smallest only
    u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-9)
    best: tuple[float, np.ndarray] | None = None
    for seed in range(seeds):
        cents, labels = kmeans2(u, k, seed=seed, minit="++")
        inertia = float(((u - cents[labels]) ** 2).sum())
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    assert best is not None
    return best[1]


def eigengap_count(
    x: np.ndarray, min_gap: float = 2.0, min_windows: int = 8, max_speakers: int = 6
) -> tuple[int, float]:
    """Number of speakers of ``N×D`` unit embeddings by the eigen-gap, and the pruning used.

    Auto-tuned spectral clustering (Park et al. 2019, NME-SC): for each pruning fraction ``p``
    (each row of the cosine affinity keeps its ``p·N`` strongest links, set to 1, symmetrised),
    the Laplacian's largest gap among its ``max_speakers + 1`` smallest eigenvalues, divided by
    its largest eigenvalue, is ``g``; the ``p`` with the smallest ``p / g`` is used. Its
    eigen-gaps ``gap_k = λ_k+1 − λ_k`` (``k`` groups) give ``k = argmax gap_k`` over ``k ≥ 2``,
    accepted only when that gap is at least ``min_gap`` × ``gap_1`` (one speaker otherwise:
    the eigen-gap alone cannot say "one"); at most ``N // min_windows`` speakers.

    Returns:
        ``(k, p)``: speakers (≥ 1) and the pruning fraction in (0, 1).
    """
    from scipy.linalg import eigh

    n = len(x)
    top = min(max_speakers, n // max(1, min_windows))
    if top < 2:
        return 1, 0.3
    sim = x @ x.T
    order = np.argsort(-sim, axis=1)
    best: tuple[float, int, float] | None = None
    for p in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
        m = max(2, int(np.ceil(p * n)))
        a = np.zeros((n, n))
        np.put_along_axis(a, order[:, :m], 1.0, axis=1)
        a = (a + a.T) / 2
        lap = np.diag(a.sum(axis=1)) - a
        lam = eigh(lap, eigvals_only=True)
        gaps = np.diff(lam[: top + 1])  # gaps[k-1]: between the k-th and (k+1)-th smallest
        g = float(gaps.max()) / max(float(lam[-1]), 1e-10)
        k = 2 + int(np.argmax(gaps[1:]))
        if gaps[k - 1] < min_gap * gaps[0]:
            k = 1
        if g > 0 and (best is None or p / g < best[0]):
            best = (p / g, k, p)
    return (best[1], best[2]) if best else (1, 0.3)


def ahc_labels(x: np.ndarray, threshold: float, min_windows: int = 8) -> np.ndarray:
    """Average-linkage agglomerative clusters of ``N×D`` unit embeddings cut at cosine distance
    ``threshold``; clusters of fewer than ``min_windows`` join the closest larger one (all one
    speaker when none is that large). ``N`` labels numbered from 0."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(x) < 2:
        return np.zeros(len(x), int)
    labels = fcluster(linkage(x, "average", metric="cosine"), threshold, "distance") - 1
    return _fold_small(x, labels, min_windows)


@dataclass
class WholeFileClustering:
    """Speaker turns of a fully heard file, clustered at once (not streaming).

    Rule (``eval/diarization_loo.py``, BENCHMARKS.md "Leave-one-file-out DER"):

    1. windows quieter than ``quiet_ratio`` × the median window RMS (pauses inside a speech
       region) are left out of the count and the split; the embeddings are centred on the
       file's mean first when ``centre``;
    2. the number of speakers is the one given, or estimated by ``count``: ``"eigengap"``
       (:func:`eigengap_count`, auto-tuned p-pruned affinity), ``"silhouette"`` (the streaming
       rule, :func:`cluster_speakers`, over every window) or ``"ahc"`` (:func:`ahc_labels` cut
       at ``ahc_threshold``);
    3. the windows are split by :func:`spectral_split` (``"ahc"`` keeps its own clusters); the
       quiet ones join the closest centre;
    4. each 0.1 s step of a speech region takes the vote of the windows covering it, weighted
       by how close it is to each window's middle; runs shorter than ``min_turn_s`` join the
       longer neighbour; a region with no window of its own takes the nearest window's
       speaker.

    The defaults (eigen-gap, ``min_gap`` 0.5, not centred, ``quiet_ratio`` 0.5) are the
    setting with the lowest mean DER over the seven scorable files; chosen with each file left
    out in turn, the per-file DERs are the held-out figures in BENCHMARKS.md.

    Attributes:
        quiet_ratio: windows below this share of the median RMS do not shape the split.
        min_turn_s: shortest speaker turn kept, seconds.
        max_windows: most windows split at once (more are thinned evenly; the rest join the
            closest centre), so an hour of audio stays seconds of work.
        count: how the number of speakers is estimated when not given (see above).
        min_silhouette: ``"silhouette"``: mean silhouette a split needs.
        min_centroid_distance: ``"silhouette"``: cosine distance between speakers' centres.
        min_gap: ``"eigengap"``: how many times the first eigen-gap the best later gap must be.
        ahc_threshold: ``"ahc"``: cosine distance the dendrogram is cut at.
        centre: centre the embeddings on the file's mean before counting and splitting.
        min_windows: windows a speaker needs (smaller clusters join the closest).
        max_count_windows: ``"eigengap"`` counts on at most this many windows (evenly thinned;
            eight eigen-decompositions of that size, about a second on a busy 2-core machine).
    """

    quiet_ratio: float = 0.5
    min_turn_s: float = 1.0
    max_windows: int = 1000
    count: str = "eigengap"
    min_silhouette: float = 0.15
    min_centroid_distance: float = 0.11
    min_gap: float = 0.5
    ahc_threshold: float = 0.8
    centre: bool = False
    min_windows: int = 8
    max_count_windows: int = 300

    def labels(
        self, embs: np.ndarray, rms: np.ndarray, n_speakers: int | None = None
    ) -> np.ndarray:
        """Speaker number (0-based) of each of ``N×D`` window embeddings with RMS ``rms``."""
        n = len(embs)
        if n == 0:
            return np.zeros(0, int)
        x = embs.astype(np.float64)
        if self.centre:
            x = x - x.mean(axis=0)
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
        idx = self._shaping(rms, n_speakers or 2)
        keep, split = 0.3, None
        k = n_speakers
        if k is None and self.count == "silhouette":  # the streaming rule over all windows
            even = np.linspace(0, n - 1, min(n, self.max_windows)).astype(int)
            k = int(cluster_speakers(embs[even], self.min_silhouette, self.min_centroid_distance,
                                     min_windows=self.min_windows).max()) + 1  # fmt: skip
        elif k is None and self.count == "eigengap":
            few = idx[np.linspace(0, len(idx) - 1, min(len(idx), self.max_count_windows))
                      .astype(int)]  # fmt: skip
            k, keep = eigengap_count(x[few], self.min_gap, self.min_windows)
        elif k is None and self.count == "ahc":
            split = ahc_labels(x[idx], self.ahc_threshold, self.min_windows)
            k = int(split.max()) + 1
        elif k is None:
            raise ValueError(f"unknown speaker-count method {self.count!r}")
        if k <= 1:
            return np.zeros(n, int)
        if split is None:
            idx = self._shaping(rms, k)
            split = spectral_split(x[idx], k, keep)
        cents = np.stack([x[idx][split == j].mean(axis=0) for j in range(int(split.max()) + 1)])
        out = np.argmax(x @ cents.T, axis=1)
        out[idx] = split
        return out

    def _shaping(self, rms: np.ndarray, k: int) -> np.ndarray:
        """Indices of the windows that shape the split: those at least ``quiet_ratio`` × the
        median RMS (all when fewer than ``2k``), thinned evenly to ``max_windows``."""
        loud = rms >= self.quiet_ratio * np.median(rms)
        if loud.sum() < 2 * k:
            loud[:] = True
        idx = np.flatnonzero(loud)
        if len(idx) > self.max_windows:
            idx = idx[np.linspace(0, len(idx) - 1, self.max_windows).astype(int)]
        return idx

    def turns(
        self,
        regions: Sequence[tuple[float, float]],
        spans: np.ndarray,
        labels: np.ndarray,
    ) -> list[tuple[float, float, int]]:
        """``[(t0, t1, speaker number)]`` for speech ``regions`` from labelled windows.

        ``spans`` is ``N×2`` window ``(start, end)`` seconds; a window belongs to the region
        its start falls in. A region too short to have a window of its own takes the speaker
        of the nearest window in time, so every region the VAD heard gets a speaker.
        """
        out: list[tuple[float, float, int]] = []
        n_lab = int(labels.max()) + 1 if len(labels) else 1
        min_steps = max(1, int(round(self.min_turn_s / LABEL_STEP)))
        if not len(spans):
            return out
        for t0, t1 in regions:
            m = (spans[:, 0] >= t0 - 1e-6) & (spans[:, 0] < t1)
            if not m.any():  # too short to embed: the speaker of the nearest window in time
                near = np.argmin(np.abs(spans.mean(axis=1) - (t0 + t1) / 2))
                out.append((t0, t1, int(labels[near])))
                continue
            sp, lab = spans[m], labels[m]
            mid, width = sp.mean(axis=1), np.maximum(sp[:, 1] - sp[:, 0], 1e-6)
            n = max(1, int(np.ceil((t1 - t0) / LABEL_STEP)))
            steps: list[int] = []
            for c in t0 + (np.arange(n) + 0.5) * LABEL_STEP:
                cov = (sp[:, 0] <= c) & (c < sp[:, 1])
                if not cov.any():
                    steps.append(int(lab[np.argmin(np.abs(mid - c))]))
                    continue
                w = 1.0 - np.abs(mid[cov] - c) / width[cov]
                steps.append(int(np.argmax(np.bincount(lab[cov], weights=w, minlength=n_lab))))
            for k, a, b in _absorb_short(_runs(steps), min_steps):
                out.append((t0 + a * LABEL_STEP, min(t1, t0 + b * LABEL_STEP), k))
        return out


class SpeakerTurnAnalyzer:
    """Speaker turns for each voice-activity region, emitted as the region closes.

    Reads the regions of the :class:`SpeechAnalyzer` that runs before it on each chunk. Within
    a region, each 0.1 s step takes the majority speaker of the windows covering it; runs of one
    speaker become :class:`SpeakerTurn` events.

    Args:
        embedder: the injected :class:`SpeakerEmbedder`.
        vad: the speech analyzer whose closed regions are labelled.
        clustering: online clustering state (a fresh one by default).
        min_turn_s: shorter runs are absorbed by their neighbours.
        max_tonal_steadiness: regions steadier than this are music, not speech, and get no
            speaker (see :func:`tonal_steadiness`).
    """

    name = "speakers"

    def __init__(
        self,
        embedder: SpeakerEmbedder,
        vad: SpeechAnalyzer,
        clustering: OnlineSpeakerClustering | None = None,
        min_turn_s: float = 0.5,
        max_tonal_steadiness: float = MAX_TONAL_STEADINESS,
    ) -> None:
        self.max_tonal_steadiness = max_tonal_steadiness
        self.embedder = embedder
        self.vad = vad
        self.clustering = clustering or OnlineSpeakerClustering()
        self.min_turn_s = min_turn_s
        self._ids: dict[int, str] = {}
        self.turns: list[SpeakerTurn] = []
        self.n_speakers: int | None = None
        """Number of speakers the person gave (None: estimated) for :meth:`final_pass`."""
        self._heard: list[tuple[float, float]] = []  # speech regions with windows, seconds
        self._spans: list[np.ndarray] = []
        self._embs: list[np.ndarray] = []
        self._rms: list[np.ndarray] = []
        self._remembered = 0  # windows kept in _spans/_embs/_rms

    def process(self, chunk: Chunk) -> list[Event]:
        return self._label(self.vad.last_closed)

    def flush(self) -> list[Event]:
        return self._label(self.vad.last_closed)

    def speaker_of(self, t0: float, t1: float) -> str | None:
        """The speaker with the most time inside ``[t0, t1)`` seconds (None when no turn)."""
        time: Counter[str] = Counter()
        for turn in self.turns:
            overlap = min(t1, turn.t1) - max(t0, turn.t0)
            if overlap > 0:
                time[turn.speaker] += overlap
        return time.most_common(1)[0][0] if time else None

    def _id(self, k: int) -> str:
        if k not in self._ids:
            self._ids[k] = f"S{len(self._ids) + 1}"
        return self._ids[k]

    def _label(self, regions: list[SpeechRegion]) -> list[Event]:
        out: list[Event] = []
        for r in regions:
            if tonal_steadiness(r.audio) > self.max_tonal_steadiness:
                log.debug("%.1f-%.1f s: steady tones (music?), no speaker", r.t0, r.t1)
                continue
            spans, embs = self.embedder.embed_region(r.audio, r.t0)
            self._remember(r, spans, embs)
            if not len(embs):
                continue
            labels = self.clustering.add_region(embs)
            out += self._turns(r, spans, labels)
        self.turns += [e for e in out if isinstance(e, SpeakerTurn)]
        return out

    def _remember(self, r: SpeechRegion, spans: np.ndarray, embs: np.ndarray) -> None:
        """Keep a region's windows (spans, embeddings, RMS) for the whole-file pass."""
        rms = [
            float(np.sqrt(np.mean(np.square(r.audio[int((a - r.t0) * AUDIO_RATE) :
                                                     int((b - r.t0) * AUDIO_RATE)],
                                            dtype=np.float64))))
            for a, b in spans
        ]  # fmt: skip
        self._heard.append((r.t0, r.t1))
        self._spans.append(spans)
        self._embs.append(embs)
        self._rms.append(np.asarray(rms))
        self._remembered += len(spans)
        if self._remembered > MAX_REMEMBERED_WINDOWS:  # a long live session: thin, stay bounded
            self._thin(MAX_REMEMBERED_WINDOWS)

    def _thin(self, limit: int) -> None:
        """Drop remembered windows until at most ``limit`` are left: every other window of each
        region, then (regions of one window) every other region's windows; a region left with
        none takes the nearest window's speaker in the whole-file pass."""
        while self._remembered > limit:
            step = [slice(None, None, 2)] * len(self._spans)
            if all(len(a) <= 1 for a in self._spans):  # every other region that has one
                full = np.cumsum([len(a) for a in self._spans])
                step = [slice(0, 0) if n % 2 == 0 else slice(None) for n in full]
            self._spans = [a[k] for a, k in zip(self._spans, step, strict=True)]
            self._embs = [a[k] for a, k in zip(self._embs, step, strict=True)]
            self._rms = [a[k] for a, k in zip(self._rms, step, strict=True)]
            self._remembered = sum(len(a) for a in self._spans)

    def final_turns(
        self, n_speakers: int | None = None, clustering: WholeFileClustering | None = None
    ) -> list[SpeakerTurn]:
        """Speaker turns of everything heard, clustered at once (see
        :class:`WholeFileClustering`); ``n_speakers`` given or (None) estimated.

        Also replaces :attr:`turns`, so :meth:`speaker_of` answers from the new turns. Ids are
        ``S1``, ``S2``, … in order of first appearance.
        """
        if not sum(len(e) for e in self._embs):
            return []
        wf = clustering or WholeFileClustering()
        spans = np.concatenate(self._spans)
        labels = wf.labels(np.concatenate(self._embs), np.concatenate(self._rms), n_speakers)
        names: dict[int, str] = {}
        turns = []
        for t0, t1, k in wf.turns(self._heard, spans, labels):
            sid = names.setdefault(k, f"S{len(names) + 1}")
            turns.append(SpeakerTurn(t0, t1, self.name, speaker=sid))
        self.turns = turns
        return turns

    def final_pass(self, events: list[Event]) -> list[Event]:
        """``events`` of a fully heard (recorded) file with the streaming speaker turns replaced
        by :meth:`final_turns` (count: :attr:`n_speakers`), and the speaker of transcript
        segments and active-speaker events looked up again in them."""
        turns = self.final_turns(self.n_speakers)
        if not turns:
            return events
        out: list[Event] = list(turns)
        for e in events:
            if isinstance(e, SpeakerTurn):
                continue
            if getattr(e, "speaker", None) is not None and not isinstance(e, SpeakerTurn):
                e = replace(e, speaker=self.speaker_of(e.t0, max(e.t1, e.t0 + 0.05)))
            out.append(e)
        return sorted(out, key=lambda e: (e.t0, e.t1))

    def _turns(self, r: SpeechRegion, spans: np.ndarray, labels: list[int]) -> list[Event]:
        n = max(1, int(np.ceil((r.t1 - r.t0) / LABEL_STEP)))
        centres = r.t0 + (np.arange(n) + 0.5) * LABEL_STEP
        steps: list[int] = []
        for c in centres:
            votes = Counter(
                lab for (s0, s1), lab in zip(spans, labels, strict=True) if s0 <= c < s1
            )
            if not votes:  # outside every window: nearest window's label
                d = np.abs(spans.mean(axis=1) - c)
                votes[labels[int(np.argmin(d))]] = 1
            steps.append(votes.most_common(1)[0][0])
        runs = _runs(steps)
        min_steps = max(1, int(round(self.min_turn_s / LABEL_STEP)))
        runs = _absorb_short(runs, min_steps)
        out: list[Event] = []
        for lab, a, b in runs:
            t0, t1 = r.t0 + a * LABEL_STEP, min(r.t1, r.t0 + b * LABEL_STEP)
            out.append(SpeakerTurn(t0, t1, self.name, speaker=self._id(lab)))
        return out


def _runs(steps: Sequence[int]) -> list[tuple[int, int, int]]:
    """``[(label, start, end)]`` runs of equal labels (end exclusive)."""
    runs: list[tuple[int, int, int]] = []
    for i, lab in enumerate(steps):
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1], i + 1)
        else:
            runs.append((lab, i, i + 1))
    return runs


def _absorb_short(runs: list[tuple[int, int, int]], min_len: int) -> list[tuple[int, int, int]]:
    """Give runs shorter than ``min_len`` to the longer neighbour, then merge equal neighbours."""
    runs = list(runs)
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, (_, a, b) in enumerate(runs):
            if b - a >= min_len:
                continue
            left = runs[i - 1] if i > 0 else None
            right = runs[i + 1] if i + 1 < len(runs) else None
            best = max((x for x in (left, right) if x is not None), key=lambda x: x[2] - x[1])
            runs[i] = (best[0], a, b)
            merged: list[tuple[int, int, int]] = []
            for run in runs:
                if merged and merged[-1][0] == run[0]:
                    merged[-1] = (run[0], merged[-1][1], run[2])
                else:
                    merged.append(run)
            runs = merged
            changed = True
            break
    return runs


# -- scoring -----------------------------------------------------------------------------------
Turn = tuple[float, float, str]
"""``(t0, t1, speaker)`` in seconds."""


def read_rttm(path: str | Path, uri: str | None = None) -> list[Turn]:
    """Speaker turns of an RTTM file (``SPEAKER uri chan start dur … name …`` lines).

    ``uri`` keeps only the lines of that recording (an RTTM file may hold several).
    """
    turns: list[Turn] = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER" and uri in (None, parts[1]):
            start, dur = float(parts[3]), float(parts[4])
            turns.append((start, start + dur, parts[7]))
    return turns


@dataclass(frozen=True)
class DerResult:
    """Diarization error, in seconds of scored speech, and the rate.

    ``der = (missed + false_alarm + confusion) / total``; ``total`` is the reference speech
    time (overlapped speech counts once per speaker) outside the no-score collars.
    """

    missed: float
    false_alarm: float
    confusion: float
    total: float
    mapping: dict[str, str]

    @property
    def der(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / max(self.total, 1e-9)


def diarization_error_rate(
    reference: Sequence[Turn],
    hypothesis: Sequence[Turn],
    collar: float = 0.25,
    step: float = 0.01,
) -> DerResult:
    """NIST-style DER on a ``step``-second grid with the optimal one-to-one speaker mapping.

    Args:
        reference: true turns (may overlap).
        hypothesis: system turns.
        collar: seconds on each side of every reference boundary that are not scored (0.25 s is
            the usual value; 0 scores everything).
        step: grid resolution in seconds.

    The mapping maximises the time where mapped speakers agree (Hungarian algorithm); overlapped
    reference speech counts once per speaker, so a one-speaker-at-a-time system misses it.
    """
    from scipy.optimize import linear_sum_assignment

    end = max([t1 for _, t1, _ in [*reference, *hypothesis]], default=0.0)
    n = int(np.ceil(end / step)) + 1
    ref_names = sorted({s for *_, s in reference})
    hyp_names = sorted({s for *_, s in hypothesis})

    def grid(turns: Sequence[Turn], names: list[str]) -> np.ndarray:
        g = np.zeros((len(names), n), bool)
        for t0, t1, s in turns:
            g[names.index(s), int(round(t0 / step)) : int(round(t1 / step))] = True
        return g

    ref, hyp = grid(reference, ref_names), grid(hypothesis, hyp_names)
    scored = np.ones(n, bool)
    if collar > 0:
        c = int(round(collar / step))
        for t0, t1, _ in reference:
            for b in (int(round(t0 / step)), int(round(t1 / step))):
                scored[max(0, b - c) : b + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2).astype(float)
    mapping: dict[str, str] = {}
    correct = 0.0
    if overlap.size:
        rows, cols = linear_sum_assignment(-overlap)
        for r, h in zip(rows, cols, strict=True):
            mapping[hyp_names[h]] = ref_names[r]
            correct += overlap[r, h]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    confusion = np.minimum(n_ref, n_hyp).sum() - correct
    return DerResult(
        missed * step, false_alarm * step, confusion * step, n_ref.sum() * step, mapping
    )
