"""The diffusion training loop: one noise-prediction step at a time, on the shared scaffold.

One training step (lesson 10, ``notebooks/10_painting_by_denoising.ipynb``), :func:`diffusion_step`:

    t, eps = training_inputs(schedule, x0)          # t ~ Uniform{0..T-1}, eps ~ N(0, I)
    labels = drop_labels(labels, p_uncond, K)       # classifier-free guidance learns "no label" too
    loss   = || eps - eps_theta(x_t, t, labels) ||^2,  x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps

then one Adam step (the gradient's norm clipped to ``max_grad_norm`` if set). :func:`train_diffusion`
repeats it with what :mod:`artlab.training` gives every loop: the learning-rate schedule, a step
and time :class:`~artlab.training.Budget`, the finite-loss guard, a progress bar, a
:class:`~artlab.training.History` of the loss, a moving average of the weights (``ema``), and the
one checkpoint layout with exact resume.

The model is a :class:`~artlab.diffusion.painter.DiffusionPainter` (its denoiser and schedule are
trained and used, and its checkpoint loads with :func:`artlab.painters.load_painter`), or any
denoiser ``model(x_t, t, labels) -> eps`` (the MLP of lesson 10's grid) with its ``schedule``.
``data`` is a sampler ``data(batch_size)`` returning ``x`` or ``(x, labels)`` drawn from PyTorch's
global generator (``ImageSet.sampler``, ``grid().sample``), so a seeded run repeats and resumes exactly.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artlab.diffusion.losses import drop_labels, noise_prediction_loss, training_inputs
from artlab.diffusion.schedule import NoiseSchedule
from artlab.errors import ArgumentError, probability, real_number, whole_number
from artlab.runtime import cpu_threads, device_of, set_seed
from artlab.training import (Budget, History, Progress, TrainResult, check_common, check_finite, ema_update,
                             resume_run, save_run, scheduled_lr, set_lr)

__all__ = ["TrainConfig", "diffusion_step", "train_diffusion", "painter_of"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a diffusion training run (saved in its checkpoints)."""

    steps: int = 3_200                  # optimiser steps in the whole run
    lr: float = 4e-3                    # Adam's peak learning rate
    batch_size: int = 64                # examples per step
    schedule: str = "warmup_cosine"     # learning-rate schedule (artlab.training.scheduled_lr)
    lr_end: float = 0.0                 # the rate at the last step, as a share of lr
    warmup: int = 100                   # steps of linear warm-up (warmup_cosine)
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's betas
    max_grad_norm: float | None = None  # clip the gradient's norm to this (None: no clipping)
    ema: float = 0.995                  # decay of the weights' moving average per step (0: none)
    p_uncond: float = 0.0               # share of labels replaced by "no label" (classifier-free guidance)
    checkpoint_every: int = 0           # save every this many steps (0: only at the end)
    seed: int | None = None             # seed the batches and the noise at the start (None: leave them)
    threads: int | None = None          # PyTorch CPU threads while training (None: leave the setting alone)
    max_seconds: float | None = None    # stop when this much time is spent (None: no limit)

    def __post_init__(self) -> None:
        check_common("TrainConfig", self)
        whole_number(self.batch_size, "TrainConfig(batch_size)")
        whole_number(self.checkpoint_every, "TrainConfig(checkpoint_every)", low=0)
        real_number(self.ema, "TrainConfig(ema)", low=0.0, high=1.0, high_open=True,
                    hint="0: no average; 0.995 averages about the last 200 steps.")
        probability(self.p_uncond, "TrainConfig(p_uncond)", hint="0.1 to 0.2 for classifier-free guidance.")
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))


def diffusion_step(model: nn.Module, optimizer: torch.optim.Optimizer, schedule: NoiseSchedule, x0: torch.Tensor,
                   labels: torch.Tensor | None = None, *, p_uncond: float = 0.0,
                   max_grad_norm: float | None = None) -> float:
    """One optimiser step on the noise-prediction loss of a batch ``x0`` (B, ...); returns the loss."""
    t, noise = training_inputs(schedule, x0)
    if labels is not None and p_uncond > 0:
        labels = drop_labels(labels, p_uncond, model.num_classes)
    loss = noise_prediction_loss(model, schedule, x0, t, noise, labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return float(loss.detach())


def painter_of(result: TrainResult) -> nn.Module:
    """What paints (or denoises) after training: the moving average of the weights if kept, else the model."""
    return result.models.get("model_ema", result.models["model"])


def _parts(model: nn.Module, schedule: NoiseSchedule | None) -> tuple[nn.Module, NoiseSchedule]:
    """The denoiser to train and its schedule, from a DiffusionPainter or a bare denoiser."""
    if hasattr(model, "denoiser") and hasattr(model, "schedule"):
        if schedule is not None and schedule is not model.schedule:
            raise ArgumentError("train_diffusion(schedule)", expected="None: a DiffusionPainter brings its own",
                                got=schedule)
        return model.denoiser, model.schedule
    if not isinstance(schedule, NoiseSchedule):
        raise ArgumentError("train_diffusion(schedule)", expected="the NoiseSchedule of a bare denoiser",
                            got=schedule, hint="Pass schedule=cosine_schedule(T), or train a DiffusionPainter.")
    return model, schedule


def _batch(data: Callable[[int], Any], batch_size: int, device: torch.device):
    batch = data(batch_size)
    if isinstance(batch, torch.Tensor):
        return batch.to(device), None
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and isinstance(batch[0], torch.Tensor):
        return batch[0].to(device), batch[1].to(device)
    raise ArgumentError("a batch of train_diffusion(data)", expected="a tensor x or a pair (x, labels)",
                        got=f"<a {type(batch).__name__}>")


def train_diffusion(model: nn.Module, data: Callable[[int], Any], config: TrainConfig = TrainConfig(), *,
                    schedule: NoiseSchedule | None = None, checkpoint: str | Path | None = None,
                    resume_from: str | Path | None = None, stop_at: int | None = None,
                    device: torch.device | str | None = None, desc: str = "training diffusion",
                    extra: Mapping[str, Any] | None = None) -> TrainResult:
    """Train ``model`` (a DiffusionPainter, or a denoiser with its ``schedule``) on ``data`` for
    ``config.steps`` steps or ``config.max_seconds`` seconds, whichever ends first.

    ``checkpoint``: a file to save to (every ``config.checkpoint_every`` steps and at the end), kind
    ``"painter"``, model ``"diffusion"`` for a DiffusionPainter. ``stop_at``: stop after this step
    and save, as if interrupted; ``resume_from`` then continues exactly where it stopped (same
    batches, noise, weights and learning rates; ``config.steps`` may grow). ``extra``: more values
    for the checkpoint (the data's name, the seed). Returns a :class:`~artlab.training.TrainResult`
    whose ``models`` are ``model`` and (``config.ema > 0``) ``model_ema``; :func:`painter_of` picks one.
    """
    if not callable(data):
        raise ArgumentError("train_diffusion(data)", expected="a sampler data(batch_size)",
                            got=f"<a {type(data).__name__}>", hint="For images pass images.sampler(); for points grid().sample.")
    denoiser, noise = _parts(model, schedule)
    if config.p_uncond > 0 and not getattr(denoiser, "num_classes", 0):
        raise ArgumentError("TrainConfig(p_uncond)", expected="0 for a model without classes", got=config.p_uncond)
    if config.seed is not None:
        set_seed(config.seed)
    device = device_of(model, device)
    model.to(device).train()
    optimizer = torch.optim.Adam(denoiser.parameters(), lr=config.lr, betas=config.betas)
    modules: dict[str, nn.Module] = {"model": model}
    if config.ema > 0:
        modules["model_ema"] = copy.deepcopy(model).requires_grad_(False)
    history, start, seconds_before = History(), 0, 0.0
    if resume_from is not None:
        resumed = resume_run(resume_from, train_config=config, modules=modules, optimizers={"model": optimizer},
                             may_change=("steps", "checkpoint_every", "threads"))
        start, history, seconds_before = resumed.step, resumed.history, resumed.seconds
    budget = Budget(config.steps, config.max_seconds, seconds_before=seconds_before)
    name = "diffusion" if hasattr(model, "denoiser") else type(model).__name__
    model_config = getattr(model, "config", None)

    def save(step: int, finished: bool) -> None:
        if checkpoint is not None:
            save_run(checkpoint, kind="painter", model=name, model_config=model_config, train_config=config,
                     modules=modules, step=step, history=history, optimizers={"model": optimizer},
                     seconds=budget.seconds, finished=finished,
                     extra={**(extra or {}), "paints_with": "model_ema" if "model_ema" in modules else "model"})

    end = config.steps if stop_at is None else min(max(int(stop_at), start), config.steps)
    step, stopped = start, "steps"
    with cpu_threads(config.threads), Progress(config.steps, initial=start, desc=desc) as bar:
        while step < end:
            if budget.out_of_time():
                stopped = "time budget"
                break
            done = budget.spent(step, config.warmup) if config.max_seconds else None
            set_lr(optimizer, scheduled_lr(config.lr, config.schedule, step, config.steps, lr_end=config.lr_end,
                                           warmup=config.warmup, done=done))
            x0, labels = _batch(data, config.batch_size, device)
            loss = diffusion_step(denoiser, optimizer, noise, x0, labels, p_uncond=config.p_uncond,
                                  max_grad_norm=config.max_grad_norm)
            step += 1
            check_finite("noise-prediction loss", loss, step, history.last())
            if "model_ema" in modules:
                ema_update(modules["model_ema"], model, config.ema)
            history.append(step=step, loss=loss)
            if config.checkpoint_every and step % config.checkpoint_every == 0 and step < end:
                save(step, finished=False)
            bar.update(step, loss=loss)
    save(step, finished=step >= config.steps or stopped == "time budget")
    return TrainResult(steps=step, seconds=budget.seconds, history=history, stopped=stopped,
                       checkpoint=Path(checkpoint) if checkpoint is not None else None, models=modules,
                       optimizers={"model": optimizer})
