"""``payer-app gui`` command line: registered as the default command, bad sources refused before a
window opens, ``--verbose`` logging the window's events to stderr (what bench/gui_startup_bench.py
reads), and SIGTERM closing the window cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from payer_app.cli import build_parser, gui_cmd, main
from tests.process_lines import (
    LINE_TIMEOUT_S,
    SHOWN,
    killed_if_left_running,
    stderr_lines,
    stop_with_sigterm,
    wait_for_line,
)

ROOT = Path(__file__).resolve().parents[1]


def test_gui_is_registered_with_its_options():
    parser, commands = build_parser()
    assert "gui" in commands
    args = parser.parse_args(["gui", "--camera", "demo", "--kiosk", "--lang", "en", "--verbose"])
    assert (args.camera, args.kiosk, args.lang, args.verbose) == ("demo", True, "en", True)


def test_no_arguments_is_the_gui_command(monkeypatch):
    called = []
    monkeypatch.setattr(gui_cmd, "run", lambda args: called.append(args) or 0)
    assert main([]) == 0
    assert called and called[0].command == "gui" and called[0].camera is None and not called[0].verbose


def test_bad_camera_source_exits_2_with_the_reason(capsys):
    assert main(["gui", "--camera", "/no/such/video.avi"]) == 2
    out, err = capsys.readouterr()
    assert "/no/such/video.avi" in err and "no such file" in err and out == ""


def test_bad_language_is_a_usage_error(capsys):
    try:
        main(["gui", "--lang", "fr"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("argparse accepted --lang fr")
    assert "invalid choice" in capsys.readouterr().err


def test_verbose_window_logs_when_shown_and_sigterm_closes_it_cleanly(payer_home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "gui", "--verbose", "--camera", "demo"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        lines = stderr_lines(proc)
        shown = wait_for_line(lines, SHOWN, seen)
        assert int(shown.group(1)) > 0
        proc.send_signal(signal.SIGTERM)
        wait_for_line(lines, re.compile(r"^payer_app\.gui\.app: closing the window"), seen)
        assert proc.wait(timeout=LINE_TIMEOUT_S) == 0, seen[-40:]  # closed by the app, not killed (-15)
        seen += iter(lambda: lines.get(timeout=LINE_TIMEOUT_S), None)  # the rest, up to the end of stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout.read() == ""
    assert not any("Traceback" in line for line in seen)
    assert sum(1 for line in seen if SHOWN.match(line)) == 1  # once, not at every paint


def test_gui_with_an_acquirer_and_its_code_enrols_the_key_at_start(payer_home, tmp_path):
    from payer_app.payments.keystore import KeyStore
    from tests.acquirer_helpers import CODE, start_server

    server = start_server(tmp_path / "ledger.sqlite3")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "gui", "--verbose", "--camera", "demo", "--kiosk",
                             "--acquirer", server.url, "--enrol-code", CODE],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        with killed_if_left_running(proc):
            lines = stderr_lines(proc)
            wait_for_line(lines, re.compile(rf"^payer_app\.gui\.startup_enrolment: key \S+ enrolled at {server.url}$"),
                          seen)
            kid = KeyStore(payer_home).current().kid
            assert server.server.config.app.state.acquirer.key_status(kid).body["status"] == "active"
            stop_with_sigterm(proc, lines, seen)
    finally:
        server.stop()
    assert not (payer_home / "settings.json").exists()  # the URL was for this run only, not saved


def test_gui_enrol_code_needs_an_acquirer(capsys):
    assert main(["gui", "--enrol-code", "ABCD-EFGH-JKLM-NPQR"]) == 2
    assert "--enrol-code goes with --acquirer" in capsys.readouterr().err
    assert main(["gui", "--acquirer", "ftp://x", "--enrol-code", "ABCD-EFGH-JKLM-NPQR"]) == 2
