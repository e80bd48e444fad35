"""Deliberately broken (or awkward but valid) payloads for scanner tests.

Each fault is a real edit of a well-formed payload: the field tree is read with ``parse_payload``,
changed, and written back with the builder, then the one thing the fault is about is broken by hand
(so the CRC is right unless the fault is about the CRC). ``PayloadFault.finding`` names the finding
code the parser must report for it; the corpus manifest records what the parser says as a whole.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from payer_app.core import evn
from payer_app.core.builder import Value, build_payload, encode_items, evn_bill_payload
from payer_app.core.crc import payload_crc
from payer_app.core.payload import parse_payload
from payer_app.core.payload_fields import Field
from payer_app.studio.fee_qr import FEE_CASES


class FaultError(ValueError):
    """The base payload cannot carry this fault (for instance it has no field 59 to lengthen)."""


Items = list[tuple[str, Value]]


def _items(payload: str) -> Items:
    """The payload's fields as builder items (nested lists for templates), without the CRC."""
    parsed = parse_payload(payload)
    if not parsed.valid:
        raise FaultError("faults are made from a valid payload")

    def convert(fields: list[Field]) -> Items:
        return [(f.id, convert(f.children) if f.children else f.value) for f in fields]

    return [item for item in convert(parsed.fields) if item[0] != "63"]


def _with_crc(body: str) -> str:
    return body + "6304" + payload_crc(body + "6304")


def _index(items: Items, field_id: str) -> int:
    for i, (fid, _) in enumerate(items):
        if fid == field_id:
            return i
    raise FaultError(f"the payload has no field {field_id}")


def _set(items: Items, field_id: str, value: Value, before: str = "62") -> Items:
    """Replace field_id's value, or insert it before field ``before`` (or at the end)."""
    out = list(items)
    try:
        out[_index(out, field_id)] = (field_id, value)
    except FaultError:
        ids = [fid for fid, _ in out]
        position = ids.index(before) if before in ids else len(out)
        out.insert(position, (field_id, value))
    return out


def _additional(items: Items) -> Items:
    try:
        value = items[_index(items, "62")][1]
    except FaultError:
        return []
    return [item for item in value if isinstance(item, tuple)] if isinstance(value, list) else []


# --- the faults ------------------------------------------------------------------------------

def bad_crc(payload: str, rng: random.Random) -> str:
    """Last CRC digit changed: the checksum no longer matches."""
    last = payload[-1].upper()
    replacement = rng.choice([c for c in "0123456789ABCDEF" if c != last])
    return payload[:-1] + replacement


def crc_leading_zero(payload: str, rng: random.Random) -> str:
    """A valid payload whose CRC happens to start with 0 (a reader that drops leading zeros breaks).
    The bill number (62.01) is varied until the CRC starts with 0."""
    items = _items(payload)
    extra = [(k, v) for k, v in _additional(items) if k != "01"]
    start = rng.randrange(100000)
    for attempt in range(start, start + 20000):
        candidate = build_payload(_set(items, "62", [("01", f"HD{attempt:06d}"), *extra]))
        if candidate[-4] == "0":
            return candidate
    raise FaultError("no bill number gave a CRC starting with 0")


def crc_leading_zero_dropped(payload: str, rng: random.Random) -> str:
    """Same as crc_leading_zero, written as 3 digits ("6303ABC") by a writer that dropped the zero."""
    good = crc_leading_zero(payload, rng)
    return good[:-8] + "6303" + good[-3:]


def truncated(payload: str, rng: random.Random) -> str:
    """The text ends in the middle of a field's value (a cut-off scan or a clipped string)."""
    parsed = parse_payload(payload)
    candidates = [f for f in parsed.fields if f.id not in ("00", "63") and len(f.value) >= 2]
    field = rng.choice(candidates)
    value_start = field.offset + 4
    return payload[: value_start + rng.randint(1, len(field.value) - 1)]


def duplicate_id(payload: str, rng: random.Random) -> str:
    """A root field (58, 53 or 52) written twice, CRC recomputed."""
    items = _items(payload)
    field_id = rng.choice([fid for fid, _ in items if fid in ("52", "53", "58")])
    i = _index(items, field_id)
    return build_payload(items[: i + 1] + [items[i]] + items[i + 1 :])


def crc_not_last(payload: str, rng: random.Random) -> str:
    """The CRC (correct for the text before it) followed by one more field."""
    items = _items(payload)
    tail_id = rng.choice([fid for fid, _ in items if fid in ("59", "60", "62", "58")])
    i = _index(items, tail_id)
    tail = items[i]
    body = encode_items(items[:i] + items[i + 1 :])
    return _with_crc(body) + encode_items([tail])


def length_past_end(payload: str, rng: random.Random) -> str:
    """A root field near the end declares more characters than the payload has left."""
    parsed = parse_payload(payload)
    field = next(f for f in reversed(parsed.fields) if f.id != "63")
    remaining = len(payload) - field.offset - 4
    declared = min(99, remaining + rng.randint(1, 20))
    return payload[: field.offset + 2] + f"{declared:02d}" + payload[field.offset + 4 :]


def length_overrun(payload: str, rng: random.Random) -> str:
    """Inside template 62 the last sub-field declares more characters than the template holds."""
    items = _items(payload)
    extra = _additional(items) or [("08", "Thanh toan")]
    sub_id, sub_value = extra[-1]
    inner = encode_items(extra[:-1]) + f"{sub_id}{len(sub_value) + rng.randint(1, 9):02d}{sub_value}"
    i = _index(items, "62") if any(fid == "62" for fid, _ in items) else len(items)
    before, after = encode_items(items[:i]), encode_items(items[i + 1 :])
    return _with_crc(before + f"62{len(inner):02d}{inner}" + after)


def amount_with_comma(payload: str, rng: random.Random) -> str:
    """Field 54 written with a thousands separator ("1,000"), as people type it."""
    value = rng.choice(("1,000", "25,000", "1,250,000"))
    items = _set(_items(payload), "54", value, before="58")
    items = _set(items, "01", "12")
    return build_payload(items)


def tag_00_in_62(payload: str, rng: random.Random) -> str:
    """Sub-field 00 inside the additional data template (62), where 00 is not defined."""
    items = _items(payload)
    extra = _additional(items)
    return build_payload(_set(items, "62", [("00", rng.choice(("00", "ABC", "1"))), *extra], before="63"))


def long_merchant_name(payload: str, rng: random.Random) -> str:
    """A merchant name (59) well over EMVCo's 25 characters."""
    name = rng.choice((
        "CONG TY TNHH THUONG MAI DICH VU VA XAY DUNG HOANG PHAT",
        "TONG CONG TY DIEN LUC THANH PHO HA NOI CHI NHANH THANH XUAN",
    ))
    return build_payload(_set(_items(payload), "59", name, before="60"))


def vietnamese_text(payload: str, rng: random.Random) -> str:
    """Purpose (62.08) and merchant name (59) with Vietnamese diacritics; lengths count characters."""
    items = _items(payload)
    extra = [(k, v) for k, v in _additional(items) if k != "08"]
    purpose = rng.choice(("Thanh toán tiền điện", "Chuyển tiền học phí", "Lê Anh Tú"))
    items = _set(items, "59", rng.choice(("Điện lực Thanh Xuân", "Cửa hàng Bà Sáu")), before="60")
    return build_payload(_set(items, "62", extra + [("08", purpose)], before="63"))


def no_fault(payload: str, rng: random.Random) -> str:
    return payload


NON_PAYMENT_TEXTS = (
    "https://www.evn.com.vn/",
    "https://vietqr.net/",
    "WIFI:S:Cafe Goc Pho;T:WPA;P:12345678;;",
)


def non_payment(payload: str, rng: random.Random) -> str:
    """Not a payment QR at all: a web address or a Wi-Fi login, as found on posters and tables."""
    return rng.choice(NON_PAYMENT_TEXTS)


# Whom a scam sticker pays: the attacker's own merchant id, or one a digit away from EVN's.
SCAM_MERCHANT_IDS = ("ATTACKER-SHOP-1", "0100101114-0190", "0100101114-91", "0312345678-001")
SCAM_ACCOUNTS = (("970436", "1023456789"), ("970422", "0888000111222"), ("970407", "19036512345018"))


def _victim_code(payload: str, rng: random.Random) -> str:
    """The customer code of the bill the sticker covers: the base bill's, else a made-up Hanoi one."""
    bill = parse_payload(payload).bill
    if evn.is_customer_code(bill.customer_label):
        return bill.customer_label
    return "PD13" + "".join(rng.choice("0123456789") for _ in range(9))


def scam_sticker(payload: str, rng: random.Random) -> str:
    """A sticker over a real EVN bill: EVN's layout (template 26 with GUID 00, MCC 4900, the victim's
    customer code) paying a merchant id that is not one of EVN's collection payees."""
    return evn_bill_payload(_victim_code(payload, rng), merchant_id=rng.choice(SCAM_MERCHANT_IDS),
                            merchant_name=rng.choice(("EVN CONG TY DIEN LUC THANH XUAN", "MY OWN SHOP")))


def scam_sticker_transfer(payload: str, rng: random.Random) -> str:
    """A sticker with a VietQR transfer to someone's bank account, dressed as an EVN bill (MCC 4900,
    the victim's customer code in 62.06)."""
    bank_bin, account = rng.choice(SCAM_ACCOUNTS)
    return build_payload([
        ("00", "01"), ("01", "11"),
        ("38", [("00", "A000000727"), ("01", [("00", bank_bin), ("01", account)]), ("02", "QRIBFTTA")]),
        ("52", "4900"), ("53", "704"), ("58", "VN"), ("59", "EVN HA NOI"), ("60", "Ha Noi"),
        ("62", [("06", _victim_code(payload, rng)), ("08", "TT tien dien")]),
    ])


@dataclass(frozen=True)
class PayloadFault:
    name: str
    apply: Callable[[str, random.Random], str]
    finding: str | None  # the finding code this fault must produce (None: no finding is the point)
    description: str


FAULTS: tuple[PayloadFault, ...] = (
    PayloadFault("none", no_fault, None, "a well-formed payload"),
    PayloadFault("bad-crc", bad_crc, "crc-mismatch", "last CRC digit changed"),
    PayloadFault("crc-leading-zero", crc_leading_zero, None, "valid payload whose CRC starts with 0"),
    PayloadFault("crc-leading-zero-dropped", crc_leading_zero_dropped, "crc-bad-length",
                 "CRC starting with 0 written with 3 digits"),
    PayloadFault("truncated", truncated, "truncated", "text cut in the middle of a field"),
    PayloadFault("duplicate-id", duplicate_id, "duplicate-id", "a root field written twice"),
    PayloadFault("crc-not-last", crc_not_last, "crc-not-last", "a field after the CRC"),
    PayloadFault("length-past-end", length_past_end, "truncated", "a root field's length runs past the end"),
    PayloadFault("length-overrun", length_overrun, "length-overrun", "a 62 sub-field's length runs past the template"),
    PayloadFault("amount-comma", amount_with_comma, "bad-amount", "amount written as 1,000"),
    *(PayloadFault(name, apply, finding, description) for name, apply, finding, description in FEE_CASES),
    PayloadFault("tag-00-in-62", tag_00_in_62, "undefined-id", "sub-field 00 inside 62"),
    PayloadFault("long-merchant-name", long_merchant_name, "too-long", "merchant name over 25 characters"),
    PayloadFault("non-payment", non_payment, "not-emvco", "a URL or Wi-Fi QR, not a payment"),
    PayloadFault("vietnamese-text", vietnamese_text, "non-ascii", "Vietnamese diacritics in 59 and 62.08"),
    PayloadFault("scam-sticker", scam_sticker, "evn-payee-unknown",
                 "dressed as an EVN bill, paying a merchant id that is not EVN's"),
    PayloadFault("scam-sticker-transfer", scam_sticker_transfer, "evn-payee-unknown",
                 "a VietQR transfer to someone's account dressed as an EVN bill"),
)
FAULTS_BY_NAME = {f.name: f for f in FAULTS}
