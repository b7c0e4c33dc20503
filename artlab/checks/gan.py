"""Checks for exercises 01 and 02 (``exercises/01_gan_minimax.ipynb``, ``exercises/02_gan_training_loop.ipynb``).

* :func:`check_optimal_discriminator`: D*(x) = p_data(x) / (p_data(x) + p_g(x));
* :func:`check_generator_loss_non_saturating`: -E[log D(G(z))] from logits, stably;
* :func:`check_optimal_discriminator_k`: the best D when it sees k generated samples per real one,
  derived by the learner and checked by maximising V_k numerically;
* :func:`check_d_step_r1`: one discriminator update with lesson 02's R1 penalty that leaves the
  generator alone;
* :func:`check_samples_needed`: how many samples a perfect generator needs to cover every mode,
  derived by the learner and checked against sampling;
* :func:`check_modes_covered`: the PacGAN/VEEGAN modes-covered metric.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from artlab.checks import Checker

__all__ = ["check_optimal_discriminator", "check_generator_loss_non_saturating", "check_optimal_discriminator_k",
           "check_d_step_r1", "check_modes_covered", "check_samples_needed"]


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


def _reference_d_step_r1(generator, discriminator, optimizer, x_real, z, gamma) -> float:
    from artlab.gan.train import d_step

    return d_step(generator, discriminator, optimizer, x_real, z, penalty="r1", penalty_weight=gamma / 2).loss


def _tiny_gan(seed: int) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    generator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    discriminator = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0))
    return generator, discriminator


def _loss_value(loss) -> float | None:
    try:
        return loss.detach().item() if isinstance(loss, torch.Tensor) else float(loss)
    except (TypeError, ValueError, RuntimeError):
        return None


D_LOSS = ("x_real = x_real.detach().requires_grad_(True); logits_real = discriminator(x_real); "
          "(grad,) = torch.autograd.grad(logits_real.sum(), x_real, create_graph=True); "
          "loss = softplus(-logits_real).mean() + softplus(discriminator(x_fake)).mean() "
          "+ gamma / 2 * grad.pow(2).sum(1).mean(); return loss.item()")
D_UPDATE = "optimizer.zero_grad(); loss.backward(); optimizer.step(), once each, in this order."


def _after_step(d_step_r1, generator, discriminator, x_real, z, gamma):
    """Run the learner's step on an SGD optimizer over the discriminator, with stale gradients in it."""
    optimizer = torch.optim.SGD(discriminator.parameters(), lr=0.1)
    for p in discriminator.parameters():
        p.grad = torch.full_like(p, 5.0)
    loss = d_step_r1(generator, discriminator, optimizer, x_real, z, gamma)
    return generator, discriminator, loss


def _reference_after(generator, discriminator, x_real, z, gamma):
    ref_d = copy.deepcopy(discriminator)
    loss = _reference_d_step_r1(copy.deepcopy(generator), ref_d, torch.optim.SGD(ref_d.parameters(), lr=0.1),
                                x_real.clone(), z.clone(), gamma)
    return ref_d, loss


def check_d_step_r1(d_step_r1, *, hidden: bool = False) -> None:
    """``d_step_r1(generator, discriminator, optimizer, x_real, z, gamma)``: one discriminator step on
    D's loss plus the R1 penalty gamma/2 E|grad_x logit(x_real)|^2; returns the whole loss."""
    Checker("d_step_r1", d_step_r1)  # explains a non-function at once

    def run_step(generator, discriminator, x_real, z, gamma):
        return _after_step(d_step_r1, generator, discriminator, x_real, z, gamma)

    with Checker("d_step_r1", run_step, hidden=hidden) as c:
        if hidden:
            generator, discriminator = _tiny_gan(5)
            data = torch.Generator().manual_seed(6)
            x_real, z = torch.randn(40, 2, generator=data) * 0.5 - 1, torch.randn(40, 2, generator=data)
            for gamma in (0.3, 4.0):
                ref_d, expected = _reference_after(generator, discriminator, x_real, z, gamma)
                _, stepped, loss = c.call(generator, discriminator, x_real, z, gamma)
                value = _loss_value(loss)
                same = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(stepped.parameters(), ref_d.parameters()))
                c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4) and same,
                         f"gives artlab's d_step with R1 (gamma {gamma}): the same loss and the same update "
                         "(another G, D and batch of 40)", input=f"a tiny GAN (seed 5), 40 points, gamma {gamma}",
                         expected=round(expected, 5), got=loss,
                         hint="the penalty is part of the loss D minimises, with its own gradient.", answer=D_LOSS)
            return
        generator, discriminator = _tiny_gan(0)
        data = torch.Generator().manual_seed(1)
        x_real = torch.randn(16, 2, generator=data) + 2
        z = torch.randn(16, 2, generator=data)

        ref_d, expected = _reference_after(generator, discriminator, x_real, z, 0.0)
        g_before = [p.detach().clone() for p in generator.parameters()]
        generator_after, stepped, loss = c.call(generator, discriminator, x_real, z, 0.0)
        value = _loss_value(loss)
        c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4),
                 "returns D's loss -mean log D(x_real) - mean log(1 - D(G(z))) when gamma = 0",
                 input="a tiny G and D, 16 real points, 16 noise vectors, gamma 0", expected=round(expected, 5),
                 got=loss, hint="D's loss has a term for real points (label 1) and one for generated points "
                                "(label 0), from logits, measured before the step and returned as a number.",
                 answer=D_LOSS)
        c.expect(all(torch.equal(a, b) for a, b in zip(g_before, generator_after.parameters())),
                 "leaves the generator's weights unchanged", expected="G unchanged", got="G's weights changed",
                 hint="nothing in this step may write into the generator.",
                 answer="make x_fake under torch.no_grad() and step only the optimizer you were given (D's).")
        c.expect(all(p.grad is None or not p.grad.abs().sum() for p in generator_after.parameters()),
                 "computes no gradients for the generator (G(z) is detached)",
                 expected="no gradient in G's parameters", got="G's parameters received gradients",
                 hint="the generated points should enter D's loss as constants.",
                 answer="with torch.no_grad(): x_fake = generator(z)  (or x_fake = generator(z).detach()).")
        same_update = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(stepped.parameters(), ref_d.parameters()))
        c.expect(same_update, "takes exactly one optimizer step on fresh gradients (gamma = 0)",
                 expected="D's weights after one SGD step from zeroed gradients",
                 got="different weights (stale gradients added, no step, or several steps)",
                 hint="the optimizer arrives with stale gradients: clear them, compute fresh ones, step once.",
                 answer=D_UPDATE)

        # a linear D: its gradient in x is its weight w everywhere, so R1 = |w|^2 exactly
        linear = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
        with torch.no_grad():
            linear[0].weight.copy_(torch.tensor([[0.6, -0.8]]))
            linear[0].bias.zero_()
        plain = _reference_after(generator, linear, x_real, z, 0.0)[1]
        _, _, loss = c.call(generator, linear, x_real, z, 2.0)
        value = _loss_value(loss)
        want = plain + 2.0 / 2 * 1.0
        c.expect(value is not None and math.isclose(value, want, rel_tol=1e-4),
                 "adds gamma/2 * mean |grad_x D(x_real)|^2: for a linear D with |w| = 1 and gamma = 2, exactly 1",
                 input="D(x) = 0.6 x1 - 0.8 x2 (|w| = 1), gamma 2", expected=round(want, 5), got=loss,
                 hint="differentiate D's logits with respect to the real points (not the weights), square, sum over "
                      "the coordinates, average over the batch, and weight by gamma/2.",
                 answer=D_LOSS)

        for gamma in (1.0, 10.0):
            ref_d, expected = _reference_after(generator, discriminator, x_real, z, gamma)
            _, stepped, loss = c.call(generator, discriminator, x_real, z, gamma)
            value = _loss_value(loss)
            same_update = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(stepped.parameters(), ref_d.parameters()))
            c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4) and same_update,
                     f"with gamma = {gamma}, the same loss and the same update as artlab's d_step with R1",
                     input=f"the tiny GAN, gamma {gamma}", expected=f"loss {expected:.5f} and artlab's update",
                     got=f"loss {value}, " + ("the same update" if same_update else "a different update"),
                     hint="the penalty must reach D's weights through the gradient: ask autograd to keep the graph "
                          "of the input gradient, so that backward can differentiate it again.",
                     answer="torch.autograd.grad(logits_real.sum(), x_real, create_graph=True); " + D_LOSS)


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


def _cover_probability(n: int, n_modes: int, high_quality: float) -> float:
    """P(all modes covered) for n samples spread uniformly over the modes, each of high quality with
    probability ``high_quality``: inclusion-exclusion over the modes left empty."""
    return float(sum((-1) ** j * math.comb(n_modes, j) * (1 - j * high_quality / n_modes) ** n
                     for j in range(n_modes + 1)))


def _reference_samples_needed(n_modes: int, high_quality: float, confidence: float) -> int:
    n = n_modes
    while _cover_probability(n, n_modes, high_quality) < confidence:
        n += 1
    return n


SAMPLES = ("P(all K covered | N) = sum_j (-1)^j C(K, j) (1 - j q / K)^N (inclusion-exclusion over the modes "
           "left empty); return the smallest N >= K with P >= confidence, trying N = K, K + 1, ...")


def check_samples_needed(samples_needed, *, hidden: bool = False) -> None:
    """``samples_needed(n_modes, high_quality, confidence)``: the fewest samples with which a perfect
    generator covers every mode with at least that probability; checked against the exact count and
    against drawing real samples from lesson 02's ring."""
    with Checker("samples_needed", samples_needed, hidden=hidden) as c:
        if hidden:
            for k, q, conf in ((25, 0.989, 0.99), (3, 0.5, 0.9), (10, 0.95, 0.5)):
                want = _reference_samples_needed(k, q, conf)
                got = c.call(k, q, conf)
                c.expect(isinstance(got, int) and not isinstance(got, bool) and got == want,
                         f"K = {k} modes, high-quality share {q}, confidence {conf}: {want} samples",
                         input=f"samples_needed({k}, {q}, {conf})", expected=want, got=got,
                         hint="the same count for any K, q and confidence.", answer=SAMPLES)
            return
        got = c.call(8, 0.989, 0.95)
        want = _reference_samples_needed(8, 0.989, 0.95)
        c.expect(isinstance(got, int) and not isinstance(got, bool), "returns a whole number of samples",
                 input="samples_needed(8, 0.989, 0.95)", expected="an int", got=type(got).__name__,
                 hint="count samples with a plain Python int.", answer="return the first N that is enough, an int.")
        c.expect(got >= want, "is enough: with that many samples all 8 modes of the ring are covered "
                 "at least 95% of the time", input="samples_needed(8, 0.989, 0.95)",
                 expected=f">= {want} (P(all covered) at {want}: {_cover_probability(want, 8, 0.989):.4f})",
                 got=f"{got} (P(all covered) = {_cover_probability(got, 8, 0.989):.4f})",
                 hint="a mode stays empty when none of the N samples is a high-quality one of it: with N samples "
                      "that has probability (1 - q/K)^N for each mode; all K at once need more care.",
                 answer=SAMPLES)
        c.expect(got == want, "is the fewest: one sample less would not be enough",
                 input="samples_needed(8, 0.989, 0.95)",
                 expected=f"{want} (with {want - 1}: P = {_cover_probability(want - 1, 8, 0.989):.4f} < 0.95)",
                 got=got,
                 hint="search N upwards from K, and stop at the first N whose probability is high enough.",
                 answer=SAMPLES)
        even = _reference_samples_needed(8, 0.989, 0.5)
        got = c.call(8, 0.989, 0.5)
        c.expect(got == even, "is exact at an even chance too, where a union bound over-counts",
                 input="samples_needed(8, 0.989, 0.5)",
                 expected=f"{even} (P = {_cover_probability(even, 8, 0.989):.4f}; with {even - 1}: "
                          f"{_cover_probability(even - 1, 8, 0.989):.4f})",
                 got=got,
                 hint="a bound such as 'K times the chance of one empty mode' over-counts the cases with two "
                      "empty modes: count them exactly (inclusion-exclusion), or search N upwards.",
                 answer=SAMPLES)
        for k, q, conf in ((1, 1.0, 0.9), (2, 1.0, 0.75)):
            want = _reference_samples_needed(k, q, conf)
            got = c.call(k, q, conf)
            c.expect(got == want, f"small cases: K = {k}, q = {q}, confidence {conf} needs {want}",
                     input=f"samples_needed({k}, {q}, {conf})", expected=want, got=got,
                     hint="with K = 2 perfect modes, N samples miss one of them with probability 2 (1/2)^N.",
                     answer=SAMPLES)

        # the experiment: draw that many real samples from the ring, many times, and count
        from artlab.data.toy import ring
        from artlab.gan.metrics import modes_covered

        mixture = ring()
        n = want = _reference_samples_needed(8, 0.989, 0.95)
        got = c.call(8, 0.989, 0.95)
        trials = 400
        rng = torch.Generator().manual_seed(2)
        covered = sum(modes_covered(mixture.sample(int(got) if isinstance(got, int) else n, generator=rng),
                                    mixture.means, mixture.sigma) == 8 for _ in range(trials)) / trials
        predicted = _cover_probability(int(got), 8, 0.989) if isinstance(got, int) else float("nan")
        spread = 3 * math.sqrt(max(predicted * (1 - predicted), 1e-4) / trials)
        c.expect(abs(covered - predicted) <= spread and covered >= 0.95 - spread,
                 f"holds for real samples of lesson 02's ring: {trials} draws of that many samples",
                 input=f"{trials} draws of {got} samples from ring(), modes_covered == 8?",
                 expected=f"covered in about {predicted:.1%} of the draws (within {spread:.1%})",
                 got=f"{covered:.1%}",
                 hint="q is the share of real samples within 3 sigma of their mode (98.9% in 2-D).", answer=SAMPLES)
