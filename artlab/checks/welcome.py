"""Checks for exercise 00 (``exercises/00_welcome.ipynb``)."""
from __future__ import annotations

import torch

from artlab.checks import Checker

__all__ = ["check_to_tanh_range", "check_from_tanh_range"]


def check_to_tanh_range(to_tanh_range, *, hidden: bool = False) -> None:
    """``to_tanh_range(pixels)`` maps pixel values 0..255 linearly onto [-1, 1]."""
    with Checker("to_tanh_range", to_tanh_range, hidden=hidden) as c:
        if hidden:
            batch = torch.randint(0, 256, (2, 5, 7), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
            out = c.call(batch)
            want = batch.float() / 127.5 - 1
            c.expect(isinstance(out, torch.Tensor) and out.shape == batch.shape and torch.allclose(out, want, atol=1e-6),
                     "maps every pixel of another batch by the same line", input=batch, expected=want, got=out,
                     hint="one formula for every value, no rounding, no clamping needed.",
                     answer="return pixels.float() / 127.5 - 1")
            wide = torch.arange(256)  # int64, as torch.arange gives
            out = c.call(wide)
            c.expect(isinstance(out, torch.Tensor) and torch.allclose(out, wide.float() / 127.5 - 1, atol=1e-6),
                     "works for pixels stored as int64, not only uint8", input="torch.arange(256) (int64)",
                     expected="-1 ... 1 in 256 equal steps", got=out,
                     hint="convert to float first; do not rely on the uint8 type.",
                     answer="return pixels.float() / 127.5 - 1")
            return
        ends = torch.tensor([0, 255], dtype=torch.uint8)
        out = c.call(ends)
        c.expect(isinstance(out, torch.Tensor) and out.is_floating_point(),
                 "returns a floating-point tensor", input=ends, expected="a float tensor",
                 got=out if isinstance(out, torch.Tensor) else type(out).__name__,
                 hint="uint8 cannot hold -1 or 0.5: change the type before the arithmetic.",
                 answer="convert with .float() before doing arithmetic: pixels.float() / 127.5 - 1.")
        c.expect(torch.allclose(out, torch.tensor([-1.0, 1.0])), "0 maps to -1 and 255 maps to 1",
                 input=ends, expected=torch.tensor([-1.0, 1.0]), got=out,
                 hint="first bring 0..255 to 0..1, then stretch that interval to length 2 and shift it.",
                 answer="divide by 255 to reach [0, 1], then y = 2 * x - 1; in one step y = pixels / 127.5 - 1.")

        ramp = torch.arange(0, 256, 15, dtype=torch.uint8)
        out = c.call(ramp)
        steps = out[1:] - out[:-1]
        c.expect(torch.allclose(steps, torch.full_like(steps, 30 / 255), atol=1e-6),
                 "is linear: equal steps in, equal steps out", input=ramp,
                 expected=f"steps of 2*15/255 = {30 / 255:.4f}", got=steps,
                 hint="a straight line: only multiply and add, the same for every value, no rounding.",
                 answer="y = x / 127.5 - 1 for every x.")

        batch = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        out = c.call(batch)
        c.expect(tuple(out.shape) == tuple(batch.shape), "keeps the shape of a batch of images",
                 input=batch, expected=tuple(batch.shape), got=tuple(out.shape),
                 hint="work element by element; do not flatten or index.",
                 answer="tensor arithmetic keeps the shape: return pixels.float() / 127.5 - 1.")
        c.expect(bool(out.min() >= -1.0) and bool(out.max() <= 1.0), "stays inside [-1, 1]",
                 input=batch, expected="every value in [-1, 1]", got=(out.min().item(), out.max().item()),
                 hint="the smallest pixel, 0, must land on -1 and the largest, 255, on 1.",
                 answer="y = pixels.float() / 127.5 - 1 maps 0 to -1 and 255 to 1.")


def check_from_tanh_range(from_tanh_range, *, hidden: bool = False) -> None:
    """``from_tanh_range(x)`` maps [-1, 1] back to pixel values 0..255 (uint8), clamping."""
    with Checker("from_tanh_range", from_tanh_range, hidden=hidden) as c:
        if hidden:
            x = torch.rand(3, 4, 4, generator=torch.Generator().manual_seed(2)) * 3 - 1.5
            out = c.call(x)
            want = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
            close = (isinstance(out, torch.Tensor) and out.shape == x.shape and out.dtype == torch.uint8
                     and bool(((out.int() - want.int()).abs() <= 1).all()))
            c.expect(close, "maps a batch of images in and beyond [-1, 1] to the nearest pixel values, clamped",
                     input=x, expected=want, got=out,
                     hint="undo to_tanh_range, clamp to the pixel range, round, then convert.",
                     answer="return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)")
            return
        ends = torch.tensor([-1.0, 1.0])
        out = c.call(ends)
        c.expect(isinstance(out, torch.Tensor) and out.dtype == torch.uint8,
                 "returns a uint8 tensor (what image files store)", input=ends, expected="dtype uint8",
                 got=out.dtype if isinstance(out, torch.Tensor) else type(out).__name__,
                 hint="the last step converts the type to the one image files store.",
                 answer="finish with .round().to(torch.uint8).")
        c.expect(out.tolist() == [0, 255], "-1 maps to 0 and 1 maps to 255", input=ends,
                 expected=[0, 255], got=out,
                 hint="run to_tanh_range's line backwards: undo the shift, then the scaling.",
                 answer="undo to_tanh_range: pixels = (x + 1) * 127.5.")

        pixels = torch.arange(256, dtype=torch.uint8)
        recovered = c.call(pixels.float() / 127.5 - 1)
        wrong = (recovered.to(torch.int64) != pixels.to(torch.int64)).nonzero().flatten()
        c.expect(len(wrong) == 0, "undoes to_tanh_range exactly for every pixel value 0..255",
                 input="to_tanh_range(torch.arange(256))", expected="0, 1, ..., 255",
                 got=f"{len(wrong)} values off, first at pixel {wrong[:1].tolist()}",
                 hint="floating point gives values such as 0.99999 for 1; converting to an integer type cuts "
                      "off the fraction.",
                 answer="round to the nearest whole number before converting: ((x + 1) * 127.5).round().to(torch.uint8).")

        outside = torch.tensor([-1.7, 1.3])
        out = c.call(outside)
        c.expect(out.tolist() == [0, 255], "clamps values outside [-1, 1] instead of wrapping around",
                 input=outside, expected=[0, 255], got=out,
                 hint="uint8 wraps 256 to 0 and -1 to 255: limit the values to the range first.",
                 answer="x.clamp(-1, 1) first (or clamp the pixels to [0, 255]), then (x + 1) * 127.5, round, convert.")
