"""Mock payment requests: what the payer app sends after a QR has been scanned and the amount entered.

``build_request(parsed, amount, ...)`` turns a parsed QR plus the payer's input into a
``PaymentRequest``; ``PaymentRequest.to_dict()`` is the JSON object that gets signed (see
``payer_app.core.signing``). Everything here is pure Python and deterministic given ``now`` and the
random identifiers, which can be passed in for reproducible tests.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payer_app.core.display_text import is_unsafe_char, quoted
from payer_app.core.payability import Limits, payability, resolve_amount
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import InputRefused, RequestRefused
from payer_app.core.timestamps import format_timestamp

REQUEST_TYPE = "payment_request"
REQUEST_VERSION = 1
CURRENCY = "VND"
DEFAULT_TTL_SECONDS = 300
MAX_TTL_SECONDS = 300  # the longest life a request may have (verifiers add CLOCK_SKEW_SECONDS)
CLOCK_SKEW_SECONDS = 60  # how far apart the payer's and the verifier's clocks may be
MAX_NOTE_CHARS = 140
MAX_AUDIENCE_CHARS = 200
EMBEDDED_AUDIENCE = "embedded"  # the ``aud`` of requests for the acquirer built into the payer app

_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_AUDIENCE = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: an id or a URL


# What ``build_request`` raises; the kinds and their texts are in ``payer_app.core.refusals``.
RequestError = RequestRefused


@dataclass(frozen=True)
class PayerInfo:
    """Who pays: the (mock) source account and the id of the key that signs for it."""

    account: str = "0011001234567"
    bank_bin: str = "970436"  # Vietcombank, a demo account
    key_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "bank_bin": self.bank_bin, "key_id": self.key_id}


@dataclass(frozen=True)
class PaymentRequest:
    request_id: str
    idempotency_key: str
    created_at: datetime
    expires_at: datetime
    nonce: str
    payer: PayerInfo
    payee: dict[str, str | None]
    bill: dict[str, str | None]
    amount: int
    note: str
    qr_payload: str
    currency: str = CURRENCY
    audience: str = EMBEDDED_AUDIENCE

    @property
    def qr_sha256(self) -> str:
        return payload_sha256(self.qr_payload)

    def with_key_id(self, key_id: str) -> PaymentRequest:
        return PaymentRequest(
            self.request_id, self.idempotency_key, self.created_at, self.expires_at, self.nonce,
            PayerInfo(self.payer.account, self.payer.bank_bin, key_id), self.payee, self.bill,
            self.amount, self.note, self.qr_payload, self.currency, self.audience,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object that is signed; key order is fixed."""
        return {
            "type": REQUEST_TYPE,
            "version": REQUEST_VERSION,
            "aud": self.audience,
            "request_id": self.request_id,
            "idempotency_key": self.idempotency_key,
            "created_at": format_timestamp(self.created_at),
            "expires_at": format_timestamp(self.expires_at),
            "nonce": self.nonce,
            "payer": self.payer.to_dict(),
            "payee": dict(self.payee),
            "bill": dict(self.bill),
            "amount": {"value": str(self.amount), "currency": self.currency},
            "note": self.note,
            "qr": {"payload": self.qr_payload, "sha256": self.qr_sha256},
        }


def payload_sha256(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def is_canonical_uuid(text: object) -> bool:
    """True for a UUID in its canonical form (lower-case hex, hyphens: what ``str(uuid4())`` gives)."""
    if not isinstance(text, str) or len(text) != 36:
        return False
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def is_good_nonce(text: object) -> bool:
    """True for a nonce of 16 to 64 base64url characters (``secrets.token_urlsafe(16)`` gives 22)."""
    return isinstance(text, str) and _NONCE.fullmatch(text) is not None


def audience_problem(audience: object) -> str | None:
    """Why ``audience`` cannot be a request's ``aud`` (None when it can): 1 to 200 printable ASCII
    characters without spaces, e.g. an acquirer id or its base URL."""
    if not isinstance(audience, str) or not audience:
        return "the audience (aud) must be a non-empty text"
    if len(audience) > MAX_AUDIENCE_CHARS:
        return f"the audience (aud) is {len(audience)} characters long ({MAX_AUDIENCE_CHARS} at most)"
    if not _AUDIENCE.fullmatch(audience):
        return f"the audience (aud) {quoted(audience, 60)} holds spaces, controls or non-ASCII characters"
    return None


def note_problem(note: object) -> InputRefused | None:
    """Why ``note`` cannot go into a request (None when it can): at most 140 characters, none of them
    a control, bidi, zero-width or line-separator character (the characters ``display_text.visible``
    would have to escape)."""
    if not isinstance(note, str):
        return InputRefused("note-not-text")
    if len(note) > MAX_NOTE_CHARS:
        return InputRefused("note-too-long", length=len(note), limit=MAX_NOTE_CHARS)
    bad = next((ch for ch in note if is_unsafe_char(ch)), None)
    if bad is not None:
        return InputRefused("bad-note", char=quoted(bad))
    return None


def payee_from_parsed(parsed: ParsedPayload) -> dict[str, str | None]:
    """The payee block of a request, derived from the QR alone (verifiers recompute it)."""
    account = parsed.account
    vietqr = parsed.scheme == "vietqr"
    return {
        "scheme": parsed.scheme,
        "bank_bin": account.bank_bin,
        "bank_name": account.bank_name,
        "account": account.id if vietqr else None,
        "merchant_id": None if vietqr else account.id,
        "merchant_name": parsed.merchant.name,
        "city": parsed.merchant.city,
        "mcc": parsed.merchant.mcc,
    }


def bill_from_parsed(parsed: ParsedPayload) -> dict[str, str | None]:
    """The bill block of a request, derived from the QR alone."""
    bill = parsed.bill
    return {
        "customer_code": bill.evn_customer_code or bill.customer_label,
        "bill_number": bill.bill_number,
        "reference_label": bill.reference_label,
        "purpose": bill.purpose,
    }


def build_request(
    parsed: ParsedPayload,
    amount: int | None,
    note: str = "",
    payer: PayerInfo | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    nonce: str | None = None,
    audience: str = EMBEDDED_AUDIENCE,
) -> PaymentRequest:
    """A payment request for a parsed QR. Raises a ``RequestRefused`` (``QrRefused``, ``AmountRefused``,
    ``InputRefused``) with a stable code when it cannot be made; the QR and the amount are judged by
    ``payability`` and the amount rules beside it (``resolve_amount``, ``Limits``), the ones every
    screen asks.

    ``audience`` names the acquirer the request is for (its ``aud``: the acquirer's id or base URL);
    an acquirer refuses requests addressed to another. ``request_id``/``idempotency_key`` must be
    canonical UUIDs when given; ``ttl_seconds`` at most ``MAX_TTL_SECONDS``."""
    refusal = payability(parsed, limits)
    if refusal is not None:
        raise refusal
    value = resolve_amount(parsed, amount)  # the amount rules the amount screen asks, too
    (limits or Limits()).check(value)
    note = note or ""
    _check_payer_input(note, ttl_seconds, audience)
    _check_identifiers(request_id, idempotency_key, nonce)
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return PaymentRequest(
        request_id=request_id or str(uuid.uuid4()),
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        created_at=created,
        expires_at=created + timedelta(seconds=ttl_seconds),
        nonce=nonce or secrets.token_urlsafe(16),
        payer=payer or PayerInfo(),
        payee=payee_from_parsed(parsed),
        bill=bill_from_parsed(parsed),
        amount=value,
        note=note,
        qr_payload=parsed.raw,
        audience=audience,
    )


def _check_payer_input(note: str, ttl_seconds: int, audience: str) -> None:
    """The note rule, the TTL bound and the audience form: what verifiers refuse, refused here first."""
    problem = note_problem(note)
    if problem is not None:
        raise problem
    if not isinstance(ttl_seconds, int) or isinstance(ttl_seconds, bool) or not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise InputRefused("bad-ttl", limit=MAX_TTL_SECONDS, found=repr(ttl_seconds)[:40])
    wrong_audience = audience_problem(audience)
    if wrong_audience is not None:
        raise InputRefused("bad-audience", detail=wrong_audience)


def _check_identifiers(request_id: str | None, idempotency_key: str | None, nonce: str | None) -> None:
    """Given identifiers must have the form verifiers accept (canonical UUIDs, a base64url nonce)."""
    for name, value in (("request id", request_id), ("idempotency key", idempotency_key)):
        if value is not None and not is_canonical_uuid(value):
            raise InputRefused("bad-id", name=name, found=quoted(value, 60))
    if nonce is not None and not is_good_nonce(nonce):
        raise InputRefused("bad-nonce")
