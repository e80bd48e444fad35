"""Fees and tips a payment QR asks for (EMVCo root IDs 55, 56, 57), and what they cost.

* 55 = ``01``: the payer is asked for a tip (the payer decides how much);
* 55 = ``02``: a fixed convenience fee, in dong, in field 56;
* 55 = ``03``: a convenience fee of a percentage of the amount, in field 57 (0 to 100, at most two
  decimals, e.g. ``1.5``).

``read_fees(by_id)`` reads the three fields of a payload (root fields by id) into a ``FeeRule`` and
the problems found on the way; the parser turns each problem into a finding and keeps the rule only
when there is none (an ambiguous fee is never guessed). ``fee_for`` and ``total_for`` are the one
place a fee and a total are computed: the payer's screens, the signed request and the acquirer's
check all call them, so they agree to the dong.

Rounding: VND has no minor unit, so a percentage fee is rounded to a whole dong, half up
(``amount * percent / 100``; .5 dong and above rounds up). The sum is done in integers (the
percentage is held in hundredths of a percent), never in floating point, so the payer app and the
acquirer get the same dong on every machine, and a payer checking with pen and paper gets it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from payer_app.core.amounts import AmountError, format_vnd, parse_field_amount
from payer_app.core.payload_fields import Field
from payer_app.core.refusals import FEE_KIND_NAMES, UNKNOWN_FEE_KIND, VerifyRefused

TIP_PROMPT = "tip"  # 55 = 01
FIXED_FEE = "fixed"  # 55 = 02, fee in 56
PERCENT_FEE = "percent"  # 55 = 03, percentage in 57
INDICATORS = {"01": TIP_PROMPT, "02": FIXED_FEE, "03": PERCENT_FEE}
INDICATOR_OF = {kind: code for code, kind in INDICATORS.items()}
MAX_PERCENT_HUNDREDTHS = 100_00  # 100 %
TIP_CHIPS_PERCENT = (0, 5, 10, 15)  # what the payer is offered for 55 = 01

_PERCENT = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?")


class FeeError(ValueError):
    """A tip that cannot be paid with this rule (negative, or a tip where none is asked for)."""


@dataclass(frozen=True)
class FeeRule:
    """What the QR asks for: a tip prompt, a fixed fee (``fixed`` dong) or a percentage fee
    (``hundredths`` of a percent: 1.5 % is 150)."""

    kind: str
    fixed: int | None = None
    hundredths: int | None = None

    @property
    def indicator(self) -> str:
        return INDICATOR_OF[self.kind]

    @property
    def percent_text(self) -> str | None:
        """The percentage as people write it: ``"1.5"``, ``"3"``, ``"0.25"``."""
        if self.hundredths is None:
            return None
        whole, part = divmod(self.hundredths, 100)
        return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)

    def to_dict(self, amount: int | None = None) -> dict[str, Any]:
        """The rule as ``parse --json`` prints it; with the QR's ``amount``, the fee and the total it
        makes (None for a tip, which the payer chooses, and for a QR without an amount)."""
        fee = None if amount is None or self.kind == TIP_PROMPT else fee_for(self, amount)
        return {
            "kind": self.kind,
            "indicator": self.indicator,
            "fixed": None if self.fixed is None else str(self.fixed),
            "percent": self.percent_text,
            "fee": None if fee is None else str(fee),
            "total": None if fee is None or amount is None else str(amount + fee),
        }

    def describe(self) -> str:
        """One line in English: ``fixed convenience fee of 50.000 ₫ (55=02)``."""
        if self.kind == TIP_PROMPT:
            return "the payer is asked for a tip (55=01)"
        if self.kind == FIXED_FEE:
            return f"fixed convenience fee of {format_vnd(self.fixed or 0)} (55=02, 56)"
        return f"convenience fee of {self.percent_text}% of the amount, rounded half up to a dong (55=03, 57)"


@dataclass(frozen=True)
class FeeProblem:
    """A malformed combination of 55 / 56 / 57: a finding ``code`` at ``path``, with its details."""

    code: str
    path: str
    offset: int
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeeReading:
    rule: FeeRule | None
    problems: tuple[FeeProblem, ...]


def parse_percent(text: str) -> int | None:
    """Field 57 in hundredths of a percent (``"1.5"`` -> 150), or None when it is not 0 to 100 with
    at most two decimals."""
    m = _PERCENT.fullmatch(text) if text.isascii() else None
    if m is None:
        return None
    value = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    return value if value <= MAX_PERCENT_HUNDREDTHS else None


def read_fees(by_id: dict[str, Field]) -> FeeReading:
    """The fee rule of a payload's root fields (``{id: Field}``), and every problem with it."""
    indicator, fixed, percent = by_id.get("55"), by_id.get("56"), by_id.get("57")
    problems: list[FeeProblem] = []
    present = [f for f in (fixed, percent) if f is not None]
    if indicator is None:
        problems += [FeeProblem("fee-without-indicator", f.path, f.offset, {"found": f.value}) for f in present]
        return FeeReading(None, tuple(problems))
    kind = INDICATORS.get(indicator.value)
    if kind is None:
        problems.append(_bad_tip(indicator, "it must be 01, 02 or 03", "phải là 01, 02 hoặc 03"))
        return FeeReading(None, tuple(problems))
    if fixed is not None and percent is not None:
        problems.append(FeeProblem("fee-both", "56", fixed.offset, {"found": indicator.value}))
        return FeeReading(None, tuple(problems))
    if fixed is not None and kind != FIXED_FEE:
        problems.append(FeeProblem("fee-fixed-unexpected", "56", fixed.offset, {"found": indicator.value}))
    if percent is not None and kind != PERCENT_FEE:
        problems.append(FeeProblem("fee-percent-unexpected", "57", percent.offset, {"found": indicator.value}))
    rule = _rule_of(kind, indicator, fixed, percent, problems)
    return FeeReading(None if problems else rule, tuple(problems))


def _rule_of(kind: str, indicator: Field, fixed: Field | None, percent: Field | None,
             problems: list[FeeProblem]) -> FeeRule | None:
    if kind == TIP_PROMPT:
        return FeeRule(TIP_PROMPT)
    if kind == FIXED_FEE:
        if fixed is None:
            problems.append(_bad_tip(indicator, "02 needs the fixed fee in field 56", "02 cần phí cố định ở trường 56"))
            return None
        try:
            dong, _ = parse_field_amount(fixed.value)
        except AmountError as exc:
            problems.append(FeeProblem("bad-fee-fixed", "56", fixed.offset,
                                       {"found": fixed.value, "detail": exc.detail, "detail_vi": exc.detail_vi}))
            return None
        return FeeRule(FIXED_FEE, fixed=dong)
    if percent is None:
        problems.append(_bad_tip(indicator, "03 needs the percentage in field 57",
                                 "03 cần tỷ lệ phần trăm ở trường 57"))
        return None
    hundredths = parse_percent(percent.value)
    if hundredths is None:
        problems.append(FeeProblem("bad-fee-percent", "57", percent.offset, {"found": percent.value}))
        return None
    return FeeRule(PERCENT_FEE, hundredths=hundredths)


def _bad_tip(indicator: Field, detail: str, detail_vi: str) -> FeeProblem:
    return FeeProblem("bad-tip", "55", indicator.offset,
                      {"found": indicator.value, "detail": detail, "detail_vi": detail_vi})


def percent_of(amount: int, hundredths: int) -> int:
    """``amount * hundredths / 10000`` rounded to a whole dong, half up (integers only)."""
    if amount < 0 or hundredths < 0:
        raise FeeError("an amount and a percentage cannot be negative")
    return (amount * hundredths + 5_000) // 10_000


def fee_for(rule: FeeRule | None, amount: int, tip: int = 0) -> int:
    """What is paid on top of ``amount``: the fixed fee, the percentage of the amount, or the tip the
    payer chose (only a tip prompt takes one; it is 0 when none is asked for)."""
    if tip < 0:
        raise FeeError("a tip cannot be negative")
    if tip and (rule is None or rule.kind != TIP_PROMPT):
        raise FeeError("this QR does not ask for a tip")
    if rule is None:
        return 0
    if rule.kind == FIXED_FEE:
        return rule.fixed or 0
    if rule.kind == PERCENT_FEE:
        return percent_of(amount, rule.hundredths or 0)
    return tip


def total_for(rule: FeeRule | None, amount: int, tip: int = 0) -> int:
    """The amount plus its fee or tip: what leaves the payer's account."""
    return amount + fee_for(rule, amount, tip)


# --- the acquirer's check: the fee and total a request states against the signed QR ----------------
FEE_MISMATCH = "fee-mismatch"
TOTAL_MISMATCH = "total-mismatch"


def fee_problem(rule: FeeRule | None, amount: int, fee: int, total: int,
                kind: str | None = None) -> VerifyRefused | None:
    """Recompute the fee from the QR's own rule (``rule``: ``parse_payload(signed_qr).fee``) and check
    what a request states: the refusal for the first disagreement, else None.

    ``fee-mismatch``: the fee (or its kind) is not what the QR asks for on ``amount`` (a fixed or
    percentage fee recomputed to the dong; any tip of zero or more where the QR asks for one; zero
    where it asks for nothing). ``total-mismatch``: the total is not amount + fee. A fee removed or
    changed after the QR was read is refused here, whatever the signature says."""
    expected_kind = None if rule is None else rule.kind
    if kind != expected_kind:
        stated, stated_vi = _kind_names(kind)
        expected_name, expected_name_vi = _kind_names(expected_kind)
        return VerifyRefused("fee-kind-mismatch", stated=stated, stated_vi=stated_vi, expected=expected_name,
                             expected_vi=expected_name_vi)
    if rule is not None and rule.kind == TIP_PROMPT:
        expected = fee if fee >= 0 else None
    else:
        expected = fee_for(rule, amount)
    if expected is None:
        return VerifyRefused("fee-negative-tip", fee=_vnd(fee))
    if fee != expected:
        return VerifyRefused("fee-value-mismatch", fee=_vnd(fee), expected=format_vnd(expected), amount=amount)
    if total != amount + fee:
        return VerifyRefused(TOTAL_MISMATCH, total=_vnd(total), amount=amount, fee_paid=format_vnd(fee),
                             sum=format_vnd(amount + fee))
    return None


def _vnd(value: int) -> str:
    return format_vnd(value) if value >= 0 else f"-{format_vnd(-value)}"


def _kind_names(kind: object) -> tuple[str, str]:
    """How a fee kind is named in a refusal; a kind from outside is never echoed."""
    if not isinstance(kind, (str, type(None))):
        return UNKNOWN_FEE_KIND
    return FEE_KIND_NAMES.get(kind, UNKNOWN_FEE_KIND)
