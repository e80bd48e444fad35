"""A closed window leaves nothing behind: no hidden top-level widget, no event filter object of its own.

A process that opens window after window (a test worker opens hundreds; a booth's window lives all
day, but its dialogs and screens come and go) must not pile up widgets that Qt keeps styling and
delivering events to, nor application-wide filters that every later event passes through.
"""

from __future__ import annotations

import gc

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from payer_app.gui.app import create_window, ensure_application
from payer_app.gui.kiosk import ActivityWatcher, KioskGuard
from payer_app.gui.screen import EnterKey

FILTERS = (ActivityWatcher, KioskGuard, EnterKey)


def flush() -> None:
    """What deleted windows left to delete later (earlier tests' too), deleted now."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def open_and_close(kiosk: bool) -> None:
    window = create_window(camera="demo", kiosk=kiosk, lang="vi")
    window.present()
    window.close()
    window.deleteLater()
    flush()


def live_filters() -> list:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, FILTERS) and shiboken6.isValid(o)]


def new_ones(now: list, before: list) -> list[str]:
    return [type(o).__name__ for o in now if all(o is not b for b in before)]


@pytest.mark.parametrize("kiosk", [False, True], ids=["phone", "kiosk"])
def test_closed_windows_leave_no_widgets_or_filters(qtbot, payer_home, kiosk):
    ensure_application()
    open_and_close(kiosk)  # the first window also makes Qt's own shared objects
    tops, filters = QApplication.topLevelWidgets(), live_filters()
    for _ in range(2):  # one leaked object per window shows as two
        open_and_close(kiosk)
    assert new_ones(QApplication.topLevelWidgets(), tops) == [], "top-level widgets left by closed windows"
    assert new_ones(live_filters(), filters) == [], "event filter objects left by closed windows"
