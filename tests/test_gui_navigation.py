"""Rules asked of core, one navigator, Back / Cancel / Escape / Enter, consistent naming.

Driven through the real window with clicks and keys (pytest-qt, offscreen); payments go through the
window's one real PaymentService with its embedded mock acquirer.

The tests that only move between screens and look (nothing paid, saved or set) share one window
(``home_window``), returned Home by its Cancel after each and checked to be as a fresh one (gui_helpers
``window_at_home``); the tests that pay, or change the window's scan clock, each open their own.
"""

from __future__ import annotations

import threading

import cv2
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QScrollArea
from pytestqt.qtbot import QtBot

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.request import note_problem
from payer_app.gui.screens.scan import LEFT_VIEW_S
from payer_app.payments.acquirer_client import EmbeddedAcquirerClient
from tests.gui_helpers import (
    PAY_TIMEOUT_MS,
    ManualClock,
    back_home,
    click,
    close_windows,
    open_window,
    pay,
    qr_frame,
    scan_video,
    to_review,
    tr,
    window_at_home,
)

EVN_CODE = "PD01000123456"


@pytest.fixture(scope="module")
def shared_window(request, qapp, tmp_path_factory):
    """One usual window (demo camera, not a kiosk, Vietnamese) for this file's looking tests, over a
    data folder of its own (the window binds to its data folder when built)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAYER_APP_HOME", str(tmp_path_factory.mktemp("shared_home") / "payer_home"))
        window = open_window(QtBot(request), camera="demo", kiosk=False, lang="vi")
    assert window_at_home(window) == []
    yield window
    close_windows([window])
    window.close()


@pytest.fixture
def home_window(qtbot, shared_window):
    """The shared window, on Home as a fresh one is (active again: a test between may have opened a window
    of its own); taken Home again (and checked) after the test."""
    back_home(qtbot, shared_window)
    yield shared_window
    back_home(qtbot, shared_window)


def key(qtbot, key) -> None:
    """A key press where the user's focus is (what a real keyboard does)."""
    target = QApplication.focusWidget()
    assert target is not None, "no widget has the keyboard focus"
    QTest.keyClick(target, key)
    QApplication.processEvents()


def type_text(qtbot, text: str) -> None:
    target = QApplication.focusWidget()
    assert target is not None, "no widget has the keyboard focus"
    QTest.keyClicks(target, text)


# 1. rules in core ----------------------------------------------------------------------------
def test_dynamic_qr_over_the_limit_is_refused_on_the_payee_screen_before_any_pin(qtbot, home_window):
    payload = vietqr_payload("970436", "0011001234567", amount=600_000_000, merchant_name="CONG TY AN PHAT")
    home_window.open_payload(payload)
    payee = home_window.payee
    assert home_window.current == "payee"
    assert payee.error_box.isVisibleTo(home_window)
    assert not payee.continue_button.isVisibleTo(home_window)
    assert payee.error_text.text() == tr("problem.above-maximum", amount="600.000.000 ₫", max="499.999.999 ₫")
    # Enter takes the only way on: scanning again, never the amount / review / PIN steps
    key(qtbot, Qt.Key.Key_Return)
    assert home_window.current == "scan"


def test_amount_screen_shows_limit_problems_while_typing(qtbot, home_window):
    home_window.open_payload(evn_bill_payload(EVN_CODE))
    click(qtbot, home_window.payee.continue_button)
    amount = home_window.amount
    assert QApplication.focusWidget() is amount.edit
    type_text(qtbot, "600000000")
    assert amount.message.text() == tr("problem.above-maximum", amount="600.000.000 ₫", max="499.999.999 ₫")
    amount.edit.clear()
    type_text(qtbot, "5")
    assert amount.message.text() == tr("problem.below-minimum", amount="5 ₫", min="1.000 ₫")
    type_text(qtbot, "0000")
    assert amount.message.text() == ""
    # the field stops one digit past the maximum's length (499.999.999: 9 digits)
    amount.edit.clear()
    type_text(qtbot, "12345678901234")
    assert amount.edit.value() == 1_234_567_890


def test_after_the_enter_an_amount_error_the_next_digits_go_into_the_field(qtbot, home_window):
    home_window.open_payload(evn_bill_payload(EVN_CODE))
    key(qtbot, Qt.Key.Key_Return)  # Payee: Enter = Continue
    assert home_window.current == "amount"
    click(qtbot, home_window.amount.continue_button)
    assert home_window.amount.message.text() == tr("problem.amount-required")
    type_text(qtbot, "75000")
    assert home_window.amount.edit.value() == 75_000
    key(qtbot, Qt.Key.Key_Return)
    assert home_window.current == "review"



def test_a_note_with_control_or_bidi_characters_is_refused_on_the_amount_screen(qtbot, home_window):
    """Core's note rule (what verify and the acquirer refuse) is shown on Amount, before Review."""
    home_window.open_payload(evn_bill_payload(EVN_CODE))
    key(qtbot, Qt.Key.Key_Return)
    type_text(qtbot, "75000")
    home_window.amount.note.setFocus()
    type_text(qtbot, "Tien dien")
    assert home_window.amount.note_message.text() == ""
    home_window.amount.note.insert("\u202e\x1b[32m")  # pasted: a bidi override and an escape sequence
    problem = note_problem(home_window.amount.note.text().strip())
    assert problem.code == "bad-note" and home_window.amount.note_message.text() == problem.text("vi")  # core's words
    key(qtbot, Qt.Key.Key_Return)
    assert home_window.current == "amount" and QApplication.focusWidget() is home_window.amount.note
    home_window.amount.note.setText("Tien dien T11")
    assert home_window.amount.note_message.text() == ""
    key(qtbot, Qt.Key.Key_Return)
    assert home_window.current == "review" and home_window.ctx.flow.choice.note == "Tien dien T11"

# 2. one navigator: Back, Cancel, Escape ------------------------------------------------------
def test_back_returns_one_step_at_a_time(qtbot, home_window):
    to_review(qtbot, home_window, evn_bill_payload(EVN_CODE), 64_000)
    click(qtbot, home_window.review.confirm_button)
    assert home_window.current == "pin"
    visited = []
    for _ in range(4):
        click(qtbot, home_window.screens[home_window.current].top.back)
        visited.append(home_window.current)
    assert visited == ["review", "amount", "payee", "home"]


def test_every_screen_entered_is_logged_by_its_name(qtbot, home_window, caplog):
    """``payer_app.gui.navigator`` logs "screen <name>" on each move (what ``gui --verbose`` shows)."""
    caplog.set_level("INFO", logger="payer_app.gui.navigator")
    to_review(qtbot, home_window, evn_bill_payload(EVN_CODE), 64_000)
    click(qtbot, home_window.review.confirm_button)
    click(qtbot, home_window.pin.cancel_button)
    lines = [r.getMessage() for r in caplog.records if r.name == "payer_app.gui.navigator"]
    assert lines == [f"screen {name}" for name in ("payee", "amount", "review", "pin", "home")]


def test_escape_goes_back_and_keeps_the_typed_amount(qtbot, home_window):
    to_review(qtbot, home_window, evn_bill_payload(EVN_CODE), 64_000)
    key(qtbot, Qt.Key.Key_Escape)
    assert home_window.current == "amount"
    assert home_window.amount.edit.text() == "64.000 ₫"
    key(qtbot, Qt.Key.Key_Escape)
    key(qtbot, Qt.Key.Key_Escape)
    assert home_window.current == "home"


@pytest.mark.parametrize("step", ["scan", "payee", "amount", "review", "pin"])
def test_cancel_on_every_payment_step_returns_home(qtbot, home_window, step):
    if step == "scan":
        click(qtbot, home_window.home.scan_button)
    else:
        to_review(qtbot, home_window, evn_bill_payload(EVN_CODE))
        if step == "pin":
            click(qtbot, home_window.review.confirm_button)
        elif step != "review":
            home_window.go(step)
    assert home_window.current == step
    screen = home_window.screens[step]
    assert screen.cancel_button.isVisibleTo(home_window)
    assert screen.cancel_button.text() == tr("common.cancel")
    click(qtbot, screen.cancel_button)
    assert home_window.current == "home"
    assert home_window.ctx.flow.parsed is None
    assert not home_window.scan_adapter.running
    # Back from Home goes nowhere
    key(qtbot, Qt.Key.Key_Escape)
    assert home_window.current == "home"


@pytest.fixture(scope="module")
def bill_held_in_view(tmp_path_factory):
    """A camera filming a bill held in view: a 640x480 video of 60 frames at 12 a second, which the
    window plays as a camera, at its own speed. The engine confirms the code again 3 s after it last
    did (its hold-off, payer_app/scan/confirm.py): at frame 41 after the camera reopens, inside the 60.
    Cheaper to decode than the demo camera's 1280x720 frames at 30 a second, for what these tests
    look at: the scan screen's hold-off, not the camera."""
    return scan_video(tmp_path_factory.mktemp("camera") / "bill.avi", evn_bill_payload(EVN_CODE), frames=60)


@pytest.fixture
def camera_window(make_window, bill_held_in_view):
    return make_window(camera=str(bill_held_in_view), kiosk=False, lang="vi")


def scan_then_back(qtbot, window) -> None:
    """Scan the bill (the payee opens), then Back to Scan with the bill still in view; the scan
    screen's hold-off runs on a clock the test moves by hand."""
    window.scan.clock = ManualClock()
    with qtbot.waitSignal(window.scan.scanned, timeout=20_000):
        click(qtbot, window.home.scan_button)
    assert window.current == "payee"
    with qtbot.waitSignal(window.scan_adapter.accepted, timeout=20_000):  # the camera sees it again
        click(qtbot, window.payee.top.back)


def test_back_from_payee_does_not_accept_the_same_code_again_at_once(qtbot, camera_window):
    window = camera_window
    scan_then_back(qtbot, window)
    assert window.current == "scan"  # seen, not accepted again
    assert window.scan_adapter.running
    click(qtbot, window.scan.top.back)
    assert window.current == "home"
    assert not window.scan_adapter.running


def test_the_same_code_still_in_view_is_not_accepted_again_however_long_it_stays(qtbot, camera_window):
    window = camera_window
    scan_then_back(qtbot, window)
    window.scan.clock.advance(600)  # ten minutes with the bill held in front of the camera
    with qtbot.waitSignal(window.scan_adapter.accepted, timeout=20_000):
        pass  # the camera confirms it once more
    assert window.current == "scan"


def test_the_same_code_is_accepted_again_once_it_has_left_the_view(qtbot, camera_window):
    window = camera_window
    scan_then_back(qtbot, window)
    detections = window.scan_adapter.detections
    detections.emit([], 1.0)  # frames without a code (the bill taken away) for LEFT_VIEW_S
    window.scan.clock.advance(LEFT_VIEW_S)
    detections.emit([], 1.0)
    qtbot.waitUntil(lambda: window.current == "payee", timeout=15_000)  # shown again: a new scan


def test_back_after_a_picked_image_returns_to_where_it_was_picked(qtbot, home_window, tmp_path):
    payload = vietqr_payload("970415", "113366668888", amount=30_000, purpose="Thanh toan")
    image = tmp_path / "bill.png"
    cv2.imwrite(str(image), qr_frame(payload))
    with qtbot.waitSignal(home_window.scan.scanned, timeout=15_000):
        home_window.open_image(str(image))  # what Home's "Chọn ảnh" does once the file is chosen
    assert home_window.current == "payee"
    assert not home_window.scan_adapter.running  # no camera was opened for a picked image
    click(qtbot, home_window.payee.top.back)
    assert home_window.current == "home"
    assert not home_window.scan_adapter.running


def test_the_pin_screen_cannot_be_left_while_the_payment_is_sent(qtbot, window, monkeypatch):
    # The acquirer's answer is held until the test has tried to leave: without the hold, a fast answer
    # could reach Result between the clicks, and the test would race the payment.
    sending, release = threading.Event(), threading.Event()
    real_submit = EmbeddedAcquirerClient.submit

    def held_submit(client, jws):
        sending.set()
        release.wait(60)
        return real_submit(client, jws)

    monkeypatch.setattr(EmbeddedAcquirerClient, "submit", held_submit)
    to_review(qtbot, window, evn_bill_payload(EVN_CODE))
    click(qtbot, window.review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        type_text(qtbot, "123456")  # the PIN typed on the keyboard
        qtbot.waitUntil(lambda: sending.is_set() and window.pin.busy, timeout=30_000)
        click(qtbot, window.pin.cancel_button)
        key(qtbot, Qt.Key.Key_Escape)
        assert window.current == "pin"
        release.set()
    assert done.args[0] is not None and done.args[0].status == "approved"
    assert window.current == "result"


# 4. keyboard ---------------------------------------------------------------------------------
def test_a_whole_payment_with_the_keyboard_only(qtbot, window):
    window.open_payload(evn_bill_payload(EVN_CODE))
    assert QApplication.focusWidget() is window.payee.continue_button
    key(qtbot, Qt.Key.Key_Return)
    type_text(qtbot, "88000")
    key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.amount.note
    type_text(qtbot, "Tien dien")
    key(qtbot, Qt.Key.Key_Return)
    assert window.current == "review"
    assert QApplication.focusWidget() is window.review.confirm_button
    key(qtbot, Qt.Key.Key_Return)
    assert window.current == "pin"
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        type_text(qtbot, "123456")
    outcome = done.args[0]
    assert outcome.status == "approved" and outcome.request.note == "Tien dien"
    assert outcome.request.amount == 88_000
    assert QApplication.focusWidget() is window.result.new_button
    key(qtbot, Qt.Key.Key_Return)
    assert window.current == "home"


# 6. naming -----------------------------------------------------------------------------------
def test_a_vietqr_payee_has_one_name_and_the_signed_account_is_the_one_shown(qtbot, window):
    payload = vietqr_payload("970436", "0011009998888", amount=None, purpose="Chuyen tien")
    to_review(qtbot, window, payload, 20_000)
    assert window.payee.name.text() == "Vietcombank •••• 8888"
    assert window.review.rows["to"].value.text() == "Vietcombank •••• 8888"
    from_account = window.review.rows["from"].value.text()
    click(qtbot, window.review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        type_text(qtbot, "123456")
    signed = done.args[0].request.payer.account
    assert from_account.startswith("•••• " + signed[-4:])
    assert window.result.rows["to"].value.text() == "Vietcombank •••• 8888"
    assert window.result.rows["account"].value.text() == "•••• 8888"
    click(qtbot, window.result.new_button)
    qtbot.waitUntil(lambda: any(r.isVisibleTo(window) for r in window.home.recent_card.findChildren(QPushButton)))
    rows = [r for r in window.home.recent_card.findChildren(QPushButton, "HistoryRow") if r.isVisibleTo(window)]
    assert [r.findChildren(QLabel)[0].text() for r in rows] == ["Vietcombank •••• 8888"]


def test_paste_from_home_is_not_overtaken_by_the_camera_and_back_returns_home(qtbot, home_window):
    payload = vietqr_payload("970415", "113366668888", amount=30_000, purpose="Dan tu bo nho tam")
    QApplication.clipboard().setText(payload)
    with qtbot.waitSignal(home_window.scan.scanned, timeout=30_000) as got:
        click(qtbot, home_window.home.paste_button)
    assert got.args[0].text == payload
    assert home_window.current == "payee"
    assert home_window.payee.rows["purpose"].value.text() == "Dan tu bo nho tam"
    assert not home_window.scan_adapter.running  # the demo camera (which always sees its bill) never ran
    click(qtbot, home_window.payee.top.back)
    assert home_window.current == "home"


def test_keyboard_focus_is_drawn_on_the_back_button_and_buttons(qtbot, home_window):
    to_review(qtbot, home_window, evn_bill_payload(EVN_CODE))
    for widget in (home_window.review.top.back, home_window.review.cancel_button, home_window.review.confirm_button):
        home_window.review.amount_caption.setFocus()
        qtbot.waitUntil(lambda w=widget: not w.hasFocus())
        plain = widget.grab().toImage()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(widget.hasFocus)
        assert widget.grab().toImage() != plain, widget.objectName()  # a visible focus ring
    # Shift+Tab from Confirm walks back up the screen: the details (scrollable), Cancel, Back
    home_window.review.confirm_button.setFocus(Qt.FocusReason.TabFocusReason)
    seen = []
    for _ in range(3):
        key(qtbot, Qt.Key.Key_Backtab)
        seen.append(QApplication.focusWidget())
    assert isinstance(seen[0], QScrollArea)
    assert seen[1:] == [home_window.review.cancel_button, home_window.review.top.back]


def test_home_tiles_show_big_symbols_and_open_with_the_keyboard(qtbot, home_window):
    tile = home_window.home.history_button
    symbol, caption = tile.findChildren(QLabel)
    assert caption.text() == tr("home.history") and tile.accessibleName() == tr("home.history")
    assert QFontInfo(symbol.font()).pixelSize() >= 24 > QFontInfo(caption.font()).pixelSize()
    tile.setFocus(Qt.FocusReason.TabFocusReason)
    key(qtbot, Qt.Key.Key_Return)
    assert home_window.current == "history"


def test_payee_and_result_open_at_their_top(qtbot, window):
    """A screen moved to opens at its top (the refusal title, the result's icon), wherever the last
    visit left it; Back returns to where the user was."""
    window.resize(400, 480)
    payload = evn_bill_payload("PD01000123456")
    area = window.payee.findChild(QScrollArea)
    for _ in range(2):
        window.open_payload(payload)
        qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=5_000)
        assert area.verticalScrollBar().value() == 0
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
        click(qtbot, window.payee.continue_button)
        click(qtbot, window.amount.top.back)
        assert area.verticalScrollBar().value() == area.verticalScrollBar().maximum()  # Back: where it was
        click(qtbot, window.payee.cancel_button)
    area = window.result.findChild(QScrollArea)
    for _ in range(2):
        pay(qtbot, window, payload, amount=120_000)
        qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=5_000)
        assert area.verticalScrollBar().value() == 0
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
        click(qtbot, window.result.new_button)


def test_a_click_on_empty_space_on_amount_leaves_the_focus_on_the_amount(qtbot, home_window):
    home_window.open_payload(evn_bill_payload("PD01000123456"))
    click(qtbot, home_window.payee.continue_button)
    amount = home_window.amount
    amount.edit.clear()
    QTest.keyClicks(amount.edit, "12")
    area = amount.findChild(QScrollArea)
    for target, point in ((area.viewport(), area.viewport().rect().bottomLeft() + QPoint(8, -8)),
                          (amount.limits, amount.limits.rect().center())):
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=point)
        QTest.keyClicks(QApplication.focusWidget(), "3")
    assert amount.edit.value() == 1233
