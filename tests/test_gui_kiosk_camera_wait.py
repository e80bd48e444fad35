"""The kiosk's idle reset does not come while Scan's camera is still opening: the visitor pressed Scan
and waits for the kiosk, not the other way round (a camera, the demo camera drawing its bill, or a
phone app on the network can take seconds to send its first frame on a busy booth laptop). Once the
first frame is in, the idle time starts again from there, and a visitor who walks away from a camera
that is looking is reset as before.

The camera is a phone camera app on 127.0.0.1 (tests/mjpeg_server.py) that keeps its connection
open and sends nothing until the test lets it (a camera still starting), then frames of an empty
desk. The idle timer is fired after checking its interval (tests/gui_helpers.py ``fire``), not
waited for."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import Qt

from payer_app.gui.settings import Settings, save_settings
from tests.gui_helpers import fire
from tests.mjpeg_server import MjpegServer

IDLE_S = 20


def empty_desk() -> list[bytes]:
    frame = np.full((360, 640, 3), 128, np.uint8)
    return [cv2.imencode(".jpg", frame)[1].tobytes()] * 3


def test_the_idle_reset_waits_for_the_cameras_first_frame_then_runs(qtbot, make_window, payer_home):
    camera = MjpegServer(empty_desk())
    camera.frozen.set()  # the connection opens, no frame comes: the camera is still starting
    try:
        save_settings(Settings(kiosk_idle_seconds=IDLE_S, kiosk_warning_seconds=1), payer_home / "settings.json")
        window = make_window(camera=camera.url(credentials=False), kiosk=True, lang="vi")
        timers = window.kiosk
        qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
        assert window.current == "scan" and timers.idle_timer.interval() == IDLE_S * 1000

        fire(timers.idle_timer)  # the idle time is over while the camera has sent nothing yet
        assert not timers.idle_warning.isVisible(), "the visitor waiting for the camera was warned away"
        assert window.current == "scan" and timers.idle_timer.isActive()  # the idle time runs again
        assert window.scan.waiting_for_camera

        with qtbot.waitSignal(window.scan.camera_ready, timeout=60_000):
            camera.frozen.clear()  # the first frame comes
        assert not window.scan.waiting_for_camera
        assert timers.idle_timer.isActive() and timers.idle_timer.interval() == IDLE_S * 1000

        fire(timers.idle_timer)  # nobody in front of a camera that is looking: warned, then Home
        assert timers.idle_warning.isVisible()
        fire(timers.idle_warning.ticker)
        assert window.current == "home"
    finally:
        camera.stop()
