"""Pictures for lesson 05: gradient norm against lag, accuracy against gap, hidden states over time.

Each function draws on the given matplotlib axes (or a new figure) and returns the axes.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import NullLocator

__all__ = ["plot_gradient_by_lag", "plot_accuracy_by_gap", "plot_hidden_states"]


def _axes(ax, size=(6, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_gradient_by_lag(curves: Mapping[str, torch.Tensor], ax=None, title: str | None = None):
    """‖∂L/∂x_{T-k}‖ against the lag k, one line per label, on a log scale."""
    ax = _axes(ax)
    for label, norms in curves.items():
        norms = torch.as_tensor(norms).detach().double().clamp_min(1e-30)
        ax.semilogy(range(len(norms)), norms.numpy(), label=label, lw=2)
    ax.set_xlabel("lag k (steps back from the loss)")
    ax.set_ylabel(r"$\Vert\partial L / \partial x_{T-k}\Vert$")
    ax.set_title(title or "How far back the gradient reaches")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax


def plot_accuracy_by_gap(gaps: Sequence[int], results: Mapping[str, Sequence], chance: float,
                         ax=None, title: str | None = None):
    """Test accuracy against the gap length, one line per cell kind, with chance marked.

    ``results[label][i]`` is the accuracy at ``gaps[i]``, or a list of accuracies (one per
    seed): then the line joins the means and each seed is a dot.
    """
    ax = _axes(ax)
    for label, per_gap in results.items():
        runs = [list(a) if isinstance(a, (list, tuple)) else [a] for a in per_gap]
        means = [sum(r) / len(r) for r in runs]
        line, = ax.plot(list(gaps), means, "-", lw=2, label=label)
        xs = [g for g, r in zip(gaps, runs) for _ in r]
        ax.plot(xs, [a for r in runs for a in r], "o", color=line.get_color(), alpha=0.6)
    ax.axhline(chance, color="grey", ls="--", label=f"chance ({chance:.3f})")
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(list(gaps))
    ax.set_xticklabels([str(g) for g in gaps])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("gap (notes between the first note and the question)")
    ax.set_ylabel("accuracy")
    ax.set_title(title or "Remembering the first note")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center right")
    return ax


def plot_hidden_states(hs: torch.Tensor, labels: Sequence[str] | None = None, ax=None, title: str | None = None):
    """A heat map of one sequence's hidden states, hs (T, H): time across, units down."""
    hs = torch.as_tensor(hs).detach().float()
    ax = _axes(ax, size=(max(4, 0.35 * hs.shape[0] + 1.5), 2.5))
    image = ax.imshow(hs.T.numpy(), aspect="auto", cmap="coolwarm", vmin=-1, vmax=1)
    ax.set_xlabel("time step t")
    ax.set_ylabel("unit")
    if labels is not None:
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_title(title or "hidden state h_t")
    plt.colorbar(image, ax=ax, fraction=0.03)
    return ax
