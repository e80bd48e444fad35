"""Network cameras: ``payer-app scan http://...`` against a real MJPEG-over-HTTP server on 127.0.0.1
(written here, serving frames of a ``generate video`` clip, like IP Webcam on a phone): payload
accepted, the server stops and comes back mid-scan and the scan recovers, credentials never shown.

RTSP: Debian's ffmpeg can only *receive* RTSP with ``-rtsp_flags listen`` (it waits for a publisher),
it cannot serve a stream to a player such as OpenCV, so rtsp:// is not tested here (README: untested).
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest

from payer_app.scan.network_source import NetworkCameraSource, mask_credentials
from payer_app.scan.sources import SourceError, make_source
from tests.mjpeg_server import PASSWORD, USER, MjpegServer, clip_jpegs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def payloads():
    from payer_app.core.builder import evn_bill_payload

    return evn_bill_payload("PD13000111111"), evn_bill_payload("PD13000222222")


@pytest.fixture(scope="module")
def clips(tmp_path_factory, payloads):
    tmp = tmp_path_factory.mktemp("mjpeg")
    return clip_jpegs(tmp, payloads[0], 1), clip_jpegs(tmp, payloads[1], 2)


def _reader(stream, lines: queue.Queue) -> None:
    for raw in iter(stream.readline, b""):
        lines.put(raw.decode("utf-8", "replace"))


def _wait_for(lines: queue.Queue, needle: str, timeout: float, seen: list[str]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return True
    return False


def test_scan_accepts_recovers_after_restart_and_never_shows_credentials(clips, payloads):
    first = MjpegServer(clips[0], auth=(USER, PASSWORD))
    port = first.port
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "payer_app", "scan", first.url(), "--all", "--json", "--hold-off", "1",
         "--timeout", "90"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    out_lines: queue.Queue = queue.Queue()
    err_lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, out_lines), daemon=True).start()
    threading.Thread(target=_reader, args=(proc.stderr, err_lines), daemon=True).start()
    out_seen: list[str] = []
    err_seen: list[str] = []
    second = None
    try:
        assert _wait_for(out_lines, payloads[0], 40, out_seen), "first payload not accepted: " + "".join(out_seen)
        first.stop()
        # the scan notices and keeps trying while nothing answers
        assert _wait_for(err_lines, "stopped delivering frames", 20, err_seen), "".join(err_seen)
        time.sleep(1.5)
        second = MjpegServer(clips[1], port=port, auth=(USER, PASSWORD))
        assert _wait_for(out_lines, payloads[1], 40, out_seen), "no recovery: " + "".join(out_seen + err_seen)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for server in (first, second):
            if server is not None and not server.stopping.is_set():
                server.stop()
    time.sleep(0.3)
    while not out_lines.empty():
        out_seen.append(out_lines.get())
    while not err_lines.empty():
        err_seen.append(err_lines.get())
    everything = "".join(out_seen + err_seen)
    assert proc.returncode == 0
    assert PASSWORD not in everything and f"{USER}:" not in everything
    assert f"http://***@127.0.0.1:{port}/video" in everything  # the source is named, masked
    assert "nothing answers" in everything or "stopped delivering" in everything
    assert second is not None and second.requests >= 1


def test_unreachable_url_is_a_clear_error_without_credentials():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "payer_app", "scan", f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/video"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert time.monotonic() - started < 30
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
    """The phone app hangs with the connection open: the read gives up after the read time-out."""
    server = MjpegServer(clips[0], auth=(USER, PASSWORD))
    try:
        source = NetworkCameraSource(server.url(), read_timeout_s=2.0)
        source.open()
        for _ in range(3):
            assert source.read() is not None
        server.frozen.set()
        started = time.monotonic()
        with pytest.raises(SourceError, match="stopped delivering frames"):
            for _ in range(1000):
                source.read()
        assert time.monotonic() - started < 10
    finally:
        source.close()
        server.stop()


def test_latest_frame_only_like_a_webcam(clips, payloads):
    """A slow decoder drops stale frames instead of falling behind the stream."""
    from payer_app.scan.engine import ScanSession

    server = MjpegServer(clips[0], auth=(USER, PASSWORD), fps=25)
    accepted = []
    try:
        source = make_source(server.url())
        assert isinstance(source, NetworkCameraSource) and source.live
        session = ScanSession(source, on_detections=lambda *a: time.sleep(0.25),
                              on_accepted=lambda s: accepted.append(s))
        session.start()
        time.sleep(3.0)
        session.stop()
    finally:
        server.stop()
    stats = session.stats
    assert stats.frames_captured > stats.frames_decoded
    assert stats.frames_dropped > 0
    assert accepted and accepted[0].text == payloads[0]
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


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "phone-camera")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_camera_with_a_self_signed_certificate_is_refused_clearly(clips, tmp_path):
    import ssl

    server = MjpegServer(clips[0], auth=(USER, PASSWORD))
    cert, key = _self_signed(tmp_path)
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
