"""The day's total a payer has paid (``Ledger.approved_total_since``, read by the face-check rule of
``payments/acquirer/auth_check.py``) is kept between calls and only new rows are read again. Attacked
with random histories written through another connection to the same file (another process would
write so): other payers' rows, declined rows, totals without a fee, other days, a VACUUM, and a row
removed. After every change the kept total must be the one the whole ledger gives when summed anew."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from payer_app.payments.acquirer.ledger import Ledger

SCOPES = ["970436/0011000000001", "970436/0011000000002"]
DAYS = ["2026-12-04T17:00:00Z", "2026-12-05T17:00:00Z"]


def _truth(path, scope: str, since: str) -> int:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT response, amount FROM ledger_payments WHERE payer_scope = ? AND status = 'approved' "
                          "AND received_at >= ?", (scope, since)).fetchall()
    total = 0
    for response, amount in rows:
        kept = json.loads(response).get("total")
        total += int(kept["value"]) if kept else amount
    return total


def _add(db: sqlite3.Connection, rng: random.Random, n: int) -> None:
    scope, status = rng.choice(SCOPES), rng.choice(["approved", "approved", "declined"])
    amount = rng.randrange(1_000, 100_000)
    body = {"status": status, "received_at": "x"}
    if rng.random() < 0.8:  # answers written before totals were kept have none: their amount counts
        body["total"] = {"value": str(amount + rng.randrange(0, 5_000)), "currency": "VND"}
    received = rng.choice(["2026-12-05T09:00:00Z", "2026-12-05T20:00:00Z", "2026-12-04T10:00:00Z"])
    db.execute("INSERT INTO ledger_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (scope, f"idem-{n}", f"req-{n}", status, 201, "ACQ", amount, "kid", "sha", json.dumps(body), received))


@pytest.mark.parametrize("seed", range(4))
def test_the_kept_day_total_follows_rows_another_writer_adds(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    other = sqlite3.connect(path, isolation_level=None)  # another writer of the same file
    try:
        for n in range(300):
            if rng.random() < 0.03:
                other.execute("VACUUM")
            else:
                _add(other, rng, n)
            scope, since = rng.choice(SCOPES), rng.choice(DAYS)
            assert ledger.approved_total_since(scope, since) == _truth(path, scope, since), n
    finally:
        other.close()
        ledger.close()


def test_a_row_removed_under_the_kept_total_is_noticed(tmp_path):
    """Nothing in payer_app removes a payment; if one is removed from the file all the same, the
    total is counted anew (fewer rows than were counted), never kept with the removed row in it."""
    rng = random.Random(7)
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        for n in range(40):
            _add(other, rng, n)
        scope, since = SCOPES[0], DAYS[0]
        before = ledger.approved_total_since(scope, since)
        victim = other.execute("SELECT MIN(rowid) FROM ledger_payments WHERE payer_scope = ? AND status = 'approved' "
                               "AND received_at >= ?", (scope, since)).fetchone()[0]
        other.execute("DELETE FROM ledger_payments WHERE rowid = ?", (victim,))
        after = ledger.approved_total_since(scope, since)
        assert after == _truth(path, scope, since) < before
    finally:
        other.close()
        ledger.close()
