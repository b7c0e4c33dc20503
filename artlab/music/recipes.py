"""The composers lessons 07 and 08 train, with their budgets: one definition for the notebook and the benchmark.

A :class:`Recipe` names the collection a composer learns from, the model's config, and
the training budget in full and in fast mode. ``benchmarks/music.py`` trains exactly the
notebook's full-mode recipes, so the figures it prints are the notebook's.

* :data:`FOLK`: an LSTM on the Essen folk songs, trained from scratch for at most three
  minutes (1,500 steps of 32 melodies).
* :data:`CHORALES`: the same LSTM on Bach's chorale melodies. There are only
  about 280 training chorales, too few to learn melody from scratch, so this recipe
  *fine-tunes* the folk model (``start_from="folk"``): it keeps what the folk songs
  taught about melody and rhythm and adapts it to the chorales, with more dropout
  against over-fitting and a lower learning rate.
* :data:`FOLK_TRANSFORMER` (lesson 08): a small causal transformer on the same folk songs,
  with the same split and exactly :data:`FOLK`'s training budget (steps, wall-clock
  seconds, batch, learning rate, evaluations), so the two compare fairly; its shape was
  chosen on the validation songs for that budget (``docs/benchmarks.md`` lists the shapes tried).

:func:`token_splits` gives a collection's train/valid/test melodies as token sequences,
every tune normalised to C major or A minor (lesson 06 explains why).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from artlab.music.composers import build_composer, composer_from
from artlab.music.corpus import Corpus, load_corpus
from artlab.music.lstm import LSTMConfig
from artlab.music.melody import normalise_key
from artlab.music.tokens import Vocabulary, encode_melodies
from artlab.music.train import TrainConfig, train_composer
from artlab.music.transformer import TransformerConfig
from artlab.registry import COMPOSERS
from artlab.runtime import is_fast
from artlab.training import History, TrainResult, finished_run

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

    A checkpoint is reused only if it holds this very run, finished
    (:func:`artlab.training.finished_run`): the same model config, the same training config (so a
    fast-mode checkpoint is never taken for a full-mode one) and the same vocabulary. Otherwise the
    model is trained with :func:`artlab.music.train.train_composer` on ``data["train"]`` /
    ``data["valid"]`` (starting from the weights of ``start`` if given) and the checkpoint written.
    Lesson 08 uses it to reuse lesson 07's LSTM. When loaded, ``result`` is rebuilt from the
    checkpoint.
    """
    path = Path(checkpoint)
    config, train_config = recipe.model_config(vocab), recipe.train_config()
    saved = finished_run(path, kind="composer", model=COMPOSERS.name_of(config), model_config=config,
                         train_config=train_config, identity={"vocab": vocab.to_dict()}, ignore=("threads",))
    if saved is not None:
        model, _ = composer_from(saved)
        extra = saved.extra
        result = TrainResult(steps=saved.step, seconds=float(extra["seconds"]), history=History.from_dict(extra["history"]),
                             stopped=f"{extra['stopped']} (loaded from the checkpoint)", best_step=extra["best_step"],
                             best_value=extra["best_value"], checkpoint=path, models={"model": model})
        return model, result, True
    model = build_composer(config, vocab)
    if start is not None:
        model.load_state_dict(start.state_dict())
    result = train_composer(model, data["train"], data["valid"], vocab, train_config, checkpoint=path,
                            desc=desc or recipe.name)
    return model, result, False
