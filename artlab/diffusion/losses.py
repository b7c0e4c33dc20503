"""What a denoiser learns: to predict the noise that was added (Ho et al. 2020, eq. 14).

* :func:`training_inputs` draws what one training step needs: a random step
  t ~ Uniform{0, ..., T - 1} per image and noise eps ~ N(0, I).
* :func:`noise_prediction_loss` is the "simple" loss

      L = E_{x_0, t, eps} || eps - eps_theta(x_t, t, y) ||^2,
      x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps,

  averaged over the batch and every pixel (or coordinate).
* :func:`drop_labels` prepares classifier-free guidance (Ho and Salimans 2022): it replaces
  each label by the "no label" index ``num_classes`` with probability ``p_uncond``, so one
  network learns both eps_theta(x_t, t, y) and eps_theta(x_t, t, no label).

A model here is any callable ``model(x_t, t, labels) -> eps`` of the input's shape
(:class:`~artlab.diffusion.unet.UNet`, :class:`~artlab.diffusion.unet.MLPDenoiser`).
Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from artlab.diffusion.schedule import NoiseSchedule
from artlab.errors import ArgumentError, probability, whole_number

__all__ = ["training_inputs", "noise_prediction_loss", "drop_labels"]


def training_inputs(schedule: NoiseSchedule, x0: torch.Tensor,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A random step t (B,) in 0..T-1 and noise eps ~ N(0, I) shaped like ``x0`` (B, ...)."""
    if not isinstance(x0, torch.Tensor) or x0.dim() < 1:
        raise ArgumentError("training_inputs(x0)", expected="a batch tensor (B, ...)", got=x0)
    t = torch.randint(0, schedule.T, (x0.shape[0],), generator=generator, device=x0.device)  # (B,)
    noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)  # (B, ...)
    return t, noise


def noise_prediction_loss(model, schedule: NoiseSchedule, x0: torch.Tensor, t: torch.Tensor,
                          noise: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """L = mean over batch and pixels of (eps - eps_theta(x_t, t, y))^2, with x_t from :meth:`q_sample`."""
    # x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
    x_t = schedule.q_sample(x0, t, noise)
    eps = model(x_t, t, labels)
    if eps.shape != noise.shape:
        raise ArgumentError("noise_prediction_loss(model)", expected=f"a prediction of shape {tuple(noise.shape)}",
                            got=f"<shape {tuple(eps.shape)}>", hint="The model must return noise shaped like x_t.")
    # || eps - eps_theta(x_t, t, y) ||^2, averaged
    return F.mse_loss(eps, noise)


def drop_labels(labels: torch.Tensor, p_uncond: float, num_classes: int,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """A copy of ``labels`` (B,) with each one replaced by ``num_classes`` ("no label") with probability ``p_uncond``."""
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.is_floating_point():
        raise ArgumentError("drop_labels(labels)", expected="a LongTensor of class indices (B,)", got=labels)
    probability(p_uncond, "drop_labels(p_uncond)", hint="0.1 to 0.2 is usual.")
    whole_number(num_classes, "drop_labels(num_classes)", unit="classes")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ArgumentError("drop_labels(labels)", expected=f"class indices from 0 to {num_classes - 1}",
                            got=int(labels.max()) if int(labels.min()) >= 0 else int(labels.min()))
    dropped = torch.rand(labels.shape, generator=generator, device=labels.device) < p_uncond  # (B,)
    return torch.where(dropped, torch.full_like(labels, num_classes), labels)
