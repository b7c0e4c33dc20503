import pytest
import torch

from artlab.errors import ArgumentError
from artlab.gan.models import (DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator,
                               image_gan, toy_gan)


def test_toy_gan_maps_noise_to_points_and_points_to_logits():
    g_config, d_config = toy_gan(latent_dim=3)
    g, d = MLPGenerator(g_config), MLPDiscriminator(d_config)
    x = g(torch.randn(7, 3))
    assert x.shape == (7, 2) and g.latent_dim == 3
    assert d(x).shape == (7,)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 16, 16), (3, 32, 32), (28, 28)])
def test_classic_image_gan_works_on_any_image_size(shape):
    g_config, d_config = image_gan(shape)
    g, d = MLPGenerator(g_config), MLPDiscriminator(d_config)
    images = g(torch.randn(4, 100))
    assert images.shape == (4, *shape)
    assert images.abs().max() <= 1  # tanh
    assert d(images).shape == (4,)
    widths = [m.out_features for m in g.net if isinstance(m, torch.nn.Linear)]
    assert widths[:3] == [256, 512, 1024]
    widths = [m.out_features for m in d.net if isinstance(m, torch.nn.Linear)]
    assert widths == [1024, 512, 256, 1]
    assert any(isinstance(m, torch.nn.Dropout) for m in d.net)
    assert all(m.negative_slope == 0.2 for m in d.net if isinstance(m, torch.nn.LeakyReLU))


def test_dropout_is_active_in_training_and_off_in_eval():
    d = MLPDiscriminator(image_gan((1, 8, 8))[1])
    x = torch.randn(4, 1, 8, 8)
    torch.manual_seed(0)
    a, b = d(x), d(x)
    assert not torch.equal(a, b)
    d.eval()
    assert torch.equal(d(x), d(x))


def test_packing_judges_groups_of_samples():
    d = MLPDiscriminator(DiscriminatorConfig(pack=4))
    x = torch.randn(8, 2)
    assert d(x).shape == (2,)
    first = d.net[0]
    assert first.in_features == 8
    shuffled_within_group = x.clone()
    shuffled_within_group[[0, 1]] = x[[1, 0]]
    assert not torch.allclose(d(x), d(shuffled_within_group))  # D sees which sample is where
    with pytest.raises(ArgumentError, match="divisible by pack"):
        d(torch.randn(6, 2))


def test_configs_reject_nonsense():
    with pytest.raises(ArgumentError):
        GeneratorConfig(latent_dim=0)
    with pytest.raises(ArgumentError):
        GeneratorConfig(out_activation="sigmoid")
    with pytest.raises(ArgumentError):
        DiscriminatorConfig(dropout=1.0)
    with pytest.raises(ArgumentError):
        DiscriminatorConfig(pack=0)
