"""What the scan screen holds on to: camera frames waiting for the GUI thread, the preview when the
screen is left, the demo camera's scene. Counted, never timed."""

from __future__ import annotations

import hashlib
import math
import threading
import tracemalloc

import pytest
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from payer_app.gui.scan_adapter import ScanAdapter
from payer_app.scan.demo_camera import DemoCamera

FRAMES = 10  # a GUI thread sent every frame would find 10 or more waiting (22 with the old per-frame signal)


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
    """Each visit to Scan opens a demo camera; its desk, light and noise (~4 MB since 5 Dec 2026; ~140 MB of
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


def test_a_demo_camera_opened_alone_makes_its_scene_in_a_few_megabytes():
    """When no other camera is open (the window between two visits to Scan), opening the demo camera
    makes its scene afresh: the desk, a small light map, one noise tile and a band of light, in
    under 5 MiB (3.7 on 5 Dec 2026; four whole noise frames and a light map twice the frame's size
    took 20 MiB), with under 8 MiB at the top while it is made and the first frames are read (6.8;
    the demo bill is drawn and found once for the day, not again at each opening: 27 MiB before)."""
    DemoCamera(realtime=False).open().close()  # the day's bill, drawn once
    tracemalloc.start()
    try:
        camera = DemoCamera(realtime=False).open()
        held, _ = tracemalloc.get_traced_memory()
        frames = {hashlib.blake2b(camera.read().image).digest() for _ in range(3)}  # one frame at a time
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        camera.close()
    assert held < 5 * 2**20, f"an open demo camera holds {held / 2**20:.1f} MiB"
    assert peak < 8 * 2**20, f"opening a demo camera and reading 3 frames took {peak / 2**20:.1f} MiB"
    assert len(frames) == 3


def test_the_demo_bill_is_drawn_here_when_no_child_process_can_draw_it(monkeypatch):
    from datetime import date

    from payer_app.scan import demo_camera

    drawn_apart = demo_camera._bill_drawn_apart(date.today())
    monkeypatch.setattr(demo_camera.sys, "executable", "/nonexistent/python")
    assert demo_camera._bill_drawn_apart(date.today()) is None
    demo_camera._demo_filmed_bill.cache_clear()
    try:
        camera = DemoCamera(realtime=False).open()
        filmed = camera._filmed.image
        camera.close()
    finally:
        demo_camera._demo_filmed_bill.cache_clear()
    assert drawn_apart is not None and (filmed == drawn_apart).all()  # the same bill either way


def test_the_preview_is_made_no_larger_than_the_view_shows_it(qtbot, window):
    """A 720p frame in the phone-sized window's 368x545 view is shown cover-fit at 969x545: that is
    the image the capture thread makes and the view keeps (1.5 MB, not the frame's 2.6 MB), and the
    outlines, in frame pixels, still land where the code is."""
    window.go("scan")
    preview = window.scan.preview
    qtbot.waitUntil(lambda: preview.image is not None and bool(preview.polygons), timeout=30_000)
    image, ratio = preview.image, preview.devicePixelRatioF()
    shown = max(preview.width() * ratio / 1280, preview.height() * ratio / 720)  # cover fit
    assert shown < 1 and image.width() <= math.ceil(1280 * shown) and image.height() <= math.ceil(720 * shown)
    size = image.deviceIndependentSize()
    assert (round(size.width()), round(size.height())) == (1280, 720)  # the frame's size: outlines fit
    scale, _dx, _dy = preview._frame_transform(image)
    assert scale == pytest.approx(shown, rel=0.01)
