"""The mock acquirer over real HTTP on a free loopback port, with a real SQLite ledger."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payability import Limits
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer import endpoints as acquirer_endpoints
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.acquirer.server import AcquirerServer
from payer_app.payments.enrolment import lookup_token
from tests.acquirer_helpers import JOSE, http_get, http_post, ledger_rows, new_payer, post, start_server, token_for
from tests.spec_vectors import EVN_BILL


@pytest.fixture
def ledger_path(tmp_path):
    return tmp_path / "acquirer.sqlite3"


@pytest.fixture
def serve(ledger_path):
    servers = []

    def start(failures=None, limits=None, path=None, **kwargs):
        server = start_server(path or ledger_path, failures, limits=limits, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def lookup(url, payer, request_id):
    token = lookup_token(payer.key, request_id, url)
    return http_get(f"{url}/v1/payments/{request_id}", headers={"Authorization": f"JWS {token}"})


def test_approved_payment_gets_a_reference_and_can_be_looked_up_by_its_payer(serve):
    server = serve()
    payer = new_payer(server.url)
    response = post(server.url, token_for(payer, server.url, note="Tien dien"))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "approved" and body["acquirer_reference"].startswith("ACQ-")
    assert body["amount"] == {"value": "250000", "currency": "VND"}
    looked_up = lookup(server.url, payer, body["request_id"])
    assert looked_up.status_code == 200
    assert looked_up.json()["acquirer_reference"] == body["acquirer_reference"]
    assert looked_up.json()["http_status"] == 201
    assert lookup(server.url, payer, str(uuid.uuid4())).status_code == 404


def test_injected_declines_are_reproducible(serve, tmp_path):
    payer_keys = []
    runs = []
    for run in range(2):
        server = serve(failures=FailureSettings(decline_rate=0.5, seed=7), path=tmp_path / f"ledger{run}.sqlite3")
        payer = new_payer(server.url)
        payer_keys.append(payer)
        keys = [str(uuid.UUID(int=1000 + i)) for i in range(24)]
        tokens = [token_for(payer, server.url, 10_000 + i, idempotency_key=k) for i, k in enumerate(keys)]
        runs.append([post(server.url, t).status_code for t in tokens])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {201, 402}
    declined = post(server.url, tokens[runs[0].index(402)])
    assert declined.status_code == 409 and declined.json()["status"] == "declined"


def test_tampered_token_is_400_and_not_recorded(serve, ledger_path):
    server = serve()
    payer = new_payer(server.url)
    token = token_for(payer, server.url)
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["amount"]["value"] = "1000"
    forged = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    response = post(server.url, f"{header}.{forged}.{signature}")
    assert response.status_code == 400 and response.json()["error"] == "bad-signature"
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert post(server.url, flipped).status_code == 400
    assert ledger_rows(ledger_path) == []


def test_unknown_key_is_403_and_malformed_bodies_are_400(serve):
    server = serve()
    stranger = new_payer()  # never enrolled
    response = post(server.url, token_for(stranger, server.url))
    assert response.status_code == 403 and response.json()["error"] == "key-not-enrolled"
    assert "payer-app keys enrol" in response.json()["message"]
    for junk in (b"", b"hello", b"\xff\xfe\x00", b"a.b.c"):
        response = post(server.url, junk)
        assert response.status_code == 400 and response.json()["error"] == "malformed"


def test_wrong_content_type_and_oversized_bodies(serve):
    server = serve()
    payer = new_payer(server.url)
    token = token_for(payer, server.url)
    assert post(server.url, token, headers={"Content-Type": "application/json"}).status_code == 415
    assert post(server.url, token, headers={}).status_code == 415
    assert post(server.url, b"a" * 100_000).status_code == 413
    assert http_post(f"{server.url}/v1/keys", content=b"a" * 100_000, headers=JOSE).status_code == 413
    ok = post(server.url, token, headers={"Content-Type": "application/jose; charset=ascii"})
    assert ok.status_code == 201


def test_expired_and_limit_breaking_requests_are_422(serve):
    server = serve(limits=Limits(min_amount=1000, max_amount=1_000_000))
    payer = new_payer(server.url)
    expired = token_for(payer, server.url, now=datetime.now(UTC) - timedelta(minutes=10))
    response = post(server.url, expired)
    assert response.status_code == 422 and response.json()["error"] == "expired"
    response = post(server.url, token_for(payer, server.url, amount=2_000_000))
    assert response.status_code == 422 and response.json()["error"] == "above-maximum"


def test_dynamic_amount_tampering_by_the_signer_is_422(serve):
    server = serve()
    payer = new_payer(server.url)
    body = build_request(parse_payload(vietqr_payload("970416", "257678859", amount=500_000)), PaymentChoice(None),
                         payer=payer.info, audience=server.url).to_dict()
    body["amount"]["value"] = "5000"
    response = post(server.url, sign_request(body, payer.key))
    assert response.status_code == 422 and response.json()["error"] == "amount-mismatch"


def test_injected_latency_delays_answers(serve, monkeypatch):
    """The answer is held for the injected latency: the wait itself is watched, not the wall clock."""
    held = []

    async def watched_hold(seconds: float) -> None:
        held.append(seconds)

    monkeypatch.setattr(acquirer_endpoints, "_hold_answer", watched_hold)
    server = serve(failures=FailureSettings(latency_ms=300))
    payer = new_payer(server.url)
    assert post(server.url, token_for(payer, server.url)).status_code == 201
    assert held == [pytest.approx(0.3)]


def test_injected_timeout_records_the_payment_but_holds_the_answer(serve, monkeypatch):
    held, holding = [], threading.Event()

    async def watched_hold(seconds: float) -> None:
        held.append(seconds)
        holding.set()
        await asyncio.sleep(seconds)

    monkeypatch.setattr(acquirer_endpoints, "_hold_answer", watched_hold)
    server = serve(failures=FailureSettings(timeout_rate=1.0, timeout_seconds=1.5))
    payer = new_payer(server.url)
    request = build_request(parse_payload(EVN_BILL), PaymentChoice(33_000), payer=payer.info, audience=server.url)
    token = sign_request(request, payer.key)
    with pytest.raises(httpx.TimeoutException):
        post(server.url, token, timeout=0.3)
    assert holding.wait(timeout=30)  # recorded, and the answer held back (however slow the machine)
    assert held == [1.5]
    looked_up = lookup(server.url, payer, request.request_id)
    assert looked_up.status_code == 200 and looked_up.json()["status"] == "approved"
    assert post(server.url, token).status_code == 409


def test_ledger_survives_a_restart_with_its_enrolments_and_code(serve, ledger_path):
    first = serve()
    payer = new_payer(first.url)
    token = token_for(payer, first.url)
    answer = post(first.url, token).json()
    first.stop()
    # A new server on another port: the ledger keeps bindings, payments and the enrolment code.
    app = create_app(ledger_path, FailureSettings(), audiences=[first.url])
    assert app.state.acquirer.enrol_code == "test-enrol-code-0001"
    with AcquirerServer(app) as second:
        assert post(second.url, token).status_code == 409
        assert lookup(second.url, payer, answer["request_id"]).json()["status"] == "approved"
        health = http_get(f"{second.url}/v1/health").json()
        assert health["ok"] and health["counts"] == {"approved": 1}
        assert str(ledger_path) not in json.dumps(health) and "/" not in json.dumps(health).replace("http://", "")
