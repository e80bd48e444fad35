"""Hostile input to ``parse``, ``scan`` and ``pay``: each input tests/hostile_files.py makes, run
through the real ``payer-app`` in a subprocess under a memory cap. The tests of what is printed (escaped
QR text and file names) run the command in the test's process instead
(``run_here``, tests/cli_in_process.py): what they check is the text, and every command family keeps
its real processes here (the plain run, the 10 MB inputs, the bombs, an undecodable file name).

How memory is held: ``RLIMIT_AS`` of 1 GiB (a plain ``payer-app scan`` of a small picture maps
about 615 MB of address space, shared libraries and thread stacks included, so a 300 MB address
space cannot even load OpenCV; 1 GiB is half of what one bomb needs), and the command's own peak
resident memory, measured by the kernel (``wait4`` rusage, see ``hostile_files.run_measured``),
must stay under 300 MB. That an input was refused before the work shows in the message (e.g. "a JPEG
with 5006 scans"); what each input costs in CPU time is printed by bench/hostile_input_bench.py. A
generous time-out only ends a hung run. Every run must exit with the expected code, name the problem
and the file in one line, and print no traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from payer_app.core.builder import build_payload
from payer_app.core.payload import MAX_INPUT_CHARS
from tests import cli_in_process
from tests.hostile_files import (
    Measured,
    StillRunning,
    jpeg_bomb,
    jpeg_scan_bomb,
    png_bomb,
    run_measured,
    sparse_file,
    video_bomb,
)
from tests.media import qr_array, write_image
from tests.spec_vectors import EVN_BILL

ADDRESS_SPACE_CAP = 1024 * 1024 * 1024
PEAK_RSS_CAP_MB = 300
HUNG_S = 120.0  # only a hung command runs this long

ESC_VALID = "\x1b[32mVALID: paid in full\x1b[0m"
RLO = "\u202e"


def run_capped(args: list, tmp_path: Path, stdin_path: Path | None = None) -> Measured:
    """``payer-app ARGS`` under the address-space cap; its own peak RSS and CPU time."""
    try:
        return run_measured(args, tmp_path, stdin_path, address_space=ADDRESS_SPACE_CAP, timeout=HUNG_S)
    except StillRunning as exc:
        pytest.fail(str(exc))


def run_here(capsys, args: list) -> Measured:
    """``payer-app ARGS`` in this process: its exit code and output as a real run gives them (encoded
    as strict UTF-8, as the process writes them); no memory or CPU measured (0)."""
    code, out, err = cli_in_process.run(capsys, *args)
    return Measured(code, out.encode("utf-8"), err.encode("utf-8"), 0.0, 0.0)


def assert_clean(run: Measured, code: int) -> None:
    """Exit code as expected, within memory (a real process's), valid UTF-8, no traceback, no raw
    escapes."""
    detail = (f"rc={run.returncode} rss={run.peak_rss_mb:.0f} MB cpu={run.cpu_s:.2f} s\n"
              f"{run.stdout[-800:]!r}\n{run.stderr[-1500:]!r}")
    assert run.returncode == code, detail
    if run.peak_rss_mb:  # 0: run in this process (run_here), where the memory is not the command's
        assert run.peak_rss_mb < PEAK_RSS_CAP_MB, detail
    assert "Traceback" not in run.out + run.err, detail
    for text in (run.out, run.err):
        assert "\x1b" not in text and "\x9b" not in text and RLO not in text, detail


def one_line_with(text: str, *parts: str) -> str:
    """The single line of ``text`` that holds every one of ``parts``."""
    lines = [line for line in text.splitlines() if all(p in line for p in parts)]
    assert len(lines) == 1, (parts, text)
    return lines[0]


# ---------------------------------------------------------------------------------------------
# the plain run fits under the cap (else every test below would prove nothing)


def test_a_plain_scan_and_parse_fit_under_the_cap(tmp_path):
    good = write_image(tmp_path / "bill.png", qr_array(EVN_BILL))
    run = run_capped(["scan", str(good)], tmp_path)
    assert_clean(run, 0)
    assert "PD00000000000" in run.out
    assert run.peak_rss_mb > 30  # the measure is the command's own: Python, NumPy and OpenCV loaded
    run = run_capped(["parse", EVN_BILL], tmp_path)
    assert_clean(run, 0)


# ---------------------------------------------------------------------------------------------
# payload text: "parse of 10 MB of 0 takes 1.5 GB and 20 s (--json: 2.6 GB, 32 s)"


@pytest.mark.parametrize("as_json", [False, True], ids=["report", "json"])
def test_parse_of_10_mb_of_zeros_from_stdin_is_refused_unread(tmp_path, as_json):
    zeros = tmp_path / "zeros.txt"
    zeros.write_bytes(b"0" * 10_000_000)
    run = run_capped(["parse", *(["--json"] if as_json else []), "-"], tmp_path, stdin_path=zeros)
    assert_clean(run, 1)
    assert len(run.stdout) < 3 * MAX_INPUT_CHARS  # the cap's worth of text at most, not 10 MB
    if as_json:
        doc = json.loads(run.out)
        assert doc["valid"] is False and [f["code"] for f in doc["findings"]] == ["input-too-long"]
        assert len(doc["payload"]) == MAX_INPUT_CHARS
    else:
        line = one_line_with(run.out, "input-too-long")
        assert f"longer than {MAX_INPUT_CHARS} characters" in line
        assert run.out.startswith(f"Payload (more than {MAX_INPUT_CHARS} characters")


def test_pay_of_10_mb_from_stdin_is_refused_unread(tmp_path):
    zeros = tmp_path / "zeros.txt"
    zeros.write_bytes(b"0" * 10_000_000)
    run = run_capped(["pay", "--amount", "1000", "-"], tmp_path, stdin_path=zeros)
    assert_clean(run, 1)
    assert f"longer than {MAX_INPUT_CHARS} characters" in one_line_with(run.err, "not paid (not-payment)")


def test_parse_of_a_long_argument_is_refused_in_vietnamese_too(tmp_path):
    run = run_capped(["parse", "--lang", "vi", "0" * 100_000], tmp_path)
    assert_clean(run, 1)
    assert f"dài hơn {MAX_INPUT_CHARS} ký tự" in one_line_with(run.out, "input-too-long")


def test_parse_at_the_cap_is_still_parsed(tmp_path):
    text = tmp_path / "cap.txt"
    text.write_text("0" * MAX_INPUT_CHARS + "\r\n")
    run = run_capped(["parse", "--json", "-"], tmp_path, stdin_path=text)
    assert_clean(run, 1)
    codes = [f["code"] for f in json.loads(run.out)["findings"]]
    assert "input-too-long" not in codes and "too-many-findings" in codes


# ---------------------------------------------------------------------------------------------
# terminal escapes: "scan prints QR text and file names unfiltered"


def _hostile_payload() -> str:
    """A well-formed VietQR payload (CRC right) whose merchant name paints a green VALID line and
    whose purpose holds a right-to-left override."""
    return build_payload([
        ("00", "01"), ("01", "11"),
        ("38", [("00", "A000000727"), ("01", [("00", "970416"), ("01", "257678859")]), ("02", "QRIBFTTA")]),
        ("53", "704"), ("58", "VN"), ("59", ESC_VALID), ("60", "Ha Noi"),
        ("62", [("08", f"pay {RLO}gnp.exe")]),
    ])


def test_parse_shows_escape_and_bidi_characters_escaped(capsys):
    run = run_here(capsys, ["parse", _hostile_payload()])
    assert_clean(run, 1)  # the control character is an error finding
    assert "\\x1b[32mVALID" in one_line_with(run.out, "  Merchant      ")
    assert "\\u202e" in run.out


def test_scan_of_a_qr_holding_terminal_escapes_prints_them_escaped(tmp_path, capsys):
    image = write_image(tmp_path / "bill.png", qr_array(_hostile_payload()))
    run = run_here(capsys, ["scan", str(image)])
    assert_clean(run, 0)
    assert "\\x1b[32mVALID" in run.out and "\\u202e" in run.out
    run = run_here(capsys, ["scan", "--json", str(image)])
    assert_clean(run, 0)
    assert json.loads(run.out)["payload"] == _hostile_payload()  # JSON keeps the value exactly


def test_scan_of_a_bare_escape_qr(tmp_path, capsys):
    image = write_image(tmp_path / "esc.png", qr_array(ESC_VALID + RLO))
    run = run_here(capsys, ["scan", str(image)])
    assert_clean(run, 0)
    assert "\\x1b[32mVALID: paid in full\\x1b[0m\\u202e" in run.out
    assert "not a payment QR" in run.out


# ---------------------------------------------------------------------------------------------
# file names: "scan --json writes invalid UTF-8 for file names that are not UTF-8"

HOSTILE_NAME = b"bill\xff\xfe\x1b[32mOK\xe2\x80\xae.png"


def test_scan_json_and_report_stay_valid_utf8_for_undecodable_file_names(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    bad = os.path.join(os.fsencode(folder), HOSTILE_NAME)
    with open(bad, "wb") as f:
        f.write(write_image(tmp_path / "src.png", qr_array(EVN_BILL)).read_bytes())
    report = tmp_path / "report.json"
    run = run_capped(["scan", "--json", "--report", str(report), str(folder)], tmp_path)
    assert_clean(run, 0)
    line = json.loads(run.out)  # strict UTF-8 above, strict JSON here
    assert line["found"] is True and line["payload"] == EVN_BILL
    assert line["source"].endswith("bill\\xff\\xfe\x1b[32mOK\u202e.png")  # bytes as \xNN; the rest exact
    assert "\\u001b" in run.out and "\\u202e" in run.out  # ... and written as JSON escapes
    summary = json.loads(report.read_bytes().decode("utf-8"))
    assert summary["files"] == 1 and summary["found"] == 1
    run = run_capped(["scan", str(folder)], tmp_path)
    assert_clean(run, 0)
    assert "bill\\xff\\xfe\\x1b[32mOK\\u202e.png: zxing" in run.out


def test_pay_names_a_hostile_image_file_escaped(tmp_path, capsys, monkeypatch):
    name = "bill\x1b[31m\u202e.png"
    write_image(tmp_path / name, qr_array("not a payment") * 0 + 255)  # a white picture: no QR code
    monkeypatch.chdir(tmp_path)
    run = run_here(capsys, ["pay", "--amount", "1000", name])
    assert_clean(run, 2)
    assert "no QR code found in bill\\x1b[31m\\u202e.png" in one_line_with(run.err, "payer-app: error:")


# ---------------------------------------------------------------------------------------------
# decompression bombs and huge files: "a 380-byte JPEG or a 948 kB PNG declaring 30000x30000
# pixels costs 1.87 GB in scan / pay; a 6 GB file is read whole and dies with a cv2.error traceback"


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "jpeg": jpeg_bomb(folder / "bomb.jpg"),
        "png": png_bomb(folder / "bomb.png"),
        "huge": sparse_file(folder / "huge.png"),
    }


def test_the_bombs_are_what_the_issue_describes(bombs, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # let Pillow read the declared size

    assert bombs["jpeg"].stat().st_size < 400
    assert 800_000 < bombs["png"].stat().st_size < 1_000_000
    assert bombs["huge"].stat().st_size == 6 * 1024**3
    for kind in ("jpeg", "png"):
        with Image.open(bombs[kind]) as im:  # the header Pillow reads declares the full size
            assert im.size == (30000, 30000)


@pytest.mark.parametrize("kind", ["jpeg", "png"])
@pytest.mark.parametrize("command", ["scan", "pay"])
def test_pixel_bombs_are_refused_from_the_header(tmp_path, bombs, kind, command):
    path = bombs[kind]
    args = ["scan", str(path)] if command == "scan" else ["pay", "--amount", "1000", str(path)]
    run = run_capped(args, tmp_path)
    assert_clean(run, 4 if command == "scan" else 2)  # scan: an input that could not be read
    line = one_line_with(run.out + run.err, path.name, "900 megapixels")
    assert "image refused" in line and "67-megapixel limit" in line


@pytest.mark.parametrize("command", ["scan", "pay"])
def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding(tmp_path, command):
    """Not from the issue, the same attack on CPU: 218 kB that cost 12.7 s of CPU to decode."""
    path = jpeg_scan_bomb(tmp_path / "scans.jpg")
    assert path.stat().st_size < 300_000
    args = ["scan", str(path)] if command == "scan" else ["pay", "--amount", "1000", str(path)]
    run = run_capped(args, tmp_path)
    assert_clean(run, 4 if command == "scan" else 2)  # scan: an input that could not be read
    line = one_line_with(run.out + run.err, "scans.jpg")
    assert "image refused: a JPEG with 5006 scans" in line and "the limit is 100" in line


@pytest.mark.parametrize("command", ["scan", "pay"])
def test_a_6_gb_file_is_refused_before_reading(tmp_path, bombs, command):
    path = bombs["huge"]
    args = ["scan", str(path)] if command == "scan" else ["pay", "--amount", "1000", str(path)]
    run = run_capped(args, tmp_path)
    assert_clean(run, 4 if command == "scan" else 2)  # scan: an input that could not be read
    assert "6.0 GB, over the 128 MB limit for an image; not read" in one_line_with(run.out + run.err, "huge.png")


def test_a_folder_scan_reports_each_bad_file_and_goes_on(tmp_path, bombs):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for kind, path in bombs.items():
        os.symlink(path, folder / f"0-{kind}{path.suffix}")
    (folder / "1-garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    write_image(folder / "3-bill.png", qr_array(EVN_BILL))
    report = tmp_path / "report.json"
    run = run_capped(["scan", "--report", str(report), str(folder)], tmp_path)
    assert_clean(run, 4)  # only inputs that could not be read failed (docs/cli.md)
    out = run.out
    assert "900 megapixels" in one_line_with(out, "0-jpeg.jpg")
    assert "900 megapixels" in one_line_with(out, "0-png.png")
    assert "6.0 GB" in one_line_with(out, "0-huge.png")
    assert "cannot read" in one_line_with(out, "1-garbage.png")
    assert "PD00000000000" in out and "3-bill.png: " in out
    summary = json.loads(report.read_text("utf-8"))
    assert summary["files"] == 5 and summary["found"] == 1 and len(summary["not_found_files"]) == 4


def test_a_fifo_named_like_an_image_does_not_hang_the_scan(tmp_path):
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    run = run_capped(["scan", str(fifo)], tmp_path)
    assert_clean(run, 4)  # an input that could not be read
    assert "not a regular file" in one_line_with(run.out, "photo.png")


def test_a_video_declaring_huge_frames_is_refused_before_the_first_frame(tmp_path):
    path = video_bomb(tmp_path / "bomb.avi")
    run = run_capped(["scan", str(path)], tmp_path)
    assert_clean(run, 2)
    line = one_line_with(run.err, "bomb.avi")
    assert "video refused" in line and "12000x12000 pixels (144 megapixels)" in line


def test_an_image_at_the_header_cap_edge_is_decoded(tmp_path):
    """Not every big picture is refused: 8192x8192 (the cap) is scanned."""
    import cv2
    import numpy as np

    from payer_app.scan.sources import read_image_file

    path = tmp_path / "edge.png"
    cv2.imwrite(str(path), np.full((8192, 8192), 255, np.uint8))
    assert read_image_file(path).shape == (8192, 8192)
    over = tmp_path / "over.png"
    cv2.imwrite(str(over), np.full((8193, 8192), 255, np.uint8))
    from payer_app.scan.sources import SourceError

    with pytest.raises(SourceError, match=r"over.png: image refused: 8192x8193 pixels \(67 megapixels\)"):
        read_image_file(over)
