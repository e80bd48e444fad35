"""Kiosk mode, scanning through the real scan engine (video file and image file written by the
tests, read by OpenCV), settings persistence, and the scan adapter's error reporting."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.operator_pin import hash_pin
from payer_app.gui.app import ensure_application
from payer_app.gui.scan_adapter import ScanAdapter, bgr_to_qimage, paced_video, qimage_to_bgr
from payer_app.gui.settings import Settings, load_settings, save_settings, settings_path
from payer_app.payments.history import HISTORY_FILE, History
from payer_app.scan.source_specs import make_source
from tests.gui_helpers import ManualClock, fire, qr_frame, scan_video, tr

EVN_CODE = "PE09000123456"


def test_scan_a_video_file_camera_through_the_real_engine(qtbot, make_window, tmp_path):
    payload = evn_bill_payload(EVN_CODE)
    video = scan_video(tmp_path / "scan.avi", payload)
    window = make_window(camera=str(video))
    with qtbot.waitSignal(window.scan.scanned, timeout=15_000) as got:
        qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
    result = got.args[0]
    assert result.text == payload
    assert result.frame is not None and result.frame.width() == 640
    assert len(result.polygon) == 4
    assert window.current == "payee"
    assert window.payee.rows["customer_code"].value.text() == EVN_CODE
    assert not window.scan_adapter.running  # the session stops once a code is accepted
    window.go("inspector")
    assert window.inspector.decode_line.text() == tr("inspector.decoded_by", decoder=result.decoder,
                                                     ms=f"{result.decode_ms:.1f}")
    assert window.inspector.frame.pixmap() is not None and not window.inspector.frame.pixmap().isNull()


def test_pick_an_image_file(qtbot, make_window, tmp_path):
    payload = vietqr_payload("970415", "113366668888", amount=30_000, purpose="Thanh toan")
    image = tmp_path / "bill.png"
    cv2.imwrite(str(image), qr_frame(payload))
    window = make_window(camera="demo")
    with qtbot.waitSignal(window.scan.scanned, timeout=15_000):
        window.open_image(str(image))
    assert window.current == "payee"
    assert window.ctx.flow.parsed.amount == 30_000


def test_image_without_qr_and_unreadable_file_give_messages(qtbot, make_window, tmp_path):
    window = make_window(camera="demo")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 255, dtype=np.uint8))
    with qtbot.waitSignal(window.scan_adapter.image_decoded, timeout=15_000):
        window.open_image(str(blank))
    assert window.scan.hint.text() == tr("scan.image_no_qr", name=str(blank))
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    with qtbot.waitSignal(window.scan_adapter.image_failed, timeout=15_000):
        window.open_image(str(junk))
    assert window.scan.hint.text().startswith(tr("scan.image_error", problem=""))
    assert window.current == "scan"


def test_two_payment_qrs_in_one_image_are_not_picked_silently(qtbot, make_window, tmp_path):
    a = qr_frame(evn_bill_payload(EVN_CODE), size=(480, 480))
    b = qr_frame(vietqr_payload("970436", "0011001234567"), size=(480, 480))
    cv2.imwrite(str(tmp_path / "two.png"), np.hstack([a, b]))
    window = make_window(camera="demo")
    with qtbot.waitSignal(window.scan_adapter.image_decoded, timeout=15_000):
        window.open_image(str(tmp_path / "two.png"))
    assert window.current == "scan"
    assert window.scan.hint.text() == tr("scan.hint_many", count=2)


def test_kiosk_returns_home_after_the_receipt_and_when_idle(qtbot, make_window, payer_home):
    save_settings(Settings(kiosk_result_seconds=1, operator_pin_hash=hash_pin("135790")))  # the operator's PIN
    window = make_window(camera="demo", kiosk=True)
    assert window.isFullScreen()
    assert not window.home.settings_button.isVisibleTo(window)
    assert not window.home.history_button.isVisibleTo(window)  # no history unless told to
    window.open_payload(evn_bill_payload(EVN_CODE))
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    window.amount.edit.set_value(120_000)
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.payment_finished, timeout=20_000):
        for digit in "123456":
            qtbot.mouseClick(window.pin.keys[digit], Qt.MouseButton.LeftButton)
    assert window.current == "result"
    assert window.result.kiosk_line.text() == tr("result.kiosk_return", seconds=1)
    assert window.kiosk.result_timer.interval() == 1_000
    fire(window.kiosk.result_timer)  # one second later
    assert window.current == "home"
    assert window.ctx.flow.parsed is None  # the finished payment is forgotten
    assert History(payer_home / HISTORY_FILE).list() == []  # and the kiosk kept no history of it

    # idle on a flow screen: warned first, then back to Home
    window.ctx.settings.kiosk_idle_seconds = 1
    window.ctx.settings.kiosk_warning_seconds = 1
    window.open_payload(evn_bill_payload(EVN_CODE))
    assert window.current == "payee"
    assert window.kiosk.idle_timer.interval() == 1_000
    fire(window.kiosk.idle_timer)
    assert window.kiosk.idle_warning.isVisible()
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home"

    # settings hidden behind a key combination and the operator PIN
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.current == "pin"
    for digit in "135790":
        qtbot.mouseClick(window.pin.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current == "settings", timeout=30_000)


def test_settings_saved_as_json_and_applied(qtbot, make_window, payer_home):
    window = make_window(camera="demo")
    window.go("settings")
    screen = window.settings_screen
    screen.language.setCurrentIndex(screen.language.findData("en"))
    screen.theme.setCurrentIndex(screen.theme.findData("dark"))
    screen.mirror.setChecked(True)
    screen.min_amount.setValue(5_000)
    screen.acquirer.setText("ftp://nope")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    acquirer_error = screen.field_errors["settings.acquirer_url"]
    assert acquirer_error.isVisibleTo(window)
    assert acquirer_error.text() == tr("settings.invalid.acquirer_url")  # next to the field
    assert window.current == "settings"
    screen.acquirer.setText("")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert window.current == "home"
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert saved["language"] == "en" and saved["theme"] == "dark" and saved["mirror"] is True
    assert saved["min_amount"] == 5_000
    assert window.home.scan_button.text().endswith(tr("home.scan", "en"))
    assert "#0F1513" in window.styleSheet()
    assert window.scan.preview.mirror
    # a new window starts with them
    again = make_window(camera="demo")
    assert again.ctx.language.code == "en" and again.ctx.settings.min_amount == 5_000


def test_damaged_settings_file_falls_back_to_defaults(payer_home):
    path = settings_path()
    path.write_text("{not json", encoding="utf-8")
    assert load_settings() == Settings()
    path.write_text(json.dumps({"language": "fr", "min_amount": 10, "max_amount": 5, "sound": False,
                                "theme": 3}), encoding="utf-8")
    loaded = load_settings()
    assert loaded.language == "vi" and loaded.theme == "light"
    assert (loaded.min_amount, loaded.max_amount) == (1_000, 499_999_999)
    assert loaded.sound is False


def test_scan_adapter_reports_a_bad_source_and_converts_frames(qtbot):
    ensure_application()
    adapter = ScanAdapter()
    with qtbot.waitSignal(adapter.failed, timeout=30_000) as failed:
        adapter.start("/nonexistent/video.avi")
    assert "/nonexistent/video.avi" in failed.args[0]
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    frame[0, 0] = (255, 0, 0)  # blue in BGR
    image = bgr_to_qimage(frame)
    assert (image.width(), image.height()) == (64, 48)
    assert image.pixelColor(0, 0).blue() == 255 and image.pixelColor(0, 0).red() == 0
    assert np.array_equal(qimage_to_bgr(image), frame)


def test_missing_webcam_falls_back_to_the_demo_camera_which_finds_its_bill(qtbot, make_window):
    from payer_app.scan.demo_camera import demo_bill_payload

    window = make_window(camera="camera:57")
    hints = []
    window.scan.hint_changed.connect(hints.append)
    with qtbot.waitSignal(window.scan.scanned, timeout=20_000) as got:
        qtbot.mouseClick(window.home.scan_button, Qt.MouseButton.LeftButton)
    assert window.ctx.camera_spec == "demo"
    assert got.args[0].text == demo_bill_payload()
    assert hints[0] == tr("scan.no_camera", problem="camera:57: camera not found or busy")
    assert hints[-1] == tr("scan.hint_found")
    assert not any(h.startswith(tr("scan.camera_error", problem="")) for h in hints)
    assert window.current == "payee"


def test_a_video_camera_is_handed_over_at_its_own_frame_rate(tmp_path):
    """Frame n of a video standing in for a camera comes n / fps seconds after the first, never
    sooner (the scan engine alone reads files as fast as it can); timed by a hand-moved clock."""
    video = scan_video(tmp_path / "two-seconds.avi", evn_bill_payload(EVN_CODE), frames=24, fps=12.0)
    clock = ManualClock()
    source = paced_video(make_source(str(video)), clock=clock, sleep=clock.advance).open()
    handed = []
    while (frame := source.read()) is not None:
        handed.append((frame.index, clock()))
    source.close()
    assert [index for index, _ in handed] == list(range(24))
    assert all(at == pytest.approx(index / 12.0) for index, at in handed)


def test_the_window_plays_a_video_camera_paced(qtbot, tmp_path):
    """The scan adapter paces a video file source: the whole two-second video took two seconds
    on the adapter's clock (here one that moves only when the pacing sleeps)."""
    ensure_application()
    video = scan_video(tmp_path / "two-seconds.avi", evn_bill_payload(EVN_CODE), frames=24, fps=12.0)
    clock = ManualClock()
    adapter = ScanAdapter(clock=clock, sleep=clock.advance)
    with qtbot.waitSignal(adapter.finished, timeout=15_000):
        adapter.start(str(video))
    adapter.wait_stopped()
    assert clock() == pytest.approx(23 / 12.0)
