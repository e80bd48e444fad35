"""The mock acquirer over real HTTP on a free loopback port, with a real SQLite ledger."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from payer_app.core.builder import vietqr_payload
from payer_app.core.keystore import KeyStore
from payer_app.core.payload import parse_payload
from payer_app.core.request import Limits, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer import AcquirerServer, FailureSettings, create_app

EVN_BILL = (
    "000201010211262400020001140100101114-0195204490053037045802VN5931EVN CONG TY DIEN LUC THANH XUAN"
    "6006Ha Noi62450302000613PD000000000000702000812TT tien dien6304DC30"
)
JOSE = {"Content-Type": "application/jose"}


@pytest.fixture
def store(payer_home):
    return KeyStore(payer_home)


@pytest.fixture
def ledger_path(tmp_path):
    return tmp_path / "acquirer.sqlite3"


@pytest.fixture
def serve(store, ledger_path):
    servers = []

    def start(failures=None, limits=None, trusted=True, path=None):
        keys = [store.public_jwk()] if trusted else None
        app = create_app(path or ledger_path, failures or FailureSettings(), trusted_keys=keys, limits=limits)
        server = AcquirerServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def token_for(store, amount=250_000, payload=EVN_BILL, **kwargs):
    return sign_request(build_request(parse_payload(payload), amount, **kwargs), store)


def post(server, token, headers=JOSE, timeout=10.0):
    return httpx.post(f"{server.url}/v1/payments", content=token, headers=headers, timeout=timeout)


def test_approved_payment_gets_a_reference_and_can_be_looked_up(serve, store):
    server = serve()
    token = token_for(store, note="Tien dien")
    response = post(server, token)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "approved" and body["acquirer_reference"].startswith("ACQ-")
    assert body["amount"] == {"value": "250000", "currency": "VND"}
    looked_up = httpx.get(f"{server.url}/v1/payments/{body['request_id']}")
    assert looked_up.status_code == 200
    assert looked_up.json()["acquirer_reference"] == body["acquirer_reference"]
    assert looked_up.json()["http_status"] == 201
    assert httpx.get(f"{server.url}/v1/payments/no-such-request").status_code == 404


def test_replay_returns_409_with_the_first_answer(serve, store):
    server = serve()
    request = build_request(parse_payload(EVN_BILL), 120_000)
    token = sign_request(request, store)
    first = post(server, token)
    assert first.status_code == 201
    replay = post(server, token)
    assert replay.status_code == 409
    assert replay.headers["Idempotent-Replayed"] == "true"
    body = replay.json()
    assert body["duplicate"] is True and body["first_http_status"] == 201
    for key in ("status", "acquirer_reference", "request_id", "received_at", "amount"):
        assert body[key] == first.json()[key]
    # Same idempotency key, different content (a new signature): still the first answer.
    changed = request.to_dict()
    changed["note"] = "second try"
    other = post(server, sign_request(changed, store))
    assert other.status_code == 409 and other.json()["acquirer_reference"] == first.json()["acquirer_reference"]


def test_concurrent_duplicates_are_approved_exactly_once(serve, store):
    server = serve()
    token = token_for(store)
    statuses = []
    lock = threading.Lock()

    def send():
        code = post(server, token).status_code
        with lock:
            statuses.append(code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7


def test_tampered_token_is_400_and_not_recorded(serve, store, ledger_path):
    server = serve()
    token = token_for(store)
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["amount"]["value"] = "1000"
    forged_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    response = post(server, f"{header}.{forged_payload}.{signature}")
    assert response.status_code == 400
    assert response.json()["error"] == "bad-signature"
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert post(server, flipped).status_code == 400
    count = sqlite3.connect(ledger_path).execute("SELECT COUNT(*) FROM payments").fetchone()[0]
    assert count == 0


def test_unknown_key_and_malformed_bodies_are_400(serve, store, tmp_path):
    server = serve()
    stranger = KeyStore(tmp_path / "stranger")
    response = post(server, token_for(stranger))
    assert response.status_code == 400 and response.json()["error"] == "wrong-key"
    for junk in (b"", b"hello", b"\xff\xfe\x00", b"a.b.c"):
        response = post(server, junk)
        assert response.status_code == 400 and response.json()["error"] == "malformed"


def test_wrong_content_type_and_oversized_bodies(serve, store):
    server = serve()
    token = token_for(store)
    assert post(server, token, headers={"Content-Type": "application/json"}).status_code == 415
    assert post(server, token, headers={}).status_code == 415
    assert post(server, b"a" * 100_000).status_code == 413
    ok = post(server, token, headers={"Content-Type": "application/jose; charset=ascii"})
    assert ok.status_code == 201


def test_expired_and_limit_breaking_requests_are_422(serve, store):
    server = serve(limits=Limits(min_amount=1000, max_amount=1_000_000))
    expired = token_for(store, now=datetime.now(timezone.utc) - timedelta(minutes=10))
    response = post(server, expired)
    assert response.status_code == 422 and response.json()["error"] == "expired"
    too_big = token_for(store, amount=2_000_000)
    response = post(server, too_big)
    assert response.status_code == 422 and response.json()["error"] == "above-maximum"


def test_dynamic_amount_tampering_by_the_signer_is_422(serve, store):
    server = serve()
    body = build_request(parse_payload(vietqr_payload("970416", "257678859", amount=500_000)), None).to_dict()
    body["amount"]["value"] = "5000"
    response = post(server, sign_request(body, store))
    assert response.status_code == 422 and response.json()["error"] == "amount-mismatch"


def test_payer_keys_can_be_enrolled(serve, tmp_path):
    server = serve(trusted=False)
    payer = KeyStore(tmp_path / "new_payer")
    token = token_for(payer)
    assert post(server, token).status_code == 400
    enrol = httpx.post(f"{server.url}/v1/keys", json=payer.public_jwk())
    assert enrol.status_code == 201 and enrol.json()["kid"] == payer.current().kid
    assert httpx.post(f"{server.url}/v1/keys", json=payer.public_jwk()).status_code == 200
    assert post(server, token).status_code == 201
    bad = httpx.post(f"{server.url}/v1/keys", json={"kty": "OKP", "crv": "Ed25519", "x": "!!"})
    assert bad.status_code == 400
    private = payer.current().jose_key().as_dict(private=True)
    assert httpx.post(f"{server.url}/v1/keys", json=private).status_code == 400


def test_injected_declines_are_reproducible(serve, store, tmp_path):
    keys = [f"fixed-key-{i}" for i in range(24)]
    requests = [build_request(parse_payload(EVN_BILL), 10_000 + i, idempotency_key=k) for i, k in enumerate(keys)]
    tokens = [sign_request(r, store) for r in requests]
    runs = []
    for run in range(2):
        server = serve(failures=FailureSettings(decline_rate=0.5, seed=7), path=tmp_path / f"ledger{run}.sqlite3")
        runs.append([post(server, t).status_code for t in tokens])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {201, 402}
    declined = post(server, tokens[runs[0].index(402)])
    assert declined.status_code == 409 and declined.json()["status"] == "declined"


def test_injected_latency_delays_answers(serve, store):
    server = serve(failures=FailureSettings(latency_ms=300))
    started = time.monotonic()
    assert post(server, token_for(store)).status_code == 201
    assert time.monotonic() - started >= 0.3


def test_injected_timeout_records_the_payment_but_holds_the_answer(serve, store):
    server = serve(failures=FailureSettings(timeout_rate=1.0, timeout_seconds=1.5))
    request = build_request(parse_payload(EVN_BILL), 33_000)
    token = sign_request(request, store)
    with pytest.raises(httpx.TimeoutException):
        post(server, token, timeout=0.3)
    looked_up = httpx.get(f"{server.url}/v1/payments/{request.request_id}")
    assert looked_up.status_code == 200 and looked_up.json()["status"] == "approved"
    assert post(server, token).status_code == 409


def test_ledger_survives_a_restart(serve, store, ledger_path):
    first = serve()
    token = token_for(store)
    answer = post(first, token).json()
    first.stop()
    second = serve()
    assert post(second, token).status_code == 409
    assert httpx.get(f"{second.url}/v1/payments/{answer['request_id']}").json()["status"] == "approved"
    health = httpx.get(f"{second.url}/v1/health").json()
    assert health["ok"] and health["counts"] == {"approved": 1}
