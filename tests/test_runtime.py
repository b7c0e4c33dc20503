import random

import numpy as np
import pytest
import torch

import artlab
from artlab import runtime
from artlab.errors import ArgumentError


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    assert runtime.device() == torch.device("cpu")
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    assert runtime.device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.device() == torch.device("cuda")


def test_device_can_be_chosen_and_refuses_what_is_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    monkeypatch.setenv("ARTLAB_DEVICE", "cpu")
    assert runtime.device() == torch.device("cpu")
    monkeypatch.setenv("ARTLAB_DEVICE", "cuda")
    with pytest.raises(ArgumentError, match="ARTLAB_DEVICE"):
        runtime.device()


@pytest.mark.parametrize("value,fast", [("1", True), ("true", True), ("YES", True), ("0", False),
                                        ("", False), ("off", False)])
def test_fast_mode_reads_the_environment_each_time(monkeypatch, value, fast):
    monkeypatch.setenv("ARTLAB_FAST", value)
    assert runtime.is_fast() is fast
    assert runtime.budget(full=100, fast=3) == (3 if fast else 100)


def test_fast_mode_rejects_unclear_values(monkeypatch):
    monkeypatch.setenv("ARTLAB_FAST", "maybe")
    with pytest.raises(ArgumentError, match="ARTLAB_FAST.*maybe"):
        runtime.is_fast()


def test_fast_mode_is_off_by_default():
    assert runtime.is_fast() is False


def test_budget_refuses_a_fast_size_larger_than_the_full_one():
    with pytest.raises(ArgumentError, match="no larger than full=10"):
        runtime.budget(full=10, fast=20)
    assert runtime.budget(full=(16, 16), fast=(8, 8)) == (16, 16)


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_set_seed_covers_python_numpy_and_torch():
    assert artlab.set_seed(5) == 5
    first = _draws()
    artlab.set_seed(5)
    assert _draws() == first
    artlab.set_seed(6)
    second = _draws()
    assert all(a != b for a, b in zip(first, second))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True, None])
def test_set_seed_rejects_what_is_not_a_seed(bad):
    with pytest.raises(ArgumentError, match="set_seed"):
        artlab.set_seed(bad)


def test_output_dir_follows_artlab_output(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTLAB_OUTPUT", str(tmp_path / "elsewhere"))
    path = runtime.output_dir("gan", "ring")
    assert path == tmp_path / "elsewhere" / "gan" / "ring" and path.is_dir()


def test_output_dir_defaults_to_outputs_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ARTLAB_OUTPUT")
    monkeypatch.chdir(tmp_path)
    assert runtime.output_dir("x", create=False) == tmp_path / "outputs" / "x"
    assert not (tmp_path / "outputs").exists()


def test_fast_mode_writes_beside_full_mode_never_over_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTLAB_OUTPUT", str(tmp_path))
    monkeypatch.delenv("ARTLAB_FAST", raising=False)
    full = runtime.output_dir("checkpoints")
    monkeypatch.setenv("ARTLAB_FAST", "1")
    fast = runtime.output_dir("checkpoints")
    assert full == tmp_path / "checkpoints" and fast == tmp_path / "fast" / "checkpoints"


def test_progress_counts_and_can_be_hidden(monkeypatch, capsys):
    assert sum(runtime.progress(range(5), desc="t")) == 10
    monkeypatch.setenv("ARTLAB_PROGRESS", "0")
    bar = runtime.progress(range(3))
    assert bar.disable and list(bar) == [0, 1, 2]
