"""Library pages a process keeps resident without using them, handed back once.

Linux maps a shared library from the page cache, and a page fault maps every page of the cache's
block (folio) that holds the touched page. How large those blocks are depends on how the file came
into the cache: a file read back from disk comes in blocks of a few pages, but a file that was just
written (a virtual environment that pip has just installed) stays cached in the blocks it was written
in, up to 1 MiB on ext4 with Linux 6.18. Then every touched byte of a library maps up to 1 MiB:
OpenCV's 78 MiB library held 43 MiB in the window instead of 10 (docs/window.md, "Soak").

``release_library_pages`` asks the kernel to take back the pages of the libraries this process has
mapped (``madvise(MADV_PAGEOUT)``: pages no other process maps are unmapped and, being unchanged
copies of the file, dropped) and drops the rest of those files from the cache
(``posix_fadvise(POSIX_FADV_DONTNEED)``, which leaves pages that any process maps). What the
process uses next is read back from disk, in small blocks. Each file is handled once per process: after
that its cache holds small blocks. Only read-only mappings of files are touched (code and constant
data); nothing where ``/proc/self/maps`` or ``madvise`` is missing.
"""

from __future__ import annotations

import os
import threading

_MADV_PAGEOUT = 21  # Linux 5.4 and later (asm-generic/mman-common.h)
_DONE: set[str] = set()
_LOCK = threading.Lock()


def mapped_library_files() -> dict[str, list[tuple[int, int]]]:
    """{path: [(start, length), ...]} of this process's read-only private mappings of files
    (``/proc/self/maps``); empty without it."""
    out: dict[str, list[tuple[int, int]]] = {}
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            lines = maps.read().splitlines()
    except OSError:
        return out
    for line in lines:
        fields = line.split(None, 5)
        if len(fields) < 6 or fields[4] == "0" or not fields[5].startswith("/") or fields[5].endswith(" (deleted)"):
            continue
        perms = fields[1]
        if "w" in perms or not perms.endswith("p"):
            continue
        low, _, high = fields[0].partition("-")
        start, end = int(low, 16), int(high, 16)
        out.setdefault(fields[5], []).append((start, end - start))
    return out


def handled_files() -> frozenset[str]:
    """The files ``release_library_pages`` has handled in this process."""
    with _LOCK:
        return frozenset(_DONE)


def release_library_pages() -> int:
    """Hand back the cached pages of the library files mapped since the last call (see the module's
    docstring); returns how many files were handled this time."""
    with _LOCK:
        fresh = {path: spans for path, spans in mapped_library_files().items() if path not in _DONE}
        if not fresh:
            return 0
        madvise = _madvise()
        for path, spans in fresh.items():
            _DONE.add(path)
            _write_out(path)
            if madvise is not None:
                for start, length in spans:
                    madvise(start, length, _MADV_PAGEOUT)  # an older kernel refuses (EINVAL): no harm
            _drop_cached(path)
        return len(fresh)


def _madvise():
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    madvise.restype = ctypes.c_int
    return madvise


def _write_out(path: str) -> None:
    """Pages of a file written a moment ago (pip writes a whole environment in seconds) wait in the
    cache to be written to disk; until then neither call can drop them."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        os.fdatasync(fd)
    except (OSError, AttributeError):
        pass
    finally:
        os.close(fd)


def _drop_cached(path: str) -> None:
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def prepare_scanning() -> None:
    """Load what a scan session maps (OpenCV, zxing-cpp), then ``release_library_pages``: run first in
    a session's capture thread, so that the frames are read and decoded with the libraries' pages
    mapped from small blocks."""
    try:
        import cv2  # noqa: F401
        import zxingcpp  # noqa: F401
    except ImportError:
        pass  # the session reports a missing decoder itself
    release_library_pages()
