"""Exercise 09's checks: the reference answers pass, typical mistakes fail on the named property."""
import math

import numpy as np
import pytest

from artlab.checks import CheckFailed, reset_hints
from artlab.checks.artwork import check_detection_accuracy, check_step_share, check_z_score
from artlab.evaluate import detection_accuracy, step_share
from artlab.music.melody import REST


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def test_reference_answers_pass(capsys):
    check_step_share(step_share)
    check_detection_accuracy(detection_accuracy)
    out = capsys.readouterr().out
    assert "✓ step_share" in out and "✓ detection_accuracy" in out


def test_stubs_say_not_implemented(capsys):
    def stub(*args):
        raise NotImplementedError()

    check_step_share(stub)
    check_detection_accuracy(stub)
    assert capsys.readouterr().out.count("not implemented yet") == 2


def steps_with_rests_counted(melody):
    pitches = list(melody.pitches)
    moves = list(zip(pitches, pitches[1:]))
    return sum(abs(b - a) <= 2 for a, b in moves) / len(moves) if moves else 1.0


def steps_strictly_below_two(melody):
    notes = [p for p in melody.pitches if p != REST]
    moves = list(zip(notes, notes[1:]))
    return sum(abs(b - a) < 2 for a, b in moves) / len(moves) if moves else 1.0


def steps_upward_only(melody):
    notes = [p for p in melody.pitches if p != REST]
    moves = list(zip(notes, notes[1:]))
    return sum(0 <= b - a <= 2 for a, b in moves) / len(moves) if moves else 1.0


def steps_crash_on_one_note(melody):
    notes = [p for p in melody.pitches if p != REST]
    moves = list(zip(notes, notes[1:]))
    return sum(abs(b - a) <= 2 for a, b in moves) / len(moves)


@pytest.mark.parametrize("wrong, named", [
    (steps_with_rests_counted, "rest"),
    (steps_strictly_below_two, "scale"),
    (steps_upward_only, "down"),
    (steps_crash_on_one_note, "raised ZeroDivisionError"),
])
def test_typical_step_share_mistakes_fail_on_the_named_property(wrong, named):
    with pytest.raises(CheckFailed, match=named):
        check_step_share(wrong)


@pytest.mark.parametrize("wrong, named", [
    (lambda p, t: float(np.mean((p > 0.5) == t)), "0.5 exactly"),
    (lambda p, t: float(np.mean((p >= 0.5) != t)), "perfect"),
    (lambda p, t: float(np.sum((p >= 0.5) == t)), "perfect"),
    (lambda p, t: float(np.mean(p)), "perfect"),
])
def test_typical_accuracy_mistakes_fail_on_the_named_property(wrong, named):
    with pytest.raises(CheckFailed, match=named):
        check_detection_accuracy(wrong)


def z_score(accuracy, n_test):
    return (accuracy - 0.5) / math.sqrt(0.25 / n_test)


@pytest.mark.parametrize("wrong, named", [
    (lambda a, n: (a - 0.5) / (0.5 / n), "3.8 standard errors above chance"),             # n, not sqrt(n)
    (lambda a, n: (a - 0.5) / math.sqrt(0.5 / n), "3.8 standard errors above chance"),    # variance p, not p(1 - p)
    (lambda a, n: abs(a - 0.5) / math.sqrt(0.25 / n), "is negative below chance"),
    (lambda a, n: a / math.sqrt(0.25 / n), "is 0 at exactly 50%"),
])
def test_typical_z_score_mistakes_fail_on_the_named_property(wrong, named):
    with pytest.raises(CheckFailed, match=f"property failed: .*{named}"):
        check_z_score(wrong)


def test_the_z_score_passes_visible_and_hidden_cases_and_matches_artlab(capsys):
    from artlab.evaluate import chance_standard_error

    check_z_score(z_score)
    check_z_score(z_score, hidden=True)
    assert capsys.readouterr().out.count("✓") == 2
    assert z_score(0.6, 360) == pytest.approx((0.6 - 0.5) / chance_standard_error(360))
