"""Hostile payment tokens, for every verifier of signed requests (``verify_request``, ``payer-app
verify``, the acquirer over HTTP). Imported by tests; not a test module itself.

``build_hostile_set(key)`` returns a ``HostileSet``: more than 100 tokens, each with a name and the
set of ``verify_request`` reason codes that are acceptable for it, plus what the verifier must be
given for those codes to hold:

- ``trusted_jwks``: the JWK Set to trust: ``key``'s public JWK and a second, *retired* key
  (``retired_key``, retired at ``retired_at``, ten minutes before ``now``) whose JWK carries
  ``retired_at``. An acquirer enrols both (bound to ``payer_account``/``payer_bank_bin``) and marks
  the second retired.
- ``audience``: the verifier's own audience (``verify_request(..., audience=...)``, ``verify
  --audience``); one token is addressed to another acquirer.
- default ``Limits()`` (1.000 to 499.999.999 dong).

Tokens signed with ``key`` reach the content rules (``signature_ok``); the others stop before.
Covers: lone-surrogate kid, 5,000-deep header, duplicate keys and non-UTF-8 bytes inside
a signed payload, far-future expires_at, created_at 2001, a USD QR, 0 and 9.999.999.999.999 dong,
a 46,000-character note, empty and ``../`` ids, leading zeros, NaN, unknown fields, non-canonical
timestamps, wrong typ, U+202E in the note, a retired key, a small-order key with a forged signature;
plus alg none, HS256 keyed with the public key, embedded jwk/jku/x5u/x5c, crit, duplicate header
keys, non-canonical base64 and an S+L copy of a good signature.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.crc import payload_crc
from payer_app.core.fees import FIXED_FEE, FeeRule
from payer_app.core.keys import SigningKey, thumbprint
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request, payload_sha256
from payer_app.core.signing import ED25519_ORDER, TOKEN_TYPE
from payer_app.core.timestamps import format_timestamp
from payer_app.studio.fee_qr import with_fee
from tests.spec_vectors import EVN_BILL, VIETQR_TRANSFER

DYNAMIC_QR = VIETQR_TRANSFER  # a dynamic VietQR: 150.000 dong to ACB 257678859
# A dynamic VietQR of 100.000 dong asking for a fixed fee of 50.000 (55 = 02, 56 = 50000).
FEE_QR = with_fee(vietqr_payload("970416", "257678859", amount=100_000), FeeRule(FIXED_FEE, fixed=50_000))
DEFAULT_AUDIENCE = "embedded"
AMOUNT = 250_000

MALFORMED = frozenset({"malformed"})
UNSUPPORTED = frozenset({"unsupported-algorithm"})
BAD_CONTENT = frozenset({"bad-content"})


@dataclass(frozen=True)
class HostileToken:
    name: str
    token: str
    reasons: frozenset[str]
    signature_ok: bool = False  # signed by a trusted key, so the content rules are what refuse it


@dataclass
class HostileSet:
    tokens: list[HostileToken]
    valid_token: str  # a good token made the same way (the control)
    key: SigningKey
    retired_key: SigningKey
    retired_at: datetime
    now: datetime
    audience: str
    trusted_jwks: dict[str, Any] = field(default_factory=dict)
    payer_account: str = PayerInfo().account
    payer_bank_bin: str = PayerInfo().bank_bin


# --- raw JWS making (no checks at all: that is the point) -----------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _bytes(part: Any) -> bytes:
    if isinstance(part, bytes):
        return part
    return json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def good_header(kid: str) -> dict[str, Any]:
    return {"alg": "EdDSA", "kid": kid, "typ": TOKEN_TYPE}


def sign_raw(header: Any, payload: Any, key: SigningKey) -> str:
    """A compact JWS over exactly these header and payload bytes (dicts become compact JSON)."""
    signing_input = b64url(_bytes(header)) + "." + b64url(_bytes(payload))
    return signing_input + "." + b64url(key.private_key.sign(signing_input.encode("ascii")))


def valid_body(key: SigningKey, now: datetime, audience: str = DEFAULT_AUDIENCE, qr: str = EVN_BILL,
               amount: int | None = AMOUNT, note: str = "Tiền điện") -> dict[str, Any]:
    parsed = parse_payload(qr)
    payer = PayerInfo(key_id=key.kid)
    return build_request(parsed, PaymentChoice(amount, note), payer=payer, now=now, audience=audience).to_dict()


# --- small-order keys and forgeries ---------------------------------------------------------------
def identity_point_jwk() -> dict[str, str]:
    """The identity point (y = 1): under it, R = identity and S = 0 verify for every message."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url((1).to_bytes(32, "little"))}


def all_zero_jwk() -> dict[str, str]:
    """The all-zero public key (y = 0, a point of order 4)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(bytes(32))}


def non_canonical_jwk() -> dict[str, str]:
    """y = p + 2: a non-canonical encoding (y >= p)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url((2**255 - 19 + 2).to_bytes(32, "little"))}


def forged_small_order_token(body: dict[str, Any], jwk: dict[str, str]) -> str:
    """A token 'signed' under a small-order key with no private key: R = identity, S = 0."""
    kid = thumbprint(jwk)
    body = {**body, "payer": {**body["payer"], "key_id": kid}}
    signing_input = b64url(_bytes(good_header(kid))) + "." + b64url(_bytes(body))
    return signing_input + "." + b64url((1).to_bytes(32, "little") + bytes(32))


# --- the set --------------------------------------------------------------------------------------
def build_hostile_set(key: SigningKey, now: datetime | None = None, audience: str = DEFAULT_AUDIENCE) -> HostileSet:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    retired_key = SigningKey.generate()
    retired_at = now - timedelta(minutes=10)
    body = valid_body(key, now, audience)
    tokens: list[HostileToken] = []

    def add(name: str, token: str, reasons: frozenset[str] | set[str], signature_ok: bool = False) -> None:
        tokens.append(HostileToken(name, token, frozenset(reasons), signature_ok))

    def signed(name: str, change: Callable[[dict[str, Any]], Any] | dict | bytes, reasons, signer=key,
               header: Any = None) -> None:
        """Re-signed by a trusted key after ``change`` (a function editing a copy of the body, or the
        exact payload bytes/object)."""
        if callable(change):
            payload = copy.deepcopy(body)
            result = change(payload)
            if result is not None:
                payload = result
        else:
            payload = change
        add(name, sign_raw(header or good_header(signer.kid), payload, signer), reasons, signature_ok=True)

    valid = sign_raw(good_header(key.kid), body, key)
    h, p, s = valid.split(".")
    _token_syntax(add, valid)
    _headers(add, key, body, p)
    _signatures(add, key, body, valid)
    _payload_json(signed, body)
    _amounts(signed, key, now, audience)
    _times(signed, now)
    _notes_and_ids(signed)
    _fields(signed)
    _bindings(signed, key, now, audience)
    retired_body = valid_body(retired_key, now, audience)
    add("retired key signs after its retirement", sign_raw(good_header(retired_key.kid), retired_body, retired_key),
        {"key-retired"}, signature_ok=True)
    trusted = {"keys": [dict(key.public_jwk),
                        {**retired_key.public_jwk, "retired_at": format_timestamp(retired_at)}]}
    return HostileSet(tokens, valid, key, retired_key, retired_at, now, audience, trusted)


def _token_syntax(add, valid: str) -> None:
    h, p, s = valid.split(".")
    add("empty token", "", MALFORMED)
    add("not a JWS", "hello world", MALFORMED)
    add("two parts", f"{h}.{p}", MALFORMED)
    add("four parts", f"{h}.{p}.{s}.{s}", MALFORMED)
    add("empty signature part", f"{h}.{p}.", MALFORMED)
    add("padding on the signature", f"{valid}==", MALFORMED)
    add("standard base64 alphabet", f"{h}.{p}.{s.replace('-', '+').replace('_', '/')}a+/", MALFORMED)
    add("non-ASCII character in the payload part", f"{h}.{p[:10]}é{p[10:]}.{s}", MALFORMED)
    add("space inside the token", f"{h} .{p}.{s}", MALFORMED)
    add("70,000-character token", f"{h}.{p}{'A' * 70_000}.{s}", MALFORMED)
    add("non-canonical base64 signature (unused bits set)", f"{h}.{p}.{_set_unused_bits(s)}", MALFORMED)
    add("non-canonical base64 header (unused bits set)", f"{_set_unused_bits(h)}.{p}.{s}", MALFORMED)
    add("63-byte signature", f"{h}.{p}.{b64url(bytes(63))}", MALFORMED)
    add("65-byte signature", f"{h}.{p}.{b64url(bytes(65))}", MALFORMED)
    add("ANSI escape instead of a token", "\x1b[32mVALID\x1b[0m.a.b", MALFORMED)


def _set_unused_bits(part: str) -> str:
    """The same bytes with the unused low bits of the last character set: a non-canonical encoding."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = {2: 4, 3: 2}.get(len(part) % 4)
    if spare is None:  # no unused bits in this length: append a character that decodes to nothing
        return part + "A"
    index = alphabet.index(part[-1])
    return part[:-1] + alphabet[index | ((1 << spare) - 1)]


def _headers(add, key: SigningKey, body: dict[str, Any], p: str) -> None:
    kid = key.kid
    raw_x = base64.urlsafe_b64decode(key.public_jwk["x"] + "=")

    def with_header(name: str, header: Any, reasons, signer: SigningKey | None = key) -> None:
        header_part = b64url(_bytes(header))
        signing_input = f"{header_part}.{p}"
        sig = signer.private_key.sign(signing_input.encode()) if signer else bytes(64)
        add(name, f"{signing_input}.{b64url(sig)}", reasons)

    add("alg none with an empty signature", f"{b64url(_bytes({'alg': 'none', 'kid': kid, 'typ': TOKEN_TYPE}))}.{p}.",
        MALFORMED)
    with_header("alg none with a signature", {"alg": "none", "kid": kid, "typ": TOKEN_TYPE}, UNSUPPORTED, None)
    for name, secret in (("raw public key", raw_x), ("public JWK text", json.dumps(key.public_jwk).encode()),
                         ("x text", key.public_jwk["x"].encode())):
        header_part = b64url(_bytes({"alg": "HS256", "kid": kid, "typ": TOKEN_TYPE}))
        mac = hmac.new(secret, f"{header_part}.{p}".encode(), hashlib.sha256).digest()
        add(f"HS256 keyed with the {name}", f"{header_part}.{p}.{b64url(mac)}", UNSUPPORTED)
    for alg in ("Ed25519", "ES256", "RS256", "eddsa", "EdDSA ", ""):
        with_header(f"alg {alg!r}", {"alg": alg, "kid": kid, "typ": TOKEN_TYPE}, UNSUPPORTED)
    with_header("alg missing", {"kid": kid, "typ": TOKEN_TYPE}, UNSUPPORTED)
    with_header("alg as a list", {"alg": ["EdDSA"], "kid": kid, "typ": TOKEN_TYPE}, UNSUPPORTED)
    _header_parameters(add, with_header, kid, body)
    raw_headers = {
        "duplicate alg (none, then EdDSA)": f'{{"alg":"none","alg":"EdDSA","kid":"{kid}","typ":"{TOKEN_TYPE}"}}',
        "duplicate kid": f'{{"alg":"EdDSA","kid":"{kid}","kid":"{kid}","typ":"{TOKEN_TYPE}"}}',
        "lone-surrogate kid": f'{{"alg":"EdDSA","kid":"\\ud800","typ":"{TOKEN_TYPE}"}}',
        "header nested 5,000 arrays deep": f'{{"alg":"EdDSA","kid":"{kid}","typ":"{TOKEN_TYPE}","x":'
                                           + "[" * 5000 + "]" * 5000 + "}",
        "header is an array": f'["EdDSA","{kid}"]',
        "header is not JSON": "{alg: EdDSA}",
        "header NaN": f'{{"alg":"EdDSA","kid":"{kid}","typ":"{TOKEN_TYPE}","n":NaN}}',
        "header with a 2,000-character kid": f'{{"alg":"EdDSA","kid":"{"k" * 2000}","typ":"{TOKEN_TYPE}"}}',
    }
    for name, text in raw_headers.items():
        with_header(name, text.encode("utf-8"), MALFORMED)
    with_header("header with invalid UTF-8", b'{"alg":"EdDSA","kid":"\xff\xfe","typ":"' + TOKEN_TYPE.encode() + b'"}',
                MALFORMED)
    for name, header in (("typ missing", {"alg": "EdDSA", "kid": kid}),
                         ("typ JWT", {"alg": "EdDSA", "kid": kid, "typ": "JWT"}),
                         ("typ JOSE", {"alg": "EdDSA", "kid": kid, "typ": "JOSE"}),
                         ("kid missing", {"alg": "EdDSA", "typ": TOKEN_TYPE}),
                         ("kid empty", {"alg": "EdDSA", "kid": "", "typ": TOKEN_TYPE}),
                         ("kid ../../etc/passwd", {"alg": "EdDSA", "kid": "../../etc/passwd", "typ": TOKEN_TYPE}),
                         ("kid with a terminal escape", {"alg": "EdDSA", "kid": "\x1b[32mVALID\x1b[0m",
                                                         "typ": TOKEN_TYPE}),
                         ("kid is a number", {"alg": "EdDSA", "kid": 7, "typ": TOKEN_TYPE})):
        with_header(name, header, MALFORMED)
    stranger = SigningKey.generate()
    stranger_body = {**body, "payer": {**body["payer"], "key_id": stranger.kid}}
    add("signed by an unknown key", sign_raw(good_header(stranger.kid), stranger_body, stranger), {"wrong-key"})
    add("small-order key (identity), forged signature", forged_small_order_token(body, identity_point_jwk()),
        {"wrong-key"})
    add("small-order key (all zero), forged signature", forged_small_order_token(body, all_zero_jwk()),
        {"wrong-key"})


def _header_parameters(add, with_header, kid: str, body: dict[str, Any]) -> None:
    """Parameters that would let the token choose its own key or rules: never accepted."""
    attacker = SigningKey.generate()
    attacker_body = {**body, "payer": {**body["payer"], "key_id": attacker.kid}}
    attacker_input = b64url(_bytes({**good_header(attacker.kid), "jwk": attacker.public_jwk})) + "." + b64url(
        _bytes(attacker_body))
    add("embedded jwk (the attacker's own key)",
        f"{attacker_input}.{b64url(attacker.private_key.sign(attacker_input.encode()))}", MALFORMED)
    for extra in ({"jku": "http://127.0.0.1:1/keys.json"}, {"x5u": "http://127.0.0.1:1/cert.pem"},
                  {"x5c": ["MIIB"]}, {"crit": ["exp"], "exp": 1}, {"crit": ["b64"], "b64": False},
                  {"cty": "JWT"}, {"zip": "DEF"}):
        with_header(f"extra header parameter {sorted(extra)}", {**good_header(kid), **extra}, MALFORMED)


def _signatures(add, key: SigningKey, body: dict[str, Any], valid: str) -> None:
    h, p, s = valid.split(".")
    raw = base64.urlsafe_b64decode(s + "==")
    r, big_s = raw[:32], int.from_bytes(raw[32:], "little")
    add("S+L copy of a good signature (malleability)",
        f"{h}.{p}.{b64url(r + (big_s + ED25519_ORDER).to_bytes(32, 'little'))}", {"bad-signature", "malformed"})
    add("one bit of the signature flipped", f"{h}.{p}.{b64url(raw[:5] + bytes([raw[5] ^ 1]) + raw[6:])}",
        {"bad-signature"})
    add("all-zero signature", f"{h}.{p}.{b64url(bytes(64))}", {"bad-signature"})
    other = SigningKey.generate()
    add("signature by another key under the payer's kid",
        f"{h}.{p}.{b64url(other.private_key.sign(f'{h}.{p}'.encode()))}", {"bad-signature"})
    changed = copy.deepcopy(body)
    changed["amount"]["value"] = "1000"
    add("amount changed after signing", f"{h}.{b64url(_bytes(changed))}.{s}", {"bad-signature"})
    add("header and payload of two tokens spliced", f"{h}.{b64url(_bytes({**body, 'note': ''}))}.{s}",
        {"bad-signature"})


def _payload_json(signed, body: dict[str, Any]) -> None:
    text = _bytes(body).decode("utf-8")
    signed("duplicate key inside the signed payload",
           text.replace('"amount":', '"amount":{"value":"1000","currency":"VND"},"amount":', 1).encode(), BAD_CONTENT)
    signed("non-UTF-8 bytes inside the signed payload", text.replace("Tiền điện", "Ti\udcffn").encode(
        "utf-8", "surrogateescape"), BAD_CONTENT)
    signed("lone surrogate escape in the signed note", text.replace("Tiền điện", "\\udc00").encode(), BAD_CONTENT)
    signed("signed payload nested 5,000 deep", ("[" * 5000 + "]" * 5000).encode(), BAD_CONTENT)
    signed("signed payload is an array", [body], BAD_CONTENT)
    signed("signed payload is a string", "payment", BAD_CONTENT)
    signed("signed payload is empty", b"", MALFORMED)  # an empty middle part
    signed("NaN amount (JSON NaN)", text.replace('"value":"250000"', '"value":NaN').encode(), BAD_CONTENT)
    signed("signed payload with a byte-order mark", b"\xef\xbb\xbf" + text.encode(), BAD_CONTENT)


def _amounts(signed, key: SigningKey, now: datetime, audience: str) -> None:
    def amount(value: Any, currency: Any = "VND"):  # the total follows (no fee): only the amount is at fault
        return lambda b: b.update(amount={"value": value, "currency": currency},
                                  total={"value": value, "currency": currency})

    for name, value in (("NaN amount text", "NaN"), ("leading zeros", "0250000"), ("float text", "250000.0"),
                        ("exponent", "25e4"), ("negative", "-250000"), ("plus sign", "+250000"),
                        ("spaces", " 250000"), ("thousands dots", "250.000"), ("empty amount", ""),
                        ("Arabic-Indic digits", "٢٥٠٠٠٠"), ("40 digits", "9" * 40)):
        signed(f"amount {name}", amount(value), BAD_CONTENT)
    signed("amount as a JSON number", amount(250000), BAD_CONTENT)
    signed("amount as a JSON float", amount(250000.5), BAD_CONTENT)
    signed("amount currency USD", amount("250000", "USD"), BAD_CONTENT)
    signed("amount 0", amount("0"), {"below-minimum"})
    signed("amount 9.999.999.999.999", amount("9999999999999"), {"above-maximum"})
    usd = usd_qr()
    signed("QR with field 53 = 840 (USD)", _body_for_qr(key, now, audience, usd), {"not-vnd"})


def usd_qr() -> str:
    text = vietqr_payload("970436", "0011001234567", amount=250_000, purpose="Hoc phi")
    body = text[:-4].replace("5303704", "5303840", 1)
    return body + payload_crc(body)


def _body_for_qr(key: SigningKey, now: datetime, audience: str, qr: str) -> dict[str, Any]:
    """A request carrying ``qr`` with payee/bill derived from it, made by hand (build_request refuses
    non-VND QRs)."""
    from payer_app.core.request import bill_from_parsed, payee_from_parsed

    body = valid_body(key, now, audience)
    parsed = parse_payload(qr)
    body["payee"] = payee_from_parsed(parsed).to_dict()
    body["bill"] = bill_from_parsed(parsed).to_dict()
    body["qr"] = {"payload": qr, "sha256": payload_sha256(qr)}
    return body


def _times(signed, now: datetime) -> None:
    def times(created: str, expires: str):
        return lambda b: b.update(created_at=created, expires_at=expires)

    c, e = format_timestamp(now), format_timestamp(now + timedelta(minutes=5))
    signed("expires_at 9999-12-31", times(c, "9999-12-31T23:59:59Z"), BAD_CONTENT)
    signed("expires_at a day later", times(c, format_timestamp(now + timedelta(days=1))), BAD_CONTENT)
    signed("created_at 2001", times("2001-01-01T00:00:00Z", "2001-01-01T00:05:00Z"), {"expired"})
    signed("created_at 2001 with a far expiry", times("2001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"), BAD_CONTENT)
    signed("created six minutes ago", times(format_timestamp(now - timedelta(minutes=6)),
                                            format_timestamp(now - timedelta(minutes=1))), {"expired"})
    signed("created an hour from now", times(format_timestamp(now + timedelta(hours=1)),
                                             format_timestamp(now + timedelta(hours=1, minutes=5))), {"not-yet-valid"})
    signed("expires before it is created", times(e, c), BAD_CONTENT)
    for name, created in (("offset +07:00", c[:-1] + "+07:00"), ("fraction of a second", c[:-1] + ".5Z"),
                          ("lower-case t and z", c.replace("T", "t").replace("Z", "z")),
                          ("space instead of T", c.replace("T", " ")), ("no zone", c[:-1]),
                          ("30 February", "2026-02-30T08:00:00Z"), ("leap second", c[:17] + "60Z"),
                          ("Unix time", str(int(now.timestamp())))):
        signed(f"created_at {name}", times(created, e), BAD_CONTENT)
    signed("created_at as a number", times(int(now.timestamp()), e), BAD_CONTENT)


def _notes_and_ids(signed) -> None:
    def put(name: str, value: Any):
        return lambda b: b.update({name: value})

    for name, note in (("46,000-character note", "x" * 46_000), ("141-character note", "x" * 141),
                       ("U+202E in the note", "Tiền \u202eđiện"), ("terminal escape in the note", "\x1b[2K\rVALID"),
                       ("line break in the note", "a\nVALID: paid"), ("zero-width space in the note", "a\u200bb"),
                       ("C1 control in the note", "a\x9bb"), ("note as a number", 7), ("note null", None)):
        signed(name, put("note", note), {"bad-content", "malformed"} if len(str(note)) > 40_000 else BAD_CONTENT)
    for field_name in ("request_id", "idempotency_key"):
        for name, value in (("empty", ""), ("../", "../../etc/passwd"), ("upper-case UUID", str(uuid.uuid4()).upper()),
                            ("UUID in braces", "{" + str(uuid.uuid4()) + "}"), ("number", 7)):
            signed(f"{field_name} {name}", put(field_name, value), BAD_CONTENT)
    for name, value in (("empty", ""), ("short", "abc"), ("slashes", "a/b/c/d/e/f/g/h/i/j"),
                        ("too long", "n" * 65), ("null", None)):
        signed(f"nonce {name}", put("nonce", value), BAD_CONTENT)
    signed("nonce missing", lambda b: b.pop("nonce"), BAD_CONTENT)


def _fields(signed) -> None:
    signed("unknown top-level field", lambda b: b.update(admin=True), BAD_CONTENT)
    signed("unknown field in payer", lambda b: b["payer"].update(role="bank"), BAD_CONTENT)
    signed("unknown field in amount", lambda b: b["amount"].update(fee="0"), BAD_CONTENT)
    signed("unknown field in qr", lambda b: b["qr"].update(format="emv"), BAD_CONTENT)
    signed("unknown field with a hostile name", lambda b: b.update({"\x1b[32mVALID": 1}), BAD_CONTENT)
    signed("note missing", lambda b: b.pop("note"), BAD_CONTENT)
    signed("payee missing", lambda b: b.pop("payee"), BAD_CONTENT)
    signed("type refund", lambda b: b.update(type="refund"), BAD_CONTENT)
    signed("version 3", lambda b: b.update(version=3), BAD_CONTENT)
    signed("version 1 with a fee and a total", lambda b: b.update(version=1), BAD_CONTENT)
    signed("version true", lambda b: b.update(version=True), BAD_CONTENT)
    signed("version text", lambda b: b.update(version="1"), BAD_CONTENT)
    signed("version 1.0", lambda b: b.update(version=1.0), BAD_CONTENT)
    signed("aud missing", lambda b: b.pop("aud"), BAD_CONTENT)
    signed("aud empty", lambda b: b.update(aud=""), BAD_CONTENT)
    signed("aud with a space", lambda b: b.update(aud="my acquirer"), BAD_CONTENT)
    signed("payer account ../", lambda b: b["payer"].update(account="../../x"), BAD_CONTENT)
    signed("payer bank BIN letters", lambda b: b["payer"].update(bank_bin="VCBANK"), BAD_CONTENT)


def _bindings(signed, key: SigningKey, now: datetime, audience: str) -> None:
    signed("addressed to another acquirer", lambda b: b.update(aud="https://other-acquirer.example"),
           {"wrong-audience"})
    signed("names another payer key", lambda b: b["payer"].update(key_id=SigningKey.generate().kid), {"key-mismatch"})
    signed("qr.sha256 of another payload", lambda b: b["qr"].update(sha256="0" * 64), {"qr-mismatch"})
    signed("qr.sha256 upper-case", lambda b: b["qr"].update(sha256=b["qr"]["sha256"].upper()), {"qr-mismatch"})
    signed("payee account changed", lambda b: b["payee"].update(merchant_id="9999999999"), {"payee-mismatch"})
    signed("bill purpose changed", lambda b: b["bill"].update(purpose="Something else"), {"bill-mismatch"})

    def broken_qr(b: dict[str, Any]) -> None:
        qr = b["qr"]["payload"][:-4] + "0000"
        b["qr"] = {"payload": qr, "sha256": payload_sha256(qr)}

    signed("QR with a wrong checksum", broken_qr, {"invalid-qr"})
    dynamic = valid_body(key, now, audience, qr=DYNAMIC_QR, amount=None)
    dynamic["amount"]["value"] = "15000"
    signed("dynamic QR paid with another amount", dynamic, {"amount-mismatch"})
    _fee_tampering(signed, key, now, audience)


def _fee_tampering(signed, key: SigningKey, now: datetime, audience: str) -> None:
    """A QR asking for a 50.000 dong fee, paid with the fee removed, lowered, of another kind, or with
    a total that is not amount + fee: each re-signed by the payer's own key."""
    good = valid_body(key, now, audience, qr=FEE_QR, amount=None)
    removed = copy.deepcopy(good)
    removed.update(version=1)
    del removed["fee"], removed["total"]
    signed("fee removed from a fee QR (version 1)", removed, {"fee-mismatch"})
    lowered = copy.deepcopy(good)
    lowered["fee"]["value"], lowered["total"]["value"] = "5000", "105000"
    signed("fee lowered", lowered, {"fee-mismatch"})
    as_tip = copy.deepcopy(good)
    as_tip["fee"]["kind"] = "tip"
    signed("fee turned into a tip", as_tip, {"fee-mismatch"})
    total = copy.deepcopy(good)
    total["total"]["value"] = "100000"
    signed("total without the fee", total, {"total-mismatch"})
    signed("fee value with a sign", lambda b: b["fee"].update(value="+0"), BAD_CONTENT)
    signed("fee kind unknown", lambda b: b["fee"].update(kind="\u202egift"), BAD_CONTENT)
    signed("total in USD", lambda b: b["total"].update(currency="USD"), BAD_CONTENT)
