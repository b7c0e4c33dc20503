"""Real or generated? A small detector, and what its accuracy means. Lesson 09.

A **detector** is a classifier trained to tell real works from generated ones. Here it is
a logistic regression on a handful of numbers per work,

    p(real | x) = σ(w · standardise(x) + b),   decide "real" when p >= 1/2,

trained on half of the works and scored on the other half (**held-out accuracy**). Read
its accuracy against two anchors:

* **about 50%** (chance, with as many real as generated works): these features cannot
  tell them apart. That is *not* proof that nobody could: a better detector, with other
  features, might;
* **near 100%**: the generated works are easy to spot; the largest weights say what
  gives them away (too few repeated phrases, too wide a range, a blurred stroke).

Features: :func:`melody_features` (named in :data:`MELODY_FEATURES`; :func:`step_share`
is the one lesson 09's exercise writes) for melodies, :func:`image_features` (the raw
pixels, optionally with the digits classifier's 64 features of lesson 04) for pictures.
:func:`real_or_generated` trains and scores a detector; :func:`detection_accuracy` is
the share of right decisions; :func:`chance_standard_error` says how far from 50% a detector
that cannot tell drifts by luck alone: on n held-out works its accuracy is a share of n
coin tosses, with standard error sqrt(1/2 * 1/2 / n) = 1 / (2 sqrt(n)).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from artlab.errors import ArgumentError, whole_number
from artlab.music.melody import REST, Melody
from artlab.music.metrics import in_key_share, notes_per_bar, pitch_range, repetition, sounding_pitches

__all__ = ["MELODY_FEATURES", "step_share", "melody_features", "image_features", "detection_accuracy",
           "chance_standard_error", "DetectorReport", "real_or_generated"]

MELODY_FEATURES = ("in key", "range", "notes per bar", "repetition", "step share", "leap share", "rest share",
                   "distinct pitches", "long notes")


def step_share(melody: Melody) -> float:
    """Share of moves between consecutive notes (rests skipped) of at most 2 semitones
    (a repeated note or a step); 1.0 for a melody of fewer than two notes."""
    notes = sounding_pitches(melody)
    if len(notes) < 2:
        return 1.0
    return sum(abs(b - a) <= 2 for a, b in zip(notes, notes[1:])) / (len(notes) - 1)


def melody_features(melody: Melody) -> np.ndarray:
    """The numbers of :data:`MELODY_FEATURES` for one melody, shape (9,)."""
    notes = sounding_pitches(melody)
    moves = [abs(b - a) for a, b in zip(notes, notes[1:])]
    durations = [float(d) for p, d in melody.events if p != REST]
    bar = float(melody.bar_length)
    return np.array([
        in_key_share(melody),
        pitch_range(melody),
        notes_per_bar(melody),
        repetition(melody),
        step_share(melody),
        float(np.mean([m > 4 for m in moves])) if moves else 0.0,   # leaps larger than a major third
        sum(1 for p in melody.pitches if p == REST) / max(1, len(melody)),
        len(set(notes)),
        float(np.mean([d >= bar / 2 for d in durations])) if durations else 0.0,  # half a bar or longer
    ], dtype=np.float64)


def image_features(images: torch.Tensor, classifier: bool = False) -> np.ndarray:
    """Pictures ``(N, C, H, W)`` as rows of numbers ``(N, C*H*W)``: the pixels, and with
    ``classifier=True`` also the 64 features of lesson 04's digits classifier."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ArgumentError("image_features(images)", expected="a batch (N, C, H, W)",
                            got=getattr(images, "shape", type(images).__name__))
    rows = images.detach().float().cpu().flatten(1).numpy()
    if classifier:
        from artlab.gan.quality import features

        rows = np.concatenate([rows, features(images).numpy()], axis=1)
    return rows.astype(np.float64)


def detection_accuracy(p_real: Sequence[float], is_real: Sequence[bool]) -> float:
    """Share of right decisions when "real" is decided for p_real >= 1/2."""
    p, truth = np.asarray(p_real, dtype=float), np.asarray(is_real, dtype=bool)
    if p.shape != truth.shape or p.ndim != 1 or len(p) == 0:
        raise ArgumentError("detection_accuracy", expected="two equally long, non-empty 1-D sequences",
                            got=(p.shape, truth.shape))
    return float(np.mean((p >= 0.5) == truth))


def chance_standard_error(n_test: int) -> float:
    """Standard error of the held-out accuracy of a detector at chance on ``n_test`` works:
    sqrt(p (1 - p) / n) with p = 1/2, that is 1 / (2 sqrt(n))."""
    whole_number(n_test, "chance_standard_error(n_test)", unit="held-out works")
    return 0.5 / float(np.sqrt(n_test))


@dataclass(frozen=True)
class DetectorReport:
    """How well a detector told real from generated on works it had not seen."""

    accuracy: float          # held-out share of right decisions
    train_accuracy: float    # on the works it was trained on
    n_train: int             # works per class it learned from
    n_test: int              # held-out works (both classes)
    weights: tuple[float, ...]   # its weights on the standardised features (positive: "looks real")
    names: tuple[str, ...] = ()  # the features' names, if known

    @property
    def standard_error(self) -> float:
        """How far from 50% luck alone moves the accuracy of a detector that cannot tell."""
        return chance_standard_error(self.n_test)

    @property
    def z_score(self) -> float:
        """(accuracy - 1/2) in standard errors: within about 2 a detector is at chance."""
        return (self.accuracy - 0.5) / self.standard_error

    def telltales(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` features with the largest weights (by size): what gives the works away."""
        order = np.argsort(-np.abs(self.weights))[:k]
        names = self.names or tuple(f"feature {i}" for i in range(len(self.weights)))
        return [(names[i], self.weights[i]) for i in order]

    def __str__(self) -> str:
        return (f"held-out accuracy {self.accuracy:.0%} on {self.n_test} works (chance 50%; "
                f"{self.train_accuracy:.0%} on the {2 * self.n_train} it learned from)")


def real_or_generated(real: np.ndarray, generated: np.ndarray, *, seed: int = 0, names: Sequence[str] = (),
                      C: float = 1.0) -> DetectorReport:
    """Train a logistic-regression detector on half of each class (as many real as generated
    works, so chance is 50%) and score it on the other half."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    real, generated = np.asarray(real, dtype=np.float64), np.asarray(generated, dtype=np.float64)
    if real.ndim != 2 or generated.ndim != 2 or real.shape[1] != generated.shape[1]:
        raise ArgumentError("real_or_generated(real, generated)", expected="two (N, D) arrays with the same D",
                            got=(real.shape, generated.shape))
    n = min(len(real), len(generated))
    if n < 4:
        raise ArgumentError("real_or_generated", expected="at least 4 works of each kind", got=n)
    rng = np.random.default_rng(seed)
    real, generated = real[rng.permutation(len(real))[:n]], generated[rng.permutation(len(generated))[:n]]
    half = n // 2
    x_train = np.concatenate([real[:half], generated[:half]])
    y_train = np.r_[np.ones(half), np.zeros(half)]
    x_test = np.concatenate([real[half:], generated[half:]])
    y_test = np.r_[np.ones(n - half), np.zeros(n - half)]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    model.fit(x_train, y_train)
    accuracy = detection_accuracy(model.predict_proba(x_test)[:, 1], y_test == 1)
    train_accuracy = detection_accuracy(model.predict_proba(x_train)[:, 1], y_train == 1)
    weights = tuple(float(w) for w in model[-1].coef_[0])
    return DetectorReport(accuracy, train_accuracy, half, len(y_test), weights, tuple(names))
