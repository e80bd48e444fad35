"""PaymentService against real HTTP acquirers (loopback) and real SQLite: enrolment, refused keys as
typed errors (not pending), one payment one acquirer on retry, 5xx as "acquirer error", a 409 that
is not ours, rotation in the middle of payments, unusable key files."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC

import pytest

from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.acquirer.server import AcquirerServer
from payer_app.payments.errors import EnrolmentRefused, KeyNotAccepted, RetryTargetRefused
from payer_app.payments.keystore import KeyStore, KeyStoreError
from payer_app.payments.service import PaymentService
from tests.acquirer_helpers import LedgerServer, code_for
from tests.spec_vectors import EVN_BILL

CODE = "integrity-test-code"


def acquirer(ledger, failures=None, **kwargs):
    return LedgerServer(create_app(ledger, failures or FailureSettings(), enrol_code=CODE, **kwargs)).start()


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


def test_an_unenrolled_key_is_a_typed_error_and_nothing_is_recorded(payer_home, tmp_path, servers):
    server = acquirer(tmp_path / "a.sqlite3")
    servers.append(server)
    with PaymentService(acquirer_url=server.url) as service:
        with pytest.raises(KeyNotAccepted) as caught:
            service.pay(parse_payload(EVN_BILL), PaymentChoice(50_000))
        assert caught.value.code == "key-not-enrolled"
        assert f"payer-app keys enrol --acquirer {server.url} --code CODE" in caught.value.message
        assert service.history() == []
        assert service.key_status() == "not-enrolled"
        with pytest.raises(EnrolmentRefused) as refused:
            service.enrol("not-the-code")
        assert refused.value.code == "bad-enrolment-code" and refused.value.http_status == 401
        result = service.enrol(code_for(service))
        assert result.created and result.status == "active" and result.kid == service.keystore.current().kid
        assert not service.enrol(code_for(service)).created  # enrolling again is harmless
        assert service.key_status() == "active"
        assert service.pay(parse_payload(EVN_BILL), PaymentChoice(50_000)).status == "approved"


def test_a_revoked_key_is_refused_before_signing(payer_home, tmp_path, servers):
    server = acquirer(tmp_path / "a.sqlite3")
    servers.append(server)
    with PaymentService(acquirer_url=server.url) as service:
        service.enrol(code_for(service))
        assert service.revoke_key(service.keystore.current().kid) == "revoked"
        with pytest.raises(KeyNotAccepted) as caught:
            service.pay(parse_payload(EVN_BILL), PaymentChoice(50_000))
        assert caught.value.code == "key-revoked" and "keys rotate" in caught.value.message
        assert service.history() == []
        with pytest.raises(EnrolmentRefused) as refused:  # enrolling it again does not revive it
            service.enrol(code_for(service))
        assert refused.value.code == "key-revoked"


def test_rotation_endorsed_by_the_old_key_keeps_paying(payer_home, tmp_path, servers):
    server = acquirer(tmp_path / "a.sqlite3")
    servers.append(server)
    store = KeyStore(payer_home)
    with PaymentService(acquirer_url=server.url) as service:
        service.enrol(code_for(service))
        old = store.current()
        store.rotate()
        result = service.enrol(endorsed_by=old)
        assert result.created and result.retired_kid == old.kid
        assert service.pay(parse_payload(EVN_BILL), PaymentChoice(70_000)).status == "approved"
    with PaymentService(acquirer_url=server.url) as service:
        assert service.key_status() == "active"


def test_retry_goes_to_the_acquirer_the_request_was_first_sent_to(payer_home, tmp_path, servers):
    first = acquirer(tmp_path / "first.sqlite3", FailureSettings(timeout_rate=1.0, timeout_seconds=1.5))
    second = acquirer(tmp_path / "second.sqlite3")
    servers += [first, second]
    with PaymentService(acquirer_url=first.url, timeout=0.5) as service:
        service.enrol(code_for(service))
        lost = service.pay(parse_payload(EVN_BILL), PaymentChoice(64_000))  # recorded at the acquirer, answer lost
        assert lost.status == "pending" and lost.pending_reason == "no-answer"
    with PaymentService(acquirer_url=second.url) as service:
        service.enrol(code_for(service))
        # The other acquirer is refused for this pending request unless forced...
        with pytest.raises(RetryTargetRefused) as caught:
            service.retry_pending(acquirer_url=second.url)
        assert first.url in caught.value.message
        # ...and forced, it refuses the request itself (aud): still pending, nothing paid there.
        [forced] = service.retry_pending(acquirer_url=second.url, force=True)
        assert forced.status == "pending" and forced.pending_reason == "wrong-acquirer"
        assert forced.http_status == 421
        # Without --acquirer it goes back to the first acquirer, which answers with its first decision.
        [retried] = service.retry_pending()
        assert retried.status == "approved" and retried.duplicate and retried.acquirer == first.url
        assert service.entry(lost.request_id).status == "approved"
    with sqlite3.connect(tmp_path / "first.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM ledger_payments").fetchone() == (1,)
    with sqlite3.connect(tmp_path / "second.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM ledger_payments").fetchone() == (0,)


def test_a_5xx_answer_is_an_acquirer_error_not_no_answer(payer_home, tmp_path, servers):
    server = acquirer(tmp_path / "a.sqlite3", FailureSettings(unavailable_rate=1.0))
    servers.append(server)
    with PaymentService(acquirer_url=server.url) as service:
        service.enrol(code_for(service))
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(20_000))
        assert outcome.status == "pending" and outcome.pending_reason == "acquirer-error"
        assert outcome.http_status == 503 and outcome.message.startswith("Acquirer error (HTTP 503)")
        entry = service.entry(outcome.request_id)
        assert entry.status == "pending" and entry.http_status == 503 and entry.message.startswith("Acquirer error")


def _fake_acquirer(payment_answer):
    """A misbehaving acquirer: every key is active, every payment gets ``payment_answer``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def key(request):
        return JSONResponse({"kid": request.path_params["kid"], "status": "active"})

    async def pay(request):
        status, body = payment_answer
        if isinstance(body, str):
            return PlainTextResponse(body, status_code=status)
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/v1/keys/{kid}", key), Route("/v1/payments", pay, methods=["POST"])])


@pytest.mark.parametrize("answer, reason, http_status", [
    ((409, {"status": "approved", "request_id": "someone-else", "amount": {"value": "5", "currency": "VND"},
            "acquirer_reference": "ACQ-NOT-YOURS"}), "unconfirmed-duplicate", 409),
    ((500, "Internal Server Error"), "acquirer-error", 500),
    ((200, "<html>not json</html>"), "acquirer-error", 200),
])
def test_answers_that_are_not_ours_stay_pending(payer_home, answer, reason, http_status):
    with AcquirerServer(_fake_acquirer(answer)) as server:
        with PaymentService(acquirer_url=server.url) as service:
            outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(30_000))
            assert outcome.status == "pending" and outcome.pending_reason == reason
            assert outcome.http_status == http_status and outcome.acquirer_reference is None
            assert service.entry(outcome.request_id).status == "pending"


def test_a_409_naming_our_request_and_amount_is_our_outcome(payer_home):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from payer_app.core.request import read_signed

    async def key(request):
        return JSONResponse({"status": "active"})

    async def pay(request):
        signed = read_signed((await request.body()).decode())
        return JSONResponse({"status": "approved", "request_id": signed.request_id,
                             "amount": {"value": str(signed.amount), "currency": signed.currency},
                             "acquirer_reference": "ACQ-MINE"}, status_code=409)

    app = Starlette(routes=[Route("/v1/keys/{kid}", key), Route("/v1/payments", pay, methods=["POST"])])
    with AcquirerServer(app) as server:
        with PaymentService(acquirer_url=server.url) as service:
            outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(30_000))
    assert outcome.status == "approved" and outcome.duplicate and outcome.acquirer_reference == "ACQ-MINE"


def test_key_rotation_in_the_middle_of_payments_never_fails_one(payer_home):
    # The worst moment: the key is rotated right after the payment has read it (between the preview
    # naming the key and the signature). Before the fix 5 of 200 payments raised ValueError under
    # random rotations; rotating at this moment every time, each of these 10 would have (one is enough:
    # ten also show that each payment names the key it was signed with, each time a new one).
    store = KeyStore(payer_home)
    with PaymentService() as service:
        read_key = service.keystore.current

        def current_then_rotate():
            key = read_key()
            store.rotate()
            return key

        service.keystore.current = current_then_rotate
        outcomes = [service.pay(parse_payload(EVN_BILL), PaymentChoice(10_000 + i)) for i in range(10)]
    assert {o.status for o in outcomes} == {"approved"}
    kids = {o.request.payer.key_id for o in outcomes}
    assert len(kids) == 10  # each signed by the key it named, which was retired right after


def test_key_rotation_from_another_thread_never_raises_a_signing_error(payer_home):
    store = KeyStore(payer_home)
    store.current()
    stop = threading.Event()

    def rotate():
        for _ in range(40):
            if stop.wait(0.01):
                return
            try:
                store.rotate()
            except KeyStoreError:
                pass

    rotator = threading.Thread(target=rotate)
    rotator.start()
    statuses = []
    try:
        with PaymentService() as service:
            for i in range(60):
                statuses.append(service.pay(parse_payload(EVN_BILL), PaymentChoice(10_000 + i)).status)
    finally:
        stop.set()
        rotator.join()
    # Readers take the key store's shared lock, so a rotation is never seen half done.
    assert statuses == ["approved"] * 60, statuses


def test_an_unusable_public_key_list_is_a_key_store_error_not_no_answer(payer_home):
    store = KeyStore(payer_home)
    store.current()
    record = json.loads(store.public_path.read_text())
    record["keys"].append({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})
    store.public_path.write_text(json.dumps(record))
    with PaymentService() as service:
        with pytest.raises(KeyStoreError):
            service.pay(parse_payload(EVN_BILL), PaymentChoice(10_000))
        assert service.history() == []


def test_the_embedded_acquirer_trusts_only_the_local_payers_keys_for_the_local_account(payer_home):
    from datetime import datetime, timedelta

    from payer_app.core.keys import SigningKey
    from payer_app.core.request import PayerInfo, build_request
    from payer_app.core.signing import sign_request

    with PaymentService() as service:
        local = service.keystore.current()
        client = service._client("embedded")
        parsed = parse_payload(EVN_BILL)

        def token(key, account="0011001234567", now=None):
            request = build_request(parsed, PaymentChoice(40_000), payer=PayerInfo(account, "970436", key.kid), now=now)
            return sign_request(request, key)

        stranger = client.submit(token(SigningKey.generate()))
        assert stranger.http_status == 403 and stranger.body["error"] == "key-not-enrolled"
        other_account = client.submit(token(local, account="999888777"))
        assert other_account.http_status == 403 and other_account.body["error"] == "account-mismatch"
        assert client.submit(token(local)).http_status == 201
        # After `keys rotate` the old key is retired: what it signs later is refused.
        service.keystore.rotate()
        client.refresh_keys()
        later = datetime.now(UTC) + timedelta(minutes=3)
        answer = client.acquirer.submit(token(local, now=later), now=later + timedelta(seconds=5))
        assert answer.http_status == 403 and answer.body["error"] == "key-retired"
