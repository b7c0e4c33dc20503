import math

import pytest
import torch

from artlab.data.toy import GaussianMixture, grid, ring, two_modes_1d
from artlab.errors import ArgumentError


def test_ring_and_grid_have_the_pacgan_layout():
    r = ring()
    assert r.n_modes == 8 and r.sigma == 0.02
    assert torch.allclose(r.means.norm(dim=1), torch.full((8,), 2.0), atol=1e-6)
    g = grid()
    assert g.n_modes == 25 and g.sigma == 0.05
    assert sorted(set(g.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(m) for m in g.means.tolist()}) == 25


@pytest.mark.parametrize("mixture", [ring(), grid(), two_modes_1d()], ids=lambda m: m.name)
def test_density_integrates_to_one(mixture):
    if mixture.dim == 1:
        x = torch.linspace(-6, 6, 20_001)
        dx = float(x[1] - x[0])
        total = mixture.density(x).sum() * dx
    else:
        axis = torch.linspace(-5, 5, 1001)
        dx = float(axis[1] - axis[0])
        ys, xs = torch.meshgrid(axis, axis, indexing="ij")
        total = mixture.density(torch.stack([xs.flatten(), ys.flatten()], 1)).sum() * dx * dx
    assert abs(float(total) - 1) < 2e-3


def test_density_at_a_mode_matches_the_formula():
    m = two_modes_1d(sigma=0.5)
    p = m.density(torch.tensor([-2.0]))
    expected = 0.5 / math.sqrt(2 * math.pi * 0.25) * (1 + math.exp(-16 / 0.5))
    assert torch.allclose(p, torch.tensor([expected]), rtol=1e-5)


def test_samples_sit_near_the_modes_with_the_right_spread():
    g = grid()
    x = g.sample(20_000, generator=torch.Generator().manual_seed(0))
    d, index = torch.cdist(x, g.means).min(1)
    assert (d < 5 * g.sigma).all()
    counts = torch.bincount(index, minlength=25).float()
    assert counts.min() > 0.8 * counts.mean()
    spread = (x - g.means[index]).std()
    assert abs(float(spread) - g.sigma) < 0.003


def test_sampling_is_repeatable_with_a_generator():
    a = ring().sample(10, generator=torch.Generator().manual_seed(3))
    b = ring().sample(10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_bad_input_is_explained():
    with pytest.raises(ArgumentError, match="sigma"):
        GaussianMixture(torch.zeros(2, 2), 0.0)
    with pytest.raises(ArgumentError, match=r"shape \(N, 2\)"):
        ring().density(torch.zeros(3, 3))
    with pytest.raises(ArgumentError, match="whole number"):
        ring().sample(-1)
