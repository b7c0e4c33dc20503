"""Data-parallel benchmark (appendix 11): one process against two on this machine's CPU.

Times lesson 03's DCGAN recipe (batch 64) and lesson 07's folk LSTM (batch 32) with the course's
own loops (``artlab.scaling.dcgan_speed``, ``composer_speed``) in three settings: one process
with one thread, one process with two threads, and two processes with one thread each
(``artlab.distributed.launch``, gloo, the global batch split in two). For each: steps per second
of the training loop (process start-up and DDP's set-up not counted) and the seconds per step the
all-reduces took (summed over DDP's buckets, from start to completion; they overlap the backward
pass). On a 2-core CPU no speed-up is expected from two processes: the section it writes in
``docs/benchmarks.md`` says what the numbers show, and how to run the same on GPUs.

    python benchmarks/distributed.py                      # a few minutes (5 on a busy 2-core machine)
    python benchmarks/distributed.py --smoke              # seconds; writes no docs
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("ARTLAB_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _report import Report  # noqa: E402

MODELS = {"dcgan_speed": "DCGAN (lesson 03), batch 64", "composer_speed": "folk LSTM (lesson 07), batch 32"}


def jobs(images, folk, dcgan_steps: int, composer_steps: int, threads: int) -> dict:
    from artlab import scaling

    return {"dcgan_speed": (scaling.dcgan_speed, (images, dcgan_steps), {"threads": threads}),
            "composer_speed": (scaling.composer_speed, (folk["train"], folk["valid"], composer_steps),
                               {"threads": threads})}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dcgan-steps", type=int, default=30)
    parser.add_argument("--composer-steps", type=int, default=12)
    parser.add_argument("--smoke", action="store_true", help="3 steps each, to see that it runs (no docs written)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.dcgan_steps = args.composer_steps = 3

    from artlab import distributed, scaling

    report = Report("distributed", "Appendix 11: one process against two (data parallelism on the CPU)",
                    write=not args.smoke)
    images, folk = scaling.digit_images(), scaling.folk_tokens(limit=200)
    runs = {}
    for setting, threads in (("1 process x 1 thread", 1), ("1 process x 2 threads", 2)):
        print(f"{setting} ...", flush=True)
        runs[setting] = scaling.run_all(jobs(images, folk, args.dcgan_steps, args.composer_steps, threads))
    print("2 processes x 1 thread ...", flush=True)
    runs["2 processes x 1 thread"] = distributed.launch(
        scaling.run_all, 2, jobs(images, folk, args.dcgan_steps, args.composer_steps, 1))[0]

    rows = []
    for model, label in MODELS.items():
        for setting, result in runs.items():
            run = result[model]
            step = run["seconds"] / run["steps"]
            rows.append({"model": label, "setting": setting, "steps": run["steps"],
                         "steps/s": run["steps_per_second"], "ms per step": 1000 * step,
                         "all-reduce ms per step": 1000 * run["allreduce_seconds"] / run["steps"]})
            print(f"  {label:32} {setting:24} {run['steps_per_second']:6.2f} steps/s, "
                  f"all-reduce {1000 * run['allreduce_seconds'] / run['steps']:.1f} ms per step", flush=True)
    report.table(rows, "Steps per second of the training loop, and the all-reduce's share (one run each; the machine "
                       "is shared, so every figure is disturbed by what else runs)")
    speed = {(r["model"], r["setting"]): r for r in rows}
    notes = []
    for label in MODELS.values():
        alone, threads, two = (speed[label, s] for s in runs)
        share = two["all-reduce ms per step"] / two["ms per step"]
        notes.append(f"{label}: two processes ran at {two['steps/s'] / alone['steps/s']:.2f}x the speed of one "
                     f"process with one thread and {two['steps/s'] / threads['steps/s']:.2f}x one process with two "
                     f"threads; the all-reduce took {share:.0%} of a two-process step")
        report.goal(two["steps/s"] >= alone["steps/s"],
                    f"{label}: two processes at least as fast as one process on one thread "
                    f"({two['steps/s']:.2f} against {alone['steps/s']:.2f} steps/s): the second core is not wasted")
        report.goal(share < 0.2, f"{label}: the all-reduce under 20% of a two-process step ({share:.0%})")
    report.text("What the numbers show (this run): " + "; ".join(notes) + ".\n\n"
                "On a 2-core CPU no real speed-up is to be expected. One process with two threads and two "
                "processes with one thread each use the same two cores; the two processes add the all-reduce, "
                "the work of keeping in step, and matrix products half the size, which a CPU runs less "
                "efficiently. Against one process on one thread, two processes can at best approach twice the "
                "speed on an idle machine, and only if nothing else wants the second core. Where two processes "
                "beat one process with two threads by a wide margin, that says more about two threads on a busy "
                "machine (they wait for each other: see the top of this page) than about data parallelism. The "
                "point of appendix 11 on a laptop is correctness (tests/test_distributed.py: the same weights "
                "as one process, in float64, to 1e-10), not speed.")
    report.text("On a machine with W GPUs, the same loops run one process per GPU (nccl), and the figures to "
                "compare are the steps/s of `torchrun --nproc_per_node=W` against one process with the same "
                "global batch:\n\n"
                "```bash\n"
                "torchrun --nproc_per_node=1 -m artlab paint --data ~/my_art --size 32 --steps 300 --out one\n"
                "torchrun --nproc_per_node=4 -m artlab paint --data ~/my_art --size 32 --steps 300 --out four\n"
                "torchrun --nproc_per_node=4 -m artlab compose --steps 300 --out four_music\n"
                "torchrun --nnodes=2 --nproc_per_node=8 --rdzv-backend=c10d --rdzv-endpoint=HOST:29400 "
                "-m artlab compose   # 2 machines\n"
                "```\n\n"
                "Each prints its training seconds. Under torchrun each process trains on its own GPU, even "
                "with one process; `python -m artlab paint` without torchrun trains where the lessons build their "
                "networks, on the CPU. This benchmark itself starts CPU processes (gloo) only; the nccl path has "
                "not been run on a GPU here.")
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
