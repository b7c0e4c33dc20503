"""The tokens a melody is written in: the :class:`Vocabulary` and the one :class:`Grammar`. Lesson 06.

A melody (:mod:`artlab.music.melody`) is written as one sequence of token ids::

    <bos> meter:M key:K upbeat:U  (pitch:P | rest) dur:D  (pitch:P | rest) dur:D ...  <eos>

so every note or rest costs two tokens, a pitch token then a duration token. The
vocabulary is fixed by constants, not learned from data, and states its ranges:

=============  ====================================================================
token kind     values
=============  ====================================================================
``<pad>``      padding in batches (id 0); never a target
``<bos>``      start of a melody
``<eos>``      end of a melody
``meter:M``    M in :data:`~artlab.music.melody.METERS`
``key:K``      K in :data:`~artlab.music.melody.KEYS` (12 major, 12 minor; one spelling per key)
``upbeat:U``   U = 0, 1/4, 1/2, ... (sixteenth-note steps) below the longest bar
``pitch:P``    P from ``pitch_range`` (default MIDI 36..96, C2..C7), named like ``pitch:C#4``
``rest``       a rest
``dur:D``      D in :data:`~artlab.music.melody.DURATIONS` (a sixty-fourth up to a double whole note)
=============  ====================================================================

``Vocabulary().decode(Vocabulary().encode(m)) == m`` for every melody that
:meth:`Vocabulary.fits`; the tests check it on the whole corpus and on random melodies.

**The grammar** of that sequence is written once, in :class:`Grammar`: which kind of token may
come in each *phase* (meter, key, upbeat, note, duration) and which phase follows each kind.
:meth:`Vocabulary.decode` reads a sequence by it, and the samplers of lesson 07
(:mod:`artlab.music.sample`) mask the tokens it forbids, so a sampled melody is always well formed.

Why events and not a sixteenth-note grid? On a grid three quarters of the steps are
"hold" tokens that every model predicts almost perfectly, which hides how well it
predicts the notes. Whatever the encoding, the course reports **nats per note** (the
melody's total negative log-likelihood divided by its number of events).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np
import torch

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import (DURATIONS, KEYS, METERS, PITCH_RANGE, REST, TICKS_PER_QUARTER, UPBEAT_STEP, Melody,
                                 bar_length, canonical_key, key_parts, pitch_name)

__all__ = ["Vocabulary", "Grammar", "encode_melodies", "SPECIALS"]

SPECIALS = ("<pad>", "<bos>", "<eos>")
"""The special tokens, ids 0, 1 and 2."""


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
            key_parts(k)
        object.__setattr__(self, "pitch_range", (low, high))
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "meters", tuple(self.meters))
        object.__setattr__(self, "keys", tuple(self.keys))
        longest = max(bar_length(m) for m in self.meters)
        upbeats = [UPBEAT_STEP * i for i in range(int(longest / UPBEAT_STEP))]
        names = (list(SPECIALS) + [f"meter:{m}" for m in self.meters] + [f"key:{k}" for k in self.keys]
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
            raise ArgumentError("encode(melody)", expected="an artlab.music.melody.Melody", got=type(melody).__name__)
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
        """The melody a token sequence spells; :meth:`encode`'s inverse, read by the :class:`Grammar`.

        With ``complete=False`` a sequence may stop before ``<eos>`` (or even in the
        header: meter, key and upbeat default to 4/4, C major, 0) and a trailing pitch
        without its duration is dropped: what a sampler has so far.
        """
        ids = [int(t) for t in tokens]
        if ids and ids[0] == self.bos:
            ids = ids[1:]
        header = {"meter": "4/4", "key": "C major", "upbeat": "0"}
        position = 0
        for phase in Grammar.HEADER:
            if position < len(ids) and self.kind(ids[position]) == phase:
                header[phase] = self.name(ids[position]).split(":", 1)[1]
                position += 1
            elif complete:
                got = self.name(ids[position]) if position < len(ids) else "<the end>"
                raise DataError("token sequence", expected=f"a {phase} token at position {position + 1}",
                                got=got, hint="Sequences look like <bos> meter key upbeat (pitch dur)* <eos>.")
        pitches, durations = [], []
        phase, ended, pitch = "note", False, REST
        for position in range(position, len(ids)):
            kind = self.kind(ids[position])
            if kind not in Grammar.ALLOWED[phase]:
                raise DataError("token sequence", expected=f"{Grammar.DESCRIBED[phase]} at position {position + 1}",
                                got=self.name(ids[position]))
            if kind == "eos":
                ended = True
                break
            if kind == "dur":
                pitches.append(pitch)
                durations.append(self.token_duration(ids[position]))
            else:
                pitch = self.token_pitch(ids[position])
            phase = Grammar.after(kind)
        if complete and phase == "dur":
            raise DataError("token sequence", expected="a duration after the last pitch", got="<the end>")
        if complete and not ended:
            raise DataError("token sequence", expected="<eos> at the end", got="<no <eos>>",
                            hint="For a sequence still being sampled, pass complete=False.")
        meter, upbeat = header["meter"], Fraction(header["upbeat"])
        if upbeat >= bar_length(meter):
            upbeat = Fraction(0)
        return Melody._trusted(tuple(pitches), tuple(durations), meter, header["key"], upbeat)  # every part came from a token

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
                tonic, mode = key_parts(name)
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


class Grammar:
    """The token grammar, written once: ``<bos> meter key upbeat ((pitch | rest) dur)* <eos>``.

    A sequence is read in *phases*. After ``<bos>`` comes the ``meter`` phase, then ``key``, then
    ``upbeat``, then ``note`` (a pitch, a rest, or ``<eos>`` to end) and ``dur`` (the note's
    duration) in turn; :meth:`after` says which phase follows a token kind, :data:`ALLOWED` which
    kinds a phase accepts. :meth:`Vocabulary.decode` reads by it; :meth:`mask` turns it into the
    tokens a sampler may draw next (lesson 07), optionally only durations that still let the
    melody end exactly on a given length.
    """

    HEADER = ("meter", "key", "upbeat")
    ALLOWED = {"meter": ("meter",), "key": ("key",), "upbeat": ("upbeat",), "note": ("pitch", "rest", "eos"),
               "dur": ("dur",), "done": ()}
    DESCRIBED = {"meter": "a meter token", "key": "a key token", "upbeat": "an upbeat token",
                 "note": "a pitch, rest or <eos>", "dur": "a duration", "done": "nothing after <eos>"}
    _AFTER = {"bos": "meter", "meter": "key", "key": "upbeat", "upbeat": "note", "pitch": "dur", "rest": "dur",
              "dur": "note", "eos": "done"}

    @classmethod
    def after(cls, kind: str) -> str:
        """The phase that follows a token of ``kind`` (``"done"`` after ``<eos>`` or padding)."""
        return cls._AFTER.get(kind, "done")

    def __init__(self, vocab: "Vocabulary") -> None:
        kinds = [vocab.kind(i) for i in range(len(vocab))]
        self.vocab = vocab
        self.kind_mask = {k: torch.tensor([kk == k for kk in kinds]) for k in set(kinds)}
        self.note_mask = self.kind_mask["pitch"] | self.kind_mask["rest"]
        self.dur_ids = torch.tensor(vocab.ids_of_kind("dur"))
        self.dur_ticks = torch.tensor([int(vocab.token_duration(i) * TICKS_PER_QUARTER) for i in vocab.ids_of_kind("dur")])
        self.dur_tuple = tuple(self.dur_ticks.tolist())  # the cache key of _reachable, built once
        self.upbeat_ids = torch.tensor(vocab.ids_of_kind("upbeat"))
        self.upbeat_ticks = torch.tensor([int(Fraction(vocab.name(i).split(":")[1]) * TICKS_PER_QUARTER)
                                          for i in vocab.ids_of_kind("upbeat")])

    def reachable(self, limit: int) -> torch.Tensor:
        """reachable[r]: can r ticks be filled exactly with duration tokens?"""
        return _reachable(self.dur_tuple, 1 << max(10, int(limit).bit_length()))

    def mask(self, phase: str, *, meter: str | None, remaining: int | None) -> torch.Tensor:
        """Allowed next tokens (V,) in ``phase``, given the ticks left to fill (``None``: no length)."""
        v = len(self.vocab)
        if phase in ("meter", "key"):
            return self.kind_mask[phase].clone()
        if phase == "upbeat":
            allowed = torch.zeros(v, dtype=torch.bool)
            ok = self.upbeat_ticks < int(bar_length(meter or "4/4") * TICKS_PER_QUARTER)
            allowed[self.upbeat_ids[ok]] = True
            return allowed
        if phase == "note":
            allowed = self.note_mask.clone()
            if remaining is None:
                allowed[self.vocab.eos] = True
            elif remaining == 0:
                allowed[:] = False
                allowed[self.vocab.eos] = True
            return allowed
        if phase != "dur":
            raise ArgumentError("Grammar.mask(phase)", expected=f"one of {', '.join(self.ALLOWED)}", got=phase)
        allowed = torch.zeros(v, dtype=torch.bool)
        if remaining is None:
            allowed[self.dur_ids] = True
        else:
            reach = self.reachable(remaining)
            fits = self.dur_ticks <= remaining
            left = (remaining - self.dur_ticks).clamp(min=0)
            ok = fits & reach[left]
            allowed[self.dur_ids[ok]] = True
        return allowed


_REACHABLE: dict[tuple, torch.Tensor] = {}


def _reachable(ticks: tuple[int, ...], limit: int) -> torch.Tensor:
    """Which tick counts 0..limit are sums of the given durations (cached per process)."""
    known = _REACHABLE.get(ticks)
    if known is None or len(known) <= limit:
        reach = np.zeros(limit + 1, dtype=bool)
        reach[0] = True
        steps = np.array(sorted(ticks))
        for r in range(1, limit + 1):
            back = r - steps[steps <= r]
            reach[r] = bool(reach[back].any())
        known = _REACHABLE[ticks] = torch.from_numpy(reach)
    return known
