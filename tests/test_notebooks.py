"""Notebook hygiene: committed clean, paired, and importing explicitly."""
import ast
import json
import re
import subprocess

import pytest

from conftest import ROOT

FOLDERS = ("notebooks", "exercises", "solutions")
NOTEBOOKS = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"] if c["cell_type"] == "code"]


def python_source(cell):
    """The cell without IPython magics and shell escapes, which ast cannot parse."""
    return "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_welcome.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_without_outputs_or_execution_counts(path):
    nb = load(path)
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"cells {dirty} carry outputs; clear them (Edit > Clear Outputs of All Cells)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_uses_the_python3_kernel_and_nbformat_4(path):
    nb = load(path)
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_imports_explicitly_and_nothing_imports_star(path):
    cells = code_cells(load(path))
    first = ast.parse(python_source(cells[0]))
    assert any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in first.body), \
        "the first code cell should hold the notebook's imports"
    for cell in cells:
        for node in ast.walk(ast.parse(python_source(cell))):
            if isinstance(node, ast.ImportFrom):
                assert all(alias.name != "*" for alias in node.names), f"`from {node.module} import *`"


def test_every_lesson_has_an_exercise_and_a_solution():
    names = {folder: sorted(p.name for p in (ROOT / folder).glob("*.ipynb")) for folder in FOLDERS}
    assert names["notebooks"] == names["exercises"] == names["solutions"]


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_solution_has_marked_answers_and_checks(path):
    cells = code_cells(load(path))
    assert any("### BEGIN SOLUTION" in c for c in cells)
    assert any(re.search(r"\bcheck_\w+\(", c) for c in cells)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_lesson_states_its_runtime_at_the_top(path):
    first = "".join(load(path)["cells"][0]["source"])
    assert re.search(r"[Ff]ull mode runs in", first), "state the full-mode run time in the first cell"


def test_every_notebook_is_in_the_readme_course_map():
    from artlab.course import LESSONS, readme_map

    readme = (ROOT / "README.md").read_text()
    assert readme_map() in readme, "README's course map differs from artlab.course.LESSONS: python -m artlab.course readme"
    listed = {lesson.notebook for lesson in LESSONS}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert path.name in listed, f"artlab.course.LESSONS (and so the README's course map) lacks {path.name}"


def test_the_readme_stays_a_front_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 210, f"README.md has {len(lines)} lines; measured narrative belongs in docs/"


def test_no_generated_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    fixtures = [f for f in tracked if f.startswith("tests/fixtures/")]  # small files the tests read, made once
    bad = [f for f in tracked if f not in fixtures and re.search(r"(^|/)(outputs|\.venv|__pycache__|\.ipynb_checkpoints)/|"
                                                                 r"\.(pt|pth|png|wav|mid|midi|svg)$", f)]
    assert not bad, f"generated files are tracked: {bad[:5]}"
