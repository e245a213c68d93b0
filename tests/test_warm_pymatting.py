"""pymatting is imported in a background thread when a quality-edge compositor is made
(issue 14: its 1–2.5 s import no longer lands on the first decontaminated frame), and not at
all for the preview's fast edge. Runs in a fresh interpreter, where nothing imported it yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
from backdrop.perception.vision import matting
from backdrop.render.compose import Compositor
from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan, KeepRule
plan = EditPlan(keep=[KeepRule()],
                backgrounds=[BackgroundSegment(background=ColorBackground(color="#00ff00"))])
Compositor(plan, 64, 48, 1.0, quality={quality})
started = matting._warm_thread is not None
if started:
    matting._warm_thread.join(60)
print(started, "pymatting" in sys.modules)
"""


def _run(quality: bool) -> str:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(quality=quality)], cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    return out.stdout.split("\n")[-2]


def test_a_quality_compositor_imports_pymatting_in_the_background() -> None:
    assert _run(True) == "True True"


def test_the_preview_compositor_does_not_import_pymatting() -> None:
    assert _run(False) == "False False"
