"""Errors for people.

Every error artlab raises on purpose is an :class:`ArtlabError`. Its message
names four things, so a learner can act on it without reading a traceback:

* **what**: the argument, file or setting that was wrong,
* **expected**: what artlab needed there,
* **got**: what actually came (shown with ``repr``; a string in angle brackets,
  such as ``"<an empty folder>"``, is shown as it is, for things that have no
  useful repr),
* **hint**: what to do about it.

The subclasses say which kind of thing went wrong, so code can catch one kind
(``except CheckpointError``) and leave the rest alone.
"""
from __future__ import annotations

__all__ = [
    "ArtlabError",
    "ArgumentError",
    "DataError",
    "CheckpointError",
    "TrainingError",
    "EnvironmentProblem",
]


class ArtlabError(Exception):
    """Base class: a message built from *what*, *expected*, *got* and *hint*."""

    def __init__(self, what: str, *, expected: str, got: object, hint: str = "") -> None:
        self.what = what
        self.expected = expected
        self.got = got
        self.hint = hint
        message = f"{what}: expected {expected}, got {_short(got)}."
        if hint:
            message += f" {hint}"
        super().__init__(message)

    def __reduce__(self):  # keep the keyword-only signature picklable (multiprocessing, nbval)
        return (_rebuild, (type(self), self.what, self.expected, self.got, self.hint))


def _rebuild(cls, what, expected, got, hint):
    return cls(what, expected=expected, got=got, hint=hint)


def _short(value: object, limit: int = 120) -> str:
    """``repr`` of *value*, cut to *limit* characters so a message stays one line."""
    text = value if isinstance(value, str) and value.startswith("<") else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ArgumentError(ArtlabError, ValueError):
    """A function or command got an argument it cannot use."""


class DataError(ArtlabError):
    """A data file or folder is missing, empty, unreadable or of the wrong kind."""


class CheckpointError(ArtlabError):
    """A checkpoint is missing, corrupt, or does not fit the model it is loaded into."""


class TrainingError(ArtlabError, RuntimeError):
    """Training went wrong in a way that makes going on pointless (a NaN loss, say)."""


class EnvironmentProblem(ArtlabError, RuntimeError):
    """The Python environment lacks something the course needs."""
