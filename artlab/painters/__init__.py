"""Painters: models that paint pictures from noise, whatever their family.

* :mod:`artlab.painters.protocol`: the :class:`Painter` contract (``latent_dim``, ``num_classes``,
  ``painter(z, labels) -> images``) and :func:`check_labels`;
* :mod:`artlab.painters.base`: :func:`paint`, :func:`save_paintings`, :func:`load_painter` (any
  family, through :data:`artlab.registry.PAINTERS`), :class:`PaintRequest`;
* :mod:`artlab.painters.copies`: :class:`ClusterPainter` (a self-conditioned GAN paints without
  labels) and :class:`Memoriser` (the perfect copy);
* :mod:`artlab.painters.scoring`: the scorecard, :func:`score_digits`;
* :mod:`artlab.painters.gan`: the GAN recipes of lessons 03-04 and their training;
* lesson 10's diffusion painter lives in :mod:`artlab.diffusion`.

``docs/extending.md`` shows how to add a family.
"""
from artlab.painters.base import PaintRequest, load_painter, paint, painter_from, painting_labels, save_paintings
from artlab.painters.copies import ClusterPainter, Memoriser
from artlab.painters.protocol import Painter, check_labels
from artlab.painters.scoring import DigitScore, score_digits

__all__ = ["Painter", "check_labels", "paint", "painting_labels", "save_paintings", "load_painter", "painter_from",
           "PaintRequest", "ClusterPainter", "Memoriser", "score_digits", "DigitScore"]

