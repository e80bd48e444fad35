"""Mock payment requests: what the payer app sends after a QR has been scanned and the amount entered.

``build_request(parsed, choice, ...)`` turns a parsed QR plus what the payer chose
(``core.choice.PaymentChoice``) into a ``PaymentRequest``. The signed JSON has one writer and one
reader: ``PaymentRequest.to_dict()`` is the object that gets signed (see ``payer_app.core.signing``),
``PaymentRequest.from_dict(data)`` reads it back (shape and value forms, rules R1-R5 of
``core.request_schema``) into the same typed value, and ``read_signed(token)`` is that reader over a
token whose signature is not checked (stored history, display). Nothing else indexes the JSON.

Everything here is pure Python and deterministic given ``now`` and the random identifiers, which
can be passed in for reproducible tests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payer_app.core import base64url
from payer_app.core.auth_policy import METHODS, PIN
from payer_app.core.charge import (
    FEE_SHAPE,
    TOTAL_SHAPE,
    Charge,
    charge_form_problem,
    charge_from_dict,
    charge_of,
    no_charge,
)
from payer_app.core.choice import PaymentChoice
from payer_app.core.display_text import is_unsafe_char, quoted
from payer_app.core.fees import FeeError
from payer_app.core.payability import Limits, payability, resolve_amount
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import AmountRefused, InputRefused, RequestRefused
from payer_app.core.registered_name import NameCheck, name_check_refusal
from payer_app.core.safe_json import loads_untrusted
from payer_app.core.timestamps import format_timestamp, parse_canonical_timestamp

REQUEST_TYPE = "payment_request"
REQUEST_VERSION = 2  # 2: the fee or tip and the total are carried (core/charge.py); 1 is still read
READABLE_VERSIONS = (1, 2)
CURRENCY = "VND"
DEFAULT_TTL_SECONDS = 300
MAX_TTL_SECONDS = 300  # the longest life a request may have (verifiers add CLOCK_SKEW_SECONDS)
CLOCK_SKEW_SECONDS = 60  # how far apart the payer's and the verifier's clocks may be
MAX_NOTE_CHARS = 140
MAX_AUDIENCE_CHARS = 200
EMBEDDED_AUDIENCE = "embedded"  # the ``aud`` of requests for the acquirer built into the payer app
MAX_TOKEN_CHARS = 64_000  # the longest signed token read (compact JWS)

_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_AUDIENCE = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: an id or a URL
_AMOUNT = re.compile(r"0|[1-9][0-9]{0,14}")


@dataclass(frozen=True)
class PayerInfo:
    """Who pays: the (mock) source account and the id of the key that signs for it."""

    account: str = "0011001234567"
    bank_bin: str = "970436"  # Vietcombank, a demo account
    key_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "bank_bin": self.bank_bin, "key_id": self.key_id}


@dataclass(frozen=True)
class Payee:
    """Who is paid, as the QR says (``payee_from_parsed``): a VietQR names an ``account``, other
    schemes a ``merchant_id``."""

    scheme: str | None
    bank_bin: str | None
    bank_name: str | None
    account: str | None
    merchant_id: str | None
    merchant_name: str | None
    city: str | None
    mcc: str | None

    @property
    def account_or_merchant_id(self) -> str | None:
        return self.account or self.merchant_id

    @property
    def short_name(self) -> str | None:
        """The merchant's name, else the account: how a one-line answer names the payee."""
        return self.merchant_name or self.account

    def to_dict(self) -> dict[str, str | None]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Bill:
    """What the QR says is being paid (``bill_from_parsed``)."""

    customer_code: str | None
    bill_number: str | None
    reference_label: str | None
    purpose: str | None

    def to_dict(self) -> dict[str, str | None]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class QrCode:
    """The QR text the request pays and the SHA-256 the request states for it (rule R8 compares them)."""

    payload: str
    sha256: str

    @classmethod
    def of(cls, payload: str) -> QrCode:
        return cls(payload, payload_sha256(payload))

    def to_dict(self) -> dict[str, str]:
        return {"payload": self.payload, "sha256": self.sha256}


@dataclass(frozen=True)
class PaymentRequest:
    """A payment request as a typed value; the signed JSON is ``to_dict()`` and is read back only by
    ``from_dict`` (or ``read_signed``)."""

    request_id: str
    idempotency_key: str
    created_at: datetime
    expires_at: datetime
    nonce: str
    payer: PayerInfo
    payee: Payee
    bill: Bill
    amount: int
    note: str
    qr: QrCode
    currency: str = CURRENCY
    audience: str = EMBEDDED_AUDIENCE
    charge: Charge | None = None  # None: a version 1 request (no fee carried)
    name_check: NameCheck | None = None  # the payer app's claim of what the name inquiry said (None: none ran)
    auth: str | None = None  # how the payer confirmed it: "pin" or "biometric" (None: signed before it was said)

    @property
    def auth_method(self) -> str:
        """The authentication the request claims; one signed before ``auth`` existed claims a PIN."""
        return self.auth or PIN

    @property
    def cost(self) -> Charge:
        """The fee and the total (a version 1 request: no fee, the total is the amount)."""
        return self.charge or no_charge(self.amount)

    @property
    def qr_payload(self) -> str:
        return self.qr.payload

    @property
    def qr_sha256(self) -> str:
        return self.qr.sha256

    def with_key_id(self, key_id: str) -> PaymentRequest:
        return dataclasses.replace(self, payer=dataclasses.replace(self.payer, key_id=key_id))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object that is signed; key order is fixed."""
        out = {
            "type": REQUEST_TYPE,
            "version": 1 if self.charge is None else REQUEST_VERSION,
            "aud": self.audience,
            "request_id": self.request_id,
            "idempotency_key": self.idempotency_key,
            "created_at": format_timestamp(self.created_at),
            "expires_at": format_timestamp(self.expires_at),
            "nonce": self.nonce,
            "payer": self.payer.to_dict(),
            "payee": self.payee.to_dict(),
            "bill": self.bill.to_dict(),
            "amount": {"value": str(self.amount), "currency": self.currency},
        }
        if self.charge is not None:
            out["fee"] = self.charge.fee_dict()
            out["total"] = self.charge.total_dict(self.currency)
        out |= {"note": self.note, "qr": self.qr.to_dict()}
        if self.auth is not None:
            out["auth"] = self.auth
        if self.name_check is not None:
            out["name_check"] = self.name_check.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Any) -> PaymentRequest:
        """The one reader of the signed JSON: its shape and the form of the values it converts
        (rules R1-R5: exactly ``SHAPE``, type/version, identifiers, timestamps, the amount), then the
        typed value. Raises RequestRefused ``bad-content`` naming the first problem. The other content
        rules (note, payer, QR hash, times, the QR's agreement, limits) are ``core.request_schema``'s.
        ``from_dict(d).to_dict() == d`` for every ``d`` it accepts (key order aside)."""
        for step in FORM_STEPS:
            problem = step(data)
            if problem is not None:
                raise RequestRefused("bad-content", detail=problem)
        return cls(
            request_id=data["request_id"],
            idempotency_key=data["idempotency_key"],
            created_at=parse_canonical_timestamp(data["created_at"]),
            expires_at=parse_canonical_timestamp(data["expires_at"]),
            nonce=data["nonce"],
            payer=PayerInfo(**data["payer"]),
            payee=Payee(**data["payee"]),
            bill=Bill(**data["bill"]),
            amount=int(data["amount"]["value"]),
            note=data["note"],
            qr=QrCode(**data["qr"]),
            currency=data["amount"]["currency"],
            audience=data["aud"],
            charge=charge_from_dict(data) if data["version"] != 1 else None,
            name_check=NameCheck.from_dict(data["name_check"]) if "name_check" in data else None,
            auth=data.get("auth"),
        )


def read_signed(token: Any) -> PaymentRequest | None:
    """The request inside a compact JWS WITHOUT checking its signature or content rules beyond
    ``from_dict`` (for showing stored history and answers the acquirer has just given); None when
    the token does not hold a well-formed request."""
    if isinstance(token, (bytes, bytearray)):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        parts = token.strip().split(".")
        data = loads_untrusted(base64url.decode(parts[1]), max_bytes=MAX_TOKEN_CHARS, max_depth=8)
        return PaymentRequest.from_dict(data)
    except (ValueError, IndexError):
        return None


# --- R1-R5: the form of the signed JSON (``from_dict``; docs in core/request_schema.py) ----------
_TEXT = (str,)
_TEXT_OR_NULL = (str, type(None))
SHAPE: dict[str, Any] = {
    "type": _TEXT,
    "version": (int,),
    "aud": _TEXT,
    "request_id": _TEXT,
    "idempotency_key": _TEXT,
    "created_at": _TEXT,
    "expires_at": _TEXT,
    "nonce": _TEXT,
    "payer": {"account": _TEXT, "bank_bin": _TEXT, "key_id": _TEXT},
    "payee": {f.name: _TEXT_OR_NULL for f in dataclasses.fields(Payee)},
    "bill": {f.name: _TEXT_OR_NULL for f in dataclasses.fields(Bill)},
    "amount": {"value": _TEXT, "currency": _TEXT},
    "note": _TEXT,
    "qr": {"payload": _TEXT, "sha256": _TEXT},
    "name_check": {"outcome": _TEXT, "registered_name": _TEXT_OR_NULL, "answered_by": _TEXT},
    "auth": _TEXT,
}
# name_check: absent when no name inquiry ran; auth: absent in requests signed before it existed (a PIN);
# both absent in requests signed before they existed
OPTIONAL = frozenset({"name_check", "auth"})


def shape_problem(value: Any, shape: dict[str, Any], where: str = "") -> str | None:
    """R1: exactly the keys of ``shape``, each of its type, recursively."""
    if not isinstance(value, dict):
        return f"{where or 'the request'} is not an object"
    unknown = [key for key in value if key not in shape]
    if unknown:
        return f"unknown field {quoted((where + '.' if where else '') + unknown[0], 60)}"
    for key, expected in shape.items():
        path = f"{where}.{key}" if where else key
        if key not in value:
            if not where and key in OPTIONAL:
                continue
            return f"{path} is missing"
        if isinstance(expected, dict):
            inner = shape_problem(value[key], expected, path)
            if inner:
                return inner
        elif not isinstance(value[key], expected) or isinstance(value[key], bool):
            return f"{path} has the wrong type"
    return None


SHAPE_V2: dict[str, Any] = SHAPE | {"fee": FEE_SHAPE, "total": TOTAL_SHAPE}


def form_shape(data: Any) -> str | None:
    """R1 (after it, every field below is there and of its type): version 1 without the fee and
    total, any other version with them."""
    version = data.get("version") if isinstance(data, dict) else None
    return shape_problem(data, SHAPE if version == 1 and not isinstance(version, bool) else SHAPE_V2)


def form_type_and_version(data: dict[str, Any]) -> str | None:
    """R2."""
    if data["type"] != REQUEST_TYPE or data["version"] not in READABLE_VERSIONS:
        return (f"type/version {quoted(data['type'], 40)}/{data['version']!r} is not "
                f"{REQUEST_TYPE}/{' or '.join(map(str, READABLE_VERSIONS))}")
    return None


def form_identifiers(data: dict[str, Any]) -> str | None:
    """R3."""
    problem = audience_problem(data["aud"])
    if problem:
        return problem
    for name in ("request_id", "idempotency_key"):
        if not is_canonical_uuid(data[name]):
            return f"{name} {quoted(data[name], 60)} is not a canonical UUID"
    if not is_good_nonce(data["nonce"]):
        return f"nonce {quoted(data['nonce'], 60)} is not 16-64 base64url characters"
    return None


def form_timestamps(data: dict[str, Any]) -> str | None:
    """R4."""
    for name in ("created_at", "expires_at"):
        try:
            parse_canonical_timestamp(data[name])
        except ValueError as exc:
            return f"{name}: {exc}"
    return None


def form_name_check(data: dict[str, Any]) -> str | None:
    """R5b: a ``name_check`` block holds only what ``NameCheck.judge`` writes (escaped, capped texts)."""
    try:
        if "name_check" in data:
            NameCheck.from_dict(data["name_check"])
    except ValueError as exc:
        return str(exc)
    return None


def form_amount(data: dict[str, Any]) -> str | None:
    """R5."""
    value, currency = data["amount"]["value"], data["amount"]["currency"]
    if not _AMOUNT.fullmatch(value):
        return (f"amount.value {quoted(value, 40)} is not canonical digits (no sign, leading zero, "
                "fraction or exponent)")
    if currency != CURRENCY:
        return f"amount.currency {quoted(currency, 20)} is not {CURRENCY}"
    return None if data["version"] == 1 else charge_form_problem(data, CURRENCY)


def form_auth(data: dict[str, Any]) -> str | None:
    """R5c: ``auth`` names one of the authentication methods (``core.auth_policy.METHODS``)."""
    if "auth" in data and data["auth"] not in METHODS:
        return f"auth {quoted(data['auth'], 20)} is not {' or '.join(METHODS)}"
    return None


FORM_STEPS: tuple[Callable[[Any], str | None], ...] = (
    form_shape,
    form_type_and_version,
    form_identifiers,
    form_timestamps,
    form_amount,
    form_name_check,
    form_auth,
)


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


def payee_from_parsed(parsed: ParsedPayload) -> Payee:
    """The payee block of a request, derived from the QR alone (verifiers recompute it)."""
    account = parsed.account
    vietqr = parsed.scheme == "vietqr"
    return Payee(
        scheme=parsed.scheme,
        bank_bin=account.bank_bin,
        bank_name=account.bank_name,
        account=account.id if vietqr else None,
        merchant_id=None if vietqr else account.id,
        merchant_name=parsed.merchant.name,
        city=parsed.merchant.city,
        mcc=parsed.merchant.mcc,
    )


def bill_from_parsed(parsed: ParsedPayload) -> Bill:
    """The bill block of a request, derived from the QR alone."""
    bill = parsed.bill
    return Bill(
        customer_code=bill.evn_customer_code or bill.customer_label,
        bill_number=bill.bill_number,
        reference_label=bill.reference_label,
        purpose=bill.purpose,
    )


def build_request(
    parsed: ParsedPayload,
    choice: PaymentChoice,
    payer: PayerInfo | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    nonce: str | None = None,
    audience: str = EMBEDDED_AUDIENCE,
) -> PaymentRequest:
    """A payment request for a parsed QR and what the payer chose. Raises a ``RequestRefused``
    (``QrRefused``, ``AmountRefused``, ``InputRefused``) with a stable code when it cannot be made; the
    QR and the amount are judged by ``payability`` and the amount rules beside it (``resolve_amount``,
    ``Limits``), the ones every screen asks.

    ``audience`` names the acquirer the request is for (its ``aud``: the acquirer's id or base URL);
    an acquirer refuses requests addressed to another. ``request_id``/``idempotency_key`` must be
    canonical UUIDs when given; ``ttl_seconds`` at most ``MAX_TTL_SECONDS``."""
    refusal = payability(parsed, limits)
    if refusal is not None:
        raise refusal
    value = resolve_amount(parsed, choice.amount)  # the amount rules the amount screen asks, too
    charge = _charge(parsed, value, choice.tip)
    (limits or Limits()).check(charge.total)
    note = choice.note or ""
    blocked = name_check_refusal(choice.name_check, choice.pay_unknown_account)
    if blocked is not None:
        raise blocked
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
        qr=QrCode.of(parsed.raw),
        audience=audience,
        charge=charge,
        name_check=choice.name_check,
        auth=choice.auth,
    )


def _charge(parsed: ParsedPayload, amount: int, tip: int) -> Charge:
    try:
        return charge_of(parsed.fee, amount, tip)
    except FeeError:
        raise AmountRefused("bad-tip") from None


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
