"""Checks for exercise 05 (``exercises/05_rnn_recurrences.ipynb``): recurrences by hand.

Each check compares the learner's function with ``torch.nn`` on random weights of awkward
shapes (I != H, so a missing transpose shows) and tests the properties the lesson names:
the gates of an LSTM by opening and closing them one at a time, the loop over time with a
step function whose answer is known, clipping by what it must keep and what it must change.
:func:`check_bptt_scalar` checks backpropagation through time derived by hand for a one-unit
RNN against autograd, step by step.
"""
from __future__ import annotations

import torch
from torch import nn

from artlab.checks import Checker

__all__ = ["check_rnn_step", "check_lstm_step", "check_unroll", "check_clip_grad_norm", "check_bptt_scalar"]

ATOL = 1e-5
RNN = "h_t = torch.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)"
LSTM = ("pre = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh; i, f, g, o = pre.chunk(4, dim=-1); "
        "c_t = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g); h_t = torch.sigmoid(o) * torch.tanh(c_t)")
UNROLL = "h = h0; hs = []; for x_t in xs: h = step(x_t, h); hs.append(h); return torch.stack(hs), h"
CLIP = ("total = torch.sqrt(sum((g ** 2).sum() for g in grads)); scale = min(1.0, max_norm / (total + 1e-6)); "
        "return [g * scale for g in grads]")


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _close(a, b, atol: float = ATOL) -> bool:
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.float(), b.float(), atol=atol))


def _max_diff(a, b) -> str:
    if not isinstance(a, torch.Tensor):
        return f"a {type(a).__name__}, not a tensor"
    if a.shape != b.shape:
        return f"shape {tuple(a.shape)} (expected {tuple(b.shape)})"
    return f"largest difference {(a.float() - b.float()).abs().max().item():.3g}"


def _torch_cell(kind, input_size: int, hidden_size: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return kind(input_size, hidden_size)


def _random_case(kind, seed: int, batch: int = 3, inputs: int = 4, hidden: int = 5):
    """A torch cell with random weights, a batch x (B, I) and a state h (B, H); I != H on purpose."""
    cell = _torch_cell(kind, inputs, hidden, seed=seed)
    x = torch.randn(batch, inputs, generator=_generator(seed + 1))
    h = torch.randn(batch, hidden, generator=_generator(seed + 2))
    return cell, x, h


def _weights(cell: nn.Module) -> tuple[torch.Tensor, ...]:
    return tuple(getattr(cell, name).detach() for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def check_rnn_step(rnn_step, *, hidden: bool = False) -> None:
    """``rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)`` = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh)."""
    with Checker("rnn_step", rnn_step, hidden=hidden) as c:
        if hidden:
            cell, x, h = _random_case(nn.RNNCell, seed=20, batch=7, inputs=2, hidden=9)
            out = c.call(x, h, *_weights(cell))
            with torch.no_grad():
                expected = cell(x, h)
            c.expect(_close(out, expected), "equals torch.nn.RNNCell for other sizes (B=7, I=2, H=9)",
                     input="random weights, B=7, I=2, H=9", expected=expected, got=_max_diff(out, expected),
                     hint="both weight matrices, both biases, one tanh; the shapes must work for any B, I, H.",
                     answer=RNN)
            return
        batch, inputs, hidden = 3, 4, 5
        cell, x, h = _random_case(nn.RNNCell, seed=0)
        out = c.call(x, h, *_weights(cell))
        c.expect(isinstance(out, torch.Tensor) and tuple(out.shape) == (batch, hidden),
                 "returns h_t of shape (B, H) for x_t (B, I) and h_prev (B, H)",
                 input=f"x_t {tuple(x.shape)}, h_prev {tuple(h.shape)}", expected=(batch, hidden),
                 got=tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__,
                 hint="x_t holds one row per sequence, so the matrix must act on each row: think of the transpose.",
                 answer="x_t @ W_ih.T has shape (B, H): " + RNN)

        moved = c.call(x, h + 1.0, *_weights(cell))
        c.expect(not _close(moved, out), "depends on h_prev (the memory)", input="h_prev + 1",
                 expected="a different h_t", got="the same h_t",
                 hint="the new state must mix in the previous state through its own weight matrix.",
                 answer="add h_prev @ W_hh.T inside the tanh: " + RNN)

        loud = torch.tensor([[-40.0] * inputs, [40.0] * inputs])
        ones, zeros = torch.ones(hidden, inputs), torch.zeros(hidden, hidden)
        squashed = c.call(loud, torch.zeros(2, hidden), ones, zeros, torch.zeros(hidden), torch.zeros(hidden))
        expected = torch.tensor([[-1.0] * hidden, [1.0] * hidden])
        c.expect(_close(squashed, expected, atol=1e-4), "squashes with tanh into (-1, 1)",
                 input="pre-activations -160 and +160", expected=expected, got=squashed,
                 hint="the nonlinearity must give -1 and 1 for huge inputs: sigmoid would give 0, ReLU 160.",
                 answer="use torch.tanh: " + RNN)

        with torch.no_grad():
            expected = cell(x, h)
        c.expect(_close(out, expected), "equals torch.nn.RNNCell with the same weights",
                 input=f"random weights, B={batch}, I={inputs}, H={hidden}", expected=expected,
                 got=_max_diff(out, expected),
                 hint="count the terms inside the tanh: two matrix products and two biases.",
                 answer=RNN)

        x1, h1 = x[0], h[0]
        single = c.call(x1, h1, *_weights(cell))
        with torch.no_grad():
            expected = cell(x1, h1)
        c.expect(_close(single, expected), "works on one unbatched step: x_t (I,), h_prev (H,)",
                 input=f"x_t {tuple(x1.shape)}, h_prev {tuple(h1.shape)}", expected=expected,
                 got=_max_diff(single, expected),
                 hint="write the products so that the same line works with and without a batch dimension.",
                 answer="x_t @ W_ih.T works for both (I,) and (B, I); W_ih @ x_t works only for (I,).")


def _lstm_weights(inputs: int, hidden: int, *, i: float, f: float, g: float, o: float):
    """Zero matrices and a bias that sets each gate's pre-activation (order i, f, g, o)."""
    bias = torch.cat([torch.full((hidden,), v) for v in (i, f, g, o)])
    return (torch.zeros(4 * hidden, inputs), torch.zeros(4 * hidden, hidden), bias, torch.zeros(4 * hidden))


def check_lstm_step(lstm_step, *, hidden: bool = False) -> None:
    """``lstm_step(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t)``, gates i, f, g, o."""
    with Checker("lstm_step", lstm_step, hidden=hidden) as c:
        if hidden:
            cell, x, h = _random_case(nn.LSTMCell, seed=21, batch=6, inputs=3, hidden=7)
            c_prev = torch.randn(6, 7, generator=_generator(22)) * 3
            with torch.no_grad():
                h_want, c_want = cell(x, (h, c_prev))
            out = c.call(x, h, c_prev, *_weights(cell))
            ok = isinstance(out, tuple) and len(out) == 2 and _close(out[0], h_want) and _close(out[1], c_want)
            c.expect(ok, "equals torch.nn.LSTMCell for other sizes (B=6, I=3, H=7)",
                     input="random weights, B=6, I=3, H=7", expected="(h_t, c_t) of nn.LSTMCell",
                     got=f"h: {_max_diff(out[0], h_want)}; c: {_max_diff(out[1], c_want)}" if ok is False and
                     isinstance(out, tuple) and len(out) == 2 else out,
                     hint="four gates from one pre-activation, split in the order i, f, g, o; sizes must be general.",
                     answer=LSTM)
            return
        batch, inputs, hidden = 3, 4, 5
        cell, x, h = _random_case(nn.LSTMCell, seed=3)
        c_prev = torch.randn(batch, hidden, generator=_generator(6)) * 2
        with torch.no_grad():
            h_want, c_want = cell(x, (h, c_prev))
        out = c.call(x, h, c_prev, *_weights(cell))
        c.expect(isinstance(out, tuple) and len(out) == 2
                 and all(isinstance(t, torch.Tensor) and tuple(t.shape) == (batch, hidden) for t in out),
                 "returns a pair (h_t, c_t), each of shape (B, H)", input=f"B={batch}, H={hidden}",
                 expected="(h_t, c_t)", got=out, hint="the step gives back two states, hidden first.",
                 answer="end with `return h_t, c_t`.")
        h_out, c_out = out

        x0, h0 = torch.randn(2, inputs, generator=_generator(7)), torch.zeros(2, hidden)
        c0 = torch.tensor([[3.0] * hidden, [-2.0] * hidden])
        keep = _lstm_weights(inputs, hidden, i=-30.0, f=30.0, g=0.0, o=30.0)
        _, c_kept = c.call(x0, h0, c0, *keep)
        c.expect(_close(c_kept, c0, atol=1e-4),
                 "a fully open forget gate and a closed input gate keep the cell: c_t = c_prev",
                 input="gates i = 0, f = 1 (through the biases, in the order i, f, g, o), c_prev = 3 and -2",
                 expected=c0[:, 0], got=c_kept[:, 0] if isinstance(c_kept, torch.Tensor) else c_kept,
                 hint="the four blocks of W_ih, W_hh and the biases are stacked i, f, g, o; the forget gate scales "
                      "the old cell, the input gate the new candidate.",
                 answer="c_t = f * c_prev + i * g, with no squashing of c_t: " + LSTM)

        write = _lstm_weights(inputs, hidden, i=30.0, f=-30.0, g=0.5, o=30.0)
        h_new, c_new = c.call(x0, h0, c0, *write)
        g_value = torch.tanh(torch.tensor(0.5))
        c.expect(_close(c_new, torch.full_like(c0, g_value.item()), atol=1e-4),
                 "a closed forget gate and an open input gate replace the cell by g = tanh(...)",
                 input="gates i = 1, f = 0, pre-activation of g = 0.5",
                 expected=f"c_t = tanh(0.5) = {g_value.item():.4f} everywhere",
                 got=c_new[:, 0] if isinstance(c_new, torch.Tensor) else c_new,
                 hint="one of the four blocks is a candidate value, not a gate: it uses another squashing function.",
                 answer="g = torch.tanh(g block); i, f and o use torch.sigmoid: " + LSTM)

        accumulate = _lstm_weights(inputs, hidden, i=30.0, f=30.0, g=30.0, o=30.0)
        h_acc, c_acc = c.call(x0, h0, c0, *accumulate)
        c.expect(_close(c_acc, c0 + 1, atol=1e-4) and _close(h_acc, torch.tanh(c0 + 1), atol=1e-4),
                 "the cell adds without squashing (c_t = c_prev + 1 may exceed 1), h_t = o * tanh(c_t)",
                 input="gates i = f = o = 1, g = 1, c_prev = 3 and -2",
                 expected="c_t = 4 and -1, h_t = tanh(4) and tanh(-1) = 0.9993 and -0.7616",
                 got=f"c_t = {c_acc[:, 0].tolist()}, h_t = {h_acc[:, 0].tolist()}",
                 hint="the cell state is never squashed itself; only what leaves the cell as h_t is.",
                 answer="c_t = f * c_prev + i * g; h_t = o * torch.tanh(c_t).")

        shut = _lstm_weights(inputs, hidden, i=30.0, f=30.0, g=30.0, o=-30.0)
        h_shut, _ = c.call(x0, h0, c0, *shut)
        c.expect(_close(h_shut, torch.zeros_like(h_shut), atol=1e-4),
                 "a closed output gate hides the cell: h_t = 0",
                 input="gate o = 0", expected="h_t = 0", got=h_shut[:, 0],
                 hint="the output gate multiplies what the cell shows; it is the last of the four blocks.",
                 answer="h_t = torch.sigmoid(o) * torch.tanh(c_t), o the fourth block of pre.chunk(4, dim=-1).")

        c.expect(_close(h_out, h_want) and _close(c_out, c_want),
                 "equals torch.nn.LSTMCell with the same weights",
                 input=f"random weights, B={batch}, I={inputs}, H={hidden}", expected=(h_want, c_want),
                 got=f"h: {_max_diff(h_out, h_want)}; c: {_max_diff(c_out, c_want)}",
                 hint="one pre-activation as in rnn_step, 4H wide, split into four equal blocks along the last dimension.",
                 answer=LSTM)


def check_unroll(unroll, *, hidden: bool = False) -> None:
    """``unroll(step, xs, h0) -> (hs, h_T)``: h_t = step(x_t, h_{t-1}); hs (T, B, H) stacks h_1..h_T."""
    with Checker("unroll", unroll, hidden=hidden) as c:
        if hidden:
            xs = torch.randn(9, 3, 2, generator=_generator(23))
            h0 = torch.randn(3, 2, generator=_generator(24))

            def decaying(x, h):
                return 0.5 * h - x

            want, h = [], h0
            for x_t in xs:
                h = decaying(x_t, h)
                want.append(h)
            out = c.call(decaying, xs, h0)
            ok = isinstance(out, tuple) and len(out) == 2 and _close(out[0], torch.stack(want)) and _close(out[1], h)
            c.expect(ok, "unrolls another step function over 9 steps in time order", input="h_t = 0.5 h_{t-1} - x_t, T=9",
                     expected="the states h_1..h_9 and h_9",
                     got=_max_diff(out[0], torch.stack(want)) if isinstance(out, tuple) and len(out) == 2 else out,
                     hint="one call of step per time step, each on the state the previous call returned.",
                     answer=UNROLL)
            return
        steps, batch, size = 4, 2, 3
        xs = torch.randn(steps, batch, size, generator=_generator(8))
        h0 = torch.randn(batch, size, generator=_generator(9))
        calls: list[int] = []

        def running_sum(x, h):
            calls.append(1)
            return h + x

        out = c.call(running_sum, xs, h0)
        c.expect(isinstance(out, tuple) and len(out) == 2, "returns a pair (hs, h_T)",
                 input="running sum, T=4", expected="(hs, h_T)", got=out,
                 hint="give back two things: every state, and the last one.",
                 answer="end with `return torch.stack(hs), h`.")
        hs, h_last = out
        expected = h0 + xs.cumsum(dim=0)
        c.expect(isinstance(hs, torch.Tensor) and tuple(hs.shape) == (steps, batch, size),
                 "stacks one h_t per time step, h_1..h_T, along dim 0: (T, B, H)",
                 input=f"xs of shape {tuple(xs.shape)}", expected=(steps, batch, size),
                 got=tuple(hs.shape) if isinstance(hs, torch.Tensor) else type(hs).__name__,
                 hint="collect one state per step, after the step, and join them along a new first dimension.",
                 answer="hs.append(h) after each step (not h0), then torch.stack(hs): " + UNROLL)
        c.expect(len(calls) == steps, "calls the step function once per time step",
                 input="T=4", expected=steps, got=len(calls), hint="iterate over the first dimension of xs, time.",
                 answer="loop `for x_t in xs:` and call step once inside: " + UNROLL)
        c.expect(_close(hs[0], h0 + xs[0]), "starts from h0: h_1 = step(x_1, h0)",
                 input="running sum h_t = h_{t-1} + x_t", expected=h0 + xs[0], got=hs[0],
                 hint="the first step starts from the state you were given.",
                 answer="h = h0 before the loop, not zeros: " + UNROLL)
        c.expect(_close(hs, expected),
                 "carries the state forward in time order: h_t = step(x_t, h_{t-1})",
                 input="running sum h_t = h_{t-1} + x_t", expected="h0 + cumulative sum of xs",
                 got=_max_diff(hs, expected),
                 hint="each step must see the state the step before it returned, going forward in time.",
                 answer=UNROLL)
        c.expect(_close(h_last, hs[-1]), "returns the last state h_T = hs[-1]", input="running sum",
                 expected=hs[-1], got=h_last, hint="the second thing returned is the state after the last step.",
                 answer="return torch.stack(hs), h with h the last step's output.")

        cell = _torch_cell(nn.RNNCell, size, 5, seed=10)
        layer = nn.RNN(size, 5)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(layer, name + "_l0").copy_(getattr(cell, name))
            want, want_last = layer(xs, torch.zeros(1, batch, 5))
            hs, h_last = c.call(cell, xs, torch.zeros(batch, 5))
        c.expect(_close(hs, want) and _close(h_last, want_last[0]),
                 "with torch.nn.RNNCell as step, equals torch.nn.RNN over the whole sequence",
                 input=f"xs {tuple(xs.shape)}, H=5", expected="nn.RNN's outputs",
                 got=_max_diff(hs, want), hint="mind the order of step's arguments: input first, then state.",
                 answer="the step is called as step(x_t, h): " + UNROLL)


def check_clip_grad_norm(clip_grad_norm, *, hidden: bool = False) -> None:
    """``clip_grad_norm(grads, max_norm)``: g <- g * min(1, max_norm / ‖g‖), ‖g‖ over all tensors."""
    with Checker("clip_grad_norm", clip_grad_norm, hidden=hidden) as c:
        if hidden:
            gen = _generator(25)
            for max_norm, scale in ((0.1, 3.0), (50.0, 1.0)):
                grads = [torch.randn(5, generator=gen) * scale, torch.randn(2, 3, 2, generator=gen) * scale]
                params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
                for p, g in zip(params, grads):
                    p.grad = g.clone()
                nn.utils.clip_grad_norm_(params, max_norm)
                out = c.call(grads, max_norm)
                ok = isinstance(out, (list, tuple)) and len(out) == 2 and all(_close(t, p.grad) for t, p in zip(out, params))
                c.expect(ok, f"equals torch.nn.utils.clip_grad_norm_ (max_norm={max_norm:g})",
                         input=f"a (5,) and a (2, 3, 2) tensor, max_norm={max_norm:g}", expected="torch's clipped gradients",
                         got=out, hint="one global norm over all tensors; scale only when it exceeds max_norm.",
                         answer=CLIP)
            return
        big = [torch.tensor([3.0, 4.0]), torch.tensor([[0.0, 12.0]])]  # total norm 13
        out = c.call(big, 1.0)
        c.expect(isinstance(out, (list, tuple)) and len(out) == 2
                 and all(isinstance(t, torch.Tensor) and t.shape == g.shape for t, g in zip(out, big)),
                 "returns one tensor per gradient, each of the same shape", input="two tensors",
                 expected="a list of 2 tensors shaped (2,) and (1, 2)", got=out,
                 hint="return a new list with one tensor per gradient, each the same shape as before.",
                 answer="return [g * scale for g in grads].")
        norm = torch.sqrt(sum((t.double() ** 2).sum() for t in out)).item()
        c.expect(abs(norm - 1.0) < 1e-4, "a gradient longer than max_norm comes out exactly max_norm long",
                 input="grads [3, 4] and [[0, 12]] (norm 13), max_norm=1", expected=1.0, got=round(norm, 6),
                 hint="the norm is taken over all tensors together, as if they were one long vector: here 13.",
                 answer="‖g‖ = torch.sqrt(sum((g ** 2).sum() for g in grads)); " + CLIP)
        ratios = torch.cat([(t / g)[g != 0] for t, g in zip(out, big)])
        c.expect(torch.allclose(ratios, ratios[0].expand_as(ratios), atol=1e-6),
                 "keeps the direction: every entry of every tensor is scaled by the same factor",
                 input="grads [3, 4] and [[0, 12]], max_norm=1", expected="all ratios 1/13",
                 got=ratios, hint="one factor for everything: not per tensor, and not entry by entry (no clamp).",
                 answer="scale = min(1.0, max_norm / total); return [g * scale for g in grads].")

        small = [torch.tensor([0.3, -0.4]), torch.tensor([[0.0, 0.1]])]
        out = c.call(small, 1.0)
        c.expect(all(_close(t, g, atol=1e-6) for t, g in zip(out, small)),
                 "leaves a gradient shorter than max_norm unchanged", input="grads of norm 0.51, max_norm=1",
                 expected=small, got=out, hint="clipping only ever shortens: a short gradient keeps its length.",
                 answer="scale = min(1.0, max_norm / ‖g‖), never above 1.")

        gen = _generator(11)
        grads = [torch.randn(4, 3, generator=gen) * 5, torch.randn(3, generator=gen), torch.randn(2, 2, generator=gen)]
        params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        nn.utils.clip_grad_norm_(params, 2.5)
        out = c.call(grads, 2.5)
        c.expect(all(_close(t, p.grad) for t, p in zip(out, params)),
                 "equals torch.nn.utils.clip_grad_norm_", input="three random tensors, max_norm=2.5",
                 expected="torch's clipped gradients", got=_max_diff(out[0], params[0].grad),
                 hint="PyTorch adds a tiny number to the norm before dividing.",
                 answer="scale = min(1.0, max_norm / (‖g‖ + 1e-6)): " + CLIP)


def _autograd_bptt(w: float, u: float, xs) -> tuple[float, list[float]]:
    """dh_T/dw for h_t = tanh(w h_{t-1} + u x_t), h_0 = 0, and each step's share of it, by autograd:
    every step gets its own copy of w, so the gradient of each copy is that step's contribution."""
    copies = [torch.tensor(float(w), dtype=torch.float64, requires_grad=True) for _ in xs]
    h = torch.zeros((), dtype=torch.float64)
    for w_t, x in zip(copies, xs):
        h = torch.tanh(w_t * h + u * float(x))
    grads = torch.autograd.grad(h, copies)
    shares = [float(g) for g in grads]
    return sum(shares), shares


def _pair(out):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        return None, None
    total, shares = out
    try:
        total = float(total)
        shares = [float(v) for v in shares]
    except (TypeError, ValueError):
        return None, None
    return total, shares


BPTT = ("forward: h = [0]; for x in xs: h.append(tanh(w * h[-1] + u * x)); backward: delta = 1 (dh_T/dh_T); "
        "for t = T ... 1: a = delta * (1 - h[t] ** 2); share[t] = a * h[t - 1]; delta = a * w; "
        "return sum(shares), shares")


def check_bptt_scalar(bptt_scalar, *, hidden: bool = False) -> None:
    """``bptt_scalar(w, u, xs)``: (dh_T/dw, each step's contribution to it) for the one-unit RNN
    h_t = tanh(w h_{t-1} + u x_t), h_0 = 0, computed by a backward pass written by hand."""
    with Checker("bptt_scalar", bptt_scalar, hidden=hidden) as c:
        if hidden:
            g = torch.Generator().manual_seed(17)
            for w, u, length in ((1.4, -0.7, 9), (-0.3, 2.0, 25), (0.9, 0.5, 60)):
                xs = torch.randn(length, generator=g, dtype=torch.float64).tolist()
                want, shares = _autograd_bptt(w, u, xs)
                total, got = _pair(c.call(w, u, xs))
                ok = total is not None and len(got) == length and abs(total - want) <= 1e-8 + 1e-6 * abs(want) and all(
                    abs(a - b) <= 1e-8 + 1e-6 * abs(b) for a, b in zip(got, shares))
                c.expect(ok, f"matches autograd for w = {w}, u = {u} over {length} random inputs",
                         input=f"bptt_scalar({w}, {u}, <{length} random inputs>)", expected=round(want, 8),
                         got=total, hint="the same backward loop for any weights and any length.", answer=BPTT)
            return
        xs = [1.0, 0.0, 0.0]
        want, shares = _autograd_bptt(0.5, 1.0, xs)
        out = c.call(0.5, 1.0, xs)
        total, got = _pair(out)
        c.expect(total is not None and len(got) == len(xs),
                 "returns (dh_T/dw, one contribution per time step)", input="bptt_scalar(0.5, 1.0, [1, 0, 0])",
                 expected="a number and a list of 3 numbers", got=out,
                 hint="return a pair: the total, and the list of each step's part of it, step 1 first.",
                 answer="return total, shares  (" + BPTT + ")")
        c.expect(abs(total - want) < 1e-9, "gives dh_3/dw for a note struck once, then silence",
                 input="w = 0.5, u = 1, xs = [1, 0, 0]", expected=round(want, 10), got=total,
                 hint="w is used at every step: the total is a sum over the steps of what each use of w contributes.",
                 answer=BPTT)
        c.expect(all(abs(a - b) < 1e-9 for a, b in zip(got, shares)),
                 "splits it correctly over the steps: each contribution is dh_T/dh_t * (1 - h_t^2) * h_{t-1}",
                 input="w = 0.5, u = 1, xs = [1, 0, 0]", expected=[round(v, 10) for v in shares],
                 got=[round(v, 10) for v in got],
                 hint="step t uses w once, multiplied by h_{t-1}; what reaches h_T from there passes through the "
                      "later steps, one factor (1 - h^2) w per step.", answer=BPTT)
        c.expect(abs(sum(got) - total) < 1e-9, "adds the contributions up to the total",
                 input="w = 0.5, u = 1, xs = [1, 0, 0]", expected=round(total, 10), got=round(sum(got), 10),
                 hint="the gradient of a weight shared over time is the sum over the times it is used.", answer=BPTT)
        g = torch.Generator().manual_seed(3)
        xs = torch.randn(30, generator=g, dtype=torch.float64).tolist()
        want, shares = _autograd_bptt(0.5, 1.0, xs)
        total, got = _pair(c.call(0.5, 1.0, xs))
        ok = total is not None and len(got) == 30 and all(abs(a - b) <= 1e-12 + 1e-6 * abs(b)
                                                          for a, b in zip(got, shares))
        c.expect(ok and abs(got[0]) < 1e-3 * max(abs(v) for v in got[-3:]),
                 "over 30 random inputs with |w| < 1, the earliest steps' contributions all but vanish",
                 input="w = 0.5, u = 1, 30 random inputs",
                 expected=f"autograd's shares, the first {abs(shares[0]):.1e}, the last {abs(shares[-1]):.1e}",
                 got=None if total is None else f"first {abs(got[0]):.1e}, last {abs(got[-1]):.1e}",
                 hint="each step back multiplies by (1 - h_t^2) w, which is below 1/2 in size here.", answer=BPTT)
