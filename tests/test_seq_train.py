"""Teacher forcing, the training loop, and the memory experiment on tiny budgets."""
import math

import pytest
import torch
import torch.nn.functional as F

from artlab.errors import ArgumentError, TrainingError
from artlab.seq.models import NetConfig, RecurrentNet, generate
from artlab.seq.tasks import SCALE_VOCAB, scale_batch, scale_run
from artlab.seq.train import (TrainConfig, accuracy_by_gap, fit, recall_accuracy, recall_loss,
                              teacher_forcing_loss, train_language_model, train_recaller)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny recurrent networks run fastest on one thread (two fight on a busy 2-core machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_teacher_forcing_reads_the_true_tokens_and_scores_the_next_ones():
    torch.manual_seed(0)
    net = RecurrentNet(NetConfig(cell="lstm", vocab_size=6, out_size=6))
    tokens = torch.randint(0, 6, (3, 5))
    logits, _ = net(tokens[:, :-1])
    want = sum(-torch.log_softmax(logits[b, t], -1)[tokens[b, t + 1]] for b in range(3) for t in range(4)) / 12
    assert teacher_forcing_loss(net, tokens).item() == pytest.approx(want.item(), rel=1e-5)
    with pytest.raises(ArgumentError):
        teacher_forcing_loss(net, tokens[:, :1])


def test_an_untrained_recaller_is_near_chance_and_its_loss_near_log_8():
    torch.manual_seed(0)
    net = RecurrentNet(NetConfig(cell="rnn", vocab_size=9, out_size=8, hidden_size=16))
    from artlab.seq.tasks import first_note_batch
    tokens, targets = first_note_batch(2000, 10, torch.Generator().manual_seed(0))
    assert recall_loss(net, tokens, targets).item() == pytest.approx(math.log(8), abs=0.1)
    assert recall_accuracy(net, 10) < 0.3


def test_the_lstm_learns_to_recall_the_first_note_over_a_short_gap_and_training_is_reproducible():
    config = TrainConfig(steps=300, lr=1e-2, seed=0, stop_loss=0.05)
    net = NetConfig(hidden_size=16)
    model, result = train_recaller("lstm", 2, config, net)
    assert recall_accuracy(model, 2) > 0.95
    assert len(result.history) < 300 and result.stopped == "loss below stop_loss"  # the loss stayed below 0.05
    _, again = train_recaller("lstm", 2, config, net)
    assert again.history.loss == result.history.loss


def test_a_language_model_trained_with_teacher_forcing_continues_a_scale():
    net = NetConfig(cell="lstm", vocab_size=SCALE_VOCAB, out_size=SCALE_VOCAB, hidden_size=32)
    model, result = train_language_model(lambda g: scale_batch(32, 24, g), net, TrainConfig(steps=100, lr=1e-2))
    losses = result.history.loss
    assert losses[-1] < 0.3 * losses[0]
    composed = generate(model, scale_run(4, True, 3)[None], steps=15)
    assert torch.equal(composed[0], scale_run(4, True, 18))
    with pytest.raises(ArgumentError, match="out_size == vocab_size"):
        train_language_model(lambda g: scale_batch(2, 4, g), NetConfig(vocab_size=5, out_size=3))


def test_accuracy_by_gap_gives_one_accuracy_per_cell_gap_and_seed():
    result = accuracy_by_gap(["rnn", "gru"], [1, 3], TrainConfig(steps=3), NetConfig(hidden_size=4), seeds=(0, 1),
                             n_test=50)
    assert set(result) == {"rnn", "gru"} and all(len(v) == 2 and all(len(r) == 2 for r in v) for v in result.values())
    assert all(0.0 <= a <= 1.0 for v in result.values() for r in v for a in r)
    model, _ = train_recaller("rnn", 3, TrainConfig(steps=3, seed=1), NetConfig(hidden_size=4))
    assert result["rnn"][1][1] == recall_accuracy(model, 3, n=50)


def test_a_nan_loss_stops_training_with_an_explanation():
    model = RecurrentNet(NetConfig(cell="rnn", vocab_size=3, out_size=3))
    with pytest.raises(TrainingError, match="at step 1: expected a finite number"):
        fit(model, lambda g: torch.tensor(float("nan"), requires_grad=True), TrainConfig(steps=2))


def test_fit_clips_every_step(monkeypatch):
    import artlab.seq.train as train
    seen = []
    monkeypatch.setattr(train, "clip_grad_norm_", lambda params, max_norm: seen.append(max_norm) or 0.0)
    model = RecurrentNet(NetConfig(cell="rnn", vocab_size=3, out_size=3))
    tokens = torch.tensor([[0, 1, 2]])
    fit(model, lambda g: F.cross_entropy(model(tokens)[0][0], tokens[0]), TrainConfig(steps=4, max_grad_norm=0.5))
    assert seen == [0.5] * 4
