"""The GAN training loop: alternating discriminator and generator steps.

One training step (lesson 02, ``notebooks/02_gan_training_loop.ipynb``):

1. ``n_critic`` times, :func:`d_step`: draw real ``x_real`` and noise ``z``, make
   ``x_fake = G(z)`` without tracking G, and take one optimiser step on D's loss
   -E[log D(x_real)] - E[log(1 - D(x_fake))] (+ a penalty such as gamma/2 * R1);
2. :func:`g_step`: draw fresh ``z`` and take one optimiser step on G's loss, for example
   the non-saturating -E[log D(G(z))], through a frozen D.

:func:`train_gan` repeats this and does the rest: learning-rate decay, a
:class:`History` of losses and mean D outputs, :class:`Snapshot` s at chosen steps (for
the replay slider), checkpoints that resume exactly (:mod:`artlab.checkpoint`), a
progress bar, and a :class:`~artlab.errors.TrainingError` as soon as a loss is NaN or
infinite. It knows nothing about the data or the models:

* ``data`` is a sampler ``data(batch_size)`` (as ``artlab.data.toy.ring().sample``) or
  any iterable of batches (a ``DataLoader``); a batch is ``x`` or ``(x, labels)``;
* with labels, the models are called as ``generator(z, labels)`` and
  ``discriminator(x, labels)`` (a conditional GAN, lesson 04), else ``generator(z)``;
* the generator must have a ``latent_dim`` attribute; the discriminator returns logits.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artlab.checkpoint import load_checkpoint, save_checkpoint
from artlab.errors import ArgumentError, CheckpointError, TrainingError
from artlab.gan.losses import GANLoss, gradient_penalty, r1_penalty
from artlab.runtime import progress

__all__ = ["Penalty", "TrainConfig", "DStep", "GStep", "History", "Snapshot", "TrainResult",
           "d_step", "g_step", "ema_update", "make_optimizers", "set_learning_rates", "batches", "train_gan",
           "sample_generator"]


class Penalty(str, Enum):
    """A regulariser added to the discriminator's loss, times ``penalty_weight``."""

    NONE = "none"
    R1 = "r1"  # gamma/2 * E[|grad_x D(x_real)|^2]: weight = gamma / 2
    GP = "gp"  # WGAN-GP: lambda * E[(|grad f(x_hat)| - 1)^2] between real and fake: weight = lambda (10)

    def compute(self, discriminator: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor,
                logits_real: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The penalty's value (a scalar tensor in the graph of D's parameters)."""
        if self is Penalty.R1:
            return r1_penalty(logits_real, x_real)
        if self is Penalty.GP:
            return gradient_penalty(discriminator, x_real, x_fake, labels=labels)
        return logits_real.new_zeros(())

    @property
    def needs_input_grad(self) -> bool:
        return self is Penalty.R1


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (saved in its checkpoints)."""

    steps: int = 8_000                # generator steps in the whole run
    batch_size: int = 256             # real and fake samples per step
    lr_d: float = 2e-3                # Adam learning rate of the discriminator
    lr_g: float = 2e-3                # Adam learning rate of the generator
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas (0.5 as in DCGAN)
    lr_end: float = 1.0               # both rates decay linearly to lr * lr_end at the last step (1: constant)
    loss: str = "non_saturating"      # a GANLoss: "non_saturating", "minimax" or "wasserstein"
    penalty: str = "none"             # a Penalty added to D's loss: "none", "r1" or "gp"
    penalty_weight: float = 0.0       # its weight (R1: gamma / 2; GP: lambda, 10 in WGAN-GP)
    penalty_every: int = 1            # lazy regularisation: apply it every k-th D step, times k (1: always)
    n_critic: int = 1                 # discriminator steps per generator step
    snapshot_steps: tuple[int, ...] = ()  # take a Snapshot after these steps (0: before training)
    snapshot_samples: int = 512       # samples per snapshot, always from the same noise
    snapshot_seed: int = 0            # seed of that noise (a private generator: training is unaffected)
    checkpoint_every: int = 0         # save a checkpoint every this many steps (0: only at the end)
    ema: float = 0.0                  # also keep a moving average of G's weights with this decay per step (0: off)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "n_critic", "snapshot_samples", "checkpoint_every", "snapshot_seed",
                     "penalty_every"):
            value = getattr(self, name)
            low = 0 if name in ("steps", "checkpoint_every", "snapshot_seed") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ArgumentError(f"TrainConfig({name})", expected=f"a whole number >= {low}", got=value)
        for name in ("lr_d", "lr_g"):
            if not getattr(self, name) > 0:
                raise ArgumentError(f"TrainConfig({name})", expected="a learning rate > 0", got=getattr(self, name))
        if not 0 <= self.ema < 1:
            raise ArgumentError("TrainConfig(ema)", expected="a decay in [0, 1) (0: no average; 0.995 averages "
                                "about the last 200 steps)", got=self.ema)
        if not 0 <= self.lr_end <= 1:
            raise ArgumentError("TrainConfig(lr_end)", expected="a fraction in [0, 1]", got=self.lr_end)
        _enum("TrainConfig(loss)", GANLoss, self.loss)
        _enum("TrainConfig(penalty)", Penalty, self.penalty)
        if self.penalty_weight < 0:
            raise ArgumentError("TrainConfig(penalty_weight)", expected="a weight >= 0", got=self.penalty_weight)
        object.__setattr__(self, "loss", GANLoss(self.loss).value)
        object.__setattr__(self, "penalty", Penalty(self.penalty).value)
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        object.__setattr__(self, "snapshot_steps", tuple(sorted({int(s) for s in self.snapshot_steps})))

    def lr_factor(self, step: int) -> float:
        """Learning-rate multiplier after ``step`` steps: 1 at the start, ``lr_end`` at the end."""
        return 1.0 - (1.0 - self.lr_end) * step / max(self.steps, 1)

    def penalty_weight_at(self, d_count: int) -> float:
        """The penalty's weight in D step number ``d_count`` (from 0): lazily, every k-th step times k."""
        return self.penalty_weight * self.penalty_every if d_count % self.penalty_every == 0 else 0.0


def _enum(where: str, kind: type[Enum], value: Any) -> None:
    try:
        kind(value)
    except ValueError:
        raise ArgumentError(where, expected=f"one of {[k.value for k in kind]}", got=value) from None


# --- one step each ------------------------------------------------------------------------

@dataclass(frozen=True)
class DStep:
    """What one discriminator step measured (before its update)."""

    loss: float      # D's loss, penalty included
    d_real: float    # mean D(x_real), a probability (the Wasserstein game: the critic's mean raw score)
    d_fake: float    # mean D(G(z)) (likewise)
    penalty: float   # the penalty's value, before its weight


@dataclass(frozen=True)
class GStep:
    """What one generator step measured (before its update)."""

    loss: float      # G's loss
    d_fake: float    # mean D(G(z)) as G saw it (the Wasserstein game: the critic's mean raw score)


def _call(module: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    return module(x) if labels is None else module(x, labels)


def d_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
           x_real: torch.Tensor, z: torch.Tensor, *, labels: torch.Tensor | None = None,
           loss: GANLoss | str = GANLoss.NON_SATURATING, penalty: Penalty | str = Penalty.NONE,
           penalty_weight: float = 0.0) -> DStep:
    """One discriminator update on ``x_real`` (B, ...) and ``x_fake = G(z)``; G is not changed.

    D's loss: -E[log D(x_real)] - E[log(1 - D(G(z)))] + penalty_weight * penalty (the Wasserstein
    game: E[f(G(z))] - E[f(x_real)] + penalty_weight * penalty).
    """
    loss, penalty = GANLoss(loss), Penalty(penalty)
    with torch.no_grad():
        x_fake = _call(generator, z, labels)  # (B, ...): no graph through G
    if penalty.needs_input_grad and penalty_weight > 0:
        x_real = x_real.detach().requires_grad_(True)
    logits_real = _call(discriminator, x_real, labels)  # (B,)
    logits_fake = _call(discriminator, x_fake, labels)  # (B,)
    total = loss.d_loss(logits_real, logits_fake)
    extra = logits_real.new_zeros(())
    if penalty is not Penalty.NONE and penalty_weight > 0:
        extra = penalty.compute(discriminator, x_real, x_fake, logits_real, labels)
        total = total + penalty_weight * extra
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    return DStep(loss=total.item(), d_real=loss.score(logits_real).mean().item(),
                 d_fake=loss.score(logits_fake).mean().item(), penalty=extra.item())


def g_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
           z: torch.Tensor, *, labels: torch.Tensor | None = None,
           loss: GANLoss | str = GANLoss.NON_SATURATING) -> GStep:
    """One generator update through a frozen discriminator; D's weights and gradients are untouched."""
    loss = GANLoss(loss)
    discriminator.requires_grad_(False)  # no gradients into D's weights: faster, and D stays as it is
    try:
        logits_fake = _call(discriminator, _call(generator, z, labels), labels)  # (B,)
        total = loss.g_loss(logits_fake)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
    finally:
        discriminator.requires_grad_(True)
    return GStep(loss=total.item(), d_fake=loss.score(logits_fake).mean().item())


@torch.no_grad()
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """theta_avg <- decay * theta_avg + (1 - decay) * theta for every weight; buffers (batch-norm
    statistics) are copied. The averaged generator paints more steadily than the last step's
    (Yazici et al., 2019); lesson 03 trains DCGAN with it."""
    for mean, weight in zip(average.parameters(), model.parameters()):
        mean.lerp_(weight, 1.0 - decay)
    for mine, theirs in zip(average.buffers(), model.buffers()):
        mine.copy_(theirs)


def set_learning_rates(optimizers: Mapping[str, torch.optim.Optimizer], config: TrainConfig, step: int) -> None:
    """Put the decayed learning rates for ``step`` into both optimizers (stateless: resumes exactly)."""
    factor = config.lr_factor(step)
    for name, optimizer in optimizers.items():
        base = config.lr_g if name == "generator" else config.lr_d
        for group in optimizer.param_groups:
            group["lr"] = base * factor


def _mean(results: list[DStep]) -> DStep:
    """The average of several D steps (n_critic > 1), field by field."""
    if len(results) == 1:
        return results[0]
    return DStep(*(sum(getattr(r, f.name) for r in results) / len(results) for f in dataclasses.fields(DStep)))


def make_optimizers(generator: nn.Module, discriminator: nn.Module,
                    config: TrainConfig) -> dict[str, torch.optim.Optimizer]:
    """Adam for each player, with the config's learning rates and betas."""
    return {"generator": torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas),
            "discriminator": torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas)}


# --- data -----------------------------------------------------------------------------------

def batches(data: Callable[[int], Any] | Iterable, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """Endless ``(x, labels or None)`` batches from a sampler ``data(batch_size)`` or an iterable.

    An iterable (a ``DataLoader``, a list of batches) is restarted when it runs out.
    """
    if callable(data) and not isinstance(data, Iterable):
        while True:
            yield _split(data(batch_size))
    elif isinstance(data, Iterable):
        while True:
            empty = True
            for batch in data:
                empty = False
                yield _split(batch)
            if empty:
                raise ArgumentError("train_gan(data)", expected="an iterable that yields batches", got="<an empty iterable>")
    else:
        raise ArgumentError("train_gan(data)", expected="a sampler data(batch_size) or an iterable of batches",
                            got=f"<a {type(data).__name__}>", hint="For a mixture pass its sample method: ring().sample.")


def _split(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, torch.Tensor):
        return batch, None
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and isinstance(batch[0], torch.Tensor):
        return batch[0], batch[1]
    raise ArgumentError("a batch of train_gan(data)", expected="a tensor x or a pair (x, labels)",
                        got=f"<a {type(batch).__name__}>")


# --- history and snapshots ------------------------------------------------------------------

@dataclass
class History:
    """Per generator step: the losses and mean discriminator outputs (D averaged over n_critic).

    ``d_real`` and ``d_fake`` are probabilities, except in the Wasserstein game, where they are
    the critic's mean raw scores; their difference is then the critic's Wasserstein estimate.
    """

    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)   # mean D(x_real)
    d_fake: list[float] = field(default_factory=list)   # mean D(G(z)) in the D step
    penalty: list[float] = field(default_factory=list)

    def append(self, step: int, d: DStep, g: GStep) -> None:
        self.step.append(step)
        self.d_loss.append(d.loss)
        self.g_loss.append(g.loss)
        self.d_real.append(d.d_real)
        self.d_fake.append(d.d_fake)
        self.penalty.append(d.penalty)

    def __len__(self) -> int:
        return len(self.step)

    def as_dict(self) -> dict[str, list]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, list]) -> "History":
        return cls(**{k: list(v) for k, v in values.items()})


@dataclass
class Snapshot:
    """The generator's output on the fixed snapshot noise after ``step`` steps, plus extras."""

    step: int
    x_fake: torch.Tensor                       # (snapshot_samples, ...)
    extra: dict[str, Any] = field(default_factory=dict)  # what snapshot_fn returned besides x_fake


SnapshotFn = Callable[[nn.Module, nn.Module, torch.Tensor], Mapping[str, Any]]


def default_snapshot(generator: nn.Module, discriminator: nn.Module, z: torch.Tensor) -> dict[str, Any]:
    """Just the samples ``G(z)``."""
    return {"x_fake": generator(z)}


def _device_of(module: nn.Module, device: torch.device | str | None) -> torch.device:
    """``device``, or where the module's weights live (a painter without weights, such as a
    Memoriser: its buffers; none at all: the CPU)."""
    if device is None:
        held = next(itertools.chain(module.parameters(), module.buffers()), None)
        device = held.device if held is not None else "cpu"
    return torch.device(device)


def sample_generator(generator: nn.Module, n: int, *, labels: torch.Tensor | None = None,
                     seed: int | None = None, device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` samples G(z) in eval mode without gradients (a private generator when ``seed`` is given)."""
    device = _device_of(generator, device)
    rng = torch.Generator().manual_seed(seed) if seed is not None else None
    z = torch.randn(n, generator.latent_dim, generator=rng).to(device)  # (n, latent_dim)
    was_training = generator.training
    generator.eval()
    try:
        with torch.no_grad():
            return _call(generator, z, labels).cpu()
    finally:
        generator.train(was_training)


def _snapshot(step: int, generator: nn.Module, discriminator: nn.Module, z: torch.Tensor,
              snapshot_fn: SnapshotFn) -> Snapshot:
    modes = generator.training, discriminator.training
    generator.eval()
    discriminator.eval()
    try:
        with torch.no_grad():
            values = dict(snapshot_fn(generator, discriminator, z))
    finally:
        generator.train(modes[0])
        discriminator.train(modes[1])
    x_fake = values.pop("x_fake").detach().cpu()
    return Snapshot(step, x_fake, {k: v.detach().cpu() if isinstance(v, torch.Tensor) else v
                                   for k, v in values.items()})


# --- the loop -------------------------------------------------------------------------------

@dataclass
class TrainResult:
    """What :func:`train_gan` returns; the models are the ones passed in, trained in place."""

    generator: nn.Module
    discriminator: nn.Module
    history: History
    snapshots: list[Snapshot]
    step: int                     # steps done, resumed ones included
    seconds: float                # wall time of this call
    optimizers: dict[str, torch.optim.Optimizer]
    generator_ema: nn.Module | None = None  # the moving average of G's weights (config.ema > 0)

    @property
    def painter(self) -> nn.Module:
        """The generator to paint with: the moving average if there is one, else G itself."""
        return self.generator_ema if self.generator_ema is not None else self.generator


_RESUME_MAY_CHANGE = {"steps", "snapshot_steps", "checkpoint_every"}


def train_gan(generator: nn.Module, discriminator: nn.Module, data: Callable[[int], Any] | Iterable,
              config: TrainConfig = TrainConfig(), *, checkpoint: str | Path | None = None,
              resume_from: str | Path | None = None, snapshot_fn: SnapshotFn | None = None,
              device: torch.device | str | None = None, stop_at: int | None = None,
              desc: str = "training GAN", extra: Mapping[str, Any] | None = None) -> TrainResult:
    """Train ``generator`` against ``discriminator`` on ``data`` for ``config.steps`` generator steps.

    ``checkpoint``: a file to save to (every ``config.checkpoint_every`` steps and at the end).
    ``stop_at``: stop after this step (and save), as if interrupted; the learning-rate schedule
    still runs over ``config.steps``, so resuming later gives the uninterrupted run.
    ``resume_from``: a checkpoint of an earlier run with the same config; training continues
    exactly where it stopped: same batches, same noise, same weights. ``config.steps`` may grow
    to train longer (a decaying learning rate is then stretched over the new length).
    Exactness holds for samplers (``data(batch_size)`` drawing from the global generators); an
    iterable such as a ``DataLoader`` starts a new pass on resume (repeatable, but not the
    batches the uninterrupted run would have seen mid-pass).
    ``extra``: more values to keep in the checkpoint (a seed, the data's name); the checkpoint
    also keeps the models' types and configs and the wall seconds of training so far.
    Seed first (``artlab.set_seed``) for a repeatable run.
    """
    if not hasattr(generator, "latent_dim"):
        raise ArgumentError("train_gan(generator)", expected="a module with a latent_dim attribute",
                            got=f"<a {type(generator).__name__}>", hint="Set generator.latent_dim = size of z.")
    device = _device_of(generator, device)
    generator.to(device).train()
    discriminator.to(device).train()
    optimizers = make_optimizers(generator, discriminator, config)
    generator_ema = copy.deepcopy(generator).requires_grad_(False) if config.ema > 0 else None
    history, snapshots, start, seconds_before = History(), [], 0, 0.0
    if resume_from is not None:
        start, history, snapshots, seconds_before = _resume(resume_from, generator, discriminator, optimizers, config,
                                                            generator_ema)
    painter = generator_ema if generator_ema is not None else generator  # what snapshots show
    snapshot_fn = snapshot_fn or default_snapshot
    z_snapshot = torch.randn(config.snapshot_samples, generator.latent_dim,
                             generator=torch.Generator().manual_seed(config.snapshot_seed)).to(device)
    loss, penalty = GANLoss(config.loss), Penalty(config.penalty)
    stream = batches(data, config.batch_size)

    def save(step: int) -> None:
        if checkpoint is not None:
            _save(checkpoint, step, generator, discriminator, optimizers, config, history, snapshots,
                  {**(extra or {}), "seconds": seconds_before + time.perf_counter() - began}, generator_ema)

    began = time.perf_counter()
    if start == 0 and 0 in config.snapshot_steps:
        snapshots.append(_snapshot(0, painter, discriminator, z_snapshot, snapshot_fn))
    end = config.steps if stop_at is None else min(max(int(stop_at), start), config.steps)
    bar = progress(total=config.steps, initial=start, desc=desc)
    report_every = max(1, config.steps // 50)
    try:
        for step in range(start + 1, end + 1):
            set_learning_rates(optimizers, config, step - 1)
            d_results = []
            for critic in range(config.n_critic):
                x_real, labels = next(stream)
                x_real = x_real.to(device)
                labels = labels.to(device) if labels is not None else None
                z = torch.randn(x_real.shape[0], generator.latent_dim, device=device)  # (B, latent_dim)
                weight = config.penalty_weight_at((step - 1) * config.n_critic + critic)
                d_results.append(d_step(generator, discriminator, optimizers["discriminator"], x_real, z,
                                        labels=labels, loss=loss, penalty=penalty, penalty_weight=weight))
                _check_finite("discriminator loss", d_results[-1].loss, step, history)
            d = _mean(d_results)
            # G's step reuses the labels of the last real batch: a conditional G paints the data's classes.
            z = torch.randn(x_real.shape[0], generator.latent_dim, device=device)  # (B, latent_dim): one per label
            g = g_step(generator, discriminator, optimizers["generator"], z, labels=labels, loss=loss)
            _check_finite("generator loss", g.loss, step, history)
            if generator_ema is not None:
                ema_update(generator_ema, generator, config.ema)
            history.append(step, d, g)
            if step in config.snapshot_steps:
                snapshots.append(_snapshot(step, painter, discriminator, z_snapshot, snapshot_fn))
            if config.checkpoint_every and step % config.checkpoint_every == 0 and step < config.steps:
                save(step)
            bar.update(1)
            if step % report_every == 0:
                bar.set_postfix(d_loss=f"{d.loss:.3f}", g_loss=f"{g.loss:.3f}", D_real=f"{d.d_real:.2f}",
                                D_fake=f"{d.d_fake:.2f}", refresh=False)
    finally:
        bar.close()
    done = max(start, end)
    save(done)
    return TrainResult(generator, discriminator, history, snapshots, done, time.perf_counter() - began, optimizers,
                       generator_ema)


def _check_finite(what: str, value: float, step: int, history: History) -> None:
    if math.isfinite(value):
        return
    if len(history):
        last = (f"the last finite values, at step {history.step[-1]}, were d_loss={history.d_loss[-1]:.4g}, "
                f"g_loss={history.g_loss[-1]:.4g}, D(x_real)={history.d_real[-1]:.3f}, D(G(z))={history.d_fake[-1]:.3f}.")
    else:
        last = "it was the first step, so no loss was finite yet."
    raise TrainingError(
        f"{what} at step {step}", expected="a finite number", got=value,
        hint=f"Training diverged; {last} Lower the learning rates, check the data for NaNs, "
             "or resume from an earlier checkpoint.")


def _save(path: str | Path, step: int, generator: nn.Module, discriminator: nn.Module,
          optimizers: Mapping[str, torch.optim.Optimizer], config: TrainConfig, history: History,
          snapshots: list[Snapshot], more: Mapping[str, Any], generator_ema: nn.Module | None = None) -> Path:
    extra: dict[str, Any] = {
        **more,
        "history": history.as_dict(),
        "snapshots": [{"step": s.step, "x_fake": s.x_fake, "extra": s.extra} for s in snapshots],
    }
    for name, module in (("generator", generator), ("discriminator", discriminator)):
        model_config = getattr(module, "config", None)
        if dataclasses.is_dataclass(model_config) and not isinstance(model_config, type):
            extra[f"{name}_config"] = dataclasses.asdict(model_config)
            extra[f"{name}_type"] = type(module).__name__  # artlab.gan.models.build_generator rebuilds it
    modules = {"generator": generator, "discriminator": discriminator}
    if generator_ema is not None:
        modules["generator_ema"] = generator_ema
    return save_checkpoint(path, modules=modules, optimizers=optimizers, step=step, config=config, extra=extra)


def _resume(path: str | Path, generator: nn.Module, discriminator: nn.Module,
            optimizers: Mapping[str, torch.optim.Optimizer], config: TrainConfig,
            generator_ema: nn.Module | None = None) -> tuple[int, History, list[Snapshot], float]:
    saved = load_checkpoint(path)
    now = dataclasses.asdict(config)
    changed = sorted(k for k in now if k not in _RESUME_MAY_CHANGE and _plain(saved.config.get(k)) != _plain(now[k]))
    if changed:
        raise CheckpointError(
            f"resuming from {path}", expected="the TrainConfig the checkpoint was saved with (only steps, "
            "snapshot_steps and checkpoint_every may change)",
            got=f"<changed: {', '.join(f'{k} {saved.config.get(k)!r} -> {now[k]!r}' for k in changed)}>",
            hint="Rebuild the config from the checkpoint: TrainConfig(**checkpoint.config), then replace steps.")
    modules = {"generator": generator, "discriminator": discriminator}
    if generator_ema is not None:
        modules["generator_ema"] = generator_ema
    step = saved.restore(modules=modules, optimizers=optimizers)
    history = History.from_dict(saved.extra.get("history", {}))
    snapshots = [Snapshot(s["step"], s["x_fake"], dict(s["extra"])) for s in saved.extra.get("snapshots", [])]
    return step, history, snapshots, float(saved.extra.get("seconds", 0.0))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, list)) else value
