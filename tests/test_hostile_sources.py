"""Hostile input to the scan sources one by one (in-process): what is not a picture is refused with one
escaped line, before anything is read or decoded; the GUI and ``pay`` share this path."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from payer_app.scan.engine import DecodeFailed, decode_checked, decode_image_file
from payer_app.scan.source_specs import make_source
from payer_app.scan.sources import SourceError, read_image_file
from tests.hostile_files import jpeg_bomb, png_bomb, video_bomb
from tests.media import qr_array, write_image
from tests.spec_vectors import EVN_BILL


def test_opencv_pixel_cap_is_set_before_cv2_is_imported(tmp_path):
    """A fresh process, as the app starts: payer_app.scan first, then cv2. With the header probe
    told to know nothing, OpenCV's own cap (set from ours) must still stop the bomb."""
    bomb = jpeg_bomb(tmp_path / "b.jpg")
    script = (
        "import sys, os\n"
        "from payer_app.scan import sources\n"
        "import cv2\n"
        "assert os.environ['OPENCV_IO_MAX_IMAGE_PIXELS'] == str(sources.MAX_IMAGE_PIXELS)\n"
        "sources.probe_image_header = lambda stream: (True, None)  # a header that hides its size\n"
        "try:\n"
        "    sources.read_image_file(sys.argv[1])\n"
        "except sources.SourceError as exc:\n"
        "    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    run = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, env=env,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "b.jpg: image refused: over the 67-megapixel limit" in run.stdout


def test_a_link_to_dev_zero_is_not_read(tmp_path):
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(SourceError, match=r"zero.png: not a regular file"):
        read_image_file(link)


def test_a_folder_named_like_a_picture(tmp_path):
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(SourceError, match=r"dir.png: not a file"):
        read_image_file(tmp_path / "dir.png")


def test_messages_escape_the_file_name(tmp_path):
    name = os.fsdecode(b"bad\xff\x1b[2J\xe2\x80\xae.png")
    path = tmp_path / name
    jpeg_bomb(path)
    with pytest.raises(SourceError) as caught:
        read_image_file(path)
    message = str(caught.value)
    assert "bad\\xff\\x1b[2J\\u202e.png: image refused: 900 megapixels" in message
    message.encode("utf-8")  # no lone surrogate left


def test_bombs_are_refused_without_decoding(tmp_path, monkeypatch):
    import cv2

    def no_decode(*args, **kwargs):
        raise AssertionError("cv2.imdecode called on a refused file")

    monkeypatch.setattr(cv2, "imdecode", no_decode)
    for path in (jpeg_bomb(tmp_path / "b.jpg"), png_bomb(tmp_path / "b.png")):
        with pytest.raises(SourceError, match="image refused"):
            read_image_file(path)
        with pytest.raises(SourceError, match="image refused"):
            decode_image_file(path)


def test_decode_checked_turns_any_decoder_failure_into_a_source_error():
    with pytest.raises(DecodeFailed, match=r"photo\\x1b.png: the QR decoders failed"):
        decode_checked(np.zeros((0, 5), np.uint8), what="photo\x1b.png")
    assert issubclass(DecodeFailed, SourceError)


def test_a_video_bomb_is_refused_when_opened(tmp_path):
    source = make_source(str(video_bomb(tmp_path / "v.avi")))
    with pytest.raises(SourceError, match=r"v.avi: video refused: frames of 12000x12000 pixels"):
        source.open()


def test_a_video_whose_name_is_not_utf8(tmp_path):
    path = tmp_path / os.fsdecode(b"clip\xff.avi")
    path.write_bytes(b"RIFF" + bytes(100))
    with pytest.raises(SourceError, match=r"clip\\xff.avi: OpenCV cannot open a file whose name is not UTF-8"):
        make_source(str(path)).open()


def test_ordinary_pictures_still_scan(tmp_path):
    path = write_image(tmp_path / "bill.jpg", qr_array(EVN_BILL, scale=6))
    assert [d.text for d in decode_image_file(path)] == [EVN_BILL]


def test_an_ordinary_progressive_jpeg_still_scans(tmp_path):
    from PIL import Image

    path = tmp_path / "progressive.jpg"
    Image.fromarray(qr_array(EVN_BILL, scale=6)).save(path, "JPEG", progressive=True, quality=90)
    assert [d.text for d in decode_image_file(path)] == [EVN_BILL]
