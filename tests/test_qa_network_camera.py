"""Network cameras: ``payer-app scan http://...`` against a real MJPEG-over-HTTP server on 127.0.0.1
(tests/mjpeg_server.py, serving frames of a ``generate video`` clip, like IP Webcam on a phone):
payload accepted, the server stops and comes back mid-scan and the scan recovers, credentials never
shown. Every wait ends on an event (a line on the scan's pipe, a session callback); none is timed.

RTSP: Debian's ffmpeg can only *receive* RTSP with ``-rtsp_flags listen`` (it waits for a publisher),
it cannot serve a stream to a player such as OpenCV, so rtsp:// is not tested here (docs/scan.md: untested).
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from payer_app.scan.network_source import NetworkCameraSource, mask_credentials
from payer_app.scan.source_specs import make_source
from payer_app.scan.sources import SourceError
from tests.mjpeg_server import PASSWORD, USER, MjpegServer, clip_jpegs
from tests.self_signed import self_signed_certificate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def payloads():
    from payer_app.core.builder import evn_bill_payload

    return evn_bill_payload("PD13000111111"), evn_bill_payload("PD13000222222")


@pytest.fixture(scope="module")
def clips(tmp_path_factory, payloads):
    tmp = tmp_path_factory.mktemp("mjpeg")
    return clip_jpegs(tmp, payloads[0], 1), clip_jpegs(tmp, payloads[1], 2)


HUNG_S = 60  # only a hung scan waits this long; every wait below ends on a line or an event


class LineReader:
    """The lines of a pipe, read by a thread: ``wait_for(needle)`` blocks until a line holds it."""

    def __init__(self, stream):
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.put(raw.decode("utf-8", "replace"))
        self.lines.put(None)  # end of the pipe

    def wait_for(self, needle: str) -> bool:
        """True once a line holding needle arrives; False at the end of the pipe or a hang."""
        while True:
            try:
                line = self.lines.get(timeout=HUNG_S)
            except queue.Empty:
                return False
            if line is None:
                self.lines.put(None)
                return False
            self.seen.append(line)
            if needle in line:
                return True

    def everything(self) -> str:
        """All the text, once the pipe has ended."""
        self.thread.join(HUNG_S)
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                self.seen.append(line)
        return "".join(self.seen)


def test_scan_accepts_recovers_after_restart_and_never_shows_credentials(clips, payloads):
    first = MjpegServer(clips[0], auth=(USER, PASSWORD))
    port = first.port
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "payer_app", "scan", first.url(), "--all", "--json", "--hold-off", "1",
         "--timeout", "300"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    out, err = LineReader(proc.stdout), LineReader(proc.stderr)
    second = None
    try:
        assert out.wait_for(payloads[0]), "first payload not accepted: " + "".join(out.seen + err.seen)
        first.stop()
        # the scan notices, then keeps trying while nothing answers on the port
        assert err.wait_for("stopped delivering frames"), "".join(err.seen)
        assert err.wait_for("nothing answers"), "".join(err.seen)
        second = MjpegServer(clips[1], port=port, auth=(USER, PASSWORD))
        assert out.wait_for(payloads[1]), "no recovery: " + "".join(out.seen + err.seen)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(HUNG_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(HUNG_S)
        for server in (first, second):
            if server is not None and not server.stopping.is_set():
                server.stop()
    everything = out.everything() + err.everything()
    assert proc.returncode == 0
    assert PASSWORD not in everything and f"{USER}:" not in everything
    assert f"http://***@127.0.0.1:{port}/video" in everything  # the source is named, masked
    assert second is not None and second.requests >= 1


def test_unreachable_url_is_a_clear_error_without_credentials():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run(
        [sys.executable, "-m", "payer_app", "scan", f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/video"],
        cwd=ROOT, capture_output=True, text=True, timeout=HUNG_S,
    )
    assert proc.returncode == 2
    assert "nothing answers at 127.0.0.1" in proc.stderr and "connection refused" in proc.stderr
    assert PASSWORD not in proc.stderr + proc.stdout and USER not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("path, credentials, message", [
    ("/video", False, "wants a user name and password (HTTP 401"),
    ("/nope", True, "no such path on the camera (HTTP 404)"),
    ("/", True, "not a video stream"),
])
def test_wrong_credentials_path_or_page_are_told_apart(clips, path, credentials, message):
    server = MjpegServer(clips[0], auth=(USER, PASSWORD) if path != "/" else None)
    try:
        url = server.url(path, credentials)
        source = make_source(url)
        with pytest.raises(SourceError) as caught:
            source.open()
        text = str(caught.value)
        assert message in text
        assert PASSWORD not in text and PASSWORD not in repr(source) and PASSWORD not in source.spec
    finally:
        server.stop()


def test_wrong_password_is_masked_too(clips):
    server = MjpegServer(clips[0], auth=(USER, PASSWORD))
    try:
        source = make_source(f"http://{USER}:WRONG-pw@127.0.0.1:{server.port}/video")
        with pytest.raises(SourceError, match="other credentials") as caught:
            source.open()
        assert "WRONG-pw" not in str(caught.value)
    finally:
        server.stop()


def test_a_stream_that_hangs_is_noticed_by_the_read_timeout(clips):
    """The phone app hangs with the connection open: a read gives up (OpenCV's read time-out) and
    says so, instead of waiting for ever. The reads run in a thread so a hang fails the test."""
    server = MjpegServer(clips[0], auth=(USER, PASSWORD))
    source = NetworkCameraSource(server.url(), read_timeout_s=2.0)
    outcome: queue.Queue = queue.Queue()

    def read_until_it_fails() -> None:
        try:
            for _ in range(1000):
                source.read()
            outcome.put(None)
        except SourceError as exc:
            outcome.put(exc)

    try:
        source.open()
        for _ in range(3):
            assert source.read() is not None
        server.frozen.set()
        threading.Thread(target=read_until_it_fails, daemon=True).start()
        error = outcome.get(timeout=HUNG_S)
        assert error is not None and "stopped delivering frames" in str(error)
    finally:
        source.close()
        server.stop()


def test_latest_frame_only_like_a_webcam(clips, payloads):
    """A slow decoder drops stale frames instead of falling behind the stream: until a code is
    accepted, each decode here lasts until three more frames have come (the capture thread hands a
    frame over before it announces the next, so the third replaces an unread one)."""
    from payer_app.scan.engine import ScanSession

    server = MjpegServer(clips[0], auth=(USER, PASSWORD), fps=25)
    captured = threading.Condition()
    counts = {"frames": 0}
    accepted = []
    got_one = threading.Event()

    def on_frame(frame):
        with captured:
            counts["frames"] += 1
            captured.notify_all()

    def slow_decode(frame, detections, decode_ms):
        with captured:
            target = counts["frames"] + 3
            captured.wait_for(lambda: counts["frames"] >= target or got_one.is_set(), HUNG_S)

    def on_accepted(scan):
        accepted.append(scan)
        got_one.set()

    try:
        source = make_source(server.url())
        assert isinstance(source, NetworkCameraSource) and source.live
        session = ScanSession(source, on_frame=on_frame, on_detections=slow_decode, on_accepted=on_accepted)
        session.start()
        assert got_one.wait(HUNG_S), "nothing accepted"
        session.stop()
    finally:
        server.stop()
    stats = session.stats
    assert stats.frames_captured > stats.frames_decoded
    assert stats.frames_dropped > 0
    assert accepted[0].text == payloads[0]
    assert accepted[0].source == f"http://***@127.0.0.1:{server.port}/video"


@pytest.mark.parametrize("text, masked", [
    ("http://u:p@h/x", "http://***@h/x"),
    ("HTTPS://user:pa%40ss@cam.local:8443/v", "HTTPS://***@cam.local:8443/v"),
    ("rtsp://admin:12345@192.168.1.9:554/stream1", "rtsp://***@192.168.1.9:554/stream1"),
    ("rtsp://only-user@h/p", "rtsp://***@h/p"),
    ("two: http://a:b@h1/ and rtsp://c:d@h2/", "two: http://***@h1/ and rtsp://***@h2/"),
    ("tcp://a:b@1.2.3.4:5 failed", "tcp://***@1.2.3.4:5 failed"),
    ("http://h/p?next=a@b", "http://h/p?next=a@b"),  # an @ in the query is not a credential
    ("no url here", "no url here"),
])
def test_mask_credentials(text, masked):
    assert mask_credentials(text) == masked


def test_bad_urls_are_refused_before_any_connection():
    for url, message in [("http://h:99999/x", "port"), ("http:///x", "no host"), ("http://h/a b", "spaces")]:
        with pytest.raises(SourceError, match=message):
            NetworkCameraSource(url)


def test_https_camera_with_a_self_signed_certificate_is_refused_clearly(clips, tmp_path):
    import ssl

    server = MjpegServer(clips[0], auth=(USER, PASSWORD))
    cert, key = self_signed_certificate(tmp_path, "phone-camera")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    try:
        source = make_source(f"https://{USER}:{PASSWORD}@127.0.0.1:{server.port}/video")
        with pytest.raises(SourceError, match="certificate is not trusted") as caught:
            source.open()
        assert PASSWORD not in str(caught.value)
    finally:
        server.stop()


@pytest.mark.parametrize("path, lengths", [("/video", False), ("/shot.jpg", True)])
def test_parts_without_a_length_and_snapshot_urls_are_read_too(clips, payloads, path, lengths):
    """Some camera apps send parts without Content-Length (the next boundary ends a frame); a
    snapshot URL answers one JPEG per request (asked again for each frame)."""
    from payer_app.scan.engine import ScanSession

    server = MjpegServer(clips[0], auth=(USER, PASSWORD), lengths=lengths)
    accepted: queue.Queue = queue.Queue()
    errors: list[str] = []
    try:
        session = ScanSession(make_source(server.url(path)), on_accepted=accepted.put,
                              on_error=lambda e: errors.append(str(e)))
        session.start()
        scan = accepted.get(timeout=HUNG_S)
        session.stop()
    finally:
        server.stop()
    assert scan.text == payloads[0]
    assert errors == []
    if path == "/shot.jpg":
        assert server.requests >= 2
