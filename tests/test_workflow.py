"""The workflow behind the command line: data, checkpoints of either kind, sampling settings."""
import pytest
import torch

from artlab.errors import ArgumentError, CheckpointError, DataError
from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.melody import Melody
from artlab.music.midi import write_midi
from artlab.music.tokens import Vocabulary
from artlab.painters import painting_labels
from artlab.workflow import (check_budget, check_sampling, checkpoint_kind, compose_pieces, composer_config,
                             load_images, melody_splits)


def test_load_images_knows_digits_mondrian_and_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTLAB_FAST", "1")
    assert load_images("digits").shape == (1, 16, 16)
    assert load_images("mondrian").shape == (3, 32, 32) and len(load_images("mondrian")) == 200
    with pytest.raises(DataError, match="digits, mondrian"):
        load_images(tmp_path / "nowhere")


def test_melody_splits_reads_a_folder_of_the_learner_s_files(tmp_path):
    for i in range(12):
        write_midi(Melody((60 + i % 5, 62, 64, 65), (1, 1, 1, 1)), tmp_path / f"tune_{i:02d}.mid")
    splits = melody_splits(str(tmp_path), Vocabulary())
    assert len(splits["train"]) == 11 and len(splits["valid"]) == 1
    with pytest.raises(DataError, match="no_such"):
        melody_splits("no_such_collection", Vocabulary())
    assert len(melody_splits("ryans+oneills", Vocabulary(), limit=5)["train"]) == 5


def test_composer_config_is_the_lessons_recipe():
    from artlab.music.recipes import FOLK, FOLK_TRANSFORMER

    vocab = Vocabulary()
    assert isinstance(composer_config("lstm", vocab), LSTMConfig)
    assert composer_config("LSTM", vocab) == FOLK.model_config(vocab)
    assert composer_config("transformer", vocab) == FOLK_TRANSFORMER.model_config(vocab)
    with pytest.raises(ArgumentError, match="model"):
        composer_config("diffusion", vocab)


def test_checkpoint_kind_reads_what_the_checkpoint_says_it_holds(tmp_path):
    from artlab.checkpoint import save_checkpoint
    from artlab.music.train import TrainConfig
    from artlab.training import History, save_run
    from artlab.workflow import load

    vocab = Vocabulary()
    model = LSTMComposer(LSTMConfig(len(vocab), embedding_dim=8, hidden_size=8))
    save_run(tmp_path / "c.pt", kind="composer", model="lstm", model_config=model.config, train_config=TrainConfig(),
             modules={"model": model}, step=0, history=History(), extra={"vocab": vocab.to_dict()})
    assert checkpoint_kind(tmp_path / "c.pt") == "composer"
    loaded = load(tmp_path / "c.pt")
    assert loaded.kind == "composer" and loaded.name == "lstm" and isinstance(loaded.model, LSTMComposer)
    with pytest.raises(CheckpointError, match="artlab compose"):
        load(tmp_path / "c.pt", "painter")
    save_checkpoint(tmp_path / "other.pt", modules={"net": torch.nn.Linear(2, 2)}, step=0)
    with pytest.raises(CheckpointError, match="a painter or composer checkpoint"):
        checkpoint_kind(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="a painter or composer checkpoint"):
        load(tmp_path / "other.pt")


def test_sampling_and_budget_checks_name_the_setting():
    for kwargs, named in ((dict(temperature=0), "temperature"), (dict(top_p=0), "top-p"), (dict(top_k=0), "top-k"),
                          (dict(bars=0), "bars"), (dict(n=0), "n")):
        with pytest.raises(ArgumentError, match=named):
            check_sampling(**kwargs)
    check_sampling(temperature=0.5, top_p=1.0, top_k=1, bars=1, n=1)
    with pytest.raises(ArgumentError, match="minutes"):
        check_budget(minutes=0)


def test_painting_labels():
    conditional = torch.nn.Linear(1, 1)
    conditional.num_classes = 10
    assert painting_labels(conditional, 12).tolist() == [*range(10), 0, 1]
    assert painting_labels(conditional, 3, 7).tolist() == [7, 7, 7]
    assert painting_labels(torch.nn.Linear(1, 1), 3) is None
    with pytest.raises(ArgumentError, match="unconditional"):
        painting_labels(torch.nn.Linear(1, 1), 3, 7)
    with pytest.raises(ArgumentError, match="0 to 9"):
        painting_labels(conditional, 3, 10)


def test_a_motif_in_any_key_comes_back_in_its_key():
    vocab = Vocabulary()
    torch.manual_seed(0)
    model = LSTMComposer(LSTMConfig(len(vocab), embedding_dim=8, hidden_size=16)).eval()
    in_d = compose_pieces(model, vocab, 2, bars=2, motif="4/4 d4 e f# g", seed=1)
    assert all(m.pitches[:4] == (62, 64, 66, 67) and m.key == "D major" for m in in_d)
    assert compose_pieces(model, vocab, 2, bars=2, seed=4) == compose_pieces(model, vocab, 2, bars=2, seed=4)
