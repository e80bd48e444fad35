"""The compact-JWS pieces core shares with every signed message (payment requests, enrolment messages):
strict base64url, sign_compact, public_key_from_jwk, canonical signatures, and the cached key check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from payer_app.core import base64url
from payer_app.core.keys import BadPublicKeyError, SigningKey, check_ed25519_public_jwk
from payer_app.core.signing import (
    ED25519_ORDER,
    TOKEN_TYPE,
    is_canonical_signature,
    public_key_from_jwk,
    sign_compact,
    signature_matches,
    verify_request,
)
from payer_app.core.timestamps import format_timestamp, parse_canonical_timestamp
from tests.hostile_tokens import all_zero_jwk, identity_point_jwk, non_canonical_jwk

KEY = SigningKey.generate()


@pytest.mark.parametrize("text", ["AQ==", "AR", "A", "É", "a+/b", "a b", " AQ"])
def test_base64url_decode_refuses_all_but_the_canonical_spelling(text):
    with pytest.raises(ValueError):
        base64url.decode(text)


def test_base64url_round_trips_every_length():
    for n in range(70):
        data = bytes(range(n))
        assert base64url.decode(base64url.encode(data)) == data and "=" not in base64url.encode(data)


def test_sign_compact_writes_the_exact_header_and_a_signature_that_matches():
    token = sign_compact({"type": "key_enrolment", "n": 1}, KEY, "payer-message+jws")
    header_part, payload_part, signature_part = token.split(".")
    assert json.loads(base64url.decode(header_part)) == {"alg": "EdDSA", "kid": KEY.kid, "typ": "payer-message+jws"}
    assert json.loads(base64url.decode(payload_part)) == {"type": "key_enrolment", "n": 1}
    public = public_key_from_jwk(KEY.public_jwk)
    signature = base64url.decode(signature_part)
    assert signature_matches(public, f"{header_part}.{payload_part}", signature)
    assert not signature_matches(public, f"{header_part}.{payload_part}x", signature)
    # Another typ is another kind of message: the payment verifier refuses it as malformed.
    assert verify_request(token, [KEY.public_jwk]).reason == "malformed"


def test_an_s_plus_l_copy_of_a_good_signature_is_not_canonical_and_does_not_match():
    token = sign_compact({"a": 1}, KEY, TOKEN_TYPE)
    header_part, payload_part, signature_part = token.split(".")
    signature = base64url.decode(signature_part)
    s = int.from_bytes(signature[32:], "little") + ED25519_ORDER
    assert s < 2**256
    copy = signature[:32] + s.to_bytes(32, "little")
    assert is_canonical_signature(signature) and not is_canonical_signature(copy)
    assert not signature_matches(public_key_from_jwk(KEY.public_jwk), f"{header_part}.{payload_part}", copy)
    assert not is_canonical_signature(signature[:63])


@pytest.mark.parametrize("make", [all_zero_jwk, identity_point_jwk, non_canonical_jwk])
def test_public_key_from_jwk_refuses_keys_under_which_forgery_is_free(make):
    with pytest.raises(BadPublicKeyError):
        public_key_from_jwk(make())


def test_the_key_check_is_remembered_by_content_not_by_object():
    jwk = dict(KEY.public_jwk)
    assert check_ed25519_public_jwk(jwk) == KEY.kid
    assert check_ed25519_public_jwk(dict(jwk)) == KEY.kid  # same content: the remembered answer
    jwk["x"] = all_zero_jwk()["x"]  # the same object, now unsound: checked again, refused
    with pytest.raises(BadPublicKeyError, match="small-order"):
        check_ed25519_public_jwk(jwk)
    with pytest.raises(BadPublicKeyError, match="small-order"):  # a refusal is never remembered as good
        check_ed25519_public_jwk(jwk)
    assert check_ed25519_public_jwk(KEY.public_jwk, "key #3") == KEY.kid


def test_the_message_names_the_place_even_for_a_remembered_key():
    bad = {**KEY.public_jwk, "retired_at": "yesterday"}
    for where in ("key #1", "key #2"):
        with pytest.raises(BadPublicKeyError, match=f"^{where}: retired_at is not a UTC timestamp"):
            check_ed25519_public_jwk(bad, where)


def test_one_timestamp_form_written_and_read():
    moment = datetime(2026, 1, 31, 8, 0, 0, 987, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-01-31T08:00:00Z"
    assert parse_canonical_timestamp("2026-01-31T08:00:00Z") == moment.replace(microsecond=0)


# joserfc 1.8 warns that "EdDSA" is deprecated by RFC 9864 (fully specified "Ed25519"); the tokens say
# EdDSA (RFC 8037), which every verifier of today reads. Moving to "Ed25519" is a protocol change.
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_another_jose_library_verifies_our_tokens_and_refuses_an_altered_one():
    """docs/payments.md: any JOSE library with EdDSA verifies a payment request (joserfc here, as written
    there), and refuses one whose payload was changed."""
    from joserfc import jws
    from joserfc.errors import BadSignatureError
    from joserfc.jwk import OKPKey

    token = sign_compact({"type": "payment_request", "amount": {"value": "250000"}}, KEY, TOKEN_TYPE)
    public = OKPKey.import_key({k: KEY.public_jwk[k] for k in ("kty", "crv", "x")})
    verified = jws.deserialize_compact(token, public, algorithms=["EdDSA"])
    assert json.loads(verified.payload) == {"type": "payment_request", "amount": {"value": "250000"}}
    assert verified.headers()["kid"] == KEY.kid
    header_part, _, signature_part = token.split(".")
    altered = base64url.encode(b'{"type":"payment_request","amount":{"value":"999999"}}')
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(f"{header_part}.{altered}.{signature_part}", public, algorithms=["EdDSA"])
