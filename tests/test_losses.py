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


# --- the Wasserstein game (lesson 04) ---------------------------------------------------------

from artlab.gan.losses import (gradient_penalty, interpolates, wasserstein_critic_loss,  # noqa: E402
                               wasserstein_generator_loss)


def test_wasserstein_losses_are_differences_of_mean_scores():
    real, fake = torch.tensor([2.0, 4.0]), torch.tensor([-1.0, 0.0, 1.0])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(0.0 - 3.0)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(0.0)
    assert GANLoss("wasserstein").d_loss(real, fake).item() == pytest.approx(-3.0)
    assert GANLoss("wasserstein").g_loss(real).item() == pytest.approx(-3.0)
    assert torch.equal(GANLoss.WASSERSTEIN.score(real), real)  # raw scores, not probabilities
    assert torch.allclose(GANLoss.NON_SATURATING.score(real), torch.sigmoid(real))


class Linear(torch.nn.Module):
    """f(x) = <w, x>: its gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        return (x.flatten(1) * self.w).sum(1)


class HalfSquare(torch.nn.Module):
    """f(x) = a/2 |x|^2: its gradient at x is a x."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return self.a / 2 * x.flatten(1).pow(2).sum(1)


@pytest.mark.parametrize("norm", [0.5, 1.0, 3.0])
def test_gradient_penalty_of_a_linear_critic_is_the_squared_gap_of_its_slope_to_one(norm):
    w = torch.randn(12, generator=torch.Generator().manual_seed(0))
    critic = Linear(w / w.norm() * norm)
    x_real, x_fake = torch.randn(6, 3, 2, 2), torch.randn(6, 3, 2, 2)
    assert gradient_penalty(critic, x_real, x_fake).item() == pytest.approx((norm - 1) ** 2, rel=1e-5, abs=1e-7)


def test_gradient_penalty_equals_its_definition_on_a_hand_made_critic():
    critic = HalfSquare()
    x_real, x_fake = torch.randn(5, 1, 3, 3), torch.randn(5, 1, 3, 3)
    eps = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    x_hat = eps.view(-1, 1, 1, 1) * x_real + (1 - eps.view(-1, 1, 1, 1)) * x_fake
    expected = (x_hat.flatten(1).norm(dim=1) - 1).pow(2).mean()  # grad f(x_hat) = x_hat
    penalty = gradient_penalty(critic, x_real, x_fake, eps=eps)
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.equal(interpolates(x_real, x_fake, eps)[0], x_fake[0])  # eps = 0: the fake image
    assert torch.equal(interpolates(x_real, x_fake, eps)[4], x_real[4])  # eps = 1: the real one
    # it stays in the critic's graph: d GP / d a = mean(2 (a|x| - 1) |x|) at a = 1
    (grad,) = torch.autograd.grad(penalty, critic.a)
    norms = x_hat.flatten(1).norm(dim=1)
    assert grad.item() == pytest.approx((2 * (norms - 1) * norms).mean().item(), rel=1e-5)


def test_gradient_penalty_draws_eps_per_sample_and_passes_labels():
    seen = {}

    class Conditional(torch.nn.Module):
        def forward(self, x, labels):
            seen["labels"] = labels
            seen["x"] = x.detach()
            return x.flatten(1).sum(1)

    x_real, x_fake = torch.ones(64, 1, 2, 2), torch.zeros(64, 1, 2, 2)
    torch.manual_seed(0)
    penalty = gradient_penalty(Conditional(), x_real, x_fake, labels=torch.arange(64))
    assert torch.equal(seen["labels"], torch.arange(64))
    eps = seen["x"][:, 0, 0, 0]
    assert eps.min() >= 0 and eps.max() <= 1 and eps.std() > 0.2  # one uniform eps per sample
    assert torch.equal(seen["x"], eps.view(-1, 1, 1, 1).expand(-1, 1, 2, 2))  # the same eps over the image
    assert penalty.item() == pytest.approx(1.0)  # |grad| = |(1, 1, 1, 1)| = 2: (2 - 1)^2
