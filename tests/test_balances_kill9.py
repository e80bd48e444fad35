"""Two payers paying at once through a real ``payer-app acquirer serve``, killed with SIGKILL in the
middle of the load and started again on the same ledger: afterwards the acquirer's ledger, the
accounts' balances and both payers' histories agree (every approved total debited once, nothing
pending, nothing over the balance)."""

from __future__ import annotations

import json
import sqlite3
import threading

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.payments.accounts import PayerAccounts
from payer_app.payments.service import PaymentService
from tests.acquirer_helpers import ServedAcquirer

STATIC_QR = vietqr_payload("970416", "257678859")
PAYERS = {  # account -> (opening balance at the acquirer, amounts paid in a row)
    ("970436", "1000001"): (3_000_000, [37_000 + 1_000 * (i % 7) for i in range(40)]),
    ("970415", "2000002"): (900_000, [61_000 + 2_000 * (i % 5) for i in range(30)]),  # runs out of money
}
KILL_AFTER_DECISIONS = 20


def _payer_home(tmp_path, bank_bin, account):
    home = tmp_path / f"payer-{account}"
    PayerAccounts(home).add(bank_bin, account, f"PAYER {account}")
    return home


def _pay_all(home, url, amounts, said: list):
    with PaymentService(home, acquirer_url=url, timeout=20) as service:
        for amount in amounts:
            try:
                said.append(service.pay(parse_payload(STATIC_QR), PaymentChoice(amount)).status)
            except RequestRefused as exc:  # over the balance the acquirer told: nothing signed
                said.append(exc.code)


def test_ledger_balances_and_histories_agree_after_a_kill_9_mid_load(tmp_path):
    balances = [f"--balance={b}/{a}={opening}" for (b, a), (opening, _) in PAYERS.items()]
    served = ServedAcquirer(tmp_path, "--open-enrolment", *balances)
    first_url = served.url
    homes = {key: _payer_home(tmp_path, *key) for key in PAYERS}
    for home in homes.values():
        with PaymentService(home, acquirer_url=first_url) as service:
            assert service.enrol().created
    said: dict[tuple, list] = {key: [] for key in PAYERS}
    threads = [threading.Thread(target=_pay_all, args=(homes[key], first_url, PAYERS[key][1], said[key]))
               for key in PAYERS]
    for t in threads:
        t.start()
    decisions = 0
    while decisions < KILL_AFTER_DECISIONS:  # the acquirer's console: one line per decision
        line = served.next_line()
        assert line is not None, "the acquirer ended before the load"
        decisions += "(201)" in line or "refused (" in line
    served.proc.kill()  # SIGKILL: no shutdown, answers in flight are lost
    served.proc.wait(timeout=60)
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert any("pending" in s for s in said.values()), said  # the kill left payments without an answer

    # the same ledger, served again; requests addressed to the first URL are still this acquirer's
    again = ServedAcquirer(tmp_path, "--open-enrolment", "--public-url", first_url, *balances)
    try:
        for home in homes.values():
            with PaymentService(home, acquirer_url=again.url) as service:
                service.retry_pending(acquirer_url=again.url, force=True)
    finally:
        again.stop()

    ledger = tmp_path / "served.sqlite3"
    with sqlite3.connect(ledger) as db:
        approved = db.execute("SELECT payer_scope, request_id, response FROM ledger_payments "
                              "WHERE status = 'approved'").fetchall()
        accounts = {r[0]: (r[1], r[2]) for r in db.execute(
            "SELECT payer_scope, opening_balance, balance FROM account_balances")}
        debits = dict(db.execute("SELECT payer_scope, SUM(total) FROM balance_debits GROUP BY payer_scope"))
    for (bank_bin, account), home in homes.items():
        scope = f"{bank_bin}/{account}"
        mine = {r[1]: int(json.loads(r[2])["total"]["value"]) for r in approved if r[0] == scope}
        opening, balance = accounts[scope]
        assert opening == PAYERS[(bank_bin, account)][0]
        assert balance >= 0
        assert opening - balance == sum(mine.values()) == debits.get(scope, 0)
        with PaymentService(home) as service:
            history = service.history(limit=1000)
        assert [e.request_id for e in history if e.status == "pending"] == []
        assert {e.request_id for e in history if e.status == "approved"} == set(mine)
        refused = [e for e in history if e.status == "rejected"]
        assert all("balance" in (e.message or "") for e in refused), [e.message for e in refused]
        refused_here = [s for s in said[(bank_bin, account)] if s == "over-balance"]  # before signing
        # every payment asked for is approved or refused in the end: the totals asked are over the
        # second payer's balance, so some of its payments were refused, here or by the acquirer
        assert len(history) + len(refused_here) == len(PAYERS[(bank_bin, account)][1])
        if sum(PAYERS[(bank_bin, account)][1]) > opening:
            assert refused or refused_here
