"""Exercise 05's checks: the reference answers pass, stubs say so, typical mistakes fail by name."""
import math

import pytest
import torch

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.seq import check_bptt_scalar, check_clip_grad_norm, check_lstm_step, check_rnn_step, check_unroll


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args):
    raise NotImplementedError()


# --- reference answers (as in solutions/05_rnn_recurrences.ipynb) ----------------------------

def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def lstm_step(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, order="ifgo", squash_c=False, g_act=torch.tanh,
              h_from_c=torch.tanh, use_o=True):
    pre = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    blocks = dict(zip(order, pre.chunk(4, dim=-1)))
    i, f, g, o = torch.sigmoid(blocks["i"]), torch.sigmoid(blocks["f"]), g_act(blocks["g"]), torch.sigmoid(blocks["o"])
    c_t = f * c_prev + i * g
    if squash_c:
        c_t = torch.tanh(c_t)
    h_t = (o if use_o else 1.0) * h_from_c(c_t)
    return h_t, c_t


def unroll(step, xs, h0):
    h, hs = h0, []
    for x_t in xs:
        h = step(x_t, h)
        hs.append(h)
    return torch.stack(hs), h


def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / (total.item() + 1e-6))
    return [g * scale for g in grads]


CHECKS = [(check_rnn_step, rnn_step, "rnn_step"), (check_lstm_step, lstm_step, "lstm_step"),
          (check_unroll, unroll, "unroll"), (check_clip_grad_norm, clip_grad_norm, "clip_grad_norm")]


@pytest.mark.parametrize("check, answer, name", CHECKS, ids=[c[2] for c in CHECKS])
def test_the_reference_answer_passes_every_property(check, answer, name, capsys):
    check(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {name}: all ")


@pytest.mark.parametrize("check, answer, name", CHECKS, ids=[c[2] for c in CHECKS])
def test_a_stub_says_not_implemented_in_one_line(check, answer, name, capsys):
    check(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1


def fails_on(check, answer, prop):
    with pytest.raises(CheckFailed) as failure:
        check(answer)
    text = str(failure.value)
    first_line = text.splitlines()[0]
    assert "property failed:" in first_line and prop in first_line, text
    assert "hint:" in text


WRONG_RNN = {
    "sigmoid instead of tanh": (lambda x, h, Wi, Wh, bi, bh: torch.sigmoid(x @ Wi.T + bi + h @ Wh.T + bh),
                                "squashes with tanh"),
    "relu instead of tanh": (lambda x, h, Wi, Wh, bi, bh: torch.relu(x @ Wi.T + bi + h @ Wh.T + bh),
                             "squashes with tanh"),
    "forgets h_prev": (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + bh), "depends on h_prev"),
    "forgets b_hh": (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + h @ Wh.T), "equals torch.nn.RNNCell"),
    "W_hh not transposed": (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + h @ Wh + bh),
                            "equals torch.nn.RNNCell"),
    "columns for rows": (lambda x, h, Wi, Wh, bi, bh: torch.tanh(Wi @ x.T + Wh @ h.T + (bi + bh)[:, None]),
                         "returns h_t of shape (B, H)"),
}


@pytest.mark.parametrize("mistake", WRONG_RNN)
def test_rnn_step_mistakes_fail_on_the_named_property(mistake):
    answer, prop = WRONG_RNN[mistake]
    fails_on(check_rnn_step, answer, prop)


WRONG_LSTM = {
    "gates in the order i, f, o, g": (dict(order="ifog"), "replace the cell by g"),
    "gates in the order f, i, g, o": (dict(order="figo"), "keep the cell: c_t = c_prev"),
    "squashes the cell": (dict(squash_c=True), "keep the cell: c_t = c_prev"),
    "sigmoid for the candidate g": (dict(g_act=torch.sigmoid), "replace the cell by g"),
    "h = o * c without tanh": (dict(h_from_c=lambda c: c), "the cell adds without squashing"),
    "ignores the output gate": (dict(use_o=False), "a closed output gate hides the cell"),
}


@pytest.mark.parametrize("mistake", WRONG_LSTM)
def test_lstm_step_mistakes_fail_on_the_named_property(mistake):
    options, prop = WRONG_LSTM[mistake]
    fails_on(check_lstm_step, lambda *args: lstm_step(*args, **options), prop)


def test_lstm_step_missing_a_bias_fails_against_torch():
    fails_on(check_lstm_step, lambda x, h, c, Wi, Wh, bi, bh: lstm_step(x, h, c, Wi, Wh, bi, torch.zeros_like(bh)),
             "equals torch.nn.LSTMCell")


def test_lstm_step_returning_only_h_is_explained():
    fails_on(check_lstm_step, lambda *args: lstm_step(*args)[0], "returns a pair (h_t, c_t)")


def unroll_with_h0(step, xs, h0):
    hs, last = unroll(step, xs, h0)
    return torch.cat([h0[None], hs]), last


def unroll_never_updates(step, xs, h0):
    hs = torch.stack([step(x, h0) for x in xs])
    return hs, hs[-1]


def unroll_from_zeros(step, xs, h0):
    return unroll(step, xs, torch.zeros_like(h0))


def unroll_backwards(step, xs, h0):
    return unroll(step, xs.flip(0), h0)


def unroll_returns_h0(step, xs, h0):
    return unroll(step, xs, h0)[0], h0


def unroll_twice_per_step(step, xs, h0):
    h, hs = h0, []
    for x in xs:
        step(x, h)
        h = step(x, h)
        hs.append(h)
    return torch.stack(hs), h


WRONG_UNROLL = {
    "keeps h0 among the outputs": (unroll_with_h0, "stacks one h_t per time step"),
    "never updates the state": (unroll_never_updates, "carries the state forward"),
    "starts from zeros": (unroll_from_zeros, "starts from h0"),
    "runs backwards in time": (unroll_backwards, "starts from h0"),
    "returns h0 as the last state": (unroll_returns_h0, "returns the last state"),
    "calls the step twice": (unroll_twice_per_step, "calls the step function once per time step"),
    "returns a list": (lambda step, xs, h0: (list(unroll(step, xs, h0)[0]), h0), "stacks one h_t"),
}


@pytest.mark.parametrize("mistake", WRONG_UNROLL)
def test_unroll_mistakes_fail_on_the_named_property(mistake):
    answer, prop = WRONG_UNROLL[mistake]
    fails_on(check_unroll, answer, prop)


def clip_each(grads, max_norm):
    return [g * min(1.0, max_norm / (g.norm().item() + 1e-6)) for g in grads]


def clip_always(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * max_norm / total for g in grads]


def clip_sum_of_norms(grads, max_norm):
    total = sum(g.norm() for g in grads)
    return [g * min(1.0, max_norm / total.item()) for g in grads]


WRONG_CLIP = {
    "clips each tensor by its own norm": (clip_each, "exactly max_norm long"),
    "clips entry by entry": (lambda grads, m: [g.clamp(-m, m) for g in grads], "exactly max_norm long"),
    "stretches short gradients": (clip_always, "leaves a gradient shorter than max_norm unchanged"),
    "adds norms instead of squares": (clip_sum_of_norms, "exactly max_norm long"),
    "returns the norm as well": (lambda grads, m: (clip_grad_norm(grads, m), 1.0), "returns one tensor per gradient"),
}


@pytest.mark.parametrize("mistake", WRONG_CLIP)
def test_clip_mistakes_fail_on_the_named_property(mistake):
    answer, prop = WRONG_CLIP[mistake]
    fails_on(check_clip_grad_norm, answer, prop)


def test_artlabs_own_functions_pass_the_checks_the_learner_meets(capsys):
    from artlab.seq.bptt import clip_by_norm
    from artlab.seq.cells import lstm_step as ours_lstm
    from artlab.seq.cells import rnn_step as ours_rnn
    from artlab.seq.cells import unroll as ours_unroll

    check_rnn_step(ours_rnn)
    check_lstm_step(lambda x, h, c, *w: ours_lstm(x, (h, c), *w))
    check_unroll(ours_unroll)
    check_clip_grad_norm(clip_by_norm)
    assert capsys.readouterr().out.count("✓") == 4


def bptt(w, u, xs, *, tanh_derivative=True, skip_last=False, forward_order=False):
    """Backpropagation through time for the one-unit RNN, right by default; each switch is a typical mistake."""
    h = [0.0]
    for x in xs:
        h.append(math.tanh(w * h[-1] + u * x))
    shares, delta = [0.0] * len(xs), 1.0
    for t in range(len(xs), 0, -1):
        local = delta * ((1 - h[t] ** 2) if tanh_derivative else 1.0)
        shares[t - 1] = local * h[t - 1]
        delta = local * w
    if skip_last:
        shares[-1] = 0.0
    total = sum(shares)
    return total, (shares[::-1] if forward_order else shares)


WRONG_BPTT = {
    "forgets tanh's derivative": (lambda w, u, xs: bptt(w, u, xs, tanh_derivative=False), "gives dh_3/dw"),
    "lists the steps last first": (lambda w, u, xs: bptt(w, u, xs, forward_order=True), "splits it correctly"),
    "drops the last step": (lambda w, u, xs: bptt(w, u, xs, skip_last=True), "gives dh_3/dw"),
    "only the last step": (lambda w, u, xs: ((s := bptt(w, u, xs)[1])[-1], s), "gives dh_3/dw"),
    "returns the total alone": (lambda w, u, xs: bptt(w, u, xs)[0], "returns (dh_T/dw, one contribution"),
}


@pytest.mark.parametrize("mistake", WRONG_BPTT)
def test_bptt_mistakes_fail_on_the_named_property(mistake):
    answer, prop = WRONG_BPTT[mistake]
    fails_on(check_bptt_scalar, answer, prop)


def test_the_hand_written_bptt_passes_visible_and_hidden_cases(capsys):
    check_bptt_scalar(bptt)
    check_bptt_scalar(bptt, hidden=True)
    assert capsys.readouterr().out.count("✓") == 2
