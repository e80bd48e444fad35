"""The acquirer's writer and its listeners (the merchant display's counter events, the biller's
payments) write to one ledger file through three connections. In one process they take turns under
the file's one lock (``payments/sqlite_store.py``), so none of them meets another's write lock
inside SQLite: SQLite's busy handler would sleep 1, 2, 5, 10... ms before trying again, holding up
a whole batch of answers behind a listener's one-row insert.

The attack turns SQLite's busy handler off on those connections (``busy_timeout`` 0: a write that
meets another connection's lock fails at once instead of sleeping), then pays from eight clients
at once while the listeners write: every payment must be approved and every listener's row written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from payer_app.payments.acquirer.ledger import Ledger
from payer_app.payments.merchant_display import CounterStore
from payer_app.payments.sqlite_store import IN_MEMORY, SQLiteStore
from tests.acquirer_helpers import ledger_rows, new_payer, post, start_server, token_for

CEILING = 60  # seconds: only ends a hung test
PAYMENTS = 120


@pytest.fixture
def server(tmp_path):
    served = start_server(tmp_path / "acquirer.sqlite3")
    yield served
    served.stop()


def _no_busy_wait(*stores) -> None:
    for store in stores:
        with store.lock:
            store.db.execute("PRAGMA busy_timeout = 0")


def test_the_writer_and_the_listeners_never_meet_in_sqlites_lock(server, tmp_path):
    app = server.server.config.app
    acquirer = app.state.acquirer
    _no_busy_wait(acquirer.ledger._store, acquirer.biller._store, acquirer.display_hub.store._store)
    payers = [new_payer(server.url, account=f"00110012345{i:02d}") for i in range(8)]
    tokens = [token_for(payers[i % 8], server.url, amount=10_000 + i) for i in range(PAYMENTS)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda token: post(server.url, token, timeout=CEILING).status_code, tokens))
    assert statuses == [201] * PAYMENTS
    assert app.state.pipeline.wait_for_listeners(CEILING)
    ledger = tmp_path / "acquirer.sqlite3"
    assert ledger_rows(ledger, "SELECT COUNT(*) FROM ledger_payments") == [(PAYMENTS,)]
    assert ledger_rows(ledger, "SELECT COUNT(*) FROM counter_events") == [(PAYMENTS,)]  # the display heard each
    assert ledger_rows(ledger, "SELECT COUNT(*) FROM biller_payments") == [(PAYMENTS,)]  # the biller counted each


def test_a_store_of_the_file_waits_for_the_files_lock_while_another_writes(tmp_path):
    """While the ledger's transaction is open on one thread, the display's store of the same file
    cannot take its lock on another (so its insert waits on that lock, never on SQLite's); once
    the transaction commits, the insert goes through without any busy wait."""
    path = tmp_path / "acquirer.sqlite3"
    ledger, counter = Ledger(path), CounterStore(path)
    _no_busy_wait(counter._store)
    inside, commit = threading.Event(), threading.Event()

    def write_a_batch() -> None:
        with ledger.batch() as db:
            db.execute("INSERT INTO acquirer_settings VALUES ('held', '1')")
            inside.set()
            commit.wait(CEILING)

    writer = threading.Thread(target=write_a_batch)
    writer.start()
    try:
        assert inside.wait(CEILING)
        took = counter._store.lock.acquire(blocking=False)
        if took:
            counter._store.lock.release()
        assert not took
    finally:
        commit.set()
        writer.join(CEILING)
    counter.add("approved", 10_000, "SHOP", "MC1", "", "ACQ-1", "2026-12-05T09:00:00Z")
    assert ledger_rows(path, "SELECT COUNT(*) FROM counter_events") == [(1,)]
    ledger.close()
    counter.close()


def test_in_memory_stores_keep_locks_of_their_own(tmp_path):
    one = SQLiteStore(IN_MEMORY, "CREATE TABLE IF NOT EXISTS t (v);", version=1)
    two = SQLiteStore(IN_MEMORY, "CREATE TABLE IF NOT EXISTS t (v);", version=1)
    try:
        assert one.lock is not two.lock
    finally:
        one.close()
        two.close()
