"""MIDI out and back in: the same melody."""
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artlab.errors import ArgumentError
from artlab.music.melody import Melody, REST
from artlab.music.midi import read_midi, write_midi

CASES = {
    "scale": Melody((60, 62, 64, 65, 67, 69, 71, 72), (1,) * 7 + (4,)),
    "pickup, ties and rests": Melody((67, 72, 71, REST, 72, 74, 76, 74, 72), (F(1, 2), 2, F(1, 2), F(1, 2), 1, F(1, 2),
                                                                             F(5, 2), 1, 3), "3/4", "C major", F(1, 2)),
    "triplets in 6/8": Melody((69, 71, 72, 74, 72, 71, 69), (1, F(1, 3), F(1, 3), F(1, 3), F(3, 2), F(1, 2), 3),
                              "2/4", "A minor", 1),
    "minor key with flats": Melody((62, 65, 70, 69, 67, 65, 62), (1, 1, 2, 1, 1, F(3, 2), F(5, 2)), "4/4", "D minor", 0),
}


@pytest.mark.parametrize("name", CASES)
def test_a_written_file_reads_back_to_the_same_melody(name, tmp_path):
    melody = CASES[name]
    path = write_midi(melody, tmp_path / "out.mid", tempo=90)
    assert path.stat().st_size > 0
    assert read_midi(path) == melody


@given(st.lists(st.tuples(st.one_of(st.just(REST), st.integers(48, 84)),
                          st.sampled_from([F(1, 4), F(1, 2), F(3, 4), F(1), F(3, 2), F(2), F(3)])),
                min_size=1, max_size=16),
       st.sampled_from(["2/4", "3/4", "4/4", "6/8"]), st.sampled_from([0, F(1, 2), F(1)]))
@settings(max_examples=15, deadline=None)
def test_random_melodies_survive_midi(tmp_path_factory, events, meter, upbeat):
    # canonical melodies: no leading/trailing rests, no rest after rest
    cleaned = []
    for p, d in events:
        if p == REST and (not cleaned or cleaned[-1][0] == REST):
            continue
        cleaned.append((p, d))
    while cleaned and cleaned[-1][0] == REST:
        cleaned.pop()
    if not cleaned:
        return
    melody = Melody(tuple(p for p, _ in cleaned), tuple(d for _, d in cleaned), meter, "G major", upbeat)
    path = write_midi(melody, tmp_path_factory.mktemp("midi") / "m.mid")
    assert read_midi(path) == melody


def test_bad_arguments(tmp_path):
    with pytest.raises(ArgumentError, match=".mid"):
        write_midi(CASES["scale"], tmp_path / "out.wav")
    with pytest.raises(ArgumentError, match="tempo"):
        write_midi(CASES["scale"], tmp_path / "out.mid", tempo=0)
