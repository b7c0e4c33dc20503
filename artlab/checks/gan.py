"""Checks for exercise 01 (``exercises/01_gan_minimax.ipynb``); exercise 02's are in :mod:`artlab.checks.gan_training`.

* :func:`check_optimal_discriminator`: D*(x) = p_data(x) / (p_data(x) + p_g(x));
* :func:`check_generator_loss_non_saturating`: -E[log D(G(z))] from logits, stably;
* :func:`check_optimal_discriminator_k`: the best D when it sees k generated samples per real one,
  derived by the learner and checked by maximising V_k numerically.
"""
from __future__ import annotations

import math

import torch

from artlab.checks import Checker

__all__ = ["check_optimal_discriminator", "check_generator_loss_non_saturating", "check_optimal_discriminator_k"]


def _tensor(value) -> bool:
    return isinstance(value, torch.Tensor)


def _reference_optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)), 0.5)


def check_optimal_discriminator(optimal_discriminator, *, hidden: bool = False) -> None:
    """``optimal_discriminator(p_data, p_g)`` returns D* = p_data / (p_data + p_g) elementwise."""
    with Checker("optimal_discriminator", optimal_discriminator, hidden=hidden) as c:
        if hidden:
            g = torch.Generator().manual_seed(3)
            p_data = torch.rand(3, 4, 5, generator=g) * (torch.rand(3, 4, 5, generator=g) > 0.3)
            p_g = torch.rand(3, 4, 5, generator=g) * (torch.rand(3, 4, 5, generator=g) > 0.3)
            out = c.call(p_data, p_g)
            want = _reference_optimal_discriminator(p_data, p_g)
            c.expect(_tensor(out) and out.shape == want.shape and torch.allclose(out, want, atol=1e-6),
                     "equals p_data / (p_data + p_g), 1/2 where both are 0, on a (3, 4, 5) grid with zeros in both",
                     input="random densities (3, 4, 5), about a third of each 0", expected=want, got=out,
                     hint="the same formula at every point, whatever the shape, with the 0/0 case handled.",
                     answer="total = p_data + p_g; torch.where(total > 0, p_data / torch.where(total > 0, total, "
                            "torch.ones_like(total)), torch.full_like(total, 0.5))")
            return
        p = torch.tensor([0.1, 0.5, 2.0, 0.03])
        out = c.call(p, p.clone())
        c.expect(_tensor(out) and out.shape == p.shape, "returns a tensor of the densities' shape",
                 input="p_data = p_g = [0.1, 0.5, 2.0, 0.03]", expected=f"shape {tuple(p.shape)}",
                 got=tuple(out.shape) if _tensor(out) else type(out).__name__,
                 hint="work elementwise: one D value per point x.",
                 answer="return p_data / (p_data + p_g): elementwise arithmetic keeps the densities' shape.")
        c.expect(torch.allclose(out, torch.full_like(p, 0.5)), "is 1/2 wherever p_g = p_data (the equilibrium)",
                 input="p_data = p_g = [0.1, 0.5, 2.0, 0.03]", expected=[0.5] * 4, got=out,
                 hint="at each point D* compares the data density with the total density of both.",
                 answer="D* = p_data / (p_data + p_g).")

        p_data = torch.tensor([0.3, 0.0, 1.2, 0.05, 0.7])
        p_g = torch.tensor([0.1, 0.4, 0.0, 0.15, 0.7])
        out = c.call(p_data, p_g)
        expected = p_data / (p_data + p_g)
        c.expect(_tensor(out) and torch.allclose(out, expected, atol=1e-6),
                 "equals p_data / (p_data + p_g)", input=(p_data, p_g), expected=expected, got=out,
                 hint="look at the denominator: it holds more than one density.",
                 answer="D* = p_data / (p_data + p_g), not p_data / p_g.")
        c.expect(out[1].item() == 0.0 and out[2].item() == 1.0,
                 "is 1 where only real data lives and 0 where only generated data lives",
                 input=(p_data, p_g), expected="D*[1] = 0, D*[2] = 1", got=out[1:3],
                 hint="where p_g = 0 the ratio is p_data over itself; where p_data = 0 it is 0 over p_g.",
                 answer="D* = p_data / (p_data + p_g), with no extra terms or smoothing.")

        both_zero = torch.tensor([0.0, 0.2])
        out = c.call(torch.tensor([0.0, 0.2]), both_zero.clone() * torch.tensor([1.0, 0.0]))
        c.expect(_tensor(out) and not torch.isnan(out).any() and math.isclose(out[0].item(), 0.5),
                 "is 1/2 (not NaN) where both densities are 0", input="p_data = [0, 0.2], p_g = [0, 0]",
                 expected=[0.5, 1.0], got=out,
                 hint="0/0 is NaN: choose 1/2 wherever the total density is 0 (any D is optimal there), and divide "
                      "only where it is not.",
                 answer="total = p_data + p_g; torch.where(total > 0, p_data / torch.where(total > 0, total, "
                        "torch.ones_like(total)), torch.full_like(total, 0.5))")

        xs = torch.linspace(-4, 4, 101)
        gauss = lambda mu: torch.exp(-(xs - mu) ** 2 / 2)  # noqa: E731
        out = c.call(gauss(-1.0), gauss(1.0))
        c.expect(_tensor(out) and bool((out >= 0).all() and (out <= 1).all()) and bool((out[1:] <= out[:-1] + 1e-7).all()),
                 "is a probability that falls from 1 to 0 as x moves from p_data's side to p_g's",
                 input="p_data = N(-1, 1), p_g = N(1, 1) on [-4, 4]", expected="values in [0, 1], decreasing",
                 got=f"min {out.min().item():.3f}, max {out.max().item():.3f}" if _tensor(out) else out,
                 hint="a ratio of a non-negative density to a total that contains it lies in [0, 1].",
                 answer="D* = p_data / (p_data + p_g).")


def check_generator_loss_non_saturating(generator_loss_non_saturating, *, hidden: bool = False) -> None:
    """``generator_loss_non_saturating(logits_fake)`` returns -mean log sigmoid(logits_fake), stably."""
    with Checker("generator_loss_non_saturating", generator_loss_non_saturating, hidden=hidden) as c:
        if hidden:
            g = torch.Generator().manual_seed(4)
            for label, logits in (("64 logits from -50 to 50", torch.linspace(-50, 50, 64)),
                                  ("7 random logits", torch.randn(7, generator=g) * 10)):
                out = c.call(logits)
                want = torch.nn.functional.softplus(-logits).mean()
                c.expect(_tensor(out) and out.dim() == 0 and torch.allclose(out, want, rtol=1e-4),
                         f"equals mean softplus(-logit), finite ({label})", input=logits, expected=want, got=out,
                         hint="one stable function of the logits, averaged over the batch.",
                         answer="return F.softplus(-logits_fake).mean()")
            return
        logits = torch.tensor([-3.0, -0.5, 0.0, 1.0, 4.0])
        out = c.call(logits)
        expected = -torch.log(torch.sigmoid(logits)).mean()
        c.expect(_tensor(out) and out.dim() == 0, "returns one number (a 0-d tensor), the mean over the batch",
                 input=logits, expected="a 0-d tensor", got=tuple(out.shape) if _tensor(out) else type(out).__name__,
                 hint="the loss is one number for the whole batch: average over the samples.",
                 answer="finish with .mean(): F.softplus(-logits_fake).mean().")
        c.expect(torch.allclose(out, expected, atol=1e-5), "equals -mean log D(G(z)) with D = sigmoid(logit)",
                 input=logits, expected=expected, got=out,
                 hint="the generator wants D(G(z)) large: its loss is minus the log of D, not log(1 - D).",
                 answer="-log sigmoid(a) = softplus(-a): return F.softplus(-logits_fake).mean().")

        extreme = torch.tensor([-200.0, -30.0, 50.0])
        out = c.call(extreme)
        expected = torch.nn.functional.softplus(-extreme).mean()
        c.expect(_tensor(out) and torch.isfinite(out) and torch.allclose(out, expected, rtol=1e-4),
                 "stays finite and exact for very confident discriminators",
                 input=extreme, expected=expected, got=out,
                 hint="sigmoid(-200) underflows to 0 and log(0) = -inf: write -log sigmoid(a) as one function "
                      "PyTorch computes stably.",
                 answer="return torch.nn.functional.softplus(-logits_fake).mean().")

        a = torch.tensor([-8.0, -6.0], requires_grad=True)
        out = generator_loss_non_saturating(a.clone())  # not via c.call: the gradient must flow back to a
        try:
            (grad,) = torch.autograd.grad(out, a)
        except RuntimeError:
            grad = None
        c.expect(grad is not None and bool((grad < -0.45).all()),
                 "gives a strong gradient when D(G(z)) is near 0 (early training: it does not saturate)",
                 input=a.detach(), expected="d loss / d logit about -1/2 for each of the 2 samples",
                 got=grad, hint="keep everything in torch (no .item(), no numpy) so gradients flow.",
                 answer="return F.softplus(-logits_fake).mean(), a tensor autograd can differentiate.")


def _value_k(d: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor, k: float) -> torch.Tensor:
    """V_k(D) = sum of p_data log D + k p_g log(1 - D) over the points (terms with p = 0 count 0)."""
    real = torch.where(p_data > 0, p_data * torch.log(d.clamp_min(1e-300)), torch.zeros_like(p_data))
    fake = torch.where(p_g > 0, k * p_g * torch.log1p(-d.clamp_max(1 - 1e-16)), torch.zeros_like(p_g))
    return (real + fake).sum()


D_STAR_K = ("the derivative of a log y + k b log(1 - y) vanishes at y = a / (a + k b): total = p_data + k * p_g; "
            "return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)), "
            "torch.full_like(total, 1 / (1 + k)))")


def _densities(seed: int, shape=(200,)) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    p_data = torch.rand(shape, generator=g, dtype=torch.float64)
    p_g = torch.rand(shape, generator=g, dtype=torch.float64)
    return p_data / p_data.sum(), p_g / p_g.sum()


def check_optimal_discriminator_k(optimal_discriminator_k, *, hidden: bool = False) -> None:
    """``optimal_discriminator_k(p_data, p_g, k)``: the D that maximises
    V_k(D) = E_data[log D] + k E_g[log(1 - D)] at every point."""
    with Checker("optimal_discriminator_k", optimal_discriminator_k, hidden=hidden) as c:
        if hidden:
            for seed, k in ((11, 4.0), (12, 0.25), (13, 7.0)):
                p_data, p_g = _densities(seed, (3, 40))
                out = c.call(p_data, p_g, k)
                want = p_data / (p_data + k * p_g)
                c.expect(_tensor(out) and out.shape == want.shape and torch.allclose(out.double(), want, atol=1e-6),
                         f"maximises V_k on other random densities, shape (3, 40), k = {k}",
                         input=f"random densities (seed {seed}), k = {k}", expected=want, got=out,
                         hint="the same pointwise maximisation as for k = 1, with the fake term weighted by k.",
                         answer=D_STAR_K)
            return
        p_data, p_g = _densities(0)
        out = c.call(p_data, p_g, 1.0)
        c.expect(_tensor(out) and out.shape == p_data.shape, "returns a tensor of the densities' shape",
                 input="200 random density values each, k = 1", expected=f"shape {tuple(p_data.shape)}",
                 got=tuple(out.shape) if _tensor(out) else type(out).__name__,
                 hint="one D value per point, computed elementwise.", answer=D_STAR_K)
        c.expect(torch.allclose(out.double(), p_data / (p_data + p_g), atol=1e-6),
                 "is lesson 01's D* = p_data / (p_data + p_g) for k = 1", input="the same densities, k = 1",
                 expected="p_data / (p_data + p_g)", got=out,
                 hint="with one generated sample per real one, the game is lesson 01's.", answer=D_STAR_K)
        for k in (4.0, 0.5):
            out = c.call(p_data, p_g, k)
            ok = _tensor(out) and out.shape == p_data.shape and bool(((out >= 0) & (out <= 1)).all())
            best = _value_k(out.double(), p_data, p_g, k) if ok else None
            nudged = [float(_value_k((out.double() + shift).clamp(1e-9, 1 - 1e-9), p_data, p_g, k)) for shift in
                      (-0.02, -0.002, 0.002, 0.02)] if ok else []
            c.expect(ok and all(v < float(best) for v in nudged),
                     f"maximises V_k for k = {k}: moving D up or down anywhere lowers it",
                     input=f"200 random density values each, k = {k}",
                     expected=f"V_k(D) > V_k(D +- 0.002) and V_k(D +- 0.02)",
                     got=(f"V_k(D) = {float(best):.6f}, nudged: " + ", ".join(f"{v:.6f}" for v in nudged)) if ok else out,
                     hint="maximise a log y + k b log(1 - y) over y at one point x: set the derivative to 0.",
                     answer=D_STAR_K)
        p = torch.tensor([0.2, 0.05, 1.3], dtype=torch.float64)
        out = c.call(p, p.clone(), 4.0)
        c.expect(_tensor(out) and torch.allclose(out.double(), torch.full_like(p, 0.2), atol=1e-6),
                 "says 1/(1 + k) everywhere at the equilibrium p_g = p_data (k = 4: 0.2, not 1/2)",
                 input="p_data = p_g = [0.2, 0.05, 1.3], k = 4", expected=[0.2] * 3, got=out,
                 hint="with k fakes per real sample, a point drawn from the mix is real with probability 1/(1 + k).",
                 answer=D_STAR_K)
        out = c.call(torch.tensor([0.8, 0.0]), torch.tensor([0.2, 0.0]), 4.0)
        c.expect(_tensor(out) and math.isclose(float(out[0]), 0.5, abs_tol=1e-6) and not torch.isnan(out).any()
                 and 0 <= float(out[1]) <= 1,
                 "is 1/2 where p_data = k p_g, and a number in [0, 1] (not NaN) where both densities are 0",
                 input="p_data = [0.8, 0], p_g = [0.2, 0], k = 4", expected="[0.5, any value in [0, 1]]", got=out,
                 hint="0/0 is NaN: decide what D should say where no sample ever lands, and divide only elsewhere.",
                 answer=D_STAR_K)


