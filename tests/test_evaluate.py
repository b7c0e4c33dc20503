"""The real-or-generated detector: chance when it cannot tell, certainty when it can."""
import numpy as np
import pytest
import torch

from artlab.data.images import digits
from artlab.errors import ArgumentError
from artlab.evaluate import (MELODY_FEATURES, chance_standard_error, detection_accuracy, image_features, melody_features,
                             real_or_generated, step_share)
from artlab.music.corpus import load_corpus
from artlab.music.melody import Melody, REST


def test_step_share_counts_steps_and_repeats_and_skips_rests():
    assert step_share(Melody((60, 62, 64, 60), (1, 1, 1, 1))) == pytest.approx(2 / 3)
    assert step_share(Melody((60, REST, 62), (1, 1, 2))) == 1.0
    assert step_share(Melody((60,), (4,))) == 1.0


def test_melody_features_are_named_and_bounded_on_real_tunes():
    tunes = load_corpus().melodies("essen", "test")[:50]
    rows = np.stack([melody_features(m) for m in tunes])
    assert rows.shape == (50, len(MELODY_FEATURES))
    shares = [MELODY_FEATURES.index(n) for n in ("in key", "repetition", "step share", "leap share", "rest share")]
    assert ((rows[:, shares] >= 0) & (rows[:, shares] <= 1)).all()
    assert rows[:, MELODY_FEATURES.index("step share")].mean() > 0.5  # folk tunes move mostly by step


def test_detection_accuracy_decides_real_at_one_half():
    assert detection_accuracy([0.5, 0.49], [True, False]) == 1.0
    assert detection_accuracy([0.9, 0.9], [False, False]) == 0.0
    with pytest.raises(ArgumentError):
        detection_accuracy([0.5], [True, False])


def test_real_against_real_is_chance_and_real_against_noise_is_certain():
    train = digits(16, "train").images
    pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))  # at random, not in file order
    real = image_features(train[pick[:400]])
    other_real = image_features(digits(16, "test").images[:200])
    noise = image_features(torch.rand(400, 1, 16, 16) * 2 - 1)
    same = real_or_generated(real[:200], other_real, seed=0)
    assert abs(same.z_score) < 2, same
    fake = real_or_generated(real[200:], noise, seed=0)
    assert fake.accuracy == 1.0 and fake.n_test == 200 and fake.z_score > 10


def test_the_chance_standard_error_is_that_of_n_coin_tosses():
    assert chance_standard_error(100) == pytest.approx(0.05)
    assert chance_standard_error(400) == pytest.approx(chance_standard_error(100) / 2)
    rng = np.random.default_rng(0)
    shares = rng.binomial(360, 0.5, size=20_000) / 360
    assert shares.std() == pytest.approx(chance_standard_error(360), rel=0.03)
    with pytest.raises(ArgumentError, match="held-out works"):
        chance_standard_error(0)


def test_detectors_at_chance_stay_within_two_standard_errors_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    z = [real_or_generated(rng.normal(size=(60, 3)), rng.normal(size=(60, 3)), seed=s).z_score for s in range(200)]
    assert 0.88 < np.mean(np.abs(z) < 2) < 1.0


def test_telltales_name_the_feature_that_separates():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(100, 3))
    generated = rng.normal(size=(100, 3))
    generated[:, 2] += 3  # only the third feature differs
    report = real_or_generated(real, generated, names=("a", "b", "c"))
    assert report.telltales(1)[0][0] == "c" and report.telltales(1)[0][1] < 0  # high "c" looks generated
    assert report.accuracy > 0.9 and "held-out accuracy" in str(report)


def test_bad_inputs_are_named():
    with pytest.raises(ArgumentError, match="same D"):
        real_or_generated(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ArgumentError, match="at least 4"):
        real_or_generated(np.zeros((3, 2)), np.zeros((10, 2)))
    with pytest.raises(ArgumentError):
        image_features(torch.zeros(16, 16))
