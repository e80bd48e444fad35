"""The kiosk's receipt printer: picked in Settings (behind the operator PIN) from the printers Qt lists,
a PDF file in the export folder, or none; a visitor's *Lấy biên lai* then prints the receipt there with
no dialog of any kind. Real kiosk window (offscreen), real payment; the receipt is printed through
Qt's own PDF printer (``QPrinter`` with an output file) and the file read back with ``pdftotext`` and
``pdfinfo``. A physical printer is not tested (no printer on the test machine: docs/booth.md)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from payer_app.core.builder import evn_bill_payload
from payer_app.core.operator_pin import hash_pin
from payer_app.gui.receipt_actions import PDF_FILE_PRINTER, printer_names
from payer_app.gui.settings import load_settings
from payer_app.payments.receipt import SIMULATION_MARK, receipt_of_outcome
from tests.gui_helpers import click, pay_typing_the_pin, tr

OPERATOR_PIN = "924681"
EVN_CODE = "PE01000123456"

pytestmark = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdfinfo")),
                                reason="needs poppler-utils (scripts/ensure_system_packages.sh)")


def open_settings(qtbot, window) -> None:
    """Ctrl+Alt+S and the operator PIN, as the operator does."""
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.current == "pin"
    QTest.keyClicks(QApplication.focusWidget(), OPERATOR_PIN)
    qtbot.waitUntil(lambda: window.current == "settings", timeout=30_000)


def box_items(box) -> list[tuple[str, str]]:
    return [(box.itemText(i), box.itemData(i)) for i in range(box.count())]


def no_dialog_shown(window) -> bool:
    return QApplication.activeModalWidget() is None and not any(
        isinstance(w, QDialog) and w.isVisible() for w in QApplication.topLevelWidgets())


def test_the_operator_picks_the_pdf_printer_and_the_receipt_is_printed_without_a_dialog(
    qtbot, kiosk, payer_home
):
    window = kiosk(kiosk_result_seconds=60, operator_pin_hash=hash_pin(OPERATOR_PIN))
    open_settings(qtbot, window)
    box = window.settings_screen.printer
    assert box.isVisibleTo(window)
    assert box_items(box) == [(tr("settings.printer_none"), ""), (tr("settings.printer_pdf_file"), PDF_FILE_PRINTER),
                              *[(name, name) for name in printer_names()]]
    assert box.currentData() == ""  # none until the operator picks one
    box.setCurrentIndex(box.findData(PDF_FILE_PRINTER))
    click(qtbot, window.settings_screen.save_button)
    assert window.ctx.settings.receipt_printer == PDF_FILE_PRINTER
    assert load_settings().receipt_printer == PDF_FILE_PRINTER  # kept in settings.json
    assert window.current == "home"

    outcome = pay_typing_the_pin(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.result.pdf_button)  # Lấy biên lai
    assert no_dialog_shown(window)
    assert window.result.dialog is None  # no receipt QR either: it was printed
    printed = payer_home / "exports" / f"receipt-{outcome.request_id}.pdf"
    assert window.result.status_line.text() == tr("result.receipt_printed_file", name=printed.name)
    text = subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    receipt = receipt_of_outcome(outcome)
    assert SIMULATION_MARK in text and receipt.total_text in text
    info = subprocess.run(["pdfinfo", str(printed)], capture_output=True, text=True, check=True, timeout=60).stdout
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 297.6) < 1 and abs(height - 419.5) < 1  # A6 (105 x 148 mm), portrait
    assert re.search(r"Pages:\s+1\n", info)


def test_a_saved_printer_that_is_not_there_is_kept_and_marked_missing(qtbot, kiosk):
    window = kiosk(operator_pin_hash=hash_pin(OPERATOR_PIN), receipt_printer="booth-printer-gone")
    open_settings(qtbot, window)
    box = window.settings_screen.printer
    assert box.currentText() == tr("settings.printer_missing", printer="booth-printer-gone")
    click(qtbot, window.settings_screen.save_button)  # saving other settings does not drop it
    assert load_settings().receipt_printer == "booth-printer-gone"
    window.set_language("en")
    open_settings(qtbot, window)
    assert window.settings_screen.printer.currentText() == tr("settings.printer_missing", "en",
                                                              printer="booth-printer-gone")
