"""Hashes of every window of token sequences, grown one token at a time: the counting engine of
lesson 07's n-gram models (:mod:`artlab.music.ngram`) and of its copy check
(:class:`artlab.music.metrics.CopyIndex`).

:class:`WindowHashes` holds, for every position t of a set of sequences, a 64-bit polynomial hash
of the ``length`` tokens ending at t::

    hash_t = sum_{j < length} value[t - j] * BASE^j      (mod 2^64)

:meth:`WindowHashes.grow` extends every window one token to the left (``length += 1``) in one
vectorised step, so all orders up to 64 are counted on a few hundred thousand tokens in
seconds. Before the start of its sequence a window reads a padding value, and
:attr:`WindowHashes.complete` tells which windows lie wholly inside their sequence. Equal
windows have equal hashes; a collision of two different windows is astronomically unlikely
and would only blur two counts.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["WindowHashes", "BASE"]

BASE = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier (the golden-ratio constant)


class WindowHashes:
    """Hashes of the window of ``length`` tokens ending at each position, for ``length = 0, 1, 2, ...``."""

    def __init__(self, values: Sequence[np.ndarray], pad: int) -> None:
        """``values``: one array of non-negative whole numbers per sequence; ``pad``: the value read
        before a sequence's start (choose one no token has)."""
        arrays = [np.asarray(v, dtype=np.int64) for v in values]
        self.values = np.concatenate(arrays).astype(np.uint64) if arrays else np.zeros(0, dtype=np.uint64)
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        firsts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        self.index = np.arange(len(self.values))
        self.depth = self.index - firsts        # how many tokens of its sequence precede a position
        self.pad = np.uint64(pad)
        self.length = 0
        self.hash = np.zeros(len(self.values), dtype=np.uint64)
        self._power = np.uint64(1)

    def grow(self) -> np.ndarray:
        """Extend every window one token to the left (the padding value before a sequence's start);
        return the hashes (one per position)."""
        k = self.length  # the token k places back joins the window
        inside = self.depth >= k
        added = np.where(inside, self.values[np.where(inside, self.index - k, 0)], self.pad)
        with np.errstate(over="ignore"):
            self.hash = self.hash + added * self._power
            self._power = self._power * BASE
        self.length += 1
        return self.hash

    @property
    def complete(self) -> np.ndarray:
        """Which windows lie wholly inside their sequence (no padding read)."""
        return self.depth >= self.length - 1
