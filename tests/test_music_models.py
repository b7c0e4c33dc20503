"""The composer interface: forward and step agree, nothing looks ahead, configs rebuild models."""
import pytest
import torch

from artlab.errors import ArgumentError
from artlab.music.models import COMPOSERS, LSTMComposer, LSTMConfig, build_composer, count_parameters

V = 30


@pytest.fixture(autouse=True)
def _one_thread():
    """Small models train fastest on one thread, and a shared machine punishes two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
    whole = model(tokens)
    state, steps = None, []
    for t in range(tokens.shape[1]):
        logits, state = model.step(tokens[:, t], state)
        steps.append(logits)
    assert torch.allclose(torch.stack(steps, dim=1), whole, atol=1e-5)


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
    assert COMPOSERS["LSTMConfig"] == (LSTMConfig, LSTMComposer)
    with pytest.raises(ArgumentError):
        build_composer({"vocab_size": V})


@pytest.mark.parametrize("bad", [dict(vocab_size=0), dict(vocab_size=V, hidden_size=1.5), dict(vocab_size=V, dropout=1.0)])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ArgumentError):
        LSTMConfig(**bad)
