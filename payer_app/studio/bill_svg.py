"""The bill as SVG text: the layout's text and boxes as SVG elements and segno's own SVG of the QR
embedded as a nested <svg>, so the code stays vector. No dates or ids: equal bills, equal bytes."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from payer_app.qr_symbol import QUIET_ZONE, make_payment_qr
from payer_app.studio.bill_layout import PT_TO_MM, BillLayout, LineItem, RectItem, TextItem

FONT_FAMILY = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"


def _rgb(color: tuple[int, int, int] | None) -> str:
    return "none" if color is None else "#{:02x}{:02x}{:02x}".format(*color)


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def bill_svg_text(layout: BillLayout) -> str:
    """A standalone SVG document, sized in millimetres (user unit = 1 mm)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(layout.width)}mm" height="{_num(layout.height)}mm" '
        f'viewBox="0 0 {_num(layout.width)} {_num(layout.height)}">',
        f'<rect width="{_num(layout.width)}" height="{_num(layout.height)}" fill="#ffffff"/>',
        f'<g font-family="{escape(FONT_FAMILY)}">',
    ]
    for item in layout.items:
        if isinstance(item, RectItem):
            attrs = f'x="{_num(item.x)}" y="{_num(item.y)}" width="{_num(item.w)}" height="{_num(item.h)}"'
            if item.radius:
                attrs += f' rx="{_num(item.radius)}"'
            stroke = f' stroke="{_rgb(item.stroke)}" stroke-width="{_num(item.stroke_width)}"' if item.stroke else ""
            out.append(f'<rect {attrs} fill="{_rgb(item.fill)}"{stroke}/>')
        elif isinstance(item, LineItem):
            out.append(
                f'<line x1="{_num(item.x1)}" y1="{_num(item.y1)}" x2="{_num(item.x2)}" y2="{_num(item.y2)}" '
                f'stroke="{_rgb(item.color)}" stroke-width="{_num(item.width)}"/>'
            )
        elif isinstance(item, TextItem):
            weight = ' font-weight="bold"' if item.bold else ""
            anchor = f' text-anchor="{item.anchor}"' if item.anchor != "start" else ""
            out.append(
                f'<text x="{_num(item.x)}" y="{_num(item.y)}" font-size="{_num(item.size * PT_TO_MM)}" '
                f'fill="{_rgb(item.color)}"{weight}{anchor}>{escape(item.text)}</text>'
            )
    out.append("</g>")
    qr = layout.qr
    code = make_payment_qr(qr.payload)
    modules = code.symbol_size(border=QUIET_ZONE)[0]
    symbol = code.svg_inline(scale=1, border=QUIET_ZONE, dark="#000000", light="#ffffff", svgclass=None, lineclass=None)
    out.append(
        f'<g transform="translate({_num(qr.x)} {_num(qr.y)}) scale({qr.size / modules:.6f})" '
        f"data-payload={quoteattr(qr.payload)}>{symbol}</g>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
