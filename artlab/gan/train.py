"""The GAN training loop: alternating discriminator and generator steps.

One training step (lesson 02, ``notebooks/02_gan_training_loop.ipynb``):

1. ``n_critic`` times, :func:`d_step`: draw real ``x_real`` and noise ``z``, make
   ``x_fake = G(z)`` without tracking G, and take one optimiser step on D's loss
   -E[log D(x_real)] - E[log(1 - D(x_fake))] (+ a penalty such as gamma/2 * R1);
2. :func:`g_step`: draw fresh ``z`` and take one optimiser step on G's loss, for example
   the non-saturating -E[log D(G(z))], through a frozen D.

:func:`train_gan` repeats this on the shared scaffold of :mod:`artlab.training` (learning-rate
schedule, finite-loss guard, progress bar, the one checkpoint layout, exact resume) and adds
what only a GAN needs: a :class:`~artlab.training.History` of both losses and the mean D outputs,
:class:`Snapshot` s at chosen steps (for the replay slider), and a moving average of G's weights.
It knows nothing about the data or the models:

* ``data`` is a sampler ``data(batch_size)`` (as ``artlab.data.toy.ring().sample``) or
  any iterable of batches (a ``DataLoader``); a batch is ``x`` or ``(x, labels)``;
* with labels, the models are called as ``generator(z, labels)`` and
  ``discriminator(x, labels)`` (a conditional GAN, lesson 04), else ``generator(z)``;
* the generator must have a ``latent_dim`` attribute; the discriminator returns logits.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artlab import distributed
from artlab.errors import ArgumentError, one_of, real_number, whole_number
from artlab.gan.losses import GANLoss, gradient_penalty, r1_penalty
from artlab.runtime import cpu_threads, device_of, set_seed
from artlab.training import (Budget, History, Progress, TrainResult, check_common, check_finite, ema_update,
                             resume_run, save_run, scheduled_lr, set_lr)

__all__ = ["Penalty", "TrainConfig", "DStep", "GStep", "Snapshot", "d_step", "g_step", "make_optimizers",
           "set_learning_rates", "batches", "train_gan", "painter_of", "snapshots_of",
           "generator_name"]


class Penalty(str, Enum):
    """A regulariser added to the discriminator's loss, times ``penalty_weight``."""

    NONE = "none"
    R1 = "r1"  # gamma/2 * E[|grad_x D(x_real)|^2]: weight = gamma / 2
    GP = "gp"  # WGAN-GP: lambda * E[(|grad f(x_hat)| - 1)^2] between real and fake: weight = lambda (10)

    def compute(self, discriminator: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor,
                logits_real: torch.Tensor, labels: torch.Tensor | None = None,
                eps: torch.Tensor | None = None) -> torch.Tensor:
        """The penalty's value (a scalar tensor in the graph of D's parameters); ``eps``: GP's
        interpolation weights (B,) (``None``: drawn here)."""
        if self is Penalty.R1:
            return r1_penalty(logits_real, x_real)
        if self is Penalty.GP:
            return gradient_penalty(discriminator, x_real, x_fake, eps, labels=labels)
        return logits_real.new_zeros(())

    @property
    def needs_input_grad(self) -> bool:
        return self is Penalty.R1


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a GAN training run (saved in its checkpoints)."""

    steps: int = 8_000                # generator steps in the whole run
    batch_size: int = 256             # real and fake samples per step
    lr: float = 2e-3                  # Adam learning rate of the generator
    lr_d: float | None = None         # the discriminator's (None: the same as lr)
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas (0.5 as in DCGAN)
    schedule: str = "constant"        # "constant", or "linear": both rates fall to lr * lr_end at the last step
    lr_end: float = 1.0               # the end of a linear schedule, as a fraction of the rate
    loss: str = "non_saturating"      # a GANLoss: "non_saturating", "minimax" or "wasserstein"
    penalty: str = "none"             # a Penalty added to D's loss: "none", "r1" or "gp"
    penalty_weight: float = 0.0       # its weight (R1: gamma / 2; GP: lambda, 10 in WGAN-GP)
    penalty_every: int = 1            # lazy regularisation: apply it every k-th D step, times k (1: always)
    n_critic: int = 1                 # discriminator steps per generator step
    max_grad_norm: float | None = None  # clip each player's gradient norm to this (None: no clipping)
    clip_weights: float = 0.0         # the original WGAN: clamp every critic weight to [-c, c] after its step (0: off)
    snapshot_steps: tuple[int, ...] = ()  # take a Snapshot after these steps (0: before training)
    snapshot_samples: int = 512       # samples per snapshot, always from the same noise
    snapshot_seed: int = 0            # seed of that noise (a private generator: training is unaffected)
    checkpoint_every: int = 0         # save a checkpoint every this many steps (0: only at the end)
    ema: float = 0.0                  # also keep a moving average of G's weights with this decay per step (0: off)
    seed: int | None = None           # seed the batches and the noise at the start (None: leave the generators
                                      # as they are; run_toy and train_painter seed before building the networks)
    threads: int | None = None        # PyTorch CPU threads while training (None: leave the setting alone)

    def __post_init__(self) -> None:
        check_common("TrainConfig", self)
        for name in ("batch_size", "n_critic", "snapshot_samples", "penalty_every"):
            whole_number(getattr(self, name), f"TrainConfig({name})")
        for name in ("checkpoint_every", "snapshot_seed"):
            whole_number(getattr(self, name), f"TrainConfig({name})", low=0)
        if self.lr_d is not None:
            real_number(self.lr_d, "TrainConfig(lr_d)", low=0.0, low_open=True, hint="None: the same as lr.")
        real_number(self.ema, "TrainConfig(ema)", low=0.0, high=1.0, high_open=True,
                    hint="0: no average; 0.995 averages about the last 200 steps.")
        one_of(self.schedule, "TrainConfig(schedule)", ("constant", "linear"))
        one_of(self.loss, "TrainConfig(loss)", tuple(k.value for k in GANLoss))
        one_of(self.penalty, "TrainConfig(penalty)", tuple(k.value for k in Penalty))
        real_number(self.penalty_weight, "TrainConfig(penalty_weight)", low=0.0)
        real_number(self.clip_weights, "TrainConfig(clip_weights)", low=0.0, hint="0.01 in the WGAN paper; 0: off.")
        object.__setattr__(self, "loss", GANLoss(self.loss).value)
        object.__setattr__(self, "penalty", Penalty(self.penalty).value)
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        object.__setattr__(self, "snapshot_steps", tuple(sorted({int(s) for s in self.snapshot_steps})))

    @property
    def d_lr(self) -> float:
        """The discriminator's learning rate."""
        return self.lr if self.lr_d is None else self.lr_d

    def penalty_weight_at(self, d_count: int) -> float:
        """The penalty's weight in D step number ``d_count`` (from 0): lazily, every k-th step times k."""
        return self.penalty_weight * self.penalty_every if d_count % self.penalty_every == 0 else 0.0


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
           penalty_weight: float = 0.0, max_grad_norm: float | None = None, clip_weights: float = 0.0,
           eps: torch.Tensor | None = None) -> DStep:
    """One discriminator update on ``x_real`` (B, ...) and ``x_fake = G(z)``; G is not changed.

    D's loss: -E[log D(x_real)] - E[log(1 - D(G(z)))] + penalty_weight * penalty (the Wasserstein
    game: E[f(G(z))] - E[f(x_real)] + penalty_weight * penalty). ``max_grad_norm``: clip D's
    gradient norm to it before the update (``None``: no clipping). ``clip_weights`` = c > 0: after the
    update, clamp every weight of D to [-c, c], the original WGAN's crude way to keep the critic
    Lipschitz (Arjovsky, Chintala and Bottou, 2017; lesson 04 compares it with the gradient penalty).
    ``eps``: the gradient penalty's interpolation weights (B,) (``None``: drawn inside).
    ``discriminator`` may be a DDP wrapper (:mod:`artlab.distributed`): the penalty's gradient then
    flows into its all-reduce too.
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
        extra = penalty.compute(discriminator, x_real, x_fake, logits_real, labels, eps)
        total = total + penalty_weight * extra
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(discriminator.parameters(), max_grad_norm)
    optimizer.step()
    if clip_weights > 0:
        with torch.no_grad():
            for weight in discriminator.parameters():
                weight.clamp_(-clip_weights, clip_weights)
    return DStep(loss=total.item(), d_real=loss.score(logits_real).mean().item(),
                 d_fake=loss.score(logits_fake).mean().item(), penalty=extra.item())


def g_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
           z: torch.Tensor, *, labels: torch.Tensor | None = None,
           loss: GANLoss | str = GANLoss.NON_SATURATING, max_grad_norm: float | None = None) -> GStep:
    """One generator update through a frozen discriminator; D's weights and gradients are untouched.

    ``max_grad_norm``: clip G's gradient norm to it before the update (``None``: no clipping)."""
    loss = GANLoss(loss)
    discriminator.requires_grad_(False)  # no gradients into D's weights: faster, and D stays as it is
    try:
        logits_fake = _call(discriminator, _call(generator, z, labels), labels)  # (B,)
        total = loss.g_loss(logits_fake)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(generator.parameters(), max_grad_norm)
        optimizer.step()
    finally:
        discriminator.requires_grad_(True)
    return GStep(loss=total.item(), d_fake=loss.score(logits_fake).mean().item())


def _mean(results: list[DStep]) -> DStep:
    """The average of several D steps (n_critic > 1), field by field."""
    if len(results) == 1:
        return results[0]
    return DStep(*(sum(getattr(r, f.name) for r in results) / len(results) for f in dataclasses.fields(DStep)))


def make_optimizers(generator: nn.Module, discriminator: nn.Module,
                    config: TrainConfig) -> dict[str, torch.optim.Optimizer]:
    """Adam for each player, with the config's learning rates and betas."""
    return {"generator": torch.optim.Adam(generator.parameters(), lr=config.lr, betas=config.betas),
            "discriminator": torch.optim.Adam(discriminator.parameters(), lr=config.d_lr, betas=config.betas)}


def set_learning_rates(optimizers: Mapping[str, torch.optim.Optimizer], config: TrainConfig, step: int) -> None:
    """Put the scheduled learning rates for ``step`` into both optimizers (stateless: resumes exactly)."""
    for name, optimizer in optimizers.items():
        peak = config.lr if name == "generator" else config.d_lr
        set_lr(optimizer, scheduled_lr(peak, config.schedule, step, config.steps, lr_end=config.lr_end))


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


# --- snapshots -----------------------------------------------------------------------------

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

_RESUME_MAY_CHANGE = ("steps", "snapshot_steps", "checkpoint_every")


def painter_of(result: TrainResult) -> nn.Module:
    """The generator to paint with: the moving average of G's weights if the run kept one, else G."""
    return result.models.get("generator_ema", result.models["generator"])


def generator_name(generator: nn.Module) -> str:
    """The generator's name in :data:`artlab.registry.PAINTERS` (its class name if not registered)."""
    from artlab.registry import PAINTERS

    config = getattr(generator, "config", None)
    try:
        return PAINTERS.name_of(config)
    except ArgumentError:
        return type(generator).__name__


def snapshots_of(extra: Mapping[str, Any]) -> list[Snapshot]:
    """The snapshots a GAN checkpoint's ``extra`` holds."""
    return [Snapshot(s["step"], s["x_fake"], dict(s["extra"])) for s in extra.get("snapshots", [])]


def train_gan(generator: nn.Module, discriminator: nn.Module, data: Callable[[int], Any] | Iterable,
              config: TrainConfig = TrainConfig(), *, checkpoint: str | Path | None = None,
              resume_from: str | Path | None = None, snapshot_fn: SnapshotFn | None = None,
              device: torch.device | str | None = None, stop_at: int | None = None,
              desc: str = "training GAN", extra: Mapping[str, Any] | None = None) -> TrainResult:
    """Train ``generator`` against ``discriminator`` on ``data`` for ``config.steps`` generator steps.

    ``checkpoint``: a file to save to (every ``config.checkpoint_every`` steps and at the end), in
    the one layout of :mod:`artlab.checkpoint` (kind ``"painter"``).
    ``stop_at``: stop after this step (and save), as if interrupted; the learning-rate schedule
    still runs over ``config.steps``, so resuming later gives the uninterrupted run.
    ``resume_from``: a checkpoint of an earlier run with the same config; training continues
    exactly where it stopped: same batches, same noise, same weights. ``config.steps`` may grow
    to train longer (a decaying learning rate is then stretched over the new length).
    Exactness holds for samplers (``data(batch_size)`` drawing from the global generators); an
    iterable such as a ``DataLoader`` starts a new pass on resume (repeatable, but not the
    batches the uninterrupted run would have seen mid-pass).
    ``extra``: more values to keep in the checkpoint (a seed, the data's name).
    Seed first (``artlab.set_seed``, or ``config.seed``) for a repeatable run.
    Under ``torchrun`` (:mod:`artlab.distributed`, appendix 11) ``config.batch_size`` is the global
    batch: every process draws it and trains on its share through DDP, so the run is the one a
    single process trains (up to rounding; batch statistics stay per process on the CPU), rank 0
    saves, and a checkpoint resumes on any number of processes.

    Returns a :class:`~artlab.training.TrainResult` whose ``models`` are ``generator``,
    ``discriminator`` and (``config.ema > 0``) ``generator_ema``; :func:`painter_of` picks the one
    to paint with.
    """
    if not hasattr(generator, "latent_dim"):
        raise ArgumentError("train_gan(generator)", expected="a module with a latent_dim attribute",
                            got=f"<a {type(generator).__name__}>", hint="Set generator.latent_dim = size of z.")
    here = distributed.init()  # under torchrun: this process's place in the group; else one process
    distributed.check_batch(config.batch_size, here, "TrainConfig")
    if config.seed is not None:
        set_seed(config.seed)
    device = device_of(generator, device) if here.device is None else here.device
    generator.to(device).train()
    discriminator.to(device).train()
    optimizers = make_optimizers(generator, discriminator, config)
    modules = {"generator": generator, "discriminator": discriminator}
    if config.ema > 0:
        modules["generator_ema"] = copy.deepcopy(generator).requires_grad_(False)
    history, snapshots, start, seconds_before = History(), [], 0, 0.0
    if resume_from is not None:
        resumed = resume_run(resume_from, train_config=config, modules=modules, optimizers=optimizers,
                             may_change=_RESUME_MAY_CHANGE)
        start, history, seconds_before = resumed.step, resumed.history, resumed.seconds
        snapshots = snapshots_of(resumed.checkpoint.extra)
    # Several processes: G and D train through DDP wrappers; every process draws the same global batches
    g_train, d_train = distributed.wrap(generator, here), distributed.wrap(discriminator, here)
    seed = distributed.sync_rng(here)
    painter = modules.get("generator_ema", generator)  # what snapshots show
    snapshot_fn = snapshot_fn or default_snapshot
    z_snapshot = torch.randn(config.snapshot_samples, generator.latent_dim,
                             generator=torch.Generator().manual_seed(config.snapshot_seed)).to(device)
    loss, penalty = GANLoss(config.loss), Penalty(config.penalty)
    stream = batches(data, config.batch_size)
    budget = Budget(config.steps, seconds_before=seconds_before)

    def save(step: int) -> None:
        if checkpoint is not None:
            _save(checkpoint, step, modules, optimizers, config, history, snapshots, budget.seconds,
                  finished=step >= config.steps, extra=extra)

    if start == 0 and 0 in config.snapshot_steps:
        snapshots.append(_snapshot(0, painter, discriminator, z_snapshot, snapshot_fn))
    end = config.steps if stop_at is None else min(max(int(stop_at), start), config.steps)
    with cpu_threads(config.threads), Progress(config.steps, initial=start, desc=desc) as bar:
        for step in range(start + 1, end + 1):
            set_learning_rates(optimizers, config, step - 1)
            d_results = []
            for critic in range(config.n_critic):
                x_real, labels = next(stream)  # the global batch (the same on every process)
                x_real = x_real.to(device)
                labels = labels.to(device) if labels is not None else None
                batch = x_real.shape[0]
                z = torch.randn(batch, generator.latent_dim, device=device)  # (B, latent_dim)
                weight = config.penalty_weight_at((step - 1) * config.n_critic + critic)
                eps = None
                if here.size > 1:  # this process's rows; GP's eps drawn for the whole batch, as one process would
                    if penalty is Penalty.GP and weight > 0:
                        eps = torch.rand(batch, device=device, dtype=x_real.dtype)  # (B,)
                    x_real, labels, z, eps = distributed.shard((x_real, labels, z, eps), here)
                    distributed.set_share(d_train, x_real.shape[0] / batch)
                with distributed.local_randomness(seed, step, critic, here):  # G itself: no gradient, no all-reduce
                    result = d_step(generator, d_train, optimizers["discriminator"], x_real, z, labels=labels,
                                    loss=loss, penalty=penalty, penalty_weight=weight,
                                    max_grad_norm=config.max_grad_norm, clip_weights=config.clip_weights, eps=eps)
                d_results.append(distributed.average_fields(result, x_real.shape[0] / batch, here))
                check_finite("discriminator loss", d_results[-1].loss, step, _last(history))
            d = _mean(d_results)
            # G's step reuses the labels of the last real batch: a conditional G paints the data's classes.
            z = distributed.shard(torch.randn(batch, generator.latent_dim, device=device), here)  # one per label
            distributed.set_share(g_train, z.shape[0] / batch)
            with distributed.local_randomness(seed, step, config.n_critic, here):  # D itself: g_step freezes it
                g = g_step(g_train, discriminator, optimizers["generator"], z, labels=labels, loss=loss,
                           max_grad_norm=config.max_grad_norm)
            g = distributed.average_fields(g, z.shape[0] / batch, here)
            check_finite("generator loss", g.loss, step, _last(history))
            if "generator_ema" in modules:
                ema_update(modules["generator_ema"], generator, config.ema)
            history.append(step=step, d_loss=d.loss, g_loss=g.loss, d_real=d.d_real, d_fake=d.d_fake,
                           penalty=d.penalty)
            if step in config.snapshot_steps:
                snapshots.append(_snapshot(step, painter, discriminator, z_snapshot, snapshot_fn))
            if config.checkpoint_every and step % config.checkpoint_every == 0 and step < config.steps:
                save(step)
            bar.update(step, d_loss=d.loss, g_loss=g.loss, D_real=f"{d.d_real:.2f}", D_fake=f"{d.d_fake:.2f}")
    done = max(start, end)
    save(done)
    return TrainResult(steps=done, seconds=budget.seconds, history=history,
                       checkpoint=Path(checkpoint) if checkpoint is not None else None, models=modules,
                       optimizers=optimizers, snapshots=snapshots)


def _last(history: History) -> dict[str, Any] | None:
    """The last record, named as the learner reads it, for the finite-loss guard."""
    last = history.last()
    if last is None:
        return None
    return {"step": last["step"], "d_loss": last["d_loss"], "g_loss": last["g_loss"], "D(x_real)": last["d_real"],
            "D(G(z))": last["d_fake"]}


def _save(path: str | Path, step: int, modules: Mapping[str, nn.Module],
          optimizers: Mapping[str, torch.optim.Optimizer], config: TrainConfig, history: History,
          snapshots: list[Snapshot], seconds: float, *, finished: bool,
          extra: Mapping[str, Any] | None = None) -> Path:
    generator, discriminator = modules["generator"], modules["discriminator"]
    model_config = getattr(generator, "config", None)
    d_config = getattr(discriminator, "config", None)
    more: dict[str, Any] = {
        **(extra or {}),
        "paints_with": "generator_ema" if "generator_ema" in modules else "generator",
        "discriminator": {"model": type(discriminator).__name__,
                          "config": dataclasses.asdict(d_config) if dataclasses.is_dataclass(d_config) else {}},
        "snapshots": [{"step": s.step, "x_fake": s.x_fake, "extra": s.extra} for s in snapshots],
    }
    return save_run(path, kind="painter", model=generator_name(generator),
                    model_config=model_config if dataclasses.is_dataclass(model_config) else None,
                    train_config=config, modules=modules, step=step, history=history, optimizers=optimizers,
                    seconds=seconds, finished=finished, extra=more)
