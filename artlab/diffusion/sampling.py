"""From noise to pictures: the DDPM and DDIM samplers and classifier-free guidance.

All samplers start from ``x_T`` (the caller's noise, shape (B, ...)) at the last step
T - 1 and walk down to the data (step -1 in :mod:`artlab.diffusion.schedule`'s
convention). They run in eval mode under ``torch.no_grad()``, draw any noise they need from
the ``generator`` they are given, and restore the model's mode afterwards. With
``return_path=True`` they also return every x_t they visited, stacked (steps + 1, B, ...)
from x_T to the result, for a strip that shows noise becoming a picture; a
``callback(t, x_t, x0_hat)`` sees each step as it happens.

* :func:`ddpm_step` / :func:`ddpm_sample`: ancestral sampling (Ho et al. 2020, Algorithm 2).
  The network's noise gives an estimate of the data, x0_hat = predict_x0(x_t, t, eps),
  optionally clipped to [-1, 1]; the step draws from the posterior with that estimate:
  x_{t-1} = mu_tilde(x0_hat, x_t) + sqrt(beta_tilde_t) z, z ~ N(0, I). T network calls.
* :func:`ddim_step` / :func:`ddim_sample`: DDIM (Song, Meng and Ermon 2021, eq. 12) on a
  subsequence of steps (:func:`ddim_timesteps`, ending at T - 1 or, Song et al.'s choice,
  just below it):

      x_{t'} = sqrt(alpha_bar_{t'}) x0_hat + sqrt(1 - alpha_bar_{t'} - sigma^2) eps + sigma z,
      sigma  = eta sqrt((1 - alpha_bar_{t'}) / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_{t'})

  for the next step t' < t. With eta = 0 it is deterministic (an ODE solver), so any
  number of steps from 1 to T works and :func:`ddim_invert` runs it backwards, data to
  noise. With eta = 1 and every step it is DDPM again.
* :func:`guided_eps`: classifier-free guidance (Ho and Salimans 2022),

      eps_w(x_t, y) = (1 + w) eps(x_t, y) - w eps(x_t, no label),

  so w = 0 is the conditional model, w = -1 the unconditional one, and w > 0 pushes the
  picture towards what makes it look like its label.

Lesson 10 (``notebooks/10_painting_by_denoising.ipynb``).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import torch

from artlab.diffusion.schedule import NoiseSchedule, alpha_bar_or_one
from artlab.errors import ArgumentError, real_number, whole_number

__all__ = ["guided_eps", "ddpm_step", "ddpm_sample", "ddim_timesteps", "ddim_step", "ddim_sample", "ddim_invert"]

Callback = Callable[[int, torch.Tensor, torch.Tensor], None]  # (t, x_t, x0_hat) at each step


# --- guidance ------------------------------------------------------------------------------------

def guided_eps(model, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor, w: float) -> torch.Tensor:
    """eps_w = (1 + w) eps(x_t, t, y) - w eps(x_t, t, no label), both from one batched call of ``model``."""
    _check_labels(model, labels, x_t.shape[0], "guided_eps")
    null = torch.full_like(labels, model.num_classes)  # (B,): "no label"
    both = model(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([labels, null]))  # (2B, ...)
    conditional, unconditional = both.chunk(2)
    # eps_w = (1 + w) eps(x_t, y) - w eps(x_t, null)
    return (1 + w) * conditional - w * unconditional


def _eps(model, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None, guidance: float) -> torch.Tensor:
    """The noise the sampler follows: the model's, or the guided one when labels and guidance != 0."""
    if labels is None or guidance == 0:
        return model(x_t, t, labels)
    return guided_eps(model, x_t, t, labels, guidance)


# --- DDPM ----------------------------------------------------------------------------------------

def ddpm_step(model, schedule: NoiseSchedule, x_t: torch.Tensor, t: int | torch.Tensor, *,
              labels: torch.Tensor | None = None, guidance: float = 0.0, clip: bool = False,
              generator: torch.Generator | None = None, noise: torch.Tensor | None = None,
              variance: str = "posterior") -> tuple[torch.Tensor, torch.Tensor]:
    """One ancestral step x_t -> x_{t-1}; returns ``(x_{t-1}, x0_hat)``.

        x0_hat  = (x_t - sqrt(1 - alpha_bar_t) eps_theta) / sqrt(alpha_bar_t)   [clipped to [-1, 1] if clip]
        x_{t-1} = mu_tilde(x0_hat, x_t) + sigma_t z

    with sigma_t^2 = beta_tilde_t (``variance="posterior"``) or beta_t (``"beta"``, Ho et al.'s
    other choice); no noise is added at t = 0. ``z`` is ``noise`` if given, else drawn from
    ``generator``. ``t`` is one step for the whole batch (an int) or a LongTensor (B,).
    """
    if variance not in ("posterior", "beta"):
        raise ArgumentError("ddpm_step(variance)", expected="'posterior' (beta_tilde) or 'beta'", got=variance)
    t = _steps(schedule, t, x_t, "ddpm_step")
    eps = _eps(model, x_t, t, labels, guidance)
    x0_hat = schedule.predict_x0(x_t, t, eps)
    if clip:
        x0_hat = x0_hat.clamp(-1, 1)
    mean, posterior_variance = schedule.posterior(x0_hat, x_t, t)
    if variance == "beta":
        posterior_variance = schedule.betas.to(x_t)[t].view_as(posterior_variance)
    if noise is None:
        noise = torch.randn(x_t.shape, generator=generator, device=x_t.device, dtype=x_t.dtype)
    elif noise.shape != x_t.shape:
        raise ArgumentError("ddpm_step(noise)", expected=f"noise of shape {tuple(x_t.shape)}",
                            got=f"<shape {tuple(noise.shape)}>")
    last = (t == 0).view_as(posterior_variance)  # (B, 1, ...): the step that lands on the data adds no noise
    # x_{t-1} = mu_tilde + sigma_t z
    x_prev = mean + torch.where(last, 0.0, posterior_variance.sqrt()) * noise
    return x_prev, x0_hat


def ddpm_sample(model, schedule: NoiseSchedule, x_T: torch.Tensor, *, labels: torch.Tensor | None = None,  # noqa: N803
                guidance: float = 0.0, clip: bool = False, generator: torch.Generator | None = None,
                variance: str = "posterior", return_path: bool = False, callback: Callback | None = None):
    """Run :func:`ddpm_step` from step T - 1 down to 0 starting at ``x_T``; returns x_0 (and the path)."""
    _check_start(x_T, "ddpm_sample")
    with _sampling(model):
        x, path = x_T, [x_T.cpu()] if return_path else None
        for step in reversed(range(schedule.T)):
            x, x0_hat = ddpm_step(model, schedule, x, step, labels=labels, guidance=guidance, clip=clip,
                                  generator=generator, variance=variance)
            _record(path, callback, step, x, x0_hat)
    return (x, torch.stack(path)) if return_path else x


# --- DDIM ----------------------------------------------------------------------------------------

def ddim_timesteps(T: int, steps: int, spacing: str = "trailing") -> torch.Tensor:  # noqa: N803
    """``steps`` distinct steps of 0..T-1 for DDIM to visit, ascending: LongTensor (steps,).

    * ``"trailing"``: t_i = round(i (T - 1) / (steps - 1)), from 0 up to the last step T - 1
      (with ``steps=1`` only T - 1: one jump from noise to data).
    * ``"leading"``: t_i = floor(i T / steps), from 0 up to T - T / steps (Song et al. 2021:
      0, 20, ..., 980 for 50 of 1,000). It starts below the last step, where alpha_bar is not yet
      almost 0; there x0_hat = (x_t - sqrt(1 - alpha_bar) eps) / sqrt(alpha_bar) multiplies the
      network's error in eps by 1 / sqrt(alpha_bar) (tens of thousands at the end of the cosine
      schedule), which sinks a deterministic sampler that cannot clip its estimate.

    Both are distinct for any steps <= T (the spacing is >= 1), and both are all of 0..T-1 for steps = T.
    """
    whole_number(T, "ddim_timesteps(T)", unit="steps")
    whole_number(steps, "ddim_timesteps(steps)", high=T, unit="steps",
                 hint=f"From 1 to T = {T}: DDIM visits a subsequence of the T steps the model was trained on.")
    if spacing == "trailing":
        return torch.linspace(T - 1, 0, steps, dtype=torch.float64).round().long().flip(0)
    if spacing == "leading":
        return torch.arange(steps, dtype=torch.long) * T // steps
    raise ArgumentError("ddim_timesteps(spacing)", expected="'trailing' (ends at T - 1) or 'leading' (starts at 0, "
                        "Song et al.)", got=spacing)


def ddim_step(schedule: NoiseSchedule, x_t: torch.Tensor, eps: torch.Tensor, t: int | torch.Tensor,
              t_prev: int | torch.Tensor, eta: float = 0.0, *, noise: torch.Tensor | None = None,
              clip: bool = False) -> torch.Tensor:
    """One DDIM step from ``t`` to an earlier step ``t_prev`` (-1 for the data), given the predicted noise.

        x0_hat    = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)     [clipped, then eps re-derived, if clip]
        x_{t'}    = sqrt(alpha_bar_{t'}) x0_hat + sqrt(1 - alpha_bar_{t'} - sigma^2) eps + sigma z

    A pure function: ``noise`` z is needed only when eta > 0.
    """
    t = _steps(schedule, t, x_t, "ddim_step")
    t_prev = _steps(schedule, t_prev, x_t, "ddim_step", name="t_prev", lowest=-1)
    if bool((t_prev >= t).any()):
        raise ArgumentError("ddim_step(t_prev)", expected="an earlier step than t (sampling goes down)",
                            got=int(t_prev.max()), hint="ddim_invert goes up; use it for data -> noise.")
    real_number(eta, "ddim_step(eta)", low=0.0, hint="0: deterministic, 1: DDPM.")
    if eps.shape != x_t.shape:
        raise ArgumentError("ddim_step(eps)", expected=f"noise of shape {tuple(x_t.shape)}",
                            got=f"<shape {tuple(eps.shape)}>")
    alpha_bar = alpha_bar_or_one(schedule, t, x_t)
    alpha_bar_prev = alpha_bar_or_one(schedule, t_prev, x_t)
    # x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)
    x0_hat = (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
    if clip:
        x0_hat = x0_hat.clamp(-1, 1)
        # eps = (x_t - sqrt(ab_t) x0_hat) / sqrt(1 - ab_t): the noise that fits the clipped estimate
        eps = (x_t - alpha_bar.sqrt() * x0_hat) / (1 - alpha_bar).sqrt()
    # sigma = eta sqrt((1 - ab_{t'}) / (1 - ab_t)) sqrt(1 - ab_t / ab_{t'})
    sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)).sqrt()
    # x_{t'} = sqrt(ab_{t'}) x0_hat + sqrt(1 - ab_{t'} - sigma^2) eps + sigma z
    x_prev = alpha_bar_prev.sqrt() * x0_hat + (1 - alpha_bar_prev - sigma ** 2).clamp(min=0).sqrt() * eps
    if eta > 0:
        if noise is None or noise.shape != x_t.shape:
            raise ArgumentError("ddim_step(noise)", expected=f"noise of shape {tuple(x_t.shape)} when eta > 0",
                                got=noise if noise is None else f"<shape {tuple(noise.shape)}>")
        x_prev = x_prev + sigma * noise
    return x_prev


def ddim_sample(model, schedule: NoiseSchedule, x_T: torch.Tensor, steps: int, eta: float = 0.0, *,  # noqa: N803
                labels: torch.Tensor | None = None, guidance: float = 0.0, clip: bool = False,
                spacing: str = "trailing", generator: torch.Generator | None = None, return_path: bool = False,
                callback: Callback | None = None):
    """DDIM from ``x_T`` to the data in ``steps`` network calls; returns x_0 (and the path).

    It starts at the highest of :func:`ddim_timesteps` (T - 1 for ``spacing="trailing"``) and
    ends at the data. Deterministic for eta = 0: the same ``x_T`` gives the same picture.
    """
    _check_start(x_T, "ddim_sample")
    timesteps = ddim_timesteps(schedule.T, steps, spacing).tolist()
    with _sampling(model):
        x, path = x_T, [x_T.cpu()] if return_path else None
        for i in reversed(range(len(timesteps))):
            t, t_prev = timesteps[i], (timesteps[i - 1] if i > 0 else -1)
            eps = _eps(model, x, _steps(schedule, t, x, "ddim_sample"), labels, guidance)
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) if eta > 0 else None
            x0_hat = ddim_step(schedule, x, eps, t, -1, clip=clip) if callback else None
            x = ddim_step(schedule, x, eps, t, t_prev, eta, noise=noise, clip=clip)
            _record(path, callback, t, x, x0_hat)
    return (x, torch.stack(path)) if return_path else x


def ddim_invert(model, schedule: NoiseSchedule, x0: torch.Tensor, steps: int, *,
                labels: torch.Tensor | None = None, spacing: str = "trailing", return_path: bool = False):
    """Run deterministic DDIM backwards, data ``x0`` -> x_T, over the steps :func:`ddim_sample` visits.

    Going up from t (the data: t = -1) to the next step t' > t, the noise is predicted at the
    current point with the step it moves to, eps = eps_theta(x_t, t'), and

        x_{t'} = sqrt(alpha_bar_{t'}) x0_hat + sqrt(1 - alpha_bar_{t'}) eps,
        x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t),

    the sampler's update solved the other way. It is exact as the steps get small, so
    ``ddim_sample(model, schedule, ddim_invert(model, schedule, x0, n), n)`` (the same ``spacing``)
    gives back x0 approximately, closer for more steps.
    """
    _check_start(x0, "ddim_invert")
    timesteps = ddim_timesteps(schedule.T, steps, spacing).tolist()
    with _sampling(model):
        x, path = x0, [x0.cpu()] if return_path else None
        for i, t_next in enumerate(timesteps):
            t = timesteps[i - 1] if i > 0 else -1
            eps = model(x, _steps(schedule, t_next, x, "ddim_invert"), labels)
            alpha_bar = alpha_bar_or_one(schedule, torch.full((len(x),), t, device=x.device), x)
            alpha_bar_next = alpha_bar_or_one(schedule, torch.full((len(x),), t_next, device=x.device), x)
            # x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)
            x0_hat = (x - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
            # x_{t'} = sqrt(ab_{t'}) x0_hat + sqrt(1 - ab_{t'}) eps
            x = alpha_bar_next.sqrt() * x0_hat + (1 - alpha_bar_next).sqrt() * eps
            if path is not None:
                path.append(x.cpu())
    return (x, torch.stack(path)) if return_path else x


# --- helpers -------------------------------------------------------------------------------------

def _steps(schedule: NoiseSchedule, t: int | torch.Tensor, x: torch.Tensor, where: str, *, name: str = "t",
           lowest: int = 0) -> torch.Tensor:
    """``t`` as a LongTensor (B,) on x's device, checked to lie in lowest..T-1."""
    if isinstance(t, torch.Tensor):
        if t.dim() != 1 or t.shape[0] != x.shape[0] or t.is_floating_point():
            raise ArgumentError(f"{where}({name})", expected=f"an int or a LongTensor of shape ({x.shape[0]},)",
                                got=f"<a {t.dtype} tensor of shape {tuple(t.shape)}>")
        values = t.to(x.device, torch.long)
    elif isinstance(t, int) and not isinstance(t, bool):
        values = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
    else:
        raise ArgumentError(f"{where}({name})", expected="an int or a LongTensor (B,)", got=t)
    if len(values) and (int(values.min()) < lowest or int(values.max()) > schedule.T - 1):
        bad = int(values.min()) if int(values.min()) < lowest else int(values.max())
        raise ArgumentError(f"{where}({name})", expected=f"steps from {lowest} to T - 1 = {schedule.T - 1}", got=bad)
    return values


def _check_start(x: torch.Tensor, where: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or not x.is_floating_point():
        got = f"<a {x.dtype} tensor of shape {tuple(x.shape)}>" if isinstance(x, torch.Tensor) else x
        raise ArgumentError(f"{where}(x)", expected="a float batch (B, ...) such as torch.randn(64, 1, 16, 16)",
                            got=got)


def _check_labels(model, labels: torch.Tensor, batch: int, where: str) -> None:
    if not getattr(model, "num_classes", 0):
        raise ArgumentError(f"{where}(model)", expected="a conditional model (num_classes > 0)",
                            got="<a model without classes>", hint="Guidance needs a model trained with labels.")
    if not isinstance(labels, torch.Tensor) or labels.shape != (batch,):
        raise ArgumentError(f"{where}(labels)", expected=f"a LongTensor of shape ({batch},)", got=labels)


def _record(path: list | None, callback: Callback | None, t: int, x: torch.Tensor, x0_hat: torch.Tensor) -> None:
    if path is not None:
        path.append(x.cpu())
    if callback is not None:
        callback(t, x, x0_hat)


@contextmanager
def _sampling(model):
    """Eval mode and no gradients for the block; the model's mode is restored afterwards."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        if was_training:
            model.train()
