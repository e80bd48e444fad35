"""The Result screen's receipt to take away (``payments.receipt``): the PDF, the simulation mark on the
receipt picture, and the kiosk's receipt (printed on the configured printer, or the receipt QR shown
for the visitor's phone). The Result screen calls these; no print dialog is ever shown.

The kiosk's printer (``settings.receipt_printer``, picked in Settings from the printers Qt lists) is a
printer name, ``PDF_FILE_PRINTER`` (each receipt printed through Qt's PDF printer into the kiosk's
export folder, where no printer is at hand) or "" (none: the receipt QR)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from payer_app.payments.receipt import SIMULATION_MARK, Receipt, receipt_of_outcome

MARK_BAND_PX = 36  # the red band with the mark above (and below) the receipt picture
EXPORT_FOLDER = "exports"  # kiosk: the one folder a booth writes to (inside the data folder)
PDF_FILE_PRINTER = "#pdf-file"  # never a printer's name: CUPS does not allow '#' in one


def export_folder() -> Path:
    """The kiosk's one export folder (made on first use, private to the user)."""
    from payer_app.paths import data_home

    folder = data_home() / EXPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def printer_names() -> list[str]:
    """The printers Qt knows on this machine (CUPS), for the kiosk's Settings."""
    from PySide6.QtPrintSupport import QPrinterInfo

    return list(QPrinterInfo.availablePrinterNames())


def marked_image(widget: QWidget) -> QImage:
    """The widget's picture between two bands that say "MÔ PHỎNG - KHÔNG CÓ GIÁ TRỊ THANH TOÁN"."""
    shot = widget.grab().toImage()
    ratio = shot.devicePixelRatio() or 1.0
    band = int(MARK_BAND_PX * ratio)
    out = QImage(shot.width(), shot.height() + 2 * band, QImage.Format.Format_ARGB32)
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.drawImage(0, band, shot)
    font = QFont(widget.font())
    font.setBold(True)
    font.setPixelSize(max(10, int(band * 0.42)))
    painter.setFont(font)
    for top in (0, shot.height() + band):
        rect = QRect(0, top, out.width(), band)
        painter.fillRect(rect, QColor("#b71c1c"))
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, SIMULATION_MARK)
    painter.end()
    return out


def qr_qimage(text: str, scale: int) -> QImage:
    from payer_app.qr_symbol import qr_pixels

    pixels = qr_pixels(text, module_px=scale, error="l")
    height, width = pixels.shape
    return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def receipt_for(outcome) -> Receipt | None:
    return receipt_of_outcome(outcome) if outcome is not None else None


def kiosk_printer(name: str, receipt: Receipt):
    """(a QPrinter for the kiosk's ``receipt_printer``, what it is called on screen), or (None, "")
    when that printer is not there. ``PDF_FILE_PRINTER``: Qt's PDF printer, writing
    ``receipt-<request id>.pdf`` in the export folder."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    if name == PDF_FILE_PRINTER:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        path = export_folder() / f"receipt-{receipt.request_id}.pdf"
        printer.setOutputFileName(str(path))
        return printer, path.name
    if name not in QPrinterInfo.availablePrinterNames():
        return None, ""
    return QPrinter(QPrinterInfo.printerInfo(name), QPrinter.PrinterMode.HighResolution), name


def print_receipt(printer, receipt: Receipt) -> bool:
    """Print the receipt on A6 on ``printer`` (a QPrinter), no dialog (False: printing failed)."""
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A6), QPageLayout.Orientation.Portrait,
                                      QMarginsF(5, 5, 5, 5)))
    return paint_receipt(printer, receipt)


def paint_receipt(device, receipt: Receipt) -> bool:
    """Draw the receipt's lines, its QR and the mark on a paint device (a printer or an image)."""
    painter = QPainter()
    if not painter.begin(device):
        return False
    try:
        width = device.width()
        line = max(12, device.height() // 30)
        font = QFont()
        font.setPixelSize(int(line * 0.7))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#b71c1c"))
        painter.drawText(QRect(0, 0, width, line), Qt.AlignmentFlag.AlignCenter, SIMULATION_MARK)
        painter.setPen(QColor("black"))
        font.setBold(False)
        painter.setFont(font)
        y = int(line * 1.5)
        for label, value in receipt.lines():
            painter.drawText(QRect(0, y, width, line), Qt.AlignmentFlag.AlignLeft, f"{label}: {value}")
            y += line
        qr = qr_qimage(receipt.qr_text(), scale=2)
        side = min(width // 2, device.height() - y - 2 * line)
        if side > 0:
            painter.drawImage(QRect((width - side) // 2, y + line // 2, side, side), qr)
        painter.setPen(QColor("#b71c1c"))
        painter.drawText(QRect(0, device.height() - line, width, line), Qt.AlignmentFlag.AlignCenter,
                         SIMULATION_MARK)
    finally:
        painter.end()
    return True


def receipt_qr_label(receipt: Receipt, side: int = 300) -> QLabel:
    """The receipt QR (the mark, the total, the payee, the reference) for a visitor's phone."""
    label = QLabel()
    label.setObjectName("ReceiptQr")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setPixmap(QPixmap.fromImage(qr_qimage(receipt.qr_text(), scale=4)).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
    return label


def take_receipt(screen) -> None:
    """The Result screen's receipt action. A window: save the PDF where the payer chooses. A kiosk: print
    on the configured printer without a dialog, or (no printer, or printing failed) show the receipt QR."""
    receipt = receipt_for(screen.ctx.flow.outcome)
    if receipt is None:
        screen._set_status("result.no_receipt", "error")
        return
    if not screen.ctx.kiosk:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(screen, screen.ctx.t("result.save_pdf"),
                                              f"receipt-{receipt.request_id}.pdf", screen.ctx.t("result.pdf_filter"))
        if path:
            save_pdf(screen, receipt, path)
        return
    name = screen.ctx.settings.receipt_printer
    printer, called = kiosk_printer(name, receipt) if name else (None, "")
    if printer is not None and print_receipt(printer, receipt):
        if name == PDF_FILE_PRINTER:
            screen._set_status("result.receipt_printed_file", name=called)
        else:
            screen._set_status("result.receipt_printed", printer=called)
        return
    show_receipt_qr(screen, receipt)


def save_pdf(screen, receipt: Receipt, path: str) -> bool:
    """Write the receipt PDF to ``path``; the status line says where, or why not."""
    from payer_app.payments.receipt import ReceiptFontError, write_receipt_pdf

    try:
        write_receipt_pdf(receipt, path)
    except (OSError, ReceiptFontError) as exc:
        screen._set_status("result.save_error", "error", problem=getattr(exc, "strerror", None) or str(exc))
        return False
    screen._set_status("result.saved", path=path)
    return True


def show_receipt_qr(screen, receipt: Receipt) -> None:
    """The receipt QR in the Result screen's dialog, for the visitor's phone."""
    from payer_app.gui.components import button

    dialog, col = screen._dialog(screen.ctx.t("result.receipt_qr_title"))
    col.addWidget(receipt_qr_label(receipt))
    close = button(screen.ctx.t("common.close"), "primary")
    close.clicked.connect(dialog.accept)
    col.addWidget(close)
    dialog.resize(380, 460)
    dialog.show()
