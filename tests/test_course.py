import json
import shutil

import pytest

from artlab.course import LESSONS, course_map
from artlab.exercises import (ANSWER_STUB, HIDDEN_BEGIN, HIDDEN_END, POINTS, SCHEMA_VERSION, WRITTEN_POINTS,
                              grade_solution, make_exercise, stale_exercises, write_exercises)
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


# --- nbgrader's metadata, written by the tool --------------------------------------------------

LESSON_CELLS = (
    ("markdown", "# Exercise"),
    ("code", "import torch\n\nfrom artlab.checks.welcome import check_to_tanh_range"),
    ("code", "def to_tanh_range(pixels):\n    ### BEGIN SOLUTION\n    return pixels.float() / 127.5 - 1\n"
             "    ### END SOLUTION"),
    ("code", "check_to_tanh_range(to_tanh_range)"),
    ("markdown", "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
)
LESSON = notebook(*LESSON_CELLS)


def nbgrader_meta(nb):
    return [c["metadata"].get("nbgrader") for c in nb["cells"]]


def test_solution_and_check_cells_get_nbgrader_metadata_named_after_their_functions():
    meta = nbgrader_meta(grade_solution(LESSON, "00_welcome.ipynb"))
    assert meta[0] is None
    assert meta[1] == {"grade": False, "solution": False, "locked": True, "schema_version": SCHEMA_VERSION,
                       "grade_id": "00_welcome-imports"}
    assert meta[2] == {"grade": False, "solution": True, "locked": False, "schema_version": SCHEMA_VERSION,
                       "grade_id": "00_welcome-to_tanh_range"}
    assert meta[3] == {"grade": True, "solution": False, "locked": True, "schema_version": SCHEMA_VERSION,
                       "grade_id": "00_welcome-check_to_tanh_range", "points": POINTS}
    assert meta[4]["grade"] and meta[4]["solution"] and meta[4]["points"] == WRITTEN_POINTS


def test_check_cells_get_hidden_tests_that_the_exercise_leaves_out():
    graded = grade_solution(LESSON, "00_welcome.ipynb")
    assert "".join(graded["cells"][3]["source"]) == (
        f"check_to_tanh_range(to_tanh_range)\n{HIDDEN_BEGIN}\ncheck_to_tanh_range(to_tanh_range, hidden=True)\n"
        f"{HIDDEN_END}")
    exercise = make_exercise(graded, "00_welcome.ipynb")
    assert "".join(exercise["cells"][3]["source"]) == "check_to_tanh_range(to_tanh_range)"
    assert all("nbgrader" not in c["metadata"] for c in exercise["cells"])
    assert exercise == make_exercise(LESSON, "00_welcome.ipynb")


def test_the_metadata_is_idempotent_and_does_not_depend_on_cell_positions():
    graded = grade_solution(LESSON, "00_welcome.ipynb")
    assert grade_solution(graded, "00_welcome.ipynb") == graded
    moved = json.loads(json.dumps(LESSON))
    moved["cells"] = [moved["cells"][0], moved["cells"][4], moved["cells"][3], moved["cells"][1], moved["cells"][2]]
    moved["cells"][4]["source"] = moved["cells"][4]["source"].replace("return", "y = 1\n    return")
    ids = {m["grade_id"] for m in nbgrader_meta(grade_solution(moved, "00_welcome.ipynb")) if m}
    assert ids == {m["grade_id"] for m in nbgrader_meta(graded) if m}


def test_stale_hand_edited_hidden_tests_and_metadata_are_rewritten():
    graded = grade_solution(LESSON, "00_welcome.ipynb")
    edited = json.loads(json.dumps(graded))
    edited["cells"][3]["source"] = ["check_to_tanh_range(to_tanh_range)\n", f"{HIDDEN_BEGIN}\n", "assert False\n",
                                    f"{HIDDEN_END}"]
    edited["cells"][3]["metadata"]["nbgrader"]["points"] = 7
    edited["cells"][0]["metadata"]["nbgrader"] = {"grade": True}
    assert grade_solution(edited, "00_welcome.ipynb") == graded


def test_two_cells_with_one_grade_id_are_refused():
    twice = notebook(*LESSON_CELLS, ("code", "def to_tanh_range(p):\n    ### BEGIN SOLUTION\n    return p\n"
                                             "    ### END SOLUTION"))
    with pytest.raises(ArgumentError, match="already cell 2"):
        grade_solution(twice, "00_welcome.ipynb")


def test_a_solution_without_its_metadata_is_stale(root, tmp_path):
    for folder in ("solutions", "exercises"):
        shutil.copytree(root / folder, tmp_path / folder)
    target = tmp_path / "solutions" / "00_welcome.ipynb"
    nb = json.loads(target.read_text())
    for cell in nb["cells"]:
        cell["metadata"].pop("nbgrader", None)
    target.write_text(json.dumps(nb))
    assert stale_exercises(tmp_path) == ["00_welcome.ipynb"]
    write_exercises(tmp_path)
    assert stale_exercises(tmp_path) == []
    assert any("nbgrader" in c["metadata"] for c in json.loads(target.read_text())["cells"])
