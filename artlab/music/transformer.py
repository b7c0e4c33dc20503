"""A small causal transformer composer, with attention written out. Lesson 08.

**Scaled dot-product attention** (Vaswani et al. 2017). Every position asks a question
(a query q), offers a label (a key k) and carries content (a value v). Position i
collects the values of the positions j it may see, weighted by how well its query
matches their keys::

    A = softmax(Q Kᵀ / √d + M)      # (T, T): row i says how much position i looks at each j
    out = A V                        # (T, d_v)

with ``d`` the size of a query/key, and ``M`` 0 where i may look at j and −∞ where not,
so those weights become exactly 0. Dividing by √d keeps the scores at unit scale
whatever ``d`` is (a dot product of d unit-variance numbers has variance d), so the
softmax does not saturate. :func:`attention_weights` computes A, and
:func:`scaled_dot_product_attention` A V; a test checks them against
``torch.nn.functional.scaled_dot_product_attention``.

**The causal mask.** A language model predicts token t+1 from tokens 0..t, so position
i may look at j <= i only: :func:`causal_mask` is lower-triangular (``True`` where
looking is allowed, as in PyTorch). With a ``window`` it also forgets tokens more than
``window - 1`` back, so a melody longer than the model's context still gets the same
answer whether it is read at once or one token at a time.

**Where a token is.** Attention by itself is blind to order (permute the keys and the
values together, the output does not change), so each token's vector gets its position
added: the sinusoids of :func:`positional_encoding`,
``PE[pos, 2i] = sin(pos / 10000^(2i/d))``, ``PE[pos, 2i+1] = cos(pos / 10000^(2i/d))``,
whose wavelengths run from 2π to 10000·2π tokens, and (``bar_position=True``) a learned
embedding of where in the bar the next note starts, from the :class:`~artlab.music.composers.BarClock`
the LSTM of lesson 07 uses.

**The composer** (:class:`TransformerComposer`), GPT-style with pre-norm::

    x = √d · E[tokens] + PE[0..T-1] (+ P[bar position])       # (B, T, d)
    repeat num_layers times:
        x = x + Dropout(MultiHeadAttention(LayerNorm(x)))     # heads look back, each in its own subspace
        x = x + Dropout(FeedForward(LayerNorm(x)))            # per position: Linear, GELU, Linear
    logits = LayerNorm(x) Eᵀ + b                              # (B, T, V), the embedding reused (tied)

It keeps the composer contract of :mod:`artlab.music.composers`, so lesson 07's
``train_composer``, ``compose`` and ``evaluate_nll`` work on it unchanged. ``step`` keeps a
key/value cache: a new token computes its own query, key and value, and attends to the
cached keys and values of the tokens before it, instead of re-reading the whole melody.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from artlab.errors import ArgumentError, probability, whole_number
from artlab.music.composers import BarClock

__all__ = ["causal_mask", "attention_weights", "scaled_dot_product_attention", "positional_encoding",
           "TransformerConfig", "MultiHeadSelfAttention", "TransformerBlock", "TransformerComposer"]


def causal_mask(T: int, window: int | None = None, *, device=None) -> torch.Tensor:
    """(T, T) booleans, ``True`` where query i may attend to key j: j <= i (and i - j < ``window``)."""
    whole_number(T, "causal_mask(T)", unit="positions")
    i = torch.arange(T, device=device)[:, None]          # (T, 1) queries
    j = torch.arange(T, device=device)[None, :]          # (1, T) keys
    allowed = j <= i                                     # (T, T) lower triangle with the diagonal
    if window is not None:
        allowed = allowed & (i - j < window)
    return allowed


def attention_weights(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """A = softmax(Q Kᵀ / √d) over the keys, with masked (``False``) entries getting weight 0.

    ``q`` (..., T_q, d), ``k`` (..., T_k, d), ``mask`` broadcastable to (..., T_q, T_k) -> (..., T_q, T_k).
    """
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)      # (..., T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)                 # each row sums to 1 over the keys


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(Q Kᵀ / √d + M) V: ``q`` (..., T_q, d), ``k`` (..., T_k, d), ``v`` (..., T_k, d_v) -> (..., T_q, d_v)."""
    return attention_weights(q, k, mask) @ v


def positional_encoding(T: int, d: int) -> torch.Tensor:
    """(T, d) sinusoids: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d))."""
    for name, value in (("T", T), ("d", d)):
        whole_number(value, f"positional_encoding({name})")
    if d % 2:
        raise ArgumentError("positional_encoding(d)", expected="an even size (sin and cos in pairs)", got=d)
    pos = torch.arange(T, dtype=torch.float64)[:, None]                  # (T, 1)
    two_i = torch.arange(0, d, 2, dtype=torch.float64)[None, :]          # (1, d/2)
    angle = pos / 10000 ** (two_i / d)                                   # (T, d/2)
    pe = torch.empty(T, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


@dataclass(frozen=True)
class TransformerConfig:
    """The shape of a :class:`TransformerComposer`."""

    vocab_size: int                # V: tokens in the vocabulary
    d_model: int = 128             # d: size of every token's vector
    num_heads: int = 4             # attention heads (d_model / num_heads each)
    num_layers: int = 4            # transformer blocks
    d_ff: int = 512                # hidden size of each block's feed-forward layer
    dropout: float = 0.1           # on attention weights, after each block's branches and after the embedding
    context: int = 512             # a token attends to at most this many tokens (itself included)
    bar_position: bool = True      # add an embedding of where in the bar the next note starts (needs the vocab)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "num_heads", "num_layers", "d_ff", "context"):
            whole_number(getattr(self, name), f"TransformerConfig({name})")
        if self.d_model % self.num_heads:
            raise ArgumentError("TransformerConfig(d_model, num_heads)",
                                expected="d_model divisible by num_heads", got=(self.d_model, self.num_heads))
        if self.d_model % 2:
            raise ArgumentError("TransformerConfig(d_model)", expected="an even size", got=self.d_model)
        probability(self.dropout, "TransformerConfig(dropout)", one=False)


class MultiHeadSelfAttention(nn.Module):
    """Q, K, V from one linear map, split into heads, attention per head, heads joined, projected."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.h = config.num_heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.out = nn.Linear(config.d_model, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.window = config.context

    def _heads(self, x: torch.Tensor):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=-1)                           # 3 x (B, T, C)
        return [t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v)]  # 3 x (B, h, T, C/h)

    def _join(self, y: torch.Tensor) -> torch.Tensor:
        B, h, T, dh = y.shape
        return self.out(y.transpose(1, 2).reshape(B, T, h * dh))         # (B, T, C)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, keep: list | None = None) -> torch.Tensor:
        """x (B, T, C), mask (T, T) -> (B, T, C); with ``keep`` a list, appends the weights (B, h, T, T)."""
        q, k, v = self._heads(x)
        a = attention_weights(q, k, mask)                                # (B, h, T, T)
        if keep is not None:
            keep.append(a.detach())
        return self._join(self.drop(a) @ v)                              # (B, h, T, C/h) -> (B, T, C)

    def step(self, x: torch.Tensor, cache):
        """One new position x (B, 1, C), given the cache of earlier keys and values -> (y (B, 1, C), cache).

        The cache is ``(keys, values, n)``: buffers (B, h, capacity, C/h) whose first ``n``
        positions are filled. The new key and value are written in place (the buffers double
        when full), so a step costs no copy of the past; a cache must not be reused after it
        has been stepped past (sampling never does).
        """
        q, k, v = self._heads(x)                                         # 3 x (B, h, 1, C/h)
        if cache is None:
            keys = k.new_empty(k.shape[:2] + (64, k.shape[-1]))          # (B, h, capacity, C/h)
            values = torch.empty_like(keys)
            n = 0
        else:
            keys, values, n = cache
            if n == keys.shape[2]:                                       # full: double the capacity
                keys = torch.cat([keys, torch.empty_like(keys)], dim=2)
                values = torch.cat([values, torch.empty_like(values)], dim=2)
        keys[:, :, n] = k[:, :, 0]
        values[:, :, n] = v[:, :, 0]
        seen = slice(max(0, n + 1 - self.window), n + 1)                 # at most `window` positions, all past
        y = scaled_dot_product_attention(q, keys[:, :, seen], values[:, :, seen])  # (B, h, 1, C/h)
        return self._join(y), (keys, values, n + 1)


class TransformerBlock(nn.Module):
    """Pre-norm block: x + attention(LayerNorm(x)), then x + feed-forward(LayerNorm(x))."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(config.d_model)
        self.attention = MultiHeadSelfAttention(config)
        self.norm2 = nn.LayerNorm(config.d_model)
        self.feed_forward = nn.Sequential(nn.Linear(config.d_model, config.d_ff), nn.GELU(),
                                          nn.Linear(config.d_ff, config.d_model))
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, keep: list | None = None) -> torch.Tensor:
        x = x + self.drop(self.attention(self.norm1(x), mask, keep))     # (B, T, C)
        return x + self.drop(self.feed_forward(self.norm2(x)))

    def step(self, x: torch.Tensor, cache):
        y, cache = self.attention.step(self.norm1(x), cache)
        x = x + self.drop(y)
        return x + self.drop(self.feed_forward(self.norm2(x))), cache


class TransformerComposer(nn.Module):
    """Token (+ position, + bar position) embeddings -> pre-norm transformer blocks -> tied output layer."""

    def __init__(self, config: TransformerConfig, vocab=None) -> None:
        super().__init__()
        if not isinstance(config, TransformerConfig):
            raise ArgumentError("TransformerComposer(config)", expected="a TransformerConfig",
                                got=type(config).__name__)
        self.config = config
        d = config.d_model
        self.embedding = nn.Embedding(config.vocab_size, d)
        nn.init.normal_(self.embedding.weight, std=d ** -0.5)            # √d · E[x] has unit scale, like PE
        self.clock = None
        if config.bar_position:
            if vocab is None or len(vocab) != config.vocab_size:
                raise ArgumentError("TransformerComposer(config, vocab)",
                                    expected=f"the vocabulary of {config.vocab_size} tokens (bar_position=True "
                                    "needs it to read durations)",
                                    got="<no vocabulary>" if vocab is None else f"<{len(vocab)} tokens>")
            self.clock = BarClock(vocab)
            self.bar = nn.Embedding(self.clock.size, d)
            nn.init.normal_(self.bar.weight, std=0.5)
        self.register_buffer("pe", positional_encoding(config.context, d), persistent=False)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(TransformerBlock(config) for _ in range(config.num_layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, config.vocab_size)
        self.head.weight = self.embedding.weight                          # tied: logits = h Eᵀ + b
        nn.init.zeros_(self.head.bias)
        for name, p in self.named_parameters():
            if name.endswith(("qkv.weight", "feed_forward.0.weight")):
                nn.init.normal_(p, std=0.02)
            elif name.endswith(("out.weight", "feed_forward.2.weight")):  # residual branches start small
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * config.num_layers))
            elif name.endswith("bias") and not name.startswith("head"):
                nn.init.zeros_(p)

    def _positions(self, start: int, T: int, device) -> torch.Tensor:
        """PE rows for positions start..start+T-1 (more are computed if the melody is longer)."""
        if start + T > self.pe.shape[0]:
            self.pe = positional_encoding(2 * (start + T), self.config.d_model).to(device)
        return self.pe[start:start + T]

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) -> x (B, T, d): √d·E[x] + PE (+ bar position)."""
        x = self.embedding(tokens) * math.sqrt(self.config.d_model) + self._positions(0, tokens.shape[1],
                                                                                      tokens.device)
        if self.clock is not None:
            x = x + self.bar(self.clock(tokens))
        return self.drop(x)

    def forward(self, tokens: torch.Tensor, *, keep: list | None = None) -> torch.Tensor:
        """Token ids (B, T) -> logits (B, T, V). With ``keep=[]``, each layer's attention weights are appended."""
        if tokens.dim() != 2:
            raise ArgumentError("TransformerComposer(tokens)", expected="token ids of shape (B, T)",
                                got=tuple(tokens.shape))
        x = self.embed(tokens)                                           # (B, T, d)
        mask = causal_mask(tokens.shape[1], self.config.context, device=tokens.device)  # (T, T)
        for block in self.blocks:
            x = block(x, mask, keep)
        return self.head(self.norm(x))                                   # (B, T, V)

    @torch.no_grad()
    def attention_maps(self, tokens: torch.Tensor) -> torch.Tensor:
        """Attention weights of every layer and head for one batch: (layers, B, heads, T, T), in eval mode."""
        was_training = self.training
        self.eval()
        keep: list = []
        try:
            self(tokens, keep=keep)
        finally:
            self.train(was_training)
        return torch.stack(keep)

    def step(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """One token per sequence, ids (B,) -> (logits (B, V), state); ``state=None`` starts.

        The state holds the position, the clock and each layer's cached keys and values.
        """
        t, caches, clock_state = state if state is not None else (0, [None] * len(self.blocks), None)
        x = self.embedding(tokens) * math.sqrt(self.config.d_model) + self._positions(t, 1, tokens.device)  # (B, d)
        if self.clock is not None:
            position, clock_state = self.clock.step(tokens, clock_state)
            x = x + self.bar(position)
        x = self.drop(x)[:, None]                                        # (B, 1, d)
        new_caches = []
        for block, cache in zip(self.blocks, caches):
            x, cache = block.step(x, cache)
            new_caches.append(cache)
        return self.head(self.norm(x[:, 0])), (t + 1, new_caches, clock_state)
