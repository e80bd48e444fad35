"""Where everything goes on a printed bill: a page of text, boxes and one QR, measured in millimetres.

Pure data (no Pillow, no reportlab): the PNG, SVG and PDF writers all draw the same ``BillLayout``,
so the three formats look alike. Text positions are baselines; ``anchor`` is start, middle or end.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from payer_app.core.amount_words import vietnamese_words
from payer_app.studio.bill_spec import ResolvedBill

A5_MM = (148.0, 210.0)
PT_TO_MM = 25.4 / 72
MARGIN = 10.0

Color = tuple[int, int, int]
BLACK: Color = (20, 20, 20)
GREY: Color = (95, 95, 95)
LIGHT: Color = (236, 240, 245)
BRAND_COLORS: dict[str, Color] = {
    "EVN": (0, 84, 166),
    "VietQR": (0, 93, 170),
    "VNPAY": (0, 94, 178),
}
ACCENT: Color = (200, 30, 40)
QR_CAPTION = "Quét mã QR để thanh toán"
SPECIMEN_NOTE = "Hóa đơn mẫu do payer-app tạo để thử nghiệm, không có giá trị thanh toán."


@dataclass(frozen=True)
class TextItem:
    x: float
    y: float  # baseline
    text: str
    size: float  # points
    bold: bool = False
    anchor: str = "start"  # start | middle | end
    color: Color = BLACK


@dataclass(frozen=True)
class RectItem:
    x: float
    y: float
    w: float
    h: float
    fill: Color | None = None
    stroke: Color | None = None
    stroke_width: float = 0.3
    radius: float = 0.0


@dataclass(frozen=True)
class LineItem:
    """A horizontal rule at height y, from x1 to x2 (the bill has no other lines)."""

    x1: float
    x2: float
    y: float
    color: Color = GREY
    width: float = 0.25

    @property
    def y1(self) -> float:
        return self.y

    @property
    def y2(self) -> float:
        return self.y


@dataclass(frozen=True)
class QrItem:
    """The QR code's square, quiet zone included; writers fit a whole number of modules in it."""

    x: float
    y: float
    size: float
    payload: str


@dataclass(frozen=True)
class BillLayout:
    width: float
    height: float
    items: tuple[TextItem | RectItem | LineItem, ...]
    qr: QrItem


def _wrap(text: str, width_mm: float, size_pt: float, max_lines: int = 3) -> list[str]:
    """Split text into lines that fit width_mm (Noto Sans averages about 0.5 em per character)."""
    per_line = max(8, int(width_mm / (size_pt * PT_TO_MM * 0.5)))
    lines = textwrap.wrap(text, per_line) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: per_line - 1] + "…"
    return lines


Items = list[TextItem | RectItem | LineItem]


def layout_bill(bill: ResolvedBill) -> BillLayout:
    """Lay the bill out on an A5 portrait page, top to bottom; each block starts below the last."""
    width, height = A5_MM
    brand = BRAND_COLORS.get(bill.brand, BRAND_COLORS["EVN"])
    items: Items = []
    _header(items, bill, brand)
    _title(items, bill, brand)
    y = _customer_rows(items, bill, y=55.0)
    y = _itemised_table(items, bill, y + 1.5)
    qr = _payment_block(items, bill, brand, y=max(y + 5.0, 148.0))
    _footer(items)
    return BillLayout(width, height, tuple(items), qr)


def _header(items: Items, bill: ResolvedBill, brand: Color) -> None:
    """A light band: the brand badge, then the issuer's name (two lines at most) and hotline."""
    width, right = A5_MM[0], A5_MM[0] - MARGIN
    items.append(RectItem(0, 0, width, 30, fill=LIGHT))
    items.append(RectItem(MARGIN, 8, 26, 14, fill=brand, radius=2.0))
    items.append(TextItem(MARGIN + 13, 17.4, bill.brand, 12 if len(bill.brand) <= 3 else 10, True, "middle",
                          (255, 255, 255)))
    x_issuer = MARGIN + 31
    y = 12.5
    for index, line in enumerate(bill.issuer_lines[:2]):
        size = 8.0 if index == 0 else 9.5
        for part in _wrap(line, right - x_issuer, size, max_lines=1):
            items.append(TextItem(x_issuer, y, part, size, index == 0 or bill.kind == "evn",
                                  color=BLACK if index else GREY))
            y += 5.0
    items.append(TextItem(x_issuer, 25.5, bill.hotline, 6.5, color=GREY))
    items.append(LineItem(0, width, 30, brand, 0.8))


def _title(items: Items, bill: ResolvedBill, brand: Color) -> None:
    middle = A5_MM[0] / 2
    items.append(TextItem(middle, 41, bill.title, 15, True, "middle", brand))
    items.append(TextItem(middle, 47, bill.subtitle, 8, False, "middle", GREY))


def _customer_rows(items: Items, bill: ResolvedBill, y: float) -> float:
    """Label: value rows (customer or payee); the codes a payer checks are set larger. Returns the
    height below the last row."""
    x_value, right = MARGIN + 40, A5_MM[0] - MARGIN
    for label, value in bill.rows:
        items.append(TextItem(MARGIN + 2, y, f"{label}:", 8, color=GREY))
        emphasise = label in ("Mã khách hàng", "Số tài khoản", "Mã điểm bán (VNPAY)")
        for part in _wrap(value, right - x_value, 8.5, max_lines=2):
            items.append(TextItem(x_value, y, part, 8.5 if not emphasise else 9.5, emphasise))
            y += 4.6
        y += 0.4
    return y


def _itemised_table(items: Items, bill: ResolvedBill, y: float) -> float:
    """Header row, at most eight item rows with rules, then the totals (the last one bold)."""
    right = A5_MM[0] - MARGIN
    columns = ((MARGIN + 2, "start"), (MARGIN + 66, "end"), (MARGIN + 96, "end"), (right - 2, "end"))
    row_h = 4.8
    items.append(RectItem(MARGIN, y, right - MARGIN, row_h + 0.6, fill=LIGHT))
    for (x, anchor), text in zip(columns, bill.table_header, strict=False):
        items.append(TextItem(x, y + 3.6, text, 7, True, anchor, GREY))
    y += row_h + 0.6
    for row in bill.table[:8]:
        y += row_h
        for (x, anchor), text in zip(columns, row, strict=False):
            items.append(TextItem(x, y - 1.3, text, 7.5, anchor=anchor))
        items.append(LineItem(MARGIN, right, y, (210, 210, 210), 0.15))
    y += 1.0
    for index, (label, value) in enumerate(bill.totals):
        y += row_h
        last = index == len(bill.totals) - 1
        items.append(TextItem(MARGIN + 96, y - 1.3, label, 8 if last else 7.5, last, "end"))
        items.append(TextItem(right - 2, y - 1.3, value, 8 if last else 7.5, last, "end"))
    return y


def _payment_block(items: Items, bill: ResolvedBill, brand: Color, y: float) -> QrItem:
    """The QR in a frame with its caption on the left (it fits above the footer); the amount due, in
    figures and in words, the due date and whether the QR carries the amount, on the right."""
    right, height = A5_MM[0] - MARGIN, A5_MM[1]
    qr_size = min(40.0, height - 16.0 - y - 8.0)
    items.append(RectItem(MARGIN - 2, y - 1, qr_size + 4, qr_size + 8.5, stroke=brand, stroke_width=0.4, radius=1.5))
    items.append(TextItem(MARGIN + qr_size / 2, y + qr_size + 5.0, QR_CAPTION, 7.5, True, "middle", brand))
    x_amount = MARGIN + qr_size + 8
    amount_width = right - x_amount
    items.append(TextItem(x_amount, y + 5, "SỐ TIỀN PHẢI THANH TOÁN", 8.5, True, color=GREY))
    items.append(TextItem(x_amount, y + 14, f"{bill.amount_due:,} đ".replace(",", "."), 17, True, color=ACCENT))
    yy = _text_lines(items, x_amount, y + 19.5, "Bằng chữ: " + vietnamese_words(bill.amount_due), amount_width, 3,
                     BLACK)
    yy += 1.2
    if bill.due_date:
        items.append(TextItem(x_amount, yy, f"Hạn thanh toán: {bill.due_date}", 7.5, True))
        yy += 4.2
    note = (
        "Mã QR không chứa số tiền: nhập số tiền trên khi thanh toán."
        if bill.amount_in_qr is None
        else "Số tiền đã có sẵn trong mã QR."
    )
    _text_lines(items, x_amount, yy, note, amount_width, 2, GREY)
    return QrItem(MARGIN, y, qr_size, bill.payload)


def _text_lines(items: Items, x: float, y: float, text: str, width: float, max_lines: int, color: Color) -> float:
    """7-point text wrapped to width, 3.6 mm apart; returns the height below the last line."""
    for part in _wrap(text, width, 7, max_lines=max_lines):
        items.append(TextItem(x, y, part, 7, color=color))
        y += 3.6
    return y


def _footer(items: Items) -> None:
    """A rule and the specimen note: this bill is made for testing and pays nothing."""
    width, height = A5_MM
    items.append(LineItem(MARGIN, width - MARGIN, height - 10, (200, 200, 200), 0.2))
    items.append(TextItem(width / 2, height - 6, SPECIMEN_NOTE, 6.5, False, "middle", GREY))
