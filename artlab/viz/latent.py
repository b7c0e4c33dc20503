"""A panel of latent sliders that repaints a generator's picture live (ipywidgets).

Each slider moves the noise vector z along one direction; the picture is repainted
on every change. The directions are, by default, the first few axes of z; pass your
own (for example the difference between the z of two paintings you like).
Lesson 03 uses it.
"""
from __future__ import annotations

import io
from typing import Callable

import torch

from artlab.errors import ArgumentError
from artlab.viz.images import image_grid

__all__ = ["LatentPanel", "latent_sliders"]


def _png(images: torch.Tensor, scale: int) -> bytes:
    from PIL import Image

    grid = image_grid(images, nrow=len(images), padding=0)
    grid = grid.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    array = (grid.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


class LatentPanel:
    """Sliders for ``z + Σ aᵢ dᵢ`` and the painting ``paint(z)`` they produce.

    ``paint`` maps a batch of latent vectors ``(1, D)`` to images ``(1, C, H, W)`` in
    [-1, 1] (for a conditional generator, close over the label). ``widget`` is the
    ipywidgets box to display; ``set(i, value)`` moves slider *i* from code.
    """

    def __init__(self, paint: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor,
                 directions: torch.Tensor | None = None, span: float = 3.0, scale: int = 12,
                 names: list[str] | None = None) -> None:
        import ipywidgets as widgets

        if z.dim() != 1:
            raise ArgumentError("latent_sliders(z)", expected="one latent vector (D,)", got=tuple(z.shape))
        if directions is None:
            directions = torch.eye(len(z))[:6]
        if directions.dim() != 2 or directions.shape[1] != len(z):
            raise ArgumentError("latent_sliders(directions)", expected=f"a (K, {len(z)}) tensor of directions",
                                got=tuple(directions.shape))
        self.paint, self.z, self.directions, self.scale = paint, z.clone(), directions, scale
        names = names or [f"z[{i}]" if d.count_nonzero() == 1 else f"direction {i}"
                          for i, d in enumerate(directions)]
        self.sliders = [widgets.FloatSlider(value=0.0, min=-span, max=span, step=0.1, description=name,
                                            continuous_update=True) for name in names]
        self.image = widgets.Image(format="png")
        for slider in self.sliders:
            slider.observe(lambda change: self.repaint(), names="value")
        self.widget = widgets.HBox([self.image, widgets.VBox(self.sliders)])
        self.repaint()

    def current(self) -> torch.Tensor:
        """The latent vector the sliders point at now, ``(D,)``."""
        amounts = torch.tensor([s.value for s in self.sliders], dtype=self.z.dtype)
        return self.z + amounts @ self.directions

    @torch.no_grad()
    def repaint(self) -> None:
        self.image.value = _png(self.paint(self.current()[None]), self.scale)

    def set(self, index: int, value: float) -> None:
        self.sliders[index].value = value

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def latent_sliders(paint: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor,
                   directions: torch.Tensor | None = None, **options) -> LatentPanel:
    """Build a :class:`LatentPanel`; display it by making it the last line of a cell."""
    return LatentPanel(paint, z, directions, **options)
