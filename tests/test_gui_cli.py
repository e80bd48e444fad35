"""``payer-app gui`` command line: registered as the default command, bad sources refused before a
window opens, and the window-open report used by bench/gui_startup_bench.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from payer_app.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_gui_is_registered_with_its_options():
    parser, commands = build_parser()
    assert "gui" in commands
    args = parser.parse_args(["gui", "--camera", "demo", "--kiosk", "--lang", "en"])
    assert (args.camera, args.kiosk, args.lang) == ("demo", True, "en")


def test_bad_camera_source_exits_2_with_the_reason(capsys):
    assert main(["gui", "--camera", "/no/such/video.avi"]) == 2
    err = capsys.readouterr().err
    assert "/no/such/video.avi" in err and "no such file" in err


def test_bad_language_is_a_usage_error(capsys):
    try:
        main(["gui", "--lang", "fr"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("argparse accepted --lang fr")
    assert "invalid choice" in capsys.readouterr().err


def test_no_arguments_opens_the_window_and_reports_its_startup_time(payer_home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_STARTUP_REPORT="exit",
               PAYER_APP_HOME=str(payer_home))
    proc = subprocess.run([sys.executable, "-m", "payer_app"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("window-shown-ms"))
    assert float(line.split()[1]) > 0
