"""Checks for exercises 03 and 04 (``exercises/03_painting_with_dcgan.ipynb``, ``exercises/04_better_gans.ipynb``).

Lesson 03:

* :func:`check_conv_transpose_output_size`: out = (in - 1) * stride - 2 * padding + kernel + output_padding;
* :func:`check_dcgan_init`: convolution weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02), biases 0;
* :func:`check_slerp`: spherical interpolation between two latent vectors;
* :func:`check_stamps_per_pixel`: how many kernel stamps of a transposed convolution cover each
  output pixel, derived by the learner and compared with PyTorch's layer (the checkerboard).

Lesson 04:

* :func:`check_gradient_penalty`: WGAN-GP's E[(|grad f(x_hat)|_2 - 1)^2] on interpolates;
* :func:`check_frechet_distance`: the Fréchet distance between two Gaussians;
* :func:`check_mean_term`: the expected squared distance between the means of two samples of n
  from one Gaussian, 2 tr(Sigma) / n, derived by the learner and checked by sampling: why the
  FDD of real against real is not 0 and grows as samples shrink.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from artlab.checks import Checker
from artlab.gan.quality import frechet_distance as reference_frechet_distance

__all__ = ["check_conv_transpose_output_size", "check_dcgan_init", "check_slerp", "check_stamps_per_pixel",
           "check_gradient_penalty", "check_frechet_distance", "check_mean_term"]


# --- lesson 03 ----------------------------------------------------------------------------------

CONV_T = "return (size - 1) * stride - 2 * padding + kernel + output_padding"
INIT = ("if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)): nn.init.normal_(module.weight, 0.0, 0.02); "
        "if module.bias is not None: nn.init.zeros_(module.bias); elif isinstance(module, nn.BatchNorm2d): "
        "nn.init.normal_(module.weight, 1.0, 0.02); nn.init.zeros_(module.bias)")
SLERP = ("omega = arccos(clamp(z0.z1 / (|z0| |z1|), -1, 1)) per row (keepdim); "
         "slerp = sin((1 - t) omega) / sin(omega) * z0 + sin(t omega) / sin(omega) * z1, "
         "and (1 - t) z0 + t z1 where sin(omega) is tiny")

def check_conv_transpose_output_size(conv_transpose_output_size, *, hidden: bool = False) -> None:
    """``conv_transpose_output_size(size, kernel, stride, padding, output_padding=0)`` -> the output side."""
    with Checker("conv_transpose_output_size", conv_transpose_output_size, hidden=hidden) as c:
        if hidden:
            for size, kernel, stride, padding, extra in ((1, 1, 1, 0, 0), (6, 7, 5, 3, 4), (13, 4, 2, 1, 1),
                                                         (4, 8, 3, 2, 0)):
                layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding=extra)
                expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
                got = c.call(size, kernel, stride, padding, extra)
                c.expect(got == expected, "agrees with torch.nn.ConvTranspose2d on more settings",
                         input=f"size={size}, kernel={kernel}, stride={stride}, padding={padding}, output_padding={extra}",
                         expected=expected, got=got,
                         hint="one integer formula in all five numbers; no special cases.", answer=CONV_T)
            return
        out = c.call(1, 4, 1, 0)
        c.expect(isinstance(out, (int, np.integer)) and not isinstance(out, bool), "returns a whole number (an int)",
                 input="size=1, kernel=4, stride=1, padding=0", expected="an int", got=type(out).__name__,
                 hint="sizes are whole numbers; keep to integer arithmetic.",
                 answer="no / division: " + CONV_T)
        c.expect(out == 4, "DCGAN's first layer turns a 1x1 input into 4x4 (kernel 4, stride 1, padding 0)",
                 input="size=1, kernel=4, stride=1, padding=0", expected=4, got=out,
                 hint="a transposed convolution spreads each input pixel over a kernel-sized patch: it grows.",
                 answer="with stride 1 and no padding the side grows by kernel - 1: " + CONV_T)
        doubled = [c.call(n, 4, 2, 1) for n in (4, 8, 16)]
        c.expect(doubled == [8, 16, 32], "kernel 4, stride 2, padding 1 doubles the side (4 -> 8 -> 16 -> 32)",
                 input="size=4, 8, 16 with kernel=4, stride=2, padding=1", expected=[8, 16, 32], got=doubled,
                 hint="this is not the formula of an ordinary convolution, which shrinks; run that one backwards.",
                 answer=CONV_T)
        with_extra = c.call(8, 3, 2, 1, 1)
        c.expect(with_extra == 16, "output_padding adds rows and columns at one side (kernel 3, stride 2, "
                 "padding 1, output_padding 1 also doubles)", input="size=8, kernel=3, stride=2, padding=1, "
                 "output_padding=1", expected=16, got=with_extra, hint="output_padding adds to one side only.",
                 answer="add output_padding once at the end: " + CONV_T)
        cases = [(3, 5, 3, 2, 0), (7, 2, 2, 0, 1), (5, 4, 1, 1, 0), (2, 6, 4, 3, 2), (10, 3, 3, 0, 0)]
        for size, kernel, stride, padding, extra in cases:
            layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding=extra)
            expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
            got = c.call(size, kernel, stride, padding, extra)
            c.expect(got == expected, "agrees with torch.nn.ConvTranspose2d on other settings",
                     input=f"size={size}, kernel={kernel}, stride={stride}, padding={padding}, output_padding={extra}",
                     expected=expected, got=got,
                     hint="padding is removed from both sides of the output.",
                     answer="subtract 2 * padding: " + CONV_T)


def _init_model() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(64, 128, 4), nn.BatchNorm2d(2048), nn.ConvTranspose2d(128, 64, 4),
                         nn.Sequential(nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8)))


def check_dcgan_init(dcgan_init, *, hidden: bool = False) -> None:
    """``model.apply(dcgan_init)`` sets DCGAN's initial weights, layer by layer, in place."""
    checker = Checker("dcgan_init", dcgan_init, hidden=hidden)
    with checker as c:
        if hidden:
            c.call(nn.Conv2d(1, 1, 3))  # a stub reports "not implemented yet" here
            torch.manual_seed(3)
            model = nn.Sequential(nn.ConvTranspose2d(256, 128, 4, bias=False), nn.BatchNorm2d(4096), nn.ReLU(),
                                  nn.Linear(10, 10), nn.Conv2d(128, 64, 3))
            linear_before = model[3].weight.detach().clone()
            try:
                model.apply(dcgan_init)
                error = None
            except Exception as caught:  # noqa: BLE001 - shown to the learner
                error = f"{type(caught).__name__}: {caught}"
            c.expect(error is None, "runs on a model with ReLU and Linear layers too", input="ConvTranspose2d(bias=False), "
                     "BatchNorm2d, ReLU, Linear, Conv2d", expected="no error", got=error,
                     hint="leave every module that is neither a convolution nor batch norm alone.", answer=INIT)
            weights = [model[0].weight.detach(), model[4].weight.detach()]
            scale = model[1].weight.detach()
            ok = (all(abs(w.mean().item()) < 1e-3 and abs(w.std().item() - 0.02) < 1e-3 for w in weights)
                  and abs(scale.mean().item() - 1) < 3e-3 and abs(scale.std().item() - 0.02) < 3e-3
                  and bool((model[1].bias == 0).all()) and bool((model[4].bias == 0).all())
                  and torch.equal(model[3].weight.detach(), linear_before))
            c.expect(ok, "gives other models DCGAN's weights and leaves Linear layers as they were",
                     input="the same model after apply(dcgan_init)", expected="convolutions N(0, 0.02), batch norm "
                     "N(1, 0.02), biases 0, Linear unchanged", got="other weights",
                     hint="treat convolutions, transposed convolutions and batch norm by type; nothing else.",
                     answer=INIT)
            return
        torch.manual_seed(0)
        model = _init_model()
        c.call(nn.Conv2d(1, 1, 3))  # one layer, on a copy: a stub raises here, a broken function shows its error
        try:
            torch.manual_seed(1)
            model.apply(dcgan_init)  # in place, as the lesson uses it
        except NotImplementedError:
            c.call(model)  # reports "not implemented yet"
        except Exception as error:
            c.expect(False, "runs as model.apply(dcgan_init) on convolutions with and without bias and on batch norm",
                     input="a Sequential of Conv2d, BatchNorm2d, ConvTranspose2d, Conv2d(bias=False)",
                     expected="no error", got=f"{type(error).__name__}: {error}",
                     hint="some convolutions have no bias at all.",
                     answer="check `module.bias is not None` before touching a bias: " + INIT)
        for index, name in ((0, "Conv2d"), (2, "ConvTranspose2d")):
            weight = model[index].weight.detach()
            c.expect(abs(weight.mean().item()) < 1e-3 and abs(weight.std().item() - 0.02) < 1e-3,
                     f"{name} weights are drawn from N(0, 0.02): mean 0, standard deviation 0.02",
                     input=f"{name} with {weight.numel()} weights",
                     expected="mean 0.000, std 0.020", got=f"mean {weight.mean().item():.4f}, std {weight.std().item():.4f}",
                     hint="draw the weights from a normal distribution with the spread the paper gives; check what "
                          "the second number of PyTorch's normal initialiser means.",
                     answer="torch.nn.init.normal_(module.weight, 0.0, 0.02): the third argument is the standard "
                            "deviation, not the variance.")
        scale, shift = model[1].weight.detach(), model[1].bias.detach()
        c.expect(abs(scale.mean().item() - 1) < 3e-3 and abs(scale.std().item() - 0.02) < 3e-3,
                 "batch-norm scales (weights) are drawn from N(1, 0.02): around 1, not around 0",
                 input="BatchNorm2d(2048)", expected="mean 1.000, std 0.020",
                 got=f"mean {scale.mean().item():.4f}, std {scale.std().item():.4f}",
                 hint="a scale near 0 would silence the layer. Treat BatchNorm2d separately from the convolutions, "
                      "and only the module you are given (apply visits every submodule itself).",
                 answer="elif isinstance(module, nn.BatchNorm2d): nn.init.normal_(module.weight, 1.0, 0.02); "
                        "nn.init.zeros_(module.bias)")
        for index, name in ((0, "Conv2d"), (2, "ConvTranspose2d"), (1, "BatchNorm2d")):
            bias = model[index].bias.detach()
            c.expect(bool((bias == 0).all()), f"{name} biases are 0", input=name, expected="all zeros",
                     got=f"{int((bias != 0).sum())} of {bias.numel()} non-zero",
                     hint="every bias starts at the same constant, for convolutions and batch norm alike.",
                     answer="torch.nn.init.zeros_(module.bias) (when module.bias is not None).")
        inner = model[3][0].weight.detach()
        c.expect(abs(inner.std().item() - 0.02) < 4e-3, "reaches layers nested inside other modules (via apply)",
                 input="Sequential(Conv2d(8, 8, 3, bias=False), BatchNorm2d(8)) inside the model",
                 expected="std 0.02", got=f"std {inner.std().item():.4f}",
                 hint="model.apply calls your function on every submodule; your function handles only the one given.",
                 answer="decide by isinstance(module, ...) on the module passed in; do not loop over children: " + INIT)
        torch.manual_seed(2)
        other = _init_model()
        other.apply(dcgan_init)
        c.expect(not torch.equal(other[0].weight, model[0].weight), "draws random weights (two draws differ)",
                 input="two models initialised after different seeds", expected="different weights",
                 got="identical weights", hint="the weights must be random draws, not a constant.",
                 answer="nn.init.normal_(module.weight, 0.0, 0.02) draws new values each time.")


def _reference_slerp(z0, z1, t, eps=1e-6):
    cos = ((z0 * z1).sum(-1, keepdim=True) / (z0.norm(dim=-1, keepdim=True) * z1.norm(dim=-1, keepdim=True))).clamp(-1, 1)
    omega = torch.arccos(cos)
    so = torch.sin(omega)
    straight = (1 - t) * z0 + t * z1
    curved = torch.sin((1 - t) * omega) / so.clamp_min(eps) * z0 + torch.sin(t * omega) / so.clamp_min(eps) * z1
    return torch.where(so > eps, curved, straight)


def check_slerp(slerp, *, hidden: bool = False) -> None:
    """``slerp(z0, z1, t)``: spherical interpolation along the last dimension, t a float in [0, 1]."""
    with Checker("slerp", slerp, hidden=hidden) as c:
        if hidden:
            generator = torch.Generator().manual_seed(5)
            z0, z1 = torch.randn(3, 100, generator=generator) * 2, torch.randn(3, 100, generator=generator)
            for t in (0.1, 0.65):
                out = c.call(z0, z1, t)
                want = _reference_slerp(z0, z1, t)
                c.expect(isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(out, want, atol=1e-4),
                         f"equals the slerp formula for 100-d vectors of different lengths (t = {t})",
                         input=f"z0 (3, 100) of length about 20, z1 of length about 10, t = {t}", expected=want[0, :4],
                         got=out[0, :4] if isinstance(out, torch.Tensor) and out.dim() == 2 else out,
                         hint="the angle comes from the normalised dot product; the weights use sines of fractions "
                              "of it, and the vectors keep their own lengths.", answer=SLERP)
            return
        generator = torch.Generator().manual_seed(0)
        z0, z1 = torch.randn(4, 32, generator=generator), torch.randn(4, 32, generator=generator)
        for t, end in ((0.0, z0), (1.0, z1)):
            out = c.call(z0, z1, t)
            c.expect(isinstance(out, torch.Tensor) and out.shape == z0.shape and torch.allclose(out, end, atol=1e-5),
                     f"starts at z0 and ends at z1 (t = {t:g})", input=f"z0, z1 of shape {tuple(z0.shape)}, t={t}",
                     expected="z0" if t == 0 else "z1", got=out if isinstance(out, torch.Tensor) else type(out).__name__,
                     hint="at t = 0 all the weight goes to z0, at t = 1 all to z1.",
                     answer=SLERP)
        a = z0 / z0.norm(dim=-1, keepdim=True) * 5.0
        b = z1 / z1.norm(dim=-1, keepdim=True) * 5.0
        norms = torch.stack([c.call(a, b, t).norm(dim=-1) for t in (0.25, 0.5, 0.75)])
        c.expect(torch.allclose(norms, torch.full_like(norms, 5.0), atol=1e-4),
                 "keeps the length when both ends have the same length (the path stays on the sphere)",
                 input="z0, z1 of length 5, t = 0.25, 0.5, 0.75", expected="length 5 all along",
                 got=f"lengths from {norms.min().item():.3f} to {norms.max().item():.3f}",
                 hint="a straight line (lerp) cuts inside the sphere; interpolate the angle between z0 and z1 instead.",
                 answer="omega = arccos(cos) with cos = z0.z1 / (|z0| |z1|), per row: " + SLERP)
        omega = torch.arccos((a * b).sum(-1) / 25.0)
        for t in (0.3, 0.8):
            out = c.call(a, b, t)
            angle = torch.arccos(((out * a).sum(-1) / (out.norm(dim=-1) * 5.0)).clamp(-1, 1))
            c.expect(torch.allclose(angle, t * omega, atol=1e-3), "turns at a constant speed: the angle from z0 is t * omega",
                     input=f"t = {t}", expected=t * omega, got=angle,
                     hint="the two weights are sines of (1 - t) and t times the angle, divided by the same number.",
                     answer="the weights are sin((1 - t) omega) / sin(omega) and sin(t omega) / sin(omega).")
        single = c.call(z0[0], z1[0], 0.5)
        c.expect(isinstance(single, torch.Tensor) and single.shape == z0[0].shape and torch.allclose(single, c.call(z0, z1, 0.5)[0], atol=1e-5),
                 "works on one vector (D,) and on a batch (B, D) alike, row by row",
                 input=f"z0[0], z1[0] of shape {tuple(z0[0].shape)}, t = 0.5", expected="row 0 of the batch result",
                 got=single if isinstance(single, torch.Tensor) else type(single).__name__,
                 hint="reduce over the last dimension only, and keep it so the result broadcasts against the rows.",
                 answer="(z0 * z1).sum(-1, keepdim=True), z0.norm(dim=-1, keepdim=True): " + SLERP)
        parallel = torch.tensor([[3.0, 4.0, 0.0, 0.0]])
        same = c.call(parallel, parallel * 2, 0.5)
        c.expect(isinstance(same, torch.Tensor) and bool(torch.isfinite(same).all()) and torch.allclose(same, parallel * 1.5, atol=1e-3),
                 "stays finite when z0 and z1 point the same way (omega = 0)", input="z0 and z1 = 2 * z0, t = 0.5",
                 expected="1.5 * z0 (the straight line)", got=same,
                 hint="sin(omega) = 0 divides by zero: when the angle vanishes, the sphere's path is a straight line.",
                 answer="fall back to (1 - t) z0 + t z1 where sin(omega) < 1e-6 (torch.where).")


# --- lesson 04 ----------------------------------------------------------------------------------

class _LinearCritic(nn.Module):
    """f(x) = <w, x>: the gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) * self.w).sum(1)


class _HalfSquareCritic(nn.Module):
    """f(x) = a/2 |x|^2: the gradient at x is a x."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a / 2 * x.flatten(1).pow(2).sum(1)


def _torch_stamps(size: int, kernel: int, stride: int, padding: int) -> list[int]:
    """What PyTorch's transposed convolution says: a kernel of ones applied to an input of ones."""
    layer = nn.ConvTranspose1d(1, 1, kernel, stride=stride, padding=padding, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        out = layer(torch.ones(1, 1, size))[0, 0]
    return [int(round(v)) for v in out.tolist()]


def _as_counts(out) -> list[int] | None:
    if isinstance(out, torch.Tensor):
        out = out.tolist()
    if isinstance(out, np.ndarray):
        out = out.tolist()
    if isinstance(out, (list, tuple)) and all(isinstance(v, (int, float, np.integer)) and not isinstance(v, bool)
                                              and float(v).is_integer() for v in out):
        return [int(v) for v in out]
    return None


STAMPS = ("out = (size - 1) * stride - 2 * padding + kernel; output pixel o is stamped by input i when "
          "0 <= o + padding - i * stride < kernel: return [sum(0 <= o + padding - i * stride < kernel "
          "for i in range(size)) for o in range(out)]")


def check_stamps_per_pixel(stamps_per_pixel, *, hidden: bool = False) -> None:
    """``stamps_per_pixel(size, kernel, stride, padding)``: for a 1-D transposed convolution, how many
    input pixels stamp each output pixel; compared with ``nn.ConvTranspose1d`` applied to ones."""
    with Checker("stamps_per_pixel", stamps_per_pixel, hidden=hidden) as c:
        if hidden:
            for args in ((7, 5, 2, 2), (4, 6, 3, 1), (6, 2, 3, 0), (5, 8, 2, 3)):
                want = _torch_stamps(*args)
                got = _as_counts(c.call(*args))
                c.expect(got == want, "matches nn.ConvTranspose1d for size, kernel, stride, padding = {}, {}, {}, {}"
                         .format(*args), input=f"stamps_per_pixel{args}", expected=want, got=got,
                         hint="the same rule for every layer: which input pixels' stamps reach output pixel o?",
                         answer=STAMPS)
            return
        want = _torch_stamps(3, 4, 2, 1)
        got = c.call(3, 4, 2, 1)
        counts = _as_counts(got)
        c.expect(counts is not None, "returns one whole number per output pixel",
                 input="stamps_per_pixel(3, 4, 2, 1)", expected="a list of ints", got=got,
                 hint="a count of stamps is a whole number; return a list (or a 1-D tensor) of them.",
                 answer=STAMPS)
        c.expect(len(counts) == len(want), "has as many entries as the layer has output pixels",
                 input="stamps_per_pixel(3, 4, 2, 1)", expected=f"{len(want)} entries", got=f"{len(counts)} entries",
                 hint="lesson 03's size formula says how long the output is.",
                 answer="(size - 1) * stride - 2 * padding + kernel output pixels; " + STAMPS)
        c.expect(counts == want, "matches PyTorch for DCGAN's layer: kernel 4, stride 2, padding 1",
                 input="stamps_per_pixel(3, 4, 2, 1)", expected=want, got=counts,
                 hint="input pixel i stamps the kernel starting at i * stride - padding in the output; count, for "
                      "each output pixel, the stamps that cover it.", answer=STAMPS)
        for args, what in (((6, 4, 2, 1), "every pixel inside is covered exactly twice when the stride divides "
                                         "the kernel (4 by 2)"),
                           ((6, 3, 2, 0), "coverage alternates 1, 2, 1, 2 when it does not (kernel 3, stride 2): "
                                         "the checkerboard"),
                           ((5, 3, 3, 0), "no pixel is stamped twice when kernel = stride"),
                           ((4, 3, 1, 0), "stride 1 is an ordinary 'full' convolution: 1, 2, 3, 3, 2, 1")):
            want = _torch_stamps(*args)
            got = _as_counts(c.call(*args))
            c.expect(got == want, what, input=f"stamps_per_pixel{args}", expected=want, got=got,
                     hint="check your rule on paper for the first few output pixels, padding included.",
                     answer=STAMPS)


def _value(out) -> float | None:
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        return out.item()
    return None


GP = ("eps = eps.view(-1, 1, 1, 1); x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True); "
      "(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True); "
      "return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()")


def check_gradient_penalty(gradient_penalty, *, hidden: bool = False) -> None:
    """``gradient_penalty(critic, x_real, x_fake, eps)`` = mean over i of (|grad f(x_hat_i)|_2 - 1)^2,
    x_hat_i = eps_i x_real_i + (1 - eps_i) x_fake_i."""
    with Checker("gradient_penalty", gradient_penalty, hidden=hidden) as c:
        if hidden:
            generator = torch.Generator().manual_seed(8)
            x_real, x_fake = torch.randn(10, 3, 4, 4, generator=generator), torch.randn(10, 3, 4, 4, generator=generator)
            eps = torch.rand(10, generator=generator)
            out = c.call(_HalfSquareCritic(), x_real, x_fake, eps)
            e = eps.view(-1, 1, 1, 1)
            expected = ((e * x_real + (1 - e) * x_fake).flatten(1).norm(dim=1) - 1).pow(2).mean().item()
            value = _value(out)
            c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4),
                     "equals the mean of (|grad f(x_hat)| - 1)^2 for 10 colour images of 4x4",
                     input="f(x) = |x|^2 / 2, x_real and x_fake (10, 3, 4, 4), eps given", expected=expected, got=out,
                     hint="interpolate per image with its own eps, one gradient norm per image over all its "
                          "channels and pixels, then the mean.", answer=GP)
            return
        generator = torch.Generator().manual_seed(0)
        x_real, x_fake = torch.randn(6, 1, 3, 3, generator=generator), torch.randn(6, 1, 3, 3, generator=generator)
        eps = torch.rand(6, generator=generator)
        direction = torch.randn(9, generator=generator)
        direction = direction / direction.norm()
        for slope, expected in ((1.0, 0.0), (3.0, 4.0), (0.5, 0.25)):
            out = c.call(_LinearCritic(direction * slope), x_real, x_fake, eps)
            value = _value(out)
            c.expect(value is not None and math.isclose(value, expected, abs_tol=1e-5),
                     f"is (|w| - 1)^2 = {expected:g} for a linear critic f(x) = <w, x> with |w| = {slope:g}",
                     input=f"f(x) = <w, x>, |w| = {slope:g}", expected=expected, got=out,
                     hint="the penalty punishes a gradient norm on both sides of 1, so an |w| of 0.5 costs too.",
                     answer="square the gap between the gradient's norm and 1: ((norm - 1) ** 2).mean(); " + GP)
        critic = _HalfSquareCritic()
        out = c.call(critic, x_real, x_fake, eps)
        x_hat = eps.view(-1, 1, 1, 1) * x_real + (1 - eps.view(-1, 1, 1, 1)) * x_fake
        expected = (x_hat.flatten(1).norm(dim=1) - 1).pow(2).mean().item()
        swapped = ((1 - eps.view(-1, 1, 1, 1)) * x_real + eps.view(-1, 1, 1, 1) * x_fake).flatten(1).norm(dim=1)
        value = _value(out)
        hint = ("one gradient norm per image, not one for the whole batch; then the squared gap to 1; then the "
                "mean over the batch.")
        answer = "grad.flatten(1).norm(dim=1) gives one norm per image: " + GP
        if value is not None and math.isclose(value, (swapped - 1).pow(2).mean().item(), rel_tol=1e-4):
            hint = "check which of the two images eps weighs."
            answer = "eps weighs the real image: x_hat = eps * x_real + (1 - eps) * x_fake."
        c.expect(value is not None and math.isclose(value, expected, rel_tol=1e-4),
                 "equals the mean of (|grad f(x_hat)| - 1)^2 over the interpolates, one norm per image",
                 input="f(x) = |x|^2 / 2 (its gradient at x_hat is x_hat), 6 images of 3x3, eps given",
                 expected=expected, got=out, hint=hint, answer=answer)
        out = gradient_penalty(critic, x_real, x_fake, eps)  # not via c.call: the gradient must reach this critic
        try:
            (grad,) = torch.autograd.grad(out, critic.a)
        except (RuntimeError, TypeError):
            grad = None
        norms = x_hat.flatten(1).norm(dim=1)
        wanted = (2 * (norms - 1) * norms).mean().item()
        c.expect(grad is not None and math.isclose(grad.item(), wanted, rel_tol=1e-4),
                 "can train the critic: the penalty has a gradient with respect to the critic's weights",
                 input="the penalty of f(x) = a |x|^2 / 2, differentiated by a", expected=wanted,
                 got=None if grad is None else grad.item(),
                 hint="the gradient you compute must itself stay differentiable, so training can go through it.",
                 answer="pass create_graph=True to torch.autograd.grad, and call x_hat.requires_grad_(True) "
                        "on a detached copy of the interpolates: " + GP)


def _random_covariance(rng: np.random.Generator, dim: int) -> np.ndarray:
    a = rng.normal(size=(dim, dim))
    return a @ a.T / dim + 0.1 * np.eye(dim)


def _number(out) -> float | None:
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, np.ndarray) and out.size == 1:
        out = out.item()
    if isinstance(out, complex):
        return None
    if isinstance(out, (float, int, np.floating, np.integer)) and not isinstance(out, bool):
        return float(out)
    return None


FD = "covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real; return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1 + sigma2 - 2 * covmean))"


def check_frechet_distance(frechet_distance, *, hidden: bool = False) -> None:
    """``frechet_distance(mu1, sigma1, mu2, sigma2)`` (NumPy arrays) = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))."""
    with Checker("frechet_distance", frechet_distance, hidden=hidden) as c:
        if hidden:
            rng = np.random.default_rng(9)
            for dim in (2, 12):
                m1, m2 = rng.normal(size=dim), rng.normal(size=dim) * 3
                s1, s2 = _random_covariance(rng, dim), 4 * _random_covariance(rng, dim)
                expected = reference_frechet_distance(m1, s1, m2, s2)
                got = c.call(m1, s1, m2, s2)
                c.expect(_number(got) is not None and math.isclose(_number(got), expected, rel_tol=1e-3),
                         f"matches the formula for two random {dim}-d Gaussians of different spreads",
                         input=f"two random {dim}-d Gaussians", expected=round(expected, 5), got=got,
                         hint="squared distance of the means plus the trace term with a matrix square root.",
                         answer=FD)
            return
        rng = np.random.default_rng(0)
        mu, sigma = rng.normal(size=4), _random_covariance(rng, 4)
        out = c.call(mu, sigma, mu, sigma)
        value = _number(out)
        c.expect(value is not None, "returns a real number (a float)", input="two identical 4-d Gaussians",
                 expected="a float", got=type(out).__name__ if value is None else out,
                 hint="scipy.linalg.sqrtm can return complex numbers with tiny imaginary parts; return a plain float.",
                 answer="covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real, and return float(...) of the result.")
        c.expect(abs(value) < 1e-4, "is 0 for identical Gaussians", input="mu1 = mu2, sigma1 = sigma2 (4-d)",
                 expected=0.0, got=value, hint="for P = Q the trace term must cancel exactly: check its factors.",
                 answer="Tr(S + S - 2 (S S)^(1/2)) = Tr(2 S - 2 S) = 0: the factor is 2. " + FD)
        shifted = c.call(mu, sigma, mu + np.array([3.0, 0.0, -4.0, 0.0]), sigma)
        c.expect(_number(shifted) is not None and math.isclose(_number(shifted), 25.0, rel_tol=1e-4),
                 "grows by |mu1 - mu2|^2 when only the mean moves", input="mean moved by (3, 0, -4, 0)",
                 expected=25.0, got=shifted, hint="the mean term is a distance, but squared.",
                 answer="((mu1 - mu2) ** 2).sum(), not its square root.")
        one_d = c.call(np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[9.0]]))
        c.expect(_number(one_d) is not None and math.isclose(_number(one_d), 5.0, rel_tol=1e-4),
                 "in 1-D is (m1 - m2)^2 + (s1 - s2)^2 with variances s^2", input="N(1, 2^2) and N(3, 3^2)",
                 expected=5.0, got=one_d, hint="in 1-D the trace term is s1^2 + s2^2 - 2 s1 s2: the root of the product.",
                 answer="4 + 9 - 2 * sqrt(4 * 9) = 1, the matrix square root of sigma1 @ sigma2: " + FD)
        s1, s2 = _random_covariance(rng, 5), _random_covariance(rng, 5)
        m1, m2 = rng.normal(size=5), rng.normal(size=5)
        expected = reference_frechet_distance(m1, s1, m2, s2)  # the library's answer
        got = c.call(m1, s1, m2, s2)
        c.expect(_number(got) is not None and math.isclose(_number(got), expected, rel_tol=1e-3),
                 "matches the formula for covariances that do not commute", input="two random 5-d Gaussians",
                 expected=round(expected, 5), got=got,
                 hint="a square root of a matrix is not the square root of each entry.",
                 answer="use scipy.linalg.sqrtm(sigma1 @ sigma2), not the element-wise np.sqrt, and take its trace: "
                        + FD)
        back = c.call(m2, s2, m1, s1)
        c.expect(_number(back) is not None and math.isclose(_number(back), _number(got), rel_tol=1e-3),
                 "is symmetric: d(P, Q) = d(Q, P)", input="the same two Gaussians, swapped",
                 expected=_number(got), got=back,
                 hint="nothing in the formula depends on which Gaussian comes first.", answer=FD)


def _sampled_mean_term(cov: np.ndarray, n: int, trials: int, rng: np.random.Generator, mean=None) -> float:
    """Monte Carlo E|mean of n draws - mean of n other draws|^2 from N(mean, cov)."""
    dim = len(cov)
    mean = np.zeros(dim) if mean is None else np.asarray(mean)
    root = np.linalg.cholesky(cov)
    a = rng.normal(size=(trials, n, dim)) @ root.T + mean
    b = rng.normal(size=(trials, n, dim)) @ root.T + mean
    return float(((a.mean(1) - b.mean(1)) ** 2).sum(1).mean())


MEAN_TERM = ("each sample mean is N(mu, Sigma / n), independent of the other, so their difference is N(0, 2 Sigma / n) "
             "and E|d|^2 = trace(2 Sigma / n): return 2 * np.trace(cov) / n")


def check_mean_term(mean_term, *, hidden: bool = False) -> None:
    """``mean_term(cov, n)``: E|mean of n draws - mean of n other draws|^2 for draws from N(mu, cov),
    compared with sampling."""
    with Checker("mean_term", mean_term, hidden=hidden) as c:
        rng = np.random.default_rng(5 if hidden else 0)
        if hidden:
            for dim, n in ((3, 7), (16, 50)):
                cov = _random_covariance(rng, dim) * 3
                want = 2 * np.trace(cov) / n
                got = _number(c.call(cov, n))
                c.expect(got is not None and math.isclose(got, want, rel_tol=1e-6),
                         f"is right for another {dim}-d covariance and n = {n}", input=f"a random {dim}x{dim} covariance",
                         expected=round(want, 6), got=got, hint="the same derivation for any covariance and n.",
                         answer=MEAN_TERM)
            return
        cov = _random_covariance(rng, 4)
        got = _number(c.call(cov, 10))
        c.expect(got is not None, "returns a number", input="a 4x4 covariance, n = 10", expected="a float",
                 got=got, hint="the expected value is one number.", answer="return a float: " + MEAN_TERM)
        sampled = _sampled_mean_term(cov, 10, 4000, rng)
        spread = 0.08 * sampled
        c.expect(abs(got - sampled) < spread, "matches sampling: 4,000 pairs of samples of 10 from a 4-d Gaussian",
                 input="a 4x4 covariance, n = 10", expected=f"about {sampled:.4f} (sampled, +-8%)", got=got,
                 hint="a mean of n independent draws has covariance Sigma / n; what about the difference of two such means?",
                 answer=MEAN_TERM)
        c.expect(math.isclose(_number(c.call(cov, 40)), got / 4, rel_tol=1e-6),
                 "falls as 1/n: four times the samples, a quarter of the distance", input="the same covariance, n = 40",
                 expected=got / 4, got=_number(c.call(cov, 40)),
                 hint="how does the covariance of a mean depend on the number of draws?", answer=MEAN_TERM)
        scaled = _number(c.call(4 * cov, 10))
        c.expect(scaled is not None and math.isclose(scaled, 4 * got, rel_tol=1e-6),
                 "scales with the spread: 4 times the covariance, 4 times the distance", input="4 cov, n = 10",
                 expected=4 * got, got=scaled, hint="the squared distance is in the units of the covariance.",
                 answer=MEAN_TERM)
        correlated = np.array([[1.0, 0.9], [0.9, 1.0]])
        diagonal = np.eye(2)
        a, b = _number(c.call(correlated, 5)), _number(c.call(diagonal, 5))
        c.expect(a is not None and b is not None and math.isclose(a, b, rel_tol=1e-6),
                 "depends only on the variances (the trace), not on the correlations",
                 input="[[1, 0.9], [0.9, 1]] and the identity, n = 5", expected=f"the same for both ({b})",
                 got=(a, b), hint="expand |d|^2 as a sum over coordinates: which entries of the covariance appear?",
                 answer=MEAN_TERM)
