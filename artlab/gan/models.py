"""Fully connected (MLP) generators and discriminators.

* :class:`MLPGenerator` maps noise z of shape (B, latent_dim) through hidden layers to
  a sample of shape (B, *out_shape): a 2-D point for the toy mixtures of lesson 02, a
  whole image for lesson 03.
* :class:`MLPDiscriminator` flattens its input and maps it to one logit per sample, shape
  (B,). With ``pack = m`` it judges m samples at once (PacGAN): it sees (B/m, m * features)
  and returns B/m logits, which makes a generator that repeats itself easy to spot.
* :func:`toy_gan` builds the 2-D pair of lesson 02; :func:`image_gan` the classic fully
  connected image GAN (latent 100 -> 256 -> 512 -> 1024 -> image, Tanh; image -> 1024 ->
  512 -> 256 -> 1 with LeakyReLU 0.2 and dropout), reused in lesson 03 for any image size.
* :class:`DCGANGenerator` and :class:`DCGANDiscriminator` are the convolutional pair of
  DCGAN (Radford, Metz and Chintala, 2015): the generator grows a 4x4 map to the image
  size with stride-2 transposed convolutions, batch norm and ReLU; the discriminator
  shrinks the image with stride-2 convolutions and LeakyReLU 0.2. Both start from
  :func:`dcgan_init`. With ``num_classes > 0`` they are *conditional* (lesson 04): the
  generator paints ``G(z, label)`` from z joined to a learned label embedding; the
  discriminator sees the label as extra one-hot input channels and adds a projection
  term ``<embed(label), features>`` to its logit (Miyato and Koyama, 2018).
* :func:`conv_transpose_output_size` is the size formula of a transposed convolution,
  out = (in - 1) * stride - 2 * padding + kernel + output_padding (lesson 03's exercise).

Models map tensors to tensors; training lives in :mod:`artlab.gan.train`.
Lesson 02 (``notebooks/02_gan_training_loop.ipynb``) builds and trains the MLPs; lesson 03
(``notebooks/03_painting_with_dcgan.ipynb``) the DCGAN, lesson 04 its conditional variant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from artlab.errors import ArgumentError
from artlab.gan.augment import translate

__all__ = ["GeneratorConfig", "DiscriminatorConfig", "MLPGenerator", "MLPDiscriminator",
           "toy_gan", "image_gan", "conv_transpose_output_size", "conv_output_size", "dcgan_init",
           "DCGANGeneratorConfig", "DCGANDiscriminatorConfig", "DCGANGenerator", "DCGANDiscriminator",
           "minibatch_std", "dcgan", "build_generator", "build_discriminator", "ClusterPainter", "Memoriser"]

_ACTIVATIONS = ("relu", "leaky_relu")


@dataclass(frozen=True)
class GeneratorConfig:
    """An MLP generator z -> x."""

    latent_dim: int = 2                 # size of the noise vector z ~ N(0, I)
    hidden: tuple[int, ...] = (128, 128, 128)  # widths of the hidden layers
    out_shape: tuple[int, ...] = (2,)   # shape of one sample: (2,) for a point, (C, H, W) for an image
    activation: str = "relu"            # "relu" or "leaky_relu" between hidden layers
    slope: float = 0.2                  # negative slope of leaky_relu
    out_activation: str = "none"        # "none" (points anywhere) or "tanh" (pixels in [-1, 1])

    def __post_init__(self) -> None:
        _check_widths("GeneratorConfig", self.latent_dim, self.hidden, self.out_shape)
        _check_choice("GeneratorConfig(activation)", self.activation, _ACTIVATIONS)
        _check_choice("GeneratorConfig(out_activation)", self.out_activation, ("none", "tanh"))
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "out_shape", tuple(self.out_shape))


@dataclass(frozen=True)
class DiscriminatorConfig:
    """An MLP discriminator x -> logit."""

    in_shape: tuple[int, ...] = (2,)    # shape of one sample
    hidden: tuple[int, ...] = (128, 128, 128)  # widths of the hidden layers
    activation: str = "relu"            # "relu" or "leaky_relu"
    slope: float = 0.2                  # negative slope of leaky_relu
    dropout: float = 0.0                # dropout after each hidden layer (0: none)
    pack: int = 1                       # PacGAN: judge this many samples together

    def __post_init__(self) -> None:
        _check_widths("DiscriminatorConfig", 1, self.hidden, self.in_shape)
        _check_choice("DiscriminatorConfig(activation)", self.activation, _ACTIVATIONS)
        if not 0.0 <= self.dropout < 1.0:
            raise ArgumentError("DiscriminatorConfig(dropout)", expected="a probability in [0, 1)",
                                got=self.dropout)
        if isinstance(self.pack, bool) or not isinstance(self.pack, int) or self.pack < 1:
            raise ArgumentError("DiscriminatorConfig(pack)", expected="a whole number >= 1", got=self.pack)
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "in_shape", tuple(self.in_shape))


def _check_widths(where: str, first: int, hidden, shape) -> None:
    sizes = [first, *tuple(hidden), *tuple(shape)]
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes) or not tuple(shape):
        raise ArgumentError(where, expected="whole-number sizes >= 1 and a non-empty sample shape",
                            got=f"<latent/hidden/shape {first}, {tuple(hidden)}, {tuple(shape)}>")


def _check_choice(where: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ArgumentError(where, expected=f"one of {choices}", got=value)


def _activation(name: str, slope: float) -> nn.Module:
    return nn.LeakyReLU(slope) if name == "leaky_relu" else nn.ReLU()


class MLPGenerator(nn.Module):
    """G(z): Linear -> activation for each hidden width, then Linear to the sample (+ Tanh)."""

    def __init__(self, config: GeneratorConfig = GeneratorConfig()) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        layers: list[nn.Module] = []
        width = config.latent_dim
        for size in config.hidden:
            layers += [nn.Linear(width, size), _activation(config.activation, config.slope)]
            width = size
        layers.append(nn.Linear(width, math.prod(config.out_shape)))
        if config.out_activation == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.net(z)  # (B, prod(out_shape))
        return x.view(z.shape[0], *self.config.out_shape)  # (B, *out_shape)


class MLPDiscriminator(nn.Module):
    """D(x): flatten, Linear -> activation (-> dropout) per hidden width, Linear to one logit."""

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = math.prod(config.in_shape) * config.pack
        for size in config.hidden:
            layers += [nn.Linear(width, size), _activation(config.activation, config.slope)]
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        if batch % self.config.pack:
            raise ArgumentError("MLPDiscriminator input", expected=f"a batch divisible by pack={self.config.pack}",
                                got=f"<a batch of {batch}>", hint="Use a batch size that is a multiple of pack.")
        x = x.reshape(batch // self.config.pack, -1)  # (B/pack, pack * features)
        return self.net(x).squeeze(1)  # (B/pack,) logits


def toy_gan(latent_dim: int = 2, hidden: tuple[int, ...] = (128, 128, 128), *, d_hidden: tuple[int, ...] | None = None,
            pack: int = 1) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """Configs of the 2-D toy GAN of lesson 02: ReLU MLPs, no output activation."""
    return (GeneratorConfig(latent_dim=latent_dim, hidden=hidden, out_shape=(2,)),
            DiscriminatorConfig(in_shape=(2,), hidden=d_hidden or hidden, pack=pack))


def image_gan(image_shape: tuple[int, ...], latent_dim: int = 100,
              dropout: float = 0.3) -> tuple[GeneratorConfig, DiscriminatorConfig]:
    """The classic fully connected image GAN, for images of any shape (C, H, W) or (H, W).

    G: z (100) -> 256 -> 512 -> 1024 -> prod(image_shape), LeakyReLU 0.2, Tanh out.
    D: image -> 1024 -> 512 -> 256 -> 1, LeakyReLU 0.2, dropout after each hidden layer.
    """
    shape = tuple(image_shape)
    return (GeneratorConfig(latent_dim=latent_dim, hidden=(256, 512, 1024), out_shape=shape,
                            activation="leaky_relu", slope=0.2, out_activation="tanh"),
            DiscriminatorConfig(in_shape=shape, hidden=(1024, 512, 256), activation="leaky_relu",
                                slope=0.2, dropout=dropout))


# --- DCGAN (lessons 03-04) ----------------------------------------------------------------

def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0) -> int:
    """Side of a transposed convolution's output: (size - 1) * stride - 2 * padding + kernel + output_padding.

    DCGAN's first layer turns a 1x1 "image" into 4x4 (kernel 4, stride 1, padding 0); each
    later layer doubles the side (kernel 4, stride 2, padding 1): (n - 1) * 2 - 2 + 4 = 2n.
    """
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Side of a convolution's output: floor((size + 2 * padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation, for ``model.apply(dcgan_init)``: convolution weights ~ N(0, 0.02),
    batch-norm scales ~ N(1, 0.02), and their biases 0. Other layers keep PyTorch's defaults."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


_UPSAMPLES = ("transposed", "resize")
_NORMS = ("batch", "layer", "none")


def _check_image(where: str, image_size: int, channels: int) -> None:
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8 or image_size & (image_size - 1):
        raise ArgumentError(f"{where}(image_size)", expected="a power of two from 8 up (16 or 32 in the lessons)",
                            got=image_size)
    if channels not in (1, 3):
        raise ArgumentError(f"{where}(channels)", expected="1 (grey) or 3 (RGB)", got=channels)


def _check_positive(where: str, **values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and name != "num_classes"):
            raise ArgumentError(f"{where}({name})", expected="a whole number >= 1" if name != "num_classes"
                                else "a whole number >= 0 (0: unconditional)", got=value)


@dataclass(frozen=True)
class DCGANGeneratorConfig:
    """A DCGAN generator z (B, latent_dim) -> images (B, channels, image_size, image_size)."""

    image_size: int = 16           # side of the square image: a power of two >= 8
    channels: int = 1              # 1 (grey) or 3 (RGB)
    latent_dim: int = 100          # size of z ~ N(0, I)
    width: int = 64                # channels of the last hidden map (ngf); doubled at each smaller size
    num_classes: int = 0           # > 0: conditional, G(z, label) with label in 0..num_classes-1
    embed_dim: int = 16            # size of the label embedding joined to z (conditional only)
    upsample: str = "transposed"   # "transposed" (stride-2 transposed conv) or "resize" (nearest x2, then conv)
    kernel: int = 4                # kernel of the stride-2 transposed convolutions (4 in DCGAN; 3 shows checkerboards)
    norm: str = "batch"            # "batch" (DCGAN) or "none": batch norm after every hidden layer, or nothing

    def __post_init__(self) -> None:
        _check_image("DCGANGeneratorConfig", self.image_size, self.channels)
        _check_positive("DCGANGeneratorConfig", latent_dim=self.latent_dim, width=self.width,
                        num_classes=self.num_classes, embed_dim=self.embed_dim)
        _check_choice("DCGANGeneratorConfig(upsample)", self.upsample, _UPSAMPLES)
        _check_choice("DCGANGeneratorConfig(norm)", self.norm, ("batch", "none"))
        if self.kernel not in (3, 4):
            raise ArgumentError("DCGANGeneratorConfig(kernel)", expected="3 or 4", got=self.kernel)


@dataclass(frozen=True)
class DCGANDiscriminatorConfig:
    """A DCGAN discriminator images (B, channels, image_size, image_size) -> logits (B,)."""

    image_size: int = 16           # side of the square image
    channels: int = 1              # 1 or 3
    width: int = 64                # channels of the first map (ndf); doubled at each smaller size
    num_classes: int = 0           # > 0: conditional, D(x, label): one-hot label channels + projection
    norm: str = "batch"            # "batch" (DCGAN), "layer" (a WGAN-GP critic) or "none"
    slope: float = 0.2             # negative slope of the LeakyReLUs
    translate: int = 0             # DiffAugment: shift every input by up to this many pixels in training (0: off)
    minibatch_std: bool = False    # append the batch's feature spread as one more map before the last layer
    label_maps: bool = True        # conditional: also feed the label as one-hot input maps (False: projection only)

    def __post_init__(self) -> None:
        _check_image("DCGANDiscriminatorConfig", self.image_size, self.channels)
        _check_positive("DCGANDiscriminatorConfig", width=self.width, num_classes=self.num_classes)
        _check_choice("DCGANDiscriminatorConfig(norm)", self.norm, _NORMS)
        if isinstance(self.translate, bool) or not isinstance(self.translate, int) or not 0 <= self.translate < self.image_size // 2:
            raise ArgumentError("DCGANDiscriminatorConfig(translate)",
                                expected=f"a whole number of pixels from 0 to {self.image_size // 2 - 1}", got=self.translate)


def _levels(image_size: int) -> int:
    """Stride-2 layers between a 4x4 map and the image: log2(image_size / 4)."""
    return int(math.log2(image_size // 4))


def _labels(labels: torch.Tensor | None, num_classes: int, batch: int, where: str) -> torch.Tensor:
    if num_classes == 0:
        if labels is not None:
            raise ArgumentError(f"{where}(labels)", expected="no labels: this model is unconditional",
                                got="<labels>", hint="Build it with num_classes > 0 for a conditional GAN.")
        return None  # type: ignore[return-value]
    if labels is None or labels.shape != (batch,):
        raise ArgumentError(f"{where}(labels)", expected=f"one label per image, shape ({batch},)",
                            got=None if labels is None else tuple(labels.shape),
                            hint="A conditional model is called as model(x, labels).")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ArgumentError(f"{where}(labels)", expected=f"labels in 0..{num_classes - 1}",
                            got=(int(labels.min()), int(labels.max())))
    return labels


class DCGANGenerator(nn.Module):
    """G(z) or G(z, label): a 4x4 map grown to the image by stride-2 upsampling.

    For 16x16 and width 64: z (B, 100) -> (B, 128, 4, 4) -> (B, 64, 8, 8) -> (B, 1, 16, 16),
    each hidden map batch-normed and ReLU'd, Tanh at the end.
    """

    def __init__(self, config: DCGANGeneratorConfig = DCGANGeneratorConfig()) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.num_classes = config.num_classes
        levels = _levels(config.image_size)
        widths = [config.width * 2 ** (levels - 1 - i) for i in range(levels)]  # 4x4 map first
        self.embed = nn.Embedding(config.num_classes, config.embed_dim) if config.num_classes else None
        z_in = config.latent_dim + (config.embed_dim if config.num_classes else 0)
        batch_norm = config.norm == "batch"
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_in, widths[0], 4, 1, 0, bias=not batch_norm)]  # (B, w0, 4, 4)
        layers += [nn.BatchNorm2d(widths[0])] if batch_norm else []
        layers.append(nn.ReLU(inplace=True))
        for i in range(levels):
            out = widths[i + 1] if i + 1 < levels else config.channels
            last = i + 1 == levels
            layers.append(self._upsample(widths[i], out, bias=last or not batch_norm))  # side doubles
            if not last:
                layers += ([nn.BatchNorm2d(out)] if batch_norm else []) + [nn.ReLU(inplace=True)]
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def _upsample(self, c_in: int, c_out: int, bias: bool) -> nn.Module:
        if self.config.upsample == "resize":
            return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias))
        if self.config.kernel == 3:  # (n - 1) * 2 - 2 + 3 + 1 = 2n, with uneven overlap
            return nn.ConvTranspose2d(c_in, c_out, 3, 2, 1, output_padding=1, bias=bias)
        return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)  # (n - 1) * 2 - 2 + 4 = 2n

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        labels = _labels(labels, self.num_classes, z.shape[0], "DCGANGenerator")
        if labels is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)  # (B, latent_dim + embed_dim)
        return self.net(z[:, :, None, None])  # (B, C, H, W) in [-1, 1]


class DCGANDiscriminator(nn.Module):
    """D(x) or D(x, label): stride-2 convolutions down to 4x4, then one logit per image.

    For 16x16 and width 64: (B, 1, 16, 16) -> (B, 64, 8, 8) -> (B, 128, 4, 4) -> (B,), LeakyReLU
    0.2 throughout, normalisation on every map but the first (as in DCGAN). In training mode it
    can shift its inputs at random first (``translate``, see :mod:`artlab.gan.augment`).
    """

    def __init__(self, config: DCGANDiscriminatorConfig = DCGANDiscriminatorConfig()) -> None:
        super().__init__()
        self.config = config
        self.num_classes = config.num_classes
        levels = _levels(config.image_size)
        widths = [config.width * 2 ** i for i in range(levels)]
        layers: list[nn.Module] = []
        c_in = config.channels + (config.num_classes if config.label_maps else 0)  # one-hot label maps ride along
        for i, width in enumerate(widths):
            layers.append(nn.Conv2d(c_in, width, 4, 2, 1, bias=i == 0 or config.norm != "batch"))  # side halves
            if i > 0 and config.norm == "batch":
                layers.append(nn.BatchNorm2d(width))
            elif i > 0 and config.norm == "layer":
                layers.append(nn.GroupNorm(1, width))  # layer norm over (C, H, W): no mixing across the batch
            layers.append(nn.LeakyReLU(config.slope, inplace=True))
            c_in = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(widths[-1] + int(config.minibatch_std), 1, 4, 1, 0)  # (B, 1, 1, 1)
        self.project = nn.Embedding(config.num_classes, widths[-1]) if config.num_classes else None
        self.apply(dcgan_init)
        if self.project is not None:
            nn.init.normal_(self.project.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        labels = _labels(labels, self.num_classes, x.shape[0], "DCGANDiscriminator")
        if self.training and self.config.translate:
            x = translate(x, self.config.translate)  # (B, C, H, W), shifted: DiffAugment
        if labels is not None and self.config.label_maps:
            onehot = F.one_hot(labels, self.num_classes).to(x.dtype)  # (B, K)
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1)  # (B, C + K, H, W)
        h = self.body(x)  # (B, w, 4, 4)
        logits = self.head(minibatch_std(h) if self.config.minibatch_std else h).flatten()  # (B,)
        if labels is not None:
            logits = logits + (self.project(labels) * h.sum(dim=(2, 3))).sum(dim=1)  # + <embed(y), features>
        return logits


class ClusterPainter(nn.Module):
    """An unconditional painter made of a generator conditioned on clusters (a self-conditioned GAN).

    ``generator(z, cluster)`` learnt to paint each k-means cluster of the data
    (:func:`artlab.data.images.clustered`); this module paints from noise alone, ``painter(z)``,
    choosing the cluster from z itself, as often as the cluster occurs in the data (``shares``):
    the first noise coordinate's normal quantile u = Phi(z_0) picks the cluster whose slice of
    the cumulative shares holds u, and is then stretched back to a standard normal within that
    slice, so the generator still sees z ~ N(0, I). The same z always paints the same picture.
    """

    def __init__(self, generator: nn.Module, shares) -> None:
        super().__init__()
        shares = torch.as_tensor(shares, dtype=torch.float32).flatten()
        if getattr(generator, "num_classes", 0) != len(shares) or len(shares) < 1 or (shares < 0).any() or shares.sum() <= 0:
            raise ArgumentError("ClusterPainter(shares)", expected=f"one share >= 0 per cluster of the generator "
                                f"({getattr(generator, 'num_classes', 0)}), not all 0", got=tuple(shares.tolist()))
        self.generator = generator
        self.latent_dim = generator.latent_dim
        self.num_classes = 0  # it is called without labels
        self.clusters = len(shares)
        cumulative = shares.cumsum(0) / shares.sum()
        self.register_buffer("upper", cumulative)                                    # (K,)
        self.register_buffer("lower", torch.cat([cumulative.new_zeros(1), cumulative[:-1]]))

    def cluster(self, z: torch.Tensor) -> torch.Tensor:
        """The cluster each noise vector paints, ``(B,)``."""
        return self._pick(z)[0]

    def _pick(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(cluster (B,), u (B,))``: u = Phi(z_0), uniform on (0, 1), and the cluster whose slice holds it."""
        u = _normal_cdf(z[:, 0])
        return torch.searchsorted(self.upper, u.contiguous()).clamp(max=self.clusters - 1), u

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _labels(labels, 0, z.shape[0], "ClusterPainter")
        cluster, u = self._pick(z)                                                   # (B,), (B,)
        low, high = self.lower[cluster], self.upper[cluster]
        within = ((u - low) / (high - low).clamp(min=1e-12)).clamp(1e-6, 1 - 1e-6)  # uniform again
        z = torch.cat([(math.sqrt(2) * torch.erfinv(2 * within - 1))[:, None], z[:, 1:]], dim=1)
        return self.generator(z, cluster)                                            # (B, C, H, W)


class Memoriser(nn.Module):
    """The perfect copyist: it paints a training image, chosen by the noise.

    ``memoriser(z)`` returns ``images[i]``, where the first noise coordinate's normal quantile
    u = Phi(z_0) picks i = floor(u * N): every image equally likely, a batch a random draw with
    replacement. It is what a generator that had learnt its N training images by heart would
    paint, so scored like any painter (``score_digits(Memoriser(digits(16).images))``) it shows
    the best a painter of the training set can expect from the scorecard: what is left is the
    scorecard's own noise (a random mix of digits, not the floor's 36 of each).
    """

    def __init__(self, images: torch.Tensor, latent_dim: int = 100) -> None:
        super().__init__()
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) < 1:
            raise ArgumentError("Memoriser(images)", expected="a batch of images (N, C, H, W), N >= 1",
                                got=tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__)
        _check_positive("Memoriser", latent_dim=latent_dim)
        self.register_buffer("images", images.detach().clone())  # (N, C, H, W)
        self.latent_dim = latent_dim  # the noise painters are given; only z_0 is used
        self.num_classes = 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        _labels(labels, 0, z.shape[0], "Memoriser")
        index = (_normal_cdf(z[:, 0]) * len(self.images)).long().clamp(max=len(self.images) - 1)  # (B,)
        return self.images[index]  # (B, C, H, W)


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    """Phi(x), the standard normal's cumulative distribution: N(0, 1) noise -> uniform on (0, 1)."""
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def minibatch_std(h: torch.Tensor) -> torch.Tensor:
    """Append one map holding the mean standard deviation of ``h`` ``(B, C, H, W)`` over the batch.

    A batch of near-copies has a small spread, and the discriminator sees it: a cheap cure
    for mode collapse (Karras et al., 2018, "Progressive growing of GANs").
    """
    spread = h.std(dim=0, unbiased=False).mean()  # one number for the batch
    return torch.cat([h, spread.expand(h.shape[0], 1, *h.shape[2:])], dim=1)  # (B, C + 1, H, W)


def dcgan(image_shape: tuple[int, int, int], latent_dim: int = 100, width: int = 64, num_classes: int = 0,
          *, norm: str = "batch", d_width: int | None = None, translate: int = 0,
          minibatch_std: bool = False, g_norm: str = "batch", label_maps: bool = True, **generator_options) -> tuple[DCGANGeneratorConfig, DCGANDiscriminatorConfig]:
    """Configs of a DCGAN pair for images of shape (C, H, H), e.g. (1, 16, 16) or (3, 32, 32).

    ``norm`` is the discriminator's normalisation, ``g_norm`` the generator's; ``generator_options``
    go to :class:`DCGANGeneratorConfig` (``upsample``, ``kernel``, ``embed_dim``).
    """
    if len(tuple(image_shape)) != 3 or image_shape[1] != image_shape[2]:
        raise ArgumentError("dcgan(image_shape)", expected="(channels, size, size)", got=tuple(image_shape))
    channels, size, _ = image_shape
    return (DCGANGeneratorConfig(image_size=size, channels=channels, latent_dim=latent_dim, width=width,
                                 num_classes=num_classes, norm=g_norm, **generator_options),
            DCGANDiscriminatorConfig(image_size=size, channels=channels, width=d_width or width,
                                     num_classes=num_classes, norm=norm, translate=translate,
                                     minibatch_std=minibatch_std, label_maps=label_maps))


_GENERATORS = {"MLPGenerator": (MLPGenerator, GeneratorConfig), "DCGANGenerator": (DCGANGenerator, DCGANGeneratorConfig)}
_DISCRIMINATORS = {"MLPDiscriminator": (MLPDiscriminator, DiscriminatorConfig),
                   "DCGANDiscriminator": (DCGANDiscriminator, DCGANDiscriminatorConfig)}


def _build(kinds: dict, config, where: str) -> nn.Module:
    for model, config_type in kinds.values():
        if isinstance(config, config_type):
            return model(config)
    raise ArgumentError(where, expected=f"one of {[c.__name__ for _, c in kinds.values()]}",
                        got=f"<a {type(config).__name__}>")


def build_generator(config: GeneratorConfig | DCGANGeneratorConfig | str, values: dict | None = None) -> nn.Module:
    """The generator for a config, or for a model name and a dict of config values (from a checkpoint)."""
    if isinstance(config, str):
        if config not in _GENERATORS:
            raise ArgumentError("build_generator(name)", expected=f"one of {sorted(_GENERATORS)}", got=config)
        config = _GENERATORS[config][1](**(values or {}))
    return _build(_GENERATORS, config, "build_generator(config)")


def build_discriminator(config: DiscriminatorConfig | DCGANDiscriminatorConfig) -> nn.Module:
    """The discriminator for a config."""
    return _build(_DISCRIMINATORS, config, "build_discriminator(config)")
