"""The GAN minimax game as small pure functions (Goodfellow et al., 2014).

Lesson 01 (``notebooks/01_gan_minimax.ipynb``) derives each formula and checks it
numerically on 1-D mixtures whose densities are exact (:mod:`artlab.data.toy`).

* :func:`value_function`: V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], estimated from
  the discriminator's outputs on real and generated samples;
* :func:`value_on_grid`: the same V as an integral over a grid of points, given densities;
* :func:`optimal_discriminator`: D*(x) = p_data(x) / (p_data(x) + p_g(x));
* :func:`kl_divergence`, :func:`jensen_shannon`: KL(p||q) and
  JSD(p||q) = 1/2 KL(p||m) + 1/2 KL(q||m) with m = (p + q) / 2;
* :func:`virtual_training_criterion`: C(G) = max_D V(D, G) = V(D*, G);
  :func:`criterion_from_jsd`: the same as -log 4 + 2 JSD(p_data||p_g);
* :func:`saturating_gradient`, :func:`non_saturating_gradient`: how hard each generator
  loss pushes on the discriminator's logit a (D = sigmoid(a)) at a fake sample;
* :func:`non_saturating_loss_on_grid`: the non-saturating generator loss E_{x~p_g}[-log D(x)]
  as an integral, for a given D;
* :func:`reverse_kl_minus_two_jsd`: KL(p_g||p_data) - 2 JSD(p_data||p_g), what the
  non-saturating loss minimises against D* (Arjovsky & Bottou, 2017, Theorem 2.5): with D*
  held fixed at the current p_g, the gradient of E_{p_g}[-log D*] equals the gradient of
  this quantity.

Densities are tensors of values on one grid of points spaced ``dx`` apart (``dx = 1``
for probabilities of a discrete distribution).
"""
from __future__ import annotations

import math

import torch

__all__ = ["value_function", "value_on_grid", "optimal_discriminator", "kl_divergence", "jensen_shannon",
           "virtual_training_criterion", "criterion_from_jsd", "saturating_gradient",
           "non_saturating_gradient", "non_saturating_loss_on_grid", "reverse_kl_minus_two_jsd", "LOG4"]

LOG4 = math.log(4.0)  # -log 4 = C(G) at the global optimum p_g = p_data


def value_function(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """V(D, G) ~= mean log D(x) + mean log(1 - D(G(z))), from probabilities D in (0, 1)."""
    return torch.log(d_real).mean() + torch.log1p(-d_fake).mean()


def value_on_grid(d: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor, dx: float = 1.0) -> torch.Tensor:
    """V(D, G) = integral of p_data(x) log D(x) + p_g(x) log(1 - D(x)) dx (terms with p = 0 count 0)."""
    real = torch.where(p_data > 0, p_data * torch.log(d), torch.zeros_like(p_data))
    fake = torch.where(p_g > 0, p_g * torch.log1p(-d), torch.zeros_like(p_g))
    return (real + fake).sum() * dx


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)); 1/2 where both densities are 0 (any D is optimal there)."""
    total = p_data + p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)),
                       torch.full_like(total, 0.5))


def kl_divergence(p: torch.Tensor, q: torch.Tensor, dx: float = 1.0) -> torch.Tensor:
    """KL(p||q) = integral of p(x) log(p(x) / q(x)) dx, with 0 log 0 = 0 (inf where q = 0 < p)."""
    safe_p = torch.where(p > 0, p, torch.ones_like(p))
    terms = torch.where(p > 0, p * (torch.log(safe_p) - torch.log(q)), torch.zeros_like(p))
    return terms.sum() * dx


def jensen_shannon(p: torch.Tensor, q: torch.Tensor, dx: float = 1.0) -> torch.Tensor:
    """JSD(p||q) = 1/2 KL(p||m) + 1/2 KL(q||m), m = (p + q) / 2; between 0 and log 2."""
    m = (p + q) / 2
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


def virtual_training_criterion(p_data: torch.Tensor, p_g: torch.Tensor, dx: float = 1.0) -> torch.Tensor:
    """C(G) = max_D V(D, G) = V(D*, G): the value at the optimal discriminator.

    Computed as the integral of p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g)),
    which is V(D*, G) written with logs of the densities, so it stays finite where D* rounds to 0 or 1.
    """
    total = p_data + p_g
    safe_total = torch.where(total > 0, total, torch.ones_like(total))
    real = torch.where(p_data > 0, p_data * (torch.log(torch.where(p_data > 0, p_data, safe_total)) - torch.log(safe_total)),
                       torch.zeros_like(p_data))
    fake = torch.where(p_g > 0, p_g * (torch.log(torch.where(p_g > 0, p_g, safe_total)) - torch.log(safe_total)),
                       torch.zeros_like(p_g))
    return (real + fake).sum() * dx


def criterion_from_jsd(jsd: torch.Tensor | float) -> torch.Tensor:
    """C(G) = -log 4 + 2 JSD(p_data||p_g): minimal (-log 4) exactly when p_g = p_data."""
    return -LOG4 + 2 * torch.as_tensor(jsd)


def saturating_gradient(d_fake: torch.Tensor) -> torch.Tensor:
    """d/da log(1 - sigmoid(a)) = -sigmoid(a) = -D(G(z)): vanishes as D(G(z)) -> 0 (early training)."""
    return -d_fake


def non_saturating_gradient(d_fake: torch.Tensor) -> torch.Tensor:
    """d/da [-log sigmoid(a)] = -(1 - sigmoid(a)) = -(1 - D(G(z))): about -1 as D(G(z)) -> 0."""
    return -(1 - d_fake)


def non_saturating_loss_on_grid(d: torch.Tensor, p_g: torch.Tensor, dx: float = 1.0) -> torch.Tensor:
    """E_{x~p_g}[-log D(x)] = integral of -p_g(x) log D(x) dx: the non-saturating generator loss
    against the discriminator D (terms with p_g = 0 count 0)."""
    return torch.where(p_g > 0, -p_g * torch.log(d), torch.zeros_like(p_g)).sum() * dx


def reverse_kl_minus_two_jsd(p_data: torch.Tensor, p_g: torch.Tensor, dx: float = 1.0) -> torch.Tensor:
    """KL(p_g||p_data) - 2 JSD(p_data||p_g): what the non-saturating generator loss minimises
    against D* (its gradient equals that of :func:`non_saturating_loss_on_grid` at D* held fixed).

    The reverse KL punishes generated mass where the data has little (inf where p_data = 0 < p_g)
    but a dropped mode only mildly (log 2 for a generator that covers one of two equal modes);
    the -2 JSD term is bounded by 2 log 2.
    """
    return kl_divergence(p_g, p_data, dx) - 2 * jensen_shannon(p_data, p_g, dx)
