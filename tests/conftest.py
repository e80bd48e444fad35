"""Shared test setup: every test runs with PAYER_APP_HOME in its own temporary folder; window tests
get the one real window fixture, ``make_window`` (and ``window``, the usual demo-camera window)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Fixture modules every test file may use by name (importing a fixture by name would shadow it).
pytest_plugins = ["tests.qa_fixtures", "tests.e2e.xserver"]


@pytest.fixture(autouse=True)
def payer_home(tmp_path, monkeypatch):
    home = tmp_path / "payer_home"
    monkeypatch.setenv("PAYER_APP_HOME", str(home))
    return home


@pytest.fixture
def make_window(qtbot, payer_home):
    """``make(**kwargs)`` opens a real window as ``payer-app gui`` does (shown, active); all are
    closed at the end of the test."""
    from tests.gui_helpers import close_windows, open_window

    made = []

    def make(**kwargs):
        made.append(open_window(qtbot, **kwargs))
        return made[-1]

    yield make
    close_windows(made)


@pytest.fixture
def window(make_window):
    """The usual window: the demo camera, not a kiosk, in Vietnamese."""
    return make_window(camera="demo", kiosk=False, lang="vi")


@pytest.fixture
def kiosk(make_window):
    """``kiosk(**settings)``: a kiosk window (demo camera, Vietnamese) over those saved settings."""
    from payer_app.gui.settings import Settings, save_settings

    def make(**settings):
        save_settings(Settings(**settings))
        return make_window(camera="demo", kiosk=True, lang="vi")

    return make
