import re

import pytest
import torch
import torch.nn.functional as F

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.gan import (check_d_step, check_generator_loss_non_saturating, check_modes_covered,
                               check_optimal_discriminator)
from artlab.gan import theory
from artlab.gan.losses import generator_loss_non_saturating
from artlab.gan.metrics import modes_covered


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args):
    raise NotImplementedError()


def make_d_step(*, detach=True, zero_grad=True, sign=1.0):
    """A d_step, right by default; each switch makes one typical mistake."""
    def d_step(generator, discriminator, optimizer, x_real, z):
        x_fake = generator(z).detach() if detach else generator(z)
        loss = (F.softplus(-sign * discriminator(x_real)).mean()
                + F.softplus(sign * discriminator(x_fake)).mean())
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return d_step


good_d_step = make_d_step()
d_step_without_detach = make_d_step(detach=False)
d_step_without_zero_grad = make_d_step(zero_grad=False)
d_step_wrong_sign = make_d_step(sign=-1.0)


def d_step_stepping_generator_too(generator, discriminator, optimizer, x_real, z):
    loss = good_d_step(generator, discriminator, optimizer, x_real, z)
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(0.01)
    return loss


def d_step_loss_after_update(generator, discriminator, optimizer, x_real, z):
    good_d_step(generator, discriminator, optimizer, x_real, z)
    with torch.no_grad():
        return (F.softplus(-discriminator(x_real)).mean() + F.softplus(discriminator(generator(z))).mean()).item()


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
    check_d_step: {
        "computes no gradients for the generator": d_step_without_detach,
        "takes exactly one optimizer step on fresh gradients": d_step_without_zero_grad,
        "returns D's loss": d_step_wrong_sign,
        "leaves the generator's weights unchanged": d_step_stepping_generator_too,
    },
    check_modes_covered: {
        "assigns each sample to its nearest mode only": modes_covered_any_mode_within,
        "counts only samples within 3 sigma": modes_covered_no_quality,
        "counts only samples within 3 sigma ": modes_covered_one_sigma,
        "counts a mode once": modes_covered_capped_sample_count,
        "counts every mode of well-spread samples": modes_covered_counts_samples,
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
    check_d_step(good_d_step)
    check_modes_covered(modes_covered)
    out = capsys.readouterr().out
    assert out.count("✓") == 4, out


@pytest.mark.parametrize("check", list(WRONG))
def test_stubs_are_reported_as_not_implemented(check, capsys):
    check(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1
