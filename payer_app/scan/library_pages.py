"""Library pages a process keeps resident without using them, handed back once.

Linux maps a shared library from the page cache, and a page fault maps every page of the cache's
block (folio) that holds the touched page. How large those blocks are depends on how the file came
into the cache: a file read back from disk comes in blocks of a few pages, but a file that was just
written (a virtual environment that pip has just installed) stays cached in the blocks it was written
in, up to 1 MiB on ext4 with Linux 6.18. Then every touched byte of a library maps up to 1 MiB:
OpenCV's 78 MiB library held 42 MiB in the window instead of 9 (docs/window.md, "A freshly installed
environment").

``release_library_pages`` writes out what of those files still waits for the disk
(``sync_file_range``), asks the kernel to take back this process's pages of them
(``madvise(MADV_PAGEOUT)``: pages no other process maps are unmapped and, being unchanged copies of
the file, dropped) and drops the rest of those files from the cache
(``posix_fadvise(POSIX_FADV_DONTNEED)``, which leaves pages that any process maps). What the process
uses next is read back from disk, in small blocks. Each file is handled once per process. Only
read-only private mappings of files are touched (code and constant data); nothing off Linux.
"""

from __future__ import annotations

import os
import sys
import threading

_MADV_PAGEOUT = 21  # Linux 5.4 and later (asm-generic/mman-common.h)
_SYNC_FILE_RANGE_WAIT_ALL = 1 | 2 | 4  # wait before, write, wait after (linux/fs.h)
_DONE: set[str] = set()
_LOCK = threading.Lock()
_SCANNING_PREPARED = False


def mapped_library_files() -> dict[str, list[tuple[int, int]]]:
    """{path: [(start, length), ...]} of this process's read-only private mappings of files
    (``/proc/self/maps``); empty without it."""
    out: dict[str, list[tuple[int, int]]] = {}
    if not sys.platform.startswith("linux"):  # the calls below are Linux's (another system's madvise
        return out  # numbers mean other things)
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


def release_library_pages() -> int:
    """Hand back the cached pages of the library files mapped since the last call (see the module's
    docstring); returns how many files were handled this time."""
    with _LOCK:
        fresh = {path: spans for path, spans in mapped_library_files().items() if path not in _DONE}
        if not fresh:
            return 0
        madvise, sync_file_range = _libc_calls()
        for path, spans in fresh.items():
            _DONE.add(path)
            _hand_back(path, spans, madvise, sync_file_range)
        return len(fresh)


def _libc_calls():
    """(madvise, sync_file_range) from the C library, each None where it is missing."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None, None
    madvise = getattr(libc, "madvise", None)
    if madvise is not None:
        madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        madvise.restype = ctypes.c_int
    sync_file_range = getattr(libc, "sync_file_range", None)
    if sync_file_range is not None:
        sync_file_range.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
        sync_file_range.restype = ctypes.c_int
    return madvise, sync_file_range


def _hand_back(path: str, spans: list[tuple[int, int]], madvise, sync_file_range) -> None:
    """Write out ``path``'s pages still waiting for the disk (pip writes a whole environment in seconds,
    and until they are written neither call below can drop them; ``sync_file_range`` writes and waits
    without the journal commit and disk flush of ``fdatasync``), page out this process's mappings of
    it, then drop its cached pages that no process maps. Errors are ignored: nothing is lost."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        if sync_file_range is not None:
            sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WAIT_ALL)
        if madvise is not None:
            for start, length in spans:
                madvise(start, length, _MADV_PAGEOUT)  # an older kernel refuses (EINVAL): no harm
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def prepare_scanning() -> None:
    """Load what a scan session maps (OpenCV, zxing-cpp), then ``release_library_pages``, once per
    process: run first in a session's capture thread, so that the frames are read and decoded with the
    libraries' pages mapped from small blocks. Later sessions start at once."""
    global _SCANNING_PREPARED
    if _SCANNING_PREPARED:
        return
    _SCANNING_PREPARED = True
    try:
        import cv2  # noqa: F401
        import zxingcpp  # noqa: F401
    except ImportError:
        pass  # the session reports a missing decoder itself
    release_library_pages()
