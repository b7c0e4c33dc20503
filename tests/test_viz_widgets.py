import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from artlab.data.toy import ring  # noqa: E402
from artlab.errors import ArgumentError  # noqa: E402
from artlab.gan.train import Snapshot
from artlab.viz.widgets import replay_toy, snapshot_slider  # noqa: E402


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
