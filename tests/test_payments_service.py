"""PaymentService end to end: embedded acquirer, HTTP acquirer, history, pending and retry."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.core.request import build_request
from payer_app.core.signing import sign_request, verify_request
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.history import History
from payer_app.payments.keystore import KeyStore
from payer_app.payments.service import EMBEDDED_LEDGER_FILE, PaymentService
from tests.acquirer_helpers import LedgerServer, code_for
from tests.spec_vectors import EVN_BILL

CODE = "service-test-code"



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ledger_rows(path, idempotency_key):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT status FROM ledger_payments WHERE idempotency_key = ?", (idempotency_key,)).fetchall()


def http_acquirer(ledger, failures=None, port=0, **kwargs):
    kwargs.setdefault("enrol_code", CODE)
    return LedgerServer(create_app(ledger, failures or FailureSettings(), **kwargs), port=port)


def test_embedded_payment_is_signed_recorded_and_approved(payer_home):
    with PaymentService() as service:
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(250_000, "Tien dien thang 2"))
        assert outcome.status == "approved" and outcome.http_status == 201
        assert outcome.acquirer_reference.startswith("ACQ-")
        assert verify_request(outcome.jws, KeyStore(payer_home)).request == outcome.request
        [entry] = service.history()
        assert entry.status == "approved" and entry.amount == 250_000 and entry.jws == outcome.jws
        assert entry.payee_name == "EVN CONG TY DIEN LUC THANH XUAN" and entry.customer_code == "PD00000000000"
        assert entry.acquirer == "embedded" and entry.attempts == 1
    assert ledger_rows(payer_home / EMBEDDED_LEDGER_FILE, outcome.request.idempotency_key) == [("approved",)]
    # History lives in the data folder and outlives the service.
    assert History(payer_home / "history.sqlite3").list()[0].request_id == outcome.request_id


def test_without_history_nothing_about_the_payer_stays_on_disk(payer_home):
    # Kiosk mode: the request is still recorded (in memory) before it is sent, then forgotten.
    with PaymentService(keep_history=False) as service:
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(150_000))
        assert outcome.status == "approved"
        assert [e.request_id for e in service.history()] == [outcome.request_id]
    assert not (payer_home / "history.sqlite3").exists()
    assert History(payer_home / "history.sqlite3").list() == []
    assert verify_request(outcome.jws, KeyStore(payer_home)).ok


def test_refused_input_records_nothing(payer_home):
    with PaymentService() as service:
        with pytest.raises(RequestRefused) as caught:
            service.pay(parse_payload(EVN_BILL), PaymentChoice(None))
        assert caught.value.code == "amount-required"
        dynamic = parse_payload(vietqr_payload("970416", "257678859", amount=80_000))
        with pytest.raises(RequestRefused) as caught:
            service.pay(dynamic, PaymentChoice(70_000))
        assert caught.value.code == "amount-locked"
        assert service.history() == []


def test_preview_builds_without_recording(payer_home):
    with PaymentService() as service:
        request = service.preview(parse_payload(EVN_BILL), PaymentChoice(99_000))
        assert request.payer.key_id == service.keystore.current().kid
        assert service.history() == []


def test_pending_on_network_error_then_retry_sends_the_same_request(payer_home, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with PaymentService(acquirer_url=url, timeout=2) as service:
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(180_000))
        assert outcome.status == "pending" and outcome.http_status is None
        [entry] = service.history()
        assert entry.status == "pending" and entry.jws == outcome.jws and entry.attempts == 1
        # Still down: still pending, one more attempt.
        assert [o.status for o in service.retry_pending()] == ["pending"]
        assert service.entry(outcome.request_id).attempts == 2

        ledger = tmp_path / "acquirer.sqlite3"
        with http_acquirer(ledger, port=port):
            service.enrol(code_for(service))
            [retried] = service.retry_pending()
            assert retried.status == "approved" and retried.jws == outcome.jws
            assert retried.request.idempotency_key == outcome.request.idempotency_key
            assert service.retry_pending() == []
        entry = service.entry(outcome.request_id)
        assert entry.status == "approved" and entry.acquirer_reference == retried.acquirer_reference
    assert ledger_rows(ledger, outcome.request.idempotency_key) == [("approved",)]


def test_lost_answer_then_retry_gets_the_first_decision(payer_home, tmp_path):
    ledger = tmp_path / "acquirer.sqlite3"
    failures = FailureSettings(timeout_rate=1.0, timeout_seconds=1.5)
    with http_acquirer(ledger, failures) as server:
        with PaymentService(acquirer_url=server.url, timeout=0.4) as service:
            service.enrol(code_for(service))
            outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(64_000))
            assert outcome.status == "pending"
            [retried] = service.retry_pending()
            assert retried.status == "approved" and retried.duplicate and retried.http_status == 409
            assert service.entry(outcome.request_id).status == "approved"
    assert ledger_rows(ledger, outcome.request.idempotency_key) == [("approved",)]


def test_a_request_recorded_before_a_crash_is_sent_by_the_next_run(payer_home):
    # The first run signed and recorded the request, then died before sending it.
    store = KeyStore(payer_home)
    request = build_request(parse_payload(EVN_BILL), PaymentChoice(45_000)).with_key_id(store.current().kid)
    jws = sign_request(request, store.current())
    history = History(payer_home / "history.sqlite3")
    history.record_pending(request, jws, "embedded")
    history.close()
    with PaymentService() as service:
        [outcome] = service.retry_pending()
        assert outcome.status == "approved" and outcome.request_id == request.request_id
        assert service.entry(request.request_id).status == "approved"


def test_declines_and_outages_from_the_embedded_acquirer(payer_home):
    with PaymentService(failures=FailureSettings(decline_rate=1.0)) as service:
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(20_000))
        assert outcome.status == "declined" and outcome.http_status == 402 and outcome.reason == "insufficient-funds"
        assert service.history()[0].status == "declined"
    with PaymentService(failures=FailureSettings(unavailable_rate=1.0)) as service:
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(20_000))
        assert outcome.status == "pending"
    with PaymentService() as service:  # the outage is over
        assert [o.status for o in service.retry_pending()] == ["approved"]
        assert [e.status for e in service.history()] == ["approved", "declined"]


def test_http_acquirer_rejections_are_recorded(payer_home, tmp_path):
    from payer_app.core.payability import Limits

    with http_acquirer(tmp_path / "a.sqlite3", limits=Limits(max_amount=100_000)) as server:
        with PaymentService(acquirer_url=server.url) as service:
            service.enrol(code_for(service))
            ok = service.pay(parse_payload(EVN_BILL), PaymentChoice(90_000))
            assert ok.status == "approved"
            # The payer's own limits allow it, the acquirer's do not.
            refused = service.pay(parse_payload(EVN_BILL), PaymentChoice(150_000))
            assert refused.status == "rejected" and refused.http_status == 422
            assert refused.reason == "above-maximum"
            assert [e.status for e in service.history()] == ["rejected", "approved"]


def test_history_limit_and_order(payer_home):
    with PaymentService() as service:
        ids = [service.pay(parse_payload(EVN_BILL), PaymentChoice(10_000 + i)).request_id for i in range(4)]
        assert len(service.history(limit=2)) == 2
        assert {e.request_id for e in service.history()} == set(ids)
        assert service.history()[0].request_id == ids[-1]


def test_payer_limits_are_a_setting_shared_with_the_embedded_acquirer(payer_home):
    from payer_app.core.payability import Limits

    with PaymentService(limits=Limits(min_amount=1000, max_amount=1_000_000_000)) as service:
        # over 100,000,000 a day even to EVN: confirmed with the face check (core/auth_policy.py)
        assert service.pay(parse_payload(EVN_BILL), PaymentChoice(600_000_000, auth="biometric")).status == "approved"
    with PaymentService() as service:
        with pytest.raises(RequestRefused) as caught:
            service.pay(parse_payload(EVN_BILL), PaymentChoice(600_000_000))
        assert caught.value.code == "above-maximum"
