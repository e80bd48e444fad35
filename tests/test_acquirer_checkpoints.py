"""The HTTP acquirer's WAL checkpoints run off the answers' path (``payments/acquirer/pipeline.py``):
while its pipeline serves, no connection of the ledger file in its process checkpoints inside a
commit (SQLite's automatic checkpoint runs inside whichever commit passes 1,000 pages of WAL, its
``fsync`` calls under the file's lock, so the writer's next batch of answers waited for the disk);
the pipeline's own thread copies the WAL into the database file every ``CHECKPOINT_EVERY`` payments.
docs/security.md's commit policy says what a power loss may lose: what the WAL holds beyond the last
checkpoint. The copy of the database file alone (its WAL left behind) shows what a checkpoint put there."""

from __future__ import annotations

import shutil

from payer_app.payments.acquirer import pipeline as pipeline_module
from payer_app.payments.merchant_display import CounterStore
from payer_app.payments.sqlite_store import AUTO_CHECKPOINT_PAGES, hold_checkpoints
from tests.acquirer_helpers import ledger_rows, ledger_server_fixture, new_payer, post, token_for

CEILING = 60  # seconds: only ends a hung test


server = ledger_server_fixture()


def _auto_checkpoint(store) -> int:
    with store.lock:
        return store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def test_no_connection_of_the_serving_acquirer_checkpoints_inside_a_commit(server):
    acquirer = server.server.config.app.state.acquirer
    payer = new_payer(server.url)
    assert post(server.url, token_for(payer, server.url), timeout=CEILING).status_code == 201
    stores = [acquirer.ledger._store, acquirer.biller._store, acquirer.display_hub.store._store]
    assert [_auto_checkpoint(store) for store in stores] == [0, 0, 0]
    later = CounterStore(acquirer.ledger.path)  # a store of the file opened while it serves
    try:
        assert _auto_checkpoint(later._store) == 0
    finally:
        later.close()


def _payments_in_the_file_alone(tmp_path, name: str) -> list[tuple]:
    alone = tmp_path / name / "acquirer.sqlite3"
    alone.parent.mkdir()
    shutil.copyfile(tmp_path / "acquirer.sqlite3", alone)  # the database file without its WAL
    return ledger_rows(alone, "SELECT COUNT(*) FROM ledger_payments")


def test_the_pipeline_copies_the_payments_into_the_database_file(server, tmp_path, monkeypatch):
    """Every CHECKPOINT_EVERY payments recorded (8 here) without anyone asking; and at once when asked."""
    monkeypatch.setattr(pipeline_module, "CHECKPOINT_EVERY", 8)
    pipeline = server.server.config.app.state.pipeline
    payers = [new_payer(server.url, account=f"00110012345{i:02d}") for i in range(2)]
    for i in range(19):
        if i == 16:  # two checkpoints due by now, none asked for
            assert pipeline.wait_for_checkpoint(CEILING, ask=False)
            assert _payments_in_the_file_alone(tmp_path, "after-16") == [(16,)]
        assert post(server.url, token_for(payers[i % 2], server.url, amount=10_000 + i),
                    timeout=CEILING).status_code == 201
    assert pipeline.wait_for_checkpoint(CEILING)  # 3 more, fewer than 8: asked for
    assert _payments_in_the_file_alone(tmp_path, "after-19") == [(19,)]


def test_automatic_checkpoints_come_back_when_the_last_hold_is_given_back(tmp_path):
    store = CounterStore(tmp_path / "acquirer.sqlite3")
    try:
        hold_checkpoints(store.path)
        hold_checkpoints(store.path)
        hold_checkpoints(store.path, held=False)
        assert _auto_checkpoint(store._store) == 0
        hold_checkpoints(store.path, held=False)
        assert _auto_checkpoint(store._store) == AUTO_CHECKPOINT_PAGES
    finally:
        store.close()
