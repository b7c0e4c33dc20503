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
