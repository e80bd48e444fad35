"""End to end: the face check in the real window on Xvfb under openbox, driven with xdotool. A video
of a VietQR to a person's account is scanned, 12,000,000 ₫ typed: Review's Enter leads to the face
check, *Mô phỏng thất bại* keeps the payment there, *Mô phỏng thành công* leads to the PIN, and the
signed request that comes out says ``auth: biometric``; then 5,000,000 ₫ (17,000,000 ₫ in the day)
goes straight to the PIN. Every step waits on the launcher's reports (tests/e2e/), never on the clock."""

from __future__ import annotations

from payer_app.core.builder import vietqr_payload
from payer_app.core.signing import verify_request
from payer_app.payments.keystore import KeyStore
from tests.e2e.marks import X_SCREEN
from tests.e2e.window import PAY_TIMEOUT_S, RunningWindow, check_shot, pay_from_payee, scan_to_payee
from tests.gui_helpers import scan_video

pytestmark = X_SCREEN

SHOP = vietqr_payload("970416", "257678859")  # static: the amount is typed; not one of EVN's payees


def test_the_face_check_in_the_real_window(x_server, tmp_path, payer_home):
    display = x_server(1280, 720)
    video = scan_video(tmp_path / "shop.avi", SHOP, frames=48)
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", str(video), "--lang", "vi")
    try:
        assert app.wait_shown()["screen"] == "home"
        scan_to_payee(app)
        app.key("Return")
        app.wait_for_screen("amount")
        app.type("12000000")
        app.key("Return")
        app.wait_for_screen("review")
        app.key("Return")
        face = app.wait_for_screen("face_check")
        assert {"simulate_pass", "simulate_fail", "cancel", "back"} <= set(face["targets"]), face
        app.shot("face-check")
        app.click("simulate_fail")  # stays on the face check (tests/test_gui_face_check.py reads its message)
        app.click("simulate_pass")
        app.wait_for_screen("pin")
        app.type("123456")
        paid = app.wait("payment", PAY_TIMEOUT_S)
        assert paid["payment"] == "approved", paid
        checked = verify_request(paid["jws"], KeyStore(payer_home))
        assert checked.ok and checked.request.auth == "biometric" and checked.request.amount == 12_000_000
        app.wait_for_screen("result")
        app.click("new")
        app.wait_for_screen("home")
        scan_to_payee(app)
        paid = pay_from_payee(app, "5000000")  # Review -> PIN directly: 17,000,000 in the day
        assert paid["payment"] == "approved", paid
        assert verify_request(paid["jws"], KeyStore(payer_home)).request.auth == "pin"
    finally:
        app.close()
    check_shot(shots / "face-check.png")
