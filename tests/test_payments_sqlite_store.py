"""The one SQLite helper (payer_app.payments.sqlite_store) and the four stores that use it: history,
saved bills, and the acquirer's ledger file (ledger, biller, counter events). Real files only."""

from __future__ import annotations

import sqlite3

import pytest

from payer_app.core.builder import evn_bill_payload
from payer_app.payments.acquirer.ledger import Ledger
from payer_app.payments.biller import Biller
from payer_app.payments.history import HISTORY_FILE, History
from payer_app.payments.merchant_display import CounterStore
from payer_app.payments.saved_bills import SAVED_BILLS_FILE, SavedBills
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, SQLiteStore, StoreVersionError

SCHEMA = "CREATE TABLE IF NOT EXISTS things (name TEXT PRIMARY KEY);"
EVN = evn_bill_payload("PD01000123456")


def user_version(path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def set_user_version(path, version: int) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
    finally:
        db.close()


def names(store: SQLiteStore) -> list[str]:
    return [row[0] for row in store.all("SELECT name FROM things ORDER BY name")]


def test_a_new_file_gets_its_tables_and_its_schema_version(tmp_path):
    store = SQLiteStore(tmp_path / "new.sqlite3", SCHEMA, version=3)
    store.close()
    assert user_version(tmp_path / "new.sqlite3") == 3


def test_transaction_commits_at_the_end_and_rolls_back_on_any_exception(tmp_path):
    store = SQLiteStore(tmp_path / "t.sqlite3", SCHEMA, version=1)
    with store.transaction() as db:
        db.execute("INSERT INTO things VALUES ('kept')")
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db.execute("INSERT INTO things VALUES ('dropped')")
            raise RuntimeError("a rule refused it half-way")
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as db:
            db.execute("INSERT INTO things VALUES ('also dropped')")
            db.execute("INSERT INTO things VALUES ('kept')")  # duplicate key: the whole transaction goes
    assert names(store) == ["kept"] and not store.db.in_transaction
    store.close()


def test_transaction_takes_the_write_lock_at_begin(tmp_path):
    """BEGIN IMMEDIATE: a second writer is turned away at its own BEGIN, not half-way through."""
    path = tmp_path / "lock.sqlite3"
    store = SQLiteStore(path, SCHEMA, version=1)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with store.transaction():  # nothing written yet: the lock is held from BEGIN
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after COMMIT
        other.execute("ROLLBACK")
    finally:
        other.close()
        store.close()


def test_a_file_from_a_newer_payer_app_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / SAVED_BILLS_FILE
    bills = SavedBills(path)
    bills.add("Điện nhà mẹ", EVN)
    bills.close()
    set_user_version(path, 99)
    before = path.read_bytes()
    with pytest.raises(StoreVersionError, match="newer payer_app") as caught:
        SavedBills(path)
    assert isinstance(caught.value, sqlite3.Error)  # the window and the CLI already handle sqlite3.Error
    assert path.read_bytes() == before


def test_files_written_before_versions_open_with_their_data_and_are_stamped(tmp_path, payer_home):
    """history, saved bills and the ledger file as earlier versions left them (user_version 0)."""
    bills = SavedBills(payer_home / SAVED_BILLS_FILE)
    saved = bills.add("Điện nhà mẹ", EVN)
    bills.close()
    history = History(payer_home / HISTORY_FILE)
    history.close()
    ledger_path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(ledger_path)
    ledger.set_setting("enrol_code_hash", "kept")
    ledger.close()
    for path in (payer_home / SAVED_BILLS_FILE, payer_home / HISTORY_FILE, ledger_path):
        set_user_version(path, 0)

    bills = SavedBills(payer_home / SAVED_BILLS_FILE)
    assert [(b.id, b.name, b.payload) for b in bills.list()] == [(saved.id, saved.name, saved.payload)]
    bills.close()
    History(payer_home / HISTORY_FILE).close()
    ledger, biller, counter = Ledger(ledger_path), Biller(ledger_path), CounterStore(ledger_path)
    assert ledger.setting("enrol_code_hash") == "kept"
    for store in (ledger, biller, counter):
        store.close()
    assert user_version(payer_home / SAVED_BILLS_FILE) == 1 and user_version(payer_home / HISTORY_FILE) == 1
    assert user_version(ledger_path) == LEDGER_SCHEMA_VERSION


def test_the_three_stores_of_the_ledger_file_share_one_file(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    stores = [Ledger(path), Biller(path), CounterStore(path)]
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    for store in stores:
        store.close()
    assert {"ledger_payments", "key_bindings", "used_nonces", "acquirer_settings", "biller_payments",
            "counter_events"} <= tables


def test_a_damaged_file_is_named_in_the_error_and_left_as_it_is(tmp_path):
    path = tmp_path / HISTORY_FILE
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        History(path)
    assert str(path) in str(caught.value) and "not a database" in str(caught.value)
    assert not isinstance(caught.value, sqlite3.OperationalError)  # the window shows it as damaged
    assert path.read_bytes() == b"this is not a database" * 100
