"""A kiosk no visitor can leave or inherit: a minimised kiosk comes back full screen, a dialog left
open still times out (and closes), Settings left open time out, and the next visitor's paste gets
nothing from the previous visitor. Real kiosk window (offscreen), real payments, real clipboard.
Alt+F4 and the window manager's own minimise are tested under Xvfb + openbox: tests/test_e2e_kiosk.py."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import evn_bill_payload
from payer_app.core.operator_pin import hash_pin
from tests.gui_helpers import click, fire, pay_typing_the_pin, to_review

EVN_CODE = "PE09000123456"
OPERATOR_PIN = "135790"


def test_a_minimised_kiosk_comes_back_full_screen(qtbot, kiosk):
    window = kiosk()
    assert window.isFullScreen()
    window.showMinimized()
    qtbot.waitUntil(lambda: window.isFullScreen() and not window.isMinimized(), timeout=10_000)


def test_a_dialog_left_open_times_out_and_the_kiosk_resets(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=20, kiosk_warning_seconds=1, kiosk_result_seconds=60)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.qr_button)
    dialog = window.result.dialog
    assert dialog.isVisible()
    fire(window.kiosk.idle_timer)  # nobody touched anything for kiosk_idle_seconds, dialog or not
    assert not dialog.isVisible()  # the dialog closes so the warning is seen
    assert window.kiosk.idle_warning.isVisible()
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home"


def test_a_touch_in_a_dialog_restarts_the_idle_time(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=20, kiosk_result_seconds=60)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.json_button)
    dialog = window.result.dialog
    window.kiosk.idle_timer.start(50_000)  # an older start, so the restart shows
    QTest.mouseClick(dialog, Qt.MouseButton.LeftButton)
    assert window.kiosk.idle_timer.interval() == 20_000 and dialog.isVisible()


def test_kiosk_settings_left_open_time_out(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=30, kiosk_warning_seconds=1, operator_pin_hash=hash_pin(OPERATOR_PIN))
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    QTest.keyClicks(QApplication.focusWidget(), OPERATOR_PIN)
    qtbot.waitUntil(lambda: window.current == "settings", timeout=30_000)
    fire(window.kiosk.idle_timer)
    assert window.kiosk.idle_warning.isVisible()
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home"


def test_the_next_visitor_pastes_nothing_of_the_previous_one(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=20, kiosk_warning_seconds=1, kiosk_result_seconds=60)
    outcome = pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.copy_button)
    assert QGuiApplication.clipboard().text() == outcome.jws
    fire(window.kiosk.idle_timer)
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home"
    assert QGuiApplication.clipboard().text() == ""
    click(qtbot, window.home.scan_button)
    click(qtbot, window.scan.paste_button)
    assert window.current == "scan"  # nothing to paste: no payee of the previous visitor


def test_the_next_visitor_does_not_inherit_wrong_pin_tries(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=20, kiosk_warning_seconds=1)
    to_review(qtbot, window, evn_bill_payload(EVN_CODE), amount=120_000)
    click(qtbot, window.review.confirm_button)
    for wrong in ("111111", "222222"):
        QTest.keyClicks(QApplication.focusWidget(), wrong)
        qtbot.waitUntil(lambda: window.pin.digits == "" and window.pin.message.text() != "", timeout=30_000)
    assert window.ctx.pin_guard.failures == 2
    fire(window.kiosk.idle_timer)
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home"
    assert window.ctx.pin_guard.failures == 0  # the next visitor has three tries, not one
