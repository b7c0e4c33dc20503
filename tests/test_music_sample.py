"""Samplers: temperature, top-k, top-p, and composing whole melodies."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artlab.errors import ArgumentError
from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.melody import Melody
from artlab.music.sample import (apply_temperature, compose, compose_many, continue_motif, sample_next,
                                 softmax_with_temperature, top_k_filter, top_p_filter)
from artlab.music.tokens import Vocabulary
from artlab.music.train import cpu_threads

VOCAB = Vocabulary()


@pytest.fixture(autouse=True)
def _one_thread():
    with cpu_threads(1):  # small models: one thread is fastest and robust on a busy machine
        yield


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return LSTMComposer(LSTMConfig(len(VOCAB), embedding_dim=8, hidden_size=16)).eval()


logit_rows = st.lists(st.floats(-8, 8, allow_nan=False), min_size=2, max_size=12).map(lambda xs: torch.tensor([xs]))


def test_temperature_scales_logits_and_one_is_the_model():
    z = torch.tensor([[1.0, 2.0, 4.0]])
    assert torch.allclose(apply_temperature(z, 2.0), z / 2)
    assert torch.allclose(softmax_with_temperature(z, 1.0), torch.softmax(z, -1))
    hot, cold = softmax_with_temperature(z, 5.0), softmax_with_temperature(z, 0.2)
    assert hot.max() < torch.softmax(z, -1).max() < cold.max()
    with pytest.raises(ArgumentError):
        apply_temperature(z, 0.0)


@given(logit_rows)
@settings(max_examples=60, deadline=None)
def test_temperature_zero_is_argmax_and_tiny_temperature_approaches_it(z):
    assert sample_next(z, temperature=0).item() == z.argmax().item()
    g = torch.Generator().manual_seed(0)
    top = z.max()
    if (z == top).sum() == 1 and (top - z[z < top].max() if (z < top).any() else 1.0) > 0.1:
        assert sample_next(z, temperature=1e-3, generator=g).item() == z.argmax().item()


@given(logit_rows, st.integers(1, 12))
@settings(max_examples=60, deadline=None)
def test_top_k_keeps_exactly_the_k_largest(z, k):
    kept = torch.isfinite(top_k_filter(z, k))[0]
    k_eff = min(k, z.shape[-1])
    assert kept.sum() >= k_eff  # ties at the k-th value are kept too
    assert z[0][kept].min() >= torch.topk(z[0], k_eff).values[-1]
    if len(set(z[0].tolist())) == z.shape[-1]:
        assert kept.sum() == k_eff


@given(logit_rows, st.floats(0.05, 1.0))
@settings(max_examples=100, deadline=None)
def test_top_p_keeps_the_smallest_set_with_mass_at_least_p(z, p):
    probs = torch.softmax(z, -1)[0]
    kept = torch.isfinite(top_p_filter(z, p))[0]
    assert probs[kept].sum() >= p - 1e-6                              # enough mass
    assert probs[kept].min() >= probs[~kept].max() if (~kept).any() else True   # the most likely ones
    smallest_kept = probs[kept].min()
    assert probs[kept].sum() - smallest_kept < p + 1e-6               # and no more than needed


def test_top_p_of_one_keeps_everything_and_samples_stay_inside_the_nucleus():
    z = torch.tensor([[3.0, 2.0, 0.0, -1.0, -5.0]])
    assert torch.equal(top_p_filter(z, 1.0), z)
    g = torch.Generator().manual_seed(0)
    draws = {sample_next(z, top_p=0.8, generator=g).item() for _ in range(200)}
    assert draws <= {0, 1}
    draws = {sample_next(z, top_k=1, generator=g).item() for _ in range(20)}
    assert draws == {0}


def test_compose_writes_exactly_the_bars_asked_for(model):
    for bars in (1, 4, 16):
        for seed in range(3):
            m = compose(model, VOCAB, bars=bars, seed=seed)
            assert m.duration == m.upbeat + bars * m.bar_length


def test_compose_is_reproducible_and_seeds_differ(model):
    a = compose(model, VOCAB, bars=8, seed=5, temperature=1.2, top_p=0.9)
    b = compose(model, VOCAB, bars=8, seed=5, temperature=1.2, top_p=0.9)
    c = compose(model, VOCAB, bars=8, seed=6, temperature=1.2, top_p=0.9)
    assert a == b and a != c


def test_compose_respects_meter_key_and_prime(model):
    m = compose(model, VOCAB, bars=4, meter="6/8", key="A minor", seed=0)
    assert (m.meter, m.key) == ("6/8", "A minor")
    primed = compose(model, VOCAB, bars=4, prime="4/4 c4 d e f g2", seed=0)
    assert primed.pitches[:5] == (60, 62, 64, 65, 67) and primed.meter == "4/4"
    assert primed.duration == 4 * 4
    with pytest.raises(ArgumentError, match="more bars"):
        compose(model, VOCAB, bars=1, prime="4/4 c4 d e f g2 a b c'1")


def test_compose_continues_a_midi_file(model, tmp_path):
    from artlab.music.midi import write_midi

    motif = Melody((67, 69, 71, 72), (1, 1, 1, 1), "4/4", "G major")
    path = write_midi(motif, tmp_path / "motif.mid")
    for prime in (path, str(path)):
        m = compose(model, VOCAB, bars=2, prime=prime, seed=0)
        assert m.first_bars(1) == motif and m.key == "G major" and m.duration == 8


def test_compose_many_samples_a_batch_each_one_well_formed(model):
    melodies = compose_many(model, VOCAB, 6, bars=3, seed=1)
    assert len(melodies) == 6 and len(set(melodies)) > 1
    for m in melodies:
        assert isinstance(m, Melody) and VOCAB.fits(m)
        assert m.duration == m.upbeat + 3 * m.bar_length
    free = compose(model, VOCAB, bars=None, seed=0, max_tokens=60)
    assert isinstance(free, Melody)


def test_continue_motif_writes_in_the_motif_s_key_and_matches_the_c_major_continuation(model):
    vocab = Vocabulary()
    in_g = continue_motif(model, vocab, "4/4 g4 a b c'", 2, bars=4, seed=7)
    from artlab.music.files import melody_from_text
    from artlab.music.melody import normalise_key

    normal = normalise_key(melody_from_text("4/4 g4 a b c'"))  # C major, by the smallest step (up 5)
    shift = normal.pitches[0] - 67
    in_c = compose_many(model, vocab, 2, bars=4, seed=7, prime=normal)
    for g, c in zip(in_g, in_c):
        assert g.pitches[:4] == (67, 69, 71, 72) and g.key == "G major"
        assert g.durations == c.durations
        assert [p + shift if p >= 0 else p for p in g.pitches] == list(c.pitches)
