"""Piano rolls: a melody as a (pitches, steps) grid, and back. Lesson 06.

A piano roll puts time on a grid of ``steps_per_quarter`` steps per quarter note and pitch on
rows; a cell holds :data:`ONSET` where a note starts, :data:`HOLD` while it sounds, 0 for
silence. :func:`piano_roll` draws one; :func:`from_piano_roll` reads it back (silent steps
become rests), so ``from_piano_roll(piano_roll(m)) == m`` for a melody on the grid without rests
longer than a step merged.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import REST, Melody

__all__ = ["ONSET", "HOLD", "piano_roll", "from_piano_roll"]

ONSET, HOLD = 2, 1
"""Piano-roll cell values: a note starts here (2) or goes on sounding (1); silence is 0."""


def piano_roll(melody: Melody, *, steps_per_quarter: int = 4,
               pitch_range: tuple[int, int] | None = None) -> np.ndarray:
    """A ``(pitches, steps)`` array: :data:`ONSET` where a note starts, :data:`HOLD` while it sounds.

    Row 0 is ``pitch_range[0]`` (default: the melody's lowest pitch). Raises
    :class:`DataError` when a duration does not fall on the grid (a triplet on a
    sixteenth grid: use ``steps_per_quarter=12``).
    """
    sounding = [p for p in melody.pitches if p != REST]
    if pitch_range is None:
        pitch_range = (min(sounding), max(sounding)) if sounding else (60, 60)
    low, high = pitch_range
    steps = []
    for d in melody.durations:
        s = d * steps_per_quarter
        if s.denominator != 1:
            raise DataError("piano_roll", expected=f"durations on a grid of 1/{steps_per_quarter} quarter",
                            got=d, hint="Use a finer grid, e.g. steps_per_quarter=12 for triplets.")
        steps.append(int(s))
    roll = np.zeros((high - low + 1, sum(steps)), dtype=np.uint8)
    t = 0
    for pitch, n in zip(melody.pitches, steps):
        if pitch != REST:
            if not low <= pitch <= high:
                raise DataError("piano_roll", expected=f"pitches in {low}..{high}", got=pitch)
            roll[pitch - low, t] = ONSET
            roll[pitch - low, t + 1:t + n] = HOLD
        t += n
    return roll


def from_piano_roll(roll: np.ndarray, *, lowest_pitch: int, steps_per_quarter: int = 4, meter: str = "4/4",
                    key: str = "C major", upbeat=Fraction(0)) -> Melody:
    """The melody of a roll made by :func:`piano_roll` (silent steps become rests)."""
    roll = np.asarray(roll)
    if roll.ndim != 2:
        raise ArgumentError("from_piano_roll(roll)", expected="a 2-D array (pitches, steps)", got=roll.shape)
    pitches, durations = [], []
    for t in range(roll.shape[1]):
        column = roll[:, t]
        onset = np.flatnonzero(column == ONSET)
        sounding = np.flatnonzero(column)
        if len(onset) > 1 or len(sounding) > 1:
            raise DataError("piano roll", expected="one note at a time", got=f"<{len(sounding)} notes at step {t}>")
        if len(onset):
            pitches.append(lowest_pitch + int(onset[0]))
            durations.append(Fraction(1, steps_per_quarter))
        elif len(sounding) and pitches and pitches[-1] == lowest_pitch + int(sounding[0]):
            durations[-1] += Fraction(1, steps_per_quarter)
        elif len(sounding):
            raise DataError("piano roll", expected="a note to start (value 2) before it is held (value 1)",
                            got=f"<a hold without an onset at step {t}>")
        elif pitches and pitches[-1] == REST:
            durations[-1] += Fraction(1, steps_per_quarter)
        else:
            pitches.append(REST)
            durations.append(Fraction(1, steps_per_quarter))
    return Melody(tuple(pitches), tuple(durations), meter, key, upbeat)
