"""Checks for exercise 00 (``exercises/00_welcome.ipynb``)."""
from __future__ import annotations

import torch

from artlab.checks import Checker

__all__ = ["check_to_tanh_range", "check_from_tanh_range"]


def check_to_tanh_range(to_tanh_range) -> None:
    """``to_tanh_range(pixels)`` maps pixel values 0..255 linearly onto [-1, 1]."""
    with Checker("to_tanh_range", to_tanh_range) as c:
        ends = torch.tensor([0, 255], dtype=torch.uint8)
        out = c.call(ends)
        c.expect(isinstance(out, torch.Tensor) and out.is_floating_point(),
                 "returns a floating-point tensor", input=ends, expected="a float tensor",
                 got=out if isinstance(out, torch.Tensor) else type(out).__name__,
                 hint="convert with .float() before doing arithmetic; uint8 cannot hold -1.")
        c.expect(torch.allclose(out, torch.tensor([-1.0, 1.0])), "0 maps to -1 and 255 maps to 1",
                 input=ends, expected=torch.tensor([-1.0, 1.0]), got=out,
                 hint="divide by 255 to reach [0, 1], then stretch and shift: y = 2 * x - 1.")

        ramp = torch.arange(0, 256, 15, dtype=torch.uint8)
        out = c.call(ramp)
        steps = out[1:] - out[:-1]
        c.expect(torch.allclose(steps, torch.full_like(steps, 30 / 255), atol=1e-6),
                 "is linear: equal steps in, equal steps out", input=ramp,
                 expected=f"steps of 2*15/255 = {30 / 255:.4f}", got=steps,
                 hint="use one formula for every value, y = x / 127.5 - 1, with no rounding.")

        batch = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        out = c.call(batch)
        c.expect(tuple(out.shape) == tuple(batch.shape), "keeps the shape of a batch of images",
                 input=batch, expected=tuple(batch.shape), got=tuple(out.shape),
                 hint="work element by element; do not flatten or index.")
        c.expect(bool(out.min() >= -1.0) and bool(out.max() <= 1.0), "stays inside [-1, 1]",
                 input=batch, expected="every value in [-1, 1]", got=(out.min().item(), out.max().item()))


def check_from_tanh_range(from_tanh_range) -> None:
    """``from_tanh_range(x)`` maps [-1, 1] back to pixel values 0..255 (uint8), clamping."""
    with Checker("from_tanh_range", from_tanh_range) as c:
        ends = torch.tensor([-1.0, 1.0])
        out = c.call(ends)
        c.expect(isinstance(out, torch.Tensor) and out.dtype == torch.uint8,
                 "returns a uint8 tensor (what image files store)", input=ends, expected="dtype uint8",
                 got=out.dtype if isinstance(out, torch.Tensor) else type(out).__name__,
                 hint="finish with .round().to(torch.uint8).")
        c.expect(out.tolist() == [0, 255], "-1 maps to 0 and 1 maps to 255", input=ends,
                 expected=[0, 255], got=out, hint="undo to_tanh_range: pixels = (x + 1) * 127.5.")

        pixels = torch.arange(256, dtype=torch.uint8)
        recovered = c.call(pixels.float() / 127.5 - 1)
        wrong = (recovered.to(torch.int64) != pixels.to(torch.int64)).nonzero().flatten()
        c.expect(len(wrong) == 0, "undoes to_tanh_range exactly for every pixel value 0..255",
                 input="to_tanh_range(torch.arange(256))", expected="0, 1, ..., 255",
                 got=f"{len(wrong)} values off, first at pixel {wrong[:1].tolist()}",
                 hint="round to the nearest whole number before converting; .to(uint8) alone truncates.")

        outside = torch.tensor([-1.7, 1.3])
        out = c.call(outside)
        c.expect(out.tolist() == [0, 255], "clamps values outside [-1, 1] instead of wrapping around",
                 input=outside, expected=[0, 255], got=out,
                 hint="clamp to [0, 255] (or [-1, 1] first); uint8 wraps 256 to 0 and -1 to 255.")
