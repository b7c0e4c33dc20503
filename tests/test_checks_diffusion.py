"""The checks of exercise 10: right answers pass, stubs are 'not implemented', typical mistakes are named."""
import pytest
import torch

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.diffusion import check_ddim_step, check_guided_eps, check_noise_prediction_loss, check_q_sample


@pytest.fixture(autouse=True)
def _fresh_hints():
    reset_hints()


def stub(*args, **kwargs):
    raise NotImplementedError()


def per_example(alpha_bar, x0):
    return alpha_bar.view(-1, *[1] * (x0.dim() - 1))


def q_sample(x0, alpha_bar, noise):
    a = per_example(alpha_bar, x0)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def noise_prediction_loss(model, schedule, x0, t, noise):
    return ((noise - model(schedule.q_sample(x0, t, noise), t)) ** 2).mean()


def ddim_step(x_t, eps, alpha_bar_t, alpha_bar_prev):
    x0_hat = (x_t - (1 - alpha_bar_t).sqrt() * eps) / alpha_bar_t.sqrt()
    return alpha_bar_prev.sqrt() * x0_hat + (1 - alpha_bar_prev).sqrt() * eps


def guided_eps(eps_cond, eps_uncond, w):
    return (1 + w) * eps_cond - w * eps_uncond


RIGHT = [(check_q_sample, q_sample), (check_noise_prediction_loss, noise_prediction_loss),
         (check_ddim_step, ddim_step), (check_guided_eps, guided_eps)]


@pytest.mark.parametrize("check,answer", RIGHT, ids=lambda x: getattr(x, "__name__", ""))
def test_the_reference_answers_pass_visible_and_hidden(check, answer, capsys):
    check(answer)
    check(answer, hidden=True)
    assert "properties hold" in capsys.readouterr().out


@pytest.mark.parametrize("check", [c for c, _ in RIGHT], ids=lambda c: c.__name__)
def test_a_stub_is_not_implemented_yet(check, capsys):
    check(stub)
    assert NOT_IMPLEMENTED in capsys.readouterr().out


@pytest.mark.parametrize("check,mistake,named", [
    (check_q_sample, lambda x0, a, n: per_example(a, x0) * x0 + (1 - per_example(a, x0)) * n, "for each example"),
    (check_q_sample, lambda x0, a, n: a.sqrt() * x0 + (1 - a).sqrt() * n, "raised RuntimeError"),
    (check_noise_prediction_loss, lambda m, s, x0, t, n: ((n - m(s.q_sample(x0, t, n), t)) ** 2).sum(), "a mean"),
    (check_noise_prediction_loss, lambda m, s, x0, t, n: ((n - m(x0, t)) ** 2).mean(), "recovers the noise"),
    (check_ddim_step, lambda x, e, a, p: p.sqrt() * x + (1 - p).sqrt() * e, "same x0"),
    (check_ddim_step, lambda x, e, a, p: p.sqrt() * (x - (1 - a).sqrt() * e) / a.sqrt(), "same x0"),
    (check_guided_eps, lambda c, u, w: w * c - (w - 1) * u, "w = 0"),
    (check_guided_eps, lambda c, u, w: (1 + w) * c + w * u, "w = -1"),
])
def test_typical_mistakes_fail_with_the_property_they_break(check, mistake, named):
    with pytest.raises(CheckFailed, match=named):
        check(mistake)
