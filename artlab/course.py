"""The course map: the lessons, their notebooks, modules and exercises, and the command line.

:data:`LESSONS` is the one list of lessons; the README's course map is written from it
(``python -m artlab.course readme``; a test checks that they agree), and lesson 00 prints it.
``python -m artlab.course`` also runs the exercise tools of :mod:`artlab.exercises`:

    python -m artlab.course exercises         # nbgrader's metadata into solutions/, exercises/ from them
    python -m artlab.course stale             # which exercises are out of date
    python -m artlab.course check-exercises   # run every exercise with its stubs (fast mode)
    python -m artlab.course map | readme      # print the course map | write it into README.md
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError
from artlab.runtime import repo_root

__all__ = ["Lesson", "LESSONS", "course_map", "readme_map", "update_readme", "repo_root", "main"]


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
           "pixels to [−1, 1] and back; the steps gradient descent needs", "< 30 s"),
    Lesson(1, "gan_minimax", "The GAN minimax game",
           ("artlab.data.toy", "artlab.gan.theory", "artlab.gan.losses", "artlab.viz.toy"),
           "optimal discriminator (and for k fakes per real), non-saturating loss", "about 10 s"),
    Lesson(2, "gan_training_loop", "The GAN training loop and mode collapse",
           ("artlab.gan.mlp", "artlab.gan.train", "artlab.training", "artlab.gan.metrics", "artlab.gan.recipes",
            "artlab.viz.toy", "artlab.viz.curves", "artlab.viz.widgets"),
           "a discriminator step with R1, modes covered, samples needed to cover every mode", "about 3 min"),
    Lesson(3, "painting_with_dcgan", "Painting with DCGAN",
           ("artlab.data.images", "artlab.gan.mlp", "artlab.gan.dcgan", "artlab.painters", "artlab.painters.gan",
            "artlab.gan.latent", "artlab.viz.images", "artlab.viz.latent"),
           "transposed-convolution size, stamps per pixel, DCGAN initialisation, spherical interpolation", "about 10 min"),
    Lesson(4, "better_gans", "Better GANs: conditional, WGAN-GP, measuring quality",
           ("artlab.gan.quality", "artlab.gan.losses", "artlab.gan.augment", "artlab.painters.gan",
            "artlab.painters.copies", "artlab.painters.scoring", "artlab.data.images"),
           "gradient penalty, Fréchet distance, the bias of its mean term", "about 27 min (after 03)"),
    Lesson(5, "rnn_recurrences", "Recurrences: RNN, LSTM, GRU",
           ("artlab.seq.cells", "artlab.seq.bptt", "artlab.seq.tasks", "artlab.seq.models", "artlab.seq.train",
            "artlab.viz.seq"),
           "one RNN step, LSTM gates, unrolling, gradient clipping, backpropagation through time by hand", "about 6 min"),
    Lesson(6, "music_as_data", "Music as data",
           ("artlab.music.melody", "artlab.music.tokens", "artlab.music.streams", "artlab.music.files",
            "artlab.music.pianoroll", "artlab.music.corpus", "artlab.music.audio", "artlab.music.notation",
            "artlab.music.midi", "artlab.viz.pianoroll"),
           "encode and decode a melody, bar positions from the upbeat", "< 30 s"),
    Lesson(7, "composing_with_lstm", "Composing with an LSTM",
           ("artlab.music.ngram", "artlab.music.windows", "artlab.music.composers", "artlab.music.lstm",
            "artlab.music.train", "artlab.music.sample", "artlab.music.metrics", "artlab.music.recipes",
            "artlab.music.panel"),
           "temperature (and one for a chosen entropy), top-p, bigram baseline, one training step", "about 5 min"),
    Lesson(8, "transformer_composer", "A transformer composer",
           ("artlab.music.transformer", "artlab.music.composers", "artlab.music.recipes", "artlab.checks.attention"),
           "the causal mask, attention with a relative-position bias, sinusoidal positional encodings",
           "about 7 min (4 with lesson 07's checkpoint)"),
    Lesson(9, "from_model_to_artwork", "From model to artwork",
           ("artlab.cli", "artlab.workflow", "artlab.registry", "artlab.evaluate", "artlab.music.arrange"),
           "a real-or-generated detector: step share, detection accuracy, its z-score against chance",
           "about 3 min (1.5 with lesson 07's composer)"),
    Lesson(10, "painting_by_denoising", "Painting by denoising: diffusion from scratch",
           ("artlab.diffusion", "artlab.diffusion.train", "artlab.diffusion.painter", "artlab.diffusion.panel",
            "artlab.checks.diffusion"),
           "closed-form noising, the noise-prediction loss, one DDIM step, classifier-free guidance",
           "about 18 min (6 with its painters saved)"),
    Lesson(11, "training_at_scale", "Appendix: training at scale with torchrun and DDP",
           ("artlab.distributed", "artlab.scaling", "artlab.checks.distributed"),
           "gradient all-reduce by hand, checked against DDP", "about 4 min"),
)


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


def main(argv: Sequence[str] | None = None) -> int:
    from artlab.exercises import check_exercises, stale_exercises, write_exercises

    parser = argparse.ArgumentParser(prog="python -m artlab.course", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("exercises", help="write nbgrader metadata into solutions/ and regenerate exercises/")
    commands.add_parser("stale", help="list exercises that are out of date (exit 1 if any)")
    run = commands.add_parser("check-exercises", help="run exercises with their stubs (fast mode)")
    run.add_argument("paths", nargs="*", type=Path, help="exercise notebooks (default: all)")
    commands.add_parser("map", help="print the course map")
    commands.add_parser("readme", help="write the course map into README.md")
    args = parser.parse_args(argv)
    if args.command == "exercises":
        written = write_exercises()
        for path in written:
            print(f"wrote {path.relative_to(repo_root())}")
        if not written:
            print("solutions/ and exercises/ are up to date")
        return 0
    if args.command == "stale":
        stale = stale_exercises()
        print("\n".join(stale) if stale else "solutions/ and exercises/ are up to date")
        return 1 if stale else 0
    if args.command == "check-exercises":
        paths = args.paths or sorted((repo_root() / "exercises").glob("*.ipynb"))
        return check_exercises(paths)
    if args.command == "readme":
        print("README.md updated" if update_readme() else "README.md's course map is up to date")
        return 0
    print(course_map())
    return 0


if __name__ == "__main__":
    sys.exit(main())
