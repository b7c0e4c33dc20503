"""Pictures of the toy mixtures: the GAN Lab view and 1-D densities (lessons 01 and 02).

* :func:`decision_surface`: D(x) on a square grid of points, shape (R, R);
* :func:`surface_snapshot`: a ``snapshot_fn`` for :func:`artlab.gan.train.train_gan` that
  records the samples *and* the decision surface, so the replay slider can show both;
* :func:`plot_toy`: real points, generated points, and the discriminator's decision
  surface behind them (red where D says "real", blue where it says "fake");
* :func:`plot_densities_1d`: p_data, p_g and a discriminator over a 1-D axis;
* :func:`plot_mode_counts`: high-quality samples per mode, the bar chart of collapse.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

__all__ = ["decision_surface", "surface_snapshot", "plot_toy", "plot_densities_1d", "plot_mode_counts",
           "EXTENT"]

EXTENT = 5.5  # half-width of the square shown around the ring (radius 2) and the grid (-4..4)


def _axis(extent: float, resolution: int) -> torch.Tensor:
    return torch.linspace(-extent, extent, resolution)


def decision_surface(discriminator: nn.Module, extent: float = EXTENT, resolution: int = 80) -> torch.Tensor:
    """D(x) = sigmoid(logit) on a ``resolution`` x ``resolution`` grid over [-extent, extent]^2, shape (R, R).

    Row i holds y = axis[i], column j holds x = axis[j] (the layout ``imshow`` expects).
    A packing discriminator (PacGAN) sees each point repeated ``pack`` times.
    """
    axis = _axis(extent, resolution)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    points = torch.stack([xs.flatten(), ys.flatten()], dim=1)  # (R*R, 2)
    pack = getattr(getattr(discriminator, "config", None), "pack", 1)
    device = next(discriminator.parameters()).device
    was_training = discriminator.training
    discriminator.eval()
    try:
        with torch.no_grad():
            logits = discriminator(points.repeat_interleave(pack, dim=0).to(device))  # (R*R,)
    finally:
        discriminator.train(was_training)
    return torch.sigmoid(logits).cpu().view(resolution, resolution)


def surface_snapshot(extent: float = EXTENT, resolution: int = 60):
    """A snapshot function recording ``x_fake = G(z)`` and ``surface = decision_surface(D)``."""
    def snapshot(generator: nn.Module, discriminator: nn.Module, z: torch.Tensor) -> dict:
        return {"x_fake": generator(z), "surface": decision_surface(discriminator, extent, resolution)}
    return snapshot


def plot_toy(x_real: torch.Tensor | None, x_fake: torch.Tensor | None, surface: torch.Tensor | None = None, *,
             extent: float = EXTENT, ax=None, title: str | None = None, max_points: int = 1000):
    """Real points (black), generated points (orange) over D's decision surface (red: real, blue: fake)."""
    ax = ax or plt.gca()
    if surface is not None:
        image = ax.imshow(surface.numpy(), origin="lower", extent=(-extent, extent, -extent, extent),
                          cmap="RdBu_r", vmin=0, vmax=1, alpha=0.55, interpolation="bilinear")
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.02, label="D(x)")
    if x_real is not None:
        real = x_real[:max_points].detach().cpu()
        ax.scatter(real[:, 0], real[:, 1], s=4, c="black", alpha=0.6, label="real")
    if x_fake is not None:
        fake = x_fake[:max_points].detach().cpu()
        ax.scatter(fake[:, 0], fake[:, 1], s=4, c="tab:orange", alpha=0.7, label="generated")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)
    if title:
        ax.set_title(title)
    return ax


def plot_densities_1d(x: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor | None = None,
                      d: torch.Tensor | None = None, *, ax=None, title: str | None = None, d_label: str = "D*(x)"):
    """p_data (black) and p_g (orange) on the left axis, a discriminator (blue, 0..1) on the right."""
    ax = ax or plt.gca()
    ax.plot(x, p_data, color="black", label="p_data")
    if p_g is not None:
        ax.plot(x, p_g, color="tab:orange", label="p_g")
    ax.set_ylabel("density")
    ax.set_xlabel("x")
    handles, labels = ax.get_legend_handles_labels()
    if d is not None:
        right = ax.twinx()
        right.plot(x, d, color="tab:blue", label=d_label)
        right.axhline(0.5, color="tab:blue", lw=0.8, ls=":")
        right.set_ylim(-0.02, 1.02)
        right.set_ylabel("D(x)")
        more, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more, labels + more_labels
    ax.legend(handles, labels, loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_mode_counts(counts: Sequence[int], *, ax=None, title: str | None = None):
    """Bars: high-quality samples per mode (a uniform generator gives equal bars)."""
    ax = ax or plt.gca()
    ax.bar(range(len(counts)), list(counts), color="tab:orange")
    ax.axhline(sum(counts) / max(len(counts), 1), color="black", lw=0.8, ls=":", label="uniform")
    ax.set_xlabel("mode")
    ax.set_ylabel("high-quality samples")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
