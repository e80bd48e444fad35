"""The test media (tests/media.py) and the product's QR renderer (payer_app/qr_symbol.py) make what the
scan tests assume: videos that read back frame by frame, full QR codes (never Micro QR) in black and white."""

from __future__ import annotations

import cv2
import numpy as np
import segno

from payer_app.qr_symbol import make_payment_qr, qr_pixels, qr_png
from tests.media import empty_frame, qr_array, write_video
from tests.spec_vectors import EVN_BILL, VIETNAMESE_PAYLOAD


def test_video_written_by_helper_reads_back_frame_by_frame(tmp_path):
    frames = [empty_frame(320, 240, seed=i) for i in range(7)]
    path = write_video(tmp_path / "v.avi", frames)
    cap = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        assert image.shape == (240, 320, 3)
        count += 1
    cap.release()
    assert count == 7


def test_qr_helper_makes_a_full_qr_code_not_micro():
    arr = qr_array(EVN_BILL)
    code = segno.make_qr(EVN_BILL, error="m")
    assert not code.is_micro
    assert arr.shape[0] == (code.symbol_size(scale=4, border=4)[0])
    assert set(np.unique(arr)) == {0, 255}


def test_tiny_text_still_makes_a_full_version_1_code():
    """segno would pick Micro QR for "1" with make(); payment apps cannot read Micro QR."""
    assert not make_payment_qr("1").is_micro
    assert qr_pixels("1", module_px=1, border=0).shape == (21, 21)


def test_png_bytes_hold_the_same_pixels_as_the_array():
    png = qr_png(VIETNAMESE_PAYLOAD, module_px=3)
    picture = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert np.array_equal(picture, qr_pixels(VIETNAMESE_PAYLOAD, module_px=3))
