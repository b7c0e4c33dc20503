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
* :class:`GANLoss`: names the pair of losses a training run uses (lesson 02; lesson 04
  adds the Wasserstein losses here).

Lesson 01 (``notebooks/01_gan_minimax.ipynb``) derives them; lesson 02 trains with them.
"""
from __future__ import annotations

from enum import Enum

import torch
import torch.nn.functional as F

__all__ = ["discriminator_loss", "generator_loss_minimax", "generator_loss_non_saturating",
           "r1_penalty", "GANLoss"]


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


class GANLoss(str, Enum):
    """Which generator loss a run uses; the discriminator's loss goes with it.

    ``GANLoss("non_saturating").g_loss(logits_fake)``. The value is a plain string so a
    :class:`artlab.gan.train.TrainConfig` holding it can be saved in a checkpoint.
    """

    MINIMAX = "minimax"
    NON_SATURATING = "non_saturating"

    def d_loss(self, logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
        """The discriminator's loss for this game (the same cross-entropy for both)."""
        return discriminator_loss(logits_real, logits_fake)

    def g_loss(self, logits_fake: torch.Tensor) -> torch.Tensor:
        """The generator's loss for this game."""
        if self is GANLoss.MINIMAX:
            return generator_loss_minimax(logits_fake)
        return generator_loss_non_saturating(logits_fake)
