"""Brand colours read from a web page or a local HTML file, ranked, with where each came from.

Only :func:`brand_colors` touches the network, and only for an address the person gave: the
page, the stylesheets it links and its logo image, each fetched with ``httpx`` under a timeout
and a size limit (:data:`TIMEOUT_S`, :data:`MAX_PAGE_BYTES`, :data:`MAX_ASSET_BYTES`), over
``http``/``https`` only. A local HTML file (and what it links) is read only inside the allowed
folders (:func:`backdrop.render.files.contain`).

What is read, strongest evidence first:

* ``<meta name="theme-color">`` — the colour the site itself declares;
* CSS custom properties (``--brand-primary: #1e40af``), in ``<style>`` blocks and linked
  stylesheets; names with *brand*, *primary*, *accent*, *secondary* weigh more;
* the colours most used in those stylesheets' declarations;
* the logo image's palette (an ``<img>`` whose ``src``, ``alt``, ``class`` or ``id`` says
  *logo*, else the page's icon): quantised, transparent and near-white pixels dropped; SVG logos
  give their ``fill``/``stop-color`` values.

Colours are ``'#rrggbb'`` strings. Near-identical colours (RGB distance < :data:`MERGE_DIST`)
merge and keep every source. Greys, near-white and near-black rank lower: a gradient of them is
rarely what "my brand colours" means.
"""

from __future__ import annotations

import colorsys
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import numpy as np

from backdrop.render.colors import NAMED_COLORS
from backdrop.render.files import PathError, contain

TIMEOUT_S = 5.0
"""Seconds allowed per request (connect and read)."""
MAX_PAGE_BYTES = 2_000_000
"""Largest page read; a larger one is refused."""
MAX_ASSET_BYTES = 1_000_000
"""Largest stylesheet or logo read; a larger one is skipped (and said)."""
MAX_STYLESHEETS = 5
"""Linked stylesheets read, in page order."""
MERGE_DIST = 24.0
"""RGB distance (0..441) under which two colours are one."""

_W_THEME = 5.0
_W_BRAND_VAR = 4.0
_W_VAR = 2.0
_W_USAGE = 3.0
_W_LOGO = 4.0
_BRAND_WORDS = re.compile(r"brand|primary|accent|secondary|main|logo|highlight", re.I)

_HEX = r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})\b"
_FUNC = r"(?:rgba?|hsla?)\(\s*[^()]*\)"
_CSS_NAMES = {
    k: v for k, v in NAMED_COLORS.items() if " " not in k and k not in {"sky", "mint", "cream"}
}
_NAME = r"\b(?:" + "|".join(sorted(_CSS_NAMES, key=len, reverse=True)) + r")\b"
_COLOR = re.compile(rf"{_HEX}|{_FUNC}|{_NAME}", re.I)
_VAR = re.compile(r"(--[\w-]+)\s*:\s*([^;}{]+)")
_DECL = re.compile(r"(?<![\w-])([a-z-]+)\s*:\s*([^;}{]+)", re.I)
_COLOR_PROPS = re.compile(r"colou?r|background|border|fill|stroke|outline|shadow", re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)


class BrandError(Exception):
    """The page could not be read (unreachable, too large, not HTML, outside the folders)."""


@dataclass
class BrandColor:
    """One candidate colour.

    Attributes:
        hex: ``'#rrggbb'``.
        score: ranking weight (sum over its sources; higher = more brand-like).
        sources: where it was found, in words ("theme-color", "--brand in style.css", ...).
    """

    hex: str
    score: float
    sources: list[str] = field(default_factory=list)


@dataclass
class BrandReport:
    """What was read from a page.

    Attributes:
        page: the address or file read.
        colors: candidates, best first.
        notes: what was skipped and why (a stylesheet too large, a logo unreadable).
    """

    page: str
    colors: list[BrandColor]
    notes: list[str] = field(default_factory=list)

    def top(self, n_max: int = 3) -> list[BrandColor]:
        """The two or three colours to propose: the top two, plus a third when it scores at
        least half the second's. Fewer when fewer were found."""
        out = self.colors[:2]
        if len(self.colors) > 2 and n_max > 2 and self.colors[2].score >= 0.5 * out[1].score:
            out.append(self.colors[2])
        return out


# -- colour values -----------------------------------------------------------------------------
def parse_color(value: str) -> str | None:
    """A CSS colour value as ``'#rrggbb'`` (alpha ignored), or ``None`` if it is not one (or
    is fully transparent)."""
    v = value.strip().lower()
    if v.startswith("#"):
        h = v[1:]
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h[:3]) + ("" if len(h) == 3 else h[3] * 2)
        if len(h) not in (6, 8) or not re.fullmatch(r"[0-9a-f]+", h):
            return None
        if len(h) == 8 and h[6:] == "00":
            return None
        return "#" + h[:6]
    m = re.fullmatch(r"(rgba?|hsla?)\((.*)\)", v)
    if m:
        parts = [p for p in re.split(r"[\s,/]+", m.group(2).strip()) if p]
        if len(parts) < 3:
            return None
        try:
            if len(parts) > 3 and _num(parts[3], 1.0) == 0:
                return None
            if m.group(1).startswith("rgb"):
                rgb = [_num(p, 255.0) for p in parts[:3]]
            else:
                hue = float(parts[0].removesuffix("deg")) / 360.0
                sat, light = _num(parts[1], 1.0), _num(parts[2], 1.0)
                r, g, b = colorsys.hls_to_rgb(hue % 1.0, light, sat)
                rgb = [r * 255, g * 255, b * 255]
        except ValueError:
            return None
        return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)
    return _CSS_NAMES.get(v)


def _num(text: str, scale: float) -> float:
    """A CSS number or percentage on ``0..scale``."""
    if text.endswith("%"):
        return float(text[:-1]) / 100.0 * scale
    return float(text)


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)], np.float32)


def _plainness(hex_color: str) -> float:
    """Weight factor for greys, near-white and near-black (0.25) versus colours (1.0)."""
    r, g, b = (_rgb(hex_color) / 255.0).tolist()
    h, light, s = colorsys.rgb_to_hls(r, g, b)
    if s < 0.15 or light > 0.94 or light < 0.08:
        return 0.25
    return 1.0


# -- reading -----------------------------------------------------------------------------------
class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.theme: list[str] = []
        self.sheets: list[str] = []
        self.styles: list[str] = []
        self.logos: list[str] = []
        self.icons: list[str] = []
        self.inline: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta" and a.get("name", "").lower() in {
            "theme-color",
            "msapplication-tilecolor",
        }:
            self.theme.append(a.get("content", ""))
        elif tag == "link":
            rel = a.get("rel", "").lower().split()
            if "stylesheet" in rel and a.get("href"):
                self.sheets.append(a["href"])
            elif {"icon", "apple-touch-icon"} & set(rel) and a.get("href"):
                self.icons.append(a["href"])
        elif tag == "style":
            self._in_style = True
        elif tag == "img" and a.get("src"):
            said = " ".join(a.get(k, "") for k in ("src", "alt", "class", "id")).lower()
            if "logo" in said:
                self.logos.append(a["src"])
        if a.get("style"):
            self.inline.append(a["style"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


class _Reader:
    """Fetches the page and what it links: http(s) under limits, or files inside ``allowed``."""

    def __init__(self, allowed: Sequence[Path], timeout: float) -> None:
        self.allowed = list(allowed)
        self.timeout = timeout
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def read(self, ref: str, limit: int) -> bytes:
        if _is_url(ref):
            return self._get(ref, limit)
        try:
            path = contain(ref, self.allowed, what="page")
        except PathError as e:
            raise BrandError(str(e)) from e
        if not path.is_file():
            raise BrandError(f"there is no file {ref!r}")
        if path.stat().st_size > limit:
            raise BrandError(f"{path.name} is larger than {limit // 1000} kB")
        return path.read_bytes()

    def _get(self, url: str, limit: int) -> bytes:
        import httpx

        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout, follow_redirects=True, max_redirects=3,
                headers={"User-Agent": "backdrop (brand colours)"},
            )  # fmt: skip
        try:
            with self._client.stream("GET", url) as r:
                if r.status_code >= 400:
                    raise BrandError(f"{url} answered HTTP {r.status_code}")
                if urlparse(str(r.url)).scheme not in {"http", "https"}:
                    raise BrandError(f"{url} redirected away from http(s)")
                size = int(r.headers.get("content-length") or 0)
                if size > limit:
                    raise BrandError(f"{url} is larger than {limit // 1000} kB")
                out = bytearray()
                for chunk in r.iter_bytes():
                    out += chunk
                    if len(out) > limit:
                        raise BrandError(f"{url} is larger than {limit // 1000} kB")
                return bytes(out)
        except httpx.TimeoutException as e:
            raise BrandError(f"{url} did not answer within {self.timeout:g} s") from e
        except httpx.HTTPError as e:
            raise BrandError(f"I couldn't reach {url} ({type(e).__name__})") from e


def _is_url(ref: str) -> bool:
    return urlparse(ref).scheme in {"http", "https"}


def normalise_target(target: str) -> str:
    """What the person gave as an address: ``'example.com'`` → ``'https://example.com'``; a
    path-like (``./site/index.html``, ``site/x.htm``, an existing file) stays a path.

    Raises:
        BrandError: another scheme (``file:``, ``ftp:``, ...).
    """
    t = target.strip().strip("\"'“”‘’<>").rstrip(".,;!?)")
    scheme = urlparse(t).scheme.lower()
    if scheme in {"http", "https"}:
        return t
    if scheme and len(scheme) > 1 and "://" in t:
        raise BrandError(f"I only read http(s) pages or local HTML files, not {scheme}: links")
    if t.startswith((".", "/", "~")) or t.lower().endswith((".html", ".htm")) or Path(t).exists():
        return t
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/\S*)?", t):
        return "https://" + t
    raise BrandError(f"“{t}” is not a web address or an HTML file")


def _link(base: str, ref: str) -> str:
    """``ref`` as linked from ``base``: a web page's links stay on the web (http(s) only), a
    local file's links stay local (relative paths only), so neither leads to the other.

    Raises:
        BrandError: a link of the other kind (``file:`` from a web page, a web address or an
            absolute path from a local file) or another scheme.
    """
    if _is_url(base):
        url = urljoin(base, ref)
        if not _is_url(url):
            raise BrandError("a web page may only link to http(s) addresses")
        return url
    if urlparse(ref).scheme or ref.startswith(("/", "\\", "~")):
        raise BrandError("a local page's links are read only when relative to it")
    return str(Path(base).parent / ref.split("?")[0].split("#")[0])


def _short(ref: str) -> str:
    """A link's file name, for what is said (at most 40 characters)."""
    if ref.startswith("data:"):
        return "(inline image)"
    name = urlparse(ref).path.rstrip("/").rsplit("/", 1)[-1] if _is_url(ref) else Path(ref).name
    return (name or ref)[:40]


def _data_uri(ref: str, limit: int) -> bytes:
    """The bytes of a ``data:`` URI (base64 or percent-encoded), at most ``limit``."""
    import base64
    from urllib.parse import unquote_to_bytes

    head, _, body = ref.partition(",")
    if len(body) > 2 * limit:
        raise BrandError(f"the inline image is larger than {limit // 1000} kB")
    try:
        data = base64.b64decode(body) if head.endswith(";base64") else unquote_to_bytes(body)
    except ValueError as e:
        raise BrandError("the inline image is not valid base64") from e
    return data[:limit]


# -- extraction --------------------------------------------------------------------------------
class _Tally:
    def __init__(self) -> None:
        self.items: list[BrandColor] = []

    def add(self, hex_color: str, score: float, source: str) -> None:
        rgb = _rgb(hex_color)
        for c in self.items:
            if float(np.linalg.norm(_rgb(c.hex) - rgb)) < MERGE_DIST:
                c.score += score * _plainness(hex_color)
                if source not in c.sources:
                    c.sources.append(source)
                return
        self.items.append(BrandColor(hex_color, score * _plainness(hex_color), [source]))

    def ranked(self) -> list[BrandColor]:
        return sorted(self.items, key=lambda c: -c.score)


def _css_colors(css: str, where: str, tally: _Tally) -> None:
    """Custom properties and declaration colours of one stylesheet into ``tally``."""
    css = _COMMENT.sub(" ", css)
    for name, value in _VAR.findall(css):
        m = _COLOR.search(value)
        hexc = parse_color(m.group(0)) if m else None
        if hexc is not None:
            weight = _W_BRAND_VAR if _BRAND_WORDS.search(name) else _W_VAR
            tally.add(hexc, weight, f"CSS {name} in {where}")
    used: Counter[str] = Counter()
    for prop, value in _DECL.findall(css):
        if prop.startswith("--") or not _COLOR_PROPS.search(prop):
            continue
        for m in _COLOR.finditer(value):
            hexc = parse_color(m.group(0))
            if hexc is not None:
                used[hexc] += 1
    if used:
        top = used.most_common(1)[0][1]
        for hexc, n in used.most_common(6):
            tally.add(hexc, _W_USAGE * n / top, f"used {n}× in {where}")


def logo_palette(data: bytes, n_colors: int = 4) -> list[tuple[str, float]]:
    """The main colours of a logo image: ``[(hex, share 0..1), ...]``, largest share first.

    Transparent pixels (alpha < 128) and near-white ones (every channel > 240) are left out;
    an SVG gives the share of each ``fill``/``stop-color``/``stroke`` value instead.

    Raises:
        BrandError: not an image it can read.
    """
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or head.startswith(b"<?xml") and b"<svg" in data[:2048].lower():
        text = data.decode("utf-8", "replace")
        found = Counter(
            h
            for v in re.findall(r"(?:fill|stop-color|stroke)\s*[:=]\s*[\"']?([^\"';>]+)", text)
            if (h := parse_color(v)) is not None
        )
        total = sum(found.values())
        return [(h, n / total) for h, n in found.most_common(n_colors)] if total else []
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > 40_000_000:
                raise BrandError("the logo image is too large")
            im.draft("RGB", (128, 128))
            rgba = im.convert("RGBA")
            rgba.thumbnail((96, 96))
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise BrandError("the logo is not an image I can read") from e
    px = np.asarray(rgba, np.uint8).reshape(-1, 4)
    px = px[(px[:, 3] >= 128) & ~np.all(px[:, :3] > 240, axis=1)][:, :3]
    if len(px) == 0:
        return []
    q = Image.fromarray(px.reshape(1, -1, 3)).quantize(n_colors, method=Image.Quantize.MEDIANCUT)
    pal = np.asarray(q.getpalette()[: 3 * n_colors], np.int32).reshape(-1, 3)
    counts = np.bincount(np.asarray(q).ravel(), minlength=n_colors)
    order = np.argsort(-counts)
    return [
        ("#" + "".join(f"{int(c):02x}" for c in pal[i]), float(counts[i] / len(px)))
        for i in order
        if counts[i] > 0
    ]


def brand_colors(
    target: str,
    allowed: Sequence[str | Path] = (),
    *,
    timeout: float = TIMEOUT_S,
) -> BrandReport:
    """Read ``target`` (a URL, a bare domain, or a local HTML file) and rank its brand colours.

    Args:
        target: as the person gave it ("example.com", "https://…", "./site/index.html").
        allowed: folders a local file (and what it links) may be in; empty = the working folder.
        timeout: seconds per request.

    Raises:
        BrandError: the page is unreachable, too large, outside the folders, not HTML, or has
            no colour at all; the message is one line for the person.
    """
    ref = normalise_target(target)
    reader = _Reader([Path(a) for a in allowed] or [Path.cwd()], timeout)
    tally, notes = _Tally(), []
    try:
        raw = reader.read(ref, MAX_PAGE_BYTES)
        html = raw.decode("utf-8", "replace")
        if "<" not in html[:4096] or not re.search(r"<(?:html|head|body|meta|link|style|div)\b",
                                                   html, re.I):  # fmt: skip
            raise BrandError(f"{_short(ref) or ref} is not an HTML page")
        page = _PageParser()
        page.feed(html)
        for value in page.theme:
            if (h := parse_color(value)) is not None:
                tally.add(h, _W_THEME, "theme-color")
        for css in page.styles:
            _css_colors(css, "the page's <style>", tally)
        if page.inline:
            _css_colors("x{" + ";".join(page.inline) + "}", "the page's style attributes", tally)
        for href in page.sheets[:MAX_STYLESHEETS]:
            try:
                link = _link(ref, href)
                _css_colors(reader.read(link, MAX_ASSET_BYTES).decode("utf-8", "replace"),
                            _short(link), tally)  # fmt: skip
            except BrandError as e:
                notes.append(f"skipped the stylesheet {_short(href)}: {e}")
        logo = (page.logos or page.icons or [None])[0]
        if logo is not None:
            try:
                if logo.startswith("data:image/"):  # inline: no request, no file
                    link, data = logo, _data_uri(logo, MAX_ASSET_BYTES)
                else:
                    link = _link(ref, logo)
                    data = reader.read(link, MAX_ASSET_BYTES)
                for h, share in logo_palette(data):
                    if share >= 0.05:
                        tally.add(h, _W_LOGO * share, f"the logo {_short(link)} ({share:.0%})")
            except BrandError as e:
                notes.append(f"skipped the logo {_short(logo)}: {e}")
    finally:
        reader.close()
    ranked = tally.ranked()
    if not ranked:
        raise BrandError(f"I found no colours on {ref}")
    return BrandReport(ref, ranked, notes)


__all__ = [
    "MAX_ASSET_BYTES",
    "MAX_PAGE_BYTES",
    "TIMEOUT_S",
    "BrandColor",
    "BrandError",
    "BrandReport",
    "brand_colors",
    "logo_palette",
    "normalise_target",
    "parse_color",
]
