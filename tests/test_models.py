import dataclasses

import pytest
import torch

from artlab.errors import ArgumentError
from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator, image_gan, toy_gan


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


# --- DCGAN ------------------------------------------------------------------------------------

import itertools  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from artlab.gan.dcgan import (DCGANDiscriminator, DCGANDiscriminatorConfig, DCGANGenerator, DCGANGeneratorConfig,
                              conv_output_size, conv_transpose_output_size, dcgan, dcgan_init)
from artlab.painters.gan import build_discriminator
from artlab.registry import PAINTERS


@pytest.mark.parametrize("size, channels, num_classes, upsample, kernel, norm",
                         [(s, c, k, u, kern, n) for s, c, k in itertools.product((8, 16, 32), (1, 3), (0, 10))
                          for u, kern, n in (("transposed", 4, "batch"), ("transposed", 3, "layer"), ("resize", 4, "none"))])
def test_dcgan_shapes_for_every_config(size, channels, num_classes, upsample, kernel, norm):
    g_config, d_config = dcgan((channels, size, size), latent_dim=12, width=8, num_classes=num_classes,
                               norm=norm, upsample=upsample, kernel=kernel)
    g, d = DCGANGenerator(g_config), DCGANDiscriminator(d_config)
    labels = torch.arange(5) % 10 if num_classes else None
    images = g(torch.randn(5, 12), labels)
    assert images.shape == (5, channels, size, size) and g.latent_dim == 12
    assert images.abs().max() <= 1  # tanh
    assert d(images, labels).shape == (5,)


def test_dcgan_has_the_published_layout_at_16x16():
    g, d = DCGANGenerator(), DCGANDiscriminator()
    transposed = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in transposed] == [
        (100, 128, (4, 4), (1, 1)), (128, 64, (4, 4), (2, 2)), (64, 1, (4, 4), (2, 2))]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules()) == 2  # not on the output
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.stride) for m in convs] == [(1, 64, (2, 2)), (64, 128, (2, 2)), (128, 1, (1, 1))]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules()) == 1  # not on the input layer
    assert all(m.negative_slope == 0.2 for m in d.modules() if isinstance(m, torch.nn.LeakyReLU))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2))
def test_conv_transpose_output_size_matches_pytorch(size, kernel, stride, padding, output_padding):
    if output_padding >= stride or padding >= kernel or conv_transpose_output_size(size, kernel, stride, padding, output_padding) < 1:
        return
    layer = torch.nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding=output_padding)
    out = layer(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == conv_transpose_output_size(size, kernel, stride, padding, output_padding)
    # and a convolution with the same settings undoes the size (when it divides evenly)
    if output_padding == 0:
        assert conv_output_size(out.shape[-1], kernel, stride, padding) == size


def test_dcgan_init_sets_the_published_statistics():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(64, 128, 4), torch.nn.BatchNorm2d(4096), torch.nn.ConvTranspose2d(128, 64, 4),
                                torch.nn.Linear(3, 3))
    linear_before = model[3].weight.detach().clone()
    model.apply(dcgan_init)
    for conv in (model[0], model[2]):
        assert abs(conv.weight.mean().item()) < 1e-3 and abs(conv.weight.std().item() - 0.02) < 1e-3
        assert torch.equal(conv.bias, torch.zeros_like(conv.bias))
    assert abs(model[1].weight.mean().item() - 1) < 2e-3 and abs(model[1].weight.std().item() - 0.02) < 2e-3
    assert torch.equal(model[1].bias, torch.zeros(4096))
    assert torch.equal(model[3].weight, linear_before)  # other layers keep their defaults


def test_a_conditional_generator_paints_by_label_and_a_conditional_discriminator_judges_by_label():
    torch.manual_seed(0)
    g_config, d_config = dcgan((1, 16, 16), width=8, num_classes=10)
    g, d = DCGANGenerator(g_config).eval(), DCGANDiscriminator(d_config).eval()
    z = torch.randn(1, 100).repeat(2, 1)
    images = g(z, torch.tensor([3, 7]))
    assert not torch.allclose(images[0], images[1])  # same z, different digit asked for
    x = images[:1].repeat(2, 1, 1, 1)
    logits = d(x, torch.tensor([3, 7]))
    assert not torch.isclose(logits[0], logits[1])  # same image, judged against different labels
    with pytest.raises(ArgumentError, match="one label per image"):
        g(z)
    with pytest.raises(ArgumentError, match=r"labels in 0\.\.9"):
        g(z, torch.tensor([3, 10]))
    with pytest.raises(ArgumentError, match="unconditional"):
        DCGANGenerator(DCGANGeneratorConfig(width=8))(z, torch.tensor([1, 2]))


def test_the_discriminator_translates_its_inputs_only_in_training():
    d = DCGANDiscriminator(DCGANDiscriminatorConfig(width=8, translate=2))
    x = torch.randn(16, 1, 16, 16)
    d.eval()
    assert torch.equal(d(x), d(x))
    d.train()
    torch.manual_seed(0)
    a = d(x)
    torch.manual_seed(1)
    assert not torch.allclose(a, d(x))


def test_the_registry_rebuilds_a_painter_from_its_name_and_saved_config():
    g = DCGANGenerator(DCGANGeneratorConfig(width=8, num_classes=10))
    assert PAINTERS.name_of(g.config) == "dcgan"
    again = PAINTERS["dcgan"].build(dataclasses.asdict(g.config))
    again.load_state_dict(g.state_dict())
    assert again.config == g.config
    assert isinstance(PAINTERS.build(image_gan((1, 8, 8))[0]), MLPGenerator)
    assert isinstance(build_discriminator(DCGANDiscriminatorConfig()), DCGANDiscriminator)
    with pytest.raises(ArgumentError, match="one of"):
        PAINTERS["stylegan"]
    with pytest.raises(ArgumentError, match="fields of DCGANGeneratorConfig"):
        PAINTERS["dcgan"].build({"width": 8, "depth": 3})


def test_dcgan_configs_reject_nonsense():
    for bad in (dict(image_size=20), dict(channels=2), dict(upsample="bilinear"), dict(kernel=5), dict(width=0),
                dict(num_classes=-1)):
        with pytest.raises(ArgumentError):
            DCGANGeneratorConfig(**bad)
    for bad in (dict(norm="instance"), dict(translate=8), dict(translate=-1)):
        with pytest.raises(ArgumentError):
            DCGANDiscriminatorConfig(**bad)
    with pytest.raises(ArgumentError, match="size, size"):
        dcgan((16, 16))


def test_minibatch_std_shows_the_discriminator_how_varied_a_batch_is():
    from artlab.gan.dcgan import minibatch_std
    copies = torch.randn(1, 4, 2, 2).repeat(5, 1, 1, 1)
    varied = torch.randn(5, 4, 2, 2)
    assert minibatch_std(copies).shape == (5, 5, 2, 2)
    assert torch.all(minibatch_std(copies)[:, -1] == 0)
    assert torch.all(minibatch_std(varied)[:, -1] > 0.3)
    d = DCGANDiscriminator(DCGANDiscriminatorConfig(width=8, minibatch_std=True))
    assert d(torch.randn(3, 1, 16, 16)).shape == (3,)


def test_a_projection_only_discriminator_takes_no_label_maps():
    from artlab.gan.dcgan import dcgan
    _, with_maps = dcgan((1, 16, 16), width=8, num_classes=30)
    _, projection = dcgan((1, 16, 16), width=8, num_classes=30, label_maps=False)
    assert DCGANDiscriminator(with_maps).body[0].in_channels == 31
    d = DCGANDiscriminator(projection)
    assert d.body[0].in_channels == 1
    labels = torch.tensor([0, 29, 3])
    assert d(torch.randn(3, 1, 16, 16), labels).shape == (3,)


def test_a_cluster_painter_picks_clusters_by_their_shares_and_keeps_the_noise_normal():
    from artlab.painters import ClusterPainter

    class Echo(torch.nn.Module):  # "paints" (z_0, cluster) so the test sees what the generator got
        latent_dim, num_classes = 4, 3

        def forward(self, z, labels):
            return torch.stack([z[:, 0], labels.float()], dim=1)

    painter = ClusterPainter(Echo(), [0.5, 0.25, 0.25])
    z = torch.randn(40_000, 4, generator=torch.Generator().manual_seed(0))
    out = painter(z)
    shares = torch.bincount(out[:, 1].long(), minlength=3).float() / len(z)
    assert torch.allclose(shares, torch.tensor([0.5, 0.25, 0.25]), atol=0.01)
    for cluster in range(3):  # within every cluster the generator still sees z_0 ~ N(0, 1)
        z0 = out[out[:, 1] == cluster, 0]
        assert abs(z0.mean()) < 0.05 and abs(z0.std() - 1) < 0.05
    assert torch.equal(painter(z[:5]), out[:5])  # the same noise, the same picture
    assert torch.equal(out[:, 1].long(), painter.cluster(z))
    with pytest.raises(ArgumentError, match="share"):
        ClusterPainter(Echo(), [0.5, 0.5])  # two shares for three clusters
    with pytest.raises(ArgumentError, match="unconditional"):
        painter(z[:2], torch.tensor([0, 1]))


def test_the_memoriser_paints_training_images_each_equally_often():
    from artlab.painters import Memoriser, paint

    images = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 2, 2).clone()  # image i is filled with i
    memoriser = Memoriser(images, latent_dim=3)
    z = torch.randn(40_000, 3, generator=torch.Generator().manual_seed(0))
    out = memoriser(z)
    assert out.shape == (40_000, 1, 2, 2)
    shares = torch.bincount(out[:, 0, 0, 0].long(), minlength=4).float() / len(z)
    assert torch.allclose(shares, torch.full((4,), 0.25), atol=0.01)  # a random draw, every image alike
    assert torch.equal(memoriser(z[:7]), out[:7])  # the same noise, the same pictures
    assert set(out.unique().tolist()) == {0.0, 1.0, 2.0, 3.0}  # nothing but training images
    assert torch.equal(paint(memoriser, 5, seed=1), paint(memoriser, 5, seed=1))  # no weights needed
    with pytest.raises(ArgumentError, match="images"):
        Memoriser(torch.zeros(4, 2, 2))
    with pytest.raises(ArgumentError, match="unconditional"):
        memoriser(z[:2], torch.tensor([0, 1]))
