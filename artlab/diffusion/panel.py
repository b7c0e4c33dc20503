"""A guidance-weight slider for a conditional diffusion painter (lesson 10), and its non-widget fallback.

* :func:`guidance_strip`: the same noise and digit painted at several guidance weights w, as one
  tensor (len(weights), n, C, H, W): what the slider shows, for a static figure or a test;
* :class:`GuidancePanel`: ipywidgets sliders for w and the digit that repaint the pictures;
  :meth:`GuidancePanel.set` moves them from code. Where ipywidgets is missing the notebook shows
  :func:`guidance_strip` instead.
"""
from __future__ import annotations

import io

import torch

from artlab.errors import ArgumentError, whole_number
from artlab.runtime import EVAL_SEED

__all__ = ["guidance_strip", "GuidancePanel"]


def _guided(painter, w: float, digit: int, n: int, seed: int) -> torch.Tensor:
    from artlab.painters import paint

    if not getattr(painter, "num_classes", 0) or not hasattr(painter, "with_sampler"):
        raise ArgumentError("guidance panel(painter)", expected="a conditional diffusion painter",
                            got=f"<a {type(painter).__name__}>", hint="Train DIGITS_CONDITIONAL in lesson 10.")
    whole_number(digit, "guidance panel(digit)", low=0, high=painter.num_classes - 1)
    return paint(painter.with_sampler(guidance=float(w)), n, digit, seed=seed)  # (n, C, H, W)


def guidance_strip(painter, weights=(0.0, 1.0, 3.0), digit: int = 0, n: int = 8, seed: int = EVAL_SEED) -> torch.Tensor:
    """``n`` paintings of ``digit`` from the same noise at each guidance weight: (len(weights), n, C, H, W)."""
    whole_number(n, "guidance_strip(n)", unit="paintings")
    return torch.stack([_guided(painter, w, digit, n, seed) for w in weights])


class GuidancePanel:
    """Sliders for the guidance weight w (starting at the painter's own unless ``guidance`` is given)
    and the digit; the pictures repaint from the same noise."""

    def __init__(self, painter, *, digit: int = 0, guidance: float | None = None, n: int = 8, seed: int = EVAL_SEED,
                 scale: int = 6, max_guidance: float = 6.0) -> None:
        import ipywidgets as w

        guidance = float(painter.guidance) if guidance is None else guidance
        self.painter, self.n, self.seed, self.scale = painter, n, seed, scale
        self.images = _guided(painter, guidance, digit, n, seed)
        self.guidance = w.FloatSlider(value=guidance, min=-1.0, max=max_guidance, step=0.5, description="guidance w",
                                      continuous_update=False)
        self.digit = w.IntSlider(value=digit, min=0, max=painter.num_classes - 1, description="digit",
                                 continuous_update=False)
        self.image = w.Image(value=self._png(), format="png")
        for slider in (self.guidance, self.digit):
            slider.observe(lambda _: self.repaint(), names="value")
        self.widget = w.VBox([w.HBox([self.guidance, self.digit]), self.image])

    def set(self, guidance: float | None = None, digit: int | None = None) -> torch.Tensor:
        """Move the sliders from code (the pictures repaint); returns the pictures."""
        if digit is not None:
            self.digit.value = digit
        if guidance is not None:
            self.guidance.value = guidance
        return self.images

    def repaint(self) -> None:
        self.images = _guided(self.painter, self.guidance.value, self.digit.value, self.n, self.seed)
        self.image.value = self._png()

    def _png(self) -> bytes:
        from PIL import Image

        from artlab.viz.images import image_grid

        grid = image_grid(self.images, nrow=self.n)  # (C, H, W) in [0, 1]
        pixels = (grid * 255).round().byte().permute(1, 2, 0).numpy()
        picture = Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels)
        picture = picture.resize((picture.width * self.scale, picture.height * self.scale), Image.NEAREST)
        buffer = io.BytesIO()
        picture.save(buffer, format="png")
        return buffer.getvalue()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
