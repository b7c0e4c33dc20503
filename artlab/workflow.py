"""From data to files on disk: what ``artlab paint`` and ``artlab compose`` do. Lesson 09.

Lesson 09 (``notebooks/09_from_model_to_artwork.ipynb``) walks the workflow of making
generative art: collect data, train, tune, generate, then curate and edit. These
functions are that workflow for the two kinds of model the course builds, written once so
that the command line (:mod:`artlab.cli`) and the notebooks do exactly the same thing:

* **painters** (lessons 03-04, 10): :func:`load_images` reads ``digits``, ``mondrian`` or a
  folder of your own pictures; :func:`get_painter` loads a painter checkpoint or trains one with
  the recipe of its family in :data:`artlab.registry.PAINTERS`; :func:`write_paintings` paints
  and writes a PNG grid or one PNG per painting.
* **composers** (lessons 07-08): :func:`melody_splits` reads a corpus collection or a
  folder of your own MIDI/MusicXML/ABC files; :func:`get_composer` loads a composer
  checkpoint or trains one with the recipe of its family in :data:`artlab.registry.COMPOSERS`
  (:func:`artlab.music.train.train_composer`); :func:`compose_pieces` samples melodies
  (a motif in any key is moved to C major / A minor, continued, and moved back);
  :func:`write_pieces` writes MIDI, WAV and SVG notation for each.

**Bad input.** Every loader here is strict by default: the first unreadable file in a folder
stops with a :class:`~artlab.errors.DataError` naming it. ``skip_bad=True`` (``--skip-bad`` on
the command line) loads the rest, and an :class:`~artlab.errors.ArtlabWarning` lists each file
left out and why. Training over an existing checkpoint (``retrain``) writes to a temporary file
beside it and replaces the checkpoint only when training finishes, so a run that fails or is
interrupted leaves the old one as it was.

**One load path.** Every checkpoint says what it holds (``extra["kind"]``, see
:mod:`artlab.checkpoint`); :func:`load` reads any of them, whether a notebook or the command
line wrote it, so giving ``artlab compose`` a painter says so in one line instead of failing
deep inside.

Budgets follow fast mode (``ARTLAB_FAST=1``): the same code with small numbers.
"""
from __future__ import annotations

import dataclasses
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from torch import nn

from artlab.checkpoint import Checkpoint, load_checkpoint
from artlab.errors import (ArgumentError, ArtlabError, ArtlabWarning, CheckpointError, DataError, probability, real_number,
                           whole_number)
from artlab.runtime import budget, set_seed

__all__ = [
    "IMAGE_DATA", "load_images", "checkpoint_kind", "Loaded", "load", "PainterRun", "get_painter",
    "write_paintings", "melody_splits", "composer_config", "ComposerRun", "get_composer",
    "check_budget", "check_sampling", "compose_pieces", "write_pieces",
]

IMAGE_DATA = ("digits", "mondrian")
"""Image sets built in; anything else passed as data is read as a folder of pictures."""


# --- painters -----------------------------------------------------------------------------

def load_images(data: str | os.PathLike = "digits", size: int | None = None, *, skip_bad: bool = False):
    """An :class:`~artlab.data.images.ImageSet` to train a painter on.

    ``"digits"``: the 1,437 training digits, 16x16 (``size`` may say 32); ``"mondrian"``:
    procedural paintings, 32x32 (2,000, or 200 in fast mode); anything else: a folder of
    PNG/JPEG pictures (yours), centre-cropped and resized to ``size`` (default 32), where
    ``skip_bad=True`` leaves out the files that cannot be read (see
    :func:`~artlab.data.images.image_folder`).
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
    return image_folder(folder, size or 32, skip_bad=skip_bad)


def checkpoint_kind(path: str | os.PathLike) -> str:
    """What a checkpoint holds: ``"painter"``, ``"composer"`` or ``"sequence"`` (its ``extra["kind"]``);
    a :class:`CheckpointError` if it says nothing."""
    saved = load_checkpoint(path)
    kind = saved.extra.get("kind")
    if kind is None:
        raise CheckpointError(f"checkpoint {path}", expected="a painter or composer checkpoint",
                              got=f"<a checkpoint of {saved.config_type or 'no config'} with modules {sorted(saved.modules)}>",
                              hint="artlab paint and artlab compose read what the lessons' training loops write.")
    return kind


@dataclass
class Loaded:
    """What :func:`load` found in a checkpoint."""

    kind: str                  # "painter" or "composer"
    model: nn.Module           # the painter, or the composer, in eval mode
    vocab: Any                 # a composer's vocabulary (None for a painter)
    checkpoint: Checkpoint

    @property
    def name(self) -> str:
        """The model's registry name (``"dcgan"``, ``"lstm"``, ...)."""
        return str(self.checkpoint.extra.get("model", "?"))


def load(path: str | os.PathLike, kind: str | None = None) -> Loaded:
    """The model in any painter or composer checkpoint, read by its ``extra["kind"]``; with ``kind``,
    a :class:`CheckpointError` (naming the command that reads it) when the file holds another kind."""
    from artlab.music.composers import composer_from
    from artlab.painters.base import painter_from

    saved = load_checkpoint(path)
    found = saved.extra.get("kind")
    if kind is not None and found != kind:
        command = {"painter": "artlab paint", "composer": "artlab compose"}.get(found, "the lesson that wrote it")
        raise CheckpointError(f"checkpoint {path}", expected=f"a {kind} checkpoint", got=f"<a {found or 'unknown'} checkpoint>",
                              hint=f"Use it with {command} --checkpoint {path}." if found in ("painter", "composer") else
                              "artlab paint and artlab compose read what the lessons' training loops write.")
    if found in ("painter", "composer"):
        try:
            if found == "painter":
                return Loaded("painter", painter_from(saved), None, saved)
            model, vocab = composer_from(saved)
            return Loaded("composer", model, vocab, saved)
        except ArtlabError:
            raise
        except Exception as error:  # a config or state that does not build its model: a damaged file
            raise CheckpointError(f"checkpoint {path}", expected=f"a {found} checkpoint whose config builds its model",
                                  got=f"<{type(error).__name__}: {' '.join(str(error).split())[:100]}>",
                                  hint="The file is damaged or was edited; train it again (--retrain).") from None
    raise CheckpointError(f"checkpoint {path}", expected="a painter or composer checkpoint",
                          got=f"<a {found or 'unknown'} checkpoint>",
                          hint="artlab paint and artlab compose read what the lessons' training loops write.")


@dataclass
class PainterRun:
    """A painter ready to paint, and where it came from."""

    generator: nn.Module
    checkpoint: Path
    trained: bool         # True: trained just now; False: loaded from the checkpoint
    step: int             # training steps behind it
    seconds: float        # training seconds (stored in the checkpoint)
    data: str             # the image set it learned from
    model: str = "dcgan"  # its family in artlab.registry.PAINTERS

    @property
    def num_classes(self) -> int:
        return getattr(self.generator, "num_classes", 0)


def get_painter(checkpoint: str | os.PathLike, *, data: str = "digits", model: str = "dcgan",
                steps: int | None = None, seed: int = 0, conditional: bool = False, size: int | None = None,
                retrain: bool = False, threads: int | None = 1, digit: int | None = None,
                clusters: int = 0, options: dict | None = None, skip_bad: bool = False) -> PainterRun:
    """Load the painter in ``checkpoint`` (of any family) or, if the file does not exist (or ``retrain``),
    train one of family ``model`` (:data:`artlab.registry.PAINTERS`) on ``data`` with its recipe and
    save it there; either way the painter comes back through :func:`load`.

    ``digit``: the label that will be asked for; a label the data does not have fails before
    training. ``clusters`` > 0: a self-conditioned painter on that many k-means clusters (lesson 04).
    ``threads``: PyTorch CPU threads while training (``None``: PyTorch's default); one is the robust
    choice on a busy laptop. ``options``: settings only some families have (lesson 10's sampler).
    ``skip_bad``: leave unreadable pictures of a folder out (:func:`load_images`). Retraining over a
    checkpoint replaces it only when training finishes.
    """
    from artlab.painters.base import PaintRequest
    from artlab.registry import PAINTERS

    path = Path(checkpoint)
    if path.is_dir():
        raise ArgumentError(f"checkpoint {path}", expected="a file name such as outputs/painter.pt", got="<a folder>")
    trained = not path.exists() or retrain
    if trained:
        entry = PAINTERS[model]  # an unknown --model fails before the data loads
        check_budget(steps)
        if threads is not None:
            whole_number(threads, "threads")
        images = load_images(data, size, skip_bad=skip_bad)
        if digit is not None and (images.labels is None or not 0 <= digit < images.num_classes):
            raise ArgumentError("--digit", expected=f"a label from 0 to {images.num_classes - 1}" if images.labels
                                is not None else "labelled images (digits)", got=digit)
        with _replacing(path) as target:
            request = PaintRequest(checkpoint=target, steps=steps, seed=seed, conditional=conditional,
                                   clusters=clusters, threads=threads, desc=f"painting {images.name}",
                                   options=tuple(sorted((options or {}).items())))
            entry.recipe(images, request)
    loaded = load(path, "painter")
    extra = loaded.checkpoint.extra
    return PainterRun(loaded.model, path, trained, loaded.checkpoint.step, float(extra.get("seconds", 0.0)),
                      str(extra.get("data", "?")), loaded.name)


def write_paintings(generator: nn.Module, out: str | os.PathLike, n: int = 16, *, digit: int | None = None,
                    seed: int = 0, grid: bool = True, nrow: int | None = None, scale: int | None = None) -> list[Path]:
    """Paint ``n`` pictures (noise seeded by ``seed``) into ``out``: ``paintings.png`` (a grid) or
    ``painting_000.png``, ``painting_001.png``, ... Returns the files written."""
    from artlab.painters.base import paint, painting_labels, save_paintings
    from artlab.viz.images import save_grid

    n = whole_number(n, "n", unit="paintings")
    images = paint(generator, n, painting_labels(generator, n, digit), seed=seed)  # (n, C, H, W)
    out = Path(out)
    if grid:
        nrow = nrow or max(1, round(n ** 0.5))
        return [save_grid(images, out / "paintings.png", nrow=nrow, scale=scale or 4)]
    return save_paintings(images, out, scale=scale or 8)


# --- composers ----------------------------------------------------------------------------

def melody_splits(collection: str | Sequence[str], vocab, *, limit: int | None = None,
                  skip_bad: bool = False) -> dict[str, list[list[int]]]:
    """Token sequences ``{"train", "valid", "test"}`` of a corpus collection (``"essen"``,
    ``"chorales"``, ``"ryans"``, ``"oneills"``, or several joined by ``+``) or of a folder of
    your own MIDI/MusicXML/ABC files (every tenth piece, in name order, validates; the
    rest trains). Every melody is moved to C major / A minor first.

    In a folder, the first file that cannot be read raises its :class:`DataError`; with
    ``skip_bad=True`` the rest are read and one :class:`~artlab.errors.ArtlabWarning` lists the
    files left out (:func:`artlab.music.files.load_folder`). Melodies the vocabulary cannot spell
    (``vocab.fits``) are left out, and a warning says how many."""
    from artlab.music.corpus import COLLECTIONS
    from artlab.music.files import load_folder
    from artlab.music.melody import normalise_key
    from artlab.music.recipes import token_splits
    from artlab.music.tokens import encode_melodies

    names = collection.split("+") if isinstance(collection, str) else list(collection)
    if all(name in COLLECTIONS for name in names):
        return token_splits(tuple(names), vocab, limit=limit)
    folder = Path(str(collection)).expanduser()
    if not folder.is_dir():
        raise DataError(f"collection {collection!r}", expected=f"one of {', '.join(COLLECTIONS)} (or several "
                        "joined by +), or a folder of MIDI/MusicXML/ABC files",
                        got="<a file>" if folder.exists() else "<no such collection or folder>",
                        hint="Put your own tunes in a folder and pass the folder." if folder.exists() else "")
    found = [normalise_key(m) for m in load_folder(folder, chords="top", skip_bad=skip_bad)]
    melodies = [m for m in found if vocab.fits(m)]
    if len(melodies) < len(found):
        warnings.warn(ArtlabWarning(f"music folder {folder}: left out {len(found) - len(melodies)} of {len(found)} "
                                    "melodies the vocabulary cannot spell (a duration or pitch it has no token for; "
                                    "lesson 06, vocab.fits)"), stacklevel=2)
    melodies = melodies[:limit]
    if len(melodies) < 2:
        raise DataError(f"music folder {folder}", expected="at least 2 melodies artlab can read",
                        got=f"<{len(melodies)} of {len(found)} read>",
                        hint="Add monophonic MIDI, MusicXML or ABC files (one melody each, or several per ABC file).")
    held_out = {i for i in range(len(melodies)) if i % 10 == 9} or {len(melodies) - 1}
    train = [m for i, m in enumerate(melodies) if i not in held_out]
    valid = [m for i, m in enumerate(melodies) if i in held_out]
    return {"train": encode_melodies(train, vocab), "valid": encode_melodies(valid, vocab),
            "test": encode_melodies(valid, vocab)}


def composer_config(kind: str, vocab):
    """The config of a new composer of family ``kind`` (:data:`artlab.registry.COMPOSERS`), as its
    lesson trains it: the model config of the family's recipe, for this vocabulary."""
    from artlab.registry import COMPOSERS

    return COMPOSERS[kind].recipe.model_config(vocab)


@dataclass
class ComposerRun:
    """A composer ready to sample, its vocabulary, and where it came from."""

    model: nn.Module
    vocab: object
    checkpoint: Path
    trained: bool          # True: trained just now; False: loaded
    step: int              # the step of the weights it composes with (its best validation)
    seconds: float         # training seconds (stored in the checkpoint)
    valid_nll: float | None = None   # best validation NLL per token
    name: str = "lstm"     # its family in artlab.registry.COMPOSERS


def get_composer(checkpoint: str | os.PathLike, *, collection: str = "essen", model: str = "lstm",
                 steps: int | None = None, minutes: float | None = None, seed: int = 0,
                 retrain: bool = False, skip_bad: bool = False) -> ComposerRun:
    """Load the composer in ``checkpoint`` (of any family) or, if the file does not exist (or
    ``retrain``), train one of family ``model`` on ``collection`` with its lesson's budget (the
    recipe in :data:`artlab.registry.COMPOSERS`; lesson 07's is 1,500 steps or 3 minutes, 40 steps in
    fast mode), capped by ``steps`` and ``minutes``, and save it there; either way the composer
    comes back through :func:`load`. ``skip_bad``: leave unreadable files of a folder out
    (:func:`melody_splits`). Retraining over a checkpoint replaces it only when training finishes."""
    check_budget(steps, minutes)
    path = Path(checkpoint)
    if path.is_dir():
        raise ArgumentError(f"checkpoint {path}", expected="a file name such as outputs/composer.pt", got="<a folder>")
    trained = not path.exists() or retrain
    if trained:
        from artlab.music.composers import build_composer
        from artlab.music.tokens import Vocabulary
        from artlab.music.train import train_composer
        from artlab.registry import COMPOSERS

        recipe = COMPOSERS[model].recipe  # an unknown --model fails before the music loads
        config = recipe.train_config()
        if steps is not None:
            config = dataclasses.replace(config, steps=steps, eval_every=min(config.eval_every, max(1, steps // 4)))
        if minutes is not None:  # without --steps, allow as many steps as the minutes could hold (about 20 a second at most)
            config = dataclasses.replace(config, max_seconds=60.0 * minutes,
                                         steps=steps or max(config.steps, int(minutes * 60 * 20)))
        config = dataclasses.replace(config, seed=seed)
        vocab = Vocabulary()
        data = melody_splits(collection, vocab, limit=budget(full=None, fast=300), skip_bad=skip_bad)
        set_seed(seed)
        composer = build_composer(recipe.model_config(vocab), vocab)
        with _replacing(path) as target:
            train_composer(composer, data["train"], data["valid"], vocab, config, checkpoint=target,
                           desc=f"composer on {collection}")
    loaded = load(path, "composer")
    extra = loaded.checkpoint.extra
    return ComposerRun(loaded.model, loaded.vocab, path, trained, int(extra.get("best_step", loaded.checkpoint.step)),
                       float(extra.get("seconds", 0.0)), extra.get("best_value"), loaded.name)


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """Where to save a training run that is to end up at ``path``: ``path`` itself when no file is
    there (an interrupted run keeps its best weights so far), else a hidden file beside it that
    replaces ``path`` only when training returns (a failed or interrupted run leaves it as it was).
    Under torchrun only rank 0 writes, so only rank 0 replaces, and every process waits for it."""
    from artlab import distributed

    if not path.exists():
        yield path
        return
    side = path.with_name(f".{path.name}.retrain")
    main = distributed.is_main()
    try:
        yield side
        if main:
            os.replace(side, path)
        distributed.barrier()
    finally:
        if main:
            side.unlink(missing_ok=True)


def check_budget(steps: int | None = None, minutes: float | None = None) -> None:
    """Refuse training budgets that cannot work (``None``: the recipe's default)."""
    if steps is not None:
        whole_number(steps, "steps")
    if minutes is not None:
        real_number(minutes, "minutes", low=0.0, low_open=True, hint="A number of minutes, such as 2.")


def check_sampling(temperature: float = 1.0, top_p: float | None = None, top_k: int | None = None,
                   bars: int | None = 16, n: int = 1) -> None:
    """Refuse sampling settings that cannot work, before any model is loaded."""
    real_number(temperature, "temperature", low=0.0, low_open=True,
                hint="1 is the model's own distribution; try 0.8 (safer) to 1.2 (bolder).")
    if top_p is not None:
        probability(top_p, "top-p", zero=False, hint="Try 0.9.")
    if top_k is not None:
        whole_number(top_k, "top-k")
    if bars is not None:
        whole_number(bars, "bars", unit="bars")
    whole_number(n, "n")


def compose_pieces(model: nn.Module, vocab, n: int = 4, *, bars: int | None = 16, temperature: float = 1.0,
                   top_p: float | None = None, top_k: int | None = None, motif=None, seed: int = 0):
    """``n`` melodies (a list of :class:`~artlab.music.melody.Melody`), the same for the same seed.

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

    real_number(tempo, "tempo", low=0.0, low_open=True, hint="Quarter notes per minute, such as 100.")
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
