"""Background pictures: solid colours, gradients, images, videos and a blur of the frame itself.

Every function returns ``H×W×3`` uint8 RGB. Static backgrounds are built once per size and
cached by :class:`BackgroundSource`; video backgrounds are decoded lazily in step with the
output's time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.core.media import MediaError, iter_frames, probe
from backdrop.render.colors import hex_to_rgb
from backdrop.render.plan import Background, GradientBackground, VideoBackground
from backdrop.render.writer import RenderError


def solid(color: str, width: int, height: int) -> np.ndarray:
    """A frame filled with ``color`` ('#rrggbb')."""
    out = np.empty((height, width, 3), np.uint8)
    out[:] = hex_to_rgb(color)
    return out


def gradient(bg: GradientBackground, width: int, height: int) -> np.ndarray:
    """Evenly spaced colour stops; linear along ``bg.angle`` (0° = left→right, 90° = top→bottom)
    or radial from the centre to the farthest corner. Interpolated in linear light so mid
    tones do not go muddy."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    if bg.kind == "linear":
        th = math.radians(bg.angle)
        dx, dy = math.cos(th), math.sin(th)
        proj = (xs - width / 2) * dx + (ys - height / 2) * dy
        half = abs(width / 2 * dx) + abs(height / 2 * dy)
        pos = (proj + half) / max(2 * half, 1e-6)
    else:
        r = np.hypot(xs - width / 2, ys - height / 2)
        pos = r / max(math.hypot(width / 2, height / 2), 1e-6)
    pos = np.clip(pos, 0.0, 1.0)
    stops = np.array([hex_to_rgb(c) for c in bg.colors], np.float32) / 255.0
    lin = stops**2.2
    xp = np.linspace(0.0, 1.0, len(stops))
    out = np.empty((height, width, 3), np.float32)
    for ch in range(3):
        out[..., ch] = np.interp(pos, xp, lin[:, ch])
    return (np.clip(out, 0, 1) ** (1 / 2.2) * 255.0 + 0.5).astype(np.uint8)


def cover(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``img`` to cover ``width×height`` keeping its aspect, centred, cropped."""
    h, w = img.shape[:2]
    s = max(width / w, height / h)
    nw, nh = max(width, round(w * s)), max(height, round(h * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    big = cv2.resize(img, (nw, nh), interpolation=interp)
    x0, y0 = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(big[y0 : y0 + height, x0 : x0 + width])


MAX_IMAGE_PIXELS = 64_000_000
"""Largest background image accepted, in pixels (about 8000×8000; ~200 MB decoded)."""


def check_image(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """``(width, height)`` of the image at ``path``, read from its header without decoding it.

    Raises:
        RenderError: no such file, not an image, or more than ``max_pixels`` pixels (a small
            file can declare a huge picture; decoding it would take gigabytes).
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        what = "not a regular file (a device, pipe or folder)" if p.exists() else "no such file"
        raise RenderError(f"background image {p.name}: {what}")
    try:
        with Image.open(p) as im:
            w, h = im.size
    except Image.DecompressionBombError:
        raise RenderError(
            f"background image {p.name}: too large (at most {max_pixels / 1e6:.0f} megapixels); "
            "use a smaller image"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise RenderError(f"background image {p.name}: not a readable image") from e
    if w * h > max_pixels:
        raise RenderError(
            f"background image {p.name}: {w}×{h} is too large "
            f"(at most {max_pixels / 1e6:.0f} megapixels); use a smaller image"
        )
    return w, h


def load_image(path: str | Path, width: int, height: int) -> np.ndarray:
    """The image at ``path`` as ``height×width×3`` uint8 RGB, scaled to cover, centred.

    Raises:
        RenderError: see :func:`check_image`; or the pixels do not decode.
    """
    p = Path(path)
    check_image(p)
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        raise RenderError(f"background image {p.name}: not a readable image")
    return cover(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), width, height)


def blur_behind(frame: np.ndarray, alpha: np.ndarray, strength: float) -> np.ndarray:
    """The frame's own background, blurred, with the subject kept out of the blur.

    A normalised convolution (blur of ``frame·(1−alpha)`` over blur of ``1−alpha``) stops the
    subject's colours bleeding into the blurred background as a halo. ``strength`` in [0, 1];
    1 is a Gaussian sigma of 2 % of the frame height. Computed at quarter resolution.
    """
    h, w = frame.shape[:2]
    if strength <= 0:
        return frame
    f = 4
    sw, sh = max(1, w // f), max(1, h // f)
    small = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)
    inv = 1.0 - cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_AREA)
    sigma = max(0.5, strength * 0.02 * h / f * 2.0)
    num = cv2.GaussianBlur(small * inv[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(inv, (0, 0), sigma)[..., None]
    plain = cv2.GaussianBlur(small, (0, 0), sigma)
    # where the whole neighbourhood is subject, fall back to the plain blur
    blurred = np.where(den > 1e-3, num / np.maximum(den, 1e-3), plain)
    return cv2.resize(np.clip(blurred, 0, 255).astype(np.uint8), (w, h), cv2.INTER_LINEAR)


class _VideoBackground:
    """Frames of a background video at output times (looping when it is shorter)."""

    def __init__(self, bg: VideoBackground, width: int, height: int) -> None:
        try:
            info = probe(bg.path)
        except MediaError as e:
            raise RenderError(f"background video: {e}") from e
        self._bg, self._w, self._h = bg, width, height
        self._duration = max(info.duration, 1e-3)
        self._it: Iterator[tuple[float, np.ndarray]] | None = None
        self._cur: tuple[float, np.ndarray] | None = None
        self._next: tuple[float, np.ndarray] | None = None
        self._loop_t0 = 0.0

    def _restart(self, at: float) -> None:
        self._it = iter_frames(self._bg.path)
        self._loop_t0 = at
        self._cur, self._next = None, None

    def frame(self, t: float) -> np.ndarray:
        local = t % self._duration if self._bg.loop else min(t, self._duration)
        if self._it is None or (self._cur is not None and local + 1e-6 < self._cur[0]):
            self._restart(local)
        assert self._it is not None
        while True:
            if self._next is None:
                self._next = next(self._it, None)
                if self._next is None:
                    break
            if self._cur is not None and self._next[0] > local + 1e-6:
                break
            self._cur, self._next = self._next, None
        if self._cur is None:
            raise RenderError(f"background video {self._bg.path}: has no frames")
        return cover(self._cur[1], self._w, self._h)


class BackgroundSource:
    """Builds background frames for one output size, caching what does not change over time."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._static: dict[str, np.ndarray] = {}
        self._videos: dict[str, _VideoBackground] = {}
        self._last_key: tuple[Background, str] | None = None  # the last static one, its JSON

    def frame(self, bg: Background, t: float, frame: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """Background for time ``t`` seconds, given the source ``frame`` and subject ``alpha``.

        Each kind draws itself (``Background.draw``); static kinds are drawn once and cached.
        """
        if not bg.static:
            return bg.draw(self, t, frame, alpha)
        if self._last_key is None or self._last_key[0] is not bg:  # its JSON: ~0.3 ms a frame
            self._last_key = (bg, bg.model_dump_json())
        key = self._last_key[1]
        cached = self._static.get(key)
        if cached is None:
            cached = bg.draw(self, t, frame, alpha)
            self._static[key] = cached
        return cached

    def static_cached(self) -> list[str]:
        """The static backgrounds drawn and cached so far (their JSON)."""
        return list(self._static)

    def video(self, bg: VideoBackground) -> _VideoBackground:
        """The decoder of video background ``bg`` at this size, opened on first use."""
        key = bg.model_dump_json()
        if key not in self._videos:
            self._videos[key] = _VideoBackground(bg, self.width, self.height)
        return self._videos[key]

    def check(self, bgs: list[Background]) -> None:
        """Fail early (before any frame is encoded) on missing image or video files."""
        for bg in bgs:
            if bg.extensions:  # a kind that shows a file
                self.frame(
                    bg,
                    0.0,
                    np.zeros((self.height, self.width, 3), np.uint8),
                    np.zeros((self.height, self.width), np.float32),
                )


def match_lighting(bg: np.ndarray, frame: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``bg`` with its brightness and colour temperature moved to the subject's.

    Per-channel gains (clamped to [0.5, 2]) make the background's mean colour, measured on a
    64×36 thumbnail, have the subject's mean luma and the subject's channel ratios (its colour
    temperature); the subject is where ``alpha`` (``H×W`` float32 in [0, 1]) is high. Half of
    the colour correction is applied, all of the brightness, so a deliberately coloured
    background keeps its hue. Returns a new ``H×W×3`` uint8 RGB frame.
    """
    size = (64, 36)
    f = cv2.resize(frame, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    a = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)[..., None]
    if float(a.sum()) < 1.0:
        return bg
    subj = (f * a).sum((0, 1)) / float(a.sum())
    back = cv2.resize(bg, size, interpolation=cv2.INTER_AREA).astype(np.float32).mean((0, 1))
    luma = np.array([0.2126, 0.7152, 0.0722], np.float32)
    s_l, b_l = float(subj @ luma), max(float(back @ luma), 1.0)
    tint_s = subj / max(s_l, 1.0)
    tint_b = back / b_l
    tint = np.clip(tint_s / np.maximum(tint_b, 1e-3), 0.5, 2.0) ** 0.5
    gains = np.clip((s_l / b_l) * tint, 0.5, 2.0)
    return cv2.multiply(bg, tuple(float(g) for g in gains) + (0.0,), dtype=cv2.CV_8U)
