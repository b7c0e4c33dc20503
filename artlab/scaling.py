"""Appendix 11's experiments: the same small run on one process and on several, compared.

Each function trains with the course's own loops (:func:`artlab.gan.train.train_gan`,
:func:`artlab.music.train.train_composer`) in whatever world it finds itself: called directly it
is one process; started by :func:`artlab.distributed.launch` (or ``torchrun``) it is one of W,
and the loops split every global batch between the processes. Because they live in a module,
``launch`` can start them from a notebook; the data travel as arguments, so the processes do
not each read the corpus again.

* :class:`GANSpec` and :func:`gan_run`: a small DCGAN on 16x16 digits, with a gradient penalty,
  and with or without batch statistics (batch norm, the minibatch standard deviation);
* :class:`ComposerSpec` and :func:`composer_run`: a small LSTM composer on folk songs;
* :func:`dcgan_speed`, :func:`composer_speed`: the lessons' own DCGAN and LSTM recipes timed
  for a few steps (``benchmarks/distributed.py``);
* :func:`max_difference`: the largest difference between two sets of weights;
* :func:`all_reduce_demo`, :func:`sync_batchnorm_on_cpu`: an all-reduce to look at, and what
  ``SyncBatchNorm`` says to CPU tensors;
* :func:`run_all`: several of these in one go (one :func:`~artlab.distributed.launch` for all).

Each run returns plain data (weights on the CPU, the history, seconds, all-reduce seconds), the
same on every process; :func:`artlab.distributed.launch` hands back rank 0's first.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

import torch

from artlab import distributed
from artlab.errors import ArgumentError, one_of, whole_number

__all__ = ["GANSpec", "ComposerSpec", "gan_run", "composer_run", "digit_images", "folk_tokens", "max_difference",
           "dcgan_speed", "composer_speed", "all_reduce_demo", "sync_batchnorm_on_cpu", "run_all"]


DTYPES = ("float32", "float64")


@contextmanager
def _default_dtype(name: str) -> Iterator[None]:
    """Build and train in ``name`` (torch's default dtype for new weights and noise), then restore it."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, name))
    try:
        yield
    finally:
        torch.set_default_dtype(before)


@dataclass(frozen=True)
class GANSpec:
    """A small DCGAN run on 16x16 digits (``batch_size`` is the global batch)."""

    steps: int = 6                # generator steps
    batch_size: int = 16          # the global batch: per-process batch x processes
    width: int = 8                # channels of G's last and D's first map (DCGAN's ngf, ndf): tiny, seconds
    latent_dim: int = 16          # size of z
    norm: str = "none"            # "none": no batch statistics; "batch": batch norm in G and D (local per process)
    minibatch_std: bool = False   # D appends the batch's feature spread (a batch statistic, too)
    loss: str = "non_saturating"  # or "wasserstein" (with penalty "gp")
    penalty: str = "r1"           # "r1", "gp" or "none": both take a gradient of D w.r.t. its input
    penalty_weight: float = 0.5   # R1: gamma / 2; GP: lambda
    n_critic: int = 1             # D steps per G step
    lr: float = 2e-4              # Adam, both players
    seed: int = 0                 # weights, batches and noise
    dtype: str = "float32"        # or "float64": rounding 10^9 times finer (see appendix 11)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "width", "latent_dim", "n_critic"):
            whole_number(getattr(self, name), f"GANSpec({name})")
        one_of(self.norm, "GANSpec(norm)", ("none", "batch"))
        one_of(self.dtype, "GANSpec(dtype)", DTYPES)

    def train_config(self):
        from artlab.gan.train import TrainConfig

        return TrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr, loss=self.loss,
                           penalty=self.penalty, penalty_weight=self.penalty_weight, n_critic=self.n_critic,
                           threads=1)


@dataclass(frozen=True)
class ComposerSpec:
    """A small LSTM composer run (``batch_size`` melodies is the global batch)."""

    steps: int = 6                # optimizer steps
    batch_size: int = 8           # the global batch of melodies
    embedding_dim: int = 32
    hidden_size: int = 64
    dropout: float = 0.0          # > 0: masks drawn per process, so runs on 1 and on W processes differ
    lr: float = 3e-3              # peak learning rate (AdamW, warm-up then cosine)
    warmup: int = 2
    seed: int = 0
    dtype: str = "float32"        # or "float64"

    def __post_init__(self) -> None:
        one_of(self.dtype, "ComposerSpec(dtype)", DTYPES)

    def train_config(self):
        from artlab.music.train import TrainConfig

        return TrainConfig(steps=self.steps, max_seconds=None, batch_size=self.batch_size, lr=self.lr,
                           warmup=self.warmup, eval_every=self.steps, eval_melodies=None, patience=1,
                           seed=self.seed, threads=1)


def digit_images() -> torch.Tensor:
    """The 1,437 training digits, 16x16, in [-1, 1]: (1437, 1, 16, 16)."""
    from artlab.data.images import digits

    return digits(16, "train").images


def folk_tokens(limit: int = 40) -> dict[str, list[list[int]]]:
    """Token sequences of the first ``limit`` folk songs of each split (``"train"``, ``"valid"``)."""
    from artlab.music.recipes import token_splits
    from artlab.music.tokens import Vocabulary

    splits = token_splits(("essen",), Vocabulary(), limit=limit)
    return {"train": splits["train"], "valid": splits["valid"]}


def _allreduce_seconds(*networks: torch.nn.Module) -> float:
    return sum(distributed.allreduce_seconds(network) for network in networks)


def _cpu(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def gan_run(spec: GANSpec, images: torch.Tensor, *, checkpoint: str | Path | None = None,
            stop_at: int | None = None, resume_from: str | Path | None = None) -> dict:
    """Train ``spec``'s DCGAN on ``images`` (N, 1, 16, 16) in this process's world, in ``spec.dtype``; return
    ``{"generator", "discriminator"}`` weights, the ``history``, ``seconds`` and ``allreduce_seconds``.

    ``checkpoint``, ``stop_at``, ``resume_from`` as in :func:`artlab.gan.train.train_gan`: save,
    stop early, continue a saved run (on any number of processes)."""
    from artlab.gan.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan
    from artlab.gan.train import train_gan
    from artlab.runtime import set_seed

    g_config, d_config = dcgan(tuple(images.shape[1:]), latent_dim=spec.latent_dim, width=spec.width,
                               norm=spec.norm, g_norm=spec.norm, minibatch_std=spec.minibatch_std)
    images = images.to(getattr(torch, spec.dtype))

    def sample(batch_size: int) -> torch.Tensor:
        return images[torch.randint(0, len(images), (batch_size,))]  # from the global generator

    with _default_dtype(spec.dtype):
        set_seed(spec.seed)
        generator, discriminator = DCGANGenerator(g_config), DCGANDiscriminator(d_config)
        result = train_gan(generator, discriminator, sample, spec.train_config(), checkpoint=checkpoint,
                           stop_at=stop_at, resume_from=resume_from, desc="DCGAN")
    return {"generator": _cpu(generator), "discriminator": _cpu(discriminator), "history": result.history.as_dict(),
            "seconds": result.seconds,
            "allreduce_seconds": _allreduce_seconds(generator, discriminator)}


def composer_run(spec: ComposerSpec, train: Sequence[Sequence[int]], valid: Sequence[Sequence[int]]) -> dict:
    """Train ``spec``'s LSTM composer on token sequences in this process's world, in ``spec.dtype``; return its
    ``weights``, the ``history`` (validation at the last step), ``seconds`` and ``allreduce_seconds``."""
    from artlab.music.composers import build_composer
    from artlab.music.lstm import LSTMConfig
    from artlab.music.tokens import Vocabulary
    from artlab.music.train import train_composer
    from artlab.runtime import set_seed

    vocab = Vocabulary()
    with _default_dtype(spec.dtype):
        set_seed(spec.seed)
        model = build_composer(LSTMConfig(vocab_size=len(vocab), embedding_dim=spec.embedding_dim,
                                          hidden_size=spec.hidden_size, dropout=spec.dropout), vocab)
        result = train_composer(model, train, valid, vocab, spec.train_config(), desc="LSTM composer")
    return {"weights": _cpu(model), "history": result.history.as_dict(), "seconds": result.seconds,
            "allreduce_seconds": distributed.allreduce_seconds(model)}


def max_difference(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> float:
    """max |a - b| over every weight of two state dicts of the same network."""
    if set(a) != set(b):
        raise ArgumentError("max_difference(a, b)", expected="state dicts of the same network",
                            got=f"<keys only in one: {sorted(set(a) ^ set(b))[:4]}>")
    return max(((a[k].double() - b[k].double()).abs().max().item() for k in a if a[k].numel()), default=0.0)


# --- timing the lessons' own recipes (benchmarks/distributed.py) -------------------------------

def dcgan_speed(images: torch.Tensor, steps: int = 40, threads: int = 1) -> dict:
    """Lesson 03's DCGAN recipe (:func:`artlab.painters.gan.dc_gan`, batch 64) for ``steps`` steps on
    ``threads`` threads per process: ``steps_per_second`` of the loop and its ``allreduce_seconds``."""
    from artlab.gan.dcgan import DCGANDiscriminator, DCGANGenerator
    from artlab.gan.train import train_gan
    from artlab.painters.gan import dc_gan
    from artlab.runtime import set_seed

    recipe = dc_gan(tuple(images.shape[1:]), steps)
    set_seed(0)
    generator, discriminator = DCGANGenerator(recipe.generator), DCGANDiscriminator(recipe.discriminator)

    def sample(batch_size: int) -> torch.Tensor:
        return images[torch.randint(0, len(images), (batch_size,))]

    config = dataclasses.replace(recipe.train, threads=threads)
    result = train_gan(generator, discriminator, sample, config, desc="DCGAN speed")
    return {"steps": result.steps, "seconds": result.seconds, "steps_per_second": result.steps / result.seconds,
            "batch": config.batch_size,
            "allreduce_seconds": _allreduce_seconds(generator, discriminator)}


def composer_speed(train: Sequence[Sequence[int]], valid: Sequence[Sequence[int]], steps: int = 30,
                   threads: int = 1) -> dict:
    """Lesson 07's LSTM (:data:`artlab.music.recipes.FOLK`'s model, batch 32) for ``steps`` steps on
    ``threads`` threads per process, one validation at the end on 16 melodies:
    ``steps_per_second`` and ``allreduce_seconds``."""
    from artlab.music.composers import build_composer
    from artlab.music.recipes import FOLK
    from artlab.music.tokens import Vocabulary
    from artlab.music.train import train_composer
    from artlab.runtime import set_seed

    vocab = Vocabulary()
    set_seed(0)
    model = build_composer(FOLK.model_config(vocab), vocab)
    config = dataclasses.replace(FOLK.full, steps=steps, max_seconds=None, warmup=min(FOLK.full.warmup, steps // 2),
                                 eval_every=steps, eval_melodies=16, threads=threads)
    result = train_composer(model, train, valid, vocab, config, desc="LSTM speed")
    return {"steps": result.steps, "seconds": result.seconds, "steps_per_second": result.steps / result.seconds,
            "batch": config.batch_size, "allreduce_seconds": distributed.allreduce_seconds(model)}


# --- small things to look at -----------------------------------------------------------------

def all_reduce_demo(values: Sequence[Sequence[float]]) -> dict:
    """Process r holds ``values[r]``; return it before and after ``all_reduce`` (the sum, everywhere)."""
    import torch.distributed as dist

    here = distributed.world()
    mine = torch.tensor(values[here.rank], dtype=torch.float32)
    before = mine.clone()
    if here.size > 1:
        dist.all_reduce(mine)  # in place: every process ends with sum_r values[r]
    return {"rank": here.rank, "before": before, "after": mine}


def sync_batchnorm_on_cpu() -> str:
    """What ``torch.nn.SyncBatchNorm`` says when it meets CPU tensors while training in a process
    group (``""``: it accepted them)."""
    layer = torch.nn.SyncBatchNorm(4)
    try:
        layer(torch.randn(4, 4, 2, 2))  # (B, C, H, W)
    except (ValueError, RuntimeError) as error:
        return str(error)
    return ""


def run_all(jobs: Mapping[str, tuple[Callable[..., Any], tuple, dict]]) -> dict[str, Any]:
    """``{name: fn(*args, **kwargs)}`` for ``jobs = {name: (fn, args, kwargs)}``, one after the other,
    in this process's world: ``launch(run_all, 2, jobs)`` runs all of them on two processes."""
    return {name: fn(*args, **kwargs) for name, (fn, args, kwargs) in jobs.items()}
