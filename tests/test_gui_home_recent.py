"""Home's recent payments are laid out without overlap: each row is as tall as its two lines (payee,
then time and status) in the window's fonts, rows follow each other, and the last one is whole.
Real window (offscreen), real payments through the built-in acquirer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QLabel

from payer_app.core.builder import evn_bill_payload
from tests.gui_helpers import click, pay


def test_recent_rows_do_not_overlap_and_the_last_is_whole(qtbot, window):
    for code in ("PE09000123456", "PD01000123456", "PE09000123456", "PD01000123456"):  # Home shows four
        assert pay(qtbot, window, evn_bill_payload(code), amount=120_000).status == "approved"
        click(qtbot, window.result.new_button)
    assert window.current == "home"
    for _ in range(3):
        QApplication.processEvents()
    layout = window.home.recent_rows
    recent = [layout.itemAt(i).widget() for i in range(layout.count())]
    recent = [w for w in recent if w is not None and w.objectName() == "HistoryRow"]
    assert len(recent) == 4
    home = window.home

    def box(widget) -> QRect:
        return QRect(widget.mapTo(home, QPoint(0, 0)), widget.size())

    for row in recent:
        for label in row.findChildren(QLabel):
            assert box(row).contains(box(label)), f"{label.text()!r} sticks out of its row"
            assert label.height() >= label.sizeHint().height(), f"{label.text()!r} is squeezed"
    ordered = sorted(recent, key=lambda r: box(r).top())
    for upper, lower in zip(ordered, ordered[1:], strict=False):
        assert box(upper).bottom() < box(lower).top(), "two rows overlap"
    assert box(home.recent_card).contains(box(ordered[-1])), "the last row is cut"
