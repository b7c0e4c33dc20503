"""From data to files on disk: what ``artlab paint`` and ``artlab compose`` do. Lesson 09.

Lesson 09 (``notebooks/09_from_model_to_artwork.ipynb``) walks the workflow of making
generative art: collect data, train, tune, generate, then curate and edit. These
functions are that workflow for the two kinds of model the course builds, written once so
that the command line (:mod:`artlab.cli`) and the notebooks do exactly the same thing:

* **painters** (lessons 03-04): :func:`load_images` reads ``digits``, ``mondrian`` or a
  folder of your own pictures; :func:`get_painter` loads a GAN checkpoint or trains one
  (:func:`artlab.gan.painters.train_painter` with :func:`~artlab.gan.painters.for_images`);
  :func:`write_paintings` paints and writes a PNG grid or one PNG per painting.
* **composers** (lessons 07-08): :func:`melody_splits` reads a corpus collection or a
  folder of your own MIDI/MusicXML/ABC files; :func:`get_composer` loads a composer
  checkpoint of any kind in :data:`artlab.music.models.COMPOSERS` or trains one
  (:func:`artlab.music.train.train_composer`); :func:`compose_pieces` samples melodies
  (a motif in any key is moved to C major / A minor, continued, and moved back);
  :func:`write_pieces` writes MIDI, WAV and SVG notation for each.

**Checkpoints are interchangeable.** A painter checkpoint is whatever
:func:`~artlab.gan.painters.train_painter` (or :func:`~artlab.gan.train.train_gan`) writes,
a composer checkpoint whatever :func:`~artlab.music.train.train_composer` writes, whether
a notebook or the command line ran them; :func:`checkpoint_kind` tells them apart, so
giving ``artlab compose`` a painter says so in one line instead of failing deep inside.

Budgets follow fast mode (``ARTLAB_FAST=1``): the same code with small numbers.
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from artlab.checkpoint import load_checkpoint
from artlab.errors import ArgumentError, CheckpointError, DataError
from artlab.runtime import budget, set_seed

__all__ = [
    "IMAGE_DATA", "load_images", "checkpoint_kind", "PainterRun", "get_painter", "painting_labels",
    "write_paintings", "melody_splits", "composer_config", "ComposerRun", "get_composer",
    "check_budget", "check_sampling", "compose_pieces", "write_pieces", "MUSIC_SUFFIXES",
]

IMAGE_DATA = ("digits", "mondrian")
"""Image sets built in; anything else passed as data is read as a folder of pictures."""

MUSIC_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl", ".abc")


def _whole(value, what: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ArgumentError(what, expected=f"a whole number >= {low}", got=value)
    return value


# --- painters -----------------------------------------------------------------------------

def load_images(data: str | os.PathLike = "digits", size: int | None = None):
    """An :class:`~artlab.data.images.ImageSet` to train a painter on.

    ``"digits"``: the 1,437 training digits, 16x16 (``size`` may say 32); ``"mondrian"``:
    procedural paintings, 32x32 (2,000, or 200 in fast mode); anything else: a folder of
    PNG/JPEG pictures (yours), centre-cropped and resized to ``size`` (default 32).
    """
    from artlab.data.images import digits, image_folder, mondrian

    name = str(data)
    if name == "digits":
        return digits(size or 16, "train")
    if name == "mondrian":
        return mondrian(budget(full=2000, fast=200), size or 32)
    folder = Path(name).expanduser()
    if not folder.exists():
        raise DataError(f"data {name!r}", expected=f"one of {', '.join(IMAGE_DATA)}, or a folder of PNG/JPEG pictures",
                        got="<no such folder>", hint="Check the spelling or the path.")
    return image_folder(folder, size or 32)


def checkpoint_kind(path: str | os.PathLike) -> str:
    """``"painter"`` (a GAN checkpoint) or ``"composer"`` (a melody model); CheckpointError otherwise."""
    from artlab.music.models import COMPOSERS

    saved = load_checkpoint(path)
    if "generator" in saved.modules and "generator_type" in saved.extra:
        return "painter"
    if saved.config_type in COMPOSERS and "vocab" in saved.extra:
        return "composer"
    raise CheckpointError(f"checkpoint {path}", expected="a painter (GAN) or composer checkpoint",
                          got=f"<a checkpoint of {saved.config_type or 'no config'} with modules {sorted(saved.modules)}>",
                          hint="artlab paint and artlab compose read what train_painter and train_composer write.")


def _expect_kind(path: Path, kind: str) -> None:
    found = checkpoint_kind(path)
    if found != kind:
        command = "paint" if found == "painter" else "compose"
        raise CheckpointError(f"checkpoint {path}", expected=f"a {kind} checkpoint", got=f"<a {found} checkpoint>",
                              hint=f"Use it with artlab {command} --checkpoint {path}.")


@dataclass
class PainterRun:
    """A generator ready to paint, and where it came from."""

    generator: nn.Module
    checkpoint: Path
    trained: bool         # True: trained just now; False: loaded from the checkpoint
    step: int             # training steps behind it
    seconds: float        # training seconds (this run's, or those stored in the checkpoint)
    data: str             # the image set it learned from

    @property
    def num_classes(self) -> int:
        return getattr(self.generator, "num_classes", 0)


def get_painter(checkpoint: str | os.PathLike, *, data: str = "digits", steps: int | None = None,
                seed: int = 0, conditional: bool = False, size: int | None = None,
                retrain: bool = False, threads: int | None = 1, digit: int | None = None,
                clusters: int = 0) -> PainterRun:
    """Load the painter in ``checkpoint`` or, if the file does not exist (or ``retrain``), train one
    on ``data`` for ``steps`` (default 1,500; 20 in fast mode) and save it there.

    ``digit``: the label that will be asked for; a label the data does not have fails before
    training. ``clusters`` > 0: a self-conditioned painter on that many k-means clusters (lesson 04). ``threads``: PyTorch CPU threads while training (``None``: PyTorch's default). One is the
    robust choice on a laptop: two threads wait for each other as soon as anything else runs
    (measured: 20 conditional steps took 49 s with two busy threads, 3 s with one).
    """
    path = Path(checkpoint)
    if path.is_dir():
        raise ArgumentError(f"checkpoint {path}", expected="a file name such as outputs/painter.pt", got="<a folder>")
    if path.exists() and not retrain:
        _expect_kind(path, "painter")
        from artlab.gan.painters import load_painter

        saved = load_checkpoint(path)
        return PainterRun(load_painter(path), path, False, saved.step, float(saved.extra.get("seconds", 0.0)),
                          str(saved.extra.get("data", "?")))
    from artlab.gan.painters import for_images, train_painter

    check_budget(steps)
    steps = budget(full=1500, fast=20) if steps is None else steps
    if threads is not None:
        _whole(threads, "threads")
    images = load_images(data, size)
    if digit is not None and (images.labels is None or not 0 <= digit < images.num_classes):
        raise ArgumentError("--digit", expected=f"a label from 0 to {images.num_classes - 1}" if images.labels
                            is not None else "labelled images (digits)", got=digit)
    recipe = for_images(images, steps=steps, conditional=conditional, clusters=clusters)
    run = train_painter(recipe, images, seed, checkpoint=path, desc=f"painting {images.name}", threads=threads)
    return PainterRun(run.generator.eval(), path, True, run.result.step, run.seconds, images.name)


def painting_labels(generator: nn.Module, n: int, digit: int | None = None) -> torch.Tensor | None:
    """Labels for ``n`` paintings: ``digit`` for all, or ``0, 1, ..., K-1, 0, ...`` for a conditional
    generator (``None`` for an unconditional one)."""
    num_classes = getattr(generator, "num_classes", 0)
    if digit is None:
        return torch.arange(n) % num_classes if num_classes else None
    if not num_classes:
        raise ArgumentError("digit", expected="no digit: this painter is unconditional (train it with --conditional)",
                            got=digit)
    if isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit < num_classes:
        raise ArgumentError("digit", expected=f"a label from 0 to {num_classes - 1}", got=digit)
    return torch.full((n,), digit, dtype=torch.long)


def write_paintings(generator: nn.Module, out: str | os.PathLike, n: int = 16, *, digit: int | None = None,
                    seed: int = 0, grid: bool = True, nrow: int | None = None, scale: int | None = None) -> list[Path]:
    """Paint ``n`` pictures (noise seeded by ``seed``) into ``out``: ``paintings.png`` (a grid) or
    ``painting_000.png``, ``painting_001.png``, ... Returns the files written."""
    from artlab.gan.painters import paint, save_paintings
    from artlab.viz.images import save_grid

    n = _whole(n, "n")
    images = paint(generator, n, painting_labels(generator, n, digit), seed=seed)  # (n, C, H, W)
    out = Path(out)
    if grid:
        nrow = nrow or max(1, round(n ** 0.5))
        return [save_grid(images, out / "paintings.png", nrow=nrow, scale=scale or 4)]
    return save_paintings(images, out, scale=scale or 8)


# --- composers ----------------------------------------------------------------------------

def melody_splits(collection: str | Sequence[str], vocab, *, limit: int | None = None) -> dict[str, list[list[int]]]:
    """Token sequences ``{"train", "valid", "test"}`` of a corpus collection (``"essen"``,
    ``"chorales"``, ``"ryans"``, ``"oneills"``, or several joined by ``+``) or of a folder of
    your own MIDI/MusicXML/ABC files (every tenth piece, in name order, validates; the
    rest trains). Every melody is moved to C major / A minor first."""
    from artlab.music.corpus import COLLECTIONS, load_melodies, normalise_key
    from artlab.music.encoding import encode_melodies
    from artlab.music.recipes import token_splits

    names = collection.split("+") if isinstance(collection, str) else list(collection)
    if all(name in COLLECTIONS for name in names):
        return token_splits(tuple(names), vocab, limit=limit)
    folder = Path(str(collection)).expanduser()
    if not folder.is_dir():
        raise DataError(f"collection {collection!r}", expected=f"one of {', '.join(COLLECTIONS)} (or several "
                        "joined by +), or a folder of MIDI/MusicXML/ABC files",
                        got="<a file>" if folder.exists() else "<no such collection or folder>",
                        hint="Put your own tunes in a folder and pass the folder." if folder.exists() else "")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES and not p.name.startswith("."))
    melodies = [normalise_key(m) for path in files for m in load_melodies(path, chords="top")]
    melodies = [m for m in melodies if vocab.fits(m)][:limit]
    if len(melodies) < 2:
        raise DataError(f"music folder {folder}", expected="at least 2 melodies artlab can read",
                        got=f"<{len(melodies)} from {len(files)} files>",
                        hint="Add monophonic MIDI, MusicXML or ABC files (one melody each, or several per ABC file).")
    held_out = {i for i in range(len(melodies)) if i % 10 == 9} or {len(melodies) - 1}
    train = [m for i, m in enumerate(melodies) if i not in held_out]
    valid = [m for i, m in enumerate(melodies) if i in held_out]
    return {"train": encode_melodies(train, vocab), "valid": encode_melodies(valid, vocab),
            "test": encode_melodies(valid, vocab)}


def composer_config(kind: str, vocab):
    """The config of a new composer of ``kind``, as the lessons train it: ``"lstm"`` is lesson 07's
    (:data:`~artlab.music.recipes.FOLK`), ``"transformer"`` lesson 08's
    (:data:`~artlab.music.recipes.FOLK_TRANSFORMER`)."""
    from artlab.music.recipes import FOLK, FOLK_TRANSFORMER

    recipes = {"lstm": FOLK, "transformer": FOLK_TRANSFORMER}
    recipe = recipes.get(str(kind).lower())
    if recipe is None:
        raise ArgumentError("model", expected=f"one of {', '.join(recipes)}", got=kind)
    return recipe.model_config(vocab)


@dataclass
class ComposerRun:
    """A composer ready to sample, its vocabulary, and where it came from."""

    model: nn.Module
    vocab: object
    checkpoint: Path
    trained: bool          # True: trained just now; False: loaded
    step: int
    seconds: float         # training seconds of this run (0 when loaded)
    valid_nll: float | None = None   # best validation NLL per token (when trained now)


def get_composer(checkpoint: str | os.PathLike, *, collection: str = "essen", model: str = "lstm",
                 steps: int | None = None, minutes: float | None = None, seed: int = 0,
                 retrain: bool = False) -> ComposerRun:
    """Load the composer in ``checkpoint`` (an LSTM, a transformer: whatever its config names) or, if
    the file does not exist (or ``retrain``), train a new one on ``collection`` with lesson 07's
    budget (``FOLK``: 1,500 steps or 3 minutes; fast mode 40 steps), capped by ``steps`` and
    ``minutes``, and save it there."""
    check_budget(steps, minutes)
    path = Path(checkpoint)
    if path.is_dir():
        raise ArgumentError(f"checkpoint {path}", expected="a file name such as outputs/composer.pt", got="<a folder>")
    if path.exists() and not retrain:
        _expect_kind(path, "composer")
        from artlab.music.models import load_composer

        loaded, vocab, saved = load_composer(path)
        return ComposerRun(loaded, vocab, path, False, saved.step, 0.0)
    from artlab.music.encoding import Vocabulary
    from artlab.music.models import build_composer
    from artlab.music.recipes import FOLK
    from artlab.music.train import train_composer

    config = FOLK.train_config()
    if steps is not None:
        config = dataclasses.replace(config, steps=steps,
                                     eval_every=min(config.eval_every, max(1, steps // 4)))
    if minutes is not None:  # without --steps, allow as many steps as the minutes could hold (about 20 steps a second at most)
        config = dataclasses.replace(config, max_seconds=60.0 * minutes,
                                     steps=steps or max(config.steps, int(minutes * 60 * 20)))
    config = dataclasses.replace(config, seed=seed)
    vocab = Vocabulary()
    model_config = composer_config(model, vocab)  # an unknown --model fails before the music loads
    data = melody_splits(collection, vocab, limit=budget(full=None, fast=300))
    set_seed(seed)
    composer = build_composer(model_config, vocab)
    began = time.perf_counter()
    result = train_composer(composer, data["train"], data["valid"], vocab, config, checkpoint=path,
                            desc=f"composer on {collection}")
    return ComposerRun(composer, vocab, path, True, result.best_step, time.perf_counter() - began,
                       result.best_valid_nll)


def check_budget(steps: int | None = None, minutes: float | None = None) -> None:
    """Refuse training budgets that cannot work (``None``: the recipe's default)."""
    if steps is not None:
        _whole(steps, "steps")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, (int, float))
                                or not minutes > 0):
        raise ArgumentError("minutes", expected="a number of minutes > 0", got=minutes)


def check_sampling(temperature: float = 1.0, top_p: float | None = None, top_k: int | None = None,
                   bars: int | None = 16, n: int = 1) -> None:
    """Refuse sampling settings that cannot work, before any model is loaded."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ArgumentError("temperature", expected="a number > 0 (1 is the model's own distribution)",
                            got=temperature, hint="Try 0.8 (safer) to 1.2 (bolder).")
    if top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ArgumentError("top-p", expected="a probability in (0, 1]", got=top_p, hint="Try 0.9.")
    if top_k is not None:
        _whole(top_k, "top-k")
    if bars is not None:
        _whole(bars, "bars")
    _whole(n, "n")


def compose_pieces(model: nn.Module, vocab, n: int = 4, *, bars: int | None = 16, temperature: float = 1.0,
                   top_p: float | None = None, top_k: int | None = None, motif=None, seed: int = 0):
    """``n`` melodies (a list of :class:`~artlab.music.encoding.Melody`), the same for the same seed.

    ``motif``: tinyNotation text (``"4/4 e4 d c d e e e2"``), a MIDI/MusicXML/ABC file or a
    Melody, in any key: it is moved to C major / A minor (the key the course's composers
    learned in), continued for ``bars`` bars in all, and the result is moved back.
    """
    from artlab.music.sample import compose_many, continue_motif

    check_sampling(temperature, top_p, top_k, bars, n)
    options = dict(bars=bars, temperature=temperature, top_p=top_p, top_k=top_k, seed=seed)
    if motif is None or (isinstance(motif, str) and not motif.strip()):
        return compose_many(model, vocab, n, **options)
    return continue_motif(model, vocab, motif, n, **options)


def write_pieces(melodies, out: str | os.PathLike, *, tempo: float = 100, prefix: str = "piece") -> list[dict]:
    """Write each melody as ``piece_01.mid``, ``piece_01.wav`` (synthesised) and ``piece_01.svg``
    (notation) in ``out``; returns one ``{"midi", "wav", "svg"}`` dict of paths per piece."""
    from artlab.music.audio import write_wav
    from artlab.music.midi import write_midi
    from artlab.music.notation import write_svg

    out = Path(out)
    written = []
    for i, melody in enumerate(melodies, start=1):
        stem = out / f"{prefix}_{i:02d}"
        written.append({
            "midi": write_midi(melody, stem.with_suffix(".mid"), tempo=tempo),
            "wav": write_wav(melody, stem.with_suffix(".wav"), tempo=tempo),
            "svg": write_svg(melody, stem.with_suffix(".svg"), title=f"{prefix.capitalize()} {i}"),
        })
    return written
