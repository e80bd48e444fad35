"""End to end, on a real X server (Xvfb) under openbox, with real keys (xdotool): the window fits a
1280x720 screen at 100 % and 150 % scaling (every screen's primary button lies inside the screen,
screenshots of each), and a kiosk no visitor can leave: Alt+F4 is refused and a window or dialog
minimised through the window manager comes back. Every step waits on the product's own log lines
and the launcher's reports (tests/e2e/window.py), never on the clock."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from payer_app.gui.settings import Settings, save_settings
from tests.e2e.window import PAY_TIMEOUT_S, STEP_TIMEOUT_S, RunningWindow, check_shot, pay_from_payee
from tests.e2e.xserver import missing_tools

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_tools()) and os.environ.get("CI") != "true",
                       reason="Xvfb, openbox or xdotool is not installed (scripts/ensure_system_packages.sh)"),
]

SCREEN = (1280, 720)
CLOSE_REFUSED = re.compile(r"payer_app\.gui\.kiosk: kiosk: the window manager's close is refused")
SHOWN_AGAIN = re.compile(r"payer_app\.gui\.kiosk: kiosk: (the window|a dialog) was minimised, shown again")


def inside_the_screen(app: RunningWindow, target: str, scale: float) -> None:
    """The button ``target`` of the screen shown now lies inside the X screen (Qt reports logical
    pixels: times the scale, they are the screen's)."""
    where = app.where()
    assert target in where["targets"], f"{target} is not shown on {where['screen']}: {sorted(where['targets'])}"
    x, y = (v * scale for v in where["targets"][target])
    assert 0 <= x < SCREEN[0] and 0 <= y < SCREEN[1], f"{target} of {where['screen']} at {x:.0f},{y:.0f}"


@pytest.mark.parametrize("scale", [1.0, 1.5], ids=["100", "150"])
def test_every_primary_button_is_on_a_1280x720_screen(x_server, tmp_path, payer_home, monkeypatch, scale):
    monkeypatch.setenv("QT_SCALE_FACTOR", str(scale))
    display = x_server(*SCREEN)
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi")
    names = []
    try:
        app.wait_shown()
        inside_the_screen(app, "scan", scale)
        names.append(app.shot(f"fit-{int(scale * 100)}-home"))
        app.key("Return")  # Enter presses Home's default button: Scan
        app.wait_for_screen("payee", PAY_TIMEOUT_S)
        inside_the_screen(app, "continue", scale)
        names.append(app.shot(f"fit-{int(scale * 100)}-payee"))
        paid = pay_from_payee(app, "120000")
        assert paid["payment"] == "approved"
        inside_the_screen(app, "new", scale)
        assert app.where()["outcome_whole"] == ["icon", "title", "amount"], "the outcome is cut"
        names.append(app.shot(f"fit-{int(scale * 100)}-result"))
    finally:
        app.close()
    for path in names:
        check_shot(path)


def test_alt_f4_and_minimise_leave_the_kiosk_on_screen(x_server, tmp_path, payer_home):
    display = x_server(*SCREEN)
    save_settings(Settings(kiosk_result_seconds=600, kiosk_idle_seconds=600), payer_home / "settings.json")
    app = RunningWindow(display, payer_home, tmp_path / "shots", "--camera", "demo", "--lang", "vi", "--kiosk")
    try:
        app.wait_shown()
        app.wait("window_size", window_size=list(SCREEN))
        app.key("alt+F4")
        app.wait_log(CLOSE_REFUSED, STEP_TIMEOUT_S, "the refused close")
        assert app.where()["screen"] == "home" and app.proc.poll() is None
        app.xdotool("windowminimize", "--sync", app.window_ids[0])
        app.wait_log(SHOWN_AGAIN, STEP_TIMEOUT_S, "the window shown again")
        shown = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--pid", str(app.proc.pid)],
                               env=app.env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
        assert shown.stdout.split(), "the kiosk is not on screen after the minimise"
        app.key("Return")
        app.wait_for_screen("payee", PAY_TIMEOUT_S)
        pay_from_payee(app, "120000")
        app.where()
        app.forget("focus")
        app.click("receipt")  # no printer: the receipt QR, the one dialog a visitor can open
        app.wait("focus", main=False)  # the QR dialog has the keyboard
        app.xdotool("getactivewindow", "windowminimize")
        app.wait_log(SHOWN_AGAIN, STEP_TIMEOUT_S, "the dialog shown again")
        app.wait("focus", main=False)  # the dialog is back in front, with the keyboard
    finally:
        app.close()
