"""A kiosk a booth can trust: an idle warning with a countdown before the reset, the receipt's
countdown paused while a dialog is open, Settings behind the operator PIN, no file dialogs (one export
folder), the phone scaled up and centred on a big screen. Real window, clicks and keys (offscreen)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from payer_app.core.builder import evn_bill_payload
from payer_app.core.operator_pin import hash_pin
from payer_app.core.signing import verify_request
from payer_app.gui.settings import settings_path
from payer_app.payments.keystore import KeyStore
from tests.gui_helpers import click, fire, pay_typing_the_pin, tr

EVN_CODE = "PE09000123456"
ROOT = Path(__file__).resolve().parents[1]
OPERATOR_PIN = "135790"  # set by each test that needs one, as `payer-app settings operator-pin` stores it


def test_idle_warning_counts_down_before_the_reset(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=5, kiosk_warning_seconds=2)
    window.open_payload(evn_bill_payload(EVN_CODE))
    warning = window.kiosk.idle_warning
    assert window.kiosk.idle_timer.interval() == 5_000  # idle for kiosk_idle_seconds...
    fire(window.kiosk.idle_timer)
    assert warning.isVisible() and window.current == "payee"  # ...warned, not reset yet
    assert warning.countdown.text() == tr("kiosk.idle_countdown", seconds=2)
    assert warning.title.text() == tr("kiosk.idle_title")
    assert warning.ticker.interval() == 1_000  # one tick a second
    fire(warning.ticker)
    assert warning.countdown.text() == tr("kiosk.idle_countdown", seconds=1)
    fire(warning.ticker)
    assert window.current == "home"
    assert not warning.isVisible()
    assert window.ctx.flow.parsed is None


def test_a_key_press_during_the_warning_keeps_the_visitor_where_they_are(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=5, kiosk_warning_seconds=3)
    window.open_payload(evn_bill_payload(EVN_CODE))
    fire(window.kiosk.idle_timer)
    assert window.kiosk.idle_warning.isVisible()
    QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Shift)
    assert not window.kiosk.idle_warning.isVisible() and not window.kiosk.idle_warning.ticker.isActive()
    assert window.kiosk.idle_timer.isActive() and window.kiosk.idle_timer.remainingTime() > 4_000  # idle time anew
    assert window.current == "payee"


def test_settings_need_the_operator_pin(qtbot, kiosk):
    window = kiosk(kiosk_idle_seconds=5, kiosk_warning_seconds=1, operator_pin_hash=hash_pin(OPERATOR_PIN))
    assert not window.home.settings_button.isVisibleTo(window)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.current == "pin"
    assert window.pin.prompt.text() == tr("pin.operator_prompt")
    assert not window.pin.demo_hint.isVisibleTo(window)  # the operator PIN is not shown
    QTest.keyClicks(QApplication.focusWidget(), "123456")  # the payer's PIN does not open Settings
    left = tr("pin.wrong", left=2)
    qtbot.waitUntil(lambda: left in window.pin.message.text(), timeout=30_000)
    assert window.current == "pin"
    QTest.keyClicks(QApplication.focusWidget(), OPERATOR_PIN)
    qtbot.waitUntil(lambda: window.current == "settings", timeout=30_000)
    assert window.kiosk.idle_timer.isActive()  # Settings left open time out (tests/test_gui_kiosk_locked.py)
    click(qtbot, window.settings_screen.top.back)
    assert window.current == "home"


def test_the_receipt_waits_while_a_dialog_is_open(qtbot, kiosk):
    window = kiosk(kiosk_result_seconds=1)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.json_button)
    dialog = window.result.dialog
    assert dialog.isVisible() and dialog.findChild(QPlainTextEdit, "RequestJson") is not None
    for _ in range(3):
        fire(window.kiosk.result_timer)
    assert window.current == "result"  # not reset under the visitor's dialog
    dialog.close()
    fire(window.kiosk.result_timer)
    assert window.current == "home"


def test_no_file_dialogs_the_signed_request_goes_to_the_export_folder(qtbot, kiosk, payer_home):
    window = kiosk(kiosk_result_seconds=30)
    assert not window.home.pick_button.isVisibleTo(window)
    click(qtbot, window.home.scan_button)
    assert not window.scan.upload_button.isVisibleTo(window)
    click(qtbot, window.scan.cancel_button)
    outcome = pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    opened = []
    qtbot.waitUntil(lambda: True)
    click(qtbot, window.result.save_button)
    opened.append(QApplication.activeModalWidget())
    assert opened == [None]  # no dialog came up
    saved = payer_home / "exports" / f"{outcome.request_id}.jws"
    assert saved.read_text().strip() == outcome.jws
    assert verify_request(outcome.jws, KeyStore(payer_home)).ok
    assert window.result.status_line.text() == tr("result.saved_kiosk", name=f"{outcome.request_id}.jws")


def test_a_big_screen_shows_the_phone_scaled_up_and_centred(qtbot, kiosk):
    window = kiosk()
    window.showNormal()
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.booth.width() == 1920, timeout=3_000)
    phone = window.stack
    qtbot.waitUntil(lambda: phone.height() == 1080, timeout=3_000)
    assert phone.width() == int(400 * 1080 / 820)
    def left() -> int:
        return phone.mapTo(window, phone.rect().topLeft()).x()

    qtbot.waitUntil(lambda: abs(left() - (1920 - phone.width()) // 2) <= 1, timeout=3_000)  # centred
    assert "font-size: 18px" in window.styleSheet()  # 14 px text scaled by 1080/820


def test_standards_warnings_are_for_qa_not_for_booth_visitors(qtbot, kiosk):
    window = kiosk()
    window.open_payload(evn_bill_payload(EVN_CODE))  # a 30-character EVN merchant name: a warning
    assert window.ctx.flow.parsed.warnings
    assert not window.payee.warning_box.isVisibleTo(window)
    assert window.payee.continue_button.isVisibleTo(window)


def test_a_forgotten_payment_is_never_saved_as_an_empty_file(qtbot, kiosk, payer_home):
    window = kiosk(kiosk_result_seconds=30)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.new_button)  # the payment is forgotten (as the auto-reset does)
    assert window.result.save_request(str(payer_home / "late.jws")) is False
    assert not (payer_home / "late.jws").exists()
    assert window.result.status_line.text() == tr("result.nothing_to_save")


# No default operator PIN: a missing or broken one keeps a kiosk's Settings locked ---------------------
BROKEN_PINS = {
    "missing": {},
    "not-digits": {"operator_pin": "x"},  # what a hand edit leaves; it once fell back to a public default
    "old-plain-default": {"operator_pin": "246810"},  # the plain PIN older versions wrote: not a hash
    "damaged-hash": {"operator_pin_hash": "scrypt$14$8$1$AAAA$BBBB"},
    "hash-with-huge-cost": {"operator_pin_hash": "scrypt$30$8$1$" + "A" * 22 + "$" + "A" * 43},
}


@pytest.mark.parametrize("case", sorted(BROKEN_PINS))
def test_a_missing_or_broken_operator_pin_keeps_settings_locked(qtbot, make_window, payer_home, case):
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings_path().write_text(json.dumps(BROKEN_PINS[case]), encoding="utf-8")
    window = make_window(camera="demo", kiosk=True, lang="vi")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.current == "home"  # no PIN pad that some PIN would open
    assert window.toast.isVisible() and window.toast.text() == tr("kiosk.settings_locked")
    assert not window.ctx.operator_guard.check("246810") == "ok"
    qtbot.mousePress(window.home.greeting, Qt.MouseButton.LeftButton)
    fire(window.kiosk.watcher.press_timer)  # the long press on the greeting: locked too
    qtbot.mouseRelease(window.home.greeting, Qt.MouseButton.LeftButton)
    assert window.current == "home"


def test_the_operator_pin_set_by_the_command_opens_a_running_kiosk(qtbot, make_window, payer_home):
    window = make_window(camera="demo", kiosk=True, lang="vi")
    done = subprocess.run([sys.executable, "-m", "payer_app", "settings", "operator-pin"], input=OPERATOR_PIN + "\n",
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, PAYER_APP_HOME=str(payer_home)))
    assert done.returncode == 0, done.stderr
    stored = settings_path().read_text(encoding="utf-8")
    assert OPERATOR_PIN not in stored and "scrypt$" in stored  # a salted hash, never the PIN
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.current == "pin"
    QTest.keyClicks(QApplication.focusWidget(), OPERATOR_PIN)
    qtbot.waitUntil(lambda: window.current == "settings", timeout=30_000)
