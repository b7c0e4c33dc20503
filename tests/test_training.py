"""The shared training scaffold: schedules, budgets, the finite-loss guard, keep-best, history, the checkpoint layout."""
import dataclasses
import math
import time

import pytest
import torch

from artlab.checkpoint import load_checkpoint
from artlab.errors import ArgumentError, CheckpointError, TrainingError
from artlab.training import (Budget, History, KeepBest, TrainResult, check_finite, finished_run, resume_run, save_run,
                             scheduled_lr)


@dataclasses.dataclass(frozen=True)
class Tiny:
    width: int = 3


@dataclasses.dataclass(frozen=True)
class Train:
    steps: int = 10
    lr: float = 0.1
    seed: int = 0


def test_schedules_start_at_the_peak_and_end_where_they_say():
    assert scheduled_lr(0.5, "constant", 7, 10) == 0.5
    assert scheduled_lr(0.5, "linear", 0, 10, lr_end=0.1) == 0.5
    assert math.isclose(scheduled_lr(0.5, "linear", 10, 10, lr_end=0.1), 0.05)
    assert math.isclose(scheduled_lr(0.5, "linear", 5, 10, lr_end=0.0), 0.25)
    warm = [scheduled_lr(1.0, "warmup_cosine", s, 100, warmup=10, lr_end=0.1) for s in range(101)]
    assert warm[0] == pytest.approx(0.1) and warm[9] == pytest.approx(1.0)          # linear warm-up to the peak
    assert warm[10] == pytest.approx(1.0) and warm[100] == pytest.approx(0.1)       # half a cosine down to lr_end
    assert all(a >= b for a, b in zip(warm[10:], warm[11:]))                        # never rising after the warm-up
    assert scheduled_lr(1.0, "warmup_cosine", 20, 100, warmup=10, lr_end=0.1, done=1.0) == pytest.approx(0.1)
    with pytest.raises(ArgumentError, match="schedule"):
        scheduled_lr(1.0, "step", 1, 10)


def test_a_budget_is_spent_by_steps_or_seconds_whichever_runs_out_first():
    budget = Budget(100, max_seconds=1000.0)
    assert budget.spent(50) == pytest.approx(0.5, abs=1e-3) and not budget.out_of_time()
    quick = Budget(100, max_seconds=0.01, seconds_before=0.02)      # resumed after the time was up
    assert quick.out_of_time() and quick.spent(1) == 1.0 and quick.seconds >= 0.02
    time.sleep(0.01)
    assert Budget(10).seconds_now >= 0 and not Budget(10).out_of_time()


def test_the_finite_loss_guard_names_the_step_and_the_last_finite_values():
    check_finite("loss", 0.5, 3)
    with pytest.raises(TrainingError, match=r"loss at step 7.*at step 6, were loss=0\.25"):
        check_finite("loss", float("nan"), 7, {"step": 6, "loss": 0.25})
    with pytest.raises(TrainingError, match="first step"):
        check_finite("loss", float("inf"), 1)


def test_keep_best_remembers_the_best_weights_and_runs_out_of_patience():
    model = torch.nn.Linear(2, 1)
    best = KeepBest(model, patience=2)
    with torch.no_grad():
        model.weight.fill_(1.0)
    assert best.update(0.5, step=10) and best.step == 10
    with torch.no_grad():
        model.weight.fill_(2.0)
    assert not best.update(0.7, step=20) and not best.stop
    assert not best.update(0.6, step=30) and best.stop
    best.restore()
    assert torch.all(model.weight == 1.0) and best.value == 0.5 and best.found


def test_history_is_columns_and_records_at_once():
    history = History()
    history.append(step=1, loss=0.5)
    history.append(step=2, loss=0.25)
    assert history.loss == [0.5, 0.25] and history["step"] == [1, 2] and len(history) == 2
    assert history[-1] == {"step": 2, "loss": 0.25} and list(history)[0] == {"step": 1, "loss": 0.5}
    assert History.from_dict(history.as_dict()).as_dict() == history.as_dict()
    assert History.from_dict([{"step": 1, "loss": 0.5}]).loss == [0.5]
    with pytest.raises(ArgumentError, match="fields"):
        history.append(step=3)
    with pytest.raises(AttributeError, match="no column"):
        history.accuracy
    assert History().last() is None


def test_a_run_saved_in_the_one_layout_resumes_and_is_recognised_when_finished(tmp_path):
    model, opt = torch.nn.Linear(3, 1), None
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = History({"step": [1, 2], "loss": [0.5, 0.4]})
    path = save_run(tmp_path / "run.pt", kind="sequence", model="tiny", model_config=Tiny(), train_config=Train(),
                    modules={"model": model}, optimizers={"optimizer": opt}, step=2, history=history, seconds=1.5,
                    extra={"data": "toy"})
    saved = load_checkpoint(path)
    assert saved.config == {"width": 3} and saved.config_type == "Tiny"
    assert {k: saved.extra[k] for k in ("kind", "model", "train", "seconds", "finished", "data")} == {
        "kind": "sequence", "model": "tiny", "train": {"steps": 10, "lr": 0.1, "seed": 0}, "seconds": 1.5,
        "finished": False, "data": "toy"}
    fresh = torch.nn.Linear(3, 1)
    resumed = resume_run(path, train_config=Train(steps=20), modules={"model": fresh})  # training longer is allowed
    assert resumed.step == 2 and resumed.history.loss == [0.5, 0.4] and resumed.seconds == 1.5
    assert torch.equal(fresh.weight, model.weight)
    with pytest.raises(CheckpointError, match=r"lr 0\.1 -> 0\.5"):
        resume_run(path, train_config=Train(lr=0.5), modules={"model": fresh})
    args = dict(kind="sequence", model="tiny", model_config=Tiny(), train_config=Train(), identity={"data": "toy"})
    assert finished_run(path, **args) is None                                       # not finished yet
    save_run(path, kind="sequence", model="tiny", model_config=Tiny(), train_config=Train(), modules={"model": model},
             step=10, history=history, finished=True, extra={"data": "toy"})
    assert finished_run(path, **args) is not None
    assert finished_run(path, **{**args, "identity": {"data": "other"}}) is None     # another run
    assert finished_run(path, **{**args, "train_config": Train(seed=1)}) is None
    assert finished_run(path, **{**args, "train_config": Train(seed=1)}, ignore=("seed",)) is not None
    assert finished_run(path, **{**args, "model_config": Tiny(4)}) is None
    assert finished_run(tmp_path / "missing.pt", **args) is None
    with pytest.raises(ArgumentError, match="layout"):
        save_run(path, kind="sequence", model="tiny", model_config=Tiny(), train_config=Train(),
                 modules={"model": model}, step=0, history=history, extra={"kind": "painter"})
    with pytest.raises(ArgumentError, match="kind"):
        save_run(path, kind="poem", model="tiny", model_config=Tiny(), train_config=Train(), modules={}, step=0,
                 history=history)


def test_every_loop_returns_the_one_result_shape():
    from artlab.data.toy import ring
    from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator
    from artlab.gan.train import TrainConfig as GANTrain, train_gan
    from artlab.seq.models import NetConfig, RecurrentNet
    from artlab.seq.train import TrainConfig as SeqTrain, fit, recall_loss
    from artlab.seq.tasks import N_NOTES, RECALL_VOCAB, first_note_batch

    g, d = MLPGenerator(GeneratorConfig(hidden=(8,))), MLPDiscriminator(DiscriminatorConfig(hidden=(8,)))
    gan = train_gan(g, d, ring().sample, GANTrain(steps=3, batch_size=8))
    net = RecurrentNet(NetConfig(vocab_size=RECALL_VOCAB, out_size=N_NOTES, hidden_size=4))
    seq = fit(net, lambda gen: recall_loss(net, *first_note_batch(4, 2, gen)), SeqTrain(steps=3, batch_size=4))
    for result in (gan, seq):
        assert isinstance(result, TrainResult) and result.steps == 3 and len(result.history) == 3
        assert result.seconds >= 0 and result.stopped == "steps" and result.models


@pytest.mark.parametrize("config", ["gan", "music", "seq"])
def test_every_train_config_speaks_the_same_vocabulary(config):
    from artlab.gan.train import TrainConfig as GANTrain
    from artlab.music.train import TrainConfig as MusicTrain
    from artlab.seq.train import TrainConfig as SeqTrain

    kind = {"gan": GANTrain, "music": MusicTrain, "seq": SeqTrain}[config]
    fields = {f.name for f in dataclasses.fields(kind)}
    assert {"steps", "lr", "max_grad_norm", "seed", "threads"} <= fields
    for bad in (dict(steps=-1), dict(lr=0), dict(max_grad_norm=0.0), dict(threads=0), dict(seed=-3)):
        with pytest.raises(ArgumentError, match=next(iter(bad))):
            kind(**bad)
