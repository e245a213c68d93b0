"""Batch: one plan over many real clips (one broken), resumable, on Ray and without it.

Every render here goes through the default path (the real preview-tier segmenter via
``build_masker``); the clips are small so it stays quick. One test starts a local Ray, renders
the sample in chunks on it, compares with a single-process render and shuts Ray down.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backdrop.agent.batch import plan_from_instruction
from backdrop.perception.core.media import iter_frames, probe, read_chunks
from backdrop.render.batch import (
    MANIFEST_NAME,
    BatchOptions,
    EngineReady,
    FramesDone,
    VideoStatus,
    collect_inputs,
    output_names,
    run_batch,
)
from backdrop.render.pipeline import render_video
from backdrop.render.plan import (
    BackgroundSegment,
    ColorBackground,
    EditPlan,
    KeepRule,
    PlanError,
    TimeRange,
)

LOCAL = BatchOptions(engine="local")


def blue_for_the_last(seconds: float) -> EditPlan:
    seg = BackgroundSegment(
        background=ColorBackground(color="#0000ff"), range=TimeRange(start=-seconds)
    )
    return EditPlan(keep=[KeepRule()], backgrounds=[seg])


@pytest.fixture
def clips(make_video, tmp_path: Path) -> Path:
    """A folder: two clips of different lengths (one without audio), a broken file, a text file."""
    folder = tmp_path / "clips"
    folder.mkdir()
    make_video(frames=25, fps=25.0).rename(folder / "short.mp4")
    make_video(frames=50, fps=25.0, audio=False).rename(folder / "long.mp4")
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not a video" * 50)
    (folder / "notes.txt").write_text("not a video, not taken from a folder")
    return folder


def _by_name(report) -> dict[str, object]:
    return {r.source.name: r for r in report.results}


def test_inputs_from_files_folders_and_globs(clips: Path, tmp_path: Path) -> None:
    out = clips / "out"
    out.mkdir()
    (out / "old.mp4").write_bytes(b"")
    found = collect_inputs(
        [clips, str(clips / "s*.mp4"), clips / "long.mp4", tmp_path / "missing.mp4"], exclude=out
    )
    names = [p.name for p in found]
    assert names == ["broken.mp4", "long.mp4", "short.mp4", "missing.mp4"]  # once each, in order
    dup = [clips / "short.mp4", tmp_path / "x" / "short.mp4"]
    assert [p.name for p in output_names(dup, out)][0].startswith("short-")


def test_batch_renders_each_clip_with_times_resolved_per_video(clips: Path, tmp_path) -> None:
    out = tmp_path / "out"
    events: list[object] = []
    missing = tmp_path / "missing.mp4"
    report = run_batch(blue_for_the_last(0.4), [clips, missing], out, LOCAL, events.append)

    res = _by_name(report)
    assert [r.status for r in report.results].count("done") == 2
    assert (
        res["broken.mp4"].status == "failed" and "not a readable video" in res["broken.mp4"].reason
    )
    assert res["missing.mp4"].status == "failed" and "no such file" in res["missing.mp4"].reason
    assert not report.ok and report.count("failed") == 2
    assert "one process" in report.engine
    assert isinstance(events[0], EngineReady)
    assert sum(e.frames for e in events if isinstance(e, FramesDone)) == 25 + 50
    assert {e.source.name for e in events if isinstance(e, VideoStatus)} >= {"broken.mp4"}

    for name, frames, has_audio in (("short.mp4", 25, True), ("long.mp4", 50, False)):
        info = probe(out / name)
        assert info.frame_count == frames and info.has_audio == has_audio
        pics = [f.astype(int) for _, f in iter_frames(out / name)]
        # the last 0.4 s (10 frames) are blue, the ones before untouched: "-0.4" resolved
        # against each clip's own duration
        assert pics[frames - 11].mean(axis=(0, 1))[2] < 120
        assert pics[frames - 9].mean(axis=(0, 1))[2] > 150
    a_src = np.concatenate([c.audio for c in read_chunks(clips / "short.mp4")])
    a_out = np.concatenate([c.audio for c in read_chunks(out / "short.mp4")])
    assert len(a_src) == len(a_out)
    assert np.corrcoef(a_src[:-1000], a_out[:-1000])[0, 1] > 0.99  # stream-copied, in sync
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert set(manifest["outputs"]) == {"short.mp4", "long.mp4"}
    entry = manifest["outputs"]["short.mp4"]
    assert entry["size"] == (clips / "short.mp4").stat().st_size and entry["frames"] == 25
    assert not list(out.glob(".*partial*")) and not (out / ".backdrop-chunks").exists()


def test_rerun_skips_and_redoes_what_changed(clips: Path, tmp_path) -> None:
    out = tmp_path / "out"
    plan = blue_for_the_last(0.4)
    run_batch(plan, [clips], out, LOCAL)
    again = _by_name(run_batch(plan, [clips], out, LOCAL))
    assert again["short.mp4"].status == again["long.mp4"].status == "skipped"
    assert again["short.mp4"].frames == 25
    assert again["broken.mp4"].status == "failed"  # failures are retried

    os.utime(clips / "short.mp4", ns=(1, 1))  # the input changed
    changed = _by_name(run_batch(plan, [clips], out, LOCAL))
    assert changed["short.mp4"].status == "done" and changed["long.mp4"].status == "skipped"
    other_plan = _by_name(run_batch(blue_for_the_last(0.2), [clips], out, LOCAL))
    assert other_plan["short.mp4"].status == other_plan["long.mp4"].status == "done"
    forced = _by_name(
        run_batch(blue_for_the_last(0.2), [clips], out, BatchOptions(force=True, engine="local"))
    )
    assert forced["long.mp4"].status == "done"


def test_an_interrupted_batch_leaves_no_partial_output_and_resumes(clips: Path, tmp_path) -> None:
    out = tmp_path / "out"
    plan = blue_for_the_last(0.4)

    def interrupt(ev: object) -> None:
        if isinstance(ev, FramesDone) and ev.source.name == "short.mp4":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(plan, [clips / "long.mp4", clips / "short.mp4"], out, LOCAL, interrupt)
    assert (out / "long.mp4").is_file()
    assert not (out / "short.mp4").exists() and not list(out.glob(".*partial*"))
    resumed = _by_name(run_batch(plan, [clips / "long.mp4", clips / "short.mp4"], out, LOCAL))
    assert resumed["long.mp4"].status == "skipped" and resumed["short.mp4"].status == "done"


def test_without_ray_it_runs_in_one_process_and_says_so(clips: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    report = run_batch(blue_for_the_last(0.4), [clips / "short.mp4"], tmp_path / "o")
    assert report.engine.startswith("Ray is not installed") and report.ok


def test_instruction_plans_keep_relative_times() -> None:
    plan = plan_from_instruction("make the background blue for the last 3 seconds")
    assert plan.backgrounds[0].range.start == -3.0
    with pytest.raises(PlanError):
        plan_from_instruction("sing me a song")


@pytest.mark.cli
def test_cli_batch_summary_and_exit_code(clips: Path, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    blue_for_the_last(0.4).save(plan_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "backdrop.agent.cli", "batch"]
    r = subprocess.run(
        [*cmd, str(plan_path), str(clips), "-o", str(out), "--local"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr  # one input failed
    assert "2 done, 0 skipped, 1 failed" in r.stderr and "broken.mp4" in r.stderr
    r = subprocess.run(
        [*cmd, str(clips / "short.mp4"), "-o", str(out), "--local", "--say", "blur the background"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "1 done" in r.stderr and "blurred" in r.stdout


@pytest.mark.slow
@pytest.mark.ray
def test_ray_batch_chunks_a_long_clip_and_matches_a_single_process_render(
    sample: Path, clips: Path, tmp_path: Path
) -> None:
    ray = pytest.importorskip("ray")
    src = tmp_path / "sample.mp4"
    shutil.copy(sample, src)
    plan = EditPlan.load(Path(__file__).resolve().parent.parent / "examples" / "sample-plan.json")
    single = tmp_path / "single.mp4"
    render_video(src, plan, single)

    opts = BatchOptions(engine="ray", num_cpus=2, chunk_seconds=4.0)
    out = tmp_path / "out"
    report = run_batch(plan, [src, clips / "short.mp4", clips / "broken.mp4"], out, opts)
    assert not ray.is_initialized()  # the batch started and stopped its own Ray
    assert report.engine.startswith("local Ray")
    res = _by_name(report)
    assert res["sample.mp4"].status == "done" and res["sample.mp4"].chunks == 3
    assert res["short.mp4"].status == "done" and res["broken.mp4"].status == "failed"

    a, b = probe(single), probe(out / "sample.mp4")
    assert (a.frame_count, a.duration, a.has_audio) == (b.frame_count, b.duration, b.has_audio)
    fa, fb = list(iter_frames(single)), list(iter_frames(out / "sample.mp4"))
    assert [t for t, _ in fa] == [t for t, _ in fb]
    diffs = [
        float(np.abs(x.astype(int) - y.astype(int)).mean())
        for (_, x), (_, y) in zip(fa, fb, strict=True)
    ]
    # only x264's decisions differ (other GOPs); the masks carry over the seams
    assert max(diffs) < 1.5, max(diffs)
    audio_a = np.concatenate([c.audio for c in read_chunks(single)])
    audio_b = np.concatenate([c.audio for c in read_chunks(out / "sample.mp4")])
    assert np.array_equal(audio_a, audio_b)
