"""Painting, saving and loading, for any painter (see :mod:`artlab.painters.protocol`).

* :func:`paint`: ``n`` pictures from noise seeded by ``seed`` (eval mode, no gradients);
* :func:`painting_labels`: the labels to ask a conditional painter for;
* :func:`save_paintings`: one PNG per picture;
* :func:`load_painter`: the painter in a checkpoint, whatever its family, rebuilt from the
  registry name and config the checkpoint holds (:data:`artlab.registry.PAINTERS`);
* :class:`PaintRequest`: what ``artlab paint`` asks a family's recipe to train.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from artlab.checkpoint import Checkpoint, load_checkpoint
from artlab.errors import ArgumentError, CheckpointError, whole_number
from artlab.runtime import EVAL_SEED, device_of

__all__ = ["paint", "painting_labels", "save_paintings", "load_painter", "painter_from", "PaintRequest"]


def paint(painter: nn.Module, n: int, labels: torch.Tensor | int | None = None, seed: int | None = EVAL_SEED,
          *, device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` paintings ``(n, ...)`` from noise z ~ N(0, I) seeded by ``seed`` (a private generator; ``None``:
    the global one), in eval mode without gradients, returned on the CPU.

    A conditional painter needs ``labels``: a tensor ``(n,)``, or one label for all.
    """
    whole_number(n, "paint(n)", unit="paintings")
    if isinstance(labels, int) and not isinstance(labels, bool):
        labels = torch.full((n,), labels, dtype=torch.long)
    device = device_of(painter, device)
    rng = torch.Generator().manual_seed(seed) if seed is not None else None
    z = torch.randn(n, painter.latent_dim, generator=rng).to(device)  # (n, latent_dim)
    labels = labels.to(device) if isinstance(labels, torch.Tensor) else labels
    was_training = painter.training
    painter.eval()
    try:
        with torch.no_grad():
            return (painter(z) if labels is None else painter(z, labels)).cpu()
    finally:
        painter.train(was_training)


def painting_labels(painter: nn.Module, n: int, digit: int | None = None) -> torch.Tensor | None:
    """Labels for ``n`` paintings: ``digit`` for all, or ``0, 1, ..., K-1, 0, ...`` for a conditional
    painter (``None`` for an unconditional one)."""
    num_classes = getattr(painter, "num_classes", 0)
    if digit is None:
        return torch.arange(n) % num_classes if num_classes else None
    if not num_classes:
        raise ArgumentError("digit", expected="no digit: this painter is unconditional (train it with --conditional)",
                            got=digit)
    whole_number(digit, "digit", low=0, high=num_classes - 1, hint="A label the painter was trained on.")
    return torch.full((n,), digit, dtype=torch.long)


def save_paintings(images: torch.Tensor, folder: str | Path, prefix: str = "painting", scale: int = 8) -> list[Path]:
    """Write each image ``(C, H, W)`` of a batch as ``folder/prefix_000.png``, ... (enlarged ``scale`` times)."""
    from artlab.viz.images import save_painting

    folder = Path(folder)
    return [save_painting(image, folder / f"{prefix}_{i:03d}.png", scale=scale) for i, image in enumerate(images)]


def painter_from(saved: Checkpoint) -> nn.Module:
    """The painter a loaded checkpoint holds, in eval mode: built from its registry name and config,
    with the weights named by ``extra["paints_with"]``, wrapped as the checkpoint says (a
    self-conditioned GAN's cluster shares make a :class:`~artlab.painters.copies.ClusterPainter`)."""
    from artlab.painters.copies import ClusterPainter
    from artlab.registry import PAINTERS

    where = f"checkpoint {saved.path}"
    painter = PAINTERS.entry_for(saved).build(saved.config)
    weights = saved.extra.get("paints_with", "generator")
    if weights not in saved.modules:
        raise CheckpointError(where, expected=f"the painting weights {weights!r}", got=sorted(saved.modules))
    try:
        painter.load_state_dict(saved.modules[weights])
    except RuntimeError as error:
        raise CheckpointError(where, expected=f"weights that fit its {type(painter).__name__}",
                              got=f"<{str(error).splitlines()[0][:100]}>") from error
    shares = saved.extra.get("cluster_shares")
    return (ClusterPainter(painter, shares) if shares else painter).eval()


def load_painter(path: str | os.PathLike) -> nn.Module:
    """The painter saved in a checkpoint (by a lesson, ``artlab paint`` or a family's training loop),
    ready to paint, in eval mode; see :func:`painter_from`."""
    return painter_from(load_checkpoint(path))


@dataclass(frozen=True)
class PaintRequest:
    """What ``artlab paint`` asks a painter family's recipe to train (see :mod:`artlab.registry`)."""

    checkpoint: Path                 # where to save the trained painter
    steps: int | None = None         # training steps (None: the family's default, smaller in fast mode)
    seed: int = 0                    # seeds the networks, the batches and the noise
    conditional: bool = False        # learn the data's labels, to paint the class asked for
    clusters: int = 0                # > 0: self-conditioned on this many k-means clusters (no labels needed)
    threads: int | None = 1          # PyTorch CPU threads while training (None: PyTorch's default)
    desc: str | None = None          # the progress bar's label
    options: tuple[tuple[str, object], ...] = ()  # family-specific settings, as (name, value) pairs
