"""The ``backdrop`` command, run as a person would: real processes, real files, real media."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from backdrop.perception.core.media import iter_frames, probe, read_chunks
from backdrop.render.plan import EditPlan
from tests.conftest import backdrop

DEMO = "remove the background, make it a blue to purple gradient and fade it in over 2 seconds"


def test_demo_on_the_sample(sample: Path, tmp_path: Path) -> None:
    out, plan_path = tmp_path / "demo.mp4", tmp_path / "plan.json"
    r = backdrop("edit", sample, DEMO, "-o", out, "--plan-out", plan_path)
    assert r.returncode == 0, r.stderr
    assert "gradient" in r.stdout and "fad" in r.stdout  # says what it understood
    plan = EditPlan.load(plan_path)
    assert len(plan.backgrounds) == 1
    seg = plan.backgrounds[0]
    assert seg.background.type == "gradient" and seg.fade_in and seg.fade_in.duration == 2
    assert plan.keep and plan.keep[0].subject == "person"

    src, res = probe(sample), probe(out)
    assert (res.width, res.height) == (src.width, src.height)
    assert res.has_audio and res.duration == pytest.approx(src.duration, abs=0.1)
    frames = {round(t, 2): img for t, img in iter_frames(out) if round(t * 24) in (0, 24, 72, 200)}
    first, mid, late = frames[0.0], frames[1.0], frames[3.0]
    srcf = {round(t, 2): img for t, img in iter_frames(sample) if round(t * 24) in (0, 24, 72)}

    def corner_change(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a[:80, :200].astype(int) - b[:80, :200].astype(int)).mean())

    # fading in: untouched at 0 s, partly replaced at 1 s, fully replaced from 2 s
    assert corner_change(first, srcf[0.0]) < 6
    assert 15 < corner_change(mid, srcf[1.0]) < corner_change(late, srcf[3.0])
    top = late[:40].reshape(-1, 3).mean(0)
    bottom = late[-40:].reshape(-1, 3).mean(0)
    assert top[2] > top[0] + 80  # blue at the top
    assert bottom[0] > top[0] + 40  # towards purple at the bottom
    # the source audio is there
    audio = np.concatenate([c.audio for c in read_chunks(out) if c.audio is not None])
    assert np.sqrt(np.mean(audio**2)) > 0.01


def test_dry_run_writes_only_the_plan(sample: Path, tmp_path: Path) -> None:
    plan_path = tmp_path / "p.json"
    r = backdrop("edit", sample, "blur the background", "--dry-run", "--plan-out", plan_path)
    assert r.returncode == 0, r.stderr
    assert EditPlan.load(plan_path).backgrounds[0].background.type == "blur"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_render_command_and_plan_commands(make_video, tmp_path: Path) -> None:
    src = make_video(frames=10)
    plan_path = tmp_path / "p.json"
    r = backdrop("edit", src, "make the background red", "--dry-run", "--plan-out", plan_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "r.mp4"
    r = backdrop("render", src, plan_path, "-o", out)
    assert r.returncode == 0, r.stderr
    assert probe(out).has_audio
    r = backdrop("plan", "show", plan_path)
    assert r.returncode == 0 and "red" in r.stdout
    r = backdrop("plan", "schema")
    assert r.returncode == 0 and json.loads(r.stdout)["title"] == "EditPlan"


def test_models_listing() -> None:
    r = backdrop("models")
    assert r.returncode == 0
    assert "selfie-landscape" in r.stdout and "Apache-2.0" in r.stdout


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines, r.stdout
    return " ".join(lines)


def test_bad_inputs_end_in_one_clear_line(make_video, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00garbage" * 500)
    good = make_video(frames=5)
    bad_plan = tmp_path / "bad.json"
    bad_plan.write_text('{"schema_version": 1, "backgrounds": [{"background": {"type": "x"}}]}')
    future_plan = tmp_path / "future.json"
    future_plan.write_text('{"schema_version": 7}')
    cases = [
        (("edit", tmp_path / "missing.mp4", "make it blue", "-o", out), "no such file"),
        (("edit", empty, "make it blue", "-o", out), "empty"),
        (("edit", junk, "make it blue", "-o", out), "not a readable video"),
        (("edit", good, "make it blue"), "-o"),
        (("render", good, bad_plan, "-o", out), "backgrounds.0.background"),
        (("render", good, future_plan, "-o", out), "unknown version 7"),
        (("render", good, tmp_path / "nope.json", "-o", out), "no such plan file"),
        (("edit", good, "replace the background with /nonexistent/beach.jpg", "-o", out),
         "beach.jpg"),
    ]  # fmt: skip
    for args, needle in cases:
        r = backdrop(*args)
        msg = _one_line_error(r)
        assert needle in msg, (args, msg)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_instruction_it_cannot_follow_changes_nothing(make_video, tmp_path: Path) -> None:
    src = make_video(frames=5)
    out = tmp_path / "o.mp4"
    for text in ("make it better", "asdf qwerty"):
        r = backdrop("edit", src, text, "-o", out, "--plan-out", tmp_path / "p.json")
        assert r.returncode == 2
        assert "for example" in r.stderr  # a clarifying reply with phrasings to try
        assert not out.exists() and not (tmp_path / "p.json").exists()


def test_missing_model_is_reported_with_the_fix(make_video, tmp_path: Path, monkeypatch) -> None:
    src = make_video(frames=5)
    monkeypatch.setenv("BACKDROP_MODELS_DIR", str(tmp_path / "no-models"))
    r = backdrop("edit", src, "make the background blue", "-o", tmp_path / "o.mp4")
    msg = _one_line_error(r)
    assert "backdrop models install" in msg
    assert not (tmp_path / "o.mp4").exists()
