"""``payer-app scan IMAGES --json``: each file's line holds what docs/scan.md lists, checked on the real
command's output (QA jobs read these lines)."""

from __future__ import annotations

import json

import cv2
import numpy as np

from tests.media import write_qr_png
from tests.spec_vectors import VIETQR_ACB
from tests.test_cli_conventions import run_payer_app


def test_each_image_line_has_the_stream_fields_and_its_decode_time(payer_home, tmp_path):
    write_qr_png(tmp_path / "a-bill.png", VIETQR_ACB)
    cv2.imwrite(str(tmp_path / "b-blank.png"), np.full((200, 200), 255, np.uint8))
    done = run_payer_app(("scan", "a-bill.png", "b-blank.png", "--json"), payer_home, tmp_path)
    assert done.returncode == 1, done.stderr  # one file without a code
    found, blank = (json.loads(line) for line in done.stdout.splitlines())
    # the stream line's fields (docs/scan.md), plus found and every code of the file
    assert {"source", "frame", "t_ms", "polygon", "decoder", "payload", "parse", "decode_ms",
            "found", "codes"} <= set(found), sorted(found)
    assert found["found"] is True and found["payload"] == VIETQR_ACB
    assert isinstance(found["decode_ms"], float) and found["decode_ms"] > 0
    # a picture without a code was decoded too: its time is there, no code fields
    assert blank["found"] is False and isinstance(blank["decode_ms"], float) and blank["decode_ms"] > 0
    assert "payload" not in blank
