"""The corpus scorer's own rules (eval/interpret_corpus.py): keep rules compare by subject and
time range, person rules that only restate the default around a timed speaker rule are not held
against the plan, an "ask" is met by a question or by a refusal that claims nothing, and
"dur=N ||" written as a setup sets the video's length."""

from __future__ import annotations

from types import SimpleNamespace

from backdrop.render.plan import KeepRule, TimeRange
from eval.interpret_corpus import _keep_problem, _says_not_done, parse_line


def _rule(subject: str, start: float, end: float | None) -> KeepRule:
    return KeepRule(subject=subject, range=TimeRange(start=start, end=end))


def test_keep_rules_compare_ranges() -> None:
    want = parse_line("x => keep speaker 20..40")["keep"]
    assert _keep_problem([_rule("speaker", 20, 40)], want, 60.0) is None
    assert _keep_problem([_rule("speaker", 0, None)], want, 60.0) is not None


def test_person_rules_outside_the_speaker_range_restate_the_default() -> None:
    want = parse_line("x => keep speaker 20..40")["keep"]
    split = [_rule("person", 0, 20), _rule("speaker", 20, 40), _rule("person", 40, None)]
    assert _keep_problem(split, want, 60.0) is None
    overlapping = [_rule("person", 0, 30), _rule("speaker", 20, 40)]
    assert _keep_problem(overlapping, want, 60.0) is not None
    removed = [KeepRule(subject="person", action="remove"), _rule("speaker", 20, 40)]
    assert _keep_problem(removed, want, 60.0) is not None


def test_an_ask_is_met_by_a_refusal_but_not_by_a_claim() -> None:
    refusal = SimpleNamespace(text="I can only change the background.", changed=False)
    claim = SimpleNamespace(text="Understood: background → blue.", changed=False)
    changed = SimpleNamespace(text="I made it blue.", changed=True)
    assert _says_not_done(refusal)
    assert not _says_not_done(claim) and not _says_not_done(changed)


def test_dur_and_pos_written_as_setups_set_the_context() -> None:
    case = parse_line("dur=120 || pos=20 || make it red from here => bg color red 20..")
    assert case["duration"] == 120.0 and case["position"] == 20.0 and case["setup"] == []
