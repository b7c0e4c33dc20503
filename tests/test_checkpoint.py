import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from artlab.checkpoint import load_checkpoint, save_checkpoint
from artlab.errors import ArgumentError, CheckpointError
from artlab.runtime import set_seed


@dataclass(frozen=True)
class TinyConfig:
    width: int = 8
    dropout: float = 0.25


def make_model(config: TinyConfig) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(3, config.width), torch.nn.ReLU(),
                               torch.nn.Dropout(config.dropout), torch.nn.Linear(config.width, 1))


def train(model, optimizer, steps):
    """A loop whose every step uses all three generators (torch data and dropout, numpy, random)."""
    import random

    for _ in range(steps):
        x = torch.randn(16, 3) + float(np.random.rand()) + random.random()
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_round_trip_keeps_states_config_and_extra(tmp_path):
    config = TinyConfig()
    set_seed(0)
    model = make_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    train(model, optimizer, 3)
    vocab = {"tokens": ["<rest>", "C4", "D4"], "step": 0.25}
    path = save_checkpoint(tmp_path / "ckpt" / "tiny.pt", modules={"model": model},
                           optimizers={"adam": optimizer}, step=3, config=config, extra={"vocab": vocab})
    checkpoint = load_checkpoint(path)
    assert checkpoint.step == 3
    assert checkpoint.config == {"width": 8, "dropout": 0.25} and checkpoint.config_type == "TinyConfig"
    assert checkpoint.extra == {"vocab": vocab}
    fresh = make_model(TinyConfig(**checkpoint.config))
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    assert checkpoint.restore(modules={"model": fresh}, optimizers={"adam": fresh_opt}) == 3
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a, b)
    assert fresh_opt.state_dict()["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]


def test_resuming_continues_exactly_where_training_stopped(tmp_path):
    config = TinyConfig()
    set_seed(1)
    straight = make_model(config)
    straight_opt = torch.optim.Adam(straight.parameters(), lr=1e-2)
    train(straight, straight_opt, 10)

    set_seed(1)
    first = make_model(config)
    first_opt = torch.optim.Adam(first.parameters(), lr=1e-2)
    train(first, first_opt, 4)
    save_checkpoint(tmp_path / "half.pt", modules={"model": first}, optimizers={"adam": first_opt},
                    step=4, config=config)

    set_seed(99)  # disturb every generator and start from other weights
    torch.rand(100), np.random.rand(100)
    resumed = make_model(config)
    resumed_opt = torch.optim.Adam(resumed.parameters(), lr=1e-2)
    step = load_checkpoint(tmp_path / "half.pt").restore(modules={"model": resumed},
                                                         optimizers={"adam": resumed_opt})
    train(resumed, resumed_opt, 10 - step)
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


KILLED_WRITER = textwrap.dedent("""
    import sys, torch
    from artlab.checkpoint import save_checkpoint
    path = sys.argv[1]
    model = torch.nn.Linear(3000, 3000)  # 36 MB, so a save takes a while
    with torch.no_grad():
        model.weight.fill_(1.0)
    save_checkpoint(path, modules={"m": model}, step=1)
    print("first save done", flush=True)
    step = 2
    while True:
        with torch.no_grad():
            model.weight.fill_(float(step))
        save_checkpoint(path, modules={"m": model}, step=step)
        step += 1
""")


def test_a_kill_in_the_middle_of_a_save_leaves_the_previous_checkpoint_whole(tmp_path):
    path = tmp_path / "model.pt"
    for attempt in range(10):
        process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)],
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "first save done"
        deadline = time.monotonic() + 30
        killed_mid_save = False
        while time.monotonic() < deadline:
            temporaries = [t for t in tmp_path.glob(".model.pt.*.tmp") if t.stat().st_size > 0]
            if temporaries:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                # the temporary is still there: the kill came before the rename
                killed_mid_save = any(t.exists() for t in temporaries)
                break
        else:
            process.kill()
            process.wait()
        if killed_mid_save:
            break
    assert killed_mid_save, "could not catch the writer in the middle of a save"
    checkpoint = load_checkpoint(path)
    weight = checkpoint.modules["m"]["weight"]
    assert torch.all(weight == float(checkpoint.step)), "the file holds one complete save"
    # the next save clears the half-written temporary
    save_checkpoint(path, modules={"m": torch.nn.Linear(1, 1)}, step=0)
    assert list(tmp_path.glob(".model.pt.*.tmp")) == []


def test_missing_and_damaged_files_give_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt")
    damaged = tmp_path / "damaged.pt"
    save_checkpoint(damaged, modules={"m": torch.nn.Linear(4, 4)}, step=0)
    damaged.write_bytes(damaged.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="damaged.pt.*complete checkpoint"):
        load_checkpoint(damaged)
    other = tmp_path / "state_dict.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), other)
    with pytest.raises(CheckpointError, match="format marker"):
        load_checkpoint(other)


def test_unsafe_values_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "keep.pt"
    save_checkpoint(path, modules={"m": torch.nn.Linear(2, 2)}, step=5)
    before = path.read_bytes()
    with pytest.raises(ArgumentError, match=r"extra\)\['vocab'\].*numpy"):
        save_checkpoint(path, modules={"m": torch.nn.Linear(2, 2)}, step=6,
                        extra={"vocab": np.arange(3)})
    assert path.read_bytes() == before
    assert load_checkpoint(path).step == 5


def test_restoring_into_a_model_of_another_shape_says_what_to_do(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", modules={"model": make_model(TinyConfig(width=8))},
                           step=0, config=TinyConfig(width=8))
    with pytest.raises(CheckpointError, match="Build the model from the saved config"):
        load_checkpoint(path).restore(modules={"model": make_model(TinyConfig(width=4))})
    with pytest.raises(CheckpointError, match="saved modules"):
        load_checkpoint(path).restore(modules={"generator": make_model(TinyConfig())})


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ArgumentError, match="file name"):
        save_checkpoint(tmp_path, modules={}, step=0)
    with pytest.raises(ArgumentError, match="step"):
        save_checkpoint(tmp_path / "x.pt", modules={}, step=-1)
    with pytest.raises(ArgumentError, match="config"):
        save_checkpoint(tmp_path / "x.pt", modules={}, step=0, config=[1, 2])


# --- checkpoints written by artlab before the shared layout (format version 1) ---------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_version_1_painter_checkpoint_loads_into_the_shared_layout_and_paints_as_before():
    from artlab.painters import load_painter
    from artlab.workflow import checkpoint_kind

    saved = load_checkpoint(FIXTURES / "v1_painter.pt")  # written by artlab at 10b50e7 (tests/fixtures)
    assert saved.extra["kind"] == "painter" and saved.extra["model"] == "dcgan"
    assert saved.config_type == "DCGANGeneratorConfig" and saved.config["latent_dim"] == 8
    assert saved.extra["train"]["lr"] == 1e-3 and saved.extra["train"]["lr_d"] is None
    assert saved.extra["train"]["schedule"] == "constant" and saved.extra["finished"]
    assert saved.extra["discriminator"]["model"] == "DCGANDiscriminator" and len(saved.extra["history"]["step"]) == 2
    assert checkpoint_kind(FIXTURES / "v1_painter.pt") == "painter"
    expected = torch.load(FIXTURES / "v1_expected.pt", weights_only=True)
    with torch.no_grad():
        assert torch.equal(load_painter(FIXTURES / "v1_painter.pt")(expected["painter_z"]), expected["painter_x"])


def test_a_version_1_composer_checkpoint_loads_and_predicts_as_before():
    from artlab.music.composers import load_composer

    model, vocab, saved = load_composer(FIXTURES / "v1_composer.pt")
    assert saved.extra["kind"] == "composer" and saved.extra["model"] == "lstm"
    assert saved.extra["train"]["max_grad_norm"] == 1.0 and "clip" not in saved.extra["train"]
    assert set(saved.extra["history"]) == {"step", "seconds", "train_nll", "valid_nll"}
    expected = torch.load(FIXTURES / "v1_expected.pt", weights_only=True)
    with torch.no_grad():
        assert torch.equal(model(expected["composer_tokens"]), expected["composer_logits"])


def test_an_empty_file_is_a_damaged_checkpoint_not_a_crash(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty file \(0 bytes\)"):
        load_checkpoint(tmp_path / "empty.pt")
