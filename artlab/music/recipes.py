"""The composers lessons 07 and 08 train, with their budgets: one definition for the notebook and the benchmark.

A :class:`Recipe` names the collection a composer learns from, the model's config, and
the training budget in full and in fast mode. ``benchmarks/music.py`` trains exactly the
notebook's full-mode recipes, so the figures it prints are the notebook's.

* :data:`FOLK`: an LSTM on the Essen folk songs, trained from scratch for at most three
  minutes (1,500 steps of 32 melodies, about 170 s on one core of a laptop CPU).
* :data:`CHORALES`: the same LSTM on Bach's chorale melodies. There are only
  about 280 training chorales, too few to learn melody from scratch, so this recipe
  *fine-tunes* the folk model (``start_from="folk"``): it keeps what the folk songs
  taught about melody and rhythm and adapts it to the chorales, with more dropout
  against over-fitting and a lower learning rate.
* :data:`FOLK_TRANSFORMER` (lesson 08): a small causal transformer on the same folk songs,
  with the same split and exactly :data:`FOLK`'s training budget (steps, wall-clock
  seconds, batch, learning rate, evaluations), so the two compare fairly; its shape was
  tuned for that budget (see the recipe).

:func:`token_splits` gives a collection's train/valid/test melodies as token sequences,
every tune normalised to C major or A minor (lesson 06 explains why).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import os
from pathlib import Path

from artlab.music.corpus import Corpus, load_corpus, normalise_key
from artlab.music.encoding import Vocabulary, encode_melodies
from artlab.music.models import LSTMConfig, build_composer, load_composer
from artlab.music.train import TrainConfig, TrainResult, train_composer
from artlab.music.transformer import TransformerConfig
from artlab.runtime import is_fast

__all__ = ["Recipe", "FOLK", "CHORALES", "FOLK_TRANSFORMER", "token_splits", "train_or_load"]


@dataclass(frozen=True)
class Recipe:
    """What a lesson trains: data, model, budget (full and fast), and where it starts from."""

    name: str
    collections: tuple[str, ...]
    model: LSTMConfig | TransformerConfig  # the composer's config (vocab_size is filled in by .model_config)
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

FOLK_TRANSFORMER = Recipe(
    name="folk transformer",
    collections=FOLK.collections,
    # chosen on the validation songs by a few runs of the same budget (2026-11-25, 2-core machine
    # shared with other work): 2 layers beat 4 layers (more steps in the time) and 3 narrower ones;
    # learning rates 3e-3 and 5e-3 tied, 1e-3 was far behind
    model=TransformerConfig(vocab_size=1, d_model=128, num_heads=4, num_layers=2, d_ff=512, dropout=0.0,
                            context=512, bar_position=True),
    full=FOLK.full,
    fast=FOLK.fast,
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


def train_or_load(recipe: Recipe, data: dict, vocab: Vocabulary, checkpoint: str | os.PathLike, *,
                  start=None, desc: str | None = None):
    """``(model, result, loaded)``: the composer ``recipe`` trains, from ``checkpoint`` if it holds one.

    A checkpoint is reused only if it was written by the same recipe under the same
    budget: the same model config, the same training config (so a fast-mode checkpoint
    is never taken for a full-mode one) and the same vocabulary. Otherwise the model is
    trained with :func:`artlab.music.train.train_composer` on ``data["train"]`` /
    ``data["valid"]`` (starting from the weights of ``start`` if given) and the checkpoint
    written. Lesson 08 uses it to reuse lesson 07's LSTM. When loaded, ``result`` is
    rebuilt from the checkpoint's history, which ends at the best step.
    """
    path = Path(checkpoint)
    config, train_config = recipe.model_config(vocab), recipe.train_config()
    if path.is_file():
        try:
            model, saved_vocab, saved = load_composer(path)
        except Exception:  # unreadable or from another version: train again
            saved = None
        if (saved is not None and saved.config_type == type(config).__name__
                and saved.config == dataclasses.asdict(config)
                and saved.extra.get("train_config") == dataclasses.asdict(train_config)
                and saved_vocab.to_dict() == vocab.to_dict() and saved.extra.get("history")):
            history = saved.extra["history"]
            best = min(history, key=lambda h: h["valid_nll"])
            result = TrainResult(steps=history[-1]["step"], seconds=history[-1]["seconds"], best_step=best["step"],
                                 best_valid_nll=best["valid_nll"], stopped="loaded from the checkpoint",
                                 history=history, checkpoint=path)
            return model, result, True
    model = build_composer(config, vocab)
    if start is not None:
        model.load_state_dict(start.state_dict())
    result = train_composer(model, data["train"], data["valid"], vocab, train_config, checkpoint=path,
                            desc=desc or recipe.name)
    return model, result, False
