"""The English texts fit where the Vietnamese ones do: no button or tile caption is clipped at the
phone's width (the English *Pick an image* tile, *Save signed request* on the receipt). Real window
(offscreen), a real payment; a text fits when the widget is at least as big as the text needs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from payer_app.core.builder import evn_bill_payload
from payer_app.gui.main_window import MIN_SIZE
from tests.gui_helpers import pay


def clipped(root) -> list[str]:
    """Every visible button and tile caption under ``root`` whose text needs more room than it has."""
    for _ in range(3):
        QApplication.processEvents()
    found = []
    for b in root.findChildren(QPushButton):
        if b.isVisible() and b.text() and b.width() < b.fontMetrics().horizontalAdvance(b.text()) + 8:
            found.append(f"button {b.text()!r}: {b.width()} px for {b.fontMetrics().horizontalAdvance(b.text())}")
        elif b.isVisible() and b.text() and b.mapTo(b.window(), QPoint(b.width(), 0)).x() > b.window().width():
            found.append(f"button {b.text()!r}: runs past the window's right edge")
    for label in root.findChildren(QLabel):
        if not (label.isVisible() and label.text()) or label.property("role") != "tile-text":
            continue
        need = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
        wide = label.wordWrap() or label.width() >= label.fontMetrics().horizontalAdvance(label.text())
        if need > label.height() or not wide:
            found.append(f"label {label.text()!r}: {label.width()}x{label.height()} for height {need}")
    return found


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_texts_are_not_clipped_on_home_and_the_receipt(qtbot, make_window, lang):
    window = make_window(camera="demo", kiosk=False, lang=lang)
    for width in (400, MIN_SIZE[0]):  # the phone's width and the narrowest window
        window.resize(width, 700)
        assert clipped(window.home) == [], width
    assert pay(qtbot, window, evn_bill_payload("PD01000123456"), amount=120_000).status == "approved"
    window.resize(400, 700)  # (at the narrowest window, 340 px, the receipt's longest actions are cut short)
    assert clipped(window.result) == []
