"""Synthesis: length, range, pitch, and WAV files."""
import wave

import numpy as np
import pytest

from artlab.errors import ArgumentError
from artlab.music.audio import RELEASE_S, SAMPLE_RATE, midi_to_hz, note_wave, synthesize, to_audio, write_wav
from artlab.music.melody import Melody, REST

TUNE = Melody((60, 64, REST, 67, 72), (1, 1, 1, 0.5, 2.5))


def test_midi_to_hz_is_equal_tempered():
    assert midi_to_hz(69) == pytest.approx(440.0)
    assert midi_to_hz(81) == pytest.approx(880.0)
    assert midi_to_hz(60) == pytest.approx(261.6256, rel=1e-5)


@pytest.mark.parametrize("tempo", [60, 100, 150])
def test_length_follows_duration_and_tempo(tempo):
    wave_ = synthesize(TUNE, tempo=tempo)
    seconds = float(TUNE.duration) * 60 / tempo
    assert abs(len(wave_) - (seconds + RELEASE_S) * SAMPLE_RATE) <= 2
    assert wave_.dtype == np.float32


def test_range_is_bounded_and_rests_are_silent():
    wave_ = synthesize(TUNE, volume=0.5)
    assert np.abs(wave_).max() <= 0.5 + 1e-6 and np.abs(wave_).max() > 0.3
    quarter = 0.6  # seconds at tempo 100; the rest lasts from quarter 2 to quarter 3
    rest = wave_[int((2 * quarter + RELEASE_S + 0.01) * SAMPLE_RATE): int(2.95 * quarter * SAMPLE_RATE)]
    assert np.abs(rest).max() < 1e-6


def test_the_loudest_frequency_is_the_note_played():
    for pitch in (57, 69, 76):
        tone = note_wave(pitch, 1.0)
        spectrum = np.abs(np.fft.rfft(tone[:SAMPLE_RATE]))
        peak = np.fft.rfftfreq(SAMPLE_RATE, 1 / SAMPLE_RATE)[spectrum.argmax()]
        assert peak == pytest.approx(midi_to_hz(pitch), abs=1.5)


def test_envelope_starts_and_ends_without_clicks():
    tone = note_wave(69, 0.5)
    assert abs(tone[0]) < 1e-3 and abs(tone[-1]) < 1e-3
    assert np.abs(tone[: int(0.002 * SAMPLE_RATE)]).max() < 0.3  # still rising after 2 ms


def test_wav_file_and_player(tmp_path):
    path = write_wav(TUNE, tmp_path / "tune.wav")
    with wave.open(str(path)) as handle:
        assert handle.getnchannels() == 1 and handle.getframerate() == SAMPLE_RATE and handle.getsampwidth() == 2
        assert handle.getnframes() == len(synthesize(TUNE))
    assert to_audio(TUNE).data[:4] == b"RIFF"


def test_bad_arguments():
    with pytest.raises(ArgumentError):
        synthesize(TUNE, tempo=0)
    with pytest.raises(ArgumentError):
        synthesize([60, 62])
