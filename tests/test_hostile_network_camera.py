"""Hostile network cameras (tests/mjpeg_server.py ``HostileCamera`` on 127.0.0.1): an endless
frame, garbage, a frame declaring 30000x30000 pixels, a server that stops mid-header or mid-frame
with its socket held open. ``payer-app scan URL --timeout T`` ends by itself for every T: exit 1,
one line of ours on standard error, no FFmpeg line, never a C++ abort; the window says the camera
stopped and keeps working; no scan thread is left running when the process exits.

Every wait ends on an event (the process ending, a signal); the ceilings only catch a hang. How
soon the scan ends is measured in bench/network_camera_bench.py --hostile, not here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.mjpeg_server import FFMPEG_MODES, HOSTILE_MODES, HostileCamera

ROOT = Path(__file__).resolve().parent.parent
HUNG_S = 30  # beyond --timeout: only a scan that does not end waits this long
TIMEOUTS_S = (3, 8)  # one under the 5 s read time-out of a frame (stop ends a read in flight), one over it
CASES = [(mode, timeout_s) for timeout_s in TIMEOUTS_S for mode in HOSTILE_MODES + FFMPEG_MODES]


@pytest.fixture(scope="module")
def hostile_scans():
    """Every (camera, --timeout) scan of the file started at once, each against its own camera: a scan
    spends its time waiting on its camera and its --timeout, so side by side they take about as long as
    the longest one instead of the sum. Each test then waits for its own process and checks it."""
    scans = {}
    try:
        for mode, timeout_s in CASES:
            camera = HostileCamera(mode)
            scans[mode, timeout_s] = camera, subprocess.Popen(
                [sys.executable, "-m", "payer_app", "scan", camera.url(), "--timeout", str(timeout_s)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        yield scans
    finally:
        for camera, proc in scans.values():
            if proc.poll() is None:  # a test that did not run, or a scan that hung
                proc.kill()
            proc.wait()
            camera.stop()


@pytest.mark.parametrize("timeout_s", TIMEOUTS_S)
@pytest.mark.parametrize("mode", HOSTILE_MODES + FFMPEG_MODES)
def test_a_hostile_camera_ends_the_scan_with_one_line_of_ours(mode, timeout_s, hostile_scans):
    """``bomb-frame-untyped`` is not typed as JPEG, so OpenCV's FFmpeg reader gets it (as rtsp://
    streams do): FFmpeg's log must stay silent and its blocked read must not hold or abort the exit."""
    camera, proc = hostile_scans[mode, timeout_s]
    try:
        # the ceiling also covers the other scans' start-ups, which share the cores with this one
        out, err = proc.communicate(timeout=timeout_s + HUNG_S + 4 * len(CASES))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the scan did not end: {err[-500:]!r}")
    finally:
        camera.stop()
    assert "terminate called" not in err and "[mjpeg" not in err and "Traceback" not in err, err
    assert proc.returncode == 1, (proc.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("payer-app: error: scan: "), err
    assert f"127.0.0.1:{camera.port}/video" in lines[0]
    assert out == ""
    assert camera.requests >= 1  # the camera was really asked


def test_a_bomb_frame_is_refused_from_its_header_before_any_decode(monkeypatch):
    """The 30000x30000 frame is refused from its JPEG header: cv2.imdecode never sees it."""
    import cv2

    from payer_app.scan.network_source import NetworkCameraSource
    from payer_app.scan.sources import CameraStopped

    def no_decode(*args, **kwargs):
        raise AssertionError("cv2.imdecode called on a refused frame")

    monkeypatch.setattr(cv2, "imdecode", no_decode)
    camera = HostileCamera("bomb-frame")
    source = NetworkCameraSource(camera.url())
    try:
        source.open()
        with pytest.raises(CameraStopped, match=r"camera refused: a frame of 30000x30000 pixels"):
            source.read()
    finally:
        source.close()
        camera.stop()


def test_stop_ends_a_read_in_flight_at_once(monkeypatch):
    """A server that hangs mid-frame: the session's stop() shuts the socket, so the capture thread
    ends without waiting for the read time-out (an hour here), and reports nothing."""
    import threading

    from payer_app.scan import network_source
    from payer_app.scan.engine import ScanSession

    waiting = threading.Event()
    receive = network_source.MjpegStream._more

    def noted_receive(stream, what):
        if what == "frame":  # the 1 kB is in; the capture thread now waits for the rest
            waiting.set()
        return receive(stream, what)

    monkeypatch.setattr(network_source.MjpegStream, "_more", noted_receive)
    camera = HostileCamera("hang-mid-frame")
    errors = []
    finished = threading.Event()
    source = network_source.NetworkCameraSource(camera.url(), read_timeout_s=3600)
    session = ScanSession(source, on_error=errors.append, on_finished=finished.set)
    try:
        source.open()
        session.start()
        assert waiting.wait(HUNG_S)
        session.stop(timeout=HUNG_S)
        assert finished.wait(HUNG_S)
        assert not session.threads_alive
        assert errors == []
    finally:
        camera.stop()


EXIT_CHECK = textwrap.dedent("""
    import atexit, sys, threading

    def scan_threads_left():
        # registered first, so it runs last of the exit handlers, just before Python finalizes
        left = sorted(t.name for t in threading.enumerate() if t.name.startswith("scan-") and t.is_alive())
        print("threads left at exit:", left, flush=True)

    atexit.register(scan_threads_left)
""")


def _run_script(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", EXIT_CHECK + textwrap.dedent(body)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})


def test_a_process_that_exits_during_a_scan_leaves_no_scan_thread_running():
    """A daemon scan thread still inside OpenCV or zxing-cpp when Python finalizes aborts the process
    ("terminate called without an active exception"); the engine stops and joins every session at
    exit, so none is left running (checked by the last exit handler)."""
    run = _run_script("""
        import queue
        from payer_app.scan.engine import ScanSession
        decoded = queue.Queue()
        session = ScanSession("demo", on_detections=lambda f, d, ms: decoded.put(ms))
        session.start()
        decoded.get(timeout=60)
        decoded.get(timeout=60)
        sys.exit(0)  # the scan is still running
    """)
    assert "terminate called" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    assert "threads left at exit: []" in run.stdout, run.stdout + run.stderr


def test_a_window_that_exits_while_the_demo_camera_scans_leaves_no_scan_thread_running():
    """The window's scan loop (demo camera), the process ending without the window being closed."""
    run = _run_script("""
        from PySide6.QtCore import QEventLoop, QTimer
        from payer_app.gui.app import create_window, ensure_application
        app = ensure_application()
        window = create_window(camera="demo", lang="en")
        window.present()
        loop = QEventLoop()
        window.scan.adapter.detections.connect(lambda *a: loop.quit())
        window.home.scan_button.click()
        QTimer.singleShot(60_000, loop.quit)
        loop.exec()
        assert window.scan.adapter.running
        sys.exit(0)  # the window is not closed
    """)
    assert "terminate called" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    assert "threads left at exit: []" in run.stdout, run.stdout + run.stderr


def test_the_window_says_the_camera_stopped_and_keeps_working(qtbot, make_window, capfd):
    from PySide6.QtCore import Qt

    from tests.gui_helpers import tr

    camera = HostileCamera("bomb-frame")
    try:
        window = make_window(camera=camera.url(), lang="en")
        stopped = tr("scan.camera_stopped", "en", problem="@").split("@")[0]
        with qtbot.waitSignal(window.scan.hint_changed, timeout=HUNG_S * 1000,
                              check_params_cb=lambda text: text.startswith(stopped)) as hint:
            qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
        assert "30000x30000" in hint.args[0]
        assert window.current == "scan" and window.isVisible()
        # the window lives: the demo camera, picked instead, is scanned to the payee screen
        index = window.scan.camera_box.findData("demo")
        with qtbot.waitSignal(window.scan.scanned, timeout=HUNG_S * 1000):
            window.scan.camera_box.setCurrentIndex(index)
            window.scan.camera_box.activated.emit(index)
    finally:
        camera.stop()
    err = capfd.readouterr().err
    assert "[mjpeg" not in err and "terminate called" not in err, err
