"""What a payment costs the payer, as the signed request carries it: the fee or tip on top of the
amount, and the total that leaves the payer's account.

In the signed JSON (request version 2) it is two blocks beside ``amount``::

    "fee":   {"kind": "fixed", "value": "50000"},      kind: null, "tip", "fixed" or "percent"
    "total": {"value": "150000", "currency": "VND"}

A version 1 request (written before fees were carried) has neither; it is read as no fee and a total
equal to its amount, so its fee rule is still checked against its QR. ``charge_of(rule, amount, tip)``
is the one place a request's charge is made (``core.fees`` computes it); the acquirer recomputes it
from the signed QR with ``core.fees.fee_problem``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from payer_app.core.amounts import format_vnd, group_thousands
from payer_app.core.display_text import quoted
from payer_app.core.fees import FIXED_FEE, PERCENT_FEE, TIP_PROMPT, FeeRule, fee_for

FEE_KINDS = (None, TIP_PROMPT, FIXED_FEE, PERCENT_FEE)
_DIGITS = re.compile(r"0|[1-9][0-9]{0,14}")  # the form of every amount in the signed JSON (R5)

FEE_SHAPE: dict[str, Any] = {"kind": (str, type(None)), "value": (str,)}
TOTAL_SHAPE: dict[str, Any] = {"value": (str,), "currency": (str,)}


@dataclass(frozen=True)
class Charge:
    """``fee`` dong of kind ``kind`` (None: the QR asks for nothing) on top of the amount, and the
    ``total`` the request states (``amount + fee`` for every request the payer app makes)."""

    kind: str | None
    fee: int
    total: int

    @property
    def is_tip(self) -> bool:
        return self.kind == TIP_PROMPT

    def fee_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": str(self.fee)}

    def total_dict(self, currency: str) -> dict[str, str]:
        return {"value": str(self.total), "currency": currency}


def charge_of(rule: FeeRule | None, amount: int, tip: int = 0) -> Charge:
    """The charge for ``amount`` under the QR's fee rule and the payer's tip (FeeError for a tip the
    QR does not ask for, or a negative one)."""
    fee = fee_for(rule, amount, tip)
    return Charge(None if rule is None else rule.kind, fee, amount + fee)


def no_charge(amount: int) -> Charge:
    """A version 1 request: no fee, the total is the amount."""
    return Charge(None, 0, amount)


def charge_form_problem(data: dict[str, Any], currency: str) -> str | None:
    """The form of the ``fee`` and ``total`` blocks (their shape is checked before): a known kind,
    canonical digits, the request's currency."""
    kind, fee, total = data["fee"]["kind"], data["fee"]["value"], data["total"]["value"]
    if kind not in FEE_KINDS:
        return f"fee.kind {quoted(kind, 20)} is not one of tip, fixed, percent or null"
    for name, value in (("fee.value", fee), ("total.value", total)):
        if not _DIGITS.fullmatch(value):
            return f"{name} {quoted(value, 40)} is not canonical digits (no sign, leading zero, fraction or exponent)"
    if data["total"]["currency"] != currency:
        return f"total.currency {quoted(data['total']['currency'], 20)} is not {currency}"
    return None


def charge_from_dict(data: dict[str, Any]) -> Charge:
    """The charge of a well-formed request (``charge_form_problem`` found nothing)."""
    return Charge(data["fee"]["kind"], int(data["fee"]["value"]), int(data["total"]["value"]))


def cost_line(amount: int, charge: Charge | None) -> str:
    """How a payment's cost is shown: ``100.000 ₫``, or with a fee or tip ``100.000 + 50.000 = 150.000 ₫``
    (the values the request states)."""
    if charge is None or (charge.fee == 0 and charge.total == amount):
        return format_vnd(amount)
    return f"{group_thousands(amount)} + {group_thousands(charge.fee)} = {format_vnd(charge.total)}"
