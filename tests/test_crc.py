"""payer_app/core/crc.py against CRC-16/CCITT-FALSE's definition computed bit by bit (EMVCo QR
tag 63: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from payer_app.core.crc import crc16_ccitt_false, payload_crc


def _by_definition(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_the_crc_is_the_definitions(data):
    assert crc16_ccitt_false(data) == _by_definition(data)


def test_check_value_and_four_upper_hex_digits():
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogue's check value for this CRC
    assert crc16_ccitt_false(b"") == 0xFFFF
    assert payload_crc("00020101021263" + "04") == f"{_by_definition(b'0002010102126304'):04X}"
