"""Every screen's primary action is visible without scrolling on common screens: 1280x720 and
1366x768 at 100, 125 and 150 % scaling, 1600x900 and 1920x1080 at 200 %, as a window (under a
title bar) and as the kiosk (full screen). The real window (offscreen) is given the size the
screen would allow it, in Qt's logical pixels (the screen's pixels divided by the scale); the
primary button must then lie inside the window and be shown whole (not cut by a scroll area).
The X-server version, with real scaling and screenshots, is tests/test_e2e_kiosk.py.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import evn_bill_payload
from payer_app.gui.main_window import MainWindow
from tests.gui_helpers import pay, tr

SCREENS = [(1280, 720), (1366, 768)]
SCALES = [1.0, 1.25, 1.5]
TITLE_BAR = 32  # a window manager's title bar and borders, in logical pixels (openbox: about 24)
SIZES = [pytest.param(w, h, s, id=f"{w}x{h}@{int(s * 100)}") for w, h in SCREENS for s in SCALES]
SIZES += [pytest.param(1600, 900, 2.0, id="1600x900@200"), pytest.param(1920, 1080, 2.0, id="1920x1080@200")]


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def primary_in_view(window: MainWindow, button, height: int) -> str:
    """'' when ``button`` is shown whole inside the top ``height`` pixels of the window, else why not."""
    settle()
    if not button.isVisible():
        return f"{button.objectName()} is hidden on {window.current}"
    rect = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
    if rect.bottom() >= height or rect.top() < 0 or rect.right() >= window.width():
        return f"{button.objectName() or button.text()} at {rect.getRect()} is outside {window.width()}x{height}"
    if button.visibleRegion().boundingRect().size() != button.size():
        return f"{button.objectName() or button.text()} is cut: {button.visibleRegion().boundingRect().getRect()}"
    return ""


def walk(qtbot, window: MainWindow, height: int) -> list[str]:
    """Home, Scan, Payee, Amount, Review, PIN, Result and Settings, each with its primary action."""
    problems = [primary_in_view(window, window.home.scan_button, height)]
    window.go("scan")
    problems.append(primary_in_view(window, window.scan.paste_button, height))
    window.go("home")
    window.open_payload(evn_bill_payload("PD01000123456"))
    problems.append(primary_in_view(window, window.payee.continue_button, height))
    window.go("amount")
    problems.append(primary_in_view(window, window.amount.continue_button, height))
    window.amount.edit.set_value(120_000)
    window.amount.continue_button.click()
    problems.append(primary_in_view(window, window.review.confirm_button, height))
    window.review.confirm_button.click()
    problems += [primary_in_view(window, window.pin.keys[k], height) for k in ("1", "0", "del")]
    window.go("home")
    outcome = pay(qtbot, window, evn_bill_payload("PD01000123456"), amount=120_000)
    assert outcome is not None and window.current == "result"
    problems.append(primary_in_view(window, window.result.new_button, height))
    assert window.result.title.text() == tr("result.approved")
    if not window.ctx.kiosk:
        window.go("settings")
        problems.append(primary_in_view(window, window.settings_screen.save_button, height))
    return [p for p in problems if p]


@pytest.mark.parametrize(("width", "height", "scale"), SIZES)
def test_window_primary_actions_fit_the_screen(qtbot, window, width, height, scale):
    room = (int(width / scale), int(height / scale) - TITLE_BAR)
    window.resize(min(400, room[0]), room[1])
    settle()
    assert window.height() <= room[1], f"cannot be {room[1]} px tall (minimum {window.minimumHeight()})"
    assert walk(qtbot, window, room[1]) == []


@pytest.mark.parametrize(("width", "height", "scale"), SIZES)
def test_kiosk_primary_actions_fit_the_screen(qtbot, kiosk, width, height, scale):
    window = kiosk()
    room = (int(width / scale), int(height / scale))
    window.showNormal()  # the offscreen screen is not this size: the kiosk gets the size full screen would give
    window.setFixedSize(*room)
    settle()
    assert (window.width(), window.height()) == room
    assert walk(qtbot, window, room[1]) == []


def test_window_opens_inside_the_screen(qtbot, window):
    """The phone size (400x820) is a wish: on a smaller screen the window opens within its room."""
    settle()
    room = window.screen().availableGeometry()
    assert window.height() <= room.height() - TITLE_BAR // 2 and window.width() <= room.width()


def test_text_links_are_touch_targets_of_at_least_44_px(qtbot, window):
    """*Quản lý* (saved bills) and *Chi tiết kỹ thuật* (the Inspector) are tapped on a touch booth."""
    settle()
    manage = window.home.saved_card.manage_button
    assert manage.isVisible() and manage.width() >= 44 and manage.height() >= 44, manage.size()
    window.open_payload(evn_bill_payload("PD01000123456"))
    settle()
    inspector = window.payee.inspector_button
    assert inspector.isVisible() and inspector.width() >= 44 and inspector.height() >= 44, inspector.size()
