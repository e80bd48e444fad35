"""One name per payee, the same on every screen and in every report.

The rule: a merchant is shown by its merchant name (field 59); a VietQR transfer by the
account holder's name where the QR carries it (VietQR puts it in field 59 too), else by the bank's
short name and the masked account number. Accounts are masked to their last four characters.
Works on a parsed QR (payee screen) and on a request's ``payee`` block (receipt, history), so a
payment keeps the name it was shown with.
"""

from __future__ import annotations

from dataclasses import dataclass

from payer_app.core.bank_directory import BankDirectory
from payer_app.core.payload import ParsedPayload
from payer_app.core.request import Payee

MASK = "••••"


def mask_account(account: str | None) -> str | None:
    """Only the last 4 characters of an account number: ``•••• 8859`` (short ones unchanged)."""
    if not account:
        return None
    return account if len(account) <= 4 else f"{MASK} {account[-4:]}"


@dataclass(frozen=True)
class PayeeDisplay:
    name: str  # what every screen calls the payee
    bank: str | None  # "Vietcombank – Ngân hàng TMCP Ngoại Thương Việt Nam", or None
    account: str | None  # masked account (VietQR) or merchant id (other schemes), or None
    initial: str  # the avatar letter: the first letter of the name


def _compose(scheme: str | None, merchant_name: str | None, bank_short: str | None, bank_name: str | None,
             bank_bin: str | None, account: str | None, merchant_id: str | None) -> PayeeDisplay:
    bank = f"{bank_short} – {bank_name}" if bank_short and bank_name else (bank_name or bank_short or bank_bin)
    shown_account = mask_account(account) if scheme == "vietqr" else merchant_id
    name = (merchant_name or "").strip()
    if not name:
        parts = [p for p in (bank_short or bank_name or bank_bin, mask_account(account) or merchant_id) if p]
        name = " ".join(parts) or "—"
    return PayeeDisplay(name=name, bank=bank, account=shown_account, initial=(name[:1] or "?").upper())


def payee_display(parsed: ParsedPayload) -> PayeeDisplay:
    a = parsed.account
    vietqr = parsed.scheme == "vietqr"
    return _compose(parsed.scheme, parsed.merchant.name, a.bank_short_name, a.bank_name, a.bank_bin,
                    a.id if vietqr else None, None if vietqr else a.id)


def payee_display_from_request(payee: Payee) -> PayeeDisplay:
    """The same name from a signed request's payee (see ``core.request.payee_from_parsed``)."""
    bank_bin = payee.bank_bin
    bank = BankDirectory.bundled().lookup(bank_bin) if bank_bin else None
    short = bank.short_name if bank is not None else None
    return _compose(payee.scheme, payee.merchant_name, short, payee.bank_name, bank_bin,
                    payee.account, payee.merchant_id)
