"""The window when the acquirer knows more of the account's day than this payer app: payments made
from another device of the same account (signed with its key, never in this app's history) take the
day above 20,000,000 ₫, so the acquirer refuses this app's next 9,000,000 ₫ PIN payment. The window says
why in its own words (both languages, no command-line hint, no crash), and paying again asks the face
check instead of being refused the same way forever."""

from __future__ import annotations

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request, read_signed
from payer_app.core.signing import sign_request
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, pay, to_review, tr

SHOP = vietqr_payload("970416", "257678859")  # a person's account: not a trusted payee
M = 1_000_000


def _pay_from_another_device(window, amount):
    service = window.ctx.service
    key = service.keystore.current()
    payer = PayerInfo(service.payer.account, service.payer.bank_bin, key.kid)
    token = sign_request(build_request(parse_payload(SHOP), PaymentChoice(amount), payer=payer), key)
    answer = service.embedded_acquirer().submit(token)
    assert answer.http_status == 201, answer.body


def test_the_acquirers_refusal_is_said_and_paying_again_asks_the_face_check(qtbot, window):
    first = pay(qtbot, window, SHOP, 2 * M)  # the embedded acquirer trusts this app's key from then on
    assert first is not None and first.status == "approved"
    window.new_payment()
    for _ in range(2):
        _pay_from_another_device(window, 9 * M)
    outcome = pay(qtbot, window, SHOP, 9 * M)  # this app knows of 11 million only: the PIN
    assert outcome is not None and (outcome.status, outcome.reason) == ("rejected", "biometric-required")
    result = window.result
    assert window.current == "result" and result.title.text() == tr("result.rejected")
    said = result.rows["message"].value.text()
    assert said == tr("reason.biometric-required") and "--biometric" not in said
    assert tr("reason.biometric-required", "en") != said and "--biometric" not in tr("reason.biometric-required", "en")
    window.new_payment()
    to_review(qtbot, window, SHOP, 9 * M)
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check"
    assert window.face_check.why.text() == tr("face.why_acquirer", limit="20.000.000 ₫")
    click(qtbot, window.face_check.simulate_pass)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    paid = done.args[0]
    assert paid is not None and paid.status == "approved", window.result.title.text()
    assert read_signed(paid.jws).auth == "biometric"
