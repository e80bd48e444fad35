"""The face check in the real window (pytest-qt, offscreen): between Review and the PIN when the
payment is above the authentication thresholds (core/auth_policy.py), with the labelled simulate
pair; Back, Cancel and the kiosk's idle reset work there; the signed request says ``auth``."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.request import read_signed
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, fire, pay, screenshot_at_scale, to_review, tr

SHOP = vietqr_payload("970416", "257678859")  # a person's account: not a trusted payee
EVN = evn_bill_payload("PD01000123456")


def _paid_with(qtbot, window):
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome is not None and outcome.status == "approved", window.result.title.text()
    return read_signed(outcome.jws).auth


def test_12_million_asks_for_the_face_check_and_signs_biometric(qtbot, window):
    to_review(qtbot, window, SHOP, 12_000_000)
    click(qtbot, window.review.confirm_button)
    face = window.face_check
    assert window.current == "face_check"
    assert face.simulate_pass.text() == "Mô phỏng thành công" and face.simulate_fail.text() == "Mô phỏng thất bại"
    assert face.why.text() == tr("face.why_one", total="12.000.000 ₫", limit="10.000.000 ₫")
    assert "2345/QĐ-NHNN" in face.rule.text()
    click(qtbot, face.simulate_fail)
    assert window.current == "face_check" and face.message.text() == tr("face.failed")
    assert face.message.isVisibleTo(window)
    click(qtbot, face.simulate_pass)
    assert window.current == "pin"
    assert _paid_with(qtbot, window) == "biometric"


def test_9_million_goes_to_the_pin_and_the_third_of_the_day_asks(qtbot, window):
    for _ in range(2):
        outcome = pay(qtbot, window, SHOP, 9_000_000)  # straight from Review to the PIN
        assert outcome is not None and outcome.status == "approved"
        assert read_signed(outcome.jws).auth == "pin"
        window.new_payment()
    to_review(qtbot, window, SHOP, 9_000_000)
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check"
    assert window.face_check.why.text() == tr("face.why_day", day_total="27.000.000 ₫", limit="20.000.000 ₫")


def test_an_evn_bill_of_12_million_needs_no_face_check(qtbot, window):
    to_review(qtbot, window, EVN, 12_000_000)
    click(qtbot, window.review.confirm_button)
    assert window.current == "pin"
    assert _paid_with(qtbot, window) == "pin"


def test_back_cancel_and_both_languages(qtbot, window):
    to_review(qtbot, window, SHOP, 12_000_000)
    click(qtbot, window.review.confirm_button)
    click(qtbot, window.face_check.simulate_pass)
    assert window.current == "pin"
    window.back()
    assert window.current == "face_check"
    window.back()
    assert window.current == "review"
    # a face check passed before going back is not kept: Confirm asks again
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check" and window.ctx.flow.choice.auth == "pin"
    window.set_language("en")
    face = window.face_check
    assert face.simulate_pass.text() == "Simulate success" and face.simulate_fail.text() == "Simulate failure"
    assert face.why.text() == tr("face.why_one", "en", total="12.000.000 ₫", limit="10.000.000 ₫")
    click(qtbot, face.cancel_button)
    assert window.current == "home" and window.ctx.flow.parsed is None


def test_the_kiosk_idle_reset_applies_on_the_face_check(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=5, kiosk_warning_seconds=1)
    to_review(qtbot, window, SHOP, 12_000_000)
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check"
    fire(window.kiosk.idle_timer)
    assert window.kiosk.idle_warning.isVisible() and window.current == "face_check"
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home" and window.ctx.flow.parsed is None


def test_the_face_check_at_1280x720_with_the_demo_camera(qtbot, make_window, tmp_path):
    """The screen as docs/payments.md shows it: with PAYER_APP_UPDATE_SCREENSHOTS=1 the picture is
    copied to docs/screenshots/face_check.png (face_check_15x.png with QT_SCALE_FACTOR=1.5)."""
    window = make_window(camera="demo", kiosk=False, lang="vi")
    window.resize(1280, 720)
    to_review(qtbot, window, SHOP, 12_000_000)
    click(qtbot, window.review.confirm_button)
    face = window.face_check
    assert window.current == "face_check"
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    for widget in (face.why, face.rule, face.note, face.simulate_pass, face.simulate_fail, face.cancel_button):
        assert widget.isVisibleTo(window) and not widget.visibleRegion().isEmpty(), widget.objectName()
    screenshot_at_scale(window, tmp_path, "face_check")
