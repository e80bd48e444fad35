"""`payer-app booth` without a real screen: where its windows go (one screen, two screens), the
Chromium it would start, `--print-url` with the window on Qt's offscreen platform, and SIGTERM
stopping the window and the acquirer (its port closed afterwards). The whole booth with Chromium
and real input: tests/test_e2e_booth_command.py."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from payer_app.booth import Placement, chromium_command, placement
from tests.acquirer_helpers import http_get
from tests.e2e.acquirer import free_port
from tests.process_lines import killed_if_left_running, stderr_lines, stop_with_sigterm, wait_for_line

ROOT = Path(__file__).resolve().parents[1]


def test_one_screen_is_shared_left_and_right():
    assert placement([(0, 0, 1600, 900)]) == Placement((0, 0, 800, 900), (800, 0, 800, 900), False)


def test_a_second_screen_gets_the_display_full_screen():
    screens = [(0, 0, 1366, 768), (1366, 0, 1920, 1080)]
    assert placement(screens) == Placement(None, (1366, 0, 1920, 1080), True)


def test_chromium_shows_only_the_display_where_it_was_placed(tmp_path):
    side = chromium_command("chromium", "http://127.0.0.1:8765/display", placement([(0, 0, 1600, 900)]),
                            tmp_path, ["--force-device-scale-factor=1.5"])
    assert side[0] == "chromium" and side[1] == "--force-device-scale-factor=1.5"
    assert side[-1] == "--app=http://127.0.0.1:8765/display" and "--kiosk" not in side
    assert "--window-position=800,0" in side and "--window-size=800,900" in side
    assert f"--user-data-dir={tmp_path}" in side and "--autoplay-policy=no-user-gesture-required" in side
    second = chromium_command("chromium", "http://127.0.0.1:8765/display",
                              placement([(0, 0, 1366, 768), (1366, 0, 1920, 1080)]), tmp_path, [])
    assert second[-2:] == ["--kiosk", "http://127.0.0.1:8765/display"] and "--window-position=1366,0" in second


def test_print_url_then_sigterm_stops_the_window_and_the_acquirer(payer_home):
    port = free_port()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "booth", "--print-url", "--port", str(port),
                             "--camera", "demo", "--verbose"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    with killed_if_left_running(proc):
        url = proc.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}/display", url
        lines = stderr_lines(proc)
        wait_for_line(lines, re.compile(r"^payer_app\.gui\.startup_enrolment: key \S+ enrolled at "), seen)
        assert http_get(url, timeout=10).status_code == 200
        stop_with_sigterm(proc, lines, seen)
    assert "Booth stopped: window, display browser and acquirer." in seen, seen[-10:]
    assert not any("Traceback" in line for line in seen)
    with socket.socket() as probe:  # the acquirer's port is free again: nothing serves there
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_booth_needs_chromium_unless_it_prints_the_url(payer_home, monkeypatch, capsys):
    from payer_app.cli import main

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("PATH", str(payer_home / "no-such-folder"))
    assert main(["booth"]) == 2
    err = capsys.readouterr().err
    assert "Chromium is not installed" in err and "--print-url" in err and err.count("\n") == 1
