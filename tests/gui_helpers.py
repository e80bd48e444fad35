"""What the window tests share: a real window, shown, active (so keys go where a user's would), and
a click. The window's scan session is stopped by ``close_windows`` at the end of a test."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from payer_app.gui.app import create_window, ensure_application


def open_window(qtbot, **kwargs):
    """``create_window(**kwargs)`` shown as ``payer-app gui`` shows it (full screen in kiosk mode)."""
    ensure_application()
    window = create_window(**kwargs)
    qtbot.addWidget(window)
    window.present()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3_000)
    return window


def close_windows(windows) -> None:
    for window in windows:
        window.scan.stop()


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
