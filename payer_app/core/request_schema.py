"""The one content schema of a signed payment request, applied by ``verify`` and by every acquirer
(both call ``payer_app.core.signing.verify_request``, which calls ``read_request_content`` once the
signature is good).

Rules R1-R5 are the form of the JSON, checked by its one reader, ``PaymentRequest.from_dict``
(``core/request.py``, steps ``FORM_STEPS``); the rest are checked here on the typed value it returns.
The checks are a flat run of small named steps, in order; each cites its rule and returns a
``Refusal`` (its code is the verification's reason, its texts the catalogue's, ``core/refusals.py``)
for the first problem, or None. Untrusted values appear in messages
only through ``display_text.quoted``. The stateful rule "nonce not seen before within the TTL" is not
here: it needs memory, so the acquirer applies it after this schema.

Rules (docs/security.md, "What a valid signed request proves"):

- R1 shape: exactly the fields ``build_request`` writes, at every level, each of its JSON type
  (no unknown fields, no missing ones; integers are not booleans; NaN cannot occur: strict JSON).
- R2 ``type`` is ``payment_request`` and ``version`` 2 (1, written before fees were carried, is
  still read: it has no ``fee`` and ``total``, and counts as no fee and a total equal to the amount).
- R3 ``aud`` is 1-200 printable ASCII characters; ``request_id`` and ``idempotency_key`` are
  canonical UUIDs; ``nonce`` is 16-64 base64url characters.
- R4 ``created_at``/``expires_at`` are canonical RFC 3339 UTC (``2026-01-31T08:00:00Z``).
- R5 ``amount.value`` is canonical decimal digits (no sign, no leading zero, no fraction or
  exponent, at most 15 digits) and ``amount.currency`` is ``VND``; so are ``fee.value``,
  ``total.value`` and ``total.currency``, and ``fee.kind`` is null, tip, fixed or percent.
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
- R16 the total (amount plus fee or tip) is within the limits.
- R17 the fee is the one the QR asks for, recomputed from the signed QR (``core.fees.fee_problem``:
  ``fee-mismatch``), and the total is the amount plus the fee (``total-mismatch``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payer_app.core.display_text import quoted
from payer_app.core.fees import fee_problem
from payer_app.core.payability import NOT_VND, Limits, locked_amount, qr_refusal
from payer_app.core.payload import MAX_INPUT_CHARS, ParsedPayload, parse_payload
from payer_app.core.refusals import AmountRefused, Refusal, RequestRefused, VerifyRefused
from payer_app.core.request import (
    CLOCK_SKEW_SECONDS,
    MAX_TTL_SECONDS,
    PaymentRequest,
    bill_from_parsed,
    note_problem,
    payee_from_parsed,
    payload_sha256,
)
from payer_app.core.timestamps import format_timestamp

CLOCK_SKEW = timedelta(seconds=CLOCK_SKEW_SECONDS)
MAX_LIFETIME = timedelta(seconds=MAX_TTL_SECONDS) + CLOCK_SKEW

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


def read_request_content(data: Any, context: Context) -> tuple[PaymentRequest | None, Refusal | None]:
    """``data`` read by ``PaymentRequest.from_dict`` (R1-R5), then the steps below: (the typed
    request, or None when its form is wrong; the first rule broken as a ``Refusal``, or None when it
    keeps them all)."""
    try:
        request = PaymentRequest.from_dict(data)
    except RequestRefused as exc:
        return None, exc
    for step in STEPS:
        problem = step(request, context)
        if problem is not None:
            return request, problem
    return request, None


def check_request_content(data: Any, context: Context) -> Refusal | None:
    """The first rule ``data`` breaks, as a ``Refusal``; None when it keeps them all."""
    return read_request_content(data, context)[1]


def _bad(detail: str) -> Refusal:
    return VerifyRefused("bad-content", detail=detail)


def step_note(request: PaymentRequest, _: Context) -> Refusal | None:
    """R6: the same rule ``build_request`` applies."""
    problem = note_problem(request.note)
    return VerifyRefused(problem.kind, reason="bad-content", **problem.values) if problem else None


def step_payer(request: PaymentRequest, context: Context) -> Refusal | None:
    """R7."""
    payer = request.payer
    if not _ACCOUNT.fullmatch(payer.account) or not _BANK_BIN.fullmatch(payer.bank_bin):
        return _bad(f"payer account {quoted(payer.account, 40)} at bank {quoted(payer.bank_bin, 20)} "
                    "is not 1-34 letters/digits at a 6-digit bank BIN")
    if payer.key_id != context.kid:
        return VerifyRefused("key-mismatch", named=quoted(payer.key_id, 60), kid=context.kid)
    return None


def step_qr_hash(request: PaymentRequest, _: Context) -> Refusal | None:
    """R8."""
    qr = request.qr
    if len(qr.payload) > MAX_INPUT_CHARS:
        return _bad(f"qr.payload is {len(qr.payload)} characters long ({MAX_INPUT_CHARS} at most)")
    if not _SHA256.fullmatch(qr.sha256) or payload_sha256(qr.payload) != qr.sha256:
        return VerifyRefused("qr-mismatch")
    return None


def step_audience(request: PaymentRequest, context: Context) -> Refusal | None:
    """R9."""
    if context.audience is not None and request.audience != context.audience:
        return VerifyRefused("wrong-audience", audience=quoted(request.audience, 80),
                             expected=quoted(context.audience, 80))
    return None


def step_key_lifetime(request: PaymentRequest, context: Context) -> Refusal | None:
    """R10."""
    retired = context.key_retired_at
    created = request.created_at
    if retired is not None and created > retired + CLOCK_SKEW:
        when, dated = retired.strftime("%Y-%m-%dT%H:%M:%SZ"), format_timestamp(created)
        return VerifyRefused("dated-after-retirement", kid=context.kid, when=when, dated=dated)
    return None


def step_lifetime(request: PaymentRequest, _: Context) -> Refusal | None:
    """R11."""
    created, expires = request.created_at, request.expires_at
    if expires <= created or expires - created > MAX_LIFETIME:
        return _bad(f"it is valid from {_text(created)} to {_text(expires)}; a request lives "
                    f"at most {MAX_TTL_SECONDS} seconds (plus {CLOCK_SKEW_SECONDS} of clock skew)")
    return None


def step_not_from_the_future(request: PaymentRequest, context: Context) -> Refusal | None:
    """R12."""
    created = request.created_at
    if created > context.now + CLOCK_SKEW:
        return VerifyRefused("not-yet-valid", created=_text(created), now=_text(context.now))
    return None


def step_not_expired(request: PaymentRequest, context: Context) -> Refusal | None:
    """R13."""
    created, expires = request.created_at, request.expires_at
    if context.now >= expires or context.now - created > MAX_LIFETIME:
        return VerifyRefused("expired", expires=_text(expires), now=_text(context.now))
    return None


def step_qr(request: PaymentRequest, context: Context) -> Refusal | None:
    """R14 and R15: the QR is parsed once, then each rule below is checked on it in turn."""
    parsed = parse_payload(request.qr.payload)
    for rule in QR_RULES:
        problem = rule(request, parsed)
        if problem is not None:
            return problem
    return None


def qr_payable(request: PaymentRequest, parsed: ParsedPayload) -> Refusal | None:
    """R14: the QR can be paid, by the rule ``build_request`` and the payee screen ask
    (``payability.qr_refusal``): a payment QR with no error finding, in VND. A QR that is not a
    payment QR or has a wrong checksum is ``invalid-qr`` here, the verifier's one code for both."""
    refusal = qr_refusal(parsed)
    if refusal is None:
        return None
    if refusal.code == NOT_VND:
        found = parsed.currency_alpha or parsed.currency or ""
        return VerifyRefused("request-not-vnd", currency=quoted(found, 10))
    detail, detail_vi = refusal.detail("en") or refusal.text("en"), refusal.detail("vi") or refusal.text("vi")
    return VerifyRefused("request-invalid-qr", detail=detail, detail_vi=detail_vi)


def qr_amount_agrees(request: PaymentRequest, parsed: ParsedPayload) -> Refusal | None:
    """R15: a dynamic QR's fixed amount is the amount paid."""
    amount = request.amount
    fixed = locked_amount(parsed)
    if fixed is not None and fixed != amount:
        return VerifyRefused("amount-mismatch", amount=amount, fixed=fixed)
    return None


def qr_payee_agrees(request: PaymentRequest, parsed: ParsedPayload) -> Refusal | None:
    """R15: the payee block is the one derived from the QR."""
    if request.payee != payee_from_parsed(parsed):
        return VerifyRefused("payee-mismatch")
    return None


def qr_bill_agrees(request: PaymentRequest, parsed: ParsedPayload) -> Refusal | None:
    """R15: the bill block is the one derived from the QR."""
    if request.bill != bill_from_parsed(parsed):
        return VerifyRefused("bill-mismatch")
    return None


def qr_fee_agrees(request: PaymentRequest, parsed: ParsedPayload) -> Refusal | None:
    """R17: the fee and the total the request states are the ones the QR's own fee rule makes."""
    cost = request.cost
    return fee_problem(parsed.fee, request.amount, cost.fee, cost.total, cost.kind)


QR_RULES: tuple[Callable[[PaymentRequest, ParsedPayload], Refusal | None], ...] = (
    qr_payable,
    qr_amount_agrees,
    qr_payee_agrees,
    qr_bill_agrees,
    qr_fee_agrees,
)


def step_limits(request: PaymentRequest, context: Context) -> Refusal | None:
    """R16."""
    try:
        context.limits.check(request.cost.total)
    except AmountRefused as exc:
        return exc
    return None


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


STEPS: tuple[Callable[[PaymentRequest, Context], Refusal | None], ...] = (
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
