import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from artlab.gan.losses import (GANLoss, discriminator_loss, generator_loss_minimax,
                               generator_loss_non_saturating, r1_penalty)

logits = st.lists(st.floats(-15, 15), min_size=1, max_size=16).map(lambda v: torch.tensor(v, dtype=torch.float64))


@given(logits, logits)
def test_discriminator_loss_equals_the_naive_formula_where_finite(a_real, a_fake):
    d_real, d_fake = torch.sigmoid(a_real), torch.sigmoid(a_fake)
    naive = -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
    assert torch.allclose(discriminator_loss(a_real, a_fake), naive, rtol=1e-6, atol=1e-9)


@given(logits)
def test_generator_losses_equal_their_naive_formulas_where_finite(a_fake):
    d_fake = torch.sigmoid(a_fake)
    assert torch.allclose(generator_loss_minimax(a_fake), torch.log(1 - d_fake).mean(), rtol=1e-6, atol=1e-9)
    assert torch.allclose(generator_loss_non_saturating(a_fake), -torch.log(d_fake).mean(), rtol=1e-6, atol=1e-9)


def test_losses_stay_finite_where_the_naive_formulas_overflow():
    extreme = torch.tensor([-200.0, 200.0])
    assert torch.isinf(-torch.log(torch.sigmoid(extreme))).any()  # the naive round trip breaks
    for value in (discriminator_loss(extreme, extreme), generator_loss_minimax(extreme),
                  generator_loss_non_saturating(extreme)):
        assert torch.isfinite(value)
    assert math.isclose(float(generator_loss_non_saturating(torch.tensor([-200.0]))), 200.0)


def test_the_equilibrium_discriminator_loss_is_log4():
    zero = torch.zeros(5)
    assert math.isclose(float(discriminator_loss(zero, zero)), math.log(4), rel_tol=1e-6)


def test_gan_loss_selects_the_generator_loss():
    a = torch.tensor([-3.0, 0.5])
    assert torch.equal(GANLoss("minimax").g_loss(a), generator_loss_minimax(a))
    assert torch.equal(GANLoss.NON_SATURATING.g_loss(a), generator_loss_non_saturating(a))
    assert torch.equal(GANLoss.MINIMAX.d_loss(a, a), discriminator_loss(a, a))
    with pytest.raises(ValueError):
        GANLoss("wasserstein-ish")


def test_r1_penalty_is_the_mean_squared_input_gradient():
    weight = torch.tensor([[3.0, -4.0]])
    x = torch.randn(6, 2, requires_grad=True)
    logits = (x @ weight.T).squeeze(1)  # a linear D: gradient = weight everywhere, |w|^2 = 25
    assert math.isclose(float(r1_penalty(logits, x)), 25.0, rel_tol=1e-6)
    quadratic = (x ** 2).sum(1)  # gradient 2x
    assert torch.allclose(r1_penalty(quadratic, x), (4 * x.detach() ** 2).sum(1).mean())
