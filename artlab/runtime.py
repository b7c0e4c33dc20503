"""Where code runs, how long it runs, and how to make it repeatable.

* :func:`device` picks the best accelerator present: CUDA, then Apple's MPS, then the CPU.
* :func:`is_fast` tells whether fast mode is on (``ARTLAB_FAST=1``, set by ``make test``
  and CI): every notebook then runs the same code on tiny budgets, in seconds.
* :func:`budget` lets a notebook state the full size and the fast size in one place::

      steps = budget(full=8_000, fast=50)

* :func:`set_seed` seeds Python, NumPy and PyTorch at once, so the same seed gives the
  same result on the same machine.
* :func:`progress` is the one progress bar every waiting loop uses (``tqdm.auto``: a
  widget in Jupyter, text in a terminal). ``ARTLAB_PROGRESS=0`` hides them.
* :func:`output_dir` is where notebooks write files: ``outputs/`` beside the notebook,
  or the folder named by ``ARTLAB_OUTPUT``.

Lesson 00 (``notebooks/00_welcome.ipynb``) shows each of them.
"""
from __future__ import annotations

import itertools
import os
import random
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, TypeVar

import numpy as np
import torch

from artlab.errors import ArgumentError

__all__ = ["device", "device_of", "is_fast", "budget", "set_seed", "progress", "output_dir", "cpu_threads",
           "repo_root", "EVAL_SEED"]

EVAL_SEED = 1234
"""The seed of the noise every evaluation draws its samples from (a private generator, so measuring
a model never disturbs training): lesson 02's 2,500 toy samples, the scorecard's paintings."""

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ArgumentError(
        f"environment variable {name}",
        expected="one of 1/0, true/false, yes/no, on/off",
        got=raw,
        hint=f"Set it with, for example, `export {name}=1`, or unset it.",
    )


def device() -> torch.device:
    """The device to train on: ``cuda`` if present, then ``mps``, then ``cpu``.

    Set ``ARTLAB_DEVICE`` (for example ``cpu``) to choose one yourself.
    """
    wanted = os.environ.get("ARTLAB_DEVICE", "").strip().lower()
    if wanted:
        available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": _mps_available()}
        kind = wanted.split(":")[0]
        if kind not in available or not available[kind]:
            present = ", ".join(k for k, ok in available.items() if ok)
            raise ArgumentError(
                "environment variable ARTLAB_DEVICE",
                expected=f"a device present on this machine ({present})",
                got=wanted,
                hint="Unset ARTLAB_DEVICE to let artlab choose, or set it to cpu.",
            )
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_of(module: torch.nn.Module, device: torch.device | str | None = None) -> torch.device:
    """``device`` if given, else where ``module``'s weights live (a module without weights, such as a
    Memoriser: its buffers; with neither: the CPU)."""
    if device is None:
        held = next(itertools.chain(module.parameters(), module.buffers()), None)
        device = held.device if held is not None else "cpu"
    return torch.device(device)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def is_fast() -> bool:
    """True when ``ARTLAB_FAST`` is set to 1/true/yes/on (read at every call).

    Unset, it is on while nbgrader executes a notebook (``NBGRADER_EXECUTION`` set by
    ``nbgrader autograde`` or ``validate``), so grading runs the fast sizes;
    ``ARTLAB_FAST=0`` turns it off there too.
    """
    return _env_flag("ARTLAB_FAST", default=bool(os.environ.get("NBGRADER_EXECUTION", "").strip()))


def budget(*, full: T, fast: T) -> T:
    """*full* normally, *fast* in fast mode: one line states both sizes.

    Numbers must shrink in fast mode (``fast <= full``), because fast mode is for
    running the same code quickly, not for running different code.
    """
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (full, fast))
    if numbers and fast > full:
        raise ArgumentError(
            "budget(fast=...)",
            expected=f"a value no larger than full={full!r}",
            got=fast,
            hint="Fast mode shrinks budgets; swap the two values?",
        )
    return fast if is_fast() else full


def set_seed(seed: int) -> int:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and GPU).

    Returns the seed, so ``seed = set_seed(0)`` reads naturally in a notebook.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ArgumentError(
            "set_seed(seed)",
            expected="a whole number from 0 to 2**32 - 1",
            got=seed,
            hint="Any fixed number will do, for example set_seed(0).",
        )
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None,
             desc: str | None = None, **kwargs):
    """A ``tqdm.auto`` progress bar (hidden when ``ARTLAB_PROGRESS=0``)."""
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", not _env_flag("ARTLAB_PROGRESS", default=True))
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, total=total, desc=desc, **kwargs)


def output_dir(*parts: str, create: bool = True) -> Path:
    """The folder for files a notebook writes: ``$ARTLAB_OUTPUT`` or ``./outputs``.

    ``output_dir("gan", "ring")`` is ``outputs/gan/ring``, created if missing. In fast mode it is
    ``outputs/fast/gan/ring``: checkpoints of fast runs (``make test``) never replace the ones a
    full-mode lesson trained for minutes.
    """
    base = os.environ.get("ARTLAB_OUTPUT", "").strip()
    root = Path(base).expanduser() if base else Path.cwd() / "outputs"
    path = (root / "fast" if is_fast() else root).joinpath(*parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def repo_root() -> Path:
    """The course checkout: the folder holding ``notebooks/`` above this package (else the current folder)."""
    here = Path(__file__).resolve().parent.parent
    if (here / "notebooks").is_dir():
        return here
    return Path.cwd()


@contextmanager
def cpu_threads(n: int | None):
    """Run the block with ``n`` PyTorch CPU threads (``None``: leave the setting alone).

    For the small networks of this course, one thread is the robust choice: on an idle 2-core laptop
    two threads train faster, but as soon as anything else runs (a browser, a second notebook)
    they wait for each other and can become many times *slower*, while one thread only slows
    down in proportion (``docs/benchmarks.md`` has the measurements). Sampling, one token at a
    time, is fastest on one thread.
    """
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
