"""The solutions are a real nbgrader course: a round trip through nbgrader itself.

A temporary course (its own ``nbgrader_config.py``, ``source/artlab/``, a gradebook) is built
from ``solutions/``; ``nbgrader generate_assignment`` must release exactly ``exercises/`` (up to
nbgrader's metadata), and ``nbgrader autograde`` must give full marks to a submission made of
the solutions and zero, without crashing, to the released stubs. Every lesson is covered.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from artlab import runtime
from artlab.exercises import POINTS
from conftest import ROOT

ASSIGNMENT = "artlab"
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
FAST_PROBE = "import artlab.runtime\nprint('fast mode:', artlab.runtime.is_fast())"
NBGRADER_KEYS = ("nbgrader", "deletable", "editable")


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTLAB_", "NBGRADER_"))}
    env["ARTLAB_OUTPUT"] = str(root / "outputs")
    env["ARTLAB_PROGRESS"] = "0"
    env["JUPYTER_CONFIG_DIR"] = str(root / "jupyter-config")  # no one's personal nbgrader settings
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # nbgrader runs `alembic`
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-6000:]}"
    return result


def _submission(released: dict, solution: dict | None) -> dict:
    """The released notebook as a learner hands it in: stubs, or every solution cell filled in."""
    submitted = json.loads(json.dumps(released))
    if solution is not None:
        answers = {_meta(c)["grade_id"]: c["source"] for c in solution["cells"] if _meta(c).get("solution")}
        for cell in submitted["cells"]:
            if _meta(cell).get("solution"):
                cell["source"] = answers[_meta(cell)["grade_id"]]
    return submitted


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Build the course, release it, hand in two submissions, autograde them; report the times."""
    root = tmp_path_factory.mktemp("nbgrader-course")
    (root / "jupyter-config").mkdir()
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.Execute.timeout = 600  # seconds per cell: the first imports torch on a busy machine\n")
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for path in SOLUTIONS:
        shutil.copy(path, source / path.name)

    times = {}
    start = time.perf_counter()
    _nbgrader(root, "generate_assignment", ASSIGNMENT)
    times["generate_assignment"] = time.perf_counter() - start

    for student, filled in (("solutions", True), ("stubs", False)):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for path in SOLUTIONS:
            released = json.loads((root / "release" / ASSIGNMENT / path.name).read_text())
            submitted = _submission(released, json.loads(path.read_text()) if filled else None)
            if filled and path is SOLUTIONS[0]:
                submitted["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                                           "outputs": [], "source": FAST_PROBE})
            (folder / path.name).write_text(json.dumps(submitted))
    start = time.perf_counter()
    _nbgrader(root, "autograde", ASSIGNMENT, "--create")
    times["autograde"] = time.perf_counter() - start
    print(f"\nnbgrader round trip over {len(SOLUTIONS)} notebooks: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))
    return root


def _grades(root: Path, student: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return {nb.name: (nb.score, nb.max_score) for nb in submission.notebooks}


def _autograded(root: Path, student: str, name: str) -> dict:
    return json.loads((root / "autograded" / student / ASSIGNMENT / name).read_text())


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _text(cell) -> str:
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _without_nbgrader(notebook: dict) -> dict:
    cells = []
    for cell in notebook["cells"]:
        cell = dict(cell, source=_source(cell),
                    metadata={k: v for k, v in cell.get("metadata", {}).items() if k not in NBGRADER_KEYS})
        cells.append(cell)
    return dict(notebook, cells=cells)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_generate_assignment_releases_exactly_the_exercises(course, path):
    released = json.loads((course / "release" / ASSIGNMENT / path.name).read_text())
    exercise = json.loads((ROOT / "exercises" / path.name).read_text())
    assert _without_nbgrader(released) == _without_nbgrader(exercise), "run `make exercises`"
    grade_cells = [c for c in released["cells"] if _meta(c).get("grade")]
    assert grade_cells and all(c["metadata"].get("editable") is False for c in grade_cells)
    assert not any("HIDDEN TESTS" in _source(c) or "hidden=True" in _source(c) for c in released["cells"])


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_the_solutions_score_full_marks_with_their_hidden_tests_run(course, path):
    score, max_score = _grades(course, "solutions")[path.stem]
    checks = [c for c in _autograded(course, "solutions", path.name)["cells"] if _meta(c).get("grade")]
    assert max_score == POINTS * len(checks) > 0
    assert score == max_score, [e["evalue"] for c in checks for e in _errors(c)]
    for cell in checks:
        assert "hidden=True" in _source(cell), "nbgrader restores the hidden tests before grading"
        assert "hidden properties hold" in _text(cell)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_the_stubs_score_zero_and_nothing_else_fails(course, path):
    score, max_score = _grades(course, "stubs")[path.stem]
    assert score == 0 and max_score > 0
    for index, cell in enumerate(_autograded(course, "stubs", path.name)["cells"]):
        errors = _errors(cell)
        if _meta(cell).get("grade"):
            assert [e["ename"] for e in errors] == ["NotImplementedYet"], f"cell {index}: {errors}"
        else:
            assert not errors, f"cell {index} failed: {errors}"


def test_autograding_runs_in_fast_mode(course):
    cells = _autograded(course, "solutions", SOLUTIONS[0].name)["cells"]
    probe = next(c for c in cells if _source(c) == FAST_PROBE)
    assert _text(probe).strip() == "fast mode: True"


def test_fast_mode_follows_nbgrader_unless_artlab_fast_says_otherwise(monkeypatch):
    assert runtime.is_fast() is False
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.is_fast() is True
    monkeypatch.setenv("ARTLAB_FAST", "0")
    assert runtime.is_fast() is False
    monkeypatch.setenv("NBGRADER_EXECUTION", "")
    monkeypatch.delenv("ARTLAB_FAST")
    assert runtime.is_fast() is False
