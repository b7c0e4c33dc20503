import math

import pytest
import torch

from artlab.errors import ArgumentError
from artlab.gan.latent import interpolate, lerp, slerp


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_paths_start_and_end_at_the_endpoints(method):
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(100, generator=g), torch.randn(100, generator=g)
    path = interpolate(z0, z1, 7, method)
    assert path.shape == (7, 100)
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)


def test_slerp_keeps_the_norm_between_vectors_of_equal_norm_and_lerp_does_not():
    g = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(100, generator=g), torch.randn(100, generator=g)
    z1 = z1 / z1.norm() * z0.norm()
    assert torch.allclose(interpolate(z0, z1, 9).norm(dim=1), z0.norm().expand(9), rtol=1e-4)
    middle = lerp(z0, z1, 0.5).norm()
    assert middle < 0.8 * z0.norm()  # close to 1/sqrt(2) for nearly orthogonal vectors


def test_slerp_moves_at_constant_angular_speed():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert torch.allclose(slerp(z0, z1, 1 / 3), torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6)]))


def test_slerp_of_parallel_vectors_falls_back_to_lerp():
    z0 = torch.tensor([1.0, 2.0])
    assert torch.allclose(slerp(z0, 3 * z0, 0.5), 2 * z0)


def test_bad_arguments():
    z = torch.zeros(4)
    with pytest.raises(ArgumentError, match="'slerp' or 'lerp'"):
        interpolate(z, z, 3, "cubic")
    with pytest.raises(ArgumentError, match=">= 2"):
        interpolate(z, z, 1)
    with pytest.raises(ArgumentError, match="same shape"):
        interpolate(z, torch.zeros(5), 3)
