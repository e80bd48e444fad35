"""The acquirer decides payments off its event loop (``payments/acquirer/pipeline.py``): a decision
that takes long holds up no other connection, a listener that blocks delays no payer's answer, an
approval is said only once its row is committed, and a batch of payments is one commit whose failed
payment undoes only itself. Every wait ends on an event (an ``Event`` the test controls, an answer)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from payer_app.payments.acquirer import decisions
from payer_app.payments.sqlite_store import SQLiteStore
from tests.acquirer_helpers import http_get, ledger_rows, ledger_server_fixture, new_payer, post, token_for

CEILING = 60  # seconds: only ends a hung test


server = ledger_server_fixture()


def test_a_request_is_answered_while_another_decision_is_held(server, monkeypatch):
    held_payer = new_payer(server.url, account="0011009999999")
    payer = new_payer(server.url)
    entered, release = threading.Event(), threading.Event()
    real_step = decisions._unsigned_refusal

    def step_one(result):  # the first step of the decision, held for one payer's request
        if result.kid == held_payer.key.kid:
            entered.set()
            release.wait(CEILING)  # this decision runs until the test says so
        return real_step(result)

    monkeypatch.setattr(decisions, "_unsigned_refusal", step_one)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(post, server.url, token_for(held_payer, server.url), timeout=CEILING)
        try:
            assert entered.wait(CEILING)
            other = post(server.url, token_for(payer, server.url), timeout=CEILING)
            health = http_get(f"{server.url}/v1/health", timeout=CEILING)
            assert not release.is_set()
            assert other.status_code == 201, other.text
            assert health.status_code == 200
        finally:
            release.set()
        assert held.result(CEILING).status_code == 201


def test_a_listener_that_blocks_does_not_delay_the_payers_answer(server):
    acquirer = server.server.config.app.state.acquirer
    release, heard = threading.Event(), []

    def slow_display(token, answer):
        release.wait(CEILING)  # a display or biller that hangs
        heard.append(answer.http_status)

    acquirer.listeners.insert(0, slow_display)
    payer = new_payer(server.url)
    try:
        first = post(server.url, token_for(payer, server.url), timeout=CEILING)
        second = post(server.url, token_for(payer, server.url), timeout=CEILING)
        assert not release.is_set() and heard == []
        assert (first.status_code, second.status_code) == (201, 201)
    finally:
        release.set()
    assert server.server.config.app.state.pipeline.wait_for_listeners(CEILING)
    assert heard == [201, 201]  # told afterwards, in the order of the answers


def test_every_approval_is_committed_before_it_is_said(server, tmp_path):
    """Each time a client hears 201, another connection to the ledger file already sees the row."""
    payers = [new_payer(server.url, account=f"00110012345{i:02d}") for i in range(4)]
    tokens = [token_for(payers[i % 4], server.url, amount=10_000 + i) for i in range(40)]
    ledger = tmp_path / "acquirer.sqlite3"

    def pay_and_look(token):
        answer = post(server.url, token, timeout=CEILING)
        request_id = answer.json()["request_id"]
        seen = ledger_rows(ledger, "SELECT status FROM ledger_payments WHERE request_id = ?", (request_id,))
        return answer.status_code, seen

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(pay_and_look, tokens))
    assert results == [(201, [("approved",)])] * len(tokens)


def test_a_batch_is_one_commit_and_a_failed_payment_undoes_only_itself(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path, "CREATE TABLE IF NOT EXISTS t (v INTEGER UNIQUE);", version=1)
    try:
        with store.transaction() as db:
            with store.transaction():
                db.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(sqlite3.IntegrityError), store.transaction():
                db.execute("INSERT INTO t VALUES (2)")
                db.execute("INSERT INTO t VALUES (1)")  # breaks UNIQUE: its savepoint is undone
            with store.transaction():
                db.execute("INSERT INTO t VALUES (3)")
            assert ledger_rows(path, "SELECT v FROM t") == []  # nothing committed yet
        assert ledger_rows(path, "SELECT v FROM t ORDER BY v") == [(1,), (3,)]
    finally:
        store.close()


def test_a_ledger_that_cannot_be_written_answers_503_and_records_nothing(server, monkeypatch, tmp_path):
    acquirer = server.server.config.app.state.acquirer
    payer = new_payer(server.url)

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(acquirer.ledger, "insert_if_new", full_disk)
    answer = post(server.url, token_for(payer, server.url), timeout=CEILING)
    assert answer.status_code == 503 and answer.json()["error"] == "unavailable"
    assert ledger_rows(tmp_path / "acquirer.sqlite3") == []
    monkeypatch.undo()
    assert post(server.url, token_for(payer, server.url), timeout=CEILING).status_code == 201
