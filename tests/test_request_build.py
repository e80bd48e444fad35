"""Payment requests built from parsed QRs: amount rules, limits, the exact JSON shape."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from payer_app.core.builder import evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payability import Limits
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.timestamps import parse_timestamp
from tests.spec_vectors import EVN_BILL, VIETQR_ACB

NOW = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def test_static_evn_bill_needs_an_amount_and_takes_the_payers():
    parsed = parse_payload(EVN_BILL)
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(None))
    assert caught.value.code == "amount-required"
    assert "amount" in caught.value.message and caught.value.message_vi
    request = build_request(parsed, PaymentChoice(1_250_000, "Tiền điện tháng 2"), now=NOW)
    body = request.to_dict()
    assert body["amount"] == {"value": "1250000", "currency": "VND"}
    assert body["note"] == "Tiền điện tháng 2"
    assert body["payee"] == {
        "scheme": "evn", "bank_bin": None, "bank_name": None, "account": None,
        "merchant_id": "0100101114-019", "merchant_name": "EVN CONG TY DIEN LUC THANH XUAN",
        "city": "Ha Noi", "mcc": "4900",
    }
    assert body["bill"] == {
        "customer_code": "PD00000000000", "bill_number": None, "reference_label": None, "purpose": "TT tien dien",
    }


def test_request_has_exactly_the_specified_fields_and_formats():
    parsed = parse_payload(EVN_BILL)
    payer = PayerInfo(account="1234567890", bank_bin="970415", key_id="kid-1")
    body = build_request(parsed, PaymentChoice(99_000), payer=payer, now=NOW).to_dict()
    assert list(body) == [
        "type", "version", "aud", "request_id", "idempotency_key", "created_at", "expires_at", "nonce",
        "payer", "payee", "bill", "amount", "fee", "total", "note", "qr", "auth",
    ]
    assert body["type"] == "payment_request" and body["version"] == 2
    assert body["fee"] == {"kind": None, "value": "0"} and body["total"] == {"value": "99000", "currency": "VND"}
    assert body["aud"] == "embedded"  # the acquirer built into the app, unless build_request(audience=...)
    assert uuid.UUID(body["request_id"]).version == 4
    assert body["idempotency_key"] and body["idempotency_key"] != body["request_id"]
    assert body["created_at"] == "2026-03-01T08:30:15Z"
    assert body["expires_at"] == "2026-03-01T08:35:15Z"  # five minutes by default
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,}", body["nonce"])
    assert body["payer"] == {"account": "1234567890", "bank_bin": "970415", "key_id": "kid-1"}
    assert body["qr"] == {"payload": EVN_BILL, "sha256": hashlib.sha256(EVN_BILL.encode()).hexdigest()}
    assert parse_timestamp(body["expires_at"]) - parse_timestamp(body["created_at"]) == timedelta(minutes=5)


def test_every_request_gets_fresh_identifiers():
    parsed = parse_payload(EVN_BILL)
    a = build_request(parsed, PaymentChoice(10_000)).to_dict()
    b = build_request(parsed, PaymentChoice(10_000)).to_dict()
    for key in ("request_id", "idempotency_key", "nonce"):
        assert a[key] != b[key]


def test_dynamic_qr_amount_is_locked():
    parsed = parse_payload(VIETQR_ACB)
    assert build_request(parsed, PaymentChoice(None)).amount == 1000
    assert build_request(parsed, PaymentChoice(1000)).amount == 1000
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(2000))
    assert caught.value.code == "amount-locked"
    assert "1.000 ₫" in caught.value.message and "2.000 ₫" in caught.value.message


def test_vietqr_payee_is_the_bank_account():
    text = vietqr_payload("970436", "0011001234567", amount=150_000, purpose="Hoc phi", bill_number="HD42")
    body = build_request(parse_payload(text), PaymentChoice(None)).to_dict()
    assert body["payee"]["scheme"] == "vietqr"
    assert body["payee"]["bank_bin"] == "970436" and body["payee"]["account"] == "0011001234567"
    assert body["payee"]["merchant_id"] is None and body["payee"]["bank_name"]
    assert body["bill"]["bill_number"] == "HD42" and body["bill"]["purpose"] == "Hoc phi"
    assert body["amount"]["value"] == "150000"


def test_vnpay_payee_is_the_merchant():
    text = vnpay_payload("0101234567", "CUA HANG ABC", "Ha Noi", store_label="CH01", terminal_label="T1")
    body = build_request(parse_payload(text), PaymentChoice(45_000)).to_dict()
    assert body["payee"]["scheme"] == "vnpay"
    assert body["payee"]["merchant_id"] == "0101234567" and body["payee"]["merchant_name"] == "CUA HANG ABC"
    assert body["payee"]["account"] is None


@pytest.mark.parametrize(
    "amount, code",
    [(999, "below-minimum"), (0, "below-minimum"), (-5, "below-minimum"), (500_000_000, "above-maximum")],
)
def test_default_limits_are_the_napas_range(amount, code):
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(EVN_BILL), PaymentChoice(amount))
    assert caught.value.code == code


def test_limits_are_settings_and_the_edges_are_allowed():
    parsed = parse_payload(EVN_BILL)
    assert build_request(parsed, PaymentChoice(1000)).amount == 1000
    assert build_request(parsed, PaymentChoice(499_999_999)).amount == 499_999_999
    small = Limits(min_amount=10_000, max_amount=20_000)
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(9_999), limits=small)
    assert caught.value.code == "below-minimum"
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(20_001), limits=small)
    assert caught.value.code == "above-maximum"
    with pytest.raises(ValueError):
        Limits(min_amount=5000, max_amount=100)


def test_a_dynamic_qr_beyond_the_limits_is_refused():
    parsed = parse_payload(vietqr_payload("970436", "0011001234567", amount=600_000_000))
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(None))
    assert caught.value.code == "above-maximum"


@pytest.mark.parametrize(
    "text, code",
    [("", "not-payment"), ("https://example.com/pay", "not-payment"), (VIETQR_ACB[:-4] + "0000", "bad-crc"),
     ("000201" + "x" * 40, "invalid-qr")],
)
def test_invalid_qr_is_refused_with_the_parser_reason(text, code):
    parsed = parse_payload(text)
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(10_000))
    assert caught.value.code == code  # what the payee screen says for it (core.payability)
    assert caught.value.line("en").endswith(parsed.errors[0].message)
    assert caught.value.line("vi").endswith(parsed.errors[0].message_vi)


def test_note_rules():
    parsed = parse_payload(EVN_BILL)
    assert build_request(parsed, PaymentChoice(10_000, "x" * 140)).note == "x" * 140
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(10_000, "x" * 141))
    assert caught.value.code == "note-too-long"
    with pytest.raises(RequestRefused) as caught:
        build_request(parsed, PaymentChoice(10_000, "line\nbreak"))
    assert caught.value.code == "bad-note"


def test_amount_must_be_an_integer():
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(EVN_BILL), PaymentChoice(1500.5))
    assert caught.value.code == "bad-amount"
    with pytest.raises(RequestRefused):
        build_request(parse_payload(EVN_BILL), PaymentChoice(True))


def test_custom_ttl_and_evn_builder_payload():
    text = evn_bill_payload("PE01000123456")
    request = build_request(parse_payload(text), PaymentChoice(75_000), now=NOW, ttl_seconds=60)
    body = request.to_dict()
    assert body["expires_at"] == "2026-03-01T08:31:15Z"
    assert body["bill"]["customer_code"] == "PE01000123456"
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(text), PaymentChoice(75_000), ttl_seconds=0)
    assert caught.value.code == "bad-ttl"
