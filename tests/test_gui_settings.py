"""Settings: saving changes only what the user changed.

A wheel over a number field that has no focus changes nothing; ``--camera`` stays unless another
camera is picked; validation messages sit next to their field, translated. Driven with real wheel
events, clicks and keys (pytest-qt, offscreen).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from payer_app.gui.settings import Settings, load_settings, save_settings, settings_path
from tests.gui_helpers import tr


def wheel(widget, notches: int) -> None:
    """A real mouse-wheel event over the widget's centre (120 units a notch, downwards negative)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_field_changes_nothing(qtbot, make_window):
    window = make_window(camera="demo")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen = window.settings_screen
    assert window.current == "settings"
    for box in (screen.min_amount, screen.max_amount, screen.kiosk_idle):
        before = box.value()
        wheel(box, -3)
        assert box.value() == before, box.objectName()
    language = screen.language.currentData()
    screen.save_button.setFocus()
    wheel(screen.language, -1)
    assert screen.language.currentData() == language
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert (saved["min_amount"], saved["max_amount"]) == (1_000, 499_999_999)
    # a field the user clicked into does take the wheel
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen.kiosk_idle.setFocus()
    wheel(screen.kiosk_idle, 2)
    assert screen.kiosk_idle.value() == 62


def test_saving_the_language_keeps_the_camera_given_on_the_command_line(qtbot, make_window, tmp_path):
    video = str(tmp_path / "bill.avi")
    window = make_window(camera=video)
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen = window.settings_screen
    assert screen.camera.currentData() == video  # the camera in use is what the box shows
    screen.language.setFocus()
    QTest.keyClick(screen.language, Qt.Key.Key_Down)  # Tiếng Việt -> English
    assert screen.language.currentData() == "en"
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "home"
    assert window.ctx.camera_spec == video
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["language"] == "en" and saved["camera"] == "demo"  # --camera is not written to the file
    # picking another camera does replace it
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen.camera.setCurrentIndex(screen.camera.findData("demo"))
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.ctx.camera_spec == "demo"


def test_validation_messages_are_next_to_the_field_and_translated(qtbot, make_window):
    save_settings(Settings(language="en"))
    window = make_window(camera="demo")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen = window.settings_screen
    screen.max_amount.setValue(500)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "settings"
    limit_error = screen.field_errors["settings.limit_max"]
    assert limit_error.isVisibleTo(window)
    assert limit_error.text() == tr("settings.invalid.limits", "en")
    assert screen.message.text() == tr("settings.fix_fields", "en")
    assert QApplication.focusWidget() is screen.max_amount  # the field to fix has the focus
    window.set_language("vi")
    assert limit_error.text() == tr("settings.invalid.limits")
    assert not screen.field_errors["settings.acquirer_url"].isVisibleTo(window)
    screen.max_amount.setValue(2_000_000)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "home"
    assert json.loads(settings_path().read_text(encoding="utf-8"))["max_amount"] == 2_000_000


def test_a_checked_box_shows_a_tick(qtbot, make_window):
    """The checked indicator is not a plain filled square: white tick pixels on the brand colour."""
    window = make_window(camera="demo")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    box = window.settings_screen.sound
    box.setChecked(True)

    def white_pixels_in_indicator() -> int:
        image = box.grab().toImage()
        size = min(26, image.height())
        return sum(1 for x in range(size) for y in range(size)
                   if image.pixelColor(x, y).lightness() > 240 and image.pixelColor(x, y).saturation() < 30)

    checked = white_pixels_in_indicator()
    box.setChecked(False)
    unchecked_background = white_pixels_in_indicator()
    box.setChecked(True)
    assert checked > 10, checked
    assert checked < unchecked_background  # checked: brand colour with a tick; unchecked: a white box


def test_captions_span_the_card_above_their_fields(qtbot, make_window):
    """Even padding: every caption starts where its field starts and is never squeezed into a
    narrow column (the long acquirer caption stays on one line in a 400 px window)."""
    window = make_window(camera="demo")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen = window.settings_screen
    for key, field in screen.fields.items():
        caption = screen.labels[key]
        left = caption.mapTo(screen, caption.rect().topLeft()).x()
        assert left == field.mapTo(screen, field.rect().topLeft()).x(), key
        assert caption.mapTo(screen, caption.rect().bottomLeft()).y() < field.mapTo(screen, field.rect().topLeft()).y()
    caption = screen.labels["settings.acquirer_url"]
    assert caption.height() < 2 * caption.fontMetrics().height()  # one line


def test_every_bad_group_of_a_hand_edited_file_falls_back_alone(payer_home):
    """Each problem ``Settings.validate`` names resets its own fields; a good value is kept."""
    bad = {"language": "fr", "theme": "purple", "min_amount": 10, "max_amount": 5, "pin": "12",
           "operator_pin": "x", "kiosk_idle_seconds": 1, "kiosk_warning_seconds": 0, "resolution": "big",
           "acquirer_url": "ftp://x", "sound": False}
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps(bad), encoding="utf-8")
    assert load_settings() == Settings(sound=False)


def test_the_operator_pin_is_typed_twice_and_kept_as_a_hash_only(qtbot, make_window):
    """Settings (not in kiosk mode) set the kiosk operator PIN: six digits, typed twice, never shown,
    stored as a salted hash; left empty it stays as it was. A kiosk started afterwards opens with it."""
    from payer_app.core.operator_pin import pin_matches

    window = make_window(camera="demo", lang="en")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    screen = window.settings_screen
    assert screen.operator_pin.echoMode() == screen.operator_pin.EchoMode.Password
    assert screen.operator_pin.placeholderText() == tr("settings.operator_pin_none", "en")
    QTest.keyClicks(screen.operator_pin, "13579x0")  # not a digit: not taken
    assert screen.operator_pin.text() == "135790"
    QTest.keyClicks(screen.operator_pin_again, "135791")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "settings"  # two PINs that differ: said under the second field, nothing saved
    assert screen.field_errors["settings.operator_pin_again"].text() == tr("settings.invalid.operator_pin_again", "en")
    assert not settings_path().exists()
    screen.operator_pin_again.clear()
    QTest.keyClicks(screen.operator_pin_again, "135790")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "home"
    text = settings_path().read_text(encoding="utf-8")
    stored = json.loads(text)["operator_pin_hash"]
    assert "135790" not in text and pin_matches(stored, "135790")
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    assert screen.operator_pin.text() == "" and screen.operator_pin.placeholderText() == tr(
        "settings.operator_pin_set", "en"
    )
    QTest.keyClicks(screen.operator_pin, "1234")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert screen.field_errors["settings.operator_pin"].text() == tr("settings.invalid.operator_pin", "en")
    screen.operator_pin.clear()
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)  # empty: the PIN stays
    assert json.loads(settings_path().read_text(encoding="utf-8"))["operator_pin_hash"] == stored

    kiosk = make_window(camera="demo", kiosk=True, lang="en")
    qtbot.keyClick(kiosk, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert kiosk.current == "pin"
    QTest.keyClicks(QApplication.focusWidget(), "135790")
    qtbot.waitUntil(lambda: kiosk.current == "settings", timeout=30_000)


def test_enter_in_a_drop_down_picks_and_neither_saves_nor_leaves(qtbot, make_window):
    window = make_window(camera="demo", kiosk=False, lang="vi")
    window.go("settings")
    screen = window.settings_screen
    saved = []
    screen.saved.connect(saved.append)
    box = screen.theme
    box.setFocus()
    first = box.currentIndex()
    QTest.keyClick(box, Qt.Key.Key_Down)  # the closed drop-down moves to the next value
    QTest.keyClick(box, Qt.Key.Key_Return)  # Enter picks it (opens the list to pick from)
    assert window.current == "settings" and saved == []
    assert box.currentIndex() != first
    box.showPopup()
    view = box.view()
    qtbot.waitUntil(view.isVisible, timeout=5_000)
    QTest.keyClick(view, Qt.Key.Key_Up)
    QTest.keyClick(view, Qt.Key.Key_Return)  # Enter in the open list picks the value, and only that
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5_000)
    assert box.currentIndex() == first
    assert window.current == "settings" and saved == []
