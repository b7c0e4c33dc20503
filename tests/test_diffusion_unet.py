"""The denoisers: shapes, conditioning on the step and the label, sizes, and errors."""
import pytest
import torch

from artlab.diffusion.unet import (MLPDenoiser, MLPDenoiserConfig, UNet, UNetConfig, count_parameters,
                                   timestep_embedding)
from artlab.errors import ArgumentError


def steps(*values):
    return torch.tensor(values, dtype=torch.long)


def test_timestep_embedding_is_sines_then_cosines_of_falling_frequencies():
    t = steps(0, 1, 7, 999)
    e = timestep_embedding(t, 8)  # (4, 8)
    assert e.shape == (4, 8)
    frequencies = 10_000.0 ** (-torch.arange(4) / 4)
    assert torch.allclose(e[:, :4], torch.sin(t[:, None] * frequencies), atol=1e-4)
    assert torch.allclose(e[:, 4:], torch.cos(t[:, None] * frequencies), atol=1e-4)
    assert torch.equal(e[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert len({tuple(row.tolist()) for row in timestep_embedding(torch.arange(1000), 32)}) == 1000  # all distinct


@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize("config", [UNetConfig(), UNetConfig(patch=2, channel_mults=(1, 1)),
                                    UNetConfig(channel_mults=(1, 2, 2), attention=False, blocks_per_level=2),
                                    UNetConfig(image_channels=3, base_channels=16, groups=4, num_classes=5)],
                         ids=["default", "patch 2", "three levels", "colour, 5 classes"])
def test_the_unet_maps_images_to_noise_of_the_same_shape(config, size):
    torch.manual_seed(0)
    model = UNet(config)
    x_t = torch.randn(3, config.image_channels, size, size)
    eps = model(x_t, steps(0, 10, 999))
    assert eps.shape == x_t.shape and torch.isfinite(eps).all()
    if config.num_classes:
        assert model(x_t, steps(0, 10, 999), steps(0, 4, 5)).shape == x_t.shape  # 5 = "no label"


def test_the_output_depends_on_the_step_and_on_the_label():
    torch.manual_seed(0)
    model = UNet(UNetConfig(patch=2, channel_mults=(1, 1), num_classes=10)).eval()
    x_t = torch.randn(4, 1, 16, 16)
    with torch.no_grad():
        base = model(x_t, steps(5, 5, 5, 5), steps(3, 3, 3, 3))
        other_step = model(x_t, steps(500, 5, 5, 5), steps(3, 3, 3, 3))
        other_label = model(x_t, steps(5, 5, 5, 5), steps(3, 7, 3, 3))
        unconditional = model(x_t, steps(5, 5, 5, 5), None)
        null = model(x_t, steps(5, 5, 5, 5), steps(10, 10, 10, 10))
    changed = lambda a, b: (a - b).abs().amax(dim=(1, 2, 3)) > 1e-4  # noqa: E731
    assert changed(base, other_step).tolist() == [True, False, False, False]  # each sample has its own step
    assert changed(base, other_label).tolist() == [False, True, False, False]
    assert changed(base, unconditional).all()
    assert torch.equal(unconditional, null)  # labels=None is the "no label" row


def test_the_mlp_denoiser_maps_points_and_depends_on_step_and_label():
    torch.manual_seed(0)
    model = MLPDenoiser(MLPDenoiserConfig(num_classes=3))
    x_t = torch.randn(3, 2)
    eps = model(x_t, steps(0, 1, 2), steps(0, 1, 2))
    assert eps.shape == (3, 2)
    assert not torch.allclose(eps, model(x_t, steps(50, 1, 2), steps(0, 1, 2)))
    assert not torch.allclose(eps, model(x_t, steps(0, 1, 2), steps(1, 1, 2)))
    assert torch.equal(model(x_t, steps(0, 1, 2)), model(x_t, steps(0, 1, 2), steps(3, 3, 3)))
    assert count_parameters(MLPDenoiser()) < 20_000


def test_the_same_seed_builds_the_same_network():
    torch.manual_seed(3)
    a = UNet(UNetConfig(num_classes=2))
    torch.manual_seed(3)
    b = UNet(UNetConfig(num_classes=2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_gradients_reach_every_weight():
    model = UNet(UNetConfig(patch=2, channel_mults=(1, 1), num_classes=3))
    model(torch.randn(2, 1, 16, 16), steps(3, 4), steps(0, 3)).pow(2).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


@pytest.mark.parametrize("call, message", [
    (lambda m: m(torch.randn(2, 3, 16, 16), steps(0, 1)), r"UNet\(x_t\): expected images \(B, 1, H, W\)"),
    (lambda m: m(torch.randn(2, 16, 16), steps(0, 1)), r"UNet\(x_t\): expected images"),
    (lambda m: m(torch.randn(2, 1, 15, 15), steps(0, 1)), r"UNet\(x_t\): expected H and W divisible by 2"),
    (lambda m: m(torch.randn(2, 1, 16, 16), steps(0, 1, 2)), r"UNet\(t\): expected a LongTensor of shape \(2,\)"),
    (lambda m: m(torch.randn(2, 1, 16, 16), torch.tensor([0.5, 1.0])), r"UNet\(t\)"),
    (lambda m: m(torch.randn(2, 1, 16, 16), steps(0, 1), steps(0, 11)), r"UNet\(labels\): expected classes 0..9"),
    (lambda m: m(torch.randn(2, 1, 16, 16), steps(0, 1), steps(0)), r"UNet\(labels\): expected a LongTensor"),
])
def test_bad_inputs_are_named(call, message):
    with pytest.raises(ArgumentError, match=message):
        call(UNet(UNetConfig(num_classes=10)))


def test_the_image_size_must_survive_every_halving():
    model = UNet(UNetConfig(patch=2, channel_mults=(1, 2, 2)))
    assert model(torch.randn(1, 1, 24, 24), steps(0)).shape == (1, 1, 24, 24)
    with pytest.raises(ArgumentError, match=r"UNet\(x_t\): expected H and W divisible by 8 \(patch 2, then halved "
                       r"2 times\), got <20x20 images>"):
        model(torch.randn(1, 1, 20, 20), steps(0))


def test_labels_for_an_unconditional_model_are_refused():
    with pytest.raises(ArgumentError, match=r"UNet\(labels\): expected None: this model was built with num_classes=0"):
        UNet()(torch.randn(2, 1, 16, 16), steps(0, 1), steps(0, 1))
    with pytest.raises(ArgumentError, match=r"MLPDenoiser\(labels\)"):
        MLPDenoiser()(torch.randn(2, 2), steps(0, 1), steps(0, 1))
    with pytest.raises(ArgumentError, match=r"MLPDenoiser\(x_t\): expected points \(B, 2\)"):
        MLPDenoiser()(torch.randn(2, 3), steps(0, 1))


@pytest.mark.parametrize("changes, what", [
    (dict(base_channels=0), "base_channels"), (dict(channel_mults=()), "channel_mults"),
    (dict(groups=5), "groups"), (dict(heads=3), "heads"), (dict(num_classes=-1), "num_classes"),
    (dict(dropout=1.0), "dropout"), (dict(patch=0), "patch"), (dict(embed_dim=33), "embed_dim"),
])
def test_bad_configs_are_named(changes, what):
    with pytest.raises(ArgumentError, match=rf"^UNetConfig\({what}\)"):
        UNetConfig(**changes)
    with pytest.raises(ArgumentError, match=r"^MLPDenoiserConfig\(hidden\)"):
        MLPDenoiserConfig(hidden=())
