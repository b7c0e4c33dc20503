"""Checks for exercise 08 (``exercises/08_transformer_composer.ipynb``): the causal mask, attention with a
relative-position bias (Music Transformer's idea in its simplest form), sinusoidal positions."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from artlab.checks import Checker

__all__ = ["check_causal_mask", "check_relative_attention", "check_positional_encoding"]


MASK = "i = torch.arange(T)[:, None]; j = torch.arange(T)[None, :]; return j <= i  (or torch.ones(T, T, dtype=torch.bool).tril())"
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


def _unscaled(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def _relative_reference(q, k, v, bias):
    T = q.shape[-2]
    distance = torch.arange(T)[:, None] - torch.arange(T)[None, :]  # (T, T): i - j
    scores = q.double() @ k.double().transpose(-2, -1) / math.sqrt(q.shape[-1])
    scores = scores + bias.double()[distance.clamp(min=0)]
    scores = scores.masked_fill(distance < 0, float("-inf"))
    return (torch.softmax(scores, dim=-1) @ v.double()).to(q.dtype)


RELATIVE = ("T = q.shape[-2]; distance = torch.arange(T)[:, None] - torch.arange(T)[None, :]; "
            "scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + bias[distance.clamp(min=0)]; "
            "scores = scores.masked_fill(distance < 0, float('-inf')); return torch.softmax(scores, dim=-1) @ v")


def check_relative_attention(relative_attention, *, hidden: bool = False) -> None:
    """``relative_attention(q, k, v, bias)``: causal softmax(Q Kᵀ / √d + B) V with B[i, j] = bias[i - j]:
    a learned score for each distance back, Music Transformer's idea in its simplest form."""
    with Checker("relative_attention", relative_attention, hidden=hidden) as c:
        if hidden:
            g = torch.Generator().manual_seed(13)
            q, k, v = (torch.randn(3, 2, 11, 32, generator=g) for _ in range(3))
            bias = torch.randn(11, generator=g) * 3
            out = c.call(q, k, v, bias)
            want = _relative_reference(q, k, v, bias)
            c.expect(_is_tensor(out, want.shape) and torch.allclose(out, want, atol=1e-5),
                     "equals causal softmax(Q Kᵀ / √d + bias[i - j]) V for 2 heads of 11 tokens, d = 32",
                     input="q, k, v (3, 2, 11, 32), a random bias (11,)", expected=want.flatten()[:6],
                     got=out.flatten()[:6] if isinstance(out, torch.Tensor) else out,
                     hint="the same scores, bias and mask for any batch and number of heads.", answer=RELATIVE)
            v5 = torch.randn(3, 2, 11, 5, generator=g)
            out = c.call(q, k, v5, bias.flip(0))
            want = _relative_reference(q, k, v5, bias.flip(0))
            c.expect(_is_tensor(out, want.shape) and torch.allclose(out, want, atol=1e-5),
                     "works with value vectors of another size (d_v = 5) and another bias",
                     input="v (3, 2, 11, 5)", expected=want.flatten()[:6],
                     got=out.flatten()[:6] if isinstance(out, torch.Tensor) else out,
                     hint="the weights do not depend on the values' size.", answer=RELATIVE)
            return
        g = torch.Generator().manual_seed(0)
        T = 6
        q, k = torch.randn(2, T, 8, generator=g), torch.randn(2, T, 8, generator=g)
        v = torch.randn(2, T, 3, generator=g)
        zero = torch.zeros(T)
        out = c.call(q, k, v, zero)
        c.expect(_is_tensor(out, (2, T, 3)), "gives one value vector per query: (..., T, d_v)",
                 input="q, k (2, 6, 8), v (2, 6, 3), bias 0", expected=(2, T, 3), got=_shape(out),
                 hint="the weights have one row per query and one column per key; apply them to the values.",
                 answer=RELATIVE)
        ones = c.call(q, k, torch.ones(2, T, 1), torch.randn(T, generator=g))
        c.expect(_is_tensor(ones, (2, T, 1)) and torch.allclose(ones, torch.ones(2, T, 1), atol=1e-5),
                 "each query's weights sum to 1 over the keys (v = 1 gives 1)",
                 input="q, k (2, 6, 8), v = ones (2, 6, 1), a random bias", expected="all ones",
                 got=ones.flatten() if isinstance(ones, torch.Tensor) else ones,
                 hint="each query's weights are a distribution over the keys: a softmax over the last dimension.",
                 answer=RELATIVE)
        causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        c.expect(torch.allclose(out, causal, atol=1e-5), "with bias 0 it is lesson 08's causal attention",
                 input="q, k (2, 6, 8), v (2, 6, 3), bias 0", expected=causal.flatten()[:6], got=out.flatten()[:6],
                 hint="the scores are not scaled: the lesson divides them by a function of the query size."
                 if torch.allclose(out, _unscaled(q, k, v, torch.ones(T, T, dtype=torch.bool).tril()), atol=1e-5)
                 else "scaled scores, the causal mask, a softmax over the keys, a weighted sum of the values.",
                 answer=RELATIVE)
        loud = v.clone()
        loud[:, 3:] = 1e4                    # the future of positions 0..2, which they must not see
        got = c.call(q, k, loud, zero)
        c.expect(_is_tensor(got, (2, T, 3)) and torch.allclose(got[:, :3], out[:, :3], atol=1e-4),
                 "later tokens get exactly zero weight", input="values of positions 3..5 set to 1e4",
                 expected=out[0, :3], got=got[0, :3] if isinstance(got, torch.Tensor) else got,
                 hint="a key j > i is i - j < 0 tokens back: it must get the score -inf before the softmax.",
                 answer=RELATIVE)
        c.expect(torch.allclose(out[:, 0], v[:, 0], atol=1e-5), "the first position sees only itself",
                 input="q, k, v as above, bias 0", expected=v[0, 0], got=out[0, 0],
                 hint="mask, then normalise, so the allowed weights still sum to 1.", answer=RELATIVE)
        bias = torch.tensor([0.5, 2.0, -1.0, 0.0, 1.5, -2.0])
        blank = torch.zeros(1, T, 8)
        eye = torch.eye(T)[None]             # v = one-hot positions: the output row i is row i of the weights
        weights = c.call(blank, blank, eye, bias)
        want = torch.zeros(T, T)
        for i in range(T):
            row = torch.exp(bias[torch.arange(i, -1, -1)])  # keys 0..i are i..0 tokens back
            want[i, : i + 1] = row / row.sum()
        c.expect(_is_tensor(weights, (1, T, T)) and torch.allclose(weights[0], want, atol=1e-5),
                 "adds bias[i - j] to the score of query i for key j (q = k = 0: weights are softmax of the bias)",
                 input="q = k = 0 (1, 6, 8), v = the identity, bias [0.5, 2, -1, 0, 1.5, -2]", expected=want[2, :3],
                 got=weights[0, 2, :3] if isinstance(weights, torch.Tensor) else weights,
                 hint="index the bias by the distance back, i - j (0 for the token itself), not by i or by j.",
                 answer=RELATIVE)
        follow = torch.zeros(T)
        follow[1] = 50.0                      # a strong preference for the token just before
        got = c.call(q, k, v, follow)
        c.expect(_is_tensor(got, (2, T, 3)) and torch.allclose(got[:, 1:], v[:, :-1], atol=1e-4),
                 "a large bias at distance 1 makes every query (but the first) copy the token just before it",
                 input="q, k, v as above, bias 50 at distance 1, 0 elsewhere", expected=v[0, :3],
                 got=got[0, 1:4] if isinstance(got, torch.Tensor) else got,
                 hint="distance 1 means key j = i - 1.", answer=RELATIVE)
        shifted = c.call(q, k, v, bias + 7.0)
        c.expect(_is_tensor(shifted, (2, T, 3)) and torch.allclose(shifted, c.call(q, k, v, bias), atol=1e-5),
                 "adding the same number to every bias changes nothing (softmax ignores a shift of all scores)",
                 input="bias and bias + 7", expected="the same outputs", got="different outputs",
                 hint="add the bias to the scores, before the softmax, not to the weights after it.",
                 answer=RELATIVE)
        heads = [torch.randn(2, 4, 9, 16, generator=g) for _ in range(3)]
        bias9 = torch.randn(9, generator=g)
        out = c.call(*heads, bias9)
        want = _relative_reference(*heads, bias9)
        c.expect(_is_tensor(out, (2, 4, 9, 16)) and torch.allclose(out, want, atol=1e-5),
                 "works for batches of heads (B, h, T, d), one bias shared by all", input="q, k, v (2, 4, 9, 16)",
                 expected=(2, 4, 9, 16), got=_shape(out),
                 hint="with batch and head dimensions in front, transpose only what the product needs; a (T, T) "
                      "bias matrix broadcasts over them.",
                 answer="transpose only the last two dimensions of k: k.transpose(-2, -1), not k.T. " + RELATIVE)


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
