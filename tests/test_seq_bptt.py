"""Gradients through time are measured, vanish for the RNN faster than for the LSTM, and clip like torch."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from artlab.errors import ArgumentError
from artlab.seq.bptt import (clip_by_norm, clip_grad_norm_, decay_per_step, global_norm, gradient_by_lag,
                             rnn_jacobian, set_recurrent_gain_)
from artlab.seq.cells import LSTMCell, RNNCell, unroll
from artlab.seq.models import NetConfig, RecurrentNet
from artlab.seq.tasks import N_NOTES, RECALL_VOCAB, first_note_batch


def task_gradient(cell_kind, seed, forget_bias=None, gap=30):
    torch.manual_seed(seed)
    net = RecurrentNet(NetConfig(cell=cell_kind, vocab_size=RECALL_VOCAB, out_size=N_NOTES, hidden_size=32,
                                 forget_bias=forget_bias))
    tokens, targets = first_note_batch(64, gap, torch.Generator().manual_seed(seed))
    return gradient_by_lag(net.cell, net.embed(tokens), lambda h: F.cross_entropy(net.readout(h), targets))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("forget_bias", [0.0, 3.0], ids=["torch init", "forget bias 3"])
def test_the_rnns_gradient_decays_faster_with_lag_than_the_lstms_on_the_same_task(seed, forget_bias):
    rnn = task_gradient("rnn", seed)
    lstm = task_gradient("lstm", seed, forget_bias)
    assert decay_per_step(rnn) < decay_per_step(lstm)
    assert rnn[-1] / rnn[1] < lstm[-1] / lstm[1]
    assert decay_per_step(rnn) < 0.8  # it does vanish: a constant factor below 1 per step


def test_an_open_forget_gate_keeps_the_gradient_from_vanishing():
    norms = task_gradient("lstm", 0, forget_bias=3.0)
    assert decay_per_step(norms) > 0.95
    assert norms[-1] / norms[1] > 1e-2


def test_gradient_by_lag_equals_autograd_on_each_input_in_reverse_order():
    torch.manual_seed(0)
    cell = RNNCell(2, 3)
    xs = torch.randn(5, 4, 2, requires_grad=True)
    hs, _ = unroll(cell, xs)
    hs[-1].sum().backward()
    want = xs.grad.norm(dim=-1).mean(dim=1).flip(0)
    assert torch.allclose(gradient_by_lag(cell, xs.detach()), want)


def test_inputs_after_the_loss_do_not_matter_and_the_last_input_matters_most_for_a_contracting_rnn():
    cell = set_recurrent_gain_(RNNCell(4, 8), 0.3, torch.Generator().manual_seed(0))
    norms = gradient_by_lag(cell, 0.1 * torch.randn(10, 2, 4))
    assert bool((norms[1:] < norms[:-1]).all())  # strictly decreasing with the lag


@pytest.mark.parametrize("gain, vanish", [(0.5, True), (2.0, False)])
def test_the_gain_of_w_hh_decides_between_vanishing_and_exploding(gain, vanish):
    cell = set_recurrent_gain_(RNNCell(8, 32), gain, torch.Generator().manual_seed(1))
    eigenvalues = torch.linalg.eigvals(cell.weight_hh.detach().double()).abs()
    assert torch.allclose(eigenvalues, torch.full_like(eigenvalues, gain), atol=1e-4)
    rho = decay_per_step(gradient_by_lag(cell, 0.1 * torch.randn(30, 16, 8, generator=torch.Generator().manual_seed(2))))
    assert (rho < 1) == vanish


def test_decay_per_step_recovers_a_known_geometric_factor():
    norms = 3.0 * 0.7 ** torch.arange(20.0)
    assert decay_per_step(norms) == pytest.approx(0.7, rel=1e-6)
    assert decay_per_step(torch.ones(10)) == pytest.approx(1.0)


def test_rnn_jacobian_is_the_derivative_of_one_step():
    torch.manual_seed(0)
    cell = RNNCell(3, 4)
    x, h = torch.randn(3), torch.randn(4)
    auto = torch.autograd.functional.jacobian(lambda h_prev: cell(x, h_prev), h)
    assert torch.allclose(rnn_jacobian(cell(x, h).detach(), cell.weight_hh.detach()), auto, atol=1e-6)


def params_with_grads(seed):
    g = torch.Generator().manual_seed(seed)
    params = [nn.Parameter(torch.zeros(4, 3)), nn.Parameter(torch.zeros(5)), nn.Parameter(torch.zeros(2, 2))]
    for p in params:
        p.grad = torch.randn(p.shape, generator=g) * 3
    return params


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 5.0, 100.0])
def test_clip_grad_norm_equals_torchs(max_norm):
    ours, theirs = params_with_grads(0), params_with_grads(0)
    total_ours = clip_grad_norm_(ours, max_norm)
    total_theirs = nn.utils.clip_grad_norm_(theirs, max_norm)
    assert total_ours == pytest.approx(total_theirs.item(), rel=1e-5)
    for a, b in zip(ours, theirs):
        assert torch.allclose(a.grad, b.grad, atol=1e-6)


def test_clipping_keeps_the_direction_caps_the_length_and_leaves_short_gradients_alone():
    grads = [p.grad for p in params_with_grads(1)]
    clipped = clip_by_norm(grads, 1.0)
    assert global_norm(clipped).item() == pytest.approx(1.0, abs=1e-5)
    flat, flat_clipped = torch.cat([g.flatten() for g in grads]), torch.cat([g.flatten() for g in clipped])
    assert F.cosine_similarity(flat, flat_clipped, dim=0).item() == pytest.approx(1.0, abs=1e-6)
    long = global_norm(grads).item()
    assert all(torch.equal(a, b) for a, b in zip(clip_by_norm(grads, long * 2), grads))
    assert global_norm([torch.tensor([3.0, 4.0]), None]).item() == 5.0


def test_clip_grad_norm_accepts_a_module_and_skips_parameters_without_grads():
    cell = LSTMCell(2, 3)
    cell.weight_ih.grad = torch.full_like(cell.weight_ih, 10.0)
    total = clip_grad_norm_(cell, 1.0)
    assert total == pytest.approx(10.0 * math.sqrt(cell.weight_ih.numel()), rel=1e-5)
    assert global_norm([cell.weight_ih.grad]).item() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: gradient_by_lag(RNNCell(2, 3), torch.randn(4, 2)), r"\(T, B, I\)"),
    (lambda: gradient_by_lag(RNNCell(2, 3), torch.randn(4, 1, 2), loss_fn=lambda h: h), "one number"),
    (lambda: decay_per_step(torch.ones(2)), "lags"),
    (lambda: clip_by_norm([torch.ones(2)], 0.0), "max_norm"),
    (lambda: set_recurrent_gain_(LSTMCell(2, 3), 1.0), "square"),
])
def test_bad_input_is_explained(call, match):
    with pytest.raises(ArgumentError, match=match):
        call()
