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
