"""The training loop: it learns, stops on time, keeps the best weights, and checkpoints load anywhere."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from artlab.errors import ArgumentError
from artlab.music.composers import load_composer
from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.melody import Melody
from artlab.music.metrics import evaluate_nll
from artlab.music.sample import compose
from artlab.music.tokens import Vocabulary, encode_melodies
from artlab.music.train import TrainConfig, cpu_threads, lr_at, make_batches, train_composer, training_step

from conftest import ROOT

VOCAB = Vocabulary()


@pytest.fixture(autouse=True)
def _one_thread():
    with cpu_threads(1):  # small models: one thread is fastest and robust on a busy machine
        yield


def scales(n, seed=0):
    """Toy melodies: runs up a C major scale from random starting notes, in 4/4 eighths."""
    rng = np.random.default_rng(seed)
    steps = [0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19]
    out = []
    for _ in range(n):
        start = int(rng.integers(0, 4))
        length = int(rng.integers(6, 9))
        pitches = tuple(60 + steps[start + i] for i in range(length))
        out.append(Melody(pitches, (0.5,) * length, "4/4", "C major", 0))
    return out


@pytest.fixture(scope="module")
def data():
    return encode_melodies(scales(120, 0), VOCAB), encode_melodies(scales(30, 1), VOCAB)


def small_model(seed=0):
    torch.manual_seed(seed)
    return LSTMComposer(LSTMConfig(len(VOCAB), embedding_dim=16, hidden_size=32))


def test_training_step_lowers_the_loss_on_a_batch(data):
    model = small_model()
    batch = next(make_batches(data[0], TrainConfig(batch_size=16), np.random.default_rng(0)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = [training_step(model, optimizer, batch) for _ in range(30)]
    assert losses[-1] < losses[0] * 0.6


def test_batches_pad_with_zero_and_keep_every_token(data):
    config = TrainConfig(batch_size=8, max_len=500)
    batch = next(make_batches(data[0], config, np.random.default_rng(0)))
    assert batch.shape[0] == 8 and batch.dtype == torch.long
    lengths = (batch != 0).sum(dim=1)
    assert set(lengths.tolist()) <= {len(s) for s in data[0]}
    cropped = next(make_batches(data[0], TrainConfig(batch_size=4, max_len=6), np.random.default_rng(0)))
    assert cropped.shape[1] <= 7


def test_learning_rate_warms_up_then_decays_to_a_tenth_over_steps_or_seconds():
    config = TrainConfig(steps=1000, warmup=100, lr=1e-3, max_seconds=100.0)
    assert lr_at(0, config) == pytest.approx(1e-5)
    assert lr_at(99, config) == pytest.approx(1e-3)
    assert lr_at(1000, config) == pytest.approx(1e-4)
    assert lr_at(500, config) < lr_at(200, config)
    assert lr_at(200, config, seconds=100.0) == pytest.approx(1e-4)  # time is up: the end value
    assert lr_at(550, config, seconds=1.0) == pytest.approx(lr_at(550, config))
    # the seconds count from the end of the warm-up, as the steps do: while the steps run out first,
    # the schedule does not depend on how fast the machine is (the same seed, the same run)
    for step, seconds in ((100, 12.0), (101, 12.05), (400, 40.0)):  # 0.05-0.1 s a step: 900 steps fit in 88 s
        assert lr_at(step, config, seconds, warm_seconds=12.0) == lr_at(step, config)
    assert lr_at(400, config, seconds=90.0, warm_seconds=12.0) < lr_at(400, config)  # a slow machine: time steers


def test_training_learns_the_toy_melodies_and_checkpoints(data, tmp_path):
    model = small_model()
    before = evaluate_nll(model, data[1], VOCAB).per_note
    result = train_composer(model, data[0], data[1], VOCAB,
                            TrainConfig(steps=120, batch_size=16, lr=1e-2, warmup=10, eval_every=40, max_seconds=None),
                            checkpoint=tmp_path / "toy.pt")
    after = evaluate_nll(model, data[1], VOCAB).per_note
    assert after < before / 2
    assert result.history and result.best_value == min(h["valid_nll"] for h in result.history)
    assert result.checkpoint.is_file()
    loaded, vocab, checkpoint = load_composer(tmp_path / "toy.pt")
    assert vocab == VOCAB and checkpoint.step == result.best_step
    assert evaluate_nll(loaded, data[1], VOCAB).per_note == pytest.approx(after, rel=1e-5)


def test_same_seed_same_model(data):
    config = TrainConfig(steps=20, batch_size=8, eval_every=10, max_seconds=None, transpose=2)
    a, b = small_model(), small_model()
    train_composer(a, data[0], data[1], VOCAB, config)
    train_composer(b, data[0], data[1], VOCAB, config)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_time_budget_stops_training(data):
    result = train_composer(small_model(), data[0], data[1], VOCAB,
                            TrainConfig(steps=100_000, max_seconds=0.5, eval_every=1000))
    assert result.stopped == "time budget" and result.steps < 100_000


def test_early_stopping_keeps_the_best_weights(data, monkeypatch):
    import artlab.music.train as train_module
    from artlab.music.metrics import NLLReport

    curve = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9])
    snapshots = []

    def fake_evaluate(model, sequences, vocab):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return NLLReport(next(curve), 1, 1)

    monkeypatch.setattr(train_module, "evaluate_nll", fake_evaluate)
    model = small_model()
    result = train_composer(model, data[0], data[1], VOCAB,
                            TrainConfig(steps=1000, eval_every=2, patience=3, max_seconds=None))
    assert result.stopped == "early stopping" and result.steps == 10
    assert result.best_step == 4 and result.best_value == 2.0
    assert all(torch.equal(model.state_dict()[k], snapshots[1][k]) for k in snapshots[1])


def test_a_validation_that_is_never_finite_is_an_error_and_saves_nothing(data, monkeypatch, tmp_path):
    import artlab.music.train as train_module
    from artlab.errors import TrainingError
    from artlab.music.metrics import NLLReport

    monkeypatch.setattr(train_module, "evaluate_nll", lambda model, sequences, vocab: NLLReport(float("nan"), 1, 1))
    with pytest.raises(TrainingError, match="validation"):
        train_composer(small_model(), data[0], data[1], VOCAB, TrainConfig(steps=4, eval_every=2, max_seconds=None),
                       checkpoint=tmp_path / "never.pt")
    assert not (tmp_path / "never.pt").exists()


def test_bad_inputs(data):
    with pytest.raises(ArgumentError):
        train_composer(small_model(), [], data[1], VOCAB)
    with pytest.raises(ArgumentError):
        TrainConfig(steps=0)


def test_a_checkpoint_loads_and_samples_in_a_fresh_process(data, tmp_path):
    model = small_model()
    train_composer(model, data[0], data[1], VOCAB, TrainConfig(steps=30, eval_every=10, max_seconds=60),
                   checkpoint=tmp_path / "fresh.pt")
    here = compose(model, VOCAB, bars=4, seed=3)
    script = textwrap.dedent(f"""
        from artlab.music.composers import load_composer
        from artlab.music.sample import compose
        model, vocab, _ = load_composer({str(tmp_path / 'fresh.pt')!r})
        m = compose(model, vocab, bars=4, seed=3)
        print(repr((m.pitches, [str(d) for d in m.durations], m.meter, m.key, str(m.upbeat))))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == repr((here.pitches, [str(d) for d in here.durations], here.meter, here.key,
                                       str(here.upbeat)))
