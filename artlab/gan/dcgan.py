"""The convolutional GAN of Radford, Metz and Chintala (2015), DCGAN. Lessons 03 and 04.

* :class:`DCGANGenerator` grows a 4x4 map to the image size with stride-2 transposed
  convolutions (or nearest-neighbour resizing and a convolution), batch norm and ReLU, Tanh at
  the end; :class:`DCGANDiscriminator` shrinks the image with stride-2 convolutions and
  LeakyReLU 0.2 to one logit. Both start from :func:`dcgan_init`.
* With ``num_classes > 0`` they are *conditional* (lesson 04): the generator paints
  ``G(z, label)`` from z joined to a learned label embedding; the discriminator sees the label
  as extra one-hot input channels and adds a projection term ``<embed(label), features>`` to its
  logit (Miyato and Koyama, 2018).
* :func:`minibatch_std` appends the batch's feature spread as one more map (Karras et al., 2018).
* :func:`conv_transpose_output_size` is the size formula of a transposed convolution,
  out = (in - 1) * stride - 2 * padding + kernel + output_padding (lesson 03's exercise).
* :func:`dcgan` builds the configs of a pair for an image shape.

The generator is a painter (:mod:`artlab.painters.protocol`), registered as ``"dcgan"``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from artlab.errors import ArgumentError, one_of, whole_number
from artlab.gan.augment import translate
from artlab.painters.protocol import check_labels

__all__ = ["conv_transpose_output_size", "conv_output_size", "dcgan_init", "DCGANGeneratorConfig",
           "DCGANDiscriminatorConfig", "DCGANGenerator", "DCGANDiscriminator", "minibatch_std", "dcgan"]

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


def _check_sizes(where: str, num_classes: int, **sizes: int) -> None:
    for name, value in sizes.items():
        whole_number(value, f"{where}({name})")
    whole_number(num_classes, f"{where}(num_classes)", low=0, hint="0: unconditional.")


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
        _check_sizes("DCGANGeneratorConfig", self.num_classes, latent_dim=self.latent_dim, width=self.width,
                     embed_dim=self.embed_dim)
        one_of(self.upsample, "DCGANGeneratorConfig(upsample)", _UPSAMPLES)
        one_of(self.norm, "DCGANGeneratorConfig(norm)", ("batch", "none"))
        one_of(self.kernel, "DCGANGeneratorConfig(kernel)", (3, 4))


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
        _check_sizes("DCGANDiscriminatorConfig", self.num_classes, width=self.width)
        one_of(self.norm, "DCGANDiscriminatorConfig(norm)", _NORMS)
        whole_number(self.translate, "DCGANDiscriminatorConfig(translate)", low=0, high=self.image_size // 2 - 1,
                     unit="pixels")


def _levels(image_size: int) -> int:
    """Stride-2 layers between a 4x4 map and the image: log2(image_size / 4)."""
    return int(math.log2(image_size // 4))


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
        labels = check_labels(labels, self.num_classes, z.shape[0], "DCGANGenerator")
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
        labels = check_labels(labels, self.num_classes, x.shape[0], "DCGANDiscriminator")
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
