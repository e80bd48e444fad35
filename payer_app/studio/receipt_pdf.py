"""The receipt (``core.receipt.Receipt``) as a one-page A6 PDF: Noto Sans text (every Vietnamese
diacritic, ``studio.fonts``), the simulation mark at the top and bottom, and the receipt QR as vector
squares. ``invariant=1``: the same receipt gives the same bytes."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from payer_app.core.receipt import SIMULATION_MARK, SIMULATION_MARK_EN, Receipt
from payer_app.qr_symbol import make_payment_qr, qr_modules
from payer_app.studio.fonts import font_path

_FONTS = {False: "PayerReceiptSans", True: "PayerReceiptSans-Bold"}
_MARGIN = 8 * mm
_QR_MM = 30


def _register_fonts() -> None:
    for bold, name in _FONTS.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(font_path(bold))))


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _mark(c: canvas.Canvas, y: float, width: float) -> None:
    c.setFillColorRGB(0.75, 0.1, 0.1)
    c.setFont(_FONTS[True], 8.5)
    c.drawCentredString(width / 2, y, _fit(SIMULATION_MARK, _FONTS[True], 8.5, width - 2 * _MARGIN))
    c.setFont(_FONTS[False], 6.5)
    c.drawCentredString(width / 2, y - 9, SIMULATION_MARK_EN)
    c.setFillColorRGB(0, 0, 0)


def _qr(c: canvas.Canvas, text: str, x: float, y: float, size_mm: float) -> None:
    modules = qr_modules(make_payment_qr(text, error="l"))
    n = modules.shape[0]
    cell = size_mm * mm / n
    for row in range(n):
        for col in range(n):
            if modules[row, col]:
                c.rect(x + col * cell, y + (n - 1 - row) * cell, cell, cell, stroke=0, fill=1)


def receipt_pdf_bytes(receipt: Receipt, compress: bool = True) -> bytes:
    """The PDF file's bytes (``compress=False`` leaves the page text readable, for tests and diffs)."""
    _register_fonts()
    buffer = io.BytesIO()
    width, height = A6
    c = canvas.Canvas(buffer, pagesize=A6, invariant=1, pageCompression=1 if compress else 0)
    c.setTitle(f"Biên lai mô phỏng {receipt.request_id}")
    c.setSubject(SIMULATION_MARK)
    _mark(c, height - _MARGIN - 4, width)
    c.setFont(_FONTS[True], 12)
    c.drawCentredString(width / 2, height - _MARGIN - 30, "BIÊN LAI (MÔ PHỎNG)")
    y = height - _MARGIN - 48
    label_w = 27 * mm
    for label, value in receipt.lines():
        c.setFont(_FONTS[False], 7.5)
        c.drawString(_MARGIN, y, label)
        bold = label == "Tổng cộng"
        font = _FONTS[bold]
        c.setFont(font, 8.5 if bold else 7.5)
        c.drawString(_MARGIN + label_w, y, _fit(value, font, 8.5 if bold else 7.5, width - 2 * _MARGIN - label_w))
        y -= 12
    qr_y = _MARGIN + 16
    _qr(c, receipt.qr_text(), (width - _QR_MM * mm) / 2, qr_y, _QR_MM)
    _mark(c, _MARGIN + 6, width)
    c.showPage()
    c.save()
    return buffer.getvalue()

