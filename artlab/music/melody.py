"""The melody contract: :class:`Melody`, its constants, and key theory. Lesson 06.

**A melody** is a monophonic line: a sequence of *events*, each a ``(pitch, duration)`` pair,

* ``pitch``: a MIDI note number (60 is middle C, 69 is the A at 440 Hz), or :data:`REST`;
* ``duration``: a :class:`~fractions.Fraction` of a quarter note (``1/2`` is an eighth,
  ``1/3`` an eighth-note triplet, ``3/2`` a dotted quarter), always > 0;

plus its ``meter`` (``"6/8"``), its ``key`` (``"A minor"``, one of the 24 in :data:`KEYS`)
and its ``upbeat``: the length of the incomplete bar before the first bar line (0 when
the tune starts on a downbeat). Tied notes are one event; a rest is an event too.

**Constants** every music module shares: :data:`METERS`, :data:`KEYS`, :data:`DURATIONS`,
:data:`PITCH_RANGE`, :data:`UPBEAT_STEP`, :data:`TICKS_PER_QUARTER` (every duration and upbeat
the course uses is a whole number of 1/48 quarter notes) and :data:`MUSIC_SUFFIXES` (the files
artlab reads music from).

**Keys.** :func:`key_scale` gives the pitch classes in a key; :func:`normalise_key` moves a
melody to C major or A minor (whichever mode it is in, by the smallest step up or down);
:func:`transpositions` gives it in every key that stays within a pitch range. Lesson 06
discusses the trade-off.

The tokens a melody is written in are :mod:`artlab.music.tokens`; music21 streams
:mod:`artlab.music.streams`; files :mod:`artlab.music.files`; piano rolls
:mod:`artlab.music.pianoroll`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from artlab.errors import ArgumentError

__all__ = [
    "REST", "METERS", "KEYS", "DURATIONS", "PITCH_RANGE", "UPBEAT_STEP", "NOTE_NAMES", "TICKS_PER_QUARTER",
    "MUSIC_SUFFIXES", "Melody", "bar_length", "key_scale", "key_parts", "canonical_key", "pitch_name", "as_fraction",
    "normalising_shift", "normalise_key", "transpositions",
]

REST = -1
"""The pitch value of a rest."""

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

METERS = ("2/4", "3/4", "4/4", "5/4", "6/4", "3/8", "6/8", "9/8", "12/8", "2/2", "3/2", "4/2")
"""The meters a melody may be in (all meters in the corpus with more than a handful of tunes)."""

_MAJOR_TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
KEYS = tuple(f"{t} major" for t in _MAJOR_TONICS) + tuple(f"{t} minor" for t in _MINOR_TONICS)
"""The 24 keys, one spelling each (the one with fewer accidentals; F# rather than Gb)."""

DURATIONS = tuple(sorted({
    Fraction(1, 16), Fraction(1, 8), Fraction(3, 16), Fraction(1, 4), Fraction(3, 8), Fraction(1, 2),
    Fraction(5, 8), Fraction(3, 4), Fraction(7, 8), Fraction(1), Fraction(5, 4), Fraction(3, 2),
    Fraction(7, 4), Fraction(2), Fraction(5, 2), Fraction(3), Fraction(7, 2), Fraction(4),
    Fraction(9, 2), Fraction(5), Fraction(6), Fraction(7), Fraction(8),
    # triplets: sixteenth, eighth and quarter triplets and their common sums
    Fraction(1, 6), Fraction(1, 3), Fraction(2, 3), Fraction(4, 3),
}))
"""Durations (in quarter notes) a token exists for. Tied notes are one event, so sums such
as 5/2 (a half tied to an eighth) appear; rarer lengths make a melody not fit."""

PITCH_RANGE = (36, 96)
"""Default lowest and highest MIDI pitch with a token: C2 to C7 (inclusive)."""

UPBEAT_STEP = Fraction(1, 4)
"""Upbeats are whole numbers of sixteenth notes."""

TICKS_PER_QUARTER = 48
"""Every duration in :data:`DURATIONS` and every upbeat is a whole number of 1/48 quarter notes."""

MUSIC_SUFFIXES = {".mid": "MIDI", ".midi": "MIDI", ".xml": "MusicXML", ".musicxml": "MusicXML",
                  ".mxl": "MusicXML", ".abc": "ABC", ".krn": "Humdrum"}
"""The files artlab reads music from, by suffix (music21 parses them)."""


def bar_length(meter: str) -> Fraction:
    """Quarter notes per bar: ``bar_length("6/8") == Fraction(3)``, ``bar_length("2/2") == 4``."""
    try:
        top, bottom = (int(x) for x in meter.split("/"))
        if top <= 0 or bottom <= 0 or bottom & (bottom - 1):
            raise ValueError
    except (ValueError, AttributeError):
        raise ArgumentError("meter", expected="a time signature such as '4/4' or '6/8'", got=meter) from None
    return Fraction(4 * top, bottom)


def canonical_key(tonic_pitch_class: int, mode: str) -> str:
    """The one name :data:`KEYS` uses for a key: ``canonical_key(6, "major") == "F# major"``."""
    if mode not in ("major", "minor"):
        raise ArgumentError("mode", expected="'major' or 'minor'", got=mode)
    tonics = _MAJOR_TONICS if mode == "major" else _MINOR_TONICS
    return f"{tonics[tonic_pitch_class % 12]} {mode}"


def key_parts(key: str) -> tuple[int, str]:
    """``"A minor"`` -> ``(9, "minor")``."""
    if key not in KEYS:
        raise ArgumentError("key", expected="one of the 24 names in artlab.music.melody.KEYS, "
                            "such as 'C major' or 'F# minor'", got=key)
    tonic, mode = key.split()
    tonics = _MAJOR_TONICS if mode == "major" else _MINOR_TONICS
    return tonics.index(tonic), mode


_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the raised seventh (leading note)


def key_scale(key: str) -> frozenset[int]:
    """The pitch classes that count as "in key".

    Major: the seven notes of the major scale. Minor: the natural minor scale plus the
    raised seventh (the leading note, G# in A minor), which minor tunes use constantly.
    """
    tonic, mode = key_parts(key)
    steps = _MAJOR_STEPS if mode == "major" else _MINOR_STEPS
    return frozenset((tonic + s) % 12 for s in steps)


def pitch_name(pitch: int) -> str:
    """``pitch_name(60) == "C4"``, ``pitch_name(REST) == "rest"``."""
    if pitch == REST:
        return "rest"
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def as_fraction(value, what: str) -> Fraction:
    """``value`` as a Fraction of a quarter note (a float such as 0.333... is read as 1/3)."""
    if type(value) is Fraction:
        return value
    try:
        out = Fraction(value)
    except (TypeError, ValueError):
        raise ArgumentError(what, expected="a number of quarter notes (int, Fraction, or float like 0.75)",
                            got=value) from None
    if isinstance(value, float) and out.denominator > 64:
        out = out.limit_denominator(64)  # 1/3 written as 0.333...
    return out


@dataclass(frozen=True)
class Melody:
    """A monophonic melody: events ``(pitch, duration)`` plus meter, key and upbeat.

    ``pitches`` are MIDI numbers (or :data:`REST`), ``durations`` fractions of a quarter
    note. Two melodies are equal when all five fields are equal.
    """

    pitches: tuple[int, ...]
    durations: tuple[Fraction, ...]
    meter: str = "4/4"
    key: str = "C major"
    upbeat: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        pitches = tuple(map(int, self.pitches))
        durations = tuple(as_fraction(d, "Melody(durations)") for d in self.durations)
        if len(pitches) != len(durations):
            raise ArgumentError("Melody(pitches, durations)", expected="as many durations as pitches",
                                got=f"<{len(pitches)} pitches and {len(durations)} durations>")
        bad = [p for p in set(pitches) if not (p == REST or 0 <= p <= 127)]
        if bad:
            raise ArgumentError("Melody(pitches)", expected="MIDI numbers 0..127, or REST (-1) for a rest",
                                got=bad[0])
        if any(d <= 0 for d in set(durations)):
            raise ArgumentError("Melody(durations)", expected="durations > 0 (in quarter notes)",
                                got=min(durations))
        bar = bar_length(self.meter)
        key_parts(self.key)
        upbeat = as_fraction(self.upbeat, "Melody(upbeat)")
        if not 0 <= upbeat < bar:
            raise ArgumentError("Melody(upbeat)", expected=f"0 <= upbeat < one bar ({bar} quarters in {self.meter})",
                                got=upbeat)
        object.__setattr__(self, "pitches", pitches)
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "upbeat", upbeat)

    @classmethod
    def _trusted(cls, pitches: tuple, durations: tuple, meter: str, key: str, upbeat: Fraction) -> "Melody":
        """Build without checks, for data artlab wrote and tested itself (loading the corpus fast)."""
        melody = object.__new__(cls)
        for name, value in (("pitches", pitches), ("durations", durations), ("meter", meter), ("key", key),
                            ("upbeat", upbeat)):
            object.__setattr__(melody, name, value)
        return melody

    # --- size and time ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.pitches)

    @property
    def events(self) -> list[tuple[int, Fraction]]:
        """``[(pitch, duration), ...]``."""
        return list(zip(self.pitches, self.durations))

    @property
    def duration(self) -> Fraction:
        """Total length in quarter notes."""
        return sum(self.durations, Fraction(0))

    @property
    def bar_length(self) -> Fraction:
        return bar_length(self.meter)

    @property
    def bars(self) -> Fraction:
        """Length in bars (the upbeat counts as the fraction of a bar it is)."""
        return self.duration / self.bar_length

    def onsets(self) -> list[Fraction]:
        """Start of each event in quarter notes from the first note."""
        out, t = [], Fraction(0)
        for d in self.durations:
            out.append(t)
            t += d
        return out

    # --- editing (lesson 07: the human half of the work) ----------------------------
    def transpose(self, semitones: int) -> "Melody":
        """The same melody ``semitones`` higher (lower if negative); the key moves along."""
        tonic, mode = key_parts(self.key)
        pitches = tuple(p if p == REST else p + semitones for p in self.pitches)
        return replace(self, pitches=pitches, key=canonical_key(tonic + semitones, mode))

    def bar_index(self) -> list[int]:
        """For each event, the number of the bar it starts in, as in a score: the upbeat is
        bar 0 and the first full bar is bar 1."""
        bar, upbeat = self.bar_length, self.upbeat
        return [0 if onset < upbeat else int((onset - upbeat) // bar) + 1 for onset in self.onsets()]

    def take(self, start: int, stop: int | None = None) -> "Melody":
        """Events ``start:stop`` as a melody (the upbeat is recomputed from where it starts)."""
        onsets = self.onsets()
        stop = len(self) if stop is None else stop
        if start >= len(self):
            return replace(self, pitches=(), durations=(), upbeat=Fraction(0))
        position = (onsets[start] + (self.bar_length - self.upbeat if self.upbeat else 0)) % self.bar_length
        upbeat = (self.bar_length - position) % self.bar_length
        return replace(self, pitches=self.pitches[start:stop], durations=self.durations[start:stop], upbeat=upbeat)

    def first_bars(self, n: int) -> "Melody":
        """The events that start in the upbeat and the first ``n`` full bars (notes kept whole)."""
        keep = sum(1 for b in self.bar_index() if b <= n)
        return self.take(0, keep)

    def cut_bars(self, first: int, last: int | None = None) -> "Melody":
        """The music from the bar line before bar ``first`` to the one before bar ``last``.

        Bars are numbered as in a score (the upbeat is bar 0, the first full bar is 1);
        ``last=None`` runs to the end. A note crossing either bar line is cut there, so
        ``m.cut_bars(0, k) + m.cut_bars(k)`` has the same length as ``m`` and the same
        sound, with a note that crossed bar line ``k`` split in two.
        """
        bar, upbeat = self.bar_length, self.upbeat
        start = Fraction(0) if first <= 0 else upbeat + (first - 1) * bar
        end = self.duration if last is None else max(start, upbeat + (last - 1) * bar if last > 0 else Fraction(0))
        pitches, durations = [], []
        for onset, pitch, duration in zip(self.onsets(), self.pitches, self.durations):
            lo, hi = max(onset, start), min(onset + duration, end)
            if hi > lo:
                pitches.append(pitch)
                durations.append(hi - lo)
        return replace(self, pitches=tuple(pitches), durations=tuple(durations),
                       upbeat=upbeat if first <= 0 else Fraction(0))

    def __add__(self, other: "Melody") -> "Melody":
        """Concatenate two melodies (meter, key and upbeat of the first)."""
        return replace(self, pitches=self.pitches + other.pitches, durations=self.durations + other.durations)

    def __repr__(self) -> str:
        shown = " ".join(f"{pitch_name(p)}:{d}" for p, d in self.events[:8])
        more = f" ... ({len(self)} events)" if len(self) > 8 else ""
        return f"Melody({self.meter}, {self.key}, upbeat {self.upbeat}: {shown}{more})"


# --- keys ----------------------------------------------------------------------------------

def normalising_shift(melody: Melody) -> int:
    """The semitones (-6..+5) that move the melody's key to C major or A minor."""
    tonic, mode = KEYS.index(melody.key) % 12, melody.key.split()[1]
    target = 0 if mode == "major" else 9
    # tonic index in KEYS is the pitch class for both halves
    shift = (target - tonic) % 12
    return shift - 12 if shift > 5 else shift


def normalise_key(melody: Melody) -> Melody:
    """Transposed to C major or A minor, by the smallest step (:func:`normalising_shift`)."""
    return melody.transpose(normalising_shift(melody))


def transpositions(melody: Melody, low: int = 48, high: int = 84) -> list[Melody]:
    """The melody in every key (up to 12) whose notes all stay within ``low..high``."""
    sounding = [p for p in melody.pitches if p != REST]
    if not sounding:
        return [melody]
    by_key: dict[str, tuple[int, Melody]] = {}
    for shift in sorted(range(-11, 12), key=abs):  # the closest transposition per key wins
        if low <= min(sounding) + shift and max(sounding) + shift <= high:
            moved = melody.transpose(shift)
            by_key.setdefault(moved.key, (shift, moved))
    return [m for _, m in sorted(by_key.values(), key=lambda item: item[0])]
