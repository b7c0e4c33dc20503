import pytest
import torch

from artlab.errors import ArgumentError
from artlab.viz.latent import latent_sliders


def paint(z):  # a "generator": brightness from z[0], redness from z[1]
    image = torch.zeros(len(z), 3, 4, 4)
    image[:, :] = torch.tanh(z[:, 0]).view(-1, 1, 1, 1)
    image[:, 0] = torch.tanh(z[:, 1]).view(-1, 1, 1)
    return image


def test_moving_a_slider_moves_z_and_repaints():
    panel = latent_sliders(paint, torch.zeros(8), scale=2)
    assert len(panel.sliders) == 6
    before = panel.image.value
    panel.set(1, 2.0)
    assert torch.equal(panel.current(), torch.tensor([0, 2.0, 0, 0, 0, 0, 0, 0]))
    assert panel.image.value != before and panel.image.value[:4] == b"\x89PNG"


def test_custom_directions_and_errors():
    direction = torch.ones(1, 8) / 8
    panel = latent_sliders(paint, torch.zeros(8), direction, names=["all"])
    panel.set(0, 1.0)
    assert torch.allclose(panel.current(), torch.full((8,), 1 / 8))
    with pytest.raises(ArgumentError, match=r"\(K, 8\)"):
        latent_sliders(paint, torch.zeros(8), torch.ones(2, 7))
    with pytest.raises(ArgumentError, match=r"\(D,\)"):
        latent_sliders(paint, torch.zeros(2, 8))
