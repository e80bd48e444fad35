"""Result's *⋯ Thêm* panel on a short window (1280x720 at 150 % leaves about 450 logical pixels): the
panel must open beside or above its button, never over it, so the button stays in view and a
hurried double click on it does not land on an action of the panel (offscreen, pytest-qt)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import evn_bill_payload
from tests.gui_helpers import pay


def _global_rect(widget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def test_the_more_panel_never_covers_its_button_on_a_short_window(qtbot, window):
    window.resize(400, 450)
    outcome = pay(qtbot, window, evn_bill_payload("PD01000123456"), amount=120_000)
    assert outcome is not None and outcome.status == "approved"
    result = window.result
    QApplication.processEvents()
    result.more_button.click()
    panel = result.more_panel
    qtbot.waitUntil(panel.isVisible, timeout=10_000)
    shown_at, anchor, inside = _global_rect(panel), _global_rect(result.more_button), _global_rect(window)
    assert not shown_at.intersects(anchor), (shown_at.getRect(), anchor.getRect())
    assert inside.contains(shown_at), (shown_at.getRect(), inside.getRect())
    small = [b.objectName() for b in (result.save_button, result.copy_button, result.json_button)
             if b.height() < 44 or b.width() < 44]
    assert small == []  # each action is still a whole touch target
