"""Findings: what the parser has to say about a payload, in English and Vietnamese.

Each finding has a stable machine ``code`` (QA scripts match on it), a severity, the path of the
field it is about (``"62.06"``) and the character offset in the payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
PROFILES: tuple[str, ...] = ("lenient", "strict")

# How a rule is graded: always an error, always a warning, or a warning in the lenient profile
# (what Vietnamese bank apps accept) that becomes an error in the strict profile.
ALWAYS_ERROR = "error"
ALWAYS_WARNING = "warning"
STRICT_ERROR = "strict"

# code -> (grading, English template, Vietnamese template)
CATALOG: dict[str, tuple[str, str, str]] = {
    "empty": (ALWAYS_ERROR, "The QR code contains no data.", "Mã QR không chứa dữ liệu."),
    "input-too-long": (
        ALWAYS_ERROR,
        "The text is longer than {limit} characters, the most a QR code can hold: it was not read.",
        "Dữ liệu dài hơn {limit} ký tự, vượt quá mức tối đa một mã QR có thể chứa: dữ liệu không được đọc.",
    ),
    "not-emvco": (
        ALWAYS_ERROR,
        "This is not a payment QR: it does not start with an EMVCo data object ({detail}).",
        "Đây không phải mã QR thanh toán: dữ liệu không bắt đầu bằng một trường EMVCo ({detail_vi}).",
    ),
    "bad-id": (
        ALWAYS_ERROR,
        "Expected a two-digit field id at this position, found {found!r}.",
        "Cần mã trường gồm hai chữ số tại vị trí này, nhưng gặp {found!r}.",
    ),
    "bad-length": (
        ALWAYS_ERROR,
        "Field {path} has a length that is not two digits: {found!r}.",
        "Trường {path} có độ dài không phải hai chữ số: {found!r}.",
    ),
    "truncated": (
        ALWAYS_ERROR,
        "The payload ends too early: field {path} needs {need} characters but only {have} remain.",
        "Dữ liệu bị cắt cụt: trường {path} cần {need} ký tự nhưng chỉ còn {have}.",
    ),
    "length-overrun": (
        ALWAYS_ERROR,
        "Field {path} declares {need} characters but its template {parent} has only {have} left.",
        "Trường {path} khai báo {need} ký tự nhưng mẫu {parent} chỉ còn {have}.",
    ),
    "duplicate-id": (
        ALWAYS_ERROR,
        "Field {path} appears more than once at the same level.",
        "Trường {path} xuất hiện nhiều lần trong cùng một cấp.",
    ),
    "empty-value": (
        STRICT_ERROR,
        "Field {path} is present but empty.",
        "Trường {path} có mặt nhưng rỗng.",
    ),
    "missing-mandatory": (
        ALWAYS_ERROR,
        "Mandatory field {path} ({name}) is missing.",
        "Thiếu trường bắt buộc {path} ({name_vi}).",
    ),
    "missing-optional": (
        STRICT_ERROR,
        "Field {path} ({name}) is missing; EMVCo requires it, Vietnamese bank apps accept it.",
        "Thiếu trường {path} ({name_vi}); EMVCo bắt buộc nhưng ứng dụng ngân hàng vẫn chấp nhận.",
    ),
    "napas-omits": (
        ALWAYS_WARNING,
        "Field {path} ({name}) is missing; NAPAS VietQR transfers may omit it.",
        "Thiếu trường {path} ({name_vi}); mã VietQR chuyển khoản của NAPAS có thể bỏ qua trường này.",
    ),
    "format-not-first": (
        ALWAYS_ERROR,
        "The payload format indicator (00) must be the first field.",
        "Trường chỉ dẫn định dạng (00) phải đứng đầu.",
    ),
    "bad-format-indicator": (
        ALWAYS_ERROR,
        "The payload format indicator (00) must be '01', found {found!r}.",
        "Chỉ dẫn định dạng (00) phải là '01', nhưng là {found!r}.",
    ),
    "bad-initiation": (
        ALWAYS_ERROR,
        "Point of initiation (01) must be '11' (static) or '12' (dynamic), found {found!r}.",
        "Phương thức khởi tạo (01) phải là '11' (tĩnh) hoặc '12' (động), nhưng là {found!r}.",
    ),
    "crc-missing": (
        ALWAYS_ERROR,
        "The checksum field (63) is missing: the code may be incomplete.",
        "Thiếu trường mã kiểm tra (63): mã QR có thể không đầy đủ.",
    ),
    "crc-not-last": (
        ALWAYS_ERROR,
        "The checksum field (63) must be the last field.",
        "Trường mã kiểm tra (63) phải là trường cuối cùng.",
    ),
    "crc-bad-length": (
        ALWAYS_ERROR,
        "The checksum field (63) must have length 04, found {found!r}.",
        "Trường mã kiểm tra (63) phải có độ dài 04, nhưng là {found!r}.",
    ),
    "crc-mismatch": (
        ALWAYS_ERROR,
        "The checksum is wrong (found {found}, computed {computed}): the code may be damaged or tampered with.",
        "Mã kiểm tra sai (đọc được {found}, tính ra {computed}): mã QR có thể bị hỏng hoặc bị sửa đổi.",
    ),
    "crc-lowercase": (
        STRICT_ERROR,
        "The checksum is written in lowercase hex ({found}); the standard asks for uppercase.",
        "Mã kiểm tra viết bằng chữ thường ({found}); tiêu chuẩn yêu cầu chữ hoa.",
    ),
    "no-merchant-account": (
        ALWAYS_ERROR,
        "No merchant account information (fields 02-51): nobody to pay.",
        "Không có thông tin tài khoản người nhận (trường 02-51): không biết trả cho ai.",
    ),
    "missing-guid": (
        STRICT_ERROR,
        "Merchant account template {path} has no globally unique identifier (sub-field 00).",
        "Mẫu tài khoản {path} không có mã định danh toàn cầu (trường con 00).",
    ),
    "bad-mcc": (
        STRICT_ERROR,
        "The merchant category code (52) must be 4 digits, found {found!r}.",
        "Mã ngành hàng (52) phải gồm 4 chữ số, nhưng là {found!r}.",
    ),
    "bad-currency": (
        ALWAYS_ERROR,
        "The currency (53) must be a 3-digit ISO 4217 code, found {found!r}.",
        "Mã tiền tệ (53) phải là mã ISO 4217 gồm 3 chữ số, nhưng là {found!r}.",
    ),
    "currency-not-vnd": (
        ALWAYS_WARNING,
        "The currency is {found}, not Vietnamese dong (704).",
        "Tiền tệ là {found}, không phải Việt Nam đồng (704).",
    ),
    "bad-amount": (
        ALWAYS_ERROR,
        "The amount (54) {found!r} is not a valid amount of dong: {detail}.",
        "Số tiền (54) {found!r} không hợp lệ: {detail_vi}.",
    ),
    "amount-decimals": (
        STRICT_ERROR,
        "The amount (54) {found!r} has a decimal part; Vietnamese dong has no minor unit.",
        "Số tiền (54) {found!r} có phần thập phân; Việt Nam đồng không có đơn vị lẻ.",
    ),
    "amount-zero": (
        ALWAYS_WARNING,
        "The amount (54) is zero.",
        "Số tiền (54) bằng không.",
    ),
    "bad-tip": (
        ALWAYS_ERROR,
        "Tip or convenience indicator (55) {found!r} is invalid or lacks its fee field: {detail}.",
        "Chỉ dẫn tiền tip/phí (55) {found!r} không hợp lệ hoặc thiếu trường phí: {detail_vi}.",
    ),
    "fee-without-indicator": (
        ALWAYS_ERROR,
        "Field {path} holds a convenience fee ({found!r}) but there is no tip or convenience indicator (55): "
        "whether a fee is due cannot be told.",
        "Trường {path} chứa phí tiện ích ({found!r}) nhưng không có chỉ dẫn tiền tip/phí (55): "
        "không xác định được có phải trả phí hay không.",
    ),
    "fee-fixed-unexpected": (
        ALWAYS_ERROR,
        "A fixed convenience fee (56) is present but the indicator (55) is {found!r}, not '02' (fixed fee).",
        "Có phí tiện ích cố định (56) nhưng chỉ dẫn (55) là {found!r}, không phải '02' (phí cố định).",
    ),
    "fee-percent-unexpected": (
        ALWAYS_ERROR,
        "A percentage convenience fee (57) is present but the indicator (55) is {found!r}, not '03' (percentage).",
        "Có phí tiện ích theo phần trăm (57) nhưng chỉ dẫn (55) là {found!r}, không phải '03' (phần trăm).",
    ),
    "fee-both": (
        ALWAYS_ERROR,
        "Both a fixed fee (56) and a percentage fee (57) are present: which one is due cannot be told.",
        "Có cả phí cố định (56) lẫn phí phần trăm (57): không xác định được phải trả khoản nào.",
    ),
    "bad-fee-fixed": (
        ALWAYS_ERROR,
        "The fixed convenience fee (56) {found!r} is not a valid amount of dong: {detail}.",
        "Phí tiện ích cố định (56) {found!r} không phải số đồng hợp lệ: {detail_vi}.",
    ),
    "bad-fee-percent": (
        ALWAYS_ERROR,
        "The percentage convenience fee (57) {found!r} is not a percentage from 0 to 100 with at most two "
        "decimals.",
        "Phí tiện ích phần trăm (57) {found!r} không phải tỷ lệ từ 0 đến 100 với tối đa hai chữ số thập phân.",
    ),
    "bad-country": (
        ALWAYS_ERROR,
        "The country code (58) must be two uppercase letters, found {found!r}.",
        "Mã quốc gia (58) phải gồm hai chữ in hoa, nhưng là {found!r}.",
    ),
    "country-not-vn": (
        ALWAYS_WARNING,
        "The country code is {found}, not VN.",
        "Mã quốc gia là {found}, không phải VN.",
    ),
    "too-long": (
        STRICT_ERROR,
        "Field {path} ({name}) is {have} characters long; the standard allows {limit}.",
        "Trường {path} ({name_vi}) dài {have} ký tự; tiêu chuẩn cho phép {limit}.",
    ),
    "payload-too-long": (
        STRICT_ERROR,
        "The payload is {have} characters long; EMVCo allows 512.",
        "Dữ liệu dài {have} ký tự; EMVCo cho phép tối đa 512.",
    ),
    "non-ascii": (
        STRICT_ERROR,
        "Field {path} contains characters outside the EMVCo character set (e.g. {found!r}).",
        "Trường {path} chứa ký tự ngoài bộ ký tự EMVCo (ví dụ {found!r}).",
    ),
    "control-character": (
        ALWAYS_ERROR,
        "Field {path} contains a control character ({found}).",
        "Trường {path} chứa ký tự điều khiển ({found}).",
    ),
    "undefined-id": (
        STRICT_ERROR,
        "Field {path} is not defined in this template.",
        "Trường {path} không được định nghĩa trong mẫu này.",
    ),
    "reserved-id": (
        ALWAYS_WARNING,
        "Field {path} uses an id reserved for future use.",
        "Trường {path} dùng mã được dành cho tương lai.",
    ),
    "bad-bin": (
        STRICT_ERROR,
        "The bank BIN {found!r} in {path} is not 6 digits.",
        "Mã BIN ngân hàng {found!r} tại {path} không gồm 6 chữ số.",
    ),
    "unknown-bank": (
        ALWAYS_WARNING,
        "Bank BIN {found} is not in the NAPAS bank directory.",
        "Mã BIN {found} không có trong danh bạ ngân hàng NAPAS.",
    ),
    "unknown-service": (
        ALWAYS_WARNING,
        "Unknown VietQR service code {found!r}.",
        "Mã dịch vụ VietQR không xác định {found!r}.",
    ),
    "missing-account": (
        ALWAYS_ERROR,
        "The VietQR template {path} has no beneficiary bank and account (sub-field 01).",
        "Mẫu VietQR {path} không có ngân hàng và tài khoản thụ hưởng (trường con 01).",
    ),
    "bad-evn-customer-code": (
        ALWAYS_WARNING,
        "The electricity bill's customer label {found!r} is not an EVN customer code "
        "(2 letters PA-PE + 11 characters).",
        "Mã khách hàng {found!r} trên hóa đơn điện không đúng dạng mã khách hàng EVN (PA-PE + 11 ký tự).",
    ),
    "evn-payee-unknown": (
        ALWAYS_WARNING,
        "This QR claims to be an EVN bill but pays {payee}, which is not an EVN collection account: it may "
        "be a sticker pasted over a real bill. Check the payee before paying.",
        "Mã QR này tự nhận là hóa đơn tiền điện EVN nhưng trả tiền cho {payee}, không phải tài khoản thu "
        "tiền của EVN: có thể là mã QR dán đè lên hóa đơn thật. Hãy kiểm tra người nhận trước khi trả tiền.",
    ),
    "too-many-findings": (
        ALWAYS_ERROR,
        "{count} more findings were left out: the input is far from a payment payload.",
        "Đã bỏ qua {count} lỗi khác: dữ liệu khác xa một mã thanh toán.",
    ),
}


# Vietnamese names of the fields that messages name (others fall back to the English name).
VIETNAMESE_NAMES: dict[str, str] = {
    "00": "chỉ dẫn định dạng",
    "52": "mã ngành hàng",
    "53": "mã tiền tệ",
    "54": "số tiền",
    "58": "mã quốc gia",
    "59": "tên đơn vị nhận tiền",
    "60": "thành phố",
    "61": "mã bưu chính",
    "62.01": "số hóa đơn",
    "62.02": "số điện thoại",
    "62.03": "nhãn cửa hàng",
    "62.04": "mã khách hàng thân thiết",
    "62.05": "mã tham chiếu",
    "62.06": "mã khách hàng",
    "62.07": "mã thiết bị",
    "62.08": "mục đích giao dịch",
    "62.09": "yêu cầu thông tin khách hàng",
}


# Warnings about what is paid (amount, currency, the payee's bank or the bill): the payer sees them on the
# Payee card. Every other warning is a standards finding for QA, listed by the Inspector and the exports.
CHANGES_PAYMENT: frozenset[str] = frozenset({
    "currency-not-vnd", "amount-decimals", "amount-zero", "unknown-bank", "bad-evn-customer-code",
    "evn-payee-unknown",
})


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    path: str | None
    offset: int | None
    message: str
    message_vi: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "path": self.path,
            "offset": self.offset,
            "message": self.message,
            "message_vi": self.message_vi,
        }


def make_finding(code: str, profile: str, path: str | None, offset: int | None, **details: Any) -> Finding:
    grading, en, vi = CATALOG[code]
    severity: Severity
    if grading == STRICT_ERROR:
        severity = "error" if profile == "strict" else "warning"
    else:
        severity = "error" if grading == ALWAYS_ERROR else "warning"
    details.setdefault("path", path)
    details.setdefault("detail_vi", details.get("detail", ""))
    if "name" in details:
        details.setdefault("name_vi", VIETNAMESE_NAMES.get(path or "", details["name"]))
    return Finding(severity, code, path, offset, en.format(**details), vi.format(**details))
