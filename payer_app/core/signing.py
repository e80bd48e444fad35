"""Signing and verifying payment requests: JWS compact serialization (RFC 7515), ``alg`` EdDSA over
Ed25519 (RFC 8037), ``typ`` ``payment-request+jws`` (explicit typing, RFC 8725 3.11), ``kid`` the
RFC 7638 thumbprint of the payer's public key.

The cryptography is ``cryptography``'s (OpenSSL's Ed25519); this module adds the payment rules:
strict token syntax (canonical base64url, an exact header, strict JSON through ``safe_json``), sound
public keys only (``check_ed25519_public_jwk``: no small-order or non-canonical keys), canonical
signatures (S < L), key lookup by thumbprint, key retirement, and the content schema
(``payer_app.core.request_schema``) that ``verify`` and every acquirer share.

The compact-JWS pieces work over any payload and ``typ`` and are shared with the payer's other signed
messages (``payer_app.payments.enrolment``): ``sign_compact``, ``public_key_from_jwk``,
``is_canonical_signature`` and ``signature_matches``; strict base64url is ``payer_app.core.base64url``.

Reason codes of a failed ``Verification`` (stable; the table in docs/payments.md): ``malformed``,
``unsupported-algorithm``, ``bad-key``, ``wrong-key``, ``bad-signature``, ``bad-content``,
``key-mismatch``, ``qr-mismatch``, ``wrong-audience``, ``key-retired``, ``not-yet-valid``,
``expired``, ``not-vnd``, ``invalid-qr``, ``amount-mismatch``, ``payee-mismatch``, ``bill-mismatch``,
``below-minimum``, ``above-maximum``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from payer_app.core import base64url
from payer_app.core.display_text import quoted, visible
from payer_app.core.keys import (
    BadPublicKeyError,
    KeySourceError,
    SigningKey,
    check_ed25519_public_jwk,
    parse_key_time,
    thumbprint,
)
from payer_app.core.payability import Limits
from payer_app.core.refusals import Refusal, VerifyRefused, say
from payer_app.core.request import MAX_TOKEN_CHARS, PaymentRequest
from payer_app.core.request_schema import CLOCK_SKEW, Context, read_request_content
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted

__all__ = [
    "ALGORITHM", "TOKEN_TYPE", "MAX_TOKEN_CHARS", "CLOCK_SKEW", "REASON_CODES", "SigningError",
    "VerificationError", "Verification", "VerificationKeys", "check_ed25519_public_jwk", "encode_request",
    "sign_request", "verify_request", "thumbprint", "sign_compact", "public_key_from_jwk",
    "is_canonical_signature", "signature_matches",
]

ALGORITHM = "EdDSA"
TOKEN_TYPE = "payment-request+jws"
MAX_HEADER_BYTES = 1024
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493  # L, RFC 8032 5.1
_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
HEADER_FIELDS = ("alg", "kid", "typ")
REASON_CODES = (
    "malformed", "unsupported-algorithm", "bad-key", "wrong-key", "bad-signature", "bad-content",
    "key-mismatch", "qr-mismatch", "wrong-audience", "key-retired", "not-yet-valid", "expired", "not-vnd",
    "invalid-qr", "amount-mismatch", "payee-mismatch", "bill-mismatch", "below-minimum", "above-maximum",
    "fee-mismatch", "total-mismatch",
)


class SigningError(ValueError):
    """A request cannot be signed with the given key (it names another key, or has no payer)."""


class VerificationError(Exception):
    """A request failed verification; ``reason`` is the stable code, ``verification`` the details."""

    def __init__(self, verification: Verification):
        super().__init__(f"{verification.reason}: {verification.message}")
        self.reason = verification.reason
        self.refusal = verification.refusal
        self.message = verification.message
        self.message_vi = verification.message_vi
        self.verification = verification


@dataclass
class Verification:
    """What ``verify_request`` found: ``refusal`` (a ``Refusal`` whose code is the stable ``reason`` and
    whose texts are the catalogue's, untrusted parts already escaped) when it failed, None when ok."""

    ok: bool
    refusal: Refusal | None  # None when ok
    request: PaymentRequest | None = None  # the signed request, once its signature and form checked out
    header: dict[str, Any] | None = None
    kid: str | None = None  # as the token claims it: escape before showing
    signature_ok: bool = False
    content: Any = None  # the signed JSON object as it came, only written out (``to_dict``), never read

    @property
    def reason(self) -> str | None:
        return self.refusal.code if self.refusal is not None else None

    def text(self, lang: str = "en") -> str:
        """Why it failed, or what was verified, in ``lang``, from the catalogue."""
        if self.refusal is not None:
            return self.refusal.text(lang)
        request = self.request
        if request is None:
            return ""
        return say("request-verified", lang, amount=request.amount, payee=visible(request.payee.short_name or "?", 80),
                   request_id=request.request_id)

    @property
    def message(self) -> str:
        return self.text("en")

    @property
    def message_vi(self) -> str:
        return self.text("vi")

    def raise_for_failure(self) -> Verification:
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
            "request": self.content,
        }


@dataclass
class VerificationKeys:
    """Sound Ed25519 public keys by RFC 7638 thumbprint (the ``kid`` a signer must use), each with its
    retirement time when it has one (requests created after it, plus the clock skew, are refused)."""

    by_kid: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    retired_at: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, keys: KeysLike) -> VerificationKeys:
        """From a KeyStore, a JWK, a JWK Set (``{"keys": [...]}``), a list of JWKs, or another instance.
        Raises ValueError (``BadPublicKeyError``) naming the key that is not a sound Ed25519 public JWK."""
        if isinstance(keys, VerificationKeys):
            return keys
        if callable(getattr(keys, "verification_keys", None)):  # a key store (payments.keystore.KeyStore)
            keys = keys.verification_keys()
        elif isinstance(keys, dict):
            keys = keys["keys"] if isinstance(keys.get("keys"), list) else [keys]
        if not isinstance(keys, list):
            raise BadPublicKeyError("the keys are not a JWK, a JWK Set or a list of JWKs")
        out = cls()
        for index, jwk in enumerate(keys):
            out.add(jwk, where=f"key #{index + 1}")
        return out

    def add(self, jwk: Any, where: str = "key", retired_at: datetime | None = None) -> str:
        """Trust ``jwk`` (its ``retired_at`` member, or the argument, is when it stopped signing).
        Returns its kid; raises ``BadPublicKeyError`` (a ValueError) for an unsound key."""
        kid = check_ed25519_public_jwk(jwk, where)
        self.by_kid[kid] = Ed25519PublicKey.from_public_bytes(base64url.decode(jwk["x"]))
        if retired_at is None and "retired_at" in jwk:
            retired_at = parse_key_time(jwk["retired_at"], f"{where}: retired_at")
        if retired_at is not None:
            self.retire(kid, retired_at)
        return kid

    def retire(self, kid: str, retired_at: datetime) -> None:
        """Refuse requests signed by ``kid`` that were created after ``retired_at`` (plus skew)."""
        if retired_at.tzinfo is None:
            raise ValueError("retired_at must be timezone-aware")
        earlier = self.retired_at.get(kid)
        self.retired_at[kid] = retired_at if earlier is None else min(earlier, retired_at)

    def remove(self, kid: str) -> None:
        """Stop trusting ``kid`` altogether (revocation)."""
        self.by_kid.pop(kid, None)
        self.retired_at.pop(kid, None)


KeysLike = Any  # VerificationKeys | payments.keystore.KeyStore | dict | list


def encode_request(request: dict[str, Any]) -> bytes:
    """The bytes that get signed: compact UTF-8 JSON in the request's own key order."""
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- compact JWS over a key object (also used by payments/enrolment.py) --------------------------
def sign_compact(payload: dict[str, Any], key: SigningKey, typ: str) -> str:
    """A compact JWS (RFC 7515 7.1) of ``payload`` (``encode_request``'s bytes) signed by ``key``; the
    header is exactly ``{"alg": "EdDSA", "kid": key.kid, "typ": typ}`` (explicit typing, RFC 8725 3.11)."""
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
    signing_input = (base64url.encode(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + base64url.encode(encode_request(payload)))
    return signing_input + "." + base64url.encode(key.private_key.sign(signing_input.encode("ascii")))


def public_key_from_jwk(jwk: Any, where: str = "the key") -> Ed25519PublicKey:
    """The public key of ``jwk`` once ``check_ed25519_public_jwk`` finds it sound (no small-order,
    non-canonical or off-curve point); ``BadPublicKeyError`` otherwise."""
    check_ed25519_public_jwk(jwk, where)
    return Ed25519PublicKey.from_public_bytes(base64url.decode(jwk["x"]))


def is_canonical_signature(signature: bytes) -> bool:
    """64 bytes with S < L (RFC 8032 5.1.7): an S+L copy of a good signature is not a second one."""
    return len(signature) == 64 and int.from_bytes(signature[32:], "little") < ED25519_ORDER


def signature_matches(public_key: Ed25519PublicKey, signing_input: str, signature: bytes) -> bool:
    """True when ``signature`` is canonical and verifies over ``signing_input`` (the JWS text
    ``header.payload``, ASCII) under ``public_key``."""
    if not is_canonical_signature(signature):
        return False
    try:
        public_key.verify(signature, signing_input.encode("ascii"))
    except InvalidSignature:
        return False
    return True


# --- payment requests -----------------------------------------------------------------------------
def sign_request(request: PaymentRequest | dict[str, Any], key: Any) -> str:
    """Sign ``request`` with ``key`` and return the compact JWS.

    Pass the ``SigningKey`` whose kid the request (its preview) names: a rotation between preview
    and signing then cannot fail the payment. A key store (anything with ``current()``, such as
    ``payments.keystore.KeyStore``) means its current key (older callers). ``payer.key_id`` is filled
    in when empty; a request that names another key raises SigningError."""
    if not isinstance(key, SigningKey) and callable(getattr(key, "current", None)):  # a key store
        key = key.current()
    if not isinstance(key, SigningKey):
        raise TypeError(f"sign_request needs a SigningKey or a KeyStore, not {type(key).__name__}")
    if isinstance(request, PaymentRequest):
        named = request.payer.key_id
        if named is not None and named != key.kid:
            raise SigningError(f"the request names key {visible(named, 60)} but the signing key is {key.kid}")
        return sign_compact(request.with_key_id(key.kid).to_dict(), key, TOKEN_TYPE)
    # Any other JSON object (tests sign hand-made bodies to see verifiers refuse them): signed as it
    # is, with its payer's key id filled in when it has none.
    body = copy.deepcopy(request)
    payer = body.get("payer") if isinstance(body, dict) else None
    if not isinstance(payer, dict):
        raise SigningError("the request has no payer object")
    if payer.get("key_id") is None:
        payer["key_id"] = key.kid
    elif payer["key_id"] != key.kid:
        raise SigningError(f"the request names key {visible(payer['key_id'], 60)} but the signing key is {key.kid}")
    return sign_compact(body, key, TOKEN_TYPE)


def verify_request(
    token: str | bytes,
    keys: KeysLike,
    now: datetime | None = None,
    limits: Limits | None = None,
    audience: str | None = None,
) -> Verification:
    """Check a compact JWS payment request. Never raises for bad input: see ``Verification.reason``.

    ``limits`` default to ``Limits()`` (1.000 to 499.999.999 dong); ``audience``, when given, must be
    the request's ``aud``; ``now`` is the verifier's clock (UTC now by default). The checks run in
    this order and the first that fails is the answer; each step below raises ``_Refused``."""
    try:
        trusted = _trusted_keys(keys)
        header_part, payload_part, signature_part = _split_token(token)
        header = _read_header(header_part)
        signature = _read_signature(signature_part, payload_part, header)
        _check_signature(trusted, header, f"{header_part}.{payload_part}", signature)
        content = _read_signed_content(payload_part, header)
        request = _check_content(content, header, trusted, now, limits, audience)
    except _Refused as refused:
        return refused.verification
    return _accepted(request, content, header)


class _Refused(Exception):
    """How a step of ``verify_request`` says no: it carries the failed ``Verification``."""

    def __init__(self, verification: Verification):
        super().__init__(verification.reason)
        self.verification = verification


def _trusted_keys(keys: KeysLike) -> VerificationKeys:
    """The verifier's own keys (``bad-key`` when they are unusable or cannot be read)."""
    try:
        return VerificationKeys.load(keys)
    except (ValueError, KeyError, TypeError, KeySourceError) as exc:
        _refuse(VerifyRefused("bad-verification-key", problem=visible(str(exc), 200)))


def _split_token(token: Any) -> tuple[str, str, str]:
    """RFC 7515 7.1 compact form: ASCII, at most MAX_TOKEN_CHARS, three base64url parts."""
    if isinstance(token, (bytes, bytearray)):
        if len(token) > MAX_TOKEN_CHARS:
            _refuse(VerifyRefused("token-too-many-bytes", length=len(token), limit=MAX_TOKEN_CHARS))
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            _refuse(VerifyRefused("token-not-ascii"))
    if not isinstance(token, str):
        _refuse(VerifyRefused("token-not-text"))
    if len(token) > MAX_TOKEN_CHARS:
        _refuse(VerifyRefused("token-too-long", length=len(token), limit=MAX_TOKEN_CHARS))
    if not _TOKEN_SYNTAX.fullmatch(token):
        _refuse(VerifyRefused("not-compact-jws"))
    header_part, payload_part, signature_part = token.split(".")
    return header_part, payload_part, signature_part


def _read_header(part: str) -> dict[str, Any]:
    """RFC 7515 4.1 with RFC 8725 3.1/3.11: strict JSON, alg EdDSA, exactly alg/kid/typ, typ exact,
    kid a thumbprint. No jwk/jku/x5u/crit: keys come from the verifier, never from the token."""
    header = _header_object(part)
    if header.get("alg") != ALGORITHM:
        _refuse(VerifyRefused("unsupported-algorithm", alg=quoted(header.get("alg"), 40)), header=header)
    unknown = [name for name in header if name not in HEADER_FIELDS]
    if unknown:
        names = ", ".join(quoted(name, 40) for name in unknown[:5])
        _refuse(VerifyRefused("header-unknown-parameters", names=names), header=header)
    if header.get("typ") != TOKEN_TYPE:
        _refuse(VerifyRefused("header-bad-typ", typ=quoted(header.get("typ"), 40), expected=TOKEN_TYPE),
                header=header)
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        _refuse(VerifyRefused("header-bad-kid", kid=quoted(kid, 60)), header=header)
    return header


def _header_object(part: str) -> dict[str, Any]:
    """The header as a JSON object (strict JSON through ``safe_json``, at most MAX_HEADER_BYTES)."""
    try:
        header = loads_untrusted(base64url.decode(part), max_bytes=MAX_HEADER_BYTES, max_depth=4,
                                 what="the JWS header")
    except (ValueError, UntrustedJSONError) as exc:
        _refuse(VerifyRefused("header-not-acceptable", problem=visible(str(exc), 200)))
    if not isinstance(header, dict):
        _refuse(VerifyRefused("header-not-object"))
    return header


def _read_signature(part: str, payload_part: str, header: dict[str, Any]) -> bytes:
    """Canonical base64url for the payload and the signature; 64 bytes with S < L (RFC 8032 5.1.7:
    an S+L copy of a good signature is refused, so signatures are not malleable)."""
    kid = header["kid"]
    try:
        signature = base64url.decode(part)
        base64url.decode(payload_part)
    except ValueError:
        _refuse(VerifyRefused("part-not-base64url"), header=header, kid=kid)
    if len(signature) != 64:
        _refuse(VerifyRefused("signature-length", length=len(signature)), header=header, kid=kid)
    if not is_canonical_signature(signature):
        _refuse(VerifyRefused("signature-not-canonical"), header=header, kid=kid)
    return signature


def _check_signature(trusted: VerificationKeys, header: dict[str, Any], signing_input: str,
                     signature: bytes) -> None:
    """The key is the verifier's key named by ``kid`` (``wrong-key``), and the signature verifies under
    it (``bad-signature``)."""
    kid = header["kid"]
    key = trusted.by_kid.get(kid)
    if key is None:
        _refuse(VerifyRefused("wrong-key", kid=kid), header=header, kid=kid)
    if not signature_matches(key, signing_input, signature):
        _refuse(VerifyRefused("signature-mismatch"), header=header, kid=kid)


def _read_signed_content(payload_part: str, header: dict[str, Any]) -> Any:
    """The signed payload as strict JSON (``bad-content`` when it is not)."""
    try:
        return loads_untrusted(base64url.decode(payload_part), max_bytes=MAX_TOKEN_CHARS, max_depth=8,
                               what="the signed content")
    except UntrustedJSONError as exc:
        _refuse(VerifyRefused("content-not-json", problem=visible(str(exc), 200)), header=header, kid=header["kid"],
                signature_ok=True)


def _check_content(content: Any, header: dict[str, Any], trusted: VerificationKeys, now: datetime | None,
                   limits: Limits | None, audience: str | None) -> PaymentRequest:
    """Rules R1-R16 (``PaymentRequest.from_dict``, then ``request_schema``) against the verifier's
    clock, limits and audience; the typed request when it keeps them all."""
    kid = header["kid"]
    context = Context(kid=kid, now=(now or datetime.now(UTC)).astimezone(UTC),
                      limits=limits or Limits(), audience=audience, key_retired_at=trusted.retired_at.get(kid))
    request, refusal = read_request_content(content, context)
    if refusal is not None:
        raise _Refused(Verification(False, refusal, request, header, kid, True,
                                    content if isinstance(content, dict) else None))
    assert request is not None  # read_request_content gives a request whenever it finds no problem
    return request


def _accepted(request: PaymentRequest, content: Any, header: dict[str, Any]) -> Verification:
    return Verification(True, None, request, header, header["kid"], True, content)


def _refuse(refusal: Refusal, header: dict[str, Any] | None = None, kid: str | None = None,
            signature_ok: bool = False) -> NoReturn:
    raise _Refused(Verification(False, refusal, None, header, kid, signature_ok))
