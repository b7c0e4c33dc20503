"""Exercise 11's check: the answer passes, each typical mistake fails with the property it breaks."""
import inspect
import sys

import pytest
import torch.distributed as dist

from artlab.checks import Checker, CheckFailed, reset_hints
from artlab.checks.distributed import _report, _run, check_all_reduce_gradients, reference_all_reduce_gradients


@pytest.fixture(autouse=True)
def _fresh_hints():
    reset_hints()


def stub(model):
    raise NotImplementedError()


def without_the_none_check(model):
    for p in model.parameters():
        dist.all_reduce(p.grad)
        p.grad /= dist.get_world_size()


def over_two(model):
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= 2


def summed(model):
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)


def the_weights(model):
    for p in model.parameters():
        dist.all_reduce(p.data)
        p.data /= dist.get_world_size()


def to_rank_0_only(model):
    for p in model.parameters():
        if p.grad is not None:
            dist.reduce(p.grad, dst=0)
            p.grad /= dist.get_world_size()


def test_the_answer_passes_in_two_processes(capsys):
    check_all_reduce_gradients(reference_all_reduce_gradients)
    out = capsys.readouterr().out
    assert "✓ all_reduce_gradients: all" in out and "equals DistributedDataParallel's gradient" in out
    assert not dist.is_initialized()  # the one-process group of the first look is gone


def test_the_stub_is_not_implemented_yet_without_starting_processes(capsys):
    check_all_reduce_gradients(stub)
    assert "not implemented yet" in capsys.readouterr().out
    assert not dist.is_initialized()


@pytest.mark.parametrize("mistake,property", [
    (without_the_none_check, "runs on a network with a frozen layer"),
    (over_two, "with one process the average changes nothing"),
])
def test_mistakes_that_show_in_one_process(mistake, property):
    with pytest.raises(CheckFailed, match=property):
        check_all_reduce_gradients(mistake)
    assert not dist.is_initialized()


def test_mistakes_that_show_only_in_several_processes():
    mistakes = {summed: "the mean, not the sum", the_weights: "every process ends with the same gradient",
                to_rank_0_only: "every process ends with the same gradient"}
    module = sys.modules[__name__]
    results = _run([(inspect.getsource(f), f.__name__) for f in mistakes] +
                   [(inspect.getsource(reference_all_reduce_gradients), "reference_all_reduce_gradients")], False)
    for (mistake, property), outcomes in zip(mistakes.items(), results):
        with pytest.raises(CheckFailed, match=property):
            with Checker(mistake.__name__, getattr(module, mistake.__name__)) as c:
                _report(c, outcomes)
    with Checker("reference", reference_all_reduce_gradients) as c:
        _report(c, results[-1])
