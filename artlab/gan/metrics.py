"""Mode-collapse metrics of the PacGAN and VEEGAN experiments.

Given samples from a generator and the modes of the real mixture (centres ``mu_k``,
standard deviation ``sigma``):

1. assign each sample to its nearest mode;
2. a sample is **high quality** when it lies within 3 sigma of that mode;
3. a mode is **covered** when it received at least one high-quality sample;
4. the **reverse KL** is KL(q || uniform) = sum_k q_k log(K q_k), where q is the
   histogram of the high-quality samples over the K modes (uniform: the real data).

PacGAN reports them on 2,500 samples. A collapsed generator covers few modes; a blurry
one has a low high-quality share; a lopsided one has a large reverse KL (log K when
everything lands on one mode). Lesson 02 (``notebooks/02_gan_training_loop.ipynb``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from artlab.data.toy import GaussianMixture
from artlab.errors import ArgumentError

__all__ = ["ModeMetrics", "nearest_mode", "modes_covered", "mode_metrics", "N_SAMPLES"]

N_SAMPLES = 2_500  # the sample size of the PacGAN and VEEGAN tables


@dataclass(frozen=True)
class ModeMetrics:
    """What :func:`mode_metrics` measures on one set of samples."""

    modes_covered: int            # modes with at least one high-quality sample
    n_modes: int                  # K
    high_quality: float           # share of samples within 3 sigma of their nearest mode
    reverse_kl: float             # KL(histogram of high-quality samples || uniform)
    counts: tuple[int, ...]       # high-quality samples per mode

    def __str__(self) -> str:
        return (f"{self.modes_covered}/{self.n_modes} modes, {100 * self.high_quality:.1f}% high quality, "
                f"reverse KL {self.reverse_kl:.3f}")


def nearest_mode(samples: torch.Tensor, means: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Index of the nearest mode for each sample (N,) and the distance to it (N,)."""
    samples = _samples(samples, means)
    distances = torch.cdist(samples.double(), means.double())  # (N, K)
    distance, index = distances.min(dim=1)
    return index, distance.to(samples.dtype)


def modes_covered(samples: torch.Tensor, means: torch.Tensor, sigma: float) -> int:
    """How many modes received at least one sample within 3 sigma of it (nearest-mode rule)."""
    index, distance = nearest_mode(samples, means)
    return int(index[distance <= 3 * sigma].unique().numel())


def mode_metrics(samples: torch.Tensor, mixture: GaussianMixture) -> ModeMetrics:
    """Modes covered, high-quality share and reverse KL of ``samples`` (N, D) against ``mixture``."""
    index, distance = nearest_mode(samples, mixture.means)
    good = distance <= 3 * mixture.sigma  # (N,)
    counts = torch.bincount(index[good], minlength=mixture.n_modes)  # (K,)
    total = int(counts.sum())
    if total == 0:
        reverse_kl = math.inf
    else:
        q = counts.double() / total
        q = q[q > 0]
        reverse_kl = float((q * (q * mixture.n_modes).log()).sum())
    return ModeMetrics(
        modes_covered=int((counts > 0).sum()),
        n_modes=mixture.n_modes,
        high_quality=float(good.double().mean()) if len(good) else 0.0,
        reverse_kl=reverse_kl,
        counts=tuple(int(c) for c in counts),
    )


def _samples(samples: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    samples = torch.as_tensor(samples).detach().cpu()
    if samples.dim() == 1 and means.shape[1] == 1:
        samples = samples[:, None]
    if samples.dim() != 2 or samples.shape[1] != means.shape[1]:
        raise ArgumentError("samples", expected=f"a tensor of shape (N, {means.shape[1]})",
                            got=f"<a tensor of shape {tuple(samples.shape)}>",
                            hint="Pass generator(z) for z of shape (N, latent_dim).")
    return samples.float()
