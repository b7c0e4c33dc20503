"""Two tiny musical sequence tasks for lesson 05: remember the first note, continue a scale.

Tokens are scale degrees of C major, ``0 = C4, 1 = D4, ..., 7 = C5`` (see :data:`NOTE_NAMES`),
so every sequence here can be read, and played, as a melody.

* **The first note** (:func:`first_note_batch`): a tune opens on a note, wanders for *gap*
  random notes, then a bar line ``|`` (:data:`RECALL`) asks which note it began on::

      G  E D C A F ... B  |   ->  G
      x_1  gap notes      x_T     target

  Chance is 1/8. A network must carry the first note across the gap without letting
  the wandering notes overwrite it; lesson 05 measures accuracy per gap length.
* **Scales** (:func:`scale_batch`): stepwise runs up and down two octaves of C major,
  turning at the ends, for teaching next-note prediction and teacher forcing.

Randomness comes only from the ``torch.Generator`` passed in.
"""
from __future__ import annotations

import torch
from torch import Tensor

from artlab.errors import ArgumentError, whole_number

__all__ = ["NOTE_NAMES", "N_NOTES", "RECALL", "RECALL_VOCAB", "SCALE_NAMES", "SCALE_VOCAB",
           "first_note_batch", "scale_batch", "scale_run", "note_names"]

NOTE_NAMES = ("C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5")
"""Token k of the first-note task is NOTE_NAMES[k]: one octave of C major."""
N_NOTES = len(NOTE_NAMES)
RECALL = N_NOTES
"""The bar line ``|`` that ends a first-note sequence and asks for its first note."""
RECALL_VOCAB = N_NOTES + 1

SCALE_NAMES = ("C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5", "D5", "E5", "F5", "G5", "A5", "B5", "C6")
"""Token k of the scale task is SCALE_NAMES[k]: two octaves of C major."""
SCALE_VOCAB = len(SCALE_NAMES)


def _whole(name: str, value: object, low: int) -> int:
    return whole_number(value, name, low=low)


def first_note_batch(batch_size: int, gap: int, generator: torch.Generator | None = None
                     ) -> tuple[Tensor, Tensor]:
    """Sequences ``[first, gap random notes, RECALL]`` and their targets ``first``.

    Returns ``tokens`` (B, gap + 2) int64 in [0, RECALL] and ``targets`` (B,) in [0, N_NOTES).
    """
    _whole("first_note_batch(batch_size)", batch_size, 1)
    _whole("first_note_batch(gap)", gap, 0)
    first = torch.randint(0, N_NOTES, (batch_size,), generator=generator)     # (B,)
    wander = torch.randint(0, N_NOTES, (batch_size, gap), generator=generator)  # (B, gap)
    bar = torch.full((batch_size, 1), RECALL)                                    # (B, 1)
    return torch.cat([first[:, None], wander, bar], dim=1), first


def scale_batch(batch_size: int, length: int, generator: torch.Generator | None = None) -> Tensor:
    """Stepwise scale runs over two octaves of C major, (B, length) int64 in [0, SCALE_VOCAB).

    Each run starts on a random degree going up or down and turns around at C4 and C6,
    so the next note follows from the last two: the task needs one step of memory.
    """
    _whole("scale_batch(batch_size)", batch_size, 1)
    _whole("scale_batch(length)", length, 1)
    phase = torch.randint(0, _PERIOD, (batch_size, 1), generator=generator)  # (B, 1)
    return _triangle(phase + torch.arange(length))                           # (B, T)


_PERIOD = 2 * (SCALE_VOCAB - 1)  # C4 up to C6 and back down


def _triangle(position: Tensor) -> Tensor:
    position = position % _PERIOD
    return torch.where(position <= SCALE_VOCAB - 1, position, _PERIOD - position)


def scale_run(start: int, up: bool, length: int) -> Tensor:
    """The one true scale run from degree *start*, going up (or down), turning at C4 and C6.

    ``scale_run(0, True, 3)`` is C4 D4 E4; returns (length,) int64.
    """
    _whole("scale_run(start)", start, 0)
    _whole("scale_run(length)", length, 1)
    if start >= SCALE_VOCAB:
        raise ArgumentError("scale_run(start)", expected=f"a degree in [0, {SCALE_VOCAB})", got=start)
    phase = start if up else _PERIOD - start
    return _triangle(phase + torch.arange(length))


def note_names(tokens: Tensor, names: tuple[str, ...] = NOTE_NAMES) -> str:
    """One sequence of tokens as text, e.g. ``"G4 E4 D4 |"`` (the bar line is RECALL)."""
    return " ".join(names[t] if t < len(names) else "|" for t in tokens.tolist())
