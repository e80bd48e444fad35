"""The hostile inputs (docs/security.md), made small by the tests that use them (no file is checked in).

* ``jpeg_bomb``: a few hundred bytes of real JPEG whose frame header declares 30000x30000 pixels;
* ``png_bomb``: a complete, valid 8-bit grey PNG of 30000x30000 pixels (875 kB: 900 MB of zeros
  deflated; built in a third of a second by repeating one fully flushed deflate block);
* ``jpeg_scan_bomb``: a 218 kB progressive JPEG of 5,000 scans (CPU, not memory: 12.7 s to decode);
* ``sparse_file``: a 6 GB file that takes no disk space (``truncate``);
* ``video_bomb``: an MJPG .avi whose headers and frames declare 12000x12000 pixels (under FFmpeg's
  own 268-megapixel refusal, so it is our cap that must stop it);
* ``rgba_png``: a valid 16-bit (or 8-bit) RGBA PNG, by default of 8190x8190 pixels (under the
  pixel cap), holding a colour gradient and one QR code: about 560 kB on disk, 537 MB as a 16-bit
  array;
* ``radiance_picture``: a Radiance HDR picture (a format OpenCV reads and Pillow does not) of
  8192x8192 grey pixels, run-length coded to 4 MB; OpenCV decodes it to 32-bit floats (805 MB);
* ``png_header_only``: the signature and header of a PNG declaring any size, colour type and bit
  depth, with one tiny (damaged) data chunk: for checks that must refuse from the header alone.

``run_measured`` runs ``payer-app`` and measures its own peak memory and CPU time (the tests check
the memory; bench/hostile_input_bench.py prints both).
"""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

BOMB_SIDE = 30000


def _patch_sof(data: bytearray, width: int, height: int) -> int:
    """Rewrite the size in every baseline JPEG frame header (FFC0, 8-bit, 1 component); count them."""
    count = 0
    at = data.find(b"\xff\xc0")
    while at >= 0:
        struct.pack_into(">HH", data, at + 5, height, width)
        count += 1
        at = data.find(b"\xff\xc0", at + 2)
    return count


def jpeg_bomb(path: Path, side: int = BOMB_SIDE) -> Path:
    buf = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buf, "JPEG", quality=50)
    data = bytearray(buf.getvalue())
    assert _patch_sof(data, side, side) == 1
    path.write_bytes(bytes(data))
    return path


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(start, end, marker) of each segment after SOI; a scan's end includes its entropy data."""
    segments, at = [], 2
    while at < len(data):
        marker = data[at + 1]
        if marker == 0xD9:  # EOI
            segments.append((at, at + 2, marker))
            break
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        end = at + 2 + length
        if marker == 0xDA:  # SOS: entropy data runs to the next marker that is not FF00 or RSTn
            while True:
                end = data.find(b"\xff", end)
                if data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7:
                    end += 2
                    continue
                break
        segments.append((at, end, marker))
        at = end
    return segments


def jpeg_scan_bomb(path: Path, side: int = 4000, repeats: int = 5000) -> Path:
    """A progressive JPEG of a flat grey ``side`` x ``side`` picture whose smallest scan (31 bytes)
    is repeated ``repeats`` times: a 218 kB file that costs 12.7 s of CPU to decode (each scan is
    a pass over the whole picture)."""
    buf = io.BytesIO()
    Image.new("L", (side, side), 128).save(buf, "JPEG", progressive=True, quality=80)
    data = buf.getvalue()
    segments = _jpeg_segments(data)
    start, end, _ = min((s for s in segments if s[2] == 0xDA), key=lambda s: s[1] - s[0])
    eoi = segments[-1][0]
    path.write_bytes(data[:eoi] + data[start:end] * repeats + data[eoi:])
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(path: Path, side: int = BOMB_SIDE) -> Path:
    """A valid PNG: every row is filter byte 0 and ``side`` zero bytes, so the image data is
    (side + 1) * side zeros. One deflate block of 1,000 rows is compressed once with a full flush
    (which resets the history, so the same input gives the same bytes) and repeated."""
    rows_per_block = 1000
    assert side % rows_per_block == 0
    block = bytes((side + 1) * rows_per_block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    raw = piece * (side // rows_per_block) + deflate.flush()
    total = (side + 1) * side
    adler = ((total % 65521) << 16) | 1  # Adler-32 of zeros: a stays 1, b counts the bytes
    idat = b"\x78\xda" + raw + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def _zero_rows_piece(row_bytes: int, rows: int) -> bytes:
    """Raw deflate of ``rows`` PNG rows that repeat the row above (filter 2, "Up", all zeros),
    ending with a full flush so that the piece can be repeated."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return deflate.compress((b"\x02" + bytes(row_bytes)) * rows) + deflate.flush(zlib.Z_FULL_FLUSH)


def rgba_png(path: Path, payload: str, side: int = 8190, module_px: int = 16, bits: int = 16) -> Path:
    """A valid RGBA PNG of ``bits`` (8 or 16) bits a sample, ``side`` x ``side``: a colour gradient
    (the same on every row), opaque, with one QR code of ``payload`` (black and white,
    ``module_px`` pixels a module) near the top left. Written row by row: a row equal to the one
    above as filter "Up" (zeros), other rows as filter "Sub", compressed in repeated fully flushed
    pieces as in ``png_bomb``; the whole picture is never held, so making it costs about two seconds and
    under 10 MB whatever its size."""
    from tests.media import qr_array

    qr = qr_array(payload, scale=module_px)
    left = top = 64
    top_value = (1 << bits) - 1
    columns = np.arange(side, dtype=np.uint32)
    base = np.empty((side, 4), ">u2" if bits == 16 else np.uint8)
    base[:, 0] = columns * top_value // max(1, side - 1)  # red rises left to right
    base[:, 1] = top_value - base[:, 0]  # green falls
    base[:, 2] = top_value * 5 // 8
    base[:, 3] = top_value  # opaque

    def row(y: int) -> bytes:
        values = base.copy()
        if top <= y < top + qr.shape[0]:
            grey = qr[y - top].astype(np.uint32) * top_value // 255
            values[left:left + qr.shape[1], :3] = grey[:, None]
        return values.tobytes()

    pixel_bytes = 4 * bits // 8
    row_bytes = side * pixel_bytes
    pieces, adler, previous = [], 1, None
    zero_run = 0
    cached: dict[int, bytes] = {}

    def flush_zero_run() -> None:
        nonlocal zero_run, adler
        block = 64
        for count in [block] * (zero_run // block) + ([zero_run % block] if zero_run % block else []):
            if count not in cached:
                cached[count] = _zero_rows_piece(row_bytes, count)
            pieces.append(cached[count])
            adler = zlib.adler32((b"\x02" + bytes(row_bytes)) * count, adler)
        zero_run = 0

    for y in range(side):
        current = row(y)
        if current == previous:
            zero_run += 1
            continue
        flush_zero_run()
        raw = np.frombuffer(current, np.uint8)
        filtered = b"\x01" + np.concatenate([raw[:pixel_bytes], raw[pixel_bytes:] - raw[:-pixel_bytes]]).tobytes()
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        pieces.append(deflate.compress(filtered) + deflate.flush(zlib.Z_FULL_FLUSH))
        adler = zlib.adler32(filtered, adler)
        previous = current
    flush_zero_run()
    pieces.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush())
    idat = b"\x78\xda" + b"".join(pieces) + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, bits, 6, 0, 0, 0)  # colour type 6: RGBA
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def radiance_picture(path: Path, side: int = 8192, header_only: bool = False) -> Path:
    """A Radiance RGBE picture of ``side`` x ``side`` light grey pixels, each row run-length coded
    (runs of at most 127 bytes, one per component). ``header_only``: the header and one row, for
    checks that must refuse it before decoding."""
    runs = [127] * (side // 127) + ([side % 127] if side % 127 else [])
    component = b"".join(bytes([128 + run, value]) for run in runs for value in (0x80,))
    exponent = b"".join(bytes([128 + run, 0x80]) for run in runs)
    row = bytes([2, 2, side >> 8, side & 0xFF]) + component * 3 + exponent
    head = f"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {side} +X {side}\n".encode("ascii")
    path.write_bytes(head + row * (1 if header_only else side))
    return path


def png_header_only(path: Path, width: int, height: int, bit_depth: int = 16, colour_type: int = 6) -> Path:
    """A PNG that declares ``width`` x ``height`` pixels of ``bit_depth`` bits and ``colour_type``
    (6: RGBA, 2: RGB, 0: grey) but holds a few bytes of data: decoding it would fail, so a refusal
    that names its size can only have come from the header."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def sparse_file(path: Path, size: int = 6 * 1024**3) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def video_bomb(path: Path, side: int = 12000) -> Path:
    import cv2

    small = path.with_name(path.stem + "-small.avi")
    writer = cv2.VideoWriter(str(small), cv2.VideoWriter_fourcc(*"MJPG"), 10, (16, 16))
    for _ in range(3):
        writer.write(np.full((16, 16, 3), 200, np.uint8))
    writer.release()
    data = bytearray(small.read_bytes())
    small.unlink()
    assert _patch_sof(data, side, side) == 3
    avih = data.find(b"avih")
    struct.pack_into("<II", data, avih + 8 + 32, side, side)  # dwWidth, dwHeight
    strf = data.find(b"strf")
    struct.pack_into("<ii", data, strf + 8 + 4, side, side)  # BITMAPINFOHEADER biWidth, biHeight
    path.write_bytes(bytes(data))
    return path


# ---------------------------------------------------------------------------------------------
# Running a command and measuring it

# The command runs as the grandchild of a small launcher (python -S, about 10 MB): a process's
# peak-RSS record (ru_maxrss) starts from the resident size of the process it was forked from, and
# survives exec, so a child forked straight from a pytest process of 300 MB would report 300 MB
# before running a line. The launcher applies the address-space limit, forks, execs the command,
# and writes the grandchild's exit status, peak RSS and CPU time from wait4.
_LAUNCHER = r"""
import os, sys, resource
cap, out, err, inp, res = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
argv = sys.argv[6:]
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
pid = os.fork()
if pid == 0:
    try:
        os.dup2(os.open(inp, os.O_RDONLY), 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(res, "w") as f:
    f.write("%d %d %.3f\n" % (os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime))
"""


@dataclass
class Measured:
    returncode: int
    stdout: bytes
    stderr: bytes
    peak_rss_mb: float  # the command's own peak resident memory (kernel rusage)
    cpu_s: float  # user + system CPU time of the command (printed by the bench, not asserted)

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8")  # strict: the output must be valid UTF-8

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8")


class StillRunning(Exception):
    pass


def run_measured(args: list[str], cwd: Path, stdin_path: Path | None = None, address_space: int = 0,
                 timeout: float = 60.0, program: list[str] | None = None) -> Measured:
    """``python -m payer_app ARGS`` in ``cwd`` (or ``PROGRAM ARGS``), measured (see above).
    ``address_space`` bytes of RLIMIT_AS (0: none). Raises StillRunning (after killing it) past
    ``timeout`` seconds."""
    files = {k: cwd / f".measured.{k}" for k in ("out", "err", "res")}
    files["res"].unlink(missing_ok=True)
    command = [*(program or [sys.executable, "-m", "payer_app"]), *args]
    launcher = subprocess.Popen(
        [sys.executable, "-S", "-c", _LAUNCHER, str(address_space), str(files["out"]), str(files["err"]),
         str(stdin_path or os.devnull), str(files["res"]), *command],
        cwd=cwd, start_new_session=True,
    )
    try:
        launcher.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()
        raise StillRunning(f"payer-app {args} still running after {timeout} s") from None
    code, maxrss_kb, cpu = files["res"].read_text().split()
    return Measured(int(code), files["out"].read_bytes(), files["err"].read_bytes(), int(maxrss_kb) / 1024,
                    float(cpu))
