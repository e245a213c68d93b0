"""Shared pieces of the fault suite: the CLI run in-process, small media, tmpfs mounts."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from backdrop.agent.cli import app
from backdrop.render.plan import BackgroundSegment, ColorBackground, EditPlan

RUNNER = CliRunner()


def cli(*args: str | Path) -> tuple[int, str, str]:
    """Run ``backdrop ARGS`` in this process: ``(exit code, stdout, stderr)``."""
    r = RUNNER.invoke(app, [str(a) for a in args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def one_line_error(code: int, stderr: str) -> str:
    """The single ``error:`` line of a failed command (asserts there is no traceback)."""
    assert code != 0, stderr
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def blue_plan(path: Path) -> Path:
    """A plan with no keep rule (no segmenter needed): the whole frame turns blue."""
    plan = EditPlan(backgrounds=[BackgroundSegment(background=ColorBackground(color="#0000ff"))])
    return plan.save(path)


def write_png(path: Path, w: int = 8, h: int = 8) -> Path:
    cv2.imwrite(str(path), np.full((h, w, 3), 180, np.uint8))
    return path


def silent_wav(seconds: float, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV file of ``seconds`` of silence at ``rate`` Hz, as bytes."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(int(seconds * rate), np.int16).tobytes())
    return buf.getvalue()


def partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".partial" in p.name]


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m", readonly: bool = False) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root only; the test is skipped with the reason
    otherwise). ``readonly`` remounts it read-only after creating it."""
    if not _can_mount():
        pytest.skip("needs root to mount a small tmpfs (disk-full / read-only cases)")
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount_readonly(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)
