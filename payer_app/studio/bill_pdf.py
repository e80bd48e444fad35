"""The bill as a one-page A5 PDF drawn with reportlab: embedded Noto Sans text and the QR as vector
squares taken from its module matrix (``payer_app.qr_symbol``). ``invariant=1`` removes the creation
date and random ids, so equal bills give equal bytes."""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from payer_app.qr_symbol import QUIET_ZONE, make_payment_qr, qr_modules
from payer_app.studio.bill_layout import BillLayout, LineItem, RectItem, TextItem
from payer_app.studio.fonts import font_path

_FONT_NAMES = {False: "PayerAppSans", True: "PayerAppSans-Bold"}


def _register_fonts() -> None:
    for bold, name in _FONT_NAMES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(font_path(bold))))


def _fill(c: canvas.Canvas, color) -> None:
    c.setFillColorRGB(*(v / 255 for v in color))


def _stroke(c: canvas.Canvas, color) -> None:
    c.setStrokeColorRGB(*(v / 255 for v in color))


def bill_pdf_bytes(layout: BillLayout) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    height = layout.height
    c = canvas.Canvas(buffer, pagesize=(layout.width * mm, height * mm), invariant=1, pageCompression=1)
    c.setTitle("Hóa đơn mẫu (payer-app)")
    c.setCreator("payer-app studio")
    for item in layout.items:
        if isinstance(item, RectItem):
            if item.fill:
                _fill(c, item.fill)
            if item.stroke:
                _stroke(c, item.stroke)
                c.setLineWidth(item.stroke_width * mm)
            args = (item.x * mm, (height - item.y - item.h) * mm, item.w * mm, item.h * mm)
            if item.radius:
                c.roundRect(*args, item.radius * mm, stroke=int(bool(item.stroke)), fill=int(bool(item.fill)))
            else:
                c.rect(*args, stroke=int(bool(item.stroke)), fill=int(bool(item.fill)))
        elif isinstance(item, LineItem):
            _stroke(c, item.color)
            c.setLineWidth(item.width * mm)
            c.line(item.x1 * mm, (height - item.y1) * mm, item.x2 * mm, (height - item.y2) * mm)
        elif isinstance(item, TextItem):
            _fill(c, item.color)
            c.setFont(_FONT_NAMES[item.bold], item.size)
            x, y = item.x * mm, (height - item.y) * mm
            if item.anchor == "middle":
                c.drawCentredString(x, y, item.text)
            elif item.anchor == "end":
                c.drawRightString(x, y, item.text)
            else:
                c.drawString(x, y, item.text)
    qr = layout.qr
    modules = qr_modules(make_payment_qr(qr.payload), QUIET_ZONE)
    count = modules.shape[0]
    unit = qr.size * mm / count
    left, top = qr.x * mm, (height - qr.y) * mm
    c.setFillColorRGB(1, 1, 1)
    c.rect(left, top - count * unit, count * unit, count * unit, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    path = c.beginPath()
    for row_index, row in enumerate(modules):
        col = 0
        while col < count:
            if row[col]:
                start = col
                while col < count and row[col]:
                    col += 1
                path.rect(left + start * unit, top - (row_index + 1) * unit, (col - start) * unit, unit)
            else:
                col += 1
    c.drawPath(path, stroke=0, fill=1)
    c.showPage()
    c.save()
    return buffer.getvalue()
