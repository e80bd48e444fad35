"""The one content schema (payer_app.core.request_schema), at its edges: the same rules when a request
is built and when it is verified, the time windows to the second, key retirement, the audience, and
the verify command's flags for limits, audience and time."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from payer_app.cli import main
from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.core.request import (
    EMBEDDED_AUDIENCE,
    FORM_STEPS,
    MAX_NOTE_CHARS,
    PayerInfo,
    build_request,
)
from payer_app.core.request_schema import STEPS
from payer_app.core.signing import VerificationKeys, sign_request, verify_request
from payer_app.core.timestamps import format_timestamp, parse_canonical_timestamp
from tests.hostile_tokens import good_header, sign_raw, usd_qr, valid_body
from tests.spec_vectors import EVN_BILL

NOW = datetime(2026, 3, 1, 8, 30, 0, tzinfo=UTC)
KEY = SigningKey.generate()
TRUSTED = VerificationKeys.load([KEY.public_jwk])


def verify_body(body, now=NOW, keys=TRUSTED, **kwargs):
    return verify_request(sign_raw(good_header(KEY.kid), body, KEY), keys, now=now, **kwargs)


def with_times(created: datetime, lifetime: timedelta):
    body = valid_body(KEY, NOW)
    body["created_at"] = format_timestamp(created)
    body["expires_at"] = format_timestamp(created + lifetime)
    return body


# --- built and verified by the same rules ---------------------------------------------------------
@pytest.mark.parametrize(
    "note, code",
    [("x" * (MAX_NOTE_CHARS + 1), "note-too-long"), ("Tiền \u202eđiện", "bad-note"), ("a\u200bb", "bad-note"),
     ("a\x9bb", "bad-note"), ("tab\there", "bad-note"), ("\u2066isolate", "bad-note"), ("a\u2028b", "bad-note")],
)
def test_a_note_refused_when_built_is_refused_when_verified(note, code):
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(EVN_BILL), PaymentChoice(250_000, note))
    assert caught.value.code == code
    body = valid_body(KEY, NOW)
    body["note"] = note
    result = verify_body(body)
    assert result.reason == "bad-content" and result.signature_ok
    assert "\u202e" not in result.message and "\x9b" not in result.message  # shown escaped


def test_vietnamese_notes_up_to_140_characters_pass_both():
    note = ("Tiền điện tháng 2 – nhà ông Nguyễn Văn Ánh 😀 " * 4)[:MAX_NOTE_CHARS]
    body = build_request(parse_payload(EVN_BILL), PaymentChoice(250_000, note), now=NOW,
                         payer=PayerInfo(key_id=KEY.kid)).to_dict()
    assert verify_body(body).ok


@pytest.mark.parametrize(
    "kwargs, code",
    [({"request_id": "abc"}, "bad-id"), ({"request_id": str(uuid.uuid4()).upper()}, "bad-id"),
     ({"idempotency_key": "../x"}, "bad-id"), ({"idempotency_key": ""}, "bad-id"), ({"nonce": "short"}, "bad-id"),
     ({"audience": ""}, "bad-audience"), ({"audience": "my acquirer"}, "bad-audience"),
     ({"audience": "x" * 201}, "bad-audience"), ({"ttl_seconds": 301}, "bad-ttl"), ({"ttl_seconds": True}, "bad-ttl")],
)
def test_build_request_refuses_what_verify_would(kwargs, code):
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(EVN_BILL), PaymentChoice(250_000), **kwargs)
    assert caught.value.code == code


def test_a_usd_qr_is_refused_when_built_and_when_verified():
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(usd_qr()), PaymentChoice(None))
    assert caught.value.code == "not-vnd"


def test_the_audience_is_signed_and_checked_when_the_verifier_names_one():
    url = "http://127.0.0.1:8765"
    body = build_request(parse_payload(EVN_BILL), PaymentChoice(250_000), now=NOW, audience=url,
                         payer=PayerInfo(key_id=KEY.kid)).to_dict()
    assert body["aud"] == url
    assert verify_body(body, audience=url).ok
    assert verify_body(body).ok  # a third party that names no audience
    result = verify_body(body, audience=EMBEDDED_AUDIENCE)
    assert result.reason == "wrong-audience" and url in result.message


# --- time windows, to the second -------------------------------------------------------------------
def test_lifetime_is_at_most_the_ttl_plus_the_skew():
    assert verify_body(with_times(NOW, timedelta(seconds=360))).ok
    assert verify_body(with_times(NOW, timedelta(seconds=361))).reason == "bad-content"
    assert verify_body(with_times(NOW, timedelta(0))).reason == "bad-content"


def test_created_at_may_be_ahead_by_the_skew_only():
    assert verify_body(with_times(NOW + timedelta(seconds=60), timedelta(minutes=5))).ok
    assert verify_body(with_times(NOW + timedelta(seconds=61), timedelta(minutes=5))).reason == "not-yet-valid"


def test_expiry_is_exact():
    body = with_times(NOW - timedelta(minutes=5), timedelta(minutes=5))
    assert verify_body(body).reason == "expired"
    assert verify_body(body, now=NOW - timedelta(seconds=1)).ok


def test_a_retired_key_signs_nothing_dated_after_retirement_plus_skew():
    retired = NOW - timedelta(minutes=2)
    keys = VerificationKeys.load([{**KEY.public_jwk, "retired_at": format_timestamp(retired)}])
    assert verify_body(with_times(retired + timedelta(seconds=60), timedelta(minutes=5)), keys=keys).ok
    result = verify_body(with_times(retired + timedelta(seconds=61), timedelta(minutes=5)), keys=keys)
    assert result.reason == "key-retired" and format_timestamp(retired) in result.message
    # The acquirer's way: retire a key it already trusts.
    keys = VerificationKeys.load([KEY.public_jwk])
    keys.retire(KEY.kid, retired)
    assert verify_body(with_times(NOW, timedelta(minutes=5)), keys=keys).reason == "key-retired"
    keys.remove(KEY.kid)
    assert verify_body(with_times(NOW, timedelta(minutes=5)), keys=keys).reason == "wrong-key"


@pytest.mark.parametrize("text", ["2026-03-01T08:30:00+00:00", "2026-03-01T08:30:00.000Z", "2026-03-01t08:30:00z",
                                  "2026-03-01 08:30:00Z", "2026-02-29T08:30:00Z", "+2026-03-01T08:30:00Z",
                                  "2026-03-01T08:30:00Z\n", "２０２６-03-01T08:30:00Z", 1772353800])
def test_only_the_canonical_timestamp_form_is_read(text):
    with pytest.raises(ValueError):
        parse_canonical_timestamp(text)


def test_the_schema_is_a_flat_run_of_named_steps_each_citing_its_rule():
    assert len(FORM_STEPS) + len(STEPS) >= 15
    for step in FORM_STEPS:  # R1-R5, checked by the one reader of the JSON (PaymentRequest.from_dict)
        assert step.__name__.startswith("form_") and step.__doc__ and step.__doc__.startswith("R")
    for step in STEPS:
        assert step.__name__.startswith("step_") and step.__doc__ and step.__doc__.startswith("R")


# --- the verify command's flags ----------------------------------------------------------------------
@pytest.fixture
def token_file(tmp_path, payer_home):
    from payer_app.payments.keystore import KeyStore

    store = KeyStore(payer_home)
    request = build_request(parse_payload(EVN_BILL), PaymentChoice(250_000), audience="acq-1")
    path = tmp_path / "token.jws"
    path.write_text(sign_request(request, store.current()) + "\n")
    return path, request


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_limits_flags(capsys, token_file):
    path, _ = token_file
    assert run(capsys, "verify", str(path))[0] == 0
    code, out, _ = run(capsys, "verify", str(path), "--max-amount", "200000")
    assert code == 1 and out.startswith("REJECTED (above-maximum)")
    code, out, _ = run(capsys, "verify", str(path), "--min-amount", "300000", "--max-amount", "900000")
    assert code == 1 and out.startswith("REJECTED (below-minimum)")
    code, _, err = run(capsys, "verify", str(path), "--min-amount", "5000", "--max-amount", "100")
    assert code == 2 and "--min-amount" in err


def test_verify_audience_and_time_flags(capsys, token_file):
    path, request = token_file
    code, out, _ = run(capsys, "verify", str(path), "--audience", "acq-1")
    assert code == 0 and "Audience        acq-1" in out
    code, out, _ = run(capsys, "verify", str(path), "--audience", "acq-2")
    assert code == 1 and out.startswith("REJECTED (wrong-audience)")
    later = format_timestamp(request.created_at + timedelta(hours=1))
    code, out, _ = run(capsys, "verify", str(path), "--at", later)
    assert code == 1 and out.startswith("REJECTED (expired)")
    code, out, _ = run(capsys, "verify", str(path), "--at", format_timestamp(request.created_at))
    assert code == 0
    code, _, err = run(capsys, "verify", str(path), "--at", "yesterday")
    assert code == 2 and "--at" in err


def test_verify_json_names_the_reason_and_the_escaped_kid(capsys, tmp_path, payer_home):
    from payer_app.payments.keystore import KeyStore

    KeyStore(payer_home).current()
    header = {"alg": "EdDSA", "kid": "\x1b[32mVALID\u202e", "typ": "payment-request+jws"}
    body = valid_body(KEY, datetime.now(UTC))
    path = tmp_path / "t.jws"
    path.write_text(sign_raw(header, body, KEY))
    code, out, _ = run(capsys, "verify", str(path), "--json")
    assert code == 1 and "\x1b" not in out and "\u202e" not in out
    document = json.loads(out)
    assert document["reason"] == "malformed" and document["header"]["kid"] == "\x1b[32mVALID\u202e"
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 1 and out.count("\n") == 1 and "\\x1b[32mVALID\\u202e" in out


def test_a_valid_request_with_a_bidi_override_in_the_qr_prints_it_escaped(capsys, tmp_path, payer_home):
    """The QR parser accepts U+202E in a merchant name; verify's VALID summary and JSON show it escaped."""
    from payer_app.core.builder import vnpay_payload
    from payer_app.payments.keystore import KeyStore

    store = KeyStore(payer_home)
    qr = vnpay_payload("0101234567", "CUA \u202eHANG", "Ha Noi")
    path = tmp_path / "t.jws"
    path.write_text(sign_request(build_request(parse_payload(qr), PaymentChoice(45_000)), store.current()))
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 0 and "\u202e" not in out and "CUA \\u202eHANG" in out
    code, out, _ = run(capsys, "verify", str(path), "--json")
    assert code == 0 and "\u202e" not in out
    assert json.loads(out)["request"]["payee"]["merchant_name"] == "CUA \u202eHANG"
