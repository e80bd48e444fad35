"""Amounts of Vietnamese dong: exact integers (VND has no minor unit), parsing and display."""

from __future__ import annotations

import re

MAX_AMOUNT_CHARS = 13  # EMVCo field 54
_DIGITS = re.compile(r"^[0-9]+$")
_DECIMAL = re.compile(r"^([0-9]+)\.([0-9]*)$")


class AmountError(ValueError):
    """An amount that is not an exact, non-negative number of dong: ``detail`` says why in English,
    ``detail_vi`` in Vietnamese (the values of the parser's ``bad-amount`` finding)."""

    def __init__(self, detail: str, detail_vi: str):
        super().__init__(detail)
        self.detail = detail
        self.detail_vi = detail_vi


def parse_field_amount(text: str) -> tuple[int, bool]:
    """Parse an EMVCo field-54 amount. Returns (dong, had_decimal_part).

    Accepts digits with at most one '.', up to 13 characters; a decimal part must be all zeros
    (``"1000.00"`` is 1000 dong). Rejects ``1,000``, ``-5``, ``1e3``, ``+5``, blanks and spaces.
    """
    if text == "":
        raise AmountError("it is empty", "để trống")
    if len(text) > MAX_AMOUNT_CHARS:
        raise AmountError(f"it is {len(text)} characters long (13 at most)", f"dài {len(text)} ký tự (tối đa 13)")
    if _DIGITS.match(text):
        return int(text), False
    m = _DECIMAL.match(text)
    if m:
        if m.group(2).strip("0"):
            raise AmountError("dong have no fractions", "đồng không có phần lẻ")
        return int(m.group(1)), True
    raise AmountError(
        "only digits and at most one '.' are allowed",
        "chỉ được dùng chữ số và tối đa một dấu '.'",
    )


def parse_user_amount(text: str) -> int:
    """Parse what a payer typed: digits with optional Vietnamese thousands separators and a ₫/đ/VND suffix.

    ``"1.234.567 ₫"``, ``"1 234 567"`` and ``"1234567"`` are all 1234567. Anything else raises AmountError.
    """
    cleaned = text.strip()
    for suffix in ("₫", "VND", "vnd", "đ", "Đ"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].strip()
            break
    if re.fullmatch(r"[0-9]{1,3}([. ][0-9]{3})+", cleaned):
        cleaned = cleaned.replace(".", "").replace(" ", "")
    if not _DIGITS.match(cleaned):
        raise AmountError(f"{text!r} is not a whole number of dong", f"{text!r} không phải số đồng nguyên")
    if len(cleaned.lstrip("0")) > MAX_AMOUNT_CHARS:
        raise AmountError("the amount is too large", "số tiền quá lớn")
    return int(cleaned)


def group_thousands(value: int) -> str:
    """1234567 -> '1.234.567' (Vietnamese grouping)."""
    return f"{value:,}".replace(",", ".")


def format_vnd(value: int) -> str:
    """1234567 -> '1.234.567 ₫'."""
    return f"{group_thousands(value)} ₫"
