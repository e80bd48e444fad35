"""End to end: the registered account name on the Payee screen of the real window (Xvfb, openbox,
xdotool), reached by real clicks. The camera films a VietQR whose field 59 says an EVN collection
name while the account is registered to someone else; the Payee screen shows *Tên chủ tài khoản*
and the mismatch warning, and the payer may still go on (a real click on Continue reaches Amount).
Every step waits on the window's log lines and the launcher's reports (tests/e2e/launch_window.py)."""

from __future__ import annotations

import os

import pytest

from payer_app.core.builder import vietqr_payload
from tests.e2e.window import PAY_TIMEOUT_S, RunningWindow, check_shot, scan_to_payee
from tests.e2e.xserver import missing_tools
from tests.gui_helpers import scan_video, tr

pytestmark = [
    pytest.mark.xserver,
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_tools()) and os.environ.get("CI") != "true",
                       reason="Xvfb, openbox or xdotool is not installed (scripts/ensure_system_packages.sh)"),
]

QR_NAME = "EVN HA NOI THU TIEN DIEN"
REGISTERED = "NGUYEN VAN A"  # 970436/0011001234567 in resources/registered_names.csv


def test_real_clicks_reach_payee_and_see_the_registered_name_and_the_mismatch(x_server, tmp_path, payer_home):
    display = x_server(1280, 1024)
    video = scan_video(tmp_path / "pasted-over.avi", vietqr_payload(
        "970436", "0011001234567", amount=1_500_000, purpose="TT tien dien T11", merchant_name=QR_NAME),
        frames=36)
    app = RunningWindow(display, payer_home, tmp_path / "shots", "--camera", str(video), "--lang", "vi")
    try:
        assert app.wait_shown()["screen"] == "home"
        payee = scan_to_payee(app)
        answer = app.wait("registered", PAY_TIMEOUT_S)
        assert answer["registered"] == "mismatch" and answer["registered_name"] == REGISTERED
        assert answer["registered_note"] == tr("registered.mismatch", qr=QR_NAME, registered=REGISTERED)
        payee = app.where()
        assert payee["screen"] == "payee" and "continue" in payee["targets"]
        shot = app.shot("payee-registered-name-e2e")
        app.click("continue")
        app.wait_for_screen("amount")
    finally:
        app.close()
    check_shot(shot)
