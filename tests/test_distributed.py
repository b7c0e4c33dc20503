"""torchrun and DDP: two processes train what one process trains, resume on any number, and
only rank 0 writes.

Tolerance. One process adds the whole batch's gradients in one sum; two processes add two
half-batch sums, then all-reduce them: the same numbers in another order. The runs compared here
are in float64, where that changes the last bits (about 1e-16 relative), and after these few
steps the weights agree to about 1e-16 (measured: 1e-17 to 5e-16), so TOL = 1e-10 leaves a margin
of a million while staying ten thousand times below what a real difference looks like (batch norm
over half batches: about 2e-3; other dropout masks: about 3e-2). In float32 the same comparison is
much looser: Adam divides each gradient by its running size, so rounding in a gradient near zero
becomes a visible change in its update, and a GAN amplifies such differences (appendix 11 shows
it); float64 makes the test a test of the method, not of rounding.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import artlab  # noqa: F401 - loads artlab.doctor for the doctor test

from artlab import distributed, scaling
from artlab.checkpoint import load_checkpoint
from artlab.errors import ArgumentError, EnvironmentProblem
from artlab.music.melody import Melody
from artlab.music.tokens import Vocabulary, encode_melodies

from conftest import ROOT

TOL = 1e-10

GAN_R1 = scaling.GANSpec(dtype="float64")  # non-saturating loss and an R1 penalty through the DDP wrapper
GAN_GP = scaling.GANSpec(loss="wasserstein", penalty="gp", penalty_weight=10.0, n_critic=2, steps=4, dtype="float64")
GAN_BN = scaling.GANSpec(norm="batch", minibatch_std=True, dtype="float64")
COMPOSER = scaling.ComposerSpec(dtype="float64")


def images():
    """64 random 16x16 'images' in [-1, 1]: the loops do not care what they show."""
    return torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(5)) * 2 - 1


def tunes(n, seed):
    """Toy melodies of 5 to 12 notes, so the two halves of a batch hold different numbers of tokens."""
    rng = np.random.default_rng(seed)
    scale = [0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19, 21, 23, 24]
    out = []
    for _ in range(n):
        start, length = int(rng.integers(0, 3)), int(rng.integers(5, 13))
        out.append(Melody(tuple(60 + scale[start + i] for i in range(length)), (0.5,) * length, "4/4", "C major", 0))
    return encode_melodies(out, Vocabulary())


def two_process_job(images, train, valid, folder):
    """What each of the two processes runs (it must live in an importable module)."""
    return {"r1": scaling.gan_run(GAN_R1, images), "gp": scaling.gan_run(GAN_GP, images),
            "bn": scaling.gan_run(GAN_BN, images), "composer": scaling.composer_run(COMPOSER, train, valid),
            "saved": scaling.gan_run(GAN_R1, images, checkpoint=Path(folder) / "two.pt", stop_at=3),
            "resumed": scaling.gan_run(GAN_R1, images, resume_from=Path(folder) / "one.pt")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(one process's runs, each of two processes' runs, the folder of the checkpoints)."""
    folder = tmp_path_factory.mktemp("ddp")
    x, train, valid = images(), tunes(24, 0), tunes(8, 1)
    one = {"r1": scaling.gan_run(GAN_R1, x), "gp": scaling.gan_run(GAN_GP, x), "bn": scaling.gan_run(GAN_BN, x),
           "composer": scaling.composer_run(COMPOSER, train, valid),
           "saved": scaling.gan_run(GAN_R1, x, checkpoint=folder / "one.pt", stop_at=3)}
    two = distributed.launch(two_process_job, 2, x, train, valid, str(folder))
    one["resumed"] = scaling.gan_run(GAN_R1, x, resume_from=folder / "two.pt")
    return one, two, folder


def gap(a, b, *networks):
    return max(scaling.max_difference(a[n], b[n]) for n in networks)


@pytest.mark.parametrize("run", ["r1", "gp"])
def test_two_processes_train_the_dcgan_one_process_trains_gradient_penalty_included(runs, run):
    one, (rank0, _), _ = runs
    assert gap(one[run], rank0[run], "generator", "discriminator") < TOL
    for column in ("d_loss", "g_loss", "penalty"):  # the logged values are the global batch's too
        assert np.allclose(one[run]["history"][column], rank0[run]["history"][column], rtol=1e-12, atol=1e-15)
    assert rank0[run]["allreduce_seconds"] > 0 and one[run]["allreduce_seconds"] == 0


def test_two_processes_train_the_composer_one_process_trains(runs):
    one, (rank0, _), _ = runs
    assert scaling.max_difference(one["composer"]["weights"], rank0["composer"]["weights"]) < TOL
    # the halves hold different numbers of tokens: a plain average of their losses would not be this close
    assert np.allclose(one["composer"]["history"]["train_nll"], rank0["composer"]["history"]["train_nll"], rtol=1e-12)
    assert np.allclose(one["composer"]["history"]["valid_nll"], rank0["composer"]["history"]["valid_nll"], rtol=1e-12)


def test_every_process_holds_the_same_weights(runs):
    _, (rank0, rank1), _ = runs
    for run in ("r1", "gp"):
        assert gap(rank0[run], rank1[run], "generator", "discriminator") == 0.0
    assert scaling.max_difference(rank0["composer"]["weights"], rank1["composer"]["weights"]) == 0.0


def test_batch_statistics_break_the_equivalence(runs):
    one, (rank0, _), _ = runs
    assert gap(one["bn"], rank0["bn"], "generator", "discriminator") > 1e4 * TOL


def test_a_checkpoint_of_two_processes_resumes_exactly_in_one(runs):
    one, _, folder = runs
    saved = load_checkpoint(folder / "two.pt")
    assert saved.step == 3 and saved.extra["kind"] == "painter" and not saved.extra["finished"]
    assert gap(one["resumed"], one["r1"], "generator", "discriminator") < TOL
    assert np.allclose(one["resumed"]["history"]["d_loss"], one["r1"]["history"]["d_loss"], rtol=1e-12)


def test_a_checkpoint_of_one_process_resumes_exactly_in_two(runs):
    one, (rank0, _), _ = runs
    assert gap(rank0["resumed"], one["r1"], "generator", "discriminator") < TOL


def test_torchrun_runs_artlab_paint_on_two_processes_and_rank_0_alone_writes(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "ARTLAB_FAST": "1", "ARTLAB_PROGRESS": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([str(torchrun), "--nproc_per_node=2", "-m", "artlab", "paint", "--steps", "3", "-n", "2",
                             "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("trained dcgan painter") == 1, result.stdout  # one process speaks
    assert "3 steps" in result.stdout and "on 2 processes (gloo)" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["painter.pt", "painting_000.png", "painting_001.png"]
    assert load_checkpoint(tmp_path / "painter.pt").step == 3
    # --retrain over that checkpoint: rank 0 alone writes the new run beside it and replaces it
    again = subprocess.run([str(torchrun), "--nproc_per_node=2", "-m", "artlab", "paint", "--steps", "4", "-n", "2",
                            "--retrain", "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert load_checkpoint(tmp_path / "painter.pt").step == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["painter.pt", "painting_000.png", "painting_001.png"]


# --- the helpers, in one process ---------------------------------------------------------------

def test_shards_are_contiguous_blocks_that_cover_the_batch_once():
    x = torch.arange(7 * 2).reshape(7, 2)
    worlds = [distributed.World(rank, 3) for rank in range(3)]
    parts = [distributed.shard(x, w) for w in worlds]
    assert [len(p) for p in parts] == [3, 2, 2]
    assert torch.equal(torch.cat(parts), x)
    assert distributed.shard((x, None), worlds[1])[1] is None
    assert distributed.shard(x, distributed.World()) is x


def test_without_torchrun_there_is_one_process_and_no_group(monkeypatch):
    for name in distributed.TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert distributed.init() == distributed.World() and distributed.is_main()
    assert not torch.distributed.is_initialized()


def test_a_half_torchrun_environment_says_what_is_missing(monkeypatch):
    for name in distributed.TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(EnvironmentProblem, match="RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.*torchrun"):
        distributed.init()
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ArgumentError, match="WORLD_SIZE"):
        distributed.init()


def test_launch_refuses_a_function_the_new_processes_cannot_import():
    def here():
        return 1

    here.__module__ = "__main__"
    with pytest.raises(ArgumentError, match="importable module"):
        distributed.launch(here, 2)


def test_a_global_batch_smaller_than_the_world_is_refused():
    with pytest.raises(ArgumentError, match="at least one row per process"):
        distributed.check_batch(2, distributed.World(0, 4), "TrainConfig")
    distributed.check_batch(4, distributed.World(0, 4), "TrainConfig")


def test_doctor_reports_the_distributed_back_ends():
    doctor = sys.modules["artlab.doctor"]  # the module; artlab.doctor is the function
    report = doctor.Report()
    doctor._distributed(report)  # the line artlab doctor prints under Compute
    [finding] = report.findings
    assert finding.name == "distributed" and finding.ok
    assert "gloo (CPU)" in finding.value and "torchrun --nproc_per_node=N" in finding.value
