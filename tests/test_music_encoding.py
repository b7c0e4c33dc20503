"""The representation contract: Melody, Vocabulary, streams and piano rolls."""
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import (DURATIONS, KEYS, METERS, Melody, REST, bar_length, canonical_key, key_scale,
                                 pitch_name)
from artlab.music.pianoroll import from_piano_roll, piano_roll
from artlab.music.streams import from_stream, to_stream
from artlab.music.tokens import Vocabulary

VOCAB = Vocabulary()


def melody(events, meter="4/4", key="C major", upbeat=0):
    """Tiny fixture builder: ``melody([(60, 1), (REST, 1/2)])``."""
    return Melody(tuple(p for p, _ in events), tuple(F(d) for _, d in events), meter, key, F(upbeat))


TWINKLE = melody([(60, 1), (60, 1), (67, 1), (67, 1), (69, 1), (69, 1), (67, 2)])
PICKUP = melody([(67, F(1, 2)), (72, F(3, 2)), (REST, F(1, 2)), (74, F(1, 3)), (76, F(1, 3)), (77, F(1, 3)),
                 (79, F(5, 2)), (77, F(1, 2))], meter="3/4", key="C major", upbeat=F(1, 2))


@st.composite
def melodies(draw, max_events=40):
    meter = draw(st.sampled_from(METERS))
    upbeats = [u for u in VOCAB.upbeats if u < bar_length(meter)]
    n = draw(st.integers(1, max_events))
    pitches = draw(st.lists(st.one_of(st.just(REST), st.integers(*VOCAB.pitch_range)), min_size=n, max_size=n))
    durations = draw(st.lists(st.sampled_from(DURATIONS), min_size=n, max_size=n))
    return Melody(tuple(pitches), tuple(durations), meter, draw(st.sampled_from(KEYS)), draw(st.sampled_from(upbeats)))


# --- Melody --------------------------------------------------------------------------

def test_melody_stores_exact_fractions_and_derived_lengths():
    m = melody([(60, 0.5), (62, F(1, 3)), (64, 1.5)], meter="6/8", upbeat=F(1, 2))
    assert m.durations == (F(1, 2), F(1, 3), F(3, 2))
    assert m.duration == F(7, 3) and m.bar_length == 3 and m.bars == F(7, 9)
    assert m.onsets() == [0, F(1, 2), F(5, 6)]


@pytest.mark.parametrize("bad, what", [
    (dict(pitches=(60,), durations=(1, 2)), "as many durations"),
    (dict(pitches=(128,), durations=(1,)), "MIDI numbers"),
    (dict(pitches=(60,), durations=(0,)), "durations > 0"),
    (dict(pitches=(60,), durations=(1,), meter="4/5"), "time signature"),
    (dict(pitches=(60,), durations=(1,), key="H major"), "24 names"),
    (dict(pitches=(60,), durations=(1,), upbeat=4), "upbeat"),
])
def test_melody_refuses_bad_values_with_a_message(bad, what):
    with pytest.raises(ArgumentError, match=what):
        Melody(**bad)


def test_bar_length_and_keys():
    assert [bar_length(m) for m in ("2/4", "3/4", "6/8", "2/2", "12/8")] == [2, 3, 3, 4, 6]
    assert len(KEYS) == 24 and len(set(KEYS)) == 24
    assert canonical_key(6, "major") == "F# major" and canonical_key(10, "minor") == "Bb minor"
    assert sorted(key_scale("C major")) == [0, 2, 4, 5, 7, 9, 11]
    assert 8 in key_scale("A minor") and 7 in key_scale("A minor")  # G# (leading note) and G
    assert pitch_name(60) == "C4" and pitch_name(69) == "A4" and pitch_name(REST) == "rest"


def test_transpose_moves_pitches_and_key_but_not_rests():
    up = PICKUP.transpose(2)
    assert up.key == "D major" and up.durations == PICKUP.durations
    assert [p - q if p != REST else REST for p, q in zip(up.pitches, PICKUP.pitches)] == \
        [2 if p != REST else REST for p in PICKUP.pitches]
    assert up.transpose(-2) == PICKUP
    assert melody([(69, 1)], key="A minor").transpose(3).key == "C minor"


def test_bar_index_take_and_first_bars_respect_the_upbeat():
    assert PICKUP.bar_index() == [0, 1, 1, 1, 1, 1, 2, 2]
    assert TWINKLE.bar_index() == [1, 1, 1, 1, 2, 2, 2]  # no upbeat: the first bar is bar 1
    assert PICKUP.first_bars(1) == PICKUP.take(0, 6)
    assert TWINKLE.first_bars(1) == TWINKLE.take(0, 4)
    tail = PICKUP.take(6)
    assert tail.upbeat == 0 and tail.pitches == (79, 77)
    middle = PICKUP.take(2)  # starts one and a half quarters into bar 1
    assert middle.upbeat == F(3, 2)
    assert PICKUP.take(0, 3) + PICKUP.take(3) == PICKUP


def test_cut_bars_splits_at_bar_lines_and_pieces_add_up():
    # PICKUP (3/4, upbeat 1/2): G 1/2 | C 3/2, rest 1/2, D E F (triplets) | G 5/2, F 1/2
    head, tail = PICKUP.cut_bars(0, 2), PICKUP.cut_bars(2)
    assert head.upbeat == F(1, 2) and tail.upbeat == 0
    assert head.duration == F(1, 2) + 3 and head + tail == PICKUP
    middle = PICKUP.cut_bars(1, 2)
    assert middle.duration == 3 and middle.pitches == (72, REST, 74, 76, 77)
    across = melody([(60, 2), (62, 4), (64, 2)])  # the D crosses the bar line of bar 2
    first, second = across.cut_bars(0, 2), across.cut_bars(2)
    assert first.events == [(60, 2), (62, 2)] and second.events == [(62, 2), (64, 2)]
    assert first.duration + second.duration == across.duration
    edited = across.cut_bars(0, 2) + melody([(67, 4)]) + across.cut_bars(3)
    assert edited.events == [(60, 2), (62, 2), (67, 4)]


# --- Vocabulary ----------------------------------------------------------------------

def test_vocabulary_layout_is_documented_and_stable():
    assert VOCAB.tokens[:3] == ("<pad>", "<bos>", "<eos>") and (VOCAB.pad, VOCAB.bos, VOCAB.eos) == (0, 1, 2)
    low, high = VOCAB.pitch_range
    assert (low, high) == (36, 96)
    assert len(VOCAB.ids_of_kind("pitch")) == high - low + 1
    assert len(VOCAB.ids_of_kind("dur")) == len(DURATIONS)
    assert len(VOCAB.ids_of_kind("meter")) == len(METERS) and len(VOCAB.ids_of_kind("key")) == 24
    assert len(VOCAB) == len(set(VOCAB.tokens))
    assert VOCAB.name(VOCAB.index("pitch:C4")) == "pitch:C4"
    assert VOCAB.token_pitch(VOCAB.pitch_token(60)) == 60 and VOCAB.token_pitch(VOCAB.rest) == REST
    assert VOCAB.token_duration(VOCAB.duration_token(F(3, 2))) == F(3, 2)


def test_encode_spells_the_documented_sequence():
    names = [VOCAB.name(t) for t in VOCAB.encode(melody([(60, 1), (REST, F(1, 2))], meter="6/8", upbeat=F(1, 2)))]
    assert names == ["<bos>", "meter:6/8", "key:C major", "upbeat:1/2", "pitch:C4", "dur:1", "rest", "dur:1/2", "<eos>"]
    assert VOCAB.events_of(VOCAB.encode(TWINKLE)) == len(TWINKLE)


@given(melodies())
@settings(max_examples=300, deadline=None)
def test_decode_inverts_encode_on_random_melodies(m):
    assert VOCAB.fits(m)
    assert VOCAB.decode(VOCAB.encode(m)) == m


def test_decode_inverts_encode_on_fixtures():
    for m in (TWINKLE, PICKUP):
        assert VOCAB.decode(VOCAB.encode(m)) == m


def test_what_does_not_fit_is_said_clearly():
    too_high = melody([(100, 1)])
    odd = melody([(60, F(1, 5))])
    assert not VOCAB.fits(too_high) and not VOCAB.fits(odd)
    with pytest.raises(DataError, match="pitch"):
        VOCAB.encode(too_high)
    with pytest.raises(DataError, match="durations"):
        VOCAB.encode(odd)
    assert Vocabulary(pitch_range=(36, 108)).fits(too_high)


def test_decode_refuses_malformed_sequences_and_reads_partial_ones():
    tokens = VOCAB.encode(TWINKLE)
    with pytest.raises(DataError, match="<eos>"):
        VOCAB.decode(tokens[:-1])
    with pytest.raises(DataError, match="duration"):
        VOCAB.decode(tokens[:5] + [VOCAB.pitch_token(60), VOCAB.eos])
    partial = VOCAB.decode(tokens[:9], complete=False)  # header, two notes and a dangling pitch
    assert partial.pitches == (60, 60)
    assert VOCAB.decode([VOCAB.bos], complete=False) == Melody((), ())


def test_vocabulary_round_trips_through_plain_data():
    other = Vocabulary(pitch_range=(48, 84))
    assert Vocabulary.from_dict(other.to_dict()) == other
    assert Vocabulary.from_dict(other.to_dict()).tokens == other.tokens
    data = VOCAB.to_dict()
    data["tokens"] = list(reversed(data["tokens"]))
    with pytest.raises(DataError, match="token"):
        Vocabulary.from_dict(data)


# --- music21 streams and piano rolls ----------------------------------------------------

@pytest.mark.parametrize("m", [TWINKLE, PICKUP, melody([(62, 7), (64, F(1, 6)), (65, F(1, 6)), (67, F(2, 3))], "6/8", "D minor", F(1, 2))],
                         ids=["twinkle", "pickup-ties-triplets", "long-notes"])
def test_stream_round_trip(m):
    part = to_stream(m)
    assert part.getElementsByClass("Measure")[0].paddingLeft == float(m.bar_length - m.upbeat if m.upbeat else 0)
    assert from_stream(part, key=m.key) == m
    assert from_stream(part, key="written") == m


@given(melodies(max_events=12))
@settings(max_examples=25, deadline=None)
def test_stream_round_trip_on_random_melodies(m):
    # from_stream canonicalises: consecutive rests merge and leading/trailing rests go
    if _canonical(m) is not None:
        assert from_stream(to_stream(m), key=m.key) == _canonical(m)


def _canonical(m):
    events = []
    for p, d in m.events:
        if p == REST and events and events[-1][0] == REST:
            events[-1][1] += d
        else:
            events.append([p, d])
    start = 0
    while events and events[0][0] == REST:
        start += events.pop(0)[1]
    while events and events[-1][0] == REST:
        events.pop()
    upbeat = (m.upbeat - start) % m.bar_length
    return Melody(tuple(p for p, _ in events), tuple(d for _, d in events), m.meter, m.key, upbeat) if events else None


def test_from_stream_merges_ties_and_refuses_chords_and_voices():
    from music21 import chord, converter, note, stream

    tied = converter.parse("tinyNotation: 4/4 c2~ c2 d4 e4 r2")
    m = from_stream(tied, key="C major")
    assert m.events == [(60, 4), (62, 1), (64, 1)]
    with_chord = converter.parse("tinyNotation: 4/4 c4 d4")
    with_chord.recurse().getElementsByClass("Measure")[0].append(chord.Chord(["E4", "G4"]))
    with pytest.raises(DataError, match="monophonic"):
        from_stream(with_chord, name="mine.xml")
    assert from_stream(with_chord, chords="top", key="C major").pitches == (60, 62, 67)
    score = stream.Score([stream.Part([note.Note("C4")]), stream.Part([note.Note("E4")])])
    with pytest.raises(DataError, match="2 parts"):
        from_stream(score, name="duet.xml")
    assert from_stream(score, part=1, key="C major").pitches == (64,)


def test_piano_roll_marks_onsets_and_holds_and_inverts():
    roll = piano_roll(TWINKLE)
    assert roll.shape == (69 - 60 + 1, 32)
    assert roll[0, 0] == 2 and roll[0, 3] == 1 and roll[0, 4] == 2  # repeated C: a new onset
    assert (roll > 0).sum(axis=0).max() == 1  # one note at a time
    back = from_piano_roll(roll, lowest_pitch=60)
    assert back == TWINKLE
    fine = piano_roll(PICKUP, steps_per_quarter=12)
    assert from_piano_roll(fine, lowest_pitch=67, steps_per_quarter=12, meter="3/4", upbeat=F(1, 2)) == PICKUP
    with pytest.raises(DataError, match="grid"):
        piano_roll(PICKUP, steps_per_quarter=4)  # triplets are off a sixteenth grid


@given(melodies(max_events=20))
@settings(max_examples=100, deadline=None)
def test_piano_roll_round_trip_on_random_melodies(m):
    canonical = _canonical(m)
    if canonical is None:
        return
    roll = piano_roll(canonical, steps_per_quarter=48, pitch_range=VOCAB.pitch_range)
    assert from_piano_roll(roll, lowest_pitch=VOCAB.pitch_range[0], steps_per_quarter=48, meter=m.meter,
                           key=m.key, upbeat=canonical.upbeat) == canonical
    assert np.all((roll > 0).sum(axis=0) <= 1)
