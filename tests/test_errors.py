import pickle

import pytest

from artlab.errors import (ArgumentError, ArtlabError, CheckpointError, DataError,
                           EnvironmentProblem, TrainingError)


def test_message_names_what_expected_got_and_hint():
    error = DataError("image folder art/", expected="PNG or JPEG files", got="<an empty folder>",
                      hint="Put a few images in it.")
    text = str(error)
    assert text.startswith("image folder art/: expected PNG or JPEG files, got <an empty folder>.")
    assert text.endswith("Put a few images in it.")


def test_got_is_shown_with_repr_and_kept_short():
    error = ArgumentError("steps", expected="a positive int", got="ten")
    assert "got 'ten'." in str(error)
    long = ArgumentError("x", expected="short", got="y" * 1000)
    assert len(str(long)) < 200


@pytest.mark.parametrize("cls", [ArgumentError, DataError, CheckpointError, TrainingError, EnvironmentProblem])
def test_every_kind_is_an_artlab_error_and_pickles(cls):
    error = cls("thing", expected="a", got=1, hint="do b")
    assert isinstance(error, ArtlabError)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cls and str(again) == str(error)


def test_argument_errors_are_value_errors_too():
    with pytest.raises(ValueError):
        raise ArgumentError("n", expected="n > 0", got=-1)


def test_the_shared_argument_checks_say_what_was_expected():
    import numpy as np

    from artlab.errors import one_of, probability, real_number, whole_number

    assert whole_number(3, "n") == 3 and whole_number(np.int64(0), "n", low=0) == 0
    for bad, match in ((True, "a whole number >= 1"), (2.0, "a whole number >= 1"), (0, "got 0"), ("3", "got '3'")):
        with pytest.raises(ArgumentError, match=match):
            whole_number(bad, "n")
    with pytest.raises(ArgumentError, match=r"bars: expected a whole number of bars from 1 to 8, got 9\. Fewer\."):
        whole_number(9, "bars", high=8, unit="bars", hint="Fewer.")
    assert real_number(0.5, "lr", low=0, low_open=True) == 0.5
    for bad in (0.0, -1, float("nan"), float("inf"), True, "0.1"):
        with pytest.raises(ArgumentError, match="lr: expected a number > 0"):
            real_number(bad, "lr", low=0, low_open=True)
    with pytest.raises(ArgumentError, match=r"a number in \[0, 1\)"):
        real_number(1.0, "ema", low=0, high=1, high_open=True)
    assert probability(1, "p") == 1.0
    with pytest.raises(ArgumentError, match=r"top-p: expected a probability in \(0, 1\]"):
        probability(0, "top-p", zero=False)
    assert one_of("r1", "penalty", ("none", "r1")) == "r1"
    with pytest.raises(ArgumentError, match="one of 'none', 'r1'"):
        one_of(["r1"], "penalty", ("none", "r1"))  # unhashable: still a clear message
