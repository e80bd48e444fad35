"""Input limits of the scan engine, checked before the work (issue 9: decompression bombs).

A 380-byte JPEG or an 875 kB PNG can declare 30000x30000 pixels: decoding either costs about 1.9 GB.
So an image's size is read from its header first, and refused above ``MAX_IMAGE_PIXELS``; the file
itself is refused above ``MAX_IMAGE_FILE_BYTES`` before a byte of it is read; a JPEG with more
than ``MAX_JPEG_SCANS`` scans is refused before decoding. Video frames are held to the same pixel
cap.

The caps are far above any bill photo a user has: a 50-megapixel phone photo (8160x6144) and an
A4 page scanned at 600 dpi (4960x7016, 35 megapixels; 104 MB as an uncompressed TIFF) both pass.
"""

from __future__ import annotations

MAX_IMAGE_PIXELS = 8192 * 8192  # 67,108,864 pixels ("67 megapixels")
MAX_IMAGE_FILE_BYTES = 128 * 1024 * 1024  # 128 MiB
# A progressive JPEG is decoded in scans, each a pass over the whole picture; a camera or an encoder
# writes at most about ten (libjpeg's default script), but a file can repeat tiny scans thousands
# of times: 2,000 repeats of one scan cost 5 s of CPU on a 4-megapixel picture. Counted before
# decoding (SOS markers; an EXIF thumbnail adds its own few).
MAX_JPEG_SCANS = 100


def megapixels(pixels: int) -> str:
    """``900`` for 900,000,000 pixels; one decimal below 10 megapixels."""
    value = pixels / 1_000_000
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def file_size_text(size: int) -> str:
    """A byte count the way a person reads it: ``6.0 GB``, ``140 MB``, ``512 kB``."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size} bytes"


def pixel_cap_problem(width: int, height: int) -> str | None:
    """Why a ``width`` x ``height`` picture is refused, or None when it is within the cap."""
    pixels = int(width) * int(height)
    if pixels <= MAX_IMAGE_PIXELS:
        return None
    return (f"{width}x{height} pixels ({megapixels(pixels)} megapixels), over the "
            f"{megapixels(MAX_IMAGE_PIXELS)}-megapixel limit (8192x8192)")
