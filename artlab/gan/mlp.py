"""Fully connected (MLP) generators and discriminators. Lessons 02 and 03.

* :class:`MLPGenerator` maps noise z of shape (B, latent_dim) through hidden layers to
  a sample of shape (B, *out_shape): a 2-D point for the toy mixtures of lesson 02, a
  whole image for lesson 03.
* :class:`MLPDiscriminator` flattens its input and maps it to one logit per sample, shape
  (B,). With ``pack = m`` it judges m samples at once (PacGAN): it sees (B/m, m * features)
  and returns B/m logits, which makes a generator that repeats itself easy to spot.
* :func:`toy_gan` builds the 2-D pair of lesson 02; :func:`image_gan` the classic fully
  connected image GAN (latent 100 -> 256 -> 512 -> 1024 -> image, Tanh; image -> 1024 ->
  512 -> 256 -> 1 with LeakyReLU 0.2 and dropout), reused in lesson 03 for any image size.

Models map tensors to tensors; training lives in :mod:`artlab.gan.train`. The convolutional
pair (DCGAN) is in :mod:`artlab.gan.dcgan`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from artlab.errors import ArgumentError, one_of, probability, whole_number

__all__ = ["GeneratorConfig", "DiscriminatorConfig", "MLPGenerator", "MLPDiscriminator", "toy_gan", "image_gan"]

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
        one_of(self.activation, "GeneratorConfig(activation)", _ACTIVATIONS)
        one_of(self.out_activation, "GeneratorConfig(out_activation)", ("none", "tanh"))
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
        one_of(self.activation, "DiscriminatorConfig(activation)", _ACTIVATIONS)
        probability(self.dropout, "DiscriminatorConfig(dropout)", one=False)
        whole_number(self.pack, "DiscriminatorConfig(pack)")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "in_shape", tuple(self.in_shape))


def _check_widths(where: str, first: int, hidden, shape) -> None:
    sizes = [first, *tuple(hidden), *tuple(shape)]
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes) or not tuple(shape):
        raise ArgumentError(where, expected="whole-number sizes >= 1 and a non-empty sample shape",
                            got=f"<latent/hidden/shape {first}, {tuple(hidden)}, {tuple(shape)}>")


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
