"""The composers lesson 07 trains, with their budgets: one definition for the notebook and the benchmark.

A :class:`Recipe` names the collection a composer learns from, the model's config, and
the training budget in full and in fast mode. ``benchmarks/music.py`` trains exactly the
notebook's full-mode recipes, so the figures it prints are the notebook's.

* :data:`FOLK`: an LSTM on the Essen folk songs, trained from scratch for at most three
  minutes (1,500 steps of 32 melodies, about 170 s on one core of a laptop CPU).
* :data:`CHORALES`: the same architecture on Bach's chorale melodies. There are only
  about 280 training chorales, too few to learn melody from scratch, so this recipe
  *fine-tunes* the folk model (``start_from="folk"``): it keeps what the folk songs
  taught about melody and rhythm and adapts it to the chorales, with more dropout
  against over-fitting and a lower learning rate.

:func:`token_splits` gives a collection's train/valid/test melodies as token sequences,
every tune normalised to C major or A minor (lesson 06 explains why).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

from artlab.music.corpus import Corpus, load_corpus, normalise_key
from artlab.music.encoding import Vocabulary, encode_melodies
from artlab.music.models import LSTMConfig
from artlab.music.train import TrainConfig
from artlab.runtime import is_fast

__all__ = ["Recipe", "FOLK", "CHORALES", "token_splits"]


@dataclass(frozen=True)
class Recipe:
    """What a lesson trains: data, model, budget (full and fast), and where it starts from."""

    name: str
    collections: tuple[str, ...]
    model: LSTMConfig               # the composer's config (vocab_size is filled in by .model_config)
    full: TrainConfig               # the budget a learner runs
    fast: TrainConfig               # the budget of fast mode (ARTLAB_FAST=1): same code, seconds
    start_from: str | None = None   # another recipe's name whose trained weights this one fine-tunes

    def train_config(self) -> TrainConfig:
        """``fast`` in fast mode, else ``full``."""
        return self.fast if is_fast() else self.full

    def model_config(self, vocab: Vocabulary):
        """The model config with the vocabulary's size filled in."""
        return dataclasses.replace(self.model, vocab_size=len(vocab))


_MODEL = LSTMConfig(vocab_size=1, embedding_dim=256, hidden_size=256, num_layers=1, dropout=0.0,
                    tie_weights=True, bar_position=True)

FOLK = Recipe(
    name="folk",
    collections=("essen",),
    model=_MODEL,
    full=TrainConfig(steps=1500, max_seconds=180.0, batch_size=32, lr=5e-3, warmup=100, eval_every=100, patience=4),
    fast=TrainConfig(steps=40, max_seconds=20.0, batch_size=16, lr=5e-3, warmup=5, eval_every=20, eval_melodies=60),
)

CHORALES = Recipe(
    name="chorales",
    collections=("chorales",),
    model=dataclasses.replace(_MODEL, dropout=0.3),
    full=TrainConfig(steps=300, max_seconds=90.0, batch_size=32, lr=2e-3, warmup=20, eval_every=25, patience=4),
    fast=TrainConfig(steps=8, max_seconds=20.0, batch_size=16, lr=2e-3, warmup=2, eval_every=4, eval_melodies=30),
    start_from="folk",
)


def token_splits(collections: str | Sequence[str], vocab: Vocabulary, *, corpus: Corpus | None = None,
                 normalise: bool = True, limit: int | None = None) -> dict[str, list[list[int]]]:
    """``{"train": [...], "valid": [...], "test": [...]}``: token sequences of the melodies that fit
    ``vocab``, each moved to C major / A minor first (``normalise``). ``limit`` keeps the first
    ``limit`` melodies of each split (fast mode)."""
    corpus = corpus or load_corpus()
    out = {}
    for split in ("train", "valid", "test"):
        melodies = corpus.melodies(collections, split)[:limit]
        if normalise:
            melodies = [normalise_key(m) for m in melodies]
        out[split] = encode_melodies(melodies, vocab)
    return out
