"""The payment as typed values: what the payer chose (``PaymentChoice``) travels as one argument, and
the signed request JSON has one writer (``PaymentRequest.to_dict``) and one reader
(``PaymentRequest.from_dict``, and ``read_signed`` over a token); no other code indexes it."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import inspect
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payer_app.core import base64url
from payer_app.core.builder import build_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.core.request import (
    Bill,
    Payee,
    PayerInfo,
    PaymentRequest,
    build_request,
    read_signed,
)
from payer_app.core.signing import sign_request, verify_request
from tests.spec_vectors import EVN_BILL, VIETQR_ACB, VIETQR_TRANSFER, VNPAY_SUNFLY

ROOT = Path(__file__).resolve().parents[1]
KEY = SigningKey.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
FIXED = {"request_id": "11111111-2222-4333-8444-555555555555",
         "idempotency_key": "66666666-7777-4888-9999-aaaaaaaaaaaa", "nonce": "n" * 22}
OTHER_EMVCO = build_payload([("00", "01"), ("01", "11"), ("29", [("00", "A000000999"), ("01", "SHOP42")]),
                             ("52", "5812"), ("53", "704"), ("58", "VN"), ("59", "PHO HANOI"), ("60", "Ha Noi")])
# (payload, amount entered, its scheme, the SHA-256 of the token signed by KEY at NOW with FIXED ids and the
# note "Tiền điện", written as request version 1: measured on the code before the typed model, so the signed
# bytes are unchanged; version 2 adds the fee and the total, and a request now says how it was confirmed,
# ``auth``, after ``qr``: without it and without the fee, a request is signed in exactly the old bytes).
SCHEMES = [
    (EVN_BILL, 250_000, "evn", "37fa8288190473c3070a4fbf3e6dd4d755abbe6dce59cc1af96b67742e8e7049"),
    (VIETQR_ACB, None, "vietqr", "4602fdd070666a743ac6ed4903a3274a28731964b53f75ccbabfe385d697a622"),
    (VNPAY_SUNFLY, 45_000, "vnpay", "d41acd30ffecc3c47cc3d1287e5f6e1b6e6a28f3e0ae0c1caa08a58e5073d33c"),
    (VIETQR_TRANSFER, None, "vietqr", "edbfc1fde872cae6d0e4c56f1694be53c06aab687bb63c5505ef6df4feaf3a89"),
    (OTHER_EMVCO, 12_000, "emvco", None),
]


def signed_request(payload: str, amount: int | None) -> PaymentRequest:
    return build_request(parse_payload(payload), PaymentChoice(amount, "Tiền điện"), payer=PayerInfo(key_id=KEY.kid),
                         now=NOW, **FIXED)


# --- one reader, one writer ---------------------------------------------------------------------
@pytest.mark.parametrize("payload, amount, scheme, token_sha256", SCHEMES, ids=[s[2] for s in SCHEMES])
def test_to_dict_and_from_dict_round_trip_for_every_scheme(payload, amount, scheme, token_sha256):
    request = signed_request(payload, amount)
    body = request.to_dict()
    again = PaymentRequest.from_dict(json.loads(json.dumps(body)))
    assert again == request and again.payee.scheme == scheme
    assert json.dumps(again.to_dict(), ensure_ascii=False) == json.dumps(body, ensure_ascii=False)
    assert isinstance(again.payee, Payee) and isinstance(again.bill, Bill) and isinstance(again.payer, PayerInfo)
    assert again.amount == request.amount and again.currency == "VND" and again.note == "Tiền điện"
    assert again.qr_payload == payload and again.created_at == NOW
    token = sign_request(request, KEY)
    assert list(body)[-1] == "auth" and body["auth"] == "pin"
    if token_sha256 is not None:  # written as version 1 (no fee carried, no auth), the signed bytes are the old ones
        version_1 = sign_request(dataclasses.replace(request, charge=None, auth=None), KEY)
        assert hashlib.sha256(version_1.encode()).hexdigest() == token_sha256
        assert read_signed(version_1) == dataclasses.replace(request, charge=None, auth=None)
    assert read_signed(token) == request
    verification = verify_request(token, [KEY.public_jwk], now=NOW)
    assert verification.ok and verification.request == request and verification.content == body


def test_the_typed_payee_says_account_or_merchant_by_scheme():
    transfer = signed_request(VIETQR_TRANSFER, None).payee
    merchant = signed_request(VNPAY_SUNFLY, 45_000).payee
    assert transfer.account == "257678859" and transfer.merchant_id is None and transfer.bank_bin == "970416"
    assert transfer.account_or_merchant_id == "257678859"
    assert merchant.account is None and merchant.account_or_merchant_id == merchant.merchant_id
    assert merchant.short_name == merchant.merchant_name


def _valid_body() -> dict:
    return signed_request(EVN_BILL, 250_000).to_dict()


def _without(path: str):
    def change(body):
        *parents, last = path.split(".")
        inner = body
        for name in parents:
            inner = inner[name]
        del inner[last]
        return body
    return change


def _set(path: str, value):
    def change(body):
        *parents, last = path.split(".")
        inner = body
        for name in parents:
            inner = inner[name]
        inner[last] = value
        return body
    return change


MALFORMED = [
    ("not an object", lambda body: [body], "the request is not an object"),
    ("missing payee", _without("payee"), "payee is missing"),
    ("missing amount.value", _without("amount.value"), "amount.value is missing"),
    ("unknown field", _set("tip", "1000"), "unknown field"),
    ("unknown nested field", _set("payee.iban", "x"), "unknown field"),
    ("payee not an object", _set("payee", "EVN"), "payee is not an object"),
    ("amount as a number", _set("amount.value", 250000), "amount.value has the wrong type"),
    ("version a boolean", _set("version", True), "version has the wrong type"),
    ("other type", _set("type", "payment_lookup"), "type/version"),
    ("request id not a UUID", _set("request_id", "abc"), "request_id"),
    ("timestamp not canonical", _set("created_at", "2026-03-01T08:30:00+00:00"), "created_at"),
    ("amount with a sign", _set("amount.value", "-5"), "amount.value"),
    ("amount in dollars", _set("amount.currency", "USD"), "amount.currency"),
]


@pytest.mark.parametrize("change, detail", [(c, d) for _, c, d in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_from_dict_refuses_a_malformed_shape_with_one_clear_error(change, detail):
    data = change(copy.deepcopy(_valid_body()))
    with pytest.raises(RequestRefused) as caught:
        PaymentRequest.from_dict(data)
    assert caught.value.code == "bad-content"
    assert caught.value.message.startswith("The signed request is not well formed: ")
    assert detail in caught.value.message and "\n" not in caught.value.message
    assert caught.value.message_vi.startswith("Yêu cầu đã ký sai cấu trúc: ")


def _token_with_body(body) -> str:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return f"eyJhbGciOiJFZERTQSJ9.{base64url.encode(raw)}.{base64url.encode(bytes(64))}"


@pytest.mark.parametrize("token", [
    "", "not a token", "a.b", "a.!!!.c", "x" * 70_000, b"\xff\xfe", None, 12,
    _token_with_body([1, 2, 3]), _token_with_body({**_valid_body(), "amount": {"value": "1e3", "currency": "VND"}}),
])
def test_read_signed_gives_none_for_anything_that_is_not_a_well_formed_request(token):
    assert read_signed(token) is None


def test_read_signed_reads_a_token_without_checking_its_signature():
    body = _valid_body()
    assert read_signed(_token_with_body(body)) == PaymentRequest.from_dict(body)
    assert read_signed(_token_with_body(body).encode("ascii")) == PaymentRequest.from_dict(body)


# --- the payer's choice travels as one value ----------------------------------------------------
def test_what_the_payer_chose_is_one_argument_from_the_screen_and_the_cli_to_build_request():
    from payer_app.gui.context import PaymentFlow
    from payer_app.gui.payment_runner import PaymentRunner
    from payer_app.payments.service import PaymentService

    for function in (build_request, PaymentService.preview, PaymentService.pay, PaymentRunner.pay):
        names = set(inspect.signature(function).parameters)
        assert "choice" in names and not names & {"amount", "note"}, function.__qualname__
    flow_fields = {f.name for f in dataclasses.fields(PaymentFlow)}
    assert "choice" in flow_fields and not flow_fields & {"amount", "note"}
    assert dataclasses.fields(PaymentChoice)[0].name == "amount" and PaymentChoice().amount is None


def test_a_payment_outcome_holds_the_typed_request(payer_home):
    from payer_app.payments.service import PaymentService

    with PaymentService() as service:
        outcome = service.pay(parse_payload(EVN_BILL), PaymentChoice(30_000, "Tien dien"))
        [entry] = service.history()
    assert isinstance(outcome.request, PaymentRequest) and outcome.request.note == "Tien dien"
    assert outcome.to_dict()["request"] == outcome.request.to_dict()
    assert read_signed(entry.jws) == outcome.request


# --- no string-key reads of the request come back -----------------------------------------------
REQUEST_KEYS = ("type|version|aud|request_id|idempotency_key|created_at|expires_at|nonce|payer|payee|bill|amount|"
                "note|qr|name_check")
STRING_KEY_READS = [
    # the signed JSON read through an old helper that returned the dict
    re.compile(r"\bdecode_unverified\b|\bsigned_request\("),
    # something named like a request, indexed (or .get) by one of the request's keys; Starlette's
    # request.path_params / query_params / headers are other dicts
    re.compile(r"\b\w*request\w*(?:\.(?!path_params\b|query_params\b|headers\b)\w+)*\s*(?:\[|\.get\()\s*"
               rf"[\"'](?:{REQUEST_KEYS})[\"']"),
    # the request's own blocks, whatever the variable is called
    re.compile(r"\[\s*[\"'](?:payee|bill|qr|payer)[\"']\s*\]"),
    re.compile(r"\[\s*[\"']amount[\"']\s*\]\s*(?:\[|\.get\()"),
]
HOME = {"payer_app/core/request.py"}  # from_dict and read_signed: the one reader


def string_key_reads(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in STRING_KEY_READS)]


def test_the_check_finds_the_reads_it_is_meant_to_find():
    found = string_key_reads('amount = int(request["amount"]["value"])\n'
                             'request = decode_unverified(entry.jws) or {}\n'
                             'payee = outcome.request.get("payee")\n'
                             'code = body["bill"].get("customer_code")\n'
                             'digits = request.path_params["amount"]\n'
                             'amount = request.amount\n')
    assert found == ['amount = int(request["amount"]["value"])', "request = decode_unverified(entry.jws) or {}",
                     'payee = outcome.request.get("payee")', 'code = body["bill"].get("customer_code")']


def test_no_module_reads_the_signed_request_by_string_keys():
    offenders = []
    for path in sorted((ROOT / "payer_app").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in HOME:
            continue
        offenders += [f"{name}: {line}" for line in string_key_reads(path.read_text(encoding="utf-8"))]
    assert not offenders, ("read the request through PaymentRequest.from_dict / read_signed and its "
                           "properties:\n" + "\n".join(offenders))
