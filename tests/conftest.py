"""Shared test set-up: tests never write into the checkout and never read ARTLAB_* from the caller."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_artlab_environment(monkeypatch, tmp_path):
    for name in ("ARTLAB_FAST", "ARTLAB_DEVICE", "ARTLAB_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTLAB_OUTPUT", str(tmp_path / "outputs"))


@pytest.fixture
def root() -> Path:
    return ROOT


def build_corpus_tool():
    """The maintainer's tool ``tools/build_corpus.py`` as a module (it is a script, not part of the package)."""
    import importlib.util
    import sys

    if "build_corpus" not in sys.modules:
        spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "tools" / "build_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["build_corpus"] = module
        spec.loader.exec_module(module)
    return sys.modules["build_corpus"]
