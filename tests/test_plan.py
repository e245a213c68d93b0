"""The edit plan: JSON round trip, schema, validation messages, time conventions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backdrop.render.plan import (
    BackgroundSegment,
    BlurBackground,
    ColorBackground,
    EditPlan,
    Fade,
    GradientBackground,
    ImageBackground,
    KeepRule,
    PlanError,
    TimeRange,
    TransparentBackground,
    VideoBackground,
    plan_json_schema,
)


def full_plan() -> EditPlan:
    return EditPlan(
        keep=[KeepRule(range=TimeRange(start=0, end=30))],
        backgrounds=[
            BackgroundSegment(
                background=GradientBackground(colors=["#1E40AF", "#9333ea"], kind="radial"),
                range=TimeRange(start=0, end=30),
                opacity=0.8,
                fade_in=Fade(duration=5),
            ),
            BackgroundSegment(
                background=ColorBackground(color="#00ff00"), range=TimeRange(start=-10)
            ),
            BackgroundSegment(background=BlurBackground(strength=0.3)),
            BackgroundSegment(background=ImageBackground(path="beach.jpg")),
            BackgroundSegment(background=VideoBackground(path="waves.mp4", loop=False)),
            BackgroundSegment(background=TransparentBackground(), fade_out=Fade(duration=1)),
        ],
    )


def test_round_trip(tmp_path: Path) -> None:
    plan = full_plan()
    again = EditPlan.from_json(plan.to_json())
    assert again == plan
    assert again.backgrounds[0].background.colors[0] == "#1e40af"  # normalised
    path = plan.save(tmp_path / "p.json")
    assert EditPlan.load(path) == plan
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_schema_is_published() -> None:
    schema = plan_json_schema()
    assert schema["title"] == "EditPlan"
    text = json.dumps(schema)
    for word in ("schema_version", "gradient", "blur", "fade_in", "feather", "opacity"):
        assert word in text


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.update(schema_version=99), "schema_version: unknown version 99"),
        (lambda d: d.pop("schema_version"), "schema_version: unknown version None"),
        (lambda d: d["backgrounds"][0].update(opacity=2), "backgrounds.0.opacity"),
        (lambda d: d["backgrounds"][1]["background"].update(color="blue"), "backgrounds.1"),
        (lambda d: d["backgrounds"][0]["background"].update(colors=["#ffffff"]), "colors"),
        (lambda d: d["backgrounds"][0]["background"].update(type="sparkles"), "backgrounds.0"),
        (lambda d: d.update(extra_field=1), "extra_field"),
        (lambda d: d["keep"][0]["range"].update(start=20, end=10), "keep.0.range"),
        (lambda d: d["backgrounds"][0]["fade_in"].update(duration=-1), "fade_in.duration"),
    ],
)
def test_bad_plans_name_the_field(mutate, needle: str) -> None:
    data = json.loads(full_plan().to_json())
    mutate(data)
    with pytest.raises(PlanError) as e:
        EditPlan.from_json(json.dumps(data))
    assert needle in str(e.value)
    assert "\n" not in str(e.value)


def test_malformed_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PlanError, match="not valid JSON"):
        EditPlan.load(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(PlanError, match="JSON object"):
        EditPlan.load(bad)
    with pytest.raises(PlanError, match="no such plan file"):
        EditPlan.load(tmp_path / "missing.json")


def test_time_ranges_resolve_per_video() -> None:
    last10 = TimeRange(start=-10)
    assert last10.resolve(60.0) == (50.0, 60.0)
    assert last10.resolve(5.0) == (0.0, 5.0)
    first30 = TimeRange(end=30)
    assert first30.resolve(10.0) == (0.0, 10.0)
    assert first30.contains(29.9, 60) and not first30.contains(30.0, 60)
    # the last frame of a range that runs to the end is inside it
    assert TimeRange(start=5).contains(10.0, 10.0)


def test_segment_weight_fades() -> None:
    seg = BackgroundSegment(
        background=ColorBackground(color="#0000ff"),
        range=TimeRange(start=2, end=12),
        opacity=0.5,
        fade_in=Fade(duration=4),
        fade_out=Fade(duration=2),
    )
    assert seg.weight(1.0, 20) == 0.0
    assert seg.weight(2.0, 20) == 0.0
    assert seg.weight(4.0, 20) == pytest.approx(0.25)
    assert seg.weight(8.0, 20) == pytest.approx(0.5)
    assert seg.weight(11.0, 20) == pytest.approx(0.25)
    assert seg.weight(12.0, 20) == 0.0


def test_later_segments_win_and_describe() -> None:
    plan = full_plan()
    assert isinstance(plan.active_segment(55.0, 60.0).background, TransparentBackground)
    words = " | ".join(plan.describe())
    assert "radial gradient" in words and "fading in over 5 s" in words
    assert "10 s" in words or "0:10 before the end" in words


def test_a_plan_that_keeps_nobody_says_so() -> None:
    """A hand-written plan with a background and no keep rule covers the whole frame: the plain
    words say so (``render`` prints them) instead of rendering it silently."""
    seg = BackgroundSegment(background=ColorBackground(color="#ff0000"))
    nobody = " | ".join(EditPlan(backgrounds=[seg]).describe())
    assert "nobody is kept" in nobody
    removed = EditPlan(keep=[KeepRule(action="remove")], backgrounds=[seg])
    assert "nobody is kept" in " | ".join(removed.describe())
    kept = EditPlan(keep=[KeepRule()], backgrounds=[seg])
    assert "nobody" not in " | ".join(kept.describe())
    assert "nobody" not in " | ".join(EditPlan().describe())
