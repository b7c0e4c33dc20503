"""The scorecard of a digits painter: lessons 03, 04 and 10 read every painter off it.

:func:`score_digits` paints ``draws`` batches of ``n`` digits (200, as many as the floor holds) and
measures each batch with :func:`artlab.gan.quality.digit_quality`: the Fréchet digit distance (FDD)
to the real training digits, the digits covered, the class mix, the readable share, and for a
conditional painter the share painted as asked. :class:`DigitScore` holds the means and the
floor: real held-out digits drawn the way a painter draws them, at the same size, averaged over
as many draws (:func:`artlab.gan.quality.floor_fdd`). ``x_floor`` is the painter's FDD over the
floor: 1 paints as well as real digits drawn at random. Any painter can be scored (the
:mod:`artlab.painters.protocol` contract), the :class:`~artlab.painters.copies.Memoriser`
included. ``docs/benchmarks.md`` has the measured scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from artlab.errors import one_of, whole_number
from artlab.gan.quality import DigitQuality, digit_quality, label_accuracy, mean_quality
from artlab.painters.base import paint
from artlab.runtime import EVAL_SEED

__all__ = ["DigitScore", "score_digits", "EVAL_SAMPLES", "EVAL_DRAWS", "LABEL_SEED"]

EVAL_SAMPLES = 200  # paintings per batch: the floor's size (200 of the 360 held-out digits, drawn at random)
EVAL_DRAWS = 20     # batches of EVAL_SAMPLES averaged by score_digits (as many as the floor averages)
LABEL_SEED = 10_000  # offset of the seeds of randomly drawn labels (score_digits(mix="random"))


@dataclass(frozen=True)
class DigitScore:
    """How a digits generator scores: the quality scorecard (averaged over ``draws`` batches of
    noise) and, if conditional, the requested-label accuracy."""

    quality: DigitQuality
    accuracy: float | None   # share of images read as the digit asked for (None: unconditional)
    draws: int = 1           # batches of noise averaged
    fdd_range: tuple[float, float] | None = None  # the lowest and highest FDD of one batch

    @property
    def x_floor(self) -> float | None:
        """The mean FDD over the floor (real held-out digits drawn at random, at the same size)."""
        return self.quality.x_floor

    def __str__(self) -> str:
        text = str(self.quality)
        if self.draws > 1 and self.fdd_range is not None:
            text += f" [mean of {self.draws} batches; FDD {self.fdd_range[0]:.1f}-{self.fdd_range[1]:.1f}]"
        return text if self.accuracy is None else f"{text}, {self.accuracy:.1%} painted as asked"


def score_digits(generator: nn.Module, n: int = EVAL_SAMPLES, seed: int = EVAL_SEED, draws: int = EVAL_DRAWS,
                 mix: str = "balanced") -> DigitScore:
    """Paint ``draws`` batches of ``n`` digits (noise seeds ``seed``, ``seed + 1``, ...) and score them:
    the mean of each batch's scorecard.

    One batch is a noisy measurement (the FDD of a perfect copy moves by a factor of about two from
    one noise batch to the next; ``docs/benchmarks.md`` measures it), hence the mean of many. The
    coverage is the *fewest* digits any batch shows. A conditional painter is asked for each digit
    equally often (``mix="balanced"``), or for digits drawn at random (``mix="random"``, like an
    unconditional painter's mix).
    """
    whole_number(draws, "score_digits(draws)", unit="batches")
    one_of(mix, "score_digits(mix)", ("balanced", "random"))
    num_classes = getattr(generator, "num_classes", 0)
    qualities, accuracies = [], []
    for draw in range(draws):
        labels = None
        if num_classes and mix == "balanced":
            labels = torch.arange(n) % num_classes
        elif num_classes:
            rng = torch.Generator().manual_seed(LABEL_SEED + seed + draw)  # not the noise's stream
            labels = torch.randint(0, num_classes, (n,), generator=rng)
        fake = paint(generator, n, labels, seed + draw)
        qualities.append(digit_quality(fake))
        if num_classes:
            accuracies.append(label_accuracy(fake, labels))
    fdds = [q.fdd for q in qualities]
    return DigitScore(mean_quality(qualities), sum(accuracies) / draws if num_classes else None, draws,
                      (min(fdds), max(fdds)))
