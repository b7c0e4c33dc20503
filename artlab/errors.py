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

An :class:`ArtlabWarning` is for input artlab did read but that deserves a look: the files a
loader left out with ``skip_bad=True`` (:func:`warn_skipped`, one line per file), a text file
read as Latin-1, pictures enlarged a lot. The command line prints each as a note.
"""
from __future__ import annotations

__all__ = [
    "ArtlabError",
    "ArgumentError",
    "DataError",
    "CheckpointError",
    "TrainingError",
    "EnvironmentProblem",
    "ArtlabWarning",
    "warn_skipped",
    "whole_number",
    "real_number",
    "probability",
    "one_of",
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


class ArtlabWarning(UserWarning):
    """artlab read the input, but something in it deserves a look (the message says what)."""


def warn_skipped(where: str, skipped, total: int, noun: str = "files", stacklevel: int = 3) -> None:
    """One :class:`ArtlabWarning`: "skipped 2 of 10 files in WHERE", then one line per skipped item,
    each ``(name, reason)`` or an :class:`ArtlabError` (its message is the line). Nothing if none."""
    import warnings

    if not skipped:
        return
    lines = [f"skipped {len(skipped)} of {total} {noun} in {where}:"]
    for item in skipped:
        text = str(item) if isinstance(item, ArtlabError) else f"{item[0]}: {item[1]}"
        lines.append("  " + " ".join(text.split()))
    warnings.warn(ArtlabWarning("\n".join(lines)), stacklevel=stacklevel)


# --- checking arguments -------------------------------------------------------------------
# One helper per kind of value, so every function says the same thing about the same mistake.

def whole_number(value: object, what: str, *, low: int = 1, high: int | None = None, unit: str = "",
                 hint: str = "") -> int:
    """``value`` if it is an ``int`` (not a bool) from ``low`` to ``high`` (no bound: ``None``), else
    an :class:`ArgumentError` naming ``what``. ``unit`` words the message: "a whole number of bars >= 1"."""
    import numbers

    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    noun = f"a whole number of {unit}" if unit else "a whole number"
    expected = f"{noun} from {low} to {high}" if high is not None else f"{noun} >= {low}"
    raise ArgumentError(what, expected=expected, got=value, hint=hint)


def real_number(value: object, what: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False, hint: str = "") -> float:
    """``value`` as a float if it is a finite real number (not a bool) within the bounds, else an
    :class:`ArgumentError`. ``low_open=True`` excludes ``low`` itself (``> 0`` rather than ``>= 0``)."""
    import math
    import numbers

    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        number = float(value)
        above = low is None or (number > low if low_open else number >= low)
        below = high is None or (number < high if high_open else number <= high)
        if above and below:
            return number
    if low is not None and high is not None:
        expected = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low is not None:
        expected = f"a number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        expected = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        expected = "a finite number"
    raise ArgumentError(what, expected=expected, got=value, hint=hint)


def probability(value: object, what: str, *, zero: bool = True, one: bool = True, hint: str = "") -> float:
    """``value`` as a float if it is a probability; ``zero=False`` / ``one=False`` exclude the ends."""
    try:
        return real_number(value, what, low=0.0, high=1.0, low_open=not zero, high_open=not one, hint=hint)
    except ArgumentError:
        interval = f"{'[' if zero else '('}0, 1{']' if one else ')'}"
        raise ArgumentError(what, expected=f"a probability in {interval}", got=value, hint=hint) from None


def one_of(value: object, what: str, choices, *, hint: str = ""):
    """``value`` if it is one of ``choices``, else an :class:`ArgumentError` listing them."""
    try:
        if value in choices:
            return value
    except TypeError:  # an unhashable value looked up in a set
        pass
    raise ArgumentError(what, expected=f"one of {', '.join(repr(c) for c in choices)}", got=value, hint=hint)
