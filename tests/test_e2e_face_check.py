"""End to end: the face check in the real window on Xvfb under openbox, driven with xdotool. The camera
is a video file: a VietQR to a person's account held up, then a person's face (tests/face_pictures.py).
The QR is scanned, 12,000,000 ₫ typed: Review's Enter leads to the face check, which watches the same
video from its start with the real detector: the QR frames show no face, the face frames do, and the
check passes on its own (no simulate pair with a camera); the signed request that comes out says
``auth: biometric``; then 5,000,000 ₫ (17,000,000 ₫ in the day) goes straight to the PIN. Every step
waits on the launcher's reports (tests/e2e/), never on the clock. The simulate pair of the demo camera
is tests/test_gui_face_check.py's."""

from __future__ import annotations

from payer_app.core.builder import vietqr_payload
from payer_app.core.signing import verify_request
from payer_app.payments.keystore import KeyStore
from tests.e2e.marks import X_SCREEN
from tests.e2e.window import PAY_TIMEOUT_S, RunningWindow, check_shot, pay_from_payee, scan_to_payee
from tests.face_pictures import face_frame
from tests.gui_helpers import qr_frame
from tests.media import empty_frame, write_video

pytestmark = X_SCREEN

SHOP = vietqr_payload("970416", "257678859")  # static: the amount is typed; not one of EVN's payees


def test_the_face_check_in_the_real_window(x_server, tmp_path, payer_home):
    display = x_server(1280, 720)
    aiming = [empty_frame(640, 480, seed=i) for i in range(4)]
    shop = [qr_frame(SHOP, offset=(i % 3, 0)) for i in range(3)]
    face = [face_frame(at=(116 + i % 3, 40)) for i in range(3)]
    video = write_video(tmp_path / "shop_then_face.avi",
                        aiming + [shop[i % 3] for i in range(16)] + [face[i % 3] for i in range(48)], fps=12)
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
        assert {"cancel", "back"} <= set(face["targets"]), face
        assert not {"simulate_pass", "simulate_fail"} & set(face["targets"]), face  # a camera: the real check
        app.shot("face-check")
        app.wait_for_screen("pin", PAY_TIMEOUT_S)  # the face seen in 5 frames in a row
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
