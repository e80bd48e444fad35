"""Other ways in: clipboard text and images, drag-and-drop of an image file, the mirror toggle,
and the kiosk's long press for settings."""

from __future__ import annotations

import cv2
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import vietqr_payload, vnpay_payload
from payer_app.core.operator_pin import hash_pin
from payer_app.gui.kiosk import LONG_PRESS_MS
from payer_app.gui.scan_adapter import bgr_to_qimage
from payer_app.gui.settings import Settings, save_settings
from tests.gui_helpers import fire, qr_frame, tr


def test_paste_qr_text_from_the_clipboard(qtbot, window):
    payload = vnpay_payload("0100109106", "SIEU THI MINH AN", "Ha Noi", amount=89_000)
    QGuiApplication.clipboard().setText(payload)
    window.go("scan")
    with qtbot.waitSignal(window.scan.scanned, timeout=30_000):
        qtbot.mouseClick(window.scan.paste_button, Qt.MouseButton.LeftButton)
    assert window.current == "payee"
    assert window.ctx.flow.parsed.scheme == "vnpay"
    assert window.payee.rows["amount_fixed"].value.text() == "89.000 ₫"


def test_paste_an_image_from_the_clipboard(qtbot, window):
    payload = vietqr_payload("970422", "0987654321", amount=15_000)
    QGuiApplication.clipboard().setImage(bgr_to_qimage(qr_frame(payload)))
    window.go("scan")
    with qtbot.waitSignal(window.scan.scanned, timeout=15_000) as got:
        qtbot.mouseClick(window.scan.paste_button, Qt.MouseButton.LeftButton)
    assert got.args[0].text == payload
    assert window.current == "payee"


def test_empty_clipboard_says_so(qtbot, window):
    QGuiApplication.clipboard().clear()
    window.go("scan")
    qtbot.mouseClick(window.scan.paste_button, Qt.MouseButton.LeftButton)
    assert window.scan.hint.text() == tr("scan.clipboard_empty")


def test_drop_an_image_file_on_the_scan_screen(qtbot, window, tmp_path):
    payload = vietqr_payload("970418", "12010000123456", purpose="Tien nha")
    path = tmp_path / "dropped.jpg"
    cv2.imwrite(str(path), qr_frame(payload))
    window.go("scan")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.scan, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.scan.scanned, timeout=15_000) as got:
        QApplication.sendEvent(window.scan, drop)
    assert got.args[0].text == payload
    assert window.payee.rows["purpose"].value.text() == "Tien nha"


def test_mirror_toggle(qtbot, window):
    window.go("scan")
    assert not window.scan.preview.mirror
    qtbot.mouseClick(window.scan.mirror_button, Qt.MouseButton.LeftButton)
    assert window.scan.preview.mirror
    qtbot.mouseClick(window.scan.mirror_button, Qt.MouseButton.LeftButton)
    assert not window.scan.preview.mirror


def test_kiosk_settings_open_on_a_long_press(qtbot, make_window):
    save_settings(Settings(operator_pin_hash=hash_pin("135790")))  # the operator's PIN, as the command stores it
    w = make_window(camera="demo", kiosk=True)
    assert not w.home.settings_button.isVisibleTo(w)
    qtbot.mousePress(w.home.greeting, Qt.MouseButton.LeftButton)
    assert w.kiosk.watcher.press_timer.interval() == LONG_PRESS_MS
    fire(w.kiosk.watcher.press_timer)  # held that long
    assert w.current == "pin"  # the operator PIN first
    qtbot.mouseRelease(w.home.greeting, Qt.MouseButton.LeftButton)
    for digit in "135790":
        qtbot.mouseClick(w.pin.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.current == "settings", timeout=30_000)
    # a short click does nothing
    w.back()
    qtbot.mouseClick(w.home.greeting, Qt.MouseButton.LeftButton)
    assert not w.kiosk.watcher.press_timer.isActive()  # released before the long press was up
    assert w.current == "home"


def test_outside_a_booth_a_long_press_on_the_greeting_opens_settings(qtbot, window):
    qtbot.mousePress(window.home.greeting, Qt.MouseButton.LeftButton)
    assert window.kiosk.watcher.press_timer.isActive()
    fire(window.kiosk.watcher.press_timer)  # held that long
    assert window.current == "settings"  # no operator PIN outside a booth
    qtbot.mouseRelease(window.home.greeting, Qt.MouseButton.LeftButton)
    window.back()
    qtbot.mouseClick(window.home.greeting, Qt.MouseButton.LeftButton)
    assert not window.kiosk.watcher.press_timer.isActive()  # released before the long press was up
    assert window.current == "home"


def test_outside_a_booth_events_elsewhere_do_not_pass_through_the_activity_watcher(qtbot, window):
    # nothing times out outside a booth: the watcher needs the greeting's presses only, and every event
    # of the application passing through a Python filter costs CPU
    presses = []
    window.kiosk.watcher.activity.connect(lambda: presses.append(window.current))
    qtbot.mouseClick(window.home.history_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.history.top.back, Qt.MouseButton.LeftButton)
    assert window.current == "home" and presses == []  # two clicks the watcher never saw
    qtbot.mouseClick(window.home.greeting, Qt.MouseButton.LeftButton)
    assert presses == ["home"]
