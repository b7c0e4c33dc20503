"""The hand-written cells equal torch.nn's, step by step and over whole sequences."""
import pytest
import torch
from torch import nn

from artlab.errors import ArgumentError
from artlab.seq.cells import (GRUCell, LSTMCell, RNNCell, gru_step, hidden_of, lstm_gates, lstm_step,
                              rnn_step, unroll, unroll_layers)

ATOL = 1e-5
PAIRS = [(nn.RNNCell, RNNCell), (nn.LSTMCell, LSTMCell), (nn.GRUCell, GRUCell)]
LAYERS = [(nn.RNN, RNNCell), (nn.LSTM, LSTMCell), (nn.GRU, GRUCell)]
SHAPES = [(1, 1), (3, 5), (7, 2), (16, 16)]  # (input_size, hidden_size)
IDS = lambda p: p.__name__ if isinstance(p, type) else str(p)  # noqa: E731


def close(a, b):
    if isinstance(a, tuple):
        return all(close(x, y) for x, y in zip(a, b, strict=True))
    return a.shape == b.shape and torch.allclose(a, b, atol=ATOL)


def random_state(torch_type, shape, seed):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(shape, generator=g)
    return (h, torch.randn(shape, generator=g)) if torch_type is nn.LSTMCell else h


@pytest.mark.parametrize("torch_type, ours", PAIRS, ids=IDS)
@pytest.mark.parametrize("input_size, hidden_size", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [None, 1, 4])
def test_one_step_equals_the_torch_cell(torch_type, ours, input_size, hidden_size, bias, batch):
    torch.manual_seed(input_size * 100 + hidden_size)
    reference = torch_type(input_size, hidden_size, bias=bias)
    cell = ours.from_torch(reference)
    lead = () if batch is None else (batch,)
    x = torch.randn(*lead, input_size)
    state = random_state(torch_type, (*lead, hidden_size), seed=1)
    with torch.no_grad():
        assert close(cell(x, state), reference(x, state))
        assert close(cell(x), reference(x))  # no state: zeros


@pytest.mark.parametrize("torch_type, ours", PAIRS, ids=IDS)
def test_the_parameters_have_torchs_names_and_shapes_so_state_dicts_swap(torch_type, ours):
    reference = torch_type(3, 5)
    cell = ours(3, 5)
    assert {k: v.shape for k, v in cell.state_dict().items()} == \
           {k: v.shape for k, v in reference.state_dict().items()}
    cell.load_state_dict(reference.state_dict())
    x = torch.randn(2, 3)
    with torch.no_grad():
        assert close(cell(x), reference(x))
    assert ours(3, 5, bias=False).bias_ih is None


@pytest.mark.parametrize("torch_layer, ours", LAYERS, ids=IDS)
def test_copies_keep_the_dtype_so_double_precision_matches_to_1e_12(torch_layer, ours):
    reference = torch_layer(3, 4).double()
    cell = ours.from_torch(reference)
    assert cell.weight_ih.dtype == torch.float64
    xs = torch.randn(20, 2, 3, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(unroll(cell, xs)[0], reference(xs)[0], atol=1e-12)


def test_relu_rnn_cell_equals_torch():
    reference = nn.RNNCell(4, 6, nonlinearity="relu")
    cell = RNNCell.from_torch(reference)
    assert cell.nonlinearity == "relu"
    x, h = torch.randn(3, 4), torch.randn(3, 6)
    with torch.no_grad():
        assert close(cell(x, h), reference(x, h))


@pytest.mark.parametrize("torch_layer, ours", LAYERS, ids=IDS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unrolled_cells_equal_torch_layers_over_whole_sequences(torch_layer, ours, num_layers, bias, batch_first):
    torch.manual_seed(num_layers)
    steps, batch, inputs, hidden = 9, 3, 4, 6
    reference = torch_layer(inputs, hidden, num_layers=num_layers, bias=bias, batch_first=batch_first)
    cells = [ours.from_torch(reference, layer) for layer in range(num_layers)]
    xs = torch.randn(batch, steps, inputs) if batch_first else torch.randn(steps, batch, inputs)
    with torch.no_grad():
        want, want_state = reference(xs)
        got, finals = unroll_layers(cells, xs, batch_first=batch_first)
    assert close(got, want)
    if torch_layer is nn.LSTM:
        assert close(torch.stack([f[0] for f in finals]), want_state[0])
        assert close(torch.stack([f[1] for f in finals]), want_state[1])
    else:
        assert close(torch.stack(finals), want_state)


@pytest.mark.parametrize("torch_layer, ours", LAYERS, ids=IDS)
def test_unroll_of_one_unbatched_sequence_equals_the_torch_layer(torch_layer, ours):
    reference = torch_layer(3, 5)
    xs = torch.randn(7, 3)  # (T, I): torch's unbatched input
    with torch.no_grad():
        want, _ = reference(xs)
        got, state = unroll(ours.from_torch(reference), xs)
    assert close(got, want)
    assert hidden_of(state).shape == (5,)


@pytest.mark.parametrize("torch_type, ours", PAIRS, ids=IDS)
def test_unroll_accepts_torch_cells_too_and_gives_the_same_as_ours(torch_type, ours):
    reference = torch_type(3, 4)
    xs = torch.randn(6, 2, 3)
    with torch.no_grad():
        a, _ = unroll(reference, xs)
        b, _ = unroll(ours.from_torch(reference), xs)
    assert close(a, b)


def test_unroll_starts_from_the_given_state_and_stacks_one_output_per_step():
    xs = torch.randn(5, 2, 3)
    h0 = torch.randn(2, 3)
    outputs, last = unroll(lambda x, h: h + x, xs, h0)
    assert torch.allclose(outputs, h0 + xs.cumsum(0))
    assert torch.equal(last, outputs[-1])


def test_gradients_flow_through_the_hand_written_cells_like_through_torchs():
    torch.manual_seed(0)
    reference = nn.LSTM(3, 4)
    cell = LSTMCell.from_torch(reference)
    xs = torch.randn(6, 2, 3)
    reference(xs)[0][-1].sum().backward()
    unroll(cell, xs)[0][-1].sum().backward()
    assert torch.allclose(cell.weight_hh.grad, reference.weight_hh_l0.grad, atol=ATOL)
    assert torch.allclose(cell.bias_ih.grad, reference.bias_ih_l0.grad, atol=ATOL)


def test_the_docstring_equations_hold_gate_by_gate():
    torch.manual_seed(0)
    cell = nn.LSTMCell(3, 2)
    w = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
    x, h, c = torch.randn(3), torch.randn(2), torch.randn(2)
    gates = lstm_gates(x, h, *w)
    W_ii, W_if, W_ig, W_io = cell.weight_ih.chunk(4)
    W_hi, W_hf, W_hg, W_ho = cell.weight_hh.chunk(4)
    b_ii, b_if, b_ig, b_io = cell.bias_ih.chunk(4)
    b_hi, b_hf, b_hg, b_ho = cell.bias_hh.chunk(4)
    assert torch.allclose(gates.i, torch.sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi))
    assert torch.allclose(gates.f, torch.sigmoid(W_if @ x + b_if + W_hf @ h + b_hf))
    assert torch.allclose(gates.g, torch.tanh(W_ig @ x + b_ig + W_hg @ h + b_hg))
    assert torch.allclose(gates.o, torch.sigmoid(W_io @ x + b_io + W_ho @ h + b_ho))
    h_t, c_t = lstm_step(x, (h, c), *w)
    assert torch.allclose(c_t, gates.f * c + gates.i * gates.g)
    assert torch.allclose(h_t, gates.o * torch.tanh(c_t))


def test_gru_equations_hold_with_the_reset_gate_inside_the_candidate():
    torch.manual_seed(1)
    cell = nn.GRUCell(2, 3)
    x, h = torch.randn(2), torch.randn(3)
    W_ir, W_iz, W_in = cell.weight_ih.chunk(3)
    W_hr, W_hz, W_hn = cell.weight_hh.chunk(3)
    b_ir, b_iz, b_in = cell.bias_ih.chunk(3)
    b_hr, b_hz, b_hn = cell.bias_hh.chunk(3)
    r = torch.sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr)
    z = torch.sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz)
    n = torch.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
    got = gru_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    assert torch.allclose(got, (1 - z) * n + z * h)


def test_rnn_step_is_the_formula_and_zero_weights_give_tanh_of_the_bias():
    b = torch.tensor([0.5, -1.0])
    out = rnn_step(torch.ones(3), torch.ones(2), torch.zeros(2, 3), torch.zeros(2, 2), b)
    assert torch.allclose(out, torch.tanh(b))


@pytest.mark.parametrize("call, match", [
    (lambda: rnn_step(torch.randn(2, 3), torch.randn(2, 4), torch.randn(4, 5), torch.randn(4, 4)), "x"),
    (lambda: rnn_step(torch.randn(2, 3), torch.randn(4), torch.randn(4, 3), torch.randn(4, 4)), "h"),
    (lambda: lstm_step(torch.randn(3), None, torch.randn(4, 3), torch.randn(4, 4)), "4\\*H"),
    (lambda: rnn_step(torch.randn(3), None, torch.randn(4, 3), torch.randn(4, 4), nonlinearity="sigmoid"),
     "nonlinearity"),
    (lambda: unroll(RNNCell(3, 4), torch.randn(3)), "unroll"),
    (lambda: unroll(RNNCell(3, 4), torch.randn(0, 2, 3)), "at least one"),
    (lambda: RNNCell(0, 4), "input_size"),
    (lambda: LSTMCell.from_torch(nn.GRUCell(3, 4)), "LSTM"),
    (lambda: LSTMCell.from_torch(nn.LSTM(3, 4), layer=1), "layer"),
    (lambda: LSTMCell.from_torch(nn.LSTM(3, 4, bidirectional=True)), "one-directional"),
    (lambda: unroll_layers([RNNCell(3, 4)], torch.randn(2, 1, 3), states=[None, None]), "one per layer"),
])
def test_bad_input_is_explained(call, match):
    with pytest.raises(ArgumentError, match=match):
        call()
