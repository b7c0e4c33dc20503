"""Measuring paintings without Inception: a digits classifier and the Fréchet distance.

The Fréchet Inception Distance (FID) compares generated and real images through the
features of a large ImageNet network, which would have to be downloaded. For digits we
can do the same with a tiny classifier trained here in seconds:

* :func:`digit_classifier` trains a two-convolution CNN on the training digits (deterministic
  for a seed) and keeps it for the session.
* :func:`frechet_distance` is the distance between two Gaussians fitted to features,

      d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½),

  which on the classifier's 64-d penultimate features is the *Fréchet digit distance*
  (FDD). It is 0 for identical statistics and grows as images get noisier, blurrier or
  less varied. It depends on the sample size, so always compare sets of equal size.
* **The floor** (:func:`floor_fdd`) is what real held-out digits score when drawn the way a
  painter draws them: ``n`` test digits the networks never saw, with a *random* mix of digits
  (a painter that draws from noise never paints exactly as many of each), the mean over
  :data:`FLOOR_DRAWS` draws. A painter scored at the same ``n`` is compared with it:
  ``fdd / floor`` is its "x floor".
* :func:`held_out_at_random` draws those samples both ways, with a random and with an even mix of
  digits, to show what the mix alone does to the distance (lesson 04).
* :func:`class_coverage` counts the digits that appear, and the KL divergence of the
  predicted-class histogram from uniform says how unevenly they appear (0 = even).
* :func:`label_accuracy` scores a conditional GAN: did it paint the digit you asked for?
* :func:`checkerboard` measures the period-2 pattern that transposed convolutions with
  uneven overlap leave behind (Odena, Dumoulin and Olah, 2016), and :func:`diversity` the
  mean distance between paintings of one batch, which falls when a generator collapses.

Lesson 04 explains and uses all of them; ``benchmarks/gan_images.py`` reports them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from artlab.data.images import _resize, digits
from artlab.errors import ArgumentError, whole_number
from artlab.runtime import cpu_threads

__all__ = ["DigitClassifier", "train_digit_classifier", "digit_classifier", "frechet_distance",
           "gaussian_statistics", "features", "frechet_digit_distance", "class_histogram",
           "class_coverage", "label_accuracy", "DigitQuality", "digit_quality", "mean_quality",
           "HeldOutAtRandom", "held_out_at_random", "floor_fdd", "FLOOR_DRAWS", "checkerboard", "diversity"]

FLOOR_DRAWS = 20
"""Samples of real held-out digits averaged by the floor (:func:`floor_fdd`)."""


class DigitClassifier(nn.Module):
    """Two convolutions and two linear layers on 16x16 digits; ``features`` is the 64-d layer."""

    def __init__(self, width: int = 32, feature_dim: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width // 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (B, w/2, 8, 8)
            nn.Conv2d(width // 2, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, w, 4, 4)
            nn.Flatten(), nn.Linear(width * 16, feature_dim), nn.ReLU(),           # (B, 64)
        )
        self.head = nn.Linear(feature_dim, 10)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features ``(B, 64)`` of images ``(B, 1, H, W)`` in [-1, 1]."""
        return self.body(_to_16(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))  # logits (B, 10)


def _to_16(images: torch.Tensor) -> torch.Tensor:
    if images.dim() != 4 or images.shape[1] != 1:
        raise ArgumentError("digit images", expected="a tensor of shape (B, 1, H, W)", got=tuple(images.shape))
    return _resize(images, 16)


def train_digit_classifier(seed: int = 0, epochs: int = 40) -> DigitClassifier:
    """Train :class:`DigitClassifier` on the training digits (seconds on a laptop CPU; its test
    accuracy is in ``docs/benchmarks.md``).

    Training sees each digit shifted by up to one pixel, so the classifier judges shapes,
    not exact positions. Deterministic for a seed on a given machine.
    """

    train = digits(16, "train")
    generator = torch.Generator().manual_seed(seed)
    torch_state = torch.get_rng_state()
    torch.manual_seed(seed)
    model = DigitClassifier()
    torch.set_rng_state(torch_state)  # leave the caller's random stream alone
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    with cpu_threads(1), torch.enable_grad():  # one thread: robust on a busy laptop; grad even under no_grad()
        for _ in range(epochs):
            order = torch.randperm(len(train), generator=generator)
            for start in range(0, len(order), 64):
                batch = order[start:start + 64]
                shift = torch.randint(-1, 2, (2,), generator=generator).tolist()
                x = torch.roll(train.images[batch], shifts=shift, dims=(2, 3))
                loss = F.cross_entropy(model(x), train.labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return model.eval().requires_grad_(False)


@lru_cache(maxsize=4)
def digit_classifier(seed: int = 0) -> DigitClassifier:
    """The session's digits classifier for *seed* (trained on first use, then reused)."""
    return train_digit_classifier(seed)


def gaussian_statistics(feats: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` of features ``(N, D)``, in float64."""
    array = feats.detach().double().cpu().numpy()
    if array.ndim != 2 or len(array) < 2:
        raise ArgumentError("features", expected="a (N, D) tensor with N >= 2", got=tuple(feats.shape))
    return array.mean(axis=0), np.cov(array, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½) between two Gaussians.

    ``Tr((Σ₁^½ Σ₂ Σ₁^½)^½)`` equals ``Tr((Σ₁ Σ₂)^½)`` and is computed from eigenvalues of
    symmetric matrices, which is stable where a general matrix square root is not.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ArgumentError("frechet_distance", expected="means (D,) and covariances (D, D) of one D",
                            got=(mu1.shape, sigma1.shape, mu2.shape, sigma2.shape))
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)
    return max(value, 0.0)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


@torch.no_grad()
def features(images: torch.Tensor, classifier: DigitClassifier | None = None, batch: int = 512) -> torch.Tensor:
    """The classifier's penultimate features ``(N, 64)`` of digit images ``(N, 1, H, W)``."""
    classifier = classifier or digit_classifier()
    return torch.cat([classifier.features(images[i:i + batch].float().cpu())
                      for i in range(0, len(images), batch)])


def frechet_digit_distance(images_a: torch.Tensor, images_b: torch.Tensor,
                           classifier: DigitClassifier | None = None) -> float:
    """Fréchet distance between the classifier features of two sets of digit images."""
    return frechet_distance(*gaussian_statistics(features(images_a, classifier)),
                            *gaussian_statistics(features(images_b, classifier)))


@torch.no_grad()
def class_histogram(images: torch.Tensor, classifier: DigitClassifier | None = None,
                    confidence: float = 0.9) -> torch.Tensor:
    """Counts ``(10,)`` of images the classifier calls each digit with >= *confidence*."""
    classifier = classifier or digit_classifier()
    probs = torch.cat([classifier(images[i:i + 512].float().cpu()).softmax(-1)
                       for i in range(0, len(images), 512)])
    best, label = probs.max(dim=1)
    return torch.bincount(label[best >= confidence], minlength=10)


def class_coverage(histogram: torch.Tensor, n_images: int, min_share: float = 0.01) -> int:
    """How many digits appear: classes read confidently in at least *min_share* of all images."""
    return int((histogram >= max(1.0, min_share * n_images)).sum())


def _kl_from_uniform(histogram: torch.Tensor) -> float:
    """KL(p ‖ uniform) = Σ p log(p K) of a class histogram: 0 when even, log K for one class."""
    p = histogram.double() / histogram.sum().clamp(min=1)
    k = len(histogram)
    return float(sum(pi * math.log(pi * k) for pi in p.tolist() if pi > 0))


@torch.no_grad()
def label_accuracy(images: torch.Tensor, requested: torch.Tensor,
                   classifier: DigitClassifier | None = None) -> float:
    """Share of images the classifier reads as the digit that was requested."""
    classifier = classifier or digit_classifier()
    predicted = torch.cat([classifier(images[i:i + 512].float().cpu()).argmax(-1)
                           for i in range(0, len(images), 512)])
    return float((predicted == requested.cpu()).float().mean())


@dataclass(frozen=True)
class DigitQuality:
    """The lesson's scorecard for a set of generated digits."""

    fdd: float          # Fréchet digit distance to the real training digits
    floor: float | None  # the floor at this sample size (floor_fdd; None where no floor exists: n > 240)
    classes: int        # digits that appear (of 10)
    class_kl: float     # KL of the class histogram from uniform (0 = every digit equally)
    confident: float    # share of images the classifier reads with >= 90% confidence

    @property
    def x_floor(self) -> float | None:
        """``fdd / floor``: how far above real held-out digits drawn at random (1: as good)."""
        return None if self.floor is None else self.fdd / self.floor

    def __str__(self) -> str:
        against = f" ({self.x_floor:.2f}x the floor {self.floor:.1f})" if self.floor is not None else ""
        return (f"FDD {self.fdd:.1f}{against}, {self.classes}/10 digits, class KL {self.class_kl:.3f}, "
                f"{self.confident:.0%} confidently readable")


def mean_quality(qualities: list[DigitQuality]) -> DigitQuality:
    """The scorecard of several batches: the mean of each number, and the *fewest* digits covered."""
    if not qualities:
        raise ArgumentError("mean_quality(qualities)", expected="at least one DigitQuality", got="[]")
    mean = lambda name: sum(getattr(q, name) for q in qualities) / len(qualities)  # noqa: E731
    floors = {q.floor for q in qualities}
    floor = floors.pop() if len(floors) == 1 else None  # batches of one size share one floor
    return DigitQuality(mean("fdd"), floor, min(q.classes for q in qualities), mean("class_kl"), mean("confident"))


@lru_cache(maxsize=None)
def _real_digits(split: str) -> torch.Tensor:
    """The real 16x16 digits of a split, loaded once per process."""
    return digits(16, split).images


@lru_cache(maxsize=4)
def _training_statistics(classifier: DigitClassifier) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of the training digits' features: the reference every score is measured against,
    computed once per classifier instead of once per scored model."""
    return gaussian_statistics(features(_real_digits("train"), classifier))


def digit_quality(fake: torch.Tensor, classifier: DigitClassifier | None = None) -> DigitQuality:
    """Score a batch of digits against the real training digits, and give the floor at its size.

    The floor (:func:`floor_fdd`) exists for batches of 10 to 240 digits, a multiple of 10;
    painters are scored 200 at a time (:func:`artlab.painters.score_digits`).
    """
    if not isinstance(fake, torch.Tensor) or fake.dim() != 4 or fake.shape[1:] != (1, 16, 16) or len(fake) < 2:
        raise ArgumentError("digit_quality(fake)", expected="a batch of at least 2 grey 16x16 digits (N, 1, 16, 16)",
                            got=tuple(fake.shape) if isinstance(fake, torch.Tensor) else type(fake).__name__)
    if not torch.isfinite(fake).all():
        raise ArgumentError("digit_quality(fake)", expected="finite pixel values", got="<NaN or infinite pixels>",
                            hint="The painter diverged: look at its training losses.")
    classifier = classifier or digit_classifier()
    n = len(fake)
    reference = _training_statistics(classifier)
    fdd = frechet_distance(*gaussian_statistics(features(fake, classifier)), *reference)
    floor = _floor(n, classifier) if 10 <= n <= 240 and n % 10 == 0 else None
    histogram = class_histogram(fake, classifier)
    return DigitQuality(fdd, floor, class_coverage(histogram, n), _kl_from_uniform(histogram),
                        float(histogram.sum()) / n)


def floor_fdd(n: int = 200, classifier: DigitClassifier | None = None) -> float:
    """The floor at sample size ``n``: the mean FDD of :data:`FLOOR_DRAWS` samples of ``n`` real held-out
    digits drawn with a random mix of digits, as a painter draws (``held_out_at_random(n).random_mix``).

    Real digits the networks never saw, drawn the way a painter draws, are what a perfect painter
    could hope to match: a painter at the floor (``x floor`` 1) paints as well as real digits
    drawn at random do on this scorecard.
    """
    return _floor(n, classifier or digit_classifier())


@lru_cache(maxsize=64)
def _floor(n: int, classifier: DigitClassifier) -> float:
    return held_out_at_random(n, FLOOR_DRAWS, seed=0, classifier=classifier).random_mix


@dataclass(frozen=True)
class HeldOutAtRandom:
    """Real held-out digits drawn the way a painter draws them, against evenly mixed ones.

    ``random_mix`` is the mean FDD of ``draws`` samples of ``n`` test digits whose digit counts
    are drawn at random (multinomially, with the training digits' shares), as any painter that
    draws from noise gets them; ``balanced`` is the mean FDD of as many samples holding exactly
    ``n / 10`` of each digit. Both are measured against the training reference.
    """

    n: int
    draws: int
    random_mix: float
    balanced: float

    @property
    def ratio(self) -> float:
        """``random_mix / balanced``: what a random mix of digits costs real digits."""
        return self.random_mix / self.balanced


def held_out_at_random(n: int = 200, draws: int = 20, seed: int = 0,
                       classifier: DigitClassifier | None = None) -> HeldOutAtRandom:
    """What *real* digits score when drawn at random, as a painter draws, and when evenly mixed:
    :class:`HeldOutAtRandom`.

    The 360 test digits hold 35 to 37 of each digit (the split is stratified), an even mix a
    painter drawing at random almost never paints. Here samples of ``n`` held-out digits are drawn
    both ways, without replacement (repeated images would shrink the features' spread and add a
    distance of their own). ``n`` is at most 240 and a multiple of 10, so that a random mix rarely
    asks for more of a digit than the test digits hold; the few draws that do are drawn again.
    ``docs/benchmarks.md`` has the measured ratio.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 10 <= n <= 240 or n % 10:
        raise ArgumentError("held_out_at_random(n)", expected="a multiple of 10 from 10 to 240 (the 360 test "
                            "digits hold 35 to 37 of each digit)", got=n)
    whole_number(draws, "held_out_at_random(draws)", unit="samples")
    classifier = classifier or digit_classifier()
    test = digits(16, "test")
    feats = features(test.images, classifier)                                   # (360, 64)
    reference = _training_statistics(classifier)
    by_digit = [np.flatnonzero(test.labels.numpy() == d) for d in range(10)]
    available = np.array([len(index) for index in by_digit])
    train_labels = digits(16, "train").labels.numpy()
    shares = np.bincount(train_labels, minlength=10) / len(train_labels)
    rng = np.random.default_rng(seed)

    def fdd(counts) -> float:
        index = np.concatenate([rng.choice(by_digit[d], k, replace=False) for d, k in enumerate(counts)])
        return frechet_distance(*gaussian_statistics(feats[index]), *reference)

    random_mix, balanced = [], []
    for _ in range(draws):
        counts = rng.multinomial(n, shares)
        while (counts > available).any():
            counts = rng.multinomial(n, shares)
        random_mix.append(fdd(counts))
        balanced.append(fdd([n // 10] * 10))
    return HeldOutAtRandom(n, draws, float(np.mean(random_mix)), float(np.mean(balanced)))


def checkerboard(images: torch.Tensor) -> float:
    """Share of the images' detail energy at the highest frequencies: the checkerboard score.

    For each image ``(C, H, W)`` take the 2-D Fourier transform, drop the mean (frequency 0),
    and measure the share of the remaining energy on the Nyquist row and column (the
    patterns that flip sign from one pixel to the next, period 2). A transposed convolution
    whose kernel the stride does not divide (kernel 3, stride 2) paints such a grid;
    smooth images put almost nothing there. Returns the mean share over the batch, in [0, 1].
    """
    if images.dim() != 4 or images.shape[-1] % 2 or images.shape[-2] % 2:
        raise ArgumentError("checkerboard(images)", expected="a batch (N, C, H, W) with even H and W",
                            got=tuple(images.shape))
    power = torch.fft.fft2(images.detach().double().cpu()).abs().pow(2)  # (N, C, H, W)
    power[..., 0, 0] = 0  # the mean is no pattern
    height, width = images.shape[-2:]
    nyquist = power[..., height // 2, :].sum(-1) + power[..., :, width // 2].sum(-1) - power[..., height // 2, width // 2]
    total = power.sum(dim=(-2, -1)).clamp(min=1e-12)
    return float((nyquist / total).mean())


def diversity(images: torch.Tensor) -> float:
    """Mean Euclidean distance between two different images of a batch ``(N, ...)`` (per pixel, RMS).

    Real digits are far apart; a collapsed generator paints near-copies and scores near 0.
    """
    if len(images) < 2:
        raise ArgumentError("diversity(images)", expected="at least 2 images", got=len(images))
    flat = images.detach().double().cpu().flatten(1)  # (N, D)
    distances = torch.cdist(flat, flat) / flat.shape[1] ** 0.5  # (N, N)
    n = len(flat)
    return float(distances.sum() / (n * (n - 1)))
