"""Device binding at the acquirer, over real HTTP with a real SQLite ledger: the enrolment code,
proof of possession, one key one account, rotation by endorsement, retirement and revocation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from payer_app.core import base64url
from payer_app.core.keys import SigningKey, thumbprint
from payer_app.core.signing import ED25519_ORDER
from payer_app.core.timestamps import parse_timestamp
from payer_app.payments.acquirer.ledger import TrustedKey
from payer_app.payments.enrolment import (
    ENROLMENT,
    enrolment_token,
    revocation_token,
    sign_message,
)
from tests.acquirer_helpers import (
    CODE,
    JOSE,
    AcquirerClock,
    Payer,
    enrol,
    http_get,
    http_post,
    new_payer,
    post,
    start_server,
    token_for,
)


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path / "acquirer.sqlite3")
    yield srv
    srv.stop()


def enrolment_body(key: SigningKey, account="0011001234567", bank_bin="970436", audience="", jwk=None, now=None):
    body = {"type": ENROLMENT, "version": 1, "aud": audience,
            "created_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nonce": "abcdefghijklmnopqrstuv", "account": account, "bank_bin": bank_bin,
            "jwk": jwk or {k: key.public_jwk[k] for k in ("kty", "crv", "x")}}
    return body


def post_key(url, token, code=CODE):
    headers = dict(JOSE)
    if code is not None:
        headers["Authorization"] = f"Bearer {code}"
    return http_post(f"{url}/v1/keys", content=token, headers=headers)


def test_enrolment_without_the_code_is_401(server):
    payer = Payer(SigningKey.generate())
    response = enrol(server.url, payer, code=None)
    assert response.status_code == 401 and response.json()["error"] == "enrolment-code-required"
    response = enrol(server.url, payer, code="wrong-code-123")
    assert response.status_code == 401 and response.json()["error"] == "bad-enrolment-code"
    # Unauthenticated junk learns nothing but "401"; with the code the junk is named.
    for junk in (b"", b"{}", b"[" * 7_000 + b"]" * 7_000, b"a.b.c"):
        assert post_key(server.url, junk, code=None).status_code == 401
        answer = post_key(server.url, junk)
        assert answer.status_code == 400 and answer.json()["error"] == "malformed"
    assert post_key(server.url, b"x" * 20_000).status_code == 413
    assert post_key(server.url, b"[" * 30_000 + b"]" * 30_000, code=None).status_code == 413
    # The key is not enrolled: its payments are refused.
    assert post(server.url, token_for(payer, server.url)).status_code == 403


def test_enrolment_with_the_code_binds_the_key_to_its_account(server):
    payer = Payer(SigningKey.generate())
    response = enrol(server.url, payer)
    assert response.status_code == 201 and response.json() == {
        "kid": payer.key.kid, "enrolled": True, "status": "active", "retired_kid": None}
    assert enrol(server.url, payer).status_code == 200  # again: already enrolled, same account
    assert post(server.url, token_for(payer, server.url)).status_code == 201
    status = http_get(f"{server.url}/v1/keys/{payer.key.kid}").json()
    assert status["status"] == "active" and "account" not in json.dumps(status)
    assert http_get(f"{server.url}/v1/keys/{SigningKey.generate().kid}").status_code == 404


def test_one_key_one_account(server):
    payer = new_payer(server.url)
    moved = Payer(payer.key, payer.bank_bin, "999999999")
    response = enrol(server.url, moved)
    assert response.status_code == 409 and response.json()["error"] == "key-already-bound"


def test_a_strangers_enrolled_key_is_refused_for_another_payers_account(server):
    victim = new_payer(server.url)  # the demo payer's account
    stranger = new_payer(server.url, account="123456789")  # enrolled, but for the stranger's own account
    forged = token_for(stranger, server.url, 499_999_999, payer_info=victim.info.__class__(
        victim.account, victim.bank_bin, stranger.key.kid))
    response = post(server.url, forged)
    assert response.status_code == 403 and response.json()["error"] == "account-mismatch"
    # Nor can the stranger add a key to the victim's account without the code...
    intruder = Payer(SigningKey.generate(), victim.bank_bin, victim.account)
    assert enrol(server.url, intruder, code=None).status_code == 401
    # ...or by "endorsing" it with a key of another account.
    response = enrol(server.url, intruder, code=None, endorsed_by=stranger.key)
    assert response.status_code == 403 and response.json()["error"] == "bad-endorsement"


def test_proof_of_possession_is_required(server):
    holder, impostor = SigningKey.generate(), SigningKey.generate()
    # The enrolment names the holder's public key but is signed by someone else.
    pretend = SigningKey(holder.kid, holder.public_jwk, impostor.private_key)
    token = sign_message(enrolment_body(holder, audience=server.url), pretend)
    response = post_key(server.url, token)
    assert response.status_code == 400 and response.json()["error"] == "bad-proof"
    # A kid that is not the thumbprint of the enrolled jwk.
    token = sign_message(enrolment_body(holder, audience=server.url), impostor)
    response = post_key(server.url, token)
    assert response.status_code == 400 and response.json()["error"] == "bad-key"
    assert http_get(f"{server.url}/v1/keys/{holder.kid}").status_code == 404

    # The holder's own enrolment with S replaced by S + L (a malleated copy, RFC 8032 5.1.7 needs
    # S < L): refused (core's signature_matches checks S < L before OpenSSL, which refuses it too).
    header, payload, signature = sign_message(enrolment_body(holder, audience=server.url), holder).split(".")
    raw = base64url.decode(signature)
    s_plus_l = (int.from_bytes(raw[32:], "little") + ED25519_ORDER).to_bytes(32, "little")
    malleated = f"{header}.{payload}.{base64url.encode(raw[:32] + s_plus_l)}"
    response = post_key(server.url, malleated)
    assert response.status_code == 400 and response.json()["error"] == "bad-proof"
    assert http_get(f"{server.url}/v1/keys/{holder.kid}").status_code == 404


@pytest.mark.parametrize("x", [bytes(32), (1).to_bytes(32, "little"), ((2**255 - 19) + 1).to_bytes(32, "little")])
def test_small_order_and_non_canonical_keys_are_refused(server, x):
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(x).rstrip(b"=").decode()}
    signer = SigningKey.generate()
    fake = SigningKey(thumbprint(jwk), jwk, signer.private_key)
    response = post_key(server.url, sign_message(enrolment_body(signer, audience=server.url, jwk=jwk), fake))
    assert response.status_code == 400 and response.json()["error"] == "weak-key"
    assert http_get(f"{server.url}/v1/keys/{thumbprint(jwk)}").status_code == 404


def test_enrolment_for_another_acquirer_or_out_of_date_is_refused(server):
    key = SigningKey.generate()
    response = post_key(server.url, enrolment_token(key, "0011001234567", "970436", "http://127.0.0.1:1"))
    assert response.status_code == 421 and response.json()["error"] == "wrong-audience"
    old = datetime.now(UTC) - timedelta(minutes=20)
    response = post_key(server.url, enrolment_token(key, "0011001234567", "970436", server.url, now=old))
    assert response.status_code == 422 and response.json()["error"] == "stale"


def test_rotation_endorsed_by_the_current_key_needs_no_code_and_retires_it(server):
    old = new_payer(server.url)
    new = Payer(SigningKey.generate(), old.bank_bin, old.account)
    response = enrol(server.url, new, code=None, endorsed_by=old.key)
    assert response.status_code == 201 and response.json()["retired_kid"] == old.key.kid
    status = http_get(f"{server.url}/v1/keys/{old.key.kid}").json()
    assert status["status"] == "retired" and status["retired_at"]
    assert post(server.url, token_for(new, server.url)).status_code == 201
    # A request by the old key dated after its retirement (plus the clock skew) is refused; the
    # acquirer's clock is moved on to see it.
    acquirer = server.server.config.app.state.acquirer
    later = datetime.now(UTC) + timedelta(minutes=3)
    answer = acquirer.submit(token_for(old, server.url, now=later), now=later + timedelta(seconds=5))
    assert answer.http_status == 403 and answer.body["error"] == "key-retired"
    # A retired key cannot endorse another key.
    third = Payer(SigningKey.generate(), old.bank_bin, old.account)
    assert enrol(server.url, third, code=None, endorsed_by=old.key).status_code == 403


def test_a_retired_key_pays_nothing_received_after_its_retirement_whatever_created_at_claims(server):
    """The attack: a copied key, retired by rotation, signs a request dated back to the moment of its
    retirement. Judged by that claim it would pay for another 6 minutes; judged by when the acquirer
    receives it, it pays nothing after the retirement plus 60 s of clock skew."""
    old = new_payer(server.url)
    new = Payer(SigningKey.generate(), old.bank_bin, old.account)
    assert enrol(server.url, new, code=None, endorsed_by=old.key).status_code == 201
    retired = parse_timestamp(http_get(f"{server.url}/v1/keys/{old.key.kid}").json()["retired_at"])
    acquirer = server.server.config.app.state.acquirer
    back_dated = token_for(old, server.url, now=retired)
    answer = acquirer.submit(back_dated, now=retired + timedelta(seconds=61))
    assert answer.http_status == 403 and answer.body["error"] == "key-retired", answer.body
    assert "arrived" in answer.body["message"] and answer.body["message_vi"]
    # Within the skew, a request the old key signed is still taken (a payment in flight at the rotation).
    in_flight = token_for(old, server.url, now=retired)
    assert acquirer.submit(in_flight, now=retired + timedelta(seconds=60)).http_status == 201


def test_retirement_by_receipt_time_over_http_on_the_acquirers_clock(tmp_path):
    """The same over real HTTP, with the acquirer's clock injected: a payment the old key made before
    the rotation, re-sent later, still gets its first answer (409); a new one from the old key,
    back-dated, is refused once the acquirer's clock is past the retirement plus 60 s."""
    clock = AcquirerClock()
    server = start_server(tmp_path / "clocked.sqlite3", clock=clock)
    try:
        old = new_payer(server.url)
        paid = token_for(old, server.url, now=clock())
        assert post(server.url, paid).status_code == 201
        new = Payer(SigningKey.generate(), old.bank_bin, old.account)
        assert enrol(server.url, new, code=None, endorsed_by=old.key).status_code == 201
        assert http_get(f"{server.url}/v1/keys/{old.key.kid}").json()["retired_at"] == \
            clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        back_dated = token_for(old, server.url, now=clock())
        clock.advance(61)
        response = post(server.url, back_dated)
        assert response.status_code == 403 and response.json()["error"] == "key-retired"
        replay = post(server.url, paid)
        assert replay.status_code == 409 and replay.json()["first_http_status"] == 201
        assert post(server.url, token_for(new, server.url, now=clock())).status_code == 201
    finally:
        server.stop()


def test_a_key_retired_by_the_operator_is_refused(tmp_path):
    payer = Payer(SigningKey.generate())
    retired = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    server = start_server(tmp_path / "a.sqlite3",
                          trusted=[TrustedKey(payer.key.public_jwk, payer.bank_bin, payer.account, retired)])
    try:
        response = post(server.url, token_for(payer, server.url))
        assert response.status_code == 403 and response.json()["error"] == "key-retired"
    finally:
        server.stop()


def test_revocation(server):
    payer = new_payer(server.url)
    other = new_payer(server.url, account="555000111")
    url = f"{server.url}/v1/keys/{payer.key.kid}/revoke"
    assert http_post(url, content=b"").status_code == 401
    refused = http_post(url, content=revocation_token(other.key, payer.key.kid, server.url))
    assert refused.status_code == 403 and refused.json()["error"] == "not-allowed"
    token = token_for(payer, server.url)
    done = http_post(url, content=revocation_token(payer.key, payer.key.kid, server.url))
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    response = post(server.url, token)
    assert response.status_code == 403 and response.json()["error"] == "key-revoked"
    # The booth's code revokes nothing; the operator token (kept in the ledger) revokes any key.
    bearer = {"Authorization": f"Bearer {CODE}"}
    assert http_post(f"{server.url}/v1/keys/{other.key.kid}/revoke", headers=bearer).status_code == 401
    bearer = {"Authorization": f"Bearer {server.server.config.app.state.activation.operator_token}"}
    assert http_post(f"{server.url}/v1/keys/{other.key.kid}/revoke", headers=bearer).json()["status"] == "revoked"


def test_open_enrolment_waives_only_the_code(tmp_path):
    server = start_server(tmp_path / "open.sqlite3", open_enrolment=True)
    try:
        payer = Payer(SigningKey.generate())
        assert enrol(server.url, payer, code=None).status_code == 201
        assert post(server.url, token_for(payer, server.url)).status_code == 201
        holder, impostor = SigningKey.generate(), SigningKey.generate()
        pretend = SigningKey(holder.kid, holder.public_jwk, impostor.private_key)
        response = post_key(server.url, sign_message(enrolment_body(holder, audience=server.url), pretend), code=None)
        assert response.status_code == 400 and response.json()["error"] == "bad-proof"
        assert http_get(f"{server.url}/v1/health").json()["open_enrolment"] is True
    finally:
        server.stop()
