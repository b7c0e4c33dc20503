"""The settings lesson 10 trains its diffusion models with, as plain frozen constants.

A :class:`DiffusionRecipe` names everything a run needs: the noise schedule and its T, the
denoiser's config, the batch, Adam's learning rate with its warm-up and cosine decay
(:func:`artlab.training.scheduled_lr`, ``"warmup_cosine"``), the decay of the weights' moving
average (:func:`artlab.training.ema_update`), the number of steps, the label-dropout rate of
classifier-free guidance, and how to sample. :meth:`DiffusionRecipe.train_config` turns it into
the :class:`~artlab.diffusion.train.TrainConfig` of :func:`~artlab.diffusion.train.train_diffusion`,
whose step is

    t, eps = training_inputs(schedule, x0)
    loss   = noise_prediction_loss(model, schedule, x0, t, eps, drop_labels(labels, p_uncond, K))

then an Adam step at ``scheduled_lr(lr, "warmup_cosine", step, steps, ...)`` and
``ema_update(average, model, ema_decay)``.

* :data:`TOY_GRID`: an :class:`~artlab.diffusion.unet.MLPDenoiser` on lesson 02's grid of 25
  Gaussians (:func:`artlab.data.toy.grid`).
* :data:`DIGITS`: an unconditional :class:`~artlab.diffusion.unet.UNet` on the 16x16 digits
  (:func:`artlab.data.images.digits`).
* :data:`DIGITS_CONDITIONAL`: the same U-Net with a label embedding, trained with label
  dropout so that it can be guided (:func:`artlab.diffusion.sampling.guided_eps`).
* :func:`train_diffusion_painter`: what ``artlab paint --model diffusion`` trains (the registry's
  recipe), and :func:`train_or_load`, the same run or its finished checkpoint (the lesson's cache).

What they score belongs to the lesson and its benchmark, not to this docstring.
Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from artlab.data.images import ImageSet
from artlab.diffusion.painter import DiffusionPainter, DiffusionPainterConfig, noise_schedule
from artlab.diffusion.schedule import NoiseSchedule
from artlab.diffusion.train import TrainConfig, train_diffusion
from artlab.diffusion.unet import MLPDenoiserConfig, UNetConfig
from artlab.errors import ArgumentError, one_of, probability, whole_number
from artlab.painters.base import PaintRequest
from artlab.runtime import budget, set_seed
from artlab.training import History, TrainResult, finished_run

__all__ = ["DiffusionRecipe", "TOY_GRID", "DIGITS", "DIGITS_CONDITIONAL", "for_images", "train_painter",
           "train_or_load", "train_diffusion_painter"]


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
    clip: bool = True                      # clip the sampler's estimate of x_0 to [-1, 1] (images)
    guidance: float = 0.0                  # w of classifier-free guidance when sampling
    ddim_steps: int = 50                   # network calls of the fast sampler
    max_seconds: float | None = None       # stop training when this much time is spent (None: no limit)

    def __post_init__(self) -> None:
        one_of(self.schedule, "DiffusionRecipe(schedule)", ("linear", "cosine"))
        for name in ("T", "batch_size", "steps", "ddim_steps"):
            whole_number(getattr(self, name), f"DiffusionRecipe({name})")
        probability(self.p_uncond, "DiffusionRecipe(p_uncond)")
        if self.p_uncond > 0 and not self.model.num_classes:
            raise ArgumentError("DiffusionRecipe(p_uncond)", expected="0 for a model without classes",
                                got=self.p_uncond, hint="Give the model num_classes to train it with labels.")

    def noise_schedule(self) -> NoiseSchedule:
        """The recipe's :class:`~artlab.diffusion.schedule.NoiseSchedule` (linear: 1e-4 to 0.02 scaled by 1000 / T)."""
        return noise_schedule(self.schedule, self.T)

    def train_config(self, **changes) -> TrainConfig:
        """The :class:`~artlab.diffusion.train.TrainConfig` of this recipe (warm-up, then a cosine to
        ``lr_end``), with some fields replaced (``seed``, ``threads``, ``steps``, ...)."""
        config = TrainConfig(steps=self.steps, lr=self.lr, batch_size=self.batch_size, schedule="warmup_cosine",
                             lr_end=self.lr_end, warmup=self.warmup, betas=self.betas, ema=self.ema_decay,
                             p_uncond=self.p_uncond, max_seconds=self.max_seconds)
        return dataclasses.replace(config, **changes)

    def painter_config(self, image_size: int = 16) -> DiffusionPainterConfig:
        """The :class:`~artlab.diffusion.painter.DiffusionPainterConfig` of an image recipe."""
        if not isinstance(self.model, UNetConfig):
            raise ArgumentError(f"recipe {self.name!r}", expected="an image recipe (a U-Net)",
                                got="<a recipe for points>", hint="Train the MLP with train_diffusion(model, data, "
                                "config, schedule=recipe.noise_schedule()).")
        return DiffusionPainterConfig(denoiser=self.model, image_size=image_size, noise_schedule=self.schedule,
                                      T=self.T, clip=self.clip, sample_steps=min(self.ddim_steps, self.T),
                                      guidance=self.guidance if self.model.num_classes else 0.0)

    def with_train(self, **changes) -> "DiffusionRecipe":
        """The same recipe with some fields replaced (``steps``, ``max_seconds``, ...)."""
        return dataclasses.replace(self, **changes)

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
    clip=True, guidance=0.5, ddim_steps=50,
)


def for_images(images: ImageSet, conditional: bool = False, steps: int | None = None) -> DiffusionRecipe:
    """:data:`DIGITS` (or :data:`DIGITS_CONDITIONAL`, on the images' labels) fitted to an image set's
    channels and classes; ``steps`` replaces the recipe's."""
    channels, height, side = images.shape
    if height != side or height % DIGITS.model.downsampling:
        raise ArgumentError(f"diffusion for {images.name}", expected=f"square images with a side divisible by "
                            f"{DIGITS.model.downsampling}", got=images.shape, hint="Load them with size 16 or 32.")
    recipe = DIGITS
    if conditional:
        if images.labels is None:
            raise ArgumentError(f"diffusion for {images.name} (conditional)", expected="an image set with labels",
                                got="<images without labels>")
        recipe = dataclasses.replace(DIGITS_CONDITIONAL, model=dataclasses.replace(
            DIGITS_CONDITIONAL.model, num_classes=images.num_classes))
    recipe = dataclasses.replace(recipe, model=dataclasses.replace(recipe.model, image_channels=channels))
    return recipe if steps is None else dataclasses.replace(recipe, steps=steps)


def _identity(recipe: DiffusionRecipe, images: ImageSet, seed: int) -> dict:
    """What makes two runs the same run, kept in the checkpoint (besides the configs)."""
    return {"recipe": recipe.name, "data": images.name, "seed": seed}


def train_painter(recipe: DiffusionRecipe, images: ImageSet, seed: int = 0, *, checkpoint: str | Path | None = None,
                  threads: int | None = 1, desc: str | None = None,
                  painter: DiffusionPainterConfig | None = None) -> TrainResult:
    """Seed, build a :class:`~artlab.diffusion.painter.DiffusionPainter` for ``images`` and train it
    with the recipe (on the labels when the recipe is conditional); ``painter`` replaces the
    painter config (the default sampler settings, for example)."""
    config = painter or recipe.painter_config(images.shape[-1])
    if config.image_shape != tuple(images.shape):
        raise ArgumentError(f"train_painter(images={images.name})", expected=f"images of shape {config.image_shape}",
                            got=images.shape, hint="Build the recipe for these images: for_images(images).")
    set_seed(seed)
    model = DiffusionPainter(config)
    return train_diffusion(model, images.sampler(labelled=config.denoiser.num_classes > 0),
                           recipe.train_config(seed=seed, threads=threads), checkpoint=checkpoint,
                           desc=desc or f"{recipe.name} on {images.name}", extra=_identity(recipe, images, seed))


def train_or_load(recipe: DiffusionRecipe, images: ImageSet, checkpoint: str | Path, seed: int = 0, *,
                  threads: int | None = 1, desc: str | None = None) -> TrainResult:
    """:func:`train_painter` saving to ``checkpoint``; but if that file holds this very run, finished
    (the same recipe, data and seed), load it instead (``stopped == "loaded"``; its ``seconds`` are
    those the original training took)."""
    config = recipe.painter_config(images.shape[-1])
    train = recipe.train_config(seed=seed, threads=threads)
    saved = finished_run(checkpoint, kind="painter", model="diffusion", model_config=config, train_config=train,
                         identity=_identity(recipe, images, seed), ignore=("threads",))
    if saved is None:
        return train_painter(recipe, images, seed, checkpoint=checkpoint, threads=threads, desc=desc)
    modules = {name: DiffusionPainter(config) for name in saved.modules if name in ("model", "model_ema")}
    saved.restore(modules=modules, rng=False)
    return TrainResult(steps=saved.step, seconds=float(saved.extra.get("seconds", 0.0)),
                       history=History.from_dict(saved.extra["history"]), stopped="loaded",
                       checkpoint=Path(checkpoint), models={k: m.eval() for k, m in modules.items()})


def train_diffusion_painter(images: ImageSet, request: PaintRequest) -> TrainResult:
    """``artlab paint --model diffusion``: :func:`for_images`' recipe (conditional if asked) for
    ``request.steps`` steps (default the recipe's 3,200; 20 in fast mode), saved to the request's
    checkpoint. ``request.options`` may set the painter's default ``sampler``, ``sample_steps`` and
    ``guidance``; k-means clusters are refused (a diffusion model covers every digit without them)."""
    if request.clusters:
        raise ArgumentError("--model diffusion", expected="no --clusters (a diffusion painter needs no k-means "
                            "clusters)", got=request.clusters, hint="Use --conditional to paint the digit asked for.")
    steps = budget(full=DIGITS.steps, fast=20) if request.steps is None else request.steps
    recipe = for_images(images, conditional=request.conditional, steps=steps)
    options = {k: v for k, v in dict(request.options).items() if v is not None}
    unknown = sorted(set(options) - {"sampler", "sample_steps", "guidance", "eta"})
    if unknown:
        raise ArgumentError("diffusion options", expected="sampler, sample_steps, guidance or eta", got=unknown)
    painter = dataclasses.replace(recipe.painter_config(images.shape[-1]), **options)
    return train_painter(recipe, images, request.seed, checkpoint=request.checkpoint, threads=request.threads,
                         desc=request.desc or f"painting {images.name}", painter=painter)
