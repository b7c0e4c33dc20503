import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artlab.data.toy import GaussianMixture, two_modes_1d
from artlab.gan import theory
from artlab.gan.losses import generator_loss_minimax, generator_loss_non_saturating

X = torch.linspace(-8, 8, 8001, dtype=torch.float64)
DX = float(X[1] - X[0])

probabilities = st.lists(st.floats(0.01, 1.0), min_size=2, max_size=12)


def normalise(values):
    p = torch.tensor(values, dtype=torch.float64)
    return p / p.sum()


def test_optimal_discriminator_is_one_half_where_the_densities_agree():
    p = two_modes_1d().density(X).double()
    assert torch.allclose(theory.optimal_discriminator(p, p), torch.full_like(p, 0.5))


def test_optimal_discriminator_is_one_half_where_both_densities_vanish():
    zero = torch.zeros(3)
    assert torch.equal(theory.optimal_discriminator(zero, zero), torch.full((3,), 0.5))


@given(probabilities)
def test_optimal_discriminator_beats_every_other_discriminator(values):
    p_data = normalise(values)
    p_g = normalise(values[::-1])
    d_star = theory.optimal_discriminator(p_data, p_g)
    best = theory.value_on_grid(d_star, p_data, p_g)
    for shift in (-0.2, -0.05, 0.05, 0.2):
        other = (d_star + shift).clamp(1e-6, 1 - 1e-6)
        assert theory.value_on_grid(other, p_data, p_g) <= best + 1e-12


@given(probabilities, probabilities)
@settings(max_examples=50)
def test_value_at_d_star_equals_minus_log4_plus_twice_jsd(a, b):
    n = min(len(a), len(b))
    p_data, p_g = normalise(a[:n]), normalise(b[:n])
    c = theory.virtual_training_criterion(p_data, p_g)
    assert torch.allclose(c, theory.criterion_from_jsd(theory.jensen_shannon(p_data, p_g)), atol=1e-10)
    assert c >= -math.log(4) - 1e-12


def on_grid(mixture):
    p = mixture.density(X)
    return p / (p.sum() * DX)  # exactly normalised on the grid, as the identity assumes


def test_criterion_on_mixtures_reaches_minus_log4_only_at_p_g_equal_p_data():
    p_data = on_grid(two_modes_1d())
    values = []
    for left in (-6.0, -4.0, -2.0):
        p_g = on_grid(GaussianMixture(torch.tensor([[left], [2.0]]), 0.5))
        c = theory.virtual_training_criterion(p_data, p_g, DX)
        assert torch.allclose(c, -theory.LOG4 + 2 * theory.jensen_shannon(p_data, p_g, DX), atol=1e-9)
        values.append(float(c))
    assert values[0] > values[1] > values[2]
    assert abs(values[2] + math.log(4)) < 1e-6


def test_jensen_shannon_is_symmetric_bounded_and_zero_only_for_equal_distributions():
    p, q = normalise([1, 2, 3]), normalise([3, 2, 1])
    assert torch.allclose(theory.jensen_shannon(p, q), theory.jensen_shannon(q, p))
    assert 0 < theory.jensen_shannon(p, q) < math.log(2)
    assert theory.jensen_shannon(p, p) == 0
    disjoint = theory.jensen_shannon(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))
    assert torch.allclose(disjoint, torch.tensor(math.log(2)))


def test_value_function_from_samples_matches_its_formula():
    d_real, d_fake = torch.tensor([0.9, 0.6]), torch.tensor([0.2, 0.5])
    expected = (math.log(0.9) + math.log(0.6)) / 2 + (math.log(0.8) + math.log(0.5)) / 2
    assert math.isclose(float(theory.value_function(d_real, d_fake)), expected, rel_tol=1e-6)
    half = torch.full((4,), 0.5)
    assert math.isclose(float(theory.value_function(half, half)), -math.log(4), rel_tol=1e-6)


def test_generator_gradients_match_autograd_of_the_losses():
    a = torch.linspace(-8, 8, 33, dtype=torch.float64, requires_grad=True)
    d = torch.sigmoid(a).detach()
    (sat,) = torch.autograd.grad(generator_loss_minimax(a) * len(a), a)
    (ns,) = torch.autograd.grad(generator_loss_non_saturating(a) * len(a), a)
    assert torch.allclose(sat, theory.saturating_gradient(d))
    assert torch.allclose(ns, theory.non_saturating_gradient(d))


def test_saturating_gradient_vanishes_early_while_non_saturating_stays_large():
    d_fake = torch.tensor([1e-1, 1e-2, 1e-4, 1e-6])
    sat = theory.saturating_gradient(d_fake).abs()
    ns = theory.non_saturating_gradient(d_fake).abs()
    assert (sat[1:] < sat[:-1]).all() and sat[-1] < 1e-5
    assert (ns > 0.89).all()


# --- what the non-saturating loss minimises (Arjovsky & Bottou, 2017) ---------------------

def test_non_saturating_loss_against_a_frozen_d_star_has_the_gradient_of_kl_minus_two_jsd():
    p_data = two_modes_1d().density(X).double()
    start = torch.tensor([[-3.0], [0.5]], dtype=torch.float64)
    for theta0 in (0.0, 0.7, 1.9):
        d_star = theory.optimal_discriminator(p_data, GaussianMixture(start + theta0, 0.5).density(X).double())
        theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        (by_loss,) = torch.autograd.grad(
            theory.non_saturating_loss_on_grid(d_star, GaussianMixture(start + theta, 0.5).density(X), DX), theta)
        theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        (by_divergences,) = torch.autograd.grad(
            theory.reverse_kl_minus_two_jsd(p_data, GaussianMixture(start + theta, 0.5).density(X), DX), theta)
        assert abs(float(by_loss)) > 1e-3 and math.isclose(float(by_loss), float(by_divergences), rel_tol=1e-6)


def test_reverse_kl_minus_two_jsd_is_zero_at_p_g_equal_p_data_and_mild_on_a_dropped_mode():
    p_data = on_grid(two_modes_1d())
    assert abs(float(theory.reverse_kl_minus_two_jsd(p_data, p_data, DX))) < 1e-9
    one_mode = on_grid(GaussianMixture(torch.tensor([[2.0]]), 0.5))
    assert math.isclose(float(theory.kl_divergence(one_mode, p_data, DX)), math.log(2), rel_tol=1e-3)
    assert float(theory.kl_divergence(p_data, one_mode, DX)) > 10  # the forward KL punishes the dropped mode hard
    shifted = on_grid(GaussianMixture(torch.tensor([[-1.5], [2.5]]), 0.5))  # both modes, one sigma off
    ns = {name: float(theory.reverse_kl_minus_two_jsd(p_data, q, DX)) for name, q in (("drop", one_mode),
                                                                                     ("shift", shifted))}
    jsd = {name: float(theory.jensen_shannon(p_data, q, DX)) for name, q in (("drop", one_mode), ("shift", shifted))}
    assert ns["drop"] < ns["shift"] and jsd["drop"] > jsd["shift"]  # the two criteria disagree


def test_the_non_saturating_loss_on_a_grid_is_minus_the_mean_log_d():
    p_g = normalise([1.0, 2.0, 1.0])
    d = torch.tensor([0.5, 0.25, 0.9], dtype=torch.float64)
    expected = -(p_g * torch.log(d)).sum()
    assert torch.allclose(theory.non_saturating_loss_on_grid(d, p_g), expected)
    assert float(theory.non_saturating_loss_on_grid(d, torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))) == \
        pytest.approx(math.log(4))


def test_jsd_breaks_the_triangle_inequality_and_its_square_root_keeps_it():
    p, q, r = (torch.tensor(v, dtype=torch.float64) for v in ([1.0, 0.0], [0.0, 1.0], [0.5, 0.5]))
    jsd = theory.jensen_shannon
    assert jsd(p, q) > jsd(p, r) + jsd(r, q)
    assert jsd(p, q).sqrt() <= jsd(p, r).sqrt() + jsd(r, q).sqrt()


@given(probabilities, probabilities, probabilities)
@settings(max_examples=60)
def test_the_square_root_of_jsd_is_a_metric_on_random_distributions(a, b, c):
    n = min(len(a), len(b), len(c))
    p, q, r = normalise(a[:n]), normalise(b[:n]), normalise(c[:n])
    root = lambda u, v: float(theory.jensen_shannon(u, v)) ** 0.5  # noqa: E731
    assert root(p, q) <= root(p, r) + root(r, q) + 1e-9
    assert root(p, q) == pytest.approx(root(q, p))


def test_the_criterion_stays_finite_where_d_star_rounds_to_one():
    p_data = two_modes_1d().density(X).double()
    one_mode = GaussianMixture(torch.tensor([[2.0]]), 0.5).density(X).double()  # 1e-40 of p_data near -6
    assert torch.isinf(theory.value_on_grid(theory.optimal_discriminator(p_data, one_mode), p_data, one_mode, DX))
    c = theory.virtual_training_criterion(p_data, one_mode, DX)
    assert torch.isfinite(c) and torch.allclose(c, theory.criterion_from_jsd(theory.jensen_shannon(p_data, one_mode, DX)))
