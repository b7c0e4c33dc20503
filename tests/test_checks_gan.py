import math
import re

import pytest
import torch
import torch.nn.functional as F

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.gan import (check_d_step_r1, check_generator_loss_non_saturating, check_modes_covered,
                               check_optimal_discriminator, check_optimal_discriminator_k, check_samples_needed)
from artlab.gan import theory
from artlab.gan.losses import generator_loss_non_saturating
from artlab.gan.metrics import modes_covered


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args):
    raise NotImplementedError()


def make_d_step(*, detach=True, zero_grad=True, sign=1.0, create_graph=True, half=True, on_fake=False):
    """A d_step_r1, right by default; each switch makes one typical mistake."""
    def d_step_r1(generator, discriminator, optimizer, x_real, z, gamma):
        x_fake = generator(z).detach() if detach else generator(z)
        where = (x_fake.detach() if on_fake else x_real.detach()).requires_grad_(True)
        logits = discriminator(where)
        (grad,) = torch.autograd.grad(logits.sum(), where, create_graph=create_graph, retain_graph=True)
        penalty = (gamma / 2 if half else gamma) * grad.pow(2).sum(1).mean()
        logits_real = logits if not on_fake else discriminator(x_real)
        loss = (F.softplus(-sign * logits_real).mean() + F.softplus(sign * discriminator(x_fake)).mean()) + penalty
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return d_step_r1


good_d_step = make_d_step()
d_step_without_detach = make_d_step(detach=False)
d_step_without_zero_grad = make_d_step(zero_grad=False)
d_step_wrong_sign = make_d_step(sign=-1.0)
d_step_penalty_without_graph = make_d_step(create_graph=False)
d_step_penalty_without_half = make_d_step(half=False)
d_step_penalty_on_fake_points = make_d_step(on_fake=True)


def d_step_stepping_generator_too(generator, discriminator, optimizer, x_real, z, gamma):
    loss = good_d_step(generator, discriminator, optimizer, x_real, z, gamma)
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(0.01)
    return loss


def samples_needed_exact(n_modes, high_quality, confidence):
    n = n_modes
    while sum((-1) ** j * math.comb(n_modes, j) * (1 - j * high_quality / n_modes) ** n
              for j in range(n_modes + 1)) < confidence:
        n += 1
    return n


def samples_needed_union_bound(n_modes, high_quality, confidence):
    if high_quality == 1 and n_modes == 1:
        return 1
    return math.ceil(math.log((1 - confidence) / n_modes) / math.log(1 - high_quality / n_modes))


def samples_needed_independent_modes(n_modes, high_quality, confidence):
    # treats "mode i is empty" as independent events: P(all) = (1 - (1 - q/K)^N)^K
    n = n_modes
    while (1 - (1 - high_quality / n_modes) ** n) ** n_modes < confidence:
        n += 1
    return n


def samples_needed_ignores_quality(n_modes, high_quality, confidence):
    return samples_needed_exact(n_modes, 1.0, confidence)


def optimal_discriminator_k_exact(p_data, p_g, k):
    total = p_data + k * p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)),
                       torch.full_like(total, 1 / (1 + k)))


def modes_covered_any_mode_within(samples, means, sigma):
    close = torch.cdist(samples, means) <= 3 * sigma
    return int(close.any(0).sum())


def modes_covered_no_quality(samples, means, sigma):
    return int(torch.cdist(samples, means).argmin(1).unique().numel())


def modes_covered_counts_samples(samples, means, sigma):
    d, _ = torch.cdist(samples, means).min(1)
    return int((d <= 3 * sigma).sum())


def modes_covered_capped_sample_count(samples, means, sigma):
    d, _ = torch.cdist(samples, means).min(1)
    return min(int((d <= 3 * sigma).sum()), len(means))


def modes_covered_one_sigma(samples, means, sigma):
    d, i = torch.cdist(samples, means).min(1)
    return int(i[d <= sigma].unique().numel())


WRONG = {
    check_optimal_discriminator: {
        "equals p_data / (p_data + p_g)": lambda p_data, p_g: p_data ** 2 / (p_data ** 2 + p_g ** 2),
        "is 1/2 wherever p_g = p_data": lambda p_data, p_g: p_data / p_g,
        "is 1/2 (not NaN)": lambda p_data, p_g: p_data / (p_data + p_g),
        "returns a tensor of the densities' shape": lambda p_data, p_g: (p_data / (p_data + p_g)).mean(),
    },
    check_generator_loss_non_saturating: {
        "equals -mean log D(G(z))": lambda a: torch.log(1 - torch.sigmoid(a)).mean(),
        "stays finite and exact": lambda a: -torch.log(torch.sigmoid(a)).mean(),
        "returns one number": lambda a: F.softplus(-a),
        "gives a strong gradient": lambda a: torch.tensor(F.softplus(-a).mean().item()),
    },
    check_optimal_discriminator_k: {
        "is lesson 01's D*": lambda p_data, p_g, k: p_data / (p_data + k * p_g) * 0 + p_data / p_g.clamp_min(1e-9),
        "maximises V_k for k = 4.0": lambda p_data, p_g, k: p_data / (p_data + p_g),
        "maximises V_k for k = 4.0: ": lambda p_data, p_g, k: k * p_data / (k * p_data + p_g),
        "is 1/2 where p_data = k p_g": lambda p_data, p_g, k: p_data / (p_data + k * p_g),
    },
    check_d_step_r1: {
        "computes no gradients for the generator": d_step_without_detach,
        "takes exactly one optimizer step on fresh gradients": d_step_without_zero_grad,
        "returns D's loss": d_step_wrong_sign,
        "leaves the generator's weights unchanged": d_step_stepping_generator_too,
        "with gamma = 1.0, the same loss and the same update": d_step_penalty_without_graph,
        "adds gamma/2 * mean |grad_x D(x_real)|^2": d_step_penalty_without_half,
        "with gamma = 1.0, the same loss and the same update ": d_step_penalty_on_fake_points,
    },
    check_modes_covered: {
        "assigns each sample to its nearest mode only": modes_covered_any_mode_within,
        "counts only samples within 3 sigma": modes_covered_no_quality,
        "counts only samples within 3 sigma ": modes_covered_one_sigma,
        "counts a mode once": modes_covered_capped_sample_count,
        "counts every mode of well-spread samples": modes_covered_counts_samples,
    },
    check_samples_needed: {
        "is exact at an even chance too": samples_needed_union_bound,
        "is exact at an even chance too ": samples_needed_independent_modes,
        "is enough": samples_needed_ignores_quality,
    },
}
CASES = [(check, prop, wrong) for check, table in WRONG.items() for prop, wrong in table.items()]


@pytest.mark.parametrize("check, prop, wrong", CASES, ids=[f"{c.__name__}-{p[:30]}" for c, p, _ in CASES])
def test_typical_mistakes_fail_on_the_named_property(check, prop, wrong):
    with pytest.raises(CheckFailed, match="property failed: " + re.escape(prop.strip())):
        check(wrong)


def test_the_reference_answers_pass(capsys):
    check_optimal_discriminator(theory.optimal_discriminator)
    check_generator_loss_non_saturating(generator_loss_non_saturating)
    check_optimal_discriminator_k(optimal_discriminator_k_exact)
    check_d_step_r1(good_d_step)
    check_modes_covered(modes_covered)
    check_samples_needed(samples_needed_exact)
    out = capsys.readouterr().out
    assert out.count("✓") == 6, out


def test_the_reference_answers_pass_the_hidden_cases_too(capsys):
    check_optimal_discriminator_k(optimal_discriminator_k_exact, hidden=True)
    check_d_step_r1(good_d_step, hidden=True)
    check_samples_needed(samples_needed_exact, hidden=True)
    assert capsys.readouterr().out.count("hidden properties hold") == 3


@pytest.mark.parametrize("check", list(WRONG))
def test_stubs_are_reported_as_not_implemented(check, capsys):
    check(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1
