"""Checks for exercise 08 (``exercises/08_transformer_composer.ipynb``): the causal mask, attention, positions."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from artlab.checks import Checker

__all__ = ["check_causal_mask", "check_scaled_dot_product_attention", "check_positional_encoding"]


def _is_tensor(x, shape) -> bool:
    return isinstance(x, torch.Tensor) and tuple(x.shape) == tuple(shape)


def _shape(x):
    return tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


def check_causal_mask(causal_mask) -> None:
    """``causal_mask(T)``: (T, T) booleans, True where query i may attend to key j (j <= i)."""
    with Checker("causal_mask", causal_mask) as c:
        for T in (1, 4, 7):
            mask = c.call(T)
            c.expect(_is_tensor(mask, (T, T)), f"is a (T, T) tensor (T = {T})", input=T, expected=(T, T),
                     got=_shape(mask), hint="one row per query position, one column per key position.")
            c.expect(mask.dtype == torch.bool, f"holds booleans (T = {T})", input=T, expected="torch.bool",
                     got=mask.dtype, hint="compare two index tensors (j <= i), or call .bool() on torch.tril.")
            i = torch.arange(T)[:, None]
            j = torch.arange(T)[None, :]
            c.expect(bool(mask.diagonal().all()), f"every position may look at itself (T = {T})", input=T,
                     expected="True on the diagonal", got=mask.diagonal(),
                     hint="position t predicts token t + 1 from tokens 0..t, t included: use j <= i, "
                          "not j < i (torch.tril(..., diagonal=0)).")
            c.expect(not bool(mask[j > i].any()), f"no position looks ahead (T = {T})", input=T,
                     expected="False above the diagonal (j > i)", got=mask.int(),
                     hint="rows are queries i, columns keys j: keep the lower triangle, not the upper one.")
            c.expect(bool(mask[j <= i].all()), f"every position sees all of its past (T = {T})", input=T,
                     expected="True on and below the diagonal", got=mask.int(),
                     hint="nothing before position i should be hidden from it.")
        torch.manual_seed(0)
        q, k, v = (torch.randn(2, 6, 4) for _ in range(3))
        mask = c.call(6)
        ours = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        c.expect(torch.allclose(ours, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6),
                 "works as PyTorch's attn_mask, like is_causal=True", input="q, k, v of shape (2, 6, 4)",
                 expected="the same output", got="a different output")


def _reference(q, k, v, mask=None):
    return F.scaled_dot_product_attention(q.double(), k.double(), v.double(), attn_mask=mask).to(q.dtype)


def _unscaled(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def check_scaled_dot_product_attention(scaled_dot_product_attention) -> None:
    """``scaled_dot_product_attention(q, k, v, mask=None)``: softmax(Q Kᵀ / √d + M) V."""
    with Checker("scaled_dot_product_attention", scaled_dot_product_attention) as c:
        g = torch.Generator().manual_seed(0)
        q, k = torch.randn(2, 5, 8, generator=g), torch.randn(2, 7, 8, generator=g)
        v = torch.randn(2, 7, 3, generator=g)
        out = c.call(q, k, v)
        c.expect(_is_tensor(out, (2, 5, 3)), "gives one value vector per query: (..., T_q, d_v)",
                 input="q (2, 5, 8), k (2, 7, 8), v (2, 7, 3)", expected=(2, 5, 3), got=_shape(out),
                 hint="scores = q @ k.transpose(-2, -1) has shape (..., T_q, T_k); multiply the weights by v.")
        ones = c.call(q, k, torch.ones(2, 7, 1))
        c.expect(torch.allclose(ones, torch.ones(2, 5, 1), atol=1e-5),
                 "each query's weights sum to 1 over the keys (v = 1 gives 1)",
                 input="q (2, 5, 8), k (2, 7, 8), v = ones (2, 7, 1)", expected="all ones", got=ones.flatten(),
                 hint="take the softmax over the last dimension (the keys): torch.softmax(scores, dim=-1).")
        expected = _reference(q, k, v)
        c.expect(torch.allclose(out, expected, atol=1e-5), "equals softmax(Q Kᵀ / √d) V without a mask",
                 input="q (2, 5, 8), k (2, 7, 8), v (2, 7, 3)", expected=expected.flatten()[:6],
                 got=out.flatten()[:6],
                 hint="divide the scores by √d, d = q.shape[-1] (the size of a query), not by d or by T."
                 if torch.allclose(out, _unscaled(q, k, v), atol=1e-5) else
                 "scores = q @ k.transpose(-2, -1) / math.sqrt(d); weights = softmax(scores, -1); weights @ v.")
        T = 6
        q, k, v = (torch.randn(3, T, 4, generator=g) for _ in range(3))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        out = c.call(q, k, v, mask)
        expected = _reference(q, k, v, mask)
        c.expect(_is_tensor(out, (3, T, 4)), "keeps the shape with a mask", input="q, k, v (3, 6, 4), causal mask",
                 expected=(3, T, 4), got=_shape(out))
        loud = v.clone()
        loud[:, 3:] = 1e4                    # the future of positions 0..2, which they must not see
        got = c.call(q, k, loud, mask)
        c.expect(torch.allclose(got[:, :3], out[:, :3], atol=1e-4), "masked keys get exactly zero weight",
                 input="values of positions 3..5 set to 1e4", expected=out[0, :3], got=got[0, :3],
                 hint="set the scores where mask is False (True means 'may look') to -inf before the softmax: "
                      "scores.masked_fill(~mask, float('-inf')). A large negative number is not exact.")
        c.expect(torch.allclose(out[:, 0], v[:, 0], atol=1e-5),
                 "with the causal mask, the first position sees only itself", input="q, k, v (3, 6, 4), causal mask",
                 expected=v[0, 0], got=out[0, 0] if isinstance(out, torch.Tensor) else out,
                 hint="mask the scores before the softmax, so the allowed weights still sum to 1.")
        c.expect(torch.allclose(out, expected, atol=1e-5), "equals PyTorch's scaled_dot_product_attention with the mask",
                 input="q, k, v (3, 6, 4), causal mask", expected=expected.flatten()[:6], got=out.flatten()[:6],
                 hint="the mask applies to the scores (..., T_q, T_k), before the softmax.")
        heads = [torch.randn(2, 4, 9, 16, generator=g) for _ in range(3)]
        out = c.call(*heads, torch.ones(9, 9, dtype=torch.bool).tril())
        expected = _reference(*heads, torch.ones(9, 9, dtype=torch.bool).tril())
        c.expect(_is_tensor(out, (2, 4, 9, 16)) and torch.allclose(out, expected, atol=1e-5),
                 "works for batches of heads (B, h, T, d)", input="q, k, v (2, 4, 9, 16), causal mask",
                 expected=(2, 4, 9, 16), got=_shape(out),
                 hint="transpose only the last two dimensions of k: k.transpose(-2, -1), not k.T.")


def _pe(T, d):
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    angle = pos / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.empty(T, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe


def check_positional_encoding(positional_encoding) -> None:
    """``positional_encoding(T, d)``: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...)."""
    with Checker("positional_encoding", positional_encoding) as c:
        for T, d in ((10, 4), (50, 16), (7, 64)):
            pe = c.call(T, d)
            c.expect(_is_tensor(pe, (T, d)), f"is a (T, d) tensor (T = {T}, d = {d})", input=(T, d), expected=(T, d),
                     got=_shape(pe), hint="one row per position, one column per dimension.")
            pe = pe.double()
            row0 = torch.tensor([0.0, 1.0] * (d // 2), dtype=torch.float64)
            c.expect(torch.allclose(pe[0], row0, atol=1e-6), f"position 0 is (sin 0, cos 0, ...) = (0, 1, 0, 1, ...) (d = {d})",
                     input=(T, d), expected=row0[:8], got=pe[0, :8],
                     hint="sin goes in the even columns (pe[:, 0::2]) and cos in the odd ones (pe[:, 1::2])."
                     if torch.allclose(pe[0], 1 - row0, atol=1e-6) else "at pos = 0 every angle is 0.")
            c.expect(torch.allclose(pe[:, 0], torch.sin(torch.arange(T, dtype=torch.float64)), atol=1e-5),
                     "column 0 is sin(pos): the shortest wavelength, 2π", input=(T, d),
                     expected=torch.sin(torch.arange(min(T, 6.0))), got=pe[:6, 0],
                     hint="the angle is pos / 10000^(2i/d) with i = 0 for the first pair.")
            expected = _pe(T, d)
            wrong_rate = pe.shape == expected.shape and torch.allclose(
                pe[:, 2], torch.sin(torch.arange(T, dtype=torch.float64) / 10000 ** (1 / d)), atol=1e-5)
            c.expect(torch.allclose(pe, expected, atol=1e-5), f"every entry follows the formula (T = {T}, d = {d})",
                     input=(T, d), expected=expected[min(3, T - 1), :6], got=pe[min(3, T - 1), :6],
                     hint="the pair i (columns 2i and 2i+1) uses 10000 ** (2 * i / d); the exponent counts even "
                          "columns, so step through torch.arange(0, d, 2) / d." if wrong_rate else
                          "angle = pos / 10000 ** (torch.arange(0, d, 2) / d), pos a column (T, 1).")
        pe = c.call(200, 32).double()
        c.expect(len({tuple(row.round(decimals=6).tolist()) for row in pe}) == 200,
                 "gives every position its own vector", input=(200, 32), expected="200 distinct rows",
                 got="some rows repeat")
        c.expect(bool(torch.isfinite(pe).all()) and float(pe.abs().max()) <= 1 + 1e-6, "stays in [-1, 1]",
                 input=(200, 32), expected="|PE| <= 1", got=float(pe.abs().max()))
        c.expect(math.isclose(float((pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2).mean()), 1.0, abs_tol=1e-5),
                 "each (sin, cos) pair lies on the unit circle", input=(200, 32), expected=1.0,
                 got=float((pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2).mean()))
