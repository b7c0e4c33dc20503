"""Training the recurrent networks of lesson 05: teacher forcing, the memory task, accuracy per gap.

* :func:`teacher_forcing_loss`: a language model reads the *true* tokens x_1..x_{T-1} and
  is scored on predicting x_2..x_T, every step at once:
  ``L = -1/(B(T-1)) Σ_b Σ_t log p(x_{t+1} | x_1..x_t)``.
* :func:`recall_loss`: the first-note task's cross-entropy on the last step's answer.
* :func:`fit`: the loop (Adam, gradient clipping with :func:`artlab.seq.bptt.clip_grad_norm_`),
  on the shared scaffold of :mod:`artlab.training` (the finite-loss guard, the progress bar, one
  :class:`~artlab.training.TrainResult`); it knows nothing of the model.
* :func:`train_language_model`: a next-token model trained with teacher forcing.
* :func:`train_recaller` and :func:`accuracy_by_gap`: lesson 05's experiment, one fresh
  network per cell kind, gap and seed, trained on the same budget.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artlab.errors import ArgumentError, whole_number
from artlab.runtime import cpu_threads
from artlab.seq.bptt import clip_grad_norm_
from artlab.seq.models import NetConfig, RecurrentNet
from artlab.seq.tasks import N_NOTES, RECALL_VOCAB, first_note_batch
from artlab.training import Budget, History, Progress, TrainResult, check_common, check_finite

__all__ = ["TrainConfig", "teacher_forcing_loss", "recall_loss", "fit", "train_language_model",
           "recall_accuracy", "train_recaller", "accuracy_by_gap"]


@dataclass(frozen=True)
class TrainConfig:
    """How long and how fast to train."""

    steps: int = 800            # optimizer steps
    batch_size: int = 64        # sequences per step
    lr: float = 1e-2            # Adam's learning rate
    max_grad_norm: float = 1.0  # clip ‖g‖ to this before each step
    seed: int = 0               # seeds the initial weights and the batches
    stop_loss: float = 0.0      # stop early once the mean loss of the last 20 steps is below this
    threads: int | None = None  # PyTorch CPU threads while training (None: leave the setting alone)

    def __post_init__(self) -> None:
        check_common("TrainConfig", self)
        whole_number(self.batch_size, "TrainConfig(batch_size)")


def teacher_forcing_loss(model: RecurrentNet, tokens: Tensor) -> Tensor:
    """Next-token cross-entropy with the true previous tokens as inputs (teacher forcing).

    tokens (B, T): the model reads tokens[:, :-1] and predicts tokens[:, 1:].
    """
    if tokens.dim() != 2 or tokens.shape[1] < 2:
        raise ArgumentError("teacher_forcing_loss(tokens)", expected="a tensor (B, T) with T >= 2",
                            got=f"<shape {tuple(tokens.shape)}>")
    logits, _ = model(tokens[:, :-1])                      # (B, T-1, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))


def recall_loss(model: RecurrentNet, tokens: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy of the answer read at the last step: ``-log p(first note | x_1..x_T)``."""
    return F.cross_entropy(model.last_logits(tokens), targets)


def fit(model: nn.Module, loss_of_batch: Callable[[torch.Generator], Tensor], config: TrainConfig,
        desc: str = "training") -> TrainResult:
    """Minimise ``loss_of_batch(generator)`` for ``config.steps`` Adam steps.

    *loss_of_batch* draws its batch from the generator it is given (seeded with config.seed),
    so the same config gives the same run. Training stops early once the mean of the last 20
    losses is below ``config.stop_loss``. The result's history has one record per step
    (``step``, ``loss``).
    """
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history, budget = History(), Budget(config.steps)
    stopped = "steps"
    with cpu_threads(config.threads), Progress(config.steps, desc=desc, leave=False) as bar:
        for step in range(1, config.steps + 1):
            loss = loss_of_batch(generator)
            check_finite(desc, loss.item(), step, history.last(), hint="Lower the learning rate or max_grad_norm.")
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model, config.max_grad_norm)
            optimizer.step()
            history.append(step=step, loss=loss.item())
            bar.update(step)
            if step >= 20 and sum(history.loss[-20:]) / 20 < config.stop_loss:
                stopped = "loss below stop_loss"
                break
    return TrainResult(steps=len(history), seconds=budget.seconds, history=history, stopped=stopped, models={"model": model},
                       optimizers={"optimizer": optimizer})


def train_language_model(batch_of_tokens: Callable[[torch.Generator], Tensor], net: NetConfig,
                         train: TrainConfig = TrainConfig()) -> tuple[RecurrentNet, TrainResult]:
    """A fresh :class:`RecurrentNet` trained with teacher forcing on ``batch_of_tokens(generator)``.

    *net* must have ``out_size == vocab_size``: the model predicts the next token.
    """
    if net.out_size != net.vocab_size:
        raise ArgumentError("train_language_model(net)", expected="out_size == vocab_size",
                            got=f"<out_size {net.out_size}, vocab_size {net.vocab_size}>",
                            hint="A language model predicts the next token from the same vocabulary.")
    torch.manual_seed(train.seed)
    model = RecurrentNet(net)

    def loss_of_batch(generator: torch.Generator) -> Tensor:
        return teacher_forcing_loss(model, batch_of_tokens(generator))

    return model, fit(model, loss_of_batch, train, desc=f"{net.cell} language model")


@torch.no_grad()
def recall_accuracy(model: RecurrentNet, gap: int, n: int = 1000, seed: int = 12345) -> float:
    """Share of *n* fresh first-note sequences with this *gap* whose first note is recalled."""
    tokens, targets = first_note_batch(n, gap, torch.Generator().manual_seed(seed))
    return (model.last_logits(tokens).argmax(dim=-1) == targets).float().mean().item()


def train_recaller(cell: str, gap: int, train: TrainConfig = TrainConfig(),
                   net: NetConfig = NetConfig()) -> tuple[RecurrentNet, TrainResult]:
    """A fresh :class:`RecurrentNet` with *cell*, trained on first-note sequences with *gap*."""
    torch.manual_seed(train.seed)
    model = RecurrentNet(dataclasses.replace(net, cell=cell, vocab_size=RECALL_VOCAB, out_size=N_NOTES))

    def loss_of_batch(generator: torch.Generator) -> Tensor:
        return recall_loss(model, *first_note_batch(train.batch_size, gap, generator))

    return model, fit(model, loss_of_batch, train, desc=f"{cell}, gap {gap}")


def accuracy_by_gap(cells: Sequence[str], gaps: Sequence[int], train: TrainConfig = TrainConfig(),
                    net: NetConfig = NetConfig(), seeds: Sequence[int] = (0,),
                    n_test: int = 1000) -> dict[str, list[list[float]]]:
    """Lesson 05's experiment: for each cell kind, gap and seed, train a fresh network and test it.

    Returns ``{cell: [[accuracy for each seed] at gaps[0], [...] at gaps[1], ...]}``. Several
    seeds show how much a result owes to luck: the best seed says what the cell *can* learn,
    the worst what it learns *reliably*.
    """
    results: dict[str, list[list[float]]] = {}
    for cell in cells:
        results[cell] = []
        for gap in gaps:
            row = []
            for seed in seeds:
                model, _ = train_recaller(cell, gap, dataclasses.replace(train, seed=seed), net)
                row.append(recall_accuracy(model, gap, n=n_test))
            results[cell].append(row)
    return results
