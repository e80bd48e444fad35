"""Parse EMVCo merchant-presented-mode payloads as used in Vietnam (VietQR, VNPAY-QR, EVN bills).

``parse_payload(text, profile)`` never raises on bad input: everything wrong becomes a Finding, and
whatever could be read is kept in the field tree. Lengths count characters (code points), not bytes.
Text longer than ``MAX_INPUT_CHARS`` (no QR code can hold it) is refused before any tokenising, with
the single finding ``input-too-long``; its first ``MAX_INPUT_CHARS`` characters are kept as ``raw``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from payer_app.core import evn
from payer_app.core.amounts import AmountError, parse_field_amount
from payer_app.core.bank_directory import BankDirectory
from payer_app.core.crc import payload_crc
from payer_app.core.evn_payees import EvnPayees
from payer_app.core.fees import FeeRule, read_fees
from payer_app.core.field_names import (
    VIETQR_GUID,
    VIETQR_SERVICES,
    VNPAY_GUID,
    child_name,
    is_template_id,
    root_name,
)
from payer_app.core.findings import PROFILES, Finding, make_finding
from payer_app.core.payload_fields import (
    BillInfo,
    CrcCheck,
    Field,
    Merchant,
    MerchantAccount,
    account_with_guid,
    first_of_each,
    generic_account,
    guid_of,
    is_ascii_digits,
    merchant_accounts,
    merchant_of,
    peek_guid,
    sub_value,
    value_of,
    walk_fields,
)

MAX_PAYLOAD_CHARS = 512
# Hard cap on input text, checked before any tokenising: the most characters a QR code can hold
# (version 40-L, numeric mode, ISO/IEC 18004 table 7). Longer text cannot have come from a QR.
MAX_INPUT_CHARS = 7089
# Spec maximum lengths worth checking (EMVCo); longer values are accepted by bank apps.
MAX_LENGTHS = {"59": 25, "60": 15, "61": 10, "54": 13}
MAX_ADDITIONAL_DATA = 25
MAX_FINDINGS = 100  # garbage input could otherwise yield one finding per character
# C0 controls, DEL and C1 controls: never in a field's value.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")

SCHEME_VIETQR = "vietqr"
SCHEME_VNPAY = "vnpay"
SCHEME_EVN = "evn"
SCHEME_EMVCO = "emvco"
SCHEME_LABELS = {
    SCHEME_VIETQR: "VietQR (NAPAS 24/7)",
    SCHEME_VNPAY: "VNPAY-QR",
    SCHEME_EVN: "EVN electricity bill",
    SCHEME_EMVCO: "Other EMVCo QR",
}
INITIATIONS = {"11": "static", "12": "dynamic"}
VND_NUMERIC = "704"  # ISO 4217 numeric code of the Vietnamese dong: the only currency paid (field 53)
CURRENCY_ALPHA = {"704": "VND", "840": "USD", "978": "EUR", "764": "THB", "116": "KHR", "418": "LAK"}


_BILL_SUBFIELDS = {
    "01": "bill_number",
    "02": "mobile",
    "03": "store_label",
    "04": "loyalty",
    "05": "reference_label",
    "06": "customer_label",
    "07": "terminal_label",
    "08": "purpose",
}
_PUBLIC_MERCHANT_KEYS = ("name", "city", "mcc", "country", "postal_code", "name_alt", "city_alt", "language")


@dataclass
class ParsedPayload:
    raw: str
    profile: str
    fields: list[Field]
    findings: list[Finding]
    crc: CrcCheck
    scheme: str | None = None
    initiation: str | None = None
    amount: int | None = None
    currency: str | None = None
    merchant: Merchant = field(default_factory=Merchant)
    account: MerchantAccount = field(default_factory=MerchantAccount)
    bill: BillInfo = field(default_factory=BillInfo)
    fee: FeeRule | None = None

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def is_payment(self) -> bool:
        """True when the text is structured as an EMVCo payment payload at all (even a damaged one)."""
        return not any(f.code in ("not-emvco", "empty", "input-too-long") for f in self.findings)

    @property
    def input_too_long(self) -> bool:
        """True when the text was refused unread for being longer than ``MAX_INPUT_CHARS``."""
        return any(f.code == "input-too-long" for f in self.findings)

    @property
    def scheme_label(self) -> str | None:
        return SCHEME_LABELS.get(self.scheme) if self.scheme else None

    @property
    def currency_alpha(self) -> str | None:
        return CURRENCY_ALPHA.get(self.currency) if self.currency else None

    def field_at(self, path: str) -> Field | None:
        """The field at a dotted path such as ``"62.06"`` or ``"38.01.00"``."""
        parts = path.split(".")
        level = self.fields
        found = None
        for part in parts:
            found = next((f for f in level if f.id == part), None)
            if found is None:
                return None
            level = found.children
        return found

    def to_dict(self) -> dict[str, Any]:
        """The object printed by ``payer-app parse --json``; missing values are None, never absent."""
        return {
            "valid": self.valid,
            "profile": self.profile,
            "payload": self.raw,
            "crc": self.crc.to_dict(),
            "scheme": self.scheme,
            "scheme_label": self.scheme_label,
            "initiation": self.initiation,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "currency_alpha": self.currency_alpha,
            "merchant": {k: getattr(self.merchant, k) for k in _PUBLIC_MERCHANT_KEYS},
            "account": {
                "tag": self.account.tag,
                "guid": self.account.guid,
                "bank_bin": self.account.bank_bin,
                "bank_name": self.account.bank_name,
                "bank_short_name": self.account.bank_short_name,
                "id": self.account.id,
                "service": self.account.service,
                "service_name": self.account.service_name,
            },
            "bill": {
                "bill_number": self.bill.bill_number,
                "mobile": self.bill.mobile,
                "store_label": self.bill.store_label,
                "loyalty": self.bill.loyalty,
                "reference_label": self.bill.reference_label,
                "customer_label": self.bill.customer_label,
                "terminal_label": self.bill.terminal_label,
                "purpose": self.bill.purpose,
                "evn_customer_code": self.bill.evn_customer_code,
                "evn_corporation": self.bill.evn_corporation,
                "evn_corporation_name": self.bill.evn_corporation_name,
                "evn_corporation_name_vi": self.bill.evn_corporation_name_vi,
            },
            "fee": None if self.fee is None else self.fee.to_dict(self.amount),
            "fields": [f.to_dict() for f in self.fields],
            "findings": [f.to_dict() for f in self.findings],
        }


class _Parser:
    """One parse: read the field tree (structure), check the rules, fill the named view (derive).
    Findings are collected in order, at most ``MAX_FINDINGS`` (then one ``too-many-findings``)."""

    def __init__(self, text: str, profile: str, directory: BankDirectory, payees: EvnPayees):
        self.text = text
        self.profile = profile
        self.directory = directory
        self.payees = payees
        self.findings: list[Finding] = []
        self.suppressed = 0

    def add(self, code: str, path: str | None, offset: int | None, **details: Any) -> None:
        if len(self.findings) >= MAX_FINDINGS:
            self.suppressed += 1
            return
        self.findings.append(make_finding(code, self.profile, path, offset, **details))

    def finish(self) -> list[Finding]:
        if self.suppressed:
            self.findings.append(
                make_finding("too-many-findings", self.profile, None, None, count=self.suppressed)
            )
            self.suppressed = 0
        return self.findings

    # --- structure -------------------------------------------------------------------------
    def read_level(self, start: int, end: int, parent: Field | None, guid: str | None) -> list[Field]:
        """Read the data objects in text[start:end]; parent is None at the root. A data object is an
        ID (2 digits), a length (2 digits) and that many characters of value (spec: "EMVCo MPM")."""
        out: list[Field] = []
        seen: set[str] = set()
        repeated: set[str] = set()
        pos = start
        while pos < end:
            f = self.read_object(pos, end, parent, guid)
            if f is None:
                break
            self.check_repeat_and_empty(f, seen, repeated)
            out.append(f)
            if f.value and self.is_template(f, parent, guid):
                inner_guid = peek_guid(f.value) if parent is None else guid
                value_start = pos + 4
                f.children = self.read_level(value_start, value_start + len(f.value), f, inner_guid)
            pos += 4 + len(f.value)
        return out

    def read_object(self, pos: int, end: int, parent: Field | None, guid: str | None) -> Field | None:
        """The data object at ``pos``, or None (its finding added) when it cannot be read; reading
        this level stops there."""
        prefix = f"{parent.path}." if parent else ""
        if end - pos < 4:
            self.add_overrun(prefix + "??", pos, parent, need=4, have=end - pos)
            return None
        fid, flen = self.text[pos : pos + 2], self.text[pos + 2 : pos + 4]
        if not is_ascii_digits(fid):
            self.add("bad-id", prefix + "??", pos, found=fid)
            return None
        path = prefix + fid
        if not is_ascii_digits(flen):
            self.add("bad-length", path, pos + 2, found=flen)
            return None
        n, value_start = int(flen), pos + 4
        if value_start + n > end:
            self.add_overrun(path, pos, parent, need=n, have=end - value_start)
            return None
        name = root_name(fid) if parent is None else child_name(parent.path, fid, guid)
        return Field(fid, name, self.text[value_start : value_start + n], pos, path)

    def add_overrun(self, path: str, pos: int, parent: Field | None, need: int, have: int) -> None:
        """Past the end of the payload (root) or of the enclosing template (nested)."""
        if parent is None:
            self.add("truncated", path, pos, need=need, have=have)
        else:
            self.add("length-overrun", path, pos, need=need, have=have, parent=parent.path)

    def check_repeat_and_empty(self, f: Field, seen: set[str], repeated: set[str]) -> None:
        """An ID appears once per level (reported once however often it repeats); a value is not empty."""
        if f.id in seen and f.id not in repeated:
            self.add("duplicate-id", f.path, f.offset)
            repeated.add(f.id)
        seen.add(f.id)
        if not f.value:
            self.add("empty-value", f.path, f.offset)

    @staticmethod
    def is_template(f: Field, parent: Field | None, guid: str | None) -> bool:
        if parent is None:
            return is_template_id(f.id)
        if parent.path == "62":
            return int(f.id) >= 50
        # VietQR: sub-field 01 of the NAPAS template holds bank BIN + account.
        return "." not in parent.path and guid == VIETQR_GUID and f.id == "01"

    # --- rules -------------------------------------------------------------------------------
    def check_root(self, fields: list[Field]) -> CrcCheck:
        """The root-level rules as a flat run of steps, in the order their findings are reported.
        Clauses are named as in the EMVCo QR Code Specification for Payment Systems, Merchant-Presented
        Mode (the EMVCo MPM Book), data objects by their root ID."""
        by_id = first_of_each(fields)
        accounts = merchant_accounts(fields)
        is_vietqr = any(guid_of(a) == VIETQR_GUID for a in accounts)
        # Root ID 00: payload format indicator, mandatory, first, value 01.
        self.check_format_indicator(fields, by_id)
        # Root ID 01: point of initiation, 11 static or 12 dynamic.
        self.check_initiation(by_id)
        # Root ID 63: CRC-16/CCITT-FALSE, last, length 04.
        crc = self.check_crc(fields, by_id)
        # Root IDs 02-51: at least one merchant account; 53 currency and 58 country are mandatory.
        self.check_mandatory(by_id, accounts)
        # Root IDs 52, 59, 60: expected by EMVCo; VietQR (NAPAS) payloads may omit them.
        self.check_descriptive_fields(by_id, is_vietqr)
        # Root IDs 26-51: a template's sub-ID 00 is its GUID.
        self.check_guids(accounts)
        # Root ID 52: merchant category code, 4 digits.
        self.check_mcc(by_id)
        # Root ID 53: ISO 4217 numeric currency, 704 = VND (Vietnam profiles).
        self.check_currency(by_id)
        # Root ID 58: country code, VN (Vietnam profiles).
        self.check_country(by_id)
        # Root IDs 55-57: tip or convenience indicator 01/02/03, with 56 or 57 where it needs one, never both.
        self.check_tip(by_id)
        # Root IDs 59, 60, 61: spec maximum lengths (54 is the amount rule's).
        self.check_lengths(by_id)
        # Root ID 62: additional data sub-IDs 01-09 up to 25 characters, 10-49 reserved.
        self.check_additional_data(by_id)
        # Root IDs 65-79: reserved.
        self.check_reserved_root_ids(fields)
        # Every value: no control characters; ASCII outside template 64 (another language).
        self.check_characters(fields)
        # Whole payload: at most MAX_PAYLOAD_CHARS characters.
        self.check_payload_length()
        return crc

    def check_format_indicator(self, fields: list[Field], by_id: dict[str, Field]) -> None:
        indicator = by_id.get("00")
        if indicator is None:
            self.add("missing-mandatory", "00", None, name=root_name("00"))
            return
        if fields[0].id != "00":
            self.add("format-not-first", "00", indicator.offset)
        if indicator.value != "01":
            self.add("bad-format-indicator", "00", indicator.offset, found=indicator.value)

    def check_initiation(self, by_id: dict[str, Field]) -> None:
        initiation = by_id.get("01")
        if initiation is not None and initiation.value not in ("11", "12"):
            self.add("bad-initiation", "01", initiation.offset, found=initiation.value)

    def check_crc(self, fields: list[Field], by_id: dict[str, Field]) -> CrcCheck:
        if "63" not in by_id:
            self.add("crc-missing", "63", None)
            return CrcCheck(None, None, False)
        f = by_id["63"]
        if fields[-1] is not f or f.offset + 4 + len(f.value) != len(self.text):
            self.add("crc-not-last", "63", f.offset)
        if len(f.value) != 4:
            self.add("crc-bad-length", "63", f.offset, found=f"{len(f.value):02d}")
            return CrcCheck(f.value, None, False)
        computed = payload_crc(self.text[: f.offset + 4])
        found = f.value
        ok = found.upper() == computed
        if not ok:
            self.add("crc-mismatch", "63", f.offset, found=found, computed=computed)
        elif found != computed:
            self.add("crc-lowercase", "63", f.offset, found=found)
        return CrcCheck(found, computed, ok)

    def check_mandatory(self, by_id: dict[str, Field], accounts: list[Field]) -> None:
        if not accounts:
            self.add("no-merchant-account", "02-51", None)
        for fid in ("53", "58"):
            if fid not in by_id:
                self.add("missing-mandatory", fid, None, name=root_name(fid))

    def check_descriptive_fields(self, by_id: dict[str, Field], is_vietqr: bool) -> None:
        for fid in ("52", "59", "60"):
            if fid in by_id:
                continue
            if not is_vietqr:
                self.add("missing-optional", fid, None, name=root_name(fid))
            elif self.profile == "strict":
                self.add("napas-omits", fid, None, name=root_name(fid))

    def check_guids(self, accounts: list[Field]) -> None:
        for account in accounts:
            if account.children and account.child("00") is None:
                self.add("missing-guid", account.path, account.offset)

    def check_mcc(self, by_id: dict[str, Field]) -> None:
        mcc = by_id.get("52")
        if mcc is not None and not (is_ascii_digits(mcc.value) and len(mcc.value) == 4):
            self.add("bad-mcc", "52", mcc.offset, found=mcc.value)

    def check_currency(self, by_id: dict[str, Field]) -> None:
        currency = by_id.get("53")
        if currency is None:
            return
        if not (is_ascii_digits(currency.value) and len(currency.value) == 3):
            self.add("bad-currency", "53", currency.offset, found=currency.value)
        elif currency.value != VND_NUMERIC:
            found = CURRENCY_ALPHA.get(currency.value, currency.value)
            self.add("currency-not-vnd", "53", currency.offset, found=found)

    def check_country(self, by_id: dict[str, Field]) -> None:
        country = by_id.get("58")
        if country is None:
            return
        code = country.value
        if not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
            self.add("bad-country", "58", country.offset, found=code)
        elif code != "VN":
            self.add("country-not-vn", "58", country.offset, found=code)

    def check_tip(self, by_id: dict[str, Field]) -> None:
        for problem in read_fees(by_id).problems:
            self.add(problem.code, problem.path, problem.offset, **problem.details)

    def check_lengths(self, by_id: dict[str, Field]) -> None:
        for fid, limit in MAX_LENGTHS.items():
            f = by_id.get(fid)
            if f is not None and fid != "54" and len(f.value) > limit:
                self.add("too-long", fid, f.offset, name=f.name, have=len(f.value), limit=limit)

    def check_additional_data(self, by_id: dict[str, Field]) -> None:
        if "62" not in by_id:
            return
        for sub in by_id["62"].children:
            n = int(sub.id)
            if n == 0:
                self.add("undefined-id", sub.path, sub.offset)
            elif 1 <= n <= 9 and len(sub.value) > MAX_ADDITIONAL_DATA:
                self.add("too-long", sub.path, sub.offset, name=sub.name, have=len(sub.value),
                         limit=MAX_ADDITIONAL_DATA)
            elif 10 <= n <= 49:
                self.add("reserved-id", sub.path, sub.offset)

    def check_reserved_root_ids(self, fields: list[Field]) -> None:
        for f in fields:
            if 65 <= int(f.id) <= 79:
                self.add("reserved-id", f.path, f.offset)

    def check_payload_length(self) -> None:
        if len(self.text) > MAX_PAYLOAD_CHARS:
            self.add("payload-too-long", None, None, have=len(self.text))

    def check_characters(self, fields: list[Field]) -> None:
        for f in walk_fields(fields):
            if f.children:
                continue
            bad_control = _CONTROL_CHARACTER.search(f.value)
            if bad_control is not None:
                self.add("control-character", f.path, f.offset, found=f"U+{ord(bad_control.group()):04X}")
            elif not f.path.startswith("64") and not f.value.isascii():
                self.add("non-ascii", f.path, f.offset, found=next(ch for ch in f.value if not ch.isascii()))

    # --- derived view -----------------------------------------------------------------------
    def derive(self, result: ParsedPayload) -> None:
        """Fill the named view of ``result`` from its fields, one step per part of the bill; the steps
        that find a problem add it (amount, account, EVN customer code, in that order)."""
        by_id = first_of_each(result.fields)
        # Root ID 01: point of initiation, 11 static, 12 dynamic.
        result.initiation = INITIATIONS.get(value_of(by_id, "01") or "")
        # Root ID 53: currency (ISO 4217 numeric).
        result.currency = value_of(by_id, "53")
        # Root ID 54: amount, digits with at most one "." (VND has no minor unit).
        result.amount = self.read_amount(by_id.get("54"))
        # Root IDs 55-57: the tip prompt or the convenience fee (none when they are malformed).
        result.fee = read_fees(by_id).rule
        # Root IDs 52, 58-61 and template 64 (merchant information in another language).
        result.merchant = merchant_of(by_id)
        # Vietnam profiles: VietQR template 38, EVN bill (GUID 00 + MCC 4900 + EVN's own merchant id),
        # VNPAY-QR template 26.
        result.scheme, result.account = self.read_scheme_and_account(result.fields, by_id)
        # Root ID 62 sub-IDs 01-08, and the EVN customer code (62.06 on EVN bills).
        result.bill = self.read_bill(result.scheme, by_id)
        # Dressed as an EVN bill (MCC 4900, GUID 00 or a customer code) but paying someone else.
        self.check_evn_payee(result, by_id)

    def read_amount(self, f: Field | None) -> int | None:
        if f is None:
            return None
        try:
            amount, decimals = parse_field_amount(f.value)
        except AmountError as exc:
            self.add("bad-amount", "54", f.offset, found=f.value, detail=exc.detail, detail_vi=exc.detail_vi)
            return None
        if decimals:
            self.add("amount-decimals", "54", f.offset, found=f.value)
        if amount == 0:
            self.add("amount-zero", "54", f.offset)
        return amount

    def read_scheme_and_account(self, fields: list[Field],
                                by_id: dict[str, Field]) -> tuple[str | None, MerchantAccount]:
        """The scheme, by precedence VietQR > EVN > VNPAY-QR > other EMVCo, and its merchant account."""
        accounts = merchant_accounts(fields)
        vietqr = account_with_guid(accounts, VIETQR_GUID)
        if vietqr is not None:
            return SCHEME_VIETQR, self.vietqr_account(vietqr)
        evn_like = account_with_guid(accounts, "00")
        if evn_like is not None and self.payees.is_evn_bill(value_of(by_id, "52"), sub_value(evn_like, "01")):
            return SCHEME_EVN, generic_account(evn_like)
        vnpay = account_with_guid(accounts, VNPAY_GUID)
        if vnpay is not None:
            return SCHEME_VNPAY, generic_account(vnpay)
        if accounts:
            return SCHEME_EMVCO, generic_account(next((a for a in accounts if a.children), accounts[0]))
        return None, MerchantAccount()

    def read_bill(self, scheme: str | None, by_id: dict[str, Field]) -> BillInfo:
        extra = by_id.get("62")
        values = {attr: sub_value(extra, sid) for sid, attr in _BILL_SUBFIELDS.items()}
        # EVN customer codes: two letters naming the power corporation + 11 characters, found in the
        # customer label, else the bill number, else the reference label.
        code = next((v for v in (values["customer_label"], values["bill_number"], values["reference_label"])
                     if evn.is_customer_code(v)), None)
        label = extra.child("06") if extra is not None else None
        if scheme == SCHEME_EVN and code is None and label is not None and values["customer_label"]:
            self.add("bad-evn-customer-code", label.path, label.offset, found=label.value)
        corp = evn.corporation_for(code) if scheme == SCHEME_EVN else None
        return BillInfo(
            **values,
            evn_customer_code=code if scheme == SCHEME_EVN else None,
            evn_corporation=corp.short_name if corp else None,
            evn_corporation_name=corp.name_en if corp else None,
            evn_corporation_name_vi=corp.name_vi if corp else None,
        )

    def check_evn_payee(self, result: ParsedPayload, by_id: dict[str, Field]) -> None:
        """Dressed as an EVN bill but paying neither EVN's merchant ids nor its accounts (``core/evn_payees.py``)."""
        a, has_guid_00 = result.account, account_with_guid(merchant_accounts(result.fields), "00") is not None
        if result.scheme != SCHEME_EVN and self.payees.is_impostor(value_of(by_id, "52"), has_guid_00, result.bill, a):
            template = by_id.get(a.tag or "")
            payee = template.child("01") if template is not None else None
            self.add("evn-payee-unknown", payee.path if payee else None, payee.offset if payee else None,
                     payee=a.id or "?")

    def vietqr_account(self, tpl: Field) -> MerchantAccount:
        beneficiary = tpl.child("01")
        bin_field = beneficiary.child("00") if beneficiary is not None else None
        bin_ = bin_field.value if bin_field is not None else None
        acct = sub_value(beneficiary, "01")
        service_field = tpl.child("02")
        service = service_field.value if service_field is not None else None
        if bin_field is None:
            self.add("missing-account", tpl.path, tpl.offset)
        bank = None
        if bin_field is not None:
            if not (len(bin_field.value) == 6 and is_ascii_digits(bin_field.value)):
                self.add("bad-bin", bin_field.path, bin_field.offset, found=bin_field.value)
            else:
                bank = self.directory.lookup(bin_field.value)
                if bank is None:
                    self.add("unknown-bank", bin_field.path, bin_field.offset, found=bin_field.value)
        if service_field is not None and service_field.value not in VIETQR_SERVICES:
            self.add("unknown-service", service_field.path, service_field.offset, found=service_field.value)
        return MerchantAccount(
            tag=tpl.id,
            guid=guid_of(tpl),
            bank_bin=bin_,
            bank_name=bank.name if bank else None,
            bank_short_name=bank.short_name if bank else None,
            id=acct,
            service=service,
            service_name=VIETQR_SERVICES.get(service or ""),
        )


def parse_payload(text: str, profile: str = "lenient", directory: BankDirectory | None = None,
                  payees: EvnPayees | None = None) -> ParsedPayload:
    """Parse a scanned QR text. Never raises for bad input; see ``ParsedPayload.findings``. The bank
    directory and EVN's collection payees are the bundled ones unless given."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if not isinstance(text, str):
        raise TypeError("parse_payload expects the decoded text (str)")
    if len(text) > MAX_INPUT_CHARS:
        # Checked before anything else: no QR code holds more, and tokenising megabytes of garbage
        # would cost seconds and gigabytes (10 MB of "0" took 20 s and 1.5 GB before this check).
        too_long = make_finding("input-too-long", profile, None, None, limit=MAX_INPUT_CHARS)
        return ParsedPayload(text[:MAX_INPUT_CHARS], profile, [], [too_long], CrcCheck(None, None, False))
    parser = _Parser(text, profile, directory or BankDirectory.bundled(), payees or EvnPayees.bundled())
    if text == "":
        parser.add("empty", None, 0)
        return ParsedPayload(text, profile, [], parser.finish(), CrcCheck(None, None, False))
    if not (len(text) >= 4 and is_ascii_digits(text[:4])):
        preview = text[:40] + ("…" if len(text) > 40 else "")
        parser.add("not-emvco", None, 0, detail=f"starts with {preview!r}",
                   detail_vi=f"bắt đầu bằng {preview!r}")
        return ParsedPayload(text, profile, [], parser.finish(), CrcCheck(None, None, False))
    fields = parser.read_level(0, len(text), None, None)
    crc = parser.check_root(fields)
    result = ParsedPayload(text, profile, fields, parser.findings, crc)
    parser.derive(result)
    result.findings = parser.finish()
    return result
