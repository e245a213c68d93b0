"""Small people clips built from the shared media on the spot (nothing is copied into the project).

Used by ``tests/test_people*.py`` and by ``eval/people_eval.py``. Sources (eval-only footage is
read from ``../shared/media`` and written to a temporary file, never committed):

* ``video-retalking/examples/face/1.mp4`` — a frontal talking head with its own speech (head A);
* ``liveportrait/assets/examples/source/s18.mp4`` — a woman talking indoors (head B);
* DAVIS 2016 ``dance-twirl`` — a dancer with a hand-drawn mask on every frame (CC BY 4.0,
  "DAVIS 2016, Perazzi et al.").

Frames are ``H×W×3`` uint8 RGB; audio is float32 mono at 16 kHz.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from backdrop.perception.core.media import AUDIO_RATE, read_chunks
from tests.conftest import mux_mono_audio

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "media"
HEAD_A = SHARED / "video-retalking" / "examples" / "face" / "1.mp4"
HEAD_B = SHARED / "liveportrait" / "assets" / "examples" / "source" / "s18.mp4"
DAVIS = SHARED / "davis2016-eor-vos" / "DAVIS"


def heads_available() -> bool:
    return HEAD_A.exists() and HEAD_B.exists()


def read_clip(
    path: Path, side: int, seconds: float, fps: float
) -> tuple[list[np.ndarray], np.ndarray]:
    """``(frames, audio)``: ``seconds`` of ``path`` at ``fps``, each frame the centre square
    scaled to ``side``×``side``; audio float32 mono 16 kHz of the same span."""
    frames: list[np.ndarray] = []
    audio: list[np.ndarray] = []
    nxt = 0.0
    for chunk in read_chunks(path):
        for t, f in zip(chunk.frame_times, chunk.frames, strict=True):
            if t + 1e-6 >= nxt and t < seconds:
                h, w = f.shape[:2]
                s = min(h, w)
                y0, x0 = (h - s) // 2, (w - s) // 2
                sq = f[y0 : y0 + s, x0 : x0 + s]
                frames.append(cv2.resize(sq, (side, side), interpolation=cv2.INTER_AREA))
                nxt += 1.0 / fps
        if chunk.audio is not None:
            audio.append(chunk.audio)
        if chunk.t1 >= seconds:
            break
    n = int(seconds * fps)
    while len(frames) < n:
        frames.append(frames[-1])
    a = np.concatenate(audio) if audio else np.zeros(0, np.float32)
    a = np.pad(a, (0, max(0, int(seconds * AUDIO_RATE) - a.size)))[: int(seconds * AUDIO_RATE)]
    return frames[:n], a.astype(np.float32)


def write_clip(
    path: Path, frames: list[np.ndarray], fps: float, audio: np.ndarray | None = None
) -> Path:
    """Encode ``frames`` (H.264, even size) and ``audio`` (AAC, 16 kHz mono) to ``path``."""
    h, w = frames[0].shape[:2]
    container = av.open(str(path), "w")
    vs = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
    vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
    vs.options = {"preset": "ultrafast", "crf": "20"}
    a_stream = None
    if audio is not None:
        a_stream = container.add_stream("aac", rate=AUDIO_RATE)
        a_stream.layout = "mono"
    for f in frames:
        for p in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")):
            container.mux(p)
    for p in vs.encode(None):
        container.mux(p)
    if a_stream is not None and audio is not None:
        mux_mono_audio(container, a_stream, audio, AUDIO_RATE)
    container.close()
    return path


def _shifted(frames: list[np.ndarray], audio: np.ndarray, fps: float, shift_s: float,
             mirror: bool) -> tuple[list[np.ndarray], np.ndarray]:  # fmt: skip
    """The clip started ``shift_s`` seconds later (looping), optionally mirrored left–right."""
    k = int(round(shift_s * fps)) % len(frames)
    f = frames[k:] + frames[:k]
    if mirror:
        f = [np.ascontiguousarray(x[:, ::-1]) for x in f]
    j = int(round(shift_s * AUDIO_RATE)) % max(audio.size, 1)
    return f, np.concatenate([audio[j:], audio[:j]])


def two_heads(
    path: Path,
    voices: str = "A",
    side: int = 240,
    seconds: float = 6.0,
    fps: float = 15.0,
    turn_s: float = 2.0,
    right: str = "shifted",
) -> tuple[Path, list[str]]:
    """Two talking heads side by side, both mouths moving, with one soundtrack.

    Head A (left) is ``HEAD_A`` with its own speech. Head B (right) is, with
    ``right="shifted"``, the same footage mirrored and started 3 s later (so its lips move with
    *its* shifted speech, not A's), or with ``right="silent"`` the woman of ``HEAD_B`` talking
    without her voice (the issue's "man next to a silent woman").

    Args:
        voices: ``"A"`` (A's voice only), ``"B"`` (B's only, ``shifted`` only) or ``"AB"``
            (alternating turns of ``turn_s`` seconds, A first).

    Returns:
        ``(path, truth)``: truth per frame is ``"A"`` or ``"B"``, whose voice is heard then, or
        during silence whose voice was heard last (the person who should be kept).
    """
    fa, aa = read_clip(HEAD_A, side, seconds, fps)
    if right == "silent":
        fb, _ = read_clip(HEAD_B, side, seconds, fps)
        ab = np.zeros_like(aa)
    else:
        fb, ab = _shifted(fa, aa, fps, 3.0, mirror=True)
    frames = [np.hstack([a, b]) for a, b in zip(fa, fb, strict=True)]
    t_audio = np.arange(aa.size) / AUDIO_RATE
    if voices == "AB":
        use_a = (t_audio // turn_s).astype(int) % 2 == 0
    else:
        use_a = np.full(aa.size, voices == "A")
    audio = np.where(use_a, aa, ab).astype(np.float32)
    # truth: who is heard at each frame (energy over 100 ms), else the last one heard
    truth: list[str] = []
    last = "A" if voices != "B" else "B"
    for i in range(len(frames)):
        a0 = int(i / fps * AUDIO_RATE)
        seg = audio[a0 : a0 + AUDIO_RATE // 10]
        if seg.size and 20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-5) > -40:
            last = "A" if use_a[min(a0, use_a.size - 1)] else "B"
        truth.append(last)
    return write_clip(path, frames, fps, audio), truth


def dance(rotate: int = 0, size: tuple[int, int] = (427, 240), every: int = 1,
          limit: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:  # fmt: skip
    """DAVIS dance-twirl ``(frames, truth masks)`` scaled to ``size`` (W, H), rotated by
    ``rotate`` degrees (0 or 180); truth masks are bool ``H×W``."""
    img_dir = DAVIS / "JPEGImages" / "480p" / "dance-twirl"
    ann_dir = DAVIS / "Annotations" / "480p" / "dance-twirl"
    frames, masks = [], []
    for p in sorted(img_dir.glob("*.jpg"))[::every][:limit]:
        img = cv2.resize(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), size,
                         interpolation=cv2.INTER_AREA)  # fmt: skip
        gt = cv2.imread(str(ann_dir / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE)
        gt = cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST) > 127
        if rotate == 180:
            img, gt = np.ascontiguousarray(img[::-1, ::-1]), np.ascontiguousarray(gt[::-1, ::-1])
        frames.append(img)
        masks.append(gt)
    return frames, masks


def _rotate(img: np.ndarray, deg: float, nearest: bool = False) -> np.ndarray:
    """``img`` turned ``deg`` degrees counter-clockwise about its centre (corners black)."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.warpAffine(img, m, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT)


def crowd(rotate: float = 180.0, spin: float = 0.0, every: int = 2, limit: int | None = None,
          ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:  # fmt: skip
    """A dancer in front of bystanders, as in the issue's breakdance clip (a proxy: the DAVIS
    breakdance sequence is not in the shared media).

    DAVIS dance-twirl at 427×240, the dancer turned ``rotate`` degrees (180: upside down) plus
    ``spin`` degrees more per frame (a spinning body; the whole frame turns about its centre),
    with two still bystanders standing upright at the left and right edges (the dancer of frames
    0 and 40 cut out with their hand-drawn masks, scaled to 0.6 and pasted in front).

    Returns:
        ``(frames, dancer truth, bystanders truth)``; truths are bool ``H×W`` (the dancer's
        truth excludes pixels a bystander covers).
    """
    frames, masks = dance(every=1)
    people = []
    for k, x0, mirror in ((0, 4, False), (40, 338, True)):
        f, g = frames[k], masks[k]
        ys, xs = np.nonzero(g)
        f = f[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        g = g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        if mirror:
            f, g = f[:, ::-1], g[:, ::-1]
        size = (max(1, round(f.shape[1] * 0.6)), max(1, round(f.shape[0] * 0.6)))
        f = cv2.resize(np.ascontiguousarray(f), size, interpolation=cv2.INTER_AREA)
        g = cv2.resize(g.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        people.append((f, g, x0))
    out_f, out_d, out_b = [], [], []
    idx = list(range(len(frames)))[::every][:limit]
    for n, i in enumerate(idx):
        deg = rotate + spin * n
        img = _rotate(frames[i], deg)
        dancer = _rotate(masks[i].astype(np.uint8), deg, nearest=True) > 0
        by = np.zeros_like(dancer)
        h = img.shape[0]
        for f, g, x0 in people:
            ph, pw = g.shape
            y0 = h - ph - 4
            region = img[y0 : y0 + ph, x0 : x0 + pw]
            region[g] = f[g]
            by[y0 : y0 + ph, x0 : x0 + pw] |= g
        out_f.append(img)
        out_d.append(dancer & ~by)
        out_b.append(by)
    return out_f, out_d, out_b
