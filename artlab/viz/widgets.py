"""Interactive widgets (ipywidgets): a slider that replays training snapshots (lesson 02).

:func:`snapshot_slider` takes a list of snapshots and a function that draws one of
them; moving the slider redraws the picture for that step. :func:`replay_toy` is the
slider for the 2-D toy GANs: generated points over the decision surface, step by step.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt

from artlab.errors import ArgumentError

__all__ = ["snapshot_slider", "replay_toy"]


def snapshot_slider(snapshots: Sequence, draw: Callable, *, figsize=(5.5, 4.5), description: str = "snapshot"):
    """A slider over ``snapshots``; ``draw(snapshot, ax)`` draws one. Returns the widget to display."""
    import ipywidgets as widgets
    from IPython.display import display

    if not snapshots:
        raise ArgumentError("snapshot_slider(snapshots)", expected="at least one snapshot", got="<an empty list>",
                            hint="Pass snapshot_steps in the TrainConfig, e.g. snapshot_steps=(0, 500, 1000).")
    output = widgets.Output()
    slider = widgets.IntSlider(value=len(snapshots) - 1, min=0, max=len(snapshots) - 1, step=1,
                               description=description, continuous_update=False)
    label = widgets.Label()

    def show(index: int) -> None:
        snapshot = snapshots[index]
        label.value = f"step {snapshot.step}"
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=figsize)
            draw(snapshot, ax)
            display(fig)
            plt.close(fig)

    slider.observe(lambda change: show(change["new"]), names="value")
    show(slider.value)
    return widgets.VBox([widgets.HBox([slider, label]), output])


def replay_toy(snapshots: Sequence, x_real=None, **plot_options):
    """The replay slider for a toy GAN: each snapshot's points over its decision surface."""
    from artlab.viz.toy import plot_toy

    def draw(snapshot, ax) -> None:
        plot_toy(x_real, snapshot.x_fake, snapshot.extra.get("surface"), ax=ax,
                 title=f"step {snapshot.step}", **plot_options)

    return snapshot_slider(snapshots, draw)
