"""Checks for the exercises: property tests that explain themselves.

An exercise cell asks the learner to write a function; the cell after it calls a
check from this package on that function, for example::

    from artlab.checks.welcome import check_to_tanh_range
    check_to_tanh_range(to_tanh_range)

A check tries the function on several inputs and tests *properties* (not one
memorised answer). It then prints one of three things:

* ``✓ to_tanh_range: all 5 properties hold`` when every property holds;
* ``… to_tanh_range: not implemented yet`` (one line, no traceback) when the
  function still raises ``NotImplementedError``, as the stub does;
* on the first broken property, a :class:`CheckFailed` error naming the property,
  the input, what was expected, what came back, and a hint. In Jupyter it is shown
  without a traceback; in a solution notebook it fails the cell, so CI notices.

Hints are graduated. Every property carries two: ``hint`` (level 1) points the way
without giving the expression, ``answer`` (level 2) gives it. A failure shows level 1;
from the third failure of the same check in a session (:data:`ANSWER_AFTER`), or after
the learner asks with ``hint("rnn_step", level=2)``, it shows level 2 as well.
``hint()`` with no name repeats the last failure at the level asked for.

Under nbgrader (``NBGRADER_EXECUTION`` set, as ``nbgrader autograde`` and
``nbgrader validate`` do) a function that is still the stub fails its check
with :class:`NotImplementedYet` instead of printing one line, so an unanswered
exercise scores 0.

Each check also takes ``hidden=True``, which runs other inputs than the visible
ones: the solutions' check cells call it between nbgrader's
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` markers, so the released
notebooks do not show it and autograding runs it.

Writing a check::

    def check_double(double, *, hidden=False):
        with Checker("double", double, hidden=hidden) as c:
            x = torch.tensor([-3.0, 0.5, 7.0]) if hidden else torch.tensor([1.0, -2.0])
            out = c.call(x)
            c.expect(torch.equal(out, 2 * x), "doubles every entry",
                     input=x, expected=2 * x, got=out,
                     hint="every entry changes the same way", answer="return 2 * x")

Each lesson's checks live in a module named after the lesson's topic.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any, Callable

from artlab.errors import ArgumentError

__all__ = ["Checker", "CheckFailed", "NotImplementedYet", "NOT_IMPLEMENTED", "PASSED", "ANSWER_AFTER",
           "hint", "graded", "reset_hints"]

NOT_IMPLEMENTED = "not implemented yet"
PASSED = "properties hold"
ANSWER_AFTER = 3
"""The failure of a check, counted in the session, from which its answer (level 2) is shown."""


class CheckFailed(AssertionError):
    """A property of the learner's code does not hold; the message says which and why."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the message is the whole story.
        return str(self).splitlines()


class NotImplementedYet(CheckFailed):
    """Under nbgrader: the learner's function is still the stub, so its check fails (0 points)."""


class _StubCalled(Exception):
    """Internal: the learner's function raised NotImplementedError."""


def graded() -> bool:
    """True while nbgrader executes the notebook (``NBGRADER_EXECUTION`` is set: autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION", "").strip())


# --- graduated hints: what this session has seen -----------------------------------------------

@dataclass
class _Failure:
    name: str
    report: list[str]  # the lines before the hints: property, input, expected, got
    hint: str
    answer: str


_failures: dict[str, int] = {}     # check name -> failures in this session
_asked: dict[str, int] = {}        # check name -> hint level the learner asked for
_last: dict[str, _Failure] = {}    # check name -> its latest failure
_order: list[str] = []             # names in the order they last failed


def reset_hints() -> None:
    """Forget every failure and every level asked for (a fresh session)."""
    _failures.clear()
    _asked.clear()
    _last.clear()
    _order.clear()


def _render(failure: _Failure, level: int, count: int) -> str:
    lines = list(failure.report)
    if failure.hint:
        lines.append(f"  hint:     {failure.hint}")
    if level >= 2 and failure.answer:
        lines.append(f"  answer:   {failure.answer}")
    elif failure.answer:
        times = "once" if count == 1 else f"{count} times"
        lines.append(f"  more:     this check failed {times}; the answer shows after {ANSWER_AFTER} failures, "
                     f"or now with: from artlab.checks import hint; hint({failure.name!r}, level=2)")
    return "\n".join(lines)


def _record(failure: _Failure) -> CheckFailed:
    """Count one failure of *failure.name* and build its message at the level it has reached."""
    count = _failures.get(failure.name, 0) + 1
    _failures[failure.name] = count
    _last[failure.name] = failure
    if failure.name in _order:
        _order.remove(failure.name)
    _order.append(failure.name)
    level = 2 if count >= ANSWER_AFTER or _asked.get(failure.name, 1) >= 2 else 1
    return CheckFailed(_render(failure, level, count))


def hint(name: str | None = None, level: int = 2) -> None:
    """Print the hint of the last failed property of check *name* at *level*.

    Level 1 points the way; level 2 adds the expression (the answer). Asking for level 2
    also makes later failures of that check show it. ``name`` is the checked function's
    name, as in the check's message (``hint("rnn_step", level=2)``); without it, the
    check that failed last.
    """
    if isinstance(level, bool) or level not in (1, 2):
        raise ArgumentError("hint(level=...)", expected="1 (a pointer) or 2 (the expression)", got=level,
                            hint='For the full answer call hint("name", level=2).')
    if name is None:
        if not _order:
            raise ArgumentError("hint()", expected="a check that failed in this session", got="<no failure yet>",
                                hint="Run a check cell first; hint() explains the property that failed.")
        name = _order[-1]
    if name not in _last:
        failed = ", ".join(repr(n) for n in _order) or "none yet"
        raise ArgumentError("hint(name)", expected=f"the name of a check that failed in this session ({failed})",
                            got=name, hint="Use the function's name as the check's message spells it, "
                                           "after running its check cell.")
    _asked[name] = max(_asked.get(name, 1), level)
    print(_render(_last[name], level, _failures[name]))


# --- the checker --------------------------------------------------------------------------------

class Checker:
    """Context manager that runs one exercise's property checks.

    ``call`` runs the learner's function on copies of the inputs; ``expect`` records
    one property and stops at the first that does not hold. ``hidden=True`` only
    changes the report: the hidden cases' tick says so.
    """

    def __init__(self, name: str, function: Callable[..., Any], *, hidden: bool = False) -> None:
        if not callable(function):
            raise CheckFailed(
                f"✗ {name}: expected a function, got {type(function).__name__}.\n"
                f"  hint: pass the function itself, without calling it: check_{name}({name})."
            )
        self.name = name
        self.function = function
        self.hidden = hidden
        self.passed: list[str] = []

    def __enter__(self) -> "Checker":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is _StubCalled:
            message = (f"… {self.name}: {NOT_IMPLEMENTED}. Replace `raise NotImplementedError()` "
                       "with your code, then run this cell again.")
            if graded():
                raise NotImplementedYet(message) from None
            print(message)
            return True
        if kind is None:
            which = "hidden " if self.hidden else ""
            listed = "".join(f"\n    - {p}" for p in self.passed)
            print(f"✓ {self.name}: all {len(self.passed)} {which}{PASSED}{listed}")
        return False

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Run the learner's function on deep copies of the arguments."""
        args_copy = copy.deepcopy(args)
        kwargs_copy = copy.deepcopy(kwargs)
        try:
            return self.function(*args_copy, **kwargs_copy)
        except NotImplementedError:
            raise _StubCalled() from None
        except Exception as error:
            shown = ", ".join([_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()])
            raise _record(_Failure(self.name, [
                f"✗ {self.name}: your function raised {type(error).__name__}: {error}",
                f"  input:    {self.name}({shown})"],
                "run it yourself on this input to see where it breaks.", "")) from None

    def expect(self, holds: bool, prop: str, *, input: Any = None, expected: Any = None,
               got: Any = None, hint: str = "", answer: str = "") -> None:
        """Record property *prop*; if it does not hold, raise :class:`CheckFailed`.

        *hint* (level 1) says where to look without giving the expression; *answer*
        (level 2) gives it, and is shown from the :data:`ANSWER_AFTER`-th failure of this
        check or after ``hint(name, level=2)``.
        """
        if bool(holds):
            self.passed.append(prop)
            return
        lines = [f"✗ {self.name}: property failed{' (hidden test)' if self.hidden else ''}: {prop}"]
        if input is not None:
            lines.append(f"  input:    {_show(input)}")
        lines.append(f"  expected: {_show(expected)}")
        lines.append(f"  got:      {_show(got)}")
        raise _record(_Failure(self.name, lines, hint, answer))


def _show(value: Any, limit: int = 200) -> str:
    """A one-line description of a value for a check message."""
    try:
        import torch

        if isinstance(value, torch.Tensor):
            if value.numel() <= 8:
                body = repr(value.detach().cpu().tolist())
            else:
                body = f"shape {tuple(value.shape)}"
            return f"tensor {body} ({str(value.dtype).replace('torch.', '')})"
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
