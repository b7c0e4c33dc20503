"""Checks for exercise 08 (``exercises/08_transformer_composer.ipynb``): the causal mask, attention, positions."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from artlab.checks import Checker

__all__ = ["check_causal_mask", "check_scaled_dot_product_attention", "check_positional_encoding"]


MASK = "i = torch.arange(T)[:, None]; j = torch.arange(T)[None, :]; return j <= i  (or torch.ones(T, T, dtype=torch.bool).tril())"
ATTENTION = ("scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]); "
             "if mask is not None: scores = scores.masked_fill(~mask, float('-inf')); "
             "return torch.softmax(scores, dim=-1) @ v")
PE = ("pos = torch.arange(T)[:, None]; angle = pos / 10000 ** (torch.arange(0, d, 2) / d); "
      "pe = torch.zeros(T, d); pe[:, 0::2] = torch.sin(angle); pe[:, 1::2] = torch.cos(angle); return pe")


def _is_tensor(x, shape) -> bool:
    return isinstance(x, torch.Tensor) and tuple(x.shape) == tuple(shape)


def _shape(x):
    return tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


def check_causal_mask(causal_mask, *, hidden: bool = False) -> None:
    """``causal_mask(T)``: (T, T) booleans, True where query i may attend to key j (j <= i)."""
    with Checker("causal_mask", causal_mask, hidden=hidden) as c:
        if hidden:
            for T in (2, 33):
                mask = c.call(T)
                want = torch.ones(T, T, dtype=torch.bool).tril()
                c.expect(_is_tensor(mask, (T, T)) and mask.dtype == torch.bool and torch.equal(mask, want),
                         f"is the lower triangle, diagonal included, for T = {T}", input=T,
                         expected="True where j <= i", got=mask.int() if isinstance(mask, torch.Tensor) else mask,
                         hint="compare each key position with each query position, for any T.", answer=MASK)
            return
        for T in (1, 4, 7):
            mask = c.call(T)
            c.expect(_is_tensor(mask, (T, T)), f"is a (T, T) tensor (T = {T})", input=T, expected=(T, T),
                     got=_shape(mask), hint="one row per query position, one column per key position.",
                     answer=MASK)
            c.expect(mask.dtype == torch.bool, f"holds booleans (T = {T})", input=T, expected="torch.bool",
                     got=mask.dtype, hint="a comparison of two index tensors gives booleans directly.",
                     answer="compare two index tensors (j <= i), or call .bool() on torch.tril: " + MASK)
            i = torch.arange(T)[:, None]
            j = torch.arange(T)[None, :]
            c.expect(bool(mask.diagonal().all()), f"every position may look at itself (T = {T})", input=T,
                     expected="True on the diagonal", got=mask.diagonal(),
                     hint="position t predicts token t + 1 from tokens 0..t, t itself included.",
                     answer="use j <= i, not j < i (torch.tril(..., diagonal=0)): " + MASK)
            c.expect(not bool(mask[j > i].any()), f"no position looks ahead (T = {T})", input=T,
                     expected="False above the diagonal (j > i)", got=mask.int(),
                     hint="rows are queries i, columns keys j: which triangle holds the future?",
                     answer="keep the lower triangle, not the upper one: " + MASK)
            c.expect(bool(mask[j <= i].all()), f"every position sees all of its past (T = {T})", input=T,
                     expected="True on and below the diagonal", got=mask.int(),
                     hint="nothing before position i should be hidden from it.", answer=MASK)
        torch.manual_seed(0)
        q, k, v = (torch.randn(2, 6, 4) for _ in range(3))
        mask = c.call(6)
        ours = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        c.expect(torch.allclose(ours, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6),
                 "works as PyTorch's attn_mask, like is_causal=True", input="q, k, v of shape (2, 6, 4)",
                 expected="the same output", got="a different output",
                 hint="PyTorch's boolean attn_mask means True = may attend.", answer=MASK)


def _reference(q, k, v, mask=None):
    return F.scaled_dot_product_attention(q.double(), k.double(), v.double(), attn_mask=mask).to(q.dtype)


def _unscaled(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def check_scaled_dot_product_attention(scaled_dot_product_attention, *, hidden: bool = False) -> None:
    """``scaled_dot_product_attention(q, k, v, mask=None)``: softmax(Q Kᵀ / √d + M) V."""
    with Checker("scaled_dot_product_attention", scaled_dot_product_attention, hidden=hidden) as c:
        if hidden:
            g = torch.Generator().manual_seed(13)
            q, k, v = torch.randn(3, 2, 4, 32, generator=g), torch.randn(3, 2, 11, 32, generator=g), \
                torch.randn(3, 2, 11, 5, generator=g)
            out = c.call(q, k, v)
            want = _reference(q, k, v)
            c.expect(_is_tensor(out, want.shape) and torch.allclose(out, want, atol=1e-5),
                     "equals softmax(Q Kᵀ / √d) V for 4 queries, 11 keys, d = 32, d_v = 5, 2 heads",
                     input="q (3, 2, 4, 32), k (3, 2, 11, 32), v (3, 2, 11, 5)", expected=want.flatten()[:6],
                     got=out.flatten()[:6] if isinstance(out, torch.Tensor) else out,
                     hint="scores between every query and every key, scaled by the query size, softmax over keys.",
                     answer=ATTENTION)
            mask = torch.rand(4, 11, generator=g) > 0.4
            mask[:, 0] = True  # every query sees at least one key
            out = c.call(q, k, v, mask)
            want = _reference(q, k, v, mask)
            c.expect(_is_tensor(out, want.shape) and torch.allclose(out, want, atol=1e-5),
                     "applies a mask that is not causal (random, every query sees key 0)",
                     input="q, k, v as above, a random (4, 11) boolean mask", expected=want.flatten()[:6],
                     got=out.flatten()[:6] if isinstance(out, torch.Tensor) else out,
                     hint="False in the mask means 'may not look', whatever the pattern.",
                     answer=ATTENTION)
            return
        g = torch.Generator().manual_seed(0)
        q, k = torch.randn(2, 5, 8, generator=g), torch.randn(2, 7, 8, generator=g)
        v = torch.randn(2, 7, 3, generator=g)
        out = c.call(q, k, v)
        c.expect(_is_tensor(out, (2, 5, 3)), "gives one value vector per query: (..., T_q, d_v)",
                 input="q (2, 5, 8), k (2, 7, 8), v (2, 7, 3)", expected=(2, 5, 3), got=_shape(out),
                 hint="the weights have one row per query and one column per key; apply them to the values.",
                 answer="scores = q @ k.transpose(-2, -1) has shape (..., T_q, T_k); multiply the weights by v: "
                        + ATTENTION)
        ones = c.call(q, k, torch.ones(2, 7, 1))
        c.expect(torch.allclose(ones, torch.ones(2, 5, 1), atol=1e-5),
                 "each query's weights sum to 1 over the keys (v = 1 gives 1)",
                 input="q (2, 5, 8), k (2, 7, 8), v = ones (2, 7, 1)", expected="all ones", got=ones.flatten(),
                 hint="each query's weights are a distribution over the keys.",
                 answer="take the softmax over the last dimension (the keys): torch.softmax(scores, dim=-1).")
        expected = _reference(q, k, v)
        c.expect(torch.allclose(out, expected, atol=1e-5), "equals softmax(Q Kᵀ / √d) V without a mask",
                 input="q (2, 5, 8), k (2, 7, 8), v (2, 7, 3)", expected=expected.flatten()[:6],
                 got=out.flatten()[:6],
                 hint="the scores are not scaled: the lesson divides them by a function of the query size."
                 if torch.allclose(out, _unscaled(q, k, v), atol=1e-5) else
                 "three steps: scaled scores, a softmax over the keys, a weighted sum of the values.",
                 answer="divide the scores by √d, d = q.shape[-1], not by d or by T: " + ATTENTION)
        T = 6
        q, k, v = (torch.randn(3, T, 4, generator=g) for _ in range(3))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        out = c.call(q, k, v, mask)
        expected = _reference(q, k, v, mask)
        c.expect(_is_tensor(out, (3, T, 4)), "keeps the shape with a mask", input="q, k, v (3, 6, 4), causal mask",
                 expected=(3, T, 4), got=_shape(out),
                 hint="the mask changes the weights, not the shapes.", answer=ATTENTION)
        loud = v.clone()
        loud[:, 3:] = 1e4                    # the future of positions 0..2, which they must not see
        got = c.call(q, k, loud, mask)
        c.expect(torch.allclose(got[:, :3], out[:, :3], atol=1e-4), "masked keys get exactly zero weight",
                 input="values of positions 3..5 set to 1e4", expected=out[0, :3], got=got[0, :3],
                 hint="the masked scores must become exactly zero weights after the softmax; a large negative "
                      "number is not exact.",
                 answer="set the scores where mask is False (True means 'may look') to -inf before the softmax: "
                        "scores.masked_fill(~mask, float('-inf')).")
        c.expect(torch.allclose(out[:, 0], v[:, 0], atol=1e-5),
                 "with the causal mask, the first position sees only itself", input="q, k, v (3, 6, 4), causal mask",
                 expected=v[0, 0], got=out[0, 0] if isinstance(out, torch.Tensor) else out,
                 hint="the order matters: mask, then normalise, so the allowed weights still sum to 1.",
                 answer="mask the scores before the softmax: " + ATTENTION)
        c.expect(torch.allclose(out, expected, atol=1e-5), "equals PyTorch's scaled_dot_product_attention with the mask",
                 input="q, k, v (3, 6, 4), causal mask", expected=expected.flatten()[:6], got=out.flatten()[:6],
                 hint="the mask has the shape of the scores' last two dimensions.",
                 answer="the mask applies to the scores (..., T_q, T_k), before the softmax: " + ATTENTION)
        heads = [torch.randn(2, 4, 9, 16, generator=g) for _ in range(3)]
        out = c.call(*heads, torch.ones(9, 9, dtype=torch.bool).tril())
        expected = _reference(*heads, torch.ones(9, 9, dtype=torch.bool).tril())
        c.expect(_is_tensor(out, (2, 4, 9, 16)) and torch.allclose(out, expected, atol=1e-5),
                 "works for batches of heads (B, h, T, d)", input="q, k, v (2, 4, 9, 16), causal mask",
                 expected=(2, 4, 9, 16), got=_shape(out),
                 hint="with batch and head dimensions in front, transpose only what the product needs.",
                 answer="transpose only the last two dimensions of k: k.transpose(-2, -1), not k.T.")


def _pe(T, d):
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    angle = pos / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.empty(T, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe


def check_positional_encoding(positional_encoding, *, hidden: bool = False) -> None:
    """``positional_encoding(T, d)``: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...)."""
    with Checker("positional_encoding", positional_encoding, hidden=hidden) as c:
        if hidden:
            for T, d in ((1, 2), (300, 128)):
                pe = c.call(T, d)
                want = _pe(T, d)
                c.expect(_is_tensor(pe, (T, d)) and torch.allclose(pe.double(), want, atol=1e-4),
                         f"follows the formula for T = {T}, d = {d}", input=(T, d), expected=want[-1, :6],
                         got=pe[-1, :6] if _is_tensor(pe, (T, d)) else _shape(pe),
                         hint="the same formula for any T and any even d.", answer=PE)
            return
        for T, d in ((10, 4), (50, 16), (7, 64)):
            pe = c.call(T, d)
            c.expect(_is_tensor(pe, (T, d)), f"is a (T, d) tensor (T = {T}, d = {d})", input=(T, d), expected=(T, d),
                     got=_shape(pe), hint="one row per position, one column per dimension.", answer=PE)
            pe = pe.double()
            row0 = torch.tensor([0.0, 1.0] * (d // 2), dtype=torch.float64)
            c.expect(torch.allclose(pe[0], row0, atol=1e-6), f"position 0 is (sin 0, cos 0, ...) = (0, 1, 0, 1, ...) (d = {d})",
                     input=(T, d), expected=row0[:8], got=pe[0, :8],
                     hint="sin and cos are swapped: which goes in the even columns?"
                     if torch.allclose(pe[0], 1 - row0, atol=1e-6) else "at pos = 0 every angle is 0.",
                     answer="sin goes in the even columns (pe[:, 0::2]) and cos in the odd ones (pe[:, 1::2]): " + PE)
            c.expect(torch.allclose(pe[:, 0], torch.sin(torch.arange(T, dtype=torch.float64)), atol=1e-5),
                     "column 0 is sin(pos): the shortest wavelength, 2π", input=(T, d),
                     expected=torch.sin(torch.arange(min(T, 6.0))), got=pe[:6, 0],
                     hint="the first pair has the fastest frequency: its divisor is 1.",
                     answer="the angle is pos / 10000^(2i/d) with i = 0 for the first pair: " + PE)
            expected = _pe(T, d)
            wrong_rate = pe.shape == expected.shape and torch.allclose(
                pe[:, 2], torch.sin(torch.arange(T, dtype=torch.float64) / 10000 ** (1 / d)), atol=1e-5)
            c.expect(torch.allclose(pe, expected, atol=1e-5), f"every entry follows the formula (T = {T}, d = {d})",
                     input=(T, d), expected=expected[min(3, T - 1), :6], got=pe[min(3, T - 1), :6],
                     hint="the exponent counts pairs of columns, not single columns." if wrong_rate else
                          "each pair of columns has its own frequency; positions go down the rows.",
                     answer="the pair i (columns 2i and 2i+1) uses 10000 ** (2 * i / d), i.e. torch.arange(0, d, 2) / d: "
                            + PE)
        pe = c.call(200, 32).double()
        c.expect(len({tuple(row.round(decimals=6).tolist()) for row in pe}) == 200,
                 "gives every position its own vector", input=(200, 32), expected="200 distinct rows",
                 got="some rows repeat", hint="positions that share a vector cannot be told apart: check the "
                 "frequencies.", answer=PE)
        c.expect(bool(torch.isfinite(pe).all()) and float(pe.abs().max()) <= 1 + 1e-6, "stays in [-1, 1]",
                 input=(200, 32), expected="|PE| <= 1", got=float(pe.abs().max()),
                 hint="every entry is a sine or a cosine, nothing more.", answer=PE)
        c.expect(math.isclose(float((pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2).mean()), 1.0, abs_tol=1e-5),
                 "each (sin, cos) pair lies on the unit circle", input=(200, 32), expected=1.0,
                 got=float((pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2).mean()),
                 hint="the two columns of a pair share one angle: one is its sine, the other its cosine.", answer=PE)
