"""Checks for exercise 00 (``exercises/00_welcome.ipynb``).

* :func:`check_to_tanh_range`, :func:`check_from_tanh_range`: pixels to [-1, 1] and back;
* :func:`check_steps_to_reach`: how many gradient-descent steps lesson 00's loop needs, derived
  on paper and compared with the loop run for real.
"""
from __future__ import annotations

import math

import torch

from artlab.checks import Checker

__all__ = ["check_to_tanh_range", "check_from_tanh_range", "check_steps_to_reach"]


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


def descent_steps(lr: float, tolerance: float, cap: int = 100_000) -> int | None:
    """Run lesson 00's loop (w = 0, loss (w - 3)^2, plain gradient descent) until |w - 3| <= tolerance;
    the number of steps taken, or None if it never gets there (diverges or needs more than ``cap``)."""
    w = 0.0
    for n in range(cap):
        if abs(w - 3.0) <= tolerance:
            return n
        w -= lr * 2 * (w - 3.0)
        if not math.isfinite(w) or abs(w) > 1e12:
            return None
    return None


STEPS_ANSWER = ("distance after n steps = 3 * |1 - 2 lr|**n, so: if tolerance >= 3: return 0; factor = abs(1 - 2 * lr); "
                "if factor == 0: return 1; if factor >= 1: return None; "
                "return math.ceil(math.log(tolerance / 3) / math.log(factor))")


def _whole(value) -> bool:
    """An int (numpy and 0-d integer tensors too), not a bool or a float."""
    import numbers

    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, torch.Tensor) and value.dim() == 0 and not value.is_floating_point()


def _steps_ok(got, want) -> bool:
    if want is None:
        return got is None
    return got is not None and _whole(got) and int(got) == want


def check_steps_to_reach(steps_to_reach, *, hidden: bool = False) -> None:
    """``steps_to_reach(lr, tolerance)``: the steps lesson 00's descent needs to bring w within ``tolerance``
    of 3 (None if it never does), compared with running the loop."""
    with Checker("steps_to_reach", steps_to_reach, hidden=hidden) as c:
        if hidden:
            cases = [(0.7, 1e-5), (0.25, 1e-6), (0.45, 1e-8), (0.6, 0.02), (2.0, 1.0), (0.3, 0.3), (0.02, 0.01)]
            for lr, tolerance in cases:
                want = descent_steps(lr, tolerance)
                got = c.call(lr, tolerance)
                c.expect(_steps_ok(got, want), f"matches the loop for lr = {lr}, tolerance = {tolerance}",
                         input=f"steps_to_reach({lr}, {tolerance})", expected=want, got=got,
                         hint="the same derivation for every learning rate: what does one step do to w - 3?",
                         answer=STEPS_ANSWER)
            return
        got = c.call(0.01, 0.1)
        c.expect(_whole(got), "returns a whole number of steps", input="steps_to_reach(0.01, 0.1)", expected="an int",
                 got=type(got).__name__, hint="a number of steps is a whole number: round up, then convert.",
                 answer="return math.ceil(...) gives an int; " + STEPS_ANSWER)
        c.expect(_steps_ok(got, 169), "matches lesson 00's loop: lr 0.01, within 0.1 of 3",
                 input="steps_to_reach(0.01, 0.1)", expected=descent_steps(0.01, 0.1), got=got,
                 hint="one step multiplies the distance w - 3 by the same number every time; after n steps it "
                      "has been multiplied n times. Solve for the first n that is small enough.",
                 answer=STEPS_ANSWER)
        got = c.call(0.9, 0.01)
        c.expect(_steps_ok(got, descent_steps(0.9, 0.01)),
                 "handles a learning rate above 1/2: w overshoots 3 and still converges",
                 input="steps_to_reach(0.9, 0.01)", expected=descent_steps(0.9, 0.01), got=got,
                 hint="above lr = 1/2 the factor is negative: w jumps past 3 each step; only its size matters.",
                 answer="use the size of the factor, abs(1 - 2 * lr); " + STEPS_ANSWER)
        got = c.call(0.5, 1e-9)
        c.expect(_steps_ok(got, 1), "needs one step at lr = 1/2, which lands exactly on 3",
                 input="steps_to_reach(0.5, 1e-9)", expected=1, got=got,
                 hint="at lr = 1/2 the factor is 0: log(0) is not a number, so treat it apart.",
                 answer="if abs(1 - 2 * lr) == 0: return 1 (when tolerance < 3).")
        for lr in (1.0, 1.3):
            got = c.call(lr, 0.1)
            c.expect(got is None, f"returns None when w never gets there (lr = {lr}: it bounces or diverges)",
                     input=f"steps_to_reach({lr}, 0.1)", expected=None, got=got,
                     hint="when one step does not shrink the distance, no number of steps will.",
                     answer="if abs(1 - 2 * lr) >= 1: return None")
        got = c.call(0.2, 5.0)
        c.expect(_steps_ok(got, 0), "needs no step when w = 0 is already within the tolerance",
                 input="steps_to_reach(0.2, 5.0)", expected=0, got=got,
                 hint="before any step the distance is 3.",
                 answer="if tolerance >= 3: return 0")
        sweep = [(lr, tol) for lr in (0.003, 0.04, 0.15, 0.35, 0.55, 0.8, 0.95) for tol in (0.5, 0.03, 2e-4)]
        wrong = []
        for lr, tol in sweep:
            got, want = c.call(lr, tol), descent_steps(lr, tol)
            factor = abs(1 - 2 * lr)
            exact = math.log(tol / 3) / math.log(factor)
            if abs(exact - round(exact)) > 1e-6 and not _steps_ok(got, want):
                wrong.append((lr, tol, want, got))
        c.expect(not wrong, f"matches the loop on {len(sweep)} more learning rates and tolerances",
                 input="lr in 0.003 ... 0.95, tolerance 0.5, 0.03, 2e-4",
                 expected="the loop's count every time",
                 got=f"{len(wrong)} off, first (lr, tolerance, loop, yours) = {wrong[:1]}",
                 hint="compare with the loop yourself: run lesson 00's cell with another lr and count.",
                 answer=STEPS_ANSWER)
