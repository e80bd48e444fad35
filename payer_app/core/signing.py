"""Signing and verifying payment requests: JWS compact serialization (RFC 7515), ``alg`` EdDSA over
Ed25519 (RFC 8037), ``kid`` the RFC 7638 thumbprint of the payer's public key.

The cryptography is joserfc's (built on ``cryptography``); this module adds the payment rules:
strict token syntax, key lookup by thumbprint, and checks that the signed content is a well-formed
request that agrees with its own QR payload (hash, payee, a dynamic QR's amount), has not expired
and, when limits are given, respects them.

Reason codes of a failed ``Verification`` (stable): ``malformed``, ``unsupported-algorithm``,
``wrong-key``, ``bad-signature``, ``bad-content``, ``key-mismatch``, ``qr-mismatch``,
``invalid-qr``, ``amount-mismatch``, ``payee-mismatch``, ``bill-mismatch``, ``expired``,
``not-yet-valid``, ``below-minimum``, ``above-maximum``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import OKPKey

from payer_app.core.amounts import format_vnd
from payer_app.core.keystore import KeyStore, thumbprint
from payer_app.core.payload import parse_payload
from payer_app.core.request import (
    CURRENCY,
    REQUEST_TYPE,
    REQUEST_VERSION,
    Limits,
    PaymentRequest,
    RequestError,
    bill_from_parsed,
    locked_amount,
    parse_timestamp,
    payee_from_parsed,
    payload_sha256,
)

ALGORITHM = "EdDSA"
TOKEN_TYPE = "JOSE"
MAX_TOKEN_CHARS = 64_000
CLOCK_SKEW = timedelta(seconds=60)
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_ALLOWED_HEADER = {"alg", "kid", "typ"}

# RFC 9864 deprecates the polymorphic "EdDSA" name in favour of "Ed25519", and joserfc warns on
# every use. The request format is specified as EdDSA (RFC 8037, what verifiers support today), so
# this registry uses joserfc's own EdDSA algorithm with the warning switched off.
_EDDSA = copy.copy(jws.JWSRegistry.algorithms[ALGORITHM])
_EDDSA.security_warning = None


class _EdDSARegistry(jws.JWSRegistry):
    algorithms = {ALGORITHM: _EDDSA}
    recommended = [ALGORITHM]


_REGISTRY = _EdDSARegistry(algorithms=[ALGORITHM])


class VerificationError(Exception):
    """A request failed verification; ``reason`` is the stable code, ``verification`` the details."""

    def __init__(self, verification: "Verification"):
        super().__init__(f"{verification.reason}: {verification.message}")
        self.reason = verification.reason
        self.message = verification.message
        self.message_vi = verification.message_vi
        self.verification = verification


@dataclass
class Verification:
    ok: bool
    reason: str | None  # None when ok
    message: str
    message_vi: str
    request: dict[str, Any] | None = None  # the signed content, once the signature checked out
    header: dict[str, Any] | None = None
    kid: str | None = None
    signature_ok: bool = False

    def raise_for_failure(self) -> "Verification":
        if not self.ok:
            raise VerificationError(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "message_vi": self.message_vi,
            "signature_ok": self.signature_ok,
            "kid": self.kid,
            "header": self.header,
            "request": self.request,
        }


@dataclass
class VerificationKeys:
    """Public keys by RFC 7638 thumbprint (the ``kid`` a signer must use)."""

    by_kid: dict[str, OKPKey] = field(default_factory=dict)

    @classmethod
    def load(cls, keys: "KeysLike") -> "VerificationKeys":
        """From a KeyStore, a JWK, a JWK Set (``{"keys": [...]}``), a list of JWKs, or another instance.
        Raises ValueError naming the key that is not an Ed25519 public JWK."""
        if isinstance(keys, VerificationKeys):
            return keys
        if isinstance(keys, KeyStore):
            keys = keys.verification_keys()
        elif isinstance(keys, dict):
            keys = keys["keys"] if isinstance(keys.get("keys"), list) else [keys]
        out = cls()
        for index, jwk in enumerate(keys):
            out.add(jwk, where=f"key #{index + 1}")
        return out

    def add(self, jwk: dict[str, Any], where: str = "key") -> str:
        if not isinstance(jwk, dict):
            raise ValueError(f"{where} is not a JSON object")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
            raise ValueError(f"{where} is not an Ed25519 public JWK (needs kty OKP, crv Ed25519, x)")
        if "d" in jwk:
            raise ValueError(f"{where} contains a private key ('d'); give the public key only")
        try:
            kid = thumbprint(jwk)
            self.by_kid[kid] = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
        except (JoseError, ValueError, TypeError, binascii.Error):
            raise ValueError(f"{where} has an 'x' that is not a valid Ed25519 public key") from None
        return kid


KeysLike = VerificationKeys | KeyStore | dict | list


def encode_request(request: dict[str, Any]) -> bytes:
    """The bytes that get signed: compact UTF-8 JSON in the request's own key order."""
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign_request(request: PaymentRequest | dict[str, Any], keystore: KeyStore) -> str:
    """Sign with the keystore's current key and return the compact JWS.

    ``payer.key_id`` is filled in when empty; a request that names another key is refused."""
    key = keystore.current()
    if isinstance(request, PaymentRequest):
        body = request.to_dict()
    else:
        body = copy.deepcopy(request)
    payer = body.get("payer")
    if not isinstance(payer, dict):
        raise ValueError("the request has no payer object")
    if payer.get("key_id") is None:
        payer["key_id"] = key.kid
    elif payer["key_id"] != key.kid:
        raise ValueError(f"the request names key {payer['key_id']} but the current key is {key.kid}")
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": TOKEN_TYPE}
    return jws.serialize_compact(header, encode_request(body), key.jose_key(), registry=_REGISTRY)


def verify_request(
    token: str | bytes,
    keys: KeysLike,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> Verification:
    """Check a compact JWS payment request. Never raises for bad input: see ``Verification.reason``."""
    try:
        trusted = VerificationKeys.load(keys)
    except (ValueError, KeyError, TypeError) as exc:
        return _fail("malformed", f"The verification key is unusable: {exc}.", f"Khóa kiểm tra không dùng được: {exc}.")
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return _fail("malformed", "The token contains non-ASCII bytes.", "Mã ký chứa byte không phải ASCII.")
    if not isinstance(token, str):
        return _fail("malformed", "The token is not text.", "Mã ký không phải văn bản.")
    if len(token) > MAX_TOKEN_CHARS:
        return _fail(
            "malformed",
            f"The token is {len(token)} characters long ({MAX_TOKEN_CHARS} at most).",
            f"Mã ký dài {len(token)} ký tự (tối đa {MAX_TOKEN_CHARS}).",
        )
    if not _TOKEN_SYNTAX.fullmatch(token):
        return _fail(
            "malformed",
            "This is not a JWS in compact form (three base64url parts separated by dots).",
            "Đây không phải JWS dạng rút gọn (ba phần base64url cách nhau bởi dấu chấm).",
        )
    header_part, payload_part, signature_part = token.split(".")
    try:
        header = json.loads(_b64decode(header_part), object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError):
        return _fail("malformed", "The JWS header is not base64url-encoded JSON.", "Phần đầu JWS không phải JSON base64url.")
    if not isinstance(header, dict):
        return _fail("malformed", "The JWS header is not a JSON object.", "Phần đầu JWS không phải đối tượng JSON.")
    if header.get("alg") != ALGORITHM:
        return _fail(
            "unsupported-algorithm",
            f"The algorithm is {header.get('alg')!r}; only EdDSA (Ed25519) is accepted.",
            f"Thuật toán là {header.get('alg')!r}; chỉ chấp nhận EdDSA (Ed25519).",
            header=header,
        )
    unknown = sorted(set(header) - _ALLOWED_HEADER)
    if unknown:
        return _fail(
            "malformed",
            f"The JWS header has unexpected parameters: {', '.join(unknown)}.",
            f"Phần đầu JWS có tham số lạ: {', '.join(unknown)}.",
            header=header,
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return _fail("malformed", "The JWS header has no key id (kid).", "Phần đầu JWS thiếu mã khóa (kid).", header=header)
    try:
        signature = _b64decode(signature_part)
        _b64decode(payload_part)
    except ValueError:
        return _fail("malformed", "A JWS part is not canonical base64url.", "Một phần JWS không phải base64url chuẩn.", header=header)
    if len(signature) != 64:
        return _fail(
            "malformed",
            f"The signature is {len(signature)} bytes long; Ed25519 signatures are 64.",
            f"Chữ ký dài {len(signature)} byte; chữ ký Ed25519 dài 64 byte.",
            header=header,
        )
    key = trusted.by_kid.get(kid)
    if key is None:
        known = ", ".join(sorted(trusted.by_kid)) or "none"
        return _fail(
            "wrong-key",
            f"The request was signed with key {kid}, which is not among the verification keys ({known}).",
            f"Yêu cầu được ký bằng khóa {kid}, không thuộc các khóa kiểm tra ({known}).",
            header=header,
            kid=kid,
        )
    try:
        signed = jws.deserialize_compact(token, key, registry=_REGISTRY)
    except BadSignatureError:
        return _fail(
            "bad-signature",
            "The signature does not match: the request was altered or signed with another key.",
            "Chữ ký không khớp: yêu cầu đã bị sửa đổi hoặc được ký bằng khóa khác.",
            header=header,
            kid=kid,
        )
    except (JoseError, ValueError, TypeError, binascii.Error) as exc:
        return _fail("malformed", f"The JWS could not be read: {exc}.", f"Không đọc được JWS: {exc}.", header=header, kid=kid)
    try:
        request = json.loads(signed.payload.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError):
        return _fail(
            "bad-content",
            "The signed content is not UTF-8 JSON.",
            "Nội dung đã ký không phải JSON UTF-8.",
            header=header,
            kid=kid,
            signature_ok=True,
        )
    problem = _check_content(request, kid, now or datetime.now(timezone.utc), limits)
    if problem is not None:
        reason, message, message_vi = problem
        return Verification(False, reason, message, message_vi, request if isinstance(request, dict) else None,
                            header, kid, True)
    amount = int(request["amount"]["value"])
    payee = request["payee"].get("merchant_name") or request["payee"].get("account") or "?"
    return Verification(
        True,
        None,
        f"Signature and content are good: {format_vnd(amount)} to {payee}, request {request['request_id']}.",
        f"Chữ ký và nội dung hợp lệ: {format_vnd(amount)} cho {payee}, yêu cầu {request['request_id']}.",
        request,
        header,
        kid,
        True,
    )


def decode_unverified(token: str) -> dict[str, Any] | None:
    """The request inside a token WITHOUT checking anything (for display and history only)."""
    try:
        parts = token.strip().split(".")
        value = json.loads(_b64decode(parts[1]))
        return value if isinstance(value, dict) else None
    except (ValueError, IndexError, UnicodeDecodeError, AttributeError):
        return None


# --- content rules ----------------------------------------------------------------------------
_REQUIRED: dict[str, Any] = {
    "type": str,
    "version": int,
    "request_id": str,
    "idempotency_key": str,
    "created_at": str,
    "expires_at": str,
    "nonce": str,
    "payer": {"account": str, "bank_bin": str, "key_id": str},
    "payee": {k: (str, type(None)) for k in
              ("scheme", "bank_bin", "bank_name", "account", "merchant_id", "merchant_name", "city", "mcc")},
    "bill": {k: (str, type(None)) for k in ("customer_code", "bill_number", "reference_label", "purpose")},
    "amount": {"value": str, "currency": str},
    "note": str,
    "qr": {"payload": str, "sha256": str},
}


def _shape_problem(value: Any, shape: dict[str, Any], where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where or 'the request'} is not an object"
    for key, expected in shape.items():
        path = f"{where}.{key}" if where else key
        if key not in value:
            return f"{path} is missing"
        if isinstance(expected, dict):
            inner = _shape_problem(value[key], expected, path)
            if inner:
                return inner
        elif not isinstance(value[key], expected) or isinstance(value[key], bool):
            return f"{path} has the wrong type"
    return None


def _check_content(request: Any, kid: str, now: datetime, limits: Limits | None) -> tuple[str, str, str] | None:
    shape = _shape_problem(request, _REQUIRED, "")
    if shape:
        return "bad-content", f"The signed request is not well formed: {shape}.", f"Yêu cầu đã ký sai cấu trúc: {shape}."
    if request["type"] != REQUEST_TYPE or request["version"] != REQUEST_VERSION:
        return (
            "bad-content",
            f"Unknown request type/version {request['type']!r}/{request['version']!r}.",
            f"Loại/phiên bản yêu cầu không rõ {request['type']!r}/{request['version']!r}.",
        )
    value = request["amount"]["value"]
    if not (value.isascii() and value.isdigit()) or len(value) > 13 or request["amount"]["currency"] != CURRENCY:
        return (
            "bad-content",
            f"The amount {value!r} {request['amount']['currency']!r} is not a whole number of VND.",
            f"Số tiền {value!r} {request['amount']['currency']!r} không phải số VND nguyên.",
        )
    try:
        created = parse_timestamp(request["created_at"])
        expires = parse_timestamp(request["expires_at"])
    except ValueError as exc:
        return "bad-content", f"A timestamp is not RFC 3339: {exc}.", f"Thời điểm không đúng RFC 3339: {exc}."
    if request["payer"]["key_id"] != kid:
        return (
            "key-mismatch",
            f"The request names payer key {request['payer']['key_id']} but was signed with {kid}.",
            f"Yêu cầu ghi khóa {request['payer']['key_id']} nhưng được ký bằng khóa {kid}.",
        )
    qr = request["qr"]["payload"]
    if payload_sha256(qr) != request["qr"]["sha256"]:
        return (
            "qr-mismatch",
            "qr.sha256 is not the SHA-256 of qr.payload.",
            "qr.sha256 không phải SHA-256 của qr.payload.",
        )
    now = now.astimezone(timezone.utc)
    if now >= expires:
        return (
            "expired",
            f"The request expired at {request['expires_at']} (now {now.strftime('%Y-%m-%dT%H:%M:%SZ')}).",
            f"Yêu cầu đã hết hạn lúc {request['expires_at']} (bây giờ {now.strftime('%Y-%m-%dT%H:%M:%SZ')}).",
        )
    if created > now + CLOCK_SKEW or expires <= created:
        return (
            "not-yet-valid",
            f"The request is dated {request['created_at']}, in the future or after its expiry.",
            f"Yêu cầu ghi ngày {request['created_at']}, ở tương lai hoặc sau thời hạn.",
        )
    parsed = parse_payload(qr)
    if not parsed.valid:
        first = parsed.errors[0]
        return "invalid-qr", f"The QR payload in the request is not valid: {first.message}", (
            f"Mã QR trong yêu cầu không hợp lệ: {first.message_vi}"
        )
    amount = int(value)
    fixed = locked_amount(parsed)
    if fixed is not None and fixed != amount:
        return (
            "amount-mismatch",
            f"The request pays {format_vnd(amount)} but the dynamic QR fixes {format_vnd(fixed)}.",
            f"Yêu cầu trả {format_vnd(amount)} nhưng mã QR động cố định {format_vnd(fixed)}.",
        )
    if request["payee"] != payee_from_parsed(parsed):
        return (
            "payee-mismatch",
            "The payee in the request is not the one in its QR payload.",
            "Người nhận trong yêu cầu khác với người nhận trong mã QR.",
        )
    if request["bill"] != bill_from_parsed(parsed):
        return (
            "bill-mismatch",
            "The bill details in the request are not the ones in its QR payload.",
            "Thông tin hóa đơn trong yêu cầu khác với trong mã QR.",
        )
    if limits is not None:
        try:
            limits.check(amount)
        except RequestError as exc:
            return exc.code, exc.message, exc.message_vi
    return None


# --- helpers ----------------------------------------------------------------------------------
def _b64decode(part: str) -> bytes:
    """Strict base64url without padding: the text must be the canonical encoding of its bytes."""
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != part:
        raise ValueError("not canonical base64url")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _fail(reason: str, message: str, message_vi: str, header=None, kid=None, signature_ok=False) -> Verification:
    return Verification(False, reason, message, message_vi, None, header, kid, signature_ok)
