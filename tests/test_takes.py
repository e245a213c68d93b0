"""Choosing among takes (issue 17, item 4): three takes made from one real talking-head clip
(shared media, video-retalking's frontal head with its own speech) — take 1 under-exposed, take 2
as shot, take 3 blurred with flickering light and a noisy soundtrack."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from backdrop.agent.takes import choose, pick, recommend
from backdrop.perception.core.takes import analyze_take, best_takes
from tests.conftest import backdrop, needs_weights
from tests.people_media import HEAD_A, read_clip, write_clip

pytestmark = [
    pytest.mark.skipif(not HEAD_A.exists(), reason="shared media not present"),
    needs_weights("selfie-general"),
]

FPS = 12.0


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("takes")
    frames, audio = read_clip(HEAD_A, 256, 3.0, FPS)
    dark = [(f.astype(np.float32) * 0.4).astype(np.uint8) for f in frames]
    flicker = [
        (cv2.GaussianBlur(f, (0, 0), 3.0).astype(np.float32) * (1.0 if (i // 6) % 2 else 0.7))
        .clip(0, 255)
        .astype(np.uint8)
        for i, f in enumerate(frames)
    ]
    noise = np.random.default_rng(0).normal(0, 0.08, audio.size).astype(np.float32)
    return [
        write_clip(folder / "take_dark.mp4", dark, FPS, audio),
        write_clip(folder / "take_good.mp4", frames, FPS, audio),
        write_clip(folder / "take_blurry.mp4", flicker, FPS, np.clip(audio + noise, -1, 1)),
    ]


@pytest.fixture(scope="module")
def reports(takes: list[Path]) -> list:
    return [analyze_take(t) for t in takes]


def test_measures_tell_the_takes_apart(reports: list) -> None:
    dark, good, blurry = reports
    assert dark.light < 0.7 * good.light
    assert blurry.light_std > 2 * good.light_std  # the flicker
    assert blurry.sharpness < 0.5 * good.sharpness
    assert good.mask_quality is not None and good.mask_quality > 0.3
    assert good.speech_s > 1.0 and good.transcript  # the clip's own speech
    assert good.snr_db is not None and blurry.snr_db is not None and blurry.snr_db < good.snr_db
    best = best_takes(reports)
    assert best["light"] == 1 and best["brightest"] == 1 and best["sharpest"] == 1
    assert best["speech"] in (0, 1) and best["overall"] == 1


def test_recommendation_and_picks(reports: list) -> None:
    said = recommend(reports)
    assert "Take 2 has" in said and "Overall I'd use take 2" in said
    assert pick("take 3", reports) == (2, "take 3")
    assert pick("the first one", reports)[0] == 0
    assert pick("the last one", reports)[0] == 2
    assert pick("the brightest one", reports)[0] == 1
    assert pick("I'd like the sharpest", reports)[0] == 1
    assert pick("the one with the clearest speech", reports)[0] in (0, 1)
    assert pick("yes", reports)[0] == 1
    assert pick("take 7", reports) is None and pick("hmm", reports) is None
    # "I have 3 takes. Take 2 has the best lighting. Should I use that?"
    lines = ["what?", "I have 3 takes. Take 2 has the best lighting. Should I use that?"]
    heard: list[str] = []
    assert choose(reports, lambda: lines.pop(0) if lines else None, heard.append) == 1
    assert any("Which take?" in h for h in heard)
    assert "Editing take 2" in heard[-1] and "light" in heard[-1]


@pytest.mark.cli
def test_cli_analyze_compares_takes(takes: list[Path]) -> None:
    r = backdrop("analyze", *map(str, takes), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [Path(t["path"]).name for t in data["takes"]] == [t.name for t in takes]
    assert "Overall I'd use take 2" in data["recommendation"]


def test_chat_with_several_takes_opens_the_chosen_one(
    takes: list[Path], reports: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``backdrop chat A B C``: the pick is read from the script's first lines (consumed), the
    rest goes to the session of the chosen take; no script answer = the recommendation."""
    import backdrop.perception.core.takes as takes_mod
    from backdrop.agent import cli

    by_path = {r.path: r for r in reports}
    monkeypatch.setattr(takes_mod, "analyze_take", lambda p: by_path[Path(p)])
    lines = ["# my takes", "the sharpest one", "make it blue"]
    assert cli._choose_take(takes, lines) == takes[1] and lines == ["make it blue"]
    lines = ["take 3"]
    assert cli._choose_take(takes, lines) == takes[2] and lines == []
    assert cli._choose_take(takes, []) == takes[1]
    assert cli._choose_take(takes[:1], ["take 3"]) == takes[0]  # one video: no question
