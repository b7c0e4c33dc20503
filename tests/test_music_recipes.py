"""Lesson 07-08 recipes: the transformer shares the LSTM's data and budget; train_or_load reuses only a matching checkpoint."""
import dataclasses
from fractions import Fraction

import torch

from artlab.music.lstm import LSTMComposer
from artlab.music.melody import Melody
from artlab.music.recipes import FOLK, FOLK_TRANSFORMER, Recipe, train_or_load
from artlab.music.tokens import Vocabulary
from artlab.music.train import TrainConfig, cpu_threads
from artlab.music.transformer import TransformerComposer

VOCAB = Vocabulary()


def test_the_transformer_recipe_uses_the_lstm_recipes_data_and_budget():
    assert FOLK_TRANSFORMER.collections == FOLK.collections
    assert FOLK_TRANSFORMER.full == FOLK.full and FOLK_TRANSFORMER.fast == FOLK.fast
    assert FOLK.full.max_seconds == 180.0


def tiny(recipe_model, lr=3e-3):
    budget = TrainConfig(steps=6, max_seconds=None, batch_size=4, lr=lr, warmup=2, eval_every=3, patience=5)
    return Recipe(name="tiny", collections=("essen",), model=recipe_model, full=budget, fast=budget)


def test_train_or_load_trains_once_then_loads_and_retrains_when_the_recipe_changes(tmp_path):
    tunes = [VOCAB.encode(Melody((60, 62, 64, 65), (1, Fraction(1, 2), Fraction(1, 2), 2), "3/4", upbeat=1))] * 8
    data = {"train": tunes, "valid": tunes[:2]}
    recipe = tiny(dataclasses.replace(FOLK_TRANSFORMER.model, d_model=16, num_layers=1, d_ff=32))
    path = tmp_path / "tiny.pt"
    with cpu_threads(1):
        model, result, loaded = train_or_load(recipe, data, VOCAB, path)
        assert not loaded and isinstance(model, TransformerComposer) and path.is_file()
        again, again_result, loaded = train_or_load(recipe, data, VOCAB, path)
        assert loaded and again_result.best_value == result.best_value
        x = torch.tensor(tunes[:1])
        assert torch.allclose(again(x), model(x))
        # another budget (as fast mode has), or another kind of model: trained afresh
        _, _, loaded = train_or_load(tiny(recipe.model, lr=1e-3), data, VOCAB, path)
        assert not loaded
        other, _, loaded = train_or_load(tiny(dataclasses.replace(FOLK.model, embedding_dim=16, hidden_size=16)),
                                         data, VOCAB, path)
        assert not loaded and isinstance(other, LSTMComposer)
