"""Checkpoints that survive a crash and carry everything needed to go on.

A checkpoint is one file holding

* the state of every model (``modules``: name -> ``nn.Module``, e.g. generator and
  discriminator) and of every optimizer,
* the training ``step`` it was taken at,
* the ``config`` the model was built from (a dataclass or a plain dict),
* ``extra``: whatever else is needed to use the model later, such as a vocabulary,
* the random-number states of Python, NumPy and PyTorch, so that resuming continues
  exactly where training stopped: the same batches, the same noise, the same result.

**Saving is atomic.** :func:`save_checkpoint` writes to a temporary file in the same
folder, flushes and fsyncs it, then renames it over the old file with ``os.replace``
(an atomic rename on Linux, macOS and Windows). A crash or a kill in the middle
leaves the previous checkpoint whole.

**Loading is safe.** :func:`load_checkpoint` uses ``torch.load(weights_only=True)``,
which refuses to run code hidden in a file, so a checkpoint from someone else can be
opened without risk. For that, everything saved must be tensors, numbers, strings,
booleans, ``None`` and lists/tuples/dicts of them; :func:`save_checkpoint` checks this
before writing anything.

**One layout for every training run** (format version 2, written by
:func:`artlab.training.save_run`): ``config`` is the *model's* config, and ``extra`` holds

* ``"kind"``: ``"painter"``, ``"composer"`` or ``"sequence"``;
* ``"model"``: the model's name in its registry (:mod:`artlab.registry`), which rebuilds it;
* ``"train"``: the training config; ``"history"``: the run's records (columns of equal length);
* ``"seconds"``: training time so far; ``"finished"``: whether the run reached its end;
* whatever else the family needs (a vocabulary, snapshots, the data's name, a seed).

Checkpoints of format version 1 (artlab before the layout was shared, where a GAN kept its
training config in ``config`` and a composer its model config) are read into this layout by
:func:`load_checkpoint`, so they still load everywhere.

Lesson 02 saves and resumes a GAN with it; lesson 07 a composer with its vocabulary.
"""
from __future__ import annotations

import dataclasses
import os
import pickle
import random
import re
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from artlab.errors import ArgumentError, CheckpointError, whole_number

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "rng_state", "set_rng_state", "plain"]

FORMAT = "artlab-checkpoint"
FORMAT_VERSION = 2

_SAFE_LEAVES = (str, int, float, bool, type(None), torch.Tensor)


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns: the saved states, ready to restore."""

    step: int
    modules: dict[str, dict[str, torch.Tensor]]
    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    config_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    rng: dict[str, Any] | None = None
    path: Path | None = None

    def restore(self, *, modules: Mapping[str, torch.nn.Module],
                optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
                rng: bool = True) -> int:
        """Load the saved states into *modules* and *optimizers*; return the step.

        With ``rng=True`` the random-number generators are put back too, so training
        continues exactly as if it had never stopped.
        """
        where = self.path or "checkpoint"
        for name, module in modules.items():
            if name not in self.modules:
                raise CheckpointError(
                    f"module {name!r} in {where}",
                    expected=f"one of the saved modules {sorted(self.modules)}",
                    got=name,
                    hint="Pass the modules under the names they were saved with.",
                )
            try:
                module.load_state_dict(self.modules[name])
            except RuntimeError as error:
                raise CheckpointError(
                    f"module {name!r} in {where}",
                    expected="a model of the same shape as the one saved",
                    got=f"<a model that does not fit: {str(error).splitlines()[0]}>",
                    hint=f"Build the model from the saved config ({self.config_type or 'dict'}: "
                    f"{self.config}) before restoring.",
                ) from error
        for name, optimizer in (optimizers or {}).items():
            if name not in self.optimizers:
                raise CheckpointError(
                    f"optimizer {name!r} in {where}",
                    expected=f"one of the saved optimizers {sorted(self.optimizers)}",
                    got=name,
                    hint="Pass the optimizers under the names they were saved with.",
                )
            try:
                optimizer.load_state_dict(self.optimizers[name])
            except (ValueError, KeyError) as error:
                raise CheckpointError(
                    f"optimizer {name!r} in {where}",
                    expected="an optimizer over the same parameters as the one saved",
                    got=f"<{error}>",
                    hint="Create the optimizer over the restored model's parameters.",
                ) from error
        if rng and self.rng is not None:
            set_rng_state(self.rng)
        return self.step


def rng_state() -> dict[str, Any]:
    """The states of Python's, NumPy's and PyTorch's global generators, checkpoint-safe."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": (version, tuple(internal), gauss),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Put back generator states taken by :func:`rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike, *, modules: Mapping[str, torch.nn.Module],
                    step: int, optimizers: Mapping[str, torch.optim.Optimizer] | None = None,
                    config: Any = None, extra: Mapping[str, Any] | None = None,
                    rng: bool = True) -> Path:
    """Write a checkpoint to *path* atomically; return the path.

    ``config`` may be a dataclass instance (saved as a dict, with its class name) or a
    dict. ``extra`` holds anything else needed later, such as a vocabulary.
    """
    path = Path(path)
    if path.is_dir():
        raise ArgumentError("save_checkpoint(path)", expected="a file name", got=str(path),
                            hint="Add a file name, for example outputs/checkpoints/gan.pt.")
    whole_number(step, "save_checkpoint(step)", low=0)
    config_type = ""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config_type = type(config).__name__
        config = dataclasses.asdict(config)
    elif config is None:
        config = {}
    elif not isinstance(config, Mapping):
        raise ArgumentError("save_checkpoint(config)", expected="a dataclass instance or a dict",
                            got=type(config).__name__)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "step": step,
        "modules": {name: module.state_dict() for name, module in modules.items()},
        "optimizers": {name: opt.state_dict() for name, opt in (optimizers or {}).items()},
        "config": dict(config),
        "config_type": config_type,
        "extra": dict(extra or {}),
        "rng": rng_state() if rng else None,
    }
    for key in ("config", "extra"):
        _check_safe(payload[key], f"save_checkpoint({key})")

    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)
    return path


def load_checkpoint(path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (safely: ``weights_only``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path}",
            expected="an existing file written by artlab.save_checkpoint",
            got="<a folder>" if path.is_dir() else "<no such file>",
            hint="Check the path; the notebooks save theirs under outputs/checkpoints/.",
        )
    if path.stat().st_size == 0:
        raise CheckpointError(
            f"checkpoint {path}",
            expected="a complete checkpoint file",
            got="<an empty file (0 bytes)>",
            hint="A copy or download stopped before it began (artlab's own saves never leave one); "
            "delete it and train again, or copy it again.",
        )
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:  # weights_only refuses anything that could run code
        found = re.search(r"GLOBAL ([\w.]+)", str(error))
        raise CheckpointError(
            f"checkpoint {path}",
            expected="tensors, numbers, strings and lists/dicts of them (what artlab saves)",
            got=f"<Python objects a safe load refuses to build{': ' + found.group(1) if found else ''}>",
            hint="artlab never runs code from a checkpoint; use checkpoints written by artlab.",
        ) from None
    except Exception as error:  # torch raises several kinds for a damaged file
        raise CheckpointError(
            f"checkpoint {path}",
            expected="a complete checkpoint file",
            got=f"<an unreadable file: {type(error).__name__}: {(str(error).splitlines() or [''])[0][:80]}>",
            hint="The file is damaged or is not a checkpoint; save it again from the notebook.",
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {path}",
            expected="a file written by artlab.save_checkpoint",
            got=f"<a {type(payload).__name__} without artlab's format marker>",
            hint="For a bare state dict use torch.load and model.load_state_dict instead.",
        )
    version = payload.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"checkpoint {path}", expected="a whole-number format_version", got=version,
                              hint="The file is damaged; save it again from the notebook.")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path}",
            expected=f"format version {FORMAT_VERSION} or older",
            got=version,
            hint="It was written by a newer artlab: update artlab (git pull; make lab).",
        )
    kinds = {"step": int, "modules": dict, "optimizers": dict, "config": dict, "config_type": str, "extra": dict}
    wrong = [key for key, kind in kinds.items() if not isinstance(payload.get(key), kind)]
    if wrong:
        raise CheckpointError(f"checkpoint {path}", expected="the fields " + ", ".join(kinds),
                              got=f"<{', '.join(wrong)} missing or of the wrong kind>",
                              hint="The file is damaged or was not written by save_checkpoint; save it again.")
    if payload["format_version"] < 2:
        payload = _upgrade_v1(payload)
    return Checkpoint(
        step=payload["step"],
        modules=payload["modules"],
        optimizers=payload["optimizers"],
        config=payload["config"],
        config_type=payload["config_type"],
        extra=payload["extra"],
        rng=payload.get("rng"),
        path=path,
    )


def _check_safe(value: Any, where: str) -> None:
    """Refuse values ``torch.load(weights_only=True)`` could not read back."""
    if isinstance(value, _SAFE_LEAVES):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_safe(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise ArgumentError(where, expected="dict keys that are strings or ints", got=key)
            _check_safe(item, f"{where}[{key!r}]")
        return
    raise ArgumentError(
        where,
        expected="tensors, numbers, strings, booleans, None, or lists/tuples/dicts of them",
        got=f"<a {type(value).__module__}.{type(value).__name__}>",
        hint="Convert it first, e.g. a NumPy array with torch.from_numpy or .tolist().",
    )


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries left by a save that was killed (one writer per path)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with suppress(OSError):
            stale.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def plain(value: Any) -> Any:
    """``value`` as a checkpoint gives it back: tuples become lists, in dicts and lists at any depth.

    Compare configs with it: ``plain(dataclasses.asdict(config)) == plain(saved.config)``.
    """
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


# --- format version 1 -------------------------------------------------------------------------

_V1_PAINTERS = {"MLPGenerator": "mlp", "DCGANGenerator": "dcgan"}
_V1_COMPOSERS = {"LSTMConfig": "lstm", "TransformerConfig": "transformer"}


def _upgrade_v1(payload: dict) -> dict:
    """A version-1 payload in the version-2 layout (see the module docstring)."""
    payload = dict(payload)
    extra = dict(payload["extra"])
    if "generator_type" in extra and "generator" in payload["modules"]:  # a GAN: train config in `config`
        train = dict(payload["config"])
        lr_end = train.pop("lr_end", 1.0)
        train["lr"] = train.pop("lr_g", 2e-3)
        if train.get("lr_d") == train["lr"]:
            train["lr_d"] = None  # one rate for both players, as version 2 writes it
        train["schedule"] = "constant" if lr_end == 1.0 else "linear"
        train.update(lr_end=lr_end, max_grad_norm=None, seed=None, threads=None)
        payload["config"] = extra.pop("generator_config")
        payload["config_type"] = {"MLPGenerator": "GeneratorConfig"}.get(extra["generator_type"],
                                                                       f"{extra['generator_type']}Config")
        extra["discriminator"] = {"model": extra.pop("discriminator_type", ""),
                                  "config": extra.pop("discriminator_config", {})}
        extra.update(kind="painter", model=_V1_PAINTERS.get(extra.pop("generator_type"), "?"), train=train,
                     finished=payload["step"] >= train.get("steps", 0),
                     paints_with="generator_ema" if "generator_ema" in payload["modules"] else "generator")
    elif payload["config_type"] in _V1_COMPOSERS and "vocab" in extra:  # a composer: its model config in `config`
        train = dict(extra.pop("train_config", {}))
        if "clip" in train:
            train["max_grad_norm"] = train.pop("clip")
        train.update(schedule="warmup_cosine", lr_end=0.1)
        records = extra.get("history", [])
        columns = {k: [r[k] for r in records] for k in (records[0] if records else {})}
        extra.update(kind="composer", model=_V1_COMPOSERS[payload["config_type"]], train=train, history=columns,
                     finished=False)
    extra.setdefault("seconds", 0.0)
    payload["extra"] = extra
    payload["format_version"] = 2
    return payload
