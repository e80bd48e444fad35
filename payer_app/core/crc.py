"""CRC-16/CCITT-FALSE as used by EMVCo QR payloads (tag 63)."""

from __future__ import annotations

import binascii


def crc16_ccitt_false(data: bytes) -> int:
    """Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR: ``binascii.crc_hqx`` is
    this CRC (its own initial value given as 0xFFFF); tests/test_crc.py checks it against the
    definition bit by bit."""
    return binascii.crc_hqx(data, 0xFFFF)


def payload_crc(text_through_6304: str) -> str:
    """The 4 uppercase hex digits for everything before the CRC value (``...6304`` included). A lone
    surrogate (hostile text has them; UTF-8 has none) is checksummed as its three bytes, so the parser
    reports it as a non-ASCII character instead of failing."""
    return f"{crc16_ccitt_false(text_through_6304.encode('utf-8', 'surrogatepass')):04X}"
