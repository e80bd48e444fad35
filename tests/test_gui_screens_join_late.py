"""A screen joins the window's stack (and takes its style sheet) the first time it is shown, and then
looks exactly as if it had been there from the start: the language, the theme and the kiosk's scale
changed before it joined reach it. Styling a screen costs more than making it, and most windows
never show most of their screens (gui/navigator.py)."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from payer_app.gui.main_window import WINDOW_SIZE
from tests.gui_helpers import tr

ROLES = (QPalette.ColorRole.Window, QPalette.ColorRole.WindowText, QPalette.ColorRole.Button,
         QPalette.ColorRole.ButtonText, QPalette.ColorRole.Base, QPalette.ColorRole.Text)


def looks(window, name: str) -> list[tuple]:
    """What ``name`` shows, widget by widget: kind, place and size, font, colours and text (hover and
    focus frames left out: they follow the mouse and the keyboard, not the screen)."""
    window.go(name)
    for _ in range(3):
        QApplication.processEvents()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # rows replaced by a refresh
    screen = window.screens[name]
    return [(type(w).__name__, w.geometry().getRect(), w.font().toString(),
             [w.palette().color(role).name() for role in ROLES], w.text() if hasattr(w, "text") else None)
            for w in screen.findChildren(QWidget) if w.isVisibleTo(screen)]


def test_a_new_window_styles_home_and_scan_only(window):
    stacked = [window.stack.widget(i) for i in range(window.stack.count())]
    assert stacked == [window.home, window.scan], "screens never shown were styled with the window"
    window.go("settings")
    assert window.stack.currentWidget() is window.settings_screen
    window.back()
    assert window.stack.currentWidget() is window.home
    assert window.stack.indexOf(window.settings_screen) >= 0, "a screen shown once stays in the stack"


def test_language_and_theme_changed_before_a_screen_joins_reach_it(make_window):
    late = make_window(camera="demo", kiosk=False, lang="vi")
    early = make_window(camera="demo", kiosk=False, lang="vi")
    for name in ("history", "saved_bills", "settings"):
        early.go(name)  # joins in the light theme, in Vietnamese
        early.go("home")
    for window in (late, early):
        window.ctx.settings.theme = "dark"
        window.apply_theme()
        window.set_language("en")
        window.resize(*WINDOW_SIZE)
    for name in ("history", "saved_bills", "settings"):
        assert looks(late, name) == looks(early, name), f"{name} looks different when it joins late"
    assert late.history.top.title.text() == tr("history.title", "en")


def test_the_kiosk_scale_reaches_a_screen_that_joins_late(make_window):
    late = make_window(camera="demo", kiosk=True, lang="vi")
    early = make_window(camera="demo", kiosk=True, lang="vi")
    early.go("history")
    early.go("home")
    for window in (late, early):
        window.resize(*WINDOW_SIZE)
    for window in (late, early):
        window.showNormal()
        window.resize(1600, 1000)  # the booth frame scales the phone (and its style sheet) up
        QApplication.processEvents()
    assert late.booth.scale == early.booth.scale > 1
    assert looks(late, "history") == looks(early, "history")
