import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF

from artlab.data.images import digits
from artlab.errors import ArgumentError
from artlab.gan import quality


@pytest.fixture(scope="module")
def classifier():
    return quality.digit_classifier(0)


@pytest.fixture(scope="module")
def real():
    return digits(16, "train").images, digits(16, "test")


def test_frechet_distance_is_zero_for_identical_statistics_and_symmetric():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 5))
    mu, sigma = a.mean(0), np.cov(a, rowvar=False)
    assert quality.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
    b = rng.normal(size=(200, 5)) * 2 + 1
    mu2, sigma2 = b.mean(0), np.cov(b, rowvar=False)
    assert quality.frechet_distance(mu, sigma, mu2, sigma2) == pytest.approx(
        quality.frechet_distance(mu2, sigma2, mu, sigma), rel=1e-9)


def test_frechet_distance_matches_the_closed_form_in_one_dimension_and_for_commuting_covariances():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert quality.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # diagonal covariances: sum over axes of the 1-D formula
    d = quality.frechet_distance([0, 0], np.diag([1.0, 4.0]), [1, 2], np.diag([9.0, 16.0]))
    assert d == pytest.approx(1 + 4 + (1 - 3) ** 2 + (2 - 4) ** 2)


def test_frechet_distance_refuses_mismatched_shapes():
    with pytest.raises(ArgumentError, match="one D"):
        quality.frechet_distance([0, 0], np.eye(2), [0, 0, 0], np.eye(3))


def test_the_classifier_reads_test_digits_and_is_deterministic(classifier, real):
    _, test = real
    assert quality.label_accuracy(test.images, test.labels, classifier) >= 0.97
    again = quality.train_digit_classifier(0)
    for a, b in zip(classifier.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_the_distance_grows_under_noise_and_blur(classifier, real):
    train, test = real
    floor = quality.frechet_digit_distance(train, test.images, classifier)
    generator = torch.Generator().manual_seed(0)
    noisy = [quality.frechet_digit_distance(
        train, (test.images + s * torch.randn(test.images.shape, generator=generator)).clamp(-1, 1), classifier)
        for s in (0.2, 0.4)]
    blurred = [quality.frechet_digit_distance(train, TF.gaussian_blur(test.images, 5, s), classifier)
               for s in (0.7, 1.2)]
    assert floor < noisy[0] < noisy[1]
    assert floor < blurred[0] < blurred[1]


def test_scorecard_separates_real_from_collapsed_and_from_noise(classifier, real):
    _, test = real
    good = quality.digit_quality(test.images[:200], classifier)
    assert good.floor == pytest.approx(quality.floor_fdd(200, classifier))
    assert good.x_floor < 1.5 and good.classes == 10 and good.class_kl < 0.05 and "x the floor" in str(good)
    ones = test.images[test.labels == 1].repeat(11, 1, 1, 1)[:200]
    collapsed = quality.digit_quality(ones, classifier)
    assert collapsed.classes == 1 and collapsed.class_kl > 2.0 and collapsed.x_floor > 10
    noise = quality.digit_quality(torch.rand(200, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1,
                                  classifier)
    assert noise.confident < 0.5 and noise.classes < 10 and noise.x_floor > 10
    whole = quality.digit_quality(test.images, classifier)  # 360: no floor of that size exists
    assert whole.floor is None and whole.x_floor is None and "floor" not in str(whole)
    for bad in (torch.zeros(5, 3, 16, 16), torch.zeros(1, 1, 16, 16), torch.full((20, 1, 16, 16), float("nan"))):
        with pytest.raises(ArgumentError, match="digit_quality"):
            quality.digit_quality(bad, classifier)


def test_the_floor_is_real_held_out_digits_drawn_at_random_at_the_same_size(classifier):
    drawn = quality.held_out_at_random(200, draws=quality.FLOOR_DRAWS, seed=0, classifier=classifier)
    assert quality.floor_fdd(200, classifier) == drawn.random_mix
    assert quality.floor_fdd(100, classifier) > quality.floor_fdd(200, classifier)  # fewer samples, more distance


def test_real_digits_drawn_at_random_score_well_above_the_balanced_floor(classifier):
    drawn = quality.held_out_at_random(200, draws=20, seed=0, classifier=classifier)
    assert drawn.n == 200 and drawn.draws == 20
    assert drawn.balanced > 0 and drawn.ratio > 1.5  # an uneven mix of real digits costs a factor of ~2
    assert quality.held_out_at_random(200, draws=20, seed=0, classifier=classifier) == drawn  # seeded
    for n in (360, 15, 0, True):
        with pytest.raises(ArgumentError, match="held_out_at_random"):
            quality.held_out_at_random(n)
    with pytest.raises(ArgumentError, match="draws"):
        quality.held_out_at_random(200, draws=0)


def test_label_accuracy_counts_requested_labels(classifier, real):
    _, test = real
    shuffled = test.labels[torch.randperm(len(test.labels), generator=torch.Generator().manual_seed(0))]
    assert quality.label_accuracy(test.images, shuffled, classifier) < 0.2


def test_checkerboard_score_finds_period_two_patterns_and_ignores_smooth_images(real):
    _, test = real
    smooth = quality.checkerboard(test.images)
    grid = (torch.arange(16)[:, None] + torch.arange(16)[None, :]) % 2 * 2.0 - 1  # (16, 16): +1/-1 alternating
    patterned = (test.images + 0.3 * grid).clamp(-1, 1)
    assert smooth < 0.01
    assert quality.checkerboard(patterned) > 10 * smooth
    assert quality.checkerboard(grid.expand(4, 3, 16, 16)) == pytest.approx(1.0)  # all detail at the Nyquist frequency
    stripes = (torch.arange(16) % 2 * 2.0 - 1).expand(2, 1, 16, 16)  # columns alternate
    assert quality.checkerboard(stripes) == pytest.approx(1.0)
    with pytest.raises(ArgumentError, match="even"):
        quality.checkerboard(torch.zeros(1, 1, 5, 5))


def test_diversity_falls_to_zero_for_copies_and_is_the_rms_distance():
    a, b = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    assert quality.diversity(torch.cat([a, b])) == pytest.approx(1.0)
    assert quality.diversity(torch.cat([a, a, a])) == pytest.approx(0.0)
    images = digits(16, "test").images
    assert quality.diversity(images) > 10 * quality.diversity(images[:1].repeat(50, 1, 1, 1) + 0.01 * torch.randn(50, 1, 16, 16))


def test_the_classifier_trains_even_when_first_asked_for_inside_no_grad():
    from artlab.gan.quality import train_digit_classifier
    with torch.no_grad():
        model = train_digit_classifier(seed=3, epochs=1)
    assert not model.training and all(not p.requires_grad for p in model.parameters())
