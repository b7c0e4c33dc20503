"""Checks for exercise 06 (``exercises/06_music_as_data.ipynb``); exercise 07's are in :mod:`artlab.checks.composing`.

Besides the encoder and the decoder, one check tests what the learner derives first:
:func:`check_bar_positions` (where in its bar each note starts, exactly, compared with the corpus
melodies' own bar numbers).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from artlab.checks import Checker
from artlab.music.melody import REST, Melody
from artlab.music.tokens import Vocabulary

__all__ = ["check_melody_to_tokens", "check_tokens_to_melody", "check_bar_positions"]

_VOCAB = Vocabulary()
_MELODIES = {
    "a scale in 4/4": Melody((60, 62, 64, 65, 67), (1, 1, 1, 1, 4)),
    "a jig with an upbeat and a rest": Melody((67, 72, 71, REST, 72), (Fraction(1, 2), 1, Fraction(1, 2), 1, 2),
                                             "6/8", "G major", Fraction(1, 2)),
    "triplets in A minor": Melody((69, 71, 72, 74), (Fraction(1, 3), Fraction(1, 3), Fraction(1, 3), 3),
                                  "2/4", "A minor", 1),
}


_HIDDEN_MELODIES = {
    "a waltz in D major with sixteenths": Melody((62, 66, REST, 69, 74, 61),
                                                 (Fraction(3, 2), Fraction(1, 2), 1, 2, Fraction(3, 4), Fraction(1, 4)),
                                                 "3/4", "D major", 0),
    "a 9/8 tune in Eb minor with a long upbeat": Melody((63, 66, 70, REST, 75),
                                                        (Fraction(1, 6), Fraction(1, 6), Fraction(2, 3), Fraction(1, 2),
                                                         Fraction(5, 2)), "9/8", "Eb minor", Fraction(3, 2)),
}
ENCODE = ("tokens = [vocab.index('<bos>'), vocab.index(f'meter:{melody.meter}'), vocab.index(f'key:{melody.key}'), "
          "vocab.index(f'upbeat:{melody.upbeat}')]; for pitch, d in zip(melody.pitches, melody.durations): "
          "tokens += [vocab.index('rest' if pitch == REST else f'pitch:{pitch_name(pitch)}'), vocab.index(f'dur:{d}')]; "
          "tokens.append(vocab.index('<eos>'))")
DECODE = ("names = [vocab.name(t) for t in tokens]; meter, key, upbeat = (n.split(':', 1)[1] for n in names[1:4]); "
          "pitches = [vocab.token_pitch(t) for t in tokens[4:-1:2]]; "
          "durations = [Fraction(n.split(':', 1)[1]) for n in names[5:-1:2]]; "
          "return Melody(tuple(pitches), tuple(durations), meter, key, Fraction(upbeat))")

def _names(tokens, vocab=_VOCAB):
    try:
        return [vocab.name(int(t)) for t in tokens]
    except Exception:  # the learner returned something that is not token ids
        return tokens


# --- exercise 06 -------------------------------------------------------------------------

def check_melody_to_tokens(melody_to_tokens, *, hidden: bool = False) -> None:
    """``melody_to_tokens(melody, vocab)``: <bos> meter key upbeat (pitch dur)* <eos> as ids."""
    with Checker("melody_to_tokens", melody_to_tokens, hidden=hidden) as c:
        if hidden:
            for label, melody in _HIDDEN_MELODIES.items():
                got = c.call(melody, _VOCAB)
                expected = _VOCAB.encode(melody)
                c.expect(isinstance(got, (list, tuple)) and list(got) == expected, f"encodes {label}", input=melody,
                         expected=_names(expected), got=_names(got) if isinstance(got, (list, tuple)) else got,
                         hint="the same header and note tokens for any meter, key, upbeat and duration.",
                         answer=ENCODE)
            return
        for label, melody in _MELODIES.items():
            got = c.call(melody, _VOCAB)
            c.expect(isinstance(got, (list, tuple)) and all(isinstance(t, (int, np.integer)) for t in got),
                     f"returns a list of token ids ({label})", input=melody, expected="a list of ints",
                     got=type(got).__name__ if not isinstance(got, (list, tuple)) else got,
                     hint="every token is an id the vocabulary gives for a token's name.",
                     answer="look ids up with vocab.index(name), e.g. vocab.index('pitch:C4'): " + ENCODE)
            expected = _VOCAB.encode(melody)
            c.expect(len(got) == len(expected), f"has 2 tokens per note plus 5 ({label})", input=melody,
                     expected=f"{len(expected)} tokens", got=f"{len(got)} tokens: {_names(got)[:8]}...",
                     hint="count: four header tokens, two tokens per note (rests included), one end token.",
                     answer="<bos>, meter, key, upbeat, then a pitch (or rest) and a duration per note, then <eos>.")
            c.expect(list(got[:4]) == expected[:4], f"starts with <bos>, meter, key, upbeat ({label})", input=melody,
                     expected=_names(expected[:4]), got=_names(got[:4]),
                     hint="the header names are the kind, a colon, and the melody's value as text.",
                     answer="names are 'meter:6/8', 'key:G major', 'upbeat:1/2' (str of the Fraction): " + ENCODE)
            c.expect(list(got) == expected, f"spells every note as a pitch token then a duration token ({label})",
                     input=melody, expected=_names(expected), got=_names(got),
                     hint="for each note: first what sounds (or the rest token), then how long, as names in the vocabulary.",
                     answer="a rest is 'rest'; a pitch is 'pitch:' + pitch_name(p); a duration 'dur:' + str(d).")


def check_tokens_to_melody(tokens_to_melody, *, hidden: bool = False) -> None:
    """``tokens_to_melody(tokens, vocab)``: the inverse of ``melody_to_tokens``."""
    with Checker("tokens_to_melody", tokens_to_melody, hidden=hidden) as c:
        if hidden:
            for label, melody in _HIDDEN_MELODIES.items():
                tokens = _VOCAB.encode(melody)
                got = c.call(tokens, _VOCAB)
                c.expect(got == melody, f"decodes {label} exactly", input=_names(tokens), expected=melody, got=got,
                         hint="read the header, then the pairs, with exact fractions, for any meter and upbeat.",
                         answer=DECODE)
            return
        for label, melody in _MELODIES.items():
            tokens = _VOCAB.encode(melody)
            got = c.call(tokens, _VOCAB)
            c.expect(isinstance(got, Melody), f"returns a Melody ({label})", input=_names(tokens)[:6],
                     expected="a Melody", got=type(got).__name__,
                     hint="collect the parts, then build the artlab Melody from them.",
                     answer="return Melody(tuple(pitches), tuple(durations), meter, key, upbeat).")
            c.expect((got.meter, got.key, got.upbeat) == (melody.meter, melody.key, melody.upbeat),
                     f"reads meter, key and upbeat from the header ({label})", input=_names(tokens)[:4],
                     expected=(melody.meter, melody.key, melody.upbeat), got=(got.meter, got.key, got.upbeat),
                     hint="the three tokens after <bos> carry the header as 'kind:value' names.",
                     answer="meter, key, upbeat = (n.split(':', 1)[1] for n in names[1:4]); upbeat = Fraction(upbeat).")
            c.expect(got.pitches == melody.pitches, f"reads pitches and rests ({label})", input=_names(tokens),
                     expected=melody.pitches, got=got.pitches,
                     hint="every other token after the header is a pitch or a rest; the vocabulary can read it.",
                     answer="pitches = [vocab.token_pitch(t) for t in tokens[4:-1:2]] (REST for the rest token).")
            c.expect(got.durations == melody.durations, f"reads durations exactly ({label})", input=_names(tokens),
                     expected=[str(d) for d in melody.durations], got=[str(d) for d in got.durations],
                     hint="durations such as a triplet's 1/3 must come back exactly, not as decimals.",
                     answer="durations = [Fraction(n.split(':', 1)[1]) for n in names[5:-1:2]]: Fraction('1/3') is exact.")
            c.expect(got == melody, f"undoes melody_to_tokens exactly ({label})", input=label, expected=melody, got=got,
                     hint="compare your Melody with the original field by field: what differs?", answer=DECODE)


# --- exercise 06: where in the bar ----------------------------------------------------------------

def _reference_positions(melody: Melody) -> list[tuple[int, Fraction]]:
    bar, upbeat = melody.bar_length, melody.upbeat
    shift = bar - upbeat if upbeat else Fraction(0)  # the first note's place in the (incomplete) bar 0
    return [(b, (onset + shift) % bar) for b, onset in zip(melody.bar_index(), melody.onsets())]


POSITIONS = ("bar = melody.bar_length; shift = bar - melody.upbeat if melody.upbeat else 0; onset = 0; for d in "
             "melody.durations: t = onset + shift; bar number = int(t // bar) + (0 if melody.upbeat else 1), "
             "position = t % bar (Fractions throughout); onset += d")


def _positions(out) -> list[tuple[int, Fraction]] | None:
    try:
        pairs = [(b, q) for b, q in out]
    except (TypeError, ValueError):
        return None
    if not all(isinstance(b, int) and not isinstance(b, bool) and isinstance(q, (Fraction, int)) for b, q in pairs):
        return None
    return [(b, Fraction(q)) for b, q in pairs]


def check_bar_positions(bar_positions, *, hidden: bool = False) -> None:
    """``bar_positions(melody)``: for each event, (the bar it starts in, numbered as in a score, and
    where in that bar it starts, in quarter notes, as an exact Fraction)."""
    with Checker("bar_positions", bar_positions, hidden=hidden) as c:
        if hidden:
            for label, melody in _HIDDEN_MELODIES.items():
                want = _reference_positions(melody)
                got = _positions(c.call(melody))
                c.expect(got == want, f"places every note of {label}", input=melody, expected=want, got=got,
                         hint="the same rule for every meter and upbeat.", answer=POSITIONS)
            return
        scale = _MELODIES["a scale in 4/4"]
        out = c.call(scale)
        got = _positions(out)
        c.expect(got is not None and len(got) == len(scale),
                 "returns one (bar, position) pair per event, the position as a Fraction",
                 input=scale, expected=f"{len(scale)} pairs such as (1, Fraction(0, 1))", got=out,
                 hint="keep durations as Fractions: adding them gives exact positions; a float would not be exact.",
                 answer=POSITIONS)
        c.expect(got == _reference_positions(scale), "places a 4/4 scale without upbeat: bar 1 at 0, 1, 2, 3",
                 input=scale, expected=_reference_positions(scale), got=got,
                 hint="without an upbeat the first note starts bar 1 on its first beat (position 0).",
                 answer=POSITIONS)
        jig = _MELODIES["a jig with an upbeat and a rest"]
        got = _positions(c.call(jig))
        c.expect(got == _reference_positions(jig),
                 "counts the upbeat as bar 0: a 6/8 jig's eighth-note upbeat starts at 5/2 of bar 0",
                 input=jig, expected=_reference_positions(jig), got=got,
                 hint="an upbeat of u quarters is the end of bar 0: it starts bar_length - u quarters into that bar.",
                 answer=POSITIONS)
        triplets = _MELODIES["triplets in A minor"]
        got = _positions(c.call(triplets))
        c.expect(got == _reference_positions(triplets),
                 "places triplets exactly: the note after three triplet eighths lands on a beat",
                 input=triplets, expected=_reference_positions(triplets), got=got,
                 hint="1/3 has no exact float; sum Fractions, never floats.", answer=POSITIONS)
        from artlab.music.corpus import load_corpus

        tunes = load_corpus().tunes[::40][:250]
        wrong = []
        for tune in tunes:
            melody = tune.melody
            got = _positions(c.call(melody))
            if got != _reference_positions(melody):
                wrong.append(tune.id)
        c.expect(not wrong, f"agrees with the corpus's bar numbers and the meters on {len(tunes)} melodies of "
                 "all four collections", input=f"every 40th tune of load_corpus(), {len(tunes)} in all",
                 expected="every event placed", got=f"{len(wrong)} melodies differ, the first {wrong[:1]}",
                 hint="look at one of them: its meter, its upbeat, its first few durations.", answer=POSITIONS)


