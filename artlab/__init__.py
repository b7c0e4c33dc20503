"""artlab: the companion package of the course "AI for art".

Every implementation the notebooks use lives here, one concept per module (see the
course map in README.md). The few names nearly every notebook needs are available
from the top level::

    import artlab
    artlab.doctor()                 # what is installed and working
    artlab.set_seed(0)              # same seed, same result
    steps = artlab.budget(full=8_000, fast=50)
    dev = artlab.device()           # cuda, then mps, then cpu

They are imported on first use, so ``artlab.doctor()`` can still report a broken
PyTorch install instead of failing on ``import artlab``.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Imported eagerly so the name means the function, not the submodule artlab/doctor.py
# (doctor.py imports only the standard library at module level).
from artlab.doctor import doctor  # noqa: E402

_EXPORTS = {
    "device": "artlab.runtime",
    "is_fast": "artlab.runtime",
    "budget": "artlab.runtime",
    "set_seed": "artlab.runtime",
    "progress": "artlab.runtime",
    "output_dir": "artlab.runtime",
    "save_checkpoint": "artlab.checkpoint",
    "load_checkpoint": "artlab.checkpoint",
    "ArtlabError": "artlab.errors",
}

__all__ = ["__version__", "doctor", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'artlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
