"""Toy-GAN benchmark: the vanilla GAN against the cure of lesson 02, on the ring and the grid.

For each mixture (ring of 8, grid of 25) and each recipe (artlab.gan.recipes), trains with
5 seeds and reports the PacGAN metrics on 2,500 samples: modes covered, high-quality share,
reverse KL, plus steps, wall seconds and CPU seconds per run (one thread per run; on a busy
machine the wall time grows, the CPU time much less). Goals for the cure: ring 8/8, grid >= 24.5/25
on average, >= 90% high quality, reverse KL <= 0.1, each run under 60 s. The section it writes in
``docs/benchmarks.md`` holds the figures.

    python benchmarks/gan_toy.py                 # everything (minutes per run, 20 runs)
    python benchmarks/gan_toy.py --jobs 2        # two runs at a time (timings then share the CPU)
    python benchmarks/gan_toy.py --recipes cured --mixtures grid --seeds 0 1 --steps 50   # a smoke run (no docs)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("ARTLAB_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _report import Report  # noqa: E402

RECIPES = ("cured", "vanilla")
MIXTURES = ("grid", "ring")


def one_run(job: tuple[str, str, int, int | None]) -> dict:
    import torch

    torch.set_num_threads(1)
    from artlab.data import toy
    from artlab.gan import recipes

    recipe_name, mixture_name, seed, steps = job
    recipe = getattr(recipes, recipe_name)()
    if steps:
        recipe = recipe.with_train(steps=steps)
    cpu = time.process_time()
    run = recipes.run_toy(recipe, getattr(toy, mixture_name)(), seed)
    cpu = time.process_time() - cpu
    m = run.metrics
    return dict(recipe=recipe_name, label=recipe.name, mixture=mixture_name, seed=seed, modes=m.modes_covered,
                n_modes=m.n_modes, hq=m.high_quality, rkl=m.reverse_kl, steps=recipe.train.steps, seconds=run.seconds, cpu=cpu)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--mixtures", nargs="+", default=list(MIXTURES), choices=MIXTURES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=None, help="override every recipe's steps")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel, one thread each (default 1)")
    args = parser.parse_args(argv)

    full = args.steps is None and set(args.recipes) == set(RECIPES) and set(args.mixtures) == set(MIXTURES)
    report = Report("gan_toy", "Lesson 02: the toy GANs (ring of 8, grid of 25)", write=full)
    jobs = [(r, m, s, args.steps) for m in args.mixtures for r in args.recipes for s in args.seeds]
    print(f"{len(jobs)} runs, {args.jobs} at a time, one thread each", flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = []
        for row in pool.map(one_run, jobs):
            rows.append(row)
            print(f"  {row['mixture']:4} {row['recipe']:8} seed {row['seed']}: {row['modes']}/{row['n_modes']} modes, "
                  f"{100 * row['hq']:.1f}% high quality, reverse KL {row['rkl']:.3f}, {row['seconds']:.1f} s "
                  f"({row['cpu']:.1f} s of CPU)", flush=True)

    table, groups = [], {}
    for mixture in args.mixtures:
        for recipe in args.recipes:
            group = groups[mixture, recipe] = [r for r in rows if r["mixture"] == mixture and r["recipe"] == recipe]
            modes = [r["modes"] for r in group]
            table.append({"mixture": mixture, "recipe": group[0]["label"], "seeds": len(group),
                          "modes covered (min-max)": f"{statistics.mean(modes):.1f}/{group[0]['n_modes']} "
                                                     f"({min(modes)}-{max(modes)})",
                          "high quality": f"{100 * statistics.mean(r['hq'] for r in group):.1f}%",
                          "reverse KL": statistics.mean(r["rkl"] for r in group), "steps": group[0]["steps"],
                          "wall s per run (max)": f"{statistics.mean(r['seconds'] for r in group):.1f} "
                                                  f"({max(r['seconds'] for r in group):.1f})",
                          "CPU s per run": f"{statistics.mean(r['cpu'] for r in group):.1f}"})
    report.table(table, f"PacGAN's metrics on 2,500 samples, mean over {len(args.seeds)} training seeds, one thread per run")
    report.text("For reference, PacGAN (Lin et al. 2018, Table 1) reports after about 400k steps: ring 7.8-7.9 "
                "modes, 95-98% high quality, reverse KL 0.07-0.10; grid 24.6-24.8 modes, about 94%, 0.04-0.06.")
    for mixture in args.mixtures:
        if "cured" not in args.recipes:
            continue
        group = groups[mixture, "cured"]
        wanted = 8 if mixture == "ring" else 24.5
        modes = statistics.mean(r["modes"] for r in group)
        hq, rkl = statistics.mean(r["hq"] for r in group), statistics.mean(r["rkl"] for r in group)
        slowest = max(r["seconds"] for r in group)
        report.goal(modes >= wanted and hq >= 0.9 and rkl <= 0.1 and slowest <= 60,
                    f"the cure on the {mixture}: {modes:.1f} >= {wanted:g} modes, {hq:.0%} >= 90% high quality, "
                    f"reverse KL {rkl:.3f} <= 0.1, every run {slowest:.0f} s <= 60 s")
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
