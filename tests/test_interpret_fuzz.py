"""Fuzzing the instruction interpreter and the plan loader (issue 11, item 6).

Hypothesis throws random and mutated text at them; the only outcomes allowed are a plan (a reply
with a valid plan) or a clean question / error (a reply, or :class:`PlanError`) — never an
exception. The examples are derandomized so a failure is reproducible, and each test is sized
to 10,000 examples that run in well under a minute on one core.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backdrop.agent.interpret import Reply, RuleInterpreter
from backdrop.render.plan import EditPlan, PlanError
from backdrop.tools import PlanHistory, ToolContext

pytestmark = pytest.mark.slow

INTERPRETER = RuleInterpreter()
EXAMPLES = 10_000
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Phrasings to mutate: ordinary instructions and the crashers reported in issue 13.
SEEDS = [
    "make it blue @p0",
    "make it blue for the last 0.0000001 s",
    "~nosuchuser/x.png",
    "replace the background with ~nosuchuser/x.png",
    "from 1e308 seconds make it red",
    "1:2:3:4",
    "from -5 seconds blur it",
    "make it blue between two and four seconds and red for the last 2 s",
    "remove the background and fill it with red, but not in the final second",
    "blue until the 2 second mark, then red, no wait, teal",
    "make the background red and fade it in over three seconds. Is it?",
    "export in 4K at 3840x2160 and blur it from now on",
    "change the blue to teal",
    "the same but darker",
    "less blur",
    "stop",
    "undo that twice and redo",
    "keep the box 1,2,3,4 and what is at 5,6",
    "make it #1e40af to 9333ea gradient radial",
    "use 'beach.jpg' then waves.mp4 from 0:05 to 0:01:00",
    "softer edges, tighter, the hair looks rough",
    "half strength 150% subtle",
    "except between 10 and 5 seconds",
    "for the first 0 seconds",
    "fade it in over 0 seconds",
]
WORDS = (  # noqa: SIM905
    "make it blue red teal gradient to from between and until then but not except the first "
    "last final second seconds minute s 0 1 2 2.5 10 1:30 0:00:05 fade in out over remove blur "
    "background keep me person edges softer darker lighter less more same like before previous "
    "no wait actually scratch that undo redo now stop 4k 1080p 3840x2160 please thanks is it um "
    "@p0 @h123456 # ~ . , ; - – “ ” ' \" % x by e308 1e308 -5 0.0000001 onwards after that"
).split()


def _mutate(seed: str, edits: list[tuple[int, int, str]]) -> str:
    text = seed
    for op, pos, chunk in edits:
        i = pos % (len(text) + 1)
        if op == 0:
            text = text[:i] + chunk + text[i:]
        elif op == 1:
            text = text[:i] + text[i + len(chunk) :]
        else:
            text = text[:i] + chunk + text[i + len(chunk) :]
    return text


texts = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join),
    st.builds(
        _mutate,
        st.sampled_from(SEEDS),
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 200), st.text(max_size=6)), max_size=4
        ),
    ),
    st.text(max_size=60),
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz")
    (d / "beach.jpg").write_bytes(b"")
    (d / "waves.mp4").write_bytes(b"")
    return d


def test_interpreter_only_answers(folder: Path) -> None:
    """Any text gives a reply (applied, asked, or refused) and leaves a valid plan."""
    start = ToolContext(duration=60.0, source=folder / "talk.mp4")
    INTERPRETER.interpret("blur the background for the first 10 seconds", start)
    blurred = start.plan

    @FUZZ
    @given(text=texts, duration=st.sampled_from([None, 0.5, 60.0]), position=st.sampled_from(
        [None, 0.0, 12.0]))  # fmt: skip
    def check(text: str, duration: float | None, position: float | None) -> None:
        ctx = ToolContext(
            history=PlanHistory(blurred),
            duration=duration,
            source=folder / "talk.mp4",
            position=position,
        )
        reply = INTERPRETER.interpret(text, ctx)
        assert isinstance(reply, Reply) and reply.text.strip()
        assert not (reply.clarify and reply.changed)
        EditPlan.from_json(ctx.plan.to_json())  # the plan is still a valid, loadable plan

    check()


SAMPLE = (Path(__file__).resolve().parent.parent / "examples" / "sample-plan.json").read_text()


def test_plan_loader_only_loads_or_refuses() -> None:
    """Mutated plan JSON loads as a plan or is refused with :class:`PlanError`, nothing else."""
    data = json.loads(SAMPLE)
    atoms = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)
    )  # fmt: skip
    values = st.recursive(
        atoms,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),  # fmt: skip
        max_leaves=6,
    )
    keys = sorted({*data, "backgrounds", "keep", "edges", "schema_version"})

    @FUZZ
    @given(
        text_edits=st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 2000), st.text(max_size=4)), max_size=3
        ),
        key=st.sampled_from(keys),
        value=values,
        how=st.integers(0, 2),
    )
    def check(text_edits: list[tuple[int, int, str]], key: str, value: object, how: int) -> None:
        if how == 0:
            text = _mutate(SAMPLE, text_edits)
        else:
            doc = json.loads(SAMPLE)
            if how == 1:
                doc[key] = value
            elif isinstance(doc.get("backgrounds"), list) and doc["backgrounds"]:
                doc["backgrounds"][0][key if key in doc["backgrounds"][0] else "range"] = value
            text = json.dumps(doc)
        try:
            plan = EditPlan.from_json(text)
        except PlanError as e:
            assert str(e).strip()
        else:
            assert isinstance(plan, EditPlan)

    check()
