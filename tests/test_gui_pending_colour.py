"""A payment without an answer (pending) is shown in its own colour, the theme's warning amber, on the
receipt and in the payment's detail: never in the success green, never in the failure red. Real
window (offscreen), a real port where no acquirer answers, the colours read from the pixels drawn."""

from __future__ import annotations

import socket

from PySide6.QtGui import QColor

from payer_app.core.builder import evn_bill_payload
from payer_app.gui.settings import Settings, save_settings
from payer_app.gui.theme import PALETTES
from tests.gui_helpers import click, pay

EVN_CODE = "PE09000123456"


def _down_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def colours(widget) -> set[str]:
    """The colours drawn in ``widget`` (its picture, every 2nd pixel)."""
    image = widget.grab().toImage()
    return {QColor(image.pixel(x, y)).name().upper()
            for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}


def test_pending_is_amber_not_green_on_the_receipt_and_in_the_detail(qtbot, make_window, payer_home):
    save_settings(Settings(acquirer_url=_down_url(), language="vi"))
    window = make_window(camera="demo", kiosk=False, lang="vi")
    outcome = pay(qtbot, window, evn_bill_payload(EVN_CODE), amount=120_000)
    assert outcome is not None and outcome.status == "pending"
    light = PALETTES["light"]
    for widget in (window.result.icon, window.result.amount):
        drawn = colours(widget)
        assert light["warn"] in drawn or light["warn_text"] in drawn, (widget.objectName(), sorted(drawn)[:8])
        assert light["brand"] not in drawn and light["danger"] not in drawn
    click(qtbot, window.result.new_button)
    click(qtbot, window.home.history_button)
    click(qtbot, window.history.rows[0])
    assert window.current == "entry"
    drawn = colours(window.entry.amount)
    assert light["warn_text"] in drawn and light["brand"] not in drawn
