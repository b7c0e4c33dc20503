"""The representation contract for melodies: :class:`Melody`, the token :class:`Vocabulary`,
music21 streams and piano rolls. Lesson 06 (``notebooks/06_music_as_data.ipynb``) explains it.

**A melody** is a monophonic line: a sequence of *events*, each a ``(pitch, duration)`` pair,

* ``pitch``: a MIDI note number (60 is middle C, 69 is the A at 440 Hz), or :data:`REST`;
* ``duration``: a :class:`~fractions.Fraction` of a quarter note (``1/2`` is an eighth,
  ``1/3`` an eighth-note triplet, ``3/2`` a dotted quarter), always > 0;

plus its ``meter`` (``"6/8"``), its ``key`` (``"A minor"``, one of the 24 in :data:`KEYS`)
and its ``upbeat``: the length of the incomplete bar before the first bar line (0 when
the tune starts on a downbeat). Tied notes are one event; a rest is an event too.

**The tokens.** A melody is written as one sequence of token ids::

    <bos> meter:M key:K upbeat:U  (pitch:P | rest) dur:D  (pitch:P | rest) dur:D ...  <eos>

so every note or rest costs two tokens, a pitch token then a duration token. The
vocabulary is fixed by constants, not learned from data, and states its ranges:

=============  ====================================================================
token kind     values
=============  ====================================================================
``<pad>``      padding in batches (id 0); never a target
``<bos>``      start of a melody
``<eos>``      end of a melody
``meter:M``    M in :data:`METERS`
``key:K``      K in :data:`KEYS` (12 major, 12 minor; one spelling per key)
``upbeat:U``   U = 0, 1/4, 1/2, ... (sixteenth-note steps) below the longest bar
``pitch:P``    P from ``pitch_range`` (default MIDI 36..96, C2..C7), named like ``pitch:C#4``
``rest``       a rest
``dur:D``      D in :data:`DURATIONS` (a sixty-fourth up to a double whole note)
=============  ====================================================================

``Vocabulary().decode(Vocabulary().encode(m)) == m`` for every melody that
:meth:`Vocabulary.fits`; the tests check it on the whole corpus and on random melodies.

Why events and not a sixteenth-note grid? On a grid three quarters of the steps are
"hold" tokens that every model predicts almost perfectly, which hides how well it
predicts the notes. Whatever the encoding, the course reports **nats per note** (the
melody's total negative log-likelihood divided by its number of events).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from artlab.errors import ArgumentError, DataError

__all__ = [
    "REST", "METERS", "KEYS", "DURATIONS", "PITCH_RANGE", "UPBEAT_STEP", "NOTE_NAMES",
    "Melody", "Vocabulary", "encode_melodies", "bar_length", "key_scale", "canonical_key", "pitch_name",
    "to_stream", "from_stream", "piano_roll", "from_piano_roll",
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

_SPECIALS = ("<pad>", "<bos>", "<eos>")
_DEFAULT_QUARTERS_PER_MINUTE = 100


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


def _key_parts(key: str) -> tuple[int, str]:
    """``"A minor"`` -> ``(9, "minor")``."""
    if key not in KEYS:
        raise ArgumentError("key", expected="one of the 24 names in artlab.music.encoding.KEYS, "
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
    tonic, mode = _key_parts(key)
    steps = _MAJOR_STEPS if mode == "major" else _MINOR_STEPS
    return frozenset((tonic + s) % 12 for s in steps)


def pitch_name(pitch: int) -> str:
    """``pitch_name(60) == "C4"``, ``pitch_name(REST) == "rest"``."""
    if pitch == REST:
        return "rest"
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _fraction(value, what: str) -> Fraction:
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
        durations = tuple(_fraction(d, "Melody(durations)") for d in self.durations)
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
        _key_parts(self.key)
        upbeat = _fraction(self.upbeat, "Melody(upbeat)")
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
        tonic, mode = _key_parts(self.key)
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


def _duration_name(d: Fraction) -> str:
    return str(d)


@dataclass(frozen=True)
class Vocabulary:
    """The token vocabulary: names, ids, and :meth:`encode` / :meth:`decode`.

    The default (``Vocabulary()``) is what the course uses; the ranges are arguments so a
    learner can try another. :meth:`to_dict` / :meth:`from_dict` store it in checkpoints.
    """

    pitch_range: tuple[int, int] = PITCH_RANGE
    durations: tuple[Fraction, ...] = DURATIONS
    meters: tuple[str, ...] = METERS
    keys: tuple[str, ...] = KEYS
    tokens: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        low, high = (int(x) for x in self.pitch_range)
        if not 0 <= low <= high <= 127:
            raise ArgumentError("Vocabulary(pitch_range)", expected="(low, high) with 0 <= low <= high <= 127",
                                got=self.pitch_range)
        durations = tuple(sorted(Fraction(d) for d in self.durations))
        for m in self.meters:
            bar_length(m)
        for k in self.keys:
            _key_parts(k)
        object.__setattr__(self, "pitch_range", (low, high))
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "meters", tuple(self.meters))
        object.__setattr__(self, "keys", tuple(self.keys))
        longest = max(bar_length(m) for m in self.meters)
        upbeats = [UPBEAT_STEP * i for i in range(int(longest / UPBEAT_STEP))]
        names = (list(_SPECIALS) + [f"meter:{m}" for m in self.meters] + [f"key:{k}" for k in self.keys]
                 + [f"upbeat:{u}" for u in upbeats] + ["rest"]
                 + [f"pitch:{pitch_name(p)}" for p in range(low, high + 1)]
                 + [f"dur:{_duration_name(d)}" for d in durations])
        object.__setattr__(self, "tokens", tuple(names))
        ids = {name: i for i, name in enumerate(names)}
        object.__setattr__(self, "_ids", ids)
        object.__setattr__(self, "_upbeats", tuple(upbeats))
        # lookup tables for the hot paths (encode, decode, sampling)
        object.__setattr__(self, "_kinds", tuple(n.strip("<>").split(":")[0] for n in names))
        pitch_ids = {p: ids[f"pitch:{pitch_name(p)}"] for p in range(low, high + 1)}
        pitch_ids[REST] = ids["rest"]
        object.__setattr__(self, "_pitch_ids", pitch_ids)
        object.__setattr__(self, "_id_pitch", {i: p for p, i in pitch_ids.items()})
        dur_ids = {d: ids[f"dur:{_duration_name(d)}"] for d in durations}
        object.__setattr__(self, "_dur_ids", dur_ids)
        object.__setattr__(self, "_id_dur", {i: d for d, i in dur_ids.items()})

    # --- names and ids ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad(self) -> int:
        return 0

    @property
    def bos(self) -> int:
        return 1

    @property
    def eos(self) -> int:
        return 2

    @property
    def rest(self) -> int:
        return self._ids["rest"]

    @property
    def upbeats(self) -> tuple[Fraction, ...]:
        return self._upbeats

    def index(self, name: str) -> int:
        """The id of a token name such as ``"pitch:C4"`` or ``"dur:1/2"``."""
        try:
            return self._ids[name]
        except KeyError:
            raise ArgumentError("token name", expected="a name in vocab.tokens, e.g. 'pitch:C4', 'dur:1/2', 'rest'",
                                got=name) from None

    def name(self, token: int) -> str:
        """The name of token id ``token``."""
        if not 0 <= int(token) < len(self.tokens):
            raise ArgumentError("token id", expected=f"0..{len(self.tokens) - 1}", got=token)
        return self.tokens[int(token)]

    def kind(self, token: int) -> str:
        """One of ``pad bos eos meter key upbeat pitch rest dur``."""
        token = int(token)
        if not 0 <= token < len(self._kinds):
            raise ArgumentError("token id", expected=f"0..{len(self._kinds) - 1}", got=token)
        return self._kinds[token]

    def ids_of_kind(self, kind: str) -> list[int]:
        """All ids of one kind, e.g. ``vocab.ids_of_kind("dur")``."""
        return [i for i in range(len(self)) if self.kind(i) == kind]

    def pitch_token(self, pitch: int) -> int:
        """Id of ``pitch:P`` (or of ``rest`` for :data:`REST`)."""
        found = self._pitch_ids.get(pitch)
        if found is not None:
            return found
        low, high = self.pitch_range
        if not low <= pitch <= high:
            raise DataError("pitch", expected=f"a MIDI pitch in {low}..{high} ({pitch_name(low)}..{pitch_name(high)})",
                            got=pitch, hint="Transpose the melody into range, or build Vocabulary(pitch_range=...).")
        return self._ids[f"pitch:{pitch_name(pitch)}"]

    def duration_token(self, duration) -> int:
        """Id of ``dur:D``."""
        found = self._dur_ids.get(duration)
        if found is not None:
            return found
        name = f"dur:{_duration_name(Fraction(duration))}"
        if name not in self._ids:
            raise DataError("duration", expected=f"one of the {len(self.durations)} durations in vocab.durations "
                            f"(quarter notes: {', '.join(str(d) for d in self.durations)})", got=Fraction(duration),
                            hint="Such a melody does not fit this vocabulary; check vocab.fits(melody) first.")
        return self._ids[name]

    def token_pitch(self, token: int) -> int:
        """The MIDI pitch (or REST) of a pitch or rest token."""
        found = self._id_pitch.get(token)
        if found is not None:
            return found
        name = self.name(token)
        if name == "rest":
            return REST
        if not name.startswith("pitch:"):
            raise ArgumentError("token", expected="a pitch or rest token", got=name)
        return self.pitch_range[0] + (token - self._ids[f"pitch:{pitch_name(self.pitch_range[0])}"])

    def token_duration(self, token: int) -> Fraction:
        """The duration (quarter notes) of a duration token."""
        found = self._id_dur.get(token)
        if found is not None:
            return found
        name = self.name(token)
        if not name.startswith("dur:"):
            raise ArgumentError("token", expected="a duration token", got=name)
        return Fraction(name[4:])

    # --- melodies <-> tokens ---------------------------------------------------------
    def fits(self, melody: Melody) -> bool:
        """True when every part of ``melody`` has a token (so ``decode(encode(m)) == m``)."""
        low, high = self.pitch_range
        return (melody.meter in self.meters and melody.key in self.keys and melody.upbeat in self._upbeats
                and all(p in self._pitch_ids for p in set(melody.pitches))
                and all(d in self._dur_ids for d in set(melody.durations)))

    def encode(self, melody: Melody) -> list[int]:
        """``<bos> meter key upbeat (pitch dur)* <eos>`` as token ids."""
        if not isinstance(melody, Melody):
            raise ArgumentError("encode(melody)", expected="an artlab.music.encoding.Melody", got=type(melody).__name__)
        if melody.meter not in self.meters:
            raise DataError("meter", expected=f"one of {', '.join(self.meters)}", got=melody.meter)
        if melody.upbeat not in self._upbeats:
            raise DataError("upbeat", expected="a whole number of sixteenths shorter than a bar", got=melody.upbeat)
        if melody.key not in self.keys:
            raise DataError("key", expected="a key with a token", got=melody.key)
        tokens = [self.bos, self._ids[f"meter:{melody.meter}"], self._ids[f"key:{melody.key}"],
                  self._ids[f"upbeat:{melody.upbeat}"]]
        for pitch, duration in zip(melody.pitches, melody.durations):
            tokens.append(self.pitch_token(pitch))
            tokens.append(self.duration_token(duration))
        tokens.append(self.eos)
        return tokens

    def decode(self, tokens: Iterable[int], *, complete: bool = True) -> Melody:
        """The melody a token sequence spells; :meth:`encode`'s inverse.

        With ``complete=False`` a sequence may stop before ``<eos>`` (or even in the
        header: meter, key and upbeat default to 4/4, C major, 0) and a trailing pitch
        without its duration is dropped: what a sampler has so far.
        """
        ids = [int(t) for t in tokens]
        if ids and ids[0] == self.bos:
            ids = ids[1:]
        meter, key, upbeat = "4/4", "C major", Fraction(0)
        position = 0
        for kind_wanted in ("meter", "key", "upbeat"):
            if position < len(ids) and self.kind(ids[position]) == kind_wanted:
                value = self.name(ids[position]).split(":", 1)[1]
                if kind_wanted == "meter":
                    meter = value
                elif kind_wanted == "key":
                    key = value
                else:
                    upbeat = Fraction(value)
                position += 1
            elif complete:
                got = self.name(ids[position]) if position < len(ids) else "<the end>"
                raise DataError("token sequence", expected=f"a {kind_wanted} token at position {position + 1}",
                                got=got, hint="Sequences look like <bos> meter key upbeat (pitch dur)* <eos>.")
        pitches, durations = [], []
        ended = False
        while position < len(ids):
            token = ids[position]
            kind = self.kind(token)
            if kind == "eos":
                ended = True
                break
            if kind not in ("pitch", "rest"):
                raise DataError("token sequence", expected=f"a pitch, rest or <eos> at position {position + 1}",
                                got=self.name(token))
            if position + 1 >= len(ids):
                if complete:
                    raise DataError("token sequence", expected="a duration after the last pitch", got="<the end>")
                break
            dur = ids[position + 1]
            if self.kind(dur) != "dur":
                raise DataError("token sequence", expected=f"a duration at position {position + 2}",
                                got=self.name(dur))
            pitches.append(self.token_pitch(token))
            durations.append(self.token_duration(dur))
            position += 2
        if complete and not ended:
            raise DataError("token sequence", expected="<eos> at the end", got="<no <eos>>",
                            hint="For a sequence still being sampled, pass complete=False.")
        if upbeat >= bar_length(meter):
            upbeat = Fraction(0)
        return Melody._trusted(tuple(pitches), tuple(durations), meter, key, upbeat)  # every part came from a token

    def transpose_tokens(self, tokens: Sequence[int], semitones: int) -> list[int] | None:
        """The token sequence of the melody moved ``semitones`` (key token too);
        ``None`` if a pitch would leave ``pitch_range``. Used for augmentation in training."""
        low, high = self.pitch_range
        first_pitch = self.rest + 1
        out = []
        for t in tokens:
            t = int(t)
            if first_pitch <= t <= first_pitch + high - low:
                moved = t + semitones
                if not first_pitch <= moved <= first_pitch + high - low:
                    return None
                out.append(moved)
            elif self.tokens[t].startswith("key:"):
                name = self.tokens[t][4:]
                tonic, mode = _key_parts(name)
                out.append(self._ids[f"key:{canonical_key(tonic + semitones, mode)}"])
            else:
                out.append(t)
        return out

    def events_of(self, tokens: Sequence[int]) -> int:
        """How many events (notes or rests) a token sequence holds: the unit of "per note"."""
        rest, low = self.rest, self.rest + 1
        high = low + self.pitch_range[1] - self.pitch_range[0]
        return sum(1 for t in tokens if rest <= int(t) <= high)

    # --- checkpoints -----------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain data for a checkpoint (``Vocabulary.from_dict`` rebuilds it exactly)."""
        return {"pitch_range": list(self.pitch_range), "durations": [str(d) for d in self.durations],
                "meters": list(self.meters), "keys": list(self.keys), "tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, data: dict) -> "Vocabulary":
        vocab = cls(pitch_range=tuple(data["pitch_range"]), durations=tuple(Fraction(d) for d in data["durations"]),
                    meters=tuple(data["meters"]), keys=tuple(data["keys"]))
        if "tokens" in data and list(vocab.tokens) != list(data["tokens"]):
            raise DataError("vocabulary", expected="the token list saved with it",
                            got="<a different token order>", hint="The vocabulary code changed since it was saved.")
        return vocab


def encode_melodies(melodies: Iterable[Melody], vocab: Vocabulary) -> list[list[int]]:
    """``vocab.encode`` of every melody that fits the vocabulary (the others are left out)."""
    return [vocab.encode(m) for m in melodies if vocab.fits(m)]


# --- music21 streams ----------------------------------------------------------------------

def _spell(pitch: int, key: str):
    """A music21 Pitch spelled to suit ``key`` (flats in flat keys, sharps otherwise)."""
    from music21 import pitch as m21pitch

    p = m21pitch.Pitch(midi=pitch)
    tonic, mode = key.split()
    flat_key = "b" in tonic or key in ("F major", "D minor", "G minor", "C minor", "F minor")
    if p.accidental is not None and p.accidental.alter != 0:
        if flat_key and p.accidental.alter > 0:
            p = p.getEnharmonic()
        elif not flat_key and p.accidental.alter < 0:
            p = p.getEnharmonic()
    return p


def to_stream(melody: Melody, *, title: str | None = None):
    """A music21 ``Part`` with measures, ties across bar lines, key and time signature.

    The upbeat becomes a short first measure (``paddingLeft``), as in a printed score.
    """
    from music21 import key as m21key
    from music21 import metadata, meter as m21meter, note, stream, tie

    bar = melody.bar_length
    part = stream.Part()
    measures = []
    number = 0 if melody.upbeat else 1
    room = melody.upbeat if melody.upbeat else bar

    def new_measure(first: bool):
        nonlocal number
        m = stream.Measure(number=number)
        number += 1
        if first:
            m.append(m21meter.TimeSignature(melody.meter))
            tonic, mode = melody.key.split()
            m.append(m21key.Key(tonic if mode == "major" else tonic.lower(), mode))
            if melody.upbeat:
                m.paddingLeft = float(bar - melody.upbeat)
        measures.append(m)
        return m

    current = new_measure(True)
    for pitch, duration in melody.events:
        left, pieces = duration, 0
        while left > 0:
            if room == 0:
                current = new_measure(False)
                room = bar
            take = min(left, room)
            left -= take
            room -= take
            pieces += 1
            if pitch == REST:
                element = note.Rest(quarterLength=take)
            else:
                element = note.Note(_spell(pitch, melody.key), quarterLength=take)
                if pieces > 1 or left > 0:  # a note across a bar line: tied pieces
                    element.tie = tie.Tie("start" if pieces == 1 else "continue" if left > 0 else "stop")
            current.append(element)
    offset = 0.0
    for m in measures:
        part.insert(offset, m)
        offset += float(m.duration.quarterLength)
    if title:
        score = stream.Score()
        score.metadata = metadata.Metadata(title=title)
        score.insert(0, part)
        return score
    return part


def from_stream(score, *, name: str = "stream", chords: str = "error", part: int | None = None,
                key: str | None = None) -> Melody:
    """The melody of a music21 stream (a Score, Part, or Opus holding one piece).

    * tied notes become one event; consecutive rests merge; grace notes are skipped;
    * leading rests are dropped and set the upbeat; trailing rests are dropped;
    * chord symbols (ABC's ``"G"``) are ignored; a real chord (two pitches at once)
      raises :class:`DataError`, or with ``chords="top"`` keeps its highest pitch;
    * a score with several parts raises :class:`DataError` unless ``part`` picks one;
    * ``key``: a name from :data:`KEYS` to use as it is; ``None`` (the default) for
      music21's key analysis (Krumhansl-Schmuckler); ``"written"`` for the key the file
      states (a MIDI or MusicXML key with its mode), falling back on the analysis.

    Every problem is a :class:`DataError` naming ``name`` and the reason.
    """
    from music21 import chord as m21chord
    from music21 import harmony, note, stream

    if chords not in ("error", "top"):
        raise ArgumentError("from_stream(chords)", expected="'error' or 'top'", got=chords)
    if isinstance(score, stream.Opus):
        scores = list(score.scores)
        if len(scores) != 1:
            raise DataError(name, expected="one piece", got=f"<{len(scores)} pieces in one file>",
                            hint="Use artlab.music.corpus.load_melodies(path) to read every piece.")
        score = scores[0]
    if isinstance(score, stream.Score):
        parts = [p for p in score.parts if p.recurse().notes]
        if part is not None:
            if not 0 <= part < len(score.parts):
                raise DataError(name, expected=f"a part number 0..{len(score.parts) - 1}", got=part)
            line = score.parts[part]
        elif len(parts) == 1:
            line = parts[0]
        elif not parts:
            raise DataError(name, expected="a melody with at least one note", got="<no notes>")
        else:
            raise DataError(name, expected="one melodic line (monophonic)", got=f"<{len(parts)} parts with notes>",
                            hint="Pass part=0 (or another number) to take one part as the melody.")
    elif isinstance(score, stream.Stream):
        line = score
    else:
        raise ArgumentError("from_stream(score)", expected="a music21 stream", got=type(score).__name__)

    meters = []
    for ts in line.recurse().getElementsByClass("TimeSignature"):
        if not meters or ts.ratioString != meters[-1]:
            meters.append(ts.ratioString)
    if len(meters) > 1:
        raise DataError(name, expected="one meter throughout", got=f"<meter changes: {' -> '.join(meters[:4])}>")
    meter = meters[0] if meters else "4/4"
    try:
        bar = bar_length(meter)
    except ArgumentError:
        raise DataError(name, expected="a time signature such as 4/4", got=meter) from None

    # Notes in time order (voices inside a measure come one after the other in music21).
    flat = line.flatten()
    notes = []
    for order, element in enumerate(flat.notes):
        if isinstance(element, harmony.Harmony):
            continue  # chord symbols are annotations, not notes
        if element.duration.isGrace or element.quarterLength == 0:
            continue
        onset = _fraction(flat.elementOffset(element), name)
        notes.append((onset, order, element))
    if not notes:
        raise DataError(name, expected="a melody with at least one note", got="<no notes>")
    notes.sort(key=lambda item: (item[0], item[1]))

    events: list[list] = []  # [pitch, onset, duration, tied_onward]
    for onset, _, element in notes:
        duration = _fraction(element.quarterLength, name)
        if isinstance(element, m21chord.Chord):
            if chords == "error" and len(element.pitches) > 1:
                raise DataError(name, expected="one note at a time (monophonic)",
                                got=f"<a chord {element.pitchedCommonName} at quarter {float(onset):g}>",
                                hint="Remove the chords, or keep the top note with chords='top'.")
            pitch = max(p.midi for p in element.pitches)
        else:
            pitch = element.pitch.midi
        tied_on = element.tie is not None and element.tie.type in ("start", "continue")
        if events:
            previous = events[-1]
            end = previous[1] + previous[2]
            if onset == previous[1]:  # two notes at once
                if chords == "error":
                    raise DataError(name, expected="one note at a time (monophonic)",
                                    got=f"<two notes at once at quarter {float(onset):g}>",
                                    hint="Keep only the melody (one voice), or pass part=... for a score.")
                if pitch > previous[0]:
                    previous[0], previous[2], previous[3] = pitch, duration, tied_on
                continue
            if onset < end:
                overlap = end - onset
                if onset + duration <= end or overlap > min(Fraction(1, 4), previous[2] / 2):
                    raise DataError(name, expected="one note at a time (monophonic)",
                                    got=f"<overlapping notes at quarter {float(onset):g}>",
                                    hint="Keep only the melody (one voice), or pass part=... for a score.")
                previous[2] = onset - previous[1]  # a slight legato overlap: end the old note here
                end = onset
            if previous[3] and previous[0] == pitch and onset == end:
                previous[2] += duration  # a tie: one longer note
                previous[3] = tied_on
                continue
            if onset > end:
                events.append([REST, end, onset - end, False])
        events.append([pitch, onset, duration, tied_on])

    # the upbeat: where in its bar the first note starts
    measures = line.getElementsByClass("Measure")
    padding = _fraction(measures[0].paddingLeft, name) if measures else Fraction(0)
    position = (padding + notes[0][0]) % bar
    upbeat = (bar - position) % bar
    if key == "written":
        key = _written_key(line)
    if key is None:
        key = _analyse_key(line, name)
    elif key not in KEYS:
        raise ArgumentError("from_stream(key)", expected="None, 'written', or a name in KEYS such as 'C major'", got=key)
    pitches = tuple(e[0] for e in events)
    out_of_range = [p for p in pitches if not (p == REST or 0 <= p <= 127)]
    if out_of_range:
        raise DataError(name, expected="MIDI pitches 0..127", got=out_of_range[0])
    return Melody(pitches, tuple(e[2] for e in events), meter, key, upbeat)


def _written_key(line) -> str | None:
    from music21 import key as m21key

    for found in line.recurse().getElementsByClass(m21key.Key):
        if found.mode in ("major", "minor"):
            return canonical_key(found.tonic.pitchClass, found.mode)
        return None
    return None


def _analyse_key(line, name: str) -> str:
    try:
        found = line.analyze("key")
        return canonical_key(found.tonic.pitchClass, found.mode if found.mode in ("major", "minor") else "major")
    except Exception as error:  # music21 raises several kinds on odd input
        raise DataError(name, expected="a melody whose key music21 can analyse",
                        got=f"<{type(error).__name__}: {error}>", hint="Pass key='C major' (or another) yourself.") from None


# --- piano rolls ----------------------------------------------------------------------

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
