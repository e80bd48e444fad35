"""What a picture costs is bounded by its decoded bytes, not only its pixels.

A 16-bit RGBA PNG of 8190x8190 pixels (under the 67-megapixel cap, about 560 kB on disk) is 537 MB
as a 16-bit array; reading it whole peaked at 1.15 GB in ``scan`` and ``pay``. The header now gives
the decoded size (width x height x channels x bytes per sample) and a picture over
``MAX_IMAGE_DECODED_BYTES`` is refused before decoding, in one line naming the file and the numbers;
16-bit pictures under the cap are read reduced to 8 bits a sample. A picture whose header the probe
does not know (OpenCV's Radiance HDR, decoded to 32-bit floats) is not decoded at all. The commands run as real
subprocesses under the memory cap of tests/test_hostile_input.py; what each costs is printed by
bench/hostile_input_bench.py.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from payer_app.scan.limits import MAX_IMAGE_DECODED_BYTES, MAX_IMAGE_PIXELS
from payer_app.scan.sources import SourceError, probe_image_header, read_image_file
from tests.hostile_files import png_header_only, radiance_picture, rgba_png
from tests.media import qr_array
from tests.spec_vectors import EVN_BILL
from tests.test_hostile_input import assert_clean, one_line_with, run_capped

REFUSAL = ("8190x8190 pixels of 4 channels at 16 bits decode to 512 MB, over the 256 MB limit for a "
           "decoded picture (8192x8192 at 8 bits RGBA)")


@pytest.fixture(scope="module")
def deep_png(tmp_path_factory):
    return rgba_png(tmp_path_factory.mktemp("deep") / "deep16.png", EVN_BILL)


def test_the_16_bit_png_is_what_the_finding_describes(deep_png):
    from PIL import Image

    assert deep_png.stat().st_size < 1_000_000
    with Image.open(deep_png) as im:
        assert im.size == (8190, 8190) and im.mode == "RGBA"
    assert 8190 * 8190 <= MAX_IMAGE_PIXELS  # the pixel cap alone lets it through
    assert 8190 * 8190 * 4 * 2 > MAX_IMAGE_DECODED_BYTES


@pytest.mark.parametrize("command", ["scan", "pay"])
def test_a_16_bit_rgba_png_under_the_pixel_cap_is_refused_from_its_decoded_size(tmp_path, deep_png, command):
    args = ["scan", str(deep_png)] if command == "scan" else ["pay", "--amount", "1000", str(deep_png)]
    run = run_capped(args, tmp_path)
    assert_clean(run, 4 if command == "scan" else 2)  # scan: an input that could not be read
    line = one_line_with(run.out + run.err, "deep16.png")
    assert "image refused: " + REFUSAL in line


def test_the_window_opens_the_16_bit_png_through_the_same_reader(qtbot, make_window, deep_png):
    window = make_window(camera="demo")
    with qtbot.waitSignal(window.scan_adapter.image_failed, timeout=60_000) as failed:
        window.open_image(str(deep_png))
    assert failed.args[0] == f"{deep_png}: image refused: " + REFUSAL
    assert window.current == "scan"


def test_the_decoded_size_is_refused_from_the_header_without_decoding(tmp_path, monkeypatch):
    """A 69-byte PNG declaring 6000x6000 RGBA at 16 bits (36 megapixels, 275 MB decoded): its data
    is a few bytes, so only the header can have told the size."""
    def no_decode(*args, **kwargs):
        raise AssertionError("cv2.imdecode called on a refused file")

    monkeypatch.setattr(cv2, "imdecode", no_decode)
    path = png_header_only(tmp_path / "declared.png", 6000, 6000, bit_depth=16, colour_type=6)
    assert path.stat().st_size < 100
    with pytest.raises(SourceError) as caught:
        read_image_file(path)
    assert str(caught.value) == (f"{path}: image refused: 6000x6000 pixels of 4 channels at 16 bits decode "
                                 "to 275 MB, over the 256 MB limit for a decoded picture (8192x8192 at 8 bits RGBA)")


@pytest.mark.parametrize(("width", "height", "bits", "colour_type"), [
    (8192, 8192, 8, 6),  # 8-bit RGBA at the pixel cap: exactly the decoded cap
    (8192, 8192, 8, 2),  # 8-bit RGB at the pixel cap
    (8160, 6144, 8, 2),  # a 50-megapixel phone photo
    (4960, 7016, 16, 2),  # an A4 page scanned at 600 dpi in 48-bit colour
    (8192, 8192, 16, 0),  # 16-bit grey at the pixel cap
])
def test_every_legitimate_picture_of_the_limits_passes_the_header_check(tmp_path, width, height, bits, colour_type):
    path = png_header_only(tmp_path / "fine.png", width, height, bit_depth=bits, colour_type=colour_type)
    with open(path, "rb") as stream:
        assert probe_image_header(stream) == (True, None)


def test_a_16_bit_picture_under_the_cap_is_read_reduced_to_8_bits(tmp_path):
    qr = qr_array(EVN_BILL).astype(np.uint16) * 257
    path = tmp_path / "small16.png"
    assert cv2.imwrite(str(path), cv2.merge([qr, qr, qr, np.full_like(qr, 65535)]))
    image = read_image_file(path)
    assert image.dtype == np.uint8 and image.shape == (*qr.shape, 3)
    assert set(np.unique(image)) == {0, 255}


def test_a_small_16_bit_png_is_scanned(tmp_path):
    path = rgba_png(tmp_path / "small16.png", EVN_BILL, side=1200, module_px=6)
    run = run_capped(["scan", str(path)], tmp_path)
    assert_clean(run, 0)
    assert "PD00000000000" in run.out


def test_a_picture_whose_header_is_not_known_is_not_decoded(tmp_path, monkeypatch):
    """A Radiance HDR picture (OpenCV reads it, Pillow does not) declaring 8192x8192: OpenCV would
    make 805 MB of floats of it. Named .png, it reaches the still-image reader."""
    def no_decode(*args, **kwargs):
        raise AssertionError("cv2.imdecode called on a picture whose size was not checked")

    monkeypatch.setattr(cv2, "imdecode", no_decode)
    path = radiance_picture(tmp_path / "bright.png", header_only=True)
    with pytest.raises(SourceError, match=r"bright.png: not an image format that can be read \(damaged, or not PNG"):
        read_image_file(path)


@pytest.mark.parametrize(("name", "command", "code"), [
    ("bright.png", "scan", 4), ("bright.hdr", "scan", 2), ("bright.hdr", "pay", 2), ("bright.png", "pay", 2),
])
def test_a_radiance_picture_is_refused_in_one_line_by_name_or_by_content(tmp_path, name, command, code):
    """A 4 MB Radiance HDR picture of 8192x8192 cost 1.1 GB (named .png) and 1.7 GB (named .hdr:
    the unknown suffix sent it to the video decoder after the image reader), with no message."""
    path = radiance_picture(tmp_path / name)
    args = ["scan", str(path)] if command == "scan" else ["pay", "--amount", "1000", str(path)]
    run = run_capped(args, tmp_path)
    assert_clean(run, code)
    assert "not an image format that can be read" in one_line_with(run.out + run.err, name)


def _tiff_declaring(path, width: int, height: int, array: np.ndarray):
    """A small TIFF written by OpenCV whose ImageWidth and ImageLength tags are rewritten to
    ``width`` x ``height`` (its strips still hold the small picture)."""
    import struct

    ok, encoded = cv2.imencode(".tif", array)
    data = bytearray(encoded.tobytes())
    assert ok and data[:2] == b"II"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for entry in range(struct.unpack_from("<H", data, ifd)[0]):
        at = ifd + 2 + 12 * entry
        tag, kind = struct.unpack_from("<HH", data, at)
        if tag in (256, 257):
            struct.pack_into("<H" if kind == 3 else "<I", data, at + 8, width if tag == 256 else height)
    path.write_bytes(bytes(data))
    return path


def test_a_16_bit_tiff_is_measured_by_its_bits_per_sample(tmp_path):
    deep = _tiff_declaring(tmp_path / "deep.tif", 6000, 6000, np.zeros((8, 8, 4), np.uint16))
    with open(deep, "rb") as stream:
        assert probe_image_header(stream) == (True, "6000x6000 pixels of 4 channels at 16 bits decode to 275 MB, "
                                              "over the 256 MB limit for a decoded picture (8192x8192 at 8 bits RGBA)")
    shallow = _tiff_declaring(tmp_path / "shallow.tif", 6000, 6000, np.zeros((8, 8, 4), np.uint8))
    with open(shallow, "rb") as stream:
        assert probe_image_header(stream) == (True, None)
