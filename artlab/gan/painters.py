"""Image-GAN recipes, shared by lessons 03-04, ``benchmarks/gan_images.py`` and ``artlab paint``.

An :class:`ImageRecipe` is everything that defines a run: both networks' configs and the
:class:`~artlab.gan.train.TrainConfig`. :func:`train_painter` trains one on an
:class:`~artlab.data.images.ImageSet` with the one training loop of lesson 02
(:func:`artlab.gan.train.train_gan`), and the rest turns a trained generator into pictures:

* :func:`fc_gan` -- the classic fully connected GAN (lesson 03's baseline);
* :func:`dc_gan` -- DCGAN, with the changes measured to help on 1,437 digits;
* :func:`self_conditioned_dcgan` -- DCGAN conditioned on k-means clusters it found itself (lesson 04);
* :func:`conditional_dcgan` -- DCGAN that paints the digit you ask for (lesson 04);
* :func:`wgan_gp` -- a DCGAN critic without batch norm, trained as WGAN-GP (lesson 04);
* :func:`failure` -- plain DCGAN with one change that makes it fail in a classic way (lesson 04);
* :func:`for_images` -- a DCGAN recipe for any image set (digits, paintings, your folder);
* :func:`train_or_load` -- the same training, or its checkpoint when that run was done before;
* :func:`paint`, :func:`save_paintings`, :func:`load_painter` -- sample, write PNGs, reload;
* :func:`score_digits` -- the scorecard of :mod:`artlab.gan.quality` for a digits generator.

Lesson 09's command line trains and paints with exactly these::

    images = digits(16)                          # or mondrian(2000, 32), image_folder("my_art", 32)
    run = train_painter(for_images(images), images, checkpoint="outputs/painter.pt")
    generator = load_painter("outputs/painter.pt")
    save_paintings(paint(generator, 16), "outputs/paintings")
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from artlab.checkpoint import load_checkpoint
from artlab.data.images import ImageSet, clustered
from artlab.errors import ArgumentError, CheckpointError
from artlab.gan.models import (ClusterPainter, DCGANDiscriminatorConfig, DCGANGeneratorConfig, DiscriminatorConfig,
                               GeneratorConfig, build_discriminator, build_generator, dcgan, image_gan)
from artlab.gan.quality import DigitQuality, digit_quality, label_accuracy, mean_quality
from artlab.gan.train import History, Snapshot, TrainConfig, TrainResult, sample_generator, train_gan
from artlab.runtime import cpu_threads, set_seed
from artlab.viz.images import save_painting

__all__ = ["ImageRecipe", "ImageRun", "fc_gan", "dc_gan", "self_conditioned_dcgan", "conditional_dcgan", "wgan_gp", "failure", "FAILURES",
           "for_images",
           "train_painter", "train_or_load", "paint", "save_paintings", "load_painter", "DigitScore", "score_digits",
           "EVAL_SEED", "EVAL_SAMPLES", "EVAL_DRAWS"]

EVAL_SEED = 1234    # the noise of the evaluation samples (a private generator)
EVAL_SAMPLES = 360  # as many as the real test digits, so the Fréchet distance meets its floor at equal size
EVAL_DRAWS = 20     # batches of EVAL_SAMPLES averaged by score_digits
LABEL_SEED = 10_000  # offset of the seeds of randomly drawn labels (score_digits(mix="random"))

DIGITS = (1, 16, 16)


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
                       TrainConfig(steps=steps, batch_size=64, lr_d=2e-4, lr_g=2e-4))


def dc_gan(image_shape: tuple[int, int, int] = DIGITS, steps: int = 5_400, width: int = 32,
           d_width: int = 32) -> ImageRecipe:
    """DCGAN, batch 64, with these changes, measured together on the 1,437 training digits:

    * lazy R1 on real images (gamma 1, every 4th D step), as in lesson 02's cure;
    * a minibatch-standard-deviation map in D (it sees how varied a batch is);
    * D learns twice as fast as G (8e-4 against 4e-4), both rates falling linearly to 0 by the
      last step;
    * Adam's betas (0, 0.99), as in StyleGAN2, instead of DCGAN's (0.5, 0.999): less momentum;
    * a moving average of G's weights (decay 0.995) paints.

    Both networks are 32 channels wide. The previous recipe (D 64 wide, rates 4e-4 and 2e-4 held
    constant, betas (0.5, 0.999), 5,000 steps) took 267 s to an FDD of 14.2; this one takes about
    160 s on one quiet CPU thread to 14.3 and 13.1 (training seeds 0 and 1, means of 20 noise
    batches): a D as narrow as G trains 1.7 times as many steps per second, and the other changes
    make up for its narrowness.
    ``benchmarks/gan_images.py`` measures it.
    """
    g_config, d_config = dcgan(image_shape, width=width, d_width=d_width, minibatch_std=True)
    return ImageRecipe("DCGAN", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr_d=8e-4, lr_g=4e-4, lr_end=0.0, betas=(0.0, 0.99),
                                   penalty="r1", penalty_weight=1.0 / 2, penalty_every=4, ema=0.995))


def self_conditioned_dcgan(image_shape: tuple[int, int, int] = DIGITS, clusters: int = 30, steps: int = 5_400,
                           width: int = 32, d_width: int = 32) -> ImageRecipe:
    """:func:`dc_gan` that finds its own classes (a self-conditioned GAN, after Liu et al., 2020).

    No labels are given: k-means groups the training images' pixels into ``clusters`` clusters
    (:func:`artlab.data.images.clustered`), both networks are conditioned on the cluster (G on
    its embedding, D by projection only), and the trained run paints from noise alone through a
    :class:`~artlab.gan.models.ClusterPainter`, each cluster as often as it occurs in the data.
    A single generator must bend one connected noise space around ten separate digits and
    paints half-way shapes where it crosses between them; the cluster lets it jump instead.

    Training is exactly :func:`dc_gan`'s, so the clusters get all the credit: in the same 5,400
    steps (about 170 s on one CPU thread) the FDD falls from 14.3 and 13.1 to 7.5 and 7.8 (2.04x
    and 2.1x the floor; training seeds 0 and 1, means of 20 noise batches), where a perfect copy
    of the training digits scores 1.87x. Twice the steps gave 7.4 and 7.5: it has converged.
    """
    if isinstance(clusters, bool) or not isinstance(clusters, int) or clusters < 2:
        raise ArgumentError("self_conditioned_dcgan(clusters)", expected="a whole number of clusters >= 2", got=clusters)
    plain = dc_gan(image_shape, steps, width=width, d_width=d_width)
    g_config, d_config = dcgan(image_shape, width=width, d_width=d_width, num_classes=clusters, minibatch_std=True,
                               label_maps=False)
    return ImageRecipe("self-conditioned DCGAN", g_config, d_config, plain.train, clusters=clusters)


def conditional_dcgan(image_shape: tuple[int, int, int] = DIGITS, num_classes: int = 10, steps: int = 3_000,
                      width: int = 64) -> ImageRecipe:
    """DCGAN conditioned on labels; D shifts its inputs by up to 2 pixels; the rate decays to 5%."""
    g_config, d_config = dcgan(image_shape, width=width, num_classes=num_classes, translate=2)
    return ImageRecipe("conditional DCGAN", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr_d=2e-4, lr_g=2e-4, lr_end=0.05))


def wgan_gp(image_shape: tuple[int, int, int] = DIGITS, steps: int = 1_000, width: int = 64) -> ImageRecipe:
    """WGAN-GP: a DCGAN critic with layer norm, 5 critic steps per G step, lambda 10, Adam 1e-4 (0.5, 0.9)."""
    g_config, d_config = dcgan(image_shape, width=width, norm="layer")
    return ImageRecipe("WGAN-GP", g_config, d_config,
                       TrainConfig(steps=steps, batch_size=64, lr_d=1e-4, lr_g=1e-4, betas=(0.5, 0.9),
                                   loss="wasserstein", penalty="gp", penalty_weight=10.0, n_critic=5))


FAILURES = ("plain DCGAN", "mode collapse", "discriminator overpowers", "checkerboard", "resize-convolution")


def failure(name: str, steps: int = 1_500) -> ImageRecipe:
    """Plain DCGAN (width 64, Adam 2e-4, no R1, no moving average) with one thing changed (lesson 04):

    * ``"plain DCGAN"``: nothing changed, the baseline;
    * ``"mode collapse"``: the discriminator all but stops learning (1e-6) while the generator learns
      10x faster than usual (2e-3): G chases what the nearly fixed D likes best, one picture
      (measured: diversity 0.08 against 0.56, 1 digit of 10). A generator only 10x faster than an
      ordinary D did *not* collapse in 1,500 steps;
    * ``"discriminator overpowers"``: the generator learns 100x slower than the discriminator
      (2e-5 against 2e-3) with the original, saturating loss log(1 - D(G(z))): D wins outright,
      D(G(z)) -> 0, and G's gradient vanishes (measured: D(G(z)) 0.0000 at the end);
    * ``"checkerboard"``: transposed convolutions with kernel 3 and stride 2 (uneven overlap);
      the grid is plain at initialisation, and training on digits learns to cancel it;
    * ``"resize-convolution"``: its cure, nearest-neighbour upsampling followed by a convolution.
    """
    if name not in FAILURES:
        raise ArgumentError("failure(name)", expected=f"one of {FAILURES}", got=name)
    options = {"checkerboard": dict(kernel=3), "resize-convolution": dict(upsample="resize")}.get(name, {})
    g_config, d_config = dcgan(DIGITS, width=64, **options)
    train = TrainConfig(steps=steps, batch_size=64, lr_d=2e-4, lr_g=2e-4)
    if name == "mode collapse":
        train = dataclasses.replace(train, lr_d=1e-6, lr_g=2e-3)
    elif name == "discriminator overpowers":
        train = dataclasses.replace(train, lr_d=2e-3, lr_g=2e-5, loss="minimax")
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
    seconds: float                # wall time of the training
    loaded: bool = False          # True: read back from an earlier run's checkpoint (train_or_load)
    cluster_shares: tuple[float, ...] | None = None  # self-conditioned: how often each cluster occurs

    @property
    def generator(self) -> nn.Module:
        """The generator to paint with (the moving average of G's weights when the recipe keeps one;
        a self-conditioned run's is a :class:`~artlab.gan.models.ClusterPainter` that needs no labels)."""
        if self.cluster_shares is None:
            return self.result.painter
        return ClusterPainter(self.result.painter, self.cluster_shares)

    @property
    def steps_per_second(self) -> float:
        return self.result.step / max(self.seconds, 1e-9)


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
    ``threads``: PyTorch CPU threads while training (``None``: leave the setting alone). One is
    the robust default: with anything else running on a 2-core laptop, two threads wait for each
    other and a DCGAN step became 7x slower than on one thread (measured while other trainings ran).
    """
    _check_shape(recipe, images, "train_painter")
    set_seed(seed)
    generator, discriminator = build_generator(recipe.generator), build_discriminator(recipe.discriminator)
    config = _config(recipe, snapshot_steps, snapshot_samples)
    began = time.perf_counter()
    identity, shares, data = _identity(recipe, images, seed), None, images
    if recipe.clusters:
        data = clustered(images, recipe.clusters, seed)  # labels found by k-means, not given
        shares = _shares(data.labels, recipe.clusters)
    with cpu_threads(threads):
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


def _plain(value):
    """Configs as a checkpoint gives them back: tuples become lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


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
    path = Path(checkpoint)
    if path.is_file():
        saved = load_checkpoint(path)
        wanted = {"config": _plain(dataclasses.asdict(config)),
                  "generator_config": _plain(dataclasses.asdict(recipe.generator)),
                  "discriminator_config": _plain(dataclasses.asdict(recipe.discriminator)),
                  **_identity(recipe, images, seed)}
        found = {"config": _plain(saved.config), **{k: _plain(saved.extra.get(k)) for k in wanted if k != "config"}}
        if not snapshot_steps:  # any snapshots will do
            for key in ("snapshot_steps", "snapshot_samples"):
                found["config"][key] = wanted["config"][key]
        if found == wanted and saved.step == config.steps:
            generator, discriminator = build_generator(recipe.generator), build_discriminator(recipe.discriminator)
            modules = {"generator": generator, "discriminator": discriminator}
            if "generator_ema" in saved.modules:
                modules["generator_ema"] = build_generator(recipe.generator)
            saved.restore(modules=modules, rng=False)
            history = History.from_dict(saved.extra["history"])
            snapshots = [Snapshot(s["step"], s["x_fake"], dict(s["extra"])) for s in saved.extra["snapshots"]]
            seconds = float(saved.extra.get("seconds", 0.0))
            result = TrainResult(generator, discriminator, history, snapshots, saved.step, seconds, {},
                                 modules.get("generator_ema"))
            shares = saved.extra.get("cluster_shares")
            return ImageRun(recipe, result, seconds, loaded=True, cluster_shares=tuple(shares) if shares else None)
    return train_painter(recipe, images, seed, snapshot_steps=snapshot_steps, snapshot_samples=snapshot_samples,
                         checkpoint=path, desc=desc, threads=threads)


def _check_shape(recipe: ImageRecipe, images: ImageSet, where: str) -> None:
    shape = tuple(getattr(recipe.discriminator, "in_shape", ())) or (
        recipe.discriminator.channels, recipe.discriminator.image_size, recipe.discriminator.image_size)
    if tuple(images.shape) != shape:
        raise ArgumentError(f"{where}(images={images.name})", expected=f"images of shape {shape}",
                            got=images.shape, hint="Build the recipe for these images: for_images(images).")
    if recipe.labelled and images.labels is None:
        raise ArgumentError(f"{where}(images={images.name})", expected="labelled images for a conditional GAN",
                            got="<images without labels>")


def paint(generator: nn.Module, n: int, labels: torch.Tensor | int | None = None, seed: int = EVAL_SEED) -> torch.Tensor:
    """``n`` paintings ``(n, C, H, W)`` in [-1, 1] from noise seeded by ``seed`` (eval mode, no gradients).

    A conditional generator needs ``labels``: a tensor ``(n,)``, or one label for all.
    """
    if isinstance(labels, int):
        labels = torch.full((n,), labels, dtype=torch.long)
    return sample_generator(generator, n, labels=labels, seed=seed)


def save_paintings(images: torch.Tensor, folder: str | Path, prefix: str = "painting", scale: int = 8) -> list[Path]:
    """Write each image ``(C, H, W)`` of a batch as ``folder/prefix_000.png``, ... (enlarged ``scale`` times)."""
    folder = Path(folder)
    return [save_painting(image, folder / f"{prefix}_{i:03d}.png", scale=scale) for i, image in enumerate(images)]


def load_painter(path: str | Path) -> nn.Module:
    """The generator saved in a checkpoint by :func:`train_painter` (or ``train_gan``), in eval mode
    (the moving average of its weights, when training kept one)."""
    saved = load_checkpoint(path)
    if "generator_type" not in saved.extra or "generator" not in saved.modules:
        raise CheckpointError(f"checkpoint {path}", expected="a GAN checkpoint written by train_gan (with its generator's config)",
                              got=f"<a checkpoint with modules {sorted(saved.modules)}>",
                              hint="Train with artlab.gan.painters.train_painter(..., checkpoint=path).")
    generator = build_generator(saved.extra["generator_type"], saved.extra["generator_config"])
    name = "generator_ema" if "generator_ema" in saved.modules else "generator"
    generator.load_state_dict(saved.modules[name])
    shares = saved.extra.get("cluster_shares")
    return (ClusterPainter(generator, shares) if shares else generator).eval()


@dataclass(frozen=True)
class DigitScore:
    """How a digits generator scores: the quality scorecard (averaged over ``draws`` batches of
    noise) and, if conditional, the requested-label accuracy."""

    quality: DigitQuality
    accuracy: float | None   # share of images read as the digit asked for (None: unconditional)
    draws: int = 1           # batches of noise averaged
    fdd_range: tuple[float, float] | None = None  # the lowest and highest FDD of one batch

    def __str__(self) -> str:
        text = str(self.quality)
        if self.draws > 1 and self.fdd_range is not None:
            text += f" [mean of {self.draws} batches; FDD {self.fdd_range[0]:.1f}-{self.fdd_range[1]:.1f}]"
        return text if self.accuracy is None else f"{text}, {self.accuracy:.1%} painted as asked"


def score_digits(generator: nn.Module, n: int = EVAL_SAMPLES, seed: int = EVAL_SEED, draws: int = EVAL_DRAWS,
                 mix: str = "balanced") -> DigitScore:
    """Paint ``draws`` batches of ``n`` digits (noise seeds ``seed``, ``seed + 1``, ...) and score them:
    the mean of each batch's scorecard.

    One batch of 360 is a noisy measurement: a perfect copy of the training digits
    (:class:`~artlab.gan.models.Memoriser`) scores from 0.6 to 1.7 times its mean FDD from one
    noise batch to the next, so a single batch can flatter a model or wrong it; even the mean
    of 5 batches moved by 15% against that of 20 (8.8 against 7.5), hence 20. The coverage
    is the *fewest* digits any batch shows. A conditional generator is asked for each digit
    equally often (``mix="balanced"``, like the 36 of each in the real test digits), or for
    digits drawn at random (``mix="random"``, like an unconditional painter's mix).
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ArgumentError("score_digits(draws)", expected="a whole number of batches >= 1", got=draws)
    if mix not in ("balanced", "random"):
        raise ArgumentError("score_digits(mix)", expected="'balanced' or 'random'", got=mix)
    num_classes = getattr(generator, "num_classes", 0)
    qualities, accuracies = [], []
    for draw in range(draws):
        labels = None
        if num_classes and mix == "balanced":
            labels = torch.arange(n) % num_classes
        elif num_classes:
            rng = torch.Generator().manual_seed(LABEL_SEED + seed + draw)  # not the noise's stream
            labels = torch.randint(0, num_classes, (n,), generator=rng)
        fake = paint(generator, n, labels, seed + draw)
        qualities.append(digit_quality(fake))
        if num_classes:
            accuracies.append(label_accuracy(fake, labels))
    fdds = [q.fdd for q in qualities]
    return DigitScore(mean_quality(qualities), sum(accuracies) / draws if num_classes else None, draws,
                      (min(fdds), max(fdds)))
