"""EVN's collection payees: which merchant ids and bank accounts really collect electricity bills.

A QR is an EVN bill only when it pays one of them; anyone can print MCC 4900 and a customer code on a
sticker. The data ships as ``resources/evn_payees.csv`` (columns: company_code, corporation, name,
city, city_vi, merchant_id, bank_bin, account; one district power company a row) and
``EvnPayees.bundled()`` reads it once through ``importlib.resources`` (package data, read-only, as
``bank_directory`` does). A newer file with the same columns is read where files are read and its
text passed to ``EvnPayees.from_csv_text``.

The ids are made up for this simulator, except Thanh Xuân's merchant id, printed on a real EVN bill
(``EVN_BILL`` in ``tests/spec_vectors.py``). The company code is the first four characters of the customer
codes the studio makes up for that company's bills (corporation prefix + two digits).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from payer_app.core import evn

EVN_MCC = "4900"  # merchant category code of utilities, printed on every EVN bill QR
COLUMNS = ("company_code", "corporation", "name", "city", "city_vi", "merchant_id", "bank_bin", "account")
MAX_ROWS = 10_000


@dataclass(frozen=True)
class EvnPayee:
    """One district power company (Công ty Điện lực) and where its bills are paid."""

    company_code: str  # e.g. PD11
    corporation: str  # the customer-code prefix of its power corporation, PA..PE
    name: str  # e.g. "Công ty Điện lực Thanh Xuân"
    city: str  # as QR field 60 carries it (ASCII)
    city_vi: str
    merchant_id: str  # what the QR's template 26 (GUID 00) carries in sub-field 01
    bank_bin: str  # the bank of its collection account
    account: str  # its collection account at that bank

    @property
    def corporation_short_name(self) -> str:
        return evn.CORPORATIONS[self.corporation].short_name


class EvnPayeesError(ValueError):
    pass


class EvnPayees:
    """The registry: look a payee up by merchant id or by bank BIN and account."""

    def __init__(self, payees: list[EvnPayee]):
        self.payees = tuple(payees)
        self._by_merchant_id = {p.merchant_id: p for p in payees}
        self._by_account = {(p.bank_bin, p.account): p for p in payees}

    @classmethod
    def from_csv_text(cls, text: str, source: str = "<csv>") -> EvnPayees:
        """The registry in ``text``; ``EvnPayeesError`` names ``source``, the line and the problem."""
        reader = csv.DictReader(text.replace("\r\n", "\n").split("\n"))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise EvnPayeesError(f"{source}: missing column(s) {', '.join(missing)}")
        payees = []
        for line_no, row in enumerate(reader, start=2):
            if line_no > MAX_ROWS + 1:
                raise EvnPayeesError(f"{source}: more than {MAX_ROWS} payees")
            payees.append(_payee(row, f"{source}:{line_no}"))
        return cls(payees)

    @classmethod
    def bundled(cls) -> EvnPayees:
        return _bundled_payees()

    def by_merchant_id(self, merchant_id: str | None) -> EvnPayee | None:
        return self._by_merchant_id.get(merchant_id) if merchant_id else None

    def by_account(self, bank_bin: str | None, account: str | None) -> EvnPayee | None:
        return self._by_account.get((bank_bin, account)) if bank_bin and account else None

    def is_evn_bill(self, mcc: str | None, merchant_id: str | None) -> bool:
        """The EVN bill rule, for a QR with EVN's template (GUID 00): MCC 4900 and one of EVN's merchant ids."""
        return mcc == EVN_MCC and self.by_merchant_id(merchant_id) is not None

    def is_impostor(self, mcc: str | None, has_guid_00: bool, bill: Any, account: Any) -> bool:
        """True for a QR that is not an EVN bill yet dressed as one: MCC 4900 with EVN's template (GUID
        00) or an EVN customer code (in 62.06, 62.01 or 62.05), paying no EVN collection account.
        ``bill`` and ``account`` are the parsed QR's (``BillInfo``, ``MerchantAccount``)."""
        if mcc != EVN_MCC:
            return False
        labels = (bill.customer_label, bill.bill_number, bill.reference_label)
        dressed = has_guid_00 or any(evn.is_customer_code(label) for label in labels)
        return dressed and self.by_account(account.bank_bin, account.id) is None

    def of_corporation(self, prefix: str) -> tuple[EvnPayee, ...]:
        """The companies of one power corporation (customer codes starting with ``prefix``)."""
        return tuple(p for p in self.payees if p.corporation == prefix)

    def __len__(self) -> int:
        return len(self.payees)


def _payee(row: dict[str, Any], where: str) -> EvnPayee:
    values = {c: (row.get(c) or "").strip() for c in COLUMNS}
    empty = [c for c in COLUMNS if not values[c]]
    if empty:
        raise EvnPayeesError(f"{where}: empty {', '.join(empty)}")
    if values["corporation"] not in evn.CORPORATIONS:
        raise EvnPayeesError(f"{where}: corporation {values['corporation']!r} is not PA..PE")
    if not values["company_code"].startswith(values["corporation"]):
        raise EvnPayeesError(f"{where}: company code {values['company_code']!r} is not of its corporation")
    if not (len(values["bank_bin"]) == 6 and values["bank_bin"].isdigit()):
        raise EvnPayeesError(f"{where}: bank_bin {values['bank_bin']!r} is not 6 digits")
    return EvnPayee(**values)


@lru_cache(maxsize=1)
def _bundled_payees() -> EvnPayees:
    text = resources.files("payer_app.resources").joinpath("evn_payees.csv").read_text(encoding="utf-8")
    return EvnPayees.from_csv_text(text, "evn_payees.csv")
