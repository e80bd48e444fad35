"""Fees and tips in the window (pytest-qt, offscreen): the Amount screen shows the fee the QR adds
and offers tip chips for a tip prompt, Review shows ``100.000 + 50.000 = 150.000 ₫`` before the PIN,
the PIN pad shows the total and the breakdown, the signed request carries the fee and the total, and
History, the payment's detail and the saved receipt picture show them afterwards. Amount, Review and
PIN with a fee and with a tip are saved as pictures every run; with PAYER_APP_UPDATE_SCREENSHOTS=1
also in docs/screenshots/ (24-28)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QPushButton

from payer_app.core.builder import vietqr_payload
from payer_app.core.fees import FIXED_FEE, PERCENT_FEE, TIP_PROMPT, FeeRule
from payer_app.studio.fee_qr import with_fee
from tests.gui_helpers import PAY_TIMEOUT_MS, enter_pin, tr, verified_request

FEE_QR = with_fee(vietqr_payload("970416", "257678859", amount=100_000), FeeRule(FIXED_FEE, fixed=50_000))
TIP_QR = with_fee(vietqr_payload("970416", "257678859", amount=100_000), FeeRule(TIP_PROMPT))
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def screenshot(window, name: str, folder: Path) -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    path = folder / name
    assert window.grab().save(str(path), "PNG")
    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, SCREENSHOTS / name)


PERCENT_QR = with_fee(vietqr_payload("970416", "257678859"), FeeRule(PERCENT_FEE, hundredths=150))


def to_amount(qtbot, window, payload: str) -> None:
    window.open_payload(payload)
    assert window.current == "payee"
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    assert window.current == "amount"


def to_review(qtbot, window) -> None:
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    assert window.current == "review"


def pay(qtbot, window):
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as blocker:
        enter_pin(qtbot, window, "123456")
    return blocker.args[0]


def test_a_fixed_fee_is_shown_before_the_pin_and_signed(qtbot, window, payer_home, tmp_path):
    to_amount(qtbot, window, FEE_QR)
    amount = window.amount
    assert amount.fee_line.isVisibleTo(window) and not amount.tip_box.isVisibleTo(window)
    assert amount.fee_line.text() == tr("amount.fee_fixed", fee="50.000 ₫", total="150.000 ₫")
    screenshot(window, "24-amount-fee.png", tmp_path)
    to_review(qtbot, window)
    screenshot(window, "25-review-fee.png", tmp_path)
    review = window.review
    assert review.amount.text() == "150.000 ₫"
    assert review.breakdown.text() == "100.000 + 50.000 = 150.000 ₫" and review.breakdown.isVisibleTo(window)
    assert review.words.text().startswith("Một trăm năm mươi nghìn")
    assert review.rows["fee"].value.text() == tr("review.fee_fixed", fee="50.000 ₫")
    assert review.rows["fee"].value.text() != tr("review.free")
    outcome = pay(qtbot, window)
    assert outcome.status == "approved"
    assert window.result.amount.text() == "150.000 ₫"
    assert window.result.rows["fee"].value.text() == "100.000 + 50.000 = 150.000 ₫"
    request = verified_request(outcome.jws, payer_home)
    assert request["amount"]["value"] == "100000"
    assert request["fee"] == {"kind": "fixed", "value": "50000"}
    assert request["total"] == {"value": "150000", "currency": "VND"}


def test_a_percentage_fee_follows_the_typed_amount(qtbot, window):
    to_amount(qtbot, window, PERCENT_QR)
    QTest.keyClicks(window.amount.edit, "33300")
    assert window.amount.fee_line.text() == tr("amount.fee_percent", percent="1,5", fee="500 ₫", total="33.800 ₫")
    to_review(qtbot, window)
    assert window.review.breakdown.text() == "33.300 + 500 = 33.800 ₫"
    assert window.review.rows["fee"].value.text() == tr("review.fee_percent", fee="500 ₫", percent="1,5")


def test_a_tip_prompt_offers_chips_and_another_value(qtbot, window, payer_home, tmp_path):
    to_amount(qtbot, window, TIP_QR)
    tips = window.amount.tip_box
    assert tips.isVisibleTo(window) and not window.amount.fee_line.isVisibleTo(window)
    assert [chip.text() for chip in tips.chips] == ["0%", "5%", "10%", "15%"]
    qtbot.mouseClick(tips.chips[2], Qt.MouseButton.LeftButton)  # 10 %
    assert tips.edit.text() == "10.000 ₫" and tips.tip() == 10000
    assert tips.total.text() == tr("amount.tip_total", total="110.000 ₫")
    screenshot(window, "26-amount-tip.png", tmp_path)
    tips.edit.clear()
    QTest.keyClicks(tips.edit, "12500")
    assert tips.tip() == 12500
    to_review(qtbot, window)
    assert window.review.breakdown.text() == "100.000 + 12.500 = 112.500 ₫"
    assert window.review.rows["fee"].caption.text() == tr("review.tip")
    screenshot(window, "27-review-tip.png", tmp_path)
    outcome = pay(qtbot, window)
    request = verified_request(outcome.jws, payer_home)
    assert request["fee"] == {"kind": "tip", "value": "12500"} and request["total"]["value"] == "112500"


def test_a_qr_without_a_fee_shows_neither(qtbot, window):
    to_amount(qtbot, window, vietqr_payload("970416", "257678859", amount=100_000))
    assert not window.amount.fee_line.isVisibleTo(window) and not window.amount.tip_box.isVisibleTo(window)
    to_review(qtbot, window)
    assert window.review.amount.text() == "100.000 ₫" and not window.review.breakdown.isVisibleTo(window)
    assert window.review.rows["fee"].value.text() == tr("review.free")


def test_the_pin_screen_shows_the_total_and_the_fee_before_the_pin(qtbot, window, tmp_path):
    to_amount(qtbot, window, FEE_QR)
    to_review(qtbot, window)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    assert window.current == "pin"
    pin = window.pin
    assert pin.prompt.text() == tr("pin.prompt_total", total="150.000 ₫") and pin.prompt.isVisibleTo(window)
    assert pin.message.text() == f"{tr('review.fee')}: 100.000 + 50.000 = 150.000 ₫"
    assert pin.message.isVisibleTo(window)
    screenshot(window, "28-pin-fee.png", tmp_path)
    enter_pin(qtbot, window, "000000")  # a wrong PIN: its message takes the line, the total stays
    qtbot.waitUntil(lambda: pin.message.text() == tr("pin.wrong", left=2))
    assert pin.prompt.text() == tr("pin.prompt_total", total="150.000 ₫")


def test_the_pin_screen_without_a_fee_shows_the_amount_only(qtbot, window):
    to_amount(qtbot, window, TIP_QR)
    qtbot.mouseClick(window.amount.tip_box.chips[0], Qt.MouseButton.LeftButton)  # no tip
    to_review(qtbot, window)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    assert window.pin.prompt.text() == tr("pin.prompt_total", total="100.000 ₫")
    assert window.pin.message.text() == ""


def recent_rows(window) -> list:
    return [r for r in window.home.recent_card.findChildren(QPushButton, "HistoryRow") if r.isVisibleTo(window)]


def test_history_rows_and_the_payment_detail_show_the_total_and_the_tip(qtbot, window):
    to_amount(qtbot, window, TIP_QR)
    qtbot.mouseClick(window.amount.tip_box.chips[1], Qt.MouseButton.LeftButton)  # 5 %: 5.000
    to_review(qtbot, window)
    assert pay(qtbot, window).status == "approved"
    qtbot.mouseClick(window.result.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(recent_rows(window)) == 1)
    rows = recent_rows(window)
    assert rows[0].findChild(QLabel, "HistoryRowTotal").text() == "105.000 ₫"
    assert rows[0].findChild(QLabel, "HistoryRowFee").text() == "100.000 + 5.000"
    qtbot.mouseClick(rows[0], Qt.MouseButton.LeftButton)
    assert window.current == "entry"
    assert window.entry.amount.text() == "105.000 ₫"
    assert window.entry.rows["fee"].caption.text() == tr("review.tip")
    assert window.entry.rows["fee"].value.text() == "100.000 + 5.000 = 105.000 ₫"


def test_a_payment_without_a_fee_lists_its_amount_alone(qtbot, window):
    to_amount(qtbot, window, vietqr_payload("970416", "257678859", amount=100_000))
    to_review(qtbot, window)
    assert pay(qtbot, window).status == "approved"
    qtbot.mouseClick(window.result.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(recent_rows(window)) == 1)
    row = recent_rows(window)[0]
    assert row.findChild(QLabel, "HistoryRowTotal").text() == "100.000 ₫"
    assert row.findChild(QLabel, "HistoryRowFee") is None
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert not window.entry.rows["fee"].isVisibleTo(window)


def found_in(picture: np.ndarray, label) -> bool:
    """Whether ``label``'s text as drawn on screen appears in ``picture`` (BGR) at the same size: the
    label's own grab is its ink alone (transparent elsewhere), matched against the picture's dark ink."""
    shot = label.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)
    ink = np.frombuffer(shot.constBits(), np.uint8).reshape(shot.height(), shot.bytesPerLine() // 4, 4)
    ink = np.ascontiguousarray(ink[:, : shot.width(), 3])  # the alpha channel: where the text is
    dark = 255 - cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    return cv2.minMaxLoc(cv2.matchTemplate(dark, ink, cv2.TM_CCOEFF_NORMED))[1] > 0.9


def test_the_saved_receipt_picture_carries_the_fee_and_the_total(qtbot, window, tmp_path, monkeypatch):
    to_amount(qtbot, window, FEE_QR)
    to_review(qtbot, window)
    assert pay(qtbot, window).status == "approved"
    saved = tmp_path / "receipt.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(saved), "")))
    qtbot.mouseClick(window.result.image_button, Qt.MouseButton.LeftButton)
    picture = cv2.imread(str(saved))
    assert picture is not None
    fee = window.result.rows["fee"]
    assert fee.value.text() == "100.000 + 50.000 = 150.000 ₫" and window.result.amount.text() == "150.000 ₫"
    for label in (fee.caption, fee.value, window.result.amount):
        assert found_in(picture, label), label.text()
    other = window.result.rows["request_id"].value  # a label that is not on the picture is not found
    assert not found_in(cv2.flip(picture, 1), other)
