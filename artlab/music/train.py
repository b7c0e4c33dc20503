"""Training a composer: one loop for every model that maps tokens to next-token logits. Lesson 07.

The loop knows nothing about the model beyond ``model(tokens) -> logits`` (see
:mod:`artlab.music.models`), so the LSTM of lesson 07 and the transformer of lesson 08
train here alike. Each step is :func:`training_step`::

    logits = model(tokens[:, :-1])                     # (B, T-1, V)
    loss   = mean over non-padding targets of -log softmax(logits)[tokens[:, 1:]]
    loss.backward(); clip the gradient norm; optimizer.step()

Around it, :func:`train_composer`:

* draws batches of whole melodies of similar length (padding wasted stays small; a melody
  longer than ``max_len`` tokens contributes its beginning);
* optionally transposes each melody by a random interval (``transpose``: augmentation);
* warms the learning rate up, then decays it along a cosine to 10% over the budget
  (``steps`` or ``max_seconds``, whichever runs out first);
* every ``eval_every`` steps measures the validation NLL per token, keeps the best
  weights, writes them to a checkpoint (with the model's config and the vocabulary, so
  :func:`artlab.music.models.load_composer` rebuilds it in a fresh process) and stops
  early after ``patience`` evaluations without improvement;
* stops when ``steps`` are done or ``max_seconds`` of wall-clock time are spent, whichever
  comes first, and returns the model holding its best weights.

The same seed on the same machine gives the same model as long as the step budget runs
out before the time budget (time depends on the machine and on what else it is doing).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from artlab.checkpoint import save_checkpoint
from artlab.errors import ArgumentError, TrainingError
from artlab.music.encoding import Vocabulary
from artlab.music.metrics import evaluate_nll
from artlab.runtime import cpu_threads, progress  # cpu_threads: re-exported for lesson 07

__all__ = ["TrainConfig", "TrainResult", "training_step", "make_batches", "train_composer", "lr_at", "cpu_threads"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train a composer (the model's own shape is in its config)."""

    steps: int = 3000              # optimizer steps at most
    max_seconds: float | None = 180.0   # wall-clock budget, evaluations included (None: no limit)
    batch_size: int = 32           # melodies per batch
    max_len: int = 1024            # a longer melody trains on its first max_len + 1 tokens
    lr: float = 3e-3               # peak learning rate (Adam)
    warmup: int = 100              # steps of linear warm-up
    weight_decay: float = 0.0      # AdamW weight decay
    clip: float = 1.0              # gradient-norm clipping
    transpose: int = 0             # augment: move each melody by a random -transpose..+transpose semitones
    eval_every: int = 200          # steps between validation measurements
    eval_melodies: int | None = 400  # validation melodies used during training (None: all)
    patience: int = 4              # evaluations without improvement before stopping early
    seed: int = 0
    threads: int | None = 1        # CPU threads while training (None: PyTorch's default); see cpu_threads

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "max_len", "eval_every", "patience"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentError(f"TrainConfig({name})", expected="a whole number >= 1", got=value)
        if self.max_seconds is not None and self.max_seconds <= 0:
            raise ArgumentError("TrainConfig(max_seconds)", expected="seconds > 0, or None", got=self.max_seconds)
        if self.lr <= 0:
            raise ArgumentError("TrainConfig(lr)", expected="a learning rate > 0", got=self.lr)


@dataclass
class TrainResult:
    """What happened: the history, the best validation NLL, and why training stopped."""

    steps: int
    seconds: float
    best_step: int
    best_valid_nll: float              # nats per token on the validation melodies used
    stopped: str                       # "steps", "time budget" or "early stopping"
    history: list[dict] = field(default_factory=list)
    checkpoint: Path | None = None


def lr_at(step: int, config: TrainConfig, seconds: float = 0.0) -> float:
    """Linear warm-up to ``lr``, then a cosine decay to ``lr / 10`` at the end of the budget.

    The budget is spent by steps or by seconds, whichever runs out first, so the decay
    follows ``max(step / steps, seconds / max_seconds)``: on a slow machine the learning
    rate still reaches its end value when the time is up.
    """
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    done = (step - config.warmup) / max(1, config.steps - config.warmup)
    if config.max_seconds:
        done = max(done, seconds / config.max_seconds)
    done = min(1.0, done)
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


def training_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, tokens: torch.Tensor, *,
                  pad: int = 0, clip: float | None = 1.0) -> float:
    """One step on a batch of token ids (B, T): returns the mean NLL per target token (nats)."""
    model.train()
    logits = model(tokens[:, :-1])                                   # (B, T-1, V)
    targets = tokens[:, 1:]                                          # (B, T-1)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
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
    """Train ``model`` on token sequences; return a :class:`TrainResult` (the model keeps its best weights)."""
    if len(train) == 0 or len(valid) == 0:
        raise ArgumentError("train_composer(train, valid)", expected="non-empty lists of token sequences",
                            got=f"<{len(train)} train, {len(valid)} valid>")
    if not hasattr(model, "config"):
        raise ArgumentError("train_composer(model)", expected="a composer with a .config (artlab.music.models)",
                            got=type(model).__name__)
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    eval_set = list(valid)
    if config.eval_melodies is not None and len(eval_set) > config.eval_melodies:
        pick = np.random.default_rng(config.seed + 1).choice(len(eval_set), config.eval_melodies, replace=False)
        eval_set = [eval_set[i] for i in sorted(pick)]
    batches = make_batches(train, config, rng, vocab)
    history: list[dict] = []
    best = (math.inf, 0, copy.deepcopy(model.state_dict()))
    stale, stopped, step, recent = 0, "steps", 0, []
    path = Path(checkpoint) if checkpoint is not None else None
    bar = progress(total=config.steps, desc=desc)
    with cpu_threads(config.threads if device.type == "cpu" else None):
        try:
            while step < config.steps:
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(step, config, time.perf_counter() - started)
                loss = training_step(model, optimizer, next(batches).to(device), pad=vocab.pad, clip=config.clip)
                if not math.isfinite(loss):
                    raise TrainingError(f"{desc}, step {step}", expected="a finite loss", got=loss,
                                        hint="Lower the learning rate (TrainConfig(lr=...)) or the clip value.")
                recent.append(loss)
                step += 1
                bar.update(1)
                out_of_time = config.max_seconds is not None and time.perf_counter() - started > config.max_seconds
                if step % config.eval_every == 0 or step == config.steps or out_of_time:
                    valid_nll = evaluate_nll(model, eval_set, vocab).per_token
                    history.append({"step": step, "seconds": time.perf_counter() - started,
                                    "train_nll": float(np.mean(recent)), "valid_nll": valid_nll})
                    recent = []
                    bar.set_postfix(train=f"{history[-1]['train_nll']:.3f}", valid=f"{valid_nll:.3f}")
                    if valid_nll < best[0]:
                        best, stale = (valid_nll, step, copy.deepcopy(model.state_dict())), 0
                        if path is not None:
                            _save(path, model, optimizer, vocab, config, step, history)
                    else:
                        stale += 1
                        if stale >= config.patience:
                            stopped = "early stopping"
                            break
                if out_of_time:
                    stopped = "time budget"
                    break
        finally:
            bar.close()
    if not math.isfinite(best[0]):  # every validation gave NaN/inf: no weights are worth keeping
        raise TrainingError(f"{desc}: validation", expected="a finite validation NLL",
                            got=history[-1]["valid_nll"] if history else "<no validation>",
                            hint="Lower the learning rate (TrainConfig(lr=...)) and check the validation melodies.")
    model.load_state_dict(best[2])
    model.eval()
    return TrainResult(steps=step, seconds=time.perf_counter() - started, best_step=best[1],
                       best_valid_nll=best[0], stopped=stopped, history=history, checkpoint=path)


def _save(path: Path, model, optimizer, vocab: Vocabulary, config: TrainConfig, step: int, history) -> None:
    save_checkpoint(path, modules={"model": model}, optimizers={"optimizer": optimizer}, step=step,
                    config=model.config,
                    extra={"vocab": vocab.to_dict(), "train_config": dataclasses.asdict(config),
                           "history": [dict(h) for h in history]})
