"""Build EMVCo payloads: the inverse of ``parse_payload``.

``build_payload(parse_payload(p).fields) == p`` for every well-formed payload (uppercase CRC).
Field values are given as strings, or as lists of (id, value) pairs for templates; lengths are
counted in characters and field 63 (CRC) is always recomputed and written last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from payer_app.core import evn
from payer_app.core.crc import payload_crc
from payer_app.core.field_names import VIETQR_GUID, VIETQR_SERVICES, VNPAY_GUID
from payer_app.core.payload import VND_NUMERIC
from payer_app.core.payload_fields import Field

Value = str | Sequence["Item"]
Item = Field | tuple[str, Value]


class BuildError(ValueError):
    pass


def encode_object(field_id: str, value: str) -> str:
    if not (len(field_id) == 2 and field_id.isascii() and field_id.isdigit()):
        raise BuildError(f"field id {field_id!r} is not two digits")
    if len(value) > 99:
        raise BuildError(f"field {field_id} is {len(value)} characters long; a data object holds 99 at most")
    return f"{field_id}{len(value):02d}{value}"


def encode_items(items: Iterable[Item]) -> str:
    out = []
    for item in items:
        if isinstance(item, Field):
            value = encode_items(item.children) if item.children else item.value
            fid = item.id
        else:
            fid, raw = item
            value = raw if isinstance(raw, str) else encode_items(raw)
        out.append(encode_object(fid, value))
    return "".join(out)


def build_payload(items: Iterable[Item], crc_case: str = "upper") -> str:
    """Serialise root fields in the given order, drop any 63 and append a freshly computed CRC."""
    body = encode_items(i for i in items if (i.id if isinstance(i, Field) else i[0]) != "63")
    crc = payload_crc(body + "6304")
    return body + "6304" + (crc.lower() if crc_case == "lower" else crc)


def _common_tail(
    mcc: str | None,
    amount: int | None,
    merchant_name: str | None,
    city: str | None,
    additional: list[tuple[str, str]],
) -> list[tuple[str, Value]]:
    items: list[tuple[str, Value]] = []
    if mcc:
        items.append(("52", mcc))
    items.append(("53", VND_NUMERIC))
    if amount is not None:
        if amount < 0:
            raise BuildError("the amount cannot be negative")
        items.append(("54", str(amount)))
    items.append(("58", "VN"))
    if merchant_name:
        items.append(("59", merchant_name))
    if city:
        items.append(("60", city))
    extra = [(k, v) for k, v in additional if v]
    if extra:
        items.append(("62", extra))
    return items


def _initiation(amount: int | None) -> tuple[str, str]:
    return ("01", "12" if amount is not None else "11")


def vietqr_payload(
    bank_bin: str,
    account: str,
    amount: int | None = None,
    purpose: str | None = None,
    service: str = "QRIBFTTA",
    merchant_name: str | None = None,
    city: str | None = None,
    bill_number: str | None = None,
    reference_label: str | None = None,
) -> str:
    """A NAPAS VietQR transfer: static without an amount, dynamic with one."""
    if not (len(bank_bin) == 6 and bank_bin.isdigit()):
        raise BuildError(f"bank BIN {bank_bin!r} is not 6 digits")
    if not account:
        raise BuildError("an account number is required")
    if service not in VIETQR_SERVICES:
        raise BuildError(f"unknown VietQR service {service!r}")
    items: list[tuple[str, Value]] = [
        ("00", "01"),
        _initiation(amount),
        ("38", [("00", VIETQR_GUID), ("01", [("00", bank_bin), ("01", account)]), ("02", service)]),
    ]
    items += _common_tail(
        None,
        amount,
        merchant_name,
        city,
        [("01", bill_number or ""), ("05", reference_label or ""), ("08", purpose or "")],
    )
    return build_payload(items)


def vnpay_payload(
    merchant_id: str,
    merchant_name: str,
    city: str,
    amount: int | None = None,
    mcc: str = "5499",
    store_label: str | None = None,
    terminal_label: str | None = None,
    purpose: str | None = None,
) -> str:
    """A VNPAY-QR merchant code (template 26, GUID A000000775)."""
    if not merchant_id:
        raise BuildError("a merchant id is required")
    items: list[tuple[str, Value]] = [
        ("00", "01"),
        _initiation(amount),
        ("26", [("00", VNPAY_GUID), ("01", merchant_id)]),
    ]
    items += _common_tail(
        mcc, amount, merchant_name, city,
        [("03", store_label or ""), ("07", terminal_label or ""), ("08", purpose or "")],
    )
    return build_payload(items)


def evn_bill_payload(
    customer_code: str,
    merchant_id: str = "0100101114-019",
    merchant_name: str = "EVN CONG TY DIEN LUC THANH XUAN",
    city: str = "Ha Noi",
    purpose: str = "TT tien dien",
    amount: int | None = None,
) -> str:
    """An EVN electricity bill QR in the layout EVN prints: template 26 with GUID "00", MCC 4900,
    store and terminal label "00", the customer code in 62.06. Static (no amount) unless one is given."""
    if not evn.is_customer_code(customer_code):
        raise BuildError(
            f"{customer_code!r} is not an EVN customer code (PA..PE followed by 11 letters or digits)"
        )
    items: list[tuple[str, Value]] = [
        ("00", "01"),
        _initiation(amount),
        ("26", [("00", "00"), ("01", merchant_id)]),
    ]
    items += _common_tail(
        "4900", amount, merchant_name, city,
        [("03", "00"), ("06", customer_code), ("07", "00"), ("08", purpose)],
    )
    return build_payload(items)
