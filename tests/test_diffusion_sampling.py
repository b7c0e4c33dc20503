"""The samplers: DDPM lands on the posterior, DDIM is deterministic and invertible, guidance mixes right."""
import copy

import pytest
import torch

from artlab.data.toy import grid
from artlab.diffusion.losses import noise_prediction_loss, training_inputs
from artlab.diffusion.sampling import (ddim_invert, ddim_sample, ddim_step, ddim_timesteps, ddpm_sample, ddpm_step,
                                       guided_eps)
from artlab.diffusion.schedule import cosine_schedule, linear_schedule
from artlab.diffusion.unet import MLPDenoiser, MLPDenoiserConfig, UNet, UNetConfig
from artlab.errors import ArgumentError
from artlab.gan.metrics import mode_metrics
from artlab.gan.train import ema_update
from artlab.runtime import cpu_threads


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: one thread is faster, and steady on a busy machine."""
    with cpu_threads(1):
        yield


class MixtureOracle(torch.nn.Module):
    """The exact noise predictor for data from a Gaussian mixture: eps = (x_t - sqrt(ab) E[x_0 | x_t]) / sqrt(1 - ab).

    x_t = a x_0 + b eps with x_0 from N(mu_k, s^2 I) is a mixture of N(a mu_k, (a^2 s^2 + b^2) I), and
    E[x_0 | x_t, k] = mu_k + a s^2 / (a^2 s^2 + b^2) (x_t - a mu_k).
    """

    num_classes = 0

    def __init__(self, mixture, schedule):
        super().__init__()
        self.mixture, self.schedule = mixture, schedule

    def forward(self, x_t, t, labels=None):
        a = self.schedule.alpha_bar[t].sqrt()[:, None]           # (B, 1)
        b = (1 - self.schedule.alpha_bar[t]).sqrt()[:, None]
        mu, s2 = self.mixture.means, self.mixture.sigma ** 2     # (K, 2)
        variance = a ** 2 * s2 + b ** 2                           # (B, 1)
        offset = x_t[:, None, :] - a[:, None] * mu[None]          # (B, K, 2)
        weights = torch.softmax(-offset.pow(2).sum(-1) / (2 * variance), dim=1)  # (B, K)
        x0 = mu[None] + (a * s2 / variance)[:, None] * offset    # (B, K, 2)
        expected_x0 = (weights[..., None] * x0).sum(1)            # (B, 2)
        return (x_t - a * expected_x0) / b


class LabelledModel(torch.nn.Module):
    """A fixed function of (x_t, t, y) with a "no label" index, for the guidance tests."""

    num_classes = 3

    def forward(self, x_t, t, labels=None):
        labels = torch.full_like(t, 3) if labels is None else labels
        return x_t * (labels[:, None].float() + 1) + t[:, None].float() / 100


def test_a_ddpm_step_with_the_exact_noise_lands_on_the_posterior_mean_with_its_variance():
    schedule = linear_schedule(50, 1e-3, 0.2)
    x0 = torch.rand(6, 1, 4, 4) * 2 - 1
    t = torch.tensor([0, 1, 10, 25, 40, 49])
    x_t = schedule.q_sample(x0, t, torch.randn_like(x0))
    exact = lambda x, step, labels: schedule.predict_eps(x, step, x0)  # noqa: E731
    z = torch.randn_like(x0)
    x_prev, x0_hat = ddpm_step(exact, schedule, x_t, t, noise=z)
    mean, variance = schedule.posterior(x0, x_t, t)
    assert torch.allclose(x0_hat, x0, atol=1e-4)
    assert torch.allclose(x_prev, mean + variance.sqrt() * z, atol=1e-4)
    on_mean, _ = ddpm_step(exact, schedule, x_t, t, noise=torch.zeros_like(z))
    assert torch.allclose(on_mean, mean, atol=1e-5)
    assert torch.allclose(x_prev[0], x0[0], atol=1e-4)  # the last step adds no noise


def test_ddpm_and_ddim_with_the_exact_denoiser_paint_the_25_gaussians():
    """The samplers are right if the exact noise of the grid gives back the grid: all modes, sharp, even."""
    mixture = grid()
    for schedule in (linear_schedule(100, 1e-3, 0.2), cosine_schedule(100)):
        oracle = MixtureOracle(mixture, schedule)
        x_T = torch.randn(2_500, 2, generator=torch.Generator().manual_seed(0))
        for samples in (ddpm_sample(oracle, schedule, x_T, generator=torch.Generator().manual_seed(1)),
                        ddim_sample(oracle, schedule, x_T, 25)):
            scores = mode_metrics(samples, mixture)
            assert scores.modes_covered == 25 and scores.high_quality > 0.97 and scores.reverse_kl < 0.03, scores
        broken = ddpm_sample(oracle, schedule, x_T, generator=torch.Generator().manual_seed(1), variance="beta")
        assert mode_metrics(broken, mixture).high_quality > 0.9  # Ho et al.'s other variance works here too


def test_ddim_with_eta_1_on_consecutive_steps_is_the_ddpm_posterior():
    schedule = cosine_schedule(30)
    x0, t = torch.randn(4, 3), torch.tensor([1, 5, 17, 29])
    noise = torch.randn(4, 3)
    x_t = schedule.q_sample(x0, t, noise)
    z = torch.randn(4, 3)
    stepped = ddim_step(schedule, x_t, noise, t, t - 1, eta=1.0, noise=z)
    mean, variance = schedule.posterior(x0, x_t, t)
    assert torch.allclose(stepped, mean + variance.sqrt() * z, atol=1e-5)


def test_ddim_with_the_exact_noise_jumps_to_the_forward_process_at_any_earlier_step():
    schedule = linear_schedule(100)
    x0, noise = torch.randn(3, 2), torch.randn(3, 2)
    x_t = schedule.q_sample(x0, torch.tensor([90, 90, 90]), noise)
    for t_prev in (50, 3, -1):
        jumped = ddim_step(schedule, x_t, noise, 90, t_prev)
        expected = x0 if t_prev == -1 else schedule.q_sample(x0, torch.full((3,), t_prev), noise)
        assert torch.allclose(jumped, expected, atol=1e-5)


def test_ddim_timesteps_are_distinct_ascending_and_end_at_the_last_step():
    for T, n in [(1000, 50), (1000, 1000), (10, 3), (7, 7), (1000, 1), (1, 1)]:
        timesteps = ddim_timesteps(T, n)
        assert timesteps.dtype == torch.long and len(timesteps) == n
        assert timesteps[-1] == T - 1 and (n == 1 or timesteps[0] == 0)
        assert (timesteps.diff() > 0).all()
    assert ddim_timesteps(10, 10).tolist() == list(range(10))


def test_leading_ddim_timesteps_are_song_et_al_s_and_stop_below_the_last_step():
    assert ddim_timesteps(1000, 50, "leading").tolist() == list(range(0, 1000, 20))
    assert ddim_timesteps(10, 3, "leading").tolist() == [0, 3, 6]
    assert ddim_timesteps(7, 7, "leading").tolist() == list(range(7))
    for T, n in [(1000, 1), (1000, 999), (13, 5)]:
        timesteps = ddim_timesteps(T, n, "leading")
        assert len(timesteps) == n and timesteps[0] == 0 and (timesteps.diff() > 0).all() and timesteps[-1] < T


def test_ddim_sample_and_invert_visit_the_steps_of_their_spacing():
    seen = []

    class Spy(torch.nn.Module):
        num_classes = 0

        def forward(self, x_t, t, labels=None):
            seen.append(int(t[0]))
            return torch.zeros_like(x_t)

    schedule = linear_schedule(100)
    ddim_sample(Spy(), schedule, torch.randn(2, 2), 4, spacing="leading")
    assert seen == [75, 50, 25, 0]
    ddim_invert(Spy(), schedule, torch.randn(2, 2), 4, spacing="leading")
    assert seen[4:] == [0, 25, 50, 75]


def test_ddim_with_eta_0_is_deterministic_and_ddpm_repeats_with_the_same_generator():
    torch.manual_seed(0)
    model, schedule = UNet(UNetConfig(patch=2, channel_mults=(1, 1), num_classes=10)), linear_schedule(20)
    x_T = torch.randn(2, 1, 16, 16)
    labels = torch.tensor([3, 7])
    a = ddim_sample(model, schedule, x_T, 5, labels=labels, guidance=2.0)
    b = ddim_sample(model, schedule, x_T.clone(), 5, labels=labels, guidance=2.0,
                    generator=torch.Generator().manual_seed(123))
    assert torch.equal(a, b)
    c = ddim_sample(model, schedule, x_T, 5, eta=1.0, generator=torch.Generator().manual_seed(1))
    d = ddim_sample(model, schedule, x_T, 5, eta=1.0, generator=torch.Generator().manual_seed(2))
    assert not torch.allclose(c, d)
    e = ddpm_sample(model, schedule, x_T, generator=torch.Generator().manual_seed(5), clip=True)
    f = ddpm_sample(model, schedule, x_T, generator=torch.Generator().manual_seed(5), clip=True)
    assert torch.equal(e, f)


def test_samplers_run_in_eval_mode_without_gradients_and_restore_the_mode():
    seen = []

    class Spy(torch.nn.Module):
        num_classes = 0

        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(0.5))

        def forward(self, x_t, t, labels=None):
            seen.append((self.training, torch.is_grad_enabled()))
            return self.scale * x_t

    spy, schedule = Spy().train(), linear_schedule(10)
    x = ddpm_sample(spy, schedule, torch.randn(2, 2))
    ddim_sample(spy, schedule, torch.randn(2, 2), 4)
    ddim_invert(spy, schedule, torch.randn(2, 2), 4)
    assert set(seen) == {(False, False)} and len(seen) == 10 + 4 + 4
    assert spy.training and not x.requires_grad


def test_the_path_runs_from_the_noise_to_the_result_and_the_callback_sees_each_step():
    model, schedule = MLPDenoiser(), cosine_schedule(20)
    x_T = torch.randn(5, 2)
    seen = []
    x, path = ddpm_sample(model, schedule, x_T, generator=torch.Generator().manual_seed(0), return_path=True,
                          callback=lambda t, x_t, x0_hat: seen.append(t))
    assert path.shape == (21, 5, 2) and torch.equal(path[0], x_T) and torch.equal(path[-1], x)
    assert seen == list(reversed(range(20)))
    x, path = ddim_sample(model, schedule, x_T, 4, return_path=True,
                          callback=lambda t, x_t, x0_hat: seen.append((t, x0_hat.shape)))
    assert path.shape == (5, 5, 2) and torch.equal(path[-1], x)
    assert seen[20:] == [(19, (5, 2)), (13, (5, 2)), (6, (5, 2)), (0, (5, 2))]
    z, path = ddim_invert(model, schedule, x, 4, return_path=True)
    assert path.shape == (5, 5, 2) and torch.equal(path[0], x) and torch.equal(path[-1], z)


def test_clipping_keeps_the_data_estimate_inside_minus_one_one():
    torch.manual_seed(0)
    loud = lambda x_t, t, labels: -5 * torch.ones_like(x_t)  # noqa: E731  (a bad model: x0_hat far outside)
    schedule = linear_schedule(10)
    x_T = torch.randn(3, 1, 4, 4)
    estimates = []
    ddpm_sample(loud, schedule, x_T, clip=True, callback=lambda t, x, x0_hat: estimates.append(x0_hat))
    assert all(e.abs().max() <= 1 for e in estimates)
    clipped = ddim_sample(loud, schedule, x_T, 10, clip=True)
    assert clipped.abs().max() <= 1 + 1e-6
    assert ddim_sample(loud, schedule, x_T, 10).abs().max() > 2


def test_guidance_at_w_0_is_the_conditional_model_and_at_w_minus_1_the_unconditional_one():
    torch.manual_seed(0)
    for model in (LabelledModel(), UNet(UNetConfig(patch=2, channel_mults=(1, 1), num_classes=3)).eval(),
                  MLPDenoiser(MLPDenoiserConfig(num_classes=3))):
        x_t = torch.randn(4, 1, 8, 8) if isinstance(model, UNet) else torch.randn(4, 2)
        t, labels = torch.tensor([0, 3, 9, 9]), torch.tensor([0, 1, 2, 1])
        with torch.no_grad():
            conditional, unconditional = model(x_t, t, labels), model(x_t, t, None)
            assert torch.allclose(guided_eps(model, x_t, t, labels, 0.0), conditional, atol=1e-5)
            assert torch.allclose(guided_eps(model, x_t, t, labels, -1.0), unconditional, atol=1e-5)
            mixed = guided_eps(model, x_t, t, labels, 2.0)
            assert torch.allclose(mixed, 3 * conditional - 2 * unconditional, atol=1e-4)
            assert not torch.allclose(mixed, conditional, atol=1e-3)


def train_toy(steps=400, seed=0):
    """A plain training loop: an MLPDenoiser on the 25 Gaussians, linear schedule, Adam, EMA."""
    torch.manual_seed(seed)
    mixture, schedule = grid(), linear_schedule(1000)
    model = MLPDenoiser(MLPDenoiserConfig(hidden=(64, 64, 64)))
    average = copy.deepcopy(model).requires_grad_(False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x0 = mixture.sample(256, generator)
        t, noise = training_inputs(schedule, x0, generator)
        loss = noise_prediction_loss(model, schedule, x0, t, noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema_update(average, model, 0.9)
        losses.append(loss.item())
    return average, schedule, losses


@pytest.fixture(scope="module")
def toy():
    with cpu_threads(1):
        return train_toy()


def test_the_toy_denoiser_learns(toy):
    _, _, losses = toy
    assert sum(losses[-50:]) / 50 < 0.6 * sum(losses[:10]) / 10


def test_ddim_inversion_then_sampling_gives_the_data_back_on_a_trained_toy(toy):
    """x_0 -> ddim_invert -> x_T -> ddim_sample -> x_0: the error is first order in the step size, so
    it shrinks about tenfold from 100 to 1,000 steps, where it is within 0.03 (the modes are 2 apart,
    sigma 0.05). The cosine schedule's clipped last step (beta = 0.999) would make this much worse."""
    model, schedule, _ = toy
    x0 = grid().sample(500, torch.Generator().manual_seed(7))
    errors = {}
    for n in (100, 1000):
        x_T = ddim_invert(model, schedule, x0, n)
        assert 0.8 < x_T.std() < 1.2  # it went all the way to noise
        back = ddim_sample(model, schedule, x_T, n)
        errors[n] = (back - x0).norm(dim=1)  # (500,)
    assert errors[1000].median() < 0.02 and errors[1000].quantile(0.95) < 0.03, errors[1000].quantile(0.95)
    assert errors[100].median() < 0.15
    assert errors[1000].median() < errors[100].median() / 5
    other = ddim_sample(model, schedule, torch.randn(x_T.shape, generator=torch.Generator().manual_seed(1)), 100)
    assert (other - x0).norm(dim=1).median() > 1  # the property can fail: other noise, other points


@pytest.mark.parametrize("call, message", [
    (lambda m, s: ddim_timesteps(10, 11), r"ddim_timesteps\(steps\): expected a whole number of steps from 1 to 10"),
    (lambda m, s: ddim_timesteps(0, 1), r"ddim_timesteps\(T\)"),
    (lambda m, s: ddim_timesteps(10, 3, "middle"), r"ddim_timesteps\(spacing\): expected 'trailing'"),
    (lambda m, s: ddim_sample(m, s, torch.randn(2, 2), 11), r"ddim_timesteps\(steps\)"),
    (lambda m, s: ddim_invert(m, s, torch.randn(2, 2), 0), r"ddim_timesteps\(steps\)"),
    (lambda m, s: ddpm_step(m, s, torch.randn(2, 2), 10), r"ddpm_step\(t\): expected steps from 0 to T - 1 = 9"),
    (lambda m, s: ddpm_step(m, s, torch.randn(2, 2), 3, variance="small"), r"ddpm_step\(variance\)"),
    (lambda m, s: ddpm_step(m, s, torch.randn(2, 2), 3, noise=torch.randn(3)), r"ddpm_step\(noise\)"),
    (lambda m, s: ddim_step(s, torch.randn(2, 2), torch.randn(2, 2), 3, 5), r"ddim_step\(t_prev\): expected an earlier"),
    (lambda m, s: ddim_step(s, torch.randn(2, 2), torch.randn(2, 2), 3, -2), r"ddim_step\(t_prev\): expected steps from -1"),
    (lambda m, s: ddim_step(s, torch.randn(2, 2), torch.randn(2, 2), 3, 1, eta=0.5), r"ddim_step\(noise\)"),
    (lambda m, s: ddim_step(s, torch.randn(2, 2), torch.randn(2, 3), 3, 1), r"ddim_step\(eps\)"),
    (lambda m, s: ddpm_sample(m, s, torch.zeros(2, 2, dtype=torch.long)), r"ddpm_sample\(x\): expected a float batch"),
    (lambda m, s: guided_eps(m, torch.randn(2, 2), torch.tensor([1, 2]), torch.tensor([0, 1]), 1.0),
     r"guided_eps\(model\): expected a conditional model"),
])
def test_bad_sampler_arguments_are_named(call, message):
    with pytest.raises(ArgumentError, match=message):
        call(MLPDenoiser(), linear_schedule(10))
