"""Brand colours from a page (issue 17, item 3): read from a site served on 127.0.0.1 by the test
(no outside network), proposed with their sources, applied on the person's yes."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backdrop.agent.interpret import RuleInterpreter, SpeechInterpreter
from backdrop.render.brand import (
    BrandError,
    brand_colors,
    logo_palette,
    normalise_target,
    parse_color,
)
from backdrop.render.plan import EditPlan
from backdrop.tools import PlanHistory, ToolContext

PAGE = """<!doctype html><html><head>
<meta name="theme-color" content="#1e40af">
<link rel="stylesheet" href="css/site.css">
<style>:root { --brand-accent: #9333ea; --spacing: 4px; }</style>
</head><body><img src="img/logo.png" alt="Acme logo"><h1 style="color:#222">Acme</h1></body></html>
"""
CSS = """/* site */
:root { --text: #111827; }
a { color: #9333ea; } .btn { background: #9333ea; border: 1px solid #9333EA; }
.warn { background-color: rgb(245, 158, 11); } .warn2 { color: #f59e0b; } .x { color: #f59e0b }
body { background: #ffffff; color: #111827; }
"""


def _logo(path: Path) -> None:
    """An orange disc logo on a transparent square (so orange is its palette)."""
    yy, xx = np.mgrid[:64, :64]
    disc = (yy - 32) ** 2 + (xx - 32) ** 2 < 28**2
    img = np.zeros((64, 64, 4), np.uint8)
    img[disc] = (249, 115, 22, 255)
    Image.fromarray(img).save(path)


def _site(root: Path) -> Path:
    (root / "css").mkdir(parents=True)
    (root / "img").mkdir()
    (root / "index.html").write_text(PAGE)
    (root / "css" / "site.css").write_text(CSS)
    _logo(root / "img" / "logo.png")
    (root / "garbage.html").write_bytes(bytes(range(256)) * 40)
    (root / "big.html").write_text("<html>" + "x" * 2_100_000)
    (root / "filelink.html").write_text(
        '<html><head><link rel="stylesheet" href="file:///etc/hostname">'
        '<meta name="theme-color" content="#123456"></head></html>'
    )
    return root


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = _site(tmp_path_factory.mktemp("site"))
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _ctx(allowed: tuple[Path, ...] = ()) -> ToolContext:
    return ToolContext(history=PlanHistory(EditPlan()), duration=10.0, allowed=allowed)


def test_parse_color_forms() -> None:
    assert parse_color("#1E40AF") == "#1e40af"
    assert parse_color("#abc") == "#aabbcc"
    assert parse_color("rgb(245, 158, 11)") == "#f59e0b"
    assert parse_color("rgba(0 0 255 / 50%)") == "#0000ff"
    assert parse_color("hsl(0, 100%, 50%)") == "#ff0000"
    assert parse_color("#00000000") is None and parse_color("4px") is None


def test_page_colours_ranked_with_sources(served: str) -> None:
    report = brand_colors(f"{served}/index.html")
    top = report.top()
    hexes = [c.hex for c in top]
    assert hexes[:2] == ["#9333ea", "#1e40af"] or hexes[:2] == ["#1e40af", "#9333ea"]
    by_hex = {c.hex: c for c in report.colors}
    assert "theme-color" in by_hex["#1e40af"].sources
    purple = " ".join(by_hex["#9333ea"].sources)
    assert "--brand-accent" in purple and "site.css" in purple  # custom property and usage
    # the logo's orange and the stylesheet's amber are found too
    assert any("logo.png" in s for c in report.colors for s in c.sources)
    assert any(c.hex == "#f59e0b" for c in report.colors)
    # greys and white rank below the brand colours
    assert all(c.hex not in {"#111827", "#ffffff", "#222222"} for c in top)


def test_logo_palette_reads_png_and_svg(tmp_path: Path) -> None:
    _logo(tmp_path / "l.png")
    pal = logo_palette((tmp_path / "l.png").read_bytes())
    r, g, b = (int(pal[0][0][i : i + 2], 16) for i in (1, 3, 5))
    assert abs(r - 249) < 12 and abs(g - 115) < 12 and abs(b - 22) < 12 and pal[0][1] > 0.9
    svg = b'<svg><rect fill="#0ea5e9"/><circle style="fill:#0ea5e9"/></svg>'
    assert logo_palette(svg)[0] == ("#0ea5e9", 1.0)


def test_bad_pages_end_in_one_clear_line(served: str, tmp_path: Path) -> None:
    with pytest.raises(BrandError, match="not an HTML page"):
        brand_colors(f"{served}/garbage.html")
    with pytest.raises(BrandError, match="larger than"):
        brand_colors(f"{served}/big.html")
    report = brand_colors(f"{served}/filelink.html")
    assert report.colors[0].hex == "#123456" and "only link to http" in report.notes[0]
    with pytest.raises(BrandError, match="HTTP 404"):
        brand_colors(f"{served}/nope.html")
    with pytest.raises(BrandError, match="couldn't reach|did not answer"):
        brand_colors("http://127.0.0.1:9/", timeout=2.0)  # the discard port: nothing listens
    with pytest.raises(BrandError, match="only read http"):
        normalise_target("file:///etc/passwd")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.html").write_text(PAGE)
    inside = tmp_path / "work"
    inside.mkdir()
    with pytest.raises(BrandError, match="outside|allowed|inside"):
        brand_colors(str(outside / "x.html"), [inside])
    assert normalise_target("example.com") == "https://example.com"


def test_local_html_file_inside_allowed_folder(tmp_path: Path) -> None:
    _site(tmp_path / "site")
    report = brand_colors("./site/index.html", [tmp_path])
    assert {"#1e40af", "#9333ea"} <= {c.hex for c in report.top()}


def test_proposal_then_yes_applies_gradient(served: str) -> None:
    ctx = _ctx()
    interp = SpeechInterpreter(RuleInterpreter())
    reply = interp.interpret(f"match my brand colours from {served}/index.html", ctx)
    assert not ctx.plan.backgrounds, "a proposal changes nothing until the yes"
    assert "theme-color" in reply.text and "--brand-accent" in reply.text and "yes" in reply.text
    done = interp.interpret("yes, and fade it in over 2 seconds", ctx)
    assert done.changed, done.text
    bg = ctx.plan.backgrounds[-1].background
    assert bg.type == "gradient"
    assert {"#1e40af", "#9333ea"} <= set(bg.colors) and 2 <= len(bg.colors) <= 3
    assert ctx.plan.backgrounds[-1].fade_in is not None
    # a later "yes" is not an answer any more
    again = interp.interpret("yes", ctx)
    assert not again.changed


def test_proposal_no_and_bad_page(served: str) -> None:
    ctx = _ctx()
    interp = SpeechInterpreter(RuleInterpreter())
    interp.interpret(f"use my brand colors from {served}/index.html", ctx)
    assert "leave it" in interp.interpret("no", ctx).text
    assert not ctx.plan.backgrounds
    bad = interp.interpret(f"match my brand colours from {served}/garbage.html", ctx)
    assert "couldn't read" in bad.text and "\n" not in bad.text
    ask = interp.interpret("match the colours of my website", ctx)
    assert ask.clarify and not ctx.plan.backgrounds
    # explicit hex brand colours stay the rule interpreter's (no page is read)
    interp.interpret("my brand colours #1e40af and #9333ea", ctx)
    assert ctx.plan.backgrounds[-1].background.colors == ["#1e40af", "#9333ea"]


def test_session_yes_answers_the_proposal_before_an_older_notice(
    served: str, make_video: Callable[..., Path]
) -> None:
    """A pending notice (the opening one) does not take the "yes" meant for the brand
    proposal: the proposal is the newer question."""
    from backdrop.agent.proactive import Notice
    from backdrop.agent.session import Session
    from backdrop.tools import ToolCall

    session = Session(make_video(), analyzers=lambda info: [], llm=False).start()
    try:
        session.wait(60)
        blur = ToolCall("blur_background", {})
        session.pending.append(Notice(1, "opening", 0.0, "Blur it?", (blur,)))
        r = session.submit(f"match my brand colours from {served}/index.html").result(60)
        assert "yes / no" in r.text and not session.plan.backgrounds
        done = session.submit("yes").result(60)
        assert done.changed and session.plan.backgrounds[-1].background.type == "gradient"
        assert len(session.pending) == 1, "the older notice is still waiting"
        session.submit("yes").result(60)  # now the notice's yes
        assert session.plan.backgrounds[-1].background.type == "blur"
    finally:
        session.close()


def test_session_with_a_language_model_reads_the_page_too(
    served: str, make_video: Callable[..., Path]
) -> None:
    """With an LLM configured (here one that cannot be reached) the page is still read and the
    proposal applied: the phrase never goes to the model."""
    from backdrop.agent.llm import LLMConfig
    from backdrop.agent.session import Session

    llm = LLMConfig(base_url="http://127.0.0.1:9/v1", api_key="k", model="m", timeout=2)
    session = Session(make_video(), analyzers=lambda info: [], llm=llm).start()
    try:
        r = session.submit(f"use our brand colours from {served}/index.html").result(60)
        assert "theme-color" in r.text and not session.plan.backgrounds
        assert session.submit("yes please").result(60).changed
        assert session.plan.backgrounds[-1].background.type == "gradient"
    finally:
        session.close()


def test_links_stay_on_their_side(served: str, tmp_path: Path) -> None:
    """A web page's links never read local files; a local page's links never reach the web."""
    import base64

    secret = tmp_path / "secret.css"
    secret.write_text(":root { --brand: #ff0000; }")
    site = tmp_path / "site"
    site.mkdir()
    page = site / "p.html"
    page.write_text(
        f'<html><head><meta name="theme-color" content="#0ea5e9">'
        f'<link rel="stylesheet" href="{served}/css/site.css">'
        f'<link rel="stylesheet" href="{secret}"></head><body></body></html>'
    )
    report = brand_colors(str(page), [tmp_path])
    hexes = {c.hex for c in report.colors}
    assert "#9333ea" not in hexes and "#ff0000" not in hexes  # neither the web nor /abs read
    assert sum("skipped the stylesheet" in n for n in report.notes) == 2
    # an inline (data:) SVG logo is read without any request
    svg = base64.b64encode(b'<svg><rect fill="#10b981"/></svg>').decode()
    page.write_text(f'<html><body><img class="logo" src="data:image/svg+xml;base64,{svg}">')
    report = brand_colors(str(page), [tmp_path])
    assert report.colors[0].hex == "#10b981" and "inline image" in report.colors[0].sources[0]


def test_time_said_before_the_brand_words_is_kept(tmp_path: Path) -> None:
    _site(tmp_path / "site")
    ctx = _ctx((tmp_path,))
    interp = SpeechInterpreter(RuleInterpreter())
    r = interp.interpret(
        "for the first 3 seconds make the background my company colours from site/index.html", ctx
    )
    assert "first 3 seconds" in r.text and not ctx.plan.backgrounds
    assert interp.interpret("yes", ctx).changed
    seg = ctx.plan.backgrounds[-1]
    assert seg.background.type == "gradient" and seg.range.end == pytest.approx(3.0)


def test_one_shot_edit_applies_the_brand_proposal(served: str, tmp_path: Path) -> None:
    """``backdrop edit`` cannot wait for a yes: it applies the top proposal and says where each
    colour came from; exit 2 only when there is nothing to apply, saying why."""
    from tests.conftest import backdrop, write_video

    clip = write_video(tmp_path / "clip.mp4", audio=False)
    plan_out = tmp_path / "plan.json"
    done = backdrop(
        "edit", clip, f"match my brand colours from {served}/index.html", "--dry-run",
        "--plan-out", plan_out,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "theme-color" in said and "--brand-accent" in said and "Applying" in said
    bg = EditPlan.load(plan_out).backgrounds[-1].background
    assert bg.type == "gradient" and {"#1e40af", "#9333ea"} <= set(bg.colors)

    bad = backdrop("edit", clip, f"match my brand colours from {served}/garbage.html", "--dry-run")
    assert bad.returncode == 2 and "couldn't read" in bad.stdout + bad.stderr
    assert "{" not in bad.stdout  # no plan printed
