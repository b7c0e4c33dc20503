import re

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.painting import (check_conv_transpose_output_size, check_dcgan_init, check_frechet_distance,
                                    check_mean_term, check_stamps_per_pixel,
                                    check_gradient_penalty, check_slerp)
from artlab.gan.dcgan import conv_transpose_output_size, dcgan_init
from artlab.gan.latent import lerp, slerp
from artlab.gan.losses import gradient_penalty
from artlab.gan.quality import frechet_distance


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args):
    raise NotImplementedError()


# --- typical mistakes -------------------------------------------------------------------------

def init_with(weight_std=0.02, bn_mean=1.0, every_parameter=False, guard_bias=True):
    def init(module):
        if every_parameter:
            for p in module.parameters():
                nn.init.normal_(p, 0.0, 0.02)
            return
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, weight_std)
            if module.bias is not None or not guard_bias:
                nn.init.zeros_(module.bias)  # without the guard: breaks on bias=False
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, bn_mean, 0.02)
            nn.init.zeros_(module.bias)
    return init


def init_skipping_transposed(module):
    if type(module) is nn.Conv2d or isinstance(module, nn.BatchNorm2d):
        dcgan_init(module)


def slerp_ignoring_degenerate(z0, z1, t):
    cos = (z0 * z1).sum(-1, keepdim=True) / (z0.norm(dim=-1, keepdim=True) * z1.norm(dim=-1, keepdim=True))
    omega = torch.arccos(cos.clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def nlerp(z0, z1, t):
    """The straight line, pushed back out to the interpolated length: on the sphere, but not at constant speed."""
    line = lerp(z0, z1, t)
    return line / line.norm(dim=-1, keepdim=True) * lerp(z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True), t)


def slerp_flattening_the_batch(z0, z1, t):
    cos = (z0 * z1).sum() / (z0.norm() * z1.norm())
    omega = torch.arccos(cos.clamp(-1 + 1e-6, 1 - 1e-6))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def penalty_with(norm="per_sample", power=2, swap=False, create_graph=True, squared_norm=False):
    def gp(critic, x_real, x_fake, eps):
        e = eps.view(-1, 1, 1, 1)
        x_hat = (e * x_fake + (1 - e) * x_real) if swap else (e * x_real + (1 - e) * x_fake)
        x_hat = x_hat.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=create_graph)
        if norm == "per_sample":
            n = grad.flatten(1).norm(dim=1)
        else:
            n = grad.norm()
        if squared_norm:
            return (n.pow(2) - 1).pow(2).mean()
        return (n - 1).abs().pow(power).mean()
    return gp


def frechet_with(root="product", factor=2.0, square_mean=True, complex_result=False):
    def fd(mu1, sigma1, mu2, sigma2):
        if root == "product":
            middle = np.real(scipy.linalg.sqrtm(sigma1 @ sigma2))
        elif root == "elementwise":
            middle = np.sqrt(np.abs(sigma1 @ sigma2))
        else:  # the product of the roots: right only when the covariances commute
            middle = np.real(scipy.linalg.sqrtm(sigma1) @ scipy.linalg.sqrtm(sigma2))
        mean = ((mu1 - mu2) ** 2).sum() if square_mean else np.linalg.norm(mu1 - mu2)
        value = mean + np.trace(sigma1 + sigma2 - factor * middle)
        return complex(value) if complex_result else float(value)
    return fd


def stamps(size, kernel, stride, padding):
    out = (size - 1) * stride - 2 * padding + kernel
    return [sum(0 <= o + padding - i * stride < kernel for i in range(size)) for o in range(out)]


def stamps_off_by_one(size, kernel, stride, padding):
    out = (size - 1) * stride - 2 * padding + kernel
    return [sum(0 <= o + padding - i * stride <= kernel for i in range(size)) for o in range(out)]


def stamps_uncropped(size, kernel, stride, padding):
    return stamps(size, kernel, stride, 0)


def stamps_everywhere_kernel_over_stride(size, kernel, stride, padding):
    return [max(1, kernel // stride)] * ((size - 1) * stride - 2 * padding + kernel)


def stamps_as_floats(size, kernel, stride, padding):
    return [c + 0.5 for c in stamps(size, kernel, stride, padding)]


def mean_term(cov, n):
    return float(2 * np.trace(cov) / n)


WRONG = {
    check_stamps_per_pixel: {
        "returns one whole number per output pixel": stamps_as_floats,
        "has as many entries as the layer has output pixels": stamps_uncropped,
        "matches PyTorch for DCGAN's layer": stamps_everywhere_kernel_over_stride,
        "matches PyTorch for DCGAN's layer ": stamps_off_by_one,
    },
    check_mean_term: {
        "matches sampling": lambda cov, n: float(np.trace(cov) / n),
        "falls as 1/n": lambda cov, n: float(2 * np.trace(cov) / np.sqrt(n)) if n > 10 else mean_term(cov, n),
        "depends only on the variances": lambda cov, n: float(2 * cov.sum() / n),
    },
    check_conv_transpose_output_size: {
        "DCGAN's first layer turns a 1x1 input into 4x4": lambda n, k, s, p, op=0: (n + 2 * p - k) // s + 1,
        "kernel 4, stride 2, padding 1 doubles": lambda n, k, s, p, op=0: (n - 1) * s + k + op,
        "output_padding adds": lambda n, k, s, p, op=0: (n - 1) * s - 2 * p + k,
        "agrees with torch.nn.ConvTranspose2d": lambda n, k, s, p, op=0: (n - 1) * s - p + k + op - (1 if p else 0),
        "returns a whole number": lambda n, k, s, p, op=0: float((n - 1) * s - 2 * p + k + op),
    },
    check_dcgan_init: {
        "Conv2d weights are drawn from N(0, 0.02)": init_with(weight_std=0.02 ** 0.5),
        "batch-norm scales (weights) are drawn from N(1, 0.02)": init_with(every_parameter=True),
        "batch-norm scales (weights) are drawn from N(1, 0.02) ": init_with(bn_mean=0.0),
        "runs as model.apply(dcgan_init)": init_with(guard_bias=False),
        "ConvTranspose2d weights": init_skipping_transposed,
    },
    check_slerp: {
        "starts at z0 and ends at z1": lambda z0, z1, t: (1 - t) * z1 + t * z0,
        "keeps the length": lambda z0, z1, t: lerp(z0, z1, t),
        "turns at a constant speed": nlerp,
        "keeps the length when both ends have the same length": slerp_flattening_the_batch,
        "stays finite when z0 and z1 point the same way": slerp_ignoring_degenerate,
    },
    check_gradient_penalty: {
        "is (|w| - 1)^2 = 4": penalty_with(power=1),
        "is (|w| - 1)^2 = 4 ": penalty_with(squared_norm=True),
        "is (|w| - 1)^2 = 0": penalty_with(norm="batch"),
        "equals the mean of (|grad f(x_hat)| - 1)^2 ": penalty_with(swap=True),
        "can train the critic": penalty_with(create_graph=False),
    },
    check_frechet_distance: {
        "returns a real number": frechet_with(complex_result=True),
        "is 0 for identical Gaussians": frechet_with(factor=1.0),
        "is 0 for identical Gaussians ": frechet_with(root="elementwise"),
        "grows by |mu1 - mu2|^2": frechet_with(square_mean=False),
        "matches the formula for covariances that do not commute": frechet_with(root="roots"),
    },
}
CASES = [(check, prop, wrong) for check, table in WRONG.items() for prop, wrong in table.items()]


@pytest.mark.parametrize("check, prop, wrong", CASES, ids=[f"{c.__name__}-{p[:30]}" for c, p, _ in CASES])
def test_typical_mistakes_fail_on_the_named_property(check, prop, wrong):
    with pytest.raises(CheckFailed, match="property failed: " + re.escape(prop.strip())):
        check(wrong)


def test_a_swapped_interpolation_gets_its_own_hint():
    failures = []
    for _ in range(3):
        with pytest.raises(CheckFailed) as failure:
            check_gradient_penalty(penalty_with(swap=True))
        failures.append(str(failure.value))
    assert "check which of the two images eps weighs" in failures[0]
    assert "eps weighs the real image" not in failures[0]
    assert "answer:   eps weighs the real image" in failures[2]


def test_the_reference_answers_pass(capsys):
    check_conv_transpose_output_size(conv_transpose_output_size)
    check_dcgan_init(dcgan_init)
    check_slerp(lambda z0, z1, t: slerp(z0, z1, t))
    check_gradient_penalty(gradient_penalty)
    check_frechet_distance(frechet_distance)
    check_frechet_distance(frechet_with())  # the scipy.linalg.sqrtm way, as the solution writes it
    check_stamps_per_pixel(stamps)
    check_mean_term(mean_term)
    out = capsys.readouterr().out
    assert out.count("✓") == 8, out


def test_the_new_reference_answers_pass_the_hidden_cases(capsys):
    check_stamps_per_pixel(stamps, hidden=True)
    check_mean_term(mean_term, hidden=True)
    assert capsys.readouterr().out.count("hidden properties hold") == 2


@pytest.mark.parametrize("check", list(WRONG))
def test_stubs_are_reported_as_not_implemented(check, capsys):
    check(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1
