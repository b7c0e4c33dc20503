"""The settings lesson 10 trains its diffusion models with, as plain frozen constants.

A :class:`DiffusionRecipe` names everything a run needs: the noise schedule and its T, the
denoiser's config, the batch, Adam's learning rate with its warm-up and decay
(:meth:`DiffusionRecipe.lr_factor`), the decay of the weights' moving average
(:func:`artlab.gan.train.ema_update`), the number of steps, the label-dropout rate of
classifier-free guidance, and how to sample. The training loop itself belongs to the
shared scaffold; each step is

    t, eps = training_inputs(schedule, x0, generator)
    loss   = noise_prediction_loss(model, schedule, x0 / data_scale, t, eps, drop_labels(...))

then an Adam step at ``lr * lr_factor(step)`` and ``ema_update(average, model, ema_decay)``.

* :data:`TOY_GRID`: an :class:`~artlab.diffusion.unet.MLPDenoiser` on lesson 02's grid of 25
  Gaussians (:func:`artlab.data.toy.grid`).
* :data:`DIGITS`: an unconditional :class:`~artlab.diffusion.unet.UNet` on the 16x16 digits
  (:func:`artlab.data.images.digits`).
* :data:`DIGITS_CONDITIONAL`: the same U-Net with a label embedding, trained with label
  dropout so that it can be guided (:func:`artlab.diffusion.sampling.guided_eps`).

What they score belongs to the lesson and its benchmark, not to this docstring.
Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from artlab.diffusion.schedule import NoiseSchedule, cosine_schedule, linear_schedule
from artlab.diffusion.unet import MLPDenoiserConfig, UNetConfig
from artlab.errors import ArgumentError

__all__ = ["DiffusionRecipe", "TOY_GRID", "DIGITS", "DIGITS_CONDITIONAL"]


@dataclass(frozen=True)
class DiffusionRecipe:
    """Everything that defines a diffusion run, from the schedule to the sampler."""

    name: str
    schedule: str                          # "linear" (Ho et al. 2020) or "cosine" (Nichol and Dhariwal 2021)
    T: int                                 # steps of the forward process  # noqa: N815
    model: UNetConfig | MLPDenoiserConfig  # the denoiser eps_theta(x_t, t, y)
    batch_size: int                        # data per training step
    steps: int                             # training steps
    lr: float                              # Adam's peak learning rate
    warmup: int = 100                      # steps of linear warm-up from 0 to lr
    lr_end: float = 0.0                    # the rate at the last step, as a share of lr (cosine decay)
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's betas
    ema_decay: float = 0.995               # theta_avg <- decay theta_avg + (1 - decay) theta after every step
    p_uncond: float = 0.0                  # share of labels replaced by "no label" (classifier-free guidance)
    data_scale: float = 1.0                # the data is divided by this before noising, samples multiplied back
    clip: bool = True                      # clip the sampler's estimate of x_0 to [-1, 1] (images)
    guidance: float = 0.0                  # w of classifier-free guidance when sampling
    ddim_steps: int = 50                   # network calls of the fast sampler

    def __post_init__(self) -> None:
        if self.schedule not in ("linear", "cosine"):
            raise ArgumentError("DiffusionRecipe(schedule)", expected="'linear' or 'cosine'", got=self.schedule)
        for name in ("T", "batch_size", "steps", "ddim_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentError(f"DiffusionRecipe({name})", expected="a whole number >= 1", got=value)
        if not 0 <= self.p_uncond <= 1:
            raise ArgumentError("DiffusionRecipe(p_uncond)", expected="a probability from 0 to 1", got=self.p_uncond)
        if self.p_uncond > 0 and not self.model.num_classes:
            raise ArgumentError("DiffusionRecipe(p_uncond)", expected="0 for a model without classes",
                                got=self.p_uncond, hint="Give the model num_classes to train it with labels.")

    def noise_schedule(self) -> NoiseSchedule:
        """The recipe's :class:`~artlab.diffusion.schedule.NoiseSchedule` (linear: 1e-4 to 0.02 scaled by 1000 / T)."""
        if self.schedule == "cosine":
            return cosine_schedule(self.T)
        return linear_schedule(self.T, min(1e-4 * 1000 / self.T, 0.5), min(0.02 * 1000 / self.T, 0.5))

    def lr_factor(self, step: int) -> float:
        """The share of ``lr`` at 0-based ``step``: a linear warm-up over ``warmup`` steps, then a half
        cosine from 1 down to ``lr_end`` at the last step:

            f(s) = (s + 1) / warmup                                              for s < warmup
            f(s) = lr_end + (1 - lr_end) (1 + cos(pi (s - w) / (steps - w))) / 2   after, w = warmup - 1
        """
        if step < self.warmup - 1:
            return (step + 1) / self.warmup
        start = max(self.warmup - 1, 0)
        progress = min(step - start, self.steps - start) / max(self.steps - start, 1)
        return self.lr_end + (1 - self.lr_end) * 0.5 * (1 + math.cos(math.pi * progress))

# The 2-D grid: a 3 x 64 MLP; the cosine schedule keeps the sharp modes sharp.
TOY_GRID = DiffusionRecipe(
    name="toy grid", schedule="cosine", T=100,
    model=MLPDenoiserConfig(dim=2, hidden=(64, 64, 64), time_dim=16),
    batch_size=256, steps=10_000, lr=1e-2, warmup=100, lr_end=0.05, ema_decay=0.99,
    clip=False, ddim_steps=50,
)

# 16x16 digits: 2x2 patches folded into channels, so the U-Net works at 8x8 and 4x4.
_DIGITS_UNET = UNetConfig(image_channels=1, patch=2, base_channels=32, channel_mults=(1, 1), blocks_per_level=1,
                          attention=True, heads=4, groups=8, embed_dim=128)

DIGITS = DiffusionRecipe(
    name="digits", schedule="cosine", T=1000, model=_DIGITS_UNET,
    batch_size=64, steps=3_200, lr=4e-3, warmup=100, lr_end=0.0, ema_decay=0.995,
    clip=True, ddim_steps=50,
)

DIGITS_CONDITIONAL = DiffusionRecipe(
    name="digits, conditional", schedule="cosine", T=1000,
    model=UNetConfig(**{**_DIGITS_UNET.__dict__, "num_classes": 10}),
    batch_size=64, steps=3_200, lr=4e-3, warmup=100, lr_end=0.0, ema_decay=0.995, p_uncond=0.1,
    clip=True, guidance=1.0, ddim_steps=50,
)
