import pytest
import torch
from PIL import Image

from artlab.errors import ArgumentError
from artlab.viz.images import image_grid, save_grid, save_painting, to_unit


def test_to_unit_maps_tanh_range_to_unit_range():
    assert torch.equal(to_unit(torch.tensor([-1.0, 0.0, 1.0, 3.0])), torch.tensor([0.0, 0.5, 1.0, 1.0]))


def test_grid_and_pngs_have_the_expected_pixels(tmp_path):
    images = torch.full((6, 1, 8, 8), -1.0)
    images[0] = 1.0
    grid = image_grid(images, nrow=3, padding=2)
    assert grid.shape == (3, 2 * 10 + 2, 3 * 10 + 2)
    path = save_grid(images, tmp_path / "grid.png", nrow=3, scale=2)
    png = Image.open(path)
    assert png.size == (2 * (3 * 10 + 2), 2 * (2 * 10 + 2))
    assert png.getpixel((2 * 2 + 1, 2 * 2 + 1))[:3] == (255, 255, 255)  # the white first image
    one = save_painting(images[1], tmp_path / "one.png", scale=4)
    assert Image.open(one).size == (32, 32) and Image.open(one).getpixel((0, 0))[:3] == (0, 0, 0)


def test_grids_refuse_what_is_not_a_batch_of_images():
    with pytest.raises(ArgumentError, match=r"\(N, C, H, W\)"):
        image_grid(torch.zeros(8, 8))
    with pytest.raises(ArgumentError, match=r"\(C, H, W\)"):
        save_painting(torch.zeros(2, 3, 8, 8), "x.png")
