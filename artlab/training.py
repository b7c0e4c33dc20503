"""What every training loop shares, and nothing more.

The course trains four kinds of model: GANs (:func:`artlab.gan.train.train_gan`), composers
(:func:`artlab.music.train.train_composer`), lesson 05's recurrent networks
(:func:`artlab.seq.train.fit`) and diffusion models (:mod:`artlab.diffusion`). Each keeps its own
*step*, because a GAN step (a discriminator update, then a generator update) is not a
language-model step (one cross-entropy on shifted tokens). Everything around the step is here,
written once:

* **learning-rate schedules**: :func:`scheduled_lr` with ``"constant"``, ``"linear"`` (decay to
  ``lr * lr_end`` at the last step) and ``"warmup_cosine"`` (a linear warm-up, then half a cosine
  down to ``lr * lr_end``); :func:`set_lr` puts the rate into an optimizer. They are stateless, so a resumed run gets exactly the rates it would have had;
* a :class:`Budget`: ``steps`` and ``max_seconds``, whichever runs out first, and how much of it
  is spent (a schedule follows the larger share, so on a slow machine the rate still ends at
  ``lr_end`` when the time is up);
* :func:`check_finite`: one guard that stops a diverging run with a
  :class:`~artlab.errors.TrainingError` naming the step and the last finite values;
* :class:`Progress`: the one progress bar (:func:`artlab.runtime.progress`) with the latest
  losses beside it;
* :class:`KeepBest`: the weights with the best validation value so far, and patience;
* a :class:`History` of per-step (or per-evaluation) records and one :class:`TrainResult`;
* **one checkpoint layout**, written by :func:`save_run` and read back by :func:`resume_run`
  (see :mod:`artlab.checkpoint`): ``config`` is the model's config, ``extra["kind"]`` says
  ``"painter"``, ``"composer"`` or ``"sequence"``, ``extra["model"]`` names the model in its
  registry (:mod:`artlab.registry`), ``extra["train"]`` holds the training config and
  ``extra["history"]`` the history;
* :func:`finished_run`: the one rule for reusing a checkpoint instead of training again.

A loop built from these reads like the loops in the lessons: draw a batch, take a step, check
it is finite, record it, maybe save, repeat until the budget is spent.

Under ``torchrun`` (several processes, :mod:`artlab.distributed`) the scaffold keeps them in
step: a :class:`Budget` reads rank 0's clock on every process, only rank 0 shows a
:class:`Progress` bar, and :func:`save_run` writes on rank 0 while the others wait for the file.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artlab import distributed
from artlab.checkpoint import Checkpoint, load_checkpoint, plain, save_checkpoint
from artlab.errors import ArgumentError, CheckpointError, TrainingError, one_of, real_number, whole_number
from artlab.runtime import progress

__all__ = ["SCHEDULES", "KINDS", "scheduled_lr", "set_lr", "Budget", "budget_share", "check_finite", "Progress", "KeepBest",
           "History", "TrainResult", "save_run", "resume_run", "Resumed", "finished_run", "ema_update",
           "check_common"]

SCHEDULES = ("constant", "linear", "warmup_cosine")
"""The learning-rate schedules :func:`scheduled_lr` knows."""

KINDS = ("painter", "composer", "sequence")
"""What a checkpoint can hold (``extra["kind"]``)."""


# --- learning-rate schedules --------------------------------------------------------------

def scheduled_lr(lr: float, schedule: str, step: int, steps: int, *, lr_end: float = 1.0, warmup: int = 0,
                 done: float | None = None) -> float:
    """The learning rate after ``step`` of ``steps`` steps, for a peak rate ``lr``:

    * ``"constant"``: lr;
    * ``"linear"``: lr * (1 - (1 - lr_end) * step / steps), from lr down to lr * lr_end at the last step;
    * ``"warmup_cosine"``: lr * (step + 1) / warmup during the warm-up, then
      lr * (lr_end + (1 - lr_end) * (1 + cos(pi * done)) / 2), where ``done`` is the share of the
      budget spent after the warm-up ((step - warmup) / (steps - warmup) unless given, for example
      by :meth:`Budget.spent` when a time budget runs out first).
    """
    if schedule == "constant":
        return lr
    if schedule == "linear":
        return lr * (1.0 - (1.0 - lr_end) * step / max(steps, 1))
    if schedule == "warmup_cosine":
        if step < warmup:
            return lr * (step + 1) / warmup
        if done is None:
            done = (step - warmup) / max(1, steps - warmup)
        done = min(1.0, done)
        return lr * (lr_end + (1 - lr_end) * 0.5 * (1 + math.cos(math.pi * done)))
    raise ArgumentError("learning-rate schedule", expected=f"one of {', '.join(SCHEDULES)}", got=schedule)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Put ``lr`` into every parameter group of ``optimizer``."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def check_common(where: str, config: Any) -> None:
    """Check the fields every training config shares, where it has them: ``steps``, ``lr``,
    ``schedule``, ``lr_end``, ``warmup``, ``max_grad_norm``, ``seed``, ``threads``, ``max_seconds``."""
    if hasattr(config, "steps"):
        whole_number(config.steps, f"{where}(steps)", low=0)
    if hasattr(config, "lr"):
        real_number(config.lr, f"{where}(lr)", low=0.0, low_open=True, hint="A learning rate such as 1e-3.")
    if hasattr(config, "schedule"):
        one_of(config.schedule, f"{where}(schedule)", SCHEDULES)
    if hasattr(config, "lr_end"):
        real_number(config.lr_end, f"{where}(lr_end)", low=0.0, high=1.0)
    if hasattr(config, "warmup"):
        whole_number(config.warmup, f"{where}(warmup)", low=0)
    if getattr(config, "max_grad_norm", None) is not None:
        real_number(config.max_grad_norm, f"{where}(max_grad_norm)", low=0.0, low_open=True,
                    hint="None switches clipping off.")
    if getattr(config, "seed", None) is not None:
        whole_number(config.seed, f"{where}(seed)", low=0, high=2**32 - 1)
    if getattr(config, "threads", None) is not None:
        whole_number(config.threads, f"{where}(threads)", hint="None leaves PyTorch's setting alone.")
    if getattr(config, "max_seconds", None) is not None:
        real_number(config.max_seconds, f"{where}(max_seconds)", low=0.0, low_open=True, hint="None: no limit.")


# --- budget, guard, progress ----------------------------------------------------------------

class Budget:
    """``steps`` and ``max_seconds`` (``None``: no time limit), whichever runs out first.

    ``seconds_before`` counts time spent before a resume, so a resumed run keeps its budget.
    Under ``torchrun`` :attr:`seconds` is rank 0's on every process (so all stop together): read
    it on every process at the same point of the loop.
    """

    def __init__(self, steps: int, max_seconds: float | None = None, *, seconds_before: float = 0.0) -> None:
        self.steps = steps
        self.max_seconds = max_seconds
        self.seconds_before = seconds_before
        self.started = time.perf_counter()
        self.warm_seconds: float | None = None  # when the warm-up ended (see spent)

    @property
    def seconds(self) -> float:
        """Seconds spent so far, resumed runs included."""
        return distributed.from_main(self.seconds_before + time.perf_counter() - self.started)

    @property
    def seconds_now(self) -> float:
        """Seconds spent in this call only."""
        return time.perf_counter() - self.started

    def out_of_time(self) -> bool:
        return self.max_seconds is not None and self.seconds > self.max_seconds

    def spent(self, step: int, warmup: int = 0) -> float:
        """The share of the budget spent after the warm-up: the larger of the steps' share and the
        seconds' share, both counted from the end of the warm-up (:func:`budget_share`)."""
        if step >= warmup and self.warm_seconds is None:
            self.warm_seconds = self.seconds
        return budget_share(step, self.steps, warmup, self.seconds, self.max_seconds, self.warm_seconds or 0.0)


def budget_share(step: int, steps: int, warmup: int = 0, seconds: float = 0.0, max_seconds: float | None = None,
                 warm_seconds: float = 0.0) -> float:
    """How much of a budget of ``steps`` steps or ``max_seconds`` seconds is spent after the warm-up:
    max((step - warmup) / (steps - warmup), (seconds - warm_seconds) / (max_seconds - warm_seconds)), at most 1.

    Both shares start at 0 when the warm-up ends (``warm_seconds`` is when it did), so a run whose
    step budget runs out first follows the step count alone and is repeatable, while on a slow
    machine the seconds take over and the schedule still ends when the time is up.
    """
    done = (step - warmup) / max(1, steps - warmup)
    if max_seconds and seconds > warm_seconds:
        done = max(done, (seconds - warm_seconds) / max(max_seconds - warm_seconds, 1e-9))
    return min(1.0, done)


def check_finite(what: str, value: float, step: int, last: Mapping[str, float] | None = None,
                 *, hint: str = "Lower the learning rate, check the data for NaNs, or resume from an "
                                "earlier checkpoint.") -> None:
    """Raise a :class:`TrainingError` if ``value`` (a loss) is NaN or infinite.

    ``last``: the last finite record (for example ``{"step": 41, "d_loss": 0.7, ...}``), quoted in
    the message so the learner sees where the run was before it diverged.
    """
    if math.isfinite(value):
        return
    if last:
        values = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if k != "step" and isinstance(v, (int, float)))
        where = f"at step {last['step']}, " if "step" in last else ""
        before = f"the last finite values, {where}were {values}."
    else:
        before = "it was the first step, so no loss was finite yet."
    raise TrainingError(f"{what} at step {step}", expected="a finite number", got=value,
                        hint=f"Training diverged; {before} {hint}")


class Progress:
    """A progress bar over the steps, showing the latest values every ``every`` steps."""

    def __init__(self, total: int, *, initial: int = 0, desc: str | None = None, every: int | None = None,
                 leave: bool = True) -> None:
        quiet = {} if distributed.is_main() else {"disable": True}  # several processes: rank 0 shows it
        self.bar = progress(total=total, initial=initial, desc=desc, leave=leave, **quiet)
        self.every = every or max(1, total // 50)

    def update(self, step: int, **values: float | str) -> None:
        """One step done; show ``values`` (numbers are formatted to 3 decimals) when it is time."""
        self.bar.update(1)
        if values and step % self.every == 0:
            self.show(**values)

    def show(self, **values: float | str) -> None:
        self.bar.set_postfix({k: f"{v:.3f}" if isinstance(v, float) else v for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class KeepBest:
    """The weights of ``model`` at its best (lowest) validation value so far.

    ``update(value, step)`` returns True when ``value`` improved on the best, copying the weights;
    :attr:`stop` becomes True after ``patience`` updates in a row without improvement
    (``None``: never). :meth:`restore` puts the best weights back.
    """

    def __init__(self, model: nn.Module, patience: int | None = None) -> None:
        self.model = model
        self.patience = patience
        self.value = math.inf
        self.step = 0
        self.state = copy.deepcopy(model.state_dict())
        self.stale = 0

    def update(self, value: float, step: int) -> bool:
        if value < self.value:
            self.value, self.step, self.stale = value, step, 0
            self.state = copy.deepcopy(self.model.state_dict())
            return True
        self.stale += 1
        return False

    @property
    def found(self) -> bool:
        """Whether any finite value was seen."""
        return math.isfinite(self.value)

    @property
    def stop(self) -> bool:
        return self.patience is not None and self.stale >= self.patience

    def restore(self) -> None:
        self.model.load_state_dict(self.state)


@torch.no_grad()
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """theta_avg <- decay * theta_avg + (1 - decay) * theta for every weight; buffers (batch-norm
    statistics) are copied. An average of the last few hundred steps' weights paints and denoises
    more steadily than the last step's (Yazici et al., 2019); lessons 03 and 10 use it."""
    for mean, weight in zip(average.parameters(), model.parameters()):
        mean.lerp_(weight, 1.0 - decay)
    for mine, theirs in zip(average.buffers(), model.buffers()):
        mine.copy_(theirs)


# --- history and result ---------------------------------------------------------------------

class History:
    """Records of a run, one per step or per evaluation, stored as columns of equal length.

    ``history.append(step=3, loss=0.7)`` adds a record; ``history.loss`` (or ``history["loss"]``)
    is a column, a list with one value per record; ``history[-1]`` is the last record as a dict,
    and iterating gives the records in order. Columns are named by the first record.
    """

    def __init__(self, columns: Mapping[str, Sequence] | None = None) -> None:
        self._columns: dict[str, list] = {k: list(v) for k, v in (columns or {}).items()}
        lengths = {len(v) for v in self._columns.values()}
        if len(lengths) > 1:
            raise ArgumentError("History(columns)", expected="columns of equal length",
                                got={k: len(v) for k, v in self._columns.items()})

    def append(self, **record: Any) -> None:
        if self._columns and set(record) != set(self._columns):
            raise ArgumentError("History.append", expected=f"the fields {sorted(self._columns)}", got=sorted(record))
        if not self._columns:
            self._columns = {k: [] for k in record}
        for key, value in record.items():
            self._columns[key].append(value)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._columns)

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()), []))

    def __getattr__(self, name: str) -> list:
        columns = self.__dict__.get("_columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(f"History has no column {name!r} (it has {sorted(columns)})")

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._columns[key]
        n = len(self)
        if not -n <= key < n:
            raise IndexError(f"History has {n} records")
        return {k: v[key] for k, v in self._columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(len(self)))

    def last(self) -> dict[str, Any] | None:
        """The last record, or ``None`` for an empty history."""
        return self[-1] if len(self) else None

    def as_dict(self) -> dict[str, list]:
        return {k: list(v) for k, v in self._columns.items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Sequence] | Sequence[Mapping[str, Any]] | None) -> "History":
        """From :meth:`as_dict`'s columns, or from a list of records."""
        if values is None:
            return cls()
        if isinstance(values, Mapping):
            return cls(values)
        history = cls()
        for record in values:
            history.append(**record)
        return history


@dataclass
class TrainResult:
    """What every training loop returns. The models are the ones passed in, trained in place."""

    steps: int                          # steps done, resumed ones included
    seconds: float                      # wall-clock seconds of training, resumed runs included
    history: History                    # per step (GAN, diffusion) or per evaluation (composer)
    stopped: str = "steps"              # "steps", "time budget", "early stopping" or "loaded"
    best_step: int | None = None        # the step of the best validation value (None: no validation)
    best_value: float | None = None     # that value (for a composer: nats per token)
    checkpoint: Path | None = None      # where the run was saved
    models: dict[str, nn.Module] = field(default_factory=dict)     # e.g. generator, discriminator
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)
    snapshots: list = field(default_factory=list)                  # what the loop kept along the way

    @property
    def steps_per_second(self) -> float:
        return self.steps / max(self.seconds, 1e-9)


# --- the one checkpoint layout --------------------------------------------------------------

def save_run(path: str | Path, *, kind: str, model: str, model_config: Any, train_config: Any,
             modules: Mapping[str, nn.Module], step: int, history: History,
             optimizers: Mapping[str, torch.optim.Optimizer] | None = None, seconds: float = 0.0,
             finished: bool = False, extra: Mapping[str, Any] | None = None) -> Path:
    """Save a training run in the one layout (atomically, see :func:`artlab.checkpoint.save_checkpoint`).

    ``model`` is the model's name in its registry (``artlab.registry.PAINTERS`` or ``COMPOSERS``;
    for lesson 05 a name of your choosing), ``model_config`` its config (a frozen dataclass),
    ``train_config`` the training config; ``finished`` marks the end of the run; ``extra`` holds
    whatever else the family needs (a vocabulary, snapshots, cluster shares, the data's name).
    Under ``torchrun`` only rank 0 writes (every process holds the same weights), and every
    process returns once the file is on disk; call it on every process.
    """
    one_of(kind, "save_run(kind)", KINDS)
    reserved = {"kind", "model", "train", "history", "seconds", "finished"} & set(extra or {})
    if reserved:
        raise ArgumentError("save_run(extra)", expected="keys other than the layout's own", got=sorted(reserved))
    train = dataclasses.asdict(train_config) if dataclasses.is_dataclass(train_config) else dict(train_config or {})
    here = distributed.world()
    if here.is_main:
        path = save_checkpoint(path, modules=modules, optimizers=optimizers, step=step, config=model_config,
                               extra={"kind": kind, "model": model, "train": train, "history": history.as_dict(),
                                      "seconds": float(seconds), "finished": bool(finished), **(extra or {})})
    distributed.barrier(here)
    return Path(path)


@dataclass
class Resumed:
    """What :func:`resume_run` restored."""

    step: int
    history: History
    seconds: float
    checkpoint: Checkpoint


def resume_run(path: str | Path, *, train_config: Any, modules: Mapping[str, nn.Module],
               optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
               may_change: Sequence[str] = ("steps",)) -> Resumed:
    """Restore a run saved by :func:`save_run` into ``modules`` and ``optimizers``, random-number
    generators included, so that training continues exactly where it stopped.

    The training config must be the one the run was saved with, except the fields in ``may_change``
    (train longer by raising ``steps``); otherwise a :class:`CheckpointError` lists what changed.
    """
    saved = load_checkpoint(path)
    now = plain(dataclasses.asdict(train_config))
    before = plain(saved.extra.get("train", {}))
    changed = sorted(k for k in now if k not in may_change and before.get(k) != now[k])
    if changed:
        raise CheckpointError(
            f"resuming from {path}",
            expected=f"the training config the checkpoint was saved with (only {', '.join(may_change)} may change)",
            got=f"<changed: {', '.join(f'{k} {before.get(k)!r} -> {now[k]!r}' for k in changed)}>",
            hint="Rebuild the config from the checkpoint's extra['train'], then replace steps.")
    step = saved.restore(modules=modules, optimizers=optimizers)
    return Resumed(step, History.from_dict(saved.extra.get("history")), float(saved.extra.get("seconds", 0.0)), saved)


def finished_run(path: str | Path, *, kind: str, model: str, model_config: Any, train_config: Any,
                 identity: Mapping[str, Any] | None = None, ignore: Sequence[str] = ()) -> Checkpoint | None:
    """The checkpoint at ``path`` if it holds this very run, finished; else ``None``.

    The one rule for reusing a run instead of training it again: the same kind, model name and
    model config, the same training config (but the fields in ``ignore``), the same ``identity``
    (the data's name, the seed, ...: compared with the checkpoint's extras of the same keys), and
    the run reached its end. A missing, unreadable or different file gives ``None``.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        saved = load_checkpoint(path)
    except CheckpointError:
        return None
    extra = saved.extra
    train_now = {k: v for k, v in plain(dataclasses.asdict(train_config)).items() if k not in ignore}
    train_then = {k: v for k, v in plain(extra.get("train", {})).items() if k not in ignore}
    same = (extra.get("kind") == kind and extra.get("model") == model and extra.get("finished")
            and plain(saved.config) == plain(dataclasses.asdict(model_config)) and train_now == train_then
            and all(plain(extra.get(k)) == plain(v) for k, v in (identity or {}).items()))
    return saved if same else None
