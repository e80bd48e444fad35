"""Balances at an HTTP acquirer (a real server on a loopback port): ``GET /v1/balance`` answers only the
signer's own account, the payer checks it before signing (CLI and service) and the window's Review
asks it off the GUI thread and says over-balance before the PIN."""

from __future__ import annotations

import pytest

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import AmountRefused, Refusal
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.accounts import PayerAccounts
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.balances import BALANCE_LOOKUP_ID
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.enrolment import lookup_token, normalise_audience
from payer_app.payments.service import PaymentService
from tests.acquirer_helpers import LedgerServer, account_code, http_get
from tests.gui_helpers import click, to_review

CODE = "ENROL-7Q2X-94KD-0002"
STATIC_QR = vietqr_payload("970416", "257678859")


@pytest.fixture
def server(tmp_path):
    app = create_app(tmp_path / "acquirer.sqlite3", FailureSettings(), enrol_code=CODE)
    served = LedgerServer(app).start()
    served.acquirer = app.state.acquirer
    yield served
    served.stop()


def _payer(home, server, bank_bin, account, balance):
    """A new account: the operator opens its balance and issues a one-time code for it, with which
    the payer's key is bound to it."""
    PayerAccounts(home).add(bank_bin, account, f"PAYER {account}")
    server.acquirer.ledger.balances.open(f"{bank_bin}/{account}", balance)
    with PaymentService(home, acquirer_url=server.url) as service:
        service.enrol(code=account_code(server.url, bank_bin, account))


def test_each_payer_reads_only_its_own_balance_and_is_refused_over_it_before_signing(tmp_path, server):
    _payer(tmp_path / "a", server, "970436", "1000001", 100_000)
    _payer(tmp_path / "b", server, "970415", "2000002", 7_000_000)
    with PaymentService(tmp_path / "a", acquirer_url=server.url) as a, \
            PaymentService(tmp_path / "b", acquirer_url=server.url) as b:
        assert (a.balance().scope, a.balance().balance) == ("970436/1000001", 100_000)
        assert (b.balance().scope, b.balance().balance) == ("970415/2000002", 7_000_000)
        assert a.pay(parse_payload(STATIC_QR), PaymentChoice(60_000)).status == "approved"
        assert a.balance().balance == 40_000
        with pytest.raises(AmountRefused) as refused:
            a.pay(parse_payload(STATIC_QR), PaymentChoice(60_000))
        assert refused.value.code == "over-balance"
        assert len(a.history()) == 1  # nothing signed or kept for the refused one
        assert b.balance().balance == 7_000_000


def test_the_balance_needs_the_signature_of_an_enrolled_key(server):
    url = f"{server.url}/v1/balance"
    assert http_get(url, timeout=10).status_code == 401
    stranger = lookup_token(SigningKey.generate(), BALANCE_LOOKUP_ID, normalise_audience(server.url))
    assert http_get(url, headers={"Authorization": f"JWS {stranger}"}, timeout=10).status_code == 401
    assert http_get(url, headers={"Authorization": "JWS not.a.token"}, timeout=10).json()["error"] == \
        "signature-required"


def test_review_asks_the_http_acquirer_and_says_over_balance_before_the_pin(qtbot, payer_home, server, make_window):
    _payer(payer_home, server, "970436", "1000001", 100_000)
    save_settings(Settings(acquirer_url=server.url))
    window = make_window(camera="demo", lang="vi")
    to_review(qtbot, window, STATIC_QR, 250_000)
    review = window.review
    over = Refusal("over-balance", amount=250_000, balance="100.000 ₫").text("vi")
    qtbot.waitUntil(lambda: review.problem_line.text() == over, timeout=30_000)
    assert review.rows["balance"].value.text() == "100.000 ₫"
    assert not review.confirm_button.isEnabled()
    click(qtbot, review.confirm_button)
    assert window.current == "review"


@pytest.mark.parametrize("body", [
    None, [], {"account": "x"}, {"account": "x", "opening_balance": 1, "balance": -1, "daily_limit": None,
                                 "spent_today": 0},
    {"account": "x", "opening_balance": "1", "balance": 1, "daily_limit": None, "spent_today": 0},
    {"account": "x", "opening_balance": True, "balance": 1, "daily_limit": None, "spent_today": 0},
    {"account": "x" * 61, "opening_balance": 1, "balance": 1, "daily_limit": None, "spent_today": 0},
    {"account": "x", "opening_balance": 1, "balance": 10**16, "daily_limit": None, "spent_today": 0},
])
def test_an_unreadable_balance_answer_is_no_balance(body):
    from payer_app.payments.acquirer.balances import AccountBalance

    assert AccountBalance.from_answer(body) is None
    good = {"account": "970436/1", "opening_balance": 5, "balance": 3, "daily_limit": None, "spent_today": 2}
    assert AccountBalance.from_answer(good).balance == 3
