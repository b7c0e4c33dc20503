"""GAN painters: the recipes of lessons 03-04, their training, and their checkpoints.

An :class:`ImageRecipe` is everything that defines a GAN painter's run: both networks' configs
and the :class:`~artlab.gan.train.TrainConfig`. :func:`train_painter` trains one on an
:class:`~artlab.data.images.ImageSet` with lesson 02's loop (:func:`artlab.gan.train.train_gan`):

* :func:`fc_gan` -- the classic fully connected GAN (lesson 03's baseline);
* :func:`dc_gan` -- DCGAN, with the changes that help on 1,437 digits;
* :func:`self_conditioned_dcgan` -- DCGAN conditioned on k-means clusters it found itself (lesson 04);
* :func:`conditional_dcgan` -- DCGAN that paints the digit you ask for (lesson 04);
* :func:`wgan_gp` -- a DCGAN critic without batch norm, trained as WGAN-GP (lesson 04);
* :func:`wgan_clip` -- the same critic kept Lipschitz by weight clipping, the original WGAN (lesson 04);
* :func:`failure` -- plain DCGAN with one change that makes it fail in a classic way (lesson 04);
* :func:`for_images` -- a DCGAN recipe for any image set (digits, paintings, your folder);
* :func:`train_or_load` -- the same training, or its checkpoint when that run was done before;
* :func:`train_dcgan`, :func:`train_fc_gan` -- what ``artlab paint`` trains (the registry's recipes).

Lesson 09's command line trains and paints with exactly these::

    images = digits(16)                          # or mondrian(2000, 32), image_folder("my_art", 32)
    run = train_painter(for_images(images), images, checkpoint="outputs/painter.pt")
    painter = load_painter("outputs/painter.pt")
    save_paintings(paint(painter, 16), "outputs/paintings")

``benchmarks/gan_images.py`` measures the recipes; ``docs/benchmarks.md`` has the figures.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from artlab.data.images import ImageSet, clustered
from artlab.errors import ArgumentError, one_of, whole_number
from artlab.gan.dcgan import DCGANDiscriminator, DCGANDiscriminatorConfig, DCGANGeneratorConfig, dcgan
from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, image_gan
from artlab.gan.train import TrainConfig, painter_of, snapshots_of, train_gan
from artlab.painters.base import PaintRequest
from artlab.painters.copies import ClusterPainter
from artlab.registry import PAINTERS
from artlab.runtime import budget, set_seed
from artlab.training import History, TrainResult, finished_run

__all__ = ["ImageRecipe", "ImageRun", "fc_gan", "dc_gan", "self_conditioned_dcgan", "conditional_dcgan", "wgan_gp",
           "wgan_clip",
           "failure", "FAILURES", "for_images", "train_painter", "train_or_load", "build_discriminator",
           "train_dcgan", "train_fc_gan"]

DIGITS = (1, 16, 16)
DISCRIMINATORS = {DiscriminatorConfig: MLPDiscriminator, DCGANDiscriminatorConfig: DCGANDiscriminator}


def build_discriminator(config: DiscriminatorConfig | DCGANDiscriminatorConfig) -> nn.Module:
    """The discriminator a config describes."""
    model = DISCRIMINATORS.get(type(config))
    if model is None:
        raise ArgumentError("build_discriminator(config)", expected=f"one of {[c.__name__ for c in DISCRIMINATORS]}",
                            got=f"<a {type(config).__name__}>")
    return model(config)


@dataclass(frozen=True)
class ImageRecipe:
    """A named image-GAN run: both networks and the training config."""

    name: str
    generator: GeneratorConfig | DCGANGeneratorConfig
    discriminator: DiscriminatorConfig | DCGANDiscriminatorConfig
    train: TrainConfig
    clusters: int = 0        # > 0: self-conditioned, on this many k-means clusters of the images

    @property
    def num_classes(self) -> int:
        """How many labels the GAN is conditioned on (0: unconditional)."""
        return getattr(self.generator, "num_classes", 0)

    @property
    def labelled(self) -> bool:
        """Whether training needs the images' own labels (a conditional GAN, not a self-conditioned one)."""
        return self.num_classes > 0 and not self.clusters

    def with_train(self, **changes) -> "ImageRecipe":
        """The same recipe with some TrainConfig fields replaced (e.g. steps, snapshot_steps)."""
        return dataclasses.replace(self, train=dataclasses.replace(self.train, **changes))


def fc_gan(image_shape: tuple[int, int, int] = DIGITS, steps: int = 7_000) -> ImageRecipe:
    """The fully connected GAN of lesson 02 on images: Adam 2e-4 (betas 0.5, 0.999), batch 64."""
    g_config, d_config = image_gan(image_shape)
    return ImageRecipe("fully connected GAN", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr=2e-4))


def dc_gan(image_shape: tuple[int, int, int] = DIGITS, steps: int = 5_400, width: int = 32,
           d_width: int = 32) -> ImageRecipe:
    """DCGAN, batch 64, with these changes, measured together on the 1,437 training digits:

    * lazy R1 on real images (gamma 1, every 4th D step), as in lesson 02's cure;
    * a minibatch-standard-deviation map in D (it sees how varied a batch is);
    * D learns twice as fast as G (8e-4 against 4e-4), both rates falling linearly to 0 by the
      last step;
    * Adam's betas (0, 0.99), as in StyleGAN2, instead of DCGAN's (0.5, 0.999): less momentum;
    * a moving average of G's weights (decay 0.995) paints.

    Both networks are 32 channels wide: a narrow D trains many more steps in the same time, and
    the other changes make up for its narrowness (``docs/benchmarks.md``).
    """
    g_config, d_config = dcgan(image_shape, width=width, d_width=d_width, minibatch_std=True)
    return ImageRecipe("DCGAN", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr=4e-4, lr_d=8e-4, schedule="linear", lr_end=0.0,
                                   betas=(0.0, 0.99), penalty="r1", penalty_weight=1.0 / 2, penalty_every=4, ema=0.995))


def self_conditioned_dcgan(image_shape: tuple[int, int, int] = DIGITS, clusters: int = 30, steps: int = 5_400,
                           width: int = 32, d_width: int = 32) -> ImageRecipe:
    """:func:`dc_gan` that finds its own classes (a self-conditioned GAN, after Liu et al., 2020).

    No labels are given: k-means groups the training images' pixels into ``clusters`` clusters
    (:func:`artlab.data.images.clustered`), both networks are conditioned on the cluster (G on
    its embedding, D by projection only), and the trained run paints from noise alone through a
    :class:`~artlab.painters.copies.ClusterPainter`, each cluster as often as it occurs in the data.
    A single generator must bend one connected noise space around ten separate digits and
    paints half-way shapes where it crosses between them; the cluster lets it jump instead.

    Training is exactly :func:`dc_gan`'s, so the clusters get all the credit for the difference
    (lesson 04 measures it).
    """
    whole_number(clusters, "self_conditioned_dcgan(clusters)", low=2, unit="clusters")
    plain = dc_gan(image_shape, steps, width=width, d_width=d_width)
    g_config, d_config = dcgan(image_shape, width=width, d_width=d_width, num_classes=clusters, minibatch_std=True,
                               label_maps=False)
    return ImageRecipe("self-conditioned DCGAN", g_config, d_config, plain.train, clusters=clusters)


def conditional_dcgan(image_shape: tuple[int, int, int] = DIGITS, num_classes: int = 10, steps: int = 3_000,
                      width: int = 64) -> ImageRecipe:
    """DCGAN conditioned on labels; D shifts its inputs by up to 2 pixels; the rate decays to 5%."""
    g_config, d_config = dcgan(image_shape, width=width, num_classes=num_classes, translate=2)
    return ImageRecipe("conditional DCGAN", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr=2e-4, schedule="linear", lr_end=0.05))


def wgan_gp(image_shape: tuple[int, int, int] = DIGITS, steps: int = 1_000, width: int = 64) -> ImageRecipe:
    """WGAN-GP: a DCGAN critic with layer norm, 5 critic steps per G step, lambda 10, Adam 1e-4 (0.5, 0.9)."""
    g_config, d_config = dcgan(image_shape, width=width, norm="layer")
    return ImageRecipe("WGAN-GP", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr=1e-4, betas=(0.5, 0.9),
                                   loss="wasserstein", penalty="gp", penalty_weight=10.0, n_critic=5))


def wgan_clip(image_shape: tuple[int, int, int] = DIGITS, steps: int = 1_000, width: int = 64) -> ImageRecipe:
    """The original WGAN: :func:`wgan_gp`'s networks and steps, but the critic kept Lipschitz by clamping its
    weights to [-0.01, 0.01] after every step instead of a gradient penalty; Adam with beta1 = 0 (RMSprop with
    bias correction, the optimiser of Arjovsky, Chintala and Bottou, 2017) at their rate 5e-5."""
    g_config, d_config = dcgan(image_shape, width=width, norm="layer")
    return ImageRecipe("WGAN (weight clipping)", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr=5e-5, betas=(0.0, 0.9), loss="wasserstein",
                                   n_critic=5, clip_weights=0.01))


FAILURES = ("plain DCGAN", "mode collapse", "discriminator overpowers", "discriminator overpowers, non-saturating",
            "checkerboard", "resize-convolution")


def failure(name: str, steps: int = 1_500) -> ImageRecipe:
    """Plain DCGAN (width 64, Adam 2e-4, no R1, no moving average) changed to fail in a classic way
    (lesson 04); each says what it changes:

    * ``"plain DCGAN"``: nothing changed, the baseline;
    * ``"mode collapse"``: both rates: the discriminator all but stops learning (1e-6) while the
      generator learns 10x faster than usual (2e-3): G chases what the nearly fixed D likes best;
    * ``"discriminator overpowers"``: three things: D learns 10x faster (2e-3), G 10x slower (2e-5),
      and G uses the original, saturating loss log(1 - D(G(z))): D wins outright, D(G(z)) -> 0;
    * ``"discriminator overpowers, non-saturating"``: its control, the same rates with the
      non-saturating loss, so the loss's part in the failure is separated from the slow generator's;
    * ``"checkerboard"``: transposed convolutions with kernel 3 and stride 2 (uneven overlap);
      the grid is plain at initialisation, and training on digits learns to cancel it;
    * ``"resize-convolution"``: its cure, nearest-neighbour upsampling followed by a convolution.
    """
    one_of(name, "failure(name)", FAILURES)
    options = {"checkerboard": dict(kernel=3), "resize-convolution": dict(upsample="resize")}.get(name, {})
    g_config, d_config = dcgan(DIGITS, width=64, **options)
    train = TrainConfig(steps=steps, batch_size=64, lr=2e-4)
    if name == "mode collapse":
        train = dataclasses.replace(train, lr=2e-3, lr_d=1e-6)
    elif name == "discriminator overpowers":
        train = dataclasses.replace(train, lr=2e-5, lr_d=2e-3, loss="minimax")
    elif name == "discriminator overpowers, non-saturating":
        train = dataclasses.replace(train, lr=2e-5, lr_d=2e-3)
    return ImageRecipe(name, g_config, d_config, train)


def for_images(images: ImageSet, steps: int = 1_500, conditional: bool = False, width: int = 32,
               d_width: int = 32, clusters: int = 0) -> ImageRecipe:
    """The DCGAN recipe (:func:`dc_gan`) for an image set's shape; ``conditional`` uses its labels;
    ``clusters`` > 0 makes it self-conditioned on that many k-means clusters
    (:func:`self_conditioned_dcgan`: no labels needed, so it suits your own folder too).

    The widths default to 32 for both networks, so 32x32 pictures train at a useful speed on a
    laptop (lesson 03 paints Mondrians with it). A conditional recipe keeps
    :func:`conditional_dcgan`'s own widths.
    """
    _, height, side = images.shape
    if height != side or height < 8 or height & (height - 1):
        raise ArgumentError(f"for_images({images.name})", expected="square images with a power-of-two side",
                            got=images.shape, hint="Load them with a size such as 16 or 32.")
    if conditional:
        if images.labels is None:
            raise ArgumentError(f"for_images({images.name}, conditional=True)", expected="an image set with labels",
                                got="<images without labels>")
        if clusters:
            raise ArgumentError(f"for_images({images.name})", expected="conditional or clusters, not both",
                                got=f"conditional=True, clusters={clusters}")
        return conditional_dcgan(images.shape, images.num_classes, steps)
    if clusters:
        if not 2 <= clusters <= len(images):
            raise ArgumentError(f"for_images({images.name}, clusters)",
                                expected=f"from 2 to {len(images)} clusters (the number of images)", got=clusters)
        return self_conditioned_dcgan(images.shape, clusters, steps, width=width, d_width=d_width)
    return dc_gan(images.shape, steps, width=width, d_width=d_width)


@dataclass
class ImageRun:
    """One trained image GAN."""

    recipe: ImageRecipe
    result: TrainResult
    seconds: float                # wall time of the training (a loaded run: the original training's)
    loaded: bool = False          # True: read back from an earlier run's checkpoint (train_or_load)
    cluster_shares: tuple[float, ...] | None = None  # self-conditioned: how often each cluster occurs

    @property
    def generator(self) -> nn.Module:
        """The generator to paint with (the moving average of G's weights when the recipe keeps one;
        a self-conditioned run's is a :class:`~artlab.painters.copies.ClusterPainter` that needs no labels)."""
        if self.cluster_shares is None:
            return painter_of(self.result)
        return ClusterPainter(painter_of(self.result), self.cluster_shares)

    @property
    def steps_per_second(self) -> float:
        return self.result.steps / max(self.seconds, 1e-9)


def _label_snapshot(num_classes: int):
    """Snapshots of a conditional generator: the fixed noise, labels 0, 1, ..., K-1, 0, 1, ..."""
    def snapshot(generator: nn.Module, discriminator: nn.Module, z: torch.Tensor) -> dict:
        labels = torch.arange(len(z), device=z.device) % num_classes
        return {"x_fake": generator(z, labels)}
    return snapshot


def train_painter(recipe: ImageRecipe, images: ImageSet, seed: int = 0, *, snapshot_steps: tuple[int, ...] = (),
                  snapshot_samples: int = 64, checkpoint: str | Path | None = None,
                  resume_from: str | Path | None = None, desc: str | None = None,
                  threads: int | None = 1) -> ImageRun:
    """Seed, build both networks, and train them on ``images`` (with labels if the recipe is conditional).

    ``snapshot_steps``: keep ``G`` of a fixed noise batch of ``snapshot_samples`` at these steps
    (conditional: labels 0, 1, 2, ... in turn), to watch painting improve over training.
    ``seed`` seeds the networks' initial weights, the k-means clusters, the batches and the noise.
    ``threads``: PyTorch CPU threads while training (``None``: leave the setting alone); one is the
    robust choice on a laptop (see :func:`artlab.runtime.cpu_threads`).
    """
    _check_shape(recipe, images, "train_painter")
    set_seed(seed)
    generator, discriminator = PAINTERS.build(recipe.generator), build_discriminator(recipe.discriminator)
    config = dataclasses.replace(_config(recipe, snapshot_steps, snapshot_samples), threads=threads)
    began = time.perf_counter()
    identity, shares, data = _identity(recipe, images, seed), None, images
    if recipe.clusters:
        data = clustered(images, recipe.clusters, seed)  # labels found by k-means, not given
        shares = _shares(data.labels, recipe.clusters)
    result = train_gan(generator, discriminator, data.sampler(labelled=recipe.num_classes > 0), config,
                       checkpoint=checkpoint, resume_from=resume_from,
                       snapshot_fn=_label_snapshot(recipe.num_classes) if recipe.num_classes else None,
                       desc=desc or f"{recipe.name} on {images.name}",
                       extra={**identity, "cluster_shares": shares} if shares else identity)
    return ImageRun(recipe, result, time.perf_counter() - began, cluster_shares=shares)


def _shares(labels: torch.Tensor, clusters: int) -> tuple[float, ...]:
    """How often each cluster occurs, as plain floats (they go into checkpoints)."""
    return tuple(float(c) for c in torch.bincount(labels, minlength=clusters).float() / len(labels))


def _config(recipe: ImageRecipe, snapshot_steps: tuple[int, ...], snapshot_samples: int) -> TrainConfig:
    return dataclasses.replace(recipe.train, snapshot_steps=tuple(snapshot_steps), snapshot_samples=snapshot_samples)


def _identity(recipe: ImageRecipe, images: ImageSet, seed: int) -> dict:
    """What makes two runs the same run, kept in the checkpoint (besides the configs)."""
    return {"recipe": recipe.name, "data": images.name, "seed": seed}


def train_or_load(recipe: ImageRecipe, images: ImageSet, checkpoint: str | Path, seed: int = 0, *,
                  snapshot_steps: tuple[int, ...] = (), snapshot_samples: int = 64, desc: str | None = None,
                  threads: int | None = 1) -> ImageRun:
    """:func:`train_painter` saving to ``checkpoint``; but if that file holds this very run, finished
    (the same recipe, data and seed, and the same snapshots unless none are asked for), load it
    instead of training again.

    Lesson 04 compares its models with lesson 03's this way without retraining them; the
    ``seconds`` of a loaded run are those the original training took.
    """
    _check_shape(recipe, images, "train_or_load")
    config = _config(recipe, snapshot_steps, snapshot_samples)
    identity = {**_identity(recipe, images, seed),
                "discriminator": {"model": DISCRIMINATORS[type(recipe.discriminator)].__name__,
                                  "config": dataclasses.asdict(recipe.discriminator)}}
    ignore = ("threads",) if snapshot_steps else ("threads", "snapshot_steps", "snapshot_samples")
    saved = finished_run(checkpoint, kind="painter", model=PAINTERS.name_of(recipe.generator),
                         model_config=recipe.generator, train_config=config, identity=identity, ignore=ignore)
    if saved is None:
        return train_painter(recipe, images, seed, snapshot_steps=snapshot_steps, snapshot_samples=snapshot_samples,
                             checkpoint=checkpoint, desc=desc, threads=threads)
    modules = {"generator": PAINTERS.build(recipe.generator), "discriminator": build_discriminator(recipe.discriminator)}
    if "generator_ema" in saved.modules:
        modules["generator_ema"] = PAINTERS.build(recipe.generator)
    saved.restore(modules=modules, rng=False)
    seconds = float(saved.extra.get("seconds", 0.0))
    result = TrainResult(steps=saved.step, seconds=seconds, history=History.from_dict(saved.extra["history"]),
                         stopped="loaded", checkpoint=Path(checkpoint), models=modules,
                         snapshots=snapshots_of(saved.extra))
    shares = saved.extra.get("cluster_shares")
    return ImageRun(recipe, result, seconds, loaded=True, cluster_shares=tuple(shares) if shares else None)


def _check_shape(recipe: ImageRecipe, images: ImageSet, where: str) -> None:
    shape = tuple(getattr(recipe.discriminator, "in_shape", ())) or (
        recipe.discriminator.channels, recipe.discriminator.image_size, recipe.discriminator.image_size)
    if tuple(images.shape) != shape:
        raise ArgumentError(f"{where}(images={images.name})", expected=f"images of shape {shape}",
                            got=images.shape, hint="Build the recipe for these images: for_images(images).")
    if recipe.labelled and images.labels is None:
        raise ArgumentError(f"{where}(images={images.name})", expected="labelled images for a conditional GAN",
                            got="<images without labels>")


# --- what `artlab paint` trains (the registry's recipes) ------------------------------------

def _trained(recipe: ImageRecipe, images: ImageSet, request: PaintRequest) -> TrainResult:
    run = train_painter(recipe, images, request.seed, checkpoint=request.checkpoint, threads=request.threads,
                        desc=request.desc or f"painting {images.name}")
    return run.result


def train_dcgan(images: ImageSet, request: PaintRequest) -> TrainResult:
    """``artlab paint --model dcgan``: :func:`for_images`' recipe (conditional or self-conditioned as
    asked) for ``request.steps`` steps (default 1,500; 20 in fast mode), saved to the request's checkpoint."""
    steps = budget(full=1500, fast=20) if request.steps is None else request.steps
    recipe = for_images(images, steps=steps, conditional=request.conditional, clusters=request.clusters)
    return _trained(recipe, images, request)


def train_fc_gan(images: ImageSet, request: PaintRequest) -> TrainResult:
    """``artlab paint --model mlp``: the fully connected GAN of lesson 03 (unconditional only)."""
    if request.conditional or request.clusters:
        raise ArgumentError("--model mlp", expected="no --conditional, --digit or --clusters (the fully connected "
                            "GAN paints without labels)", got="<labels asked for>", hint="Use --model dcgan.")
    steps = budget(full=1500, fast=20) if request.steps is None else request.steps
    return _trained(fc_gan(images.shape, steps), images, request)
