"""What the scan screen holds on to: camera frames waiting for the GUI thread, the preview when the
screen is left, the demo camera's scene. Counted, never timed."""

from __future__ import annotations

import threading
import tracemalloc

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from payer_app.gui.scan_adapter import ScanAdapter
from payer_app.scan.demo_camera import DemoCamera

FRAMES = 40


class FrameCounter(QObject):
    """Lives in the GUI thread: frames reach it only when the GUI thread runs its events."""

    def __init__(self):
        super().__init__()
        self.frames: list[QImage] = []

    @Slot(QImage)
    def take(self, image: QImage) -> None:
        self.frames.append(image)


def test_frames_waiting_for_a_busy_gui_thread_are_at_most_one(qtbot):
    """The GUI thread runs no events while the camera delivers FRAMES frames (a long paint, a loaded
    machine): only the newest waits for it, not a queue of full-size copies."""
    adapter = ScanAdapter(preview_fps=0)  # no preview rate limit: every frame is offered
    counter = FrameCounter()
    adapter.frame.connect(counter.take)
    decoded = threading.Event()
    seen = []

    def count(_polygons, _ms):  # called in the decode thread (direct connection)
        seen.append(1)
        if len(seen) >= FRAMES:
            decoded.set()

    adapter.detections.connect(count, Qt.ConnectionType.DirectConnection)
    adapter.start("demo:fast")  # the demo camera, as fast as it is read
    try:
        assert decoded.wait(120), "the demo camera's frames were not decoded"
        QApplication.processEvents()  # what waited for the GUI thread arrives now
        assert 1 <= len(counter.frames) <= 2, f"{len(counter.frames)} frames were waiting"
    finally:
        adapter.stop()
        adapter.wait_stopped()


def test_leaving_scan_lets_go_of_the_preview_frame(qtbot, window):
    adapter = window.scan_adapter
    window.go("scan")
    qtbot.waitUntil(lambda: window.scan.preview.image is not None, timeout=30_000)
    qtbot.mouseClick(window.scan.cancel_button, Qt.MouseButton.LeftButton)
    assert window.current == "home"
    adapter.wait_stopped()
    QApplication.processEvents()  # frames sent before the camera stopped
    assert window.scan.preview.image is None
    assert window.scan.preview.polygons == []


def test_a_second_demo_camera_shares_the_first_ones_scene():
    """Each visit to Scan opens a demo camera; its desk, light and noise (~20 MB, and ~140 MB of
    temporaries to make) are made once and shared, and let go when no camera is open."""
    first = DemoCamera(realtime=False).open()
    tracemalloc.start()
    try:
        second = DemoCamera(realtime=False).open()
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"opening a second demo camera took {peak / 2**20:.1f} MiB"
    assert (second.read().image == first.read().image).all()  # the same frames as before
    first.close()
    second.close()
