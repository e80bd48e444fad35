"""Which authentication a payment needs: a PIN below the thresholds, the face check (a simulated
biometric step) above them. The thresholds are data (``resources/auth_policy.json``, read once through
``importlib.resources``, package data, read-only) and the rule is one pure function, ``required_auth``,
that the window, ``payer-app pay`` and the acquirer all ask (docs/payments.md, "Authentication by
amount", tells where the numbers come from).

The rule, with every choice made explicit:

* the amount that counts is the **total the payer pays** (the amount plus any fee or tip,
  ``PaymentRequest.cost.total``);
* "above" is strictly greater: a payment of exactly 10,000,000 ₫, or a day that reaches exactly
  20,000,000 ₫, still needs only the PIN;
* the **day** is the calendar day in Vietnam (UTC+7, ``day_utc_offset_hours``) in which the payment is
  made, and the day's total is per **source account** (bank BIN and account number): every payment
  from that account already counted that day plus this one;
* a **trusted** payee is one of EVN's registered collection payees (``core/evn_payees.py``): an EVN
  bill (the QR's scheme is EVN's own, template GUID "00", with MCC 4900 and one of EVN's merchant ids)
  or a VietQR transfer to one of EVN's collection accounts. The list ships with the app; a QR cannot
  add to it, and EVN's merchant id printed under another network's template (VNPAY's, say) names
  that network's merchant, not EVN, so it is not trusted. A payment to one needs only the PIN while the
  day's total stays at or under 100,000,000 ₫, whatever its own size. The day's total counts every
  payment of the account, trusted or not, for both daily sums: this asks for the face check no later
  than a bank that keeps the sums apart would, sometimes earlier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

from payer_app.core.amounts import format_vnd
from payer_app.core.evn_payees import EvnPayees
from payer_app.core.payload import SCHEME_EVN, SCHEME_VIETQR
from payer_app.core.refusals import AmountRefused

PIN = "pin"
BIOMETRIC = "biometric"
METHODS = (PIN, BIOMETRIC)  # what a signed request's ``auth`` may say
POLICY_FORMAT = "payer-app-auth-policy"
MAX_POLICY_CHARS = 4_000


@dataclass(frozen=True)
class AuthPolicy:
    """The thresholds, in dong (whole numbers), and the offset of the day's clock."""

    biometric_above_one_payment: int = 10_000_000
    biometric_above_day_total: int = 20_000_000
    trusted_exempt_up_to_day_total: int = 100_000_000
    day_utc_offset_hours: int = 7
    reference: str = ""

    @classmethod
    def from_json_text(cls, text: str) -> AuthPolicy:
        """The policy in ``text`` (the form of ``resources/auth_policy.json``); ValueError names the problem."""
        if not isinstance(text, str) or len(text) > MAX_POLICY_CHARS:
            raise ValueError("the authentication policy is not text of at most 4,000 characters")
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != POLICY_FORMAT or data.get("version") != 1:
            raise ValueError(f"not a {POLICY_FORMAT} version 1 file")
        numbers: dict[str, int] = {}
        for name in ("biometric_above_one_payment", "biometric_above_day_total", "trusted_exempt_up_to_day_total",
                     "day_utc_offset_hours"):
            value = data.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number, 0 or more")
            numbers[name] = value
        if numbers["day_utc_offset_hours"] > 14:
            raise ValueError("day_utc_offset_hours must be 0 to 14")
        return cls(**numbers, reference=str(data.get("reference", ""))[:200])

    @classmethod
    def bundled(cls) -> AuthPolicy:
        return _bundled_policy()

    @staticmethod
    def bundled_text() -> str:
        """The text of ``resources/auth_policy.json``."""
        return resources.files("payer_app.resources").joinpath("auth_policy.json").read_text(encoding="utf-8")

    def day_start(self, moment: datetime) -> datetime:
        """The start (in UTC) of the policy's calendar day that holds ``moment`` (aware)."""
        zone = timezone(timedelta(hours=self.day_utc_offset_hours))
        local = moment.astimezone(zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


@dataclass(frozen=True)
class AuthNeed:
    """What one payment needs: ``method`` (``pin`` or ``biometric``) and why (``reason``: ``below``,
    ``trusted``, ``one-payment`` or ``day-total``; ``acquirer`` when the acquirer counted more of the
    day than the payer app knows, ``payments/auth_need.acquirer_asked``), with the sums the rule compared."""

    method: str
    reason: str
    total: int
    day_total: int  # the source account's day total, this payment included
    trusted: bool

    @property
    def biometric(self) -> bool:
        return self.method == BIOMETRIC


def required_auth(total: int, spent_today: int, trusted: bool, policy: AuthPolicy | None = None) -> AuthNeed:
    """The authentication a payment of ``total`` dong needs, when the source account has already paid
    ``spent_today`` dong in the policy's day and the payee is ``trusted`` (``is_trusted_payee``)."""
    policy = policy or AuthPolicy.bundled()
    day_total = spent_today + total
    if trusted and day_total <= policy.trusted_exempt_up_to_day_total:
        return AuthNeed(PIN, "trusted", total, day_total, trusted)
    if total > policy.biometric_above_one_payment:
        return AuthNeed(BIOMETRIC, "one-payment", total, day_total, trusted)
    if day_total > policy.biometric_above_day_total:
        return AuthNeed(BIOMETRIC, "day-total", total, day_total, trusted)
    return AuthNeed(PIN, "below", total, day_total, trusted)


def is_trusted_payee(mcc: str | None, merchant_id: str | None, bank_bin: str | None, account: str | None,
                     payees: EvnPayees | None = None, scheme: str | None = SCHEME_EVN) -> bool:
    """True when the payee is one of EVN's registered collection payees: an EVN bill (``scheme`` EVN's
    own, MCC 4900 and one of EVN's merchant ids, the EVN bill rule) or a VietQR transfer to an EVN
    collection account. A merchant id means something only on its own network: the same digits under
    another network's template are another merchant."""
    payees = payees or EvnPayees.bundled()
    if scheme == SCHEME_EVN:
        return payees.is_evn_bill(mcc, merchant_id)
    return scheme == SCHEME_VIETQR and payees.by_account(bank_bin, account) is not None


@lru_cache(maxsize=1)
def _bundled_policy() -> AuthPolicy:
    return AuthPolicy.from_json_text(AuthPolicy.bundled_text())


def need_for(total: int, payee: Any, spent_today: int, policy: AuthPolicy | None = None) -> AuthNeed:
    """``required_auth`` for a payment of ``total`` to ``payee`` (anything with ``mcc``,
    ``merchant_id``, ``bank_bin``, ``account`` and ``scheme``: a request's ``Payee``)."""
    trusted = is_trusted_payee(payee.mcc, payee.merchant_id, payee.bank_bin, payee.account, scheme=payee.scheme)
    return required_auth(total, spent_today, trusted, policy)


def auth_refusal(claimed: Any, need: AuthNeed, policy: AuthPolicy | None = None) -> AmountRefused | None:
    """The refusal when ``claimed`` (a request's or a payer's ``auth``) does not satisfy ``need``
    (code ``biometric-required``, its text naming the threshold crossed); None when it does."""
    if not need.biometric or claimed == BIOMETRIC:
        return None
    policy = policy or AuthPolicy.bundled()
    if need.reason == "one-payment":
        return AmountRefused("biometric-required", total=format_vnd(need.total),
                       limit=format_vnd(policy.biometric_above_one_payment))
    return AmountRefused("biometric-required-day", day_total=format_vnd(need.day_total),
                   limit=format_vnd(policy.biometric_above_day_total))
