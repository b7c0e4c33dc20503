"""The painter contract: what every model that paints pictures from noise provides.

A **painter** is an ``nn.Module`` with

* ``latent_dim: int``: the size of the noise vector z ~ N(0, I) it paints from;
* ``num_classes: int``: 0 for a painter that is called without labels; K > 0 for one that
  paints the class you ask for (``labels`` in 0..K-1, a conditional GAN of lesson 04, a guided
  diffusion model of lesson 10);
* ``forward(z, labels=None) -> images``: z ``(B, latent_dim)`` and labels ``(B,)`` or ``None``
  to pictures ``(B, C, H, W)`` with values in [-1, 1]. The same z (and labels) must paint the
  same picture, so a seed fixes a painting.

That is all :func:`artlab.painters.paint`, the scorecard (:func:`artlab.painters.score_digits`),
the latent sliders of lesson 03 and ``artlab paint`` need. A GAN's generator is a painter as it
is (:mod:`artlab.gan.dcgan`, :mod:`artlab.gan.mlp`); so are the
:class:`~artlab.painters.copies.ClusterPainter` of lesson 04, the
:class:`~artlab.painters.copies.Memoriser` (the perfect copy the scorecard is read against) and
lesson 10's diffusion painter, which runs its sampler on z.

To be **saved and loaded** by name, a painter's family is registered in
:data:`artlab.registry.PAINTERS` (config class, model class) and its checkpoint follows the one
layout of :mod:`artlab.checkpoint` with ``extra["kind"] == "painter"``; the weights that paint are
the module named by ``extra["paints_with"]`` (``"generator_ema"``, ``"generator"``, ``"model"``, ...).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from artlab.errors import ArgumentError

__all__ = ["Painter", "check_labels"]


@runtime_checkable
class Painter(Protocol):
    """Anything that paints: ``painter(z, labels=None) -> (B, C, H, W)`` in [-1, 1]."""

    latent_dim: int
    num_classes: int

    def __call__(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...


def check_labels(labels: torch.Tensor | None, num_classes: int, batch: int, where: str) -> torch.Tensor | None:
    """``labels`` if they suit a painter with ``num_classes`` classes and a batch of ``batch``, else an
    :class:`ArgumentError`: no labels for an unconditional painter, one label in 0..K-1 per picture
    for a conditional one."""
    if num_classes == 0:
        if labels is not None:
            raise ArgumentError(f"{where}(labels)", expected="no labels: this model is unconditional",
                                got="<labels>", hint="Build it with num_classes > 0 for a conditional model.")
        return None
    if labels is None or labels.shape != (batch,):
        raise ArgumentError(f"{where}(labels)", expected=f"one label per image, shape ({batch},)",
                            got=None if labels is None else tuple(labels.shape),
                            hint="A conditional model is called as model(x, labels).")
    if labels.dtype in (torch.float16, torch.float32, torch.float64, torch.bool):
        raise ArgumentError(f"{where}(labels)", expected="whole-number labels (a LongTensor)", got=str(labels.dtype))
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ArgumentError(f"{where}(labels)", expected=f"labels in 0..{num_classes - 1}",
                            got=(int(labels.min()), int(labels.max())))
    return labels
