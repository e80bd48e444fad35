"""The registered account name (a mock NAPAS name inquiry): which key a payee is looked up by, and
whether the name a QR claims (field 59) is the registered one.

Bank apps show the name the bank has on record for the account and teach payers to compare it with
what they expected; a QR's field 59 is free text anyone can write. The comparison ignores what a
QR cannot carry or carries loosely: case, Vietnamese diacritics (QR names are ASCII: "Đống Đa" is
written "Dong Da"), punctuation and spacing. Anything else that differs is a mismatch.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from payer_app.core.display_text import ELLIPSIS, is_unsafe_char, quoted, visible
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import RequestRefused

MAX_NAME_CHARS = 140  # a directory name longer than this is refused (names on record are short)
MAX_ACCOUNT_CHARS = 40  # an account number or merchant id is at most this long in a lookup
MAX_ANSWERED_BY_CHARS = 200  # who answered a name check (an acquirer URL or "embedded"), in a signed request

# What a name check found, as signed in a request's ``name_check`` block: the registered name is the QR's
# (``match``), is on record but the QR names nobody to compare (``found``), differs (``mismatch``); the account
# does not exist (``not-found``); the acquirer does not serve the bank (``bank-not-served``); no usable answer
# (``unavailable``).
NAME_CHECK_OUTCOMES = ("match", "found", "mismatch", "not-found", "bank-not-served", "unavailable")
_OUTCOME_OF_INQUIRY = {"no-such-account": "not-found", "bank-not-served": "bank-not-served"}


@dataclass(frozen=True)
class LookupKey:
    """What a payee is looked up by: a bank account (``bank_bin`` 6 digits) or a merchant id
    (``bank_bin`` None: templates 26/38 with a merchant id instead of a bank and account)."""

    bank_bin: str | None
    account: str

    @property
    def is_merchant(self) -> bool:
        return self.bank_bin is None


def lookup_key(parsed: ParsedPayload) -> LookupKey | None:
    """The key of a parsed QR's payee, or None when it names no account or merchant id."""
    if not parsed.is_payment:
        return None
    account = parsed.account
    if not account.id or len(account.id) > MAX_ACCOUNT_CHARS:
        return None
    if parsed.scheme == "vietqr":
        return LookupKey(account.bank_bin, account.id) if account.bank_bin else None
    return LookupKey(None, account.id)


def normalise_name(text: str | None) -> str:
    """``"  Nguyễn   Văn-A "`` -> ``"nguyen van a"``: case folded, diacritics and Đ/đ folded to ASCII
    letters, every run of characters that are not letters or digits made one space."""
    if not text:
        return ""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in kept).split()
    return " ".join(words)


def names_match(qr_name: str | None, registered: str | None) -> bool:
    """True when the QR's name and the registered name are the same once normalised (an empty name
    never matches: a QR without a name cannot be checked against the record)."""
    left, right = normalise_name(qr_name), normalise_name(registered)
    return bool(left) and left == right


def capped(text: str, limit: int) -> str:
    """``text`` escaped (``display_text.visible``) and at most ``limit`` characters, escapes included."""
    shown = visible(text, limit)
    return shown if len(shown) <= limit else shown[:limit - 1] + ELLIPSIS


@dataclass(frozen=True)
class NameCheck:
    """What the name inquiry said about a payee when the payer paid: the payer app's claim, signed in the
    request (``name_check``) so that ``verify`` and the acquirer's records can show it. Nobody may trust it:
    the payer app writes it. Texts are escaped and capped (``judge``; ``from_dict`` refuses others)."""

    outcome: str  # one of NAME_CHECK_OUTCOMES
    registered_name: str | None  # the name on record (found, match, mismatch), else None
    answered_by: str  # the acquirer asked: its URL, or "embedded"

    @classmethod
    def judge(cls, qr_name: str | None, status: str, registered: str | None, answered_by: str) -> NameCheck:
        """The check of an inquiry's answer (``status``: found, no-such-account, bank-not-served,
        unavailable) against the QR's own name (field 59)."""
        if status == "found" and registered:
            outcome = "found" if not qr_name else "match" if names_match(qr_name, registered) else "mismatch"
            return cls(outcome, capped(registered, MAX_NAME_CHARS), capped(answered_by, MAX_ANSWERED_BY_CHARS))
        return cls(_OUTCOME_OF_INQUIRY.get(status, "unavailable"), None, capped(answered_by, MAX_ANSWERED_BY_CHARS))

    @property
    def blocks_payment(self) -> bool:
        """The bank says the account does not exist: paying it is refused unless the payer overrides."""
        return self.outcome == "not-found"

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "registered_name": self.registered_name, "answered_by": self.answered_by}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NameCheck:
        """The block of a signed request whose types ``core.request`` has checked; ValueError names the
        first value that ``judge`` could not have written."""
        outcome, name, by = data["outcome"], data["registered_name"], data["answered_by"]
        if outcome not in NAME_CHECK_OUTCOMES:
            raise ValueError(f"name_check.outcome {quoted(outcome, 40)} is not one of {', '.join(NAME_CHECK_OUTCOMES)}")
        if (name is not None) != (outcome in ("match", "found", "mismatch")):
            raise ValueError(f"name_check.registered_name must be {'given' if name is None else 'null'} for {outcome}")
        for field, text, limit in (("registered_name", name or "x", MAX_NAME_CHARS),
                                   ("answered_by", by, MAX_ANSWERED_BY_CHARS)):
            if not text or len(text) > limit or any(is_unsafe_char(ch) for ch in text):
                raise ValueError(f"name_check.{field} is empty, longer than {limit} characters or holds controls")
        return cls(outcome, name, by)


def name_check_line(check: NameCheck) -> str:
    """One line for a terminal: ``mismatch: registered name NGUYEN VAN B (asked embedded)``; every text
    escaped again (a request read back may come from anyone)."""
    name = f": registered name {visible(check.registered_name, MAX_NAME_CHARS)}" if check.registered_name else ""
    return f"{visible(check.outcome, 40)}{name} (asked {visible(check.answered_by, MAX_ANSWERED_BY_CHARS)})"


def name_check_refusal(check: NameCheck | None, pay_anyway: bool) -> RequestRefused | None:
    """Why a payment to this payee is refused (None when it is not): the bank said the account does not
    exist and the payer did not choose to pay anyway."""
    if check is not None and check.blocks_payment and not pay_anyway:
        return RequestRefused("no-such-account", acquirer=check.answered_by)
    return None


__all__ = ["LookupKey", "MAX_ACCOUNT_CHARS", "MAX_ANSWERED_BY_CHARS", "MAX_NAME_CHARS", "NAME_CHECK_OUTCOMES",
           "NameCheck", "capped", "lookup_key", "name_check_line", "name_check_refusal", "names_match",
           "normalise_name"]
