"""Measuring melodies: likelihood units, descriptive numbers, and the copying check."""
from fractions import Fraction as F

import numpy as np
import pytest
import torch

from artlab.errors import ArgumentError
from artlab.music.lstm import LSTMComposer, LSTMConfig
from artlab.music.melody import Melody, REST
from artlab.music.metrics import (CopyIndex, NLLReport, compare_to_corpus, describe, evaluate_nll,
                                  histogram_distance, in_key_share, notes_per_bar, perplexity,
                                  pitch_class_histogram, pitch_range, repetition, report_from_token_nll,
                                  sequence_nll)
from artlab.music.tokens import Vocabulary, encode_melodies

VOCAB = Vocabulary()
SCALE = Melody((60, 62, 64, 65, 67, 69, 71, 72), (1,) * 8)


def test_nll_report_units():
    report = NLLReport(nats=30.0, tokens=20, notes=8)
    assert report.per_token == 1.5 and report.per_note == 3.75
    assert report.perplexity == pytest.approx(np.exp(1.5)) == perplexity(1.5)
    assert "3.750 nats per note" in str(report)


class Uniform(torch.nn.Module):
    """A composer that knows nothing: every token equally likely."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens):
        return torch.zeros(*tokens.shape, self.vocab_size) + 0 * self.dummy


def test_a_uniform_model_scores_log_v_per_token():
    sequences = encode_melodies([SCALE, SCALE.take(0, 3)], VOCAB)
    report = evaluate_nll(Uniform(len(VOCAB)), sequences, VOCAB)
    assert report.per_token == pytest.approx(np.log(len(VOCAB)))
    assert report.tokens == sum(len(s) - 1 for s in sequences) and report.notes == 11
    per_sequence = sequence_nll(Uniform(len(VOCAB)), sequences)
    assert per_sequence == pytest.approx([(len(s) - 1) * np.log(len(VOCAB)) for s in sequences])


def test_batching_and_padding_do_not_change_the_nll():
    torch.manual_seed(0)
    model = LSTMComposer(LSTMConfig(len(VOCAB), 8, 16))
    melodies = [SCALE, SCALE.take(0, 2), SCALE.transpose(3), SCALE.take(2)]
    sequences = encode_melodies(melodies, VOCAB)
    together = sequence_nll(model, sequences, batch_size=4)
    alone = [sequence_nll(model, [s], batch_size=1)[0] for s in sequences]
    assert together == pytest.approx(alone, rel=1e-5)
    lengths = [len(s) - 1 for s in sequences]
    report = report_from_token_nll(np.repeat(together / lengths, lengths), sequences, VOCAB)
    assert report.nats == pytest.approx(together.sum()) and report.notes == sum(len(m) for m in melodies)


def test_pitch_class_histogram_and_distance():
    h = pitch_class_histogram(SCALE)
    assert h.sum() == pytest.approx(1.0) and h[0] == pytest.approx(2 / 8) and h[1] == 0
    assert histogram_distance(h, h) == 0
    assert histogram_distance(pitch_class_histogram(Melody((60,), (1,))), pitch_class_histogram(Melody((61,), (1,)))) == 1
    assert 0 < histogram_distance(h, pitch_class_histogram(SCALE.transpose(1))) < 1


def test_in_key_share_range_density_and_repetition():
    assert in_key_share(SCALE) == 1.0
    assert in_key_share(Melody((60, 61, 62, 63), (1,) * 4)) == 0.5
    assert in_key_share(Melody((69, 68, 66), (1, 1, 1), key="A minor")) == pytest.approx(2 / 3)  # G# in, F# out
    assert pitch_range(SCALE) == 12 and pitch_range(Melody((REST,), (1,))) == 0
    assert notes_per_bar(SCALE) == 4.0 and notes_per_bar(Melody((60, REST), (2, 2))) == 1.0
    assert repetition(SCALE) == 0.0
    riff = Melody((60, 62, 64, 60) * 4, (F(1, 2),) * 16)
    assert repetition(riff) == pytest.approx(9 / 13)
    row = describe(SCALE)
    assert row["notes"] == 8 and row["in key"] == 1.0


def test_copy_index_finds_the_longest_verbatim_stretch():
    training = [SCALE, Melody((72, 71, 69, 67), (1, 1, 1, 1))]
    index = CopyIndex(training)
    assert index.longest_copy(SCALE) == (8, 2.0)
    copy_of_part = Melody((55, 64, 65, 67, 69, 50), (1, 1, 1, 1, 1, 1))
    assert index.longest_copy(copy_of_part) == (4, 1.0)
    new = Melody((61, 63, 66), (1, 1, 1))
    assert index.longest_copy(new) == (0, 0.0)
    # a stretch running over the end of one training melody into the next is not a copy
    across = Melody((71, 72, 72, 71), (1, 1, 1, 1))  # "71 72" ends the first, "72 71" starts the second
    assert index.longest_copy(across) == (2, 0.5)
    assert index.longest_copy(Melody((60, 62), (1, 2))) == (1, 0.25)  # durations count too


def test_compare_to_corpus_summarises_generated_melodies():
    row = compare_to_corpus([SCALE, SCALE.transpose(12)], [SCALE], CopyIndex([SCALE]))
    assert row["pitch-class distance"] == 0 and row["in key"] == 1.0 and row["range"] == 12
    assert row["copied bars (max)"] == 2.0 and row["copied bars (mean)"] == 1.125  # the octave-up copy shares one C
    assert "copied bars (max)" not in compare_to_corpus([SCALE], [SCALE])


def test_copying_starts_at_copy_bars_the_bars_that_group_tunes_in_the_split():
    from artlab.music.metrics import COPY_BARS, copy_share

    assert COPY_BARS == 4
    assert copy_share([0.5, 3.9, 4.0, 6.0]) == 0.5
    assert copy_share([3.99]) == 0.0
    with pytest.raises(ArgumentError):
        copy_share([])
