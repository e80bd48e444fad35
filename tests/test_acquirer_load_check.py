"""The exact counts of bench/acquirer_load_bench.py cannot pass on a wrong run: its ledger check
fails on a ledger missing one approval, or holding a row nobody was told of, or a refusal; its wrk
check fails on a body without its answer or with another answer than 201."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.acquirer.ledger import TrustedKey
from tests.acquirer_helpers import new_payer, token_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from acquirer_wrk import WrkResult, check_ledger, check_wrk  # noqa: E402

AUDIENCE = "bench-check"


def _ledger_with_approvals(path: Path, count: int) -> list[str]:
    payer = new_payer()
    acquirer = MockAcquirer(path, trusted=[TrustedKey(payer.key.public_jwk, payer.bank_bin, payer.account)],
                            audiences=[AUDIENCE])
    try:
        answers = [acquirer.decide(token_for(payer, AUDIENCE, amount=10_000 + i)) for i in range(count)]
    finally:
        acquirer.close()
    assert [a.http_status for a in answers] == [201] * count
    return [a.body["request_id"] for a in answers]


def test_the_ledger_check_passes_only_on_exactly_the_approvals_told(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    ids = _ledger_with_approvals(ledger, 3)
    assert check_ledger(ledger, set(ids)) == []
    assert check_ledger(ledger, set(ids[:2]))  # a row nobody was told of
    with sqlite3.connect(ledger) as db:
        db.execute("DELETE FROM ledger_payments WHERE request_id = ?", (ids[0],))
    assert check_ledger(ledger, set(ids))  # an approval a client heard is missing
    with sqlite3.connect(ledger) as db:
        db.execute("UPDATE ledger_payments SET status = 'declined' WHERE request_id = ?", (ids[1],))
    assert check_ledger(ledger, set(ids[1:]))  # a decline where an approval was told


def test_the_wrk_check_fails_on_a_missing_or_wrong_answer():
    def result(statuses, answered=4, errors=0):
        return WrkResult(4, 4, answered, statuses, 1.0, 1, 1, 1, 1, {"connect": 0, "read": errors, "write": 0,
                                                                   "timeout": 0})

    assert check_wrk(result({201: 4})) == []
    assert check_wrk(result({201: 3}, answered=3))
    assert check_wrk(result({201: 3, 409: 1}))
    assert check_wrk(result({201: 4}, errors=1))
