"""A booth visitor's demo account opens with a starting balance the operator sets (``acquirer serve
--demo-balance``, ``booth --demo-balance``; the default ``DEMO_BALANCE`` for the embedded acquirer):
over real HTTP and in the kiosk window, the visitor's first payment is approved and the balance
moves by exactly its total; Review shows that balance as the source account's."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import BIOMETRIC
from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.payments.acquirer.balances import DEMO_BALANCE
from payer_app.payments.acquirer_client import HttpAcquirerClient
from payer_app.payments.service import PaymentService
from tests import cli_in_process
from tests.acquirer_helpers import (
    CODE,
    DEMO_BIN,
    EVN_BILL,
    Payer,
    ServedAcquirer,
    ledger_rows,
    post,
    start_server,
    token_for,
)
from tests.e2e.acquirer import free_port
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, to_review
from tests.kiosk_visit_helpers import next_visitor
from tests.process_lines import killed_if_left_running, stderr_lines, stop_with_sigterm, wait_for_line

SHOP = vietqr_payload("970416", "257678859")  # a person's account: above 10 million it needs the face check


def acquirer_of(server):
    """The ``MockAcquirer`` an ``AcquirerServer`` serves."""
    return server.server.config.app.state.acquirer


def balance_of(service: PaymentService) -> int:
    state = service.balance()
    assert state is not None, "the bank keeps no balance for the visitor's account"
    return state.balance


def test_the_default_lets_a_visitor_pay_a_bill_the_face_check_payment_and_the_third_9_million():
    assert DEMO_BALANCE >= 250_000 + 12_000_000 + 3 * 9_000_000


def test_a_visitors_demo_account_opens_with_the_demo_balance_over_http(tmp_path):
    """The booth's shared code opens the visitor's account at a real acquirer: it has the demo balance,
    the first payment is approved, and each payment moves it by exactly its total."""
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        with PaymentService(tmp_path / "kiosk", acquirer_url=server.url) as service:
            visitor = service.start_demo_visit(CODE, server.url)
            assert visitor.account.startswith("99")
            assert balance_of(service) == DEMO_BALANCE
            bill = service.pay(parse_payload(EVN_BILL), PaymentChoice(250_000))
            assert (bill.status, bill.http_status) == ("approved", 201), bill.message
            assert balance_of(service) == DEMO_BALANCE - bill.request.cost.total
            big = service.pay(parse_payload(SHOP), PaymentChoice(12_000_000, auth=BIOMETRIC))
            assert big.status == "approved", big.message
            assert balance_of(service) == DEMO_BALANCE - bill.request.cost.total - big.request.cost.total
        assert acquirer_of(server).ledger.balances.audit() == []
    finally:
        server.stop()


def test_acquirer_serve_opens_demo_accounts_with_the_operators_balance(tmp_path):
    """``acquirer serve --demo-balance 300000`` (a real process): a new demo account has 300.000 ₫,
    and a payment over it is refused with ``over-balance`` before anything is recorded."""
    served = ServedAcquirer(tmp_path, "--enrol-code", CODE, "--demo-balance", "300000")
    try:
        with PaymentService(tmp_path / "kiosk", acquirer_url=served.url) as service:
            visitor = service.start_demo_visit(CODE, served.url)
            assert balance_of(service) == 300_000
            with pytest.raises(RequestRefused) as refused:  # the payer app says it before signing
                service.pay(parse_payload(EVN_BILL), PaymentChoice(300_001))
            assert refused.value.code == "over-balance"
            payer = Payer(service.keystore.current(), visitor.bank_bin, visitor.account)
            over = post(served.url, token_for(payer, served.url, amount=300_001))  # and the bank refuses it
            assert (over.status_code, over.json()["error"]) == (422, "over-balance"), over.text
            paid = service.pay(parse_payload(EVN_BILL), PaymentChoice(250_000))
            assert paid.status == "approved" and balance_of(service) == 50_000
    finally:
        served.stop()
    assert any("Demo accounts open with 300.000 ₫" in line for line in served.start_lines), served.start_lines


def test_a_demo_balance_that_cannot_be_is_one_line_and_exit_2(tmp_path, capsys):
    """The first as a real process (its exit code, nothing on standard output), the others through the
    same ``payer_app.cli.main`` in this process (tests/cli_in_process.py)."""
    args = ["acquirer", "serve", "--port", "0", "--ledger", str(tmp_path / "l.sqlite3"), "--demo-balance"]
    done = subprocess.run([sys.executable, "-m", "payer_app", *args, "-1"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.count("\n") == 1 and "--demo-balance" in done.stderr and "Traceback" not in done.stderr
    for bad in ("12abc", "1" * 20, "", "1e6"):
        code, out, err = cli_in_process.run(capsys, *args, bad)
        assert (code, out) == (2, ""), (bad, err)
        assert err.count("\n") == 1 and "--demo-balance" in err and "Traceback" not in err
    assert not (tmp_path / "l.sqlite3").exists()  # refused before the ledger was opened


def test_a_key_of_a_demo_account_opened_without_a_balance_gets_it_when_it_asks_again(tmp_path):
    """A kiosk started again on a ledger whose demo account was opened before demo balances: its key
    asks again, is told its account, and the account now has the demo balance."""
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        with PaymentService(tmp_path / "kiosk", acquirer_url=server.url) as service:
            key = service.keystore.current()
            client = HttpAcquirerClient(server.url)
            try:
                first = client.open_demo_account(key, DEMO_BIN, CODE)
                assert first.http_status == 201
                scope = f"{DEMO_BIN}/{first.body['account']}"
                balances = acquirer_of(server).ledger.balances
                with balances._store.transaction() as db:  # as a ledger from before demo balances has it
                    db.execute("DELETE FROM account_balances WHERE payer_scope = ?", (scope,))
                again = client.open_demo_account(key, DEMO_BIN, CODE)
            finally:
                client.close()
            assert (again.http_status, again.body["account"]) == (200, first.body["account"])
            state = balances.account(scope, "2026-12-05")
            assert state is not None and state.balance == DEMO_BALANCE
    finally:
        server.stop()


def _pay_from_review(qtbot, window):
    click(qtbot, window.review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    return done.args[0]


def _review_balance(qtbot, window) -> str:
    row = window.review.rows["balance"]
    qtbot.waitUntil(lambda: bool(row.value.text()), timeout=PAY_TIMEOUT_MS)  # asked off the GUI thread
    return row.value.text()


def test_in_the_kiosk_a_visitors_first_payment_is_approved_and_moves_the_balance(tmp_path, qtbot, kiosk):
    """A booth's kiosk paying a real acquirer with the shared code: the next visitor's Review shows
    the demo balance as the source account's; paying a demo EVN bill moves it by exactly the total."""
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        window = kiosk(acquirer_url=server.url)
        window.ctx.acquirer_code = CODE  # the booth's shared code, as `payer-app booth` gives it
        visitor = next_visitor(qtbot, window)
        to_review(qtbot, window, EVN_BILL, 250_000)
        assert _review_balance(qtbot, window) == format_vnd(DEMO_BALANCE)
        assert visitor.masked in window.review.rows["from"].value.text()
        assert window.review.confirm_button.isEnabled()
        outcome = _pay_from_review(qtbot, window)
        assert outcome is not None and outcome.status == "approved", window.result.title.text()
        assert outcome.request.payer.account == visitor.account
        assert balance_of(window.ctx.service) == DEMO_BALANCE - outcome.request.cost.total
        window.new_payment()
        to_review(qtbot, window, EVN_BILL, 1_000)
        assert _review_balance(qtbot, window) == format_vnd(DEMO_BALANCE - outcome.request.cost.total)
    finally:
        server.stop()


def test_in_a_kiosk_on_the_embedded_acquirer_a_visitors_payment_moves_the_balance(qtbot, kiosk):
    window = kiosk()
    next_visitor(qtbot, window)
    to_review(qtbot, window, SHOP, 12_000_000)
    assert window.review.rows["balance"].value.text() == format_vnd(DEMO_BALANCE)
    click(qtbot, window.review.confirm_button)
    assert window.current == "face_check"
    click(qtbot, window.face_check.simulate_pass)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome is not None and outcome.status == "approved", window.result.title.text()
    assert balance_of(window.ctx.service) == DEMO_BALANCE - outcome.request.cost.total


def test_the_booth_passes_its_demo_balance_to_the_first_visitors_account(payer_home):
    """``payer-app booth --demo-balance 2500000`` (a real process, the window offscreen): the start
    lines say it, and the account the kiosk pays from at start is opened with 2.500.000 ₫."""
    port = free_port()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "booth", "--print-url", "--port", str(port),
                             "--camera", "demo", "--verbose", "--demo-balance", "2500000"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    with killed_if_left_running(proc):
        assert proc.stdout.readline().strip() == f"http://127.0.0.1:{port}/display"
        lines = stderr_lines(proc)
        paying = wait_for_line(lines, re.compile(r"^payer_app\.gui\.startup_enrolment: paying from account "
                                                 r"(\d{6})/(\w+)"), seen)
        stop_with_sigterm(proc, lines, seen)
    assert "Demo accounts open with 2.500.000 ₫ (--demo-balance)." in seen, seen[:8]
    scope = f"{paying.group(1)}/{paying.group(2)}"
    assert paying.group(2).startswith("99")
    assert ledger_rows(payer_home / "acquirer-ledger.sqlite3", "SELECT opening_balance, balance FROM "
                       "account_balances WHERE payer_scope = ?", (scope,)) == [(2_500_000, 2_500_000)]
