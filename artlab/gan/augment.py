"""Differentiable augmentation: show the discriminator shifted images, real and fake alike.

With 1,437 training digits a discriminator soon memorises them, and its verdicts stop
helping the generator. DiffAugment (Zhao et al., 2020) transforms *every* image D sees,
real and generated, in D's step and in G's step, with a transformation gradients can
pass through, so G is never asked to paint shifted images, while D can no longer rely on
exact pixel positions. Here the transformation is a random translation by up to
``shift`` pixels in each direction, the border filled by repeating the edge pixels.

:class:`artlab.gan.dcgan.DCGANDiscriminator` applies it in training mode when its config
asks (``translate=2``). Lesson 04 (``notebooks/04_better_gans.ipynb``) uses it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from artlab.errors import whole_number

__all__ = ["translate"]


def translate(images: torch.Tensor, shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shift each image ``(B, C, H, W)`` by its own random (dy, dx) in [-shift, shift], edges repeated.

    Differentiable in ``images``; ``shift = 0`` returns them unchanged.
    """
    whole_number(shift, "translate(shift)", low=0, unit="pixels")
    if shift == 0:
        return images
    batch, _, height, width = images.shape
    padded = F.pad(images, (shift, shift, shift, shift), mode="replicate")  # (B, C, H + 2s, W + 2s)
    offsets = torch.randint(0, 2 * shift + 1, (2, batch), generator=generator).to(images.device)  # (2, B)
    rows = torch.arange(height, device=images.device)[None, :] + offsets[0][:, None]  # (B, H)
    cols = torch.arange(width, device=images.device)[None, :] + offsets[1][:, None]   # (B, W)
    index = torch.arange(batch, device=images.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (B, C, H, W)
