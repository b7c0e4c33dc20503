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


def _loss_value(loss) -> float | None:
    try:
        return loss.detach().item() if isinstance(loss, torch.Tensor) else float(loss)
    except (TypeError, ValueError, RuntimeError):
        return None


D_LOSS = "loss = softplus(-D(x_real)).mean() + softplus(D(G(z))).mean() on logits; return loss.item()."
D_UPDATE = "optimizer.zero_grad(); loss.backward(); optimizer.step(), once each, in this order."


def check_d_step(d_step, *, hidden: bool = False) -> None:
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

    with Checker("d_step", run_step, hidden=hidden) as c:
        if hidden:
            generator, discriminator = _tiny_gan(5)
            data = torch.Generator().manual_seed(6)
            x_real, z = torch.randn(40, 2, generator=data) * 0.5 - 1, torch.randn(40, 2, generator=data)
            ref_d = copy.deepcopy(discriminator)
            expected_loss = _reference_d_step(generator, ref_d, torch.optim.SGD(ref_d.parameters(), lr=0.1), x_real, z)
            g_before = [p.detach().clone() for p in generator.parameters()]
            generator, discriminator, loss = c.call(generator, discriminator, x_real, z)
            value = _loss_value(loss)
            c.expect(value is not None and math.isclose(value, expected_loss, rel_tol=1e-4),
                     "returns D's loss before the update (another G, D and batch of 40)",
                     input="a tiny G and D (seed 5), 40 real points, 40 noise vectors",
                     expected=round(expected_loss, 5), got=loss,
                     hint="two softplus terms on D's logits, real and generated, averaged over the batch.",
                     answer=D_LOSS)
            same = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(discriminator.parameters(), ref_d.parameters()))
            g_same = all(torch.equal(a, b) for a, b in zip(g_before, generator.parameters()))
            c.expect(same and g_same, "moves D by exactly one clean step and leaves G alone (another G, D and batch)",
                     input="the same tiny GAN", expected="D after one SGD step from zeroed gradients, G unchanged",
                     got="different weights", hint="clear stale gradients, step once, touch only D.",
                     answer="with torch.no_grad(): x_fake = generator(z); then " + D_UPDATE)
            return
        generator, discriminator = _tiny_gan(0)
        data = torch.Generator().manual_seed(1)
        x_real = torch.randn(16, 2, generator=data) + 2
        z = torch.randn(16, 2, generator=data)

        ref_g, ref_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
        expected_loss = _reference_d_step(ref_g, ref_d, torch.optim.SGD(ref_d.parameters(), lr=0.1), x_real, z)

        g_before = [p.detach().clone() for p in generator.parameters()]
        generator, discriminator, loss = c.call(generator, discriminator, x_real, z)
        value = _loss_value(loss)
        c.expect(value is not None and math.isclose(value, expected_loss, rel_tol=1e-4),
                 "returns D's loss -mean log D(x_real) - mean log(1 - D(G(z))) before the update",
                 input="a tiny G and D, 16 real points, 16 noise vectors", expected=round(expected_loss, 5),
                 got=loss, hint="D's loss has a term for real points (label 1) and one for generated points "
                                "(label 0), from logits, measured before the step and returned as a number.",
                 answer=D_LOSS)
        c.expect(all(torch.equal(a, b) for a, b in zip(g_before, generator.parameters())),
                 "leaves the generator's weights unchanged", expected="G unchanged", got="G's weights changed",
                 hint="nothing in this step may write into the generator.",
                 answer="make x_fake under torch.no_grad() and step only the optimizer you were given (D's).")
        c.expect(all(p.grad is None or not p.grad.abs().sum() for p in generator.parameters()),
                 "computes no gradients for the generator (G(z) is detached)",
                 expected="no gradient in G's parameters", got="G's parameters received gradients",
                 hint="the generated points should enter D's loss as constants.",
                 answer="with torch.no_grad(): x_fake = generator(z)  (or x_fake = generator(z).detach()).")
        moved = [not torch.equal(a, b) for a, b in zip(ref_d.parameters(), _tiny_gan(0)[1].parameters())]
        same_update = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(discriminator.parameters(), ref_d.parameters()))
        c.expect(any(moved) and same_update, "takes exactly one optimizer step on fresh gradients",
                 expected="D's weights after one SGD step from zeroed gradients",
                 got="different weights (stale gradients added, no step, or several steps)",
                 hint="the optimizer arrives with stale gradients: clear them, compute fresh ones, step once.",
                 answer=D_UPDATE)
        with torch.no_grad():
            after = (torch.nn.functional.softplus(-discriminator(x_real)).mean()
                     + torch.nn.functional.softplus(discriminator(generator(z))).mean()).item()
        c.expect(after < expected_loss, "lowers D's loss on the same batch", expected=f"< {expected_loss:.4f}",
                 got=round(after, 5), hint="D minimises its loss; check the signs of the two terms.",
                 answer="loss = softplus(-logits_real).mean() + softplus(logits_fake).mean(), then one step.")


MODES = ("distances = torch.cdist(samples, means); d, nearest = distances.min(dim=1); "
         "return int(nearest[d <= 3 * sigma].unique().numel())")


def _reference_modes_covered(samples, means, sigma) -> int:
    d, nearest = torch.cdist(samples, means).min(dim=1)
    return int(nearest[d <= 3 * sigma].unique().numel())


def check_modes_covered(modes_covered, *, hidden: bool = False) -> None:
    """``modes_covered(samples, means, sigma)`` counts modes with a sample within 3 sigma (nearest-mode rule)."""
    with Checker("modes_covered", modes_covered, hidden=hidden) as c:
        if hidden:
            angles = torch.arange(8) * (2 * math.pi / 8)
            ring = torch.stack([2 * torch.cos(angles), 2 * torch.sin(angles)], dim=1)
            rng = torch.Generator().manual_seed(7)
            near = ring[[0, 0, 3, 5]] + 0.02 * torch.randn(4, 2, generator=rng)
            edge = ring[[6, 7]] + torch.tensor([[2.5 * 0.1, 0.0], [0.0, 3.5 * 0.1]])
            far = torch.randn(20, 2, generator=rng) * 0.2
            samples = torch.cat([near, edge, far])
            want = _reference_modes_covered(samples, ring, 0.1)
            out = c.call(samples, ring, 0.1)
            c.expect((isinstance(out, int) or (_tensor(out) and out.numel() == 1)) and int(out) == want,
                     "counts the modes of a ring of 8 that have a sample within 3 sigma of them",
                     input="8 modes on a circle of radius 2, sigma 0.1: samples at modes 0, 3, 5, 2.5 and 3.5 sigma "
                           "from modes 6 and 7, 20 near the centre", expected=want, got=out,
                     hint="per sample: its nearest mode and the distance to it; count distinct close modes.",
                     answer=MODES)
            return
        means = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
        sigma = 0.05
        rng = torch.Generator().manual_seed(0)
        everywhere = means.repeat(50, 1) + sigma * torch.randn(200, 2, generator=rng)
        out = c.call(everywhere, means, sigma)
        c.expect(isinstance(out, int) or (_tensor(out) and out.numel() == 1),
                 "returns a whole number", input="200 samples spread over 4 modes",
                 expected="an int", got=type(out).__name__, hint="the count should be a plain Python number.",
                 answer="return int(count), e.g. int(nearest[d <= 3 * sigma].unique().numel()).")
        c.expect(int(out) == 4, "counts every mode of well-spread samples", input="200 samples over 4 modes",
                 expected=4, got=out, hint="each mode with at least one good sample near it counts once.",
                 answer=MODES)

        collapsed = means[3] + 0.01 * torch.randn(300, 2, generator=rng)
        out = c.call(collapsed, means, sigma)
        c.expect(int(out) == 1, "counts a mode once, however many samples land on it",
                 input="300 samples all at mode (2, 2)", expected=1, got=out,
                 hint="you are counting modes, not samples.",
                 answer=MODES)

        ring_of_points = torch.tensor([[2.9 * sigma, 0.0], [2.0 + 3.1 * sigma, 0.0], [0.0, 2.0 - 3.5 * sigma]])
        out = c.call(ring_of_points, means, sigma)
        c.expect(int(out) == 1, "counts only samples within 3 sigma of their mode (high quality)",
                 input="points 2.9, 3.1 and 3.5 sigma from modes 0, 1 and 2", expected=1, got=out,
                 hint="a sample counts only when it is close enough to its mode, and 'close' is stated in sigmas.",
                 answer="keep samples whose distance to their nearest mode is <= 3 * sigma: " + MODES)

        between = torch.tensor([[1.0, 1.0], [1.0, 0.0], [-3.0, -3.0]])
        out = c.call(between, means, sigma)
        c.expect(int(out) == 0, "counts nothing for samples far from every mode", input=between,
                 expected=0, got=out, hint="samples between the modes are of low quality: they cover nothing.",
                 answer=MODES)

        out = c.call(torch.tensor([[0.55, 0.0]]), means, 0.5)
        c.expect(int(out) == 1, "assigns each sample to its nearest mode only",
                 input="sigma 0.5: one point at (0.55, 0), within 3 sigma of modes 0 and 1",
                 expected=1, got=out, hint="a sample belongs to one mode only, the closest one.",
                 answer=MODES)
