import numpy as np
import pytest
import torch
from PIL import Image

from artlab.data.images import PALETTE, digits, image_folder, mondrian, style_rule
from artlab.errors import ArgumentError, DataError


def test_digits_are_scaled_split_and_stratified():
    train, test, everything = digits(16, "train"), digits(16, "test"), digits(16, "all")
    assert train.images.shape == (1437, 1, 16, 16) and test.images.shape == (360, 1, 16, 16)
    assert len(everything) == 1797
    assert train.images.min() == -1 and train.images.max() == 1
    assert torch.bincount(test.labels).min() >= 35  # every digit in the test set
    assert digits(32, "test").images.shape == (360, 1, 32, 32)
    assert torch.equal(digits(16, "test").images, test.images)  # the split is fixed


def test_digits_refuse_unknown_sizes_and_splits():
    with pytest.raises(ArgumentError, match="power of two"):
        digits(20)
    with pytest.raises(ArgumentError, match="'train', 'test' or 'all'"):
        digits(16, "valid")


def test_mondrian_paintings_are_deterministic_and_obey_their_rule():
    a, b, c = mondrian(40, 32, seed=3), mondrian(40, 32, seed=3), mondrian(40, 32, seed=4)
    assert a.images.shape == (40, 3, 32, 32) and a.images.min() >= -1 and a.images.max() <= 1
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    report = style_rule(a.images)
    assert report.obeys == 1.0 and report.palette_fidelity == 1.0
    assert style_rule(mondrian(8, 16, seed=0).images).obeys == 1.0


def test_the_style_rule_rejects_noise_blur_and_off_palette_colours():
    paintings = mondrian(32, 32, seed=1).images
    generator = torch.Generator().manual_seed(0)
    assert style_rule(torch.rand(32, 3, 32, 32, generator=generator) * 2 - 1).obeys == 0.0
    noisy = (paintings + 0.4 * torch.randn(paintings.shape, generator=generator)).clamp(-1, 1)
    assert style_rule(noisy).obeys < 0.2
    blurred = torch.nn.functional.avg_pool2d(paintings, 5, 1, 2)
    assert style_rule(blurred).obeys < 0.2
    green = paintings.clone()
    green[:, :, 4:28, 4:28] = torch.tensor([-1.0, 1.0, -1.0]).view(1, 3, 1, 1)
    report = style_rule(green)
    assert report.palette_fidelity < 0.5 and report.obeys == 0.0


def test_without_full_length_lines_a_painting_does_not_obey():
    flat = PALETTE[0].view(1, 3, 1, 1).expand(4, 3, 32, 32) * 2 - 1
    report = style_rule(flat)
    assert report.palette_fidelity == 1.0 and report.has_lines == 0.0 and report.obeys == 0.0


def _write_png(path, colour, size=(40, 30)):
    Image.new("RGB", size, colour).save(path)


def test_image_folder_loads_crops_resizes_and_scales(tmp_path):
    _write_png(tmp_path / "red.png", (255, 0, 0))
    _write_png(tmp_path / "grey.JPG", (128, 128, 128), size=(30, 60))
    (tmp_path / ".DS_Store").write_bytes(b"\0junk")
    images = image_folder(tmp_path, size=16)
    assert images.images.shape == (2, 3, 16, 16) and images.labels is None
    grey, red = images.images  # sorted by name: grey.JPG, red.png
    assert torch.allclose(red[:, 5, 5], torch.tensor([1.0, -1.0, -1.0]), atol=0.02)
    assert torch.allclose(grey, torch.full_like(grey, 128 / 255 * 2 - 1), atol=0.03)
    assert image_folder(tmp_path, size=16, channels=1).images.shape == (2, 1, 16, 16)


@pytest.mark.parametrize("setup,message", [
    (lambda d: None, "empty folder"),
    (lambda d: (d / "notes.txt").write_text("hello"), r"notes.txt: expected an image"),
    (lambda d: (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really"), r"broken.png: expected a readable"),
])
def test_image_folder_errors_name_the_folder_or_file(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(DataError, match=message):
        image_folder(tmp_path)


def test_image_folder_refuses_a_missing_folder_and_bad_arguments(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        image_folder(tmp_path / "missing")
    with pytest.raises(ArgumentError, match="channels"):
        image_folder(tmp_path, channels=4)


def test_kmeans_finds_separate_groups_and_repeats_itself():
    from artlab.data.images import kmeans
    g = torch.Generator().manual_seed(0)
    points = torch.cat([torch.randn(50, 2, generator=g) * 0.1 + centre for centre in (torch.tensor([0.0, 0.0]),
                        torch.tensor([5.0, 5.0]), torch.tensor([-5.0, 5.0]))])
    labels, centres = kmeans(points, 3, seed=1)
    assert centres.shape == (3, 2)
    assert all(len(set(labels[i * 50:(i + 1) * 50].tolist())) == 1 for i in range(3))  # one cluster per group
    assert len(set(labels.tolist())) == 3
    assert torch.equal(kmeans(points, 3, seed=1)[0], labels)
    with pytest.raises(ArgumentError, match="clusters"):
        kmeans(points, 0)


def test_clustered_digits_mostly_hold_one_digit_each():
    from artlab.data.images import clustered
    train = digits(16, "train")
    groups = clustered(train, 30)
    assert torch.equal(groups.images, train.images) and groups.labels.max() < 30 and "30 k-means clusters" in groups.name
    purity = sum(torch.bincount(train.labels[groups.labels == j], minlength=10).max().item() for j in range(30))
    assert purity / len(train) > 0.85  # no labels were used, yet most clusters are one digit
