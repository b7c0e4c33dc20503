"""The musical toy tasks: stated ranges, the right targets, determinism."""
import pytest
import torch

from artlab.errors import ArgumentError
from artlab.seq.tasks import (N_NOTES, NOTE_NAMES, RECALL, RECALL_VOCAB, SCALE_NAMES, SCALE_VOCAB,
                              first_note_batch, note_names, scale_batch, scale_run)


@pytest.mark.parametrize("gap", [0, 1, 7, 40])
def test_first_note_sequences_open_on_the_target_wander_and_end_on_the_bar_line(gap):
    tokens, targets = first_note_batch(50, gap, torch.Generator().manual_seed(gap))
    assert tokens.shape == (50, gap + 2) and targets.shape == (50,)
    assert tokens.dtype == targets.dtype == torch.int64
    assert torch.equal(tokens[:, 0], targets)
    assert bool((tokens[:, -1] == RECALL).all())
    assert bool((tokens[:, :-1] >= 0).all() and (tokens[:, :-1] < N_NOTES).all())
    assert RECALL_VOCAB == N_NOTES + 1 == len(NOTE_NAMES) + 1


def test_every_first_note_is_equally_likely_and_the_wandering_notes_are_independent_of_it():
    tokens, targets = first_note_batch(16_000, 5, torch.Generator().manual_seed(0))
    counts = torch.bincount(targets, minlength=N_NOTES).float()
    assert (counts / counts.sum() - 1 / N_NOTES).abs().max() < 0.015
    same = (tokens[:, 1:-1] == targets[:, None]).float().mean().item()
    assert same == pytest.approx(1 / N_NOTES, abs=0.01)  # nothing in the gap gives the answer away


def test_the_same_generator_seed_gives_the_same_batch():
    a = first_note_batch(8, 3, torch.Generator().manual_seed(5))
    b = first_note_batch(8, 3, torch.Generator().manual_seed(5))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert torch.equal(scale_batch(4, 9, torch.Generator().manual_seed(1)), scale_batch(4, 9, torch.Generator().manual_seed(1)))


def test_scales_move_by_one_degree_and_turn_only_at_c4_and_c6():
    runs = scale_batch(64, 40, torch.Generator().manual_seed(0))
    assert runs.shape == (64, 40) and runs.min() >= 0 and runs.max() < SCALE_VOCAB
    steps = runs[:, 1:] - runs[:, :-1]
    assert bool((steps.abs() == 1).all())
    turns = (steps[:, 1:] != steps[:, :-1])  # direction changes at position t + 1
    assert set(runs[:, 1:-1][turns].tolist()) <= {0, SCALE_VOCAB - 1}


def test_scale_run_is_the_true_continuation():
    assert note_names(scale_run(0, True, 3), SCALE_NAMES) == "C4 D4 E4"
    assert note_names(scale_run(13, True, 4), SCALE_NAMES) == "B5 C6 B5 A5"
    assert note_names(scale_run(1, False, 4), SCALE_NAMES) == "D4 C4 D4 E4"
    runs = scale_batch(16, 12, torch.Generator().manual_seed(3))
    for run in runs:
        up = bool(run[1] > run[0])
        assert torch.equal(scale_run(int(run[0]), up, 12), run)


def test_note_names_reads_tokens_as_notes_and_the_bar_line():
    assert note_names(torch.tensor([4, 2, 0, RECALL])) == "G4 E4 C4 |"


@pytest.mark.parametrize("call", [lambda: first_note_batch(0, 3), lambda: first_note_batch(2, -1),
                                  lambda: scale_batch(2, 0), lambda: scale_run(15, True, 3),
                                  lambda: first_note_batch(2, 1.5)])
def test_bad_sizes_are_explained(call):
    with pytest.raises(ArgumentError):
        call()
