"""Shared fixtures, fakes and markers.

- Small videos generated on the spot (:func:`write_video`, ``make_video``) and paths to the
  project's real media.
- Fakes: :class:`Scripted` (an analyzer that emits given events on time), :func:`backdrop`
  (the CLI in a subprocess), :func:`validate` (a JSON value against a tool schema subset),
  :func:`blueness`.
- Markers (registered in pyproject.toml): ``needs_espeak`` (skipped without espeak-ng),
  ``needs_weights("name", ...)`` (skipped when those models are not installed), ``slow``,
  ``browser``, ``ray`` and ``cli`` (a subprocess of the CLI). ``make test-fast`` deselects
  ``slow``, ``browser``, ``ray`` and ``cli``; ``make test`` runs everything.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = ROOT / "examples" / "sample.mp4"
SHARED_MEDIA = ROOT.parent / "shared" / "media"
ESPEAK = shutil.which("espeak-ng")

# -- markers ------------------------------------------------------------------------------------
needs_espeak = pytest.mark.needs_espeak
"""The test speaks with espeak-ng (a Debian package ``make setup`` installs); skipped without."""


def needs_weights(*names: str) -> pytest.MarkDecorator:
    """The test needs these catalogue models installed (``backdrop models install``)."""
    return pytest.mark.needs_weights(*names)


def _missing_models(names: Sequence[str]) -> list[str]:
    from backdrop.perception.core.models import model_status

    installed = {s.name for s in model_status() if s.installed}
    return [n for n in names if n not in installed]


# Marks given here rather than in each file, so the fast lane is one list to keep up to date:
# whole modules (real speech and speaker models, the browser, CLI subprocesses) and single
# tests that take more than a few seconds (real segmentation quality, scrub latency).
_MODULE_MARKS = {
    "test_web_browser": ("browser", "slow"),
    "test_chat": ("cli", "slow"),
    "test_cli": ("cli",),
    "test_voice": ("slow",),
    "test_asr": ("slow",),
    "test_speakers": ("slow",),
    "test_sam": ("slow",),
    "test_quality": ("slow",),
    "test_scenecut": ("slow",),
    "test_live_session": ("cli", "slow"),
    "test_live_browser": ("browser", "slow"),
    "test_signals": ("cli", "slow"),  # tests/faults: edit killed mid-render (subprocesses)
    "test_fuzz": ("slow",),  # tests/faults: 10,000 Hypothesis examples per property
    "test_takes": ("slow",),  # three real takes through the person masker and Whisper
}
_SLOW_TESTS = frozenset({
    "test_vision.py::test_box_rule_changes_the_output_where_the_object_is",
    "test_vision.py::test_fallback_iou_given_the_true_box",
    "test_web_api.py::test_scrub_latency_at_720p",
    "test_web_api.py::test_voice_instruction",
    "test_web_api.py::test_bad_uploads_are_refused_and_the_session_stays_usable",
    "test_session.py::test_instruction_during_processing_applies_from_next_micro_turn",
    "test_session.py::test_notices_are_rate_limited_and_never_repeated",
    "test_session_faults.py::test_chat_with_a_corrupt_background_answers_and_exits",
    "test_pointing.py::test_keep_what_she_points_at_on_real_footage",
    "test_brand.py::test_session_with_a_language_model_reads_the_page_too",
})  # fmt: skip


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With ``-m "not slow"``, whole slow modules are not even imported (their models load
    at import or in module fixtures, which is most of the fast lane's start-up otherwise)."""
    slow_module = "slow" in _MODULE_MARKS.get(collection_path.stem, ())
    if slow_module and "not slow" in (config.getoption("markexpr", "") or ""):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for mark in _MODULE_MARKS.get(item.module.__name__.rsplit(".", 1)[-1], ()):
            item.add_marker(mark)
        if item.nodeid.split("/")[-1].split("[")[0] in _SLOW_TESTS:
            item.add_marker("slow")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_espeak") and ESPEAK is None:
        pytest.skip("espeak-ng is not installed (make setup installs it)")
    for mark in item.iter_markers("needs_weights"):
        missing = _missing_models(mark.args)
        if missing:
            pytest.skip(f"models not installed ({', '.join(missing)}): backdrop models install")


# -- fakes --------------------------------------------------------------------------------------
class Scripted:
    """An analyzer that emits given events when processing reaches their time, and can be slow
    (``delay`` seconds per chunk) so tests can talk to a session mid-way."""

    name = "scripted"

    def __init__(self, events: list[Any], delay: float = 0.0) -> None:
        self.events = sorted(events, key=lambda e: e.t0)
        self.delay = delay

    def process(self, chunk: Any) -> list[Any]:
        if self.delay:
            time.sleep(self.delay)
        return [e for e in self.events if chunk.t0 <= e.t0 < chunk.t1]

    def flush(self) -> list[Any]:
        return []


def blueness(rgb: np.ndarray) -> float:
    """How much bluer than red the top-left corner (40×80 pixels) of an RGB frame is."""
    corner = rgb[:40, :80].astype(float)
    return float(corner[..., 2].mean() - corner[..., 0].mean())


def validate(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` satisfies ``schema`` (the JSON Schema subset the tool schemas use)."""
    if "anyOf" in schema:
        return any(validate(value, s) for s in schema["anyOf"])
    if "oneOf" in schema:
        return sum(validate(value, s) for s in schema["oneOf"]) == 1
    if "const" in schema and value != schema["const"]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind is not None and not checks[kind](value):
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return False
        if "items" in schema and not all(validate(v, schema["items"]) for v in value):
            return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(k not in value for k in schema.get("required", [])):
            return False
        if schema.get("additionalProperties") is False and set(value) - set(props):
            return False
        return all(validate(v, props[k]) for k, v in value.items() if k in props)
    return True


def backdrop(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``backdrop`` CLI in a subprocess (as a person would), capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "backdrop.agent.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _pattern(i: int, w: int, h: int) -> np.ndarray:
    """A frame whose content tells its index: a bright square moving left→right on grey."""
    img = np.full((h, w, 3), 90, np.uint8)
    s = max(2, min(w, h) // 5)
    x = (i * 7) % max(1, w - s)
    img[h // 3 : h // 3 + s, x : x + s] = (250, 40, 40)
    img[:4, :4] = (0, 255, 0)  # top-left marker (for rotation checks)
    return img


def write_video(
    path: Path,
    width: int = 160,
    height: int = 96,
    fps: float = 25.0,
    frames: int = 25,
    audio: bool = True,
    times: Sequence[float] | None = None,
    rotation: int = 0,
    codec: str = "libx264",
    frame_fn: Callable[[int, int, int], np.ndarray] = _pattern,
    tone_hz: float = 440.0,
    audio_rate: int = 44_100,
) -> Path:
    """Encode a small test video. ``times`` (seconds) gives explicit, possibly uneven, frame
    times (variable frame rate); ``rotation`` is stored as display-matrix metadata; audio is a
    sine tone of ``tone_hz`` as long as the video."""
    fmt = "matroska" if codec in ("ffv1", "png") else "mp4"
    container = av.open(str(path), "w", format=fmt)
    tb = Fraction(1, 90_000)
    vs = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    vs.width, vs.height = width, height
    vs.pix_fmt = {"libx264": "yuv420p", "ffv1": "yuv444p", "png": "rgb24"}[codec]
    vs.time_base = tb
    vs.codec_context.time_base = tb
    if codec == "libx264":
        vs.options = {"preset": "ultrafast", "crf": "18"}
    if rotation:
        vs.set_display_rotation(rotation)
    a_stream = None
    if audio:
        a_stream = container.add_stream("aac", rate=audio_rate)
        a_stream.layout = "mono"
    ts = list(times) if times is not None else [i / fps for i in range(frames)]
    for i, t in enumerate(ts):
        frame = av.VideoFrame.from_ndarray(frame_fn(i, width, height), format="rgb24")
        frame.pts = int(round(t / tb))
        frame.time_base = tb
        for p in vs.encode(frame):
            container.mux(p)
    for p in vs.encode(None):
        container.mux(p)
    if a_stream is not None:
        dur = (ts[-1] if ts else 0.0) + 1.0 / fps
        n = int(dur * audio_rate)
        tone = (0.3 * np.sin(2 * np.pi * tone_hz * np.arange(n) / audio_rate)).astype(np.float32)
        mux_mono_audio(container, a_stream, tone, audio_rate)
    container.close()
    return path


def mux_mono_audio(container: Any, stream: Any, samples: np.ndarray, rate: int) -> None:
    """Encode float32 mono ``samples`` (at ``rate`` Hz, in [-1, 1]) into the open audio
    ``stream`` of ``container`` in 1024-sample frames, then flush it."""
    step = 1024
    for k in range(0, samples.size, step):
        af = av.AudioFrame.from_ndarray(samples[None, k : k + step], format="fltp", layout="mono")
        af.sample_rate = rate
        af.pts = k
        af.time_base = Fraction(1, rate)
        for p in stream.encode(af):
            container.mux(p)
    for p in stream.encode(None):
        container.mux(p)


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(name: str | None = None, **kw: object) -> Path:
        suffix = ".mkv" if kw.get("codec") in ("ffv1", "png") else ".mp4"
        return write_video(tmp_path / (name or f"clip{next(counter)}{suffix}"), **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def sample() -> Path:
    assert SAMPLE.exists(), f"{SAMPLE} is part of the project and must exist"
    return SAMPLE


# -- a real HTTP server and Debian's Chromium for the web tests -----------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip


def ctrl_c_reaches_child() -> None:
    """``preexec_fn`` for a child the test interrupts with SIGINT: Ctrl-C back to its default.

    A shell without job control starts background jobs with SIGINT ignored, and an ignored
    signal stays ignored across exec (Python then installs no KeyboardInterrupt handler), so
    a suite started as ``make test &`` from a script would see its children ignore the
    test's Ctrl-C. The child gets the default a terminal user's process has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def python_ctrl_c() -> Iterator[None]:
    """Python's own Ctrl-C handler (KeyboardInterrupt) for a test that sends itself SIGINT.

    A suite started as a background job of a shell without job control inherits SIGINT
    ignored, and Python then installs no handler: the test's Ctrl-C would never arrive."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def free_port() -> int:
    """A loopback TCP port nothing listens on (closed again before it is returned)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn on a free loopback port in a thread; yields its base
    URL ("http://127.0.0.1:PORT/") once it accepts connections, and stops it afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(15)


def wait_for(cond: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``cond`` every 50 ms until it is truthy; AssertionError naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def chromium_page(
    url: str, width: int = 1400, height: int = 860
) -> Iterator[tuple[Any, list[str]]]:
    """Debian's Chromium (headless, through Playwright) on ``url``: yields the page and the list
    its uncaught script errors are collected in; closes the browser afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            yield page, errors
        finally:
            browser.close()
