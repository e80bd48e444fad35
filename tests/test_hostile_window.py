"""The payment steps added last (Review's source-account picker, the face check, the PIN after it)
tried as a hurried user would, in the real window (pytest-qt, offscreen): Enter pressed twice, the
second click of a double click landing on the next screen, Back right after the last PIN digit, the
account in use removed while the window runs. Nothing may be signed or paid that the payer did not
see and mean."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from payer_app.core.builder import vietqr_payload
from payer_app.core.refusals import Refusal
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.accounts import PayerAccounts
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.service import PaymentService
from tests.acquirer_helpers import LedgerServer, account_code
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, to_review

SHOP = vietqr_payload("970416", "257678859")  # a person's account: the amount is typed
CODE = "ENROL-7Q2X-94KD-0003"  # the HTTP acquirer's enrolment code (16 characters at least)


def _second_click_of_a_double_click(widget) -> None:
    """What Qt delivers when the second press of a double click lands on ``widget`` (the first one
    was on the button the screen had there before): a double-click event, then the release."""
    centre = QPointF(widget.rect().center())
    where = QPointF(widget.mapToGlobal(centre.toPoint()))
    for kind in (QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseButtonRelease):
        event = QMouseEvent(kind, centre, where, Qt.MouseButton.LeftButton,
                            Qt.MouseButton.LeftButton if kind == QEvent.Type.MouseButtonDblClick
                            else Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)


def test_enter_pressed_twice_on_review_stops_at_the_face_check(qtbot, window):
    to_review(qtbot, window, SHOP, 12_000_000)
    for _ in range(2):  # a hurried Enter, or a key that repeats
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert window.current == "face_check"
    assert window.ctx.flow.choice.auth == "pin"  # nothing passed


def test_a_double_click_on_confirm_does_not_pass_the_face_check(qtbot, window):
    to_review(qtbot, window, SHOP, 12_000_000)
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check"
    for button in (window.face_check.simulate_pass, window.face_check.simulate_fail):
        _second_click_of_a_double_click(button)
        assert window.current == "face_check" and not window.face_check.failed
    click(qtbot, window.face_check.simulate_pass)  # one click, meant: it passes
    assert window.current == "pin" and window.ctx.flow.choice.auth == "biometric"


def test_a_double_click_on_amounts_continue_does_not_confirm_review(qtbot, window):
    to_review(qtbot, window, SHOP, 50_000)
    _second_click_of_a_double_click(window.review.confirm_button)  # where Continue was
    assert window.current == "review"
    click(qtbot, window.review.confirm_button)
    assert window.current == "pin"


def test_back_right_after_the_last_pin_digit_pays_nothing(qtbot, window):
    to_review(qtbot, window, SHOP, 50_000)
    click(qtbot, window.review.confirm_button)
    paid = []
    window.payment_finished.connect(paid.append)
    enter_pin(qtbot, window)  # the PIN is checked a moment after its sixth digit...
    window.back()  # ...and the payer has already gone back
    assert window.current == "review"
    window.pin._check()  # what the pending check does when its moment comes
    assert not window.services.payments.busy and paid == []
    assert window.ctx.service.history() == []


def test_review_does_not_pay_from_an_account_removed_while_the_window_runs(qtbot, payer_home, make_window):
    accounts = PayerAccounts(payer_home)
    accounts.add("970436", "0011001234567", "NGUYEN VAN A", balance=1_000_000)
    second = accounts.add("970415", "1234567890", "TRAN THI B", balance=5_000_000)
    window = make_window(camera="demo", kiosk=False, lang="vi")
    PayerAccounts(payer_home).remove("p1")  # `payer-app accounts remove p1` in a terminal
    to_review(qtbot, window, SHOP, 50_000)
    review = window.review
    assert review.rows["from"].value.text() == "•••• 7890 · TRAN THI B"
    assert review.rows["balance"].value.text() == "5.000.000 ₫"
    click(qtbot, review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    assert (done.args[0].request.payer.bank_bin, done.args[0].request.payer.account) == (second.bank_bin,
                                                                                         second.account)


@pytest.fixture
def http_acquirer(tmp_path):
    app = create_app(tmp_path / "acquirer.sqlite3", FailureSettings(), enrol_code=CODE)
    served = LedgerServer(app).start()
    served.acquirer = app.state.acquirer
    yield served
    served.stop()


def test_confirm_waits_for_the_http_acquirers_balance_after_the_account_changes(qtbot, payer_home, http_acquirer,
                                                                                 make_window):
    """A hurried Confirm before the bank has said the balance would reach the PIN with a payment the
    bank then refuses: Confirm stays off until the answer, for the first account and after a switch."""
    for bank_bin, account, balance in (("970415", "2000002", 7_000_000), ("970436", "1000001", 100_000)):
        PayerAccounts(payer_home).add(bank_bin, account, f"PAYER {account}")
        PayerAccounts(payer_home).use(PayerAccounts(payer_home).list()[-1].id)
        http_acquirer.acquirer.ledger.balances.open(f"{bank_bin}/{account}", balance)
        with PaymentService(payer_home, acquirer_url=http_acquirer.url) as service:  # the operator's code
            service.enrol(code=account_code(http_acquirer.url, bank_bin, account))
    save_settings(Settings(acquirer_url=http_acquirer.url))
    window = make_window(camera="demo", lang="vi")  # paying from the poor account, the current one
    review = window.review
    with qtbot.waitSignal(review._balance_lookup.answered, timeout=PAY_TIMEOUT_MS):
        to_review(qtbot, window, SHOP, 250_000)
        assert not review.confirm_button.isEnabled()  # the question is out
        click(qtbot, review.confirm_button)
        assert window.current == "review"
    over = Refusal("over-balance", amount=250_000, balance="100.000 ₫").text("vi")
    assert review.problem_line.text() == over and not review.confirm_button.isEnabled()
    with qtbot.waitSignal(review._balance_lookup.answered, timeout=PAY_TIMEOUT_MS):
        review.account_picker.setCurrentIndex(0)
        review.account_picker.activated.emit(0)  # the rich account
        assert review.rows["from"].value.text() == "•••• 0002 · PAYER 2000002"
        assert not review.confirm_button.isEnabled()
    assert review.rows["balance"].value.text() == "7.000.000 ₫"
    assert review.problem_line.text() == "" and review.confirm_button.isEnabled()
    with qtbot.waitSignal(review._balance_lookup.answered, timeout=PAY_TIMEOUT_MS):
        review.account_picker.setCurrentIndex(1)
        review.account_picker.activated.emit(1)  # back to the poor one: the refusal follows
        click(qtbot, review.confirm_button)
        assert window.current == "review"
    assert review.problem_line.text() == over and not review.confirm_button.isEnabled()


def _same_or_cut(text: str, name: str) -> bool:
    """``text`` is the account's masked number and ``name``, or the name's start and an ellipsis."""
    shown_name = text.removeprefix("•••• 4567 · ")
    return shown_name == name or (shown_name.endswith("…") and len(shown_name) > 1 and
                                  name.startswith(shown_name[:-1]))


def _inside_window(window, widget) -> bool:
    left = widget.mapTo(window, QPoint(0, 0)).x()
    return left >= 0 and left + widget.width() <= window.width()


@pytest.mark.parametrize("name", ["W" * 50, "\ufdfd" * 50, "<b>BOLD</b> 😀😀 " + "W" * 30])
def test_a_long_name_never_widens_review_or_home(qtbot, payer_home, make_window, name):
    """Fifty of the widest letters (or of one very wide character) are a valid name: they are cut with
    an ellipsis where they are shown, so Review's amount and the picker stay inside the window."""
    accounts = PayerAccounts(payer_home)
    accounts.add("970436", "0011001234567", name, balance=50_000_000)
    accounts.add("970415", "1234567890", "TRAN THI B", balance=50_000_000)
    window = make_window(camera="demo", kiosk=False, lang="vi")
    assert _inside_window(window, window.home.greeting), window.home.greeting.width()
    to_review(qtbot, window, SHOP, 12_000_000)
    review = window.review
    QApplication.processEvents()
    area = review.scroll_area
    assert area.widget().width() <= area.viewport().width(), (area.widget().width(), area.viewport().width())
    assert review.amount.visibleRegion().boundingRect().size() == review.amount.size()  # 12.000.000 ₫ whole
    assert _inside_window(window, review.rows["from"].value) and _inside_window(window, review.account_picker)
    assert _same_or_cut(review.rows["from"].value.text(), name)
    review.account_picker.showPopup()
    popup = review.account_picker.view().window()
    qtbot.waitUntil(popup.isVisible, timeout=10_000)
    assert popup.width() <= window.width(), (popup.width(), window.width())
    assert _same_or_cut(review.account_picker.itemText(0), name)
    review.account_picker.hidePopup()


def test_a_booth_visitor_cannot_pick_the_operators_accounts(qtbot, payer_home, kiosk):
    """The kiosk keeps the accounts the operator added beside the visitor's own: Review offers no
    picker there, so a visitor pays only from the account opened for their visit."""
    accounts = PayerAccounts(payer_home)
    accounts.add("970436", "0011001234567", "NGUYEN VAN A", balance=50_000_000)
    accounts.add("970415", "1234567890", "TRAN THI B", balance=50_000_000)
    window = kiosk()
    with qtbot.waitSignal(window.kiosk.visits.started, timeout=PAY_TIMEOUT_MS) as started:
        window.kiosk.idle_warning.expired.emit()  # the previous visitor walked away
    visitor = started.args[0]
    assert visitor.visitor and len(PayerAccounts(payer_home).list()) == 3
    to_review(qtbot, window, SHOP, 50_000)
    review = window.review
    assert not review.account_picker.isVisibleTo(window)
    assert review.rows["from"].value.text().startswith(visitor.masked)


def test_review_says_why_it_cannot_pay_when_the_accounts_file_is_damaged(qtbot, payer_home, make_window):
    """A hand-edited accounts.json (a 9,000-character name with bidi overrides) keeps the payment
    service closed: Review says so, escaped and capped, with Confirm off, instead of empty rows and a
    Confirm that leads to the PIN."""
    PayerAccounts(payer_home).add("970436", "0011001234567", "NGUYEN VAN A")
    path = payer_home / "accounts.json"
    data = json.loads(path.read_text())
    data["accounts"][0]["name"] = "A\u202eB" * 3000
    path.write_text(json.dumps(data))
    window = make_window(camera="demo", kiosk=False, lang="vi")
    assert window.ctx.service is None
    to_review(qtbot, window, SHOP, 50_000)
    review = window.review
    said = review.problem_line.text()
    assert said.startswith(Refusal("service-unavailable", problem="").text("vi")), said
    assert "bad-accounts-file" in said or "50" in said, said
    assert "\u202e" not in said and len(said) < 600
    assert not review.confirm_button.isEnabled() and not review.details.isVisibleTo(window)
    assert not review.account_picker.isVisibleTo(window)
    click(qtbot, review.confirm_button)
    assert window.current == "review"


def test_enter_while_the_bank_is_asked_for_the_balance_presses_nothing(qtbot, payer_home, http_acquirer,
                                                                       make_window, monkeypatch):
    """Review opens with Confirm off until the bank says the balance; the keyboard must not fall to Back
    then (a hurried Enter went back to Amount), and comes to Confirm once the answer is in."""
    PayerAccounts(payer_home).add("970436", "1000001", "PAYER 1000001")
    PayerAccounts(payer_home).use(PayerAccounts(payer_home).list()[-1].id)
    http_acquirer.acquirer.ledger.balances.open("970436/1000001", 5_000_000)
    with PaymentService(payer_home, acquirer_url=http_acquirer.url) as service:
        service.enrol(code=account_code(http_acquirer.url, "970436", "1000001"))
    save_settings(Settings(acquirer_url=http_acquirer.url))
    release, real_balance = threading.Event(), PaymentService.balance

    def held_balance(self, *args, **kwargs):  # the bank slow to answer, until the test says so
        release.wait(PAY_TIMEOUT_MS / 1000)
        return real_balance(self, *args, **kwargs)

    monkeypatch.setattr(PaymentService, "balance", held_balance)
    window = make_window(camera="demo", lang="vi")
    window.activateWindow()
    review = window.review
    try:
        window.open_payload(SHOP)
        click(qtbot, window.payee.continue_button)
        window.amount.edit.clear()
        QTest.keyClicks(window.amount.edit, "250000")
        QTest.keyClick(window.amount.edit, Qt.Key.Key_Return)
        assert window.current == "review" and not review.confirm_button.isEnabled()
        assert not isinstance(QApplication.focusWidget(), QAbstractButton), QApplication.focusWidget()
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Return)
        assert window.current == "review"  # Enter pressed nothing: not Back to Amount
        with qtbot.waitSignal(review.funds_shown, timeout=PAY_TIMEOUT_MS):
            release.set()
    finally:
        release.set()
    assert review.confirm_button.isEnabled() and QApplication.focusWidget() is review.confirm_button
