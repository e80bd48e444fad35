"""QR codes that ask for a fee or a tip (EMVCo root IDs 55, 56, 57), for bills and corpora.

``with_fee(payload, rule)`` writes a ``FeeRule`` into a well-formed payload (55, then 56 or 57, just
before field 58, as EMVCo orders root IDs), CRC recomputed. ``fee_totals`` is what a printed bill
says about it. The corpus cases (good fee and tip QRs, and malformed combinations, each with the
finding the parser must report) are ``FEE_CASES``; ``payload_faults.FAULTS`` lists them.
"""

from __future__ import annotations

import random

from payer_app.core.amounts import group_thousands
from payer_app.core.builder import build_payload
from payer_app.core.fees import FIXED_FEE, PERCENT_FEE, TIP_PROMPT, FeeRule, fee_for
from payer_app.core.payload import parse_payload
from payer_app.core.payload_fields import Field

FEE_IDS = ("55", "56", "57")


class FeeQrError(ValueError):
    """The payload cannot carry the fee (it is not a well-formed payment payload)."""


def fee_fields(rule: FeeRule) -> list[tuple[str, str]]:
    """Root fields 55 and 56 or 57 for a rule, as builder items."""
    items = [("55", rule.indicator)]
    if rule.kind == FIXED_FEE:
        items.append(("56", str(rule.fixed)))
    elif rule.kind == PERCENT_FEE:
        items.append(("57", rule.percent_text or "0"))
    return items


def with_fields(payload: str, extra: list[tuple[str, str]]) -> str:
    """The payload with any 55/56/57 replaced by ``extra`` (written before 58, else before 59-62),
    the CRC recomputed. The payload must parse into a field tree."""
    parsed = parse_payload(payload)
    if not parsed.fields:
        raise FeeQrError("a fee goes into a payment payload")
    kept: list[Field] = [f for f in parsed.fields if f.id not in FEE_IDS and f.id != "63"]
    later = [i for i, f in enumerate(kept) if f.id >= "58"]
    at = later[0] if later else len(kept)
    items: list[Field | tuple[str, str]] = [*kept[:at], *extra, *kept[at:]]
    return build_payload(items)


def with_fee(payload: str, rule: FeeRule | None) -> str:
    """The payload asking for ``rule`` (unchanged when it is None)."""
    return payload if rule is None else with_fields(payload, fee_fields(rule))


def fee_totals(rule: FeeRule | None, amount: int | None) -> tuple[tuple[str, str], ...]:
    """The lines a bill prints for its QR's fee or tip (Vietnamese, as the bill is): the fee and,
    when the QR has an amount, the total paid by QR."""
    if rule is None:
        return ()
    if rule.kind == TIP_PROMPT:
        return (("Tiền tip (người trả tự chọn)", "khi quét mã"),)
    percent = (rule.percent_text or "0").replace(".", ",")
    label = "Phí tiện ích" if rule.kind == FIXED_FEE else f"Phí tiện ích {percent}%"
    if amount is None:
        value = group_thousands(rule.fixed or 0) if rule.kind == FIXED_FEE else "tính trên số tiền"
        return ((label, value),)
    fee = fee_for(rule, amount)
    return ((label, group_thousands(fee)), ("Tổng thanh toán qua QR", group_thousands(amount + fee)))


# --- corpus cases -------------------------------------------------------------------------------------

def _fixed(payload: str, rng: random.Random) -> str:
    return with_fee(payload, FeeRule(FIXED_FEE, fixed=rng.choice((1000, 3300, 5000, 50000))))


def _percent(payload: str, rng: random.Random) -> str:
    return with_fee(payload, FeeRule(PERCENT_FEE, hundredths=rng.choice((50, 100, 150, 220, 1000))))


def _tip(payload: str, rng: random.Random) -> str:
    return with_fee(payload, FeeRule(TIP_PROMPT))


def _both(payload: str, rng: random.Random) -> str:
    return with_fields(payload, [("55", rng.choice(("02", "03"))), ("56", "5000"), ("57", "1.5")])


def _no_indicator(payload: str, rng: random.Random) -> str:
    return with_fields(payload, [rng.choice((("56", "5000"), ("57", "2")))])


def _bad_percent(payload: str, rng: random.Random) -> str:
    return with_fields(payload, [("55", "03"), ("57", rng.choice(("101", "1.255", "2,5", "-1")))])


# (name, function, finding the parser must report or None, description)
FEE_CASES = (
    ("fee-fixed", _fixed, None, "a fixed convenience fee (55=02, 56)"),
    ("fee-percent", _percent, None, "a percentage convenience fee (55=03, 57)"),
    ("tip-prompt", _tip, None, "the payer is asked for a tip (55=01)"),
    ("fee-both", _both, "fee-both", "both a fixed (56) and a percentage (57) fee"),
    ("fee-no-indicator", _no_indicator, "fee-without-indicator", "a fee field (56 or 57) without 55"),
    ("fee-percent-bad", _bad_percent, "bad-fee-percent", "a percentage (57) outside 0-100 or with 3 decimals"),
)
