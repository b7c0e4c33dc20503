"""Backpropagation through time, measured: how far back does a gradient reach? (lesson 05)

The loss L at the last step T depends on an input x_t only through the chain of states
h_t -> h_{t+1} -> ... -> h_T, so by the chain rule::

    ∂L/∂x_t = ∂L/∂h_T · ∂h_T/∂h_{T-1} ··· ∂h_{t+1}/∂h_t · ∂h_t/∂x_t

a product of T - t Jacobians. For the Elman RNN each is ``∂h_s/∂h_{s-1} =
diag(1 - h_s²) W_hh``: when their norms stay below 1 the product shrinks geometrically
with the lag k = T - t (vanishing gradients); above 1 it grows (exploding gradients).

* :func:`gradient_by_lag` measures ``‖∂L/∂x_{T-k}‖`` for k = 0..T-1, for any cell.
* :func:`decay_per_step` fits the geometric factor ρ in ``‖∂L/∂x_{T-k}‖ ≈ C ρ^k``.
* :func:`rnn_jacobian` is one factor of the product, written from the formula.
* :func:`set_recurrent_gain_` makes W_hh = γ·Q (Q orthogonal), so every eigenvalue of W_hh
  has modulus γ: γ < 1 makes gradients vanish, γ > 1 makes them explode.
* :func:`clip_by_norm` and :func:`clip_grad_norm_` rescale a gradient that exploded::

      g <- g · min(1, max_norm / ‖g‖)      ‖g‖ over all parameters together
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import torch
from torch import Tensor, nn

from artlab.errors import ArgumentError, real_number
from artlab.seq.cells import unroll

__all__ = ["gradient_by_lag", "decay_per_step", "rnn_jacobian", "set_recurrent_gain_", "global_norm",
           "clip_by_norm", "clip_grad_norm_"]


def _sum_of_last(h_last: Tensor) -> Tensor:
    return h_last.sum()


def gradient_by_lag(cell: Callable, xs: Tensor,
                    loss_fn: Callable[[Tensor], Tensor] = _sum_of_last) -> Tensor:
    """``‖∂L/∂x_{T-k}‖`` for lags k = 0, 1, ..., T-1, where ``L = loss_fn(h_T)``.

    *cell* is any cell :func:`artlab.seq.cells.unroll` accepts; xs is (T, B, I). The loss
    defaults to the sum of the last hidden state; pass the task's loss to measure on a task,
    e.g. ``lambda h: F.cross_entropy(readout(h), targets)``. Each sequence's gradient norm
    is taken over its input vector, then averaged over the batch.

    Returns a tensor (T,) whose entry k belongs to the input k steps before the end.
    """
    if not isinstance(xs, Tensor) or xs.dim() != 3:
        raise ArgumentError("gradient_by_lag(xs)", expected="a tensor (T, B, I)",
                            got=f"<{tuple(xs.shape) if isinstance(xs, Tensor) else type(xs).__name__}>",
                            hint="For one sequence use xs[:, None] to add a batch of 1.")
    xs = xs.detach().requires_grad_(True)
    hs, _ = unroll(cell, xs)            # (T, B, H)
    loss = loss_fn(hs[-1])
    if loss.dim() != 0:
        raise ArgumentError("gradient_by_lag(loss_fn)", expected="a function returning one number",
                            got=f"<a tensor of shape {tuple(loss.shape)}>", hint="Sum or average it.")
    (grad,) = torch.autograd.grad(loss, xs)  # (T, B, I)
    norms = grad.norm(dim=-1).mean(dim=1)    # (T,)
    return norms.flip(0).detach()            # entry k: lag k = T - 1 - t


def decay_per_step(norms: Tensor, skip: int = 1) -> float:
    """The factor ρ of a least-squares fit ``log ‖∂L/∂x_{T-k}‖ ≈ log C + k log ρ``.

    ρ < 1: the gradient vanishes with the lag (ρ = 0.5 halves it each step back);
    ρ > 1: it explodes. The first *skip* lags are left out (the last input reaches the loss
    directly, not through the recurrence). Zero norms (underflow) count as 1e-30.
    """
    norms = torch.as_tensor(norms, dtype=torch.float64).flatten()[skip:]
    if norms.numel() < 2:
        raise ArgumentError("decay_per_step(norms)", expected=f"at least {skip + 2} lags",
                            got=f"<{norms.numel() + skip} lags>")
    lags = torch.arange(norms.numel(), dtype=torch.float64)
    logs = norms.clamp_min(1e-30).log()
    slope = ((lags - lags.mean()) * (logs - logs.mean())).sum() / ((lags - lags.mean()) ** 2).sum()
    return math.exp(slope.item())


def rnn_jacobian(h: Tensor, weight_hh: Tensor) -> Tensor:
    """One factor of the chain for the tanh RNN: ``∂h_s/∂h_{s-1} = diag(1 - h_s²) W_hh``.

    h is h_s (H,); returns the (H, H) matrix whose row j is ``∂h_s[j]/∂h_{s-1}``.
    """
    return (1 - h**2)[:, None] * weight_hh


def set_recurrent_gain_(cell: nn.Module, gain: float, generator: torch.Generator | None = None) -> nn.Module:
    """Set an RNN cell's W_hh to ``gain · Q`` with Q a random orthogonal matrix (in place).

    Every eigenvalue (and singular value) of W_hh is then *gain*, so near h = 0 the chain
    of Jacobians grows or shrinks like gain^k. Returns the cell.
    """
    weight = cell.weight_hh
    if weight.shape[0] != weight.shape[1]:
        raise ArgumentError("set_recurrent_gain_(cell)", expected="an Elman RNN cell (W_hh square)",
                            got=f"<weight_hh of shape {tuple(weight.shape)}>",
                            hint="Gated cells stack several blocks in weight_hh; use an RNNCell.")
    size = weight.shape[0]
    q, r = torch.linalg.qr(torch.randn(size, size, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))  # a uniformly random orthogonal matrix
    with torch.no_grad():
        weight.copy_(gain * q)
    return cell


def global_norm(grads: Iterable[Tensor | None]) -> Tensor:
    """‖g‖ = sqrt(Σ_p ‖g_p‖²): one norm over every tensor together (``None`` entries skipped)."""
    squares = [g.detach().double().pow(2).sum() for g in grads if g is not None]
    if not squares:
        return torch.zeros((), dtype=torch.float64)
    return torch.stack(squares).sum().sqrt()


def clip_by_norm(grads: Sequence[Tensor], max_norm: float) -> list[Tensor]:
    """``g <- g · min(1, max_norm / ‖g‖)`` with ‖g‖ the :func:`global_norm` of all grads.

    Every tensor is scaled by the same factor, so the direction of the step is kept and only
    its length is capped; gradients already shorter than *max_norm* are left as they are.
    """
    real_number(max_norm, "clip_by_norm(max_norm)", low=0.0, low_open=True)
    total = global_norm(grads)
    scale = min(1.0, max_norm / (total.item() + 1e-6))  # 1e-6 as torch does, against 0/0
    return [g * scale for g in grads]


def clip_grad_norm_(parameters: Iterable[nn.Parameter] | nn.Module, max_norm: float) -> float:
    """Clip the ``.grad`` of *parameters* in place with :func:`clip_by_norm`.

    Returns the norm before clipping, like ``torch.nn.utils.clip_grad_norm_`` (which this equals).
    """
    if isinstance(parameters, nn.Module):
        parameters = parameters.parameters()
    params = [p for p in parameters if p.grad is not None]
    grads = [p.grad for p in params]
    total = global_norm(grads).item()
    for p, g in zip(params, clip_by_norm(grads, max_norm)):
        p.grad.copy_(g)
    return total
