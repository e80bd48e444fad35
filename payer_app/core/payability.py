"""Can this QR be paid, and why not: the one answer every screen and command asks.

Two questions, asked at two moments of a payment:

* ``payability(parsed, limits)`` - right after the scan, before the payer types anything: is this a
  payment QR at all, is it intact (checksum, structure), is it in dong, and - for a dynamic QR whose
  amount is fixed - is that amount, with the fee the QR asks for, inside the limits. A dynamic QR
  over the limit is refused here, on the payee screen, not after the PIN.
* ``amount_problem(parsed, amount, limits)`` - while the payer types the amount: nothing entered yet,
  below the minimum, above the maximum.

Limits apply to what leaves the payer's account: the amount plus the fixed or percentage fee the QR
asks for, or the tip the payer chose where it asks for one (``core.fees.total_for``).

The amount rules (the locked amount of a dynamic QR, the limits and their defaults) live here too,
and ``build_request`` asks ``payability`` and ``amount_problem`` before it makes a request, so the
answer here is the answer a payment gets when it is signed. Each answer is a ``Refusal`` (see
``payer_app.core.refusals``), returned rather than raised, so a screen can keep it and show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from payer_app.core.fees import TIP_PROMPT, total_for
from payer_app.core.payload import VND_NUMERIC, ParsedPayload
from payer_app.core.refusals import AmountRefused, QrRefused, Refusal

# Refusal codes (stable; the texts are in ``payer_app.core.refusals.CATALOG``).
NOT_PAYMENT = "not-payment"
BAD_CRC = "bad-crc"
INVALID_QR = "invalid-qr"
NOT_VND = "not-vnd"
AMOUNT_REQUIRED = "amount-required"
BELOW_MINIMUM = "below-minimum"
ABOVE_MAXIMUM = "above-maximum"
BAD_AMOUNT = "bad-amount"

# Per-transaction limits in dong: the NAPAS 24/7 cap of under 500 million, and a floor. The settings
# file and the verify command start from these.
DEFAULT_MIN_AMOUNT = 1_000
DEFAULT_MAX_AMOUNT = 499_999_999


@dataclass(frozen=True)
class Limits:
    """Per-transaction amount limits in dong."""

    min_amount: int = DEFAULT_MIN_AMOUNT
    max_amount: int = DEFAULT_MAX_AMOUNT

    def __post_init__(self) -> None:
        if self.min_amount < 1 or self.max_amount < self.min_amount:
            raise ValueError(f"bad limits: minimum {self.min_amount}, maximum {self.max_amount}")

    def check(self, amount: int) -> None:
        """Raise AmountRefused when ``amount`` is outside the limits."""
        values = {"amount": amount, "min": self.min_amount, "max": self.max_amount}
        if amount < self.min_amount:
            raise AmountRefused(BELOW_MINIMUM, **values)
        if amount > self.max_amount:
            raise AmountRefused(ABOVE_MAXIMUM, **values)


def locked_amount(parsed: ParsedPayload) -> int | None:
    """The amount the payer may not change: a dynamic QR's own amount (None for static QRs)."""
    return parsed.amount if parsed.initiation == "dynamic" else None


def resolve_amount(parsed: ParsedPayload, amount: int | None) -> int:
    """The amount to pay, given what the payer entered (None when nothing was entered)."""
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise AmountRefused(BAD_AMOUNT, found=repr(amount))
    fixed = locked_amount(parsed)
    if fixed is not None:
        if amount is not None and amount != fixed:
            raise AmountRefused("amount-locked", fixed=fixed, amount=amount)
        return fixed
    if amount is None:
        if parsed.amount is not None:  # a static QR that suggests an amount
            return parsed.amount
        raise AmountRefused(AMOUNT_REQUIRED)
    return amount


def qr_refusal(parsed: ParsedPayload) -> QrRefused | None:
    """None when the QR itself can be paid (any amount aside); else the first reason it cannot.

    The one rule for the QR: ``payability`` asks it after a scan, ``build_request`` before a request
    is made, and the verifier of a signed request asks it of the QR the request carries."""
    codes = {f.code for f in parsed.errors}
    first = parsed.errors[0] if parsed.errors else None
    detail = {"detail": first.message, "detail_vi": first.message_vi} if first is not None else {}
    # EMVCo Book 1 §4.7: a text that is not a TLV payload with field 00 is not a payment QR at all.
    if not parsed.is_payment or "not-emvco" in codes or "empty" in codes:
        return QrRefused(NOT_PAYMENT, **detail)
    # EMVCo Book 1 §4.7.3 (field 63, CRC-16/CCITT-FALSE): a wrong checksum means damage or tampering.
    if "crc-mismatch" in codes:
        return QrRefused(BAD_CRC, **detail)
    if parsed.errors:
        return QrRefused(INVALID_QR, **detail)
    # Field 53 = 704 (ISO 4217 VND): only dong can be paid. Field 53 is mandatory, so a QR without
    # it was refused above as invalid.
    if parsed.currency != VND_NUMERIC:
        return QrRefused(NOT_VND, currency=parsed.currency_alpha or parsed.currency)
    return None


def payability(parsed: ParsedPayload, limits: Limits | None = None) -> Refusal | None:
    """None when the QR can go on to the amount step; else the first reason it cannot be paid."""
    refusal = qr_refusal(parsed)
    if refusal is not None:
        return refusal
    # Field 01 = 12 (dynamic): the amount is the QR's own and, with the fee the QR asks for (fields
    # 55-57; a tip is the payer's, checked when chosen), must already fit the limits.
    fixed = locked_amount(parsed)
    if fixed is not None:
        return _limit_refusal(total_for(parsed.fee, fixed), limits or Limits())
    return None


def amount_problem(parsed: ParsedPayload, amount: int | None, limits: Limits | None = None,
                   tip: int = 0) -> Refusal | None:
    """None when ``amount`` (what the payer entered; None for nothing), with the fee the QR asks for
    or the tip chosen where it asks for one, can be paid for this QR."""
    if amount == 0:
        amount = None  # an empty field and "0" are the same to the payer
    try:
        value = resolve_amount(parsed, amount)
    except AmountRefused as exc:
        return exc
    tip = tip if parsed.fee is not None and parsed.fee.kind == TIP_PROMPT else 0
    return _limit_refusal(total_for(parsed.fee, value, tip), limits or Limits())


def _limit_refusal(value: int, limits: Limits) -> AmountRefused | None:
    try:
        limits.check(value)
    except AmountRefused as exc:
        return exc
    return None
