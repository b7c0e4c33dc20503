import math

import pytest
import torch

from artlab.data.toy import grid, ring
from artlab.errors import ArgumentError
from artlab.gan.metrics import N_SAMPLES, mode_metrics, modes_covered, nearest_mode


def test_real_samples_score_like_the_real_distribution():
    for mixture in (ring(), grid()):
        x = mixture.sample(N_SAMPLES, generator=torch.Generator().manual_seed(0))
        m = mode_metrics(x, mixture)
        assert m.modes_covered == mixture.n_modes
        assert m.high_quality > 0.97  # within 3 sigma in 2-D: 1 - exp(-9/2) = 98.9%
        assert m.reverse_kl < 0.02


def test_a_collapsed_generator_covers_one_mode_with_reverse_kl_log_k():
    g = grid()
    x = g.means[7] + 0.01 * torch.randn(N_SAMPLES, 2)
    m = mode_metrics(x, g)
    assert (m.modes_covered, m.n_modes) == (1, 25)
    assert m.high_quality == 1.0
    assert math.isclose(m.reverse_kl, math.log(25), rel_tol=1e-9)
    assert m.counts[7] == N_SAMPLES


def test_blurry_samples_cover_modes_but_are_low_quality():
    r = ring()
    x = r.sample(N_SAMPLES, generator=torch.Generator().manual_seed(1))
    blurry = x + 0.3 * torch.randn_like(x)
    m = mode_metrics(blurry, r)
    assert m.modes_covered == 8
    assert m.high_quality < 0.2


def test_points_between_modes_count_for_nothing():
    r = ring()
    between = torch.zeros(100, 2)  # the centre of the ring is 2 away from every mode
    m = mode_metrics(between, r)
    assert m.modes_covered == 0 and m.high_quality == 0 and m.reverse_kl == math.inf


def test_reverse_kl_of_an_uneven_histogram():
    r = ring()
    x = torch.cat([r.means[0].expand(300, 2), r.means[1].expand(100, 2)])
    m = mode_metrics(x, r)
    q = torch.tensor([0.75, 0.25], dtype=torch.float64)
    assert math.isclose(m.reverse_kl, float((q * (8 * q).log()).sum()), rel_tol=1e-9)
    assert modes_covered(x, r.means, r.sigma) == m.modes_covered == 2


def test_nearest_mode_and_bad_shapes():
    index, distance = nearest_mode(torch.tensor([[2.1, 0.0], [0.0, -1.9]]), ring().means)
    assert index.tolist() == [0, 6]
    assert torch.allclose(distance, torch.tensor([0.1, 0.1]), atol=1e-6)
    with pytest.raises(ArgumentError, match=r"shape \(N, 2\)"):
        mode_metrics(torch.zeros(5, 3), ring())
