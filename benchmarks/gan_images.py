"""Image-GAN benchmark: the recipes lessons 03-04 train in full mode, measured the way lesson 04 scores them.

For each recipe of ``artlab.painters.gan`` at its full-mode budget (DCGAN, the self-conditioned
DCGAN, the conditional DCGAN and WGAN-GP on 16x16 digits, DCGAN on the 32x32 Mondrian paintings)
reports the wall seconds, steps per second, and the scorecard of ``artlab.painters.score_digits``:
the mean over 20 batches of 200 paintings of the Fréchet digit distance (FDD) and its ratio to the
floor (real held-out digits drawn with a random mix of digits, 200 at a time, the mean of 20
draws: ``artlab.gan.quality.floor_fdd``), the class KL from uniform, the readable share, the
fewest digits any batch covers, the requested-label accuracy of the conditional GAN, and for
paintings the share that obeys the style rule. The baseline, the fully connected GAN, trains for
as many *seconds* as each DCGAN: its step count is that DCGAN's times the ratio of their speeds,
both measured just before (300 steps each), so the load of the machine cancels out. A perfect
copy of the training digits (``artlab.painters.Memoriser``) and evenly mixed real digits are scored
the same way.

Goals (issue 15, on that floor): lesson 03's DCGAN <= 1.5x and the self-conditioned DCGAN <= 1.2x,
each within 3 minutes at one thread with 10/10 digits in every batch; the conditional GAN paints the
requested digit >= 90% of the time; DCGAN beats the fully connected GAN on every metric at equal
wall time.

    python benchmarks/gan_images.py                       # trains everything (about 30 minutes quiet, 1 thread)
    python benchmarks/gan_images.py --reuse notebooks/outputs/painters
        # loads the runs lessons 03-04 finished in full mode (their recorded seconds), trains the rest
    python benchmarks/gan_images.py --steps 3             # a smoke run (no docs written)
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("ARTLAB_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _report import Report  # noqa: E402

# checkpoint names as lessons 03-04 write them (notebooks/outputs/painters/)
RUNS = (("DCGAN", "digits", "dcgan_digits.pt"), ("self-conditioned DCGAN", "digits", "self_conditioned_digits.pt"),
        ("fully connected GAN (lesson 03)", "digits", "fc_digits.pt"),
        ("conditional DCGAN", "digits", "conditional_digits.pt"), ("WGAN-GP", "digits", "wgan_gp_digits.pt"),
        ("DCGAN", "paintings", "dcgan_mondrian.pt"))


def speed(recipe, images, steps: int = 300) -> float:
    """Steps per second of a short run of ``recipe`` (one thread)."""
    from artlab.painters.gan import train_painter

    run = train_painter(recipe.with_train(steps=steps), images, seed=99)
    return steps / run.seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", type=Path, default=None,
                        help="a folder of finished runs to load instead of training (e.g. notebooks/outputs/painters)")
    parser.add_argument("--steps", type=int, default=None, help="override every recipe's steps (a quick smoke test)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    import artlab
    from artlab.data.images import digits, mondrian, style_rule
    from artlab.gan.quality import held_out_at_random
    from artlab.painters import Memoriser, paint
    from artlab.painters.gan import (conditional_dcgan, dc_gan, fc_gan, for_images, self_conditioned_dcgan,
                                     train_or_load, wgan_gp)
    from artlab.painters.scoring import EVAL_DRAWS, EVAL_SAMPLES, score_digits

    report = Report("gan_images", "Lessons 03-04: the image GANs on digits and paintings", write=not args.steps)

    train = digits(16, "train")
    paintings = mondrian(2_000, 32, seed=0)
    recipes = {"dcgan_digits.pt": (dc_gan(), train), "self_conditioned_digits.pt": (self_conditioned_dcgan(), train),
               "fc_digits.pt": (fc_gan(), train),
               "conditional_digits.pt": (conditional_dcgan(), train), "wgan_gp_digits.pt": (wgan_gp(), train),
               "dcgan_mondrian.pt": (for_images(paintings), paintings)}
    if args.steps:
        recipes = {file: (recipe.with_train(steps=args.steps), images) for file, (recipe, images) in recipes.items()}
    folder = args.reuse or Path(tempfile.mkdtemp(prefix="artlab_bench_"))
    print(f"artlab {artlab.__version__}, torch {torch.__version__}, one CPU thread per training; "
          f"runs {'loaded where finished in ' + str(folder) if args.reuse else 'trained afresh'}", flush=True)

    runs = {}
    for name, data, file in RUNS:
        recipe, images = recipes[file]
        run = train_or_load(recipe, images, folder / file)
        runs[file] = run
        print(f"  {name} on {data}: {run.result.steps} steps, {run.seconds:.0f} s"
              + (" (loaded)" if run.loaded else ""), flush=True)

    # the baseline at each DCGAN's wall time: its steps times the speed ratio, measured back to back
    probe = min(300, args.steps or 300)
    baselines = {}
    for file, recipe in (("dcgan_digits.pt", dc_gan()), ("self_conditioned_digits.pt", self_conditioned_dcgan())):
        dc = runs[file]
        fc_speed, dc_speed = speed(fc_gan(), train, probe), speed(recipe, train, probe)
        fc_steps = round(dc.result.steps * fc_speed / dc_speed)
        print(f"  speeds just now: fully connected {fc_speed:.1f}, {recipe.name} {dc_speed:.1f} steps/s "
              f"-> its baseline trains {fc_steps} steps", flush=True)
        baselines[file] = train_or_load(fc_gan(steps=fc_steps), train, folder / f"fc_digits_{fc_steps}.pt")
        print(f"  fully connected GAN at {recipe.name}'s time: {baselines[file].seconds:.0f} s", flush=True)

    header = ("| run | data | steps | seconds | steps/s | FDD | × floor | digits | class KL | readable "
              "| asked-for digit | style rule |")
    rows = [header, "|" + "---|" * header.count(" | ") + "---|"]
    dc, self_dc = runs["dcgan_digits.pt"], runs["self_conditioned_digits.pt"]
    table = [("DCGAN", "digits", dc), ("fully connected GAN, DCGAN's time", "digits", baselines["dcgan_digits.pt"]),
             ("self-conditioned DCGAN", "digits", self_dc),
             ("fully connected GAN, self-conditioned's time", "digits", baselines["self_conditioned_digits.pt"]),
             ("fully connected GAN (lesson 03)", "digits", runs["fc_digits.pt"]),
             ("conditional DCGAN", "digits", runs["conditional_digits.pt"]), ("WGAN-GP", "digits", runs["wgan_gp_digits.pt"])]
    scores = {}
    for name, data, run in table:
        score = score_digits(run.generator)
        scores[name] = score
        q = score.quality
        asked = f"{score.accuracy:.1%}" if score.accuracy is not None else ""
        rows.append(f"| {name} | {data} | {run.result.steps:,} | {run.seconds:.0f} | {run.steps_per_second:.1f} | "
                    f"{q.fdd:.1f} | {q.x_floor:.2f} | {q.classes}/10 | {q.class_kl:.3f} | "
                    f"{q.confident:.0%} | {asked} | |")
    drawn = held_out_at_random(EVAL_SAMPLES, EVAL_DRAWS)
    rows.append(f"| the floor: real held-out digits, a random mix | digits | | | | {drawn.random_mix:.1f} | 1.00 | | | | | |")
    rows.append(f"| real held-out digits, an even mix | digits | | | | {drawn.balanced:.1f} | "
                f"{drawn.balanced / drawn.random_mix:.2f} | | | | | |")
    perfect = score_digits(Memoriser(train.images))  # random training digits: what a perfect copyist paints
    p = perfect.quality
    rows.append(f"| a perfect copy of the training digits (Memoriser) | digits | | | | {p.fdd:.1f} | "
                f"{p.x_floor:.2f} | {p.classes}/10 | {p.class_kl:.3f} | {p.confident:.0%} | | |")
    art = runs["dcgan_mondrian.pt"]
    style = style_rule(paint(art.generator, 500))
    rows.append(f"| DCGAN | paintings | {art.result.steps:,} | {art.seconds:.0f} | {art.steps_per_second:.1f} | | | | | | | "
                f"{style.obeys:.0%} (palette {style.palette_fidelity:.0%}, lines {style.has_lines:.0%}) |")
    report.text("\n".join(rows))

    # The class mix: the conditional generator asked for an even and for a random mix of digits
    # (the same noise; score_digits(mix=...)), and real digits drawn both ways.
    painter = runs["conditional_digits.pt"].generator
    mixes = {"an even mix": scores["conditional DCGAN"].quality,
             "a random mix": score_digits(painter, mix="random").quality}
    report.text("The class mix alone: the conditional DCGAN asked for " + "; for ".join(
        f"{mix}: FDD {q.fdd:.1f} ({q.x_floor:.2f}x the floor)" for mix, q in mixes.items())
        + f". Real held-out digits: a random mix {drawn.random_mix:.1f}, an even mix {drawn.balanced:.1f} "
        f"({drawn.ratio:.2f}x). The floor is the random mix, the way every unconditional painter draws.")
    low, high = perfect.fdd_range
    report.text(f"The perfect copy (Memoriser) scores {p.x_floor:.2f}x the floor ({low / p.floor:.2f}x to "
                f"{high / p.floor:.2f}x over the batches): the training digits themselves sit about as far from "
                "their own statistics as held-out digits drawn the same way.")

    conditional = scores["conditional DCGAN"]
    goals = []
    for name, run, baseline, goal in (("DCGAN", dc, "fully connected GAN, DCGAN's time", 1.5),
                                      ("self-conditioned DCGAN", self_dc, "fully connected GAN, self-conditioned's time",
                                       1.2)):
        d, f = scores[name].quality, scores[baseline].quality
        goals += [
            (f"{name} on digits: {run.seconds:.0f} s <= 180 s, FDD {d.x_floor:.2f}x <= {goal}x the floor, "
             f"{d.classes}/10 digits in every batch", run.seconds <= 180 and d.x_floor <= goal and d.classes == 10),
            (f"{name} beats the fully connected GAN at equal time on every metric (FDD {d.fdd:.1f} vs {f.fdd:.1f}, "
             f"digits {d.classes} vs {f.classes}, class KL {d.class_kl:.3f} vs {f.class_kl:.3f}, "
             f"readable {d.confident:.0%} vs {f.confident:.0%})",
             d.fdd < f.fdd and d.classes >= f.classes and d.class_kl < f.class_kl and d.confident > f.confident)]
    goals.append((f"conditional DCGAN paints the requested digit: {conditional.accuracy:.1%} >= 90%",
                  conditional.accuracy >= 0.9))
    report.text(f"Each score is the mean of {EVAL_DRAWS} batches of {EVAL_SAMPLES} paintings; wall seconds grow when "
                "other programs share the CPU.")
    print("\nGoals:")
    for text, met in goals:
        report.goal(met, text)
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
