"""What the window tests share: a real window, shown, active (so keys go where a user's would), a
click, a catalogue lookup for UI text, and camera-like frames and videos of a payload's QR code
(drawn with tests/media.py). The window's scan session is stopped by ``close_windows``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from payer_app.gui.app import create_window, ensure_application
from payer_app.gui.i18n import Language
from tests.media import empty_frame, frame_with, qr_array, write_video

CAMERA_SIZE = (640, 480)


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


def tr(key: str, lang: str = "vi", **values) -> str:
    """The window's text for catalogue ``key`` (resources/i18n/strings.json), as a screen shows it."""
    return Language(lang).text(key, **values)


def qr_frame(payload: str, size: tuple[int, int] = CAMERA_SIZE, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """A camera-like BGR frame (a desk, ``size`` = width, height) with the payload's QR code in the
    middle, moved by ``offset`` pixels."""
    side = qr_array(payload, scale=5).shape[0]
    w, h = size
    x, y = (w - side) // 2 + offset[0], (h - side) // 2 + offset[1]
    return frame_with([(payload, x, y)], width=w, height=h, scale=5)


def scan_video(path: Path, payload: str, frames: int = 24, fps: float = 12.0) -> Path:
    """A handheld scan as a video file: four frames of aiming with no code, then the code held
    in view (shaking a pixel or two)."""
    w, h = CAMERA_SIZE
    aiming = [empty_frame(w, h, seed=i) for i in range(min(4, frames))]
    held = [qr_frame(payload, offset=(i % 3, 0)) for i in range(len(aiming), frames)]
    return write_video(path, aiming + held, fps=fps)


class ManualClock:
    """A monotonic clock (seconds) that moves only when told: ``advance(seconds)``, which also
    serves as the ``sleep`` of the code under test."""

    def __init__(self, start: float = 0.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fire(timer) -> None:
    """What a running QTimer does when its interval is over, now: a test checks the interval it
    was started with and then fires it instead of waiting for it."""
    assert timer.isActive(), "the timer is not running"
    if timer.isSingleShot():
        timer.stop()
    timer.timeout.emit()
