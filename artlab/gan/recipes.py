"""Named recipes for the 2-D toy GANs of lesson 02, shared by the notebook and the benchmark.

A :class:`ToyRecipe` is everything that defines a run: the generator's and the
discriminator's configs and the :class:`~artlab.gan.train.TrainConfig`. :func:`run_toy`
trains one on a mixture from :mod:`artlab.data.toy` and measures it with the PacGAN
metrics (:mod:`artlab.gan.metrics`).

* :func:`vanilla`: the textbook GAN: non-saturating loss, Adam 2e-4 (betas 0.5, 0.999),
  constant learning rate. It drops modes and blurs the ones it keeps.
* :func:`cured`: the same networks and steps with two changes (``benchmarks/gan_toy.py``
  measures both recipes; ``docs/benchmarks.md`` has the figures): a 10x larger learning rate,
  decayed linearly to 5% (sharp modes at the end), and the zero-centred R1 gradient penalty on
  real data with
  gamma = 0.1 (the discriminator cannot sharpen without bound around real points, so the
  generator keeps finding the modes it has not covered yet). R1 is applied lazily, on
  every 4th discriminator step with 4 times the weight (as in StyleGAN2): as good here,
  and cheaper than a double backward pass on every step.

Lesson 02 (``notebooks/02_gan_training_loop.ipynb``) runs both.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from artlab.data.toy import GaussianMixture
from artlab.gan.metrics import N_SAMPLES, ModeMetrics, mode_metrics
from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator
from artlab.gan.train import SnapshotFn, TrainConfig, train_gan
from artlab.painters.base import paint
from artlab.runtime import EVAL_SEED, set_seed
from artlab.training import TrainResult

__all__ = ["ToyRecipe", "ToyRun", "vanilla", "cured", "run_toy", "STEPS"]


@dataclass(frozen=True)
class ToyRecipe:
    """A named toy-GAN run: both networks and the training config."""

    name: str
    generator: GeneratorConfig
    discriminator: DiscriminatorConfig
    train: TrainConfig

    def with_train(self, **changes) -> "ToyRecipe":
        """The same recipe with some TrainConfig fields replaced (e.g. steps, snapshot_steps)."""
        return dataclasses.replace(self, train=dataclasses.replace(self.train, **changes))


@dataclass
class ToyRun:
    """One trained toy GAN and how it scored."""

    recipe: ToyRecipe
    result: TrainResult
    metrics: ModeMetrics          # on N_SAMPLES fresh samples
    samples: object               # those samples, (N_SAMPLES, 2)
    seconds: float                # wall time of the training


_NETWORK = dict(hidden=(128, 128, 128))


STEPS = 10_000  # generator steps of a toy run


def vanilla(steps: int = STEPS) -> ToyRecipe:
    """Non-saturating GAN, Adam 2e-4 (betas 0.5, 0.999), constant rate, 3x128 ReLU MLPs, batch 256."""
    return ToyRecipe("vanilla", GeneratorConfig(latent_dim=2, **_NETWORK), DiscriminatorConfig(**_NETWORK),
                     TrainConfig(steps=steps, batch_size=256, lr=2e-4))


def cured(steps: int = STEPS) -> ToyRecipe:
    """The vanilla networks with Adam 2e-3 decayed linearly to 5% and lazy R1 (gamma 0.1) on real data."""
    return ToyRecipe("R1 + decayed 2e-3", GeneratorConfig(latent_dim=2, **_NETWORK), DiscriminatorConfig(**_NETWORK),
                     TrainConfig(steps=steps, batch_size=256, lr=2e-3, schedule="linear", lr_end=0.05,
                                 penalty="r1", penalty_weight=0.1 / 2, penalty_every=4))


def run_toy(recipe: ToyRecipe, mixture: GaussianMixture, seed: int = 0, *, snapshot_fn: SnapshotFn | None = None,
            checkpoint=None, desc: str | None = None) -> ToyRun:
    """Seed, build both networks, train on ``mixture.sample``, and score N_SAMPLES samples."""
    set_seed(seed)
    generator = MLPGenerator(recipe.generator)
    discriminator = MLPDiscriminator(recipe.discriminator)
    began = time.perf_counter()
    result = train_gan(generator, discriminator, mixture.sample, recipe.train, snapshot_fn=snapshot_fn,
                       checkpoint=checkpoint, desc=desc or f"{recipe.name} on the {mixture.name}")
    seconds = time.perf_counter() - began
    samples = paint(generator, N_SAMPLES, seed=EVAL_SEED)
    return ToyRun(recipe, result, mode_metrics(samples, mixture), samples, seconds)
