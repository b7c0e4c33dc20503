"""Diffusion benchmark: lesson 10's recipes at their full-mode budget, scored the way lessons 03-04 score GANs.

Trains the unconditional and the class-conditional U-Net of ``artlab.diffusion.recipes`` on the
16x16 digits (one thread each) and reports the steps, the wall seconds, and the scorecard of
``artlab.painters.score_digits`` (the mean over 20 batches of 200 paintings): the Fréchet digit
distance (FDD) and its ratio to the floor (real held-out digits drawn at random, 200 at a time),
the fewest digits any batch covers, the class KL from uniform, the readable share, and for the
conditional painter the share painted as the digit asked for. Both paint with their recipe's
default sampler (DDIM, 50 steps; the conditional one guided with w = 1). Then the samplers: the
seconds per 100 paintings of DDPM (all T steps) and DDIM at 10, 25, 50 and 100 steps, each with
the FDD of the unconditional painter over fewer batches, and the conditional painter's
requested-digit accuracy at guidance w = 0, 1 and 3.

Goals (issue 15, on that floor): the unconditional painter <= 1.5x the floor, the conditional
one paints the requested digit >= 90% of the time, each trained within 5 minutes at one thread.

    python benchmarks/diffusion.py                        # trains both (about 10 minutes quiet, 1 thread)
    python benchmarks/diffusion.py --reuse notebooks/outputs/painters
        # loads the runs lesson 10 finished in full mode (their recorded seconds), trains the rest
    python benchmarks/diffusion.py --smoke                # a few steps and paintings (no docs written)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ARTLAB_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _report import Report  # noqa: E402

# checkpoint names as lesson 10 writes them (notebooks/outputs/painters/)
RUNS = (("diffusion", "diffusion_digits.pt"), ("conditional diffusion", "conditional_diffusion_digits.pt"))
SAMPLERS = (("ddpm", None), ("ddim", 10), ("ddim", 25), ("ddim", 50), ("ddim", 100))


def seconds_per_100(painter, labels=None, n: int = 100) -> float:
    """Wall seconds to paint ``n`` pictures, scaled to 100."""
    from artlab.painters import paint

    began = time.perf_counter()
    paint(painter, n, labels)
    return (time.perf_counter() - began) * 100 / n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", type=Path, default=None,
                        help="a folder of finished runs to load instead of training (e.g. notebooks/outputs/painters)")
    parser.add_argument("--smoke", action="store_true", help="a few steps and paintings, to check it runs")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    import artlab
    from artlab.data.images import digits
    from artlab.diffusion.recipes import DIGITS, DIGITS_CONDITIONAL, train_or_load
    from artlab.diffusion.train import painter_of
    from artlab.painters.scoring import EVAL_DRAWS, EVAL_SAMPLES, score_digits

    report = Report("diffusion", "Lesson 10: diffusion on digits", write=not args.smoke)
    train = digits(16, "train")
    recipes = {"diffusion_digits.pt": DIGITS, "conditional_diffusion_digits.pt": DIGITS_CONDITIONAL}
    n, draws, few = (EVAL_SAMPLES, EVAL_DRAWS, 5) if not args.smoke else (20, 1, 1)
    if args.smoke:
        recipes = {file: recipe.with_train(steps=3, warmup=1) for file, recipe in recipes.items()}
    folder = args.reuse or Path(tempfile.mkdtemp(prefix="artlab_bench_"))
    print(f"artlab {artlab.__version__}, torch {torch.__version__}, one CPU thread per training; "
          f"runs {'loaded where finished in ' + str(folder) if args.reuse else 'trained afresh'}", flush=True)

    runs, painters = {}, {}
    for name, file in RUNS:
        run = train_or_load(recipes[file], train, folder / file, threads=1)
        runs[name], painters[name] = run, painter_of(run).eval()
        print(f"  {name}: {run.steps} steps, {run.seconds:.0f} s" + (" (loaded)" if run.stopped == "loaded" else ""),
              flush=True)

    header = "| painter | sampler | steps | seconds | FDD | × floor | digits | class KL | readable | asked-for digit |"
    rows = [header, "|" + "---|" * header.count(" | ") + "---|"]
    scores = {}
    for name, run in runs.items():
        painter = painters[name]
        score = scores[name] = score_digits(painter, n=n, draws=draws)
        q = score.quality
        asked = f"{score.accuracy:.1%}" if score.accuracy is not None else ""
        how = f"DDIM {painter.sample_steps}" + (f", w = {painter.guidance:g}" if painter.num_classes else "")
        floor = f"{q.x_floor:.2f}" if q.x_floor is not None else "n/a"
        rows.append(f"| {name} | {how} | {run.steps:,} | {run.seconds:.0f} | {q.fdd:.1f} | {floor} | "
                    f"{q.classes}/10 | {q.class_kl:.3f} | {q.confident:.0%} | {asked} |")
    report.text("\n".join(rows))

    plain = painters["diffusion"]
    sampler_rows = []
    for sampler, steps in SAMPLERS:
        painter = plain.with_sampler(sampler, sample_steps=steps)
        seconds = seconds_per_100(painter, n=100 if not args.smoke else 4)
        q = score_digits(painter, n=n, draws=1 if sampler == "ddpm" else few).quality
        sampler_rows.append({"sampler": "DDPM" if sampler == "ddpm" else "DDIM",
                             "network calls": plain.config.T if steps is None else steps,
                             "seconds per 100": round(seconds, 2), "FDD": round(q.fdd, 1),
                             "× floor": round(q.x_floor, 2) if q.x_floor is not None else "n/a",
                             "readable": f"{q.confident:.0%}",
                             "batches": 1 if sampler == "ddpm" else few})
    report.table(sampler_rows, "The samplers of the unconditional painter (one thread)")

    conditional = painters["conditional diffusion"]
    guided = []
    for w in (0.0, 1.0, 3.0):
        painter = conditional.with_sampler(guidance=w)
        score = score_digits(painter, n=n, draws=few)
        labels = torch.arange(100 if not args.smoke else 4) % 10
        guided.append({"guidance w": w, "asked-for digit": f"{score.accuracy:.1%}", "FDD": round(score.quality.fdd, 1),
                       "readable": f"{score.quality.confident:.0%}",
                       "seconds per 100": round(seconds_per_100(painter, labels, len(labels)), 2)})
    report.table(guided, f"Classifier-free guidance of the conditional painter (DDIM {conditional.sample_steps}, "
                         f"{few} batches of {n})")
    report.text(f"Each score of the first table is the mean of {draws} batches of {n} paintings (the sampler table: "
                "as many as its last column says); wall seconds grow when other programs share the CPU.")

    plain_score, cond_score = scores["diffusion"], scores["conditional diffusion"]
    print("\nGoals:")
    for name, run in runs.items():
        report.goal(run.seconds <= 300, f"{name} trained within 5 minutes at one thread: {run.seconds:.0f} s")
    x = plain_score.x_floor
    report.goal(x is not None and x <= 1.5, f"unconditional diffusion <= 1.5x the floor: "
                f"{'n/a' if x is None else f'{x:.2f}x'}, {plain_score.quality.classes}/10 digits in every batch")
    report.goal(cond_score.accuracy >= 0.9, f"conditional diffusion paints the requested digit: "
                f"{cond_score.accuracy:.1%} >= 90%")
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
