"""Measuring music: held-out likelihood, and numbers that describe generated melodies. Lesson 07.

**Likelihood.** A model that assigns held-out melodies high probability has learned how
the music goes. The negative log-likelihood (NLL) in nats is summed over every predicted
token of a melody (everything after ``<bos>``: meter, key, upbeat, each pitch and
duration, ``<eos>``) and then divided

* by the number of tokens: **nats per token**, what the training loss measures, and
* by the number of notes and rests: **nats per note**, the unit in which models that
  cut music into different tokens can be compared (a sixteenth-note grid would have
  many easy "hold" tokens and look better per token without being better per note).

Perplexity is ``exp(nats per token)``: the model is as unsure as a uniform choice among
that many tokens.

**Describing melodies** (generated ones next to real ones): the pitch-class histogram
and its distance to the corpus's (total variation: half the L1 distance, 0 identical,
1 disjoint), the share of notes in key (see :func:`artlab.music.melody.key_scale`), the
pitch range in semitones, notes per bar, repetition (the share of 4-note patterns that
already occurred earlier in the same melody), and the **copying check**:
:class:`CopyIndex` finds the longest stretch a melody shares verbatim (same pitches, same
durations) with any training melody, in notes and in bars. A model that reproduces
training tunes has memorised them; a creative one borrows phrases of a bar or two. A
melody **copies** when that stretch is :data:`COPY_BARS` bars or more (:func:`copy_share`),
the same four bars that make two tunes one group of the grouped split (lesson 06).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from artlab.errors import ArgumentError
from artlab.music.melody import REST, Melody, key_scale
from artlab.music.tokens import Vocabulary
from artlab.music.windows import WindowHashes

__all__ = [
    "NLLReport", "sequence_nll", "evaluate_nll", "report_from_token_nll", "perplexity",
    "pitch_class_histogram", "histogram_distance", "in_key_share", "pitch_range", "notes_per_bar",
    "repetition", "sounding_pitches", "CopyIndex", "COPY_BARS", "copy_share", "describe", "compare_to_corpus",
]

COPY_BARS = 4
"""A melody that shares this many bars or more verbatim with a training melody copies it: the
rule that puts two tunes in one group of the split, so no test tune copies a training tune."""


@dataclass(frozen=True)
class NLLReport:
    """Held-out likelihood in the two units of lesson 07."""

    nats: float           # total NLL of all predicted tokens
    tokens: int           # predicted tokens (everything after <bos>)
    notes: int            # notes and rests

    @property
    def per_token(self) -> float:
        return self.nats / self.tokens

    @property
    def per_note(self) -> float:
        return self.nats / self.notes

    @property
    def perplexity(self) -> float:
        return perplexity(self.per_token)

    def __str__(self) -> str:
        return (f"{self.per_note:.3f} nats per note ({self.per_token:.3f} per token, perplexity "
                f"{self.perplexity:.2f}) over {self.notes} notes")


def perplexity(nats_per_token: float) -> float:
    """exp(mean NLL per token)."""
    return float(np.exp(nats_per_token))


@torch.no_grad()
def sequence_nll(model: torch.nn.Module, sequences: Sequence[Sequence[int]], *, pad: int = 0,
                 batch_size: int = 64) -> np.ndarray:
    """Total NLL (nats) of each sequence's targets (every token after the first) under ``model``.

    Works for any composer (``model(tokens) -> logits``). Sequences are batched by length.
    """
    if len(sequences) == 0:
        raise ArgumentError("sequence_nll(sequences)", expected="at least one token sequence", got="<none>")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    totals = np.zeros(len(sequences))
    try:
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            longest = max(len(sequences[i]) for i in chunk)
            batch = torch.full((len(chunk), longest), pad, dtype=torch.long)
            for row, i in enumerate(chunk):
                batch[row, : len(sequences[i])] = torch.as_tensor(list(sequences[i]), dtype=torch.long)
            batch = batch.to(device)
            logits = model(batch[:, :-1])                                     # (B, T-1, V)
            targets = batch[:, 1:]                                            # (B, T-1)
            nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad, reduction="none")
            totals[chunk] = nll.sum(dim=1).double().cpu().numpy()
    finally:
        model.train(was_training)
    return totals


def report_from_token_nll(token_nll: np.ndarray, sequences: Sequence[Sequence[int]], vocab: Vocabulary) -> NLLReport:
    """An :class:`NLLReport` from per-target NLLs (as n-gram models give them)."""
    tokens = sum(len(s) - 1 for s in sequences)
    if len(token_nll) != tokens:
        raise ArgumentError("report_from_token_nll(token_nll)", expected=f"one NLL per target ({tokens})",
                            got=len(token_nll))
    return NLLReport(float(np.sum(token_nll)), tokens, sum(vocab.events_of(s) for s in sequences))


def evaluate_nll(model: torch.nn.Module, sequences: Sequence[Sequence[int]], vocab: Vocabulary, *,
                 batch_size: int = 64) -> NLLReport:
    """Held-out NLL of a composer, per token and per note."""
    totals = sequence_nll(model, sequences, pad=vocab.pad, batch_size=batch_size)
    return NLLReport(float(totals.sum()), sum(len(s) - 1 for s in sequences),
                     sum(vocab.events_of(s) for s in sequences))


# --- describing melodies ------------------------------------------------------------------

def sounding_pitches(melody: Melody) -> list[int]:
    """The MIDI pitches of the notes, rests left out."""
    return [p for p in melody.pitches if p != REST]


def pitch_class_histogram(melodies: Melody | Sequence[Melody]) -> np.ndarray:
    """Share of notes on each pitch class C, C#, ..., B (12 numbers summing to 1)."""
    if isinstance(melodies, Melody):
        melodies = [melodies]
    counts = np.zeros(12)
    for m in melodies:
        for p in sounding_pitches(m):
            counts[p % 12] += 1
    return counts / counts.sum() if counts.sum() else counts


def histogram_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance ½ Σ|p - q|: 0 for equal histograms, 1 for disjoint ones."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape:
        raise ArgumentError("histogram_distance", expected="two histograms of the same length", got=(p.shape, q.shape))
    return float(0.5 * np.abs(p - q).sum())


def in_key_share(melody: Melody) -> float:
    """Share of the melody's notes whose pitch class belongs to its key (1.0 if it has no notes)."""
    notes = sounding_pitches(melody)
    if not notes:
        return 1.0
    scale = key_scale(melody.key)
    return sum(1 for p in notes if p % 12 in scale) / len(notes)


def pitch_range(melody: Melody) -> int:
    """Highest minus lowest note, in semitones."""
    notes = sounding_pitches(melody)
    return max(notes) - min(notes) if notes else 0


def notes_per_bar(melody: Melody) -> float:
    """Note density: notes (not rests) per bar."""
    return len(sounding_pitches(melody)) / float(melody.bars) if melody.bars else 0.0


def repetition(melody: Melody, n: int = 4) -> float:
    """Share of the melody's n-event patterns (pitch and duration) that occurred earlier in it."""
    events = melody.events
    grams = [tuple(events[i:i + n]) for i in range(len(events) - n + 1)]
    if not grams:
        return 0.0
    seen, repeated = set(), 0
    for g in grams:
        repeated += g in seen
        seen.add(g)
    return repeated / len(grams)


class CopyIndex:
    """Finds the longest stretch of a melody found verbatim in a set of reference melodies.

    Events are compared exactly (pitch and duration), so build the index from melodies in
    the same keys as the ones you check (lesson 07: both normalised to C major / A minor).
    Windows of the references are hashed once per length (:mod:`artlab.music.windows`).
    """

    def __init__(self, melodies: Sequence[Melody]) -> None:
        if len(melodies) == 0:
            raise ArgumentError("CopyIndex(melodies)", expected="at least one reference melody", got="<none>")
        self._windows = WindowHashes([self._codes(m) for m in melodies], pad=0)
        self._sorted: dict[int, np.ndarray] = {}

    @staticmethod
    def _codes(melody: Melody) -> np.ndarray:
        """One whole number >= 1 per event, equal for equal (pitch, duration)."""
        return np.asarray([(p + 2) * 100_000 + int(d * 960) for p, d in melody.events], dtype=np.int64)

    def _reference(self, length: int) -> np.ndarray:
        """Sorted hashes of every reference window of ``length`` events."""
        while self._windows.length < length:
            h = self._windows.grow()
            self._sorted[self._windows.length] = np.unique(h[self._windows.complete])
        return self._sorted[length]

    def longest_copy(self, melody: Melody) -> tuple[int, float]:
        """``(events, bars)``: the longest verbatim match, in events and in bars of ``melody``."""
        codes = self._codes(melody)
        durations = np.asarray([float(d) for d in melody.durations])
        query = WindowHashes([codes], pad=0)
        best_events, best_bars = 0, 0.0
        while query.length < len(codes):
            h = query.grow()[query.length - 1:]        # the windows starting at 0..n-length
            ref = self._reference(query.length)
            if len(ref) == 0:
                break
            i = np.minimum(np.searchsorted(ref, h), len(ref) - 1)
            found = ref[i] == h
            if not found.any():
                break
            spans = np.convolve(durations, np.ones(query.length), mode="valid")[found]
            best_events = query.length
            best_bars = max(best_bars, float(spans.max()) / float(melody.bar_length))
        return best_events, best_bars


def copy_share(copied_bars: Sequence[float]) -> float:
    """Share of melodies whose longest verbatim stretch (in bars, from :meth:`CopyIndex.longest_copy`)
    is :data:`COPY_BARS` or more: the share that copies a training melody."""
    bars = np.asarray(copied_bars, dtype=float)
    if bars.ndim != 1 or len(bars) == 0:
        raise ArgumentError("copy_share(copied_bars)", expected="one number of bars per melody, at least one",
                            got=bars.shape)
    return float(np.mean(bars >= COPY_BARS))


def describe(melody: Melody) -> dict[str, float]:
    """The per-melody numbers of lesson 07 (no reference needed)."""
    return {"notes": len(sounding_pitches(melody)), "bars": float(melody.bars), "in key": in_key_share(melody),
            "range": pitch_range(melody), "notes per bar": notes_per_bar(melody), "repetition": repetition(melody)}


def compare_to_corpus(generated: Sequence[Melody], corpus: Sequence[Melody],
                      copy_index: CopyIndex | None = None) -> dict[str, float]:
    """Means of :func:`describe` over ``generated``, the histogram distance to ``corpus``,
    and (with ``copy_index``) the mean and largest copied span in bars."""
    if len(generated) == 0:
        raise ArgumentError("compare_to_corpus(generated)", expected="at least one melody", got="<none>")
    rows = [describe(m) for m in generated]
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    out["pitch-class distance"] = histogram_distance(pitch_class_histogram(generated), pitch_class_histogram(corpus))
    if copy_index is not None:
        copies = [copy_index.longest_copy(m)[1] for m in generated]
        out["copied bars (mean)"] = float(np.mean(copies))
        out["copied bars (max)"] = float(np.max(copies))
    return out
