"""Image grids and single paintings: on screen (matplotlib) and on disk (PNG).

Generators paint in [-1, 1]; these helpers map to [0, 1] for display and files.
``torchvision.utils.make_grid`` lays a batch out in rows, ``save_image`` writes PNGs.
Lessons 03, 04 and 09 use them.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

from artlab.errors import ArgumentError

__all__ = ["to_unit", "image_grid", "save_grid", "save_painting", "show_grid"]


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Map images from [-1, 1] (a generator's ``tanh``) to [0, 1] (what files and plots expect)."""
    return ((images.detach().float().cpu() + 1) / 2).clamp(0, 1)


def _check_batch(images: torch.Tensor, where: str) -> None:
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ArgumentError(where, expected="a batch of images (N, C, H, W) with C = 1 or 3",
                            got=tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__)


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> torch.Tensor:
    """One ``(3, H, W)`` picture in [0, 1] of a batch in [-1, 1], *nrow* images per row."""
    _check_batch(images, "image_grid(images)")
    return make_grid(to_unit(images), nrow=nrow, padding=padding, pad_value=1.0)


def save_grid(images: torch.Tensor, path: str | Path, nrow: int = 8, scale: int = 4) -> Path:
    """Write a grid of *images* as a PNG, each pixel drawn as ``scale x scale`` pixels."""
    return _write(image_grid(images, nrow=nrow), Path(path), scale)


def save_painting(image: torch.Tensor, path: str | Path, scale: int = 8) -> Path:
    """Write one image ``(C, H, W)`` in [-1, 1] as a PNG, enlarged *scale* times (nearest pixel)."""
    if image.dim() != 3:
        raise ArgumentError("save_painting(image)", expected="one image (C, H, W)", got=tuple(image.shape))
    return _write(to_unit(image), Path(path), scale)


def _write(picture: torch.Tensor, path: Path, scale: int) -> Path:
    """Save a ``(C, H, W)`` picture in [0, 1], each pixel enlarged to ``scale x scale``."""
    if scale > 1:
        picture = picture.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(picture, path)
    return path


def show_grid(images: torch.Tensor, nrow: int = 8, title: str | None = None, ax=None, size: float = 4.0):
    """Draw a grid of *images* with matplotlib; returns the axes."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, nrow=nrow)
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size * grid.shape[1] / grid.shape[2]))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
