"""Checks for exercise 10 (``exercises/10_painting_by_denoising.ipynb``).

* :func:`check_q_sample`: the forward process in closed form,
  x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps;
* :func:`check_noise_prediction_loss`: the mean squared error between the noise added and the
  noise a model predicts from x_t;
* :func:`check_ddim_step`: one deterministic DDIM step (eta = 0) from t to an earlier t';
* :func:`check_guided_eps`: classifier-free guidance, (1 + w) eps(x, y) - w eps(x, no label).

Each is compared with the library's own (:mod:`artlab.diffusion.schedule`,
:mod:`artlab.diffusion.losses`, :mod:`artlab.diffusion.sampling`) and with properties the lesson
states, on several inputs.
"""
from __future__ import annotations

import torch

from artlab.checks import Checker

__all__ = ["check_q_sample", "check_noise_prediction_loss", "check_ddim_step", "check_guided_eps"]


def _close(out, want, atol: float = 1e-5) -> bool:
    return isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(out, want, atol=atol)


def _per_example(alpha_bar: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return alpha_bar.view(-1, *([1] * (like.dim() - 1)))


def check_q_sample(q_sample, *, hidden: bool = False) -> None:
    """``q_sample(x0, alpha_bar, noise)``: x0 (B, ...), alpha_bar (B,) one per example, noise like x0."""
    with Checker("q_sample", q_sample, hidden=hidden) as c:
        rng = torch.Generator().manual_seed(11 if hidden else 10)
        shape = (5, 3) if hidden else (4, 1, 2, 2)
        x0, noise = torch.randn(shape, generator=rng), torch.randn(shape, generator=rng)
        alpha_bar = torch.rand(shape[0], generator=rng) * 0.98 + 0.01
        a = _per_example(alpha_bar, x0)
        want = a.sqrt() * x0 + (1 - a).sqrt() * noise
        out = c.call(x0, alpha_bar, noise)
        c.expect(isinstance(out, torch.Tensor) and out.shape == x0.shape, "returns a batch shaped like x0",
                 input=f"x0 {tuple(shape)}, alpha_bar {tuple(alpha_bar.shape)}", expected=tuple(shape),
                 got=tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__,
                 hint="alpha_bar holds one number per example: reshape it so that it broadcasts over the rest.",
                 answer="a = alpha_bar.view(-1, *[1] * (x0.dim() - 1))")
        ones = c.call(x0, torch.ones(shape[0]), noise)
        c.expect(_close(ones, x0), "alpha_bar = 1 (no noise yet) gives x0 back", input="alpha_bar = 1",
                 expected=x0, got=ones, hint="at alpha_bar = 1 the weight of x0 is 1 and the weight of the noise 0.",
                 answer="x_t = sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * noise")
        zeros = c.call(x0, torch.zeros(shape[0]), noise)
        c.expect(_close(zeros, noise), "alpha_bar = 0 (the end of the process) gives pure noise",
                 input="alpha_bar = 0", expected=noise, got=zeros,
                 hint="the noise's weight is a square root too: sqrt(1 - alpha_bar), not 1 - alpha_bar.",
                 answer="x_t = sqrt(alpha_bar) * x0 + sqrt(1 - alpha_bar) * noise")
        c.expect(_close(out, want), "x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps for each example",
                 input=f"alpha_bar = {alpha_bar.tolist()}", expected=want, got=out,
                 hint="both weights are square roots, and each example uses its own alpha_bar.",
                 answer="a = alpha_bar.view(-1, *[1] * (x0.dim() - 1)); return a.sqrt() * x0 + (1 - a).sqrt() * noise")
        big = torch.randn(20_000, 2, generator=rng), torch.randn(20_000, 2, generator=rng)
        out = c.call(big[0], torch.full((20_000,), 0.3), big[1])
        variance = float(out.var()) if isinstance(out, torch.Tensor) else float("nan")
        c.expect(abs(variance - 1) < 0.05, "keeps unit variance: data and noise of variance 1 give x_t of variance 1",
                 input="20,000 standard normal x0 and noise, alpha_bar = 0.3", expected="variance 1",
                 got=round(variance, 3), hint="the squares of the two weights must add up to 1.",
                 answer="sqrt(alpha_bar)^2 + sqrt(1 - alpha_bar)^2 = 1")


def _oracle(x0: torch.Tensor, alpha_bar: torch.Tensor):
    """A model that knows x0: it recovers exactly the noise in x_t (it reads alpha_bar at t)."""
    def model(x_t, t, labels=None):
        a = _per_example(alpha_bar[t], x_t)
        return (x_t - a.sqrt() * x0) / (1 - a).sqrt()
    return model


def check_noise_prediction_loss(noise_prediction_loss, *, hidden: bool = False) -> None:
    """``noise_prediction_loss(model, schedule, x0, t, noise)``: mean of (noise - model(x_t, t))^2."""
    from artlab.diffusion.schedule import cosine_schedule, linear_schedule

    with Checker("noise_prediction_loss", noise_prediction_loss, hidden=hidden) as c:
        schedule = linear_schedule(50) if hidden else cosine_schedule(100)
        rng = torch.Generator().manual_seed(21 if hidden else 20)
        shape = (6, 2) if hidden else (4, 1, 4, 4)
        x0, noise = torch.randn(shape, generator=rng), torch.randn(shape, generator=rng)
        t = torch.randint(0, schedule.T, (shape[0],), generator=rng)
        zero = lambda x_t, t, labels=None: torch.zeros_like(x_t)  # noqa: E731
        out = c.call(zero, schedule, x0, t, noise)
        want = (noise ** 2).mean()
        c.expect(_close(out, want), "a model that predicts 0 scores the mean of eps^2 (a mean, not a sum)",
                 input="model = zeros", expected=want, got=out,
                 hint="average the squared error over the batch and every pixel.",
                 answer="return ((noise - model(x_t, t)) ** 2).mean()")
        out = c.call(_oracle(x0, schedule.alpha_bar.to(x0)), schedule, x0, t, noise)
        c.expect(_close(out, torch.tensor(0.0), atol=1e-4), "a model that recovers the noise from x_t scores 0",
                 input="a model that knows x0 and inverts x_t", expected=0.0, got=out,
                 hint="the model sees the noisy x_t (from the closed form at each example's t), not x0.",
                 answer="x_t = schedule.q_sample(x0, t, noise); return ((noise - model(x_t, t)) ** 2).mean()")
        half = lambda x_t, t, labels=None: 0.5 * x_t  # noqa: E731
        x_t = schedule.q_sample(x0, t, noise)
        want = ((noise - 0.5 * x_t) ** 2).mean()
        out = c.call(half, schedule, x0, t, noise)
        c.expect(_close(out, want), "equals mean((eps - eps_theta(x_t, t))^2) for another model",
                 input="model(x_t, t) = x_t / 2", expected=want, got=out,
                 hint="compare the model's prediction with the noise that was added.",
                 answer="return ((noise - model(schedule.q_sample(x0, t, noise), t)) ** 2).mean()")


def check_ddim_step(ddim_step, *, hidden: bool = False) -> None:
    """``ddim_step(x_t, eps, alpha_bar_t, alpha_bar_prev)``: one deterministic DDIM step (0-d tensors)."""
    with Checker("ddim_step", ddim_step, hidden=hidden) as c:
        rng = torch.Generator().manual_seed(31 if hidden else 30)
        shape = (3, 5) if hidden else (2, 1, 3, 3)
        x0, eps = torch.randn(shape, generator=rng), torch.randn(shape, generator=rng)
        a_t, a_prev = (torch.tensor(0.2), torch.tensor(0.7)) if hidden else (torch.tensor(0.4), torch.tensor(0.9))
        x_t = a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps
        out = c.call(x_t, eps, a_t, a_prev)
        want = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        c.expect(_close(out, want, atol=1e-4), "with the true noise it lands on the same x0 at the earlier level",
                 input=f"x_t = q_sample(x0, {a_t.item()}, eps), alpha_bar_prev = {a_prev.item()}",
                 expected=want, got=out,
                 hint="first estimate x0 from x_t and eps, then noise that estimate to the earlier level "
                      "with the same eps.",
                 answer="x0_hat = (x_t - (1 - alpha_bar_t).sqrt() * eps) / alpha_bar_t.sqrt(); return "
                        "alpha_bar_prev.sqrt() * x0_hat + (1 - alpha_bar_prev).sqrt() * eps")
        out = c.call(x_t, eps, a_t, torch.tensor(1.0))
        c.expect(_close(out, x0, atol=1e-4), "stepping to alpha_bar_prev = 1 (the data) returns the estimate of x0",
                 input="alpha_bar_prev = 1", expected=x0, got=out,
                 hint="x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t).",
                 answer="x0_hat = (x_t - (1 - alpha_bar_t).sqrt() * eps) / alpha_bar_t.sqrt()")
        other = torch.randn(shape, generator=rng)  # a network's guess, not the true noise
        from artlab.diffusion.schedule import NoiseSchedule

        schedule = NoiseSchedule(betas=1 - torch.tensor([a_prev.item(), a_t.item() / a_prev.item()],
                                                        dtype=torch.float64), name="two steps")
        from artlab.diffusion.sampling import ddim_step as reference

        want = reference(schedule, x_t, other, 1, 0)
        out = c.call(x_t, other, a_t, a_prev)
        c.expect(_close(out, want, atol=1e-4), "equals artlab's DDIM step (eta = 0) for any predicted noise",
                 input="eps = a random guess", expected=want, got=out,
                 hint="use the predicted eps twice: to estimate x0, and as the direction back to x_t'.",
                 answer="return alpha_bar_prev.sqrt() * x0_hat + (1 - alpha_bar_prev).sqrt() * eps")


def check_guided_eps(guided_eps, *, hidden: bool = False) -> None:
    """``guided_eps(eps_cond, eps_uncond, w)``: (1 + w) eps_cond - w eps_uncond."""
    with Checker("guided_eps", guided_eps, hidden=hidden) as c:
        rng = torch.Generator().manual_seed(41 if hidden else 40)
        shape = (3, 2) if hidden else (2, 1, 2, 2)
        cond, uncond = torch.randn(shape, generator=rng), torch.randn(shape, generator=rng)
        out = c.call(cond, uncond, 0.0)
        c.expect(_close(out, cond), "w = 0 is the conditional model alone", input="w = 0", expected=cond, got=out,
                 hint="at w = 0 the unconditional prediction must have weight 0.",
                 answer="return (1 + w) * eps_cond - w * eps_uncond")
        out = c.call(cond, uncond, -1.0)
        c.expect(_close(out, uncond), "w = -1 is the unconditional model alone", input="w = -1", expected=uncond,
                 got=out, hint="the two weights add up to 1 for every w.",
                 answer="return (1 + w) * eps_cond - w * eps_uncond")
        w = 2.5 if hidden else 3.0
        out = c.call(cond, uncond, w)
        want = (1 + w) * cond - w * uncond
        c.expect(_close(out, want), "w > 0 moves past the conditional prediction, away from the unconditional one",
                 input=f"w = {w}", expected=want, got=out,
                 hint="start at eps_cond and add w times the difference eps_cond - eps_uncond.",
                 answer="return eps_cond + w * (eps_cond - eps_uncond)")
