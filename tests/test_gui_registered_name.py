"""The Payee screen shows *Tên chủ tài khoản* from the name inquiry (real window, offscreen, the
window's own PaymentService: the embedded acquirer's bundled directory, or an HTTP acquirer on
127.0.0.1): looking, found, a name that differs from the QR's, an account that does not exist (no
Continue), no answer (warned, Continue stays). Answers are awaited by signal."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import vietqr_payload
from payer_app.gui.settings import Settings, save_settings
from tests.gui_helpers import click, tr
from tests.spec_vectors import EVN_BILL

ANSWER_MS = 30_000
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
REGISTERED = "NGUYEN VAN A"  # 970436/0011001234567 in resources/registered_names.csv
PASTED_OVER = vietqr_payload("970436", "0011001234567", amount=1_500_000, purpose="TT tien dien T11",
                             merchant_name="EVN HA NOI THU TIEN DIEN", city="Ha Noi")


def open_and_wait(qtbot, window, payload: str):
    """Open the payee of ``payload`` and wait for its registered name; the state while looking first."""
    box = window.payee.registered
    with qtbot.waitSignal(box.answered, timeout=ANSWER_MS):
        window.open_payload(payload)
        looking = (box.state, box.value.text(), box.isVisibleTo(window))
    return box, looking


def test_the_registered_name_is_looked_up_off_the_gui_thread_and_shown(qtbot, window):
    box, looking = open_and_wait(qtbot, window, EVN_BILL)
    assert looking == ("loading", tr("registered.looking"), True)
    assert box.state == "match" and box.caption.text() == tr("registered.title")
    assert box.value.text() == "EVN CONG TY DIEN LUC THANH XUAN"
    assert box.note.text() == tr("registered.match") and box.objectName() == "RegisteredNameBox"
    assert window.payee.continue_button.isVisibleTo(window)


def test_a_name_that_differs_from_the_qrs_is_a_warning_and_the_payer_may_go_on(qtbot, window):
    box, _ = open_and_wait(qtbot, window, PASTED_OVER)
    assert box.state == "mismatch" and box.value.text() == REGISTERED
    assert box.note.text() == tr("registered.mismatch", qr="EVN HA NOI THU TIEN DIEN", registered=REGISTERED)
    assert box.objectName() == "WarningBox"
    assert window.payee.continue_button.isVisibleTo(window)
    click(qtbot, window.payee.continue_button)
    assert window.current == "amount"


def test_case_diacritics_and_spacing_are_no_mismatch(qtbot, window):
    box, _ = open_and_wait(qtbot, window, vietqr_payload("970436", "0011001234567", merchant_name="nguyen  van a"))
    assert box.state == "match"


def test_an_account_that_does_not_exist_cannot_be_paid(qtbot, window):
    payee = window.payee
    box, _ = open_and_wait(qtbot, window, vietqr_payload("970436", "999999999", merchant_name="NGUYEN VAN A"))
    assert box.state == "no-such-account" and box.objectName() == "ErrorBox"
    assert box.note.text() == tr("registered.no_such_account")
    assert not payee.continue_button.isVisibleTo(window) and payee.default_button() is payee.rescan_button
    payee.retranslate()  # showing the same QR again (a language change) keeps it blocked
    assert not payee.continue_button.isVisibleTo(window)
    box, _ = open_and_wait(qtbot, window, EVN_BILL)  # the next QR is judged on its own
    assert box.state == "match" and payee.continue_button.isVisibleTo(window)


def test_a_merchant_id_nobody_registered_is_blocked_too(qtbot, window):
    scam = ("00020101021126250002000115ATTACKER-SHOP-15204490053037045802VN5911MY OWN SHOP6006Ha Noi"
            "62170613PD130001239996304AEB9")
    box, _ = open_and_wait(qtbot, window, scam)
    assert box.state == "no-such-account" and not window.payee.continue_button.isVisibleTo(window)


def test_a_hostile_qr_name_is_shown_escaped_in_the_warning(qtbot, window):
    name = "<b>NGUYEN</b>\u202eVAN A"
    box, _ = open_and_wait(qtbot, window, vietqr_payload("970436", "0011001234567", merchant_name=name))
    assert box.state == "mismatch"
    assert "\u202e" not in box.note.text() and "\\u202e" in box.note.text() and "<b>NGUYEN</b>" in box.note.text()
    assert box.note.textFormat() == Qt.TextFormat.PlainText


def test_a_qr_that_cannot_be_paid_anyway_is_not_looked_up(qtbot, window):
    window.open_payload(vietqr_payload("970436", "0011001234567", merchant_name="NGUYEN VAN A\x1b[2J"))
    box = window.payee.registered
    assert window.payee.error_box.isVisibleTo(window)
    assert box.state == "idle" and not box.isVisibleTo(window)


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_no_answer_is_a_warning_and_the_payer_may_go_on(qtbot, make_window, closed_port):
    save_settings(Settings(acquirer_url=f"http://127.0.0.1:{closed_port}"))
    window = make_window(camera="demo", lang="en")
    box, looking = open_and_wait(qtbot, window, PASTED_OVER)
    assert looking[0] == "loading"
    assert box.state == "unavailable" and box.value.text() == "—"
    assert box.note.text() == tr("registered.unavailable", lang="en") and box.objectName() == "WarningBox"
    assert window.payee.continue_button.isVisibleTo(window)


def test_screenshot_of_the_registered_name_and_the_mismatch_warning(qtbot, window, tmp_path):
    window.resize(1280, 720)
    open_and_wait(qtbot, window, PASTED_OVER)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    path = tmp_path / "payee_registered_name.png"
    assert window.grab().save(str(path), "PNG")
    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, SCREENSHOTS / path.name)
