"""The composer interface: forward and step agree, nothing looks ahead, configs rebuild models."""
import pytest
import torch

from artlab.errors import ArgumentError
from artlab.music.composers import build_composer, count_parameters, step_through
from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.train import cpu_threads
from artlab.registry import COMPOSERS

V = 30


@pytest.fixture(autouse=True)
def _one_thread():
    with cpu_threads(1):  # small models: one thread is fastest and robust on a busy machine
        yield


def make(**kw):
    torch.manual_seed(0)
    return LSTMComposer(LSTMConfig(V, embedding_dim=8, hidden_size=16, **kw)).eval()


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2}, {"tie_weights": True}, {"dropout": 0.3}])
def test_forward_gives_logits_for_every_position(kw):
    model = make(**kw)
    tokens = torch.randint(0, V, (3, 11))
    assert model(tokens).shape == (3, 11, V)


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2}, {"tie_weights": True}])
def test_step_by_step_equals_the_whole_sequence_at_once(kw):
    model = make(**kw)
    tokens = torch.randint(0, V, (2, 9))
    assert torch.allclose(step_through(model, tokens), model(tokens), atol=1e-5)


def test_logits_never_depend_on_later_tokens():
    model = make()
    tokens = torch.randint(0, V, (1, 12))
    changed = tokens.clone()
    changed[0, 7:] = (changed[0, 7:] + 1) % V
    assert torch.allclose(model(tokens)[0, :7], model(changed)[0, :7])
    assert not torch.allclose(model(tokens)[0, 7:], model(changed)[0, 7:])


def test_tied_weights_share_one_matrix_and_count_once():
    untied, tied = make(), make(tie_weights=True)
    assert tied.head.weight is tied.embedding.weight
    assert count_parameters(tied) < count_parameters(untied)


def test_build_composer_from_config_and_registry():
    config = LSTMConfig(V, 8, 16)
    assert isinstance(build_composer(config), LSTMComposer)
    assert COMPOSERS.name_of(config) == "lstm"
    assert (COMPOSERS["lstm"].config, COMPOSERS["lstm"].model) == (LSTMConfig, LSTMComposer)
    assert isinstance(COMPOSERS["lstm"].build({"vocab_size": V}), LSTMComposer)
    with pytest.raises(ArgumentError):
        build_composer({"vocab_size": V})


@pytest.mark.parametrize("bad", [dict(vocab_size=0), dict(vocab_size=V, hidden_size=1.5), dict(vocab_size=V, dropout=1.0)])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ArgumentError):
        LSTMConfig(**bad)


# --- knowing the beat --------------------------------------------------------------------

from fractions import Fraction  # noqa: E402

from artlab.music.composers import BarClock
from artlab.music.melody import Melody, REST
from artlab.music.tokens import Vocabulary

VOCAB = Vocabulary()


def test_bar_clock_says_where_the_next_note_starts():
    clock = BarClock(VOCAB)
    melody = Melody((67, 72, 71, REST, 74), (Fraction(1, 2), 1, Fraction(1, 3), Fraction(2, 3), 3), "3/4", "C major",
                    Fraction(1, 2))
    tokens = torch.tensor([VOCAB.encode(melody)])
    positions = clock(tokens)[0].tolist()
    u = clock.unknown
    # <bos> meter key upbeat | G 1/2 | C 1 | B 1/3 | rest 2/3 | D 3 | <eos>  (twelfths of a quarter)
    assert positions == [u, 0, 0, 30, 30, 0, 0, 12, 12, 16, 16, 24, 24, 24, 24]  # (meaningful from the upbeat on)
    assert clock.size == 8 * 12 + 1


def test_bar_clock_step_by_step_equals_the_whole_sequence():
    clock = BarClock(VOCAB)
    tokens = torch.tensor([VOCAB.encode(Melody((60, 62, 64), (Fraction(3, 2), Fraction(1, 2), 3), "6/8")),
                           VOCAB.encode(Melody((60, 62, 64), (1, 1, 1), "2/4", upbeat=1))])
    whole = clock(tokens)
    state, steps = None, []
    for t in range(tokens.shape[1]):
        position, state = clock.step(tokens[:, t], state)
        steps.append(position)
    assert torch.equal(torch.stack(steps, dim=1), whole)


def test_a_model_that_knows_the_beat_steps_like_it_runs_and_needs_the_vocabulary():
    torch.manual_seed(0)
    config = LSTMConfig(len(VOCAB), 16, 24, bar_position=True, tie_weights=True)
    model = LSTMComposer(config, VOCAB).eval()
    tokens = torch.tensor([VOCAB.encode(Melody((60, 62, 64, 65), (1, Fraction(1, 2), Fraction(1, 2), 2), "3/4", upbeat=1))])
    assert torch.allclose(step_through(model, tokens), model(tokens), atol=1e-5)
    with pytest.raises(ArgumentError, match="vocabulary"):
        LSTMComposer(config)
    assert isinstance(build_composer(config, VOCAB), LSTMComposer)
