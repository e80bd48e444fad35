"""A kiosk's visitors in a test: the idle warning runs out and the next visitor's account opens."""

from __future__ import annotations

CEILING_MS = 60_000


def next_visitor(qtbot, window):
    """The idle warning runs out (the visitor walked away): Home, and the next visitor's account (the
    ``PayerAccount`` the kiosk opened for them, off the GUI thread)."""
    with qtbot.waitSignal(window.kiosk.visits.started, timeout=CEILING_MS) as started:
        window.kiosk.idle_warning.expired.emit()
    assert window.nav.current == "home"
    return started.args[0]
