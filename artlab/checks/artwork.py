"""Checks for exercise 09 (``exercises/09_from_model_to_artwork.ipynb``): a real-or-generated detector."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from artlab.checks import Checker
from artlab.music.melody import REST, Melody

__all__ = ["check_step_share", "check_detection_accuracy"]

_STEPS = {
    "a C major scale (all steps)": (Melody((60, 62, 64, 65, 67), (1, 1, 1, 1, 4)), 1.0),
    "an arpeggio (all leaps)": (Melody((60, 64, 67, 72), (1, 1, 1, 1)), 0.0),
    "repeated notes (they count as steps)": (Melody((67, 67, 67), (1, 1, 2)), 1.0),
    "a minor third is a leap, a whole tone a step": (Melody((60, 63, 65, 62), (1, 1, 1, 1)), 1 / 3),
    "a rest between two notes is skipped": (Melody((60, REST, 61, 70), (1, 1, 1, 1)), 0.5),
    "moves down count like moves up": (Melody((72, 70, 69, 60), (1, Fraction(1, 2), Fraction(1, 2), 2)), 2 / 3),
}


def check_step_share(step_share) -> None:
    """``step_share(melody)``: share of moves between consecutive notes (rests skipped) of <= 2 semitones."""
    with Checker("step_share", step_share) as c:
        for label, (melody, expected) in _STEPS.items():
            got = c.call(melody)
            c.expect(isinstance(got, (float, int, np.floating)) and abs(float(got) - expected) < 1e-9,
                     f"{label}: {expected:.3f}", input=melody, expected=expected, got=got,
                     hint="pair each note with the next one, after dropping rests (pitch REST = -1); "
                     "a move counts as a step when abs(b - a) <= 2; divide by the number of moves.")
        for melody in (Melody((60,), (4,)), Melody((REST, 60, REST), (1, 1, 2))):
            got = c.call(melody)
            c.expect(got == 1.0, "a melody with fewer than two notes has no leaps: 1.0", input=melody,
                     expected=1.0, got=got, hint="return 1.0 before dividing when there are no moves.")


def check_detection_accuracy(detection_accuracy) -> None:
    """``detection_accuracy(p_real, is_real)``: share of right decisions, deciding "real" when p >= 1/2."""
    cases = [
        ("a perfect detector", [0.9, 0.8, 0.1, 0.2], [True, True, False, False], 1.0),
        ("a detector that is always wrong", [0.1, 0.2, 0.9, 0.8], [True, True, False, False], 0.0),
        ("one mistake in four", [0.9, 0.4, 0.1, 0.2], [True, True, False, False], 0.75),
        ("p = 0.5 exactly counts as 'real'", [0.5, 0.5, 0.2, 0.8], [True, True, False, True], 1.0),
        ("saying 'real' for everything on a balanced set is chance", [0.7] * 6, [True] * 3 + [False] * 3, 0.5),
    ]
    with Checker("detection_accuracy", detection_accuracy) as c:
        for label, p, truth, expected in cases:
            got = c.call(np.array(p), np.array(truth))
            c.expect(isinstance(got, (float, int, np.floating)) and abs(float(got) - expected) < 1e-9,
                     f"{label}: {expected:.2f}", input=(p, truth), expected=expected, got=got,
                     hint="decide = p_real >= 0.5; accuracy = mean of (decide == is_real).")
