"""The course map, and the exercise notebooks made from the solutions.

``solutions/`` is the single source of every exercise. Solution code sits between
nbgrader's markers, inside a function::

    def to_tanh_range(pixels):
        ### BEGIN SOLUTION
        return pixels.float() / 127.5 - 1
        ### END SOLUTION

and ``python -m artlab.course exercises`` (``make exercises``) writes ``exercises/``
with each marked block replaced by a stub::

        # YOUR CODE HERE
        raise NotImplementedError()

(in a Markdown cell the block becomes ``YOUR ANSWER HERE``). A test fails when
``exercises/`` is out of date, and ``python -m artlab.course check-exercises``
runs every exercise as a learner first meets it: each check must say "not
implemented yet" and no other cell may fail.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError

__all__ = ["Lesson", "LESSONS", "course_map", "readme_map", "update_readme", "make_exercise", "write_exercises",
           "stale_exercises", "run_exercise", "repo_root"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
ANSWER_STUB = "YOUR ANSWER HERE"
CHECK_CALL = re.compile(r"\bcheck_\w+\(")


@dataclass(frozen=True)
class Lesson:
    """One row of the course map (the README's map is generated from :data:`LESSONS`)."""

    number: int
    slug: str
    title: str
    modules: tuple[str, ...]
    exercises: str
    full_mode: str = ""      # how long the lesson runs in full mode on a 2-core laptop CPU

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.slug}.ipynb"


LESSONS: tuple[Lesson, ...] = (
    Lesson(0, "welcome", "Welcome: how the course works",
           ("artlab.runtime", "artlab.doctor", "artlab.checks"),
           "scale pixels to [−1, 1] and back", "< 30 s"),
    Lesson(1, "gan_minimax", "The GAN minimax game",
           ("artlab.data.toy", "artlab.gan.theory", "artlab.gan.losses", "artlab.viz.toy"),
           "optimal discriminator, non-saturating loss", "about 10 s"),
    Lesson(2, "gan_training_loop", "The GAN training loop and mode collapse",
           ("artlab.gan.mlp", "artlab.gan.train", "artlab.training", "artlab.gan.metrics", "artlab.gan.recipes",
            "artlab.viz.toy", "artlab.viz.curves", "artlab.viz.widgets"),
           "one discriminator step, modes covered", "about 3 min"),
    Lesson(3, "painting_with_dcgan", "Painting with DCGAN",
           ("artlab.data.images", "artlab.gan.mlp", "artlab.gan.dcgan", "artlab.painters", "artlab.painters.gan",
            "artlab.gan.latent", "artlab.viz.images", "artlab.viz.latent"),
           "transposed-convolution size, DCGAN initialisation, spherical interpolation", "about 10 min"),
    Lesson(4, "better_gans", "Better GANs: conditional, WGAN-GP, measuring quality",
           ("artlab.gan.quality", "artlab.gan.losses", "artlab.gan.augment", "artlab.painters.gan",
            "artlab.painters.copies", "artlab.painters.scoring", "artlab.data.images"),
           "gradient penalty, Fréchet distance", "about 20 min (after 03)"),
    Lesson(5, "rnn_recurrences", "Recurrences: RNN, LSTM, GRU",
           ("artlab.seq.cells", "artlab.seq.bptt", "artlab.seq.tasks", "artlab.seq.models", "artlab.seq.train",
            "artlab.viz.seq"),
           "one RNN step, LSTM gates, unrolling, gradient clipping", "about 6 min"),
    Lesson(6, "music_as_data", "Music as data",
           ("artlab.music.melody", "artlab.music.tokens", "artlab.music.streams", "artlab.music.files",
            "artlab.music.pianoroll", "artlab.music.corpus", "artlab.music.audio", "artlab.music.notation",
            "artlab.music.midi", "artlab.viz.pianoroll"),
           "encode and decode a melody", "< 30 s"),
    Lesson(7, "composing_with_lstm", "Composing with an LSTM",
           ("artlab.music.ngram", "artlab.music.windows", "artlab.music.composers", "artlab.music.lstm",
            "artlab.music.train", "artlab.music.sample", "artlab.music.metrics", "artlab.music.recipes",
            "artlab.music.panel"),
           "temperature, top-p, bigram baseline, one training step", "about 5 min"),
    Lesson(8, "transformer_composer", "A transformer composer",
           ("artlab.music.transformer", "artlab.music.composers", "artlab.music.recipes", "artlab.checks.attention"),
           "the causal mask, scaled dot-product attention, sinusoidal positional encodings",
           "about 7 min (4 with lesson 07's checkpoint)"),
    Lesson(9, "from_model_to_artwork", "From model to artwork",
           ("artlab.cli", "artlab.workflow", "artlab.registry", "artlab.evaluate", "artlab.music.arrange"),
           "a real-or-generated detector: step share, detection accuracy",
           "about 3 min (1.5 with lesson 07's composer)"),
    Lesson(10, "painting_by_denoising", "Painting by denoising: diffusion from scratch",
           ("artlab.diffusion",),
           "closed-form noising, the noise-prediction loss, one DDIM step, classifier-free guidance", "planned"),
    Lesson(11, "training_at_scale", "Appendix: training at scale with torchrun and DDP",
           ("artlab.distributed",),
           "gradient all-reduce by hand, checked against DDP", "planned"),
)


def repo_root() -> Path:
    """The course checkout: the folder holding ``notebooks/`` above this package."""
    here = Path(__file__).resolve().parent.parent
    if (here / "notebooks").is_dir():
        return here
    return Path.cwd()


def course_map(root: Path | None = None) -> str:
    """The course map as a Markdown table: lesson, notebook, modules, exercise, present?"""
    root = root or repo_root()
    rows = ["| # | notebook | artlab modules | exercise | here? |", "|---|---|---|---|---|"]
    for lesson in LESSONS:
        present = (root / "notebooks" / lesson.notebook).is_file()
        modules = ", ".join(f"`{m}`" for m in lesson.modules)
        rows.append(f"| {lesson.number:02d} | {lesson.notebook} | {modules} | {lesson.exercises} | "
                    f"{'yes' if present else 'planned'} |")
    return "\n".join(rows)


MAP_START, MAP_END = "<!-- course-map: made by python -m artlab.course readme -->", "<!-- /course-map -->"


def readme_map() -> str:
    """The course map as the README shows it: notebook links, modules, exercise, full-mode time."""
    rows = ["| # | notebook | artlab modules | exercise | full mode |", "|---|---|---|---|---|"]
    for lesson in LESSONS:
        stem = lesson.notebook.removesuffix(".ipynb")
        modules = ", ".join(f"`{m.removeprefix('artlab.')}`" for m in lesson.modules)
        rows.append(f"| {lesson.number:02d} | [{stem}](notebooks/{lesson.notebook}) | {modules} | {lesson.exercises} | "
                    f"{lesson.full_mode} |")
    return "\n".join([MAP_START, *rows, MAP_END])


def update_readme(root: Path | None = None) -> bool:
    """Write :func:`readme_map` into README.md between its markers; True if the file changed."""
    path = (root or repo_root()) / "README.md"
    text = path.read_text()
    start, end = text.find(MAP_START), text.find(MAP_END)
    if start < 0 or end < 0:
        raise ArgumentError("README.md", expected=f"the markers {MAP_START} and {MAP_END}", got="<no markers>",
                            hint="Put the two marker lines where the course map belongs.")
    new = text[:start] + readme_map() + text[end + len(MAP_END):]
    if new != text:
        path.write_text(new)
    return new != text


# --- exercises from solutions -------------------------------------------------------------

def _source_lines(cell: dict) -> list[str]:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    return text.split("\n")


def _strip_code(lines: list[str], where: str) -> list[str]:
    out: list[str] = []
    inside = False
    indent = ""
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ArgumentError(where, expected=f"{END} before the next {BEGIN}", got=f"<line {number}>")
            indent = line[: len(line) - len(line.lstrip())]
            if not indent:
                raise ArgumentError(
                    where, expected=f"{BEGIN} inside a function (indented)", got=f"<line {number} at the left margin>",
                    hint="Put the solution code in a function body, so the stub raises only when called.")
            inside = True
            out.extend(indent + stub for stub in CODE_STUB)
        elif stripped == END:
            if not inside:
                raise ArgumentError(where, expected=f"{BEGIN} before {END}", got=f"<line {number}>")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ArgumentError(where, expected=f"{END} to close {BEGIN}", got="<the end of the cell>")
    return out


def _strip_markdown(lines: list[str], where: str) -> list[str]:
    out: list[str] = []
    inside = False
    for line in lines:
        if line.strip() == BEGIN:
            inside = True
            out.append(ANSWER_STUB)
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ArgumentError(where, expected=f"{END} to close {BEGIN}", got="<the end of the cell>")
    return out


def make_exercise(solution: dict, name: str = "notebook") -> dict:
    """The exercise version of a solution notebook (a dict in nbformat 4)."""
    exercise = json.loads(json.dumps(solution))
    for index, cell in enumerate(exercise["cells"]):
        where = f"{name}, cell {index}"
        lines = _source_lines(cell)
        if cell["cell_type"] == "code":
            lines = _strip_code(lines, where)
            cell["outputs"] = []
            cell["execution_count"] = None
        elif cell["cell_type"] == "markdown":
            lines = _strip_markdown(lines, where)
        cell["source"] = "\n".join(lines).splitlines(keepends=True)
    return exercise


def _dump(notebook: dict) -> str:
    """Notebook JSON the way Jupyter writes it (nbformat's layout)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def stale_exercises(root: Path | None = None) -> list[str]:
    """Names of exercise notebooks that differ from what their solution generates."""
    root = root or repo_root()
    stale = []
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        target = root / "exercises" / solution.name
        expected = _dump(make_exercise(json.loads(solution.read_text()), solution.name))
        if not target.is_file() or target.read_text() != expected:
            stale.append(solution.name)
    for exercise in sorted((root / "exercises").glob("*.ipynb")):
        if not (root / "solutions" / exercise.name).is_file():
            stale.append(exercise.name)
    return stale


def write_exercises(root: Path | None = None) -> list[Path]:
    """(Re)write ``exercises/`` from ``solutions/``; remove exercises without a solution."""
    root = root or repo_root()
    (root / "exercises").mkdir(exist_ok=True)
    written = []
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        target = root / "exercises" / solution.name
        target.write_text(_dump(make_exercise(json.loads(solution.read_text()), solution.name)))
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


def _check_exercises(paths: Sequence[Path]) -> int:
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m artlab.course", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("exercises", help="regenerate exercises/ from solutions/")
    commands.add_parser("stale", help="list exercises that are out of date (exit 1 if any)")
    run = commands.add_parser("check-exercises", help="run exercises with their stubs (fast mode)")
    run.add_argument("paths", nargs="*", type=Path, help="exercise notebooks (default: all)")
    commands.add_parser("map", help="print the course map")
    commands.add_parser("readme", help="write the course map into README.md")
    args = parser.parse_args(argv)
    if args.command == "exercises":
        for path in write_exercises():
            print(f"wrote {path.relative_to(repo_root())}")
        return 0
    if args.command == "stale":
        stale = stale_exercises()
        print("\n".join(stale) if stale else "exercises/ is up to date")
        return 1 if stale else 0
    if args.command == "check-exercises":
        paths = args.paths or sorted((repo_root() / "exercises").glob("*.ipynb"))
        return _check_exercises(paths)
    if args.command == "readme":
        print("README.md updated" if update_readme() else "README.md's course map is up to date")
        return 0
    print(course_map())
    return 0


if __name__ == "__main__":
    sys.exit(main())
