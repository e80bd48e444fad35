"""Idempotency as Stripe does it, per payer, over real HTTP with a real SQLite ledger; one payment,
one acquirer (``aud``); payments visible only to their payer; nonces used once."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid

import httpx
import pytest

from payer_app.payments.enrolment import lookup_token
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION
from tests.acquirer_helpers import http_get, ledger_rows, new_payer, post, start_server, token_for


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path / "acquirer.sqlite3")
    yield srv
    srv.stop()


def in_parallel(tokens, url):
    statuses: list[httpx.Response] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))

    def send(token):
        barrier.wait()
        response = post(url, token)
        with lock:
            statuses.append(response)

    threads = [threading.Thread(target=send, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_the_same_token_again_gets_409_with_the_first_answer(server):
    payer = new_payer(server.url)
    token = token_for(payer, server.url, 120_000)
    first = post(server.url, token)
    assert first.status_code == 201
    replay = post(server.url, token)
    assert replay.status_code == 409 and replay.headers["Idempotent-Replayed"] == "true"
    body = replay.json()
    assert body["duplicate"] is True and body["first_http_status"] == 201
    for key in ("status", "acquirer_reference", "request_id", "received_at", "amount"):
        assert body[key] == first.json()[key]


def test_another_token_under_the_same_key_gets_422_and_learns_nothing(server):
    payer = new_payer(server.url)
    key = str(uuid.uuid4())
    first = post(server.url, token_for(payer, server.url, 120_000, idempotency_key=key, note="first"))
    assert first.status_code == 201
    other = post(server.url, token_for(payer, server.url, 7_000, idempotency_key=key, note="second"))
    assert other.status_code == 422 and other.json()["error"] == "idempotency-key-reused"
    text = other.text
    for secret in (first.json()["acquirer_reference"], first.json()["request_id"], "120000", "first"):
        assert secret not in text
    # The same request id under a new idempotency key: refused as well.
    again = post(server.url, token_for(payer, server.url, 7_000, request_id=first.json()["request_id"]))
    assert again.status_code == 422 and again.json()["error"] == "request-id-reused"


def test_keys_and_request_ids_are_scoped_per_payer(server):
    alice = new_payer(server.url)
    bob = new_payer(server.url, account="222333444")
    key, rid = str(uuid.uuid4()), str(uuid.uuid4())
    assert (
        post(server.url, token_for(alice, server.url, 10_000, idempotency_key=key, request_id=rid)).status_code == 201
    )
    answer = post(server.url, token_for(bob, server.url, 20_000, idempotency_key=key, request_id=rid))
    assert answer.status_code == 201 and answer.json()["amount"]["value"] == "20000"


def test_eight_clients_sending_the_same_token_get_exactly_one_201(server, tmp_path):
    payer = new_payer(server.url)
    token = token_for(payer, server.url)
    answers = in_parallel([token] * 8, server.url)
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    first = next(a for a in answers if a.status_code == 201).json()
    assert all(a.json()["acquirer_reference"] == first["acquirer_reference"] for a in answers)
    assert ledger_rows(tmp_path / "acquirer.sqlite3") == [("approved",)]


def test_eight_different_tokens_under_one_key_get_one_201_and_seven_422s_without_a_leak(server, tmp_path):
    payer = new_payer(server.url)
    key = str(uuid.uuid4())
    tokens = [token_for(payer, server.url, 10_000 + i, idempotency_key=key, note=f"try {i}") for i in range(8)]
    answers = in_parallel(tokens, server.url)
    assert sorted(a.status_code for a in answers) == [201] + [422] * 7
    winner = next(a for a in answers if a.status_code == 201).json()
    for a in answers:
        if a.status_code == 422:
            assert a.json()["error"] == "idempotency-key-reused"
            assert set(a.json()) == {"status", "error", "message"}
            assert winner["acquirer_reference"] not in a.text and winner["request_id"] not in a.text
            assert winner["amount"]["value"] not in a.text
    assert ledger_rows(tmp_path / "acquirer.sqlite3") == [("approved",)]


def test_a_payment_is_shown_only_to_its_payer(server):
    alice = new_payer(server.url)
    mallory = new_payer(server.url, account="666777888")
    rid = post(server.url, token_for(alice, server.url)).json()["request_id"]
    url = f"{server.url}/v1/payments/{rid}"
    assert http_get(url).status_code == 401
    assert http_get(url, headers={"Authorization": "JWS garbage"}).status_code == 401
    mine = http_get(url, headers={"Authorization": f"JWS {lookup_token(alice.key, rid, server.url)}"})
    assert mine.status_code == 200 and mine.json()["status"] == "approved"
    theirs = http_get(url, headers={"Authorization": f"JWS {lookup_token(mallory.key, rid, server.url)}"})
    assert theirs.status_code == 404 and rid not in theirs.text.replace("request id", "")
    # A lookup signed for one request does not open another.
    other = http_get(f"{server.url}/v1/payments/{uuid.uuid4()}",
                      headers={"Authorization": f"JWS {lookup_token(alice.key, rid, server.url)}"})
    assert other.status_code == 401


def test_requests_addressed_to_another_acquirer_are_refused(server):
    payer = new_payer(server.url)
    for audience in ("http://127.0.0.1:1", "embedded", "https://acquirer.example"):
        response = post(server.url, token_for(payer, server.url, audience=audience))
        assert response.status_code == 421 and response.json()["error"] == "wrong-audience"
    # The loopback names of this very server are all accepted.
    port = server.port
    assert post(server.url, token_for(payer, server.url, audience=f"http://localhost:{port}")).status_code == 201


def test_a_nonce_is_used_once(server):
    payer = new_payer(server.url)
    nonce = "n0nce-used-only-once-123"
    assert post(server.url, token_for(payer, server.url, 10_000, nonce=nonce)).status_code == 201
    response = post(server.url, token_for(payer, server.url, 11_000, nonce=nonce))
    assert response.status_code == 422 and response.json()["error"] == "nonce-reused"


def test_another_payers_nonce_does_not_refuse_a_payers_resent_request(server):
    """The attack: a payer's request is signed and its answer lost; another enrolled payer sends a
    request of their own under the same nonce first. The victim's re-sent request is still
    answered: nonces, like idempotency keys, belong to one payer."""
    victim = new_payer(server.url)
    other = new_payer(server.url, account="555000111")
    nonce = "shared-nonce-0123456789"
    victim_token = token_for(victim, server.url, 10_000, nonce=nonce)
    assert post(server.url, token_for(other, server.url, 20_000, nonce=nonce)).status_code == 201
    response = post(server.url, victim_token)
    assert response.status_code == 201, response.text
    # Within one payer the nonce is still used once.
    again = post(server.url, token_for(victim, server.url, 11_000, nonce=nonce))
    assert again.status_code == 422 and again.json()["error"] == "nonce-reused"


def test_a_ledger_of_the_first_version_keeps_its_live_nonces_for_every_payer(tmp_path):
    """A version 1 ledger kept nonces without their payer. Opened by this version, the table is
    rebuilt per payer and the nonces still alive there stay used for every payer until they expire."""
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE used_nonces (nonce TEXT PRIMARY KEY, expires_epoch INTEGER NOT NULL)")
        db.execute("INSERT INTO used_nonces VALUES (?, ?)", ("kept-live-nonce-000001", int(time.time()) + 300))
        db.execute("INSERT INTO used_nonces VALUES (?, ?)", ("kept-dead-nonce-000001", int(time.time()) - 300))
        db.execute("PRAGMA user_version = 1")
    db.close()
    server = start_server(path)
    try:
        payer = new_payer(server.url)
        refused = post(server.url, token_for(payer, server.url, nonce="kept-live-nonce-000001"))
        assert refused.status_code == 422 and refused.json()["error"] == "nonce-reused"
        assert post(server.url, token_for(payer, server.url, nonce="kept-dead-nonce-000001")).status_code == 201
    finally:
        server.stop()
    rows = ledger_rows(path, "SELECT name FROM pragma_table_info('used_nonces')")
    assert [r[0] for r in rows] == ["payer_scope", "nonce", "expires_epoch"]
    assert ledger_rows(path, "PRAGMA user_version") == [(LEDGER_SCHEMA_VERSION,)] and LEDGER_SCHEMA_VERSION == 3


def test_the_ledger_keeps_amounts_as_integers_and_health_shows_no_paths(server, tmp_path):
    payer = new_payer(server.url)
    assert post(server.url, token_for(payer, server.url, 123_456)).status_code == 201
    rows = ledger_rows(tmp_path / "acquirer.sqlite3", "SELECT amount, typeof(amount) FROM ledger_payments")
    assert rows == [(123_456, "integer")]
    health = http_get(f"{server.url}/v1/health")
    assert str(tmp_path) not in health.text and "sqlite" not in health.text
    assert json.loads(health.text)["counts"] == {"approved": 1}
