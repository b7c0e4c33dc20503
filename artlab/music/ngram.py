"""n-gram baselines for melodies: add-alpha bigrams and interpolated Kneser-Ney up to long orders.

Lesson 07 (``notebooks/07_composing_with_lstm.ipynb``) measures the LSTM against them. A
neural composer is only worth its training time if it predicts held-out music better
than counting does, and counting is strong when it may look far back, so
:func:`fit_best_kneser_ney` tries every order up to 64 and keeps the one with the lowest
validation NLL (``docs/benchmarks.md`` gives the orders it finds).

**Add-alpha bigram** (:func:`bigram_nll`, the exercise's answer)::

    p(w | v) = (c(v, w) + alpha) / (c(v) + alpha * V)

**Interpolated modified Kneser-Ney** (Chen & Goodman 1998), for an n-gram with context h
(the n-1 tokens before w) and h' (h without its first token)::

    p_n(w | h) = max(c(h w) - D(c(h w)), 0) / c(h)  +  gamma(h) * p_{n-1}(w | h')
    gamma(h)   = (D1 N1(h .) + D2 N2(h .) + D3 N3+(h .)) / c(h)

where N_k(h .) counts the words seen exactly k times (3 or more for N3+) after h, and the
discounts come from the count-of-counts n_k: Y = n1 / (n1 + 2 n2), D1 = 1 - 2Y n2/n1,
D2 = 2 - 3Y n3/n2, D3 = 3 - 4Y n4/n3. The recursion ends in the uniform distribution 1/V,
so no token ever gets probability 0. A context never seen in training (c(h) = 0) falls
through to the next order.

**Continuation counts**, the idea that makes it Kneser-Ney. At the highest order ``c`` is
the raw count c(h w). At every lower order it is the *continuation count*

    N1+(. h w) = the number of different tokens seen right before ``h w``,

because a lower order is only consulted for what the longer context could not say: the
question it answers is "how likely is w in a context we know little about?", and a token
seen after many different contexts is a better bet there than one seen often after a
single context. The textbook example is "Francisco": frequent, but nearly always after
"San". In the melody tokens, ``meter:2/4`` is such a token: common (one per 2/4 tune) but
only ever after ``<bos>``, so its continuation count is 1. ``KneserNey(...,
continuation=False)`` backs off to raw counts instead (discounting and back-off alone),
the comparison lesson 07 measures.

Contexts near the start of a melody are padded (the tokens before ``<bos>`` are a padding
symbol). Counting is vectorised with the window hashes of :mod:`artlab.music.windows`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from artlab.errors import ArgumentError, whole_number
from artlab.music.windows import WindowHashes

__all__ = ["bigram_nll", "unigram_nll", "KneserNey", "fit_best_kneser_ney", "NGramResult"]



def _check_sequences(sequences, what: str) -> list[np.ndarray]:
    out = []
    for s in sequences:
        a = np.asarray(s, dtype=np.int64)
        if a.ndim != 1 or len(a) < 2:
            raise ArgumentError(what, expected="token sequences of length >= 2 (<bos> ... <eos>)", got=a.shape)
        out.append(a)
    if not out:
        raise ArgumentError(what, expected="at least one sequence", got="<none>")
    return out


def unigram_nll(train: Sequence[Sequence[int]], test: Sequence[Sequence[int]], vocab_size: int,
                alpha: float = 1.0) -> np.ndarray:
    """Per-target NLL (nats) under an add-alpha unigram model; targets are every token but the first."""
    train_, test_ = _check_sequences(train, "unigram_nll(train)"), _check_sequences(test, "unigram_nll(test)")
    counts = np.bincount(np.concatenate([s[1:] for s in train_]), minlength=vocab_size).astype(np.float64)
    p = (counts + alpha) / (counts.sum() + alpha * vocab_size)
    return -np.log(p[np.concatenate([s[1:] for s in test_])])


def bigram_nll(train: Sequence[Sequence[int]], test: Sequence[Sequence[int]], vocab_size: int,
               alpha: float = 0.1) -> np.ndarray:
    """Per-target NLL (nats): p(w | v) = (c(v, w) + alpha) / (c(v) + alpha V)."""
    train_, test_ = _check_sequences(train, "bigram_nll(train)"), _check_sequences(test, "bigram_nll(test)")
    counts = np.zeros((vocab_size, vocab_size))
    for s in train_:
        np.add.at(counts, (s[:-1], s[1:]), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # alpha = 0: unseen pairs get an infinite NLL
        p = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * vocab_size)
        prev = np.concatenate([s[:-1] for s in test_])
        nxt = np.concatenate([s[1:] for s in test_])
        return -np.log(p[prev, nxt])


# --- Kneser-Ney ------------------------------------------------------------------------

def _discounts(counts: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney discounts D1, D2, D3+ from the count-of-counts."""
    n = [np.count_nonzero(counts == k) for k in (1, 2, 3, 4)]
    if min(n) == 0:
        return np.array([0.5, 1.0, 1.5]) if n[0] == 0 else np.array([0.5, 0.75, 0.75])
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(d, 0.05, None)


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """values[key == query], 0 where the query is not a key (keys sorted)."""
    if len(keys) == 0:
        return np.zeros(len(queries), dtype=values.dtype)
    i = np.searchsorted(keys, queries)
    i = np.minimum(i, len(keys) - 1)
    found = keys[i] == queries
    return np.where(found, values[i], 0)


class _OrderTables:
    """Counts of one order: n-gram counts and context statistics, raw and continuation."""

    def __init__(self, gram: np.ndarray, context: np.ndarray, longer: np.ndarray | None,
                 discount_scale: float) -> None:
        self.gram_keys, first, raw = np.unique(gram, return_index=True, return_counts=True)
        self.gram_context = context[first]
        self.raw = raw.astype(np.float64)
        if longer is not None:
            # continuation count: distinct left extensions (distinct longer windows) per n-gram
            # (a longer window determines its n-gram, so distinct pairs = distinct longer windows)
            _, where = np.unique(longer, return_index=True)
            keys, cont = np.unique(gram[where], return_counts=True)
            self.cont = _lookup(keys, cont.astype(np.float64), self.gram_keys)
        else:
            self.cont = None
        self.raw_d = _discounts(self.raw) * discount_scale
        self.cont_d = _discounts(self.cont) * discount_scale if self.cont is not None else None
        self.context_keys = np.unique(self.gram_context)
        self.raw_ctx = self._context_stats(self.raw, self.raw_d)
        self.cont_ctx = self._context_stats(self.cont, self.cont_d) if self.cont is not None else None

    def _context_stats(self, counts: np.ndarray, d: np.ndarray):
        where = np.searchsorted(self.context_keys, self.gram_context)
        total = np.bincount(where, weights=counts, minlength=len(self.context_keys))
        removed = np.minimum(counts, np.where(counts >= 3, d[2], np.where(counts == 2, d[1], d[0])))
        mass = np.bincount(where, weights=removed, minlength=len(self.context_keys))
        return total, mass

    def probability(self, gram: np.ndarray, context: np.ndarray, lower: np.ndarray, continuation: bool) -> np.ndarray:
        counts, d, (total, mass) = ((self.cont, self.cont_d, self.cont_ctx) if continuation
                                    else (self.raw, self.raw_d, self.raw_ctx))
        c = _lookup(self.gram_keys, counts, gram)
        c_h = _lookup(self.context_keys, total, context)
        m_h = _lookup(self.context_keys, mass, context)
        discount = np.where(c >= 3, d[2], np.where(c == 2, d[1], d[0]))
        seen = c_h > 0
        safe = np.where(seen, c_h, 1.0)
        p = np.maximum(c - discount, 0.0) / safe + (m_h / safe) * lower
        return np.where(seen, p, lower)


@dataclass
class NGramResult:
    """Validation NLL per target token for each order tried, and the best order."""

    orders: list[int]
    valid_nll: list[float]   # mean nats per target token
    best_order: int


class KneserNey:
    """Interpolated modified Kneser-Ney over token sequences (each ``<bos> ... <eos>``).

    ``KneserNey(order, vocab_size).fit(train)``, then ``.nll(sequences)`` gives the NLL in
    nats of every target (every token after ``<bos>``), in order. ``continuation=False``
    uses raw counts at the lower orders too (discounted back-off without Kneser-Ney's
    continuation counts).
    """

    def __init__(self, order: int, vocab_size: int, *, discount_scale: float = 1.0,
                 continuation: bool = True) -> None:
        whole_number(order, "KneserNey(order)")
        whole_number(vocab_size, "KneserNey(vocab_size)", low=2)
        self.order = int(order)
        self.vocab_size = int(vocab_size)
        self.discount_scale = float(discount_scale)
        self.continuation = bool(continuation)
        self._train: list[np.ndarray] | None = None

    def fit(self, sequences: Sequence[Sequence[int]]) -> "KneserNey":
        self._train = _check_sequences(sequences, "KneserNey.fit(sequences)")
        return self

    def nll(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """NLL (nats) of every target token of ``sequences`` under the fitted model."""
        return self.nll_by_order(sequences)[self.order]

    def nll_by_order(self, sequences: Sequence[Sequence[int]], orders: Sequence[int] | None = None) -> dict[int, np.ndarray]:
        """NLL of every target under the model of each order 1..self.order (one pass)."""
        if self._train is None:
            raise ArgumentError("KneserNey.nll", expected="a fitted model", got="<not fitted>", hint="Call .fit(train) first.")
        test = _check_sequences(sequences, "KneserNey.nll(sequences)")
        wanted = set(orders) if orders is not None else set(range(1, self.order + 1))
        train_w, test_w = _windows(self._train, self.vocab_size), _windows(test, self.vocab_size)
        train_prev, test_prev = np.zeros_like(train_w.hash), np.zeros_like(test_w.hash)  # context of order 1
        train_gram, test_gram = train_w.grow().copy(), test_w.grow().copy()
        t_mask, s_mask = train_w.depth > 0, test_w.depth > 0  # every token but <bos> is predicted
        lower = np.full(int(s_mask.sum()), 1.0 / self.vocab_size)
        out = {}
        for n in range(1, self.order + 1):
            train_next, test_next = train_w.grow().copy(), test_w.grow().copy()
            # the context of an n-gram ending at t is the (n-1)-gram ending at t-1
            train_ctx = np.concatenate([[np.uint64(0)], train_prev[:-1]]) if n > 1 else np.zeros_like(train_gram)
            test_ctx = np.concatenate([[np.uint64(0)], test_prev[:-1]]) if n > 1 else np.zeros_like(test_gram)
            tables = _OrderTables(train_gram[t_mask], train_ctx[t_mask], train_next[t_mask], self.discount_scale)
            g, c = test_gram[s_mask], test_ctx[s_mask]
            if n in wanted:
                out[n] = -np.log(tables.probability(g, c, lower, continuation=False))
            lower = tables.probability(g, c, lower, continuation=self.continuation)
            train_prev, test_prev = train_gram, test_gram
            train_gram, test_gram = train_next, test_next
        return out


def _windows(sequences: list[np.ndarray], vocab_size: int) -> WindowHashes:
    """Window hashes of token sequences: token t hashes as t + 1, the padding before <bos> as V + 1."""
    return WindowHashes([s + 1 for s in sequences], pad=vocab_size + 1)


def fit_best_kneser_ney(train: Sequence[Sequence[int]], valid: Sequence[Sequence[int]], vocab_size: int, *,
                        max_order: int = 64, discount_scales: Sequence[float] = (1.0,)) -> tuple[KneserNey, NGramResult]:
    """Try every order 1..max_order (and each discount scale) on ``valid``; return the best model."""
    best = None
    curves = {}
    for scale in discount_scales:
        by_order = KneserNey(max_order, vocab_size, discount_scale=scale).fit(train).nll_by_order(valid)
        curves[scale] = [float(by_order[n].mean()) for n in range(1, max_order + 1)]
        n_best = int(np.argmin(curves[scale])) + 1
        if best is None or curves[scale][n_best - 1] < best[2]:
            best = (scale, n_best, curves[scale][n_best - 1])
    scale, order, _ = best
    model = KneserNey(order, vocab_size, discount_scale=scale).fit(train)
    return model, NGramResult(list(range(1, max_order + 1)), curves[scale], order)
