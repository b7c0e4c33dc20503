import json
import shutil

import pytest

from artlab.course import ANSWER_STUB, LESSONS, course_map, make_exercise, stale_exercises, write_exercises
from artlab.errors import ArgumentError


def notebook(*cells):
    return {"cells": [{"cell_type": kind, "metadata": {}, "source": source,
                       **({"outputs": [], "execution_count": 3} if kind == "code" else {})}
                      for kind, source in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_solution_blocks_become_stubs_at_their_indentation():
    solution = notebook(("code", "def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    return y\n"
                                 "    ### END SOLUTION\n\nprint('kept')"))
    [cell] = make_exercise(solution)["cells"]
    assert "".join(cell["source"]) == ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
                                       "\nprint('kept')")
    assert cell["execution_count"] is None and cell["outputs"] == []


def test_written_answers_become_a_prompt():
    solution = notebook(("markdown", "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"))
    assert "".join(make_exercise(solution)["cells"][0]["source"]) == f"Why?\n{ANSWER_STUB}"


@pytest.mark.parametrize("source,problem", [
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "inside a function"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1", "to close"),
    ("def f():\n    return 1\n    ### END SOLUTION", "before"),
])
def test_malformed_markers_are_refused_with_the_cell(source, problem):
    with pytest.raises(ArgumentError, match=f"lesson.ipynb, cell 0.*{problem}"):
        make_exercise(notebook(("code", source)), "lesson.ipynb")


def test_the_solution_itself_is_not_changed():
    solution = notebook(("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"))
    before = json.dumps(solution)
    make_exercise(solution)
    assert json.dumps(solution) == before


def test_exercises_are_up_to_date_with_the_solutions(root):
    assert stale_exercises(root) == [], "run `make exercises` and commit exercises/"


def test_a_changed_solution_makes_its_exercise_stale_until_regenerated(root, tmp_path):
    for folder in ("solutions", "exercises"):
        shutil.copytree(root / folder, tmp_path / folder)
    target = sorted((tmp_path / "solutions").glob("*.ipynb"))[0]
    nb = json.loads(target.read_text())
    nb["cells"].append({"cell_type": "markdown", "id": "new", "metadata": {}, "source": ["more"]})
    target.write_text(json.dumps(nb))
    (tmp_path / "exercises" / "orphan.ipynb").write_text("{}")
    assert stale_exercises(tmp_path) == [target.name, "orphan.ipynb"]
    write_exercises(tmp_path)
    assert stale_exercises(tmp_path) == []


def test_course_map_lists_every_lesson_and_what_is_present(root):
    table = course_map(root)
    assert [l.number for l in LESSONS] == list(range(len(LESSONS)))
    for lesson in LESSONS:
        present = (root / "notebooks" / lesson.notebook).is_file()
        assert f"| {lesson.notebook} |" in table
        row = next(line for line in table.splitlines() if lesson.notebook in line)
        assert row.endswith("yes |" if present else "planned |")


def test_every_present_lesson_names_modules_that_exist(root):
    import importlib

    for lesson in LESSONS:
        if (root / "notebooks" / lesson.notebook).is_file():
            for module in lesson.modules:
                importlib.import_module(module)
