"""End to end: the real payer window on a real X server (Xvfb) under a real window manager (openbox),
driven with real mouse and keyboard events (xdotool), as a person would.

The window is ``payer-app gui --verbose`` started by a small launcher in tests/e2e/ that only reports
what is on screen (where the buttons are) and takes screenshots on request; the product holds no
test hook. Every step waits on an event: the product's own log lines (``window shown after``,
``screen <name>``), the launcher's reports, ``xdotool search --sync``; never on the clock.
The walk: scan a video of an EVN bill, the inspector, Back and Cancel from every step, an amount and
a note typed on the keyboard, the PIN, the receipt and the signed request as a QR, history,
settings, English + dark through the Settings screen, a dynamic QR over the limit picked through
Qt's (Vietnamese) file dialog and refused on the payee screen before any PIN; then the kiosk on a
1920x1080 screen: the phone scaled up and centred, the idle warning and its reset; then a payment
left pending while the acquirer is away, re-sent from History. The signed requests that come out
are verified with the payer's public key. With PAYER_APP_UPDATE_SCREENSHOTS=1 (`make screenshots`)
the pictures are copied to docs/screenshots/.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from payer_app.core.amounts import format_vnd
from payer_app.core.builder import vietqr_payload
from payer_app.core.operator_pin import hash_pin
from payer_app.core.signing import verify_request
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.keystore import KeyStore
from tests.e2e.marks import X_SCREEN
from tests.e2e.window import PAY_TIMEOUT_S, RunningWindow, check_shot, pay_from_payee, publish, scan_to_payee
from tests.gui_helpers import tr
from tests.media import write_qr_png

EXPECTED_SHOTS = ["01-home", "02-scan", "03-payee", "04-inspector", "05-amount", "06-review", "07-pin",
                  "08-result", "09-request-qr", "10-history", "11-settings", "12-home-en-dark", "13-payee-refused",
                  "14-file-dialog-vi"]
KIOSK_SHOTS = ["15-kiosk-1920x1080", "16-kiosk-idle-warning"]
PENDING_SHOTS = ["17-enrol-key", "18-result-pending", "19-history-retried"]
ENROL_CODE = "ENROL-E2E-5831-0001"  # at least 16 characters, as acquirer serve requires

pytestmark = X_SCREEN


def bill_video(path: Path, frames: int = 60, fps: float = 15.0) -> str:
    """A 1280x720 video of a printed EVN bill on a desk, drifting a little; returns its QR payload."""
    from payer_app.scan.demo_camera import demo_bill, find_qr

    bill, payload = demo_bill()
    bill = cv2.cvtColor(np.array(bill.convert("RGB")), cv2.COLOR_RGB2BGR)
    cx, cy, side = find_qr(cv2.cvtColor(bill, cv2.COLOR_BGR2GRAY))
    scale = 330 / side  # the payer holds the phone so the code fills the scan window
    bill = cv2.resize(bill, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    bh, bw = bill.shape[:2]
    cx, cy = cx * scale, cy * scale
    cv2.setRNGSeed(4)
    noise = np.empty((720, 1280, 3), np.int16)  # sensor noise, drawn by OpenCV (a third of numpy's float64 cost)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (1280, 720))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for i in range(frames):
        desk = np.zeros((720, 1280, 3), dtype=np.uint8)
        desk[:] = (92, 112, 128)
        x = int(640 - cx + 10 * np.sin(i / 6))
        y = int(360 - cy + 6 * np.cos(i / 5))
        sx0, sy0 = max(0, -x), max(0, -y)
        dx0, dy0 = max(0, x), max(0, y)
        w = min(bw - sx0, 1280 - dx0)
        h = min(bh - sy0, 720 - dy0)
        desk[dy0:dy0 + h, dx0:dx0 + w] = bill[sy0:sy0 + h, sx0:sx0 + w]
        cv2.randn(noise, (0, 0, 0), (4, 4, 4))  # each channel its own
        writer.write(cv2.add(desk, noise, dtype=cv2.CV_8U))  # saturated to 0..255
    writer.release()
    return payload


# --- the walk through the window, step by step ------------------------------------------------
def inspector_and_back_without_bounce(app: RunningWindow) -> None:
    """Scan -> Payee; the inspector and back; Back from the payee does not bounce back to it: the
    camera confirms the same code again on Scan, and Scan holds it (it is still in view)."""
    scan_to_payee(app)
    app.wait("registered", PAY_TIMEOUT_S)  # the payee's registered name shown, not "looking it up"
    app.shot("03-payee")
    app.click("inspector")
    app.wait_for_screen("inspector")
    app.shot("04-inspector")
    app.key("Escape")
    app.wait_for_screen("payee")
    app.forget("accepted")  # the scan that led here
    app.click("back")
    app.wait_for_screen("scan")
    held = app.wait("accepted", PAY_TIMEOUT_S)
    assert (held["accepted"], held["scanning"]) == ("scan", True), held  # still scanning, still on Scan
    assert held["hint"] != tr("scan.hint_found"), held
    app.where()
    app.click("cancel")
    app.wait_for_screen("home")


def forward_to(app: RunningWindow, step: str) -> None:
    """From the payee screen on to ``step`` with the keyboard (Enter = Continue / Confirm)."""
    steps = ["payee", "amount", "review", "pin"]
    for screen in steps[1:steps.index(step) + 1]:
        if screen == "review":
            app.type("50000")  # typed on Amount
        app.key("Return")
        app.wait_for_screen(screen)


def cancel_from_every_step(app: RunningWindow) -> None:
    """Cancel (Hủy) from every step of a payment returns Home."""
    for step in ("payee", "amount", "review", "pin"):
        scan_to_payee(app)
        forward_to(app, step)
        app.click("cancel")
        app.wait_for_screen("home")


def amount_and_note_with_back(app: RunningWindow) -> None:
    """Payee -> Amount (amount and note typed) -> Review, with Back (Escape and ‹) on the way."""
    scan_to_payee(app)
    app.key("Return")
    app.wait_for_screen("amount")
    app.type("1234567")
    app.key("Tab")
    app.type("Tien dien thang 11")
    app.shot("05-amount")
    app.key("Escape")
    app.wait_for_screen("payee")
    app.key("Return")
    app.wait_for_screen("amount")
    app.key("Return")
    app.wait_for_screen("review")
    app.shot("06-review")
    app.click("back")
    app.wait_for_screen("amount")
    app.key("Return")
    app.wait_for_screen("review")


def pin_with_back_and_pay(app: RunningWindow) -> dict:
    """Review -> PIN (Escape back to Review once) -> paid: the receipt."""
    app.key("Return")
    app.wait_for_screen("pin")
    app.type("123")
    app.shot("07-pin")
    app.key("Escape")
    app.wait_for_screen("review")
    app.key("Return")
    app.wait_for_screen("pin")
    app.type("123456")
    paid = app.wait("payment", PAY_TIMEOUT_S)
    assert paid["payment"] == "approved", paid
    app.wait_for_screen("result")
    app.shot("08-result")
    return paid


def check_signed_request(paid: dict, payer_home: Path, payload: str) -> None:
    request = verify_request(paid["jws"], KeyStore(payer_home))
    assert request.ok, request.message
    assert request.request.qr_payload == payload
    assert request.request.amount == 1_234_567 and request.request.currency == "VND"
    assert request.request.note == "Tien dien thang 11"


def request_qr_then_new_payment(app: RunningWindow) -> None:
    """The signed request as a QR in its own dialog (focused by openbox), closed with Escape."""
    app.click("more")  # the signed request's actions are behind "Thêm"
    app.wait("more")
    app.where()
    app.forget("focus")
    app.click("show_qr")
    app.wait("focus", main=False)
    app.shot("09-request-qr")
    app.key("Escape")  # closes the QR dialog: the keyboard is back with the window
    app.wait("focus", main=True)
    app.where()
    app.click("new")
    app.wait_for_screen("home")


def history_and_settings(app: RunningWindow) -> None:
    app.click("history")
    history = app.wait_for_screen("history")
    assert history["history"] == ["approved"]
    app.shot("10-history")
    app.key("Escape")
    app.wait_for_screen("home")
    app.click("settings")
    app.wait_for_screen("settings")
    app.shot("11-settings")
    app.key("Escape")
    app.wait_for_screen("home")


def over_the_limit_refused(app: RunningWindow, picture: Path) -> None:
    """A dynamic QR over the limit, picked through Qt's file dialog (in Vietnamese), is refused on
    the payee screen: Enter there scans again, no way leads to the amount or the PIN."""
    app.forget("focus")
    app.click("pick")
    app.wait("focus", main=False)  # the file dialog has the keyboard
    app.shot("14-file-dialog-vi")
    app.type(str(picture))
    app.key("Return")
    refused = app.wait_for_screen("payee")
    assert refused["payee_error"] == tr("problem.above-maximum", amount=format_vnd(600_000_000),
                                        max=format_vnd(499_999_999))
    assert "continue" not in refused["targets"] and "rescan" in refused["targets"]
    app.shot("13-payee-refused")
    app.click("back")  # Back after a picked image: where it was picked
    app.wait_for_screen("home")


def english_and_dark(app: RunningWindow, payer_home: Path) -> None:
    """English and dark, chosen with the keyboard on the Settings screen, are saved (Enter in a
    drop-down only picks, tests/test_gui_settings.py: Save is clicked)."""
    app.click("settings")
    app.wait_for_screen("settings")
    app.key("Down", "Tab", "Down")
    app.where()
    app.click("save")
    app.wait_for_screen("home")
    app.shot("12-home-en-dark")
    saved = json.loads((payer_home / "settings.json").read_text(encoding="utf-8"))
    assert (saved["language"], saved["theme"], saved["camera"]) == ("en", "dark", "demo")


def test_real_window_real_input_pay_back_cancel_and_refuse_over_the_limit(x_server, tmp_path, payer_home):
    display = x_server(1280, 1024)
    video = tmp_path / "bill-scan.avi"
    payload = bill_video(video)
    over_limit = write_qr_png(tmp_path / "over-limit.png", vietqr_payload(
        "970436", "0011001234567", amount=600_000_000, merchant_name="CONG TY AN PHAT", purpose="Hop dong 7"))
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", str(video), "--lang", "vi")
    try:
        assert app.wait_shown()["screen"] == "home"
        app.shot("01-home")
        inspector_and_back_without_bounce(app)
        cancel_from_every_step(app)
        amount_and_note_with_back(app)
        paid = pin_with_back_and_pay(app)
        check_signed_request(paid, payer_home, payload)
        request_qr_then_new_payment(app)
        history_and_settings(app)
        over_the_limit_refused(app, over_limit)
        english_and_dark(app, payer_home)
    finally:
        app.close()

    for name in EXPECTED_SHOTS:
        check_shot(shots / f"{name}.png")
    publish(shots, EXPECTED_SHOTS)


def test_kiosk_on_a_big_screen_warns_before_the_idle_reset(x_server, tmp_path, payer_home):
    display = x_server(1920, 1080)
    save_settings(Settings(kiosk_idle_seconds=5, kiosk_warning_seconds=3, operator_pin_hash=hash_pin("135790")),
                  payer_home / "settings.json")  # the operator's PIN, stored as the settings command stores it
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi", "--kiosk")
    try:
        app.wait_shown()
        app.wait("window_size", window_size=[1920, 1080])  # full screen, as openbox gave it
        home = app.where()
        x, _ = home["targets"]["scan"]
        assert abs(x - 960) < 20  # the phone is centred on the big screen
        assert "pick" not in home["targets"]  # no file dialogs at a booth
        app.shot("15-kiosk-1920x1080")
        scan_to_payee(app)
        warning = app.wait("idle", PAY_TIMEOUT_S, idle="warning")
        assert warning["countdown"] == tr("kiosk.idle_countdown", seconds=3)
        app.shot("16-kiosk-idle-warning")
        app.wait_for_screen("home")
        # Settings need the operator PIN
        app.key("ctrl+alt+s")
        app.wait_for_screen("pin")
        app.type("135790")
        app.wait_for_screen("settings")
    finally:
        app.close()
    for name in KIOSK_SHOTS:
        check_shot(shots / f"{name}.png")
    image = cv2.imread(str(shots / "15-kiosk-1920x1080.png"))
    assert image.shape[:2] == (1080, 1920)
    publish(shots, KIOSK_SHOTS)


def enrol_from_settings(app: RunningWindow, code: str) -> None:
    """A one-time code for the payer's account typed on the Settings screen; Enrol key."""
    app.click("settings")
    app.wait_for_screen("settings")
    app.click("enrol_code")
    app.type(code)
    app.where()
    app.click("enrol")
    enrolled = app.wait("enrol")
    assert "đã được đăng ký" in enrolled["enrol"], enrolled  # the acquirer's answer, as the service words it
    app.shot("17-enrol-key")
    app.key("Escape")
    app.wait_for_screen("home")


def retry_from_history(app: RunningWindow) -> None:
    app.click("history")
    listed = app.wait_for_screen("history")
    assert listed["history"] == ["pending"] and "retry" in listed["targets"]
    app.click("retry")
    retried = app.wait("retried", PAY_TIMEOUT_S)
    assert retried["history"] == ["approved"], retried
    assert retried["retried"] == tr("history.retried", count=1, approved=1)
    app.shot("19-history-retried")


def test_a_pending_payment_is_retried_from_history(x_server, tmp_path, payer_home):
    """The key enrolled from Settings with a one-time code the operator issued for the payer's account
    (typed), the acquirer goes away, the payment stays pending; the acquirer comes back and History
    re-sends it there: approved."""
    from payer_app.payments.acquirer.activation import issue_code
    from payer_app.payments.acquirer.endpoints import create_app
    from payer_app.payments.acquirer.server import AcquirerServer

    display = x_server(1280, 1024)
    ledger = tmp_path / "acquirer.sqlite3"
    server = AcquirerServer(create_app(ledger, enrol_code=ENROL_CODE)).start()
    port = server.port
    save_settings(Settings(acquirer_url=server.url), payer_home / "settings.json")
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi")
    try:
        app.wait_shown()
        enrol_from_settings(app, issue_code(ledger, "970436", "0011001234567")[0])
        server.stop()  # the acquirer goes away
        scan_to_payee(app)
        paid = pay_from_payee(app, "275000")
        assert paid["payment"] == "pending", paid
        app.shot("18-result-pending")
        app.click("new")
        app.wait_for_screen("home")
        server = AcquirerServer(create_app(ledger, enrol_code=ENROL_CODE), port=port).start()  # back
        retry_from_history(app)
    finally:
        app.close()
        server.stop()
    verification = verify_request(paid["jws"], KeyStore(payer_home))
    assert verification.ok, verification.message
    for name in PENDING_SHOTS:
        check_shot(shots / f"{name}.png")
    publish(shots, PENDING_SHOTS)
