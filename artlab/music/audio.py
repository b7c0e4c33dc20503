"""Hear a melody: synthesis with NumPy, played in the notebook or saved as WAV. Lesson 06.

No soundfont and no internet: each note is a sum of a few harmonics

    x(t) = envelope(t) * sum_k a_k * sin(2 pi k f t),   f = 440 * 2 ** ((pitch - 69) / 12)

with amplitudes ``a_k = 1 / k**2`` (a soft, flute-or-organ-like colour instead of a raw
square wave), each harmonic fading a little faster than the one below, as on a plucked
or struck string. The envelope rises in 10 ms (no click), decays gently while the note is
held, and releases over 80 ms after it ends. :func:`to_audio` gives an
``IPython.display.Audio`` player; :func:`write_wav` a 16-bit WAV file.
"""
from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from artlab.errors import ArgumentError
from artlab.music.melody import REST, Melody

__all__ = ["SAMPLE_RATE", "midi_to_hz", "note_wave", "synthesize", "to_audio", "write_wav"]

SAMPLE_RATE = 22_050
"""Samples per second: enough for melodies (harmonics up to 11 kHz), and small files."""

HARMONICS = (1.0, 1 / 4, 1 / 9, 1 / 16, 1 / 25)
ATTACK_S, RELEASE_S = 0.010, 0.080


def midi_to_hz(pitch) -> np.ndarray | float:
    """f = 440 Hz * 2 ** ((pitch - 69) / 12): A4 (69) is 440 Hz, one octave doubles it."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=np.float64) - 69.0) / 12.0)


def note_wave(pitch: int, seconds: float, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One note of ``seconds`` plus its release tail, peak amplitude about 1."""
    n_on = max(1, int(round(seconds * sample_rate)))
    n = n_on + int(RELEASE_S * sample_rate)
    t = np.arange(n) / sample_rate
    f = float(midi_to_hz(pitch))
    wave_ = np.zeros(n)
    for k, a in enumerate(HARMONICS, start=1):
        if k * f >= sample_rate / 2:  # above Nyquist it would alias
            break
        wave_ += a * np.exp(-t * 1.5 * k) * np.sin(2 * np.pi * k * f * t)
    attack = np.clip(t / ATTACK_S, 0.0, 1.0)
    release = np.clip(1.0 - (t - n_on / sample_rate) / RELEASE_S, 0.0, 1.0)
    return (wave_ * attack * release / sum(HARMONICS)).astype(np.float32)


def synthesize(melody: Melody, *, tempo: float = 100, sample_rate: int = SAMPLE_RATE,
               volume: float = 0.5) -> np.ndarray:
    """The melody as a float32 waveform in [-volume, volume] (``tempo``: quarters per minute).

    Its length is the melody's duration in seconds (``quarters * 60 / tempo``) plus the
    last note's release, in samples.
    """
    if not isinstance(melody, Melody):
        raise ArgumentError("synthesize(melody)", expected="an artlab.music.melody.Melody", got=type(melody).__name__)
    if not tempo or tempo <= 0:
        raise ArgumentError("synthesize(tempo)", expected="quarter notes per minute > 0", got=tempo)
    if not 0 < volume <= 1:
        raise ArgumentError("synthesize(volume)", expected="a number in (0, 1]", got=volume)
    seconds_per_quarter = 60.0 / tempo
    total = float(melody.duration) * seconds_per_quarter
    out = np.zeros(int(round(total * sample_rate)) + int(RELEASE_S * sample_rate) + 1, dtype=np.float32)
    for onset, (pitch, duration) in zip(melody.onsets(), melody.events):
        if pitch == REST:
            continue
        start = int(round(float(onset) * seconds_per_quarter * sample_rate))
        note = note_wave(pitch, float(duration) * seconds_per_quarter, sample_rate=sample_rate)
        stop = min(len(out), start + len(note))
        out[start:stop] += note[: stop - start]
    peak = float(np.abs(out).max()) if len(out) else 0.0
    if peak > 0:
        out *= volume / max(peak, 1.0)  # overlapping release tails can exceed 1: scale, never clip
    return out


def to_audio(melody: Melody, *, tempo: float = 100, sample_rate: int = SAMPLE_RATE):
    """An ``IPython.display.Audio`` player for the melody (the last line of a cell shows it)."""
    from IPython.display import Audio

    return Audio(synthesize(melody, tempo=tempo, sample_rate=sample_rate), rate=sample_rate, normalize=False)


def write_wav(melody_or_wave, path: str | os.PathLike, *, tempo: float = 100,
              sample_rate: int = SAMPLE_RATE) -> Path:
    """Save a melody (synthesised) or a waveform in [-1, 1] as a mono 16-bit WAV file."""
    wave_ = (synthesize(melody_or_wave, tempo=tempo, sample_rate=sample_rate)
             if isinstance(melody_or_wave, Melody) else np.asarray(melody_or_wave, dtype=np.float32))
    if wave_.ndim != 1:
        raise ArgumentError("write_wav(wave)", expected="a 1-D (mono) waveform", got=wave_.shape)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(wave_, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm.tobytes())
    return path
