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

from payer_app.core.payload import ParsedPayload

MAX_NAME_CHARS = 140  # a directory name longer than this is refused (names on record are short)
MAX_ACCOUNT_CHARS = 40  # an account number or merchant id is at most this long in a lookup


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


__all__ = ["LookupKey", "MAX_ACCOUNT_CHARS", "MAX_NAME_CHARS", "lookup_key", "names_match", "normalise_name"]
