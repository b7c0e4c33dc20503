"""Lesson 10's painter: the painter contract, its sampler settings, and the registry round trip."""
import pytest
import torch

from artlab.diffusion.painter import DiffusionPainter, DiffusionPainterConfig
from artlab.diffusion.recipes import DIGITS, for_images, train_diffusion_painter
from artlab.diffusion.unet import UNetConfig
from artlab.errors import ArgumentError
from artlab.painters import Painter, PaintRequest, load_painter, paint, score_digits
from artlab.registry import PAINTERS

TINY = UNetConfig(base_channels=8, channel_mults=(1,), attention=False, groups=4, embed_dim=16)


def tiny(num_classes=0, **changes):
    torch.manual_seed(0)
    config = DiffusionPainterConfig(denoiser=UNetConfig(**{**TINY.__dict__, "num_classes": num_classes}),
                                    image_size=8, T=20, sample_steps=5, **changes)
    return DiffusionPainter(config).eval()


def test_it_keeps_the_painter_contract():
    painter = tiny()
    assert isinstance(painter, Painter) and painter.latent_dim == 64 and painter.num_classes == 0
    z = torch.randn(3, 64)
    for sampler in ("ddim", "ddpm"):
        images = painter.with_sampler(sampler)(z)
        assert images.shape == (3, 1, 8, 8) and images.min() >= -1 and images.max() <= 1
    with pytest.raises(ArgumentError, match="no labels"):
        painter(z, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ArgumentError, match=r"noise \(B, 64\)"):
        painter(torch.randn(3, 10))
    conditional = tiny(num_classes=3)
    assert conditional(z, torch.tensor([0, 1, 2])).shape == (3, 1, 8, 8)
    with pytest.raises(ArgumentError, match="one label per image"):
        conditional(z)
    with pytest.raises(ArgumentError, match=r"labels in 0\.\.2"):
        conditional(z, torch.tensor([0, 1, 3]))


@pytest.mark.parametrize("settings", [dict(sampler="ddim"), dict(sampler="ddim", eta=1.0), dict(sampler="ddpm")],
                         ids=str)
def test_the_same_z_paints_the_same_picture_whatever_else_is_in_the_batch(settings):
    painter = tiny().with_sampler(**settings)
    z = torch.randn(4, 64)
    once, again = painter(z), painter(z)
    assert torch.equal(once, again)
    alone = painter(z[2:3])
    assert torch.allclose(alone, once[2:3], atol=1e-5)
    assert not torch.allclose(once[0], once[1])  # different z, different pictures


def test_ddpm_noise_follows_z_and_the_samplers_differ():
    painter = tiny()
    z = torch.randn(2, 64)
    ddpm, ddim = painter.with_sampler("ddpm")(z), painter(z)
    assert not torch.allclose(ddpm, ddim)
    other = painter.with_sampler("ddpm")(z + 1e-3)  # another z, other noise along the way
    assert not torch.allclose(ddpm, other, atol=1e-2)


def test_with_sampler_shares_the_weights_and_checks_its_settings():
    painter = tiny(num_classes=2)
    fast = painter.with_sampler("ddim", sample_steps=2, guidance=2.0)
    assert fast.denoiser is painter.denoiser and (fast.sample_steps, fast.guidance) == (2, 2.0)
    assert (painter.sample_steps, painter.guidance) == (5, 0.0)  # the original is unchanged
    z, labels = torch.randn(2, 64), torch.tensor([0, 1])
    assert not torch.allclose(fast(z, labels), painter.with_sampler(sample_steps=2)(z, labels))  # guidance acts
    with pytest.raises(ArgumentError, match="sample_steps"):
        painter.with_sampler(sample_steps=0)
    with pytest.raises(ArgumentError, match=r"sample_steps.*from 1 to 20"):
        painter.with_sampler(sample_steps=21)
    with pytest.raises(ArgumentError, match="sampler"):
        painter.with_sampler("euler")
    with pytest.raises(ArgumentError, match="guidance needs a conditional painter"):
        tiny().with_sampler(guidance=1.0)
    with pytest.raises(ArgumentError, match="eta"):
        painter.with_sampler(eta=-1.0)


def test_a_checkpoint_round_trips_through_the_registry(tmp_path):
    from artlab.data.images import digits
    from artlab.workflow import load

    assert "diffusion" in PAINTERS and PAINTERS["diffusion"].recipe is train_diffusion_painter
    images = digits(16)
    path = tmp_path / "painter.pt"
    request = PaintRequest(checkpoint=path, steps=3, seed=1, conditional=True, options=(("sample_steps", 4),))
    result = train_diffusion_painter(images, request)
    assert result.steps == 3 and path.is_file()
    painter = load_painter(path)
    assert isinstance(painter, DiffusionPainter) and painter.num_classes == 10 and painter.sample_steps == 4
    trained = result.models["model_ema"].eval()
    assert torch.equal(paint(painter, 4, 7), paint(trained, 4, 7))
    assert load(path, "painter").name == "diffusion"
    score = score_digits(painter.with_sampler(sample_steps=2), n=20, draws=1)
    assert score.accuracy is not None and 0 <= score.accuracy <= 1
    with pytest.raises(ArgumentError, match="--clusters"):
        train_diffusion_painter(images, PaintRequest(checkpoint=tmp_path / "x.pt", steps=1, clusters=5))
    with pytest.raises(ArgumentError, match="diffusion options"):
        train_diffusion_painter(images, PaintRequest(checkpoint=tmp_path / "x.pt", steps=1, options=(("temp", 1),)))


def test_for_images_fits_channels_and_classes():
    from artlab.data.images import ImageSet

    colour = ImageSet(torch.zeros(4, 3, 32, 32), torch.tensor([0, 1, 2, 0]), "colour")
    assert for_images(colour).painter_config(32).image_shape == (3, 32, 32)
    assert for_images(colour, conditional=True).model.num_classes == 3
    assert for_images(colour, steps=7).steps == 7 and DIGITS.steps != 7


def test_the_guidance_panel_repaints_what_the_strip_shows():
    from artlab.diffusion.panel import GuidancePanel, guidance_strip

    painter = tiny(num_classes=3)
    strip = guidance_strip(painter, weights=(0.0, 2.0), digit=1, n=3)
    assert strip.shape == (2, 3, 1, 8, 8) and not torch.allclose(strip[0], strip[1])
    panel = GuidancePanel(painter, digit=1, guidance=0.0, n=3)
    assert torch.equal(panel.images, strip[0])
    before = panel.image.value
    assert torch.equal(panel.set(guidance=2.0), strip[1]) and panel.image.value != before
    assert panel.set(digit=2).shape == (3, 1, 8, 8) and not torch.equal(panel.images, strip[1])
    with pytest.raises(ArgumentError, match="a conditional diffusion painter"):
        guidance_strip(tiny())
    with pytest.raises(ArgumentError, match="digit"):
        guidance_strip(painter, digit=3)
