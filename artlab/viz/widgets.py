"""Interactive widgets (ipywidgets): a slider that replays training snapshots (lesson 02).

:func:`snapshot_slider` takes a list of snapshots and a function that draws one of
them; moving the slider shows the picture for that step. :func:`replay_toy` is the
slider for the 2-D toy GANs: generated points over the decision surface, step by step.

Each picture is rendered once to PNG and shown in an ``ipywidgets.Image`` (no ``Output``
widget), so the slider is quick to scrub and also works when a notebook is run
unattended (nbval, nbclient). The image is ``width`` CSS pixels wide on the page (not
stretched to the notebook's width) and its PNG has ``PIXEL_RATIO`` times as many pixels
across, so it stays sharp on high-density ("retina") screens and when the browser zooms.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from matplotlib.figure import Figure

from artlab.errors import ArgumentError

__all__ = ["snapshot_slider", "replay_toy", "render_png", "DISPLAY_WIDTH", "PIXEL_RATIO"]

DISPLAY_WIDTH = 560  # CSS pixels a replay picture takes on the page (about an inline figure's width)
PIXEL_RATIO = 2      # image pixels per CSS pixel: 2 is what high-density screens show


def render_png(draw: Callable, snapshot, figsize=(5.5, 4.5), width_px: int = DISPLAY_WIDTH * PIXEL_RATIO) -> bytes:
    """``draw(snapshot, ax)`` on a fresh figure, returned as a PNG exactly ``width_px`` pixels wide.

    The height follows ``figsize``'s aspect.
    """
    # A Figure of its own, never registered with pyplot: a slider's callback can run while the
    # kernel handles other widget messages, and the notebook's inline backend would otherwise
    # show (and close) this half-drawn figure. "constrained" fits the labels without changing the size.
    fig = Figure(figsize=figsize, layout="constrained")
    draw(snapshot, fig.subplots())
    buffer = io.BytesIO()
    # Agg truncates width x dpi to whole pixels; the half pixel keeps float error from losing one.
    fig.savefig(buffer, format="png", dpi=(width_px + 0.5) / figsize[0])
    return buffer.getvalue()


def snapshot_slider(snapshots: Sequence, draw: Callable, *, figsize=(5.5, 4.5), width: int = DISPLAY_WIDTH,
                    description: str = "snapshot"):
    """A slider over ``snapshots``; ``draw(snapshot, ax)`` draws one. Returns the widget to display.

    The picture is shown ``width`` CSS pixels wide, from a PNG ``PIXEL_RATIO`` times wider.
    """
    import ipywidgets as widgets

    if not snapshots:
        raise ArgumentError("snapshot_slider(snapshots)", expected="at least one snapshot", got="<an empty list>",
                            hint="Pass snapshot_steps in the TrainConfig, e.g. snapshot_steps=(0, 500, 1000).")
    if not isinstance(width, int) or width < 1:
        raise ArgumentError("snapshot_slider(width)", expected="a whole number of CSS pixels, at least 1",
                            got=repr(width), hint=f"Leave it out for {DISPLAY_WIDTH}, or pass e.g. width=400.")
    pictures: dict[int, bytes] = {}  # index -> PNG, rendered the first time it is shown

    def picture(index: int) -> bytes:
        if index not in pictures:
            pictures[index] = render_png(draw, snapshots[index], figsize, width_px=width * PIXEL_RATIO)
        return pictures[index]

    last = len(snapshots) - 1
    slider = widgets.IntSlider(value=last, min=0, max=last, step=1, description=description,
                               continuous_update=True)
    label = widgets.Label(f"step {snapshots[last].step}")
    image = widgets.Image(value=picture(last), format="png", layout=widgets.Layout(width=f"{width}px"))

    def show(change) -> None:
        index = change["new"]
        label.value = f"step {snapshots[index].step}"
        image.value = picture(index)

    slider.observe(show, names="value")
    return widgets.VBox([widgets.HBox([slider, label]), image])


def replay_toy(snapshots: Sequence, x_real=None, *, width: int = DISPLAY_WIDTH, **plot_options):
    """The replay slider for a toy GAN: each snapshot's points over its decision surface, ``width`` CSS px wide."""
    from artlab.viz.toy import plot_toy

    def draw(snapshot, ax) -> None:
        plot_toy(x_real, snapshot.x_fake, snapshot.extra.get("surface"), ax=ax,
                 title=f"step {snapshot.step}", **plot_options)

    return snapshot_slider(snapshots, draw, width=width)
