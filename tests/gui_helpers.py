"""What the window tests share: a real window, shown, active (so keys go where a user's would), a
click, a catalogue lookup for UI text, and camera-like frames and videos of a payload's QR code
(drawn with tests/media.py). The window's scan session is stopped by ``close_windows``."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from payer_app.core.refusals import CATALOG as REFUSALS
from payer_app.core.refusals import Refusal
from payer_app.core.signing import verify_request
from payer_app.gui.app import create_window, ensure_application
from payer_app.gui.i18n import Language
from payer_app.payments.keystore import KeyStore
from tests.media import empty_frame, frame_with, qr_array, write_video

CAMERA_SIZE = (640, 480)
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def open_window(qtbot, **kwargs):
    """``create_window(**kwargs)`` shown as ``payer-app gui`` shows it (full screen in kiosk mode)."""
    ensure_application()
    window = create_window(**kwargs)
    qtbot.addWidget(window)
    window.present()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=30_000)
    return window


def close_windows(windows) -> None:
    for window in windows:
        window.scan.stop()


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


PAY_TIMEOUT_MS = 30_000


def to_review(qtbot, window, payload: str, amount: int | None = 50_000, note: str = "") -> None:
    """Payee -> Amount (``amount`` typed unless the QR fixes it, ``note`` typed) -> Review, by clicks."""
    window.open_payload(payload)  # what a scan hands the window
    click(qtbot, window.payee.continue_button)
    if amount is not None and not window.amount.edit.isReadOnly():
        window.amount.edit.clear()
        QTest.keyClicks(window.amount.edit, str(amount))
    if note:
        QTest.keyClicks(window.amount.note, note)
    click(qtbot, window.amount.continue_button)
    assert window.current == "review", window.amount.message.text()
    # With an HTTP acquirer Review asks it for the balance off the GUI thread and keeps Confirm off until the
    # answer (or its failure) is in: a payer waits for that; so does the test, before it clicks Confirm.
    review = window.review
    qtbot.waitUntil(lambda: review.confirm_button.isEnabled() or bool(review.problem_line.text()),
                    timeout=PAY_TIMEOUT_MS)


def enter_pin(qtbot, window, pin: str = "123456") -> None:
    for digit in pin:
        click(qtbot, window.pin.keys[digit])


def pay(qtbot, window, payload: str, amount: int | None = 50_000, note: str = "", pin: str = "123456"):
    """A whole payment by clicks; the ``PaymentOutcome`` (None when paying failed)."""
    to_review(qtbot, window, payload, amount, note)
    click(qtbot, window.review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window, pin)
    return done.args[0]


def pay_typing_the_pin(qtbot, window, payload: str, amount: int = 120_000):
    """Like ``pay``, but the PIN is typed on the keyboard into whatever has the focus (as at a booth);
    the window must end on Result."""
    to_review(qtbot, window, payload, amount)
    click(qtbot, window.review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        QTest.keyClicks(QApplication.focusWidget(), "123456")
    assert window.current == "result"
    return done.args[0]


def verified_request(jws: str, home: Path) -> dict:
    """The signed JSON inside ``jws`` (as signed), verified with the payer's key store in ``home``."""
    result = verify_request(jws, KeyStore(home))
    assert result.ok, result.message
    return result.content


def tr(key: str, lang: str = "vi", **values) -> str:
    """The window's text for catalogue ``key`` (resources/i18n/strings.json), as a screen shows it;
    ``problem.<code>`` for a refusal the window has no words of its own for is the refusal catalogue's
    text (payer_app/core/refusals.py), the one the window reads for it."""
    language = Language(lang)
    code = key.removeprefix("problem.")
    if key.startswith("problem.") and key not in language.catalogue and code in REFUSALS:
        return Refusal(code, **values).text(lang)
    return language.text(key, **values)


def qr_frame(payload: str, size: tuple[int, int] = CAMERA_SIZE, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """A camera-like BGR frame (a desk, ``size`` = width, height) with the payload's QR code in the
    middle, moved by ``offset`` pixels. A new array each call; the drawing is made once per process
    (the same arguments always draw the same frame: the desk's noise has a fixed seed), since drawing
    a code and a desk takes ~50 ms of CPU and a video repeats a few frames many times."""
    return _drawn_qr_frame(payload, tuple(size), tuple(offset)).copy()


@functools.lru_cache(maxsize=8)
def _drawn_qr_frame(payload: str, size: tuple[int, int], offset: tuple[int, int]) -> np.ndarray:
    side = qr_array(payload, scale=5).shape[0]
    w, h = size
    x, y = (w - side) // 2 + offset[0], (h - side) // 2 + offset[1]
    frame = frame_with([(payload, x, y)], width=w, height=h, scale=5)
    frame.flags.writeable = False  # the cached drawing: callers get copies
    return frame


def scan_video(path: Path, payload: str, frames: int = 24, fps: float = 12.0) -> Path:
    """A handheld scan as a video file: four frames of aiming with no code, then the code held
    in view (shaking a pixel or two)."""
    w, h = CAMERA_SIZE
    aiming = [empty_frame(w, h, seed=i) for i in range(min(4, frames))]
    held = [qr_frame(payload, offset=(i % 3, 0)) for i in range(len(aiming), frames)]
    return write_video(path, aiming + held, fps=fps)


class ManualClock:
    """A monotonic clock (seconds) that moves only when told: ``advance(seconds)``, which also
    serves as the ``sleep`` of the code under test."""

    def __init__(self, start: float = 0.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fire(timer) -> None:
    """What a running QTimer does when its interval is over, now: a test checks the interval it
    was started with and then fires it instead of waiting for it."""
    assert timer.isActive(), "the timer is not running"
    if timer.isSingleShot():
        timer.stop()
    timer.timeout.emit()


def screenshot_at_scale(widget, folder: Path, stem: str) -> Path:
    """The widget as FOLDER/STEM.png; with PAYER_APP_UPDATE_SCREENSHOTS=1 also copied to docs/screenshots/,
    as STEM.png, or STEM_<scale>x.png under a QT_SCALE_FACTOR other than 1 (1.5 gives STEM_15x.png)."""
    shot = folder / f"{stem}.png"
    assert widget.grab().save(str(shot), "PNG")
    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1":
        scale = os.environ.get("QT_SCALE_FACTOR", "1")
        name = f"{stem}.png" if scale == "1" else f"{stem}_{scale.replace('.', '')}x.png"
        shutil.copyfile(shot, SCREENSHOTS / name)
    return shot


def window_at_home(window) -> list[str]:
    """Why ``window`` is not as a user finds it after Cancel (Hủy) on a payment step: '' reasons when it
    is on Home with nothing behind it, no payment begun, no camera running, no dialog open, nothing
    typed left for the next payment to show, and the keyboard's focus in it. What a test that shares a window checks
    before and after it runs."""
    problems = []
    if window.nav.trail != ("home",):
        problems.append(f"the screens are {window.nav.trail}, not Home alone")
    if window.ctx.flow.parsed is not None:
        problems.append("a payment is still begun")
    if window.scan_adapter.running:
        problems.append("the camera still runs")
    dialogs = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]
    if QApplication.activeModalWidget() is not None or dialogs:
        problems.append(f"a dialog is open: {dialogs or QApplication.activeModalWidget()}")
    # Cancel leaves the hidden Amount fields as they were and the next payment's Amount screen starts
    # anew (it is prepared for one payment): what was typed is left only if it would be shown again.
    amount = window.amount
    typed = {name: edit.text() for name, edit in (("amount", amount.edit), ("note", amount.note)) if edit.text()}
    if typed and amount._prepared_for is window.ctx.flow:
        problems.append(f"typed text left for the next payment: {typed}")
    if window.pin.digits:
        problems.append("PIN digits left")
    if QApplication.activeWindow() is not window:
        problems.append("the window is not the active one")
    return problems


def back_home(qtbot, window) -> None:
    """What a user does to start again: Cancel on the screen shown (the product's way Home), then the
    check that the window is as ``window_at_home`` wants it."""
    if window.current != "home":
        screen = window.screens[window.current]
        cancel = getattr(screen, "cancel_button", None)
        if cancel is not None and cancel.isVisibleTo(window):
            click(qtbot, cancel)
        else:
            window.cancel()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=30_000)
    problems = window_at_home(window)
    assert not problems, problems
