"""Interactive widgets (ipywidgets): a slider that replays training snapshots (lesson 02).

:func:`snapshot_slider` takes a list of snapshots and a function that draws one of
them; moving the slider shows the picture for that step. :func:`replay_toy` is the
slider for the 2-D toy GANs: generated points over the decision surface, step by step.

Each picture is rendered once to PNG and shown in an ``ipywidgets.Image`` (no ``Output``
widget), so the slider is quick to scrub and also works when a notebook is run
unattended (nbval, nbclient).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt

from artlab.errors import ArgumentError

__all__ = ["snapshot_slider", "replay_toy", "render_png"]


def render_png(draw: Callable, snapshot, figsize=(5.5, 4.5), dpi: int = 80) -> bytes:
    """``draw(snapshot, ax)`` on a fresh figure, returned as PNG bytes (the figure is closed)."""
    fig, ax = plt.subplots(figsize=figsize)
    try:
        draw(snapshot, ax)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def snapshot_slider(snapshots: Sequence, draw: Callable, *, figsize=(5.5, 4.5), description: str = "snapshot"):
    """A slider over ``snapshots``; ``draw(snapshot, ax)`` draws one. Returns the widget to display."""
    import ipywidgets as widgets

    if not snapshots:
        raise ArgumentError("snapshot_slider(snapshots)", expected="at least one snapshot", got="<an empty list>",
                            hint="Pass snapshot_steps in the TrainConfig, e.g. snapshot_steps=(0, 500, 1000).")
    pictures: dict[int, bytes] = {}  # index -> PNG, rendered the first time it is shown

    def picture(index: int) -> bytes:
        if index not in pictures:
            pictures[index] = render_png(draw, snapshots[index], figsize)
        return pictures[index]

    last = len(snapshots) - 1
    slider = widgets.IntSlider(value=last, min=0, max=last, step=1, description=description,
                               continuous_update=True)
    label = widgets.Label(f"step {snapshots[last].step}")
    image = widgets.Image(value=picture(last), format="png")

    def show(change) -> None:
        index = change["new"]
        label.value = f"step {snapshots[index].step}"
        image.value = picture(index)

    slider.observe(show, names="value")
    return widgets.VBox([widgets.HBox([slider, label]), image])


def replay_toy(snapshots: Sequence, x_real=None, **plot_options):
    """The replay slider for a toy GAN: each snapshot's points over its decision surface."""
    from artlab.viz.toy import plot_toy

    def draw(snapshot, ax) -> None:
        plot_toy(x_real, snapshot.x_fake, snapshot.extra.get("surface"), ax=ax,
                 title=f"step {snapshot.step}", **plot_options)

    return snapshot_slider(snapshots, draw)
