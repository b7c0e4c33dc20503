"""The exercise notebooks, made from the solutions (with nbgrader's metadata), and running them.

``solutions/`` is the single source of every exercise. Solution code sits between
nbgrader's markers, inside a function::

    def to_tanh_range(pixels):
        ### BEGIN SOLUTION
        return pixels.float() / 127.5 - 1
        ### END SOLUTION

and ``python -m artlab.course exercises`` (``make exercises``) does two things:

* it writes nbgrader's cell metadata into the solutions (:func:`grade_solution`), derived
  from the cells' contents only, so it can run again after any edit: a solution cell gets
  ``solution: true`` and the id ``<notebook>-<function>``; a cell that calls
  ``check_<name>(...)`` becomes a locked autograded test cell worth :data:`POINTS` per
  call, id ``<notebook>-check_<name>``, and gets hidden tests, the same calls with
  ``hidden=True`` between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``; a cell
  that imports the checks is locked read-only, so a submission cannot swap them;
* it writes ``exercises/`` (:func:`make_exercise`) with each solution block replaced by
  a stub::

        # YOUR CODE HERE
        raise NotImplementedError()

  (in a Markdown cell the block becomes ``YOUR ANSWER HERE``), hidden tests removed and
  no nbgrader metadata: exactly what ``nbgrader generate_assignment`` releases, up to
  that metadata.

A test fails when ``exercises/`` or the solutions' metadata is out of date, another runs
nbgrader itself on the solutions, and ``python -m artlab.course check-exercises``
runs every exercise as a learner first meets it: each check must say "not
implemented yet" and no other cell may fail.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError
from artlab.runtime import repo_root

__all__ = ["BEGIN", "END", "HIDDEN_BEGIN", "HIDDEN_END", "POINTS", "WRITTEN_POINTS", "SCHEMA_VERSION", "ANSWER_STUB",
           "grade_solution", "make_exercise", "write_exercises", "stale_exercises", "run_exercise", "check_exercises"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
ANSWER_STUB = "YOUR ANSWER HERE"
CHECK_CALL = re.compile(r"\bcheck_\w+\(")
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SCHEMA_VERSION = 3   # nbgrader's cell metadata schema (nbgrader 0.9)
POINTS = 1           # per check call in an autograded test cell
WRITTEN_POINTS = 1   # per written (Markdown) answer, graded by hand


# --- exercises from solutions -------------------------------------------------------------

def _source_lines(cell: dict) -> list[str]:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    return text.split("\n")


def _strip_blocks(lines: list[str], where: str, begin: str, end: str, stub=None,
                  indented: bool = False) -> list[str]:
    """*lines* without the blocks between *begin* and *end* (markers included); each block becomes
    ``stub(indent)`` (no lines when None). ``indented``: a block must sit inside a function."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == begin:
            if inside:
                raise ArgumentError(where, expected=f"{end} before the next {begin}", got=f"<line {number}>")
            indent = line[: len(line) - len(line.lstrip())]
            if indented and not indent:
                raise ArgumentError(
                    where, expected=f"{begin} inside a function (indented)", got=f"<line {number} at the left margin>",
                    hint="Put the solution code in a function body, so the stub raises only when called.")
            inside = True
            out.extend(stub(indent) if stub else [])
        elif stripped == end:
            if not inside:
                raise ArgumentError(where, expected=f"{begin} before {end}", got=f"<line {number}>")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ArgumentError(where, expected=f"{end} to close {begin}", got="<the end of the cell>")
    return out


def _strip_code(lines: list[str], where: str) -> list[str]:
    """A solution code cell as released: each solution block becomes nbgrader's stub."""
    return _strip_blocks(lines, where, BEGIN, END, lambda indent: [indent + s for s in CODE_STUB], indented=True)


def _strip_markdown(lines: list[str], where: str) -> list[str]:
    """A written answer as released: the answer becomes nbgrader's placeholder."""
    return _strip_blocks(lines, where, BEGIN, END, lambda indent: [ANSWER_STUB])


def _strip_hidden(lines: list[str], where: str) -> list[str]:
    """*lines* without the hidden-test blocks (markers included), as nbgrader releases them."""
    return _strip_blocks(lines, where, HIDDEN_BEGIN, HIDDEN_END)


def _set_source(cell: dict, lines: list[str]) -> None:
    cell["source"] = "\n".join(lines).splitlines(keepends=True)


# --- nbgrader's metadata, derived from the cells ----------------------------------------------

def _has_solution(lines: list[str]) -> bool:
    return any(line.strip() == BEGIN for line in lines)


def _solution_function(lines: list[str], where: str) -> str:
    """The name of the function whose body holds the cell's first solution block."""
    first = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    indent = len(lines[first]) - len(lines[first].lstrip())
    for line in reversed(lines[:first]):
        match = re.match(r"(\s*)(?:async\s+)?def\s+(\w+)\s*\(", line)
        if match and len(match.group(1)) < indent:
            return match.group(2)
    raise ArgumentError(where, expected=f"{BEGIN} inside a `def` (its name becomes nbgrader's grade_id)",
                        got="<no def above the marker>",
                        hint="Put the solution code in a function body.")


def _check_calls(source: str, where: str) -> list[ast.Call]:
    """The top-level ``check_...(...)`` calls of a cell, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ArgumentError(where, expected="a check cell that is valid Python", got=f"<{error.msg}, line {error.lineno}>",
                            hint="Fix the cell, then run `make exercises` again.") from None
    calls = []
    for node in tree.body:
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id.startswith("check_")):
            calls.append(node.value)
    return calls


def _hidden_call(call: ast.Call, source: str) -> str:
    """The same check call with ``hidden=True``: the cases the released notebook does not show."""
    parts = [ast.get_source_segment(source, a) for a in call.args]
    parts += [ast.get_source_segment(source, k) for k in call.keywords if k.arg != "hidden"]
    return f"{call.func.id}({', '.join(parts + ['hidden=True'])})"


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _imports_checks(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.ImportFrom) and (node.module or "").startswith("artlab.checks")
               for node in ast.walk(tree))


def grade_solution(solution: dict, name: str = "notebook.ipynb") -> dict:
    """The solution notebook with nbgrader's cell metadata and hidden tests written in.

    Everything is derived from the cells' contents and the notebook's *name*, never from
    cell positions, so running it again on its own output changes nothing:

    * a code cell with a solution block: ``solution: true``, grade_id ``<stem>-<function>``;
    * a Markdown cell with a solution block: a written answer, graded by hand
      (``grade`` and ``solution``, :data:`WRITTEN_POINTS`), grade_id from its prompt;
    * a cell calling ``check_<name>(...)``: ``grade: true``, ``locked: true``,
      :data:`POINTS` per call, grade_id ``<stem>-check_<name>``, and the hidden-test
      block rewritten as the same calls with ``hidden=True``;
    * the cell importing from ``artlab.checks``: locked read-only, grade_id
      ``<stem>-imports`` (nbgrader restores it before grading);
    * every other cell: no nbgrader metadata.
    """
    graded = json.loads(json.dumps(solution))
    stem = Path(name).stem
    ids: dict[str, int] = {}
    for index, cell in enumerate(graded["cells"]):
        where = f"{name}, cell {index}"
        metadata = cell.setdefault("metadata", {})
        metadata.pop("nbgrader", None)
        lines = _source_lines(cell)
        meta = None
        if cell["cell_type"] == "code" and _has_solution(lines):
            _strip_code(lines, where)  # refuses malformed markers
            meta = _meta(f"{stem}-{_solution_function(lines, where)}", grade=False, solution=True, locked=False)
        elif cell["cell_type"] == "markdown" and _has_solution(lines):
            prompt = "\n".join(_strip_markdown(lines, where))
            meta = _meta(f"{stem}-answer-{_digest(prompt)}", grade=True, solution=True, locked=False,
                         points=WRITTEN_POINTS)
        elif cell["cell_type"] == "code":
            visible = "\n".join(_strip_hidden(lines, where)).rstrip()
            calls = _check_calls(visible, where) if CHECK_CALL.search(visible) else []
            if calls:
                hidden = [_hidden_call(call, visible) for call in calls]
                _set_source(cell, [visible, HIDDEN_BEGIN, *hidden, HIDDEN_END])
                meta = _meta(f"{stem}-{calls[0].func.id}", grade=True, solution=False, locked=True,
                             points=POINTS * len(calls))
            elif _imports_checks(visible):
                meta = _meta(f"{stem}-imports", grade=False, solution=False, locked=True)
        if meta is not None:
            if meta["grade_id"] in ids:
                raise ArgumentError(where, expected=f"one cell per grade_id, and {meta['grade_id']!r} is "
                                    f"already cell {ids[meta['grade_id']]}'s", got=meta["grade_id"],
                                    hint="Import the checks in one cell, and give each exercise function its own "
                                         "name and its own check cell.")
            ids[meta["grade_id"]] = index
            metadata["nbgrader"] = meta
    return graded


def make_exercise(solution: dict, name: str = "notebook") -> dict:
    """The exercise version of a solution notebook (a dict in nbformat 4).

    Solution blocks become stubs, hidden tests go, outputs are cleared and nbgrader's
    metadata is dropped: what ``nbgrader generate_assignment`` releases, less its metadata.
    """
    exercise = json.loads(json.dumps(solution))
    for index, cell in enumerate(exercise["cells"]):
        where = f"{name}, cell {index}"
        lines = _source_lines(cell)
        cell.get("metadata", {}).pop("nbgrader", None)
        if cell["cell_type"] == "code":
            lines = _strip_hidden(_strip_code(lines, where), where)
            cell["outputs"] = []
            cell["execution_count"] = None
        elif cell["cell_type"] == "markdown":
            lines = _strip_markdown(lines, where)
        _set_source(cell, lines)
    return exercise


def _dump(notebook: dict) -> str:
    """Notebook JSON the way Jupyter writes it (nbformat's layout)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def stale_exercises(root: Path | None = None) -> list[str]:
    """Names of notebooks out of date: a solution whose nbgrader metadata is not what
    :func:`grade_solution` writes, or an exercise that differs from what its solution generates."""
    root = root or repo_root()
    stale = []
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        target = root / "exercises" / solution.name
        source = json.loads(solution.read_text())
        graded = grade_solution(source, solution.name)
        expected = _dump(make_exercise(graded, solution.name))
        if graded != source or not target.is_file() or target.read_text() != expected:
            stale.append(solution.name)
    for exercise in sorted((root / "exercises").glob("*.ipynb")):
        if not (root / "solutions" / exercise.name).is_file():
            stale.append(exercise.name)
    return stale


def write_exercises(root: Path | None = None) -> list[Path]:
    """Write nbgrader's metadata into ``solutions/`` and (re)write ``exercises/`` from them.

    A solution file is rewritten only when its metadata or hidden tests change; exercises
    without a solution are removed. Returns the files written.
    """
    root = root or repo_root()
    (root / "exercises").mkdir(exist_ok=True)
    written = []
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        source = json.loads(solution.read_text())
        graded = grade_solution(source, solution.name)
        if graded != source:
            solution.write_text(_dump(graded))
            written.append(solution)
        target = root / "exercises" / solution.name
        text = _dump(make_exercise(graded, solution.name))
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            written.append(target)
    for exercise in (root / "exercises").glob("*.ipynb"):
        if not (root / "solutions" / exercise.name).is_file():
            exercise.unlink()
    return written


# --- running exercises as a learner first meets them -------------------------------------

@dataclass
class ExerciseRun:
    """What running one exercise notebook with its stubs showed."""

    name: str
    checks: int
    not_implemented: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and self.checks > 0 and self.not_implemented == self.checks


def _cell_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append("".join(output.get("text", "")))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
        elif "data" in output:
            parts.append("".join(output["data"].get("text/plain", "")))
    return "".join(parts)


def run_exercise(path: Path, timeout: int = 600) -> ExerciseRun:
    """Execute an exercise notebook with its stubs and judge what each cell printed."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    checks = not_implemented = 0
    problems = []
    from artlab.checks import NOT_IMPLEMENTED

    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        text = _cell_text(cell)
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if CHECK_CALL.search(cell.source):
            checks += 1
            if NOT_IMPLEMENTED in text and not errored:
                not_implemented += 1
            else:
                problems.append(f"cell {index}: the check did not report '{NOT_IMPLEMENTED}': {text.strip()[:300]}")
        elif errored:
            problems.append(f"cell {index} failed: {text.strip()[:300]}")
    if checks == 0:
        problems.append("no check cell (a cell calling check_...(...)) found")
    return ExerciseRun(path.name, checks, not_implemented, problems)


def check_exercises(paths: Sequence[Path]) -> int:
    """Run each exercise with its stubs (fast mode); print a line per notebook; 1 if any failed."""
    os.environ.setdefault("ARTLAB_FAST", "1")
    failed = 0
    for path in paths:
        run = run_exercise(path)
        status = "ok" if run.ok else "FAILED"
        print(f"{status:6} {path}: {run.not_implemented}/{run.checks} checks say 'not implemented yet'")
        for problem in run.problems:
            print(f"       {problem}")
        failed += not run.ok
    print(f"{len(paths) - failed} exercise notebooks passed, {failed} failed")
    return 1 if failed else 0
