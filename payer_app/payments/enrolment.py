"""Signed messages between a payer and an acquirer other than the payment itself.

Every message is a compact JWS (``alg`` EdDSA, ``kid`` the RFC 7638 thumbprint, ``typ``
``payer-message+jws``, never a payment request's ``payment-request+jws``) whose
payload names its ``type``, its audience ``aud`` (the acquirer it is meant for), ``created_at`` and a
random ``nonce``; the ``type`` keeps one kind of message from being used as another (a payment
request's type is ``payment_request``):

- ``key_enrolment``: signed by the NEW key (proof that the enroller holds its private half), with the
  public ``jwk`` and the payer account (``account``, ``bank_bin``) it binds to; for a rotation it
  carries an ``endorsement``.
- ``key_endorsement``: signed by an active key of the account, naming ``new_kid``, the account and
  ``expires_at``: the payer's own consent to a new key (no code needed). With ``retire`` (a
  rotation) the endorsing key is retired; without, a device is added next to it.
- ``key_revocation``: signed by a key of the account, naming the ``kid`` to revoke: itself or a key
  it endorsed (``payments/acquirer/activation.py``).
- ``key_enrolment`` with ``new_account`` and no ``account``: asks for a new demo account
  (``POST /v1/demo-accounts``, the booth's shared code).
- ``payment_lookup``: signed by a key of the payer, naming the ``request_id`` to look up.

``aud`` is the acquirer's base URL, normalised by ``normalise_audience`` (lower-case scheme and host,
no trailing slash); the embedded acquirer's is ``EMBEDDED_AUDIENCE``.

``WrongCodeLockout`` is the acquirer's guard against guessing its codes (5 wrong codes in a minute
lock every code out for a minute).
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from payer_app.core import base64url
from payer_app.core.display_text import visible
from payer_app.core.keys import BadPublicKeyError, SigningKey, check_ed25519_public_jwk, thumbprint
from payer_app.core.request import EMBEDDED_AUDIENCE
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.core.signing import ALGORITHM, public_key_from_jwk, sign_compact, signature_matches
from payer_app.core.timestamps import format_timestamp, parse_timestamp
from payer_app.payments.errors import EnrolmentRefused

ENROLMENT = "key_enrolment"
ENDORSEMENT = "key_endorsement"
REVOCATION = "key_revocation"
LOOKUP = "payment_lookup"
MESSAGE_VERSION = 1
MAX_MESSAGE_CHARS = 16_000
# A signed message is fresh for this long after created_at (and may be dated this far ahead).
MESSAGE_LIFETIME = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=60)
# An endorsement names its own expiry (the new device may enrol later than a message's lifetime).
ENDORSEMENT_MINUTES = 10
MAX_ENDORSEMENT_MINUTES = 24 * 60
# Guessing the enrolment code: this many wrong codes within WRONG_CODE_WINDOW lock every code out
# (the right one too) for WRONG_CODE_WINDOW, per acquirer.
WRONG_CODES_ALLOWED = 5
WRONG_CODE_WINDOW = timedelta(minutes=1)
# Explicit typing (RFC 8725 3.11): a payment request is ``payment-request+jws``, these are not.
MESSAGE_TOKEN_TYPE = "payer-message+jws"
_COMPACT = re.compile(r"[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{1,16000}\.[A-Za-z0-9_-]{86}")
_HEADER_KEYS = {"alg", "kid", "typ"}


# The acquirer's refusal of ``POST /v1/keys`` with the booth's shared code naming an account: the refusal
# catalogue words it, in the payer's language and with the payer's own account; any other refusal is
# shown as the acquirer said it.
SHARED_CODE_NAMES_ACCOUNT = "shared-code-names-account"


def enrolment_refusal(http_status: int, body: dict[str, Any], url: str, kid: str, bank_bin: str, account: str):
    """What the payer is told when the acquirer refuses to enrol ``kid`` for ``bank_bin``/``account``:
    an ``EnrolmentRefused`` whose ``code`` is the acquirer's error code (escaped)."""
    error = visible(str(body.get("error") or f"http-{http_status}"), 60)
    if error == SHARED_CODE_NAMES_ACCOUNT:
        return EnrolmentRefused(SHARED_CODE_NAMES_ACCOUNT, error, http_status,
                                account=visible(f"{bank_bin}/{account}", 60))
    message = visible(str(body.get("message") or f"The acquirer answered {http_status}."), 300)
    return EnrolmentRefused("enrolment-refused", error, http_status, acquirer=visible(url, 100), kid=kid,
                            error=error, message=message)


class SignedMessageError(Exception):
    """A signed message was refused; ``code`` is stable, ``message`` is safe to show."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedMessage:
    kid: str
    payload: dict[str, Any]


def normalise_audience(url: str) -> str:
    """``HTTP://LocalHost:8765/`` -> ``http://localhost:8765``: the form an ``aud`` takes."""
    text = (url or "").strip()
    if text == EMBEDDED_AUDIENCE:
        return EMBEDDED_AUDIENCE
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return text.rstrip("/")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def sign_message(payload: dict[str, Any], key: SigningKey) -> str:
    """A compact JWS of ``payload`` signed by ``key`` (core's form of a payment request, with this
    module's ``typ``)."""
    return sign_compact(payload, key, MESSAGE_TOKEN_TYPE)


def _base(kind: str, audience: str, now: datetime | None) -> dict[str, Any]:
    return {
        "type": kind,
        "version": MESSAGE_VERSION,
        "aud": normalise_audience(audience),
        "created_at": format_timestamp(now or datetime.now(UTC)),
        "nonce": secrets.token_urlsafe(16),
    }


def enrolment_token(key: SigningKey, account: str, bank_bin: str, audience: str,
                    endorsed_by: SigningKey | None = None, now: datetime | None = None,
                    endorsement: str | None = None) -> str:
    """The body of ``POST /v1/keys``: ``key`` asks to be bound to the account, signed by itself.
    With ``endorsed_by`` (the account's current key) no code is needed and that key is retired (a
    rotation); with ``endorsement`` (an ``endorsement_token`` made on another device) the key is
    added next to the endorsing one."""
    body = _base(ENROLMENT, audience, now)
    body.update(account=account, bank_bin=bank_bin,
                jwk={k: key.public_jwk[k] for k in ("kty", "crv", "x")})
    if endorsed_by is not None:
        endorsement = endorsement_token(endorsed_by, key.kid, account, bank_bin, audience, retire=True, now=now)
    if endorsement is not None:
        body["endorsement"] = endorsement
    return sign_message(body, key)


def endorsement_token(endorser: SigningKey, new_kid: str, account: str, bank_bin: str, audience: str,
                      minutes: int = ENDORSEMENT_MINUTES, retire: bool = False, now: datetime | None = None) -> str:
    """The account's current key consents to ``new_kid`` (the RFC 7638 thumbprint of the new public
    key) being bound to ``account`` until ``expires_at`` (``minutes`` from now); ``retire``: the
    endorsing key is retired when the new key is bound (a rotation), else both stay active."""
    if not 1 <= minutes <= MAX_ENDORSEMENT_MINUTES:
        raise ValueError(f"an endorsement lasts 1 to {MAX_ENDORSEMENT_MINUTES} minutes, not {minutes}")
    moment = now or datetime.now(UTC)
    body = _base(ENDORSEMENT, audience, moment)
    body.update(account=account, bank_bin=bank_bin, new_kid=new_kid, retire=bool(retire),
                expires_at=format_timestamp(moment + timedelta(minutes=minutes)))
    return sign_message(body, endorser)


def demo_account_token(key: SigningKey, bank_bin: str, audience: str, now: datetime | None = None) -> str:
    """The body of ``POST /v1/demo-accounts``: ``key`` asks for a new demo account at ``bank_bin``,
    numbered by the acquirer (``new_account``, no ``account``), signed by itself."""
    body = _base(ENROLMENT, audience, now)
    body.update(bank_bin=bank_bin, new_account=True, jwk={k: key.public_jwk[k] for k in ("kty", "crv", "x")})
    return sign_message(body, key)


def revocation_token(signer: SigningKey, kid: str, audience: str, now: datetime | None = None) -> str:
    body = _base(REVOCATION, audience, now)
    body["kid"] = kid
    return sign_message(body, signer)


def lookup_token(signer: SigningKey, request_id: str, audience: str, now: datetime | None = None) -> str:
    body = _base(LOOKUP, audience, now)
    body["request_id"] = request_id
    return sign_message(body, signer)


class WrongCodeLockout:
    """The acquirer's guard against guessing its enrolment code, on the acquirer's ``clock``
    (timezone-aware UTC). Wrong codes are counted in a sliding window: the WRONG_CODES_ALLOWED-th
    within WRONG_CODE_WINDOW starts a lock-out of WRONG_CODE_WINDOW during which every code, right or
    wrong, is refused without being compared (else the lock-out would still tell a right guess).
    Attempts during a lock-out neither count nor lengthen it; after it the count starts again."""

    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock
        self._wrong: deque[datetime] = deque()
        self._locked_until: datetime | None = None
        self._lock = threading.Lock()

    def attempt(self, matches: Callable[[], bool]) -> CodeAttempt:
        """Try a code (``matches()`` compares it) unless the code is locked out; one decision at a
        time, so parallel guesses cannot slip past the count."""
        with self._lock:
            now = self._clock()
            if self._locked_until is not None and now < self._locked_until:
                wait = math.ceil((self._locked_until - now).total_seconds())
                return CodeAttempt("locked", retry_after=max(1, wait))
            if matches():
                return CodeAttempt("right")
            self._wrong.append(now)
            while now - self._wrong[0] >= WRONG_CODE_WINDOW:
                self._wrong.popleft()
            if len(self._wrong) < WRONG_CODES_ALLOWED:
                return CodeAttempt("wrong", wrong_in_window=len(self._wrong))
            self._wrong.clear()
            self._locked_until = now + WRONG_CODE_WINDOW
            return CodeAttempt("wrong", wrong_in_window=WRONG_CODES_ALLOWED, locked_until=self._locked_until)


@dataclass(frozen=True)
class CodeAttempt:
    """What ``WrongCodeLockout.attempt`` decided: ``outcome`` "right", "wrong" (``locked_until`` set
    when this wrong code started a lock-out) or "locked" (``retry_after`` whole seconds)."""

    outcome: str
    retry_after: int = 0
    wrong_in_window: int = 0
    locked_until: datetime | None = None


# --- reading --------------------------------------------------------------------------------
def read_message(token: str | bytes, kind: str,
                 key_for: Callable[[str, dict[str, Any]], Ed25519PublicKey | None],
                 audiences: frozenset[str] | set[str], now: datetime | None = None,
                 fresh: bool = True) -> SignedMessage:
    """Check a signed message of type ``kind``: syntax, signature (``key_for(kid, payload)`` gives the
    key, or None when there is none), type, audience and (unless ``fresh`` is False: an endorsement
    carries its own expiry) freshness. Raises SignedMessageError."""
    if isinstance(token, (bytes, bytearray)):
        try:
            token = bytes(token).decode("ascii").strip()
        except UnicodeDecodeError:
            raise SignedMessageError("malformed", "The message is not ASCII text.") from None
    if not isinstance(token, str) or len(token) > MAX_MESSAGE_CHARS or not _COMPACT.fullmatch(token):
        raise SignedMessageError("malformed", "The message is not a compact JWS.")
    header_part, payload_part, signature_part = token.split(".")
    header = _json_part(header_part, "header", 2048)
    if not isinstance(header, dict) or set(header) != _HEADER_KEYS or header.get("alg") != ALGORITHM \
            or header.get("typ") != MESSAGE_TOKEN_TYPE or not isinstance(header.get("kid"), str):
        raise SignedMessageError(
            "malformed", f"The message header must be exactly alg EdDSA, kid and typ {MESSAGE_TOKEN_TYPE}.")
    signature = _b64(signature_part)
    if len(signature) != 64:
        raise SignedMessageError("malformed", "The signature is not 64 bytes long.")
    payload = _json_part(payload_part, "payload", MAX_MESSAGE_CHARS)
    if not isinstance(payload, dict):
        raise SignedMessageError("malformed", "The signed payload is not a JSON object.")
    kid = header["kid"]
    key = key_for(kid, payload)
    if key is None:
        raise SignedMessageError("unknown-key", f"Key {visible(kid, 60)} is not known here.")
    if not signature_matches(key, f"{header_part}.{payload_part}", signature):  # canonical (S < L) and valid
        raise SignedMessageError("bad-signature", "The signature does not match the message.")
    if payload.get("type") != kind or payload.get("version") != MESSAGE_VERSION:
        raise SignedMessageError("wrong-type", f"This is not a {kind} message (version {MESSAGE_VERSION}).")
    aud = payload.get("aud")
    if not isinstance(aud, str) or aud not in audiences:
        raise SignedMessageError("wrong-audience", "The message is addressed to another acquirer.")
    if fresh:
        check_fresh(payload.get("created_at"), now)
    return SignedMessage(kid, payload)


def check_fresh(created_at: Any, now: datetime | None = None) -> None:
    try:
        created = parse_timestamp(created_at)
    except (ValueError, TypeError, OverflowError):
        raise SignedMessageError("malformed", "created_at is not an RFC 3339 timestamp.") from None
    now = now or datetime.now(UTC)
    if created > now + CLOCK_SKEW or now - created > MESSAGE_LIFETIME + CLOCK_SKEW:
        raise SignedMessageError("stale", "The message is too old or dated in the future; sign a new one.")


def public_key_of(jwk: Any) -> Ed25519PublicKey | None:
    """The key of an enrolment's ``jwk`` (exactly kty OKP, crv Ed25519, x) when it is a sound
    Ed25519 public key (core's ``check_ed25519_public_jwk``: no small-order or non-canonical point)."""
    if not isinstance(jwk, dict) or set(jwk) != {"kty", "crv", "x"}:
        return None
    try:
        return public_key_from_jwk(jwk)
    except (BadPublicKeyError, ValueError, TypeError):
        return None


def public_key_problem(jwk: Any) -> str | None:
    """Why ``jwk`` cannot be trusted (core's rule), or None."""
    try:
        check_ed25519_public_jwk(jwk)
    except BadPublicKeyError as exc:
        return str(exc)
    return None


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    return thumbprint(jwk)


def _json_part(part: str, what: str, limit: int) -> Any:
    try:
        return loads_untrusted(_b64(part), max_bytes=limit, max_depth=8, what=f"the message {what}")
    except UntrustedJSONError as exc:
        raise SignedMessageError("malformed", visible(str(exc), 200)) from None


def _b64(part: str) -> bytes:
    """Strict canonical base64url (core's rule), refused as a malformed message."""
    try:
        return base64url.decode(part)
    except ValueError:
        raise SignedMessageError("malformed", "A part is not canonical base64url.") from None
