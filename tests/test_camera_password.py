"""The network camera's password off the command line: ``--camera-password-file FILE`` and
``PAYER_APP_CAMERA_PASSWORD`` (``payer_app/cli/camera_options.py``), against a real MJPEG server with
Basic auth on 127.0.0.1 (tests/mjpeg_server.py). The password is never printed; a URL that carries it
on the command line still works and warns once that ``ps`` shows it; a password file is read safely
(a FIFO is not waited on, a big file is refused)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import cli_in_process
from tests.mjpeg_server import PASSWORD, USER, MjpegServer, clip_jpegs

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_ENV = "PAYER_APP_CAMERA_PASSWORD"  # the documented name (docs/scan.md)
HUNG_S = 90


@pytest.fixture(scope="module")
def camera(tmp_path_factory):
    from payer_app.core.builder import evn_bill_payload

    payload = evn_bill_payload("PD13000444444")
    server = MjpegServer(clip_jpegs(tmp_path_factory.mktemp("pw"), payload, 4), auth=(USER, PASSWORD))
    yield server, payload
    server.stop()


def scan(args: list[str], env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "payer_app", "scan", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=HUNG_S, env=env)


@pytest.fixture
def scan_here(capfd, monkeypatch):
    """``scan`` run in this process (``tests/cli_in_process.py``), read through ``capfd``: what the
    command and the libraries under it (OpenCV's FFmpeg) write to the file descriptors is caught too.
    The tests that keep a real process: exit codes and streams of a success and of a refusal, the FIFO,
    and the warning said once per process (``ps`` shows that process's command line)."""
    def run(args: list[str], env_extra: dict | None = None) -> subprocess.CompletedProcess:
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
        for name, value in (env_extra or {}).items():
            monkeypatch.setenv(name, value)
        code, out, err = cli_in_process.run(capfd, "scan", *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def user_url(server) -> str:
    return f"http://{USER}@127.0.0.1:{server.port}/video"


def test_the_password_comes_from_a_file_and_is_never_shown(camera, tmp_path):
    server, payload = camera
    secret = tmp_path / "camera-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    run = scan([user_url(server), "--camera-password-file", str(secret), "--timeout", "60", "--json"])
    assert run.returncode == 0, run.stderr
    assert payload in run.stdout
    assert PASSWORD not in run.stdout + run.stderr
    assert run.stderr == ""  # no warning: nothing secret was on the command line


def test_the_password_comes_from_the_environment(camera, scan_here):
    server, payload = camera
    run = scan_here([user_url(server), "--timeout", "60"], {PASSWORD_ENV: PASSWORD})
    assert run.returncode == 0, run.stderr
    assert payload in run.stdout and PASSWORD not in run.stdout + run.stderr
    assert run.stderr == ""


def test_a_password_in_the_url_still_works_and_warns_once_that_ps_shows_it(camera):
    server, payload = camera
    run = scan([server.url(), "--timeout", "60", "--all", "--hold-off", "0.2", "--max-frames", "20"])
    assert payload in run.stdout, run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("payer-app: warning:")]
    assert len(warnings) == 1 and "(ps)" in warnings[0] and "--camera-password-file" in warnings[0]
    assert PASSWORD not in run.stdout + run.stderr


def test_a_wrong_password_from_the_file_is_refused_without_showing_it(camera, tmp_path):
    server, _ = camera
    secret = tmp_path / "camera-password"
    secret.write_text("Wr0ng-pass\n", encoding="utf-8")
    run = scan([user_url(server), "--camera-password-file", str(secret), "--timeout", "10"])
    assert run.returncode == 2
    assert "other credentials (HTTP 401" in run.stderr and "Wr0ng-pass" not in run.stderr
    assert len(run.stderr.splitlines()) == 1


def test_a_password_file_that_is_a_fifo_a_big_file_or_empty_is_refused_at_once(camera, tmp_path, scan_here):
    server, _ = camera
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nothing ever writes to it: reading it blindly would hang
    big = tmp_path / "big"
    big.write_bytes(b"x" * 10_000)
    empty = tmp_path / "empty"
    empty.write_bytes(b"\n")
    for path, message in ((fifo, "(FIFO), not a regular file"), (big, "bytes long"), (empty, "is empty")):
        # the FIFO in a real process (a read that waited on it would hang there, not the test run)
        run = (scan if path == fifo else scan_here)([user_url(server), "--camera-password-file", str(path)])
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("payer-app: error: ") and message in run.stderr, run.stderr
        assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr


def test_the_password_option_is_for_network_cameras_only(tmp_path, scan_here):
    secret = tmp_path / "camera-password"
    secret.write_text("pw\n", encoding="utf-8")
    run = scan_here(["demo", "--camera-password-file", str(secret)])
    assert run.returncode == 2 and "for a network camera" in run.stderr
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    gui = subprocess.run([sys.executable, "-m", "payer_app", "gui", "--camera-password-file", str(secret)], cwd=ROOT,
                         capture_output=True, text=True, timeout=HUNG_S, env=env)
    assert gui.returncode == 2 and "--camera URL" in gui.stderr


def test_the_window_gets_the_password_from_the_file_in_memory_only(tmp_path):
    """``gui --camera URL --camera-password-file FILE``: the URL handed to the window carries the
    password (for the connection), the command line does not."""
    import argparse

    from payer_app.cli.camera_options import camera_spec

    secret = tmp_path / "camera-password"
    secret.write_text("p@ss:w/rd\r\n", encoding="utf-8")
    args = argparse.Namespace(camera_password_file=str(secret))
    spec = camera_spec("http://cam@127.0.0.1:8080/video", args, environ={})
    from payer_app.scan.network_source import NetworkCameraSource

    source = NetworkCameraSource(spec)
    assert source.username == "cam" and source.password == "p@ss:w/rd"
    assert source.spec == "http://***@127.0.0.1:8080/video"
