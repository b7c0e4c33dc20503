"""Walking through a generator's latent space: linear and spherical interpolation.

A generator turns a noise vector z into a painting; nearby z give similar paintings, so
a path from z₀ to z₁ becomes an animation from one painting to another.

* Linear:    lerp(z₀, z₁, t) = (1 − t) z₀ + t z₁
* Spherical: slerp(z₀, z₁, t) = sin((1 − t) Ω)/sin Ω · z₀ + sin(t Ω)/sin Ω · z₁,
  with cos Ω = z₀·z₁ / (‖z₀‖ ‖z₁‖).

Gaussian noise in d dimensions lives near the sphere of radius √d; the straight line
between two such points passes closer to the centre (its midpoint has norm about
√(d/2)), where the generator saw no training noise. The spherical path keeps the norm,
which is why it is the usual choice (White, "Sampling Generative Networks", 2016).
Lesson 03 shows both.
"""
from __future__ import annotations

import torch

from artlab.errors import ArgumentError, whole_number

__all__ = ["lerp", "slerp", "interpolate"]


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """(1 − t) z₀ + t z₁."""
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float | torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """sin((1 − t) Ω)/sin Ω · z₀ + sin(t Ω)/sin Ω · z₁ along the last dimension.

    Falls back to :func:`lerp` where z₀ and z₁ point the same way (Ω ≈ 0).
    """
    t = torch.as_tensor(t, dtype=z0.dtype)
    cos = (z0 * z1).sum(-1, keepdim=True) / (z0.norm(dim=-1, keepdim=True) * z1.norm(dim=-1, keepdim=True)).clamp(min=eps)
    omega = torch.arccos(cos.clamp(-1 + eps, 1 - eps))                     # (..., 1)
    sin = torch.sin(omega)
    spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / sin
    return torch.where(sin.abs() < eps, lerp(z0, z1, t), spherical)


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """*steps* points ``(steps, D)`` from z₀ to z₁ (both ``(D,)``), ends included."""
    if method not in ("slerp", "lerp"):
        raise ArgumentError("interpolate(method)", expected="'slerp' or 'lerp'", got=method)
    whole_number(steps, "interpolate(steps)", low=2)
    if z0.shape != z1.shape or z0.dim() != 1:
        raise ArgumentError("interpolate(z0, z1)", expected="two latent vectors of the same shape (D,)",
                            got=(tuple(z0.shape), tuple(z1.shape)))
    ts = torch.linspace(0, 1, steps, dtype=z0.dtype)[:, None]              # (steps, 1)
    return (slerp if method == "slerp" else lerp)(z0[None], z1[None], ts)
