"""Checks for exercises 01 and 02 (``exercises/01_gan_minimax.ipynb``, ``exercises/02_gan_training_loop.ipynb``).

* :func:`check_optimal_discriminator`: D*(x) = p_data(x) / (p_data(x) + p_g(x));
* :func:`check_generator_loss_non_saturating`: -E[log D(G(z))] from logits, stably;
* :func:`check_d_step`: one discriminator update that leaves the generator alone;
* :func:`check_modes_covered`: the PacGAN/VEEGAN modes-covered metric.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from artlab.checks import Checker

__all__ = ["check_optimal_discriminator", "check_generator_loss_non_saturating", "check_d_step",
           "check_modes_covered"]


def _tensor(value) -> bool:
    return isinstance(value, torch.Tensor)


def check_optimal_discriminator(optimal_discriminator) -> None:
    """``optimal_discriminator(p_data, p_g)`` returns D* = p_data / (p_data + p_g) elementwise."""
    with Checker("optimal_discriminator", optimal_discriminator) as c:
        p = torch.tensor([0.1, 0.5, 2.0, 0.03])
        out = c.call(p, p.clone())
        c.expect(_tensor(out) and out.shape == p.shape, "returns a tensor of the densities' shape",
                 input="p_data = p_g = [0.1, 0.5, 2.0, 0.03]", expected=f"shape {tuple(p.shape)}",
                 got=tuple(out.shape) if _tensor(out) else type(out).__name__,
                 hint="work elementwise: one D value per point x.")
        c.expect(torch.allclose(out, torch.full_like(p, 0.5)), "is 1/2 wherever p_g = p_data (the equilibrium)",
                 input="p_data = p_g = [0.1, 0.5, 2.0, 0.03]", expected=[0.5] * 4, got=out,
                 hint="D* = p_data / (p_data + p_g).")

        p_data = torch.tensor([0.3, 0.0, 1.2, 0.05, 0.7])
        p_g = torch.tensor([0.1, 0.4, 0.0, 0.15, 0.7])
        out = c.call(p_data, p_g)
        expected = p_data / (p_data + p_g)
        c.expect(_tensor(out) and torch.allclose(out, expected, atol=1e-6),
                 "equals p_data / (p_data + p_g)", input=(p_data, p_g), expected=expected, got=out,
                 hint="divide the data density by the sum of both densities, not by p_g alone.")
        c.expect(out[1].item() == 0.0 and out[2].item() == 1.0,
                 "is 1 where only real data lives and 0 where only generated data lives",
                 input=(p_data, p_g), expected="D*[1] = 0, D*[2] = 1", got=out[1:3])

        both_zero = torch.tensor([0.0, 0.2])
        out = c.call(torch.tensor([0.0, 0.2]), both_zero.clone() * torch.tensor([1.0, 0.0]))
        c.expect(_tensor(out) and not torch.isnan(out).any() and math.isclose(out[0].item(), 0.5),
                 "is 1/2 (not NaN) where both densities are 0", input="p_data = [0, 0.2], p_g = [0, 0]",
                 expected=[0.5, 1.0], got=out,
                 hint="0/0 is NaN; use torch.where(total > 0, p_data / total, 0.5): any D is optimal there.")

        xs = torch.linspace(-4, 4, 101)
        gauss = lambda mu: torch.exp(-(xs - mu) ** 2 / 2)  # noqa: E731
        out = c.call(gauss(-1.0), gauss(1.0))
        c.expect(_tensor(out) and bool((out >= 0).all() and (out <= 1).all()) and bool((out[1:] <= out[:-1] + 1e-7).all()),
                 "is a probability that falls from 1 to 0 as x moves from p_data's side to p_g's",
                 input="p_data = N(-1, 1), p_g = N(1, 1) on [-4, 4]", expected="values in [0, 1], decreasing",
                 got=f"min {out.min().item():.3f}, max {out.max().item():.3f}" if _tensor(out) else out)


def check_generator_loss_non_saturating(generator_loss_non_saturating) -> None:
    """``generator_loss_non_saturating(logits_fake)`` returns -mean log sigmoid(logits_fake), stably."""
    with Checker("generator_loss_non_saturating", generator_loss_non_saturating) as c:
        logits = torch.tensor([-3.0, -0.5, 0.0, 1.0, 4.0])
        out = c.call(logits)
        expected = -torch.log(torch.sigmoid(logits)).mean()
        c.expect(_tensor(out) and out.dim() == 0, "returns one number (a 0-d tensor), the mean over the batch",
                 input=logits, expected="a 0-d tensor", got=tuple(out.shape) if _tensor(out) else type(out).__name__,
                 hint="finish with .mean().")
        c.expect(torch.allclose(out, expected, atol=1e-5), "equals -mean log D(G(z)) with D = sigmoid(logit)",
                 input=logits, expected=expected, got=out,
                 hint="-log sigmoid(a) = softplus(-a); the minimax loss log(1 - D) is a different function.")

        extreme = torch.tensor([-200.0, -30.0, 50.0])
        out = c.call(extreme)
        expected = torch.nn.functional.softplus(-extreme).mean()
        c.expect(_tensor(out) and torch.isfinite(out) and torch.allclose(out, expected, rtol=1e-4),
                 "stays finite and exact for very confident discriminators",
                 input=extreme, expected=expected, got=out,
                 hint="log(sigmoid(-200)) underflows to log(0) = -inf; use torch.nn.functional.softplus(-logits).")

        a = torch.tensor([-8.0, -6.0], requires_grad=True)
        out = generator_loss_non_saturating(a.clone())  # not via c.call: the gradient must flow back to a
        try:
            (grad,) = torch.autograd.grad(out, a)
        except RuntimeError:
            grad = None
        c.expect(grad is not None and bool((grad < -0.45).all()),
                 "gives a strong gradient when D(G(z)) is near 0 (early training: it does not saturate)",
                 input=a.detach(), expected="d loss / d logit about -1/2 for each of the 2 samples",
                 got=grad, hint="keep everything in torch (no .item(), no numpy) so gradients flow.")


def _reference_d_step(generator, discriminator, optimizer, x_real, z) -> float:
    with torch.no_grad():
        x_fake = generator(z)
    loss = (torch.nn.functional.softplus(-discriminator(x_real)).mean()
            + torch.nn.functional.softplus(discriminator(x_fake)).mean())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _tiny_gan(seed: int) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    generator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    discriminator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Flatten(0))
    return generator, discriminator


def check_d_step(d_step) -> None:
    """``d_step(generator, discriminator, optimizer, x_real, z)`` takes one D step and returns D's loss."""
    Checker("d_step", d_step)  # explains a non-function at once

    def run_step(generator, discriminator, x_real, z):
        # The check needs the models after the step, so it wraps d_step; an optimizer over the
        # copied discriminator, with stale gradients left over from an earlier generator step.
        optimizer = torch.optim.SGD(discriminator.parameters(), lr=0.1)
        for p in discriminator.parameters():
            p.grad = torch.full_like(p, 5.0)
        loss = d_step(generator, discriminator, optimizer, x_real, z)
        return generator, discriminator, loss

    with Checker("d_step", run_step) as c:
        generator, discriminator = _tiny_gan(0)
        data = torch.Generator().manual_seed(1)
        x_real = torch.randn(16, 2, generator=data) + 2
        z = torch.randn(16, 2, generator=data)

        ref_g, ref_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
        expected_loss = _reference_d_step(ref_g, ref_d, torch.optim.SGD(ref_d.parameters(), lr=0.1), x_real, z)

        g_before = [p.detach().clone() for p in generator.parameters()]
        generator, discriminator, loss = c.call(generator, discriminator, x_real, z)
        try:
            value = loss.detach().item() if isinstance(loss, torch.Tensor) else float(loss)
        except (TypeError, ValueError, RuntimeError):
            value = None
        c.expect(value is not None and math.isclose(value, expected_loss, rel_tol=1e-4),
                 "returns D's loss -mean log D(x_real) - mean log(1 - D(G(z))) before the update",
                 input="a tiny G and D, 16 real points, 16 noise vectors", expected=round(expected_loss, 5),
                 got=loss, hint="loss = softplus(-D(x_real)).mean() + softplus(D(G(z))).mean(); return loss.item().")
        c.expect(all(torch.equal(a, b) for a, b in zip(g_before, generator.parameters())),
                 "leaves the generator's weights unchanged", expected="G unchanged", got="G's weights changed",
                 hint="only the discriminator's optimizer steps here.")
        c.expect(all(p.grad is None or not p.grad.abs().sum() for p in generator.parameters()),
                 "computes no gradients for the generator (G(z) is detached)",
                 expected="no gradient in G's parameters", got="G's parameters received gradients",
                 hint="make x_fake under torch.no_grad() or call .detach() on it.")
        moved = [not torch.equal(a, b) for a, b in zip(ref_d.parameters(), _tiny_gan(0)[1].parameters())]
        same_update = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(discriminator.parameters(), ref_d.parameters()))
        c.expect(any(moved) and same_update, "takes exactly one optimizer step on fresh gradients",
                 expected="D's weights after one SGD step from zeroed gradients",
                 got="different weights (stale gradients added, no step, or several steps)",
                 hint="optimizer.zero_grad(); loss.backward(); optimizer.step(), once.")
        with torch.no_grad():
            after = (torch.nn.functional.softplus(-discriminator(x_real)).mean()
                     + torch.nn.functional.softplus(discriminator(generator(z))).mean()).item()
        c.expect(after < expected_loss, "lowers D's loss on the same batch", expected=f"< {expected_loss:.4f}",
                 got=round(after, 5), hint="D minimises its loss; check the signs of the two terms.")


def check_modes_covered(modes_covered) -> None:
    """``modes_covered(samples, means, sigma)`` counts modes with a sample within 3 sigma (nearest-mode rule)."""
    with Checker("modes_covered", modes_covered) as c:
        means = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
        sigma = 0.05
        rng = torch.Generator().manual_seed(0)
        everywhere = means.repeat(50, 1) + sigma * torch.randn(200, 2, generator=rng)
        out = c.call(everywhere, means, sigma)
        c.expect(isinstance(out, int) or (_tensor(out) and out.numel() == 1),
                 "returns a whole number", input="200 samples spread over 4 modes",
                 expected="an int", got=type(out).__name__, hint="return int(...) of your count.")
        c.expect(int(out) == 4, "counts every mode of well-spread samples", input="200 samples over 4 modes",
                 expected=4, got=out)

        collapsed = means[3] + 0.01 * torch.randn(300, 2, generator=rng)
        out = c.call(collapsed, means, sigma)
        c.expect(int(out) == 1, "counts a mode once, however many samples land on it",
                 input="300 samples all at mode (2, 2)", expected=1, got=out,
                 hint="count distinct modes (e.g. .unique()), not samples.")

        ring_of_points = torch.tensor([[2.9 * sigma, 0.0], [2.0 + 3.1 * sigma, 0.0], [0.0, 2.0 - 3.5 * sigma]])
        out = c.call(ring_of_points, means, sigma)
        c.expect(int(out) == 1, "counts only samples within 3 sigma of their mode (high quality)",
                 input="points 2.9, 3.1 and 3.5 sigma from modes 0, 1 and 2", expected=1, got=out,
                 hint="compare the distance to the nearest mode with 3 * sigma.")

        between = torch.tensor([[1.0, 1.0], [1.0, 0.0], [-3.0, -3.0]])
        out = c.call(between, means, sigma)
        c.expect(int(out) == 0, "counts nothing for samples far from every mode", input=between,
                 expected=0, got=out)

        out = c.call(torch.tensor([[0.55, 0.0]]), means, 0.5)
        c.expect(int(out) == 1, "assigns each sample to its nearest mode only",
                 input="sigma 0.5: one point at (0.55, 0), within 3 sigma of modes 0 and 1",
                 expected=1, got=out, hint="take the nearest mode per sample (argmin of the distances), then test 3 sigma.")
