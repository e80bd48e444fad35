"""The whole payment flow in the real window (pytest-qt, offscreen platform).

Payloads are built with payer_app.core.builder; payments go through the real PaymentService with
its embedded mock acquirer, and the signed request that comes out is verified with the payer key.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from tests.gui_helpers import PAY_TIMEOUT_MS, enter_pin, tr, verified_request

EVN_CODE = "PD01000123456"


def pay_with_pin(qtbot, window, pin: str = "123456"):
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as blocker:
        enter_pin(qtbot, window, pin)
    return blocker.args[0]


def test_evn_static_bill_amount_typed_and_signed_request_verifies(qtbot, window, payer_home):
    payload = evn_bill_payload(EVN_CODE)
    window.open_payload(payload)
    assert window.current == "payee"
    payee = window.payee
    assert payee.continue_button.isVisibleTo(window) and not payee.error_box.isVisibleTo(window)
    assert payee.name.text() == "EVN CONG TY DIEN LUC THANH XUAN"
    assert payee.rows["customer_code"].value.text() == EVN_CODE
    assert "EVNHANOI" in payee.rows["corporation"].value.text()
    assert "Tổng công ty Điện lực TP Hà Nội" in payee.rows["corporation"].value.text()
    assert payee.rows["purpose"].value.text() == "TT tien dien"
    # the 31-character EVN merchant name is a standards warning for QA (the Inspector), not a stop
    assert not payee.warning_box.isVisibleTo(window)

    qtbot.mouseClick(payee.continue_button, Qt.MouseButton.LeftButton)
    assert window.current == "amount"
    edit = window.amount.edit
    assert not edit.isReadOnly()
    QTest.keyClicks(edit, "1234567")
    assert edit.text() == "1.234.567 ₫"
    assert window.amount.words.text() == "Một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đồng"
    QTest.keyClicks(window.amount.note, "Tien dien thang 5")
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    assert window.current == "review"
    assert window.review.amount.text() == "1.234.567 ₫"
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    assert window.current == "pin"

    outcome = pay_with_pin(qtbot, window)
    assert outcome is not None and outcome.status == "approved"
    assert window.current == "result"
    assert window.result.title.text() == tr("result.approved")
    assert window.result.amount.text() == "1.234.567 ₫"
    request = verified_request(outcome.jws, payer_home)
    assert request["amount"] == {"value": "1234567", "currency": "VND"}
    assert request["bill"]["customer_code"] == EVN_CODE
    assert request["qr"]["payload"] == payload
    assert request["note"] == "Tien dien thang 5"
    assert window.result.rows["request_id"].value.text() == request["request_id"][:8].upper()
    assert window.result.rows["reference"].value.text() == outcome.acquirer_reference

    # the same payment is in the history screen and on Home
    qtbot.mouseClick(window.result.new_button, Qt.MouseButton.LeftButton)
    assert window.current == "home"
    assert any(
        isinstance(w, QLabel) and w.text() == "1.234.567 ₫" for w in window.home.recent_card.findChildren(QLabel)
    )
    window.go("history")
    assert [e.request_id for e in window.history.entries] == [request["request_id"]]


def test_dynamic_vietqr_amount_is_locked(qtbot, window, payer_home):
    payload = vietqr_payload("970436", "0011001234567", amount=250_000, purpose="Hoa don 42",
                             merchant_name="CUA HANG AN KHANG", city="Ha Noi")
    window.open_payload(payload)
    assert window.payee.rows["bank"].value.text().startswith("Vietcombank")
    assert window.payee.rows["account"].value.text() == "•••• 4567"
    assert window.payee.rows["amount_fixed"].value.text() == "250.000 ₫"
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    edit = window.amount.edit
    assert edit.isReadOnly()
    assert edit.text() == "250.000 ₫"
    assert window.amount.locked.isVisibleTo(window)
    assert not any(chip.isVisibleTo(window) for chip in window.amount.chips)  # no chips for a fixed amount
    QTest.keyClicks(edit, "999")
    assert edit.text() == "250.000 ₫"
    assert window.amount.words.text() == "Hai trăm năm mươi nghìn đồng"
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    outcome = pay_with_pin(qtbot, window)
    assert outcome.status == "approved"
    request = verified_request(outcome.jws, payer_home)
    assert request["amount"]["value"] == "250000"
    assert request["payee"]["bank_bin"] == "970436"


def test_broken_crc_stops_the_flow_with_the_checksum_message(qtbot, window):
    good = vietqr_payload("970416", "257678859", amount=1000, purpose="Chuyen tien")
    broken = good[:-4] + ("0000" if good[-4:] != "0000" else "1111")
    window.open_payload(broken)
    payee = window.payee
    assert window.current == "payee"
    assert payee.error_box.isVisibleTo(window)
    assert not payee.continue_button.isVisibleTo(window)
    assert payee.error_text.text() == tr("problem.bad-crc")
    assert tr("problem.bad-crc").split(":")[0] in payee.error_detail.text()
    window.set_language("en")
    assert payee.error_text.text() == tr("problem.bad-crc", "en")
    qtbot.mouseClick(payee.rescan_button, Qt.MouseButton.LeftButton)
    assert window.current == "scan"


def test_non_payment_qr_is_refused(qtbot, window):
    window.open_payload("https://example.com/khuyen-mai")
    payee = window.payee
    assert payee.error_text.text() == tr("problem.not-payment")
    assert not payee.continue_button.isVisibleTo(window)
    assert payee.raw_text.toPlainText() == "https://example.com/khuyen-mai"
    assert not payee.card.isVisibleTo(window)
    # nothing in English on the Vietnamese screen (the scanned text itself is shown as scanned)
    shown = [label.text() for label in payee.findChildren(QLabel) if label.isVisibleTo(window)]
    assert not [text for text in shown if "starts with" in text or "not a payment" in text], shown


def test_qr_text_is_shown_literally_never_as_rich_text(qtbot, window):
    name = "<img src=x>"
    purpose = "<a href=http://x>link</a>"
    payload = vietqr_payload("970436", "0011001234567", merchant_name=name, purpose=purpose)
    window.open_payload(payload)
    payee = window.payee
    assert payee.name.text() == name
    assert payee.name.textFormat() == Qt.TextFormat.PlainText
    assert payee.rows["purpose"].value.text() == purpose
    assert payee.rows["purpose"].value.textFormat() == Qt.TextFormat.PlainText
    # every label on the payee, review and result screens is plain text
    for screen in (window.payee, window.review, window.result, window.amount):
        for label in screen.findChildren(QLabel):
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    # the rendered label is as wide as the literal text, not an (empty) image
    assert payee.name.sizeHint().width() > 40


def test_amount_limits_and_chips(qtbot, window):
    window.open_payload(evn_bill_payload(EVN_CODE))
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    amount = window.amount
    qtbot.mouseClick(amount.continue_button, Qt.MouseButton.LeftButton)
    assert amount.message.text() == tr("problem.amount-required")
    QTest.keyClicks(amount.edit, "500")
    qtbot.mouseClick(amount.continue_button, Qt.MouseButton.LeftButton)
    assert amount.message.text() == tr("problem.below-minimum", amount="500 ₫", min="1.000 ₫")
    assert window.current == "amount"
    amount.edit.clear()
    QTest.keyClicks(amount.edit, "600000000")
    assert amount.edit.text() == "600.000.000 ₫"
    qtbot.mouseClick(amount.continue_button, Qt.MouseButton.LeftButton)
    assert amount.message.text() == tr("problem.above-maximum", amount="600.000.000 ₫", max="499.999.999 ₫")
    # backspace removes digits, never just a separator
    amount.edit.set_value(1_000)
    amount.edit.end(False)
    amount.edit.setCursorPosition(len("1.000"))
    QTest.keyClick(amount.edit, Qt.Key.Key_Backspace)
    QTest.keyClick(amount.edit, Qt.Key.Key_Backspace)
    assert amount.edit.text() == "10 ₫"
    qtbot.mouseClick(window.amount.chips[1], Qt.MouseButton.LeftButton)
    assert amount.edit.text() == "100.000 ₫"
    assert amount.words.text() == "Một trăm nghìn đồng"
    qtbot.mouseClick(amount.continue_button, Qt.MouseButton.LeftButton)
    assert window.current == "review"
    assert window.ctx.flow.choice.amount == 100_000


def test_pin_three_wrong_attempts_lock_the_pad(qtbot, window):
    clock = [1000.0]
    window.ctx.pin_guard.clock = lambda: clock[0]
    window.open_payload(evn_bill_payload(EVN_CODE))
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    window.amount.edit.set_value(50_000)
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    pin = window.pin
    enter_pin(qtbot, window, "111111")
    qtbot.waitUntil(lambda: pin.message.text() == tr("pin.wrong", left=2))
    enter_pin(qtbot, window, "222222")
    qtbot.waitUntil(lambda: pin.message.text() == tr("pin.wrong", left=1))
    enter_pin(qtbot, window, "333333")
    qtbot.waitUntil(lambda: pin.message.text() == tr("pin.locked", tries=3, seconds=30))
    assert "quá" not in pin.message.text() and "3 lần" in pin.message.text()  # exactly 3, not "more than 3"
    assert not any(k.isEnabled() for k in pin.keys.values())
    enter_pin(qtbot, window, "123456")  # ignored while locked
    assert window.current == "pin" and pin.digits == ""
    clock[0] += 31
    pin._tick_lock()
    assert all(k.isEnabled() for k in pin.keys.values())
    outcome = pay_with_pin(qtbot, window)
    assert outcome.status == "approved"


def test_result_actions_save_copy_qr_and_json(qtbot, window, tmp_path, payer_home):
    window.open_payload(evn_bill_payload(EVN_CODE))
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    window.amount.edit.set_value(75_000)
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    outcome = pay_with_pin(qtbot, window)
    result = window.result
    target = tmp_path / "request.jws"
    assert result.save_request(str(target))
    assert verified_request(target.read_text().strip(), payer_home)["amount"]["value"] == "75000"
    assert result.save_request(str(tmp_path / "missing-folder" / "x.jws")) is False
    assert result.status_line.text().startswith(tr("result.save_error", problem=""))
    qtbot.mouseClick(result.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == outcome.jws
    qtbot.mouseClick(result.json_button, Qt.MouseButton.LeftButton)
    shown = json.loads(result.dialog.findChild(QPlainTextEdit, "RequestJson").toPlainText())
    assert shown["request_id"] == outcome.request.request_id
    qtbot.mouseClick(result.qr_button, Qt.MouseButton.LeftButton)
    from payer_app.gui.scan_adapter import qimage_to_bgr
    from payer_app.gui.screens.result import qr_qimage
    from payer_app.scan.engine import STILL, decode_frame

    decoded = decode_frame(qimage_to_bgr(qr_qimage(outcome.jws, scale=3)), STILL)
    assert [d.text for d in decoded] == [outcome.jws]


def test_language_switch_at_run_time(qtbot, window):
    assert window.home.scan_button.text().endswith(tr("home.scan"))
    window.set_language("en")
    assert window.home.scan_button.text().endswith(tr("home.scan", "en"))
    assert window.windowTitle() == tr("app.title", "en")
    window.open_payload(evn_bill_payload(EVN_CODE))
    assert window.payee.rows["corporation"].value.text().endswith("Hanoi Power Corporation")
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    window.amount.edit.set_value(21_000)
    assert window.amount.words.text() == "Twenty-one thousand dong"
    window.set_language("vi")
    assert window.amount.words.text() == "Hai mươi mốt nghìn đồng"
    assert window.amount.continue_button.text() == tr("common.continue")


def test_inspector_shows_fields_findings_and_decoder(qtbot, window):
    window.open_payload(evn_bill_payload(EVN_CODE))
    qtbot.mouseClick(window.payee.inspector_button, Qt.MouseButton.LeftButton)
    assert window.current == "inspector"
    insp = window.inspector
    assert insp.raw.toPlainText() == window.ctx.flow.parsed.raw
    top_ids = [insp.tree.topLevelItem(i).text(0) for i in range(insp.tree.topLevelItemCount())]
    assert top_ids[:3] == ["00", "01", "26"] and top_ids[-1] == "63"
    additional = insp.tree.topLevelItem(top_ids.index("62"))
    customer = next(additional.child(i) for i in range(additional.childCount()) if additional.child(i).text(0) == "06")
    offset = int(customer.text(1))
    assert insp.raw.toPlainText()[offset:offset + 4 + 13] == "0613" + EVN_CODE  # the offset points at the id
    assert customer.text(3) == EVN_CODE
    heads = [label.text() for label in insp.findings.findChildren(QLabel, "FindingHead")]
    assert any(" · too-long · 59 @" in head for head in heads), heads
    assert insp.decode_line.text() == tr("inspector.typed")
    window.back()
    assert window.current == "payee"


def test_inspector_field_names_are_vietnamese_and_finding_messages_are_read_whole(qtbot, window):
    """Inspector: names in the window's language; messages wrapped, never cut off at phone width."""
    window.open_payload(evn_bill_payload(EVN_CODE))
    qtbot.mouseClick(window.payee.inspector_button, Qt.MouseButton.LeftButton)
    insp = window.inspector
    names = {insp.tree.topLevelItem(i).text(0): insp.tree.topLevelItem(i).text(2)
             for i in range(insp.tree.topLevelItemCount())}
    assert names["59"] == "Tên đơn vị nhận tiền" and names["63"] == "Mã kiểm tra (CRC)"
    insp.tabs.setCurrentWidget(insp.findings)
    qtbot.waitUntil(lambda: insp.findings.isVisible())
    finding = window.ctx.flow.parsed.findings[0]
    message = insp.findings.findChildren(QLabel, "FindingMessage")[0]
    assert message.text() == finding.message_vi  # the whole message, in Vietnamese
    qtbot.waitUntil(lambda: message.width() > 0)
    viewport = insp.findings.viewport().width()
    assert message.wordWrap() and message.width() <= viewport
    assert message.height() >= message.heightForWidth(message.width())  # every wrapped line shown
