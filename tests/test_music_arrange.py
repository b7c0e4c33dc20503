"""Arranging: a triad of the key under every bar, as melody lines, a score, MIDI and audio."""
from fractions import Fraction

import pytest

from artlab.errors import ArgumentError
from artlab.music.arrange import (MAJOR_FIGURES, MINOR_FIGURES, arrangement_score, bar_chords, chord_lines,
                                  synthesize_arrangement, triad, write_arrangement_midi)
from artlab.music.audio import synthesize
from artlab.music.melody import Melody, REST, key_scale
from artlab.music.notation import render_svg

TUNE = Melody((60, 64, 67, 65, 69, 74, 67, 71, 72), (1, 1, 2, 2, 2, 1, 1, 2, 4), "4/4", "C major")


def test_triads_are_music21_s_chords_of_the_key():
    assert triad("I", "C major") == (48, 52, 55)
    assert triad("V", "A minor") == (52, 56, 59)   # harmonic minor: E G# B
    assert triad("iv", "A minor") == (50, 53, 57)  # D F A
    for key, figures in (("G major", MAJOR_FIGURES), ("E minor", MINOR_FIGURES)):
        for figure in figures:
            root, third, fifth = triad(figure, key)
            assert 48 <= root <= 59 and third - root in (3, 4) and fifth - root in (6, 7, 8)
    with pytest.raises(ArgumentError):
        triad("XIV", "C major")


def test_each_bar_gets_the_chord_that_holds_its_notes_and_the_tune_ends_on_the_tonic():
    chords = bar_chords(TUNE)
    assert chords == ["I", "IV", "V", "I"]
    for figure, bar in zip(chords[:-1], range(1, 4)):
        pcs = {p % 12 for p in triad(figure, TUNE.key)}
        assert all(p % 12 in pcs for p in TUNE.cut_bars(bar, bar + 1).pitches)


def test_chord_lines_last_as_long_as_the_melody_after_a_rest_for_the_upbeat():
    tune = Melody((67, 72, 71, 72, 74, 72), (1, 2, 1, 2, 2, 4), "4/4", "C major", upbeat=Fraction(1))
    chords = bar_chords(tune)
    lines = chord_lines(tune, chords)
    assert len(lines) == 3 and len(chords) == 3
    for line in lines:
        assert line.duration == tune.duration and line.pitches[0] == REST and line.upbeat == tune.upbeat
        assert all(p % 12 in key_scale("C major") for p in line.pitches if p != REST)
    with pytest.raises(ArgumentError, match="one chord per full bar"):
        chord_lines(tune, chords[:-1])


def test_score_midi_and_audio(tmp_path):
    chords = bar_chords(TUNE)
    score = arrangement_score(TUNE, chords, title="test")
    assert len(score.parts) == 2
    assert "<svg" in render_svg(score)
    path = write_arrangement_midi(TUNE, chords, tmp_path / "arrangement.mid")
    from music21 import converter

    back = converter.parse(str(path))
    assert len(back.parts) == 2
    assert len(back.parts[1].recurse().getElementsByClass("Chord")) == 4
    wave = synthesize_arrangement(TUNE, chords)
    assert len(wave) == len(synthesize(TUNE)) and abs(abs(wave).max() - 0.5) < 1e-6
