"""Arranging a melody: a triad under every bar, chosen with music21's Roman numerals. Lesson 09.

The simplest harmonisation a musician writes by ear: for each bar, the chord of the key
that holds most of the bar's melody. For bar b and a candidate triad with pitch classes
T (from ``music21.roman.RomanNumeral(figure, key)``)

    score(T, b) = sum of the durations of the notes of bar b whose pitch class is in T

and the bar gets the best-scoring figure (ties go to the earlier figure of
:data:`MAJOR_FIGURES` / :data:`MINOR_FIGURES`, the primary chords first). The last
full bar gets the tonic, a cadence. The chords become three plain :class:`Melody` lines
(root, third, fifth; one note per bar, below the tune), so MIDI, audio and notation
work on them like on any melody; :func:`arrangement_score` stacks them into a
music21 score with the tune on top and block chords underneath.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np

from artlab.errors import ArgumentError
from artlab.music.melody import REST, Melody
from artlab.music.streams import to_stream

__all__ = ["MAJOR_FIGURES", "MINOR_FIGURES", "triad", "bar_chords", "chord_lines", "arrangement_score",
           "write_arrangement_midi", "synthesize_arrangement"]

MAJOR_FIGURES = ("I", "V", "IV", "vi", "ii")
MINOR_FIGURES = ("i", "V", "iv", "VI", "III")


def _key(name: str):
    from music21 import key as m21key

    tonic, mode = name.split()
    return m21key.Key(tonic if mode == "major" else tonic.lower(), mode)


def triad(figure: str, key: str) -> tuple[int, int, int]:
    """Root, third and fifth of ``figure`` (a Roman numeral such as ``"IV"``) in ``key``, as MIDI
    pitches in close position with the root between C3 (48) and B3 (59)."""
    from music21 import roman

    try:
        chord = roman.RomanNumeral(figure, _key(key))
    except Exception as error:  # music21 raises several kinds on a bad figure
        raise ArgumentError("triad(figure)", expected="a Roman numeral such as I, IV, V or vi", got=figure) from error
    root = 48 + chord.root().pitchClass
    third = root + (chord.third.pitchClass - chord.root().pitchClass) % 12
    fifth = root + (chord.fifth.pitchClass - chord.root().pitchClass) % 12
    return root, third, fifth


def _bars(melody: Melody) -> list[list[tuple[int, Fraction]]]:
    """The (pitch, duration) pieces of each bar, a note crossing a bar line split at it."""
    count = int(np.ceil(float((melody.duration - melody.upbeat) / melody.bar_length))) if melody.duration > melody.upbeat else 0
    return [melody.cut_bars(b, b + 1).events for b in range(1, count + 1)]


def bar_chords(melody: Melody, figures: Sequence[str] | None = None) -> list[str]:
    """One figure per full bar (the upbeat gets none): the triad holding most of the bar's notes."""
    if len(melody) == 0:
        raise ArgumentError("bar_chords(melody)", expected="a melody with notes", got=melody)
    figures = tuple(figures or (MAJOR_FIGURES if melody.key.endswith("major") else MINOR_FIGURES))
    classes = {f: {p % 12 for p in triad(f, melody.key)} for f in figures}
    chosen = []
    for events in _bars(melody):
        scores = [sum(d for p, d in events if p != REST and p % 12 in classes[f]) for f in figures]
        chosen.append(figures[int(np.argmax(scores))])  # argmax takes the first of equal scores
    if chosen:
        chosen[-1] = figures[0]  # end on the tonic
    return chosen


def chord_lines(melody: Melody, chords: Sequence[str]) -> list[Melody]:
    """Three melodies (roots, thirds, fifths) holding each bar's chord for the whole bar, after a
    rest as long as the upbeat; together as long as ``melody``."""
    bars = _bars(melody)
    if len(chords) != len(bars):
        raise ArgumentError("chord_lines(chords)", expected=f"one chord per full bar ({len(bars)})", got=len(chords))
    lengths = [sum((d for _, d in events), Fraction(0)) for events in bars]
    lines = []
    for voice in range(3):
        pitches = [REST] if melody.upbeat else []
        durations = [melody.upbeat] if melody.upbeat else []
        for figure, length in zip(chords, lengths):
            pitches.append(triad(figure, melody.key)[voice])
            durations.append(length)
        lines.append(Melody(tuple(pitches), tuple(durations), melody.meter, melody.key, melody.upbeat))
    return lines


def arrangement_score(melody: Melody, chords: Sequence[str], *, title: str | None = None):
    """A music21 ``Score``: the melody on top, block chords (labelled with their figures) below."""
    from music21 import chord as m21chord
    from music21 import clef, metadata, note, stream

    roots, thirds, fifths = chord_lines(melody, chords)
    lower = to_stream(roots)
    figures = iter(chords)
    notes = list(lower.recurse().getElementsByClass(note.Note))
    for element, third, fifth in zip(notes, (p for p in thirds.pitches if p != REST),
                                     (p for p in fifths.pitches if p != REST)):
        block = m21chord.Chord([element.pitch.midi, third, fifth], quarterLength=element.quarterLength)
        block.tie = element.tie
        if element.tie is None or element.tie.type == "start":
            block.lyric = next(figures)
        element.activeSite.replace(element, block)
    first = lower.getElementsByClass(stream.Measure).first()
    first.insert(0, clef.BassClef())
    score = stream.Score()
    score.metadata = metadata.Metadata(title=title or " ")
    score.insert(0, to_stream(melody))
    score.insert(0, lower)
    return score


def write_arrangement_midi(melody: Melody, chords: Sequence[str], path: str | os.PathLike, *,
                           tempo: float = 100) -> Path:
    """The arrangement as a two-part MIDI file."""
    from music21 import tempo as m21tempo

    path = Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise ArgumentError("write_arrangement_midi(path)", expected="a file name ending in .mid", got=str(path))
    score = arrangement_score(melody, chords)
    score.parts[0].insert(0, m21tempo.MetronomeMark(number=tempo))
    path.parent.mkdir(parents=True, exist_ok=True)
    score.write("midi", fp=str(path))
    return path


def synthesize_arrangement(melody: Melody, chords: Sequence[str], *, tempo: float = 100,
                           chord_volume: float = 0.35, volume: float = 0.5) -> np.ndarray:
    """Melody plus chords as one waveform (peak ``volume``): each line synthesised, chords quieter."""
    from artlab.music.audio import synthesize

    tune = synthesize(melody, tempo=tempo, volume=1.0)
    waves = [tune] + [chord_volume * synthesize(line, tempo=tempo, volume=1.0) for line in chord_lines(melody, chords)]
    out = np.zeros(max(len(w) for w in waves), dtype=np.float32)
    for w in waves:
        out[: len(w)] += w
    return out * (volume / max(float(np.abs(out).max()), 1e-9))
