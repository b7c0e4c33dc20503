"""The transformer composer: attention as PyTorch computes it, nothing looks ahead, step equals forward."""
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from artlab.errors import ArgumentError
from artlab.music.composers import build_composer, load_composer, step_through
from artlab.music.melody import Melody
from artlab.music.sample import compose
from artlab.music.tokens import Vocabulary
from artlab.music.train import TrainConfig, cpu_threads, train_composer
from artlab.music.transformer import (TransformerComposer, TransformerConfig, attention_weights, causal_mask,
                                      positional_encoding, scaled_dot_product_attention)
from artlab.registry import COMPOSERS

VOCAB = Vocabulary()
V = len(VOCAB)


@pytest.fixture(autouse=True)
def _one_thread():
    with cpu_threads(1):
        yield


def make(seed=0, **kw):
    torch.manual_seed(seed)
    config = TransformerConfig(V, **{"d_model": 32, "num_heads": 4, "num_layers": 2, "d_ff": 64, **kw})
    return TransformerComposer(config, VOCAB).eval()


def melody_tokens(*melodies):
    rows = [VOCAB.encode(m) for m in melodies]
    longest = max(map(len, rows))
    return torch.tensor([r + [VOCAB.pad] * (longest - len(r)) for r in rows])


TUNES = (Melody((60, 62, 64, 65, 67, 65, 64, 62, 60), (1, Fraction(1, 2), Fraction(1, 2), 1, 1, 1, 1, 1, 1), "3/4",
                upbeat=1),
         Melody((67, 72, 71, 69, 67), (Fraction(1, 2), 1, Fraction(1, 2), Fraction(3, 2), Fraction(3, 2)), "6/8",
                upbeat=Fraction(1, 2)))


# --- attention from its equation ----------------------------------------------------------

@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_attention_equals_pytorch_with_a_causal_mask(dtype, tol):
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 7, 8, dtype=dtype) for _ in range(3))
    ours = scaled_dot_product_attention(q, k, v, causal_mask(7))
    assert torch.allclose(ours, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=tol, rtol=0)
    assert torch.allclose(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(7)), atol=tol, rtol=0)


def test_attention_equals_pytorch_without_a_mask_and_with_a_window_and_other_value_sizes():
    torch.manual_seed(1)
    q, k = torch.randn(4, 5, 16, dtype=torch.float64), torch.randn(4, 9, 16, dtype=torch.float64)
    v = torch.randn(4, 9, 3, dtype=torch.float64)
    assert torch.allclose(scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, k, v), atol=1e-12)
    q, k, v = (torch.randn(1, 2, 10, 4, dtype=torch.float64) for _ in range(3))
    mask = causal_mask(10, 3)
    assert torch.allclose(scaled_dot_product_attention(q, k, v, mask),
                          F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-12)


def test_attention_weights_are_a_distribution_over_the_allowed_keys_only():
    torch.manual_seed(2)
    q, k = torch.randn(3, 6, 4), torch.randn(3, 6, 4)
    a = attention_weights(q, k, causal_mask(6))
    assert torch.allclose(a.sum(-1), torch.ones(3, 6))
    assert torch.equal(a[:, ~causal_mask(6)], torch.zeros_like(a[:, ~causal_mask(6)]))
    assert torch.allclose(a[:, 0, 0], torch.ones(3))  # the first position can only look at itself
    # scaled by sqrt(d): multiplying q by sqrt(d) undoes it
    raw = torch.softmax((q * math.sqrt(4)) @ k.transpose(-2, -1) / math.sqrt(4), dim=-1)
    assert torch.allclose(attention_weights(q * math.sqrt(4), k), raw)


def test_attention_without_a_mask_ignores_the_order_of_keys_and_values():
    torch.manual_seed(3)
    q, k, v = torch.randn(5, 8), torch.randn(7, 8), torch.randn(7, 2)
    perm = torch.randperm(7)
    assert torch.allclose(scaled_dot_product_attention(q, k, v), scaled_dot_product_attention(q, k[perm], v[perm]),
                          atol=1e-6)


def test_causal_mask_is_the_lower_triangle_and_the_window_forgets():
    assert torch.equal(causal_mask(4), torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]).bool())
    assert torch.equal(causal_mask(4, 2), torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]).bool())
    assert torch.equal(causal_mask(5, 100), causal_mask(5))
    with pytest.raises(ArgumentError):
        causal_mask(0)


def test_positional_encoding_follows_its_formula():
    pe = positional_encoding(50, 16)
    assert pe.shape == (50, 16)
    assert torch.equal(pe[0, 0::2], torch.zeros(8)) and torch.equal(pe[0, 1::2], torch.ones(8))
    pos, i = 7, 3
    angle = pos / 10000 ** (2 * i / 16)
    assert math.isclose(pe[pos, 2 * i], math.sin(angle), abs_tol=1e-6)
    assert math.isclose(pe[pos, 2 * i + 1], math.cos(angle), abs_tol=1e-6)
    assert torch.allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, torch.ones(50, 8))  # each pair on the unit circle
    assert len({tuple(row.tolist()) for row in pe}) == 50                        # every position distinct
    with pytest.raises(ArgumentError):
        positional_encoding(10, 7)


# --- the composer ---------------------------------------------------------------------------

def test_registered_and_built_by_build_composer():
    assert (COMPOSERS["transformer"].config, COMPOSERS["transformer"].model) == (TransformerConfig, TransformerComposer)
    assert isinstance(build_composer(TransformerConfig(V, 32, 4, 1, 64), VOCAB), TransformerComposer)
    with pytest.raises(ArgumentError, match="vocabulary"):
        TransformerComposer(TransformerConfig(V, 32, 4, 1, 64))


@pytest.mark.parametrize("bad", [dict(d_model=30, num_heads=4), dict(num_layers=0), dict(dropout=1.0),
                                 dict(context=0), dict(d_model=33, num_heads=1)])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ArgumentError):
        TransformerConfig(V, **bad)


def test_forward_gives_logits_for_every_position():
    model = make()
    tokens = melody_tokens(*TUNES)
    assert model(tokens).shape == (2, tokens.shape[1], V)
    with pytest.raises(ArgumentError):
        model(tokens[0])


@pytest.mark.parametrize("kw", [{}, {"bar_position": False}])
def test_logits_never_depend_on_later_tokens(kw):
    model = make(**kw)
    tokens = melody_tokens(TUNES[0])
    changed = tokens.clone()
    changed[0, 9:] = (changed[0, 9:] + 3) % V
    assert torch.allclose(model(tokens)[0, :9], model(changed)[0, :9], atol=1e-6)
    assert not torch.allclose(model(tokens)[0, 9:], model(changed)[0, 9:], atol=1e-3)


@pytest.mark.parametrize("kw", [{}, {"bar_position": False}, {"num_heads": 1, "num_layers": 3}, {"context": 6}])
def test_step_by_step_equals_the_whole_sequence_at_once(kw):
    model = make(**kw)
    tokens = melody_tokens(*TUNES)                    # 25 tokens: longer than a context of 6
    assert torch.allclose(step_through(model, tokens), model(tokens), atol=1e-5)


def test_melodies_longer_than_the_precomputed_positions_still_step_like_they_run():
    model = make(context=8)
    tokens = torch.randint(1, V, (1, 40))
    assert model.pe.shape[0] == 8
    assert torch.allclose(step_through(model, tokens), model(tokens), atol=1e-5)


def test_attention_maps_are_causal_distributions():
    model = make()
    tokens = melody_tokens(*TUNES)
    maps = model.attention_maps(tokens)
    T = tokens.shape[1]
    assert maps.shape == (2, 2, 4, T, T)              # (layers, B, heads, T, T)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 2, 4, T), atol=1e-5)
    assert float(maps[..., ~causal_mask(T)].abs().max()) == 0.0


def test_dropout_acts_only_while_training():
    model = make(dropout=0.5)
    tokens = melody_tokens(TUNES[0])
    assert torch.equal(model(tokens), model(tokens))
    model.train()
    assert not torch.equal(model(tokens), model(tokens))


def test_same_seed_same_model_same_melody():
    a, b = make(seed=4), make(seed=4)
    tokens = melody_tokens(*TUNES)
    assert torch.equal(a(tokens), b(tokens))
    assert not torch.equal(a(tokens), make(seed=5)(tokens))
    assert compose(a, VOCAB, bars=4, seed=1) == compose(b, VOCAB, bars=4, seed=1)


def test_trains_with_the_composers_loop_and_its_checkpoint_loads_in_a_fresh_process(tmp_path):
    tokens = [VOCAB.encode(m) for m in TUNES] * 8
    model = make(dropout=0.0)
    before = model(torch.tensor([tokens[0]]))
    config = TrainConfig(steps=30, max_seconds=None, batch_size=8, lr=3e-3, warmup=5, eval_every=10, patience=10)
    result = train_composer(model, tokens, tokens[:2], VOCAB, config, checkpoint=tmp_path / "tf.pt")
    assert result.best_value < result.history[0]["valid_nll"] < math.log(V)
    assert not torch.allclose(model(torch.tensor([tokens[0]])), before)

    loaded, vocab, checkpoint = load_composer(tmp_path / "tf.pt")
    assert isinstance(loaded, TransformerComposer) and loaded.config == model.config
    x = torch.tensor([tokens[1]])
    torch.save(model(x).detach(), tmp_path / "expected.pt")
    code = ("import sys, torch; from artlab.music.composers import load_composer; "
            "m, v, _ = load_composer(sys.argv[1]); x = torch.load(sys.argv[2]); e = torch.load(sys.argv[3]); "
            "assert torch.allclose(m(x), e, atol=1e-6), 'different logits'; print('same', type(m).__name__)")
    torch.save(x, tmp_path / "x.pt")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "tf.pt"), str(tmp_path / "x.pt"),
                          str(tmp_path / "expected.pt")], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "same TransformerComposer"
    assert compose(loaded, vocab, bars=4, seed=2) == compose(model, VOCAB, bars=4, seed=2)
