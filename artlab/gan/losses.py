"""GAN losses computed from logits, the numerically stable way.

The discriminator outputs a logit ``a``; its probability is D = sigmoid(a). Writing the
losses with ``softplus`` instead of ``log(sigmoid(a))`` keeps them finite for any logit:

    -log D       = -log sigmoid(a)      = softplus(-a)
    -log (1 - D) = -log (1 - sigmoid(a)) = softplus(a)

* :func:`discriminator_loss`: -E[log D(x)] - E[log(1 - D(G(z)))], the negative of the
  value function V(D, G) that D maximises;
* :func:`generator_loss_minimax`: E[log(1 - D(G(z)))], the saturating loss of the
  original minimax game (G minimises it);
* :func:`generator_loss_non_saturating`: -E[log D(G(z))], the loss used in practice;
* :func:`r1_penalty`: E[|grad_x a(x)|^2] on real data, the zero-centred gradient
  penalty (Mescheder et al., 2018) that steadies the discriminator;
* :func:`wasserstein_critic_loss` and :func:`wasserstein_generator_loss`: the WGAN game, in
  which a *critic* f (no sigmoid) scores images and E[f(x_real)] - E[f(G(z))] estimates the
  Wasserstein-1 distance when f is 1-Lipschitz (Arjovsky, Chintala and Bottou, 2017);
* :func:`gradient_penalty`: E[(|grad f(x_hat)|_2 - 1)^2] on random points x_hat between real
  and generated images, WGAN-GP's soft way to keep the critic 1-Lipschitz (Gulrajani et al.,
  2017);
* :class:`GANLoss`: names the pair of losses a training run uses (lesson 02; lesson 04
  adds the Wasserstein game).

Lesson 01 (``notebooks/01_gan_minimax.ipynb``) derives them; lesson 02 trains with them;
lesson 04 (``notebooks/04_better_gans.ipynb``) adds the Wasserstein losses and the gradient penalty.
"""
from __future__ import annotations

from enum import Enum

import torch
import torch.nn.functional as F

__all__ = ["discriminator_loss", "generator_loss_minimax", "generator_loss_non_saturating",
           "r1_penalty", "wasserstein_critic_loss", "wasserstein_generator_loss", "interpolates",
           "gradient_penalty", "GANLoss"]


def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))] = mean softplus(-a_real) + mean softplus(a_fake)."""
    return F.softplus(-logits_real).mean() + F.softplus(logits_fake).mean()


def generator_loss_minimax(logits_fake: torch.Tensor) -> torch.Tensor:
    """E[log(1 - D(G(z)))] = -mean softplus(a_fake): the saturating loss G minimises."""
    return -F.softplus(logits_fake).mean()


def generator_loss_non_saturating(logits_fake: torch.Tensor) -> torch.Tensor:
    """-E[log D(G(z))] = mean softplus(-a_fake): the non-saturating loss G minimises."""
    return F.softplus(-logits_fake).mean()


def r1_penalty(logits_real: torch.Tensor, x_real: torch.Tensor) -> torch.Tensor:
    """R1 = E[ |grad_x a(x)|^2 ] over real points (``x_real`` must require grad).

    Added to the discriminator's loss as ``gamma / 2 * R1``: it pushes D's gradient to
    zero on the data, so D cannot keep sharpening around the real points and the game
    settles instead of circling (Mescheder, Geiger and Nowozin, 2018).
    """
    (grad,) = torch.autograd.grad(logits_real.sum(), x_real, create_graph=True)  # like x_real
    return grad.pow(2).flatten(1).sum(1).mean()


def wasserstein_critic_loss(scores_real: torch.Tensor, scores_fake: torch.Tensor) -> torch.Tensor:
    """E[f(G(z))] - E[f(x_real)]: the critic minimises it, i.e. maximises the Wasserstein estimate
    W = E[f(x_real)] - E[f(G(z))]. ``scores`` are raw critic outputs (no sigmoid)."""
    return scores_fake.mean() - scores_real.mean()


def wasserstein_generator_loss(scores_fake: torch.Tensor) -> torch.Tensor:
    """-E[f(G(z))]: the generator raises the critic's score of its images."""
    return -scores_fake.mean()


def interpolates(x_real: torch.Tensor, x_fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x_hat = eps * x_real + (1 - eps) * x_fake, one ``eps`` in [0, 1] per sample (shape (B,))."""
    eps = eps.view(-1, *([1] * (x_real.dim() - 1)))  # (B, 1, 1, 1) for images
    return eps * x_real + (1 - eps) * x_fake


def gradient_penalty(critic, x_real: torch.Tensor, x_fake: torch.Tensor, eps: torch.Tensor | None = None, *,
                     labels: torch.Tensor | None = None) -> torch.Tensor:
    """GP = E[(|grad_x f(x_hat)|_2 - 1)^2] at x_hat = eps x_real + (1 - eps) x_fake, eps ~ U(0, 1).

    The norm is taken per sample over all its pixels. The result stays in the graph of the
    critic's parameters (``create_graph=True``), so the critic's loss can include
    ``lambda * GP`` (lambda = 10 in WGAN-GP). A conditional critic gets ``labels``.
    """
    if eps is None:
        eps = torch.rand(x_real.shape[0], device=x_real.device, dtype=x_real.dtype)  # (B,)
    x_hat = interpolates(x_real.detach(), x_fake.detach(), eps).requires_grad_(True)
    scores = critic(x_hat) if labels is None else critic(x_hat, labels)  # (B,)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # like x_hat
    return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


class GANLoss(str, Enum):
    """Which generator loss a run uses; the discriminator's loss goes with it.

    ``GANLoss("non_saturating").g_loss(logits_fake)``. The value is a plain string so a
    :class:`artlab.gan.train.TrainConfig` holding it can be saved in a checkpoint.
    """

    MINIMAX = "minimax"
    NON_SATURATING = "non_saturating"
    WASSERSTEIN = "wasserstein"  # the discriminator is a critic: raw scores, no sigmoid

    def d_loss(self, logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
        """The discriminator's (or critic's) loss for this game."""
        if self is GANLoss.WASSERSTEIN:
            return wasserstein_critic_loss(logits_real, logits_fake)
        return discriminator_loss(logits_real, logits_fake)  # the same cross-entropy for both

    def g_loss(self, logits_fake: torch.Tensor) -> torch.Tensor:
        """The generator's loss for this game."""
        if self is GANLoss.MINIMAX:
            return generator_loss_minimax(logits_fake)
        if self is GANLoss.WASSERSTEIN:
            return wasserstein_generator_loss(logits_fake)
        return generator_loss_non_saturating(logits_fake)

    def score(self, logits: torch.Tensor) -> torch.Tensor:
        """What the training history records for D's outputs: the probability sigmoid(a), or the
        critic's raw score in the Wasserstein game (it is not a probability)."""
        return logits if self is GANLoss.WASSERSTEIN else torch.sigmoid(logits)
