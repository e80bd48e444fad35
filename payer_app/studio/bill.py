"""Bills as pictures: ``render_bill_image(spec)`` draws a bill with Pillow; ``save_bill`` writes PNG,
SVG or PDF by the file's extension (SVG and PDF keep the QR as vector shapes).

The bill's content comes from ``payer_app.studio.bill_spec`` and its placement from
``payer_app.studio.bill_layout``; this module only rasterises.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from payer_app.qr_symbol import QUIET_ZONE, make_payment_qr, qr_gray_image
from payer_app.studio.bill_layout import PT_TO_MM, BillLayout, LineItem, RectItem, TextItem, layout_bill
from payer_app.studio.bill_spec import BillSpec, BillSpecError, ResolvedBill
from payer_app.studio.fonts import font_path

__all__ = ["BillSpec", "BillSpecError", "render_bill_image", "bill_png_bytes", "save_bill", "BILL_FORMATS"]

DEFAULT_DPI = 150
BILL_FORMATS = (".png", ".svg", ".pdf")
_PIL_ANCHORS = {"start": "ls", "middle": "ms", "end": "rs"}


@lru_cache(maxsize=64)
def _font(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), size_px)


def render_bill_image(spec: BillSpec | None = None, dpi: int = DEFAULT_DPI) -> Image.Image:
    """The bill as an RGB image (A5 portrait at ``dpi``); same spec and dpi, same pixels.

    Raises BillSpecError for unusable options and FontNotFoundError when no Vietnamese font is installed.
    """
    bill = (spec or BillSpec()).resolve()
    return _rasterise(layout_bill(bill), dpi)


def _rasterise(layout: BillLayout, dpi: int) -> Image.Image:
    if not 30 <= dpi <= 1200:
        raise BillSpecError(f"dpi {dpi} is out of range (30 to 1200)")
    px = dpi / 25.4
    image = Image.new("RGB", (round(layout.width * px), round(layout.height * px)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for item in layout.items:
        if isinstance(item, RectItem):
            box = (item.x * px, item.y * px, (item.x + item.w) * px, (item.y + item.h) * px)
            outline_width = max(1, round(item.stroke_width * px)) if item.stroke else 0
            if item.radius:
                draw.rounded_rectangle(
                    box, radius=item.radius * px, fill=item.fill, outline=item.stroke, width=outline_width
                )
            else:
                draw.rectangle(box, fill=item.fill, outline=item.stroke, width=outline_width)
        elif isinstance(item, LineItem):
            draw.line((item.x1 * px, item.y1 * px, item.x2 * px, item.y2 * px), fill=item.color,
                      width=max(1, round(item.width * px)))
        elif isinstance(item, TextItem):
            size_px = max(6, round(item.size * PT_TO_MM * px))
            draw.text((item.x * px, item.y * px), item.text, fill=item.color, font=_font(item.bold, size_px),
                      anchor=_PIL_ANCHORS[item.anchor])
    qr = layout.qr
    code = make_payment_qr(qr.payload)
    box_px = round(qr.size * px)
    modules = int(code.symbol_size(border=QUIET_ZONE)[0])
    # The largest whole module size whose symbol overflows the square by at most 1 mm a side
    # (the overflow is quiet zone, and the layout keeps that margin free).
    module_px = max(1, box_px // modules)
    if (module_px + 1) * modules <= box_px + 2 * px:
        module_px += 1
    symbol = Image.fromarray(qr_gray_image(code, module_px), mode="L")
    offset = (box_px - symbol.width) // 2
    image.paste(symbol.convert("RGB"), (round(qr.x * px) + offset, round(qr.y * px) + offset))
    return image


def bill_png_bytes(spec: BillSpec | None = None, dpi: int = DEFAULT_DPI) -> bytes:
    """The bill as PNG bytes with no metadata (no time stamp), so equal specs give equal bytes."""
    buffer = io.BytesIO()
    render_bill_image(spec, dpi).save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def save_bill(spec: BillSpec | None, path: str | Path, dpi: int = DEFAULT_DPI) -> ResolvedBill:
    """Write the bill to path; .png, .svg or .pdf picks the format. Returns what was printed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BILL_FORMATS:
        raise BillSpecError(f"{path.name}: unknown format {suffix or '(no extension)'}; use .png, .svg or .pdf")
    spec = spec or BillSpec()
    bill = spec.resolve()
    if suffix == ".png":
        data = bill_png_bytes(spec, dpi)
    elif suffix == ".svg":
        from payer_app.studio.bill_svg import bill_svg_text

        data = bill_svg_text(layout_bill(bill)).encode("utf-8")
    else:
        from payer_app.studio.bill_pdf import bill_pdf_bytes

        data = bill_pdf_bytes(layout_bill(bill))
    path.write_bytes(data)
    return bill
