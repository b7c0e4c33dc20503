"""Training on several processes at once: ``torchrun`` and DistributedDataParallel. Appendix 11.

**Data parallelism.** W processes (*ranks* 0, ..., W-1, the *world*) each hold a whole copy of
the networks. Every step, each takes its share of the global batch, computes the gradient of
its share's mean loss, and the processes average their gradients with an **all-reduce** (each
ends up with the same sum) before the optimizer step. Every copy then takes the same step: the
one a single process takes on the whole batch, because the mean over the batch is the
share-weighted mean of the shares' means::

    grad L(batch) = sum_r (n_r / n) * grad L(share_r)          n_r: rows (tokens) of share r

PyTorch's ``DistributedDataParallel`` (DDP) does the all-reduce during the backward pass, in
buckets, so communication overlaps computation (Li et al., 2020). ``torchrun
--nproc_per_node=W`` starts the processes and tells each, in environment variables, who it
is (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``) and where to meet (``MASTER_ADDR``,
``MASTER_PORT``).

What every artlab training loop does with this module (``artlab.gan.train.train_gan``,
``artlab.music.train.train_composer``), so that it runs under ``torchrun`` unchanged and gives
what one process gives:

* :func:`init` joins the process group that ``torchrun`` describes (``gloo`` on the CPU,
  ``nccl`` on CUDA GPUs, one GPU per process); without those variables it is one process
  and nothing happens. :func:`world` says who this process is.
* **The global batch is the config's ``batch_size``**; each process trains on
  ``batch_size / W`` rows of it. Every process draws the *same* global batch, from generators
  seeded alike (:func:`sync_rng`), and keeps its contiguous block of rows (:func:`shard`),
  so the run sees exactly the batches, noise and order one process sees, and a checkpoint
  resumes exactly on any number of processes. (``DistributedSampler`` instead gives each
  process different indices: less data read per process, but an order that depends on W.)
* :func:`wrap` puts a network into DDP, whose all-reduce is weighted by each process's share of
  the batch (:func:`set_share`): rows for a GAN, non-padding tokens for a composer, whose
  shares differ.
* :func:`average` gives every process the same logged losses, so the finite-loss guard, early
  stopping and time budgets decide alike everywhere (a process that stopped alone would leave
  the others waiting forever); :func:`from_main` shares rank 0's clock.
* Only rank 0 writes checkpoints and shows progress bars (:func:`is_main`, :func:`barrier`).
* Randomness *inside* a network (dropout, DiffAugment's shifts) comes from a stream of its own
  per process and step (:func:`local_randomness`), so the shares do not all get the same masks.

What stays different from one process, on purpose or by necessity (appendix 11 shows each):

* **batch statistics**: batch norm and the minibatch standard deviation see only their
  process's rows. ``SyncBatchNorm`` would share them, but this PyTorch runs it on GPUs only,
  so :func:`wrap` converts batch norm on CUDA and leaves it local on the CPU;
* **randomness inside the networks**: per-process streams give other masks than one process;
* **floating point**: sums in another order differ in the last bits (about 1e-7 relative).

:func:`launch` starts W processes from Python (a notebook, a test), as ``torchrun`` does from a
shell; the function it runs must be importable, because each new process imports it.
"""
from __future__ import annotations

import atexit
import dataclasses
import datetime
import os
import random
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from artlab.errors import ArgumentError, EnvironmentProblem, TrainingError, whole_number

__all__ = ["World", "backends", "init", "world", "is_main", "cleanup", "barrier", "shard", "wrap", "unwrap",
           "set_share", "allreduce_seconds", "average", "average_fields", "all_reduce_mean", "from_main",
           "sync_rng", "local_randomness", "check_batch", "launch", "TORCHRUN_VARIABLES"]

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
"""The environment variables ``torchrun`` sets in every process it starts."""

T = TypeVar("T")


@dataclass(frozen=True)
class World:
    """Who this process is: ``rank`` of ``size`` processes (``local_rank`` on its machine)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    backend: str | None = None      # "gloo" or "nccl"; None: one process, no process group

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes files and shows progress."""
        return self.rank == 0

    @property
    def device(self) -> torch.device | None:
        """The GPU of this process under ``nccl`` (``cuda:LOCAL_RANK``); ``None``: the loop's own choice."""
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else None


def backends() -> dict[str, bool]:
    """Which process-group back-ends this PyTorch has: ``gloo`` (CPU), ``nccl`` (NVIDIA GPUs), ``mpi``."""
    if not dist.is_available():
        return {"gloo": False, "nccl": False, "mpi": False}
    return {"gloo": dist.is_gloo_available(), "nccl": dist.is_nccl_available(), "mpi": dist.is_mpi_available()}


def world() -> World:
    """This process's :class:`World`: from the process group if one is running, else one process."""
    if not (dist.is_available() and dist.is_initialized()):
        return World()
    rank = dist.get_rank()
    return World(rank, dist.get_world_size(), int(os.environ.get("LOCAL_RANK", rank)), str(dist.get_backend()))


def is_main() -> bool:
    """True on rank 0, and in a single process."""
    return world().is_main


def init(backend: str | None = None, *, timeout_s: float = 1800.0) -> World:
    """Join the process group ``torchrun`` (or :func:`launch`) describes in the environment.

    With ``WORLD_SIZE`` unset it does nothing and returns a one-process :class:`World`; if a
    group is running already it returns its world. (``torchrun --nproc_per_node=1`` makes a group
    of one: nothing to share, but under ``nccl`` the process trains on its GPU, as with more.) ``backend``: ``"gloo"`` or ``"nccl"``
    (default: ``nccl`` when :func:`artlab.runtime.device` is CUDA, each process on GPU
    ``LOCAL_RANK``; else ``gloo``). ``timeout_s``: how long a collective waits for the others.
    The group is closed at exit (or by :func:`cleanup`).
    """
    if dist.is_available() and dist.is_initialized():
        return world()
    size = os.environ.get("WORLD_SIZE", "").strip()
    if not size:
        return World()
    if not size.isdigit() or int(size) < 1:
        raise ArgumentError("environment variable WORLD_SIZE", expected="a whole number of processes >= 1", got=size,
                            hint="torchrun sets it; unset it to train in one process.")
    missing = [name for name in TORCHRUN_VARIABLES if not os.environ.get(name, "").strip()]
    if missing:
        raise EnvironmentProblem("the torchrun environment", expected=f"all of {', '.join(TORCHRUN_VARIABLES)}",
                                 got=f"<WORLD_SIZE={size} but no {', '.join(missing)}>",
                                 hint="Start the processes with torchrun --nproc_per_node=N (or artlab.distributed."
                                      "launch), or unset WORLD_SIZE to train in one process.")
    if not dist.is_available():
        raise EnvironmentProblem("torch.distributed", expected="a PyTorch built with distributed support",
                                 got="<not available>", hint="Install the PyTorch of constraints.txt (make lab).")
    if backend is None:
        from artlab.runtime import device

        backend = "nccl" if device().type == "cuda" else "gloo"
    if not backends().get(backend, False):
        raise EnvironmentProblem(f"process-group back-end {backend!r}", expected="one this PyTorch has",
                                 got=f"<available: {', '.join(k for k, ok in backends().items() if ok) or 'none'}>",
                                 hint="On a CPU use gloo (ARTLAB_DEVICE=cpu chooses it).")
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))  # one GPU per process
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    atexit.register(cleanup)
    return world()


def cleanup() -> None:
    """Leave the process group (nothing if none is running)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier(here: World | None = None) -> None:
    """Wait until every process gets here (nothing in one process)."""
    if (here or world()).size > 1:
        dist.barrier()


def check_batch(batch_size: int, here: World, where: str) -> None:
    """Refuse a global batch smaller than the number of processes (some would get no rows)."""
    if here.size > 1 and batch_size < here.size:
        raise ArgumentError(f"{where}(batch_size)", expected=f"at least one row per process ({here.size} processes)",
                            got=batch_size, hint="batch_size is the global batch: per-process batch x processes.")


# --- the batch: the same on every process, one block each -----------------------------------

def shard(x: T, here: World | None = None) -> T:
    """This process's contiguous block of rows of ``x`` (B, ...): rows r*B/W to (r+1)*B/W, the first
    B mod W blocks one row longer. ``None`` stays ``None``; a tuple is sharded item by item; in one
    process ``x`` comes back as it is."""
    here = here or world()
    if isinstance(x, tuple):
        return tuple(shard(item, here) for item in x)  # type: ignore[return-value]
    if x is None or here.size == 1:
        return x
    return x.tensor_split(here.size)[here.rank]  # type: ignore[union-attr]


# --- DDP with a share-weighted all-reduce -----------------------------------------------------

@dataclass
class _Share:
    """The comm hook's state: this process's share of the batch, and the time its all-reduces took."""

    weight: float
    seconds: float = 0.0


def _weighted_all_reduce(state, bucket):  # (_Share, dist.GradBucket) -> Future[Tensor]; DDP checks real annotations
    """DDP's all-reduce of one bucket of gradients, weighted: sum_r share_r * grad_r (DDP's own
    divides by W, which is the same when the shares are equal)."""
    began = time.perf_counter()
    tensor = bucket.buffer().mul_(state.weight)

    def done(future: torch.futures.Future) -> torch.Tensor:
        state.seconds += time.perf_counter() - began
        return future.value()[0]

    return dist.all_reduce(tensor, async_op=True).get_future().then(done)


def wrap(model: nn.Module, here: World | None = None) -> nn.Module:
    """``model`` inside DistributedDataParallel with a share-weighted all-reduce (:func:`set_share`);
    in one process ``model`` itself. Train through the wrapper; save, evaluate and sample with
    ``model`` (they hold the same weights). On CUDA, batch norm becomes ``SyncBatchNorm`` first
    (statistics over the global batch); on the CPU it stays local (see the module's notes)."""
    here = here or world()
    if here.size == 1:
        return model
    device = here.device
    if device is not None:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    wrapped = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device is not None else None)
    model._allreduce_share = _Share(1.0 / here.size)  # kept on the network, so it outlives the wrapper
    wrapped.register_comm_hook(model._allreduce_share, _weighted_all_reduce)
    return wrapped


def unwrap(model: nn.Module) -> nn.Module:
    """The network inside a DDP wrapper (or ``model`` itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def set_share(model: nn.Module, share: float) -> None:
    """Weight this process's gradients by ``share`` (its rows or tokens / the global batch's) in
    the next all-reduce of ``model`` (a wrapper from :func:`wrap`, or the network in it; else nothing)."""
    state = getattr(unwrap(model), "_allreduce_share", None)
    if isinstance(state, _Share):
        state.weight = float(share)


def allreduce_seconds(model: nn.Module) -> float:
    """Seconds the all-reduces of a network took in its latest :func:`wrap` (summed over buckets,
    from start to completion; they overlap the backward pass); 0 if it never trained wrapped.
    Ask the wrapper or the network itself."""
    state = getattr(unwrap(model), "_allreduce_share", None)
    return state.seconds if isinstance(state, _Share) else 0.0


# --- values every process must agree on --------------------------------------------------------

def _device_for_collectives(here: World) -> torch.device:
    return here.device if here.device is not None else torch.device("cpu")


def average(values: Sequence[float], share: float, here: World | None = None) -> list[float]:
    """sum_r share_r * values_r over the processes: the global batch's mean of per-process means,
    the same on every process. In one process ``values`` come back unchanged."""
    here = here or world()
    if here.size == 1:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=_device_for_collectives(here)) * share
    dist.all_reduce(tensor)
    return tensor.tolist()


def average_fields(result: T, share: float, here: World | None = None) -> T:
    """:func:`average` of every field of a dataclass of numbers (a GAN's ``DStep``, ``GStep``)."""
    here = here or world()
    if here.size == 1:
        return result
    names = [f.name for f in dataclasses.fields(result)]  # type: ignore[arg-type]
    return type(result)(**dict(zip(names, average([getattr(result, n) for n in names], share, here))))


def all_reduce_mean(tensor: torch.Tensor, here: World | None = None) -> torch.Tensor:
    """The mean of ``tensor`` over the processes, in place: all_reduce(sum) / W (gradient averaging by hand)."""
    here = here or world()
    if here.size > 1:
        dist.all_reduce(tensor)
        tensor.div_(here.size)
    return tensor


def from_main(value: float, here: World | None = None) -> float:
    """Rank 0's ``value`` on every process (a clock, a decision); ``value`` itself in one process.
    Every process must call it at the same point, as with every collective."""
    here = here or world()
    if here.size == 1:
        return value
    tensor = torch.tensor([float(value)], dtype=torch.float64, device=_device_for_collectives(here))
    dist.broadcast(tensor, src=0)
    return float(tensor.item())


# --- random numbers ----------------------------------------------------------------------------

def sync_rng(here: World | None = None) -> int:
    """Give every process rank 0's random-number states (Python, NumPy, PyTorch's CPU generator and
    this process's GPU), so that all draw the same global batches and noise; return rank 0's
    ``torch.initial_seed()``, the base of :func:`local_randomness`. In one process it changes
    nothing and returns ``torch.initial_seed()``."""
    here = here or world()
    if here.size == 1:
        return torch.initial_seed()
    state = [{"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
              "cuda": torch.cuda.get_rng_state() if here.device is not None else None,
              "seed": torch.initial_seed()}]
    dist.broadcast_object_list(state, src=0, device=here.device)
    (state,) = state
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None:
        torch.cuda.set_rng_state(state["cuda"])
    return int(state["seed"])


@contextmanager
def local_randomness(seed: int, step: int, part: int = 0, here: World | None = None) -> Iterator[None]:
    """Run the block with PyTorch's generators seeded for (``seed``, ``step``, ``part``, this rank),
    and put the shared streams back afterwards: draws inside a network (dropout, random shifts)
    differ between processes and repeat on resume, while the batches and noise stay the same on
    every process. In one process it does nothing (the block draws from the usual streams)."""
    here = here or world()
    if here.size == 1:
        yield
        return
    devices = [here.device.index] if here.device is not None else []
    words = np.random.SeedSequence([seed % 2**63, step, part, here.rank]).generate_state(2, dtype=np.uint32)
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(words[0]) << 32 | int(words[1]))
        yield


# --- starting processes from Python ---------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, fn: Callable[..., Any], size: int, port: int, threads: int, folder: str,
            args: tuple) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port), ARTLAB_DEVICE="cpu")
    torch.set_num_threads(threads)
    init("gloo", timeout_s=300.0)
    try:
        result = fn(*args)
        torch.save(result, Path(folder) / f"rank{rank}.pt")
    finally:
        cleanup()


def launch(fn: Callable[..., T], nprocs: int = 2, *args: Any, threads: int = 1,
           timeout_s: float = 600.0) -> list[T]:
    """Run ``fn(*args)`` in ``nprocs`` new processes joined in a ``gloo`` group on this machine, as
    ``torchrun --nproc_per_node=nprocs`` would, and return what each returned (rank 0 first).

    ``fn`` must be importable (defined in a module, not in a notebook cell): each process is a
    fresh Python that imports it. Each uses ``threads`` CPU threads (torchrun's default is 1, too).
    Results travel through files (``torch.save``), so return tensors, numbers, dicts and lists.
    An error in any process stops them all and is raised here with its traceback.
    """
    import torch.multiprocessing as mp

    whole_number(nprocs, "launch(nprocs)", unit="processes")
    if getattr(fn, "__module__", "__main__") in ("__main__", "__mp_main__"):
        raise ArgumentError("launch(fn)", expected="a function defined in an importable module",
                            got=f"<{getattr(fn, '__qualname__', fn)} defined in __main__ (a notebook or a script)>",
                            hint="Each new process imports fn; put it in a module (artlab.scaling has the "
                                 "appendix's) and import it.")
    with tempfile.TemporaryDirectory(prefix="artlab-launch-") as folder:
        context = mp.start_processes(_worker, args=(fn, nprocs, _free_port(), threads, folder, args),
                                     nprocs=nprocs, join=False, start_method="spawn")
        deadline = time.monotonic() + timeout_s
        while not context.join(timeout=1.0):
            if time.monotonic() > deadline:
                for process in context.processes:
                    process.kill()
                raise TrainingError(f"launch({getattr(fn, '__qualname__', fn)}, {nprocs})",
                                    expected=f"every process done within {timeout_s:g} s", got="<still running>",
                                    hint="A process may wait for a collective another never reached; "
                                         "raise timeout_s for a long run.")
        return [torch.load(Path(folder) / f"rank{rank}.pt", weights_only=False) for rank in range(nprocs)]
