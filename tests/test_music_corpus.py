"""The melody dataset, its split, its rebuild check, and reading a learner's own files."""

import pytest

from artlab.errors import ArgumentError, DataError
from artlab.music.corpus import COLLECTIONS, DATASET_PATH, SPLITS, load_corpus
from artlab.music.files import load_melodies, load_melody, melody_from_text
from artlab.music.melody import KEYS, Melody, REST, normalise_key, normalising_shift, transpositions
from artlab.music.tokens import Vocabulary
from conftest import build_corpus_tool

group_tunes = build_corpus_tool().group_tunes
verify = build_corpus_tool().verify
from artlab.music.metrics import CopyIndex


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


# --- the shipped dataset --------------------------------------------------------------

def test_the_dataset_ships_small_and_holds_every_collection(corpus):
    assert DATASET_PATH.stat().st_size < 2_000_000
    counts = {c: len(corpus.select(c)) for c in COLLECTIONS}
    assert counts["chorales"] > 300 and counts["essen"] > 7000
    assert counts["ryans"] > 900 and counts["oneills"] > 1500
    info = corpus.info["collections"]
    for c in COLLECTIONS:
        assert info[c]["kept"] == counts[c]
        assert info[c]["kept"] + sum(info[c]["skipped"].values()) == info[c]["sources"]


def test_every_tune_has_metadata_and_a_split(corpus):
    for tune in corpus.tunes:
        assert tune.collection in COLLECTIONS and tune.split in SPLITS and tune.melody.key in KEYS
        assert len(tune.melody) > 0
    shares = {s: len(corpus.select(split=s)) / len(corpus) for s in SPLITS}
    assert 0.75 < shares["train"] < 0.85 and 0.07 < shares["valid"] < 0.13 and 0.07 < shares["test"] < 0.13


def test_a_group_never_straddles_two_splits(corpus):
    split_of_group = {}
    for tune in corpus.tunes:
        assert split_of_group.setdefault(tune.group, tune.split) == tune.split


def test_the_same_chorale_tune_harmonised_twice_lands_in_one_group(corpus):
    chorales = corpus.select("chorales")
    assert len({t.group for t in chorales}) < len(chorales) - 20  # the corpus repeats many tunes
    melody = chorales[0].melody
    assert group_tunes([melody, melody.transpose(3), Melody((60,), (1,))]) == [0, 0, 2]
    # grouped with the folk tunes, some chorales are linked through a folk tune: never fewer merges
    assert len(set(group_tunes([t.melody for t in chorales]))) >= len({t.group for t in chorales})


def test_four_bars_count_in_the_shorter_meter():
    phrase = [(60, 1), (62, 1), (64, 2), (65, 1), (64, 1), (62, 2)]  # 8 quarters: 4 bars of 2/4, 2 of 4/4
    def tune(meter, tail):
        events = phrase + tail
        return Melody(tuple(p for p, _ in events), tuple(d for _, d in events), meter)
    in_two = tune("2/4", [(55, 2)])
    in_four = tune("4/4", [(67, 4), (69, 4), (71, 4)])
    other_four = tune("4/4", [(48, 4), (50, 4), (52, 4)])
    assert group_tunes([in_two, in_four]) == [0, 0]  # all 4 bars of the 2/4 tune are in the 4/4 tune
    assert group_tunes([in_four, other_four]) == [0, 1]  # 2 bars of 4/4 do not make two 4/4 tunes near-copies
    assert group_tunes([in_four, other_four, in_two]) == [0, 0, 0]  # linked through the 2/4 tune


@pytest.mark.parametrize("collection", ["chorales", "essen"])
def test_no_test_tune_copies_four_bars_from_a_training_tune(corpus, collection):
    # checked with independent code (the copying check of lesson 07), within the collection
    train = [normalise_key(m) for m in corpus.melodies(collection, split="train")]
    index = CopyIndex(train)
    copies = [index.longest_copy(normalise_key(m))[1] for m in corpus.melodies(collection, "test")]
    assert max(copies) < 4


def test_every_stored_melody_that_fits_round_trips_through_the_tokens(corpus):
    vocab = Vocabulary()
    fitting = [t.melody for t in corpus.tunes if vocab.fits(t.melody)]
    assert len(fitting) > 0.95 * len(corpus)
    for melody in fitting:
        assert vocab.decode(vocab.encode(melody)) == melody
    normalised = [normalise_key(m) for m in fitting]
    assert sum(vocab.fits(m) for m in normalised) > 0.99 * len(normalised)


def test_re_extracting_a_sample_from_music21_reproduces_the_stored_melodies():
    assert verify(2, seed=7) == []  # 2 random tunes per collection (a fixed seed: the same tunes every run)


def test_loading_is_cached(corpus):
    assert load_corpus() is corpus


# --- keys ------------------------------------------------------------------------------

def test_normalise_key_moves_to_c_major_or_a_minor_by_the_smallest_step():
    g_major = Melody((67, 71, 74), (1, 1, 2), key="G major")
    assert normalise_key(g_major).key == "C major" and normalise_key(g_major).pitches == (72, 76, 79)  # up 5, not down 7
    e_minor = Melody((64, 67, REST, 71), (1, 1, 1, 1), key="E minor")
    assert normalise_key(e_minor).key == "A minor" and normalise_key(e_minor).pitches == (69, 72, REST, 76)
    for key in KEYS:
        shifted = normalise_key(Melody((60,), (1,), key=key))
        assert shifted.key in ("C major", "A minor") and abs(shifted.pitches[0] - 60) <= 6
        assert shifted.pitches[0] - 60 == normalising_shift(Melody((60,), (1,), key=key))


def test_transpositions_cover_each_key_once_within_range():
    tune = Melody((60, 64, 67, 72), (1, 1, 1, 1), key="C major")
    every = transpositions(tune, low=48, high=84)
    assert len(every) == 12 and len({m.key for m in every}) == 12
    assert all(48 <= min(m.pitches) and max(m.pitches) <= 84 for m in every)
    assert [m.pitches[0] for m in transpositions(tune, low=58, high=74)] == [58, 59, 60, 61, 62]  # shifts -2..+2


# --- a learner's own files ---------------------------------------------------------------

def write(path, data):
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    return path


def test_own_files_in_midi_musicxml_and_abc_load(tmp_path):
    from artlab.music.midi import write_midi
    from artlab.music.notation import musicxml

    tune = Melody((62, 64, 66, 67, 69), (1, 1, 1, 1, 4), "4/4", "D major")
    assert load_melody(write_midi(tune, tmp_path / "tune.mid")) == tune
    assert load_melody(write(tmp_path / "tune.musicxml", musicxml(tune))) == tune
    abc = "X:1\nT:test\nM:3/4\nL:1/4\nK:G\nG A B | d2 B | G3 |]\n"
    melody = load_melody(write(tmp_path / "tune.abc", abc))
    assert melody.pitches == (67, 69, 71, 74, 71, 67) and melody.meter == "3/4"
    two = abc + "\nX:2\nT:two\nM:2/4\nL:1/8\nK:D\nd2 f2 | a4 |]\n"
    assert len(load_melodies(write(tmp_path / "two.abc", two))) == 2
    with pytest.raises(DataError, match="one piece"):
        load_melody(tmp_path / "two.abc")


BAD_FILES = {
    "empty.mid": (b"", "empty file"),
    "garbage.mid": (bytes(range(256)) * 4, "standard MIDI file"),
    "truncated.mid": (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x90\x3c", "truncated"),
    "broken.musicxml": ("<?xml version='1.0'?><score-partwise><part-list><score-part id='P1'>", "MusicXML file music21 can read"),
    "nonsense.musicxml": ("<?xml version='1.0'?><html><body>not music</body></html>", "MusicXML"),
    "empty.abc": ("X:1\nT:nothing\nK:C\n", "at least one note"),
    "notes.txt": ("c d e f", "music file"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_gives_a_data_error_naming_the_file_and_reason(tmp_path, name):
    data, reason = BAD_FILES[name]
    path = write(tmp_path / name, data)
    with pytest.raises(DataError) as failure:
        load_melody(path)
    message = str(failure.value)
    assert name in message and reason in message


def test_polyphony_is_refused_with_a_way_out(tmp_path):
    from music21 import chord, note, stream

    duet = stream.Score([stream.Part([note.Note("C4", quarterLength=2)]), stream.Part([note.Note("E4", quarterLength=2)])])
    path = tmp_path / "duet.musicxml"
    duet.write("musicxml", fp=str(path))
    with pytest.raises(DataError, match=r"duet\.musicxml.*2 parts.*part=0"):
        load_melody(path)
    assert load_melody(path, part=1).pitches == (64,)
    chords = stream.Part([note.Note("C4"), chord.Chord(["E4", "G4"]), note.Note("D4")])
    path = tmp_path / "chords.mid"
    chords.write("midi", fp=str(path))
    with pytest.raises(DataError, match=r"chords\.mid.*monophonic"):
        load_melody(path)
    assert load_melody(path, chords="top").pitches == (60, 67, 62)


def test_missing_or_wrong_paths(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_melody(tmp_path / "nowhere.mid")
    with pytest.raises(DataError, match="folder"):
        load_melody(tmp_path)


def test_tinynotation_motifs():
    motif = melody_from_text("4/4 c4 d e f g2")
    assert motif.pitches == (60, 62, 64, 65, 67) and motif.meter == "4/4"
    assert melody_from_text("3/4 r4 e8 f g4", key="C major").upbeat == 2  # a leading rest makes an upbeat
    with pytest.raises(DataError, match="tinyNotation '4/4 qq', token 2 .*got 'qq'"):
        melody_from_text("4/4 qq")
    with pytest.raises(DataError, match="tinyNotation '4/4 r2'.*at least one note"):
        melody_from_text("4/4 r2")
    with pytest.raises(ArgumentError):
        melody_from_text("")
