"""Training a composer: the loop for every model that maps tokens to next-token logits. Lesson 07.

The loop knows nothing about the model beyond the composer contract of
:mod:`artlab.music.composers` (``model(tokens) -> logits``), so the LSTM of lesson 07 and the
transformer of lesson 08 train here alike. Each step is :func:`training_step`::

    logits = model(tokens[:, :-1])                     # (B, T-1, V)
    loss   = mean over non-padding targets of -log softmax(logits)[tokens[:, 1:]]
    loss.backward(); clip the gradient norm; optimizer.step()

Around it, :func:`train_composer` uses the shared scaffold of :mod:`artlab.training`:

* batches of whole melodies of similar length (padding wasted stays small; a melody
  longer than ``max_len`` tokens contributes its beginning), optionally transposed by a
  random interval (``transpose``: augmentation);
* the learning rate warms up, then decays along a cosine to ``lr * lr_end`` over the budget
  (``steps`` or ``max_seconds``, whichever runs out first);
* every ``eval_every`` steps the validation NLL per token; the best weights are kept
  (:class:`~artlab.training.KeepBest`) and written to the checkpoint (with the model's config
  and the vocabulary, so :func:`artlab.music.composers.load_composer` rebuilds it in a fresh
  process); training stops early after ``patience`` evaluations without improvement;
* it returns a :class:`~artlab.training.TrainResult`, the model holding its best weights.

The same seed on the same machine gives the same model as long as the step budget runs
out before the time budget (time depends on the machine and on what else it is doing): the
time's share of the budget is counted from the end of the warm-up, like the steps' share, so it
only steers the schedule when it would run out first.

Under ``torchrun`` (:mod:`artlab.distributed`, appendix 11) ``batch_size`` is the global batch:
every process draws the same batch and trains on its block of rows, its gradient weighted by
its share of the batch's non-padding tokens, so the step is the one a single process takes;
the validation melodies are split between the processes and their NLL summed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from artlab import distributed
from artlab.errors import ArgumentError, TrainingError, whole_number
from artlab.music.metrics import NLLReport, evaluate_nll, sequence_nll
from artlab.music.tokens import Vocabulary
from artlab.runtime import cpu_threads  # re-exported for lesson 07
from artlab.training import (Budget, History, KeepBest, Progress, TrainResult, budget_share, check_common,
                             check_finite, save_run, scheduled_lr, set_lr)

__all__ = ["TrainConfig", "training_step", "make_batches", "train_composer", "lr_at", "cpu_threads"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train a composer (the model's own shape is in its config)."""

    steps: int = 3000              # optimizer steps at most
    max_seconds: float | None = 180.0   # wall-clock budget, evaluations included (None: no limit)
    batch_size: int = 32           # melodies per batch
    max_len: int = 1024            # a longer melody trains on its first max_len + 1 tokens
    lr: float = 3e-3               # peak learning rate (AdamW)
    schedule: str = "warmup_cosine"  # see artlab.training.scheduled_lr
    warmup: int = 100              # steps of linear warm-up
    lr_end: float = 0.1            # the rate at the end of the budget, as a fraction of lr
    weight_decay: float = 0.0      # AdamW weight decay
    max_grad_norm: float | None = 1.0  # clip the gradient's norm to this (None: no clipping)
    transpose: int = 0             # augment: move each melody by a random -transpose..+transpose semitones
    eval_every: int = 200          # steps between validation measurements
    eval_melodies: int | None = 400  # validation melodies used during training (None: all)
    patience: int = 4              # evaluations without improvement before stopping early
    seed: int = 0                  # seeds the batches, the augmentation and dropout
    threads: int | None = 1        # CPU threads while training (None: PyTorch's default); see cpu_threads

    def __post_init__(self) -> None:
        check_common("TrainConfig", self)
        for name in ("steps", "batch_size", "max_len", "eval_every", "patience"):
            whole_number(getattr(self, name), f"TrainConfig({name})")
        whole_number(self.transpose, "TrainConfig(transpose)", low=0, high=11, unit="semitones")
        if self.eval_melodies is not None:
            whole_number(self.eval_melodies, "TrainConfig(eval_melodies)", hint="None: every validation melody.")


def lr_at(step: int, config: TrainConfig, seconds: float = 0.0, warm_seconds: float = 0.0) -> float:
    """The learning rate at ``step`` after ``seconds`` of training (``warm_seconds``: when the warm-up
    ended): the config's schedule, whose decay follows the larger of the steps' and the seconds' share
    of the budget (:func:`artlab.training.budget_share`), so on a slow machine the rate still reaches
    its end value when the time is up, and a run whose steps run out first is repeatable."""
    done = budget_share(step, config.steps, config.warmup, seconds, config.max_seconds, warm_seconds)
    return scheduled_lr(config.lr, config.schedule, step, config.steps, lr_end=config.lr_end, warmup=config.warmup,
                        done=done)


def training_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, tokens: torch.Tensor, *,
                  pad: int = 0, max_grad_norm: float | None = 1.0) -> float:
    """One step on a batch of token ids (B, T): returns the mean NLL per target token (nats), measured
    before the update. ``max_grad_norm``: clip the gradient's norm to it (``None``: no clipping)."""
    model.train()
    logits = model(tokens[:, :-1])                                   # (B, T-1, V)
    targets = tokens[:, 1:]                                          # (B, T-1)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if max_grad_norm:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return float(loss.detach())


def make_batches(sequences: Sequence[Sequence[int]], config: TrainConfig, rng: np.random.Generator,
                 vocab: Vocabulary | None = None):
    """Endless batches (B, T) of whole melodies of similar length, padded with ``<pad>`` (0)."""
    lengths = np.array([len(s) for s in sequences])
    b = config.batch_size
    while True:
        order = rng.permutation(len(sequences))
        batches = []
        for start in range(0, len(order), 50 * b):  # sort within chunks: similar lengths, still random
            chunk = order[start:start + 50 * b]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i:i + b] for i in range(0, len(chunk), b))
        for index in rng.permutation(len(batches)):
            rows = []
            for i in batches[index]:
                tokens = list(sequences[i])
                if config.transpose and vocab is not None:
                    shift = int(rng.integers(-config.transpose, config.transpose + 1))
                    tokens = vocab.transpose_tokens(tokens, shift) or tokens
                tokens = tokens[: config.max_len + 1]  # keeps the header (meter, key, upbeat)
                rows.append(tokens)
            longest = max(len(r) for r in rows)
            batch = torch.zeros((len(rows), longest), dtype=torch.long)  # 0 is <pad>
            for row, tokens in enumerate(rows):
                batch[row, : len(tokens)] = torch.as_tensor(tokens)
            yield batch


def train_composer(model: torch.nn.Module, train: Sequence[Sequence[int]], valid: Sequence[Sequence[int]],
                   vocab: Vocabulary, config: TrainConfig = TrainConfig(), *,
                   checkpoint: str | os.PathLike | None = None, desc: str = "training") -> TrainResult:
    """Train ``model`` on token sequences; return a :class:`~artlab.training.TrainResult` (the model keeps
    its best weights; ``best_value`` is the best validation NLL in nats per token)."""
    if len(train) == 0 or len(valid) == 0:
        raise ArgumentError("train_composer(train, valid)", expected="non-empty lists of token sequences",
                            got=f"<{len(train)} train, {len(valid)} valid>")
    if not hasattr(model, "config"):
        raise ArgumentError("train_composer(model)", expected="a composer with a .config (artlab.music.composers)",
                            got=type(model).__name__)
    here = distributed.init()  # under torchrun: this process's place in the group; else one process
    distributed.check_batch(config.batch_size, here, "TrainConfig")
    budget = Budget(config.steps, config.max_seconds)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)  # the same batches on every process
    device = next(model.parameters()).device if here.device is None else here.device
    model.to(device)
    trainer = distributed.wrap(model, here)  # several processes: DDP; else the model itself
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    eval_set = list(valid)
    if config.eval_melodies is not None and len(eval_set) > config.eval_melodies:
        pick = np.random.default_rng(config.seed + 1).choice(len(eval_set), config.eval_melodies, replace=False)
        eval_set = [eval_set[i] for i in sorted(pick)]
    batches = make_batches(train, config, rng, vocab)
    history = History()
    best = KeepBest(model, patience=config.patience)
    stopped, step, recent = "steps", 0, []
    path = Path(checkpoint) if checkpoint is not None else None

    def save(finished: bool) -> None:
        if path is not None:
            save_run(path, kind="composer", model=_registry_name(model), model_config=model.config,
                     train_config=config, modules={"model": model}, optimizers={"optimizer": optimizer},
                     step=step, history=history, seconds=budget.seconds, finished=finished,
                     extra={"vocab": vocab.to_dict(), "best_step": best.step, "best_value": best.value,
                            "stopped": stopped})

    with cpu_threads(config.threads if device.type == "cpu" else None), Progress(config.steps, desc=desc) as bar:
        while step < config.steps:
            if step == config.warmup:
                budget.warm_seconds = budget.seconds  # the time share of the budget starts here, with the steps'
            set_lr(optimizer, lr_at(step, config, budget.seconds, budget.warm_seconds or 0.0))
            tokens, share = next(batches).to(device), 1.0  # (B, T): the global batch
            if here.size > 1:  # this process's rows, weighted by their share of the batch's targets
                targets = (tokens[:, 1:] != vocab.pad).sum()
                tokens = distributed.shard(tokens, here)
                share = float((tokens[:, 1:] != vocab.pad).sum() / targets)
                distributed.set_share(trainer, share)
            with distributed.local_randomness(config.seed, step, 0, here):
                loss = training_step(trainer, optimizer, tokens, pad=vocab.pad, max_grad_norm=config.max_grad_norm)
            (loss,) = distributed.average([loss], share, here)
            check_finite(f"{desc}: training loss", loss, step, history.last(),
                         hint="Lower the learning rate (TrainConfig(lr=...)) or max_grad_norm.")
            recent.append(loss)
            step += 1
            bar.update(step)
            out_of_time = budget.out_of_time()
            if step % config.eval_every == 0 or step == config.steps or out_of_time:
                valid_nll = _valid_nll(model, eval_set, vocab, here)
                history.append(step=step, seconds=budget.seconds, train_nll=float(np.mean(recent)), valid_nll=valid_nll)
                recent = []
                bar.show(train=history.train_nll[-1], valid=valid_nll)
                if best.update(valid_nll, step):
                    save(finished=False)  # the best weights so far survive an interruption
                elif best.stop:
                    stopped = "early stopping"
                    break
            if out_of_time:
                stopped = "time budget"
                break
    if not best.found:  # every validation gave NaN/inf: no weights are worth keeping
        raise TrainingError(f"{desc}: validation", expected="a finite validation NLL",
                            got=history.valid_nll[-1] if len(history) else "<no validation>",
                            hint="Lower the learning rate (TrainConfig(lr=...)) and check the validation melodies.")
    best.restore()
    model.eval()
    save(finished=True)
    return TrainResult(steps=step, seconds=budget.seconds, history=history, stopped=stopped, best_step=best.step,
                       best_value=best.value, checkpoint=path, models={"model": model},
                       optimizers={"optimizer": optimizer})


def _valid_nll(model: torch.nn.Module, melodies: Sequence[Sequence[int]], vocab: Vocabulary,
               here: distributed.World) -> float:
    """Validation NLL per token; several processes score every W-th melody each and add up."""
    if here.size == 1:
        return evaluate_nll(model, melodies, vocab).per_token
    mine = list(range(here.rank, len(melodies), here.size))
    totals = np.zeros(len(melodies))
    if mine:
        totals[mine] = sequence_nll(model, [melodies[i] for i in mine], pad=vocab.pad)
    totals = distributed.average(list(totals), 1.0, here)  # every melody's NLL, on every process
    return NLLReport(float(np.sum(totals)), sum(len(s) - 1 for s in melodies),
                     sum(vocab.events_of(s) for s in melodies)).per_token


def _registry_name(model: torch.nn.Module) -> str:
    from artlab.registry import COMPOSERS

    return COMPOSERS.name_of(model.config)
