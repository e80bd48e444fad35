"""What a parsed payload is made of: the field tree (``Field``), the CRC check, the merchant, its
account and the bill details, and the small readers over the field tree that ``payload.py``'s parser
uses. Pure values; the rules that judge a payload are in ``payload.py``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from payer_app.core.field_names import is_merchant_account_id


@dataclass
class Field:
    id: str
    name: str
    value: str
    offset: int  # character offset of the field id in the whole payload
    path: str
    children: list[Field] = field(default_factory=list)

    def child(self, child_id: str) -> Field | None:
        return next((c for c in self.children if c.id == child_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "name": self.name,
            "value": self.value,
            "length": len(self.value),
            "offset": self.offset,
            "children": [c.to_dict() for c in self.children],
        }


@dataclass(frozen=True)
class CrcCheck:
    found: str | None
    computed: str | None
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "computed": self.computed, "ok": self.ok}


@dataclass(frozen=True)
class Merchant:
    name: str | None = None
    city: str | None = None
    mcc: str | None = None
    country: str | None = None
    postal_code: str | None = None
    name_alt: str | None = None
    city_alt: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class MerchantAccount:
    tag: str | None = None
    guid: str | None = None
    bank_bin: str | None = None
    bank_name: str | None = None
    bank_short_name: str | None = None
    id: str | None = None
    service: str | None = None
    service_name: str | None = None


@dataclass(frozen=True)
class BillInfo:
    bill_number: str | None = None
    mobile: str | None = None
    store_label: str | None = None
    loyalty: str | None = None
    reference_label: str | None = None
    customer_label: str | None = None
    terminal_label: str | None = None
    purpose: str | None = None
    evn_customer_code: str | None = None
    evn_corporation: str | None = None
    evn_corporation_name: str | None = None
    evn_corporation_name_vi: str | None = None


def merchant_of(by_id: dict[str, Field]) -> Merchant:
    alt = by_id.get("64")
    return Merchant(
        name=value_of(by_id, "59"),
        city=value_of(by_id, "60"),
        mcc=value_of(by_id, "52"),
        country=value_of(by_id, "58"),
        postal_code=value_of(by_id, "61"),
        name_alt=sub_value(alt, "01"),
        city_alt=sub_value(alt, "02"),
        language=sub_value(alt, "00"),
    )


def generic_account(tpl: Field) -> MerchantAccount:
    if not tpl.children:  # 02-25: card network ids carry the merchant id directly
        return MerchantAccount(tag=tpl.id, id=tpl.value)
    merchant_id = tpl.child("01")
    return MerchantAccount(
        tag=tpl.id,
        guid=guid_of(tpl),
        id=merchant_id.value if merchant_id is not None and not merchant_id.children else None,
    )


def first_of_each(fields: list[Field]) -> dict[str, Field]:
    """Fields by id; where an id repeats (itself a finding) the first one counts."""
    return {f.id: f for f in reversed(fields)}


def value_of(by_id: dict[str, Field], fid: str) -> str | None:
    f = by_id.get(fid)
    return f.value if f is not None else None


def merchant_accounts(fields: list[Field]) -> list[Field]:
    return [f for f in fields if is_merchant_account_id(f.id)]


def account_with_guid(accounts: list[Field], guid: str) -> Field | None:
    return next((a for a in accounts if guid_of(a) == guid), None)


def guid_of(tpl: Field) -> str | None:
    return sub_value(tpl, "00")


def sub_value(parent: Field | None, child_id: str) -> str | None:
    if parent is None:
        return None
    c = parent.child(child_id)
    return c.value if c is not None else None


def peek_guid(value: str) -> str | None:
    """The GUID of a template value (its sub-field 00, when it comes first and is well formed)."""
    if len(value) >= 4 and value[:2] == "00" and is_ascii_digits(value[2:4]):
        n = int(value[2:4])
        if 4 + n <= len(value):
            return value[4 : 4 + n]
    return None


def walk_fields(fields: list[Field]) -> Iterator[Field]:
    for f in fields:
        yield f
        yield from walk_fields(f.children)


def is_ascii_digits(s: str) -> bool:
    return len(s) > 0 and s.isascii() and s.isdigit()
