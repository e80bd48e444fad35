"""CRC-16/CCITT-FALSE as used by EMVCo QR payloads (tag 63)."""

from __future__ import annotations


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _make_table()


def crc16_ccitt_false(data: bytes) -> int:
    """Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def payload_crc(text_through_6304: str) -> str:
    """The 4 uppercase hex digits for everything before the CRC value (``...6304`` included)."""
    return f"{crc16_ccitt_false(text_through_6304.encode('utf-8')):04X}"
