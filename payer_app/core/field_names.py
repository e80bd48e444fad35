"""Names of EMVCo merchant-presented-mode data objects, root and nested."""

from __future__ import annotations

ROOT_NAMES: dict[str, str] = {
    "00": "Payload format indicator",
    "01": "Point of initiation method",
    "52": "Merchant category code",
    "53": "Transaction currency",
    "54": "Transaction amount",
    "55": "Tip or convenience indicator",
    "56": "Convenience fee (fixed)",
    "57": "Convenience fee (percentage)",
    "58": "Country code",
    "59": "Merchant name",
    "60": "Merchant city",
    "61": "Postal code",
    "62": "Additional data",
    "63": "CRC",
    "64": "Merchant information, alternate language",
}

ADDITIONAL_DATA_NAMES: dict[str, str] = {
    "01": "Bill number",
    "02": "Mobile number",
    "03": "Store label",
    "04": "Loyalty number",
    "05": "Reference label",
    "06": "Customer label",
    "07": "Terminal label",
    "08": "Purpose of transaction",
    "09": "Additional consumer data request",
}

ALTERNATE_LANGUAGE_NAMES: dict[str, str] = {
    "00": "Language preference",
    "01": "Merchant name (alternate language)",
    "02": "Merchant city (alternate language)",
}

VIETQR_GUID = "A000000727"
VNPAY_GUID = "A000000775"

VIETQR_ACCOUNT_NAMES: dict[str, str] = {
    "00": "Globally unique identifier",
    "01": "Beneficiary organisation",
    "02": "Service code",
}
VIETQR_BENEFICIARY_NAMES: dict[str, str] = {
    "00": "Acquirer id (bank BIN)",
    "01": "Account or card number",
}
VIETQR_SERVICES: dict[str, str] = {
    "QRIBFTTA": "Transfer to account",
    "QRIBFTTC": "Transfer to card",
    "QRPUSH": "Merchant payment",
    "QRCASH": "Cash withdrawal",
}


def is_template_id(root_id: str) -> bool:
    """Root ids whose value is itself a list of data objects."""
    n = int(root_id)
    return 26 <= n <= 51 or n in (62, 64) or 80 <= n <= 99


def is_merchant_account_id(root_id: str) -> bool:
    return 2 <= int(root_id) <= 51


def root_name(root_id: str) -> str:
    if root_id in ROOT_NAMES:
        return ROOT_NAMES[root_id]
    n = int(root_id)
    if 2 <= n <= 25:
        return "Merchant account information (card network)"
    if 26 <= n <= 51:
        return "Merchant account information (template)"
    if 65 <= n <= 79:
        return "Reserved for future use"
    if 80 <= n <= 99:
        return "Unreserved template"
    return "Unknown"


def child_name(parent_path: str, child_id: str, guid: str | None = None) -> str:
    """Name of a nested data object, given the path of its parent (``"62"``, ``"38.01"``...)."""
    top = parent_path.split(".")[0]
    n = int(child_id)
    if parent_path == "62":
        if child_id in ADDITIONAL_DATA_NAMES:
            return ADDITIONAL_DATA_NAMES[child_id]
        if 10 <= n <= 49:
            return "Reserved for future use"
        if n >= 50:
            return "Payment system specific template"
        return "Unknown"
    if parent_path == "64":
        return ALTERNATE_LANGUAGE_NAMES.get(child_id, "Reserved for future use")
    if "." in parent_path:
        if guid == VIETQR_GUID and parent_path.endswith(".01"):
            return VIETQR_BENEFICIARY_NAMES.get(child_id, "Unknown")
        if child_id == "00":
            return "Globally unique identifier"
        return "Payment system specific"
    if is_template_id(top) and child_id == "00":
        return "Globally unique identifier"
    if guid == VIETQR_GUID and child_id in VIETQR_ACCOUNT_NAMES:
        return VIETQR_ACCOUNT_NAMES[child_id]
    if child_id == "01" and 26 <= int(top) <= 51:
        return "Merchant id"
    return "Payment network specific"


# The same names in Vietnamese, for the window's Vietnamese UI (terms as Vietnamese bank apps and
# the NAPAS VietQR guide use them). Keyed by the English name, so every name above has one entry.
NAMES_VI: dict[str, str] = {
    "Payload format indicator": "Chỉ dẫn định dạng",
    "Point of initiation method": "Phương thức khởi tạo",
    "Merchant category code": "Mã ngành hàng (MCC)",
    "Transaction currency": "Mã tiền tệ",
    "Transaction amount": "Số tiền giao dịch",
    "Tip or convenience indicator": "Chỉ dẫn tiền boa / phí tiện ích",
    "Convenience fee (fixed)": "Phí tiện ích (cố định)",
    "Convenience fee (percentage)": "Phí tiện ích (phần trăm)",
    "Country code": "Mã quốc gia",
    "Merchant name": "Tên đơn vị nhận tiền",
    "Merchant city": "Thành phố",
    "Postal code": "Mã bưu chính",
    "Additional data": "Dữ liệu bổ sung",
    "CRC": "Mã kiểm tra (CRC)",
    "Merchant information, alternate language": "Thông tin đơn vị, ngôn ngữ khác",
    "Bill number": "Số hóa đơn",
    "Mobile number": "Số điện thoại",
    "Store label": "Nhãn cửa hàng",
    "Loyalty number": "Mã khách hàng thân thiết",
    "Reference label": "Mã tham chiếu",
    "Customer label": "Mã khách hàng",
    "Terminal label": "Mã thiết bị",
    "Purpose of transaction": "Mục đích giao dịch",
    "Additional consumer data request": "Yêu cầu thông tin khách hàng",
    "Language preference": "Ngôn ngữ",
    "Merchant name (alternate language)": "Tên đơn vị (ngôn ngữ khác)",
    "Merchant city (alternate language)": "Thành phố (ngôn ngữ khác)",
    "Globally unique identifier": "Định danh toàn cầu (GUID)",
    "Beneficiary organisation": "Tổ chức thụ hưởng",
    "Service code": "Mã dịch vụ",
    "Acquirer id (bank BIN)": "Mã ngân hàng (BIN)",
    "Account or card number": "Số tài khoản hoặc số thẻ",
    "Merchant account information (card network)": "Thông tin tài khoản đơn vị (tổ chức thẻ)",
    "Merchant account information (template)": "Thông tin tài khoản đơn vị",
    "Reserved for future use": "Dành cho tương lai",
    "Unreserved template": "Mẫu tự do",
    "Unknown": "Không xác định",
    "Payment system specific template": "Mẫu riêng của hệ thống thanh toán",
    "Payment system specific": "Riêng của hệ thống thanh toán",
    "Merchant id": "Mã đơn vị",
    "Payment network specific": "Riêng của mạng thanh toán",
}


def name_in(name: str, lang: str) -> str:
    """``name`` (an English field name from this module) in ``lang`` (``vi`` or ``en``)."""
    return NAMES_VI.get(name, name) if lang == "vi" else name
