"""Input limits of the scan engine, checked before the work (decompression bombs among them).

A 380-byte JPEG or an 875 kB PNG can declare 30000x30000 pixels: decoding either costs about 1.9 GB.
So an image's size is read from its header first, and refused above ``MAX_IMAGE_PIXELS``; the file
itself is refused above ``MAX_IMAGE_FILE_BYTES`` before a byte of it is read; a JPEG with more
than ``MAX_JPEG_SCANS`` scans is refused before decoding. Video frames are held to the same pixel
cap.

Pixels are not the whole cost: a picture of 16-bit samples with an alpha channel takes 8 bytes a
pixel, so a 522 kB PNG of 8190x8190 such pixels (under the pixel cap) decoded to a 537 MB array and
peaked at 1.15 GB. So the decoded size (width x height x channels x bytes per sample, from the
header) is also capped, at ``MAX_IMAGE_DECODED_BYTES``, and pictures under it are read reduced to 8
bits a sample (the decoders reduce them row by row; ``sources.read_image_file``).

The caps are far above any bill photo a user has: a 50-megapixel phone photo (8160x6144, 8-bit RGB:
150 MB decoded) and an A4 page scanned at 600 dpi (4960x7016, 35 megapixels; 104 MB as an
uncompressed TIFF, 209 MB at 16 bits a sample) both pass, and so does an 8-bit RGBA PNG of
8192x8192, the largest 8-bit picture the pixel cap lets through (exactly 256 MiB decoded).
"""

from __future__ import annotations

MAX_IMAGE_PIXELS = 8192 * 8192  # 67,108,864 pixels ("67 megapixels")
MAX_IMAGE_FILE_BYTES = 128 * 1024 * 1024  # 128 MiB
# Decoded size from the header: 8192x8192 pixels of 4 channels at 8 bits (see above). A 16-bit RGBA
# picture passes up to 33.5 megapixels (about 5790x5790), a 16-bit RGB one up to 44.7 megapixels.
MAX_IMAGE_DECODED_BYTES = 8192 * 8192 * 4  # 268,435,456 bytes (256 MiB)
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


def decoded_bytes_problem(width: int, height: int, channels: int, bits_per_sample: int) -> str | None:
    """Why a picture declaring these dimensions is refused for its decoded size, or None when
    ``width * height * channels * bytes per sample`` is within ``MAX_IMAGE_DECODED_BYTES``."""
    sample_bytes = max(1, -(-int(bits_per_sample) // 8))
    size = int(width) * int(height) * max(1, int(channels)) * sample_bytes
    if size <= MAX_IMAGE_DECODED_BYTES:
        return None
    return (f"{width}x{height} pixels of {channels} channels at {bits_per_sample} bits decode to "
            f"{file_size_text(size)}, over the {file_size_text(MAX_IMAGE_DECODED_BYTES)} limit for a "
            "decoded picture (8192x8192 at 8 bits RGBA)")


# glibc gives each new thread its own malloc arena, up to 8 per core; every scan session starts a
# capture and a decode thread, and each arena keeps the freed camera frames it once held. The window
# soak (bench/window_soak_bench.py, docs/benchmarks.md) measured resident memory swinging by up to
# 100 MiB with the default and level with two arenas.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; False where there is no glibc."""
    return _mallopt(_M_ARENA_MAX, arenas)


# glibc serves a block above its mmap threshold with a mapping of its own, unmapped when freed. The
# threshold starts at 128 kB but rises to the size of every such block freed (up to 32 MB), so after
# the first few camera frames (2.6 MB at 720p) every frame comes from the heap and the arenas, whose
# freed space stays resident. Fixing it keeps the frames, their gray copies and Qt's images of them
# in mappings of their own, given back as soon as they are freed (bench/window_soak_bench.py).
MMAP_THRESHOLD_BYTES = 512 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


def map_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (no rise); False where there is no glibc."""
    return _mallopt(_M_MMAP_THRESHOLD, threshold)


def release_free_memory() -> None:
    """Give the heap's and the arenas' free pages back to the system (glibc ``malloc_trim``): what a
    scan session freed when it ended. Nothing where there is no glibc."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _mallopt(parameter: int, value: int) -> bool:
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(parameter, int(value)))
    except (OSError, AttributeError):
        return False
