"""Can this QR be paid, and why not: the one answer every screen and command asks.

Two questions, asked at two moments of a payment:

* ``payability(parsed, limits)`` - right after the scan, before the payer types anything: is this a
  payment QR at all, is it intact (checksum, structure), is it in dong, and - for a dynamic QR whose
  amount is fixed - is that amount, with the fee the QR asks for, inside the limits. A dynamic QR
  over the limit is refused here, on the payee screen, not after the PIN.
* ``amount_problem(parsed, amount, limits)`` - while the payer types the amount: nothing entered yet,
  below the minimum, above the maximum.

Limits apply to what leaves the payer's account: the amount plus the fixed or percentage fee the QR
asks for (``core.fees.total_for``). The amount rules themselves (the locked amount of a dynamic QR,
the limits) live in ``payer_app.core.request`` (``locked_amount``, ``resolve_amount``, ``Limits``);
this module only calls them. ``build_request`` checks the limits on the amount alone: the signed
request does not carry the fee yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from payer_app.core.fees import total_for
from payer_app.core.payload import VND_NUMERIC, ParsedPayload
from payer_app.core.request import Limits, RequestError, locked_amount, resolve_amount

# Problem codes (stable; GUIs translate them, QA scripts match on them).
NOT_PAYMENT = "not-payment"
BAD_CRC = "bad-crc"
INVALID_QR = "invalid-qr"
NOT_VND = "not-vnd"
AMOUNT_REQUIRED = "amount-required"
BELOW_MINIMUM = "below-minimum"
ABOVE_MAXIMUM = "above-maximum"
BAD_AMOUNT = "bad-amount"


@dataclass(frozen=True)
class Problem:
    """Why a QR (or an amount for it) cannot be paid.

    ``code`` is one of the constants above; ``values`` holds what a translated text needs
    (``amount``, ``min``, ``max`` in dong); ``message`` / ``message_vi`` are ready-made texts.
    """

    code: str
    message: str
    message_vi: str
    values: dict[str, int] = field(default_factory=dict)
    detail: str | None = None  # the first finding's message, for an invalid QR
    detail_vi: str | None = None


def payability(parsed: ParsedPayload, limits: Limits | None = None) -> Problem | None:
    """None when the QR can go on to the amount step; else the first reason it cannot be paid."""
    limits = limits or Limits()
    codes = {f.code for f in parsed.errors}
    first = parsed.errors[0] if parsed.errors else None
    detail = (first.message, first.message_vi) if first is not None else (None, None)
    # EMVCo Book 1 §4.7: a text that is not a TLV payload with field 00 is not a payment QR at all.
    if not parsed.is_payment or "not-emvco" in codes or "empty" in codes:
        return Problem(NOT_PAYMENT, "This QR is not a payment QR.", "Đây không phải mã QR thanh toán.",
                       detail=detail[0], detail_vi=detail[1])
    # EMVCo Book 1 §4.7.3 (field 63, CRC-16/CCITT-FALSE): a wrong checksum means damage or tampering.
    if "crc-mismatch" in codes:
        return Problem(BAD_CRC, "The checksum is wrong: the code may be damaged or tampered with.",
                       "Mã kiểm tra sai: mã QR có thể bị hỏng hoặc bị sửa đổi.",
                       detail=detail[0], detail_vi=detail[1])
    if parsed.errors:
        return Problem(INVALID_QR, "The payment QR is not valid.", "Mã QR thanh toán không hợp lệ.",
                       detail=detail[0], detail_vi=detail[1])
    # Field 53 = 704 (ISO 4217 VND): only dong can be paid.
    if parsed.currency not in (None, VND_NUMERIC):
        return Problem(NOT_VND, "The QR is not in Vietnamese dong.", "Mã QR không dùng đồng Việt Nam.")
    # Field 01 = 12 (dynamic): the amount is the QR's own and, with the fee the QR asks for (fields
    # 55-57; a tip is the payer's, checked when chosen), must already fit the limits.
    fixed = locked_amount(parsed)
    if fixed is not None:
        return _limit_problem(total_for(parsed.fee, fixed), limits)
    return None


def amount_problem(parsed: ParsedPayload, amount: int | None, limits: Limits | None = None) -> Problem | None:
    """None when ``amount`` (what the payer entered; None for nothing) can be paid for this QR."""
    limits = limits or Limits()
    if amount == 0:
        amount = None  # an empty field and "0" are the same to the payer
    try:
        value = resolve_amount(parsed, amount)
    except RequestError as exc:
        if exc.code == "amount-required":
            return Problem(AMOUNT_REQUIRED, "Please enter an amount.", "Vui lòng nhập số tiền.")
        return Problem(exc.code, exc.message, exc.message_vi)
    return _limit_problem(total_for(parsed.fee, value), limits)


def _limit_problem(value: int, limits: Limits) -> Problem | None:
    try:
        limits.check(value)
    except RequestError as exc:
        return Problem(exc.code, exc.message, exc.message_vi,
                       values={"amount": value, "min": limits.min_amount, "max": limits.max_amount})
    return None
