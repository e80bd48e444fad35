"""Decoders: zbar (binary mode and the Shift-JIS repair), zxing-cpp, OpenCV, on QR images drawn by
payer_app.qr_symbol (tests/media.py)."""

from __future__ import annotations

import numpy as np
import pytest
from pyzbar import pyzbar

from payer_app.scan.decoders import (
    Detection,
    OpenCvDecoder,
    ZbarDecoder,
    ZxingDecoder,
    as_gray,
    decode_qr_bytes,
    repair_zbar_text,
)
from tests.media import qr_array
from tests.spec_vectors import EVN_BILL, GARBLING_PAYLOAD, VIETNAMESE_PAYLOAD


def test_plain_pyzbar_really_garbles_the_vietnamese_payload():
    # The premise of the repair: libzbar guesses Shift-JIS for these UTF-8 bytes.
    raw = pyzbar.decode(qr_array(GARBLING_PAYLOAD), symbols=[pyzbar.ZBarSymbol.QRCODE])[0].data
    assert raw.decode("utf-8") != GARBLING_PAYLOAD


def test_zbar_without_binary_mode_repairs_shift_jis_garbling():
    decoder = ZbarDecoder(binary=False)
    found = decoder.decode(qr_array(GARBLING_PAYLOAD))
    assert [d.text for d in found] == [GARBLING_PAYLOAD]
    assert decoder.binary_supported is False


@pytest.mark.parametrize("payload", [GARBLING_PAYLOAD, VIETNAMESE_PAYLOAD, EVN_BILL])
def test_zbar_binary_mode_returns_exact_utf8_text(payload):
    decoder = ZbarDecoder()
    found = decoder.decode(qr_array(payload))
    assert [d.text for d in found] == [payload]
    assert found[0].decoder == "zbar"


def test_latin1_qr_codes_decode_by_the_qr_default_encoding():
    # segno writes text that fits ISO-8859-1 in that encoding, as the QR standard allows.
    text = "Associação"
    assert [d.text for d in ZbarDecoder().decode(qr_array(text))] == [text]
    assert [d.text for d in ZxingDecoder().decode(qr_array(text))] == [text]


def test_repair_leaves_correct_text_alone():
    assert repair_zbar_text(EVN_BILL) == EVN_BILL
    assert repair_zbar_text(VIETNAMESE_PAYLOAD) == VIETNAMESE_PAYLOAD
    assert repair_zbar_text("Lê Anh Tú") == "Lê Anh Tú"


def test_repair_prefers_the_candidate_whose_crc_matches():
    garbled = GARBLING_PAYLOAD.encode("utf-8").decode("shift_jis", errors="strict")
    assert garbled != GARBLING_PAYLOAD
    assert repair_zbar_text(garbled) == GARBLING_PAYLOAD


def test_decode_qr_bytes_falls_back_to_latin1():
    assert decode_qr_bytes("tiền".encode()) == "tiền"
    assert decode_qr_bytes(b"caf\xe9") == "café"


@pytest.mark.parametrize("decoder", [ZbarDecoder(), ZxingDecoder(), OpenCvDecoder()], ids=lambda d: d.name)
def test_each_decoder_reads_the_code_and_its_corners(decoder):
    image = np.full((400, 500), 255, np.uint8)
    qr = qr_array(EVN_BILL)  # 4 px modules, 4-module quiet zone
    image[60:60 + qr.shape[0], 120:120 + qr.shape[1]] = qr
    found = decoder.decode(image)
    assert len(found) == 1
    d = found[0]
    assert isinstance(d, Detection) and d.text == EVN_BILL and d.decoder == decoder.name
    xs = [p[0] for p in d.polygon]
    ys = [p[1] for p in d.polygon]
    # The symbol (without the 16 px quiet zone) spans 120+16 .. 120+side-16.
    side = qr.shape[0]
    assert abs(min(xs) - 136) <= 3 and abs(max(xs) - (120 + side - 16)) <= 3
    assert abs(min(ys) - 76) <= 3 and abs(max(ys) - (60 + side - 16)) <= 3


def test_zxing_reports_where_it_saw_a_code_it_could_not_read():
    qr = qr_array(EVN_BILL).copy()
    h, w = qr.shape
    # Destroy the data area but keep the three finder patterns.
    rng = np.random.default_rng(3)
    qr[h // 3: 2 * h // 3, w // 3: 2 * w // 3] = rng.integers(0, 2, (2 * h // 3 - h // 3, 2 * w // 3 - w // 3)) * 255
    qr[h // 2:, w // 2:] = 255 - qr[h // 2:, w // 2:]
    decoded, unread = ZxingDecoder().read(qr)
    assert decoded == [] or all(d.text != EVN_BILL for d in decoded)
    assert unread, "zxing should still locate the damaged code"


def test_as_gray_accepts_gray_bgr_and_bgra():
    bgr = np.zeros((10, 12, 3), np.uint8)
    bgr[..., 2] = 255
    assert as_gray(bgr).shape == (10, 12)
    assert as_gray(np.zeros((10, 12, 4), np.uint8)).shape == (10, 12)
    assert as_gray(np.zeros((10, 12), np.float32)).dtype == np.uint8
