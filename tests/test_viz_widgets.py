import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from artlab.data.toy import ring  # noqa: E402
from artlab.errors import ArgumentError  # noqa: E402
from artlab.gan.train import Snapshot  # noqa: E402
from artlab.viz.widgets import PIXEL_RATIO, replay_toy, snapshot_slider  # noqa: E402


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_replay_slider_redraws_each_snapshot():
    snapshots = [Snapshot(step, torch.randn(10, 2), {"surface": torch.rand(5, 5)}) for step in (0, 5, 9)]
    widget = replay_toy(snapshots, ring().sample(10))
    slider, label = widget.children[0].children
    image = widget.children[1]
    assert (slider.min, slider.max, slider.value) == (0, 2, 2) and label.value == "step 9"
    assert bytes(image.value).startswith(b"\x89PNG")
    last = bytes(image.value)
    slider.value = 1
    assert label.value == "step 5" and bytes(image.value) != last
    slider.value = 2
    assert bytes(image.value) == last  # rendered once, then reused
    with pytest.raises(ArgumentError, match="at least one snapshot"):
        snapshot_slider([], lambda s, ax: None)
    plt.close("all")


@pytest.mark.parametrize("width", [300, 560, 777])
def test_the_replay_picture_has_pixel_ratio_pixels_per_css_pixel(width):
    snapshots = [Snapshot(step, torch.randn(10, 2), {"surface": torch.rand(5, 5)}) for step in (0, 9)]
    widget = replay_toy(snapshots, ring().sample(10), width=width)
    slider, image = widget.children[0].children[0], widget.children[1]
    assert image.layout.width == f"{width}px"  # shown at this width, not stretched to the notebook's
    for index in (1, 0):
        slider.value = index
        pixels_wide, pixels_high = png_size(bytes(image.value))
        assert pixels_wide == PIXEL_RATIO * width
        assert abs(pixels_high / pixels_wide - 4.5 / 5.5) < 2 / pixels_wide  # the figure's aspect, uncropped
    with pytest.raises(ArgumentError, match="whole number of CSS pixels"):
        replay_toy(snapshots, width=0)
    plt.close("all")
