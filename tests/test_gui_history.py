"""Result, history and receipt that do what they show. History and Home rows open the
payment's detail; History exports CSV (formula-safe); the receipt names the payee's bank and
account and the note, and saves as a PNG. Real window, clicks and keys, real PaymentService."""

from __future__ import annotations

import csv
import json

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QPlainTextEdit, QPushButton

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from tests.gui_helpers import click, pay, tr

EVN_CODE = "PD01000123456"


@pytest.fixture
def save_dialog(monkeypatch):
    """Qt's modal save dialog answered with a chosen path (the dialog itself is Qt's, not ours)."""
    asked = []

    def answer(path):
        def fake(parent, title, name, filters):
            asked.append((title, name, filters))
            return str(path), ""
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
        return asked

    return answer


def visible_rows(window, parent):
    return [r for r in parent.findChildren(QPushButton, "HistoryRow") if r.isVisibleTo(window)]


def test_receipt_names_bank_account_and_note_and_saves_as_png(qtbot, window, tmp_path, save_dialog):
    payload = vietqr_payload("970436", "0011007654321", merchant_name="NGUYEN VAN AN", purpose="Tra no")
    outcome = pay(qtbot, window, payload, 150_000, "Tien an trua")
    rows = window.result.rows
    assert rows["to"].value.text() == "NGUYEN VAN AN"
    assert rows["bank"].value.text().startswith("Vietcombank – ")
    assert rows["account"].value.text() == "•••• 4321"
    assert rows["note"].value.text() == "Tien an trua"
    asked = save_dialog(tmp_path / "receipt.png")
    click(qtbot, window.result.image_button)
    assert asked and asked[0][1] == f"receipt-{outcome.request_id}.png"
    image = cv2.imread(str(tmp_path / "receipt.png"))
    assert image is not None and image.shape[0] > 300 and image.std() > 10
    assert window.result.status_line.text() == tr("result.saved", path=tmp_path / "receipt.png")
    click(qtbot, window.result.share_button)  # share: the same picture on the clipboard
    shared = QApplication.clipboard().image()
    assert not shared.isNull() and shared.height() > 300
    assert window.result.status_line.text()== tr("result.image_copied")


def test_history_and_home_rows_open_the_payment_detail(qtbot, window):
    first = pay(qtbot, window, evn_bill_payload(EVN_CODE), 210_000, "Thang 10")
    click(qtbot, window.result.new_button)
    qtbot.waitUntil(lambda: len(visible_rows(window, window.home.recent_card)) == 1)
    click(qtbot, visible_rows(window, window.home.recent_card)[0])
    assert window.current == "entry"
    entry = window.entry
    assert entry.rows["request_id"].value.text() == first.request_id[:8].upper()
    assert entry.amount.text() == "210.000 ₫"
    assert entry.status.text() == tr("result.approved")
    assert entry.rows["note"].value.text() == "Thang 10"
    assert entry.rows["customer_code"].value.text() == EVN_CODE
    click(qtbot, entry.json_button)
    viewer = entry.dialog.findChild(QPlainTextEdit, "RequestJson")
    shown = json.loads(viewer.toPlainText())
    assert shown["request_id"] == first.request_id
    assert QFontInfo(viewer.font()).fixedPitch()  # JSON in a fixed-width font
    entry.dialog.close()
    click(qtbot, entry.top.back)
    assert window.current == "home"

    click(qtbot, window.home.history_button)
    qtbot.waitUntil(lambda: len(visible_rows(window, window.history.card)) == 1)
    row = visible_rows(window, window.history.card)[0]
    row.setFocus()
    QTest.keyClick(row, Qt.Key.Key_Return)  # a row opens with Enter too
    assert window.current == "entry"
    assert window.entry.rows["request_id"].value.text() == first.request_id[:8].upper()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert window.current == "history"


def test_history_exports_csv_with_formula_safe_cells(qtbot, window, tmp_path, save_dialog):
    hostile = "=HYPERLINK(\"http://x\")"
    pay(qtbot, window, vietqr_payload("970436", "0011001234567", merchant_name=hostile), 99_000)
    click(qtbot, window.result.new_button)
    pay(qtbot, window, evn_bill_payload(EVN_CODE), 45_000)
    click(qtbot, window.result.new_button)
    click(qtbot, window.home.history_button)
    target = tmp_path / "history.csv"
    save_dialog(target)
    click(qtbot, window.history.export_button)
    assert window.history.status_line.text() == tr("history.exported", count=2, path=target)
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["amount"] for r in rows] == ["45000", "99000"]  # newest first
    assert rows[1]["payee"] == "'" + hostile  # a spreadsheet shows it, never runs it
    assert rows[0]["payee"] == "EVN CONG TY DIEN LUC THANH XUAN"
    assert all(r["status"] == "approved" for r in rows)
