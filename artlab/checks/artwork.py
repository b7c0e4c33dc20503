"""Checks for exercise 09 (``exercises/09_from_model_to_artwork.ipynb``): a real-or-generated detector.

:func:`check_step_share` and :func:`check_detection_accuracy` test two of its ingredients;
:func:`check_z_score` tests what the learner derives first, how far from 50% a detector that
cannot tell strays by luck alone, by running such detectors many times.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from artlab.checks import Checker
from artlab.music.melody import REST, Melody

__all__ = ["check_step_share", "check_detection_accuracy", "check_z_score"]

_STEPS = {
    "a C major scale (all steps)": (Melody((60, 62, 64, 65, 67), (1, 1, 1, 1, 4)), 1.0),
    "an arpeggio (all leaps)": (Melody((60, 64, 67, 72), (1, 1, 1, 1)), 0.0),
    "repeated notes (they count as steps)": (Melody((67, 67, 67), (1, 1, 2)), 1.0),
    "a minor third is a leap, a whole tone a step": (Melody((60, 63, 65, 62), (1, 1, 1, 1)), 1 / 3),
    "a rest between two notes is skipped": (Melody((60, REST, 61, 70), (1, 1, 1, 1)), 0.5),
    "moves down count like moves up": (Melody((72, 70, 69, 60), (1, Fraction(1, 2), Fraction(1, 2), 2)), 2 / 3),
}


STEP_SHARE = ("notes = [p for p in melody.pitches if p != REST]; if len(notes) < 2: return 1.0; "
              "moves = [abs(b - a) for a, b in zip(notes, notes[1:])]; return sum(m <= 2 for m in moves) / len(moves)")
ACCURACY = "return float(np.mean((np.asarray(p_real) >= 0.5) == np.asarray(is_real)))"


def check_step_share(step_share, *, hidden: bool = False) -> None:
    """``step_share(melody)``: share of moves between consecutive notes (rests skipped) of <= 2 semitones."""
    with Checker("step_share", step_share, hidden=hidden) as c:
        if hidden:
            cases = {"rests at both ends and two in a row": (Melody((REST, 60, REST, REST, 62, 66, REST), (1,) * 7), 0.5),
                     "a chromatic run": (Melody(tuple(range(60, 73)), (Fraction(1, 4),) * 13), 1.0),
                     "an octave leap and back": (Melody((60, 72, 60, 61), (1, 1, 1, 1)), 1 / 3)}
            for label, (melody, expected) in cases.items():
                got = c.call(melody)
                c.expect(isinstance(got, (float, int, np.floating)) and abs(float(got) - expected) < 1e-9,
                         f"{label}: {expected:.3f}", input=melody, expected=expected, got=got,
                         hint="drop the rests first, then look at each pair of neighbouring notes.", answer=STEP_SHARE)
            return
        for label, (melody, expected) in _STEPS.items():
            got = c.call(melody)
            c.expect(isinstance(got, (float, int, np.floating)) and abs(float(got) - expected) < 1e-9,
                     f"{label}: {expected:.3f}", input=melody, expected=expected, got=got,
                     hint="drop the rests first; then each note and the next one make a move, a step when it spans "
                          "at most a whole tone.",
                     answer="pair each note with the next one, after dropping rests (pitch REST = -1); a move is a step "
                            "when abs(b - a) <= 2; divide by the number of moves: " + STEP_SHARE)
        for melody in (Melody((60,), (4,)), Melody((REST, 60, REST), (1, 1, 2))):
            got = c.call(melody)
            c.expect(got == 1.0, "a melody with fewer than two notes has no leaps: 1.0", input=melody,
                     expected=1.0, got=got, hint="with no moves there is nothing to divide by: decide before dividing.",
                     answer="return 1.0 before dividing when there are fewer than two notes.")


def check_detection_accuracy(detection_accuracy, *, hidden: bool = False) -> None:
    """``detection_accuracy(p_real, is_real)``: share of right decisions, deciding "real" when p >= 1/2."""
    cases = [
        ("a perfect detector", [0.9, 0.8, 0.1, 0.2], [True, True, False, False], 1.0),
        ("a detector that is always wrong", [0.1, 0.2, 0.9, 0.8], [True, True, False, False], 0.0),
        ("one mistake in four", [0.9, 0.4, 0.1, 0.2], [True, True, False, False], 0.75),
        ("p = 0.5 exactly counts as 'real'", [0.5, 0.5, 0.2, 0.8], [True, True, False, True], 1.0),
        ("saying 'real' for everything on a balanced set is chance", [0.7] * 6, [True] * 3 + [False] * 3, 0.5),
    ]
    if hidden:
        rng = np.random.default_rng(14)
        p = rng.random(50)
        p[:3] = 0.5
        truth = rng.random(50) < 0.5
        cases = [("50 random decisions, three exactly at 0.5", p.tolist(), truth.tolist(),
                  float(np.mean((p >= 0.5) == truth))),
                 ("a single right answer", [0.2], [False], 1.0)]
    with Checker("detection_accuracy", detection_accuracy, hidden=hidden) as c:
        for label, p, truth, expected in cases:
            got = c.call(np.array(p), np.array(truth))
            c.expect(isinstance(got, (float, int, np.floating)) and abs(float(got) - expected) < 1e-9,
                     f"{label}: {expected:.2f}", input=(p, truth), expected=expected, got=got,
                     hint="first turn each probability into a decision, then count how often the decision is right.",
                     answer="decide = p_real >= 0.5; accuracy = mean of (decide == is_real): " + ACCURACY)


Z_SCORE = ("a detector at chance is right on each held-out work with probability 1/2, independently, so its accuracy "
           "has standard error sqrt(1/2 * 1/2 / n) = 0.5 / sqrt(n): return (accuracy - 0.5) / (0.5 / math.sqrt(n_test))")


def _float(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def check_z_score(z_score, *, hidden: bool = False) -> None:
    """``z_score(accuracy, n_test)``: how many standard errors a held-out accuracy lies above chance (1/2),
    for a detector that cannot tell; checked against the formula's properties and against many detectors
    at chance."""
    with Checker("z_score", z_score, hidden=hidden) as c:
        if hidden:
            for accuracy, n in ((0.55, 1000), (0.3, 40), (0.5125, 320)):
                want = (accuracy - 0.5) / (0.5 / np.sqrt(n))
                got = _float(c.call(accuracy, n))
                c.expect(got is not None and abs(got - want) < 1e-6, f"{accuracy:.0%} on {n} works is {want:+.2f}",
                         input=f"z_score({accuracy}, {n})", expected=round(want, 4), got=got,
                         hint="the same standard error formula for any accuracy and number of works.", answer=Z_SCORE)
            return
        got = _float(c.call(0.5, 360))
        c.expect(got is not None and abs(got) < 1e-9, "is 0 at exactly 50%", input="z_score(0.5, 360)",
                 expected=0.0, got=got, hint="measure the distance from chance, 1/2.", answer=Z_SCORE)
        got = _float(c.call(0.6, 360))
        want = (0.6 - 0.5) / (0.5 / np.sqrt(360))
        c.expect(got is not None and abs(got - want) < 1e-6,
                 "says lesson 09's 60% on 360 held-out digits is 3.8 standard errors above chance",
                 input="z_score(0.6, 360)", expected=round(want, 4), got=got,
                 hint="a detector that cannot tell gets each work right with probability 1/2; its accuracy is the mean "
                      "of n such coin tosses. What is the standard deviation of that mean?", answer=Z_SCORE)
        below = _float(c.call(0.4, 360))
        c.expect(below is not None and abs(below + want) < 1e-6, "is negative below chance, by the same amount",
                 input="z_score(0.4, 360)", expected=round(-want, 4), got=below,
                 hint="keep the sign of accuracy - 1/2.", answer=Z_SCORE)
        more = _float(c.call(0.6, 4 * 360))
        c.expect(more is not None and abs(more - 2 * want) < 1e-6,
                 "doubles when four times as many works give the same accuracy",
                 input="z_score(0.6, 1440)", expected=round(2 * want, 4), got=more,
                 hint="the standard error of a mean shrinks with the square root of the number of works.",
                 answer=Z_SCORE)
        from artlab.evaluate import real_or_generated

        rng = np.random.default_rng(3)
        zs = []
        for seed in range(300):  # 300 detectors that cannot tell: both classes from the same distribution
            report = real_or_generated(rng.normal(size=(80, 4)), rng.normal(size=(80, 4)), seed=seed)
            zs.append(_float(c.call(report.accuracy, report.n_test)))
        inside = float(np.mean([z is not None and abs(z) < 2 for z in zs]))
        c.expect(0.90 <= inside <= 0.99,
                 "keeps about 95% of 300 detectors at chance within 2 standard errors",
                 input="300 detectors on two samples of the same Gaussian (80 works each, 80 held out)",
                 expected="between 90% and 99% with |z| < 2", got=f"{inside:.0%}",
                 hint="if far more than 95% stay within 2, your standard error is too large; far fewer, too small.",
                 answer=Z_SCORE)
