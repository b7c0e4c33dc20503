"""Checks for exercise 11 (``exercises/11_training_at_scale.ipynb``): gradient all-reduce by hand.

:func:`check_all_reduce_gradients` takes the learner's ``all_reduce_gradients(model)``, which must
average every parameter's gradient over the processes in place, as DDP does during the backward
pass. It looks twice:

1. in this process, inside a process group of one (no other process needed): the function runs,
   leaves a frozen layer's missing gradient alone, and an average over one process changes nothing;
2. in 2 new processes (3 for the hidden test) started by :func:`artlab.distributed.launch`, each
   with its share of one batch: afterwards every process holds the same gradient, it is the
   gradient one process computes on the whole batch (the mean, not the sum), it equals what
   ``DistributedDataParallel`` computes, and the weights are untouched.

The new processes cannot import a function defined in a notebook, so the check sends them its
source code (``inspect.getsource``); they run it with ``torch``, ``torch.distributed as dist`` and
``torch.nn as nn`` imported, so the function must not need anything else from the notebook.
"""
from __future__ import annotations

import copy
import inspect
import textwrap
from contextlib import contextmanager

import torch
import torch.distributed as dist
from torch import nn

from artlab import distributed
from artlab.checks import Checker
from artlab.errors import TrainingError

__all__ = ["check_all_reduce_gradients", "reference_all_reduce_gradients"]

ATOL = 1e-6
ANSWER = ("world = dist.get_world_size(); for p in model.parameters(): if p.grad is not None: "
          "dist.all_reduce(p.grad); p.grad /= world")


def reference_all_reduce_gradients(model: nn.Module) -> None:
    """The answer: g <- (1/W) sum_r g_r for every parameter that has a gradient, in place."""
    world = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad)  # the sum over the processes, on every process
            p.grad /= world


def _model(seed: int, width: int, frozen: bool = True) -> nn.Module:
    """A small network; ``frozen``: its middle layer gets no gradient (``.grad`` stays None)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(5, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 3))
    net[2].requires_grad_(not frozen)
    return net


def _batch(seed: int, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed + 1)
    return torch.randn(rows, 5, generator=g), torch.randn(rows, 3, generator=g)  # (B, 5), (B, 3)


def _backward(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    ((model(x) - y) ** 2).mean().backward()


def _grads(model: nn.Module) -> dict[str, torch.Tensor | None]:
    return {name: None if p.grad is None else p.grad.detach().clone() for name, p in model.named_parameters()}


def _trial(candidates: list[tuple[str, str]], seed: int, width: int, rows: int) -> list[dict]:
    """In each process: the whole batch's gradient, DDP's on this process's share, and each
    candidate's (source, function name) on the same share."""
    here = distributed.world()
    model = _model(seed, width)
    x, y = _batch(seed, rows)
    full = copy.deepcopy(model)
    _backward(full, x, y)  # one process, the whole batch
    ddp = nn.parallel.DistributedDataParallel(copy.deepcopy(model))
    _backward(ddp, *distributed.shard((x, y), here))
    outcomes = []
    for source, name in candidates:
        mine = copy.deepcopy(model)
        _backward(mine, *distributed.shard((x, y), here))
        weights = {k: v.clone() for k, v in mine.state_dict().items()}
        out = {"rank": here.rank, "full": _grads(full), "ddp": _grads(ddp.module), "error": None}
        namespace = {"torch": torch, "dist": dist, "nn": nn, "__name__": "your_notebook"}
        try:
            exec(compile(source, f"<your {name}>", "exec"), namespace)
            namespace[name](mine)
        except Exception as error:  # reported by the check, with the process it happened in
            out["error"] = f"{type(error).__name__}: {error}"
        else:
            out["mine"] = _grads(mine)
            out["weights_kept"] = all(torch.equal(weights[k], v) for k, v in mine.state_dict().items())
        outcomes.append(out)
    return outcomes


def _case(hidden: bool) -> tuple[int, int, int]:
    """(seed, width, processes) of the visible or the hidden test."""
    return (7, 6, 3) if hidden else (0, 4, 2)


def _run(candidates: list[tuple[str, str]], hidden: bool) -> list[list[dict]]:
    """Every candidate tried in new processes: one list of outcomes per candidate, one per process."""
    seed, width, nprocs = _case(hidden)
    per_rank = distributed.launch(_trial, nprocs, candidates, seed, width, 3 * nprocs, timeout_s=240.0)
    return [[outcomes[i] for outcomes in per_rank] for i in range(len(candidates))]


def _report(c: Checker, results: list[dict]) -> None:
    """The properties of one candidate's outcomes, one per process."""
    nprocs = len(results)
    where = f"{nprocs} processes, each with 3 rows of a batch of {3 * nprocs}"
    failed = [r for r in results if r["error"] is not None]
    c.expect(not failed, f"runs on each of {nprocs} processes", input=where, expected="no error",
             got=f"<process {failed[0]['rank']}: {failed[0]['error']}>" if failed else None,
             hint="the processes run only your function's own source, with torch, dist (torch.distributed) "
                  "and nn imported: anything else it uses must be defined inside it.")
    mine = [r["mine"] for r in results]
    c.expect(all(_same(m, mine[0]) for m in mine[1:]), "every process ends with the same gradient", input=where,
             expected="equal gradients on every process", got=_gap(mine[-1], mine[0]),
             hint="all_reduce the gradients (p.grad), not the weights, and on every process, not only on rank 0 "
                  "(dist.reduce sends the sum to one process only).", answer=ANSWER)
    full = results[0]["full"]
    c.expect(_same(mine[0], full), "equals one process's gradient on the whole batch: the mean, not the sum",
             input=where, expected="the gradient of the whole batch's mean loss", got=_gap(mine[0], full),
             hint=f"all_reduce adds the {nprocs} gradients; the mean loss of the batch needs their average.",
             answer=ANSWER)
    c.expect(_same(mine[0], results[0]["ddp"]), "equals DistributedDataParallel's gradient", input=where,
             expected="DDP's gradients", got=_gap(mine[0], results[0]["ddp"]),
             hint="DDP averages over the processes, after the backward pass of each.", answer=ANSWER)
    c.expect(all(r["weights_kept"] for r in results), "leaves the weights as they were", input=where,
             expected="the weights unchanged (the optimizer steps later)", got="<weights changed>",
             hint="change only p.grad; the optimizer's step uses it afterwards.")


def _same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all((a[k] is None) == (b[k] is None) and
                                    (a[k] is None or torch.allclose(a[k], b[k], atol=ATOL)) for k in a)


def _gap(a: dict, b: dict) -> str:
    gaps = [(a[k] - b[k]).abs().max().item() for k in a if a.get(k) is not None and b.get(k) is not None]
    return f"largest difference {max(gaps):.3g}" if gaps else "missing gradients"


@contextmanager
def _group_of_one():
    """A process group of one process, this one (nothing to wait for), unless one is running."""
    started = not dist.is_initialized()
    if started:
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        if started:
            dist.destroy_process_group()


def _first_look(c: Checker, function, seed: int, width: int) -> None:
    """Run the function here, in a process group of one: cheap, and a stub or a crash shows at once."""
    model = _model(seed, width)
    _backward(model, *_batch(seed, 4))
    before = _grads(model)
    with _group_of_one():
        try:
            function(model)  # in place, as a training step uses it
            error = None
        except NotImplementedError:
            c.call(model)  # the stub: the checker says "not implemented yet"
        except Exception as caught:  # noqa: BLE001 - shown to the learner
            error = f"{type(caught).__name__}: {caught}"
    frozen = [k for k, g in before.items() if g is None]
    where = f"one process; a network whose parameters {', '.join(frozen)} are frozen (their .grad is None)"
    c.expect(error is None, "runs on a network with a frozen layer", input=where, expected="no error", got=error,
             hint="skip parameters whose .grad is None: DDP, too, reduces only the gradients that exist.",
             answer="for p in model.parameters(): if p.grad is not None: ...")
    after = _grads(model)
    c.expect(all(after[k] is None for k in frozen), "leaves a frozen layer's missing gradients missing", input=where,
             expected="their .grad still None", got={k: type(after[k]).__name__ for k in frozen},
             hint="a parameter without a gradient has nothing to average; leave it as it is.")
    c.expect(_same(after, before), "with one process the average changes nothing", input=where,
             expected="the gradients as they were", got=_gap(after, before),
             hint="the average over W processes is their sum divided by W; ask torch.distributed for W.",
             answer="dist.all_reduce(p.grad); p.grad /= dist.get_world_size()")


def check_all_reduce_gradients(all_reduce_gradients, *, hidden: bool = False) -> None:
    """``all_reduce_gradients(model)``: every gradient becomes its mean over the processes, in place."""
    name = getattr(all_reduce_gradients, "__name__", "all_reduce_gradients")
    with Checker("all_reduce_gradients", all_reduce_gradients, hidden=hidden) as c:
        seed, width, nprocs = _case(hidden)
        _first_look(c, all_reduce_gradients, seed, width)
        try:
            source = textwrap.dedent(inspect.getsource(all_reduce_gradients))
        except (OSError, TypeError):
            source = None
        c.expect(source is not None, "its source can be sent to the new processes", input=name,
                 expected="a function written with def in a notebook cell or a file", got="<no source found>",
                 hint="define it with def (not a lambda) and run its cell again.")
        try:
            (results,) = _run([(source, name)], hidden)
        except TrainingError:
            c.expect(False, f"returns on every one of {nprocs} processes", input=f"{nprocs} processes",
                     expected="all of them done", got="<they waited for each other until the time ran out>",
                     hint="every process must make the same calls to all_reduce, in the same order: no "
                          "`if rank == 0`, and a parameter skipped on one process must be skipped on all.")
            return
        _report(c, results)
