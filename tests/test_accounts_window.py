"""The window's side of the source accounts: Home greets the payer by name, Review shows *Tài khoản
nguồn* (masked number, name, balance) with a picker when there are several, and a total over the
balance is said on Review before the PIN, whose screen cannot be reached."""

from __future__ import annotations

from payer_app.core.builder import vietqr_payload
from payer_app.core.refusals import Refusal
from payer_app.payments.accounts import PayerAccounts
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, to_review, tr

STATIC_QR = vietqr_payload("970416", "257678859")


def test_review_says_over_balance_before_the_pin_and_the_picker_pays_from_another_account(qtbot, payer_home,
                                                                                          make_window):
    accounts = PayerAccounts(payer_home)
    poor = accounts.add("970436", "0011001234567", "NGUYEN VAN A", balance=100_000)
    rich = accounts.add("970415", "1234567890", "TRAN THI B", balance=5_000_000)
    window = make_window(camera="demo", kiosk=False, lang="vi")
    assert window.home.greeting.text() == tr("home.greeting_name", name="NGUYEN VAN A")

    to_review(qtbot, window, STATIC_QR, 250_000)
    review = window.review
    assert review.rows["from"].value.text() == "•••• 4567 · NGUYEN VAN A"
    assert review.rows["balance"].value.text() == "100.000 ₫"
    over = Refusal("over-balance", amount=250_000, balance="100.000 ₫")
    assert review.problem_line.text() == over.text("vi")
    assert not review.confirm_button.isEnabled()
    click(qtbot, review.confirm_button)
    assert window.current == "review"  # the PIN cannot be reached

    assert review.account_picker.isVisibleTo(window) and review.account_picker.count() == 2
    review.account_picker.setCurrentIndex(1)
    review.account_picker.activated.emit(1)  # what choosing in the drop-down does
    assert review.rows["from"].value.text() == "•••• 7890 · TRAN THI B"
    assert review.rows["balance"].value.text() == "5.000.000 ₫"
    assert review.problem_line.text() == "" and review.confirm_button.isEnabled()
    click(qtbot, review.confirm_button)
    assert window.current == "pin"
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome.status == "approved"
    assert (outcome.request.payer.bank_bin, outcome.request.payer.account) == (rich.bank_bin, rich.account)
    assert PayerAccounts(payer_home).current().id == rich.id
    click(qtbot, window.result.new_button)
    assert window.current == "home"
    assert window.home.greeting.text() == tr("home.greeting_name", name="TRAN THI B")
    assert window.ctx.service.balance().balance == 5_000_000 - 250_000
    assert poor.id != rich.id


def test_without_accounts_review_shows_the_demo_account_and_home_a_plain_greeting(qtbot, window):
    assert window.home.greeting.text() == tr("home.greeting")
    to_review(qtbot, window, STATIC_QR, 20_000)
    assert window.review.rows["from"].value.text() == tr("review.payer_account", account="•••• 4567")
    assert window.review.rows["balance"].isHidden()
    assert not window.review.account_picker.isVisibleTo(window)
    assert window.review.confirm_button.isEnabled()
