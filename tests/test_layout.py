"""The house rules the code layout keeps: imports point one way, and agent/ does no pixel work."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "backdrop"
FLOORS = ("agent", "tools", "render", "perception")  # each may import only those after it
PIXEL_LIBS = {"cv2", "av"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(floor: str) -> list[Path]:
    return sorted((PACKAGE / floor).rglob("*.py"))


def test_imports_point_one_way() -> None:
    wrong = []
    for i, floor in enumerate(FLOORS):
        above = {f"backdrop.{f}" for f in FLOORS[:i]}
        for path in _modules(floor):
            for name in _imports(path):
                if any(name == a or name.startswith(a + ".") for a in above):
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong, wrong


def test_agent_does_no_pixel_work() -> None:
    found = []
    for path in _modules("agent"):
        rel = path.relative_to(PACKAGE).as_posix()
        libs = {n.split(".")[0] for n in _imports(path)} & PIXEL_LIBS
        if libs:
            found.append(f"{rel} imports {sorted(libs)}")
    assert not found, found


def test_perception_is_grouped() -> None:
    """perception/ holds its shared core, audio and vision floors, and no loose modules."""
    loose = [p.name for p in (PACKAGE / "perception").glob("*.py") if p.name != "__init__.py"]
    assert not loose, loose
    assert {p.name for p in (PACKAGE / "perception").iterdir() if p.is_dir()} >= {
        "core",
        "audio",
        "vision",
    }


def test_agent_does_no_array_maths() -> None:
    """agent/ passes arrays through (``np.ndarray`` in annotations) but computes nothing on
    them: every numpy call lives in render/ or perception/."""
    found = []
    for path in _modules("agent"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in {"np", "numpy"}
                and node.attr != "ndarray"
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} np.{node.attr}")
    assert not found, found


MAX_FUNCTION_LINES = 80


def test_functions_stay_short() -> None:
    """Every function in backdrop/ fits on a screen (≤ 80 lines, docstring included)."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} {lines}")
    assert not long, long
