"""Two painters that are not trained networks: the self-conditioned wrapper and the perfect copy.

* :class:`ClusterPainter` makes a generator conditioned on k-means clusters (a self-conditioned
  GAN, lesson 04) paint from noise alone, each cluster as often as it occurs in the data.
* :class:`Memoriser` paints a training image chosen by the noise: what a generator that learnt
  its training set by heart would paint. Scored like any painter, it shows the best the
  scorecard can give a painter of the training set (lessons 04 and 10).

Both keep the painter contract of :mod:`artlab.painters.protocol`.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from artlab.errors import ArgumentError, whole_number
from artlab.painters.protocol import check_labels

__all__ = ["ClusterPainter", "Memoriser", "normal_cdf"]


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
        u = normal_cdf(z[:, 0])
        return torch.searchsorted(self.upper, u.contiguous()).clamp(max=self.clusters - 1), u

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, 0, z.shape[0], "ClusterPainter")
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
    difference between the training and the held-out digits, and the scorecard's own noise.
    """

    def __init__(self, images: torch.Tensor, latent_dim: int = 100) -> None:
        super().__init__()
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) < 1:
            raise ArgumentError("Memoriser(images)", expected="a batch of images (N, C, H, W), N >= 1",
                                got=tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__)
        whole_number(latent_dim, "Memoriser(latent_dim)")
        self.register_buffer("images", images.detach().clone())  # (N, C, H, W)
        self.latent_dim = latent_dim  # the noise painters are given; only z_0 is used
        self.num_classes = 0

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, 0, z.shape[0], "Memoriser")
        index = (normal_cdf(z[:, 0]) * len(self.images)).long().clamp(max=len(self.images) - 1)  # (B,)
        return self.images[index]  # (B, C, H, W)


def normal_cdf(x: torch.Tensor) -> torch.Tensor:
    """Phi(x), the standard normal's cumulative distribution: N(0, 1) noise -> uniform on (0, 1)."""
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))
