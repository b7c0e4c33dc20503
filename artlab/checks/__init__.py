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

Writing a check::

    def check_double(double):
        with Checker("double", double) as c:
            x = torch.tensor([1.0, -2.0])
            out = c.call(x)
            c.expect(torch.equal(out, 2 * x), "doubles every entry",
                     input=x, expected=2 * x, got=out, hint="multiply by 2")

Each lesson's checks live in a module named after the lesson's topic.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

__all__ = ["Checker", "CheckFailed", "NOT_IMPLEMENTED", "PASSED"]

NOT_IMPLEMENTED = "not implemented yet"
PASSED = "properties hold"


class CheckFailed(AssertionError):
    """A property of the learner's code does not hold; the message says which and why."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the message is the whole story.
        return str(self).splitlines()


class _StubCalled(Exception):
    """Internal: the learner's function raised NotImplementedError."""


class Checker:
    """Context manager that runs one exercise's property checks.

    ``call`` runs the learner's function on copies of the inputs; ``expect`` records
    one property and stops at the first that does not hold.
    """

    def __init__(self, name: str, function: Callable[..., Any]) -> None:
        if not callable(function):
            raise CheckFailed(
                f"✗ {name}: expected a function, got {type(function).__name__}.\n"
                f"  hint: pass the function itself, without calling it: check_{name}({name})."
            )
        self.name = name
        self.function = function
        self.passed: list[str] = []

    def __enter__(self) -> "Checker":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is _StubCalled:
            print(f"… {self.name}: {NOT_IMPLEMENTED}. Replace `raise NotImplementedError()` "
                  "with your code, then run this cell again.")
            return True
        if kind is None:
            listed = "".join(f"\n    - {p}" for p in self.passed)
            print(f"✓ {self.name}: all {len(self.passed)} {PASSED}{listed}")
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
            raise CheckFailed(
                f"✗ {self.name}: your function raised {type(error).__name__}: {error}\n"
                f"  input:    {self.name}({shown})\n"
                "  hint:     run it yourself on this input to see where it breaks."
            ) from None

    def expect(self, holds: bool, prop: str, *, input: Any = None, expected: Any = None,
               got: Any = None, hint: str = "") -> None:
        """Record property *prop*; if it does not hold, raise :class:`CheckFailed`."""
        if bool(holds):
            self.passed.append(prop)
            return
        lines = [f"✗ {self.name}: property failed: {prop}"]
        if input is not None:
            lines.append(f"  input:    {_show(input)}")
        lines.append(f"  expected: {_show(expected)}")
        lines.append(f"  got:      {_show(got)}")
        if hint:
            lines.append(f"  hint:     {hint}")
        raise CheckFailed("\n".join(lines))


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
