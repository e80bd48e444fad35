"""Shared test setup: every test runs with PAYER_APP_HOME in its own temporary folder; window tests
get the one real window fixture, ``make_window`` (and ``window``, the usual demo-camera window).

``make test`` runs the tests on one pytest-xdist worker per core, so a test owns nothing shared: its
files go under ``tmp_path``, its servers listen on a port the system picked (port 0), its X screen
is one Xvfb chose (``-displayfd``). The marks ``slow``, ``browser`` and ``xserver`` let ``make
test-fast`` leave the long tests out; a test that uses the ``x_server`` fixture or a fixture named
``browser`` (a Chromium driven by Selenium) gets its mark here, whether its file says so or not."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Fixture modules every test file may use by name (importing a fixture by name would shadow it).
pytest_plugins = ["tests.qa_fixtures", "tests.e2e.xserver"]


# A fixture that means the test needs the tool -> the mark that lets the fast set leave it out.
MARK_OF_FIXTURE = {"x_server": "xserver", "browser": "browser"}


# Files with a test of these marks run first: `make test` hands out whole files to its workers in
# collection order (Makefile: `--no-loadscope-reorder`), so a long file handed out last would end the
# run alone while the other workers wait; short files at the end fill the gaps instead.
LONG_MARKS = ("slow", "browser", "xserver")
# A file with a real window on its own X screen or a browser mostly waits for them (timers, pages,
# processes starting): among the long files, one such file is handed out after every two others, so
# that while one worker waits two keep both cores busy (all of them first left the cores half idle for
# the first half of a run: docs/testing.md).
WAITING_MARKS = ("browser", "xserver")
COMPUTING_PER_WAITING = 2


def handout_order(files: list[tuple[object, set[str]]]) -> list[object]:
    """The files (each with the marks of its tests), in the order they are handed out: the long ones
    first, one that waits after every ``COMPUTING_PER_WAITING`` that compute, then the rest; each
    group keeps the collection's order."""
    waiting = [path for path, marks in files if marks & set(WAITING_MARKS)]
    computing = [path for path, marks in files if marks & set(LONG_MARKS) and not marks & set(WAITING_MARKS)]
    rest = [path for path, marks in files if not marks & set(LONG_MARKS)]
    order: list[object] = []
    while waiting:
        order.append(waiting.pop(0))
        for _ in range(COMPUTING_PER_WAITING):
            if computing or rest:
                order.append((computing or rest).pop(0))
    return order + computing + rest


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, mark in MARK_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(mark)
    marks: dict[object, set[str]] = {}
    for item in items:
        marks.setdefault(item.path, set()).update(m for m in LONG_MARKS if item.get_closest_marker(m))
    rank = {path: i for i, path in enumerate(handout_order(list(marks.items())))}
    items.sort(key=lambda item: rank[item.path])  # stable: each file's tests keep their order


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
