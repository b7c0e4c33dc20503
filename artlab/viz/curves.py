"""Training curves: losses and discriminator outputs over the steps (lesson 02 onwards).

:func:`plot_history` draws two panels from a :class:`artlab.gan.train.History` (or any
object with the same lists): the two losses, and the mean D(x_real) and D(G(z)). At the
game's equilibrium both D outputs sit near 1/2 and D's loss near log 4 = 1.386.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["moving_average", "plot_history"]


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean over ``window`` values (shorter at the start), same length as ``values``."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def plot_history(history, *, smooth: int | None = None, axes=None, title: str | None = None,
                 wasserstein: bool = False):
    """Losses (left) and mean D outputs (right) against the step; returns the two axes.

    ``wasserstein=True`` (a WGAN's history): D's outputs are raw critic scores, so the right
    panel shows them with their difference, the critic's estimate of the Wasserstein distance.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    steps = np.asarray(history.step)
    window = smooth if smooth is not None else max(1, len(steps) // 100)
    left, right = axes
    left.plot(steps, moving_average(history.d_loss, window), label="D loss")
    left.plot(steps, moving_average(history.g_loss, window), label="G loss")
    if not wasserstein:
        left.axhline(math.log(4), color="gray", lw=0.8, ls=":", label="log 4 (equilibrium D loss)")
    left.set_xlabel("step")
    left.set_ylabel("loss")
    left.legend(fontsize=8)
    if wasserstein:
        right.plot(steps, moving_average(history.d_real, window), label="mean f(x_real)")
        right.plot(steps, moving_average(history.d_fake, window), label="mean f(G(z))")
        right.plot(steps, moving_average(np.subtract(history.d_real, history.d_fake), window),
                   label="W estimate: mean f(x_real) - mean f(G(z))")
        right.axhline(0.0, color="gray", lw=0.8, ls=":")
    else:
        right.plot(steps, moving_average(history.d_real, window), label="mean D(x_real)")
        right.plot(steps, moving_average(history.d_fake, window), label="mean D(G(z))")
        right.axhline(0.5, color="gray", lw=0.8, ls=":", label="1/2 (equilibrium)")
        right.set_ylim(-0.02, 1.02)
    right.set_xlabel("step")
    right.legend(fontsize=8)
    if title:
        left.figure.suptitle(title)
    return axes
