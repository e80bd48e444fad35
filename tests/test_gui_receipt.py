"""The Result screen's receipt to take away: the mark on the receipt picture, the PDF, and the kiosk's
receipt QR (no printer configured, or the configured one is not there: never a print dialog)."""

from __future__ import annotations

import os
import subprocess
import sys

import zxingcpp
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel

from payer_app.core.builder import evn_bill_payload
from payer_app.gui.receipt_actions import MARK_BAND_PX, save_pdf
from payer_app.payments.receipt import SIMULATION_MARK, receipt_of_outcome
from tests.gui_helpers import click, pay, pay_typing_the_pin, tr

EVN_CODE = "PE01000123456"


def decoded(label: QLabel) -> str:
    image = label.pixmap().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return found[0].text


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_the_kiosk_without_a_printer_shows_the_receipt_qr_and_no_dialog(qtbot, kiosk):
    window = kiosk(kiosk_result_seconds=60)
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    assert window.result.pdf_button.text().endswith(tr("result.take_receipt"))
    click(qtbot, window.result.pdf_button)
    assert QApplication.activeModalWidget() is None
    label = window.result.dialog.findChild(QLabel, "ReceiptQr")
    text = decoded(label)
    assert text.startswith(SIMULATION_MARK)
    assert window.result.status_line.text() == ""


def test_a_printer_that_is_not_there_falls_back_to_the_receipt_qr(qtbot, kiosk):
    window = kiosk(kiosk_result_seconds=60, receipt_printer="no-such-printer")
    pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.pdf_button)
    assert QApplication.activeModalWidget() is None
    assert decoded(window.result.dialog.findChild(QLabel, "ReceiptQr")).startswith(SIMULATION_MARK)


def test_the_exported_receipt_picture_carries_the_mark(qtbot, window, tmp_path):
    pay(qtbot, window, evn_bill_payload(EVN_CODE))
    path = tmp_path / "r.png"
    assert window.result.save_image(str(path))
    saved = QImage(str(path))
    plain = window.result.receipt.grab().toImage()
    assert saved.height() > plain.height()  # the bands with the mark above and below
    assert saved.pixelColor(saved.width() // 50, 2) == QColor("#b71c1c")
    assert saved.pixelColor(saved.width() // 50, saved.height() - 2) == QColor("#b71c1c")
    assert MARK_BAND_PX > 0


def test_the_pdf_of_the_result_and_the_receipt_command(qtbot, window, tmp_path, payer_home):
    outcome = pay(qtbot, window, evn_bill_payload(EVN_CODE))
    receipt = receipt_of_outcome(outcome)
    path = tmp_path / "r.pdf"
    assert save_pdf(window.result, receipt, str(path))
    text = pdf_text(path)
    assert SIMULATION_MARK in text and receipt.total_text in text
    out = tmp_path / "cli.pdf"
    env = os.environ | {"PAYER_APP_HOME": str(payer_home)}
    done = subprocess.run([sys.executable, "-m", "payer_app", "receipt", outcome.request_id, "-o", str(out)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert SIMULATION_MARK in pdf_text(out) and outcome.request_id in pdf_text(out)
