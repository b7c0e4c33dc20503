"""The forward (noising) process of denoising diffusion and its closed forms.

A :class:`NoiseSchedule` holds T noise levels ``betas`` and what follows from them::

    alpha_t     = 1 - beta_t
    alpha_bar_t = alpha_0 * alpha_1 * ... * alpha_t

**The step convention** used everywhere in :mod:`artlab.diffusion`: a step ``t`` is a
0-based index, ``t = 0, 1, ..., T - 1``. ``x_t`` is the picture after step ``t`` of the
chain, and the clean data ``x_0`` of the papers sits *before* step 0 (written ``t = -1``
where a formula needs it, with ``alpha_bar_{-1} = 1``). So ``alpha_bar[0] = alpha_0 =
1 - beta_0``: step 0 already adds a little noise, and Ho et al.'s step ``t`` is our
``t - 1``. Each method takes ``t`` as a LongTensor ``(B,)``, one step per sample.

The maths, one method each (Ho, Jain and Abbeel 2020, "Denoising Diffusion Probabilistic
Models", eqs. 2, 4, 6, 7):

* :meth:`NoiseSchedule.q_step`: one step of the chain,
  q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I);
* :meth:`NoiseSchedule.q_sample`: all steps at once, in closed form,
  q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I);
* :meth:`NoiseSchedule.posterior`: the reverse of one step when x_0 is known,
  q(x_{t-1} | x_t, x_0) = N(mu_tilde, beta_tilde I);
* :meth:`NoiseSchedule.predict_x0` and :meth:`NoiseSchedule.predict_eps`: the closed form
  solved for x_0 or for the noise.

Two ways to choose the betas: :func:`linear_schedule` (Ho et al. 2020) and
:func:`cosine_schedule` (Nichol and Dhariwal 2021, "Improved Denoising Diffusion
Probabilistic Models"). Everything is computed in float64 and stored in float32.
Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``) explains each formula.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from artlab.errors import ArgumentError, real_number, whole_number

__all__ = ["NoiseSchedule", "Posterior", "linear_schedule", "cosine_schedule", "MAX_BETA"]

MAX_BETA = 0.999  # the cosine schedule's betas are clipped here (its last beta would be 1: all signal gone)


class Posterior(NamedTuple):
    """The Gaussian q(x_{t-1} | x_t, x_0): its mean (shaped like x_t) and variance (B, 1, ...)."""

    mean: torch.Tensor
    variance: torch.Tensor


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """T noise levels ``betas`` (T,) and the derived ``alphas`` and ``alpha_bar`` (T,), float32.

    Build one with :func:`linear_schedule` or :func:`cosine_schedule`, or from any betas in
    (0, 1): ``NoiseSchedule(torch.tensor([...]))``.
    """

    betas: torch.Tensor
    name: str = "custom"
    alphas: torch.Tensor = field(init=False)
    alpha_bar: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        betas = torch.as_tensor(self.betas, dtype=torch.float64)
        if betas.dim() != 1 or len(betas) < 1:
            raise ArgumentError("NoiseSchedule(betas)", expected="a 1-D tensor of T >= 1 noise levels",
                                got=f"<a tensor of shape {tuple(betas.shape)}>")
        if not bool(((betas > 0) & (betas < 1)).all()):
            bad = betas[~((betas > 0) & (betas < 1))]
            raise ArgumentError("NoiseSchedule(betas)", expected="every beta_t strictly between 0 and 1",
                                got=f"<{len(bad)} outside, first {float(bad[0])!r}>",
                                hint="beta_t is the variance of the noise one step adds; 1e-4 to 0.02 is usual.")
        # alpha_t = 1 - beta_t
        alphas = 1.0 - betas
        # alpha_bar_t = prod_{s <= t} alpha_s
        alpha_bar = torch.cumprod(alphas, dim=0)
        object.__setattr__(self, "betas", betas.float())
        object.__setattr__(self, "alphas", alphas.float())
        object.__setattr__(self, "alpha_bar", alpha_bar.float())

    @property
    def T(self) -> int:  # noqa: N802 (the symbol of the lesson)
        """The number of steps."""
        return len(self.betas)

    def __repr__(self) -> str:
        return f"NoiseSchedule({self.name}, T={self.T})"

    # --- the maths ---------------------------------------------------------------------------

    def q_step(self, x_prev: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """One step of the forward chain: x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) noise.

        ``x_prev`` is x_{t-1} (the data itself for t = 0), ``noise`` ~ N(0, I) of its shape.
        """
        self._check(x_prev, t, "q_step", noise=noise)
        # x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps
        return _at(self.alphas, t, x_prev).sqrt() * x_prev + _at(self.betas, t, x_prev).sqrt() * noise

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t straight from the data: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) noise.

        The closed form of running :meth:`q_step` for steps 0..t, with ``noise`` ~ N(0, I).
        """
        self._check(x0, t, "q_sample", noise=noise)
        alpha_bar = _at(self.alpha_bar, t, x0)  # (B, 1, ...)
        # x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
        return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise

    def posterior(self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> Posterior:
        """Mean and variance of q(x_{t-1} | x_t, x_0) (Ho et al., eq. 7):

            mu_tilde   = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0
                       + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t
            beta_tilde = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t

        with alpha_bar_{-1} = 1, so at t = 0 the mean is x_0 and the variance 0.
        """
        self._check(x_t, t, "posterior", noise=x0, noise_name="x0")
        alpha_bar, alpha_bar_prev = _at(self.alpha_bar, t, x_t), self.alpha_bar_prev(t, x_t)
        beta, alpha = _at(self.betas, t, x_t), _at(self.alphas, t, x_t)
        # mu_tilde = sqrt(ab_{t-1}) beta_t / (1 - ab_t) x_0 + sqrt(alpha_t) (1 - ab_{t-1}) / (1 - ab_t) x_t
        mean = (alpha_bar_prev.sqrt() * beta / (1 - alpha_bar)) * x0 \
            + (alpha.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
        # beta_tilde = (1 - ab_{t-1}) / (1 - ab_t) beta_t
        variance = (1 - alpha_bar_prev) / (1 - alpha_bar) * beta
        return Posterior(mean, variance)

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """The data the noise ``eps`` came from: x_0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)."""
        self._check(x_t, t, "predict_x0", noise=eps, noise_name="eps")
        alpha_bar = _at(self.alpha_bar, t, x_t)
        # x_0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)
        return (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()

    def predict_eps(self, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """The noise that took ``x0`` to ``x_t``: eps = (x_t - sqrt(alpha_bar_t) x_0) / sqrt(1 - alpha_bar_t)."""
        self._check(x_t, t, "predict_eps", noise=x0, noise_name="x0")
        alpha_bar = _at(self.alpha_bar, t, x_t)
        # eps = (x_t - sqrt(alpha_bar_t) x_0) / sqrt(1 - alpha_bar_t)
        return (x_t - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()

    def alpha_bar_prev(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """alpha_bar_{t-1} for each step ``t`` (B,), with alpha_bar_{-1} = 1, shaped to broadcast on ``like``."""
        return alpha_bar_or_one(self, t - 1, like)

    # --- checks ------------------------------------------------------------------------------

    def check_steps(self, t: torch.Tensor, batch: int, where: str) -> None:
        """Raise :class:`ArgumentError` unless ``t`` is a LongTensor (batch,) of steps in 0..T-1."""
        if not isinstance(t, torch.Tensor) or t.dtype not in (torch.int64, torch.int32) or t.shape != (batch,):
            got = f"<a {t.dtype} tensor of shape {tuple(t.shape)}>" if isinstance(t, torch.Tensor) else t
            raise ArgumentError(f"{where}(t)", expected=f"a LongTensor of shape ({batch},): one step per sample",
                                got=got, hint="Build it with torch.full((B,), step) or torch.randint(0, T, (B,)).")
        if batch and (int(t.min()) < 0 or int(t.max()) > self.T - 1):
            bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
            raise ArgumentError(f"{where}(t)", expected=f"0-based steps from 0 to T - 1 = {self.T - 1}", got=bad,
                                hint="Steps are 0-based: the first adds noise to the data, the last is T - 1.")

    def _check(self, x: torch.Tensor, t: torch.Tensor, where: str, *, noise: torch.Tensor,
               noise_name: str = "noise") -> None:
        if not isinstance(x, torch.Tensor) or x.dim() < 1:
            raise ArgumentError(f"{where}(x)", expected="a batch tensor (B, ...)", got=x)
        if not isinstance(noise, torch.Tensor) or noise.shape != x.shape:
            got = f"<shape {tuple(noise.shape)}>" if isinstance(noise, torch.Tensor) else noise
            raise ArgumentError(f"{where}({noise_name})", expected=f"a tensor of the batch's shape {tuple(x.shape)}",
                                got=got)
        self.check_steps(t, x.shape[0], where)


def _at(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values[t]`` reshaped (B, 1, ..., 1) to broadcast against ``like`` (B, ...)."""
    picked = values.to(like.device)[t.to(like.device)].to(like.dtype)  # (B,)
    return picked.view(-1, *([1] * (like.dim() - 1)))  # (B, 1, ..., 1)


def alpha_bar_or_one(schedule: NoiseSchedule, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """alpha_bar_t for steps ``t`` (B,) in -1..T-1, where alpha_bar_{-1} = 1 (the clean data), shaped (B, 1, ...)."""
    padded = torch.cat([torch.ones(1), schedule.alpha_bar])  # (T + 1,): index t + 1
    return _at(padded, t + 1, like)


# --- the two schedules ---------------------------------------------------------------------------

def _check_T(T: int, where: str) -> None:  # noqa: N802
    whole_number(T, f"{where}(T)", unit="steps", hint="The papers use T = 1000.")


def linear_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> NoiseSchedule:  # noqa: N803
    """Betas rising linearly from ``beta_start`` (step 0) to ``beta_end`` (step T - 1): Ho et al. 2020.

    beta_t = beta_start + (beta_end - beta_start) t / (T - 1)
    """
    _check_T(T, "linear_schedule")
    for name, value in (("beta_start", beta_start), ("beta_end", beta_end)):
        real_number(value, f"linear_schedule({name})", low=0.0, high=1.0, low_open=True, high_open=True)
    # beta_t = beta_start + (beta_end - beta_start) t / (T - 1)
    betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
    return NoiseSchedule(betas, name="linear")


def cosine_schedule(T: int = 1000, s: float = 0.008) -> NoiseSchedule:  # noqa: N803
    """alpha_bar following a squared cosine: Nichol and Dhariwal 2021.

        f(u) = cos^2( (u / T + s) / (1 + s) * pi / 2 ),   alpha_bar(u) = f(u) / f(0),  u = 0..T
        beta_t = min(1 - alpha_bar(t + 1) / alpha_bar(t), 0.999)

    Our step t goes from the paper's u = t to u = t + 1, so alpha_bar[t] = alpha_bar(t + 1) up
    to the clipping of the last betas. The small offset ``s`` keeps the first betas from being
    vanishingly small.
    """
    _check_T(T, "cosine_schedule")
    real_number(s, "cosine_schedule(s)", low=0.0, high=1.0, high_open=True,
                hint="A small offset: the paper uses 0.008.")
    u = torch.arange(T + 1, dtype=torch.float64)  # (T + 1,)
    # f(u) = cos^2((u / T + s) / (1 + s) pi / 2)
    f = torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    # beta_t = 1 - alpha_bar(t + 1) / alpha_bar(t), clipped at 0.999
    betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=MAX_BETA)
    return NoiseSchedule(betas, name="cosine")
