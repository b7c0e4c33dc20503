"""Checks for exercise 04 (``exercises/04_better_gans.ipynb``).

* :func:`check_gradient_penalty`: WGAN-GP's E[(|grad f(x_hat)|_2 - 1)^2] on interpolates;
* :func:`check_frechet_distance`: the Fréchet distance between two Gaussians;
* :func:`check_mean_term`: the expected squared distance between the means of two samples of n
  from one Gaussian, 2 tr(Sigma) / n, derived by the learner and checked by sampling: why the
  FDD of real against real is not 0 and grows as samples shrink.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from artlab.checks import Checker
from artlab.gan.quality import frechet_distance as reference_frechet_distance

__all__ = ["check_gradient_penalty", "check_frechet_distance", "check_mean_term"]


# --- lesson 04 ----------------------------------------------------------------------------------

class _LinearCritic(nn.Module):
    """f(x) = <w, x>: the gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) * self.w).sum(1)


class _HalfSquareCritic(nn.Module):
    """f(x) = a/2 |x|^2: the gradient at x is a x."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a / 2 * x.flatten(1).pow(2).sum(1)


def _value(out) -> float | None:
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        return out.item()
    return None


GP = ("eps = eps.view(-1, 1, 1, 1); x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True); "
      "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True); "
      "return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()")


def check_gradient_penalty(gradient_penalty, *, hidden: bool = False) -> None:
    """``gradient_penalty(critic, x_real, x_fake, eps)`` = mean over i of (|grad f(x_hat_i)|_2 - 1)^2,
    x_hat_i = eps_i x_real_i + (1 - eps_i) x_fake_i."""
    with Checker("gradient_penalty", gradient_penalty, hidden=hidden) as c:
        if hidden:
            generator = torch.Generator().manual_seed(8)
            x_real, x_fake = torch.randn(10, 3, 4, 4, generator=generator), torch.randn(10, 3, 4, 4, generator=generator)
            eps = torch.rand(10, generator=generator)
            out = c.call(_HalfSquareCritic(), x_real, x_fake, eps)
            e = eps.view(-1, 1, 1, 1)
            expected = ((e * x_real + (1 - e) * x_fake).flatten(1).norm(dim=1) - 1).pow(2).mean().item()
            value = _value(out)
            c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4),
                     "equals the mean of (|grad f(x_hat)| - 1)^2 for 10 colour images of 4x4",
                     input="f(x) = |x|^2 / 2, x_real and x_fake (10, 3, 4, 4), eps given", expected=expected, got=out,
                     hint="interpolate per image with its own eps, one gradient norm per image over all its "
                          "channels and pixels, then the mean.", answer=GP)
            return
        generator = torch.Generator().manual_seed(0)
        x_real, x_fake = torch.randn(6, 1, 3, 3, generator=generator), torch.randn(6, 1, 3, 3, generator=generator)
        eps = torch.rand(6, generator=generator)
        direction = torch.randn(9, generator=generator)
        direction = direction / direction.norm()
        for slope, expected in ((1.0, 0.0), (3.0, 4.0), (0.5, 0.25)):
            out = c.call(_LinearCritic(direction * slope), x_real, x_fake, eps)
            value = _value(out)
            c.expect(value is not None and math.isclose(value, expected, abs_tol=1e-5),
                     f"is (|w| - 1)^2 = {expected:g} for a linear critic f(x) = <w, x> with |w| = {slope:g}",
                     input=f"f(x) = <w, x>, |w| = {slope:g}", expected=expected, got=out,
                     hint="the penalty punishes a gradient norm on both sides of 1, so an |w| of 0.5 costs too.",
                     answer="square the gap between the gradient's norm and 1: ((norm - 1) ** 2).mean(); " + GP)
        critic = _HalfSquareCritic()
        out = c.call(critic, x_real, x_fake, eps)
        x_hat = eps.view(-1, 1, 1, 1) * x_real + (1 - eps.view(-1, 1, 1, 1)) * x_fake
        expected = (x_hat.flatten(1).norm(dim=1) - 1).pow(2).mean().item()
        swapped = ((1 - eps.view(-1, 1, 1, 1)) * x_real + eps.view(-1, 1, 1, 1) * x_fake).flatten(1).norm(dim=1)
        value = _value(out)
        hint = ("one gradient norm per image, not one for the whole batch; then the squared gap to 1; then the "
                "mean over the batch.")
        answer = "grad.flatten(1).norm(dim=1) gives one norm per image: " + GP
        if value is not None and math.isclose(value, (swapped - 1).pow(2).mean().item(), rel_tol=1e-4):
            hint = "check which of the two images eps weighs."
            answer = "eps weighs the real image: x_hat = eps * x_real + (1 - eps) * x_fake."
        c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4),
                 "equals the mean of (|grad f(x_hat)| - 1)^2 over the interpolates, one norm per image",
                 input="f(x) = |x|^2 / 2 (its gradient at x_hat is x_hat), 6 images of 3x3, eps given",
                 expected=expected, got=out, hint=hint, answer=answer)
        out = gradient_penalty(critic, x_real, x_fake, eps)  # not via c.call: the gradient must reach this critic
        try:
            (grad,) = torch.autograd.grad(out, critic.a)
        except (RuntimeError, TypeError):
            grad = None
        norms = x_hat.flatten(1).norm(dim=1)
        wanted = (2 * (norms - 1) * norms).mean().item()
        c.expect(grad is not None and math.isclose(grad.item(), wanted, rel_tol=1e-4),
                 "can train the critic: the penalty has a gradient with respect to the critic's weights",
                 input="the penalty of f(x) = a |x|^2 / 2, differentiated by a", expected=wanted,
                 got=None if grad is None else grad.item(),
                 hint="the gradient you compute must itself stay differentiable, so training can go through it.",
                 answer="pass create_graph=True to torch.autograd.grad, and call x_hat.requires_grad_(True) "
                        "on a detached copy of the interpolates: " + GP)


def _random_covariance(rng: np.random.Generator, dim: int) -> np.ndarray:
    a = rng.normal(size=(dim, dim))
    return a @ a.T / dim + 0.1 * np.eye(dim)


def _number(out) -> float | None:
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, np.ndarray) and out.size == 1:
        out = out.item()
    if isinstance(out, complex):
        return None
    if isinstance(out, (float, int, np.floating, np.integer)) and not isinstance(out, bool):
        return float(out)
    return None


FD = "covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real; return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1 + sigma2 - 2 * covmean))"


def check_frechet_distance(frechet_distance, *, hidden: bool = False) -> None:
    """``frechet_distance(mu1, sigma1, mu2, sigma2)`` (NumPy arrays) = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))."""
    with Checker("frechet_distance", frechet_distance, hidden=hidden) as c:
        if hidden:
            rng = np.random.default_rng(9)
            for dim in (2, 12):
                m1, m2 = rng.normal(size=dim), rng.normal(size=dim) * 3
                s1, s2 = _random_covariance(rng, dim), 4 * _random_covariance(rng, dim)
                expected = reference_frechet_distance(m1, s1, m2, s2)
                got = c.call(m1, s1, m2, s2)
                c.expect(_number(got) is not None and math.isclose(_number(got), expected, rel_tol=1e-3),
                         f"matches the formula for two random {dim}-d Gaussians of different spreads",
                         input=f"two random {dim}-d Gaussians", expected=round(expected, 5), got=got,
                         hint="squared distance of the means plus the trace term with a matrix square root.",
                         answer=FD)
            return
        rng = np.random.default_rng(0)
        mu, sigma = rng.normal(size=4), _random_covariance(rng, 4)
        out = c.call(mu, sigma, mu, sigma)
        value = _number(out)
        c.expect(value is not None, "returns a real number (a float)", input="two identical 4-d Gaussians",
                 expected="a float", got=type(out).__name__ if value is None else out,
                 hint="scipy.linalg.sqrtm can return complex numbers with tiny imaginary parts; return a plain float.",
                 answer="covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real, and return float(...) of the result.")
        c.expect(abs(value) < 1e-4, "is 0 for identical Gaussians", input="mu1 = mu2, sigma1 = sigma2 (4-d)",
                 expected=0.0, got=value, hint="for P = Q the trace term must cancel exactly: check its factors.",
                 answer="Tr(S + S - 2 (S S)^(1/2)) = Tr(2 S - 2 S) = 0: the factor is 2. " + FD)
        shifted = c.call(mu, sigma, mu + np.array([3.0, 0.0, -4.0, 0.0]), sigma)
        c.expect(_number(shifted) is not None and math.isclose(_number(shifted), 25.0, rel_tol=1e-4),
                 "grows by |mu1 - mu2|^2 when only the mean moves", input="mean moved by (3, 0, -4, 0)",
                 expected=25.0, got=shifted, hint="the mean term is a distance, but squared.",
                 answer="((mu1 - mu2) ** 2).sum(), not its square root.")
        one_d = c.call(np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[9.0]]))
        c.expect(_number(one_d) is not None and math.isclose(_number(one_d), 5.0, rel_tol=1e-4),
                 "in 1-D is (m1 - m2)^2 + (s1 - s2)^2 with variances s^2", input="N(1, 2^2) and N(3, 3^2)",
                 expected=5.0, got=one_d, hint="in 1-D the trace term is s1^2 + s2^2 - 2 s1 s2: the root of the product.",
                 answer="4 + 9 - 2 * sqrt(4 * 9) = 1, the matrix square root of sigma1 @ sigma2: " + FD)
        s1, s2 = _random_covariance(rng, 5), _random_covariance(rng, 5)
        m1, m2 = rng.normal(size=5), rng.normal(size=5)
        expected = reference_frechet_distance(m1, s1, m2, s2)  # the library's answer
        got = c.call(m1, s1, m2, s2)
        c.expect(_number(got) is not None and math.isclose(_number(got), expected, rel_tol=1e-3),
                 "matches the formula for covariances that do not commute", input="two random 5-d Gaussians",
                 expected=round(expected, 5), got=got,
                 hint="a square root of a matrix is not the square root of each entry.",
                 answer="use scipy.linalg.sqrtm(sigma1 @ sigma2), not the element-wise np.sqrt, and take its trace: "
                        + FD)
        back = c.call(m2, s2, m1, s1)
        c.expect(_number(back) is not None and math.isclose(_number(back), _number(got), rel_tol=1e-3),
                 "is symmetric: d(P, Q) = d(Q, P)", input="the same two Gaussians, swapped",
                 expected=_number(got), got=back,
                 hint="nothing in the formula depends on which Gaussian comes first.", answer=FD)


def _sampled_mean_term(cov: np.ndarray, n: int, trials: int, rng: np.random.Generator, mean=None) -> float:
    """Monte Carlo E|mean of n draws - mean of n other draws|^2 from N(mean, cov)."""
    dim = len(cov)
    mean = np.zeros(dim) if mean is None else np.asarray(mean)
    root = np.linalg.cholesky(cov)
    a = rng.normal(size=(trials, n, dim)) @ root.T + mean
    b = rng.normal(size=(trials, n, dim)) @ root.T + mean
    return float(((a.mean(1) - b.mean(1)) ** 2).sum(1).mean())


MEAN_TERM = ("each sample mean is N(mu, Sigma / n), independent of the other, so their difference is N(0, 2 Sigma / n) "
             "and E|d|^2 = trace(2 Sigma / n): return 2 * np.trace(cov) / n")


def check_mean_term(mean_term, *, hidden: bool = False) -> None:
    """``mean_term(cov, n)``: E|mean of n draws - mean of n other draws|^2 for draws from N(mu, cov),
    compared with sampling."""
    with Checker("mean_term", mean_term, hidden=hidden) as c:
        rng = np.random.default_rng(5 if hidden else 0)
        if hidden:
            for dim, n in ((3, 7), (16, 50)):
                cov = _random_covariance(rng, dim) * 3
                want = 2 * np.trace(cov) / n
                got = _number(c.call(cov, n))
                c.expect(got is not None and math.isclose(got, want, rel_tol=1e-6),
                         f"is right for another {dim}-d covariance and n = {n}", input=f"a random {dim}x{dim} covariance",
                         expected=round(want, 6), got=got, hint="the same derivation for any covariance and n.",
                         answer=MEAN_TERM)
            return
        cov = _random_covariance(rng, 4)
        got = _number(c.call(cov, 10))
        c.expect(got is not None, "returns a number", input="a 4x4 covariance, n = 10", expected="a float",
                 got=got, hint="the expected value is one number.", answer="return a float: " + MEAN_TERM)
        sampled = _sampled_mean_term(cov, 10, 4000, rng)
        spread = 0.08 * sampled
        c.expect(abs(got - sampled) < spread, "matches sampling: 4,000 pairs of samples of 10 from a 4-d Gaussian",
                 input="a 4x4 covariance, n = 10", expected=f"about {sampled:.4f} (sampled, +-8%)", got=got,
                 hint="a mean of n independent draws has covariance Sigma / n; what about the difference of two such means?",
                 answer=MEAN_TERM)
        c.expect(math.isclose(_number(c.call(cov, 40)), got / 4, rel_tol=1e-6),
                 "falls as 1/n: four times the samples, a quarter of the distance", input="the same covariance, n = 40",
                 expected=got / 4, got=_number(c.call(cov, 40)),
                 hint="how does the covariance of a mean depend on the number of draws?", answer=MEAN_TERM)
        scaled = _number(c.call(4 * cov, 10))
        c.expect(scaled is not None and math.isclose(scaled, 4 * got, rel_tol=1e-6),
                 "scales with the spread: 4 times the covariance, 4 times the distance", input="4 cov, n = 10",
                 expected=4 * got, got=scaled, hint="the squared distance is in the units of the covariance.",
                 answer=MEAN_TERM)
        correlated = np.array([[1.0, 0.9], [0.9, 1.0]])
        diagonal = np.eye(2)
        a, b = _number(c.call(correlated, 5)), _number(c.call(diagonal, 5))
        c.expect(a is not None and b is not None and math.isclose(a, b, rel_tol=1e-6),
                 "depends only on the variances (the trace), not on the correlations",
                 input="[[1, 0.9], [0.9, 1]] and the identity, n = 5", expected=f"the same for both ({b})",
                 got=(a, b), hint="expand |d|^2 as a sum over coordinates: which entries of the covariance appear?",
                 answer=MEAN_TERM)
