"""Gaussian mixtures with exact densities: the data of lessons 01 and 02.

A :class:`GaussianMixture` has ``K`` equally weighted isotropic Gaussian modes with
means ``mu_k`` and one standard deviation ``sigma``:

    p_data(x) = (1/K) * sum_k N(x; mu_k, sigma^2 I)

Because the density is known exactly, lesson 01 (``notebooks/01_gan_minimax.ipynb``)
can draw the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x)), and
lesson 02 (``notebooks/02_gan_training_loop.ipynb``) can say which modes a generator
covers (:mod:`artlab.gan.metrics`).

The mixtures of the PacGAN and VEEGAN experiments:

* :func:`ring`: 8 modes on a circle of radius 2, sigma 0.02;
* :func:`grid`: 25 modes on a 5x5 grid with spacing 2 (from -4 to 4), sigma 0.05;
* :func:`two_modes_1d`: a 1-D mixture of two modes for pictures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from artlab.errors import ArgumentError, whole_number

__all__ = ["GaussianMixture", "ring", "grid", "two_modes_1d"]


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """Equally weighted isotropic Gaussians: ``means`` (K, D), one ``sigma`` for all."""

    means: torch.Tensor  # (K, D)
    sigma: float
    name: str = "mixture"

    def __post_init__(self) -> None:
        means = torch.as_tensor(self.means, dtype=torch.float32)
        if means.dim() == 1:
            means = means[:, None]  # (K,) -> (K, 1): a 1-D mixture
        if means.dim() != 2 or len(means) == 0:
            raise ArgumentError("GaussianMixture(means)", expected="a (K, D) tensor with K >= 1",
                                got=f"<a tensor of shape {tuple(means.shape)}>")
        if not (isinstance(self.sigma, (int, float)) and self.sigma > 0):
            raise ArgumentError("GaussianMixture(sigma)", expected="a number > 0", got=self.sigma)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "sigma", float(self.sigma))

    @property
    def n_modes(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples, shape (n, D): pick a mode uniformly, add N(0, sigma^2 I) noise."""
        whole_number(n, f"{self.name}.sample(n)", low=0)
        modes = torch.randint(self.n_modes, (n,), generator=generator)  # (n,)
        noise = torch.randn(n, self.dim, generator=generator)  # (n, D)
        return self.means[modes] + self.sigma * noise

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) for points ``x`` of shape (N, D) (or (N,) in 1-D); returns (N,).

        log p(x) = logsumexp_k [ -|x - mu_k|^2 / (2 sigma^2) ] - log K - (D/2) log(2 pi sigma^2)
        """
        x = self._points(x)
        squared = torch.cdist(x, self.means.to(x.dtype)).pow(2)  # (N, K)
        log_norm = math.log(self.n_modes) + 0.5 * self.dim * math.log(2 * math.pi * self.sigma ** 2)
        return torch.logsumexp(-squared / (2 * self.sigma ** 2), dim=1) - log_norm

    def density(self, x: torch.Tensor) -> torch.Tensor:
        """p(x), shape (N,): the exact mixture density."""
        return self.log_prob(x).exp()

    def _points(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x)
        if not x.is_floating_point():
            x = x.float()
        if x.dim() == 1 and self.dim == 1:
            x = x[:, None]
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ArgumentError(f"{self.name} points", expected=f"a tensor of shape (N, {self.dim})",
                                got=f"<a tensor of shape {tuple(x.shape)}>")
        return x


def ring(n_modes: int = 8, radius: float = 2.0, sigma: float = 0.02) -> GaussianMixture:
    """``n_modes`` Gaussians evenly spaced on a circle (PacGAN's 2D-ring: 8, radius 2, sigma 0.02)."""
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (K, 2)
    return GaussianMixture(means.float(), sigma, name="ring")


def grid(side: int = 5, spacing: float = 2.0, sigma: float = 0.05) -> GaussianMixture:
    """A ``side`` x ``side`` grid of Gaussians centred on 0 (PacGAN's 2D-grid: 5x5, spacing 2, sigma 0.05)."""
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing  # (side,)
    means = torch.cartesian_prod(ticks, ticks)  # (side*side, 2)
    return GaussianMixture(means, sigma, name="grid")


def two_modes_1d(left: float = -2.0, right: float = 2.0, sigma: float = 0.5) -> GaussianMixture:
    """A 1-D mixture of two equal Gaussians, for the pictures of lesson 01."""
    return GaussianMixture(torch.tensor([[left], [right]]), sigma, name="two_modes_1d")
