"""RecurrentNet is embedding -> cell -> readout; generate feeds predictions back in."""
import pytest
import torch
from torch import nn

from artlab.errors import ArgumentError
from artlab.seq.cells import LSTMCell, unroll
from artlab.seq.models import CELLS, NetConfig, RecurrentNet, generate, make_cell, set_forget_bias


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_logits_at_every_step_are_the_readout_of_the_unrolled_cell(cell):
    torch.manual_seed(0)
    net = RecurrentNet(NetConfig(cell=cell, vocab_size=5, out_size=3, embedding_size=4, hidden_size=6))
    tokens = torch.randint(0, 5, (2, 7))
    logits, _ = net(tokens)
    assert logits.shape == (2, 7, 3)
    hs, _ = unroll(net.cell, net.embedding(tokens).transpose(0, 1))
    assert torch.allclose(logits, net.readout(hs).transpose(0, 1))
    assert torch.allclose(net.last_logits(tokens), logits[:, -1])


def test_the_network_is_causal_later_tokens_do_not_change_earlier_logits():
    torch.manual_seed(0)
    net = RecurrentNet(NetConfig(cell="lstm", vocab_size=6, out_size=6))
    a = torch.tensor([[1, 2, 3, 4]])
    b = torch.tensor([[1, 2, 5, 0]])
    la, lb = net(a)[0], net(b)[0]
    assert torch.allclose(la[:, :2], lb[:, :2]) and not torch.allclose(la[:, 2:], lb[:, 2:])


def test_reading_in_pieces_with_the_carried_state_equals_reading_at_once():
    torch.manual_seed(1)
    net = RecurrentNet(NetConfig(cell="gru", vocab_size=6, out_size=6))
    tokens = torch.randint(0, 6, (3, 8))
    whole, _ = net(tokens)
    first, state = net(tokens[:, :5])
    second, _ = net(tokens[:, 5:], state)
    assert torch.allclose(torch.cat([first, second], dim=1), whole, atol=1e-6)


def test_forget_bias_sets_the_forget_gate_of_ours_and_torchs_lstm():
    for cell in (LSTMCell(3, 4), nn.LSTMCell(3, 4)):
        set_forget_bias(cell, 3.0)
        total = (cell.bias_ih + cell.bias_hh).detach()
        assert torch.allclose(total[4:8], torch.full((4,), 3.0))
    assert make_cell("lstm", 3, 4, forget_bias=2.0).bias_ih[4:8].eq(2.0).all()
    with pytest.raises(ArgumentError):
        set_forget_bias(LSTMCell(3, 4, bias=False), 1.0)


def test_greedy_generation_feeds_back_the_argmax_and_equals_stepping_by_hand():
    torch.manual_seed(2)
    net = RecurrentNet(NetConfig(cell="rnn", vocab_size=5, out_size=5))
    prime = torch.tensor([[0, 1], [3, 2]])
    out = generate(net, prime, steps=4)
    assert out.shape == (2, 6) and torch.equal(out[:, :2], prime)
    for t in range(2, 6):
        assert torch.equal(out[:, t], net(out[:, :t])[0][:, -1].argmax(-1))


def test_sampling_is_reproducible_with_a_seeded_generator():
    torch.manual_seed(3)
    net = RecurrentNet(NetConfig(cell="lstm", vocab_size=7, out_size=7))
    prime = torch.zeros(4, 1, dtype=torch.int64)
    a = generate(net, prime, 10, temperature=1.0, generator=torch.Generator().manual_seed(0))
    b = generate(net, prime, 10, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.max() < 7


@pytest.mark.parametrize("call, match", [
    (lambda net: net(torch.tensor([[0, 9]])), r"tokens in \[0, 5\)"),
    (lambda net: net(torch.tensor([0.0, 1.0])), "integer tensor"),
    (lambda net: generate(net, torch.tensor([[0]]), -1), "steps"),
    (lambda net: make_cell("transformer", 2, 2), "cell kind"),
])
def test_bad_input_is_explained(call, match):
    net = RecurrentNet(NetConfig(cell="rnn", vocab_size=5, out_size=5))
    with pytest.raises(ArgumentError, match=match):
        call(net)
