"""Keys, signing and verification of payment requests (EdDSA compact JWS)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from payer_app.core.choice import PaymentChoice
from payer_app.core.payability import Limits
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request
from payer_app.core.signing import VerificationError, VerificationKeys, sign_request, verify_request
from payer_app.payments.keystore import KeyStore
from tests.spec_vectors import EVN_BILL, VIETQR_TRANSFER

DYNAMIC = VIETQR_TRANSFER  # a dynamic VietQR: 150.000 dong to ACB 257678859


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def private_jwk(key) -> dict:
    """The key pair as a private JWK (RFC 8037: ``d`` is the raw private key), for these tests only."""
    raw = key.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return {**key.public_jwk, "d": b64url(raw)}


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def store(payer_home):
    return KeyStore(payer_home)


def signed_evn(store, **kwargs):
    choice = PaymentChoice(kwargs.pop("amount", 250_000), kwargs.pop("note", ""))
    request = build_request(parse_payload(EVN_BILL), choice, **kwargs)
    return request, sign_request(request, store)


# --- key store ----------------------------------------------------------------------------------
def test_first_use_creates_a_private_key_readable_only_by_the_owner(store, payer_home):
    assert not store.exists() and store.verification_keys() == []
    key = store.current()
    mode = stat.S_IMODE(os.stat(store.private_path).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(payer_home / "keys").st_mode) == 0o700
    assert store.current().kid == key.kid  # persisted, not regenerated
    assert KeyStore(payer_home).current().kid == key.kid
    assert not [p for p in (payer_home / "keys").iterdir() if p.name.endswith(".tmp")]


def test_concurrent_first_use_creates_one_key(payer_home):
    import threading

    kids = []
    lock = threading.Lock()

    def first_use():
        kid = KeyStore(payer_home).current().kid
        with lock:
            kids.append(kid)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert [k["kid"] for k in KeyStore(payer_home).verification_keys()] == kids[:1]


def test_key_id_is_the_rfc7638_thumbprint(store):
    jwk = store.public_jwk()
    assert set(jwk) >= {"kty", "crv", "x", "kid"} and "d" not in jwk
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"))
    assert jwk["kid"] == b64url(hashlib.sha256(canonical.encode()).digest())
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and len(b64url_decode(jwk["x"])) == 32


def test_the_private_key_never_shows_in_repr_or_logs(store, caplog):
    caplog.set_level(logging.DEBUG)
    key = store.current()
    secret = private_jwk(key)["d"]
    _, token = signed_evn(store)
    texts = [repr(key), repr(store), str(store.public_jwk()), json.dumps(store.jwk_set()), token, caplog.text]
    assert all(secret not in t for t in texts)
    assert secret not in (store.public_path).read_text()


def test_rotation_keeps_old_public_keys_for_verification(store):
    old_request, old_token = signed_evn(store)
    old_kid = store.current().kid
    new = store.rotate()
    assert new.kid != old_kid
    assert [k["kid"] for k in store.verification_keys()] == [new.kid, old_kid]
    assert verify_request(old_token, store).ok
    _, new_token = signed_evn(store)
    assert verify_request(new_token, store).kid == new.kid
    # The old key alone cannot vouch for the new request.
    old_only = [k for k in store.verification_keys() if k["kid"] == old_kid]
    assert verify_request(new_token, old_only).reason == "wrong-key"


# --- signing ------------------------------------------------------------------------------------
def test_round_trip_and_the_jws_structure(store):
    request, token = signed_evn(store, note="Tiền điện")
    header_part, payload_part, signature_part = token.split(".")
    header = json.loads(b64url_decode(header_part))
    assert header == {"alg": "EdDSA", "kid": store.current().kid, "typ": "payment-request+jws"}
    body = json.loads(b64url_decode(payload_part))
    assert body["payer"]["key_id"] == store.current().kid
    assert body["note"] == "Tiền điện" and body["request_id"] == request.request_id
    assert len(b64url_decode(signature_part)) == 64
    result = verify_request(token, store)
    assert result.ok and result.reason is None and result.signature_ok
    assert result.request.to_dict() == body and result.content == body
    assert "250.000 ₫" in result.message


def test_a_third_party_verifies_with_cryptography_and_the_exported_jwk(store):
    """What docs/payments.md tells a third party to do, with nothing but the JWK and `cryptography`."""
    _, token = signed_evn(store)
    jwk = json.loads(json.dumps(store.public_jwk()))
    header_b64, payload_b64, signature_b64 = token.split(".")
    public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    public_key.verify(b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode("ascii"))
    assert json.loads(b64url_decode(payload_b64))["amount"]["value"] == "250000"


BASE64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Bytes outside the alphabet, one of each kind a lenient reader would let through: the part separator,
# padding, the standard alphabet's two letters, white space, NUL, DEL, a UTF-8 lead byte and others
# that are not ASCII.
OUTSIDERS = b".=+/ \t\r\n\x00\x7f\x80\xc3\xff"


def byte_changes(token: bytes) -> list[tuple[int, int]]:
    """(position, new byte) for every position of ``token``. A base64url character is changed into the
    six characters whose 6-bit values differ from its own in one bit each, so every bit the token
    encodes is flipped once (the signing input's and the signature's bits, and the padding bits of each
    part's last character that canonical decoding must refuse), into its other case when it is a
    letter, and into each of ``OUTSIDERS``; a dot into every other byte value. Any other change of one
    character is a mix of these: several of the same bits at once, or one byte outside the alphabet,
    refused by the same rule as its representative."""
    changes = []
    for position, byte in enumerate(token):
        if byte == ord("."):
            values = [value for value in range(256) if value != byte]
        else:
            index = BASE64URL.index(byte)
            values = [BASE64URL[index ^ (1 << bit)] for bit in range(6)] + list(OUTSIDERS)
            if chr(byte).isalpha():
                values.append(ord(chr(byte).swapcase()))
        changes += [(position, value) for value in values]
    return changes


def test_a_change_of_any_one_byte_of_the_token_is_rejected(store):
    """Each position of a good token (header, payload, signature, the dots), changed as ``byte_changes``
    says: every change is refused. Verifiers that skip one byte, one bit of a field's value, a last
    character's padding bits, or that read ``+``, ``/``, ``=`` or white space leniently each accept one of
    these changes (tried by breaking the verifier on purpose)."""
    _, token = signed_evn(store, note="")
    keys = VerificationKeys.load(store)
    assert verify_request(token, keys).ok
    original = token.encode("ascii")
    changes = byte_changes(original)
    assert {position for position, _ in changes} == set(range(len(original)))
    accepted = []
    reasons = set()
    for position, value in changes:
        changed = original[:position] + bytes([value]) + original[position + 1:]
        result = verify_request(changed, keys)
        if result.ok:
            accepted.append((position, value))
        reasons.add(result.reason)
    assert accepted == []
    assert {"malformed", "bad-signature"} <= reasons


def test_the_byte_changes_flip_every_bit_the_token_encodes():
    """What the docstring of ``byte_changes`` claims: at every base64url position, the six changes
    differ from the original's value in one bit each, all six bits, and all stay in the alphabet."""
    token = b"eyJh.bGc-_0.Az9"
    changes = byte_changes(token)
    for position, byte in enumerate(token):
        values = [value for at, value in changes if at == position]
        if byte == ord("."):
            assert sorted(values) == [value for value in range(256) if value != byte]
            continue
        flips = values[:6]
        assert all(value in BASE64URL for value in flips)
        assert sorted(BASE64URL.index(value) ^ BASE64URL.index(byte) for value in flips) == [1, 2, 4, 8, 16, 32]
        others = set(OUTSIDERS) | ({ord(chr(byte).swapcase())} if chr(byte).isalpha() else set())
        assert set(values[6:]) == others


def test_expired_request_is_rejected(store):
    past = datetime.now(UTC) - timedelta(minutes=6)
    _, token = signed_evn(store, now=past)
    result = verify_request(token, store)
    assert not result.ok and result.reason == "expired"
    assert result.signature_ok and result.request is not None
    # ...but it was good while it lasted.
    assert verify_request(token, store, now=past + timedelta(minutes=4, seconds=59)).ok
    assert verify_request(token, store, now=past + timedelta(minutes=5)).reason == "expired"


def test_request_from_the_future_is_rejected(store):
    _, token = signed_evn(store, now=datetime.now(UTC) + timedelta(minutes=3))
    assert verify_request(token, store).reason == "not-yet-valid"


def test_wrong_key_is_rejected(store, tmp_path):
    _, token = signed_evn(store)
    other = KeyStore(tmp_path / "someone_else")
    other.current()
    result = verify_request(token, other)
    assert not result.ok and result.reason == "wrong-key"
    assert store.current().kid in result.message


def test_a_key_claiming_the_right_kid_but_different_x_does_not_verify(store, tmp_path):
    _, token = signed_evn(store)
    impostor = KeyStore(tmp_path / "impostor").public_jwk()
    impostor["kid"] = store.current().kid  # the kid in a JWK is not trusted: thumbprints are computed
    assert verify_request(token, [impostor]).reason == "wrong-key"


def test_dynamic_amount_tampering_without_resigning_breaks_the_signature(store):
    request = build_request(parse_payload(DYNAMIC), PaymentChoice(None))
    token = sign_request(request, store)
    header_part, payload_part, signature_part = token.split(".")
    body = json.loads(b64url_decode(payload_part))
    body["amount"]["value"] = "15000"
    forged = ".".join([header_part, b64url(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()),
                       signature_part])
    assert verify_request(forged, store).reason == "bad-signature"


def test_dynamic_amount_tampering_by_the_signer_is_caught_by_the_content_check(store):
    """A modified payer app signs a lower amount than the dynamic QR fixes: the signature is good,
    the request is still refused because the QR it carries says otherwise."""
    body = build_request(parse_payload(DYNAMIC), PaymentChoice(None)).to_dict()
    body["amount"]["value"] = "15000"
    token = sign_request(body, store)
    result = verify_request(token, store)
    assert result.signature_ok and not result.ok
    assert result.reason == "amount-mismatch"
    assert "150.000 ₫" in result.message


def test_content_must_agree_with_the_qr_it_carries(store):
    base = build_request(parse_payload(DYNAMIC), PaymentChoice(None)).to_dict()
    cases = {
        "payee-mismatch": lambda b: b["payee"].update(account="999999999"),
        "bill-mismatch": lambda b: b["bill"].update(purpose="Something else"),
        "qr-mismatch": lambda b: b["qr"].update(sha256="0" * 64),
        "bad-content": lambda b: b["amount"].update(value="1e5"),
        "key-mismatch": lambda b: b["payer"].update(key_id="someone-else"),
    }
    store.current()
    for reason, change in cases.items():
        body = json.loads(json.dumps(base))
        change(body)
        if reason == "key-mismatch":
            # sign_request refuses to sign for another key id; sign by hand instead.
            header = b64url(json.dumps({"alg": "EdDSA", "kid": store.current().kid,
                                        "typ": "payment-request+jws"}).encode())
            signing_input = f"{header}.{b64url(json.dumps(body).encode())}"
            signature = store.current().private_key.sign(signing_input.encode())
            token = f"{signing_input}.{b64url(signature)}"
        else:
            token = sign_request(body, store)
        assert verify_request(token, store).reason == reason, reason


def test_limits_are_checked_when_given(store):
    _, token = signed_evn(store, amount=400_000)
    assert verify_request(token, store).ok
    assert verify_request(token, store, limits=Limits(max_amount=300_000)).reason == "above-maximum"


@pytest.mark.parametrize(
    "token",
    ["", "not a jws", "a.b", "a.b.c.d", "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.", "é.é.é", "x" * 70_000, b"\xff\xfe.a.b"],
)
def test_malformed_tokens_are_rejected_without_raising(store, token):
    store.current()
    result = verify_request(token, store)
    assert not result.ok and result.reason == "malformed"
    with pytest.raises(VerificationError) as caught:
        result.raise_for_failure()
    assert caught.value.reason == "malformed"


def test_alg_none_and_other_algorithms_are_refused(store):
    _, token = signed_evn(store)
    _, payload_part, _ = token.split(".")
    for alg in ("none", "HS256", "Ed25519"):
        header = b64url(json.dumps({"alg": alg, "kid": store.current().kid}).encode())
        result = verify_request(f"{header}.{payload_part}.{b64url(b'x' * 64)}", store)
        assert result.reason == "unsupported-algorithm"


def test_unusable_verification_keys_are_reported(store):
    _, token = signed_evn(store)
    private = private_jwk(store.current())
    assert verify_request(token, [private]).reason == "bad-key"
    assert verify_request(token, [{"kty": "RSA", "n": "x", "e": "AQAB"}]).reason == "bad-key"
    assert verify_request(token, {"keys": [store.public_jwk()]}).ok
