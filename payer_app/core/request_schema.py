"""The one content schema of a signed payment request, applied by ``verify`` and by every acquirer
(both call ``payer_app.core.signing.verify_request``, which calls ``check_request_content`` once the
signature is good).

The checks are a flat run of small named steps, in order; each cites its rule and returns
``(reason, message, message_vi)`` for the first problem, or None. Untrusted values appear in messages
only through ``display_text.quoted``. The stateful rule "nonce not seen before within the TTL" is not
here: it needs memory, so the acquirer applies it after this schema.

Rules (docs/security.md, "What a valid signed request proves"):

- R1 shape: exactly the fields ``build_request`` writes, at every level, each of its JSON type
  (no unknown fields, no missing ones; integers are not booleans; NaN cannot occur: strict JSON).
- R2 ``type`` is ``payment_request`` and ``version`` 1.
- R3 ``aud`` is 1-200 printable ASCII characters; ``request_id`` and ``idempotency_key`` are
  canonical UUIDs; ``nonce`` is 16-64 base64url characters.
- R4 ``created_at``/``expires_at`` are canonical RFC 3339 UTC (``2026-01-31T08:00:00Z``).
- R5 ``amount.value`` is canonical decimal digits (no sign, no leading zero, no fraction or
  exponent, at most 15 digits) and ``amount.currency`` is ``VND``.
- R6 ``note``: at most 140 characters, no control/bidi/zero-width characters (``request.note_problem``).
- R7 ``payer``: ``account`` 1-34 letters/digits, ``bank_bin`` 6 digits, ``key_id`` the signing kid.
- R8 ``qr.payload`` at most 7,089 characters and ``qr.sha256`` its lower-case SHA-256.
- R9 ``aud`` equals the verifier's audience, when it names one.
- R10 the key was not retired before the request was created (plus clock skew).
- R11 lifetime: created before it expires, at most ``MAX_TTL_SECONDS`` + skew.
- R12 not from the future (``created_at`` <= now + skew), R13 not expired (now < ``expires_at``
  and ``created_at`` not older than ``MAX_TTL_SECONDS`` + skew).
- R14 the QR is a valid payment QR whose field 53 is 704 (VND).
- R15 a dynamic QR's amount, the payee and the bill agree with the QR.
- R16 the amount is within the limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payer_app.core.amounts import format_vnd
from payer_app.core.display_text import quoted
from payer_app.core.payability import NOT_VND, locked_amount, qr_refusal
from payer_app.core.payload import MAX_INPUT_CHARS, ParsedPayload, parse_payload
from payer_app.core.refusals import AmountRefused
from payer_app.core.request import (
    CLOCK_SKEW_SECONDS,
    CURRENCY,
    MAX_TTL_SECONDS,
    REQUEST_TYPE,
    REQUEST_VERSION,
    Limits,
    audience_problem,
    bill_from_parsed,
    is_canonical_uuid,
    is_good_nonce,
    note_problem,
    payee_from_parsed,
    payload_sha256,
)
from payer_app.core.timestamps import parse_canonical_timestamp

Problem = tuple[str, str, str]
CLOCK_SKEW = timedelta(seconds=CLOCK_SKEW_SECONDS)
MAX_LIFETIME = timedelta(seconds=MAX_TTL_SECONDS) + CLOCK_SKEW

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
    "payee": {k: _TEXT_OR_NULL for k in
              ("scheme", "bank_bin", "bank_name", "account", "merchant_id", "merchant_name", "city", "mcc")},
    "bill": {k: _TEXT_OR_NULL for k in ("customer_code", "bill_number", "reference_label", "purpose")},
    "amount": {"value": _TEXT, "currency": _TEXT},
    "note": _TEXT,
    "qr": {"payload": _TEXT, "sha256": _TEXT},
}
_AMOUNT = re.compile(r"0|[1-9][0-9]{0,14}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]{1,34}")
_BANK_BIN = re.compile(r"[0-9]{6}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Context:
    """What the content is checked against: the signing kid, the verifier's clock and settings."""

    kid: str
    now: datetime
    limits: Limits
    audience: str | None = None
    key_retired_at: datetime | None = None


def check_request_content(request: Any, context: Context) -> Problem | None:
    """The first rule ``request`` breaks, as (reason, message, message_vi); None when it keeps them all."""
    for step in STEPS:
        problem = step(request, context)
        if problem is not None:
            return problem
    return None


def _bad(detail: str, detail_vi: str | None = None) -> Problem:
    return ("bad-content", f"The signed request is not well formed: {detail}.",
            f"Yêu cầu đã ký sai cấu trúc: {detail_vi or detail}.")


# --- R1 shape -----------------------------------------------------------------------------------
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
            return f"{path} is missing"
        if isinstance(expected, dict):
            inner = shape_problem(value[key], expected, path)
            if inner:
                return inner
        elif not isinstance(value[key], expected) or isinstance(value[key], bool):
            return f"{path} has the wrong type"
    return None


def step_shape(request: Any, _: Context) -> Problem | None:
    """R1 (after it, every field below is there and of its type)."""
    problem = shape_problem(request, SHAPE)
    return _bad(problem) if problem else None


def step_type_and_version(request: dict, _: Context) -> Problem | None:
    """R2."""
    if request["type"] != REQUEST_TYPE or request["version"] != REQUEST_VERSION:
        return _bad(f"type/version {quoted(request['type'], 40)}/{request['version']!r} is not "
                    f"{REQUEST_TYPE}/{REQUEST_VERSION}")
    return None


def step_identifiers(request: dict, _: Context) -> Problem | None:
    """R3."""
    problem = audience_problem(request["aud"])
    if problem:
        return _bad(problem)
    for name in ("request_id", "idempotency_key"):
        if not is_canonical_uuid(request[name]):
            return _bad(f"{name} {quoted(request[name], 60)} is not a canonical UUID")
    if not is_good_nonce(request["nonce"]):
        return _bad(f"nonce {quoted(request['nonce'], 60)} is not 16-64 base64url characters")
    return None


def step_timestamps(request: dict, _: Context) -> Problem | None:
    """R4."""
    for name in ("created_at", "expires_at"):
        try:
            parse_canonical_timestamp(request[name])
        except ValueError as exc:
            return _bad(f"{name}: {exc}")
    return None


def step_amount_form(request: dict, _: Context) -> Problem | None:
    """R5."""
    value, currency = request["amount"]["value"], request["amount"]["currency"]
    if not _AMOUNT.fullmatch(value):
        return _bad(f"amount.value {quoted(value, 40)} is not canonical digits (no sign, leading zero, "
                    "fraction or exponent)")
    if currency != CURRENCY:
        return _bad(f"amount.currency {quoted(currency, 20)} is not {CURRENCY}")
    return None


def step_note(request: dict, _: Context) -> Problem | None:
    """R6: the same rule ``build_request`` applies."""
    problem = note_problem(request["note"])
    return ("bad-content", problem.text("en"), problem.text("vi")) if problem else None


def step_payer(request: dict, context: Context) -> Problem | None:
    """R7."""
    payer = request["payer"]
    if not _ACCOUNT.fullmatch(payer["account"]) or not _BANK_BIN.fullmatch(payer["bank_bin"]):
        return _bad(f"payer account {quoted(payer['account'], 40)} at bank {quoted(payer['bank_bin'], 20)} "
                    "is not 1-34 letters/digits at a 6-digit bank BIN")
    if payer["key_id"] != context.kid:
        return (
            "key-mismatch",
            f"The request names payer key {quoted(payer['key_id'], 60)} but was signed with {context.kid}.",
            f"Yêu cầu ghi khóa {quoted(payer['key_id'], 60)} nhưng được ký bằng khóa {context.kid}.",
        )
    return None


def step_qr_hash(request: dict, _: Context) -> Problem | None:
    """R8."""
    qr = request["qr"]
    if len(qr["payload"]) > MAX_INPUT_CHARS:
        return _bad(f"qr.payload is {len(qr['payload'])} characters long ({MAX_INPUT_CHARS} at most)")
    if not _SHA256.fullmatch(qr["sha256"]) or payload_sha256(qr["payload"]) != qr["sha256"]:
        return ("qr-mismatch", "qr.sha256 is not the SHA-256 of qr.payload.",
                "qr.sha256 không phải SHA-256 của qr.payload.")
    return None


def step_audience(request: dict, context: Context) -> Problem | None:
    """R9."""
    if context.audience is not None and request["aud"] != context.audience:
        return (
            "wrong-audience",
            f"The request is addressed to {quoted(request['aud'], 80)}, not to {quoted(context.audience, 80)}.",
            f"Yêu cầu gửi cho {quoted(request['aud'], 80)}, không phải {quoted(context.audience, 80)}.",
        )
    return None


def step_key_lifetime(request: dict, context: Context) -> Problem | None:
    """R10."""
    retired = context.key_retired_at
    created = parse_canonical_timestamp(request["created_at"])
    if retired is not None and created > retired + CLOCK_SKEW:
        when = retired.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            "key-retired",
            f"Key {context.kid} was retired at {when}; the request is dated {request['created_at']}, after that.",
            f"Khóa {context.kid} đã ngừng dùng lúc {when}; yêu cầu ghi ngày {request['created_at']}, sau thời điểm đó.",
        )
    return None


def step_lifetime(request: dict, _: Context) -> Problem | None:
    """R11."""
    created = parse_canonical_timestamp(request["created_at"])
    expires = parse_canonical_timestamp(request["expires_at"])
    if expires <= created or expires - created > MAX_LIFETIME:
        return _bad(f"it is valid from {request['created_at']} to {request['expires_at']}; a request lives "
                    f"at most {MAX_TTL_SECONDS} seconds (plus {CLOCK_SKEW_SECONDS} of clock skew)")
    return None


def step_not_from_the_future(request: dict, context: Context) -> Problem | None:
    """R12."""
    created = parse_canonical_timestamp(request["created_at"])
    if created > context.now + CLOCK_SKEW:
        return (
            "not-yet-valid",
            f"The request is dated {request['created_at']}, in the future (now {_text(context.now)}).",
            f"Yêu cầu ghi ngày {request['created_at']}, ở tương lai (bây giờ {_text(context.now)}).",
        )
    return None


def step_not_expired(request: dict, context: Context) -> Problem | None:
    """R13."""
    created = parse_canonical_timestamp(request["created_at"])
    expires = parse_canonical_timestamp(request["expires_at"])
    if context.now >= expires or context.now - created > MAX_LIFETIME:
        return (
            "expired",
            f"The request expired at {request['expires_at']} (now {_text(context.now)}).",
            f"Yêu cầu đã hết hạn lúc {request['expires_at']} (bây giờ {_text(context.now)}).",
        )
    return None


def step_qr(request: dict, context: Context) -> Problem | None:
    """R14 and R15: the QR is parsed once, then each rule below is checked on it in turn."""
    parsed = parse_payload(request["qr"]["payload"])
    for rule in QR_RULES:
        problem = rule(request, parsed)
        if problem is not None:
            return problem
    return None


def qr_payable(request: dict, parsed: ParsedPayload) -> Problem | None:
    """R14: the QR can be paid, by the rule ``build_request`` and the payee screen ask
    (``payability.qr_refusal``): a payment QR with no error finding, in VND. A QR that is not a
    payment QR or has a wrong checksum is ``invalid-qr`` here, the verifier's one code for both."""
    refusal = qr_refusal(parsed)
    if refusal is None:
        return None
    if refusal.code == NOT_VND:
        found = parsed.currency_alpha or parsed.currency or ""
        return (
            "not-vnd",
            f"The QR in the request asks for currency {quoted(found, 10)} (field 53); only VND (704) is paid.",
            f"Mã QR trong yêu cầu dùng tiền tệ {quoted(found, 10)} (trường 53); chỉ thanh toán VND (704).",
        )
    detail, detail_vi = refusal.detail("en") or refusal.text("en"), refusal.detail("vi") or refusal.text("vi")
    return (
        "invalid-qr",
        f"The QR payload in the request is not valid: {detail}",
        f"Mã QR trong yêu cầu không hợp lệ: {detail_vi}",
    )


def qr_amount_agrees(request: dict, parsed: ParsedPayload) -> Problem | None:
    """R15: a dynamic QR's fixed amount is the amount paid."""
    amount = int(request["amount"]["value"])
    fixed = locked_amount(parsed)
    if fixed is not None and fixed != amount:
        return (
            "amount-mismatch",
            f"The request pays {format_vnd(amount)} but the dynamic QR fixes {format_vnd(fixed)}.",
            f"Yêu cầu trả {format_vnd(amount)} nhưng mã QR động cố định {format_vnd(fixed)}.",
        )
    return None


def qr_payee_agrees(request: dict, parsed: ParsedPayload) -> Problem | None:
    """R15: the payee block is the one derived from the QR."""
    if request["payee"] != payee_from_parsed(parsed):
        return ("payee-mismatch", "The payee in the request is not the one in its QR payload.",
                "Người nhận trong yêu cầu khác với người nhận trong mã QR.")
    return None


def qr_bill_agrees(request: dict, parsed: ParsedPayload) -> Problem | None:
    """R15: the bill block is the one derived from the QR."""
    if request["bill"] != bill_from_parsed(parsed):
        return ("bill-mismatch", "The bill details in the request are not the ones in its QR payload.",
                "Thông tin hóa đơn trong yêu cầu khác với trong mã QR.")
    return None


QR_RULES: tuple[Callable[[dict, ParsedPayload], Problem | None], ...] = (
    qr_payable,
    qr_amount_agrees,
    qr_payee_agrees,
    qr_bill_agrees,
)


def step_limits(request: dict, context: Context) -> Problem | None:
    """R16."""
    try:
        context.limits.check(int(request["amount"]["value"]))
    except AmountRefused as exc:
        return exc.code, exc.text("en"), exc.text("vi")
    return None


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


STEPS: tuple[Callable[[Any, Context], Problem | None], ...] = (
    step_shape,
    step_type_and_version,
    step_identifiers,
    step_timestamps,
    step_amount_form,
    step_note,
    step_payer,
    step_qr_hash,
    step_audience,
    step_key_lifetime,
    step_lifetime,
    step_not_from_the_future,
    step_not_expired,
    step_qr,
    step_limits,
)
