import pytest
import torch

from artlab.errors import ArgumentError
from artlab.gan.augment import translate


def test_translate_shifts_each_image_by_its_own_offset_within_the_bound():
    images = torch.zeros(200, 1, 9, 9)
    images[:, :, 4, 4] = 1  # one bright pixel in the middle
    shifted = translate(images, 2, torch.Generator().manual_seed(0))
    where = shifted[:, 0].flatten(1).argmax(1)
    rows, cols = where // 9 - 4, where % 9 - 4
    assert rows.abs().max() == 2 and cols.abs().max() == 2  # every offset in [-2, 2] ...
    assert len(set(zip(rows.tolist(), cols.tolist()))) == 25  # ... and all 25 of them occur
    assert torch.equal(shifted.sum((1, 2, 3)), torch.ones(200))  # nothing is lost or doubled


def test_translate_repeats_the_edges_keeps_shape_and_passes_gradients():
    images = torch.arange(16.0).view(1, 1, 4, 4).repeat(8, 3, 1, 1).requires_grad_(True)
    shifted = translate(images, 1, torch.Generator().manual_seed(1))
    assert shifted.shape == images.shape
    assert set(shifted.detach().unique().tolist()) <= set(range(16))  # edge pixels repeated, no new values
    shifted.sum().backward()
    assert images.grad.sum() == shifted.numel()
    assert translate(images, 0) is images


def test_translate_refuses_a_negative_shift():
    with pytest.raises(ArgumentError, match="pixels"):
        translate(torch.zeros(1, 1, 4, 4), -1)
