"""The forward process: schedules, the closed form of q(x_t | x_0), the posterior, and the inverses."""
import math

import pytest
import torch

from artlab.diffusion.schedule import MAX_BETA, NoiseSchedule, cosine_schedule, linear_schedule
from artlab.errors import ArgumentError


def steps(*values):
    return torch.tensor(values, dtype=torch.long)


@pytest.mark.parametrize("schedule", [linear_schedule(), cosine_schedule(), linear_schedule(10, 0.05, 0.3),
                                      cosine_schedule(7)], ids=repr)
def test_alpha_bar_falls_strictly_inside_zero_one(schedule):
    alpha_bar = schedule.alpha_bar.double()
    assert (alpha_bar > 0).all() and (alpha_bar < 1).all()
    assert (alpha_bar[1:] < alpha_bar[:-1]).all()
    assert torch.allclose(schedule.alphas, 1 - schedule.betas)
    # alpha_bar[0] = alpha_0: the convention that step 0 already adds noise
    assert schedule.alpha_bar[0] == schedule.alphas[0]
    assert torch.allclose(schedule.alpha_bar.double(), torch.cumprod(schedule.alphas.double(), 0), rtol=1e-5)


def test_linear_schedule_hits_the_betas_it_was_given():
    schedule = linear_schedule(1000, 1e-4, 0.02)
    assert schedule.T == 1000 and schedule.betas.dtype == torch.float32
    assert schedule.betas[0].item() == pytest.approx(1e-4, rel=1e-6)
    assert schedule.betas[-1].item() == pytest.approx(0.02, rel=1e-6)
    differences = schedule.betas.double().diff()
    assert torch.allclose(differences, differences.mean().expand_as(differences), atol=1e-9)  # evenly spaced
    assert schedule.alpha_bar[-1] < 1e-4  # almost no signal left at the end (Ho et al.'s choice)


def test_cosine_schedule_starts_near_one_ends_near_zero_and_clips_its_betas():
    schedule = cosine_schedule(1000)
    assert schedule.alpha_bar[0] > 0.9999
    assert schedule.alpha_bar[-1] < 1e-6
    assert schedule.betas.max() <= MAX_BETA + 1e-7
    assert schedule.betas[-1].item() == pytest.approx(MAX_BETA, rel=1e-6)  # the last beta would be 1 unclipped
    # the unclipped part follows the squared cosine: alpha_bar[t] = f(t + 1) / f(0)
    f = lambda u: math.cos((u / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 100, 500, 900):
        assert schedule.alpha_bar[t].item() == pytest.approx(f(t + 1) / f(0), rel=1e-5)


def test_iterating_q_step_propagates_to_the_closed_form_exactly():
    """x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps maps a Gaussian (m x_0, v) to (sqrt(alpha_t) m x_0,
    alpha_t v + beta_t); after steps 0..t this must be (sqrt(alpha_bar_t) x_0, 1 - alpha_bar_t)."""
    for schedule in (linear_schedule(200), cosine_schedule(200)):
        scale, variance = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
        for t in range(schedule.T):
            alpha, beta = schedule.alphas[t].double(), schedule.betas[t].double()
            scale, variance = alpha.sqrt() * scale, alpha * variance + beta
            assert scale.item() == pytest.approx(schedule.alpha_bar[t].sqrt().item(), rel=1e-4)
            assert variance.item() == pytest.approx(1 - schedule.alpha_bar[t].item(), rel=1e-4, abs=1e-6)


def test_q_step_iterated_from_data_matches_q_sample_in_distribution():
    """200,000 chains from x_0 = 1.5 and 200,000 draws of the closed form: means and variances
    agree within 5 standard errors (about 0.01)."""
    schedule = linear_schedule(50, 1e-3, 0.1)
    n, g = 200_000, torch.Generator().manual_seed(0)
    x0 = torch.full((n, 1), 1.5)
    x = x0
    for t in range(30):
        x = schedule.q_step(x, torch.full((n,), t), torch.randn(n, 1, generator=g))
        if t in (0, 9, 29):
            closed = schedule.q_sample(x0, torch.full((n,), t), torch.randn(n, 1, generator=g))
            alpha_bar = schedule.alpha_bar[t].item()
            for sample in (x, closed):
                se_mean = math.sqrt((1 - alpha_bar) / n)
                assert abs(sample.mean().item() - math.sqrt(alpha_bar) * 1.5) < 5 * se_mean + 1e-6
                assert abs(sample.var().item() - (1 - alpha_bar)) < 5 * (1 - alpha_bar) * math.sqrt(2 / n) + 1e-6


def test_q_sample_is_the_formula_for_each_sample_with_its_own_step():
    schedule = cosine_schedule(100)
    x0, noise = torch.randn(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    t = steps(0, 50, 99)
    x_t = schedule.q_sample(x0, t, noise)
    for i in range(3):
        ab = schedule.alpha_bar[t[i]]
        assert torch.allclose(x_t[i], ab.sqrt() * x0[i] + (1 - ab).sqrt() * noise[i])


def test_posterior_matches_its_closed_formula():
    schedule = linear_schedule(100)
    x0, x_t = torch.randn(4, 2), torch.randn(4, 2)
    t = steps(0, 1, 50, 99)
    mean, variance = schedule.posterior(x0, x_t, t)
    assert mean.shape == (4, 2) and variance.shape == (4, 1)
    ab, b, a = schedule.alpha_bar.double(), schedule.betas.double(), schedule.alphas.double()
    for i, step in enumerate(t.tolist()):
        ab_prev = ab[step - 1] if step > 0 else torch.tensor(1.0, dtype=torch.float64)
        expected_mean = ab_prev.sqrt() * b[step] / (1 - ab[step]) * x0[i].double() \
            + a[step].sqrt() * (1 - ab_prev) / (1 - ab[step]) * x_t[i].double()
        assert torch.allclose(mean[i].double(), expected_mean, atol=1e-5)
        assert variance[i].item() == pytest.approx(((1 - ab_prev) / (1 - ab[step]) * b[step]).item(), rel=1e-4,
                                                   abs=1e-9)
    # at t = 0 the posterior is the data itself (up to float32: 1 - alpha_bar_0 = 1e-4 keeps 3 digits)
    assert torch.allclose(mean[0], x0[0], rtol=1e-3, atol=1e-6) and variance[0].item() == 0


@pytest.mark.parametrize("step", [1, 5, 20, 49])
def test_posterior_is_bayes_rule_computed_numerically_in_1d(step):
    """q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x_0), normalised on a fine grid."""
    schedule = linear_schedule(50, 1e-3, 0.2)
    x0, x_t = 0.7, -0.4
    alpha, beta = schedule.alphas[step].double(), schedule.betas[step].double()
    ab_prev = schedule.alpha_bar[step - 1].double()
    mean, variance = schedule.posterior(torch.tensor([[x0]]), torch.tensor([[x_t]]), steps(step))
    centre, spread = mean.item(), math.sqrt(variance.item())
    y = torch.linspace(centre - 12 * spread, centre + 12 * spread, 200_001, dtype=torch.float64)  # x_{t-1}
    log_likelihood = -(x_t - alpha.sqrt() * y) ** 2 / (2 * beta)          # log q(x_t | x_{t-1} = y)
    log_prior = -(y - ab_prev.sqrt() * x0) ** 2 / (2 * (1 - ab_prev))     # log q(x_{t-1} = y | x_0)
    weights = torch.softmax(log_likelihood + log_prior, dim=0)
    bayes_mean = (weights * y).sum()
    bayes_variance = (weights * (y - bayes_mean) ** 2).sum()
    assert centre == pytest.approx(bayes_mean.item(), abs=1e-5)
    assert variance.item() == pytest.approx(bayes_variance.item(), rel=1e-4)


def test_the_exact_noise_gives_back_the_exact_data_and_the_other_way_round():
    schedule = cosine_schedule(1000)
    x0, noise = torch.rand(5, 1, 8, 8) * 2 - 1, torch.randn(5, 1, 8, 8)
    t = steps(0, 10, 400, 800, 990)
    x_t = schedule.q_sample(x0, t, noise)
    assert torch.allclose(schedule.predict_x0(x_t, t, noise)[:4], x0[:4], atol=1e-4)
    assert torch.allclose(schedule.predict_x0(x_t, t, noise)[4], x0[4], atol=2e-2)  # 1 / sqrt(alpha_bar) is large
    assert torch.allclose(schedule.predict_eps(x_t, t, x0)[1:], noise[1:], atol=1e-4)
    assert torch.allclose(schedule.predict_eps(x_t, t, x0)[0], noise[0], atol=1e-2)  # 1 / sqrt(1 - alpha_bar) is large
    wrong = schedule.predict_x0(x_t, t, noise + 0.1)
    assert not torch.allclose(wrong, x0, atol=1e-2)


@pytest.mark.parametrize("build, what", [
    (lambda: linear_schedule(0), "linear_schedule(T)"),
    (lambda: cosine_schedule(-3), "cosine_schedule(T)"),
    (lambda: linear_schedule(10.0), "linear_schedule(T)"),
    (lambda: linear_schedule(10, 0.0, 0.02), "linear_schedule(beta_start)"),
    (lambda: linear_schedule(10, 1e-4, 1.5), "linear_schedule(beta_end)"),
    (lambda: cosine_schedule(10, s=2.0), "cosine_schedule(s)"),
    (lambda: NoiseSchedule(torch.tensor([0.1, 1.0])), "NoiseSchedule(betas)"),
    (lambda: NoiseSchedule(torch.tensor([0.1, -0.1])), "NoiseSchedule(betas)"),
    (lambda: NoiseSchedule(torch.tensor([])), "NoiseSchedule(betas)"),
])
def test_bad_schedules_raise_an_argument_error_that_names_the_argument(build, what):
    with pytest.raises(ArgumentError, match=r"^" + what.replace("(", r"\(").replace(")", r"\)")):
        build()


@pytest.mark.parametrize("t, message", [
    (steps(0, 10), r"q_sample\(t\): expected 0-based steps from 0 to T - 1 = 9, got 10"),
    (steps(-1, 3), r"q_sample\(t\): expected 0-based steps .*, got -1"),
    (torch.tensor([1.0, 2.0]), r"q_sample\(t\): expected a LongTensor of shape \(2,\)"),
    (steps(1, 2, 3), r"q_sample\(t\): expected a LongTensor of shape \(2,\)"),
    (3, r"q_sample\(t\): expected a LongTensor"),
])
def test_steps_outside_the_schedule_raise(t, message):
    schedule = linear_schedule(10)
    with pytest.raises(ArgumentError, match=message):
        schedule.q_sample(torch.zeros(2, 3), t, torch.zeros(2, 3))


def test_noise_of_the_wrong_shape_raises():
    schedule = linear_schedule(10)
    with pytest.raises(ArgumentError, match=r"q_step\(noise\): expected a tensor of the batch's shape \(2, 3\)"):
        schedule.q_step(torch.zeros(2, 3), steps(0, 1), torch.zeros(2, 4))
    with pytest.raises(ArgumentError, match=r"predict_x0\(eps\)"):
        schedule.predict_x0(torch.zeros(2, 3), steps(0, 1), torch.zeros(3))
