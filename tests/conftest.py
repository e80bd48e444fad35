"""Shared test setup: every test runs with PAYER_APP_HOME in its own temporary folder."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def payer_home(tmp_path, monkeypatch):
    home = tmp_path / "payer_home"
    monkeypatch.setenv("PAYER_APP_HOME", str(home))
    return home
