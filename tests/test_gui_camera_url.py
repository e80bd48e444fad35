"""The window's camera picker accepts a network camera URL and remembers recent ones.

A real window (pytest-qt, offscreen) driven by clicks and keys: the picker's "Add camera URL…" item,
the URL dialog (checked before use, the problem shown under the field), the URL shown only masked,
remembered in settings.json WITHOUT its user:pass@, offered again in a new window; a URL nothing
answers shows the network source's own error on the scan screen; a real MJPEG server on 127.0.0.1
is scanned from the window.
"""

from __future__ import annotations

import json
import socket

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from payer_app.gui.screens.scan import ADD_CAMERA_URL
from payer_app.gui.settings import settings_path
from tests.gui_helpers import tr

USER, PASSWORD = "booth", "s3cretPw"


def free_port() -> int:
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def labels(box) -> list[str]:
    return [box.itemText(i) for i in range(box.count())]


def pick_item(qtbot, box, data) -> None:
    """Open the combo's list with a click, walk to the item whose data is ``data`` with the arrow
    keys and press Enter (as a keyboard user would)."""
    index = box.findData(data)
    assert index >= 0, labels(box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    view = box.view()
    qtbot.waitUntil(view.isVisible, timeout=2_000)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    for _ in range(index):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Return)


def add_url(qtbot, window, typed: str, then=None) -> None:
    """Choose "Add camera URL…", type ``typed`` in the dialog and press OK; ``then(dialog)`` runs
    while the dialog is still open after OK (for a refused URL), then the dialog is cancelled."""
    seen = {}

    def fill():
        dialog = window.scan.url_dialog
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(20, fill)
            return
        if typed.isascii():
            qtbot.keyClicks(dialog.field, typed)
        else:  # QTest cannot type a bidi control; a user pastes it
            QApplication.clipboard().setText(typed)
            qtbot.keyClick(dialog.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        if dialog.isVisible():
            seen["error"] = dialog.error.text() if dialog.error.isVisible() else None
            seen["field_text"] = dialog.field.text()
            dialog.reject()

    QTimer.singleShot(0, fill)
    pick_item(qtbot, window.scan.camera_box, ADD_CAMERA_URL)
    if then is not None:
        then(seen)


def test_a_url_added_in_the_picker_is_masked_remembered_without_password_and_offered_again(
        qtbot, make_window):
    window = make_window(camera="demo", lang="en")
    qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
    assert window.current == "scan"
    assert tr("camera_url.add", "en") in labels(window.scan.camera_box)
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/video"
    add_url(qtbot, window, url)
    assert window.ctx.camera_spec == url  # used with its credentials for this session
    box = window.scan.camera_box
    shown = box.currentText()
    assert shown.startswith("http://***@127.0.0.1:") and PASSWORD not in shown and USER not in shown
    assert not any(PASSWORD in text for text in labels(box))
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    stored = f"http://127.0.0.1:{url.rsplit(':', 1)[1]}"
    assert saved["recent_camera_urls"] == [stored]
    assert PASSWORD not in settings_path().read_text(encoding="utf-8")
    assert USER not in settings_path().read_text(encoding="utf-8")
    window.close()

    again = make_window(camera="demo", lang="en")
    qtbot.mouseClick(again.home.scan_button, Qt.MouseButton.LeftButton)
    assert again.scan.camera_box.findData(stored) >= 0  # offered again
    assert stored in labels(again.scan.camera_box)


def test_an_invalid_url_is_refused_with_a_message_under_the_field(qtbot, make_window):
    window = make_window(camera="demo", lang="en")
    qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
    results = []
    for typed in ("ftp://127.0.0.1/video", "http:///video", "http://127.0.0.1:99999/v",
                  "http://127.0.0.1/a b", "http://127.0.0.1/evil\u202egpj.video"):
        add_url(qtbot, window, typed, then=results.append)
    errors = [r["error"] for r in results]
    assert all(e and e.startswith(tr("camera_url.invalid", "en", problem="")) for e in errors), errors
    assert "starts with http://, https:// or rtsp://" in errors[0]
    assert "names no host" in errors[1]
    assert "port is not a number" in errors[2]
    assert "spaces or control characters" in errors[3]
    assert "invisible or control characters" in errors[4] and "\u202e" not in errors[4]  # shown escaped
    assert window.ctx.camera_spec == "demo"  # nothing changed
    assert window.scan.camera_box.currentData() == "demo"
    assert not settings_path().exists() or "recent_camera_urls\": []" in settings_path().read_text()


def test_a_url_nothing_answers_shows_the_source_error_on_the_scan_screen(qtbot, make_window):
    window = make_window(camera="demo", lang="en")
    qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
    port = free_port()
    add_url(qtbot, window, f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/video")
    hint = window.scan.hint
    qtbot.waitUntil(lambda: hint.text().startswith(tr("scan.camera_error", "en", problem="")), timeout=20_000)
    assert "nothing answers at 127.0.0.1" in hint.text(), hint.text()
    assert PASSWORD not in hint.text() and USER not in hint.text()
    assert window.current == "scan" and window.isVisible()
    # the GUI stayed responsive: the picker still switches back to the demo camera
    pick_item(qtbot, window.scan.camera_box, "demo")
    assert window.ctx.camera_spec == "demo"


def test_settings_take_a_typed_url_masked_and_refuse_a_bad_one_next_to_the_field(qtbot, make_window):
    window = make_window(camera="demo", lang="en")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen = window.settings_screen
    screen.camera.setFocus()
    screen.camera.lineEdit().selectAll()
    qtbot.keyClicks(screen.camera.lineEdit(), "rtsp://127.0.0.1:8554/cam one")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "settings"
    assert "without its user name and password" in screen.camera.toolTip()
    error = screen.field_errors["settings.camera"]
    assert error.isVisible() and "spaces or control characters" in error.text()

    screen.camera.lineEdit().selectAll()
    url = f"rtsp://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/cam"
    qtbot.keyClicks(screen.camera.lineEdit(), url)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current != "settings"
    assert window.ctx.camera_spec == url
    text = settings_path().read_text(encoding="utf-8")
    assert PASSWORD not in text and USER not in text
    saved = json.loads(text)
    stored = url.replace(f"{USER}:{PASSWORD}@", "")
    assert saved["camera"] == stored and saved["recent_camera_urls"] == [stored]
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    assert PASSWORD not in screen.camera.currentText() and "***@" in screen.camera.currentText()


def test_kiosk_picker_offers_no_url_entry(qtbot, make_window):
    window = make_window(camera="demo", kiosk=True)
    assert window.scan.camera_box.findData(ADD_CAMERA_URL) < 0


def test_a_real_mjpeg_camera_on_loopback_is_scanned_from_the_window(qtbot, make_window, tmp_path):
    from payer_app.core.builder import evn_bill_payload
    from tests.mjpeg_server import MjpegServer, clip_jpegs

    payload = evn_bill_payload("PD13000333333")
    server = MjpegServer(clip_jpegs(tmp_path, payload, 3))
    try:
        window = make_window(camera="demo", lang="en")
        qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
        add_url(qtbot, window, server.url())
        qtbot.waitUntil(lambda: window.current == "payee", timeout=30_000)
        assert window.ctx.flow.scan.text == payload
    finally:
        server.stop()


def test_recent_urls_keep_five_newest_first_and_a_hand_edited_list_is_cleaned(qtbot, make_window):
    from payer_app.gui.camera_urls import remembered

    recent: list[str] = []
    for n in range(7):
        recent = remembered(recent, f"http://u:p@127.0.0.1:{8000 + n}/video")
    recent = remembered(recent, "http://127.0.0.1:8003/video")  # used again: moves to the front
    assert recent == ["http://127.0.0.1:8003/video", "http://127.0.0.1:8006/video",
                      "http://127.0.0.1:8005/video", "http://127.0.0.1:8004/video",
                      "http://127.0.0.1:8002/video"]
    # settings.json edited by hand: credentials, junk, bad URLs and duplicates are dropped on load
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"recent_camera_urls": [
        f"http://{USER}:{PASSWORD}@127.0.0.1:1/v", 7, None, "ftp://127.0.0.1/v", "http://127.0.0.1/a\u202eb",
        "rtsp://127.0.0.1:8554/cam", "rtsp://127.0.0.1:8554/cam", "http://127.0.0.1:81/v"]}), encoding="utf-8")
    window = make_window(camera="demo", lang="en")
    assert window.ctx.settings.recent_camera_urls == ["rtsp://127.0.0.1:8554/cam", "http://127.0.0.1:81/v"]
    assert not any(PASSWORD in text for text in labels(window.scan.camera_box))


def test_an_invalid_url_is_refused_in_the_ui_language(qtbot, make_window):
    window = make_window(camera="demo", lang="vi")
    qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
    results = []
    typed = ("ftp://127.0.0.1/video", "http:///video", "http://127.0.0.1:99999/v", "http://127.0.0.1/a b",
             "http://127.0.0.1/evil\u202egpj.video")
    for url in typed:
        add_url(qtbot, window, url, then=results.append)
    errors = [r["error"] for r in results]
    keys = ("scheme", "no_host", "port", "spaces", "invisible")
    for error, key in zip(errors, keys, strict=True):
        assert error and error.startswith(tr("camera_url.invalid", problem="")), errors
        assert error.endswith(tr(f"camera_url.why.{key}")), errors
    assert not any(english in " ".join(errors) for english in ("starts with", "names no host", "not a number",
                                                                 "spaces or", "invisible or"))
