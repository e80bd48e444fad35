"""The test media helpers (tests/media.py) make what the scan tests assume: videos that read back
frame by frame and full QR codes (never Micro QR) in black and white."""

from __future__ import annotations

import cv2
import numpy as np
import segno

from tests.media import empty_frame, qr_array, write_video
from tests.spec_vectors import EVN_BILL


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
