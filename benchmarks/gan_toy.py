"""Toy-GAN benchmark: the vanilla GAN against the cure of lesson 02, on the ring and the grid.

For each mixture (ring of 8, grid of 25) and each recipe (artlab.gan.recipes), trains with
5 seeds and prints the PacGAN metrics on 2,500 samples: modes covered, high-quality share,
reverse KL, plus steps, wall seconds and CPU seconds per run (one thread per run, as in
MEASURED.md; on a busy machine the wall time grows, the CPU time much less). Reference (PacGAN, Table 1, ~400k steps): ring 7.8-7.9 modes, 95-98%, rKL
0.07-0.10; grid 24.6-24.8, ~94%, 0.04-0.06. Goal for the cure on a 2-core CPU: ring 8/8,
grid >= 24.5/25 on average, >= 90% high quality, reverse KL <= 0.1, each run under 60 s.

    python benchmarks/gan_toy.py                 # everything (about 15 minutes on 1 core)
    python benchmarks/gan_toy.py --jobs 2        # two runs at a time (timings then share the CPU)
    python benchmarks/gan_toy.py --recipes cured --mixtures grid --seeds 0 1
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("ARTLAB_PROGRESS", "0")

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

    jobs = [(r, m, s, args.steps) for m in args.mixtures for r in args.recipes for s in args.seeds]
    print(f"{len(jobs)} runs, {args.jobs} at a time, one thread each", flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = []
        for row in pool.map(one_run, jobs):
            rows.append(row)
            print(f"  {row['mixture']:4} {row['recipe']:8} seed {row['seed']}: {row['modes']}/{row['n_modes']} modes, "
                  f"{100 * row['hq']:.1f}% high quality, reverse KL {row['rkl']:.3f}, {row['seconds']:.1f} s "
                  f"({row['cpu']:.1f} s of CPU)", flush=True)

    print()
    print("| mixture | recipe | seeds | modes covered (min-max) | high quality | reverse KL | steps | wall s per run (max) | CPU s per run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mixture in args.mixtures:
        for recipe in args.recipes:
            group = [r for r in rows if r["mixture"] == mixture and r["recipe"] == recipe]
            modes = [r["modes"] for r in group]
            print(f"| {mixture} | {group[0]['label']} | {len(group)} | {statistics.mean(modes):.1f}/{group[0]['n_modes']} "
                  f"({min(modes)}-{max(modes)}) | {100 * statistics.mean(r['hq'] for r in group):.1f}% | "
                  f"{statistics.mean(r['rkl'] for r in group):.3f} | {group[0]['steps']} | "
                  f"{statistics.mean(r['seconds'] for r in group):.1f} ({max(r['seconds'] for r in group):.1f}) | "
                  f"{statistics.mean(r['cpu'] for r in group):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
