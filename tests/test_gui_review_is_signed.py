"""What the payer sees on Review is what is signed, authentication included: a booth visitor walks the
kiosk window to Review for a 12,000,000 ₫ payment (the face check) and a 9,000,000 ₫ one (the PIN),
the test reads what Review shows (the authentication step, the source account, amount, fee, total,
payee name), pays, and compares it field by field with the signed request the window produced (read
with the one reader of signed JSON, ``core.request.read_signed``) and with what a real acquirer on
127.0.0.1 recorded (the same token, the same account, the total debited)."""

from __future__ import annotations

import hashlib

import pytest

from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import BIOMETRIC, PIN
from payer_app.core.builder import vietqr_payload
from payer_app.core.payee_display import mask_account
from payer_app.core.request import read_signed
from tests.acquirer_helpers import CODE, ledger_rows, start_server
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, to_review, tr
from tests.kiosk_visit_helpers import next_visitor

PAYEE = "TRAN THI BICH NGOC"  # the registered name of this account (resources/registered_names.csv)
SHOP = vietqr_payload("970416", "257678859", merchant_name=PAYEE)  # a person: not a trusted payee


def review_says(window) -> dict[str, str]:
    """Review's words, as the payer reads them."""
    review = window.review
    return {name: review.rows[name].value.text() for name in ("auth", "from", "fee", "to")} | {
        "total": review.amount.text(), "breakdown": review.breakdown.text() if review.breakdown.isVisible() else ""}


def signed_says(request, account_name: str) -> dict[str, str]:
    """The signed request in Review's words (the window's catalogue for the authentication step)."""
    auth = {PIN: tr("review.auth_pin"), BIOMETRIC: tr("review.auth_biometric")}[request.auth]
    cost = request.cost
    return {"auth": auth, "from": f"{mask_account(request.payer.account)} · {account_name}",
            "fee": format_vnd(cost.fee) if cost.fee else tr("review.free"), "to": request.payee.merchant_name,
            "total": format_vnd(cost.total), "breakdown": ""}


def confirm_and_pay(qtbot, window, face_check: bool):
    """Review's Confirm, the step it leads to (the face check passed, or straight to the PIN), the PIN."""
    click(qtbot, window.review.confirm_button)
    assert window.current == ("face_check" if face_check else "pin")
    if face_check:
        click(qtbot, window.face_check.simulate_pass)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome is not None and outcome.status == "approved", window.result.title.text()
    return outcome


@pytest.mark.parametrize(("amount", "auth"), [(12_000_000, BIOMETRIC), (9_000_000, PIN)],
                         ids=["12-million-face-check", "9-million-pin"])
def test_review_says_what_is_signed_and_recorded(qtbot, kiosk, tmp_path, amount, auth):
    ledger = tmp_path / "ledger.sqlite3"
    server = start_server(ledger)
    try:
        window = kiosk(acquirer_url=server.url)
        window.ctx.acquirer_code = CODE  # the booth's shared code: the visitor gets a demo account
        visitor = next_visitor(qtbot, window)
        to_review(qtbot, window, SHOP, amount)
        qtbot.waitUntil(lambda: bool(window.review.rows["balance"].value.text()), timeout=PAY_TIMEOUT_MS)
        shown = review_says(window)
        outcome = confirm_and_pay(qtbot, window, face_check=auth == BIOMETRIC)

        request = read_signed(outcome.jws)  # the signed JSON, through its one reader
        assert request is not None
        assert shown == signed_says(request, visitor.name)  # Review said what was then signed, field by field
        assert request.auth == auth  # and the step was the one the amount asks for
        assert (request.payer.bank_bin, request.payer.account) == (visitor.bank_bin, visitor.account)
        assert request.amount == amount and request.cost.total == amount

        # what the acquirer recorded: this very token, for the visitor's account, and the total debited
        scope = f"{visitor.bank_bin}/{visitor.account}"
        recorded = ledger_rows(ledger, "SELECT status, amount, token_sha256, payer_scope FROM ledger_payments "
                               "WHERE request_id = ?", (request.request_id,))
        assert recorded == [("approved", request.amount, hashlib.sha256(outcome.jws.encode()).hexdigest(), scope)]
        debits = ledger_rows(ledger, "SELECT total FROM balance_debits WHERE payer_scope = ?", (scope,))
        assert debits == [(request.cost.total,)]
    finally:
        server.stop()
