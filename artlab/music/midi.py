"""MIDI files in and out, through music21. Lesson 06 (``notebooks/06_music_as_data.ipynb``).

A MIDI file stores *when* each note starts and stops, its pitch, plus the tempo, the
time signature and the key signature. It has no notion of an upbeat bar, so
:func:`write_midi` starts the file with a silent stretch that puts the first note at its
place in the bar; :func:`read_midi` turns that silence back into the upbeat. A written
file therefore reads back to the same melody (a test checks it), and opens in any
music program (GarageBand, MuseScore, a DAW, a web MIDI player).
"""
from __future__ import annotations

import os
from pathlib import Path

from artlab.errors import ArgumentError, real_number
from artlab.music.melody import REST, Melody
from artlab.music.streams import to_stream

__all__ = ["write_midi", "read_midi", "DEFAULT_TEMPO"]

DEFAULT_TEMPO = 100
"""Quarter notes per minute, unless told otherwise."""


def write_midi(melody: Melody, path: str | os.PathLike, *, tempo: float = DEFAULT_TEMPO,
               title: str | None = None) -> Path:
    """Write ``melody`` to a standard MIDI file at ``path`` (``tempo``: quarters per minute)."""
    from music21 import tempo as m21tempo

    if not isinstance(melody, Melody):
        raise ArgumentError("write_midi(melody)", expected="an artlab.music.melody.Melody", got=type(melody).__name__)
    real_number(tempo, "write_midi(tempo)", low=0.0, low_open=True, hint="Quarter notes per minute, such as 100.")
    if len(melody) == 0:
        raise ArgumentError("write_midi(melody)", expected="a melody with at least one note", got=melody)
    path = Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise ArgumentError("write_midi(path)", expected="a file name ending in .mid", got=str(path))
    if melody.upbeat:  # MIDI has no upbeat bar: a silent start puts the first note in place
        silence = melody.bar_length - melody.upbeat
        melody = Melody((REST,) + melody.pitches, (silence,) + melody.durations, melody.meter, melody.key)
    part = to_stream(melody)
    part.insert(0, m21tempo.MetronomeMark(number=tempo))
    path.parent.mkdir(parents=True, exist_ok=True)
    part.write("midi", fp=str(path))
    return path


def read_midi(path: str | os.PathLike, *, key: str | None = "written", part: int | None = None,
              chords: str = "error") -> Melody:
    """The melody of a MIDI file (one monophonic line; see :func:`artlab.music.corpus.load_melody`).

    ``key="written"`` takes the key from the file's key signature when it states the mode,
    and otherwise music21's analysis.
    """
    from artlab.music.files import load_melody

    return load_melody(path, part=part, chords=chords, key=key)
